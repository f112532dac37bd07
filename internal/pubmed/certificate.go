package pubmed

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/mynumber"
	"bango/internal/review"
	"bango/internal/store"
)

// Certificate is a recipient certificate (受給者証): the number kept
// through renewals and changes, the disease, the designated medical
// institutions, the category and flags, the validity and the monthly cap
// with the table version and figures it was read from.
type Certificate struct {
	ID             int64     `json:"id"`
	Number         string    `json:"number"`
	ResidentCode   string    `json:"resident_code"`
	Application    int64     `json:"application"`
	Programme      string    `json:"programme"`
	DiseaseCode    string    `json:"disease_code"`
	DiseaseName    string    `json:"disease_name"`
	DiseaseVersion string    `json:"disease_version"`
	Category       string    `json:"category"`
	Flags          []string  `json:"flags"`
	Institutions   []string  `json:"institutions"`
	ValidFrom      time.Time `json:"valid_from"`
	ValidUntil     time.Time `json:"valid_until"`
	CapYen         int64     `json:"cap_yen"`
	Basis          Cap       `json:"cap_basis"`
	EndedOn        time.Time `json:"ended_on,omitzero"` // the last day, when it ended before ValidUntil
	EndReason      string    `json:"end_reason,omitempty"`
	Replaces       int64     `json:"replaces,omitempty"`
	IssuedAt       time.Time `json:"issued_at"`
	IssuedBy       string    `json:"issued_by"`
}

// LastDay is the certificate's last valid day.
func (c Certificate) LastDay() time.Time {
	if !c.EndedOn.IsZero() {
		return c.EndedOn
	}
	return c.ValidUntil
}

// ValidOn reports whether the certificate holds on day.
func (c Certificate) ValidOn(day time.Time) bool {
	return !day.Before(c.ValidFrom) && !day.After(c.LastDay())
}

const certificateColumns = `id, number, resident_code, application_id, programme, disease_code, disease_name, disease_version, category, flags, institutions,
	valid_from, valid_until, cap_yen, cap_basis, ended_on, end_reason, replaces, issued_at, issued_by`

func scanCertificate(row store.Scanner) (Certificate, error) {
	var c Certificate
	var flags, inst, basis string
	var ended sql.NullTime
	var replaces sql.NullInt64
	err := row.Scan(&c.ID, &c.Number, &c.ResidentCode, &c.Application, &c.Programme, &c.DiseaseCode, &c.DiseaseName, &c.DiseaseVersion, &c.Category,
		&flags, &inst, &c.ValidFrom, &c.ValidUntil, &c.CapYen, &basis, &ended, &c.EndReason, &replaces, &c.IssuedAt, &c.IssuedBy)
	if err != nil {
		return c, err
	}
	c.ValidFrom, c.ValidUntil, c.IssuedAt, c.Replaces = dateOnly(c.ValidFrom), dateOnly(c.ValidUntil), c.IssuedAt.UTC(), replaces.Int64
	if ended.Valid {
		c.EndedOn = dateOnly(ended.Time)
	}
	c.Flags = splitFlags(flags)
	c.Institutions = []string{}
	json.Unmarshal([]byte(inst), &c.Institutions)
	json.Unmarshal([]byte(basis), &c.Basis)
	return c, nil
}

func certificate(ctx context.Context, q store.Querier, tenant string, id int64) (Certificate, error) {
	c, err := scanCertificate(q.QueryRow(ctx, `SELECT `+certificateColumns+` FROM pubmed_certificates WHERE tenant_code = $1 AND id = $2`, tenant, id))
	return c, store.ScanErr(err, "certificate "+strconv.FormatInt(id, 10))
}

// The outcomes of a decision.
const (
	Approve = "approve" // 認定
	Reject  = "reject"  // 却下
)

