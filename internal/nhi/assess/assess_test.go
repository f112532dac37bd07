package assess_test

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"bango/internal/errs"
	"bango/internal/export"
	"bango/internal/module"
	"bango/internal/nhi"
	"bango/internal/nhi/assess"
	"bango/internal/nhi/premium"
	"bango/internal/resident"
	"bango/internal/review"
	"bango/internal/store"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
)

const (
	shinjuku = testkit.Shinjuku
	sapporo  = testkit.Sapporo
)

// today is the date the tests run on, in Japan.
var today = time.Date(2026, 12, 2, 12, 0, 0, 0, time.FixedZone("JST", 9*60*60))

type fixture struct {
	*testkit.Kit
	residents *resident.Service
	review    *review.Service
	nhi       *nhi.Service
	assess    *assess.Service
	db        *store.DB
}

func setup(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	f := &fixture{Kit: testkit.New(t, db), db: db}
	f.Municipality(t, shinjuku, "新宿区")
	f.Municipality(t, sapporo, "札幌市")
	f.residents = resident.NewService(db, f.Vault, testkit.Quiet)
	f.review = review.NewService(db, f.Vault, f.Access)
	f.nhi = nhi.NewService(db, testkit.Quiet)
	f.nhi.SetClock(func() time.Time { return today })
	f.assess = assess.NewService(db, testkit.Quiet)
	f.assess.SetClock(func() time.Time { return today })
	// The declarations serve installs (cmd/bango/system.go).
	if err := module.Install([]module.Module{module.Access(f.Access), f.residents.Module(), f.nhi.Module(), f.assess.Module()}, f.review,
		export.NewService(db, f.Access)); err != nil {
		t.Fatal(err)
	}
	for _, s := range []testkit.Staff{
		{Login: "clerk", Tenant: shinjuku, Patterns: []string{"nhi-clerk"}},
		{Login: "checker", Tenant: shinjuku, Patterns: []string{"nhi-checker"}},
	} {
		f.Staff(t, s)
	}
	return f
}

// enter files p as the clerk and has the checker confirm it.
func (f *fixture) enter(t *testing.T, p review.Proposal, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("propose: %v", err)
	}
	c, err := f.review.Submit(testutil.As("clerk"), f.User(t, "clerk"), shinjuku, p)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	if _, err = f.review.Confirm(testutil.As("checker"), f.User(t, "checker"), shinjuku, c.ID, nil); err != nil {
		t.Fatalf("confirm %s: %v", p.Summary, err)
	}
}

// confirmRates has the clerk enter a rate table of 2026 and the checker confirm it.
func (f *fixture) confirmRates(t *testing.T, body []byte) {
	t.Helper()
	p, err := f.assess.ProposeRates(testutil.As("clerk"), shinjuku, 2026, body)
	f.enter(t, p, err)
}

func (f *fixture) person(t *testing.T, code, birth string) {
	t.Helper()
	in := testkit.Person(code, "")
	in.NameKana, in.NameKanji, in.BirthDate = "テスト", "試験　"+code, birth
	testkit.Resident(t, f.residents, shinjuku, in)
}

// household acquires code on on into a new household headed by head.
func (f *fixture) household(t *testing.T, code, head, on, number string) int64 {
	t.Helper()
	p, err := f.nhi.ProposeAcquisition(testutil.As("clerk"), shinjuku, nhi.AcquisitionInput{ResidentCode: code, AcquiredOn: on,
		Reason: nhi.AcquireMoveIn, NotifiedOn: on, NewKigo: "新宿", NewHead: head, Number: number, Branch: "01"})
	f.enter(t, p, err)
	rec, err := f.nhi.Get(testutil.As("clerk"), shinjuku, code, on)
	if err != nil || rec.Person.Household == 0 {
		t.Fatalf("household of %s: %+v %v", code, rec, err)
	}
	return rec.Person.Household
}

func (f *fixture) revenue(t *testing.T, code string, salary, pension, other int64) {
	t.Helper()
	if err := f.assess.RecordRevenue(testutil.As("clerk"), shinjuku, assess.RevenueInput{ResidentCode: code, IncomeYear: "2025",
		SalaryRevenue: strconv.FormatInt(salary, 10), PensionRevenue: strconv.FormatInt(pension, 10), OtherIncome: strconv.FormatInt(other, 10)}); err != nil {
		t.Fatal(err)
	}
}

func ratesFile(t *testing.T, edit func(string) string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/rates-2026.json")
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		return []byte(edit(string(b)))
	}
	return b
}

