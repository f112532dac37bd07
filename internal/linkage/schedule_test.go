package linkage_test

import (
	"strings"
	"testing"
	"time"

	"bango/internal/errs"
	"bango/internal/linkage"
	"bango/internal/store"
	"bango/internal/testutil"
)

// R-LNK-1, R-NHI-8: linkage jobs run on their schedule, once per period
// across processes: a municipality's schedule names the job, partner and
// insurer (a wrong one refused by field); bango serve's minute tick runs
// what is due — the daily eligibility-continuity file from 06:00 in
// Japan, kept for the partner to pull, the monthly count of open work on
// the 1st — and not again in the same period; a run while another
// process holds the job's lease is refused, and runs once the lease has
// expired; every run is in the history with its records, outcome and
// report, and reading the history is recorded.
func TestScheduledJobs(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.aggregationPartners(t)
		f.insure(t)
		f.linkage.SetEligibilitySource(f.nhi)
		jst := time.FixedZone("JST", 9*60*60)
		now := time.Now().In(jst)
		clock := time.Date(now.Year(), now.Month()+1, 1, 5, 59, 0, 0, jst) // the 1st of next month
		f.linkage.SetClock(func() time.Time { return clock })
		admin := testutil.As("is-admin")

		_, err := f.linkage.SetSchedule(admin, linkage.Schedule{Tenant: shinjuku, Job: "nhi-eligibility-export", Partner: "aggregation", Insurer: "13801", Enabled: true})
		fieldErr(t, "a five-digit insurer", err, "insurer")
		_, err = f.linkage.SetSchedule(admin, linkage.Schedule{Tenant: shinjuku, Job: "nhi-eligibility-export", Partner: aggregationIn, Insurer: "138016", Enabled: true})
		if !errs.Is(err, errs.Forbidden) {
			t.Errorf("an inbound partner for an outbound file: %v", err)
		}
		_, err = f.linkage.SetSchedule(admin, linkage.Schedule{Tenant: shinjuku, Job: "no-such-job", Enabled: true})
		fieldErr(t, "an unknown job", err, "job")
		for _, sc := range []linkage.Schedule{
			{Tenant: shinjuku, Job: "nhi-eligibility-export", Partner: "aggregation", Insurer: "138016", Enabled: true},
			{Tenant: shinjuku, Job: "aggregation-open-work", Enabled: true},
		} {
			if _, err := f.linkage.SetSchedule(admin, sc); err != nil {
				t.Fatal(err)
			}
		}
		ctx := testutil.As("system:jobs")
		// 05:59: nothing is due yet.
		runs, err := f.linkage.RunDue(ctx)
		if err != nil || len(runs) != 0 {
			t.Fatalf("at 05:59: %+v %v", runs, err)
		}
		clock = clock.Add(2 * time.Minute) // 06:01
		runs, err = f.linkage.RunDue(ctx)
		if err != nil || len(runs) != 1 || runs[0].Job != "nhi-eligibility-export" || runs[0].Outcome != linkage.RunOK || runs[0].Records != 3 ||
			runs[0].FileJob == 0 || runs[0].How != "schedule" || runs[0].Period != clock.Format(time.DateOnly) {
			t.Fatalf("at 06:01: %+v %v", runs, err)
		}
		if n := count(t, db, "linkage_staging"); n != 1 {
			t.Errorf("the file waits in %d staging rows, want 1", n)
		}
		// 07:01: the monthly job is due, the daily one not again.
		clock = clock.Add(time.Hour)
		if runs, err := f.linkage.RunDue(ctx); err != nil || len(runs) != 1 || runs[0].Job != "aggregation-open-work" || runs[0].Period != clock.Format("2006-01") {
			t.Fatalf("at 07:01: %+v %v", runs, err)
		}
		if runs, err := f.linkage.RunDue(ctx); err != nil || len(runs) != 0 {
			t.Fatalf("twice in a period: %+v %v", runs, err)
		}
		// By hand, while the file is not yet pulled: no second file.
		r, err := f.linkage.RunJob(testutil.As("cli:operator"), shinjuku, "nhi-eligibility-export", "manual", nil)
		if err != nil || r.Outcome != linkage.RunOK || r.Records != 0 || !strings.Contains(r.Report, "未受信") {
			t.Fatalf("by hand: %+v %v", r, err)
		}
		// Another process holds the lease: refused; once it expires, runs.
		if err := db.Transact(testutil.AllTenants(), func(tx *store.Tx) error {
			_, err := tx.Exec(testutil.AllTenants(), `INSERT INTO linkage_leases (tenant_code, job, holder, expires_at) VALUES ($1, $2, $3, $4)`,
				shinjuku, "aggregation-open-work", "other-process", clock.Add(5*time.Minute).UTC())
			return err
		}); err != nil {
			t.Fatal(err)
		}
		_, err = f.linkage.RunJob(testutil.As("cli:operator"), shinjuku, "aggregation-open-work", "manual", nil)
		testutil.Told(t, "lease held", err, errs.Conflict, "job aggregation-open-work is held by other-process", testutil.DeveloperWords)
		clock = clock.Add(6 * time.Minute)
		var seen [][2]int64
		r, err = f.linkage.RunJob(testutil.As("cli:operator"), shinjuku, "aggregation-open-work", "manual", func(done, total int64) { seen = append(seen, [2]int64{done, total}) })
		if err != nil || r.Outcome != linkage.RunOK || !strings.Contains(r.Report, "世帯継続性判定の未確認 0件") || len(seen) == 0 || r.Done != r.Total {
			t.Fatalf("after the lease expired: %+v %v %v", r, err, seen)
		}
		// The 1st of the month after, 07:00: both are due.
		first := time.Date(now.Year(), now.Month()+2, 1, 7, 0, 0, 0, jst)
		clock = first
		runs, err = f.linkage.RunDue(ctx)
		if err != nil || len(runs) != 2 {
			t.Fatalf("on the 1st: %+v %v", runs, err)
		}
		page, err := f.linkage.Runs(testutil.As("clerk"), shinjuku, "", 10)
		if err != nil || len(page.Items) != 6 || page.Items[0].StartedBy != "system:jobs" || page.Items[len(page.Items)-1].Job != "nhi-eligibility-export" {
			t.Fatalf("history %+v %v", page.Items, err)
		}
		if other, _ := f.linkage.Runs(testutil.As("clerk"), sapporo, "", 10); len(other.Items) != 0 {
			t.Errorf("Sapporo sees Shinjuku's runs")
		}
		if got := outcomes(t, db, "linkage.run"); got != "ok,ok,ok,denied,ok,ok,ok" {
			t.Errorf("linkage.run outcomes %s", got)
		}
		if n := len(testutil.Outcomes(t, db, "linkage.runs")); n != 2 {
			t.Errorf("%d history reads recorded, want 2", n)
		}
	})
}
