package alert_test

import (
	"context"
	"testing"

	"bango/internal/alert"
	"bango/internal/audit"
	"bango/internal/store"
	"bango/internal/testutil"
)

// R-AC-4: more reveals by one user in an hour than allowed raise one
// alert: not at the limit, once above it, and not again within the hour.
func TestBulkRevealRule(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		svc := alert.NewService(db)
		ctx := audit.WithActor(context.Background(), audit.Actor{User: "viewer"})
		other := audit.WithActor(context.Background(), audit.Actor{User: "someone-else"})
		reveal := func(c context.Context) {
			t.Helper()
			if err := audit.RecordAlone(c, db, audit.Event{Tenant: "131041", Action: "mynumber.reveal", Subject: audit.Subject{Type: "resident", ID: "1"},
				Purpose: "test", Outcome: audit.OK}); err != nil {
				t.Fatal(err)
			}
		}
		for range 3 {
			reveal(ctx)
			reveal(other)
		}
		if raised, err := svc.CheckReveals(ctx, "131041", "viewer", 3); err != nil || raised {
			t.Fatalf("at the limit: raised=%v %v", raised, err)
		}
		reveal(ctx)
		if raised, err := svc.CheckReveals(ctx, "131041", "viewer", 3); err != nil || !raised {
			t.Fatalf("above the limit: raised=%v %v", raised, err)
		}
		reveal(ctx)
		if raised, _ := svc.CheckReveals(ctx, "131041", "viewer", 3); raised {
			t.Fatal("a second alert within the hour")
		}
		open, err := svc.Open(context.Background())
		if err != nil || len(open) != 1 || open[0].Subject != "viewer" || open[0].Detail != "reveals_last_hour=4 limit=3" {
			t.Fatalf("open alerts = %+v, %v", open, err)
		}
	})
}
