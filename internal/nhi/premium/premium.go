// Package premium computes the National Health Insurance premium of a
// household for a fiscal year (R-NHI-4): income from revenue, 所得割,
// 均等割 and 平等割 per part, the 7/5/2割 reductions, the pre-school,
// 産前産後 and under-18 reliefs, monthly proration, the cap and the rounding
// of each part, and the instalment plan. It is pure: no database and no
// clock, so that the yearly assessment, the estimate screen and the
// command line give the same answer from the same data. Every statutory
// figure comes from the embedded data of its fiscal or income year, every
// municipal one from a RateTable; a result names the versions it used.
//
// The order, per part and per member, for each month the member is
// charged (the month of acquisition counts, the month of loss does not):
// 均等割 (plus the adult surcharge of 子ども・子育て支援金分), less the
// low-income reduction, halved for a pre-school child, nothing in a month
// of 産前産後 exemption or (子ども・子育て支援金分) while under 18; 所得割 on
// the member's 旧ただし書所得 for the months charged less the 産前産後
// months; 平等割 for the months anyone is charged, less the 特定世帯 relief,
// less the reduction. Each line is summed in twelfths of a year and rounded
// down to the yen once; the part's cap is prorated by the household's
// months in the same way (a household charged all year has the whole cap);
// then the part is capped and rounded down to the rate table's unit.
package premium

import (
	"strconv"
	"time"

	"bango/internal/errs"
)

// MemberIncome is what the calculation took from one member's revenue.
type MemberIncome struct {
	ID       string `json:"id"`
	Counted  bool   `json:"counted"` // in the reduction test: the head, the insured, 特定同一世帯所属者
	Earner   bool   `json:"earner"`  // 給与所得者等
	Senior   bool   `json:"senior"`  // 65 or over on 31 December of the income year
	TestLess int64  `json:"test_less,omitempty"`
	Income
}

// ReductionBasis is what decided the low-income reduction.
type ReductionBasis struct {
	Income     int64            `json:"income"`  // the household's income for the test
	Earners    int              `json:"earners"` // 給与所得者等
	Insured    int              `json:"insured"` // insured and 特定同一世帯所属者
	Thresholds map[string]int64 `json:"thresholds"`
	Percent    int              `json:"percent"` // 70, 50, 20 or 0
	// Undeclared are the members whose income is not declared (未申告):
	// while there are any, the household gets no reduction.
	Undeclared []string `json:"undeclared,omitempty"`
}

// MemberPart is one member's lines of a part.
type MemberPart struct {
	ID              string `json:"id"`
	Months          int    `json:"months"` // months charged for this part
	IncomeGross     int64  `json:"income_gross"`
	IncomePerinatal int64  `json:"income_perinatal"`
	Income          int64  `json:"income"` // 所得割
	EqualGross      int64  `json:"equal_gross"`
	EqualReduction  int64  `json:"equal_reduction"`
	EqualPreschool  int64  `json:"equal_preschool"`
	EqualPerinatal  int64  `json:"equal_perinatal"`
	EqualUnder18    int64  `json:"equal_under18"`
	Equal           int64  `json:"equal"` // 均等割
}

// PartResult is the breakdown of one part.
type PartResult struct {
	Part            string       `json:"part"`
	NameJA          string       `json:"name_ja"`
	IncomeRate      Rate         `json:"income_rate"`
	Months          int          `json:"months"` // months anyone in the household is charged
	Members         []MemberPart `json:"members"`
	Income          int64        `json:"income"`           // 所得割, all members
	IncomePerinatal int64        `json:"income_perinatal"` // of which exempt (産前産後), already off
	EqualGross      int64        `json:"equal_gross"`
	EqualReduction  int64        `json:"equal_reduction"`
	EqualPreschool  int64        `json:"equal_preschool"`
	EqualPerinatal  int64        `json:"equal_perinatal"`
	EqualUnder18    int64        `json:"equal_under18"`
	Equal           int64        `json:"equal"` // 均等割 after the reliefs
	HouseholdGross  int64        `json:"household_gross"`
	HouseholdRelief int64        `json:"household_relief"` // 特定世帯・特定継続世帯
	// HouseholdMonths are the months charged at each relief, in order
	// (only when a relief applies in some month).
	HouseholdMonths []ReliefMonths `json:"household_months,omitempty"`
	HouseholdReduct int64          `json:"household_reduction"`
	Household       int64          `json:"household"` // 平等割 after the reliefs
	BeforeCap       int64          `json:"before_cap"`
	Cap             int64          `json:"cap"` // prorated by Months
	CapCut          int64          `json:"cap_cut"`
	Rounding        int64          `json:"rounding"`           // cut by rounding down to the unit
	Remitted        int64          `json:"remitted,omitempty"` // taken off by 減免 (already off Amount)
	Amount          int64          `json:"amount"`
}

