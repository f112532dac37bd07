package assess

import (
	"context"
	"strconv"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/nhi/premium"
	"bango/internal/store"
)

// EstimateInput is a premium estimate asked for (保険料試算): a fiscal
// year and a household as the README's household file gives it.
type EstimateInput struct {
	FiscalYear int               `json:"fiscal_year"`
	Household  premium.Household `json:"household"`
}

// Estimate computes household h's premium of fiscal year fy with tenant's
// rate table in force, as the assessment would, and stores nothing but
// the event that an estimate was made (its year and rate table, never
// the figures typed). Wrong input is refused naming each field.
func (s *Service) Estimate(ctx context.Context, tenant string, in EstimateInput) (premium.Result, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	const action = "nhi.estimate"
	subject := audit.Subject{Type: "nhi_rate_table", ID: strconv.Itoa(in.FiscalYear)}
	var fe errs.FieldErrors
	s.fiscalYearField(&fe, in.FiscalYear)
	if err := fe.Err(); err != nil {
		return premium.Result{}, s.failed(ctx, tenant, action, subject, err)
	}
	rules, err := premium.LoadRules(in.FiscalYear)
	if err != nil {
		return premium.Result{}, s.failed(ctx, tenant, action, subject, err)
	}
	var rates RateVersion
	err = s.db.Read(ctx, func(q store.Querier) (err error) {
		if err := store.TenantExists(ctx, q, tenant); err != nil {
			return err
		}
		rates, err = ratesInForce(ctx, q, tenant, in.FiscalYear)
		return err
	})
	if err != nil {
		return premium.Result{}, s.failed(ctx, tenant, action, subject, err)
	}
	res, err := premium.Estimate(in.FiscalYear, in.Household, rates.Table, rules)
	if err != nil {
		var hfe *errs.FieldErrors
		if fs := errs.Fields(err); len(fs) > 0 {
			hfe = &errs.FieldErrors{Kind: errs.KindOf(err)}
			for _, f := range fs {
				f.Field = "household." + f.Field
				hfe.List = append(hfe.List, f)
			}
			err = hfe
		}
		return premium.Result{}, s.failed(ctx, tenant, action, subject, err)
	}
	if err := audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: action, Subject: subject, Outcome: audit.OK,
		Detail: "fiscal_year=" + strconv.Itoa(in.FiscalYear) + " rates=" + rates.Version + " members=" + strconv.Itoa(len(in.Household.Members))}); err != nil {
		return premium.Result{}, err
	}
	return res, nil
}

// Notice is what a premium decision notice (保険料決定通知書) prints: the
// assessment, the household's 記号 and its head's name and address as the
// resident register has them.
type Notice struct {
	Assessment
	Kigo        string `json:"kigo"`
	HeadCode    string `json:"head_code"`
	HeadName    string `json:"head_name"`
	HeadAddress string `json:"head_address"`
}

// Notice reads assessment id of tenant with what its notice prints.
// Reading it is an event of the household.
func (s *Service) Notice(ctx context.Context, tenant string, id int64) (Notice, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	const action = "nhi.assessment.read"
	var n Notice
	err := s.db.Read(ctx, func(q store.Querier) (err error) {
		n.Assessment, err = scanAssessment(q.QueryRow(ctx, `SELECT `+assessmentColumns+` FROM nhi_assessments WHERE tenant_code = $1 AND id = $2`, tenant, id))
		if err != nil {
			return store.ScanErr(err, "assessment")
		}
		var latest int
		if err := q.QueryRow(ctx, `SELECT MAX(seq) FROM nhi_assessments WHERE tenant_code = $1 AND household_id = $2 AND fiscal_year = $3`,
			tenant, n.Household, n.FiscalYear).Scan(&latest); err != nil {
			return store.Translate(err)
		}
		n.InForce = latest == n.Seq
		for _, m := range n.Input.Members {
			if m.Head {
				n.HeadCode = m.ID
			}
		}
		if err := q.QueryRow(ctx, `SELECT kigo FROM nhi_households WHERE tenant_code = $1 AND id = $2`, tenant, n.Household).Scan(&n.Kigo); err != nil {
			return store.ScanErr(err, "household")
		}
		return store.ScanErr(q.QueryRow(ctx, `SELECT name_kanji, address FROM residents WHERE tenant_code = $1 AND code = $2`, tenant, n.HeadCode).
			Scan(&n.HeadName, &n.HeadAddress), "head of household")
	})
	sub := audit.Subject{Type: "nhi_assessment", ID: strconv.FormatInt(id, 10)}
	if err != nil {
		return Notice{}, s.failed(ctx, tenant, action, sub, err)
	}
	if err := audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: action, Subject: householdSubject(n.Household), Outcome: audit.OK,
		Detail: "assessment=" + strconv.FormatInt(id, 10) + " view=notice"}); err != nil {
		return Notice{}, err
	}
	return n, nil
}