// DecisionInput is the decision on a confirmed application: approved
// with the validity (a new certificate from the day received, a renewal
// from the day after the old one ends, for one year unless shorter), or
// rejected with its reason.
type DecisionInput struct {
	Outcome    string `json:"outcome"`
	ValidFrom  string `json:"valid_from,omitempty"`
	ValidUntil string `json:"valid_until,omitempty"`
	Reason     string `json:"reason,omitempty"`
}

// Decision is what a decision made: the application as decided and, when
// approved (but for a cancellation), the certificate issued.
type Decision struct {
	Application Application  `json:"application"`
	Certificate *Certificate `json:"certificate,omitempty"`
}

var (
	msgOutcome   = errs.Message{JA: "認定（approve）か却下（reject）を選んでください", EN: "choose approve or reject"}
	msgReason    = errs.Message{JA: "却下の理由を1〜400文字で入力してください", EN: "give the reason of the rejection, 1 to 400 characters"}
	msgDecided   = errs.Message{JA: "この申請は既に決定済みです", EN: "this application has already been decided"}
	msgValidYear = errs.Message{JA: "有効期間は開始日から1年以内です", EN: "the validity is at most one year from its first day"}
	msgValidFrom = errs.Message{JA: "有効期間の開始日は受付日以降です（更新は前の受給者証の終了の翌日）", EN: "the validity starts on or after the day received (a renewal, the day after the old certificate ends)"}
	msgUntil     = errs.Message{JA: "有効期間の終了日は開始日以降です", EN: "the last day is on or after the first"}
	msgNoDecide  = errs.Message{JA: "取消の認定に有効期間は入力しません", EN: "a cancellation has no validity to set"}
)

// KindDecision is the maker–checker kind of a decision: a clerk's
// approval or rejection holds only once a different staff member confirms
// it (R-ACC-1), and the certificate is issued then.
const KindDecision = "pubmed.decision"

// decision is a checked DecisionInput, the payload of KindDecision.
type decision struct {
	Application int64     `json:"application"`
	Outcome     string    `json:"outcome"`
	From        time.Time `json:"valid_from,omitzero"`
	Until       time.Time `json:"valid_until,omitzero"`
	Reason      string    `json:"reason,omitempty"`
	Maker       string    `json:"maker"`
}

// errTrial ends the trial run of a proposed decision, writing nothing.
var errTrial = errors.New("pubmed: trial decision")

