package nhi_test

import (
	"testing"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/nhi"
	"bango/internal/store"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
)

// latestEvent is the ID of code's latest eligibility event as recorded now.
func (f *fixture) latestEvent(t *testing.T, code string) int64 {
	t.Helper()
	rec, err := f.nhi.Get(testutil.As("clerk"), shinjuku, code, "")
	if err != nil || len(rec.Events) == 0 {
		t.Fatalf("events of %s: %+v %v", code, rec, err)
	}
	return rec.Events[len(rec.Events)-1].ID
}

// R-NHI-1, R-ACC-1 (訂正・取消): voiding an acquisition takes the person
// out of the record as of every date and of the search, while the record
// as known before the void still shows it; a household the acquisition
// established goes with it; the void waits for a checker other than its
// maker, and a clerk holding the checker's pattern too cannot confirm
// their own.
func TestVoidAcquisition(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.Staff(t, testkit.Staff{Login: "both", Tenant: shinjuku, Patterns: []string{"nhi-clerk", "nhi-checker"}})
		f.person(t, shinjuku, "700001", "トリケシ", "1980-01-01")
		f.person(t, shinjuku, "700002", "ノコル", "1981-01-01")
		recordedNow := f.now
		f.now = day("2026-11-01").Add(3 * 3600e9) // 12:00 in Japan
		hh := f.newHousehold(t, "700001", "700001", "2026-10-01", "7001")
		other := f.newHousehold(t, "700002", "700002", "2026-10-01", "7002")
		f.now = recordedNow
		clerk := testutil.As("clerk")
		ev := f.latestEvent(t, "700001")

		// Refused, naming the field, nothing waiting or written.
		before := rows(t, db)
		for _, tc := range []struct {
			in   nhi.VoidInput
			want string
		}{
			{nhi.VoidInput{ResidentCode: "700001", Event: ev}, "void_reason"},
			{nhi.VoidInput{ResidentCode: "700001", Event: ev, Reason: "123456789018の誤入力"}, "void_reason"}, // R-AC-4
			{nhi.VoidInput{ResidentCode: "700001", Reason: "誤入力"}, "event"},
			{nhi.VoidInput{ResidentCode: "700002", Event: ev, Reason: "誤入力"}, "event"}, // another person's event
			{nhi.VoidInput{ResidentCode: "700001", Event: ev, Reason: "誤入力", Loss: &nhi.LossInput{LostOn: "2026-11-01", Reason: nhi.LossOther, NotifiedOn: "2026-11-01"}}, "event"},
		} {
			if _, err := f.nhi.ProposeVoid(clerk, shinjuku, tc.in); fields(err) != tc.want {
				t.Errorf("%+v: %v, want %s", tc.in, err, tc.want)
			}
		}
		if rows(t, db) != before {
			t.Fatal("a refused void wrote rows")
		}

		p, err := f.nhi.ProposeVoid(clerk, shinjuku, nhi.VoidInput{ResidentCode: "700001", Event: ev, Reason: "別人の届出を誤って入力"})
		if err != nil || p.Kind != nhi.KindVoid {
			t.Fatalf("propose: %+v %v", p, err)
		}
		if rows(t, db) != before {
			t.Fatal("the proposal's trial was kept")
		}
		both := testutil.As("both")
		c, err := f.review.Submit(both, f.User(t, "both"), shinjuku, p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.review.Confirm(both, f.User(t, "both"), shinjuku, c.ID, nil); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("the maker confirmed their own void: %v", err)
		}
		if rec, err := f.nhi.Get(clerk, shinjuku, "700001", "2026-11-15"); err != nil || !rec.Person.Insured {
			t.Fatalf("unconfirmed void already holds: %+v %v", rec, err)
		}
		if _, err := f.review.Confirm(testutil.As("checker"), f.User(t, "checker"), shinjuku, c.ID, nil); err != nil {
			t.Fatal(err)
		}

		rec, err := f.nhi.Get(clerk, shinjuku, "700001", "2026-11-15")
		if err != nil || rec.Person.Insured || rec.Person.Household != 0 || len(rec.Events) != 0 || len(rec.Memberships) != 0 {
			t.Errorf("as of 15 November after the void: %+v %v", rec, err)
		}
		for _, q := range []nhi.Query{{ResidentCode: "700001", AsOf: "2026-11-15"}, {KanaPrefix: "トリケシ", AsOf: "2026-10-01"}, {Number: "7001"}} {
			if page, err := f.nhi.Find(clerk, shinjuku, q, "", 0); err != nil || len(page.Items) != 0 {
				t.Errorf("search %+v after the void: %v %v", q, codes(page.Items), err)
			}
		}
		if v, err := f.nhi.Household(clerk, shinjuku, hh, "2026-11-15"); err != nil || v.Exists || len(v.Members) != 0 || len(v.Versions) != 0 || len(v.Moves) != 0 {
			t.Errorf("the household it established, after the void: %+v %v", v, err)
		}
		if v, err := f.nhi.Household(clerk, shinjuku, other, "2026-11-15"); err != nil || !v.Exists || len(v.Members) != 1 {
			t.Errorf("another household: %+v %v", v, err)
		}
		// As known before the void (recorded 1 November, voided 2 December).
		then, err := f.nhi.GetKnownAt(clerk, shinjuku, "700001", "2026-11-15", "2026-11-20")
		if err != nil || !then.Person.Insured || then.Person.Household != hh || len(then.Events) != 1 {
			t.Errorf("as known on 20 November: %+v %v", then, err)
		}
		if v, err := f.nhi.HouseholdKnownAt(clerk, shinjuku, hh, "2026-11-15", "2026-11-20"); err != nil || !v.Exists || len(v.Members) != 1 {
			t.Errorf("the household as known on 20 November: %+v %v", v, err)
		}
		if n := testutil.CountEvents(t, db, `action = 'nhi.void' AND subject_id = '700001' AND detail LIKE '%event=`+itoa(ev)+` kind=acquire%change=`+itoa(c.ID)+`%'`); n != 1 {
			t.Errorf("%d void events, want 1", n)
		}
		// Voided once only; the person can be acquired again (no overlap left).
		if _, err := f.nhi.ProposeVoid(clerk, shinjuku, nhi.VoidInput{ResidentCode: "700001", Event: ev, Reason: "再"}); fields(err) != "event" {
			t.Errorf("voided twice: %v", err)
		}
		f.acquire(t, nhi.AcquisitionInput{ResidentCode: "700001", AcquiredOn: "2026-10-05", Reason: nhi.AcquireMoveIn, NotifiedOn: "2026-10-05", Household: other})
		if rec, err := f.nhi.Get(clerk, shinjuku, "700001", "2026-11-15"); err != nil || !rec.Person.Insured || rec.Person.Household != other {
			t.Errorf("acquired again: %+v %v", rec, err)
		}
	})
}