func count(t *testing.T, db *store.DB, table string) int {
	t.Helper()
	var n int
	if err := db.ReadRow(testutil.AllTenants(), `SELECT count(*) FROM `+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// fields lists err's wrong fields, or its kind when it has none.
func fields(err error) string {
	if err == nil {
		return "ok"
	}
	fs := errs.Fields(err)
	if len(fs) == 0 {
		return errs.KindOf(err).String()
	}
	var out []string
	for _, f := range fs {
		out = append(out, f.Field)
	}
	return strings.Join(out, ",")
}

// R-NHI-4, R-ACC-1: a municipality's rate table of a fiscal year holds
// only once a second person confirms it; a wrong table is refused naming
// its fields and writes nothing; a confirmed version is never changed (the
// database refuses it) and a correction is a new version that supersedes
// it, every version listed.
func TestRateTables(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		clerk := testutil.As("clerk")
		for _, c := range []struct {
			name, want string
			fy         int
			edit       func(string) string
		}{
			{"a part missing", "parts.child", 2026, func(s string) string {
				return strings.Replace(s, `"child": {"income_rate": "0.3", "per_capita": 1800, "per_household": 700, "cap": 30000, "rounding": 100, "adult_surcharge": 100}`, `"x": {}`, 1)
			}},
			{"a negative rate", "parts.medical.income_rate", 2026, func(s string) string { return strings.Replace(s, `"7"`, `"-7"`, 1) }},
			{"a negative amount", "parts.support.per_capita", 2026, func(s string) string { return strings.Replace(s, `12000`, `-12000`, 1) }},
			{"an unknown field", "percent", 2026, func(s string) string { return strings.Replace(s, `"care": {`, `"care": {"percent": 1, `, 1) }},
			{"another municipality's", "municipality", 2026, func(s string) string { return strings.Replace(s, `131041`, `011002`, 1) }},
			{"another year", "fiscal_year", 2025, nil},
			{"a year without statutory figures", "fiscal_year", 2024, func(s string) string { return strings.Replace(s, `2026`, `2024`, -1) }},
		} {
			_, err := f.assess.ProposeRates(clerk, shinjuku, c.fy, ratesFile(t, c.edit))
			got := fields(err)
			if !strings.Contains(","+got+",", ","+c.want+",") {
				t.Errorf("%s: refused on %q, want %s", c.name, got, c.want)
			}
			if fs := errs.Fields(err); len(fs) > 0 && (fs[0].Reason.JA == "" || fs[0].Reason.EN == "") {
				t.Errorf("%s: no words in both languages: %+v", c.name, fs[0])
			}
		}
		if n := count(t, db, "nhi_rate_tables") + count(t, db, "review_changes"); n != 0 {
			t.Errorf("refused tables wrote %d rows", n)
		}
		if got := testutil.Outcomes(t, db, "nhi.rates.propose"); len(got) != 7 {
			t.Errorf("refusals recorded: %v", got)
		}
		// Proposed, it does not hold until confirmed.
		p, err := f.assess.ProposeRates(clerk, shinjuku, 2026, ratesFile(t, nil))
		if err != nil {
			t.Fatal(err)
		}
		c, err := f.review.Submit(clerk, f.User(t, "clerk"), shinjuku, p)
		if err != nil {
			t.Fatal(err)
		}
		if vs, err := f.assess.RateTables(clerk, shinjuku, 2026); err != nil || len(vs) != 0 {
			t.Fatalf("before confirmation: %+v %v", vs, err)
		}
		if _, err := f.review.Confirm(clerk, f.User(t, "clerk"), shinjuku, c.ID, nil); err == nil {
			t.Fatal("the maker confirmed their own rate table")
		}
		if _, err := f.review.Confirm(testutil.As("checker"), f.User(t, "checker"), shinjuku, c.ID, nil); err != nil {
			t.Fatal(err)
		}
		// The same version again is refused; a correction is a new version.
		if _, err := f.assess.ProposeRates(clerk, shinjuku, 2026, ratesFile(t, nil)); fields(err) != "version" {
			t.Errorf("the same version again: %v", err)
		}
		f.confirmRates(t, ratesFile(t, func(s string) string {
			return strings.NewReplacer(`"2026-1"`, `"2026-2"`, `40000`, `41000`).Replace(s)
		}))
		vs, err := f.assess.RateTables(clerk, shinjuku, 2026)
		if err != nil || len(vs) != 2 {
			t.Fatalf("versions: %+v %v", vs, err)
		}
		if vs[0].Version != "2026-2" || !vs[0].InForce || vs[0].Seq != 2 || vs[0].Table.Parts["medical"].PerCapita != 41000 ||
			vs[1].Version != "2026-1" || vs[1].InForce || vs[1].ConfirmedBy != "checker" {
			t.Errorf("versions: %+v", vs)
		}
		// Sapporo sees none of Shinjuku's.
		if vs, err := f.assess.RateTables(testutil.As("clerk"), sapporo, 2026); err != nil || len(vs) != 0 {
			t.Errorf("another municipality's tables: %+v %v", vs, err)
		}
		// Confirmed, a version is never changed, not even by SQL.
		err = db.Transact(testutil.AllTenants(), func(tx *store.Tx) error {
			_, err := tx.Exec(testutil.AllTenants(), `UPDATE nhi_rate_tables SET body = '{}' WHERE version = '2026-1'`)
			return err
		})
		if err == nil {
			t.Error("a confirmed rate table was changed")
		}
		if n := testutil.Outcomes(t, db, "nhi.rates"); len(n) != 2 {
			t.Errorf("confirmations recorded: %v", n)
		}
	})
}

