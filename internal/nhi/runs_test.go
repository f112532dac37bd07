package nhi_test

import (
	"testing"
	"time"

	"bango/internal/store"
	"bango/internal/testutil"
)

// R-NHI-3: the yearly decision runs as a recorded run — from the command
// at once, or started in the background from the screen — whose progress
// and report read back; one municipality runs one at a time (a run
// silent for long is taken for stopped), a wrong year is refused naming
// the field, and a run of another municipality is not found.
func TestCostShareRuns(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.person(t, shinjuku, "650001", "テスト", "1954-05-10")
		f.person(t, shinjuku, "650002", "テスト", "1953-05-10")
		f.newHousehold(t, "650001", "650001", "2024-04-01", "6501")
		f.newHousehold(t, "650002", "650002", "2024-04-01", "6502")
		f.incomeOf(t, "650001", "0", "2000000", "1000000")
		clerk := testutil.As("clerk")
		var seen [][2]int
		run, err := f.nhi.RunCostShare(clerk, shinjuku, 2026, func(done, total int) { seen = append(seen, [2]int{done, total}) })
		if err != nil {
			t.Fatal(err)
		}
		if run.Status != "done" || run.Report == nil || run.Report.Households != 2 || run.Report.Decided != 1 || len(run.Report.Refused) != 1 ||
			run.Done != 2 || run.Total != 2 || run.Percent() != 100 || run.StartedBy != "clerk" || run.FinishedAt.IsZero() {
			t.Errorf("the command's run: %+v %+v", run, run.Report)
		}
		if len(seen) == 0 || seen[len(seen)-1] != [2]int{2, 2} {
			t.Errorf("progress told: %v", seen)
		}
		// Started in the background: read until it ends.
		bg, err := f.nhi.StartCostShareRun(clerk, shinjuku, 2026)
		if err != nil || bg.ID == run.ID {
			t.Fatalf("start: %+v %v", bg, err)
		}
		for deadline := time.Now().Add(time.Minute); bg.Status == "running" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if bg, err = f.nhi.CostShareRun(clerk, shinjuku, bg.ID); err != nil {
				t.Fatal(err)
			}
		}
		if bg.Status != "done" || bg.Report == nil || bg.Report.Unchanged != 1 || bg.Report.Decided != 0 {
			t.Errorf("the background run, a rerun: %+v %+v", bg, bg.Report)
		}
		runs, err := f.nhi.CostShareRuns(clerk, shinjuku)
		if err != nil || len(runs) != 2 || runs[0].ID != bg.ID {
			t.Errorf("runs: %+v %v", runs, err)
		}
		// One at a time.
		add := func(tenant string, updated time.Time) {
			t.Helper()
			if err := db.Transact(testutil.AllTenants(), func(tx *store.Tx) error {
				_, err := tx.Exec(testutil.AllTenants(), `INSERT INTO nhi_cost_share_runs (tenant_code, fiscal_year, status, started_at, started_by, updated_at)
					VALUES ($1, 2026, 'running', $2, 'other', $2)`, tenant, updated)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		add(shinjuku, today.UTC().Add(-time.Minute))
		if _, err := f.nhi.StartCostShareRun(clerk, shinjuku, 2026); fields(err) != "fiscal_year" {
			t.Errorf("a second run at once: %v", err)
		}
		// A run silent for eleven minutes was stopped: another may start,
		// and the stopped one is marked failed.
		add(sapporo, today.UTC().Add(-11*time.Minute))
		if r, err := f.nhi.RunCostShare(testutil.As("sapporo"), sapporo, 2026, nil); err != nil || r.Status != "done" {
			t.Errorf("a run after a stopped one: %+v %v", r, err)
		}
		if rs, err := f.nhi.CostShareRuns(testutil.As("sapporo"), sapporo); err != nil || len(rs) != 2 || rs[1].Status != "failed" || rs[1].Error != "stopped" {
			t.Errorf("the stopped run: %+v %v", rs, err)
		}
		if _, err := f.nhi.RunCostShare(clerk, shinjuku, 2014, nil); fields(err) != "fiscal_year" {
			t.Errorf("a year before the rules: %v", err)
		}
		if _, err := f.nhi.CostShareRun(testutil.As("sapporo"), sapporo, bg.ID); fields(err) != "not found" {
			t.Errorf("another municipality's run: %v", err)
		}
		if n := testutil.CountEvents(t, db, `action = 'nhi.cost_share.run' AND outcome = 'ok'`); n != 3 {
			t.Errorf("%d runs started as events, want 3", n)
		}
	})
}
