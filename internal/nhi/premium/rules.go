package premium

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"time"

	"bango/internal/errs"
)

// The statutory figures of each fiscal year (fiscal<Y>.json) and the
// income-conversion tables of each income year (income<Y>.json), shipped
// with the binary. Every record names its source; a figure that could not
// be checked says so in "unconfirmed".
//
//go:embed data/*.json
var dataFS embed.FS

// Sourced is where a record's figures come from. Unconfirmed, when set,
// says which of them could not be checked against a primary source.
type Sourced struct {
	Source      string `json:"source"`
	Unconfirmed string `json:"unconfirmed,omitempty"`
}

// The parts of a premium. A fiscal year's rules list the parts that exist
// that year; a rate table must give exactly those.
const (
	Medical = "medical" // 医療分
	Support = "support" // 後期高齢者支援金等分
	Care    = "care"    // 介護納付金分
	Child   = "child"   // 子ども・子育て支援金分 (from fiscal 2026)
)

// PartRule is what the law says of one part in a fiscal year.
type PartRule struct {
	Part         string `json:"part"`
	NameJA       string `json:"name_ja"`
	StatutoryCap int64  `json:"statutory_cap"` // 賦課限度額 the law allows at most
	// AgeFrom and AgeUntil bound the ages charged (介護分: 40 to 64), from
	// the month the first is reached to the month before the second is;
	// both zero: every age.
	AgeFrom  int `json:"age_from,omitempty"`
	AgeUntil int `json:"age_until,omitempty"`
	// EqualExemptUntilAge exempts from 均等割 until the 31 March after this
	// age is reached (子ども・子育て支援金分: 18); zero: no exemption.
	EqualExemptUntilAge int  `json:"equal_exempt_until_age,omitempty"`
	PreschoolHalf       bool `json:"preschool_half,omitempty"`     // 未就学児の均等割 halved
	Perinatal           bool `json:"perinatal,omitempty"`          // 産前産後 exemption applies
	SpecificHousehold   bool `json:"specific_household,omitempty"` // 特定世帯・特定継続世帯 relief of 平等割
	Sourced
}

// DeductionStep is the basic deduction for total incomes up to UpTo
// (zero: any income).
type DeductionStep struct {
	UpTo      int64 `json:"up_to"`
	Deduction int64 `json:"deduction"`
}

// BasicDeduction is the deduction from a member's total income before
// 所得割 (基礎控除, 430,000 yen for most), by total income.
type BasicDeduction struct {
	Steps []DeductionStep `json:"steps"`
	Sourced
}

// Level is one low-income reduction (軽減): Percent of 均等割 and 平等割
// off when the household's income is at most the base plus PerInsured for
// each insured (and 特定同一世帯所属者).
type Level struct {
	Percent    int   `json:"percent"`
	PerInsured int64 `json:"per_insured"`
}

// Reduction is the low-income reduction test (軽減判定) of a fiscal year.
type Reduction struct {
	Base                    int64   `json:"base"`
	PerEarner               int64   `json:"per_earner"` // × (給与所得者等 − 1)
	Levels                  []Level `json:"levels"`     // the highest percent first
	EarnerSalaryOver        int64   `json:"earner_salary_over"`
	EarnerPensionOverUnder  int64   `json:"earner_pension_over_under"`
	EarnerPensionOverSenior int64   `json:"earner_pension_over_senior"`
	SeniorAge               int     `json:"senior_age"`
	SeniorPensionDeduction  int64   `json:"senior_pension_deduction"` // in the test only
	Sourced
}

// AgeRule is a status held until the 31 March after an age is reached.
type AgeRule struct {
	UntilAge int `json:"until_age"`
	Sourced
}

// Perinatal is the 産前産後 exemption: the months from MonthsBefore
// before the birth month, for Months months (more for a multiple birth),
// never a month before FromMonth.
type Perinatal struct {
	FromMonth            string `json:"from_month"` // YYYY-MM
	SingleMonthsBefore   int    `json:"single_months_before"`
	SingleMonths         int    `json:"single_months"`
	MultipleMonthsBefore int    `json:"multiple_months_before"`
	MultipleMonths       int    `json:"multiple_months"`
	Sourced
	from time.Time
}

