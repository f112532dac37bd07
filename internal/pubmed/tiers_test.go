package pubmed_test

import (
	"os"
	"strings"
	"testing"

	"bango/internal/pubmed"
	"bango/internal/store"
	"bango/internal/testutil"
)

// R-PUB-1: the income category (階層区分) follows from the household's tax
// and income by each programme's rule in force, on each side of every
// line (hand-computed from the rule: 低所得Ⅰ up to a yearly income of
// 800,000 yen; 所得割 below 71,000 → 一般所得Ⅰ, below 251,000 → 一般所得Ⅱ,
// else 上位所得), and records the rule version, its lines and the figures.
func TestDetermineTierBoundaries(t *testing.T) {
	r, err := pubmed.DefaultRules()
	if err != nil {
		t.Fatal(err)
	}
	on := day("2026-12-02")
	cases := []struct {
		status       string
		levy, income *int64
		want         string
	}{
		{pubmed.TaxWelfare, nil, nil, pubmed.Welfare},
		{pubmed.TaxExempt, nil, yen(0), pubmed.Low1},
		{pubmed.TaxExempt, nil, yen(800000), pubmed.Low1},
		{pubmed.TaxExempt, nil, yen(800001), pubmed.Low2},
		{pubmed.TaxExempt, nil, yen(3000000), pubmed.Low2},
		{pubmed.TaxLevied, yen(0), nil, pubmed.General1}, // 均等割のみ
		{pubmed.TaxLevied, yen(70999), nil, pubmed.General1},
		{pubmed.TaxLevied, yen(71000), nil, pubmed.General2},
		{pubmed.TaxLevied, yen(250999), nil, pubmed.General2},
		{pubmed.TaxLevied, yen(251000), nil, pubmed.Upper},
		{pubmed.TaxLevied, yen(900000), nil, pubmed.Upper},
	}
	for _, prog := range pubmed.Programmes {
		for _, c := range cases {
			got, err := r.DetermineTier(prog, pubmed.IncomeInput{TaxStatus: c.status, IncomeLevy: c.levy, AnnualIncome: c.income}, on)
			if err != nil {
				t.Fatalf("%s %s: %v", prog, c.status, err)
			}
			if got.Category != c.want || got.Derived != c.want {
				t.Errorf("%s %s levy=%v income=%v: %s, want %s (%s)", prog, c.status, deref(c.levy), deref(c.income), got.Category, c.want, got.Why)
			}
			if got.RuleVersion != "tiers-"+prog+"-2015-01" || got.RuleFrom != "2015-01-01" || got.Low1IncomeMax != 800000 ||
				got.General1LevyBelow != 71000 || got.General2LevyBelow != 251000 || got.Why == "" {
				t.Errorf("%s: basis %+v", prog, got)
			}
			if got.IncomeLevy != deref(c.levy) || got.AnnualIncome != deref(c.income) {
				t.Errorf("%s: figures %+v", prog, got)
			}
		}
	}
	// Whose income the 低所得 line reads differs by programme.
	n, _ := r.DetermineTier(pubmed.Nanbyo, pubmed.IncomeInput{TaxStatus: pubmed.TaxExempt, AnnualIncome: yen(800000)}, on)
	s, _ := r.DetermineTier(pubmed.Shoman, pubmed.IncomeInput{TaxStatus: pubmed.TaxExempt, AnnualIncome: yen(800000)}, on)
	if n.IncomeOf != "patient" || s.IncomeOf != "guardian" || !strings.Contains(n.Why, "本人の年収 800,000円 ≦ 800,000円") || !strings.Contains(s.Why, "保護者") {
		t.Errorf("whose income: %q %q / %q %q", n.IncomeOf, n.Why, s.IncomeOf, s.Why)
	}
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// R-PUB-1: the tier rule is data with an effective date per programme: a
// changed 小児慢性 line holds from its day, the day before keeps the old
// version, and 指定難病 keeps its own rule throughout.
func TestDetermineTierEffectiveDate(t *testing.T) {
	changed := mapFS(map[string]string{"tiers-shoman-2027-04.json": `{"version": "tiers-shoman-2027-04", "programme": "shoman",
		"effective_from": "2027-04-01", "source": "a test rule", "income_of": "guardian",
		"low1_income_max": 809000, "general1_levy_below": 71000, "general2_levy_below": 251000}`})
	r, err := pubmed.LoadRules(os.DirFS("data"), changed)
	if err != nil {
		t.Fatal(err)
	}
	in := pubmed.IncomeInput{TaxStatus: pubmed.TaxExempt, AnnualIncome: yen(805000)}
	for _, c := range []struct {
		prog, on, want, version string
	}{
		{pubmed.Shoman, "2027-03-31", pubmed.Low2, "tiers-shoman-2015-01"},
		{pubmed.Shoman, "2027-04-01", pubmed.Low1, "tiers-shoman-2027-04"},
		{pubmed.Nanbyo, "2027-04-01", pubmed.Low2, "tiers-nanbyo-2015-01"},
	} {
		got, err := r.DetermineTier(c.prog, in, day(c.on))
		if err != nil || got.Category != c.want || got.RuleVersion != c.version {
			t.Errorf("%s on %s: %s by %s, want %s by %s (%v)", c.prog, c.on, got.Category, got.RuleVersion, c.want, c.version, err)
		}
	}
	if got := len(r.TierRules(pubmed.Shoman)); got != 2 {
		t.Errorf("shoman rules: %d", got)
	}
	if _, err := pubmed.LoadRules(os.DirFS("data"), mapFS(map[string]string{"tiers-shoman-x.json": `{"version": "x", "programme": "shoman",
		"effective_from": "2015-01-01", "source": "s", "income_of": "guardian", "low1_income_max": 1, "general1_levy_below": 2, "general2_levy_below": 3}`})); err == nil {
		t.Error("two shoman rules from the same day were loaded")
	}
	if _, err := pubmed.LoadRules(mapFS(map[string]string{"tiers-bad.json": `{"version": "x", "programme": "nanbyo",
		"effective_from": "2015-01-01", "source": "s", "income_of": "guardian", "low1_income_max": 1, "general1_levy_below": 5, "general2_levy_below": 3}`})); err == nil {
		t.Error("a rule with the second line below the first was loaded")
	}
}

// Bad input: a missing or wrong figure for the tax status names its field.
func TestDetermineTierRefusals(t *testing.T) {
	r, err := pubmed.DefaultRules()
	if err != nil {
		t.Fatal(err)
	}
	on := day("2026-12-02")
	for _, c := range []struct {
		in   pubmed.IncomeInput
		want string
	}{
		{pubmed.IncomeInput{}, "tax_status"},
		{pubmed.IncomeInput{TaxStatus: "rich"}, "tax_status"},
		{pubmed.IncomeInput{TaxStatus: pubmed.TaxLevied}, "income_levy"},
		{pubmed.IncomeInput{TaxStatus: pubmed.TaxLevied, IncomeLevy: yen(-1)}, "income_levy"},
		{pubmed.IncomeInput{TaxStatus: pubmed.TaxLevied, IncomeLevy: yen(1), AnnualIncome: yen(1)}, "annual_income"},
		{pubmed.IncomeInput{TaxStatus: pubmed.TaxExempt}, "annual_income"},
		{pubmed.IncomeInput{TaxStatus: pubmed.TaxExempt, AnnualIncome: yen(1), IncomeLevy: yen(1)}, "income_levy"},
		{pubmed.IncomeInput{TaxStatus: pubmed.TaxWelfare, IncomeLevy: yen(1)}, "income_levy"},
	} {
		if _, err := r.DetermineTier(pubmed.Nanbyo, c.in, on); fieldsOf(err) != c.want {
			t.Errorf("%+v: %s, want %s", c.in, fieldsOf(err), c.want)
		}
	}
	if _, err := r.DetermineTier(pubmed.Nanbyo, pubmed.IncomeInput{TaxStatus: pubmed.TaxWelfare}, day("2014-12-31")); fieldsOf(err) != "tax_status" {
		t.Errorf("before any rule: %v", err)
	}
}

// R-PUB-1: an application's category is the rule's, not a choice on the
// form; the certificate's cap records the tier rule version and figures
// (derived again on the first day); a clerk may choose another category
// only with a reason, recorded with who chose it; without one nothing is
// written.
func TestApplicationTier(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		clerk := testutil.As("clerk")
		in := newApplication("700001")
		in.IncomeLevy = yen(71000) // 一般所得Ⅱ by the rule
		app := f.apply(t, in)
		if app.Category != pubmed.General2 || app.Tier == nil || app.Tier.RuleVersion != "tiers-nanbyo-2015-01" || app.Tier.IncomeLevy != 71000 {
			t.Fatalf("application: %s %+v", app.Category, app.Tier)
		}
		d, err := f.decide(t, app.ID, pubmed.DecisionInput{Outcome: pubmed.Approve})
		if err != nil {
			t.Fatal(err)
		}
		b := d.Certificate.Basis
		if d.Certificate.Category != pubmed.General2 || d.Certificate.CapYen != 20000 || b.Tier == nil || b.Tier.RuleVersion != "tiers-nanbyo-2015-01" ||
			b.Tier.Derived != pubmed.General2 || b.Tier.IncomeLevy != 71000 || b.Tier.General1LevyBelow != 71000 || b.TableVersion != "caps-2015-01" {
			t.Errorf("certificate: %+v basis %+v tier %+v", d.Certificate, b, b.Tier)
		}
		if testutil.CountEvents(t, db, "action = 'pubmed.application.decide' AND detail LIKE '%tier_rule=tiers-nanbyo-2015-01 tax_status=levied income_levy=71000%'") != 1 {
			t.Error("the decision event does not record the tier rule and figures")
		}

		// Another category needs a reason; without one nothing is written.
		over := newApplication("700002")
		over.Category = pubmed.Low2
		before := rows(t, db)
		if _, err := f.pub.ProposeApplication(clerk, shinjuku, over); fieldsOf(err) != "category_reason" {
			t.Errorf("an override without reason: %v", err)
		}
		over.CategoryReason = "1234 5678 9018 の所得を確認" // R-AC-4: no My Number in a reason
		if _, err := f.pub.ProposeApplication(clerk, shinjuku, over); fieldsOf(err) != "category_reason" {
			t.Errorf("an override whose reason holds a My Number: %v", err)
		}
		over.CategoryReason = ""
		if rows(t, db) != before {
			t.Error("a refused override wrote rows")
		}
		// The rule's own category is no override.
		same := newApplication("700002")
		same.Category = pubmed.General1
		if p, err := f.pub.ProposeApplication(clerk, shinjuku, same); err != nil || strings.Contains(p.Summary, "変更") {
			t.Errorf("the rule's category as override: %v %q", err, p.Summary)
		}
		over.CategoryReason = "令和8年度の課税証明書の所得割が更正により減額（更正通知書で確認）"
		app2 := f.apply(t, over)
		if app2.Category != pubmed.Low2 || app2.Tier.Derived != pubmed.General1 || app2.Tier.OverrideBy != "clerk" || app2.Tier.OverrideReason != over.CategoryReason {
			t.Errorf("override: %s %+v", app2.Category, app2.Tier)
		}
		d2, err := f.decide(t, app2.ID, pubmed.DecisionInput{Outcome: pubmed.Approve})
		if err != nil {
			t.Fatal(err)
		}
		if d2.Certificate.CapYen != 5000 || d2.Certificate.Basis.Tier.Override != pubmed.Low2 || d2.Certificate.Basis.Tier.Derived != pubmed.General1 {
			t.Errorf("override decided: %d %+v", d2.Certificate.CapYen, d2.Certificate.Basis.Tier)
		}
		if testutil.CountEvents(t, db, "action = 'pubmed.application.receive' AND detail LIKE '%override=low2 override_by=clerk%'") != 1 {
			t.Error("the receipt does not record the override and who made it")
		}
	})
}
