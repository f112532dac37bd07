package nhi_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"bango/internal/errs"
	"bango/internal/nhi"
	"bango/internal/store"
	"bango/internal/testutil"
)

// R-NHI-1: NHI is lost on the 75th birthday itself (後期高齢者医療への移行),
// and the 70–74 cost share starts the month after the 70th year is
// reached. A birthday on 1 April reaches its age on 31 March; one on 29
// February reaches it on 28 February in a common year, so its 75th
// birthday (always in a common year: 75 years after a leap year) is 1 March.
func TestAgeDates(t *testing.T) {
	for _, tc := range []struct {
		birth, loss75, elderly70 string
	}{
		{"1951-12-10", "2026-12-10", "2022-01-01"}, // 70 in December: from January
		{"1951-04-01", "2026-04-01", "2021-04-01"}, // 1 April: the cost share from the birth month
		{"1951-04-02", "2026-04-02", "2021-05-01"},
		{"1952-02-29", "2027-03-01", "2022-03-01"}, // 29 February: 28 February reaches the age
		{"1956-02-29", "2031-03-01", "2026-03-01"},
		{"1956-03-01", "2031-03-01", "2026-03-01"},
		{"1960-01-01", "2035-01-01", "2030-01-01"}, // the 1st of a month: that month
		{"1960-12-31", "2035-12-31", "2031-01-01"},
	} {
		b := day(tc.birth)
		if got := nhi.Date(nhi.Birthday75(b)); got != tc.loss75 {
			t.Errorf("Birthday75(%s) = %s, want %s", tc.birth, got, tc.loss75)
		}
		if got := nhi.Date(nhi.Elderly70From(b)); got != tc.elderly70 {
			t.Errorf("Elderly70From(%s) = %s, want %s", tc.birth, got, tc.elderly70)
		}
	}
}

