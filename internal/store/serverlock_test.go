package store_test

import (
	"context"
	"testing"

	"bango/internal/errs"
	"bango/internal/store"
	"bango/internal/testutil"
)

// R-JPKI-2: one bango serve a database. The JPKI sweeper ends the work
// records other processes opened, and the opening process issues from the
// copy it keeps: a second server on the same database is refused its
// claim while the first holds it, on both engines, and gets it once the
// first gives it up. Another database (schema) is not held by it.
func TestHoldServer(t *testing.T) {
	testutil.EachEngine(t, func(t *testing.T, eng store.Engine) {
		ctx := context.Background()
		dbURL := testutil.NewDBURL(t, eng)
		open := func(u string) *store.DB {
			db, err := store.Open(ctx, u)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		}
		first, second := open(dbURL), open(dbURL)
		release, err := first.HoldServer(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := second.HoldServer(ctx); !errs.Is(err, errs.Conflict) {
			t.Fatalf("a second server on the same database: %v", err)
		}
		other := open(testutil.NewDBURL(t, eng))
		releaseOther, err := other.HoldServer(ctx)
		if err != nil {
			t.Fatalf("another database held by the first's claim: %v", err)
		}
		releaseOther()
		release()
		again, err := second.HoldServer(ctx)
		if err != nil {
			t.Fatalf("the claim after the first gave it up: %v", err)
		}
		again()
	})
}
