package jpki_test

import (
	"testing"
	"time"

	"bango/internal/errs"
	"bango/internal/jpki"
	"bango/internal/resident"
	"bango/internal/store"
	"bango/internal/testutil"
)

// R-JPKI-2: one issuance per application. While the CA works on it, a
// second click and a cancel are refused and send nothing, and the sweeper
// leaves it to the call that sends it; that call still destroys the work
// record with the outcome.
func TestOneIssuanceAtATime(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		sig := cardKey(t, 0)
		k := f.keeper(t, sig)
		a, err := f.jpki.Open(clerk(), shinjuku, code, resident.VerifiedByMyNumberCard)
		if err != nil {
			t.Fatal(err)
		}
		f.ca.SetDelay(300 * time.Millisecond)
		defer f.ca.SetDelay(0)
		served := f.ca.Served()
		type outcome struct {
			res jpki.Result
			err error
		}
		done := make(chan outcome)
		go func() {
			res, err := f.jpki.Issue(clerk(), shinjuku, a.ID, requestOf(t, sig, nil))
			done <- outcome{res, err}
		}()
		for f.ca.Served() == served {
			time.Sleep(5 * time.Millisecond) // until the request is at the CA
		}
		if _, err := f.jpki.Issue(clerk(), shinjuku, a.ID, requestOf(t, sig, nil)); !errs.Is(err, errs.Conflict) {
			t.Errorf("a second click while the first is at the CA: %v", err)
		}
		if err := f.jpki.Cancel(clerk(), shinjuku, a.ID); !errs.Is(err, errs.Conflict) {
			t.Errorf("a cancel while the issuance is at the CA: %v", err)
		}
		f.jpki.SetClock(func() time.Time { return time.Now().Add(jpki.OpenFor + time.Minute) })
		if n, err := f.jpki.Sweep(testutil.As("system:jobs")); err != nil || n != 0 {
			t.Errorf("the sweeper took an application being sent: %d, %v", n, err)
		}
		f.jpki.SetClock(time.Now)
		got := <-done
		if got.err != nil || len(got.res.Issued) != 1 {
			t.Fatalf("the first click: %v %+v", got.err, got.res)
		}
		if f.ca.Served() != served+1 {
			t.Errorf("the CA served %d requests for one application", f.ca.Served()-served)
		}
		k.nothingKept(t, "after one issuance and a second click")
		if got := testutil.Outcomes(t, db, "jpki.expire"); len(got) != 0 {
			t.Errorf("expiry events: %v", got)
		}
	})
}

// R-JPKI-2 under load: windows opening and issuing at once share the
// committer's transactions (group.go), and every outcome still ends its
// own work record: all issued, one event each, nothing kept.
func TestWindowsAtOnceKeepNothing(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		sig := cardKey(t, 0)
		k := f.keeper(t, sig)
		const windows = 8
		errc := make(chan error, windows)
		for range windows {
			go func() {
				a, err := f.jpki.Open(clerk(), shinjuku, code, resident.VerifiedByMyNumberCard)
				if err == nil {
					_, err = f.jpki.Issue(clerk(), shinjuku, a.ID, requestOf(t, sig, nil))
				}
				errc <- err
			}()
		}
		for range windows {
			if err := <-errc; err != nil {
				t.Error(err)
			}
		}
		if got := testutil.Outcomes(t, db, "jpki.issue"); len(got) != windows {
			t.Errorf("%d issue events, want %d", len(got), windows)
		}
		if got := testutil.Outcomes(t, db, "jpki.open"); len(got) != windows {
			t.Errorf("%d open events, want %d", len(got), windows)
		}
		k.nothingKept(t, "after windows at once")
	})
}
