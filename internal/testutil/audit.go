package testutil

import (
	"context"
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
	return audit.NewSequencer(db, AuditKeys(t), nil, opts)
}

// AuditKeys are fresh audit signing keys in a temporary folder, for tests
// that check what the sequencer signs.
func AuditKeys(t testing.TB) *audit.Keys {
	t.Helper()
	private, public := audit.KeyFiles(t.TempDir())
	keys, _, err := audit.LoadKeys(private, public, true)
	if err != nil {
		t.Fatal(err)
	}
	return keys
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

// Events returns the recorded audit events of action (every event when
// action is ""), oldest first, read in every municipality's scope: on
// PostgreSQL the events are under row-level security (R-AC-6).
func Events(t testing.TB, db *store.DB, action string) []audit.Event {
	t.Helper()
	ctx := AllTenants()
	var out []audit.Event
	err := db.Read(ctx, func(q store.Querier) (err error) {
		out, err = store.Rows(scanEvent)(q.Query(ctx, `SELECT id, time, tenant_code, actor_user, actor_session, actor_terminal, actor_address,
			action, subject_type, subject_id, purpose, outcome, request_id, detail
			FROM audit_events WHERE $1 = '' OR action = $1 ORDER BY id`, action))
		return err
	})
	if err != nil {
		t.Fatalf("read audit events: %v", err)
	}
	return out
}

// Outcomes returns "outcome detail" of every recorded event of action,
// oldest first: what a test of a rule usually asserts.
func Outcomes(t testing.TB, db *store.DB, action string) []string {
	t.Helper()
	var out []string
	for _, e := range Events(t, db, action) {
		out = append(out, e.Outcome+" "+e.Detail)
	}
	return out
}

// CountEvents counts the recorded audit events that match where, an SQL
// condition on audit_events with $1… taking args, read in every
// municipality's scope, or fails t.
func CountEvents(t testing.TB, db *store.DB, where string, args ...any) int {
	t.Helper()
	var n int
	if err := db.ReadRow(AllTenants(), `SELECT count(*) FROM audit_events WHERE `+where, args...).Scan(&n); err != nil {
		t.Fatalf("count audit events where %s: %v", where, err)
	}
	return n
}

// As is a context whose audit actor is the staff member login, as the
// request gate sets it: what every service method records its events for.
func As(login string) context.Context {
	return audit.WithActor(context.Background(), audit.Actor{User: login})
}

func scanEvent(row store.Scanner) (audit.Event, error) {
	e := audit.Event{Seq: -1}
	err := row.Scan(&e.ID, &e.Time, &e.Tenant, &e.Actor.User, &e.Actor.Session, &e.Actor.Terminal, &e.Actor.Address,
		&e.Action, &e.Subject.Type, &e.Subject.ID, &e.Purpose, &e.Outcome, &e.RequestID, &e.Detail)
	e.Time = e.Time.UTC()
	return e, err
}
