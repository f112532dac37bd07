package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"bango/internal/errs"
	"bango/internal/store"
	"bango/internal/testutil"
)

func TestMigrationFiles(t *testing.T) {
	ms, err := store.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 || store.LatestVersion() != len(ms) {
		t.Fatalf("migrations = %d, latest = %d", len(ms), store.LatestVersion())
	}
}

func TestMigrateFromEmptyToLatest(t *testing.T) {
	ctx := context.Background()
	testutil.EachEngine(t, func(t *testing.T, eng store.Engine) {
		db := testutil.NewEmptyDB(t, eng)
		if v, err := db.SchemaVersion(ctx); err != nil || v != 0 {
			t.Fatalf("empty SchemaVersion = %d, %v", v, err)
		}
		n, err := db.Migrate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n != store.LatestVersion() {
			t.Fatalf("applied %d, want %d", n, store.LatestVersion())
		}
		if v, _ := db.SchemaVersion(ctx); v != store.LatestVersion() {
			t.Fatalf("SchemaVersion = %d", v)
		}
		if n, err := db.Migrate(ctx); err != nil || n != 0 {
			t.Fatalf("second Migrate applied %d, %v", n, err)
		}
	})
}

func insertTenant(ctx context.Context, tx *store.Tx, code string) error {
	_, err := tx.Exec(ctx, `INSERT INTO tenants (code, name, created_at) VALUES ($1, $2, $3)`, code, "名前", time.Now().UTC())
	return err
}

func TestTransactAndErrors(t *testing.T) {
	ctx := context.Background()
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		// Commit.
		if err := db.Transact(ctx, func(tx *store.Tx) error { return insertTenant(ctx, tx, "131041") }); err != nil {
			t.Fatal(err)
		}
		// Rollback on error: nothing is written.
		boom := errors.New("boom")
		err := db.Transact(ctx, func(tx *store.Tx) error {
			if err := insertTenant(ctx, tx, "011002"); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v, want boom", err)
		}
		var n int
		if err := db.QueryRow(ctx, `SELECT count(*) FROM tenants`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("tenants = %d, %v; the failed transaction left a row", n, err)
		}
		// Unique violation → Conflict.
		err = db.Transact(ctx, func(tx *store.Tx) error { return insertTenant(ctx, tx, "131041") })
		if !errs.Is(err, errs.Conflict) {
			t.Fatalf("duplicate key: kind %v (%v), want conflict", errs.KindOf(err), err)
		}
		var ce *store.ConstraintError
		if !errors.As(err, &ce) || ce.Constraint == "" {
			t.Fatalf("constraint not named: %v", err)
		}
		// Check violation → Invalid.
		err = db.Transact(ctx, func(tx *store.Tx) error { return insertTenant(ctx, tx, "1") })
		if !errs.Is(err, errs.Invalid) {
			t.Fatalf("check violation: kind %v (%v), want invalid", errs.KindOf(err), err)
		}
		// No rows → NotFound.
		var name string
		err = store.ScanErr(db.QueryRow(ctx, `SELECT name FROM tenants WHERE code = $1`, "999999").Scan(&name), "tenant 999999")
		if !errs.Is(err, errs.NotFound) || !strings.Contains(err.Error(), "tenant 999999") {
			t.Fatalf("no rows: %v", err)
		}
		// A panic rolls back and propagates.
		func() {
			defer func() {
				if recover() == nil {
					t.Error("panic was swallowed")
				}
			}()
			db.Transact(ctx, func(tx *store.Tx) error {
				insertTenant(ctx, tx, "271004")
				panic("boom")
			})
		}()
		if err := db.QueryRow(ctx, `SELECT count(*) FROM tenants`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("tenants after panic = %d, %v", n, err)
		}
	})
}

