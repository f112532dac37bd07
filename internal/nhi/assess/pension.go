package assess

import (
	"context"
	"strconv"
	"strings"

	"bango/internal/audit"
	"bango/internal/errs"
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
