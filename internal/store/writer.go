package store

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"time"

	"bango/internal/errs"
)

// SQLite allows one writer at a time. Left to SQLite, a writer takes a pool
// connection and then waits in the busy handler for the write lock, so a
// few waiting writers hold every connection while the one writing may need
// another: the process stalls until busy_timeout and fails with
// SQLITE_BUSY. So on SQLite, writers take turns here, in arrival order,
// before they take a connection; the busy handler is left for other
// processes on the same file. Reads do not take a turn (WAL lets them run
// beside the writer).

// busyWait is how long a writer waits for its turn: SQLite's busy_timeout.
const busyWait = 10 * time.Second

// writeTurn waits for the writer's turn on SQLite and returns its release;
// on PostgreSQL it returns at once.
func (db *DB) writeTurn(ctx context.Context) (release func(), err error) {
	if db.writer == nil {
		return func() {}, nil
	}
	t := time.NewTimer(busyWait)
	defer t.Stop()
	// A channel rather than a mutex: waiting ends with ctx or after
	// busyWait, and blocked senders are served in arrival order.
	select {
	case db.writer <- struct{}{}:
		return func() { <-db.writer }, nil
	case <-ctx.Done():
		return nil, errs.Wrap(errs.Unavailable, ctx.Err(), "store: waiting to write to %s", db.where)
	case <-t.C:
		return nil, errs.E(errs.Unavailable, "store: %s busy: no turn to write within %s", db.where, busyWait)
	}
}

// Exec runs one statement in a transaction of its own, outside Transact:
// for a single update that needs no audit event (a session's last activity).
// On SQLite it takes the writer's turn like Transact.
func (db *DB) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	db.checkPoolUse("Exec")
	release, err := db.writeTurn(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	r, err := db.sql.ExecContext(ctx, q, args...)
	return r, Translate(err)
}

// ForbidPoolInTransactions makes db panic, from now on, when a goroutine
// uses the pool (Query, QueryRow, Exec, Read, Transact, SQL) while it is
// inside the fn of a Transact or a Read transaction. Such a use takes a
// second connection while the transaction holds one — on SQLite while it
// holds the write lock — which stalls the pool under load, and reads
// around the transaction's own writes. Tests turn it on (testutil); it
// costs a stack read per call, so production leaves it off.
func (db *DB) ForbidPoolInTransactions() {
	db.watch = &txWatch{in: map[uint64]int{}}
}

// txWatch knows which goroutines are inside a transaction's fn.
type txWatch struct {
	mu sync.Mutex
	in map[uint64]int
}

func (db *DB) checkPoolUse(op string) {
	w := db.watch
	if w == nil {
		return
	}
	// Reading the goroutine's number costs a traceback: skip it while no
	// goroutine at all is inside a transaction.
	w.mu.Lock()
	none := len(w.in) == 0
	w.mu.Unlock()
	if none {
		return
	}
	id := goroutineID()
	w.mu.Lock()
	n := w.in[id]
	w.mu.Unlock()
	if n > 0 {
		panic(fmt.Sprintf("store: %s on the pool inside a transaction: use the transaction's *store.Tx (a second connection stalls the pool, and does not see the transaction's writes)", op))
	}
}

// inTx runs fn(tx), marking the calling goroutine as inside a transaction
// meanwhile.
func inTx[Q Querier](db *DB, tx Q, fn func(Q) error) error {
	w := db.watch
	if w == nil {
		return fn(tx)
	}
	id := goroutineID()
	w.mu.Lock()
	w.in[id]++
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		if w.in[id]--; w.in[id] == 0 {
			delete(w.in, id)
		}
		w.mu.Unlock()
	}()
	return fn(tx)
}

// goroutineID reads the calling goroutine's number from its stack header
// ("goroutine 42 [running]:"). Only the tests' watch uses it.
func goroutineID() uint64 {
	var buf [64]byte
	b := bytes.TrimPrefix(buf[:runtime.Stack(buf[:], false)], []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		b = b[:i]
	}
	id, _ := strconv.ParseUint(string(b), 10, 64)
	return id
}
