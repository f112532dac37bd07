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
	// would take more than the year's premium: they take the premium only,
	// in order, and the final months nothing (a refund is not modelled).
	ProvisionalOver bool `json:"provisional_over,omitempty"`
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
// the table's plan.
func schedule(fy int, res *Result, r Rules, t RateTable) {
	c := &res.Collection
	c.Method, c.Reasons = Ordinary, append([]string(nil), res.specialPending...)
	sr := r.SpecialCollection
	if len(c.Reasons) == 0 && c.PensionNotice != nil {
		if (res.Total+c.PensionNotice.CarePremium)*sr.ShareDen > c.PensionNotice.Annual*sr.ShareNum {
			c.Reasons = append(c.Reasons, "over_half")
		}
	}
	c.ProvisionalOver = false
	if len(c.Reasons) == 0 && res.Total > 0 {
		c.Method, c.Reasons = Special, nil
		if len(sr.ProvisionalMonths) == 0 || len(sr.FinalMonths) == 0 || c.ProvisionalBase <= 0 {
			res.Instalments = plan(fy, res.Total, Instalments{Months: sr.Months, Unit: sr.Unit})
			return
		}
		res.Instalments, c.ProvisionalOver = provisional(fy, res.Total, c.ProvisionalBase, sr)
		return
	}
	res.Instalments = plan(fy, res.Total, t.Instalments)
}

// provisional is a special collection's plan with a provisional base:
// each provisional month (仮徴収) takes base, as long as the year's total
// lasts; the final months (本徴収) take what is left, spread as plan
// spreads it. over says the provisional months would have taken more than
// the total.
func provisional(fy int, total, base int64, sr SpecialRule) (out []Instalment, over bool) {
	left := total
	for _, m := range sr.ProvisionalMonths {
		a := min(base, left)
		over = over || a < base
		left -= a
		out = append(out, Instalment{No: len(out) + 1, Month: monthOf(fy, m), Amount: a, Phase: "provisional"})
	}
	for _, in := range plan(fy, left, Instalments{Months: sr.FinalMonths, Unit: sr.Unit}) {
		in.No, in.Phase = len(out)+1, "final"
		out = append(out, in)
	}
	return out, over
}

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
