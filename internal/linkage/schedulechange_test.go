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

// R-LNK-1, R-NHI-8: a linkage operator's change of when a job runs is a
// control change: it is filed for a second person and takes effect only
// when someone else confirms it (the operator cannot confirm their own);
// wrong times are refused by field and an unchanged schedule is refused;
// once confirmed the schedule runs at its new time and not at the old
// one, and the change is recorded with who confirmed it. A job started
// now runs in the background: its run is answered at once as running,
// and its outcome is read back.
func TestScheduleChangeNeedsASecondPerson(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		jst := time.FixedZone("JST", 9*60*60)
		now := time.Now().In(jst)
		clock := time.Date(now.Year(), now.Month()+1, 1, 6, 30, 0, 0, jst) // the 1st of next month, 06:30
		f.linkage.SetClock(func() time.Time { return clock })
		if _, err := f.linkage.SetSchedule(testutil.As("is-admin"), linkage.Schedule{Tenant: shinjuku, Job: "aggregation-open-work", Enabled: true}); err != nil {
			t.Fatal(err)
		}
		scheds, err := f.linkage.Schedules(testutil.As("clerk"), shinjuku)
		if err != nil || len(scheds) != 1 || scheds[0].Period != linkage.Monthly || scheds[0].Day != 1 || scheds[0].Hour != 7 {
			t.Fatalf("the job's default times: %+v %v", scheds, err)
		}
		clerk, checker := f.User(t, "clerk"), f.User(t, "checker")
		ctx := testutil.As("clerk")
		_, err = f.linkage.ProposeSchedule(ctx, clerk, shinjuku, linkage.ScheduleChange{Job: "aggregation-open-work", Period: linkage.Monthly, Day: 31, Hour: 6, Enabled: true})
		fieldErr(t, "day 31", err, "day")
		_, err = f.linkage.ProposeSchedule(ctx, clerk, shinjuku, linkage.ScheduleChange{Job: "aggregation-open-work", Period: linkage.Daily, Hour: 24, Enabled: true})
		fieldErr(t, "hour 24", err, "hour")
		_, err = f.linkage.ProposeSchedule(ctx, clerk, shinjuku, linkage.ScheduleChange{Job: "aggregation-open-work", Period: "weekly", Hour: 6, Enabled: true})
		fieldErr(t, "weekly", err, "period")
		_, err = f.linkage.ProposeSchedule(ctx, clerk, shinjuku, linkage.ScheduleChange{Job: "aggregation-open-work", Period: linkage.Monthly, Day: 1, Hour: 7, Enabled: true})
		testutil.Told(t, "unchanged", err, errs.Invalid, "schedule of aggregation-open-work unchanged", testutil.DeveloperWords)
		_, err = f.linkage.ProposeSchedule(ctx, clerk, sapporo, linkage.ScheduleChange{Job: "aggregation-open-work", Period: linkage.Daily, Hour: 6, Enabled: true})
		if !errs.Is(err, errs.NotFound) {
			t.Errorf("a municipality without the schedule: %v", err)
		}
		// Daily from 06:00: filed, not yet in force.
		c, err := f.linkage.ProposeSchedule(ctx, clerk, shinjuku, linkage.ScheduleChange{Job: "aggregation-open-work", Period: linkage.Daily, Hour: 6, Enabled: true})
		if err != nil || c.Kind != linkage.KindSchedule || !strings.Contains(c.Summary, "毎月1日 7時 → 毎日 6時") {
			t.Fatalf("filed %+v %v", c, err)
		}
		if runs, err := f.linkage.RunDue(testutil.As("system:jobs")); err != nil || len(runs) != 0 {
			t.Fatalf("at 06:30 before the confirmation: %+v %v", runs, err)
		}
		// The filed change is listed as waiting, for the jobs page; not to
		// another municipality.
		waiting, err := f.linkage.PendingSchedules(ctx, shinjuku)
		if p := waiting["aggregation-open-work"]; err != nil || len(waiting) != 1 || p.Change != c.ID || p.Maker != clerk.LoginID ||
			!strings.Contains(p.Summary, "毎月1日 7時 → 毎日 6時") || p.MadeAt.IsZero() {
			t.Fatalf("waiting changes: %+v %v", waiting, err)
		}
		if other, err := f.linkage.PendingSchedules(ctx, sapporo); err != nil || len(other) != 0 {
			t.Fatalf("Sapporo sees Shinjuku's waiting change: %+v %v", other, err)
		}
		if _, err := f.review.Confirm(ctx, clerk, shinjuku, c.ID, nil); err == nil {
			t.Fatal("the operator confirmed their own schedule change")
		}
		if _, err := f.review.Confirm(testutil.As("checker"), checker, shinjuku, c.ID, nil); err != nil {
			t.Fatal(err)
		}
		if waiting, err := f.linkage.PendingSchedules(ctx, shinjuku); err != nil || len(waiting) != 0 {
			t.Fatalf("waiting after the confirmation: %+v %v", waiting, err)
		}
		runs, err := f.linkage.RunDue(testutil.As("system:jobs"))
		if err != nil || len(runs) != 1 || runs[0].Period != clock.Format(time.DateOnly) {
			t.Fatalf("at 06:30 once confirmed: %+v %v", runs, err)
		}
		var detail string
		if err := db.ReadRow(testutil.AllTenants(), `SELECT detail FROM audit_events WHERE action = 'linkage.schedule.set' ORDER BY id DESC LIMIT 1`).Scan(&detail); err != nil ||
			!strings.Contains(detail, "when=daily@6") || !strings.Contains(detail, "via=review") {
			t.Errorf("the change's event: %q %v", detail, err)
		}
		// Stopped: filed and confirmed, then nothing is due the next day.
		c, err = f.linkage.ProposeSchedule(ctx, clerk, shinjuku, linkage.ScheduleChange{Job: "aggregation-open-work", Period: linkage.Daily, Hour: 6})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.review.Confirm(testutil.As("checker"), checker, shinjuku, c.ID, nil); err != nil {
			t.Fatal(err)
		}
		clock = clock.Add(24 * time.Hour)
		if runs, err := f.linkage.RunDue(testutil.As("system:jobs")); err != nil || len(runs) != 0 {
			t.Fatalf("a stopped schedule ran: %+v %v", runs, err)
		}
		// Started now: answered running, read back ended.
		r, err := f.linkage.StartJob(testutil.As("operator"), shinjuku, "aggregation-open-work", "manual")
		if err != nil || r.ID == 0 || r.Outcome != linkage.RunRunning {
			t.Fatalf("started %+v %v", r, err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for r.Outcome == linkage.RunRunning && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
			if r, err = f.linkage.RunByID(testutil.As("operator"), shinjuku, r.ID); err != nil {
				t.Fatal(err)
			}
		}
		if r.Outcome != linkage.RunOK || r.StartedBy != "operator" || r.How != "manual" || !strings.Contains(r.Report, "0件") {
			t.Fatalf("the run started now ended as %+v", r)
		}
	})
}
