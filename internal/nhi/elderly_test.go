package nhi_test

import (
	"testing"

	"bango/internal/nhi"
	"bango/internal/store"
	"bango/internal/testutil"
)

// incomeOf records code's income of 2025 through the bulk path.
func (f *fixture) incomeOf(t *testing.T, code, taxable, revenue, proviso string) {
	t.Helper()
	if err := f.nhi.RecordIncome(testutil.As("clerk"), shinjuku, nhi.IncomeInput{ResidentCode: code, IncomeYear: "2025", TaxableIncome: taxable,
		Revenue: revenue, OldProvisoIncome: proviso}); err != nil {
		t.Fatal(err)
	}
}

// decisions reads household hh's decisions, the latest first.
func (f *fixture) decisions(t *testing.T, hh int64) []nhi.Decision {
	t.Helper()
	ds, err := f.nhi.CostShareDecisions(testutil.As("clerk"), shinjuku, hh)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// R-NHI-3: the cost share is decided again on a change of household —
// a member joining, leaving, a split — and on a change of income, from
// the day it takes effect, recorded with its cause and basis while the
// decisions before stay as they were; a change that leaves the 70–74
// figures alike records nothing; a household nobody decided for the
// period is left alone; one whose incomes are missing is a failed event
// and the change holds.
func TestCostShareRedecision(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		for _, r := range [][2]string{
			{"620001", "1954-05-10"}, // 72: head of H
			{"620002", "1955-03-03"}, // 71: joins H on 1 September, splits away on 1 October
			{"620003", "1990-01-01"}, // joins H on 15 September
			{"620004", "1953-01-01"}, // 73, no income: joins H on 1 November
			{"620005", "1954-02-02"}, // 72: a household nobody decided for
		} {
			f.person(t, shinjuku, r[0], "テスト", r[1])
		}
		hH := f.newHousehold(t, "620001", "620001", "2024-04-01", "6201")
		hN := f.newHousehold(t, "620005", "620005", "2024-04-01", "6205")
		// One member: 課税所得 150万, 旧ただし書所得 220万, 収入 300万 < 383万: 2割.
		f.incomeOf(t, "620001", "1500000", "3000000", "2200000")
		// With 620002: 収入 550万 ≥ 520万 together: 3割.
		f.incomeOf(t, "620002", "0", "2500000", "2000000")
		clerk := testutil.As("clerk")
		if d, err := f.nhi.DetermineCostShare(clerk, shinjuku, hH, "2026-08-01"); err != nil || d.Ratio != 2 || d.Cause != nhi.CauseDecision {
			t.Fatalf("decided on 1 August: %+v %v", d, err)
		}
		f.join(t, "620002", hH, "2026-09-01", "6201", "02")
		ds := f.decisions(t, hH)
		if len(ds) != 2 || ds[0].Ratio != 3 || ds[0].Cause != nhi.CauseHousehold || nhi.Date(ds[0].PeriodFrom) != "2026-09-01" ||
			nhi.Date(ds[0].PeriodTo) != "2027-07-31" || len(ds[0].Basis.Members) != 2 || ds[0].Basis.RevenueTotal != 5_500_000 ||
			ds[1].Ratio != 2 || nhi.Date(ds[1].PeriodFrom) != "2026-08-01" {
			t.Fatalf("after a 70–74 member joined: %+v", ds)
		}
		// A member under 70 joining leaves the 70–74 figures as they were.
		f.join(t, "620003", hH, "2026-09-15", "6201", "03")
		if ds := f.decisions(t, hH); len(ds) != 2 {
			t.Errorf("a member under 70 joined: %d decisions, want 2", len(ds))
		}
		// A split: H is one 70–74 member again (2割), and the new household
		// of 620002 is decided on its own (課税所得 0: 2割).
		p, err := f.nhi.ProposeHouseholdChange(clerk, shinjuku, nhi.HouseholdChangeInput{Household: hH, Change: nhi.ChangeSplit, EffectiveOn: "2026-10-01",
			NotifiedOn: "2026-10-01", NewHead: "620002", Members: []string{"620002"}})
		f.enter(t, p, err)
		ds = f.decisions(t, hH)
		if len(ds) != 3 || ds[0].Ratio != 2 || ds[0].Rule != nhi.RuleRevenueSingle || ds[0].Cause != nhi.CauseHousehold || nhi.Date(ds[0].PeriodFrom) != "2026-10-01" {
			t.Errorf("H after the split: %+v", ds)
		}
		rec, err := f.nhi.Get(clerk, shinjuku, "620002", "2026-10-01")
		if err != nil {
			t.Fatal(err)
		}
		if ds := f.decisions(t, rec.Person.Household); len(ds) != 1 || ds[0].Ratio != 2 || ds[0].Rule != nhi.RuleTaxableUnder || ds[0].Cause != nhi.CauseHousehold {
			t.Errorf("the new household after the split: %+v", ds)
		}
		// An income corrected: H is decided again from its first decision
		// of the period (1 August: 収入 400万 ≥ 383万, 3割) and from each
		// later one's start (1 September: still 3割, on figures of 650万;
		// 1 October: 3割 instead of 2割).
		f.incomeOf(t, "620001", "1500000", "4000000", "2200000")
		ds = f.decisions(t, hH)
		if len(ds) != 6 {
			t.Fatalf("after the income was corrected: %d decisions, want 6", len(ds))
		}
		for i, want := range []string{"2026-10-01", "2026-09-01", "2026-08-01"} {
			if d := ds[i]; d.Cause != nhi.CauseIncome || d.Ratio != 3 || nhi.Date(d.PeriodFrom) != want || d.Basis.Members[0].Revenue != 4_000_000 {
				t.Errorf("after the income was corrected, from %s: %d割 %s from %s", want, d.Ratio, d.Cause, nhi.Date(d.PeriodFrom))
			}
		}
		if ds[1].Basis.RevenueTotal != 6_500_000 || ds[5].Ratio != 2 || ds[5].Cause != nhi.CauseDecision {
			t.Errorf("the decisions kept: %+v", ds)
		}
		// What a 高齢受給者証 issued now prints is the decision in force.
		d, err := f.nhi.IssueDocument(clerk, shinjuku, nhi.DocumentInput{ResidentCode: "620001", Kind: nhi.DocElderly, IssuedOn: "2026-11-01",
			ValidUntil: "2027-07-31", Delivery: nhi.DeliveryMail, Reason: nhi.IssueNew})
		if err != nil || d.CostShareRatio != 3 || d.CostShareDecision != ds[0].ID {
			t.Errorf("高齢受給者証 after the re-decisions: %+v %v", d, err)
		}
		// A 70–74 member without income joins: the re-decision fails and
		// is recorded as such; the acquisition holds.
		f.join(t, "620004", hH, "2026-11-15", "6201", "04")
		if ds := f.decisions(t, hH); len(ds) != 6 {
			t.Errorf("a member without income joined: %d decisions, want 6", len(ds))
		}
		if n := testutil.CountEvents(t, db, `action = 'nhi.cost_share' AND outcome = 'error' AND subject_type = 'nhi_household' AND subject_id = '`+itoa(hH)+`'`); n != 1 {
			t.Errorf("%d failed re-decisions recorded, want 1", n)
		}
		if rec, err := f.nhi.Get(clerk, shinjuku, "620004", "2026-11-15"); err != nil || rec.Person.Household != hH {
			t.Errorf("620004 after joining: %+v %v", rec.Person, err)
		}
		// A household nobody decided for this period is left to the yearly
		// decision or a clerk.
		f.incomeOf(t, "620005", "0", "1000000", "0")
		if ds := f.decisions(t, hN); len(ds) != 0 {
			t.Errorf("a household not decided for the period: %+v", ds)
		}
	})
}

