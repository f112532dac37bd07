package assess_test

import (
	"strings"
	"testing"

	"bango/internal/nhi/assess"
	"bango/internal/store"
	"bango/internal/testutil"
)

// withRemissions adds the test's 減免 rules to the test rate table: 災害
// (disaster) 50% of the premium from 1 April 2026 and 100% from 1 January
// 2027 (not yet in force on the test's day, 2 December 2026), and 所得の激減
// (sharp income loss) 30% of the 所得割.
func withRemissions(s string) string {
	return strings.Replace(s, `"instalments"`, `"remissions": [
    {"code": "disaster", "name_ja": "災害", "name_en": "disaster", "from": "2026-04-01", "basis": "premium", "percent": 50},
    {"code": "disaster", "name_ja": "災害（改正後）", "name_en": "disaster (revised)", "from": "2027-01-01", "basis": "premium", "percent": 100},
    {"code": "income_loss", "name_ja": "所得の激減", "name_en": "sharp income loss", "from": "2026-04-01", "basis": "income", "percent": 30}
  ],
  "instalments"`, 1)
}

// R-NHI-4 (減免): a clerk enters a household's application for 減免, it
// holds only once a checker confirms it, and the confirmation re-assesses
// the household with the rule of the reason in force on the day received,
// keeping the assessment before and giving the difference; a wrong
// application is refused naming its field and writes nothing but the
// refusal's event; the yearly run keeps a decided 減免 (writes nothing).
func TestRemission(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		clerk := testutil.As("clerk")
		f.person(t, "710001", "1995-06-15")
		hh := f.household(t, "710001", "710001", "2020-04-01", "7101")
		f.revenue(t, "710001", 3_000_000, 0, 0)
		f.confirmRates(t, ratesFile(t, withRemissions))
		in := assess.RemissionInput{Household: hh, FiscalYear: 2026, Reason: "disaster", FromMonth: "2026-10", ToMonth: "2027-03", Note: "り災証明書 第12号"}

		// Not assessed yet: refused.
		if _, err := f.assess.ProposeRemission(clerk, shinjuku, in); fields(err) != "household" {
			t.Fatalf("before the assessment: %v", err)
		}
		if _, err := f.assess.Assess(clerk, shinjuku, 2026, nil); err != nil {
			t.Fatal(err)
		}
		changes := count(t, db, "review_changes")
		for _, c := range []struct {
			name, want string
			edit       func(*assess.RemissionInput)
		}{
			{"an unknown reason", "reason", func(i *assess.RemissionInput) { i.Reason = "lottery" }},
			{"a month before the year", "from_month", func(i *assess.RemissionInput) { i.FromMonth = "2026-03" }},
			{"the months reversed", "to_month", func(i *assess.RemissionInput) { i.FromMonth, i.ToMonth = "2027-02", "2026-12" }},
			{"not a month", "to_month", func(i *assess.RemissionInput) { i.ToMonth = "2027-13" }},
			{"no household", "household", func(i *assess.RemissionInput) { i.Household = 0 }},
			{"a My Number in the note", "note", func(i *assess.RemissionInput) { i.Note = "世帯主１２３４５６７８９０１８" }}, // R-AC-4
			{"another household", "household", func(i *assess.RemissionInput) { i.Household = hh + 1000 }},
			{"a year without statutory figures", "fiscal_year", func(i *assess.RemissionInput) { i.FiscalYear = 2023 }},
		} {
			bad := in
			c.edit(&bad)
			if _, err := f.assess.ProposeRemission(clerk, shinjuku, bad); fields(err) != c.want {
				t.Errorf("%s: refused on %q, want %s", c.name, fields(err), c.want)
			}
		}
		// Sapporo cannot file for Shinjuku's household.
		if _, err := f.assess.ProposeRemission(clerk, sapporo, in); err == nil {
			t.Error("another municipality filed a 減免 of this household")
		}
		if n := count(t, db, "nhi_remissions") + count(t, db, "review_changes") - changes; n != 0 {
			t.Fatalf("refused applications wrote %d rows", n)
		}
		if got := testutil.Outcomes(t, db, "nhi.remission.propose"); len(got) != 10 {
			t.Errorf("refusals recorded: %v", got)
		}

		// Filed, it waits; declined, nothing changes.
		p, err := f.assess.ProposeRemission(clerk, shinjuku, in)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(p.Summary, "災害") || !strings.Contains(p.Summary, "50%") {
			t.Errorf("summary (the rule in force on the day received is 50%%): %s", p.Summary)
		}
		c, err := f.review.Submit(clerk, f.User(t, "clerk"), shinjuku, p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.review.Confirm(clerk, f.User(t, "clerk"), shinjuku, c.ID, nil); err == nil {
			t.Fatal("the clerk confirmed their own 減免")
		}
		if _, err := f.review.Reject(testutil.As("checker"), f.User(t, "checker"), shinjuku, c.ID, "り災証明書なし"); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, "nhi_remissions"); n != 0 {
			t.Fatalf("a declined 減免 wrote %d decisions", n)
		}

		// Confirmed: 236,300 yen (TestAssess's A: 医療 171,300, 支援 57,700,
		// 子ども 7,300) with 災害 50% for October to March, 6 of 12 months,
		// 25% of each part: 医療 171,300 − 42,825 = 128,475 → 128,400;
		// 支援 57,700 − 14,425 = 43,275 → 43,200; 子ども 7,300 − 1,825 =
		// 5,475 → 5,400. 177,000: difference −59,300.
		f.enter(t, p, nil)
		hist, err := f.assess.History(clerk, shinjuku, hh)
		if err != nil || len(hist) != 2 {
			t.Fatalf("history: %+v %v", hist, err)
		}
		a := hist[0]
		if a.Total != 177_000 || a.PreviousTotal == nil || *a.PreviousTotal != 236_300 || a.Difference != -59_300 || a.Seq != 2 ||
			a.Result.BeforeRemission != 236_300 || len(a.Result.Remissions) != 1 || a.Result.Remissions[0].Amount != 59_300 ||
			a.Result.Remissions[0].Months != 6 || a.Result.Remissions[0].Rule.Percent != 50 || hist[1].Total != 236_300 {
			t.Fatalf("after 災害: %+v", a)
		}
		want := map[string][2]int64{"medical": {171_300, 128_400}, "support": {57_700, 43_200}, "child": {7_300, 5_400}}
		if len(a.Changes) != 3 {
			t.Errorf("parts changed: %+v", a.Changes)
		}
		for _, ch := range a.Changes {
			if w := want[ch.Part]; ch.Before != w[0] || ch.After != w[1] {
				t.Errorf("%s: %d → %d, want %d → %d", ch.Part, ch.Before, ch.After, w[0], w[1])
			}
		}
		var sum int64
		for _, i := range a.Result.Instalments {
			sum += i.Amount
		}
		if sum != 177_000 {
			t.Errorf("instalments add to %d", sum)
		}

		// The yearly run again keeps it: nothing written.
		r, err := f.assess.Assess(clerk, shinjuku, 2026, nil)
		if err != nil || r.Unchanged != 1 || r.Reassessed != 0 {
			t.Fatalf("run after the 減免: %+v %v", r, err)
		}

		// A second 減免, 所得の激減 30% of the 所得割 all year, after the
		// first: 医療 128,400 − 111,300 × 30% (33,390) = 95,010 → 95,000;
		// 支援 43,200 − 39,750 × 30% (11,925) = 31,275 → 31,200; 子ども
		// 5,400 − 4,770 × 30% (1,431) = 3,969 → 3,900. 130,100: −46,900.
		in2 := in
		in2.Reason, in2.FromMonth, in2.Note = "income_loss", "2026-04", "前年比 収入6割減"
		p, err = f.assess.ProposeRemission(clerk, shinjuku, in2)
		f.enter(t, p, err)
		hist, _ = f.assess.History(clerk, shinjuku, hh)
		if len(hist) != 3 || hist[0].Total != 130_100 || hist[0].Difference != -46_900 || len(hist[0].Result.Remissions) != 2 {
			t.Fatalf("after 所得の激減: %+v", hist[0])
		}
		ds, err := f.assess.Remissions(clerk, shinjuku, 2026, hh)
		if err != nil || len(ds) != 2 || ds[0].Rule.Code != "income_loss" || ds[0].Assessment != hist[0].ID || ds[1].Assessment != hist[1].ID ||
			ds[1].EnteredBy != "clerk" || ds[1].DecidedBy != "checker" || ds[1].ReceivedOn != "2026-12-02" || ds[1].Note != "り災証明書 第12号" {
			t.Errorf("decisions: %+v %v", ds, err)
		}
		if ds, err := f.assess.Remissions(testutil.As("clerk"), sapporo, 2026, 0); err != nil || len(ds) != 0 {
			t.Errorf("another municipality's decisions: %+v %v", ds, err)
		}
		if got := testutil.Outcomes(t, db, "nhi.remission"); len(got) != 2 {
			t.Errorf("decisions recorded: %v", got)
		}
	})
}
