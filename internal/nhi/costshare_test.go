package nhi_test

import (
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"bango/internal/nhi"
	"bango/internal/store"
	"bango/internal/testutil"
)

// R-NHI-3: the 70–74 cost share on each side of every threshold, for a
// household of one and of two 70–74 members and of one with a former
// member now in 後期高齢者医療 (within the rule's five years, and not),
// and the 旧ただし書所得 rule only for members born on or after 2 January
// 1945; each decision is recorded with its period, rule, rule version and
// the figures it used.
func TestCostShare(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		for _, r := range [][2]string{
			{"600001", "1955-05-10"}, // A: alone, 70 from 2025-06-01
			{"600002", "1954-03-03"}, // B: two members
			{"600003", "1953-09-09"},
			{"600004", "1955-01-20"}, // C: with a former member
			{"600005", "1950-03-03"}, //    … in 後期高齢者医療 from 2025-03-03
			{"600006", "1955-02-02"}, // D: with a former member
			{"600007", "1945-02-02"}, //    … in 後期高齢者医療 from 2020-02-02, more than five years before
			{"600008", "1944-06-01"}, // E: 2015, born before 2 January 1945
			{"600009", "1945-01-02"}, // G: 2015, born on 2 January 1945
			{"600010", "1990-01-01"}, // H: nobody aged 70–74
		} {
			f.person(t, shinjuku, r[0], "テスト", r[1])
		}
		hA := f.newHousehold(t, "600001", "600001", "2024-04-01", "6001")
		hB := f.newHousehold(t, "600002", "600002", "2024-04-01", "6002")
		f.join(t, "600003", hB, "2024-04-01", "6002", "02")
		hC := f.newHousehold(t, "600004", "600004", "2024-04-01", "6004")
		f.join(t, "600005", hC, "2024-04-01", "6004", "02") // past 75 already: lost at once
		hD := f.newHousehold(t, "600006", "600006", "2019-04-01", "6006")
		f.join(t, "600007", hD, "2019-04-01", "6006", "02")
		hE := f.newHousehold(t, "600008", "600008", "2014-01-01", "6008")
		hG := f.newHousehold(t, "600009", "600009", "2014-01-01", "6009")
		hH := f.newHousehold(t, "600010", "600010", "2024-04-01", "6010")
		clerk := testutil.As("clerk")
		income := func(code string, year int, taxable, revenue, proviso int64) {
			t.Helper()
			if err := f.nhi.RecordIncome(clerk, shinjuku, nhi.IncomeInput{ResidentCode: code, IncomeYear: strconv.Itoa(year),
				TaxableIncome: strconv.FormatInt(taxable, 10), Revenue: strconv.FormatInt(revenue, 10), OldProvisoIncome: strconv.FormatInt(proviso, 10)}); err != nil {
				t.Fatal(err)
			}
		}
		// Refused: no income entered, nobody aged 70–74, a wrong amount.
		if _, err := f.nhi.DetermineCostShare(clerk, shinjuku, hB, "2026-08-01"); fields(err) != "income,income" {
			t.Errorf("without incomes: %v", err)
		}
		if _, err := f.nhi.DetermineCostShare(clerk, shinjuku, hH, "2026-08-01"); fields(err) != "household" {
			t.Errorf("nobody aged 70–74: %v", err)
		}
		if _, err := f.nhi.DetermineCostShare(clerk, shinjuku, hA, "2025-05-31"); fields(err) != "household" {
			t.Errorf("before the month after the 70th year: %v", err)
		}
		if err := f.nhi.RecordIncome(clerk, shinjuku, nhi.IncomeInput{ResidentCode: "600001", IncomeYear: "2026", TaxableIncome: "-1", Revenue: "x", OldProvisoIncome: ""}); fields(err) != "income_year,taxable_income,revenue,old_proviso_income" {
			t.Errorf("wrong income: %v", err)
		}
		type inc struct {
			code                      string
			taxable, revenue, proviso int64
		}
		for _, tc := range []struct {
			name    string
			hh      int64
			on      string
			incomes []inc
			ratio   int
			rule    string
			revenue int64 // the revenue total the basis compared
			former  int
		}{
			{"one: 課税所得 under 145万", hA, "2026-08-01", []inc{{"600001", 1_449_999, 5_000_000, 3_000_000}}, 2, nhi.RuleTaxableUnder, 5_000_000, 0},
			{"one: 旧ただし書所得 210万", hA, "2026-08-01", []inc{{"600001", 1_450_000, 5_000_000, 2_100_000}}, 2, nhi.RuleOldProviso, 5_000_000, 0},
			{"one: 収入 under 383万", hA, "2026-08-01", []inc{{"600001", 1_450_000, 3_829_999, 2_100_001}}, 2, nhi.RuleRevenueSingle, 3_829_999, 0},
			{"one: 収入 383万", hA, "2026-08-01", []inc{{"600001", 1_450_000, 3_830_000, 2_100_001}}, 3, nhi.RuleTaxableAtOrAbove, 3_830_000, 0},
			{"two: 課税所得 under 145万", hB, "2026-08-01", []inc{{"600002", 1_449_999, 3_000_000, 2_000_000}, {"600003", 0, 3_000_000, 1_000_000}}, 2, nhi.RuleTaxableUnder, 6_000_000, 0},
			{"two: 旧ただし書所得 210万 together", hB, "2026-08-01", []inc{{"600002", 1_450_000, 3_000_000, 1_050_000}, {"600003", 0, 2_500_000, 1_050_000}}, 2, nhi.RuleOldProviso, 5_500_000, 0},
			{"two: 収入 under 520万 together", hB, "2026-08-01", []inc{{"600002", 1_450_000, 3_000_000, 1_050_001}, {"600003", 0, 2_199_999, 1_050_000}}, 2, nhi.RuleRevenueMulti, 5_199_999, 0},
			{"two: 収入 520万 together", hB, "2026-08-01", []inc{{"600002", 1_450_000, 3_000_000, 1_050_001}, {"600003", 0, 2_200_000, 1_050_000}}, 3, nhi.RuleTaxableAtOrAbove, 5_200_000, 0},
			{"two: each under 383万 is not enough", hB, "2026-08-01", []inc{{"600002", 1_450_000, 3_829_999, 1_050_001}, {"600003", 0, 3_829_999, 1_050_000}}, 3, nhi.RuleTaxableAtOrAbove, 7_659_998, 0},
			{"one and a former member: under 520万", hC, "2026-08-01", []inc{{"600004", 1_450_000, 3_830_000, 2_100_001}, {"600005", 0, 1_369_999, 0}}, 2, nhi.RuleRevenueWithFormer, 5_199_999, 1},
			{"one and a former member: 520万", hC, "2026-08-01", []inc{{"600005", 0, 1_370_000, 0}}, 3, nhi.RuleTaxableAtOrAbove, 3_830_000, 1},
			{"one and a former member: alone under 383万", hC, "2026-08-01", []inc{{"600004", 1_450_000, 3_829_999, 2_100_001}}, 2, nhi.RuleRevenueSingle, 3_829_999, 1},
			{"a former member more than five years ago does not count", hD, "2026-08-01", []inc{{"600006", 1_450_000, 3_830_000, 2_100_001}, {"600007", 0, 0, 0}}, 3, nhi.RuleTaxableAtOrAbove, 3_830_000, 0},
			{"born before 2 January 1945: no 旧ただし書所得 rule", hE, "2015-08-01", []inc{{"600008", 1_450_000, 4_000_000, 1_000_000}}, 3, nhi.RuleTaxableAtOrAbove, 4_000_000, 0},
			{"born on 2 January 1945: the 旧ただし書所得 rule", hG, "2015-08-01", []inc{{"600009", 1_450_000, 4_000_000, 1_000_000}}, 2, nhi.RuleOldProviso, 4_000_000, 0},
		} {
			year := 2025
			if tc.on == "2015-08-01" {
				year = 2014
			}
			for _, i := range tc.incomes {
				income(i.code, year, i.taxable, i.revenue, i.proviso)
			}
			d, err := f.nhi.DetermineCostShare(clerk, shinjuku, tc.hh, tc.on)
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
				continue
			}
			wantTo := "2027-07-31"
			if year == 2014 {
				wantTo = "2016-07-31"
			}
			if d.Ratio != tc.ratio || d.Rule != tc.rule || d.Basis.RevenueTotal != tc.revenue || len(d.Basis.Former) != tc.former ||
				d.RuleVersion != "2015-01" || d.Basis.Thresholds.TaxableIncomeMin != 1_450_000 || d.Basis.IncomeYear != year ||
				nhi.Date(d.PeriodFrom) != tc.on || nhi.Date(d.PeriodTo) != wantTo {
				t.Errorf("%s: %d割 by %s (revenue %d, former %d, version %s, income year %d, period %s..%s), want %d割 by %s (revenue %d, former %d)",
					tc.name, d.Ratio, d.Rule, d.Basis.RevenueTotal, len(d.Basis.Former), d.RuleVersion, d.Basis.IncomeYear,
					nhi.Date(d.PeriodFrom), nhi.Date(d.PeriodTo), tc.ratio, tc.rule, tc.revenue, tc.former)
			}
			// Recorded as decided, with its basis.
			got, err := f.nhi.CostShareDecisions(clerk, shinjuku, tc.hh)
			if err != nil || len(got) == 0 {
				t.Fatalf("%s: decisions %v %v", tc.name, got, err)
			}
			if diff := cmp.Diff(d, got[0]); diff != "" {
				t.Errorf("%s: the recorded decision differs (-decided +recorded):\n%s", tc.name, diff)
			}
		}
		// Each 70–74 member decided for has each decision as an event
		// (a clerk's, and the re-decisions that followed a new income).
		ds, err := f.nhi.CostShareDecisions(clerk, shinjuku, hB)
		if err != nil {
			t.Fatal(err)
		}
		if n := testutil.CountEvents(t, db, `action = 'nhi.cost_share' AND subject_type = 'nhi_insured' AND subject_id = '600003'`); n != len(ds) || n < 5 {
			t.Errorf("600003 has %d cost-share events, want one for each of the household's %d decisions (5 or more)", n, len(ds))
		}
	})
}