// SpecialRule is when the premium is collected from the head's pension
// (特別徴収) instead of ordinary instalments: the head insured, every
// insured member aged AgeFrom to AgeUntil−1 all year, the pension's annual
// amount at least PensionMin, the 介護保険料 collected from the same
// pension, and the NHI premium with the 介護保険料 at most ShareNum/ShareDen
// of the pension. Months are the pension months the premium falls due in.
type SpecialRule struct {
	AgeFrom    int   `json:"age_from"`
	AgeUntil   int   `json:"age_until"`
	PensionMin int64 `json:"pension_min"`
	ShareNum   int64 `json:"share_num"`
	ShareDen   int64 `json:"share_den"`
	Months     []int `json:"months"`
	Unit       int64 `json:"unit"`
	// ProvisionalMonths (仮徴収) take, each, the household's premium
	// collected from the pension in February of the year before; the
	// FinalMonths (本徴収) the rest of the year's premium, spread as plan
	// spreads it. Without them, or for a household not collected from the
	// pension last February, the premium is spread over Months.
	ProvisionalMonths []int `json:"provisional_months,omitempty"`
	FinalMonths       []int `json:"final_months,omitempty"`
	// ProvisionalFixed is how many of the provisional months are
	// collected before the year's premium is decided: they take the base
	// even when it is more than the premium (the excess is refunded), and
	// stand when the household is no longer collected from the pension
	// (the rest is then ordinary). 0: none.
	ProvisionalFixed int `json:"provisional_fixed,omitempty"`
	// NewStartMonth is the pension month a household newly collected from
	// the pension starts in (ordinary instalments before); 0: from the
	// first pension month.
	NewStartMonth int `json:"new_start_month,omitempty"`
	Sourced
}

// Fraction is what is left of an amount: Num/Den.
type Fraction struct {
	Num int64 `json:"num"`
	Den int64 `json:"den"`
	// Years is how long it lasts (特定世帯: the 5 years from the month of
	// the move to 後期高齢者医療; 特定継続世帯: the 3 years after those).
	Years int `json:"years,omitempty"`
	Sourced
}

// Rules are the statutory figures of one fiscal year, with the income
// tables of the year whose income the fiscal year assesses.
type Rules struct {
	FiscalYear         int            `json:"fiscal_year"`
	Version            string         `json:"version"`
	IncomeYear         int            `json:"income_year"`
	LateElderlyAge     int            `json:"late_elderly_age"` // NHI ends on this birthday (後期高齢者医療)
	Parts              []PartRule     `json:"parts"`
	BasicDeduction     BasicDeduction `json:"basic_deduction"`
	Reduction          Reduction      `json:"reduction"`
	Preschool          AgeRule        `json:"preschool"`
	Perinatal          Perinatal      `json:"perinatal"`
	SpecificHousehold  Fraction       `json:"specific_household"`
	SpecificContinuing Fraction       `json:"specific_continuing"`
	SpecialCollection  SpecialRule    `json:"special_collection"`
	Income             IncomeTable    `json:"-"`
}

// Part returns the rule of part p, if the year has it.
func (r Rules) Part(p string) (PartRule, bool) {
	for _, pr := range r.Parts {
		if pr.Part == p {
			return pr, true
		}
	}
	return PartRule{}, false
}

// Bracket is one income bracket from revenue From upward: the revenue is
// rounded down to Step, and the income is what is left after DeductionBP
// (basis points of the rounded revenue, the income's fraction of a yen
// dropped) and Add.
type Bracket struct {
	From        int64 `json:"from"`
	Step        int64 `json:"step"`
	DeductionBP int64 `json:"deduction_bp"`
	Add         int64 `json:"add"`
}

// SalaryTable converts salary revenue to 給与所得 (給与所得控除).
type SalaryTable struct {
	Brackets []Bracket `json:"brackets"`
	Sourced
}

// OtherIncomeStep lowers the pension deduction by Less when the holder's
// other income is over Over.
type OtherIncomeStep struct {
	Over int64 `json:"over"`
	Less int64 `json:"less"`
}

// PensionTable converts public pension revenue to 公的年金等所得, by the
// holder's age on 31 December of the income year.
type PensionTable struct {
	SeniorAge       int               `json:"senior_age"`
	Under           []Bracket         `json:"under"`
	Senior          []Bracket         `json:"senior"`
	OtherIncomeOver []OtherIncomeStep `json:"other_income_over"`
	Sourced
}

// Adjustment is 所得金額調整控除 for those with both salary and pension
// income: min(salary income, SalaryCap) + min(pension income, PensionCap)
// − Less comes off the salary income.
type Adjustment struct {
	SalaryCap  int64 `json:"salary_cap"`
	PensionCap int64 `json:"pension_cap"`
	Less       int64 `json:"less"`
	Sourced
}

// IncomeTable is the income conversion of one income year.
type IncomeTable struct {
	IncomeYear int          `json:"income_year"`
	Version    string       `json:"version"`
	Salary     SalaryTable  `json:"salary"`
	Pension    PensionTable `json:"pension"`
	Adjustment Adjustment   `json:"adjustment"`
}

