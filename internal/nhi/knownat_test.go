package nhi_test

import (
	"fmt"
	"testing"

	"bango/internal/nhi"
	"bango/internal/store"
	"bango/internal/testutil"
)

// R-NHI-1: a person's record reads as known at a date — only what was
// recorded by the end of that day — beside the record as of an effective
// date: a loss notified late (遡及) and recorded on 2 December is not in
// the record as known on 15 November, though it takes effect on 10
// November; nothing recorded yet is not found; a future or wrong date is
// refused naming known_at.
func TestKnownAt(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.person(t, shinjuku, "680001", "テスト", "1980-01-01")
		recordedNow := f.now
		f.now = day("2026-11-01").Add(3 * 3600e9) // 12:00 in Japan
		hh := f.newHousehold(t, "680001", "680001", "2026-10-20", "6801")
		f.now = recordedNow
		clerk := testutil.As("clerk")
		p, err := f.nhi.ProposeLoss(clerk, shinjuku, nhi.LossInput{ResidentCode: "680001", LostOn: "2026-11-10", Reason: nhi.LossJoinedEmployee, NotifiedOn: "2026-12-01"})
		f.enter(t, p, err)

		now, err := f.nhi.Get(clerk, shinjuku, "680001", "2026-11-20")
		if err != nil || now.Person.Insured || now.Person.Household != 0 || len(now.Events) != 2 || !now.Events[1].Late {
			t.Errorf("as of 20 November, as known now: %+v %v", now, err)
		}
		then, err := f.nhi.GetKnownAt(clerk, shinjuku, "680001", "2026-11-20", "2026-11-15")
		if err != nil || !then.Person.Insured || then.Person.Household != hh || len(then.Events) != 1 || len(then.Periods) != 1 ||
			!then.Periods[0].LostOn.IsZero() || nhi.Date(then.Person.KnownAt) != "2026-11-15" {
			t.Errorf("as of 20 November, as known on 15 November: %+v %v", then, err)
		}
		if later, err := f.nhi.GetKnownAt(clerk, shinjuku, "680001", "2026-11-20", "2026-12-02"); err != nil || later.Person.Insured || len(later.Events) != 2 {
			t.Errorf("as known on 2 December: %+v %v", later, err)
		}
		for _, tc := range []struct{ known, want string }{
			{"2026-10-31", "not found"},
			{"2026-12-10", "known_at"},
			{"2026-13-01", "known_at"},
		} {
			if _, err := f.nhi.GetKnownAt(clerk, shinjuku, "680001", "2026-11-20", tc.known); fields(err) != tc.want {
				t.Errorf("known at %s: %v, want %s", tc.known, err, tc.want)
			}
		}
		if n := testutil.CountEvents(t, db, `action = 'nhi.read' AND subject_id = '680001' AND detail LIKE '%known_at=2026-11-15%'`); n != 1 {
			t.Errorf("%d reads as known at recorded, want 1", n)
		}
	})
}

// R-NHI-1, R-NHI-3: a household and its cost-share decisions read as
// known at a date: a member's loss notified late (effective 10 November,
// recorded 2 December) and the re-decision it caused are not there as
// known on 15 November — both members, the 3割 decision alone — and are
// as known now; a household not yet recorded then is not found; a future
// date is refused naming known_at, and the read is an event saying
// known_at.
func TestHouseholdKnownAt(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.person(t, shinjuku, "690001", "テスト", "1954-05-10") // 72
		f.person(t, shinjuku, "690002", "テスト", "1955-03-03") // 71
		recordedNow := f.now
		f.now = day("2026-11-01").Add(3 * 3600e9) // 12:00 in Japan
		hh := f.newHousehold(t, "690001", "690001", "2026-10-20", "6901")
		f.join(t, "690002", hh, "2026-10-20", "6901", "02")
		// Together 収入 550万 ≥ 520万: 3割; 690001 alone 300万 < 383万: 2割.
		f.incomeOf(t, "690001", "1500000", "3000000", "2200000")
		f.incomeOf(t, "690002", "0", "2500000", "2000000")
		clerk := testutil.As("clerk")
		if d, err := f.nhi.DetermineCostShare(clerk, shinjuku, hh, "2026-10-20"); err != nil || d.Ratio != 3 {
			t.Fatalf("decided: %+v %v", d, err)
		}
		f.now = recordedNow
		p, err := f.nhi.ProposeLoss(clerk, shinjuku, nhi.LossInput{ResidentCode: "690002", LostOn: "2026-11-10", Reason: nhi.LossJoinedEmployee, NotifiedOn: "2026-12-01"})
		f.enter(t, p, err)

		now, err := f.nhi.HouseholdKnownAt(clerk, shinjuku, hh, "2026-11-20", "")
		if err != nil || len(now.Members) != 1 || now.Members[0].ResidentCode != "690001" || !now.KnownAt.IsZero() || len(now.Moves) != 3 {
			t.Errorf("as of 20 November, as known now: %+v %v", now, err)
		}
		then, err := f.nhi.HouseholdKnownAt(clerk, shinjuku, hh, "2026-11-20", "2026-11-15")
		if err != nil || len(then.Members) != 2 || then.Members[1].ResidentCode != "690002" || !then.Members[1].Insured || then.Head != "690001" ||
			!then.Exists || nhi.Date(then.KnownAt) != "2026-11-15" || len(then.Moves) != 2 || len(then.Versions) != 1 {
			t.Errorf("as of 20 November, as known on 15 November: %+v %v", then, err)
		}
		ds, err := f.nhi.CostShareDecisionsKnownAt(clerk, shinjuku, hh, then.KnownAt)
		if err != nil || len(ds) != 1 || ds[0].Ratio != 3 {
			t.Errorf("decisions as known on 15 November: %+v %v", ds, err)
		}
		ds, err = f.nhi.CostShareDecisionsKnownAt(clerk, shinjuku, hh, day("2026-12-02"))
		if err != nil || len(ds) != 2 || ds[0].Ratio != 2 || nhi.Date(ds[0].PeriodFrom) != "2026-11-10" {
			t.Errorf("decisions as known on 2 December: %+v %v", ds, err)
		}
		for _, tc := range []struct{ known, want string }{
			{"2026-10-31", "not found"},
			{"2026-12-10", "known_at"},
			{"2026-13-01", "known_at"},
		} {
			if _, err := f.nhi.HouseholdKnownAt(clerk, shinjuku, hh, "2026-11-20", tc.known); fields(err) != tc.want {
				t.Errorf("known at %s: %v, want %s", tc.known, err, tc.want)
			}
		}
		if n := testutil.CountEvents(t, db, `action = 'nhi.household.read' AND subject_id = '690002' AND detail LIKE '%known_at=2026-11-15%'`); n != 1 {
			t.Errorf("%d reads of 690002 as known at recorded, want 1", n)
		}
	})
}