// The expected household of the assessment test, as the premium engine
// takes it, with its figures by hand where the comment gives them.
func estimate(t *testing.T, h premium.Household, medical int64) premium.Result {
	t.Helper()
	rules, err := premium.LoadRules(2026)
	if err != nil {
		t.Fatal(err)
	}
	rates, err := premium.DecodeRates(ratesFile(t, func(s string) string { return strings.Replace(s, `40000`, strconv.FormatInt(medical, 10), 1) }))
	if err != nil {
		t.Fatal(err)
	}
	r, err := premium.Estimate(2026, h, rates, rules)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// R-NHI-4: the yearly assessment reads each household's members, months
// and head from the eligibility of the year and their revenue of the
// income year, computes it with the confirmed rate table and stores it
// with the versions and figures used; run again it writes nothing; a
// change of revenue or of the rate table re-assesses the household,
// keeping the assessment before it and recording the difference; a
// household without revenue is listed with the reason and the others go
// on; a year without a confirmed table is refused and writes nothing.
func TestAssess(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		clerk := testutil.As("clerk")
		f.person(t, "700001", "1995-06-15") // A: alone, all year
		f.person(t, "700002", "1990-05-10") // B: acquired 15 October 2026
		f.person(t, "700003", "1960-02-01") // C: head outside NHI (擬制世帯主)
		f.person(t, "700004", "1962-03-03") //    … the insured member, 64: 介護分
		f.person(t, "700005", "1980-01-01") // D: no revenue recorded
		hA := f.household(t, "700001", "700001", "2020-04-01", "7001")
		hB := f.household(t, "700002", "700002", "2026-10-15", "7002")
		hC := f.household(t, "700004", "700003", "2020-04-01", "7004")
		hD := f.household(t, "700005", "700005", "2020-04-01", "7005")
		f.revenue(t, "700001", 3_000_000, 0, 0)
		f.revenue(t, "700002", 1_000_000, 0, 0)
		f.revenue(t, "700003", 0, 2_000_000, 0)
		f.revenue(t, "700004", 0, 0, 0)

		// No confirmed rate table yet: refused, nothing written.
		if _, err := f.assess.Assess(clerk, shinjuku, 2026, nil); fields(err) != "fiscal_year" {
			t.Fatalf("without a rate table: %v", err)
		}
		if n := count(t, db, "nhi_assessments"); n != 0 {
			t.Fatalf("wrote %d assessments without a table", n)
		}
		f.confirmRates(t, ratesFile(t, nil))
		var steps []int
		r, err := f.assess.Assess(clerk, shinjuku, 2026, func(done, total int) { steps = append(steps, done) })
		if err != nil {
			t.Fatal(err)
		}
		// D has no revenue: assessed as undeclared (未申告) and listed with
		// the reason, not refused.
		if r.Households != 4 || r.Assessed != 4 || r.Reassessed != 0 || r.Unchanged != 0 || len(r.Refused) != 0 || len(r.Undeclared) != 1 ||
			r.Undeclared[0].Household != hD || r.Undeclared[0].Fields[0] != "revenue" || !strings.Contains(r.Undeclared[0].Reason, "700005") {
			t.Fatalf("first run: %+v", r)
		}
		// D, 46 (介護分), undeclared: no 所得割, no reduction: 医療 40,000 +
		// 20,000; 支援 12,000 + 6,000; 介護 15,000 + 5,000; 子ども 1,800 +
		// 100 + 700 = 2,600. 100,600.
		histD, err := f.assess.History(clerk, shinjuku, hD)
		if err != nil || len(histD) != 1 || histD[0].Total != 100_600 || histD[0].Result.Reduction.Percent != 0 ||
			len(histD[0].Result.Reduction.Undeclared) != 1 || !histD[0].Input.Members[0].Undeclared {
			t.Fatalf("D undeclared: %+v %v", histD, err)
		}
		if len(steps) == 0 || steps[len(steps)-1] != 4 {
			t.Errorf("progress: %v", steps)
		}
		if r.RatesVersion != "2026-1" || r.RulesVersion == "" || r.IncomeTable == "" {
			t.Errorf("versions: %+v", r)
		}
		// A: 給与 3,000,000 − (30% + 80,000) = 2,020,000; base 1,590,000;
		// no reduction. 医療 111,300 + 40,000 + 20,000 = 171,300; 支援
		// 39,750 + 12,000 + 6,000 = 57,750 → 57,700; 子ども 4,770 + 1,800 +
		// 100 (18 and over) + 700 = 7,370 → 7,300; 介護 none (31). 236,300.
		histA, err := f.assess.History(clerk, shinjuku, hA)
		if err != nil || len(histA) != 1 {
			t.Fatalf("history A: %+v %v", histA, err)
		}
		a := histA[0]
		if a.Total != 236_300 || a.Seq != 1 || !a.InForce || a.RatesVersion != "2026-1" || a.PreviousTotal != nil {
			t.Errorf("A: total %d seq %d %+v", a.Total, a.Seq, a)
		}
		wantA := estimate(t, premium.Household{Members: []premium.Member{
			{ID: "700001", Head: true, Insured: true, BirthDate: "1995-06-15", SalaryRevenue: 3_000_000}}}, 40000)
		if a.Result.Total != wantA.Total {
			t.Errorf("A: %d, the engine alone %d", a.Result.Total, wantA.Total)
		}
		// B: insured from October: six months of twelve, as the engine
		// gives for the same household.
		histB, _ := f.assess.History(clerk, shinjuku, hB)
		wantB := estimate(t, premium.Household{Members: []premium.Member{
			{ID: "700002", Head: true, Insured: true, BirthDate: "1990-05-10", AcquiredOn: "2026-10-15", SalaryRevenue: 1_000_000}}}, 40000)
		if len(histB) != 1 || histB[0].Total != wantB.Total || histB[0].Result.Parts[0].Months != 6 {
			t.Errorf("B: %+v, want %d over 6 months", histB, wantB.Total)
		}
		// C: the head outside NHI counts in the reduction test with his
		// pension; the insured member is 64 all year: 介護分.
		histC, _ := f.assess.History(clerk, shinjuku, hC)
		wantC := estimate(t, premium.Household{Members: []premium.Member{
			{ID: "700003", Head: true, BirthDate: "1960-02-01", PensionRevenue: 2_000_000},
			{ID: "700004", Insured: true, BirthDate: "1962-03-03"}}}, 40000)
		if len(histC) != 1 || histC[0].Total != wantC.Total || histC[0].Result.Reduction.Percent != wantC.Reduction.Percent {
			t.Errorf("C: %+v, want %+v", histC, wantC)
		}
		for _, p := range histC[0].Result.Parts {
			if p.Part == premium.Care && p.Amount == 0 {
				t.Errorf("C: no 介護分 for a member aged 64")
			}
		}
		if n := testutil.Outcomes(t, db, "nhi.assess"); len(n) != 4 {
			t.Errorf("assessment events: %v", n)
		}

		// Run again: nothing changed, nothing written.
		before := count(t, db, "nhi_assessments")
		r, err = f.assess.Assess(clerk, shinjuku, 2026, nil)
		if err != nil || r.Unchanged != 4 || r.Assessed != 0 || r.Reassessed != 0 || len(r.Undeclared) != 1 || count(t, db, "nhi_assessments") != before {
			t.Fatalf("second run: %+v %v", r, err)
		}

		// A's revenue corrected: re-assessed, the first kept, the
		// difference recorded. 給与 2,000,000 − 680,000 = 1,320,000; base
		// 890,000: 医療 62,300 + 60,000 = 122,300; 支援 22,250 + 18,000 =
		// 40,250 → 40,200; 子ども 2,670 + 2,600 = 5,270 → 5,200. 167,700.
		f.revenue(t, "700001", 2_000_000, 0, 0)
		// D declares nothing: income 0, 7割 on every 均等割 and 平等割: 医療
		// 60,000 × 30% = 18,000; 支援 5,400; 介護 6,000; 子ども (1,800 +
		// 100) × 30% = 570 + 210 = 780 → 700. 30,100.
		f.revenue(t, "700005", 0, 0, 0)
		r, err = f.assess.Assess(clerk, shinjuku, 2026, nil)
		if err != nil || r.Reassessed != 2 || r.Assessed != 0 || r.Unchanged != 2 || len(r.Refused) != 0 || len(r.Undeclared) != 0 ||
			r.Decrease != 236_300-167_700+100_600-30_100 {
			t.Fatalf("after the correction: %+v %v", r, err)
		}
		histA, _ = f.assess.History(clerk, shinjuku, hA)
		if len(histA) != 2 || histA[0].Seq != 2 || histA[0].Total != 167_700 || *histA[0].PreviousTotal != 236_300 ||
			histA[0].Difference != 167_700-236_300 || !histA[0].InForce || histA[1].InForce || histA[1].Total != 236_300 {
			t.Fatalf("history A after the correction: %+v", histA)
		}
		if ch := histA[0].Changes; len(ch) != 3 || ch[0].Part != premium.Medical || ch[0].Before != 171_300 || ch[0].After != 122_300 {
			t.Errorf("changes: %+v", ch)
		}

		// A new version of the rate table re-assesses every household.
		f.confirmRates(t, ratesFile(t, func(s string) string {
			return strings.NewReplacer(`"2026-1"`, `"2026-2"`, `40000`, `41000`).Replace(s)
		}))
		r, err = f.assess.Assess(clerk, shinjuku, 2026, nil)
		if err != nil || r.Reassessed != 4 || r.RatesVersion != "2026-2" {
			t.Fatalf("after a new rate table: %+v %v", r, err)
		}
		histB, _ = f.assess.History(clerk, shinjuku, hB)
		wantB = estimate(t, premium.Household{Members: []premium.Member{
			{ID: "700002", Head: true, Insured: true, BirthDate: "1990-05-10", AcquiredOn: "2026-10-15", SalaryRevenue: 1_000_000}}}, 41000)
		if histB[0].Total != wantB.Total || histB[0].RatesVersion != "2026-2" || histB[1].RatesVersion != "2026-1" {
			t.Errorf("B after the new table: %+v", histB)
		}

		// The notice of A's first assessment: superseded now, addressed to the head.
		n, err := f.assess.Notice(clerk, shinjuku, histA[1].ID)
		if err != nil || n.InForce || n.HeadCode != "700001" || n.HeadName != "試験　700001" || n.Kigo != "新宿" || n.Total != 236_300 {
			t.Errorf("notice: %+v %v", n, err)
		}
		if _, err := f.assess.Notice(testutil.As("clerk"), sapporo, histA[1].ID); !errs.Is(err, errs.NotFound) {
			t.Errorf("Sapporo reads Shinjuku's notice: %v", err)
		}
		// An estimate gives what the assessment gives, and stores nothing.
		rows := count(t, db, "nhi_assessments")
		est, err := f.assess.Estimate(clerk, shinjuku, assess.EstimateInput{FiscalYear: 2026, Household: histB[0].Input})
		if err != nil || est.Total != histB[0].Total || count(t, db, "nhi_assessments") != rows {
			t.Errorf("estimate: %d %v, assessed %d", est.Total, err, histB[0].Total)
		}
		age := 131
		if _, err := f.assess.Estimate(clerk, shinjuku, assess.EstimateInput{FiscalYear: 2026, Household: premium.Household{Members: []premium.Member{
			{ID: "x", Head: true, Insured: true, Age: &age}}}}); fields(err) != "household.members[0].age" {
			t.Errorf("an age over 130: %v", err)
		}
		if _, err := f.assess.Estimate(clerk, shinjuku, assess.EstimateInput{FiscalYear: 2025, Household: histB[0].Input}); fields(err) != "fiscal_year" {
			t.Errorf("a year without a table: %v", err)
		}

		// Another municipality's household is not found, and the probe recorded.
		if _, err := f.assess.History(testutil.As("clerk"), sapporo, hA); !errs.Is(err, errs.NotFound) {
			t.Errorf("Sapporo reads Shinjuku's household: %v", err)
		}
	})
}