// R-NHI-3, R-ACC-1: a clerk's income entry waits for a checker; it
// changes nothing until a different staff member confirms it, and then
// the cost share decided on that year's income is decided again. A
// wrong entry is refused naming each field, and writes nothing.
func TestIncomeEntry(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.person(t, shinjuku, "630001", "テスト", "1954-05-10")
		f.person(t, sapporo, "930001", "テスト", "1954-05-10")
		hh := f.newHousehold(t, "630001", "630001", "2024-04-01", "6301")
		f.incomeOf(t, "630001", "0", "3000000", "2200000")
		clerk := testutil.As("clerk")
		if _, err := f.nhi.DetermineCostShare(clerk, shinjuku, hh, "2026-08-01"); err != nil {
			t.Fatal(err)
		}
		before := rows(t, db)
		for _, tc := range []struct {
			name string
			in   nhi.IncomeInput
			want string
		}{
			{"amounts wrong", nhi.IncomeInput{ResidentCode: "630001", IncomeYear: "2026", TaxableIncome: "-1", Revenue: "1.5", OldProvisoIncome: ""},
				"income_year,taxable_income,revenue,old_proviso_income"},
			{"no resident code", nhi.IncomeInput{IncomeYear: "2025", TaxableIncome: "0", Revenue: "0", OldProvisoIncome: "0"}, "resident_code"},
			{"a resident of another municipality", nhi.IncomeInput{ResidentCode: "930001", IncomeYear: "2025", TaxableIncome: "0", Revenue: "0", OldProvisoIncome: "0"}, "not found"},
		} {
			if _, err := f.nhi.ProposeIncome(clerk, shinjuku, tc.in); fields(err) != tc.want {
				t.Errorf("%s: %v, want %s", tc.name, err, tc.want)
			}
		}
		if n := testutil.CountEvents(t, db, `action = 'nhi.income.propose' AND outcome <> 'ok'`); n != 3 {
			t.Errorf("%d refusals recorded, want 3", n)
		}
		p, err := f.nhi.ProposeIncome(clerk, shinjuku, nhi.IncomeInput{ResidentCode: "630001", IncomeYear: "2025", TaxableIncome: "1,500,000",
			Revenue: "4,000,000", OldProvisoIncome: "2,200,000"})
		if err != nil || p.Kind != nhi.KindIncome {
			t.Fatalf("propose: %+v %v", p, err)
		}
		c, err := f.review.Submit(clerk, f.User(t, "clerk"), shinjuku, p)
		if err != nil {
			t.Fatal(err)
		}
		if got := rows(t, db); got != before {
			t.Errorf("a pending entry wrote %d rows", got-before)
		}
		if _, err := f.review.Confirm(clerk, f.User(t, "clerk"), shinjuku, c.ID, nil); err == nil {
			t.Error("the clerk confirmed their own entry")
		}
		if _, err := f.review.Confirm(testutil.As("checker"), f.User(t, "checker"), shinjuku, c.ID, nil); err != nil {
			t.Fatal(err)
		}
		ds := f.decisions(t, hh)
		if len(ds) != 2 || ds[0].Ratio != 3 || ds[0].Cause != nhi.CauseIncome || ds[0].Basis.Members[0].Revenue != 4_000_000 || ds[1].Ratio != 2 {
			t.Errorf("after the income was confirmed: %+v", ds)
		}
		if n := testutil.CountEvents(t, db, `action = 'nhi.income' AND outcome = 'ok' AND subject_type = 'nhi_insured' AND subject_id = '630001'`); n != 2 {
			t.Errorf("%d income events of the person, want 2", n)
		}
	})
}