// R-NHI-1 bad input: every rule of eligibility is the domain's, each
// refusal names the field and the rule, nothing is written, and the
// refusal is an event.
func TestEligibilityRules(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.person(t, shinjuku, "100001", "ヤマダ　タロウ", "1980-04-01")
		f.person(t, shinjuku, "100002", "ヤマダ　ハナコ", "2010-05-05")
		f.person(t, shinjuku, "100003", "スズキ　イチロウ", "1970-01-01")
		f.person(t, shinjuku, "100004", "サトウ　ジロウ", "1951-12-10") // 75 on 2026-12-10
		f.person(t, shinjuku, "100005", "タナカ　サブロウ", "1985-07-07")
		f.person(t, sapporo, "900001", "サッポロ　タロウ", "1980-01-01")
		h1 := f.newHousehold(t, "100001", "100001", "2024-04-01", "1001")
		// 100003 heads a household of their own without NHI (擬制世帯主).
		h2 := f.newHousehold(t, "100005", "100003", "2024-04-01", "1002")
		acq := func(code, on string, mod func(*nhi.AcquisitionInput)) nhi.AcquisitionInput {
			in := nhi.AcquisitionInput{ResidentCode: code, AcquiredOn: on, Reason: nhi.AcquireMoveIn, NotifiedOn: on, Household: h1, Number: "1001", Branch: "02"}
			if mod != nil {
				mod(&in)
			}
			return in
		}
		for _, tc := range []struct {
			name string
			in   nhi.AcquisitionInput
			want string // the wrong fields, or the error's kind
		}{
			{"a period overlapping the open one", acq("100001", "2025-01-01", func(in *nhi.AcquisitionInput) { in.Number, in.Branch = "", "" }), "acquired_on"},
			{"a closed period overlapping the open one", acq("100001", "2023-01-01", func(in *nhi.AcquisitionInput) {
				in.LostOn, in.LossReason, in.Number, in.Branch = "2024-05-01", nhi.LossJoinedEmployee, "", ""
				in.Household, in.NewKigo, in.NewHead = 0, "新宿", "100001"
			}), "acquired_on"},
			{"a loss before the acquisition", acq("100002", "2024-06-01", func(in *nhi.AcquisitionInput) {
				in.LostOn, in.LossReason = "2024-05-31", nhi.LossJoinedEmployee
			}), "lost_on"},
			{"a loss on the acquisition date", acq("100002", "2024-06-01", func(in *nhi.AcquisitionInput) {
				in.LostOn, in.LossReason = "2024-06-01", nhi.LossJoinedEmployee
			}), "lost_on"},
			{"before the person's birth", acq("100002", "2010-01-01", func(in *nhi.AcquisitionInput) { in.Household, in.NewKigo, in.NewHead = 0, "新宿", "100002" }), "acquired_on"},
			{"beyond the advance-notice window", acq("100002", "2026-12-17", func(in *nhi.AcquisitionInput) { in.NotifiedOn = "2026-12-02" }), "acquired_on,notified_on"},
			{"notified in the future", acq("100002", "2026-11-01", func(in *nhi.AcquisitionInput) { in.NotifiedOn = "2026-12-03" }), "notified_on"},
			{"on the 75th birthday", acq("100004", "2026-12-10", func(in *nhi.AcquisitionInput) { in.NotifiedOn = "2026-12-01" }), "acquired_on"},
			{"a loss after the 75th birthday", acq("100004", "2024-06-01", func(in *nhi.AcquisitionInput) {
				in.LostOn, in.LossReason, in.NotifiedOn = "2026-12-11", nhi.LossMoveOut, "2026-12-01"
			}), "lost_on"},
			{"the head of another household", acq("100003", "2024-06-01", nil), "resident_code"},
			{"an insured number already used", acq("100002", "2024-06-01", func(in *nhi.AcquisitionInput) { in.Branch = "01" }), "number"},
			{"no insured number", acq("100002", "2024-06-01", func(in *nhi.AcquisitionInput) { in.Number, in.Branch = "", "" }), "number"},
			{"a household that does not exist then", acq("100002", "2024-03-01", nil), "household"},
			{"a household that does not exist", acq("100002", "2024-06-01", func(in *nhi.AcquisitionInput) { in.Household = h2 + 1000 }), "household"},
			{"both a household and a new one", acq("100002", "2024-06-01", func(in *nhi.AcquisitionInput) { in.NewKigo, in.NewHead = "新宿", "100002" }), "household"},
			{"a new head in another household", acq("100002", "2024-06-01", func(in *nhi.AcquisitionInput) { in.Household, in.NewKigo, in.NewHead = 0, "新宿", "100001" }), "new_head"},
			{"no reason, a wrong date", acq("100002", "2024-13-01", func(in *nhi.AcquisitionInput) { in.Reason, in.NotifiedOn = "引越し", "2024-06-01" }), "acquired_on,reason"},
			{"a resident of another municipality", acq("900001", "2024-06-01", nil), "not found"},
			{"a new head of another municipality", acq("100002", "2024-06-01", func(in *nhi.AcquisitionInput) { in.Household, in.NewKigo, in.NewHead = 0, "新宿", "900001" }), "not found"},
		} {
			before := rows(t, db)
			_, err := f.nhi.ProposeAcquisition(testutil.As("clerk"), shinjuku, tc.in)
			if got := fields(err); got != tc.want {
				t.Errorf("%s: %v (fields %s), want %s", tc.name, err, got, tc.want)
			}
			for _, fe := range errs.Fields(err) {
				if fe.Reason.JA == "" || fe.Reason.EN == "" {
					t.Errorf("%s: field %s without a Japanese and an English reason", tc.name, fe.Field)
				}
			}
			if rows(t, db) != before {
				t.Errorf("%s: a refused entry wrote rows", tc.name)
			}
		}
		if n := testutil.CountEvents(t, db, `action = 'nhi.acquire.propose' AND outcome IN ('error', 'denied')`); n != 19 {
			t.Errorf("%d refusals recorded, want 19", n)
		}
		if n := testutil.CountEvents(t, db, `action = 'nhi.acquire.propose' AND outcome = 'denied' AND subject_id = '900001'`); n != 1 {
			t.Errorf("the probe of another municipality's resident recorded %d times", n)
		}
		// Accepted: a closed period before the open one, entered late (遡及).
		f.acquire(t, acq("100001", "2020-01-01", func(in *nhi.AcquisitionInput) {
			in.LostOn, in.LossReason, in.NotifiedOn, in.Number, in.Branch = "2021-01-01", nhi.LossJoinedEmployee, "2024-04-01", "", ""
			in.Household, in.NewKigo, in.NewHead = 0, "新宿", "100001"
		}))
		rec, err := f.nhi.Get(testutil.As("clerk"), shinjuku, "100001", "2020-06-01")
		if err != nil || !rec.Person.Insured || rec.Person.Household == 0 || rec.Person.Household == h1 || len(rec.Periods) != 2 || !rec.Events[0].Late {
			t.Fatalf("the late closed period: %+v %v", rec, err)
		}
		// Its household, new then, ended with the period.
		if v, err := f.nhi.Household(testutil.As("clerk"), shinjuku, rec.Person.Household, "2021-01-01"); err != nil || v.Exists {
			t.Errorf("the household of the closed period: %+v %v", v, err)
		}
		if rec, _ := f.nhi.Get(testutil.As("clerk"), shinjuku, "100001", "2022-01-01"); rec.Person.Insured || rec.Person.Household != 0 {
			t.Errorf("insured between the periods: %+v", rec.Person)
		}
		// A notice within 14 days is not late; one after is.
		f.join(t, "100002", h1, "2024-06-01", "1001", "02")
		rec, _ = f.nhi.Get(testutil.As("clerk"), shinjuku, "100002", "")
		if rec.Events[0].Late {
			t.Errorf("a notice on the day is late: %+v", rec.Events[0])
		}
		// Losses.
		for _, tc := range []struct {
			name string
			in   nhi.LossInput
			want string
		}{
			{"before the acquisition", nhi.LossInput{ResidentCode: "100002", LostOn: "2024-05-01", Reason: nhi.LossMoveOut, NotifiedOn: "2024-05-01"}, "lost_on"},
			{"on the acquisition date", nhi.LossInput{ResidentCode: "100002", LostOn: "2024-06-01", Reason: nhi.LossMoveOut, NotifiedOn: "2024-06-01"}, "lost_on"},
			{"someone never insured", nhi.LossInput{ResidentCode: "100003", LostOn: "2025-06-01", Reason: nhi.LossMoveOut, NotifiedOn: "2025-06-01"}, "lost_on"},
			{"the head leaving members behind", nhi.LossInput{ResidentCode: "100001", LostOn: "2025-06-01", Reason: nhi.LossDeath, NotifiedOn: "2025-06-01"}, "new_head"},
			{"a new head in another household", nhi.LossInput{ResidentCode: "100001", LostOn: "2025-06-01", Reason: nhi.LossDeath, NotifiedOn: "2025-06-01", NewHead: "100003"}, "new_head"},
			{"a new head when the head stays", nhi.LossInput{ResidentCode: "100002", LostOn: "2025-06-01", Reason: nhi.LossJoinedEmployee, NotifiedOn: "2025-06-01", NewHead: "100001"}, "new_head"},
			{"of another municipality", nhi.LossInput{ResidentCode: "900001", LostOn: "2025-06-01", Reason: nhi.LossMoveOut, NotifiedOn: "2025-06-01"}, "not found"},
		} {
			before := rows(t, db)
			_, err := f.nhi.ProposeLoss(testutil.As("clerk"), shinjuku, tc.in)
			if got := fields(err); got != tc.want {
				t.Errorf("loss %s: %v (fields %s), want %s", tc.name, err, got, tc.want)
			}
			if rows(t, db) != before {
				t.Errorf("loss %s: a refused entry wrote rows", tc.name)
			}
		}
		// The head dies: the spouse becomes head on the same date.
		p, err := f.nhi.ProposeLoss(testutil.As("clerk"), shinjuku, nhi.LossInput{ResidentCode: "100001", LostOn: "2025-06-01", Reason: nhi.LossDeath,
			NotifiedOn: "2025-07-01", NewHead: "100002"})
		f.enter(t, p, err)
		v, err := f.nhi.Household(testutil.As("clerk"), shinjuku, h1, "2025-06-01")
		if err != nil || v.Head != "100002" || v.PseudoHead || !cmp.Equal(codes(v.Members), []string{"100002"}) {
			t.Fatalf("after the head's death: %+v %v", v, err)
		}
		rec, _ = f.nhi.Get(testutil.As("clerk"), shinjuku, "100001", "")
		if last := rec.Events[len(rec.Events)-1]; last.Kind != "loss" || last.Reason != nhi.LossDeath || !last.Late {
			t.Errorf("the loss notified after 30 days: %+v", last)
		}
		// The last member leaves: the household ends with them.
		p, err = f.nhi.ProposeLoss(testutil.As("clerk"), shinjuku, nhi.LossInput{ResidentCode: "100002", LostOn: "2026-04-01", Reason: nhi.LossJoinedEmployee,
			NotifiedOn: "2026-04-01"})
		f.enter(t, p, err)
		if v, _ := f.nhi.Household(testutil.As("clerk"), shinjuku, h1, "2026-04-01"); v.Exists || len(v.Members) != 0 {
			t.Errorf("a household with no insured member left still exists: %+v", v)
		}
		if v, _ := f.nhi.Household(testutil.As("clerk"), shinjuku, h1, "2026-03-31"); !v.Exists || v.Head != "100002" {
			t.Errorf("the day before: %+v", v)
		}
		// A later entry cannot go behind a recorded loss.
		if _, err := f.nhi.ProposeLoss(testutil.As("clerk"), shinjuku, nhi.LossInput{ResidentCode: "100002", LostOn: "2026-03-01",
			Reason: nhi.LossMoveOut, NotifiedOn: "2026-03-01"}); fields(err) != "lost_on" {
			t.Errorf("a loss before the recorded one: %v", err)
		}
	})
}

