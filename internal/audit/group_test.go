package audit_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"bango/internal/audit"
	"bango/internal/store"
	"bango/internal/testutil"
)

// waitFor polls cond until it holds, or fails t after 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting for %s after 10 s", what)
		}
	}
}

// committerGone waits until db's committer has exited: none outlives its
// work.
func committerGone(t *testing.T, db *store.DB) {
	t.Helper()
	waitFor(t, "the committer to exit", func() bool { _, running := audit.Queued(db); return !running })
}

// hold keeps db's committer from writing until release is called: on
// SQLite by holding the write turn, on PostgreSQL by locking the events.
// Events recorded meanwhile wait in the committer's queue.
func hold(t *testing.T, db *store.DB) (release func()) {
	t.Helper()
	held, free, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		ctx := testutil.AllTenants()
		done <- db.TransactOnce(ctx, func(tx *store.Tx) error {
			if tx.Engine() == store.Postgres {
				if _, err := tx.Exec(ctx, `LOCK TABLE audit_events IN EXCLUSIVE MODE`); err != nil {
					return err
				}
			}
			close(held)
			<-free
			return nil
		})
	}()
	select {
	case <-held:
	case err := <-done:
		t.Fatalf("hold: %v", err)
	}
	return func() {
		close(free)
		if err := <-done; err != nil {
			t.Errorf("hold: %v", err)
		}
	}
}

// takenAlone starts one RecordAlone and waits until the committer has
// taken it into a batch that hold keeps from committing, so that what is
// recorded next waits for the following batch.
func takenAlone(t *testing.T, ctx context.Context, db *store.DB, detail string) <-chan error {
	t.Helper()
	out := make(chan error, 1)
	go func() { out <- audit.RecordAlone(ctx, db, groupEvent("", detail)) }()
	waitFor(t, "the first event to be taken", func() bool { n, running := audit.Queued(db); return running && n == 0 })
	return out
}

func groupEvent(tenant, detail string) audit.Event {
	return audit.Event{Tenant: tenant, Action: "resident.search", Subject: audit.Subject{Type: "query"}, Outcome: audit.OK, Detail: detail}
}

func details(t *testing.T, db *store.DB) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, e := range testutil.Events(t, db, "resident.search") {
		out[e.Detail]++
	}
	return out
}

// exec runs DDL as the schema's owner.
func exec(t *testing.T, db *store.DB, qs ...string) {
	t.Helper()
	for _, q := range qs {
		if _, err := db.SQL().ExecContext(context.Background(), q); err != nil {
			t.Fatal(err)
		}
	}
}

// Issue 14 I: events recorded alone by many callers at once are committed
// in shared transactions, each exactly once with everything it names (actor,
// request ID, time, municipality), on PostgreSQL in a scope that holds its
// municipality and not every one (R-AC-6), and placed in one verifiable tree.
func TestRecordAloneGroupCommit(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		if db.Engine() == store.Postgres {
			exec(t, db, `CREATE FUNCTION test_event_in_scope() RETURNS trigger LANGUAGE plpgsql AS $$
				DECLARE scope text := current_setting('bango.scope', true);
				BEGIN
					IF scope = '*' OR NOT NEW.tenant_code = ANY (string_to_array(scope, ',')) THEN
						RAISE EXCEPTION 'event of "%" written in scope "%"', NEW.tenant_code, scope;
					END IF;
					RETURN NEW;
				END $$`,
				`CREATE TRIGGER audit_events_in_scope BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION test_event_in_scope()`)
		}
		tenants := []string{"131041", "011002", ""} // "": the system's own events
		const writers, each = 64, 10
		start := time.Now().UTC().Truncate(time.Microsecond)
		var wg sync.WaitGroup
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx := audit.WithActor(context.Background(), audit.Actor{User: fmt.Sprintf("clerk%02d", w), Session: "s", Terminal: "T-01", Address: "10.0.0.8"})
				for i := range each {
					ctx := audit.WithRequestID(ctx, fmt.Sprintf("req-%d-%d", w, i))
					if err := audit.RecordAlone(ctx, db, groupEvent(tenants[(w+i)%3], fmt.Sprintf("w=%d i=%d", w, i))); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		end := time.Now().UTC()
		committerGone(t, db)

		events := testutil.Events(t, db, "resident.search")
		if len(events) != writers*each {
			t.Fatalf("%d events, want %d", len(events), writers*each)
		}
		seen := map[string]bool{}
		for _, e := range events {
			var w, i int
			if _, err := fmt.Sscanf(e.Detail, "w=%d i=%d", &w, &i); err != nil || seen[e.Detail] {
				t.Fatalf("event %q: twice or unknown (%v)", e.Detail, err)
			}
			seen[e.Detail] = true
			if e.Actor.User != fmt.Sprintf("clerk%02d", w) || e.Actor.Terminal != "T-01" || e.RequestID != fmt.Sprintf("req-%d-%d", w, i) ||
				e.Tenant != tenants[(w+i)%3] || e.Time.Before(start) || e.Time.After(end) {
				t.Fatalf("event %q lost what it names: %+v", e.Detail, e)
			}
		}
		if db.Engine() == store.Postgres {
			if txs := count(t, db, `SELECT count(DISTINCT xid) FROM audit_events`); txs >= writers*each {
				t.Errorf("%d events in %d transactions: none grouped", writers*each, txs)
			} else {
				t.Logf("%d events in %d transactions", writers*each, txs)
			}
		}

		keys := newKeys(t)
		sequence(t, db, keys, every1000)
		rep, err := audit.Verify(context.Background(), db, audit.VerifyOptions{Verifier: keys.Verifier})
		if err != nil || !rep.OK() || rep.Size != writers*each || rep.Pending != 0 {
			t.Fatalf("verify: %+v, %v", rep, err)
		}
	})
}

