package pubmed

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"bango/internal/audit"
	"bango/internal/civil"
	"bango/internal/errs"
	"bango/internal/review"
	"bango/internal/store"
)

// The grounds of a 登録者証 (指定難病要支援者証明事業, from April 2024):
// the patient meets a designated disease's diagnostic criteria and either
// holds a recipient certificate, was refused the subsidy because the
// severity criteria are not met, or is a mild patient who did not apply.
const (
	RegRecipient = "recipient"  // 特定医療費の受給者
	RegNotSevere = "not_severe" // 診断基準を満たすが重症度分類等を満たさず不認定
	RegMild      = "mild"       // 医療費助成の申請に至らない軽症者
)

// RegistrationBases are the grounds in the order a form offers them.
var RegistrationBases = []string{RegNotSevere, RegMild, RegRecipient}

// RegistrationInput is an application for a 登録者証 as received at a
// health centre: the person, the designated disease (指定難病 only), the
// grounds, the document that shows the diagnosis, and — for a refused
// or held subsidy application — that application.
type RegistrationInput struct {
	ResidentCode string `json:"resident_code"`
	DiseaseCode  string `json:"disease_code"`
	Basis        string `json:"basis"`
	Evidence     string `json:"evidence"`
	Application  int64  `json:"application,omitempty"`
	HealthCentre string `json:"health_centre"`
	ReceivedOn   string `json:"received_on"`
}

// Registration is an issued 登録者証: valid from its first day with no
// end (期限の定めなし) unless returned. The disease is kept but not
// printed on the certificate.
type Registration struct {
	ID             int64     `json:"id"`
	Number         string    `json:"number"`
	ResidentCode   string    `json:"resident_code"`
	DiseaseCode    string    `json:"disease_code"`
	DiseaseName    string    `json:"disease_name"`
	DiseaseVersion string    `json:"disease_version"`
	Basis          string    `json:"basis"`
	Evidence       string    `json:"evidence"`
	Application    int64     `json:"application,omitempty"`
	HealthCentre   string    `json:"health_centre"`
	ReceivedOn     time.Time `json:"received_on"`
	ValidFrom      time.Time `json:"valid_from"`
	EndedOn        time.Time `json:"ended_on,omitzero"`
	EndReason      string    `json:"end_reason,omitempty"`
	IssuedAt       time.Time `json:"issued_at"`
	IssuedBy       string    `json:"issued_by"`            // the clerk who entered it
	CheckedBy      string    `json:"checked_by,omitempty"` // the staff member who confirmed it ("" before migration 0056)
	EndedBy        string    `json:"ended_by,omitempty"`
	EndCheckedBy   string    `json:"end_checked_by,omitempty"`
}

var (
	msgRegBasis   = errs.Message{JA: "交付の根拠は 不認定（重症度を満たさない）・軽症者・受給者 のいずれかです", EN: "the grounds are not_severe, mild or recipient"}
	msgRegDisease = errs.Message{JA: "登録者証は指定難病の一覧にある疾病だけです", EN: "a registration certificate is for a disease of the 指定難病 master list only"}
	msgRegHolds   = errs.Message{JA: "この人には有効な登録者証が既にあります", EN: "this person already holds a registration certificate in force"}
	msgRegApp     = errs.Message{JA: "この人のこの疾病の指定難病の申請ではありません", EN: "is not this person's 指定難病 application for this disease"}
	msgRegAppNeed = errs.Message{JA: "不認定を根拠とするときは、その申請（却下済み）を指定してください", EN: "grounds of not_severe name the rejected subsidy application"}
	msgRegNotRej  = errs.Message{JA: "この申請は却下されていません", EN: "this application was not rejected"}
	msgRegNoCert  = errs.Message{JA: "受給者を根拠とするときは、受付日に有効なこの疾病の受給者証が必要です", EN: "grounds of recipient need a recipient certificate of this disease in force on the day received"}
)

func scanRegistration(row store.Scanner) (Registration, error) {
	var g Registration
	var app sql.NullInt64
	var ended sql.NullTime
	err := row.Scan(&g.ID, &g.Number, &g.ResidentCode, &g.DiseaseCode, &g.DiseaseName, &g.DiseaseVersion, &g.Basis, &g.Evidence, &app, &g.HealthCentre,
		&g.ReceivedOn, &g.ValidFrom, &ended, &g.EndReason, &g.IssuedAt, &g.IssuedBy, &g.CheckedBy, &g.EndedBy, &g.EndCheckedBy)
	if err != nil {
		return g, err
	}
	g.Application, g.ReceivedOn, g.ValidFrom, g.IssuedAt = app.Int64, dateOnly(g.ReceivedOn), dateOnly(g.ValidFrom), g.IssuedAt.UTC()
	if ended.Valid {
		g.EndedOn = dateOnly(ended.Time)
	}
	return g, nil
}