// R-NHI-1: the loss at the 75th birthday is scheduled at the acquisition
// and applied by the daily job on the birthday itself, including a
// birthday on 1 April and on 29 February; running the job again changes
// nothing, and a loss entered before the birthday makes it needless.
func TestBirthday75Loss(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.person(t, shinjuku, "200001", "イチ", "1951-12-10")
		f.person(t, shinjuku, "200002", "ニ", "1952-04-01")
		f.person(t, shinjuku, "200003", "サン", "1952-02-29")
		f.person(t, shinjuku, "200004", "ヨン", "1950-01-01") // 75 on 2025-01-01, entered late
		f.person(t, shinjuku, "200005", "ゴ", "1952-06-30")  // moves away before 75
		f.person(t, shinjuku, "200006", "ロク", "1990-06-30") // keeps the household of 200001
		hh := f.newHousehold(t, "200001", "200001", "2024-04-01", "2001")
		f.join(t, "200006", hh, "2024-04-01", "2001", "02")
		f.newHousehold(t, "200002", "200002", "2024-04-01", "2002")
		f.newHousehold(t, "200003", "200003", "2024-04-01", "2003")
		f.newHousehold(t, "200005", "200005", "2024-04-01", "2005")
		p, err := f.nhi.ProposeAcquisition(testutil.As("clerk"), shinjuku, nhi.AcquisitionInput{ResidentCode: "200004", AcquiredOn: "2020-01-01",
			Reason: nhi.AcquireLeftEmployee, NotifiedOn: "2026-12-01", NewKigo: "新宿", NewHead: "200004", Number: "2004", Branch: "01"})
		f.enter(t, p, err)
		for code, want := range map[string]string{"200001": "2026-12-10", "200002": "2027-04-01", "200003": "2027-03-01", "200004": "", "200005": "2027-06-30"} {
			rec, err := f.nhi.Get(testutil.As("clerk"), shinjuku, code, "")
			if err != nil || nhi.Date(rec.ScheduledLoss) != want {
				t.Errorf("%s: scheduled loss %s (%v), want %q", code, nhi.Date(rec.ScheduledLoss), err, want)
			}
		}
		// Entered after the birthday had passed: lost on it at once.
		rec, _ := f.nhi.Get(testutil.As("clerk"), shinjuku, "200004", "")
		if rec.Person.Insured || len(rec.Periods) != 1 || nhi.Date(rec.Periods[0].LostOn) != "2025-01-01" || rec.Periods[0].LossReason != nhi.LossLateElderly {
			t.Errorf("the late acquisition past 75: %+v", rec)
		}
		p, err = f.nhi.ProposeLoss(testutil.As("clerk"), shinjuku, nhi.LossInput{ResidentCode: "200005", LostOn: "2026-12-15", Reason: nhi.LossMoveOut,
			NotifiedOn: "2026-12-02"})
		f.enter(t, p, err)
		// The clerk's count of the losses coming, without the one made
		// needless by the move (200005) nor another municipality's.
		for _, c := range []struct {
			tenant     string
			days, want int
		}{{shinjuku, 30, 1}, {shinjuku, 7, 0}, {shinjuku, 8, 1}, {shinjuku, 90, 2}, {shinjuku, 365, 3}, {sapporo, 365, 0}} {
			if n, err := f.nhi.CountBirthday75Within(testutil.As("clerk"), c.tenant, c.days); err != nil || n != c.want {
				t.Errorf("%s, %d days ahead: %d 75th birthdays (%v), want %d", c.tenant, c.days, n, err, c.want)
			}
		}
		job := testutil.As("system:jobs")
		for _, step := range []struct {
			on      string
			applied int
			lost    []string
		}{
			{"2026-12-09", 0, nil},
			{"2026-12-10", 1, []string{"200001"}},
			{"2026-12-10", 0, nil}, // again: nothing twice
			{"2027-02-28", 0, nil},
			{"2027-03-01", 1, []string{"200003"}},
			{"2027-03-31", 0, nil},
			{"2027-04-01", 1, []string{"200002"}},
			{"2027-07-01", 0, nil}, // 200005 moved away first
		} {
			f.now = day(step.on).Add(time.Hour)
			n, err := f.nhi.ApplyDueLosses(job)
			if err != nil || n != step.applied {
				t.Fatalf("%s: applied %d (%v), want %d", step.on, n, err, step.applied)
			}
			for _, code := range step.lost {
				before, _ := f.nhi.Get(testutil.As("clerk"), shinjuku, code, day(step.on).AddDate(0, 0, -1).Format(time.DateOnly))
				after, _ := f.nhi.Get(testutil.As("clerk"), shinjuku, code, step.on)
				last := after.Events[len(after.Events)-1]
				if !before.Person.Insured || after.Person.Insured || last.Reason != nhi.LossLateElderly || last.Source != "birthday75" || !after.ScheduledLoss.IsZero() {
					t.Errorf("%s on %s: insured the day before %v, on the day %v, last event %+v", code, step.on, before.Person.Insured, after.Person.Insured, last)
				}
			}
		}
		// The head who left for 後期高齢者医療 stays the head (擬制世帯主).
		v, err := f.nhi.Household(testutil.As("clerk"), shinjuku, hh, "2026-12-10")
		if err != nil || v.Head != "200001" || !v.PseudoHead || !cmp.Equal(codes(v.Members), []string{"200006"}) {
			t.Errorf("the household after its head turned 75: %+v %v", v, err)
		}
		if n := testutil.CountEvents(t, db, `action = 'nhi.loss' AND actor_user = 'system:jobs' AND detail LIKE 'source=birthday75%'`); n != 3 {
			t.Errorf("%d loss events of the job, want 3", n)
		}
	})
}