func TestRowsAndEach(t *testing.T) {
	ctx := context.Background()
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		codes := []string{"011002", "131041", "271004"}
		if err := db.Transact(ctx, func(tx *store.Tx) error {
			for _, c := range codes {
				if err := insertTenant(ctx, tx, c); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		scanCode := func(row store.Scanner) (string, error) {
			var c string
			return c, row.Scan(&c)
		}
		got, err := store.Rows(scanCode)(db.Query(ctx, `SELECT code FROM tenants ORDER BY code`))
		if err != nil || strings.Join(got, ",") != strings.Join(codes, ",") {
			t.Fatalf("Rows = %v, %v", got, err)
		}
		if got, err := store.Rows(scanCode)(db.Query(ctx, `SELECT code FROM tenants WHERE code = 'none'`)); err != nil || len(got) != 0 {
			t.Fatalf("Rows of nothing = %v, %v", got, err)
		}
		// Each stops at fn's first error and returns it.
		boom := errors.New("boom")
		var seen []string
		err = store.Each(func(row store.Scanner) error {
			c, err := scanCode(row)
			if err != nil {
				return err
			}
			seen = append(seen, c)
			if len(seen) == 2 {
				return boom
			}
			return nil
		})(db.Query(ctx, `SELECT code FROM tenants ORDER BY code`))
		if !errors.Is(err, boom) || len(seen) != 2 {
			t.Fatalf("Each = %v after %v, want boom after two rows", err, seen)
		}
		// The query's own error comes back, as from Query.
		if _, err := store.Rows(scanCode)(db.Query(ctx, `SELECT code FROM no_such_table`)); err == nil {
			t.Fatal("Rows over a missing table: no error")
		}
	})
}

func TestTenantExists(t *testing.T) {
	ctx := context.Background()
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		if err := db.Transact(ctx, func(tx *store.Tx) error { return insertTenant(ctx, tx, "131041") }); err != nil {
			t.Fatal(err)
		}
		if err := store.TenantExists(ctx, db, "131041"); err != nil {
			t.Fatalf("TenantExists(131041) = %v", err)
		}
		err := store.TenantExists(ctx, db, "999999")
		if !errs.Is(err, errs.NotFound) || !strings.Contains(err.Error(), "999999") {
			t.Fatalf("TenantExists(999999) = %v, want not found naming it", err)
		}
		if err := db.Transact(ctx, func(tx *store.Tx) error { return store.TenantExists(ctx, tx, "131041") }); err != nil {
			t.Fatalf("TenantExists in a transaction = %v", err)
		}
	})
}

func TestCopyFrom(t *testing.T) {
	ctx := context.Background()
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		codes := []string{"131041", "011002", "271004", "121002"}
		i := 0
		next := func() ([]any, error) {
			if i == len(codes) {
				return nil, nil
			}
			i++
			return []any{codes[i-1], "町" + codes[i-1], time.Now().UTC()}, nil
		}
		var n int64
		err := db.Transact(ctx, func(tx *store.Tx) (err error) {
			n, err = tx.CopyFrom(ctx, "tenants", []string{"code", "name", "created_at"}, next)
			return err
		})
		if err != nil || n != 4 {
			t.Fatalf("CopyFrom = %d, %v", n, err)
		}
		// A failing source aborts the copy and the transaction.
		stop := errors.New("bad row")
		j := 0
		err = db.Transact(ctx, func(tx *store.Tx) error {
			_, err := tx.CopyFrom(ctx, "tenants", []string{"code", "name", "created_at"}, func() ([]any, error) {
				j++
				if j == 2 {
					return nil, stop
				}
				return []any{"99990" + string(rune('0'+j)), "x", time.Now().UTC()}, nil
			})
			return err
		})
		if !errors.Is(err, stop) {
			t.Fatalf("err = %v, want the source's error", err)
		}
		var count int
		db.QueryRow(ctx, `SELECT count(*) FROM tenants`).Scan(&count)
		if count != 4 {
			t.Fatalf("tenants = %d after an aborted copy, want 4", count)
		}
		// A duplicate inside a copy is a conflict.
		k := 0
		err = db.Transact(ctx, func(tx *store.Tx) error {
			_, err := tx.CopyFrom(ctx, "tenants", []string{"code", "name", "created_at"}, func() ([]any, error) {
				if k == 1 {
					return nil, nil
				}
				k++
				return []any{"131041", "x", time.Now().UTC()}, nil
			})
			return err
		})
		if !errs.Is(err, errs.Conflict) {
			t.Fatalf("duplicate in copy: %v (kind %v)", err, errs.KindOf(err))
		}
	})
}