const registrationColumns = `id, number, resident_code, disease_code, disease_name, disease_version, basis, evidence, application_id, health_centre,
	received_on, valid_from, ended_on, end_reason, issued_at, issued_by, checked_by, ended_by, end_checked_by`

// The maker–checker kinds of a 登録者証 (R-ACC-1): a clerk's issue or end
// holds only once a different staff member holding review.confirm
// confirms it; the certificate is numbered and issued (or ended) then.
const (
	KindRegistration    = "pubmed.registration"
	KindRegistrationEnd = "pubmed.registration_end"
)

// regIssue is a checked RegistrationInput, the payload of
// KindRegistration.
type regIssue struct {
	Registration Registration `json:"registration"`
	Maker        string       `json:"maker"`
}

// ProposeRegistration checks an application for a 登録者証 (R-PUB-1) and
// returns the maker's proposal: the person exists, the disease is a
// 指定難病 designated on the day received, the grounds hold against the
// data (a rejected subsidy application of this person and disease for
// not_severe; a recipient certificate of the disease in force for
// recipient), and the person holds no registration in force. It is tried
// against the data at once in a transaction that is rolled back, so every
// refusal names its field now and nothing is written or queued; the
// certificate is numbered and issued only when a different staff member
// confirms it (ApplyRegistration). A refusal is an event.
func (s *Service) ProposeRegistration(ctx context.Context, tenant string, in RegistrationInput) (review.Proposal, error) {
	ctx = store.WithScope(ctx, tenant)
	const action = "pubmed.registration.propose"
	var fe errs.FieldErrors
	g := Registration{ResidentCode: residentField(&fe, in.ResidentCode), DiseaseCode: strings.TrimSpace(in.DiseaseCode), Basis: strings.TrimSpace(in.Basis),
		Application: in.Application}
	g.Evidence = text(&fe, "evidence", in.Evidence)
	g.HealthCentre = text(&fe, "health_centre", in.HealthCentre)
	g.ReceivedOn = dateField(&fe, "received_on", in.ReceivedOn, true)
	if !slices.Contains(RegistrationBases, g.Basis) {
		fe.Add("basis", msgRegBasis)
	}
	if d, ok := s.rules.Disease(Nanbyo, g.DiseaseCode); !ok {
		fe.Add("disease_code", msgRegDisease)
	} else if !g.ReceivedOn.IsZero() && !d.DesignatedOn(g.ReceivedOn) {
		fe.Add("disease_code", msgNotDesig)
	} else {
		g.DiseaseName = d.Name
	}
	if g.Basis == RegNotSevere && g.Application == 0 {
		fe.Add("application", msgRegAppNeed)
	}
	if !g.ReceivedOn.IsZero() && g.ReceivedOn.After(s.today()) {
		fe.Add("received_on", msgFuture)
	}
	subject := subjectOf(g.ResidentCode)
	if err := fe.Err(); err != nil {
		return review.Proposal{}, s.failed(ctx, tenant, action, subject, err)
	}
	g.ValidFrom, g.DiseaseVersion = g.ReceivedOn, s.rules.DiseaseVersion
	p := regIssue{Registration: g, Maker: actorOf(ctx)}
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		if _, err := s.issue(ctx, tx, tenant, p); err != nil {
			return err
		}
		return errTrial
	})
	if !errors.Is(err, errTrial) {
		return review.Proposal{}, s.failed(ctx, tenant, action, subject, err)
	}
	payload, err := json.Marshal(p)
	if err != nil {
		return review.Proposal{}, err
	}
	summary := "登録者証（指定難病）の交付: 宛名番号 " + g.ResidentCode + "、" + g.DiseaseName + "（" + g.DiseaseCode + "）、根拠 " + RegistrationBasisNames[g.Basis]
	if g.Application != 0 {
		summary += "（申請 " + strconv.FormatInt(g.Application, 10) + "）"
	}
	summary += "、有効期間開始日 " + Date(g.ValidFrom) + "（期限の定めなし）、" + g.HealthCentre + "受付。番号は確認のときに付番"
	return review.Proposal{Kind: KindRegistration, Subject: subject, Payload: payload, Summary: summary}, nil
}