// ProposeDecision checks the decision on confirmed application id
// (R-PUB-1) and returns the maker's proposal: it is tried against the data
// as it is (every refusal names its field now, nothing written) and holds
// only once a different staff member confirms it (R-ACC-1;
// ApplyDecision), when the certificate is issued. Approved, a new
// application or a renewal issues a certificate for at most one year with
// the cap determined on its first day; a change issues one from its first
// day with the same number and ends the old the day before; a
// cancellation ends the certificate the day before its first day. A
// rejection needs its reason. A refusal is an event.
func (s *Service) ProposeDecision(ctx context.Context, tenant string, id int64, in DecisionInput) (review.Proposal, error) {
	ctx = store.WithScope(ctx, tenant)
	const action = "pubmed.decision.propose"
	var fe errs.FieldErrors
	d := decision{Application: id, Outcome: strings.TrimSpace(in.Outcome), Reason: strings.TrimSpace(in.Reason), Maker: actorOf(ctx)}
	if d.Outcome != Approve && d.Outcome != Reject {
		fe.Add("outcome", msgOutcome)
	}
	if d.Outcome == Reject && (d.Reason == "" || utf8.RuneCountInString(d.Reason) > 400 || strings.IndexFunc(d.Reason, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' }) >= 0) {
		fe.Add("reason", msgReason)
	} else if mynumber.Holds(d.Reason) {
		fe.Add("reason", mynumber.InFreeText)
	}
	d.From = dateField(&fe, "valid_from", in.ValidFrom, false)
	d.Until = dateField(&fe, "valid_until", in.ValidUntil, false)
	subject := audit.Subject{Type: "pubmed_application", ID: strconv.FormatInt(id, 10)}
	if err := fe.Err(); err != nil {
		return review.Proposal{}, s.failed(ctx, tenant, action, subject, err)
	}
	var trial Decision
	err := s.db.Transact(ctx, func(tx *store.Tx) (err error) {
		if trial, err = s.decide(ctx, tx, tenant, d); err == nil {
			err = errTrial
		}
		return err
	})
	if !errors.Is(err, errTrial) {
		if trial.Application.ResidentCode != "" {
			subject = subjectOf(trial.Application.ResidentCode)
		}
		return review.Proposal{}, s.failed(ctx, tenant, action, subject, err)
	}
	a := trial.Application
	summary := ProgrammeNames[a.Programme] + "の" + KindNames[a.Kind] + "申請 " + strconv.FormatInt(id, 10) + "（宛名番号 " + a.ResidentCode + "）を"
	switch c := trial.Certificate; {
	case d.Outcome == Reject:
		summary += "却下: " + d.Reason
	case c != nil:
		summary += "認定: 受給者証 " + c.Number + "、有効期間 " + Date(c.ValidFrom) + "〜" + Date(c.ValidUntil) + "、階層区分 " + CategoryNames[c.Category] +
			"、自己負担上限額 月 " + yen(c.CapYen)
	default:
		summary += "認定（受給者証 " + strconv.FormatInt(a.Certificate, 10) + " を " + Date(a.EffectiveOn) + " から取消）"
	}
	payload, err := json.Marshal(d)
	if err != nil {
		return review.Proposal{}, err
	}
	return review.Proposal{Kind: KindDecision, Subject: subject, Payload: payload, Summary: summary}, nil
}

// ApplyDecision makes a confirmed decision inside the confirming
// transaction, checked again against the data as it is now: the
// certificate is issued (or the application rejected) only here. The
// event names the maker and the checker.
func (s *Service) ApplyDecision(ctx context.Context, tx *store.Tx, tenant string, payload []byte) error {
	var d decision
	if err := json.Unmarshal(payload, &d); err != nil {
		return errs.Wrap(errs.Internal, err, "pubmed: decision proposal")
	}
	_, err := s.decide(ctx, tx, tenant, d)
	return err
}

// decide makes decision d in tx.
func (s *Service) decide(ctx context.Context, tx *store.Tx, tenant string, d decision) (Decision, error) {
	const action = "pubmed.application.decide"
	var out Decision
	id, outcome, reason, from, until := d.Application, d.Outcome, d.Reason, d.From, d.Until
	if err := lockTenant(ctx, tx, tenant); err != nil {
		return out, err
	}
	a, err := readApplication(ctx, tx, tenant, id)
	if err != nil {
		return out, err
	}
	out.Application = a // the trial's summary names the person even when refused
	subject := subjectOf(a.ResidentCode)
	var fe errs.FieldErrors
	if a.Status != StatusReceived {
		fe.Add("outcome", msgDecided)
		return out, fe.Err()
	}
	now, by := s.now().UTC(), d.Maker
	e := tx.Engine()
	if outcome == Reject {
		if _, err := tx.Exec(ctx, `UPDATE pubmed_applications SET status = 'rejected', reject_reason = $1, decided_at = $2, decided_by = $3
			WHERE tenant_code = $4 AND id = $5`, reason, now, by, tenant, id); err != nil {
			return out, err
		}
		a.Status, a.RejectReason, a.DecidedAt, a.DecidedBy = StatusRejected, reason, now, by
		out.Application = a
		return out, audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: action, Subject: subject, Outcome: audit.OK,
			Detail: "application=" + strconv.FormatInt(id, 10) + " outcome=reject maker=" + by + " checker=" + actorOf(ctx)})
	}
	var old Certificate
	if a.Certificate != 0 {
		if old, err = certificate(ctx, tx, tenant, a.Certificate); err != nil {
			return out, err
		}
		if !old.EndedOn.IsZero() {
			fe.Add("outcome", msgCertEnded)
			return out, fe.Err()
		}
	}
	detail := "application=" + strconv.FormatInt(id, 10) + " outcome=approve kind=" + a.Kind + " maker=" + by + " checker=" + actorOf(ctx)
	if a.Kind == AppCancel {
		if !from.IsZero() || !until.IsZero() {
			fe.Add("valid_from", msgNoDecide)
			return out, fe.Err()
		}
		last := a.EffectiveOn.AddDate(0, 0, -1)
		if _, err := tx.Exec(ctx, `UPDATE pubmed_certificates SET ended_on = $1, end_reason = 'cancel' WHERE tenant_code = $2 AND id = $3`,
			dateArg(e, last), tenant, old.ID); err != nil {
			return out, err
		}
		detail += " certificate=" + strconv.FormatInt(old.ID, 10) + " ended_on=" + Date(last)
	} else {
		// The validity: asked, or by the kind.
		if from.IsZero() {
			switch a.Kind {
			case AppNew:
				from = a.ReceivedOn
			case AppRenewal:
				from = old.ValidUntil.AddDate(0, 0, 1)
			case AppChange:
				from = a.EffectiveOn
			}
		}
		yearEnd := from.AddDate(1, 0, -1)
		if until.IsZero() {
			until = yearEnd
			if a.Kind == AppChange {
				until = old.ValidUntil // a change keeps the validity it changes
			}
		}
		switch {
		case a.Kind == AppNew && from.Before(a.ReceivedOn), a.Kind == AppRenewal && !from.Equal(old.ValidUntil.AddDate(0, 0, 1)),
			a.Kind == AppChange && !from.Equal(a.EffectiveOn):
			fe.Add("valid_from", msgValidFrom)
		case until.Before(from):
			fe.Add("valid_until", msgUntil)
		case until.After(yearEnd):
			fe.Add("valid_until", msgValidYear)
		}
		disease, ok := s.rules.Disease(a.Programme, a.DiseaseCode)
		if !ok {
			fe.Add("outcome", msgDisease)
		} else if !disease.DesignatedOn(from) {
			fe.Add("valid_from", msgNotDesig)
		}
		if err := fe.Err(); err != nil {
			return out, err
		}
		// The category again by the tier rule in force on the first
		// day, from the figures typed, keeping a clerk's override.
		var tier *Tier
		if a.Tier != nil {
			in := IncomeInput{TaxStatus: a.Tier.TaxStatus}
			switch a.Tier.TaxStatus {
			case TaxLevied:
				in.IncomeLevy = &a.Tier.IncomeLevy
			case TaxExempt:
				in.AnnualIncome = &a.Tier.AnnualIncome
			}
			t, err := s.rules.DetermineTier(a.Programme, in, from)
			if err != nil {
				return out, err
			}
			if a.Tier.Override != "" {
				t.Category, t.Override, t.OverrideReason, t.OverrideBy = a.Tier.Override, a.Tier.Override, a.Tier.OverrideReason, a.Tier.OverrideBy
			}
			tier, a.Category = &t, t.Category
		}
		cap, err := s.rules.DetermineCap(a.Programme, a.Category, a.Flags, from)
		if err != nil {
			return out, err
		}
		cap.Tier = tier
		number := old.Number
		if number == "" {
			if number, err = nextNumber(ctx, tx, tenant, a.Programme); err != nil {
				return out, err
			}
		}
		if a.Kind == AppChange {
			if _, err := tx.Exec(ctx, `UPDATE pubmed_certificates SET ended_on = $1, end_reason = 'change' WHERE tenant_code = $2 AND id = $3`,
				dateArg(e, from.AddDate(0, 0, -1)), tenant, old.ID); err != nil {
				return out, err
			}
		}
		inst, _ := json.Marshal(a.Institutions)
		basis, _ := json.Marshal(cap)
		var replaces any
		if old.ID != 0 {
			replaces = old.ID
		}
		var cid int64
		if err := tx.QueryRow(ctx, `INSERT INTO pubmed_certificates (tenant_code, number, resident_code, application_id, programme, disease_code,
			disease_name, disease_version, category, flags, institutions, valid_from, valid_until, cap_yen, cap_basis, replaces, issued_at, issued_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING id`,
			tenant, number, a.ResidentCode, a.ID, a.Programme, a.DiseaseCode, disease.Name, s.rules.DiseaseVersion, a.Category, strings.Join(a.Flags, ","),
			string(inst), dateArg(e, from), dateArg(e, until), cap.Yen, string(basis), replaces, now, by).Scan(&cid); err != nil {
			return out, store.Translate(err)
		}
		c, err := certificate(ctx, tx, tenant, cid)
		if err != nil {
			return out, err
		}
		out.Certificate = &c
		detail += " certificate=" + strconv.FormatInt(cid, 10) + " valid_from=" + Date(from) + " valid_until=" + Date(until) +
			" cap_yen=" + strconv.FormatInt(cap.Yen, 10) + " column=" + cap.Column + " table=" + cap.TableVersion + " category=" + a.Category +
			" flags=" + strings.Join(a.Flags, ",") + tierDetail(tier)
	}
	if _, err := tx.Exec(ctx, `UPDATE pubmed_applications SET status = 'approved', decided_at = $1, decided_by = $2 WHERE tenant_code = $3 AND id = $4`,
		now, by, tenant, id); err != nil {
		return out, err
	}
	a.Status, a.DecidedAt, a.DecidedBy = StatusApproved, now, by
	out.Application = a
	return out, audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: action, Subject: subject, Outcome: audit.OK, Detail: detail})
}

