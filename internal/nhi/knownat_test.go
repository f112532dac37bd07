package nhi_test

import (
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
