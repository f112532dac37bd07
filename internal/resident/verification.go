package resident

import (
	"context"
	"strings"
	"time"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/store"
)

// Methods of identity verification at intake (R-ACC-4): the My Number card
// alone; the notification card with a photo ID; or a signature certificate
// (electronic application).
const (
	VerifiedByMyNumberCard        = "mynumber_card"
	VerifiedByNotificationPhotoID = "notification_card_photo_id"
	VerifiedBySignatureCert       = "signature_certificate"
)

// MethodLabels names each method for the UI.
var MethodLabels = map[string]errs.Message{
	VerifiedByMyNumberCard:        {JA: "個人番号カード", EN: "My Number card"},
	VerifiedByNotificationPhotoID: {JA: "通知カード＋顔写真付き身分証明書", EN: "Notification card + photo ID"},
	VerifiedBySignatureCert:       {JA: "署名用電子証明書", EN: "Signature certificate"},
}

// Verification records how a resident's identity was verified at intake.
type Verification struct {
	ID         int64     `json:"id"`
	Tenant     string    `json:"tenant"`
	Resident   string    `json:"resident"`
	Method     string    `json:"method"`
	VerifiedBy string    `json:"verified_by"`
	VerifiedAt time.Time `json:"verified_at"`
	Note       string    `json:"note,omitempty"`
}

// RecordVerification records an identity verification of resident code.
func (s *Service) RecordVerification(ctx context.Context, tenant, code, method, verifiedBy, note string) (v Verification, err error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	defer errs.Annotate(&err, "resident.RecordVerification(%s/%s)", tenant, code)
	subject := audit.Subject{Type: "resident", ID: code}
	v, err = s.verification(tenant, code, method, verifiedBy, note)
	if err != nil {
		return Verification{}, s.failed(ctx, tenant, "resident.verify_identity", subject, err)
	}
	err = s.db.Transact(ctx, func(tx *store.Tx) error { return s.insertVerification(ctx, tx, &v) })
	if err != nil {
		return Verification{}, s.failed(ctx, tenant, "resident.verify_identity", subject, err)
	}
	return v, nil
}

// RecordVerificationIn records an identity verification of resident code
// inside the caller's transaction tx, for a step that starts with the
// identity check and is recorded with it in one transaction (the JPKI
// window's application). A refusal is the caller's to record: its
// transaction rolls back.
func (s *Service) RecordVerificationIn(ctx context.Context, tx *store.Tx, tenant, code, method, verifiedBy, note string) (Verification, error) {
	v, err := s.verification(tenant, code, method, verifiedBy, note)
	if err != nil {
		return Verification{}, err
	}
	return v, s.insertVerification(ctx, tx, &v)
}

// Deferred is what VerifyAndGetDeferred leaves its caller to write: the
// verification's INSERT (Query, parameters $1 to $len(Args)) and the audit
// events.
type Deferred struct {
	Query  string
	Args   []any
	Events []audit.Event
}

