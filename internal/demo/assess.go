package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"bango/internal/audit"
	"bango/internal/identity"
	"bango/internal/nhi/assess"
	"bango/internal/nhi/premium"
	"bango/internal/review"
)

// AssessStaff is whom the demo rate table and revenues are entered by:
// the Maker's rate table confirmed by the Checker (R-ACC-1).
type AssessStaff struct {
	Service *assess.Service
	Review  *review.Service
	Maker   identity.User
	Checker identity.User
}

// AssessSummary is what SeedAssessment entered in one municipality.
type AssessSummary struct {
	FiscalYear   int
	RatesVersion string
	Revenues     int // persons with revenue of the income year
	Report       assess.Report
}

// demoRates are a demo municipality's rates per part: 所得割率, 均等割,
// 平等割, 賦課限度額. They are made-up figures in the range of Tokyo's
// wards and of large cities, not any municipality's ordinance.
var demoRates = map[string]map[string]premium.PartRates{
	"131041": {
		"medical": {IncomeRate: "7.71", PerCapita: 47300, PerHousehold: 0, Cap: 660000, Rounding: 100},
		"support": {IncomeRate: "2.69", PerCapita: 16800, PerHousehold: 0, Cap: 260000, Rounding: 100},
		"care":    {IncomeRate: "2.25", PerCapita: 16600, PerHousehold: 0, Cap: 170000, Rounding: 100},
		"child":   {IncomeRate: "0.24", PerCapita: 1600, PerHousehold: 0, Cap: 30000, Rounding: 100, AdultSurcharge: 100},
	},
	"011002": {
		"medical": {IncomeRate: "8.37", PerCapita: 28550, PerHousehold: 29140, Cap: 660000, Rounding: 1},
		"support": {IncomeRate: "3.04", PerCapita: 10280, PerHousehold: 10490, Cap: 260000, Rounding: 1},
		"care":    {IncomeRate: "2.75", PerCapita: 13800, PerHousehold: 8430, Cap: 170000, Rounding: 1},
		"child":   {IncomeRate: "0.26", PerCapita: 1200, PerHousehold: 900, Cap: 30000, Rounding: 1, AdultSurcharge: 80},
	},
}

// demoRevenue gives a demo person revenue of the income year by age and a
// rotating pattern, so that the assessment meets every reduction, the
// caps and pensioners: none, low salary, middle, high, very high.
func demoRevenue(i int, age int) (salary, pension, other int64) {
	switch {
	case age < 18:
		return 0, 0, 0
	case age >= 65:
		return 0, []int64{800_000, 1_500_000, 2_400_000, 3_600_000}[i%4], 0
	}
	switch i % 6 {
	case 0:
		return 0, 0, 0
	case 1:
		return 1_000_000, 0, 0
	case 2:
		return 2_600_000, 0, 0
	case 3:
		return 4_500_000, 0, 0
	case 4:
		return 0, 0, 1_800_000 // 事業所得
	default:
		return 14_000_000, 0, 0 // over the caps
	}
}

// RateTable is demo municipality code's made-up rate table (the README's
// JSON format) of the fiscal year of rules, version "<year>-demo".
func RateTable(code string, rules premium.Rules) ([]byte, error) {
	parts := map[string]premium.PartRates{}
	for _, p := range rules.Parts {
		r, ok := demoRates[code][p.Part]
		if !ok {
			return nil, fmt.Errorf("demo rates of %s have no part %s", code, p.Part)
		}
		parts[p.Part] = r
	}
	table := premium.RateTable{Municipality: code, FiscalYear: rules.FiscalYear, Version: strconv.Itoa(rules.FiscalYear) + "-demo",
		Source: "デモ用の架空の料率（実在の市区町村の条例ではありません） / made-up demo rates, not any ordinance",
		Parts:  parts, Instalments: premium.Instalments{Months: []int{6, 7, 8, 9, 10, 11, 12, 1, 2, 3}, Unit: 100}}
	return json.Marshal(table)
}

// Revenue is the demo revenue of the income year of the i-th person, aged
// age at its end (demoRevenue).
func Revenue(i, age int) (salary, pension, other int64) { return demoRevenue(i, age) }

// SeedAssessment enters municipality m's demo rate table of the fiscal
// year of today (confirmed by the checker), the revenue of the income year
// of its residents, and runs the year's assessment. A fiscal year bango
// has no statutory figures for is skipped (zero summary).
func SeedAssessment(ctx context.Context, st AssessStaff, m Municipality, people []Person, today time.Time) (AssessSummary, error) {
	fy := today.Year()
	if today.Month() < time.April {
		fy--
	}
	sum := AssessSummary{FiscalYear: fy}
	rules, err := premium.LoadRules(fy)
	if err != nil {
		return AssessSummary{}, nil
	}
	sum.RatesVersion = strconv.Itoa(fy) + "-demo"
	body, err := RateTable(m.Code, rules)
	if err != nil {
		return sum, err
	}
	clerk := audit.WithActor(ctx, audit.Actor{User: st.Maker.LoginID})
	checker := audit.WithActor(ctx, audit.Actor{User: st.Checker.LoginID})
	p, err := st.Service.ProposeRates(clerk, m.Code, fy, body)
	if err != nil {
		return sum, fmt.Errorf("demo rate table: %w", err)
	}
	c, err := st.Review.Submit(clerk, st.Maker, m.Code, p)
	if err != nil {
		return sum, err
	}
	if _, err := st.Review.Confirm(checker, st.Checker, m.Code, c.ID, nil); err != nil {
		return sum, fmt.Errorf("demo rate table confirmation: %w", err)
	}
	dec31 := time.Date(rules.IncomeYear, time.December, 31, 0, 0, 0, 0, time.UTC)
	for i, pr := range people {
		if pr.BirthDate.After(dec31) {
			continue
		}
		age := dec31.Year() - pr.BirthDate.Year()
		s, pe, o := demoRevenue(i, age)
		if err := st.Service.RecordRevenue(clerk, m.Code, assess.RevenueInput{ResidentCode: pr.ResidentCode, IncomeYear: strconv.Itoa(rules.IncomeYear),
			SalaryRevenue: strconv.FormatInt(s, 10), PensionRevenue: strconv.FormatInt(pe, 10), OtherIncome: strconv.FormatInt(o, 10)}); err != nil {
			return sum, fmt.Errorf("demo revenue of %s: %w", pr.ResidentCode, err)
		}
		sum.Revenues++
	}
	sum.Report, err = st.Service.Assess(clerk, m.Code, fy, nil)
	return sum, err
}
