package premium

import (
	"fmt"
	"regexp"
	"sort"
	"time"

	"bango/internal/errs"
)

// 減免 (reduction or exemption on application: disaster, a sharp loss of
// income, detention, …) is the municipality's own: its ordinance names the
// reasons and how much each takes off, and the rules change. A rate table
// carries them (Remissions), each with the day it holds from, so that a
// decision uses the rule in force on the day the application was received
// and records it.

// Remission bases: what a remission's percent is taken of.
const (
	RemitPremium = "premium" // the whole of each part (after the cap)
	RemitIncome  = "income"  // the 所得割 of each part only
)

// RemissionRule is one reason for 減免 in a municipality's ordinance.
type RemissionRule struct {
	Code   string `json:"code"` // e.g. "disaster", "income_loss_50", "detention"
	NameJA string `json:"name_ja"`
	NameEN string `json:"name_en"`
	// From is the first day (YYYY-MM-DD) an application received may be
	// decided by this rule; a later rule of the same code replaces it.
	From    string `json:"from"`
	Basis   string `json:"basis"`   // RemitPremium or RemitIncome
	Percent int    `json:"percent"` // 1 to 100 of the basis, for each month the remission covers
}

// Remission is a decided 減免 of a household: the rule it was decided by
// and the months of the fiscal year it covers.
type Remission struct {
	Application int64         `json:"application"` // its decision (nhi_remissions.id)
	Rule        RemissionRule `json:"rule"`
	FromMonth   string        `json:"from_month"` // YYYY-MM
	ToMonth     string        `json:"to_month"`   // YYYY-MM
}

// RemissionLine is what one remission took off, per part.
type RemissionLine struct {
	Remission
	Months int              `json:"months"` // of the fiscal year covered
	Parts  map[string]int64 `json:"parts"`  // yen taken off each part
	Amount int64            `json:"amount"`
}

var (
	remitCode     = regexp.MustCompile(`^[a-z0-9_]{1,40}$`)
	msgRemitCode  = errs.Message{JA: "減免事由のコードは英小文字・数字・_ の1〜40文字です", EN: "must be 1 to 40 of a-z, 0-9 and _"}
	msgRemitBasis = errs.Message{JA: "premium（保険料）か income（所得割）です", EN: "must be premium or income"}
	msgRemitPct   = errs.Message{JA: "1から100までの整数（%）です", EN: "must be a whole percent from 1 to 100"}
	msgRemitDup   = errs.Message{JA: "同じ事由・同じ適用開始日の規則が2つあります", EN: "two rules have this code and this from date"}
)

// validateRemissions checks the rules of a rate table.
func validateRemissions(fe *errs.FieldErrors, rs []RemissionRule) {
	seen := map[string]bool{}
	for i, r := range rs {
		f := fmt.Sprintf("remissions[%d].", i)
		if !remitCode.MatchString(r.Code) {
			fe.Add(f+"code", msgRemitCode)
		}
		if r.NameJA == "" {
			fe.Add(f+"name_ja", msgRequiredRT)
		}
		if r.NameEN == "" {
			fe.Add(f+"name_en", msgRequiredRT)
		}
		if _, err := time.Parse(time.DateOnly, r.From); err != nil {
			fe.Add(f+"from", msgDateFmt)
		}
		if r.Basis != RemitPremium && r.Basis != RemitIncome {
			fe.Add(f+"basis", msgRemitBasis)
		}
		if r.Percent < 1 || r.Percent > 100 {
			fe.Add(f+"percent", msgRemitPct)
		}
		if k := r.Code + " " + r.From; seen[k] {
			fe.Add(f+"from", msgRemitDup)
		} else {
			seen[k] = true
		}
	}
}

// RemissionRuleOn is the rule of code in force on day on (YYYY-MM-DD):
// of the table's rules of that code from on or before it, the latest.
func (t RateTable) RemissionRuleOn(code, on string) (RemissionRule, bool) {
	var best RemissionRule
	found := false
	for _, r := range t.Remissions {
		if r.Code == code && r.From <= on && (!found || r.From > best.From) {
			best, found = r, true
		}
	}
	return best, found
}

// RemissionCodes are the reasons a table has, each once, in order.
func (t RateTable) RemissionCodes() []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range t.Remissions {
		if !seen[r.Code] {
			seen[r.Code] = true
			out = append(out, r.Code)
		}
	}
	sort.Strings(out)
	return out
}

// RemissionMonths is how many months of fiscal year fy from and to
// (YYYY-MM, inclusive) cover, or an error naming the wrong one.
func RemissionMonths(fy int, from, to string) (int, error) {
	var fe errs.FieldErrors
	f, err1 := time.Parse("2006-01", from)
	t, err2 := time.Parse("2006-01", to)
	if err1 != nil {
		fe.Add("from_month", msgMonthFmt)
	}
	if err2 != nil {
		fe.Add("to_month", msgMonthFmt)
	}
	if err := fe.Err(); err != nil {
		return 0, err
	}
	a, b := monthIndex(fy, f), monthIndex(fy, t)
	if a < 0 || a > 11 {
		fe.Add("from_month", errs.Message{JA: fmt.Sprintf("%d年4月から%d年3月までの月です", fy, fy+1), EN: fmt.Sprintf("must be a month from April %d to March %d", fy, fy+1)})
	}
	if b < 0 || b > 11 {
		fe.Add("to_month", errs.Message{JA: fmt.Sprintf("%d年4月から%d年3月までの月です", fy, fy+1), EN: fmt.Sprintf("must be a month from April %d to March %d", fy, fy+1)})
	} else if b < a {
		fe.Add("to_month", errs.Message{JA: "開始月以降の月です", EN: "must not be before from_month"})
	}
	if err := fe.Err(); err != nil {
		return 0, err
	}
	return b - a + 1, nil
}

// Remit applies decided remissions to a result of fiscal year fy under
// table t, in their order: for each and each part, the basis (the part's
// amount, or its 所得割 up to that amount) × percent × months ÷ 12 is
// taken off, rounded down to the yen, and the part is rounded down again
// to the table's unit (what rounding takes is part of the remission). The
// total and the instalments follow the parts; BeforeRemission keeps the
// total before.
func Remit(fy int, res *Result, rs []Remission, t RateTable, r Rules) error {
	if len(rs) == 0 {
		return nil
	}
	res.BeforeRemission = res.Total
	for _, rm := range rs {
		months, err := RemissionMonths(fy, rm.FromMonth, rm.ToMonth)
		if err != nil {
			return err
		}
		line := RemissionLine{Remission: rm, Months: months, Parts: map[string]int64{}}
		for i := range res.Parts {
			p := &res.Parts[i]
			base := p.Amount
			if rm.Rule.Basis == RemitIncome {
				base = min(p.Income, p.Amount)
			}
			cut := mulDiv(base, int64(rm.Rule.Percent)*int64(months), 100*12)
			unit := t.Parts[p.Part].Rounding
			if unit <= 0 {
				unit = 1
			}
			after := (p.Amount - cut) / unit * unit
			took := p.Amount - after
			p.Amount, p.Remitted = after, p.Remitted+took
			line.Parts[p.Part] = took
			line.Amount += took
		}
		res.Remissions = append(res.Remissions, line)
	}
	res.Total = 0
	for _, p := range res.Parts {
		res.Total += p.Amount
	}
	schedule(fy, res, r, t)
	return nil
}