// VerifyAndGetDeferred queues in p, a transaction sent in batches
// (store.Pipe), the read of resident code's record into *r, filled when p
// is flushed — the read is the check that code is a resident of tenant: if
// not, the whole transaction fails as not found — and returns what a
// window records with it: the identity verification (R-ACC-4) as an
// INSERT and its audit events (resident.verify_identity, resident.read,
// then also, the caller's own events about the same step). The caller
// must queue them in p before p ends — on PostgreSQL in one statement with
// its own writes (audit.RecordPipedWith) — so that they commit with the
// read or not at all.
func (s *Service) VerifyAndGetDeferred(ctx context.Context, p *store.Pipe, tenant, code, method, verifiedBy, note string, r *Resident, also ...audit.Event) (Deferred, error) {
	v, err := s.verification(tenant, code, method, verifiedBy, note)
	if err != nil {
		return Deferred{}, err
	}
	p.QueryRow(func(row store.Scanner) error {
		got, err := scanResident(row)
		if err != nil {
			return store.ScanErr(err, "resident "+code)
		}
		*r = got
		return nil
	}, selectResident+` WHERE tenant_code = $1 AND code = $2`, tenant, code)
	subject := audit.Subject{Type: "resident", ID: code}
	return Deferred{
		Query: `INSERT INTO identity_verifications (tenant_code, resident_code, method, verified_by, verified_at, note)
			VALUES ($1, $2, $3, $4, $5, $6)`,
		Args: []any{v.Tenant, v.Resident, v.Method, v.VerifiedBy, v.VerifiedAt, v.Note},
		Events: append([]audit.Event{
			{Tenant: tenant, Action: "resident.verify_identity", Subject: subject, Outcome: audit.OK, Detail: "method=" + v.Method},
			{Tenant: tenant, Action: "resident.read", Subject: subject, Outcome: audit.OK},
		}, also...),
	}, nil
}

// verification checks the fields of a verification.
func (s *Service) verification(tenant, code, method, verifiedBy, note string) (Verification, error) {
	var fe errs.FieldErrors
	if _, ok := MethodLabels[method]; !ok {
		fe.Add("method", errs.Message{JA: "確認方法を選択してください", EN: "must be one of mynumber_card, notification_card_photo_id, signature_certificate"})
	}
	verifiedBy = strings.TrimSpace(verifiedBy)
	if verifiedBy == "" {
		fe.Add("verified_by", msgRequired)
	}
	if len([]rune(note)) > 500 {
		fe.Add("note", msgTooLong(500))
	}
	if err := fe.Err(); err != nil {
		return Verification{}, err
	}
	return Verification{Tenant: tenant, Resident: code, Method: method, VerifiedBy: verifiedBy, VerifiedAt: s.now(), Note: note}, nil
}

// insertVerification writes v and its audit event in tx.
func (s *Service) insertVerification(ctx context.Context, tx *store.Tx, v *Verification) error {
	var exists int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM residents WHERE tenant_code = $1 AND code = $2`, v.Tenant, v.Resident).Scan(&exists); err != nil {
		return store.Translate(err)
	}
	if exists == 0 {
		return errs.E(errs.NotFound, "resident %s not found", v.Resident)
	}
	if err := tx.QueryRow(ctx, `INSERT INTO identity_verifications (tenant_code, resident_code, method, verified_by, verified_at, note)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, v.Tenant, v.Resident, v.Method, v.VerifiedBy, v.VerifiedAt, v.Note).Scan(&v.ID); err != nil {
		return store.Translate(err)
	}
	return audit.Record(ctx, tx, audit.Event{Tenant: v.Tenant, Action: "resident.verify_identity", Subject: audit.Subject{Type: "resident", ID: v.Resident},
		Outcome: audit.OK, Detail: "method=" + v.Method})
}

// Verifications lists the verifications of resident code, newest first.
func (s *Service) Verifications(ctx context.Context, tenant, code string) ([]Verification, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	if err := audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: "resident.verifications.read",
		Subject: audit.Subject{Type: "resident", ID: code}, Outcome: audit.OK}); err != nil {
		return nil, err
	}
	var out []Verification
	err := s.db.Read(ctx, func(q store.Querier) (err error) {
		out, err = store.Rows(scanVerification)(q.Query(ctx, `SELECT id, tenant_code, resident_code, method, verified_by, verified_at, note
			FROM identity_verifications WHERE tenant_code = $1 AND resident_code = $2 ORDER BY verified_at DESC, id DESC`, tenant, code))
		return err
	})
	return out, err
}

func scanVerification(row store.Scanner) (Verification, error) {
	var v Verification
	err := row.Scan(&v.ID, &v.Tenant, &v.Resident, &v.Method, &v.VerifiedBy, &v.VerifiedAt, &v.Note)
	return v, err
}