// R-NHI-1 (訂正): a correction voids the latest entry and records the
// right one in one change, checked by the same rules against the record
// without the wrong one: a corrected acquisition that would overlap the
// person's earlier period is refused on acquired_on with nothing written
// or waiting; an earlier entry than the latest is refused on event; a
// correct one moves the acquisition, the voided event is gone from the
// record now and still there as known before.
func TestCorrectAcquisition(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.person(t, shinjuku, "710001", "テイセイ", "1970-01-01")
		f.person(t, shinjuku, "710002", "テイセイ", "1968-01-01")
		recordedNow := f.now
		f.now = day("2026-11-01").Add(3 * 3600e9)
		hh := f.newHousehold(t, "710002", "710002", "2026-01-01", "7101")
		f.acquire(t, nhi.AcquisitionInput{ResidentCode: "710001", AcquiredOn: "2026-04-01", Reason: nhi.AcquireMoveIn, NotifiedOn: "2026-04-01",
			Household: hh, Number: "7101", Branch: "02", LostOn: "2026-06-01", LossReason: nhi.LossJoinedEmployee})
		f.join(t, "710001", hh, "2026-09-01", "7101", "02")
		f.now = recordedNow
		clerk := testutil.As("clerk")
		rec, err := f.nhi.Get(clerk, shinjuku, "710001", "")
		if err != nil || len(rec.Events) != 3 {
			t.Fatalf("history: %+v %v", rec, err)
		}
		first, latest := rec.Events[0].ID, rec.Events[2].ID
		before := rows(t, db)
		correct := func(event int64, on string) error {
			_, err := f.nhi.ProposeVoid(clerk, shinjuku, nhi.VoidInput{ResidentCode: "710001", Event: event, Reason: "取得日の誤り",
				Acquisition: &nhi.AcquisitionInput{AcquiredOn: on, Reason: nhi.AcquireLeftEmployee, NotifiedOn: "2026-09-01", Household: hh}})
			return err
		}
		if err := correct(latest, "2026-05-15"); fields(err) != "acquired_on" {
			t.Errorf("a corrected acquisition overlapping 2026-04-01..06-01: %v", err)
		}
		if err := correct(first, "2026-03-01"); fields(err) != "event" {
			t.Errorf("correcting an entry before the latest: %v", err)
		}
		if rows(t, db) != before || testutil.CountEvents(t, db, `action = 'nhi.correct.propose' AND outcome <> 'ok'`) != 2 {
			t.Fatal("a refused correction wrote rows, or was not an event")
		}
		if waiting, err := f.review.PendingFor(clerk, shinjuku, nhi.KindCorrect, audit.Subject{Type: "nhi_insured", ID: "710001"}); err != nil || waiting {
			t.Fatalf("a refused correction waits: %v %v", waiting, err)
		}
		p, err := f.nhi.ProposeVoid(clerk, shinjuku, nhi.VoidInput{ResidentCode: "710001", Event: latest, Reason: "取得日の誤り",
			Acquisition: &nhi.AcquisitionInput{AcquiredOn: "2026-08-15", Reason: nhi.AcquireLeftEmployee, NotifiedOn: "2026-09-01", Household: hh}})
		if err != nil || p.Kind != nhi.KindCorrect {
			t.Fatalf("propose: %+v %v", p, err)
		}
		f.enter(t, p, nil)
		rec, err = f.nhi.Get(clerk, shinjuku, "710001", "2026-08-20")
		if err != nil || !rec.Person.Insured || rec.Person.Household != hh || len(rec.Periods) != 2 ||
			nhi.Date(rec.Periods[1].AcquiredOn) != "2026-08-15" || rec.Periods[1].AcquireReason != nhi.AcquireLeftEmployee {
			t.Errorf("after the correction, as of 20 August: %+v %v", rec, err)
		}
		for _, e := range rec.Events {
			if e.ID == latest {
				t.Errorf("the voided event is in the record: %+v", e)
			}
		}
		then, err := f.nhi.GetKnownAt(clerk, shinjuku, "710001", "2026-08-20", "2026-11-20")
		if err != nil || then.Person.Insured || len(then.Periods) != 2 || nhi.Date(then.Periods[1].AcquiredOn) != "2026-09-01" {
			t.Errorf("as known on 20 November: %+v %v", then, err)
		}
		if page, err := f.nhi.Find(clerk, shinjuku, nhi.Query{ResidentCode: "710001", AsOf: "2026-08-20"}, "", 0); err != nil || len(page.Items) != 1 {
			t.Errorf("search as of 20 August: %v %v", codes(page.Items), err)
		}
		if n := testutil.CountEvents(t, db, `action = 'nhi.correct' AND subject_id = '710001' AND detail LIKE '%corrected_on=2026-08-15%'`); n != 1 {
			t.Errorf("%d correction events, want 1", n)
		}
	})
}

