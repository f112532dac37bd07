package pubmed

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"time"

	"bango/internal/errs"
	"bango/internal/mynumber"
)

// The household's municipal tax status as the application shows it (the
// 課税証明書 or the information exchanged for it), from which the income
// category (階層区分) follows.
const (
	TaxWelfare = "welfare" // 生活保護を受給
	TaxExempt  = "exempt"  // 市町村民税非課税（支給認定基準世帯員の全員）
	TaxLevied  = "levied"  // 市町村民税課税（均等割のみを含む）
)

// TaxStatuses are the statuses in the order a form offers them.
var TaxStatuses = []string{TaxWelfare, TaxExempt, TaxLevied}

// TierRule is one programme's rule for the income category (階層区分), as
// data with the day it holds from (data/tiers-<programme>-*.json): the
// yearly income up to which a household exempt from municipal tax is
// 低所得Ⅰ, and the lines of the household's total 所得割 (municipal tax on
// income of the 支給認定基準世帯員) below which it is 一般所得Ⅰ and
// 一般所得Ⅱ; at or above the second it is 上位所得. IncomeOf says whose
// income the 低所得 line reads: the patient's (指定難病) or the
// guardian's (小児慢性特定疾病). A change of a line is a new file.
type TierRule struct {
	Version           string `json:"version"`
	Programme         string `json:"programme"`
	EffectiveFrom     string `json:"effective_from"`
	Source            string `json:"source"`
	IncomeOf          string `json:"income_of"`
	Low1IncomeMax     int64  `json:"low1_income_max"`
	General1LevyBelow int64  `json:"general1_levy_below"`
	General2LevyBelow int64  `json:"general2_levy_below"`
	from              time.Time
}

func readTierRule(f fs.FS, name string) (TierRule, error) {
	var t TierRule
	b, err := fs.ReadFile(f, name)
	if err != nil {
		return t, err
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&t); err != nil {
		return t, fmt.Errorf("pubmed: tier rule %s: %w", name, err)
	}
	if t.from, err = time.Parse(time.DateOnly, t.EffectiveFrom); err != nil {
		return t, fmt.Errorf("pubmed: tier rule %s: effective_from %q is not a date", name, t.EffectiveFrom)
	}
	switch {
	case t.Version == "" || t.Source == "":
		return t, fmt.Errorf("pubmed: tier rule %s: version and source are required", name)
	case !slices.Contains(Programmes, t.Programme):
		return t, fmt.Errorf("pubmed: tier rule %s: programme %q is not one of %v", name, t.Programme, Programmes)
	case t.IncomeOf != "patient" && t.IncomeOf != "guardian":
		return t, fmt.Errorf("pubmed: tier rule %s: income_of is patient or guardian", name)
	case t.Low1IncomeMax <= 0 || t.General1LevyBelow <= 0 || t.General2LevyBelow <= t.General1LevyBelow:
		return t, fmt.Errorf("pubmed: tier rule %s: the lines must be positive and general2_levy_below above general1_levy_below", name)
	}
	return t, nil
}

// loadTierRules adds every tiers-*.json of f, kept by programme in date
// order; two of a programme from the same day are refused.
func (r *Rules) loadTierRules(f fs.FS) error {
	names, err := fs.Glob(f, "tiers-*.json")
	if err != nil {
		return err
	}
	for _, n := range names {
		t, err := readTierRule(f, n)
		if err != nil {
			return err
		}
		if r.tiers == nil {
			r.tiers = map[string][]TierRule{}
		}
		r.tiers[t.Programme] = append(r.tiers[t.Programme], t)
	}
	return inDayOrder(r.tiers, "tier rules", func(t TierRule) (time.Time, string) { return t.from, t.Version })
}

// inDayOrder sorts each key's rules by the day they hold from and refuses
// two of one key from the same day, naming them (what: the rules' kind).
func inDayOrder[R any](byKey map[string][]R, what string, day func(R) (time.Time, string)) error {
	for k, rs := range byKey {
		slices.SortFunc(rs, func(a, b R) int {
			da, _ := day(a)
			db, _ := day(b)
			return da.Compare(db)
		})
		for i := 1; i < len(rs); i++ {
			prev, pv := day(rs[i-1])
			this, tv := day(rs[i])
			if this.Equal(prev) {
				return fmt.Errorf("pubmed: %s %s and %s of %s hold from the same day", what, pv, tv, k)
			}
		}
	}
	return nil
}