// R-ACC-1, R-NHI-1: an acquisition entered by a clerk is invisible to
// the current state until a different staff member confirms it; the
// clerk cannot confirm their own; a rejected entry leaves the database as
// it was.
func TestMakerChecker(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.person(t, shinjuku, "300001", "ヤマダ　タロウ", "1980-04-01")
		f.person(t, shinjuku, "300002", "ヤマダ　ジロウ", "1982-04-01")
		clerk := testutil.As("clerk")
		p, err := f.nhi.ProposeAcquisition(clerk, shinjuku, nhi.AcquisitionInput{ResidentCode: "300001", AcquiredOn: "2026-11-20", Reason: nhi.AcquireMoveIn,
			NotifiedOn: "2026-11-25", NewKigo: "新宿", NewHead: "300001", Number: "3001", Branch: "01"})
		if err != nil {
			t.Fatal(err)
		}
		before := rows(t, db)
		c, err := f.review.Submit(clerk, f.User(t, "clerk"), shinjuku, p)
		if err != nil {
			t.Fatal(err)
		}
		search := func() (int, int) {
			t.Helper()
			page, err := f.nhi.Find(clerk, shinjuku, nhi.Query{KanaPrefix: "やまだ"}, "", 0)
			if err != nil {
				t.Fatal(err)
			}
			n, _, err := f.nhi.Count(clerk, shinjuku, nhi.Query{ResidentCode: "300001"})
			if err != nil {
				t.Fatal(err)
			}
			return len(page.Items), n
		}
		if found, n := search(); found != 0 || n != 0 || rows(t, db) != before {
			t.Fatalf("an unconfirmed acquisition is visible: found %d, counted %d", found, n)
		}
		if _, err := f.nhi.Get(clerk, shinjuku, "300001", ""); !errs.Is(err, errs.NotFound) {
			t.Fatalf("Get of an unconfirmed acquisition: %v", err)
		}
		if _, err := f.review.Confirm(clerk, f.User(t, "clerk"), shinjuku, c.ID, nil); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("the clerk confirmed their own entry: %v", err)
		}
		if _, err := f.review.Confirm(testutil.As("checker"), f.User(t, "checker"), shinjuku, c.ID, nil); err != nil {
			t.Fatal(err)
		}
		if found, n := search(); found != 1 || n != 1 {
			t.Fatalf("after confirmation: found %d, counted %d", found, n)
		}
		page, err := f.nhi.Find(clerk, shinjuku, nhi.Query{Number: "3001-01"}, "", 0)
		if err != nil || len(page.Items) != 1 || page.Items[0].InsuredNumber() != "新宿・3001（01）" || !page.Items[0].BirthDate.Equal(day("1980-04-01")) {
			t.Fatalf("by insured number: %+v %v", page, err)
		}
		// Rejected: nothing written.
		p, err = f.nhi.ProposeAcquisition(clerk, shinjuku, nhi.AcquisitionInput{ResidentCode: "300002", AcquiredOn: "2026-11-20", Reason: nhi.AcquireMoveIn,
			NotifiedOn: "2026-11-25", Household: page.Items[0].Household, Number: "3001", Branch: "02"})
		if err != nil {
			t.Fatal(err)
		}
		before = rows(t, db)
		c, err = f.review.Submit(clerk, f.User(t, "clerk"), shinjuku, p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.review.Reject(testutil.As("checker"), f.User(t, "checker"), shinjuku, c.ID, "番号の誤り"); err != nil {
			t.Fatal(err)
		}
		if rows(t, db) != before {
			t.Fatal("a rejected entry changed the NHI tables")
		}
		if _, n := search(); n != 1 {
			t.Fatalf("after the rejection: %d", n)
		}
		// An entry that no longer holds when confirmed is refused then, and
		// writes nothing: the same number confirmed for someone else first.
		f.person(t, shinjuku, "300003", "ヤマダ　サブロウ", "1984-04-01")
		p1, err := f.nhi.ProposeAcquisition(clerk, shinjuku, nhi.AcquisitionInput{ResidentCode: "300002", AcquiredOn: "2026-11-20", Reason: nhi.AcquireMoveIn,
			NotifiedOn: "2026-11-25", Household: page.Items[0].Household, Number: "3001", Branch: "03"})
		if err != nil {
			t.Fatal(err)
		}
		p2, err := f.nhi.ProposeAcquisition(clerk, shinjuku, nhi.AcquisitionInput{ResidentCode: "300003", AcquiredOn: "2026-11-20", Reason: nhi.AcquireMoveIn,
			NotifiedOn: "2026-11-25", Household: page.Items[0].Household, Number: "3001", Branch: "03"})
		if err != nil {
			t.Fatal(err)
		}
		f.enter(t, p1, nil)
		c2, err := f.review.Submit(clerk, f.User(t, "clerk"), shinjuku, p2)
		if err != nil {
			t.Fatal(err)
		}
		before = rows(t, db)
		if _, err := f.review.Confirm(testutil.As("checker"), f.User(t, "checker"), shinjuku, c2.ID, nil); !errs.Is(err, errs.Conflict) || fields(err) != "number" {
			t.Fatalf("a number taken meanwhile: %v", err)
		}
		if rows(t, db) != before {
			t.Fatal("a refused confirmation wrote rows")
		}
	})
}