// R-NHI-1: the search reads the record as known at a date (記録時点)
// beside the date the persons must be insured on: a loss recorded on 2
// December and an acquisition voided then do not count as known on 15
// November, so both persons are found in their household as of 20
// November then, and neither now; nobody recorded yet is found as known
// on 31 October; the count agrees with the page; a future date is
// refused naming known_at; the search's event says known_at.
func TestSearchKnownAt(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.person(t, shinjuku, "730001", "キロク", "1980-01-01")
		f.person(t, shinjuku, "730002", "キロク", "1982-01-01")
		recordedNow := f.now
		f.now = day("2026-11-01").Add(3 * 3600e9) // 12:00 in Japan
		hh := f.newHousehold(t, "730001", "730001", "2026-10-20", "7301")
		f.now = day("2026-11-02").Add(3 * 3600e9)
		f.join(t, "730002", hh, "2026-10-20", "7301", "02")
		f.now = recordedNow
		clerk := testutil.As("clerk")
		p, err := f.nhi.ProposeLoss(clerk, shinjuku, nhi.LossInput{ResidentCode: "730001", LostOn: "2026-11-10", Reason: nhi.LossMoveOut,
			NotifiedOn: "2026-12-01", NewHead: "730002"})
		f.enter(t, p, err)
		// A member acquired on 1 November in error, voided on 2 December.
		f.person(t, shinjuku, "730003", "キロク", "2015-01-01")
		f.now = day("2026-11-03").Add(3 * 3600e9)
		f.join(t, "730003", hh, "2026-10-25", "7301", "03")
		f.now = recordedNow
		p, err = f.nhi.ProposeVoid(clerk, shinjuku, nhi.VoidInput{ResidentCode: "730003", Event: f.latestEvent(t, "730003"), Reason: "誤入力"})
		f.enter(t, p, err)

		for _, tc := range []struct {
			q    nhi.Query
			want string
		}{
			{nhi.Query{Household: hh, AsOf: "2026-11-20"}, "[730002]"},
			{nhi.Query{Household: hh, AsOf: "2026-11-20", KnownAt: "2026-11-15"}, "[730001 730002 730003]"},
			{nhi.Query{KanaPrefix: "キロク", AsOf: "2026-11-20", KnownAt: "2026-11-15"}, "[730001 730002 730003]"},
			{nhi.Query{KanaPrefix: "キロク", AsOf: "2026-11-20"}, "[730002]"},
			{nhi.Query{Number: "7301", AsOf: "2026-11-20", KnownAt: "2026-10-31"}, "[]"},
			{nhi.Query{ResidentCode: "730001", AsOf: "2026-11-20", KnownAt: "2026-12-02"}, "[]"},
		} {
			page, err := f.nhi.Find(clerk, shinjuku, tc.q, "", 0)
			if err != nil || fmt.Sprint(codes(page.Items)) != tc.want {
				t.Errorf("%+v: %v %v, want %s", tc.q, codes(page.Items), err, tc.want)
				continue
			}
			n, _, err := f.nhi.Count(clerk, shinjuku, tc.q)
			if err != nil || n != len(page.Items) {
				t.Errorf("%+v: counted %d %v, listed %d", tc.q, n, err, len(page.Items))
			}
			for _, p := range page.Items {
				if tc.q.KnownAt != "" && (nhi.Date(p.KnownAt) != tc.q.KnownAt || p.Household != hh) {
					t.Errorf("%+v: %+v", tc.q, p)
				}
			}
		}
		if _, err := f.nhi.Find(clerk, shinjuku, nhi.Query{ResidentCode: "730001", KnownAt: "2026-12-10"}, "", 0); fields(err) != "known_at" {
			t.Errorf("a future known_at: %v", err)
		}
		if n := testutil.CountEvents(t, db, `action = 'nhi.search' AND subject_id = '730001' AND detail LIKE '%known_at=2026-11-15%'`); n != 2 {
			t.Errorf("%d searches as known at recorded of 730001, want 2", n)
		}
	})
}
