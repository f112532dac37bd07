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
// eligibility history, judged on 1 April (or the household's first
// insured day), only with one insured member left; and the 産前産後 months
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
		{"moved 59 months before", one, "2021-05-31", "", premium.ReliefSpecific, true},
		// April 2018 to April 2026: 96 months, past the 8 years: none.
		{"moved 96 months before", one, "2018-04-01", "", "", true},
		{"moved 95 months before", one, "2018-05-01", "", premium.ReliefSpecificContinuing, true},
		{"two insured left", two, "2025-05-10", "", "", true},
		{"moved after 1 April", one, "2026-04-02", "", "", false},
		{"the former member died", one, "2025-05-10", "2026-01-05", "", false},
		{"died after 1 April", one, "2025-05-10", "2026-06-01", premium.ReliefSpecific, true},
		// Insured from 15 September: judged that day.
		{"a household insured from September", late, "2026-09-01", "", premium.ReliefSpecific, true},
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
		if h.Relief != c.relief || isFormer != c.former || len(missing) != 0 {
			t.Errorf("%s: relief %q former %v missing %v, want %q %v", c.name, h.Relief, isFormer, missing, c.relief, c.former)
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