var (
	msgNoYear = func(what string, y int) errs.Message {
		return errs.Message{JA: strconv.Itoa(y) + "年度の" + what + "がありません（年度の法定の数値がない年は計算できません）",
			EN: fmt.Sprintf("bango has no %s for %d: a year without its statutory figures cannot be computed", what, y)}
	}
	msgBadData = errs.Message{JA: "法定の数値のデータが正しくありません", EN: "the statutory data is not valid"}
)

// LoadRules returns the statutory rules of fiscal year fy with the income
// table of the income year they assess. A year without data is an error,
// never another year's figures.
func LoadRules(fy int) (Rules, error) {
	b, err := fs.ReadFile(dataFS, fmt.Sprintf("data/fiscal%d.json", fy))
	if err != nil {
		var fe errs.FieldErrors
		fe.Add("fiscal_year", msgNoYear("法定の保険料の数値", fy))
		return Rules{}, &fe
	}
	r, err := ParseRules(b)
	if err != nil {
		return Rules{}, errs.Wrap(errs.Internal, err, "data/fiscal%d.json", fy)
	}
	if r.FiscalYear != fy {
		return Rules{}, errs.E(errs.Internal, "data/fiscal%d.json holds fiscal year %d", fy, r.FiscalYear)
	}
	r.Income, err = LoadIncomeTable(r.IncomeYear)
	if err != nil {
		return Rules{}, err
	}
	return r, nil
}

// LoadIncomeTable returns the income conversion of income year y.
func LoadIncomeTable(y int) (IncomeTable, error) {
	b, err := fs.ReadFile(dataFS, fmt.Sprintf("data/income%d.json", y))
	if err != nil {
		var fe errs.FieldErrors
		fe.Add("income_year", errs.Message{JA: strconv.Itoa(y) + "年分の所得の計算表（給与所得控除・公的年金等控除）がありません",
			EN: fmt.Sprintf("bango has no income conversion tables for %d income", y)})
		return IncomeTable{}, &fe
	}
	t, err := ParseIncomeTable(b)
	if err != nil {
		return IncomeTable{}, errs.Wrap(errs.Internal, err, "data/income%d.json", y)
	}
	if t.IncomeYear != y {
		return IncomeTable{}, errs.E(errs.Internal, "data/income%d.json holds income year %d", y, t.IncomeYear)
	}
	return t, nil
}

// strict decodes b into v, refusing unknown fields and trailing data,
// and names the field of a wrong value.
func strict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		var fe errs.FieldErrors
		fe.Add("(file)", errs.Message{JA: "JSONの後に余分なデータがあります", EN: "has data after the JSON value"})
		return &fe
	}
	return nil
}

