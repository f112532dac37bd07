package assess

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"time"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/nhi/premium"
	"bango/internal/store"
)

// Assessment is one assessment of a household's premium of a fiscal year,
// with the versions and figures it used. Seq 1 is the first; each later
// one is a re-assessment that kept this one.
type Assessment struct {
	ID            int64             `json:"id"`
	FiscalYear    int               `json:"fiscal_year"`
	Household     int64             `json:"household"`
	Seq           int               `json:"seq"`
	RateTable     int64             `json:"rate_table"`
	RatesVersion  string            `json:"rates_version"`
	RulesVersion  string            `json:"rules_version"`
	IncomeTable   string            `json:"income_table_version"`
	Total         int64             `json:"total"`
	PreviousTotal *int64            `json:"previous_total,omitempty"`
	Difference    int64             `json:"difference"`
	AssessedAt    time.Time         `json:"assessed_at"`
	AssessedBy    string            `json:"assessed_by"`
	InForce       bool              `json:"in_force"` // the latest of its fiscal year
	Input         premium.Household `json:"input"`
	Result        premium.Result    `json:"result"`
	// Changes are the parts whose amount differs from the assessment
	// before (a re-assessment only).
	Changes []PartChange `json:"changes,omitempty"`
}

// PartChange is the difference of one part between two assessments.
type PartChange struct {
	Part       string `json:"part"`
	NameJA     string `json:"name_ja"`
	Before     int64  `json:"before"`
	After      int64  `json:"after"`
	Difference int64  `json:"difference"`
}

// Changes lists the parts whose amount differs from before to after.
func Changes(before, after premium.Result) []PartChange {
	amounts := map[string]int64{}
	for _, p := range before.Parts {
		amounts[p.Part] = p.Amount
	}
	var out []PartChange
	for _, p := range after.Parts {
		if b := amounts[p.Part]; b != p.Amount {
			out = append(out, PartChange{Part: p.Part, NameJA: p.NameJA, Before: b, After: p.Amount, Difference: p.Amount - b})
		}
	}
	return out
}

const assessmentColumns = `id, fiscal_year, household_id, seq, rate_table_id, rates_version, rules_version, income_table_version,
	total, previous_total, difference, assessed_at, assessed_by, input, result`

func scanAssessment(row store.Scanner) (Assessment, error) {
	var a Assessment
	var prev sql.NullInt64
	var in, res string
	err := row.Scan(&a.ID, &a.FiscalYear, &a.Household, &a.Seq, &a.RateTable, &a.RatesVersion, &a.RulesVersion, &a.IncomeTable,
		&a.Total, &prev, &a.Difference, &a.AssessedAt, &a.AssessedBy, &in, &res)
	if err != nil {
		return a, err
	}
	a.AssessedAt = a.AssessedAt.UTC()
	if prev.Valid {
		a.PreviousTotal = &prev.Int64
	}
	if err := json.Unmarshal([]byte(in), &a.Input); err != nil {
		return a, errs.Wrap(errs.Internal, err, "assessment %d input", a.ID)
	}
	if err := json.Unmarshal([]byte(res), &a.Result); err != nil {
		return a, errs.Wrap(errs.Internal, err, "assessment %d result", a.ID)
	}
	return a, nil
}

// History returns every assessment of household hh of tenant, the latest
// fiscal year first and within it the latest first, each re-assessment
// with the parts that changed. Reading it is an event of the household.
func (s *Service) History(ctx context.Context, tenant string, hh int64) ([]Assessment, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	const action = "nhi.assessment.read"
	var list []Assessment
	err := s.db.Read(ctx, func(q store.Querier) (err error) {
		var n int
		if err := q.QueryRow(ctx, `SELECT count(*) FROM nhi_households WHERE tenant_code = $1 AND id = $2`, tenant, hh).Scan(&n); err != nil {
			return store.Translate(err)
		}
		if n == 0 {
			return errs.E(errs.NotFound, "NHI household %d not found", hh)
		}
		list, err = store.Rows(scanAssessment)(q.Query(ctx, `SELECT `+assessmentColumns+` FROM nhi_assessments
			WHERE tenant_code = $1 AND household_id = $2 ORDER BY fiscal_year DESC, seq DESC`, tenant, hh))
		return err
	})
	if err != nil {
		return nil, s.failed(ctx, tenant, action, householdSubject(hh), err)
	}
	if list == nil {
		list = []Assessment{}
	}
	for i := range list {
		list[i].InForce = i == 0 || list[i-1].FiscalYear != list[i].FiscalYear
		if i+1 < len(list) && list[i+1].FiscalYear == list[i].FiscalYear {
			list[i].Changes = Changes(list[i+1].Result, list[i].Result)
		}
	}
	if err := audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: action, Subject: householdSubject(hh), Outcome: audit.OK,
		Detail: "assessments=" + strconv.Itoa(len(list))}); err != nil {
		return nil, err
	}
	return list, nil
}
