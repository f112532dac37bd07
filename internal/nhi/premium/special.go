package premium

import (
	"time"

	"bango/internal/errs"
)

// 特別徴収: a premium is collected from the head's public pension instead
// of ordinary instalments when the rules' SpecialRule is met. Some of it
// bango knows from the household (the head insured; every insured member's
// age through the year); the rest only the pension insurer's notice says
// (年金特徴の対象者通知: the pension's annual amount, and the 介護保険料 and
// whether it is collected from that pension), which a household carries as
// PensionNotice. Without a notice the plan is ordinary.

// PensionNotice is what the pension insurer notified of the head's
// pension for the fiscal year.
type PensionNotice struct {
	Annual      int64 `json:"annual"`       // the pension's annual amount
	CarePremium int64 `json:"care_premium"` // 介護保険料 of the year
	CareSpecial bool  `json:"care_special"` // the 介護保険料 is collected from this pension
}

// Collection is how the premium is collected, with why.
type Collection struct {
	Method string `json:"method"` // "ordinary" (普通徴収) or "special" (特別徴収)
	// Reasons the premium is not collected from the pension (ordinary
	// only): no_pension_notice, head_not_insured, member_age,
	// pension_under_minimum, care_not_special, over_half.
	Reasons       []string       `json:"reasons,omitempty"`
	PensionNotice *PensionNotice `json:"pension_notice,omitempty"`
	// ProvisionalBase is last February's amount from the pension, which
	// each provisional month (仮徴収) takes (special only; 0: none, the
	// year spread over the pension months).
	ProvisionalBase int64 `json:"provisional_base,omitempty"`
	// ProvisionalOver is set when the provisional months at that amount
	// would take more than the year's premium: those collected before the
	// premium was decided (the rules' provisional_fixed) take it all the
	// same, the later ones only what is left, and the final months
	// nothing; Refund is what the first took over the year's premium.
	ProvisionalOver bool `json:"provisional_over,omitempty"`
	// Refund is 仮徴収 collected over the year's premium: to be refunded
	// or appropriated (過誤納, R-NHI-5).
	Refund int64 `json:"refund,omitempty"`
	// SpecialFrom is the month (YYYY-MM) collection from the pension
	// starts for a household newly collected from it (the rules'
	// new_start_month); the ordinary instalments before it take the rest.
	SpecialFrom string `json:"special_from,omitempty"`
}

// Collection methods.
const (
	Ordinary = "ordinary"
	Special  = "special"
)

// specialReasons are the conditions of special collection household h
// does not meet, apart from the share of the pension (which needs the
// final premium); nil when the rules have none.
func specialReasons(fy int, h Household, r Rules) []string {
	sr := r.SpecialCollection
	if len(sr.Months) == 0 {
		return []string{"no_rule"}
	}
	var out []string
	var head *Member
	for i := range h.Members {
		if h.Members[i].Head {
			head = &h.Members[i]
		}
	}
	if h.PensionNotice == nil {
		out = append(out, "no_pension_notice")
	}
	if head == nil || !head.Insured {
		out = append(out, "head_not_insured")
	}
	start, end := date(fy, time.April, 1), date(fy+1, time.March, 31)
	for _, m := range h.Members {
		if !m.Insured {
			continue
		}
		// 65 on the year's first day, and not 75 by its last.
		if ageOn(m.birth, start) < sr.AgeFrom || ageOn(m.birth, end) >= sr.AgeUntil {
			out = append(out, "member_age")
			break
		}
	}
	if n := h.PensionNotice; n != nil {
		if n.Annual < sr.PensionMin {
			out = append(out, "pension_under_minimum")
		}
		if !n.CareSpecial {
			out = append(out, "care_not_special")
		}
	}
	return out
}

