package assess

import (
	"context"
	"strconv"
	"strings"
	"time"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/mynumber"
	"bango/internal/store"
)

// PensionNoticeInput is a pension insurer's notice of a person for a
// fiscal year (年金特徴の対象者通知, R-NHI-4): the pension's annual amount,
// the 介護保険料 of the year and whether it is collected from that pension.
// Special collection of the NHI premium (特別徴収) needs what only this
// notice says; the latest notice of a person and year is in force, and
// the next assessment run plans the instalments from it.
type PensionNoticeInput struct {
	ResidentCode string `json:"resident_code"`
	FiscalYear   int    `json:"fiscal_year"`
	Annual       int64  `json:"annual"`
	CarePremium  int64  `json:"care_premium"`
	CareSpecial  bool   `json:"care_special"`
}

// RecordPensionNotice keeps a pension insurer's notice. A wrong notice is
// refused naming every wrong field, and nothing is written but the
// refusal's event.
func (s *Service) RecordPensionNotice(ctx context.Context, tenant string, in PensionNoticeInput) error {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	const action = "nhi.pension_notice"
	code := strings.TrimSpace(in.ResidentCode)
	var fe errs.FieldErrors
	if code == "" {
		fe.Add("resident_code", msgRequired)
	} else if strings.Trim(code, "0123456789") != "" || len(code) > 15 {
		fe.Add("resident_code", msgResident)
	}
	s.fiscalYearField(&fe, in.FiscalYear)
	if in.Annual < 0 || in.Annual > 1_000_000_000_000 {
		fe.Add("annual", msgYen)
	}
	if in.CarePremium < 0 || in.CarePremium > 1_000_000_000_000 {
		fe.Add("care_premium", msgYen)
	}
	if err := fe.Err(); err != nil {
		return s.failed(ctx, tenant, action, residentSubject(code), err)
	}
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM residents WHERE tenant_code = $1 AND code = $2`, tenant, code).Scan(&n); err != nil {
			return store.Translate(err)
		}
		if n == 0 {
			fe.Add("resident_code", msgNoPerson)
			return fe.Err()
		}
		if _, err := tx.Exec(ctx, `INSERT INTO nhi_pension_notices (tenant_code, resident_code, fiscal_year, pension_annual, care_premium_annual, care_special,
			recorded_at, recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, tenant, code, in.FiscalYear, in.Annual, in.CarePremium, in.CareSpecial,
			s.now().UTC(), actorOf(ctx)); err != nil {
			return store.Translate(err)
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: action, Subject: residentSubject(code), Outcome: audit.OK,
			Detail: "fiscal_year=" + strconv.Itoa(in.FiscalYear) + " care_special=" + strconv.FormatBool(in.CareSpecial)})
	})
	if err != nil {
		return s.failed(ctx, tenant, action, residentSubject(code), err)
	}
	return nil
}

// PensionNotice is a recorded pension insurer's notice, with who recorded
// it and whether it is the one in force (the latest of its person and
// year).
type PensionNotice struct {
	ID int64 `json:"id"`
	PensionNoticeInput
	RecordedAt time.Time `json:"recorded_at"`
	RecordedBy string    `json:"recorded_by"`
	InForce    bool      `json:"in_force"`
	// Withdrawn is set on a notice withdrawn (取消) as entered wrongly: it
	// takes no part in an assessment, and the person's notice before it,
	// if any, is in force again.
	Withdrawn *NoticeWithdrawal `json:"withdrawn,omitempty"`
}

// NoticeWithdrawal is when, by whom and why a notice was withdrawn.
type NoticeWithdrawal struct {
	At  time.Time `json:"at"`
	By  string    `json:"by"`
	Why string    `json:"why"`
}

var msgNoticeWithdrawn = errs.Message{JA: "この通知はすでに取り消されています", EN: "this notice is withdrawn already"}

