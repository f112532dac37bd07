package linkage

// 高額療養費の多数回該当 (R-NHI-8): when a household has reached the
// high-cost limit in three months within twelve, from the fourth such
// month on the lower 多数回 cap applies; 70-and-over outpatient-special
// months do not count, and since April 2018 the count carries over on a
// move within the prefecture when the household is continuous (judged on
// the NHI head) — which is why the prefecture's aggregation system, not
// bango, counts it and sends the 高額該当回数 (shared/docs/domain-facts.md,
// "High-cost care", after pref.niigata.lg.jp/shidou/1356889607872.html).
// bango flags each month whose count reaches the threshold, by the rule
// in force for that month of care; the rule is data with the month it
// applies from, and each flag names the rule version it used.

// ManyTimesRule is the 多数回該当 rule for months of care from From on.
type ManyTimesRule struct {
	Version   string `json:"version"`
	From      string `json:"from"`      // YYYYMM: the first month of care it applies to
	Threshold int    `json:"threshold"` // the count (in Window months) from which the 多数回 cap applies
	Window    int    `json:"window_months"`
	Source    string `json:"source"`
}

// manyTimesRules are the rules, the oldest first. Months of care before
// the first have no rule here (the exchange began in April 2018).
var manyTimesRules = []ManyTimesRule{
	{Version: "kokuho-tasukai-2018-04", From: "201804", Threshold: 4, Window: 12,
		Source: "shared/docs/domain-facts.md (High-cost care); pref.niigata.lg.jp/shidou/1356889607872.html"},
}

// ManyTimesRuleFor is the rule in force for month (YYYYMM), if any.
func ManyTimesRuleFor(month string) (ManyTimesRule, bool) {
	var r ManyTimesRule
	found := false
	for _, x := range manyTimesRules {
		if x.From <= month {
			r, found = x, true
		}
	}
	return r, found
}

// flagManyTimes sets h's 多数回該当 flag by the rule of its month.
func flagManyTimes(h *HighCost) {
	r, ok := ManyTimesRuleFor(h.CareMonth)
	if !ok {
		return
	}
	h.Rule, h.Threshold = r.Version, r.Threshold
	h.ManyTimes = h.Hits >= r.Threshold
}
