package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"bango/internal/errs"
	"bango/internal/store"
	"bango/internal/testutil"
)

// Writers that read through the pool meanwhile, more of them than the
// pool has connections, all finish quickly on both engines; on SQLite they
// take turns, so no two are ever inside a transaction at once, while reads
// beside them go on (issue 14 H).
func TestConcurrentTransactions(t *testing.T) {
	ctx := context.Background()
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		const writers, rounds = 24, 10
		var inside, most atomic.Int32
		var wg sync.WaitGroup
		errc := make(chan error, writers)
		start := time.Now()
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for r := range rounds {
					err := db.Transact(ctx, func(tx *store.Tx) error {
						n := inside.Add(1)
						defer inside.Add(-1)
						for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
						}
						return insertTenant(ctx, tx, fmt.Sprintf("%03d%03d", w, r))
					})
					if err != nil {
						errc <- err
						return
					}
					// A read beside the writers, from the pool.
					var n int
					if err := db.QueryRow(ctx, `SELECT count(*) FROM tenants`).Scan(&n); err != nil {
						errc <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			t.Fatal(err)
		}
		took := time.Since(start)
		if took > 5*time.Second {
			t.Errorf("%d writers × %d rounds took %s: writers waited on locks", writers, rounds, took)
		}
		if db.Engine() == store.SQLite && most.Load() != 1 {
			t.Errorf("on SQLite %d transactions ran at once; writers must take turns", most.Load())
		}
		var n int
		if err := db.QueryRow(ctx, `SELECT count(*) FROM tenants`).Scan(&n); err != nil || n != writers*rounds {
			t.Fatalf("tenants = %d, %v", n, err)
		}
		t.Logf("%s: %d transactions in %s, at most %d at once", db.Engine(), writers*rounds, took.Round(time.Millisecond), most.Load())
	})
}

// A writer waiting for its turn gives up with its context, not after the
// busy timeout; Exec takes the turn like Transact.
func TestWriteTurnFollowsContext(t *testing.T) {
	db := testutil.NewDB(t, store.SQLite)
	ctx := context.Background()
	holding, release := make(chan struct{}), make(chan struct{})
	done := make(chan error)
	go func() {
		done <- db.Transact(ctx, func(tx *store.Tx) error {
			close(holding)
			<-release
			return nil
		})
	}()
	<-holding
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := db.Transact(short, func(tx *store.Tx) error { return nil })
	if !errs.Is(err, errs.Unavailable) || !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Fatalf("waiting writer: %v after %s", err, time.Since(start))
	}
	if _, err := db.Exec(short, `UPDATE tenants SET name = name`); !errs.Is(err, errs.Unavailable) {
		t.Fatalf("Exec without the turn: %v", err)
	}
	// Reads do not wait for the writer.
	var n int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM tenants`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, `UPDATE tenants SET name = name`); err != nil {
		t.Fatal(err)
	}
}

// Tests catch a transaction that uses the pool: it would take a second
// connection while holding one.
func TestPoolInsideTransactionPanics(t *testing.T) {
	ctx := context.Background()
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		for name, use := range map[string]func(){
			"QueryRow": func() { db.QueryRow(ctx, `SELECT 1`).Scan(new(int)) },
			"Transact": func() { db.Transact(ctx, func(*store.Tx) error { return nil }) },
			"Exec":     func() { db.Exec(ctx, `UPDATE tenants SET name = name`) },
			"Read": func() {
				db.Read(store.WithScope(ctx, "131041"), func(q store.Querier) error { return q.QueryRow(ctx, `SELECT 1`).Scan(new(int)) })
			},
		} {
			var got any
			func() {
				defer func() { got = recover() }()
				db.Transact(ctx, func(tx *store.Tx) error {
					use()
					return nil
				})
			}()
			if msg, _ := got.(string); !strings.Contains(msg, "inside a transaction") {
				t.Errorf("%s inside Transact: recovered %v, want the pool-use panic", name, got)
			}
		}
		// Outside a transaction, and from other goroutines, the pool is fine.
		if err := db.Transact(ctx, func(tx *store.Tx) error { return nil }); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow(ctx, `SELECT 1`).Scan(new(int)); err != nil {
			t.Fatal(err)
		}
	})
}