// schedule sets res's collection and instalments from its total: special
// when the household meets every condition and the premium with the
// 介護保険料 is at most the rules' share of the pension, else ordinary by
// the table's plan. A household collected from the pension last February
// (a provisional base) has its 仮徴収 months first, as the rules say; one
// newly collected from the pension starts in the rules' NewStartMonth
// with ordinary instalments before.
func schedule(fy int, res *Result, r Rules, t RateTable) {
	c := &res.Collection
	c.Method, c.Reasons = Ordinary, append([]string(nil), res.specialPending...)
	sr := r.SpecialCollection
	if len(c.Reasons) == 0 && c.PensionNotice != nil {
		if (res.Total+c.PensionNotice.CarePremium)*sr.ShareDen > c.PensionNotice.Annual*sr.ShareNum {
			c.Reasons = append(c.Reasons, "over_half")
		}
	}
	c.ProvisionalOver, c.Refund, c.SpecialFrom = false, 0, ""
	withBase := len(sr.ProvisionalMonths) > 0 && len(sr.FinalMonths) > 0 && c.ProvisionalBase > 0
	if len(c.Reasons) == 0 && res.Total > 0 {
		c.Method, c.Reasons = Special, nil
		switch {
		case withBase:
			res.Instalments, c.ProvisionalOver, c.Refund = provisional(fy, res.Total, c.ProvisionalBase, sr, true,
				func(left int64) []Instalment {
					return phased(plan(fy, left, Instalments{Months: sr.FinalMonths, Unit: sr.Unit}), "final")
				})
		case sr.NewStartMonth > 0:
			res.Instalments = newlySpecial(fy, res.Total, sr, t.Instalments)
			c.SpecialFrom = monthOf(fy, sr.NewStartMonth)
		default:
			res.Instalments = plan(fy, res.Total, Instalments{Months: sr.Months, Unit: sr.Unit})
		}
		return
	}
	if withBase {
		// Collected from the pension last year but not this year: the
		// 仮徴収 collected before the year's premium was decided stands and
		// the rest is ordinary, in the table's months after it.
		res.Instalments, c.ProvisionalOver, c.Refund = provisional(fy, res.Total, c.ProvisionalBase, sr, false,
			func(left int64) []Instalment {
				last := monthIndexOf(sr.ProvisionalMonths[max(sr.ProvisionalFixed, 1)-1])
				in := Instalments{Unit: t.Instalments.Unit}
				for _, m := range t.Instalments.Months {
					if monthIndexOf(m) > last {
						in.Months = append(in.Months, m)
					}
				}
				if len(in.Months) == 0 {
					in.Months = t.Instalments.Months
				}
				return phased(plan(fy, left, in), "ordinary")
			})
		return
	}
	res.Instalments = plan(fy, res.Total, t.Instalments)
}

// provisional is a plan with a provisional base: the first
// sr.ProvisionalFixed provisional months (仮徴収 collected before the
// year's premium is decided) take base each whatever the year's premium;
// when the household is still collected from the pension (still), the
// later provisional months take base as long as the premium lasts, and
// rest(what is left) follows. over says the provisional months at base
// would have taken more than the premium; refund is what the fixed ones
// took over it (to be refunded or appropriated, R-NHI-5).
func provisional(fy int, total, base int64, sr SpecialRule, still bool, rest func(int64) []Instalment) (out []Instalment, over bool, refund int64) {
	n := int64(len(sr.ProvisionalMonths))
	if !still {
		n = int64(sr.ProvisionalFixed)
	}
	over = base*n > total
	left := total
	for i, m := range sr.ProvisionalMonths {
		var a int64
		switch {
		case i < sr.ProvisionalFixed:
			a = base
		case still:
			a = min(base, max(left, 0))
		default:
			continue
		}
		left -= a
		out = append(out, Instalment{No: len(out) + 1, Month: monthOf(fy, m), Amount: a, Phase: "provisional"})
	}
	if left < 0 {
		refund, left = -left, 0
	}
	for _, in := range rest(left) {
		in.No = len(out) + 1
		out = append(out, in)
	}
	return out, over, refund
}

// newlySpecial is the plan of a household newly collected from the
// pension: each pension month from sr.NewStartMonth takes the year's
// premium ÷ the number of pension months (rounded down to the unit), and
// the table's ordinary months before it share the rest as plan shares;
// without ordinary months before it the pension months from it take all.
func newlySpecial(fy int, total int64, sr SpecialRule, ord Instalments) []Instalment {
	from := monthIndexOf(sr.NewStartMonth)
	var pension []int
	for _, m := range sr.Months {
		if monthIndexOf(m) >= from {
			pension = append(pension, m)
		}
	}
	before := Instalments{Unit: ord.Unit}
	for _, m := range ord.Months {
		if monthIndexOf(m) < from {
			before.Months = append(before.Months, m)
		}
	}
	if len(before.Months) == 0 {
		return phased(plan(fy, total, Instalments{Months: pension, Unit: sr.Unit}), "special")
	}
	each := total / int64(len(sr.Months)) / sr.Unit * sr.Unit
	out := phased(plan(fy, total-each*int64(len(pension)), before), "ordinary")
	for _, m := range pension {
		out = append(out, Instalment{No: len(out) + 1, Month: monthOf(fy, m), Amount: each, Phase: "special"})
	}
	return out
}

// phased sets the phase of each instalment of a plan.
func phased(in []Instalment, phase string) []Instalment {
	for i := range in {
		in[i].Phase = phase
	}
	return in
}

// monthIndexOf is month m (1–12) counted from April (0) to March (11).
func monthIndexOf(m int) int { return (m + 8) % 12 }

// monthOf is month m (1–12) of fiscal year fy as YYYY-MM: January to
// March are in the calendar year after.
func monthOf(fy, m int) string {
	y := fy
	if m < 4 {
		y++
	}
	return date(y, time.Month(m), 1).Format("2006-01")
}

var msgPension = errs.Message{JA: "0以上の金額（円）です", EN: "must be an amount of yen, 0 or more"}

func (n *PensionNotice) check(fe *errs.FieldErrors) {
	if n == nil {
		return
	}
	if n.Annual < 0 || n.Annual > MaxYen {
		fe.Add("pension_notice.annual", msgPension)
	}
	if n.CarePremium < 0 || n.CarePremium > MaxYen {
		fe.Add("pension_notice.care_premium", msgPension)
	}
}