// R-NHI-3, R-NHI-2: a 高齢受給者証 is issued to an insured person aged
// 70–74 with the household's cost share decided then, from its first day
// (the first of the month after the 70th birthday when issued before),
// valid at most to 31 July and to the day before the 75th birthday; a
// 資格確認書 of a member aged 70–74 prints the ratio too, one of a younger
// member none. The ratio is kept as issued, in the issuance history.
func TestElderlyCard(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		for _, r := range [][2]string{
			{"640001", "1954-05-10"}, // 72
			{"640002", "1990-01-01"}, // in 640001's household
			{"640003", "1952-01-20"}, // 75 on 2027-01-20
			{"640004", "1956-12-15"}, // 70 on 2026-12-14: the cost share from 2027-01-01
			{"640005", "1954-02-02"}, // 72, not decided
		} {
			f.person(t, shinjuku, r[0], "テスト", r[1])
		}
		h1 := f.newHousehold(t, "640001", "640001", "2024-04-01", "6401")
		f.join(t, "640002", h1, "2024-04-01", "6401", "02")
		h3 := f.newHousehold(t, "640003", "640003", "2024-04-01", "6403")
		h4 := f.newHousehold(t, "640004", "640004", "2024-04-01", "6404")
		f.newHousehold(t, "640005", "640005", "2024-04-01", "6405")
		for _, c := range []string{"640001", "640003", "640004"} {
			f.incomeOf(t, c, "0", "2000000", "1000000")
		}
		clerk := testutil.As("clerk")
		for _, d := range []struct {
			hh int64
			on string
		}{{h1, "2026-08-01"}, {h3, "2026-08-01"}, {h4, "2027-01-01"}} {
			if _, err := f.nhi.DetermineCostShare(clerk, shinjuku, d.hh, d.on); err != nil {
				t.Fatal(err)
			}
		}
		issue := func(code, kind, issued, until string) (nhi.Document, string) {
			t.Helper()
			d, err := f.nhi.IssueDocument(clerk, shinjuku, nhi.DocumentInput{ResidentCode: code, Kind: kind, IssuedOn: issued, ValidUntil: until,
				Delivery: nhi.DeliveryMail, Reason: nhi.IssueNew})
			return d, fields(err)
		}
		before := rows(t, db)
		for _, tc := range []struct {
			name, code, kind, issued, until, want string
		}{
			{"valid past 31 July", "640001", nhi.DocElderly, "2026-11-01", "2027-08-01", "valid_until"},
			{"valid on the 75th birthday", "640003", nhi.DocElderly, "2026-11-01", "2027-01-20", "valid_until"},
			{"under 70", "640002", nhi.DocElderly, "2026-11-01", "2027-07-31", "issued_on"},
			{"no cost share decided", "640005", nhi.DocElderly, "2026-11-01", "2027-07-31", "kind"},
			{"a 資格確認書 of a member aged 70–74 with no cost share decided", "640005", nhi.DocCertificate, "2026-11-01", "2031-10-31", "kind"},
			{"without validity", "640001", nhi.DocElderly, "2026-11-01", "", "valid_until"},
		} {
			if _, got := issue(tc.code, tc.kind, tc.issued, tc.until); got != tc.want {
				t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
			}
		}
		if got := rows(t, db); got != before {
			t.Errorf("refused issues wrote %d rows", got-before)
		}
		el, got := issue("640001", nhi.DocElderly, "2026-11-01", "2027-07-31")
		if got != "ok" || el.CostShareRatio != 2 || el.CostShareDecision == 0 || nhi.Date(el.ValidFrom) != "2026-11-01" || el.KindName != "高齢受給者証" || el.Status != "valid" {
			t.Errorf("高齢受給者証: %s %+v", got, el)
		}
		if d, got := issue("640003", nhi.DocElderly, "2026-11-01", "2027-01-19"); got != "ok" || d.CostShareRatio != 2 {
			t.Errorf("高齢受給者証 to the day before the 75th birthday: %s %+v", got, d)
		}
		if d, got := issue("640004", nhi.DocElderly, "2026-12-01", "2027-07-31"); got != "ok" || nhi.Date(d.ValidFrom) != "2027-01-01" || d.CostShareRatio != 2 {
			t.Errorf("高齢受給者証 issued before the cost share applies: %s %+v", got, d)
		}
		if d, got := issue("640001", nhi.DocCertificate, "2026-11-01", "2031-10-31"); got != "ok" || d.CostShareRatio != 2 {
			t.Errorf("資格確認書 of a member aged 70–74: %s %+v", got, d)
		}
		if d, got := issue("640002", nhi.DocCertificate, "2026-11-01", "2031-10-31"); got != "ok" || d.CostShareRatio != 0 || d.CostShareDecision != 0 {
			t.Errorf("資格確認書 of a younger member: %s %+v", got, d)
		}
		// The ratio stays as issued when the household is decided again:
		// both documents are reissued printing the new ratio (reason
		// changed) and the old ones stay in the history, replaced.
		f.incomeOf(t, "640001", "1500000", "4000000", "2200000")
		ds := f.decisions(t, h1)
		if len(ds) != 2 || ds[0].Ratio != 3 {
			t.Errorf("h1 decided again: %+v", ds)
		}
		docs, err := f.nhi.Documents(clerk, shinjuku, "640001")
		if err != nil || len(docs) != 4 || docs[3].ID != el.ID || docs[3].CostShareRatio != 2 || docs[3].Status != "replaced" || docs[2].Kind != nhi.DocCertificate ||
			docs[1].Replaces != el.ID || docs[1].CostShareRatio != 3 || docs[1].Reason != nhi.IssueChanged || docs[1].CostShareDecision != ds[0].ID ||
			docs[0].Kind != nhi.DocCertificate || docs[0].CostShareRatio != 3 {
			t.Errorf("issuance history: %+v %v", docs, err)
		}
		if n := testutil.CountEvents(t, db, `action = 'nhi.document.issue' AND outcome = 'ok' AND subject_type = 'nhi_insured' AND subject_id = '640001'`); n != 4 {
			t.Errorf("%d issue events of 640001, want 4", n)
		}
	})
}