// R-NHI-1: voiding a loss gives the person back their household and
// period, and the 75th-birthday loss the loss had made needless is due
// again; the record as known before the void still shows the loss.
func TestVoidLoss(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.person(t, shinjuku, "720001", "ソウシツ", "1960-05-01")
		recordedNow := f.now
		f.now = day("2026-11-01").Add(3 * 3600e9)
		hh := f.newHousehold(t, "720001", "720001", "2026-04-01", "7201")
		p, err := f.nhi.ProposeLoss(testutil.As("clerk"), shinjuku, nhi.LossInput{ResidentCode: "720001", LostOn: "2026-10-01", Reason: nhi.LossJoinedEmployee, NotifiedOn: "2026-10-05"})
		f.enter(t, p, err)
		f.now = recordedNow
		clerk := testutil.As("clerk")
		if rec, err := f.nhi.Get(clerk, shinjuku, "720001", "2026-11-15"); err != nil || rec.Person.Insured || !rec.ScheduledLoss.IsZero() {
			t.Fatalf("after the loss: %+v %v", rec, err)
		}
		p, err = f.nhi.ProposeVoid(clerk, shinjuku, nhi.VoidInput{ResidentCode: "720001", Event: f.latestEvent(t, "720001"), Reason: "喪失届の取下げ"})
		f.enter(t, p, err)
		rec, err := f.nhi.Get(clerk, shinjuku, "720001", "2026-11-15")
		if err != nil || !rec.Person.Insured || rec.Person.Household != hh || len(rec.Events) != 1 || nhi.Date(rec.ScheduledLoss) != "2035-05-01" {
			t.Errorf("after the void of the loss: %+v %v", rec, err)
		}
		if v, err := f.nhi.Household(clerk, shinjuku, hh, "2026-11-15"); err != nil || !v.Exists || len(v.Members) != 1 {
			t.Errorf("the household after the void of the loss: %+v %v", v, err)
		}
		if then, err := f.nhi.GetKnownAt(clerk, shinjuku, "720001", "2026-11-15", "2026-11-20"); err != nil || then.Person.Insured || len(then.Events) != 2 {
			t.Errorf("as known on 20 November: %+v %v", then, err)
		}
	})
}
