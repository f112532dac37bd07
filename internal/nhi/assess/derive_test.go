package assess

import (
	"testing"
	"time"

	"bango/internal/nhi"
	"bango/internal/nhi/premium"
)

// R-NHI-4: the yearly run derives 特定同一世帯所属者 and the 特定世帯 (5
// years from the month of the move to 後期高齢者医療: 平等割 halved) or
// 特定継続世帯 (the 3 years after: a quarter off) relief from the
// eligibility history, month by month from the month the status begins
// (a move within the year, the five or eight years ending within it),
// only in months with one insured member left; and the 産前産後 months
// from a notified birth.
func TestExtrasApply(t *testing.T) {
	d := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	rules, err := premium.LoadRules(2026)
	if err != nil {
		t.Fatal(err)
	}
	one := nhi.YearHousehold{ID: 1, Head: "p", HeadBirth: d("1950-05-10"), Members: []nhi.YearMember{
		{ResidentCode: "s", BirthDate: d("1960-01-01"), From: d("2026-04-01")}}}
	two := nhi.YearHousehold{ID: 1, Head: "p", HeadBirth: d("1950-05-10"), Members: []nhi.YearMember{
		{ResidentCode: "s", BirthDate: d("1960-01-01"), From: d("2026-04-01")},
		{ResidentCode: "c", BirthDate: d("1990-01-01"), From: d("2026-04-01")}}}
	late := nhi.YearHousehold{ID: 1, Head: "s", HeadBirth: d("1960-01-01"), Members: []nhi.YearMember{
		{ResidentCode: "s", BirthDate: d("1960-01-01"), From: d("2026-09-15")}}}
	// p insured on 1 April, lost on the 2nd (moved to 後期高齢者医療).
	april := nhi.YearHousehold{ID: 1, Head: "p", HeadBirth: d("1950-05-10"), Members: []nhi.YearMember{
		{ResidentCode: "s", BirthDate: d("1960-01-01"), From: d("2026-04-01")},
		{ResidentCode: "p", BirthDate: d("1950-05-10"), From: d("2026-04-01"), Until: d("2026-04-02")}}}
	// c leaves NHI on 10 September: s alone insured from September.
	leaves := nhi.YearHousehold{ID: 1, Head: "p", HeadBirth: d("1950-05-10"), Members: []nhi.YearMember{
		{ResidentCode: "s", BirthDate: d("1960-01-01"), From: d("2026-04-01")},
		{ResidentCode: "c", BirthDate: d("1990-01-01"), From: d("2026-04-01"), Until: d("2026-09-10")}}}
	for _, c := range []struct {
		name   string
		y      nhi.YearHousehold
		lost   string
		gone   string
		relief string
		former bool
	}{
		// From May 2025 to April 2026: 11 months, under 60.
		{"moved 11 months before", one, "2025-05-10", "", premium.ReliefSpecific, true},
		// April 2021 to April 2026: 60 months, the sixth year: 特定継続世帯.
		{"moved 60 months before", one, "2021-04-01", "", premium.ReliefSpecificContinuing, true},
		// May 2021 to April 2026: 59 months; 60 in May.
		{"moved 59 months before", one, "2021-05-31", "", "specific 2026-05:specific_continuing", true},
		// April 2018 to April 2026: 96 months, past the 8 years: none.
		{"moved 96 months before", one, "2018-04-01", "", "", true},
		{"moved 95 months before", one, "2018-05-01", "", "specific_continuing 2026-05:", true},
		{"two insured left", two, "2025-05-10", "", "", true},
		// Month by month within the year (the relief, then each change as
		// month:relief): a move in April gives the relief from April (p is
		// an insured member until the 2nd, not a former one).
		{"moved on 2 April", april, "2026-04-02", "", premium.ReliefSpecific, false},
		{"the former member died", one, "2025-05-10", "2026-01-05", "", false},
		// Died (the departure effective) on 1 June: no relief from June.
		{"died after 1 April", one, "2025-05-10", "2026-06-01", "specific 2026-06:", true},
		// Insured from 15 September: no one insured before it.
		{"a household insured from September", late, "2026-09-01", "", " 2026-09:specific", true},
		// Two insured until c leaves in September.
		{"one insured left from September", leaves, "2025-05-10", "", " 2026-09:specific", true},
		// October 2021 to October 2026: 60 months, 特定継続世帯 from October.
		{"the five years end within the year", one, "2021-10-01", "", "specific 2026-10:specific_continuing", true},
		// October 2018 to October 2026: 96 months, no relief from October.
		{"the eight years end within the year", one, "2018-10-20", "", "specific_continuing 2026-10:", true},
	} {
		f := former{code: "p", lost: d(c.lost), birth: d("1950-05-10")}
		if c.gone != "" {
			f.departed = d(c.gone)
		}
		ex := extras{formers: map[int64][]former{1: {f}}, births: map[string]birthNotice{}}
		if c.y.Head == "s" {
			f.code = "q"
			ex.formers[1] = []former{f}
		}
		h, missing := household(2026, c.y, map[string]revenue{"p": {}, "q": {}, "s": {}, "c": {}})
		missing = ex.apply(2026, c.y, &h, map[string]revenue{"p": {}, "q": {}, "s": {}, "c": {}}, rules, missing)
		isFormer := false
		for _, m := range h.Members {
			isFormer = isFormer || m.Former
		}
		got := h.Relief
		for _, ch := range h.ReliefChanges {
			got += " " + ch.Month + ":" + ch.Relief
		}
		if got != c.relief || isFormer != c.former || len(missing) != 0 {
			t.Errorf("%s: relief %q former %v missing %v, want %q %v", c.name, got, isFormer, missing, c.relief, c.former)
		}
		// The premium engine takes what the run derived.
		if _, err := premium.Estimate(2026, h, testTable(), rules); err != nil {
			t.Errorf("%s: the engine refused the household: %v", c.name, err)
		}
	}
	// A former member without revenue is undeclared.
	ex := extras{formers: map[int64][]former{1: {{code: "q", lost: d("2025-05-10"), birth: d("1950-05-10")}}}, births: map[string]birthNotice{}}
	h, missing := household(2026, late, map[string]revenue{"s": {}})
	if missing = ex.apply(2026, late, &h, map[string]revenue{"s": {}}, rules, missing); len(missing) != 1 || missing[0] != "q" {
		t.Errorf("former without revenue: %v", missing)
	}
	// A birth notified: its month and whether it is multiple.
	ex = extras{births: map[string]birthNotice{"s": {month: "2026-08", multiple: true}}}
	h, _ = household(2026, one, map[string]revenue{"p": {}, "s": {}})
	ex.apply(2026, one, &h, nil, rules, nil)
	for _, m := range h.Members {
		if m.ID == "s" && (m.BirthMonth != "2026-08" || !m.MultipleBirth) || m.ID == "p" && m.BirthMonth != "" {
			t.Errorf("birth: %+v", m)
		}
	}
}

// testTable is the test rate table of fiscal 2026 (testdata/rates-2026.json).
func testTable() premium.RateTable {
	return premium.RateTable{Municipality: "131041", FiscalYear: 2026, Version: "t", Source: "a test table (made-up figures)",
		Parts: map[string]premium.PartRates{
			premium.Medical: {IncomeRate: "7", PerCapita: 40_000, PerHousehold: 20_000, Cap: 650_000, Rounding: 100},
			premium.Support: {IncomeRate: "2.5", PerCapita: 12_000, PerHousehold: 6_000, Cap: 240_000, Rounding: 100},
			premium.Care:    {IncomeRate: "1.5", PerCapita: 15_000, PerHousehold: 5_000, Cap: 170_000, Rounding: 100},
			premium.Child:   {IncomeRate: "0.3", PerCapita: 1_800, PerHousehold: 700, Cap: 30_000, Rounding: 100, AdultSurcharge: 100}},
		Instalments: premium.Instalments{Months: []int{7, 8, 9, 10, 11, 12, 1, 2}, Unit: 100}}
}