// RegistrationBasisNames name the grounds as the queue's summary does.
var RegistrationBasisNames = map[string]string{
	RegNotSevere: "重症度分類等を満たさず不認定",
	RegMild:      "申請に至らない軽症者",
	RegRecipient: "特定医療費の受給者",
}

// ApplyRegistration issues a confirmed 登録者証 inside the confirming
// transaction, checked again against the data as it is now: only here is
// it numbered and written. The event names the maker and the checker.
func (s *Service) ApplyRegistration(ctx context.Context, tx *store.Tx, tenant string, payload []byte) error {
	var p regIssue
	if err := json.Unmarshal(payload, &p); err != nil {
		return errs.Wrap(errs.Internal, err, "pubmed: registration proposal")
	}
	_, err := s.issue(ctx, tx, tenant, p)
	return err
}

// issue checks p against the data in tx and issues the registration,
// numbered now, with its event.
func (s *Service) issue(ctx context.Context, tx *store.Tx, tenant string, p regIssue) (Registration, error) {
	const action = "pubmed.registration.issue"
	g := p.Registration
	subject := subjectOf(g.ResidentCode)
	if err := lockTenant(ctx, tx, tenant); err != nil {
		return g, err
	}
	if err := store.TenantExists(ctx, tx, tenant); err != nil {
		return g, err
	}
	e := tx.Engine()
	var fe errs.FieldErrors
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM residents WHERE tenant_code = $1 AND code = $2`, tenant, g.ResidentCode).Scan(&n); err != nil {
		return g, store.Translate(err)
	}
	if n == 0 {
		fe.Add("resident_code", msgNoPerson)
		return g, fe.Err()
	}
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM pubmed_registrations WHERE tenant_code = $1 AND resident_code = $2 AND ended_on IS NULL`,
		tenant, g.ResidentCode).Scan(&n); err != nil {
		return g, store.Translate(err)
	}
	if n > 0 {
		fe.Add("resident_code", msgRegHolds)
	}
	if g.Application != 0 {
		a, err := readApplication(ctx, tx, tenant, g.Application)
		switch {
		case errs.Is(err, errs.NotFound) || (err == nil && (a.ResidentCode != g.ResidentCode || a.Programme != Nanbyo || a.DiseaseCode != g.DiseaseCode)):
			fe.Add("application", msgRegApp)
		case err != nil:
			return g, err
		case g.Basis == RegNotSevere && a.Status != StatusRejected:
			fe.Add("application", msgRegNotRej)
		}
	}
	if g.Basis == RegRecipient {
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM pubmed_certificates WHERE tenant_code = $1 AND resident_code = $2 AND programme = 'nanbyo'
			AND disease_code = $3 AND valid_from <= $4 AND COALESCE(ended_on, valid_until) >= $4`, tenant, g.ResidentCode, g.DiseaseCode,
			dateArg(e, g.ReceivedOn)).Scan(&n); err != nil {
			return g, store.Translate(err)
		}
		if n == 0 {
			fe.Add("basis", msgRegNoCert)
		}
	}
	if err := fe.Err(); err != nil {
		return g, err
	}
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM pubmed_registrations WHERE tenant_code = $1`, tenant).Scan(&n); err != nil {
		return g, store.Translate(err)
	}
	g.Number = fmt.Sprintf("3%07d", n+1)
	g.IssuedAt, g.IssuedBy, g.CheckedBy = s.now().UTC(), p.Maker, actorOf(ctx)
	var app any
	if g.Application != 0 {
		app = g.Application
	}
	if err := tx.QueryRow(ctx, `INSERT INTO pubmed_registrations (tenant_code, number, resident_code, disease_code, disease_name, disease_version, basis,
		evidence, application_id, health_centre, received_on, valid_from, issued_at, issued_by, checked_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id`,
		tenant, g.Number, g.ResidentCode, g.DiseaseCode, g.DiseaseName, g.DiseaseVersion, g.Basis, g.Evidence, app, g.HealthCentre,
		dateArg(e, g.ReceivedOn), dateArg(e, g.ValidFrom), g.IssuedAt, g.IssuedBy, g.CheckedBy).Scan(&g.ID); err != nil {
		return g, store.Translate(err)
	}
	return g, audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: action, Subject: subject, Outcome: audit.OK,
		Detail: "registration=" + strconv.FormatInt(g.ID, 10) + " number=" + g.Number + " basis=" + g.Basis + " disease=" + g.DiseaseCode +
			" disease_version=" + g.DiseaseVersion + " valid_from=" + Date(g.ValidFrom) + " application=" + strconv.FormatInt(g.Application, 10) +
			" maker=" + g.IssuedBy + " checker=" + g.CheckedBy})
}

