package assess_test

import (
	"testing"
	"time"

	"bango/internal/nhi"
	"bango/internal/nhi/assess"
	"bango/internal/nhi/premium"
	"bango/internal/store"
	"bango/internal/testutil"
)

// R-NHI-4: from the eligibility history the yearly run finds a household
// whose member moved to 後期高齢者医療 and left one insured member: the
// one who moved counts as 特定同一世帯所属者 and the household is a 特定世帯
// (平等割 halved); and a birth notified (出産予定の届出) exempts the
// 産前産後 months. A wrong notice is refused naming its field.
func TestDerivedFromHistory(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		clerk := testutil.As("clerk")
		f.person(t, "720001", "1950-05-10")                            // P: 75 on 10 May 2025, to 後期高齢者医療
		f.person(t, "720002", "1960-01-01")                            // S: 66, the one insured left
		f.person(t, "720003", "1995-03-03")                            // M: 31, expecting in August 2026
		hh := f.household(t, "720002", "720001", "2020-04-01", "7202") // S, head P
		p, err := f.nhi.ProposeAcquisition(clerk, shinjuku, nhi.AcquisitionInput{ResidentCode: "720001", AcquiredOn: "2020-04-01",
			Reason: nhi.AcquireMoveIn, NotifiedOn: "2020-04-01", Household: hh, Number: "7201", Branch: "01",
			LostOn: "2025-05-10", LossReason: nhi.LossLateElderly})
		f.enter(t, p, err)
		hM := f.household(t, "720003", "720003", "2020-04-01", "7203")
		for _, c := range []string{"720001", "720002", "720003"} {
			f.revenue(t, c, 0, 0, 0)
		}
		f.confirmRates(t, ratesFile(t, nil))
		if _, err := f.assess.Assess(clerk, shinjuku, 2026, nil); err != nil {
			t.Fatal(err)
		}
		// S alone insured, P moved 11 months before 1 April 2026: 特定世帯.
		// Income 0 (P counted): 7割. 医療 均等割 40,000 × 30% = 12,000,
		// 平等割 20,000 ÷ 2 × 30% = 3,000; 支援 3,600 + 6,000 ÷ 2 × 30% =
		// 900; 子ども (1,800 + 100) × 30% = 570 + 700 ÷ 2 × 30% = 105 → 675
		// → 600; no 介護 (66). 15,000 + 4,500 + 600 = 20,100 yen (24,100
		// without the relief).
		hist, err := f.assess.History(clerk, shinjuku, hh)
		if err != nil || len(hist) != 1 {
			t.Fatalf("history: %+v %v", hist, err)
		}
		a := hist[0]
		former := false
		for _, m := range a.Input.Members {
			former = former || m.ID == "720001" && m.Former
		}
		if a.Total != 20_100 || a.Input.Relief != premium.ReliefSpecific || !former || a.Result.Reduction.Insured != 2 || a.Result.Reduction.Percent != 70 {
			t.Errorf("特定世帯: total %d relief %q former %v reduction %+v", a.Total, a.Input.Relief, former, a.Result.Reduction)
		}

		// Births: wrong notices refused, nothing written.
		for _, c := range []struct {
			in   assess.BirthInput
			want string
		}{
			{assess.BirthInput{ResidentCode: "720003", Kind: "soon", BirthMonth: "2026-08", NotifiedOn: "2026-11-01"}, "kind"},
			{assess.BirthInput{ResidentCode: "720003", Kind: "actual", BirthMonth: "2027-02", NotifiedOn: "2026-11-01"}, "birth_month"},
			{assess.BirthInput{ResidentCode: "720003", Kind: "expected", BirthMonth: "2026-8", NotifiedOn: "2026-11-01"}, "birth_month"},
			{assess.BirthInput{ResidentCode: "720003", Kind: "expected", BirthMonth: "2026-08", NotifiedOn: "2026-12-03"}, "notified_on"},
			{assess.BirthInput{ResidentCode: "799999", Kind: "expected", BirthMonth: "2026-08", NotifiedOn: "2026-11-01"}, "resident_code"},
		} {
			if err := f.assess.RecordBirth(clerk, shinjuku, c.in); fields(err) != c.want {
				t.Errorf("%+v: refused on %q, want %s", c.in, fields(err), c.want)
			}
		}
		if n := count(t, db, "nhi_births"); n != 0 {
			t.Fatalf("refused notices wrote %d rows", n)
		}
		// M expects a single birth in August 2026: July to October exempt
		// (4 of 12 months). 7割: 医療 12,000 × 8/12 = 8,000 + 平等割 6,000
		// = 14,000; 支援 3,600 × 8/12 = 2,400 + 1,800 = 4,200; 子ども 570 ×
		// 8/12 = 380 + 210 = 590 → 500. 18,700 yen (24,100 before: −5,400).
		if err := f.assess.RecordBirth(clerk, shinjuku, assess.BirthInput{ResidentCode: "720003", Kind: "expected", BirthMonth: "2026-08", NotifiedOn: "2026-06-01"}); err != nil {
			t.Fatal(err)
		}
		r, err := f.assess.Assess(clerk, shinjuku, 2026, nil)
		if err != nil || r.Reassessed != 1 || r.Unchanged != 1 {
			t.Fatalf("run after the birth notice: %+v %v", r, err)
		}
		histM, _ := f.assess.History(clerk, shinjuku, hM)
		if len(histM) != 2 || histM[1].Total != 24_100 || histM[0].Total != 18_700 || histM[0].Difference != -5_400 || histM[0].Input.Members[0].BirthMonth != "2026-08" {
			t.Errorf("産前産後: %+v", histM)
		}
		if got := testutil.Outcomes(t, db, "nhi.birth"); len(got) != 6 {
			t.Errorf("birth notices recorded: %v", got)
		}
	})
}

