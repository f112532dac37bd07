package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"bango/internal/errs"
	"bango/internal/store"
	"bango/internal/testutil"
)

// A Pipe's statements are one transaction whatever the batches: all or
// nothing, in order, in the scope's municipalities only (R-AC-6), and the
// reads between batches see the writes before them.
func TestPipeline(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		if db.Engine() == store.Postgres {
			// One connection, so that what a pipeline leaves on its
			// connection (a transaction, a scope) would show below.
			db.SQL().SetMaxOpenConns(1)
		}
		ctx := context.Background()
		at := time.Date(2026, 12, 3, 1, 2, 3, 0, time.UTC)
		for _, code := range []string{"131041", "011002", "271004"} {
			if err := db.Transact(ctx, func(tx *store.Tx) error { return insertTenant(ctx, tx, code) }); err != nil {
				t.Fatal(err)
			}
		}
		both := store.WithScope(ctx, "131041", "011002")
		insert := `INSERT INTO jpki_register_watch (tenant_code, through) VALUES ($1, $2)`
		count := func(ctx context.Context) int {
			t.Helper()
			var n int
			if err := db.ReadOne(ctx, func(r store.Scanner) error { return r.Scan(&n) }, `SELECT count(*) FROM jpki_register_watch`); err != nil {
				t.Fatal(err)
			}
			return n
		}

		// Writes, a read of them between batches, a write after: committed.
		var seen int
		var update *store.Result
		err := db.Pipeline(both, func(p *store.Pipe) error {
			p.Exec(insert, "131041", at)
			p.Exec(insert, "011002", at)
			if err := p.Flush(); err != nil {
				return err
			}
			p.QueryRow(func(r store.Scanner) error { return r.Scan(&seen) }, `SELECT count(*) FROM jpki_register_watch`)
			update = p.Exec(`UPDATE jpki_register_watch SET through = $1 WHERE tenant_code = $2`, at.Add(time.Hour), "131041")
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if seen != 2 || update.RowsAffected() != 1 || count(both) != 2 {
			t.Fatalf("read between batches %d, updated %d, after %d; want 2, 1, 2", seen, update.RowsAffected(), count(both))
		}

		// A failing statement in the only batch: nothing of it is kept.
		err = db.Pipeline(both, func(p *store.Pipe) error {
			p.Exec(`DELETE FROM jpki_register_watch WHERE tenant_code = $1`, "011002")
			p.Exec(insert, "131041", at) // a duplicate
			return nil
		})
		if !errs.Is(err, errs.Conflict) || count(both) != 2 {
			t.Fatalf("duplicate in the batch: %v, %d rows (want conflict, 2)", err, count(both))
		}
		// A read that refuses after a flushed write: the write is undone.
		boom := errors.New("boom")
		err = db.Pipeline(both, func(p *store.Pipe) error {
			p.Exec(`DELETE FROM jpki_register_watch WHERE tenant_code = $1`, "011002")
			if err := p.Flush(); err != nil {
				return err
			}
			p.Exec(`DELETE FROM jpki_register_watch WHERE tenant_code = $1`, "131041")
			p.QueryRow(func(r store.Scanner) error { return boom }, `SELECT count(*) FROM jpki_register_watch`)
			return nil
		})
		if !errors.Is(err, boom) || count(both) != 2 {
			t.Fatalf("refused read: %v, %d rows (want boom, 2)", err, count(both))
		}
		// fn's own error after a flush: undone too.
		err = db.Pipeline(both, func(p *store.Pipe) error {
			p.Exec(`DELETE FROM jpki_register_watch WHERE tenant_code = $1`, "011002")
			if err := p.Flush(); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) || count(both) != 2 {
			t.Fatalf("fn's error: %v, %d rows (want boom, 2)", err, count(both))
		}
		// No row: not found, named by the caller.
		var through time.Time
		err = db.ReadOne(both, func(r store.Scanner) error { return r.Scan(&through) },
			`SELECT through FROM jpki_register_watch WHERE tenant_code = $1`, "271004")
		if err = store.ScanErr(err, "watch"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("no row: %v", err)
		}
		if err := db.ReadOne(both, func(r store.Scanner) error { return r.Scan(&through) },
			`SELECT through FROM jpki_register_watch WHERE tenant_code = $1`, "131041"); err != nil || !through.Equal(at.Add(time.Hour)) {
			t.Fatalf("read %v, %v", through, err)
		}

		if db.Engine() != store.Postgres {
			return
		}
		// Row-level security: a pipeline sees and writes its scope only,
		// and leaves no scope behind on its connection.
		one := store.WithScope(ctx, "131041")
		if n := count(one); n != 1 {
			t.Errorf("scope 131041 sees %d rows, want 1", n)
		}
		err = db.PipelineIn(ctx, "131041", func(p *store.Pipe) error {
			p.Exec(insert, "271004", at)
			return nil
		})
		if err == nil {
			t.Error("a pipeline wrote outside its scope")
		}
		if n := count(store.WithScope(ctx, "271004")); n != 0 {
			t.Errorf("271004 has %d rows after a refused write", n)
		}
		if n := count(store.WithScope(ctx)); n != 0 {
			t.Errorf("no scope sees %d rows after the pipelines", n)
		}
		var scope string
		if err := db.QueryRow(ctx, `SELECT coalesce(current_setting('bango.scope', true), '')`).Scan(&scope); err != nil || scope != "" {
			t.Errorf("the connection kept the scope %q (%v)", scope, err)
		}
	})
}
