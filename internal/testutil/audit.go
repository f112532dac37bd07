package testutil

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"bango/internal/audit"
	"bango/internal/store"
)

// placeWait bounds the wait for events to be placed. On PostgreSQL the
// sequencer waits for every older transaction on the server to end, and
// another package's test may hold one for a while.
const placeWait = 2 * time.Minute

// NewSequencer is a sequencer with fresh signing keys in a temporary
// folder, for tests that need events placed in the tree.
func NewSequencer(t testing.TB, db *store.DB, opts audit.SequencerOptions) *audit.Sequencer {
	t.Helper()
	dir := t.TempDir()
	keys, _, err := audit.LoadKeys(filepath.Join(dir, "audit.key"), filepath.Join(dir, "audit.pub"), true)
	if err != nil {
		t.Fatal(err)
	}
	return audit.NewSequencer(db, keys, nil, opts)
}

// Place runs seq until every event written so far is placed in the tree
// (searches and rules read placed events only), or fails t.
func Place(t testing.TB, db *store.DB, seq *audit.Sequencer) {
	t.Helper()
	ctx := context.Background()
	for deadline := time.Now().Add(placeWait); ; {
		if _, err := seq.Sequence(ctx); err != nil {
			t.Fatal(err)
		}
		h, err := audit.Status(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if h.Pending == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d events still pending after %v", h.Pending, placeWait)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
