package audit_test

import (
	"context"
	"testing"
	"time"

	"bango/internal/audit"
	"bango/internal/store"
	"bango/internal/testutil"
)

// R-AUD-2: search by subject, by actor and time, within the searcher's
// municipalities, a page at a time, each event with its leaf number.
func TestSearch(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		keys := newKeys(t)
		as := func(user string) context.Context {
			return audit.WithActor(context.Background(), audit.Actor{User: user, Terminal: "T-01"})
		}
		ev := func(ctx context.Context, tenant, action, subject string) {
			t.Helper()
			if err := audit.RecordAlone(ctx, db, audit.Event{Tenant: tenant, Action: action, Subject: audit.Subject{Type: "resident", ID: subject}, Outcome: audit.OK}); err != nil {
				t.Fatal(err)
			}
		}
		for i := 0; i < 7; i++ {
			ev(as("clerk"), "131041", "resident.read", "100001")
		}
		ev(as("viewer"), "131041", "mynumber.reveal", "100001")
		ev(as("clerk"), "011002", "resident.read", "100001") // same code, another municipality
		ev(as("clerk"), "131041", "resident.read", "100002")
		sequence(t, db, keys, audit.SequencerOptions{Every: 1000, Period: time.Hour})
		if n, err := audit.IndexForSearch(context.Background(), db); err != nil || n < 10 {
			t.Fatalf("indexed %d, %v", n, err)
		}

		q := audit.Query{Tenants: []string{"131041"}, Subjects: []audit.Subject{{Type: "resident", ID: "100001"}}, Limit: 5}
		p, err := audit.Search(context.Background(), db, q)
		if err != nil || len(p.Events) != 5 || p.Next == 0 || p.Events[0].Action != "mynumber.reveal" || p.Events[0].Seq < 0 {
			t.Fatalf("first page: %+v, %v", p, err)
		}
		q.Before = p.Next
		p2, _ := audit.Search(context.Background(), db, q)
		if len(p2.Events) != 3 || p2.Next != 0 || p2.Events[0].ID >= p.Events[4].ID {
			t.Fatalf("second page: %+v", p2)
		}
		for _, e := range append(p.Events, p2.Events...) {
			if e.Tenant != "131041" {
				t.Fatalf("an event of %s in a search of 131041", e.Tenant)
			}
		}
		// By actor and period; nothing outside the period.
		now := time.Now().UTC()
		p, _ = audit.Search(context.Background(), db, audit.Query{AllTenants: true, Actor: "clerk", From: now.Add(-time.Hour), To: now.Add(time.Hour), Limit: 50})
		if len(p.Events) != 9 {
			t.Fatalf("clerk's events in the last hour = %d, want 9", len(p.Events))
		}
		if p, _ = audit.Search(context.Background(), db, audit.Query{AllTenants: true, Actor: "clerk", To: now.Add(-time.Hour)}); len(p.Events) != 0 {
			t.Fatalf("events before the period: %d", len(p.Events))
		}
		// A searcher with no municipality sees nothing.
		if p, _ = audit.Search(context.Background(), db, audit.Query{Actor: "clerk"}); len(p.Events) != 0 {
			t.Fatal("a search without scope found events")
		}
	})
}
