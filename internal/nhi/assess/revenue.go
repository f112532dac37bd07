package assess

import (
	"context"
	"strconv"
	"strings"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/store"
)

// RevenueInput is one person's revenue of one income year (暦年) as typed
// into a form, in yen: what the premium is assessed on (R-NHI-4).
type RevenueInput struct {
	ResidentCode   string `json:"resident_code"`
	IncomeYear     string `json:"income_year"`
	SalaryRevenue  string `json:"salary_revenue"`  // 給与収入
	PensionRevenue string `json:"pension_revenue"` // 公的年金等収入
	OtherIncome    string `json:"other_income"`    // その他の所得
}

var (
	msgYen      = errs.Message{JA: "0以上の金額（円、数字）で入力してください", EN: "must be an amount of yen, 0 or more, in digits"}
	msgRequired = errs.Message{JA: "入力してください", EN: "is required"}
	msgResident = errs.Message{JA: "宛名番号は数字で入力してください", EN: "must be the resident's code, in digits"}
	msgNoPerson = errs.Message{JA: "この宛名番号の住民はいません", EN: "no resident has this code"}
)

func yenField(fe *errs.FieldErrors, field, value string) int64 {
	v := strings.NewReplacer(",", "", "，", "", "円", "").Replace(strings.TrimSpace(value))
	if v == "" {
		fe.Add(field, msgRequired)
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || n > 1_000_000_000_000 || strings.ContainsAny(v, "+-") {
		fe.Add(field, msgYen)
		return 0
	}
	return n
}

func residentSubject(code string) audit.Subject { return audit.Subject{Type: "nhi_insured", ID: code} }

// RecordRevenue keeps a person's revenue of an income year for the
// premium. A later entry for the same person and year is the one in
// force; the earlier stays as it was entered, and an assessment run after
// it re-assesses the household (keeping the assessment before).
func (s *Service) RecordRevenue(ctx context.Context, tenant string, in RevenueInput) error {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	const action = "nhi.revenue"
	code := strings.TrimSpace(in.ResidentCode)
	var fe errs.FieldErrors
	if code == "" {
		fe.Add("resident_code", msgRequired)
	} else if strings.Trim(code, "0123456789") != "" || len(code) > 15 {
		fe.Add("resident_code", msgResident)
	}
	year, err := strconv.Atoi(strings.TrimSpace(in.IncomeYear))
	if err != nil || year < 1990 || year >= s.thisYear() {
		fe.Add("income_year", errs.Message{JA: "1990年から昨年までの年（西暦4桁）です", EN: "must be a year from 1990 to last year"})
	}
	salary := yenField(&fe, "salary_revenue", in.SalaryRevenue)
	pension := yenField(&fe, "pension_revenue", in.PensionRevenue)
	other := yenField(&fe, "other_income", in.OtherIncome)
	if err := fe.Err(); err != nil {
		return s.failed(ctx, tenant, action, residentSubject(code), err)
	}
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM residents WHERE tenant_code = $1 AND code = $2`, tenant, code).Scan(&n); err != nil {
			return store.Translate(err)
		}
		if n == 0 {
			fe.Add("resident_code", msgNoPerson)
			return fe.Err()
		}
		if _, err := tx.Exec(ctx, `INSERT INTO nhi_revenues (tenant_code, resident_code, income_year, salary_revenue, pension_revenue, other_income,
			recorded_at, recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, tenant, code, year, salary, pension, other, s.now().UTC(), actorOf(ctx)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: action, Subject: residentSubject(code), Outcome: audit.OK,
			Detail: "income_year=" + strconv.Itoa(year)})
	})
	if err != nil {
		return s.failed(ctx, tenant, action, residentSubject(code), err)
	}
	return nil
}