// TierRules lists a programme's tier rule versions, the oldest first.
func (r *Rules) TierRules(programme string) []TierRule { return slices.Clone(r.tiers[programme]) }

func (r *Rules) tierRuleOn(programme string, day time.Time) (TierRule, bool) {
	ts := r.tiers[programme]
	for i := len(ts) - 1; i >= 0; i-- {
		if !ts[i].from.After(day) {
			return ts[i], true
		}
	}
	return TierRule{}, false
}

// IncomeInput is the household's tax and income as typed from the
// application: the tax status, the total 所得割 of the 支給認定基準世帯員
// when levied (0 when only 均等割 is levied), and the yearly income
// (年収: income plus the non-taxable pensions and allowances) of the
// person the programme names when exempt. Category, when set, overrides
// the category the rule gives, and needs Reason.
type IncomeInput struct {
	TaxStatus    string `json:"tax_status"`
	IncomeLevy   *int64 `json:"income_levy,omitempty"`
	AnnualIncome *int64 `json:"annual_income,omitempty"`
}

// Tier is a derived income category with its basis: the figures typed,
// the rule version and its lines, why the rule gave the category, and an
// override by a clerk with its reason.
type Tier struct {
	Category          string `json:"category"` // the category used
	Derived           string `json:"derived"`  // the category the rule gives
	TaxStatus         string `json:"tax_status"`
	IncomeLevy        int64  `json:"income_levy"`
	AnnualIncome      int64  `json:"annual_income"`
	RuleVersion       string `json:"rule_version"`
	RuleFrom          string `json:"rule_from"`
	IncomeOf          string `json:"income_of"`
	Low1IncomeMax     int64  `json:"low1_income_max"`
	General1LevyBelow int64  `json:"general1_levy_below"`
	General2LevyBelow int64  `json:"general2_levy_below"`
	Why               string `json:"why"`
	Override          string `json:"override,omitempty"` // the category a clerk chose instead
	OverrideReason    string `json:"override_reason,omitempty"`
	OverrideBy        string `json:"override_by,omitempty"`
}

var (
	msgTaxStatus = errs.Message{JA: "課税の状況は 生活保護・市町村民税非課税・市町村民税課税 のいずれかです", EN: "the tax status is one of welfare, exempt, levied"}
	msgLevy      = errs.Message{JA: "課税のときは支給認定基準世帯員の市町村民税所得割の合計（円、0以上）を入力してください", EN: "a levied household needs the total 所得割 of its members, in yen, 0 or more"}
	msgIncome    = errs.Message{JA: "非課税のときは年収（円、0以上）を入力してください", EN: "an exempt household needs the yearly income, in yen, 0 or more"}
	msgNotLevied = errs.Message{JA: "所得割は課税のときだけ入力します", EN: "the 所得割 is given only for a levied household"}
	msgNotExempt = errs.Message{JA: "年収は非課税のときだけ入力します", EN: "the yearly income is given only for an exempt household"}
	msgNoTier    = errs.Message{JA: "この日に効力のある階層区分の基準がありません", EN: "no income-category rule is in force on this date"}
	msgOverride  = errs.Message{JA: "基準と異なる階層区分にするときは、その理由を1〜400文字で入力してください", EN: "a category other than the rule's needs its reason, 1 to 400 characters"}
)

func yen(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String() + "円"
}