// ReliefMonths are consecutive months charged 平等割 at one relief: Rate
// is the year's 平等割 at that relief before the low-income reduction, and
// the months are charged Rate × (100 − reduction)% ÷ 12 each.
type ReliefMonths struct {
	Relief string `json:"relief"` // "", specific or specific_continuing
	From   string `json:"from"`   // YYYY-MM, the first month
	Months int    `json:"months"`
	Rate   int64  `json:"rate"`
}

// Instalment is one ordinary instalment.
type Instalment struct {
	No     int    `json:"no"`
	Month  string `json:"month"` // YYYY-MM
	Amount int64  `json:"amount"`
	// Phase of a special collection with a provisional base: "provisional"
	// (仮徴収) or "final" (本徴収); "" otherwise.
	Phase string `json:"phase,omitempty"`
}

// Result is a household's premium of a fiscal year with its breakdown and
// the versions of the data it came from.
type Result struct {
	FiscalYear   int            `json:"fiscal_year"`
	Municipality string         `json:"municipality"`
	RatesVersion string         `json:"rates_version"`
	RulesVersion string         `json:"rules_version"`
	IncomeTable  string         `json:"income_table_version"`
	Relief       string         `json:"relief,omitempty"`
	Members      []MemberIncome `json:"members"`
	Reduction    ReductionBasis `json:"reduction"`
	Parts        []PartResult   `json:"parts"`
	Total        int64          `json:"total"`
	Instalments  []Instalment   `json:"instalments"`
	// BeforeRemission is the total before 減免, and Remissions what each
	// decided 減免 took off (none: no 減免).
	BeforeRemission int64           `json:"before_remission,omitempty"`
	Remissions      []RemissionLine `json:"remissions,omitempty"`
	// Collection is how the premium is collected (普通徴収 or 特別徴収 from
	// the head's pension), with why.
	Collection Collection `json:"collection"`

	specialPending []string // the conditions of 特別徴収 not met but the share
}

