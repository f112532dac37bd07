package jpki

import (
	"context"
	"slices"
	"sync"
	"time"

	"bango/internal/store"
)

// Group commit of the window's durable steps. An issuance costs two
// durable transactions — the application's opening (identity check,
// register read, sealed work record, event) and its outcome (the events
// and the work record's end) — and on SQLite every window's commits queue
// one after another on the single writer, each with a disk sync: with a
// few windows at once the writer, not the CA, set the pace. So each step
// is handed to the database's committer, which runs every step waiting in
// one transaction while their callers wait, then tells each its outcome;
// while one commit runs the next batch gathers (as audit.RecordAlone's
// events do). A step is still all or nothing with its own writes: the
// outcome's events and the end of its work record are in the same
// transaction (R-JPKI-2), whichever batch it is. A batch that fails is
// run again step by step, each in a transaction of its own, so that one
// step's failure fails its own caller only.
//
// Only on SQLite, whose writers take turns anyway: PostgreSQL commits the
// windows' transactions side by side. A committer runs only while steps
// wait and exits when none do.

// stepWait bounds one batch's transaction: it belongs to no one caller, so
// no caller's context may cut it short.
const stepWait = time.Minute

// maxBatch bounds how many steps one transaction holds.
const maxBatch = 64

var committers = struct {
	sync.Mutex
	waiting map[*store.DB][]*step
}{waiting: map[*store.DB][]*step{}}

// step is one caller's transaction body waiting for its commit. taken and
// withdrawn are guarded by committers' lock.
type step struct {
	ctx       context.Context
	tenant    string
	fn        func(*store.Tx) error
	done      chan error // buffered: the committer never waits
	taken     bool
	withdrawn bool
}

// commit runs fn in a transaction narrowed to tenant, together with the
// other steps waiting on db, and returns once that transaction has
// committed (nil) or fn's own transaction failed. fn may be run more than
// once (a retried or failed batch) and must not keep state outside the
// transaction between runs; it writes only through its Tx, with ctx's
// actor. A caller whose ctx ends before its batch begins gets ctx's error
// and fn is not run; once the batch has begun it waits for its outcome.
// Like Transact, it must not be called inside a transaction's fn.
func commit(ctx context.Context, db *store.DB, tenant string, fn func(*store.Tx) error) error {
	if db.Engine() != store.SQLite {
		// PostgreSQL commits many transactions at once on their own
		// connections; one committer would run their statements one
		// after another on one.
		return db.TransactIn(ctx, tenant, fn)
	}
	s := &step{ctx: ctx, tenant: tenant, fn: fn, done: make(chan error, 1)}
	committers.Lock()
	waiting, running := committers.waiting[db]
	committers.waiting[db] = append(waiting, s)
	committers.Unlock()
	if !running {
		go commitSteps(db)
	}
	select {
	case err := <-s.done:
		return err
	case <-ctx.Done():
	}
	committers.Lock()
	s.withdrawn = !s.taken
	committers.Unlock()
	if s.withdrawn {
		return ctx.Err()
	}
	return <-s.done
}

// commitSteps is db's committer: batch after batch of the steps waiting,
// until none are left.
func commitSteps(db *store.DB) {
	for {
		committers.Lock()
		waiting := committers.waiting[db]
		if len(waiting) == 0 {
			delete(committers.waiting, db)
			committers.Unlock()
			return
		}
		var batch []*step
		rest := waiting[:0]
		for _, s := range waiting {
			switch {
			case s.withdrawn:
			case s.ctx.Err() != nil:
				s.withdrawn = true
				s.done <- s.ctx.Err()
			case len(batch) < maxBatch:
				s.taken = true
				batch = append(batch, s)
			default:
				rest = append(rest, s)
			}
		}
		committers.waiting[db] = rest
		committers.Unlock()
		if len(batch) > 0 {
			commitBatch(db, batch)
		}
	}
}

// commitBatch runs batch's steps in one transaction whose scope is exactly
// their municipalities (row-level security, R-AC-6), or, if it fails, each
// alone.
func commitBatch(db *store.DB, batch []*step) {
	err := runSteps(db, batch)
	if err != nil && len(batch) > 1 {
		for _, s := range batch {
			s.done <- runSteps(db, []*step{s})
		}
		return
	}
	for _, s := range batch {
		s.done <- err
	}
}

func runSteps(db *store.DB, batch []*step) error {
	tenants := make([]string, 0, 1)
	for _, s := range batch {
		if !slices.Contains(tenants, s.tenant) {
			tenants = append(tenants, s.tenant)
		}
	}
	ctx, cancel := context.WithTimeout(store.WithScope(context.Background(), tenants...), stepWait)
	defer cancel()
	return db.Transact(ctx, func(tx *store.Tx) error {
		for _, s := range batch {
			if err := s.fn(tx); err != nil {
				return err
			}
		}
		return nil
	})
}

// commitPiped runs body as one step of its own transaction, its statements
// sent in batches (store.Pipe): on SQLite through the committer with the
// other windows' steps (commit), on PostgreSQL as a pipeline of its own —
// one round trip for a body that does not flush, where a Transact took
// one a statement — committed beside the other windows' (issue 22). body
// may run more than once, as commit's fn.
func commitPiped(ctx context.Context, db *store.DB, tenant string, body func(*store.Pipe) error) error {
	if db.Engine() != store.SQLite {
		return db.PipelineIn(ctx, tenant, body)
	}
	return commit(ctx, db, tenant, func(tx *store.Tx) error {
		p := store.PipeIn(ctx, tx)
		if err := body(p); err != nil {
			return err
		}
		return p.Flush()
	})
}