// TestBulkFixedColumns: a bulk write sends the columns every row shares
// once (Fixed) and runs AfterChunk with each staged chunk's rows, and on
// PostgreSQL the policies still check every row of the staged path
// (issue 14 G: COPY is refused under row-level security, so rows go
// through a temporary table and INSERT … SELECT).
func TestBulkFixedColumns(t *testing.T) {
	ctx := context.Background()
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
		birth := any(time.Date(1980, 4, 1, 0, 0, 0, 0, time.UTC))
		if db.Engine() == store.SQLite {
			birth = "1980-04-01"
		}
		const rows = 25000 // more than one staged chunk
		bulk := func(tenant string, after *[]int) (int64, error) {
			i := 0
			next := func() ([]any, error) {
				if i == rows {
					return nil, nil
				}
				i++
				return []any{strconv.Itoa(100000 + i), "宛名 太郎", "アテナ タロウ", "", "東京都新宿区", birth, "1"}, nil
			}
			var n int64
			err := db.Transact(store.WithScope(ctx, "131041"), func(tx *store.Tx) (err error) {
				n, err = tx.Bulk(ctx, store.Bulk{
					Table:   "residents",
					Columns: []string{"code", "name_kanji", "name_kana", "alias", "address", "birth_date", "sex"},
					Fixed:   []store.Fixed{{Column: "tenant_code", Value: tenant}, {Column: "version", Value: 1}, {Column: "created_at", Value: now}, {Column: "updated_at", Value: now}},
					AfterChunk: func(chunk [][]any) (string, []any) {
						*after = append(*after, len(chunk))
						return `SELECT $1::text`, []any{chunk[0][0]}
					},
				}, next)
				return err
			})
			return n, err
		}
		var after []int
		n, err := bulk("131041", &after)
		if err != nil || n != rows {
			t.Fatalf("Bulk = %d, %v, want %d", n, err, rows)
		}
		var count, version int
		var created time.Time
		err = db.ReadIn(ctx, "131041", func(q store.Querier) error {
			if err := q.QueryRow(ctx, `SELECT count(*), min(version) FROM residents WHERE tenant_code = $1`, "131041").Scan(&count, &version); err != nil {
				return err
			}
			return q.QueryRow(ctx, `SELECT created_at FROM residents WHERE tenant_code = $1 AND code = $2`, "131041", "100001").Scan(&created)
		})
		if err != nil || count != rows || version != 1 || !created.Equal(now) {
			t.Fatalf("stored %d rows, version %d, created %v (%v); want %d, 1, %v", count, version, created, err, rows, now)
		}
		if db.Engine() == store.Postgres {
			// Staged in chunks: each chunk's rows reached AfterChunk once.
			sum := 0
			for _, k := range after {
				sum += k
			}
			if len(after) < 2 || sum != rows {
				t.Fatalf("AfterChunk saw chunks %v, want every row once in at least two chunks", after)
			}
			// The policies bind the staged path: a fixed municipality
			// outside the session's scope is refused, nothing written.
			var none []int
			if _, err := bulk("011002", &none); err == nil {
				t.Fatal("Bulk into another municipality succeeded under row-level security")
			}
		} else if len(after) != 0 {
			t.Fatalf("AfterChunk ran on SQLite (%v): only staged writes have chunks", after)
		}
	})
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	for _, u := range []string{"", "mysql://x", "sqlite:/tmp/x.db?_pragma=foo"} {
		if _, err := store.Open(ctx, u); err == nil {
			t.Errorf("Open(%q) succeeded", u)
		}
	}
	if got := store.Redact("postgres://bango:s3cret@db:5432/bango"); strings.Contains(got, "s3cret") {
		t.Errorf("Redact left the password: %s", got)
	}
	// A SQLite path creates its folder.
	p := filepath.Join(t.TempDir(), "a", "b", "bango.db")
	db, err := store.Open(ctx, "sqlite:"+p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	db.Close()
	// The database and its WAL hold personal data: private to the owner.
	for _, f := range []string{p, p + "-wal", p + "-shm"} {
		if fi, err := os.Stat(f); err == nil && fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %04o, want 0600", f, fi.Mode().Perm())
		}
	}
	if fi, err := os.Stat(p); err != nil || fi.Size() == 0 {
		t.Fatalf("database file: %v", err)
	}
}

// A SQLite path is a path, whatever its characters: a '#' or '%' in a
// folder's or file's name must not cut or change it (two tests named
// "x#01" and "x#02" once shared one database file).
func TestOpenSQLitePathWithURICharacters(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, name := range []string{"x#01.db", "x#02.db", "50%.db", "a b#c%20d.db"} {
		p := filepath.Join(dir, name)
		db, err := store.Open(ctx, p)
		if err != nil {
			t.Fatalf("Open(%q): %v", p, err)
		}
		if _, err := db.Exec(ctx, `CREATE TABLE t (name TEXT)`); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		db.Close()
		if fi, err := os.Stat(p); err != nil || fi.Size() == 0 {
			t.Errorf("Open(%q) did not write that file: %v", p, err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if n := e.Name(); !strings.HasPrefix(n, "x#0") && !strings.HasPrefix(n, "50%") && !strings.HasPrefix(n, "a b#c%20d") {
			t.Errorf("Open wrote %q, a file it was not given", n)
		}
	}
}