// Registration reads registration id (for its page or print view); the
// read is an event of the person. One of another municipality is not
// found.
func (s *Service) Registration(ctx context.Context, tenant string, id int64) (Registration, error) {
	ctx = store.WithScope(ctx, tenant)
	var g Registration
	err := s.db.Read(ctx, func(q store.Querier) (err error) {
		g, err = scanRegistration(q.QueryRow(ctx, `SELECT `+registrationColumns+` FROM pubmed_registrations WHERE tenant_code = $1 AND id = $2`, tenant, id))
		return store.ScanErr(err, "registration "+strconv.FormatInt(id, 10))
	})
	if err != nil {
		return g, s.failed(ctx, tenant, "pubmed.registration.read", audit.Subject{Type: "pubmed_registration", ID: strconv.FormatInt(id, 10)}, err)
	}
	return g, audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: "pubmed.registration.read", Subject: subjectOf(g.ResidentCode), Outcome: audit.OK,
		Detail: "registration=" + strconv.FormatInt(id, 10)})
}

// Registrations lists the registrations issued, the latest first: of one
// person (its history) when code is set, else the municipality's latest
// 200. The list is an event.
func (s *Service) Registrations(ctx context.Context, tenant, code string) ([]Registration, error) {
	ctx = store.WithScope(ctx, tenant)
	code = strings.TrimSpace(code)
	var out []Registration
	err := s.db.Read(ctx, func(q store.Querier) (err error) {
		out, err = store.Rows(scanRegistration)(q.Query(ctx, `SELECT `+registrationColumns+` FROM pubmed_registrations WHERE tenant_code = $1
			AND ($2 = '' OR resident_code = $2) ORDER BY id DESC LIMIT 200`, tenant, code))
		return err
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []Registration{}
	}
	return out, audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: "pubmed.registration.list", Subject: audit.Subject{Type: "pubmed_registrations", ID: code},
		Outcome: audit.OK, Detail: "shown=" + strconv.Itoa(len(out))})
}

// Why a 登録者証 ends (the prefectures' forms: 返還届 when it is no longer
// needed, the person's death, a move out of the prefecture).
const (
	RegEndReturned = "returned" // 返還（不要になった）
	RegEndMoved    = "moved"    // 転出（都道府県外へ）
	RegEndDeath    = "death"    // 死亡
)

// RegistrationEndReasons are the reasons in the order a form offers them.
var RegistrationEndReasons = []string{RegEndReturned, RegEndMoved, RegEndDeath}

// RegistrationEndInput ends a 登録者証: its last day and why.
type RegistrationEndInput struct {
	EndedOn string `json:"ended_on"`
	Reason  string `json:"reason"`
}

var (
	msgRegEndReason = errs.Message{JA: "終了の理由は 返還・転出・死亡 のいずれかです", EN: "the reason is returned, moved or death"}
	msgRegEnded     = errs.Message{JA: "この登録者証は既に終了しています", EN: "this registration certificate has ended already"}
	msgRegEndEarly  = errs.Message{JA: "有効期間開始日より前の日付です", EN: "is before the first day of the certificate"}
)

// regEnd is a checked RegistrationEndInput, the payload of
// KindRegistrationEnd.
type regEnd struct {
	Registration int64     `json:"registration"`
	EndedOn      time.Time `json:"ended_on"`
	Reason       string    `json:"reason"`
	Maker        string    `json:"maker"`
}

// RegistrationEndReasonNames name the reasons as the queue's summary does.
var RegistrationEndReasonNames = map[string]string{RegEndReturned: "返還（不要になった）", RegEndMoved: "転出（都道府県外へ）", RegEndDeath: "死亡"}

