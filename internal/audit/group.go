package audit

import (
	"context"
	"slices"
	"sync"
	"time"

	"bango/internal/store"
)

// Group commit of the events that have no transaction of their own
// (issue 14 I). One durable commit per event limited every search under
// load to the disk's commits per second, and on SQLite made writers queue
// for the single write lock. So RecordAlone hands its event to the
// database's committer, which writes every event waiting in one
// transaction while its callers wait, then tells each its outcome. While
// one commit runs the next batch gathers: a lone event waits for no one,
// and under load one commit serves many.
//
// A committer runs only while events wait, and exits when none do: no
// goroutine outlives its work, so closing the database needs no hook (a
// batch against a closed database fails, and each caller is told).

// commitWait bounds one batch's transaction. The batch belongs to no one
// caller, so no caller's context may cut it short.
const commitWait = time.Minute

// groups holds, per database whose committer is running, the events that
// wait for its next batch.
var groups = struct {
	sync.Mutex
	waiting map[*store.DB][]*queued
}{waiting: map[*store.DB][]*queued{}}

// queued is one event waiting for its commit. taken and withdrawn are
// guarded by groups' lock: an event is either taken into a batch or
// withdrawn by its cancelled caller, never both.
type queued struct {
	ctx       context.Context
	e         Event
	done      chan error // its outcome; buffered, so the committer never waits
	taken     bool
	withdrawn bool
}

// recordGrouped writes e, prepared, in the next batch of db's committer
// and returns once that batch is committed (or e failed). A caller whose
// ctx ends before its batch begins gets ctx's error and its event is not
// written; once the batch has begun, the caller waits for its outcome
// (bounded by commitWait), so that an error always means "not written".
func recordGrouped(ctx context.Context, db *store.DB, e Event) error {
	q := &queued{ctx: ctx, e: e, done: make(chan error, 1)}
	groups.Lock()
	waiting, running := groups.waiting[db]
	groups.waiting[db] = append(waiting, q)
	groups.Unlock()
	if !running {
		go commitWaiting(db)
	}
	select {
	case err := <-q.done:
		return err
	case <-ctx.Done():
	}
	groups.Lock()
	q.withdrawn = !q.taken
	groups.Unlock()
	if q.withdrawn {
		return ctx.Err()
	}
	return <-q.done
}

// commitWaiting is db's committer: it commits batch after batch of the
// events waiting, and exits when none are left.
func commitWaiting(db *store.DB) {
	for {
		groups.Lock()
		waiting := groups.waiting[db]
		if len(waiting) == 0 {
			delete(groups.waiting, db)
			groups.Unlock()
			return
		}
		groups.waiting[db] = nil
		batch := waiting[:0]
		for _, q := range waiting {
			switch {
			case q.withdrawn:
			case q.ctx.Err() != nil:
				q.withdrawn = true
				q.done <- q.ctx.Err()
			default:
				q.taken = true
				batch = append(batch, q)
			}
		}
		groups.Unlock()
		if len(batch) > 0 {
			commitBatch(db, batch)
		}
	}
}

// commitBatch writes batch in one transaction and tells each caller. If
// the batch fails, each event is written alone, so that one bad event
// fails its own caller only.
func commitBatch(db *store.DB, batch []*queued) {
	err := insertBatch(db, batch)
	if err != nil && len(batch) > 1 {
		for _, q := range batch {
			q.done <- insertBatch(db, []*queued{q})
		}
		return
	}
	for _, q := range batch {
		q.done <- err
	}
}

// insertBatch inserts batch's events in one transaction whose scope is
// exactly the municipalities the events name (row-level security, R-AC-6).
func insertBatch(db *store.DB, batch []*queued) error {
	tenants := make([]string, 0, 1)
	for _, q := range batch {
		if !slices.Contains(tenants, q.e.Tenant) {
			tenants = append(tenants, q.e.Tenant)
		}
	}
	ctx, cancel := context.WithTimeout(store.WithScope(context.Background(), tenants...), commitWait)
	defer cancel()
	events := make([]Event, len(batch))
	for i, q := range batch {
		events[i] = q.e
	}
	return db.Transact(ctx, func(tx *store.Tx) error { return insert(ctx, tx, events...) })
}
