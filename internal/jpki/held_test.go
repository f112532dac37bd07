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

// R-JPKI-2 in memory: the sealed copy of a work record that the opening
// process keeps (so that issuing reads no row) lives exactly as long as the
// application — kept while it is open, a refused card request included,
// and gone at the outcome, at a cancel, at a sweep and past its time, also
// when another process's sweep ended the row.
func TestHeldCopyEndsWithTheApplication(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		sig := cardKey(t, 0)
		open := func() jpki.Application {
			t.Helper()
			a, err := f.jpki.Open(clerk(), shinjuku, code, resident.VerifiedByMyNumberCard)
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		held := func(want int, when string) {
			t.Helper()
			if n := f.jpki.Held(); n != want {
				t.Errorf("%s: %d sealed copies held, want %d", when, n, want)
			}
		}
		held(0, "at start")
		a := open()
		held(1, "open")
		forged := csrOf(t, sig)
		forged[len(forged)-3] ^= 1
		if _, err := f.jpki.Issue(clerk(), shinjuku, a.ID, jpki.Request{Signature: b64(forged)}); !errs.Is(err, errs.Invalid) {
			t.Fatalf("a forged request: %v", err)
		}
		held(1, "a refused card request (the application stays open)")
		if _, err := f.jpki.Issue(clerk(), shinjuku, a.ID, requestOf(t, sig, nil)); err != nil {
			t.Fatal(err)
		}
		held(0, "issued")

		a = open()
		if err := f.jpki.Cancel(clerk(), shinjuku, a.ID); err != nil {
			t.Fatal(err)
		}
		held(0, "cancelled")

		open()
		f.jpki.SetClock(func() time.Time { return time.Now().Add(jpki.OpenFor + time.Minute) })
		if n, err := f.jpki.Sweep(testutil.As("system:jobs")); err != nil || n != 1 {
			t.Fatalf("sweep: %d, %v", n, err)
		}
		f.jpki.SetClock(time.Now)
		held(0, "swept past its time")

		// Another process ended the row (not how bango runs: one server a
		// database); this process's copy goes at its time.
		open()
		other := f.service(t, f.ca.ClientConfig(f.srv.URL))
		if n, err := other.Sweep(testutil.As("system:jobs")); err != nil || n != 1 {
			t.Fatalf("the other process's sweep: %d, %v", n, err)
		}
		held(1, "the row ended by another process, before its time")
		f.jpki.SetClock(func() time.Time { return time.Now().Add(jpki.OpenFor + time.Minute) })
		if n, err := f.jpki.Sweep(testutil.As("system:jobs")); err != nil || n != 0 {
			t.Fatalf("sweep: %d, %v", n, err)
		}
		f.jpki.SetClock(time.Now)
		held(0, "past its time")
	})
}