// ProposeRegistrationEnd checks the end of registration id on
// in.EndedOn for in.Reason (R-PUB-1) and returns the maker's proposal:
// the day is not in the future nor before the certificate's first day,
// and a certificate that has ended already is refused. It is tried
// against the data at once (every refusal names its field now, nothing
// written or queued) and the certificate ends only when a different staff
// member confirms it (ApplyRegistrationEnd, R-ACC-1); the person may be
// issued a new one afterwards. A refusal is an event.
func (s *Service) ProposeRegistrationEnd(ctx context.Context, tenant string, id int64, in RegistrationEndInput) (review.Proposal, error) {
	ctx = store.WithScope(ctx, tenant)
	const action = "pubmed.registration.end_propose"
	subject := RegistrationSubject(id)
	var fe errs.FieldErrors
	p := regEnd{Registration: id, EndedOn: dateField(&fe, "ended_on", in.EndedOn, true), Reason: strings.TrimSpace(in.Reason), Maker: actorOf(ctx)}
	if !slices.Contains(RegistrationEndReasons, p.Reason) {
		fe.Add("reason", msgRegEndReason)
	}
	if !p.EndedOn.IsZero() && p.EndedOn.After(s.today()) {
		fe.Add("ended_on", msgFuture)
	}
	if err := fe.Err(); err != nil {
		return review.Proposal{}, s.failed(ctx, tenant, action, subject, err)
	}
	var g Registration
	err := s.db.Transact(ctx, func(tx *store.Tx) (err error) {
		if g, err = s.end(ctx, tx, tenant, p); err != nil {
			return err
		}
		return errTrial
	})
	if !errors.Is(err, errTrial) {
		if g.ResidentCode != "" {
			subject = subjectOf(g.ResidentCode)
		}
		return review.Proposal{}, s.failed(ctx, tenant, action, subject, err)
	}
	payload, err := json.Marshal(p)
	if err != nil {
		return review.Proposal{}, err
	}
	summary := "登録者証（指定難病） " + g.Number + "（宛名番号 " + g.ResidentCode + "）の終了: 最終日 " + Date(p.EndedOn) + "、理由 " + RegistrationEndReasonNames[p.Reason]
	return review.Proposal{Kind: KindRegistrationEnd, Subject: subject, Payload: payload, Summary: summary}, nil
}

// RegistrationSubject is the subject of a registration's pending end in
// the review queue (one at a time per registration).
func RegistrationSubject(id int64) audit.Subject {
	return audit.Subject{Type: "pubmed_registration", ID: strconv.FormatInt(id, 10)}
}

// ApplyRegistrationEnd ends a registration inside the confirming
// transaction, checked again against the data as it is now. The event
// names the maker and the checker.
func (s *Service) ApplyRegistrationEnd(ctx context.Context, tx *store.Tx, tenant string, payload []byte) error {
	var p regEnd
	if err := json.Unmarshal(payload, &p); err != nil {
		return errs.Wrap(errs.Internal, err, "pubmed: registration end proposal")
	}
	_, err := s.end(ctx, tx, tenant, p)
	return err
}

// end checks p against the data in tx and ends the registration, with
// its event.
func (s *Service) end(ctx context.Context, tx *store.Tx, tenant string, p regEnd) (Registration, error) {
	const action = "pubmed.registration.end"
	id, ended, reason := p.Registration, civil.DateOf(p.EndedOn), p.Reason
	g, err := scanRegistration(tx.QueryRow(ctx, `SELECT `+registrationColumns+` FROM pubmed_registrations WHERE tenant_code = $1 AND id = $2`, tenant, id))
	if err != nil {
		return g, store.ScanErr(err, "registration "+strconv.FormatInt(id, 10))
	}
	var fe errs.FieldErrors
	if !g.EndedOn.IsZero() {
		fe.Add("ended_on", msgRegEnded)
	} else if ended.Before(g.ValidFrom) {
		fe.Add("ended_on", msgRegEndEarly)
	}
	if err := fe.Err(); err != nil {
		return g, err
	}
	checker := actorOf(ctx)
	res, err := tx.Exec(ctx, `UPDATE pubmed_registrations SET ended_on = $1, end_reason = $2, ended_by = $3, end_checked_by = $4
		WHERE tenant_code = $5 AND id = $6 AND ended_on IS NULL`, dateArg(tx.Engine(), ended), reason, p.Maker, checker, tenant, id)
	if err != nil {
		return g, store.Translate(err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return g, errs.E(errs.Conflict, "registration %d changed meanwhile", id)
	}
	g.EndedOn, g.EndReason, g.EndedBy, g.EndCheckedBy = ended, reason, p.Maker, checker
	return g, audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: action, Subject: subjectOf(g.ResidentCode), Outcome: audit.OK,
		Detail: "registration=" + strconv.FormatInt(id, 10) + " number=" + g.Number + " ended_on=" + Date(ended) + " reason=" + reason +
			" maker=" + p.Maker + " checker=" + checker})
}