// R-AC-6: another municipality's insured persons and households are not
// found, searches there list none of them, and on PostgreSQL row-level
// security hides every NHI row from a transaction scoped elsewhere.
func TestOtherMunicipality(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.person(t, shinjuku, "400001", "ヤマダ　タロウ", "1980-04-01")
		hh := f.newHousehold(t, "400001", "400001", "2024-04-01", "4001")
		other := testutil.As("sapporo")
		if _, err := f.nhi.Get(other, sapporo, "400001", ""); !errs.Is(err, errs.NotFound) {
			t.Errorf("Get from Sapporo: %v", err)
		}
		if _, err := f.nhi.Household(other, sapporo, hh, ""); err == nil {
			t.Errorf("Sapporo read Shinjuku's household")
		}
		page, err := f.nhi.Find(other, sapporo, nhi.Query{KanaPrefix: "ヤマダ"}, "", 0)
		if err != nil || len(page.Items) != 0 {
			t.Errorf("Find from Sapporo: %+v %v", page, err)
		}
		if n := testutil.CountEvents(t, db, `action = 'nhi.read' AND outcome = 'denied' AND tenant_code = $1 AND subject_id = '400001'`, sapporo); n != 1 {
			t.Errorf("the probe from Sapporo recorded %d times", n)
		}
		if db.Engine() != store.Postgres {
			return
		}
		for _, table := range []string{"nhi_households", "nhi_household_versions", "nhi_insured", "nhi_eligibility_events", "nhi_memberships", "nhi_scheduled_losses"} {
			var seen, own int
			if err := db.ReadRow(store.WithScope(other, sapporo), `SELECT count(*) FROM `+table).Scan(&seen); err != nil {
				t.Fatal(err)
			}
			if err := db.ReadRow(store.WithScope(other, shinjuku), `SELECT count(*) FROM `+table).Scan(&own); err != nil {
				t.Fatal(err)
			}
			if seen != 0 || own == 0 {
				t.Errorf("%s: Sapporo's scope sees %d rows, Shinjuku's %d", table, seen, own)
			}
		}
	})
}