// Issue 14 I: an event the database refuses fails its own caller only;
// the others of its batch are written.
func TestRecordAloneFailsOnlyItsOwnEvent(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		if db.Engine() == store.Postgres {
			exec(t, db, `CREATE FUNCTION test_poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
					IF NEW.detail = 'poison' THEN RAISE EXCEPTION 'poisoned event' USING ERRCODE = 'check_violation'; END IF;
					RETURN NEW;
				END $$`,
				`CREATE TRIGGER audit_events_poison BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION test_poison()`)
		} else {
			exec(t, db, `CREATE TRIGGER audit_events_poison BEFORE INSERT ON audit_events WHEN NEW.detail = 'poison'
				BEGIN SELECT RAISE(ABORT, 'poisoned event'); END`)
		}
		release := hold(t, db)
		first := takenAlone(t, actorCtx(), db, "first")
		// These all wait for the next batch, the poisoned ones among them.
		const n = 24
		results := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				detail := fmt.Sprint("good ", i)
				if i%8 == 3 {
					detail = "poison"
				}
				results[i] = audit.RecordAlone(actorCtx(), db, groupEvent("131041", detail))
			}()
		}
		waitFor(t, "the batch to gather", func() bool { q, _ := audit.Queued(db); return q == n })
		// No actor: refused at once, before any batch.
		if err := audit.RecordAlone(context.Background(), db, groupEvent("131041", "anonymous")); err == nil || !strings.Contains(err.Error(), "no actor") {
			t.Errorf("event without an actor: %v", err)
		}
		release()
		wg.Wait()
		if err := <-first; err != nil {
			t.Fatal(err)
		}
		for i, err := range results {
			if poisoned := i%8 == 3; poisoned != (err != nil) || poisoned && !strings.Contains(err.Error(), "poisoned event") {
				t.Errorf("event %d (poisoned %v): %v", i, poisoned, err)
			}
		}
		got := details(t, db)
		if len(got) != n-3+1 || got["poison"] != 0 || got["anonymous"] != 0 || got["first"] != 1 {
			t.Fatalf("events written: %v", got)
		}
		for d, k := range got {
			if k != 1 {
				t.Errorf("%q written %d times", d, k)
			}
		}
		committerGone(t, db)
	})
}

// Issue 14 I: a caller whose context ends before its event's batch begins
// gets the context's error, and its event is not written; one whose batch
// has begun waits for it and gets its outcome (here: written, success).
// An error never means "written".
func TestRecordAloneCancelled(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		ctx, cancel := context.WithCancel(actorCtx())
		cancel()
		if err := audit.RecordAlone(ctx, db, groupEvent("", "cancelled before")); !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled context: %v", err)
		}

		release := hold(t, db)
		takenCtx, cancelTaken := context.WithCancel(actorCtx())
		taken := takenAlone(t, takenCtx, db, "taken")
		queuedCtx, cancelQueued := context.WithCancel(actorCtx())
		queued := make(chan error, 1)
		go func() { queued <- audit.RecordAlone(queuedCtx, db, groupEvent("", "queued")) }()
		waitFor(t, "the second event to queue", func() bool { n, _ := audit.Queued(db); return n == 1 })
		cancelTaken()
		cancelQueued()
		// The queued caller returns while the batch before it is still held.
		if err := <-queued; !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled while queued: %v", err)
		}
		release()
		if err := <-taken; err != nil {
			t.Fatalf("cancelled after its batch began: %v", err)
		}
		if got := details(t, db); len(got) != 1 || got["taken"] != 1 {
			t.Fatalf("events written: %v", got)
		}
		committerGone(t, db)
	})
}

// Closing the database leaves no committer behind, and a later event
// fails instead of waiting.
func TestRecordAloneAfterClose(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		if err := audit.RecordAlone(actorCtx(), db, groupEvent("", "open")); err != nil {
			t.Fatal(err)
		}
		committerGone(t, db)
		db.Close()
		if err := audit.RecordAlone(actorCtx(), db, groupEvent("", "closed")); err == nil {
			t.Fatal("an event on a closed database was accepted")
		}
		committerGone(t, db)
	})
}

// A batch larger than one INSERT statement is written whole.
func TestRecordAloneLargeBatch(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		release := hold(t, db)
		first := takenAlone(t, actorCtx(), db, "first")
		const n = 1200 // events in the next batch: three statements
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := audit.RecordAlone(actorCtx(), db, groupEvent("131041", fmt.Sprint(i))); err != nil {
					t.Error(err)
				}
			}()
		}
		waitFor(t, "the batch to gather", func() bool { q, _ := audit.Queued(db); return q == n })
		release()
		wg.Wait()
		if err := <-first; err != nil {
			t.Fatal(err)
		}
		if got := details(t, db); len(got) != n+1 {
			t.Fatalf("%d events written, want %d", len(got), n+1)
		}
		committerGone(t, db)
	})
}