// ParseRules decodes and checks a fiscal year's statutory rules.
func ParseRules(b []byte) (Rules, error) {
	var r Rules
	if err := strict(b, &r); err != nil {
		return r, err
	}
	var fe errs.FieldErrors
	bad := func(field string) { fe.Add(field, msgBadData) }
	if r.FiscalYear < 2000 || r.FiscalYear > 2200 {
		bad("fiscal_year")
	}
	if r.Version == "" {
		bad("version")
	}
	if r.IncomeYear != r.FiscalYear-1 {
		bad("income_year")
	}
	if r.LateElderlyAge <= 0 {
		bad("late_elderly_age")
	}
	if len(r.Parts) == 0 {
		bad("parts")
	}
	seen := map[string]bool{}
	for i, p := range r.Parts {
		f := fmt.Sprintf("parts[%d]", i)
		switch p.Part {
		case Medical, Support, Care, Child:
		default:
			bad(f + ".part")
		}
		if seen[p.Part] {
			bad(f + ".part")
		}
		seen[p.Part] = true
		if p.StatutoryCap <= 0 {
			bad(f + ".statutory_cap")
		}
		if p.AgeFrom < 0 || p.AgeUntil < 0 || (p.AgeUntil != 0 && p.AgeUntil <= p.AgeFrom) {
			bad(f + ".age_until")
		}
		if p.EqualExemptUntilAge < 0 {
			bad(f + ".equal_exempt_until_age")
		}
		sourced(&fe, f, p.Sourced)
	}
	if !seen[Medical] || !seen[Support] || !seen[Care] {
		bad("parts")
	}
	d := r.BasicDeduction.Steps
	if len(d) == 0 || d[len(d)-1].UpTo != 0 {
		bad("basic_deduction.steps")
	}
	for i, s := range d {
		if s.Deduction < 0 || (i < len(d)-1 && (s.UpTo <= 0 || (i > 0 && s.UpTo <= d[i-1].UpTo))) {
			bad(fmt.Sprintf("basic_deduction.steps[%d]", i))
		}
	}
	sourced(&fe, "basic_deduction", r.BasicDeduction.Sourced)
	red := r.Reduction
	if red.Base <= 0 || red.PerEarner < 0 || red.EarnerSalaryOver < 0 || red.EarnerPensionOverUnder < 0 ||
		red.EarnerPensionOverSenior < 0 || red.SeniorAge <= 0 || red.SeniorPensionDeduction < 0 || len(red.Levels) == 0 {
		bad("reduction")
	}
	for i, l := range red.Levels {
		if l.Percent <= 0 || l.Percent >= 100 || l.PerInsured < 0 ||
			(i > 0 && (l.Percent >= red.Levels[i-1].Percent || l.PerInsured <= red.Levels[i-1].PerInsured)) {
			bad(fmt.Sprintf("reduction.levels[%d]", i))
		}
	}
	sourced(&fe, "reduction", red.Sourced)
	if r.Preschool.UntilAge <= 0 {
		bad("preschool.until_age")
	}
	sourced(&fe, "preschool", r.Preschool.Sourced)
	pn := &r.Perinatal
	from, err := time.Parse("2006-01", pn.FromMonth)
	if err != nil {
		bad("perinatal.from_month")
	}
	pn.from = from
	if pn.SingleMonthsBefore < 0 || pn.SingleMonths <= 0 || pn.MultipleMonthsBefore < 0 || pn.MultipleMonths <= 0 {
		bad("perinatal")
	}
	sourced(&fe, "perinatal", pn.Sourced)
	sc := r.SpecialCollection
	if sc.ProvisionalFixed < 0 || sc.ProvisionalFixed > len(sc.ProvisionalMonths) {
		bad("special_collection.provisional_fixed")
	}
	if sc.NewStartMonth != 0 && !slices.Contains(sc.Months, sc.NewStartMonth) {
		bad("special_collection.new_start_month")
	}
	if len(sc.Months) > 0 && sc.Unit <= 0 {
		bad("special_collection.unit")
	}
	for _, fr := range []struct {
		name string
		f    Fraction
	}{{"specific_household", r.SpecificHousehold}, {"specific_continuing", r.SpecificContinuing}} {
		if fr.f.Den <= 0 || fr.f.Num < 0 || fr.f.Num > fr.f.Den {
			bad(fr.name)
		}
		sourced(&fe, fr.name, fr.f.Sourced)
	}
	return r, fe.Err()
}

// ParseIncomeTable decodes and checks an income year's conversion tables.
func ParseIncomeTable(b []byte) (IncomeTable, error) {
	var t IncomeTable
	if err := strict(b, &t); err != nil {
		return t, err
	}
	var fe errs.FieldErrors
	if t.IncomeYear < 1990 || t.IncomeYear > 2200 {
		fe.Add("income_year", msgBadData)
	}
	if t.Version == "" {
		fe.Add("version", msgBadData)
	}
	brackets(&fe, "salary.brackets", t.Salary.Brackets)
	sourced(&fe, "salary", t.Salary.Sourced)
	if t.Pension.SeniorAge <= 0 {
		fe.Add("pension.senior_age", msgBadData)
	}
	brackets(&fe, "pension.under", t.Pension.Under)
	brackets(&fe, "pension.senior", t.Pension.Senior)
	for i, s := range t.Pension.OtherIncomeOver {
		if s.Over <= 0 || s.Less < 0 || (i > 0 && s.Over <= t.Pension.OtherIncomeOver[i-1].Over) {
			fe.Add(fmt.Sprintf("pension.other_income_over[%d]", i), msgBadData)
		}
	}
	sourced(&fe, "pension", t.Pension.Sourced)
	if a := t.Adjustment; a.SalaryCap < 0 || a.PensionCap < 0 || a.Less < 0 {
		fe.Add("adjustment", msgBadData)
	}
	sourced(&fe, "adjustment", t.Adjustment.Sourced)
	return t, fe.Err()
}

func brackets(fe *errs.FieldErrors, field string, bs []Bracket) {
	if len(bs) == 0 || bs[0].From != 0 {
		fe.Add(field, msgBadData)
	}
	for i, b := range bs {
		if b.Step <= 0 || b.DeductionBP < 0 || b.DeductionBP > 10000 || (i > 0 && b.From <= bs[i-1].From) {
			fe.Add(fmt.Sprintf("%s[%d]", field, i), msgBadData)
		}
	}
}

func sourced(fe *errs.FieldErrors, field string, s Sourced) {
	if s.Source == "" {
		fe.Add(field+".source", errs.Message{JA: "出典がありません", EN: "has no source"})
	}
}