// WithdrawPensionNotice withdraws (取消) tenant's pension insurer's notice
// id, entered wrongly (another person's, another year's), for the reason
// why (required): the notice is kept, marked withdrawn with when, by whom
// and why, and the next assessment run plans the household without it
// (the person's notice before it, if any, in force again). A wrong amount
// is corrected by recording a new notice. A refusal names the field and
// writes nothing but its event.
func (s *Service) WithdrawPensionNotice(ctx context.Context, tenant string, id int64, why string) (PensionNotice, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	const action = "nhi.pension_notice.withdraw"
	subject := audit.Subject{Type: "nhi_pension_notice", ID: strconv.FormatInt(id, 10)}
	why = strings.TrimSpace(why)
	var fe errs.FieldErrors
	switch n := len([]rune(why)); {
	case n == 0:
		fe.Add("why", msgRequired)
	case n > 500:
		fe.Add("why", msgWhyLong)
	case mynumber.Holds(why):
		fe.Add("why", mynumber.InFreeText)
	}
	if err := fe.Err(); err != nil {
		return PensionNotice{}, s.failed(ctx, tenant, action, subject, err)
	}
	var n PensionNotice
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		var withdrawn *time.Time
		err := tx.QueryRow(ctx, `SELECT id, resident_code, fiscal_year, pension_annual, care_premium_annual, care_special, recorded_at, recorded_by, withdrawn_at
			FROM nhi_pension_notices WHERE tenant_code = $1 AND id = $2`, tenant, id).Scan(&n.ID, &n.ResidentCode, &n.FiscalYear, &n.Annual,
			&n.CarePremium, &n.CareSpecial, &n.RecordedAt, &n.RecordedBy, &withdrawn)
		if errs.Is(store.Translate(err), errs.NotFound) {
			return errs.E(errs.NotFound, "pension notice %d not found", id)
		} else if err != nil {
			return store.Translate(err)
		}
		subject = residentSubject(n.ResidentCode)
		if withdrawn != nil {
			fe.Add("notice", msgNoticeWithdrawn)
			fe.Kind = errs.Conflict
			return fe.Err()
		}
		now, by := s.now().UTC(), actorOf(ctx)
		res, err := tx.Exec(ctx, `UPDATE nhi_pension_notices SET withdrawn_at = $1, withdrawn_by = $2, withdrawn_why = $3
			WHERE tenant_code = $4 AND id = $5 AND withdrawn_at IS NULL`, now, by, why, tenant, id)
		if err != nil {
			return store.Translate(err)
		}
		if c, _ := res.RowsAffected(); c != 1 {
			return errs.E(errs.Conflict, "pension notice %d was withdrawn meanwhile", id)
		}
		n.RecordedAt, n.Withdrawn = n.RecordedAt.UTC(), &NoticeWithdrawal{At: now, By: by, Why: why}
		return audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: action, Subject: subject, Outcome: audit.OK,
			Detail: "notice=" + strconv.FormatInt(id, 10) + " fiscal_year=" + strconv.Itoa(n.FiscalYear) + " why=" + why})
	})
	if err != nil {
		return PensionNotice{}, s.failed(ctx, tenant, action, subject, err)
	}
	return n, nil
}

// PensionNotices lists tenant's pension insurers' notices of fiscal year
// fy (every year when 0), of one person when code is not "", the latest
// first (at most 500). Reading them is an event.
func (s *Service) PensionNotices(ctx context.Context, tenant string, fy int, code string) ([]PensionNotice, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	const action = "nhi.pension_notice.read"
	code = strings.TrimSpace(code)
	subject := audit.Subject{Type: "nhi_pension_notices", ID: strconv.Itoa(fy)}
	if code != "" {
		subject = residentSubject(code)
	}
	var out []PensionNotice
	err := s.db.Read(ctx, func(q store.Querier) (err error) {
		if err := store.TenantExists(ctx, q, tenant); err != nil {
			return err
		}
		seen := map[string]bool{}
		out, err = store.Rows(func(row store.Scanner) (PensionNotice, error) {
			var n PensionNotice
			var at *time.Time
			var by, why *string
			err := row.Scan(&n.ID, &n.ResidentCode, &n.FiscalYear, &n.Annual, &n.CarePremium, &n.CareSpecial, &n.RecordedAt, &n.RecordedBy, &at, &by, &why)
			if at != nil {
				n.Withdrawn = &NoticeWithdrawal{At: at.UTC(), By: val(by), Why: val(why)}
			} else {
				key := n.ResidentCode + "/" + strconv.Itoa(n.FiscalYear)
				n.InForce, seen[key] = !seen[key], true
			}
			n.RecordedAt = n.RecordedAt.UTC()
			return n, err
		})(q.Query(ctx, `SELECT id, resident_code, fiscal_year, pension_annual, care_premium_annual, care_special, recorded_at, recorded_by,
			withdrawn_at, withdrawn_by, withdrawn_why FROM nhi_pension_notices WHERE tenant_code = $1 AND ($2 = 0 OR fiscal_year = $2) AND ($3 = '' OR resident_code = $3)
			ORDER BY id DESC LIMIT 500`, tenant, fy, code))
		return err
	})
	if err != nil {
		return nil, s.failed(ctx, tenant, action, subject, err)
	}
	if out == nil {
		out = []PensionNotice{}
	}
	if err := audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: action, Subject: subject, Outcome: audit.OK,
		Detail: "fiscal_year=" + strconv.Itoa(fy) + " notices=" + strconv.Itoa(len(out))}); err != nil {
		return nil, err
	}
	return out, nil
}
