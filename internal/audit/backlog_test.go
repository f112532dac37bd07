package audit_test

import (
	"context"
	"testing"

	"bango/internal/audit"
	"bango/internal/store"
	"bango/internal/testutil"
)

// Issue 17: monitoring reads the events placed and those waiting, and
// their sum only grows.
func TestBacklog(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		seq := audit.NewSequencer(db, newKeys(t), quiet, every1000)
		backlog := func(wantPlaced, wantWaiting int64) {
			t.Helper()
			placed, waiting, err := seq.Backlog(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if placed != wantPlaced || waiting != wantWaiting {
				t.Fatalf("backlog: placed %d, waiting %d; want %d, %d", placed, waiting, wantPlaced, wantWaiting)
			}
		}
		backlog(0, 0)
		record(t, db, 5)
		backlog(0, 5)
		testutil.Place(t, db, seq)
		backlog(5, 0)
		record(t, db, 2)
		backlog(5, 2)
	})
}