// R-NHI-4: a member's move to 後期高齢者医療 within the year, entered after
// the yearly run (the 75th-birthday loss applied in December), makes the
// household a 特定世帯 from the month of the move: the next run
// re-assesses it, the assessment before kept, the difference shown, and
// the breakdown gives the months at each 平等割. The figures are those of
// TestSpecificHouseholdWithinYear in internal/nhi/premium (same table):
// H 75 on 10 September 2026, W 68, no income, 7割.
func TestSpecificHouseholdFromTheMonthOfTheMove(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		clerk := testutil.As("clerk")
		// Entered in June 2026, before the birthday: the loss is scheduled.
		f.nhi.SetClock(func() time.Time { return time.Date(2026, 6, 1, 12, 0, 0, 0, today.Location()) })
		f.person(t, "740001", "1951-09-10") // H, the head: 75 on 10 September 2026
		f.person(t, "740002", "1958-06-01") // W
		hh := f.household(t, "740001", "740001", "2020-04-01", "7401")
		p, err := f.nhi.ProposeAcquisition(clerk, shinjuku, nhi.AcquisitionInput{ResidentCode: "740002", AcquiredOn: "2020-04-01",
			Reason: nhi.AcquireMoveIn, NotifiedOn: "2020-04-01", Household: hh, Number: "7402", Branch: "01"})
		f.enter(t, p, err)
		f.revenue(t, "740001", 0, 0, 0)
		f.revenue(t, "740002", 0, 0, 0)
		f.confirmRates(t, ratesFile(t, nil))
		// The yearly run before the move is recorded: H charged April–August
		// (the premium ends at 75 by law), two insured all the months anyone
		// is: no relief. 医療 17,000 + 6,000; 支援 5,100 + 1,800; 子ども 807 +
		// 210 → 1,000: 30,900 yen.
		if _, err := f.assess.Assess(clerk, shinjuku, 2026, nil); err != nil {
			t.Fatal(err)
		}
		hist, _ := f.assess.History(clerk, shinjuku, hh)
		if len(hist) != 1 || hist[0].Total != 30_900 || hist[0].Input.Relief != "" || hist[0].Input.ReliefChanges != nil {
			t.Fatalf("before the move: %+v", hist)
		}
		// The move is entered (the 75th-birthday job, run late).
		f.nhi.SetClock(func() time.Time { return today })
		if n, err := f.nhi.ApplyDueLosses(testutil.As("system")); err != nil || n != 1 {
			t.Fatalf("the 75th-birthday loss: %d %v", n, err)
		}
		// From September W is alone insured with H as 特定同一世帯所属者:
		// 平等割 医療 (6,000 × 5 + 3,000 × 7) ÷ 12 = 4,250, 支援 1,275, 子ども
		// 148: 21,200 + 6,300 + 900 = 28,400 yen (−2,500).
		r, err := f.assess.Assess(clerk, shinjuku, 2026, nil)
		if err != nil || r.Reassessed != 1 || r.Decrease != 2_500 {
			t.Fatalf("the run after the move: %+v %v", r, err)
		}
		hist, _ = f.assess.History(clerk, shinjuku, hh)
		if len(hist) != 2 || hist[1].Total != 30_900 || hist[0].Total != 28_400 || hist[0].Difference != -2_500 {
			t.Fatalf("re-assessment: %+v", hist)
		}
		a := hist[0]
		if a.Input.Relief != "" || len(a.Input.ReliefChanges) != 1 || a.Input.ReliefChanges[0] != (premium.ReliefChange{Month: "2026-09", Relief: premium.ReliefSpecific}) {
			t.Errorf("relief: %q %+v", a.Input.Relief, a.Input.ReliefChanges)
		}
		var months []premium.ReliefMonths
		for _, p := range a.Result.Parts {
			if p.Part == premium.Medical {
				months = p.HouseholdMonths
			}
		}
		if len(months) != 2 || months[0] != (premium.ReliefMonths{From: "2026-04", Months: 5, Rate: 20_000}) ||
			months[1] != (premium.ReliefMonths{Relief: premium.ReliefSpecific, From: "2026-09", Months: 7, Rate: 10_000}) {
			t.Errorf("医療分 months at each 平等割: %+v", months)
		}
		if len(a.Changes) != 3 {
			t.Errorf("parts changed: %+v", a.Changes)
		}
		if r, err := f.assess.Assess(clerk, shinjuku, 2026, nil); err != nil || r.Unchanged != 1 {
			t.Errorf("the rerun: %+v %v", r, err)
		}
	})
}