// Estimate computes household h's premium of fiscal year fy under rate
// table t and rules r (LoadRules(fy)). Wrong input is an errs.FieldErrors
// naming every wrong field.
func Estimate(fy int, h Household, t RateTable, r Rules) (Result, error) {
	if r.FiscalYear != fy {
		var fe errs.FieldErrors
		fe.Add("fiscal_year", msgYear)
		return Result{}, &fe
	}
	if err := t.Validate(r); err != nil {
		return Result{}, err
	}
	h.Members = append([]Member(nil), h.Members...)
	if err := h.check(fy, r.LateElderlyAge); err != nil {
		return Result{}, err
	}
	start := date(fy, time.April, 1)
	yearEnd := date(r.IncomeYear, time.December, 31)
	res := Result{FiscalYear: fy, Municipality: t.Municipality, RatesVersion: t.Version, RulesVersion: r.Version,
		IncomeTable: r.Income.Version, Relief: h.Relief}

	// Incomes and the reduction test.
	red := r.Reduction
	var testIncome int64
	earners, counted := 0, 0
	insuredMonths := make([][12]bool, len(h.Members))
	for i, m := range h.Members {
		insuredMonths[i] = monthsInsured(fy, m, r.LateElderlyAge)
		age := max(ageOn(m.birth, yearEnd), 0)
		in, err := ComputeIncome(r, m.SalaryRevenue, m.PensionRevenue, age, m.OtherIncome)
		if err != nil {
			return Result{}, err // checked already
		}
		mi := MemberIncome{ID: m.ID, Income: in, Senior: age >= red.SeniorAge}
		anyMonth := count(insuredMonths[i]) > 0
		mi.Counted = m.Head || (m.Insured && anyMonth) || m.Former
		if mi.Counted {
			over := red.EarnerPensionOverUnder
			if mi.Senior {
				over = red.EarnerPensionOverSenior
				mi.TestLess = min(in.PensionIncome, red.SeniorPensionDeduction)
			}
			mi.Earner = m.SalaryRevenue > red.EarnerSalaryOver || m.PensionRevenue > over
			if mi.Earner {
				earners++
			}
			testIncome += in.Total - mi.TestLess
			if (m.Insured && anyMonth) || m.Former {
				counted++
			}
		}
		if m.Undeclared && mi.Counted {
			res.Reduction.Undeclared = append(res.Reduction.Undeclared, m.ID)
		}
		res.Members = append(res.Members, mi)
	}
	base := red.Base + red.PerEarner*int64(max(earners-1, 0))
	res.Reduction = ReductionBasis{Income: testIncome, Earners: earners, Insured: counted, Thresholds: map[string]int64{}, Undeclared: res.Reduction.Undeclared}
	for _, l := range red.Levels {
		th := base + l.PerInsured*int64(counted)
		res.Reduction.Thresholds[strconv.Itoa(l.Percent)] = th
		if res.Reduction.Percent == 0 && testIncome <= th && len(res.Reduction.Undeclared) == 0 {
			res.Reduction.Percent = l.Percent
		}
	}
	keep := int64(100 - res.Reduction.Percent)
	relief := reliefByMonth(fy, h)

	perinatalFrom := monthIndex(fy, r.Perinatal.from)
	for _, pr := range r.Parts {
		rates := t.Parts[pr.Part]
		rate, _ := ParseRate(rates.IncomeRate) // valid: checked above
		p := PartResult{Part: pr.Part, NameJA: pr.NameJA, IncomeRate: rate}
		var household [12]bool
		for i, m := range h.Members {
			if !m.Insured {
				continue
			}
			charged := insuredMonths[i]
			if pr.AgeUntil > 0 || pr.AgeFrom > 0 {
				from := 0
				if pr.AgeFrom > 0 {
					from = monthIndex(fy, reachAge(m.birth, pr.AgeFrom))
				}
				until := 12
				if pr.AgeUntil > 0 {
					until = monthIndex(fy, reachAge(m.birth, pr.AgeUntil))
				}
				for k := range charged {
					charged[k] = charged[k] && k >= from && k < until
				}
			}
			var perinatal [12]bool
			if pr.Perinatal && !m.delivery.IsZero() {
				before, n := r.Perinatal.SingleMonthsBefore, r.Perinatal.SingleMonths
				if m.MultipleBirth {
					before, n = r.Perinatal.MultipleMonthsBefore, r.Perinatal.MultipleMonths
				}
				first := monthIndex(fy, m.delivery) - before
				for k := max(first, perinatalFrom, 0); k < min(first+n, 12); k++ {
					perinatal[k] = charged[k]
				}
			}
			preschoolTo := march31After(reachAge(m.birth, r.Preschool.UntilAge))
			var under18To time.Time
			if pr.EqualExemptUntilAge > 0 {
				under18To = march31After(reachAge(m.birth, pr.EqualExemptUntilAge))
			}
			mp := MemberPart{ID: m.ID, Months: count(charged)}
			if mp.Months == 0 {
				continue
			}
			income := res.Members[i].Base
			mp.IncomeGross = mulDiv(income, int64(rate)*int64(mp.Months), 12*1_000_000)
			mp.Income = mulDiv(income, int64(rate)*int64(mp.Months-count(perinatal)), 12*1_000_000)
			mp.IncomePerinatal = mp.IncomeGross - mp.Income
			// Each stage of 均等割 summed over the months, in yen-years.
			var g, rd, pre, peri, u18 int64
			for k := range 12 {
				if !charged[k] {
					continue
				}
				first := start.AddDate(0, k, 0)
				child := !under18To.IsZero() && !first.After(under18To)
				a := rates.PerCapita
				if !under18To.IsZero() && !child {
					a += rates.AdultSurcharge
				}
				g += a
				a = a * keep / 100
				rd += a
				if pr.PreschoolHalf && !first.After(preschoolTo) {
					a /= 2
				}
				pre += a
				if perinatal[k] {
					a = 0
				}
				peri += a
				if child {
					a = 0
				}
				u18 += a
				household[k] = true
			}
			mp.EqualGross = g / 12
			mp.EqualReduction = mp.EqualGross - rd/12
			mp.EqualPreschool = rd/12 - pre/12
			mp.EqualPerinatal = pre/12 - peri/12
			mp.EqualUnder18 = peri/12 - u18/12
			mp.Equal = u18 / 12
			p.Members = append(p.Members, mp)
			p.Income += mp.Income
			p.IncomePerinatal += mp.IncomePerinatal
			p.EqualGross += mp.EqualGross
			p.EqualReduction += mp.EqualReduction
			p.EqualPreschool += mp.EqualPreschool
			p.EqualPerinatal += mp.EqualPerinatal
			p.EqualUnder18 += mp.EqualUnder18
			p.Equal += mp.Equal
		}
		p.Months = count(household)
		months := int64(p.Months)
		p.HouseholdGross = rates.PerHousehold * months / 12
		// 平等割 month by month at the month's relief, in yen-months.
		var relieved, kept int64
		anyRelief := false
		for k := range 12 {
			if !household[k] {
				continue
			}
			b, rel := rates.PerHousehold, ""
			if pr.SpecificHousehold {
				rel = relief[k]
				switch rel {
				case ReliefSpecific:
					b = b * r.SpecificHousehold.Num / r.SpecificHousehold.Den
				case ReliefSpecificContinuing:
					b = b * r.SpecificContinuing.Num / r.SpecificContinuing.Den
				}
			}
			anyRelief = anyRelief || rel != ""
			relieved += b
			kept += b * keep / 100
			if n := len(p.HouseholdMonths); n > 0 && p.HouseholdMonths[n-1].Relief == rel {
				p.HouseholdMonths[n-1].Months++
			} else {
				p.HouseholdMonths = append(p.HouseholdMonths, ReliefMonths{Relief: rel, From: start.AddDate(0, k, 0).Format("2006-01"), Months: 1, Rate: b})
			}
		}
		if !anyRelief {
			p.HouseholdMonths = nil
		}
		p.HouseholdRelief = p.HouseholdGross - relieved/12
		p.HouseholdReduct = relieved/12 - kept/12
		p.Household = kept / 12
		p.BeforeCap = p.Income + p.Equal + p.Household
		p.Cap = rates.Cap * months / 12
		capped := min(p.BeforeCap, p.Cap)
		p.CapCut = p.BeforeCap - capped
		p.Amount = capped / rates.Rounding * rates.Rounding
		p.Rounding = capped - p.Amount
		res.Parts = append(res.Parts, p)
		res.Total += p.Amount
	}
	res.specialPending = specialReasons(fy, h, r)
	res.Collection.PensionNotice = h.PensionNotice
	res.Collection.ProvisionalBase = h.ProvisionalBase
	schedule(fy, &res, r, t)
	return res, nil
}

