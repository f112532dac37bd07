package premium

import (
	"slices"
	"strings"
	"testing"
)

// R-NHI-4 (特別徴収): the premium is collected from the head's pension when
// the head is insured, every insured member is 65–74 all year, and the
// pension insurer's notice says the pension is at least 180,000 yen a year,
// the 介護保険料 is collected from it, and the premium with the 介護保険料 is
// at most half the pension; otherwise ordinary instalments, with why.
func TestSpecialCollection(t *testing.T) {
	rules, err := LoadRules(2026)
	if err != nil {
		t.Fatal(err)
	}
	table, err := DecodeRates([]byte(`{"municipality": "131041", "fiscal_year": 2026, "version": "t", "source": "a test table (made-up figures)",
  "parts": {
    "medical": {"income_rate": "7", "per_capita": 40000, "per_household": 20000, "cap": 650000, "rounding": 100},
    "support": {"income_rate": "2.5", "per_capita": 12000, "per_household": 6000, "cap": 240000, "rounding": 100},
    "care": {"income_rate": "1.5", "per_capita": 15000, "per_household": 5000, "cap": 170000, "rounding": 100},
    "child": {"income_rate": "0.3", "per_capita": 1800, "per_household": 700, "cap": 30000, "rounding": 100, "adult_surcharge": 100}},
  "instalments": {"months": [7, 8, 9, 10, 11, 12, 1, 2], "unit": 100}}`))
	if err != nil {
		t.Fatal(err)
	}
	couple := func(head, wife string, headInsured bool, n *PensionNotice) Household {
		return Household{PensionNotice: n, Members: []Member{
			{ID: "h", Head: true, Insured: headInsured, BirthDate: head}, {ID: "w", Insured: true, BirthDate: wife}}}
	}
	notice := func(annual, care int64, special bool) *PensionNotice {
		return &PensionNotice{Annual: annual, CarePremium: care, CareSpecial: special}
	}
	// Both 71 and 67, no income: 7割. 医療 12,000 × 2 + 6,000 = 30,000;
	// 支援 3,600 × 2 + 1,800 = 9,000; 子ども 570 × 2 + 210 = 1,350 → 1,300;
	// no 介護 (65 and over). 40,300 yen. With 介護保険料 70,000: 110,300 ≤
	// 1,200,000 ÷ 2: from the pension. Not collected from it last
	// February, so newly: from October (the rules' new_start_month), each
	// pension month 40,300 ÷ 6 = 6,716 → 6,700 (October, December,
	// February: 20,100), and the table's ordinary months before October
	// (July, August, September) the rest, 20,200: 20,200 ÷ 3 = 6,733 →
	// 6,700, the first 20,200 − 13,400 = 6,800.
	r, err := Estimate(2026, couple("1955-01-01", "1958-06-01", true, notice(1_200_000, 70_000, true)), table, rules)
	if err != nil {
		t.Fatal(err)
	}
	var months []string
	var amounts []int64
	var phases []string
	for _, i := range r.Instalments {
		months, amounts, phases = append(months, i.Month), append(amounts, i.Amount), append(phases, i.Phase)
	}
	if r.Total != 40_300 || r.Collection.Method != Special || r.Collection.SpecialFrom != "2026-10" ||
		strings.Join(months, ",") != "2026-07,2026-08,2026-09,2026-10,2026-12,2027-02" ||
		!slices.Equal(amounts, []int64{6_800, 6_700, 6_700, 6_700, 6_700, 6_700}) ||
		strings.Join(phases, ",") != "ordinary,ordinary,ordinary,special,special,special" {
		t.Fatalf("special from October: total %d %+v %v %v %v", r.Total, r.Collection, months, amounts, phases)
	}
	// 仮徴収 and 本徴収 (the rules' provisional and final months, marked
	// unconfirmed in the data): collected from the pension last February at
	// 7,000 yen, April, June and August take 7,000 each (21,000); October,
	// December and February the rest, 40,300 − 21,000 = 19,300: 19,300 ÷ 3
	// = 6,433 → 6,400 in December and February, October 19,300 − 12,800 =
	// 6,500.
	h := couple("1955-01-01", "1958-06-01", true, notice(1_200_000, 70_000, true))
	h.ProvisionalBase = 7_000
	r, err = Estimate(2026, h, table, rules)
	if err != nil {
		t.Fatal(err)
	}
	months, amounts, phases = nil, nil, nil
	for _, i := range r.Instalments {
		months, amounts, phases = append(months, i.Month), append(amounts, i.Amount), append(phases, i.Phase)
	}
	if r.Collection.Method != Special || r.Collection.ProvisionalBase != 7_000 || r.Collection.ProvisionalOver ||
		strings.Join(months, ",") != "2026-04,2026-06,2026-08,2026-10,2026-12,2027-02" || !slices.Equal(amounts, []int64{7_000, 7_000, 7_000, 6_500, 6_400, 6_400}) ||
		strings.Join(phases, ",") != "provisional,provisional,provisional,final,final,final" {
		t.Fatalf("仮徴収/本徴収: %+v %v %v %v", r.Collection, months, amounts, phases)
	}
	// Last February's 15,000 would take 45,000 > 40,300 in the provisional
	// months: they take 15,000, 15,000 and the 10,300 left, the final
	// months nothing, and the collection says so.
	h.ProvisionalBase = 15_000
	if r, err = Estimate(2026, h, table, rules); err != nil {
		t.Fatal(err)
	}
	amounts = nil
	for _, i := range r.Instalments {
		amounts = append(amounts, i.Amount)
	}
	if !r.Collection.ProvisionalOver || !slices.Equal(amounts, []int64{15_000, 15_000, 10_300, 0, 0, 0}) {
		t.Errorf("provisional over the year: %+v %v", r.Collection, amounts)
	}
	// Last February's 25,000: April and June were collected before the
	// year's premium was decided (provisional_fixed: 2) and stand, 50,000 >
	// 40,300; August and the final months take nothing, and the 9,700
	// over the year is a refund.
	h.ProvisionalBase = 25_000
	if r, err = Estimate(2026, h, table, rules); err != nil {
		t.Fatal(err)
	}
	amounts = nil
	for _, i := range r.Instalments {
		amounts = append(amounts, i.Amount)
	}
	if r.Collection.Method != Special || !r.Collection.ProvisionalOver || r.Collection.Refund != 9_700 || !slices.Equal(amounts, []int64{25_000, 25_000, 0, 0, 0, 0}) {
		t.Errorf("仮徴収 over the year: %+v %v", r.Collection, amounts)
	}
	// Collected from the pension last February (7,000) but no longer
	// qualifying (a pension of 200,000: 40,300 + 70,000 > 100,000): April
	// and June's 仮徴収 stand (14,000) and the rest, 26,300, is ordinary in
	// the table's months after June: 26,300 ÷ 8 = 3,287 → 3,200 from
	// August, July 26,300 − 7 × 3,200 = 3,900.
	stopped := couple("1955-01-01", "1958-06-01", true, notice(200_000, 70_000, true))
	stopped.ProvisionalBase = 7_000
	if r, err = Estimate(2026, stopped, table, rules); err != nil {
		t.Fatal(err)
	}
	months, amounts, phases = nil, nil, nil
	for _, i := range r.Instalments {
		months, amounts, phases = append(months, i.Month), append(amounts, i.Amount), append(phases, i.Phase)
	}
	if r.Collection.Method != Ordinary || strings.Join(r.Collection.Reasons, ",") != "over_half" || r.Collection.Refund != 0 ||
		strings.Join(months, ",") != "2026-04,2026-06,2026-07,2026-08,2026-09,2026-10,2026-11,2026-12,2027-01,2027-02" ||
		!slices.Equal(amounts, []int64{7_000, 7_000, 3_900, 3_200, 3_200, 3_200, 3_200, 3_200, 3_200, 3_200}) ||
		strings.Join(phases[:3], ",") != "provisional,provisional,ordinary" {
		t.Errorf("仮徴収 then ordinary: %+v %v %v %v", r.Collection, months, amounts, phases)
	}
	// A negative base is refused on its field.
	h.ProvisionalBase = -1
	if _, err := Estimate(2026, h, table, rules); err == nil || !strings.Contains(err.Error(), "provisional_base") {
		t.Errorf("a negative provisional base: %v", err)
	}

	for _, c := range []struct {
		name string
		h    Household
		want string
	}{
		{"no notice", couple("1955-01-01", "1958-06-01", true, nil), "no_pension_notice"},
		{"a pension of 170,000", couple("1955-01-01", "1958-06-01", true, notice(170_000, 10_000, true)), "pension_under_minimum"},
		{"介護保険料 not from the pension", couple("1955-01-01", "1958-06-01", true, notice(1_200_000, 70_000, false)), "care_not_special"},
		// 40,300 + 70,000 = 110,300 > 200,000 ÷ 2.
		{"over half the pension", couple("1955-01-01", "1958-06-01", true, notice(200_000, 70_000, true)), "over_half"},
		// 40,300 + 59,700 = 100,000 = 200,000 ÷ 2: still from the pension.
		{"exactly half", couple("1955-01-01", "1958-06-01", true, notice(200_000, 59_700, true)), ""},
		{"a member of 64", couple("1955-01-01", "1962-01-01", true, notice(1_200_000, 70_000, true)), "member_age"},
		{"the head 75 within the year", couple("1951-10-01", "1958-06-01", true, notice(1_200_000, 70_000, true)), "member_age"},
		{"a head outside NHI", couple("1955-01-01", "1958-06-01", false, notice(1_200_000, 70_000, true)), "head_not_insured"},
	} {
		r, err := Estimate(2026, c.h, table, rules)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got := strings.Join(r.Collection.Reasons, ",")
		if c.want == "" && (r.Collection.Method != Special || got != "") || c.want != "" && (r.Collection.Method != Ordinary || got != c.want || len(r.Instalments) != 8) {
			t.Errorf("%s: %s %q (%d instalments), want %q", c.name, r.Collection.Method, got, len(r.Instalments), c.want)
		}
	}
}