// DetermineTier derives the income category of a recipient of programme
// from the household's tax and income by the rule in force on day
// (R-PUB-1): 生活保護 when on public assistance; exempt from municipal
// tax, 低所得Ⅰ up to the income line and 低所得Ⅱ above it; levied, by the
// total 所得割: 一般所得Ⅰ below the first line, 一般所得Ⅱ below the
// second, 上位所得 at or above it. The answer records the rule version,
// its lines, the figures and which line chose the category.
func (r *Rules) DetermineTier(programme string, in IncomeInput, day time.Time) (Tier, error) {
	var fe errs.FieldErrors
	status := strings.TrimSpace(in.TaxStatus)
	t := Tier{TaxStatus: status}
	switch status {
	case TaxWelfare:
		if in.IncomeLevy != nil {
			fe.Add("income_levy", msgNotLevied)
		}
		if in.AnnualIncome != nil {
			fe.Add("annual_income", msgNotExempt)
		}
	case TaxExempt:
		if in.AnnualIncome == nil || *in.AnnualIncome < 0 {
			fe.Add("annual_income", msgIncome)
		} else {
			t.AnnualIncome = *in.AnnualIncome
		}
		if in.IncomeLevy != nil {
			fe.Add("income_levy", msgNotLevied)
		}
	case TaxLevied:
		if in.IncomeLevy == nil || *in.IncomeLevy < 0 {
			fe.Add("income_levy", msgLevy)
		} else {
			t.IncomeLevy = *in.IncomeLevy
		}
		if in.AnnualIncome != nil {
			fe.Add("annual_income", msgNotExempt)
		}
	default:
		fe.Add("tax_status", msgTaxStatus)
	}
	if !slices.Contains(Programmes, programme) {
		fe.Add("programme", msgProgramme)
	}
	if err := fe.Err(); err != nil {
		return Tier{}, err
	}
	rule, ok := r.tierRuleOn(programme, day)
	if !ok {
		fe.Add("tax_status", msgNoTier)
		return Tier{}, fe.Err()
	}
	t.RuleVersion, t.RuleFrom, t.IncomeOf = rule.Version, rule.EffectiveFrom, rule.IncomeOf
	t.Low1IncomeMax, t.General1LevyBelow, t.General2LevyBelow = rule.Low1IncomeMax, rule.General1LevyBelow, rule.General2LevyBelow
	whose := "本人"
	if rule.IncomeOf == "guardian" {
		whose = "保護者"
	}
	switch status {
	case TaxWelfare:
		t.Derived, t.Why = Welfare, "生活保護を受給"
	case TaxExempt:
		if t.AnnualIncome <= rule.Low1IncomeMax {
			t.Derived, t.Why = Low1, "市町村民税非課税、"+whose+"の年収 "+yen(t.AnnualIncome)+" ≦ "+yen(rule.Low1IncomeMax)
		} else {
			t.Derived, t.Why = Low2, "市町村民税非課税、"+whose+"の年収 "+yen(t.AnnualIncome)+" ＞ "+yen(rule.Low1IncomeMax)
		}
	default:
		switch levy := t.IncomeLevy; {
		case levy < rule.General1LevyBelow:
			t.Derived, t.Why = General1, "市町村民税課税、所得割の合計 "+yen(levy)+" ＜ "+yen(rule.General1LevyBelow)
		case levy < rule.General2LevyBelow:
			t.Derived, t.Why = General2, "市町村民税課税、所得割の合計 "+yen(rule.General1LevyBelow)+" ≦ "+yen(levy)+" ＜ "+yen(rule.General2LevyBelow)
		default:
			t.Derived, t.Why = Upper, "市町村民税課税、所得割の合計 "+yen(levy)+" ≧ "+yen(rule.General2LevyBelow)
		}
	}
	t.Category = t.Derived
	return t, nil
}

// override applies a clerk's category to t: the same as the rule's is no
// override; another needs a reason, and is recorded with who chose it.
func (t *Tier) override(fe *errs.FieldErrors, category, reason, by string) {
	category, reason = strings.TrimSpace(category), strings.TrimSpace(reason)
	if category == "" || category == t.Derived {
		return
	}
	if !slices.Contains(Categories, category) {
		fe.Add("category", msgCategory)
		return
	}
	if reason == "" || len([]rune(reason)) > 400 || strings.ContainsFunc(reason, func(r rune) bool { return r < ' ' && r != '\n' && r != '\r' }) {
		fe.Add("category_reason", msgOverride)
		return
	}
	if mynumber.Holds(reason) {
		fe.Add("category_reason", mynumber.InFreeText)
		return
	}
	t.Category, t.Override, t.OverrideReason, t.OverrideBy = category, category, reason, by
}

// tierDetail is the basis of t for an audit event's detail.
func tierDetail(t *Tier) string {
	if t == nil {
		return ""
	}
	d := " tier_rule=" + t.RuleVersion + " tax_status=" + t.TaxStatus +
		" income_levy=" + strconv.FormatInt(t.IncomeLevy, 10) + " annual_income=" + strconv.FormatInt(t.AnnualIncome, 10) + " derived=" + t.Derived
	if t.Override != "" {
		d += " override=" + t.Override + " override_by=" + t.OverrideBy
	}
	return d
}