// nextNumber gives a new 受給者番号: the programme's digit and a running
// number of the municipality, eight digits in all.
func nextNumber(ctx context.Context, tx *store.Tx, tenant, programme string) (string, error) {
	prefix := "1"
	if programme == Shoman {
		prefix = "2"
	}
	var n int64
	if err := tx.QueryRow(ctx, `SELECT count(DISTINCT number) FROM pubmed_certificates WHERE tenant_code = $1 AND programme = $2`, tenant, programme).Scan(&n); err != nil {
		return "", store.Translate(err)
	}
	return fmt.Sprintf("%s%07d", prefix, n+1), nil
}

// Certificate reads certificate id; the read is an event of the recipient.
func (s *Service) Certificate(ctx context.Context, tenant string, id int64) (Certificate, error) {
	ctx = store.WithScope(ctx, tenant)
	var c Certificate
	err := s.db.Read(ctx, func(q store.Querier) (err error) {
		c, err = certificate(ctx, q, tenant, id)
		return err
	})
	if err != nil {
		return c, s.failed(ctx, tenant, "pubmed.certificate.read", audit.Subject{Type: "pubmed_certificate", ID: strconv.FormatInt(id, 10)}, err)
	}
	return c, audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: "pubmed.certificate.read", Subject: subjectOf(c.ResidentCode), Outcome: audit.OK,
		Detail: "certificate=" + strconv.FormatInt(id, 10)})
}

// Certificates lists the certificates of resident code, the latest first
// (a recipient's history). The read is an event.
func (s *Service) Certificates(ctx context.Context, tenant, code string) ([]Certificate, error) {
	ctx = store.WithScope(ctx, tenant)
	var out []Certificate
	err := s.db.Read(ctx, func(q store.Querier) (err error) {
		out, err = store.Rows(scanCertificate)(q.Query(ctx, `SELECT `+certificateColumns+` FROM pubmed_certificates WHERE tenant_code = $1 AND resident_code = $2
			ORDER BY id DESC`, tenant, code))
		return err
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []Certificate{}
	}
	return out, audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: "pubmed.certificate.read", Subject: subjectOf(code), Outcome: audit.OK,
		Detail: "certificates=" + strconv.Itoa(len(out))})
}