// R-NHI-3: the daily job's loss at the 75th birthday changes the
// household, and its cost share is decided again from that day, counting
// the member who left for 後期高齢者医療 as a former member.
func TestCostShareRedecidedAt75(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.person(t, shinjuku, "670001", "テスト", "1951-12-10") // 75 on 2026-12-10
		f.person(t, shinjuku, "670002", "テスト", "1955-03-03") // 71
		hh := f.newHousehold(t, "670001", "670001", "2024-04-01", "6701")
		f.join(t, "670002", hh, "2024-04-01", "6701", "02")
		// Together: 課税所得 150万, 収入 600万 ≥ 520万: 3割. From the 75th
		// birthday 670002 is the one 70–74 member, 収入 350万 < 383万: 2割,
		// and the basis names the former member.
		f.incomeOf(t, "670001", "1500000", "2500000", "2200000")
		f.incomeOf(t, "670002", "1500000", "3500000", "2200000")
		clerk := testutil.As("clerk")
		if d, err := f.nhi.DetermineCostShare(clerk, shinjuku, hh, "2026-08-01"); err != nil || d.Ratio != 3 || len(d.Basis.Members) != 2 {
			t.Fatalf("decided on 1 August: %+v %v", d, err)
		}
		f.now = f.now.AddDate(0, 0, 9) // 2026-12-11
		if n, err := f.nhi.ApplyDueLosses(testutil.As("system")); err != nil || n != 1 {
			t.Fatalf("the 75th-birthday loss: %d %v", n, err)
		}
		ds := f.decisions(t, hh)
		if len(ds) != 2 || ds[0].Cause != nhi.CauseHousehold || nhi.Date(ds[0].PeriodFrom) != "2026-12-10" || len(ds[0].Basis.Members) != 1 ||
			len(ds[0].Basis.Former) != 1 || ds[0].Basis.Former[0].ResidentCode != "670001" || ds[0].Ratio != 2 || ds[0].Rule != nhi.RuleRevenueSingle ||
			ds[1].Ratio != 3 {
			t.Errorf("after the loss at 75: %+v", ds)
		}
	})
}