// R-NHI-3: the yearly decision of 1 August decides every household with
// a member aged 70–74 that day, lists the households whose figures are
// missing with the reason, and run again records only what changed.
func TestRedetermineCostShares(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		for _, r := range [][2]string{
			{"610001", "1955-05-10"}, // A: 71 on 2026-08-01
			{"610002", "1954-03-03"}, // B: two members, one income missing
			{"610003", "1953-09-09"},
			{"610004", "1990-01-01"}, // nobody aged 70–74
			{"610005", "1951-06-01"}, // 75 on 2026-06-01: in 後期高齢者医療 by August
			{"610006", "1956-08-15"}, // 70 in August: 70–74 only from 1 September
		} {
			f.person(t, shinjuku, r[0], "テスト", r[1])
		}
		hA := f.newHousehold(t, "610001", "610001", "2024-04-01", "6101")
		hB := f.newHousehold(t, "610002", "610002", "2024-04-01", "6102")
		f.join(t, "610003", hB, "2024-04-01", "6102", "02")
		f.newHousehold(t, "610004", "610004", "2024-04-01", "6104")
		f.newHousehold(t, "610005", "610005", "2024-04-01", "6105")
		f.newHousehold(t, "610006", "610006", "2024-04-01", "6106")
		clerk := testutil.As("clerk")
		income := func(code, taxable string) {
			t.Helper()
			if err := f.nhi.RecordIncome(clerk, shinjuku, nhi.IncomeInput{ResidentCode: code, IncomeYear: "2025", TaxableIncome: taxable,
				Revenue: "4,000,000", OldProvisoIncome: "2,500,000"}); err != nil {
				t.Fatal(err)
			}
		}
		income("610001", "1,000,000")
		income("610002", "2,000,000")
		run := func() nhi.CostShareReport {
			t.Helper()
			r, err := f.nhi.RedetermineCostShares(clerk, shinjuku, 2026)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		refusedB := []nhi.Refusal{{Household: hB, Fields: []string{"income"}, Reason: "宛名番号 610003 の2025年の所得が登録されていません。"}}
		r := run()
		if r.Households != 2 || r.Decided != 1 || r.Changed != 0 || r.Unchanged != 0 || r.Ratio2 != 1 || r.Ratio3 != 0 || !cmp.Equal(r.Refused, refusedB) {
			t.Errorf("first run: %+v", r)
		}
		if r := run(); r.Households != 2 || r.Decided != 0 || r.Unchanged != 1 || r.Ratio2 != 1 || !cmp.Equal(r.Refused, refusedB) {
			t.Errorf("run again: %+v", r)
		}
		income("610001", "1,450,000") // 収入 400万 ≥ 383万, 旧ただし書所得 250万 > 210万: 3割
		income("610003", "0")         // B: 課税所得 200万, 収入 800万 together: 3割
		// A's decision of the period was decided again when its income
		// changed, and stands; B's is its first.
		if r := run(); r.Households != 2 || r.Decided != 1 || r.Changed != 0 || r.Unchanged != 1 || r.Ratio3 != 2 || r.Ratio2 != 0 || len(r.Refused) != 0 {
			t.Errorf("after the incomes changed: %+v", r)
		}
		ds, err := f.nhi.CostShareDecisions(clerk, shinjuku, hA)
		if err != nil || len(ds) != 2 || ds[0].Ratio != 3 || ds[1].Ratio != 2 || nhi.Date(ds[0].PeriodFrom) != "2026-08-01" ||
			ds[0].Cause != nhi.CauseIncome || ds[1].Cause != nhi.CauseYearly {
			t.Errorf("household A's decisions: %+v %v", ds, err)
		}
		if _, err := f.nhi.RedetermineCostShares(clerk, shinjuku, 2014); fields(err) != "fiscal_year" {
			t.Errorf("a fiscal year before the rules: %v", err)
		}
		if n := testutil.CountEvents(t, db, `action = 'nhi.cost_share.batch' AND outcome = 'ok'`); n != 3 {
			t.Errorf("%d runs recorded, want 3", n)
		}
	})
}