// plan spreads total over the instalments: every instalment but the first
// is total ÷ n rounded down to the unit, and the first takes the rest, so
// that the first is the largest and the later ones are even.
func plan(fy int, total int64, in Instalments) []Instalment {
	n := int64(len(in.Months))
	each := total / n / in.Unit * in.Unit
	out := make([]Instalment, 0, n)
	for i, m := range in.Months {
		y := fy
		if m < 4 {
			y++
		}
		a := each
		if i == 0 {
			a = total - each*(n-1)
		}
		out = append(out, Instalment{No: i + 1, Month: date(y, time.Month(m), 1).Format("2006-01"), Amount: a})
	}
	return out
}

// monthIndex is the month of d counted from April of fiscal year fy (0)
// to March after (11), below 0 or above 11 outside the year.
func monthIndex(fy int, d time.Time) int {
	return (d.Year()-fy)*12 + int(d.Month()) - int(time.April)
}

// monthsInsured are the months of fiscal year fy member m is insured:
// from the month of acquisition (or birth, or April) to the month before
// the loss (or the late-elderly birthday, when NHI ends by law).
func monthsInsured(fy int, m Member, lateAge int) [12]bool {
	var out [12]bool
	if !m.Insured {
		return out
	}
	from := 0
	if !m.acquired.IsZero() {
		from = monthIndex(fy, m.acquired)
	} else if m.birth.After(date(fy, time.April, 1)) {
		from = monthIndex(fy, m.birth)
	}
	until := monthIndex(fy, reachAge(m.birth, lateAge).AddDate(0, 0, 1))
	if !m.lost.IsZero() {
		until = min(until, monthIndex(fy, m.lost))
	}
	for k := max(from, 0); k < min(until, 12); k++ {
		out[k] = true
	}
	return out
}

// reliefByMonth is household h's 特定世帯 relief in each month of fiscal
// year fy: Relief from April, each change from its month (checked).
func reliefByMonth(fy int, h Household) [12]string {
	var out [12]string
	cur, next := h.Relief, 0
	for k := range 12 {
		for next < len(h.ReliefChanges) {
			m, _ := time.Parse("2006-01", h.ReliefChanges[next].Month)
			if monthIndex(fy, m) > k {
				break
			}
			cur = h.ReliefChanges[next].Relief
			next++
		}
		out[k] = cur
	}
	return out
}

func count(ms [12]bool) int {
	n := 0
	for _, b := range ms {
		if b {
			n++
		}
	}
	return n
}
