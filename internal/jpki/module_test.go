package jpki_test

import (
	"testing"
	"time"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/jpki"
	"bango/internal/resident"
	"bango/internal/store"
	"bango/internal/testutil"
)

// R-JPKI-1: the section's issuance count for a day is the certificates
// issued that day in its municipality, counted from the audit log (nothing
// else of an issuance is kept): a failed issuance, another day and another
// municipality do not count; a day that is not a date is refused on its
// field.
func TestIssuedOnCountsTheDay(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		a, err := f.jpki.Open(clerk(), shinjuku, code, resident.VerifiedByMyNumberCard)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.jpki.Issue(clerk(), shinjuku, a.ID, requestOf(t, cardKey(t, 0), cardKey(t, 1))); err != nil {
			t.Fatal(err)
		}
		a, err = f.jpki.Open(clerk(), shinjuku, code, resident.VerifiedByMyNumberCard)
		if err != nil {
			t.Fatal(err)
		}
		f.ca.SetTamper(func(_ jpki.IssueRequest, resp *jpki.IssueResponse) { resp.RequestID = "another" })
		if _, err := f.jpki.Issue(clerk(), shinjuku, a.ID, requestOf(t, cardKey(t, 0), nil)); err == nil {
			t.Fatal("a bad answer issued")
		}
		f.ca.SetTamper(nil)
		// serve places events in the audit tree every second; the count
		// reads the placed ones.
		testutil.Place(t, db, testutil.NewSequencer(t, db, audit.SequencerOptions{Every: 100000, Period: time.Hour}))
		today := time.Now().In(time.FixedZone("JST", 9*60*60))
		for day, want := range map[string]int{"": 2, today.Format(time.DateOnly): 2, today.AddDate(0, 0, -1).Format(time.DateOnly): 0} {
			c, err := f.jpki.IssuedOn(clerk(), shinjuku, day)
			if err != nil || c.Issued != want || c.Day == "" {
				t.Errorf("day %q: %+v, %v; want %d", day, c, err, want)
			}
		}
		if c, err := f.jpki.IssuedOn(clerk(), sapporo, ""); err != nil || c.Issued != 0 {
			t.Errorf("Sapporo: %+v, %v", c, err)
		}
		if _, err := f.jpki.IssuedOn(clerk(), shinjuku, "yesterday"); len(errs.Fields(err)) != 1 || errs.Fields(err)[0].Field != "day" {
			t.Errorf("a day that is not a date: %v", err)
		}
	})
}

// R-JPKI-2: the module's jobs are the sweeper and the sending of the
// register's changes, each every minute (bango serve runs a job at start,
// then at each period: cmd/bango/watch.go), and running the sweeper's job
// destroys a leftover work record.
func TestModuleJobs(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		if _, err := f.jpki.Open(clerk(), shinjuku, code, resident.VerifiedByMyNumberCard); err != nil {
			t.Fatal(err)
		}
		restarted := f.service(t, f.ca.ClientConfig(f.srv.URL))
		jobs := restarted.Module().Jobs
		if len(jobs) != 2 || jobs[0].Every != time.Minute || jobs[1].Every != time.Minute {
			t.Fatalf("jobs: %+v", jobs)
		}
		if err := jobs[0].Run(testutil.As("system:jobs")); err != nil {
			t.Fatal(err)
		}
		if got := testutil.Outcomes(t, db, "jpki.expire"); len(got) != 1 {
			t.Errorf("the sweeper's job at start: %v", got)
		}
		if err := jobs[1].Run(testutil.As("system:jobs")); err != nil {
			t.Fatal(err)
		}
	})
}
