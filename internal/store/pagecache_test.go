package store

import (
	"context"
	"path/filepath"
	"testing"
)

// SQLite takes its pages from the buffer set aside at start, not from the
// allocator page by page (issue 14 I): after a read the buffer is in use.
func TestSQLitePagesComeFromTheBuffer(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "pages.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.SQL().ExecContext(ctx, `CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)`); err != nil {
		t.Fatal(err)
	}
	for i := range 500 {
		if _, err := db.SQL().ExecContext(ctx, `INSERT INTO t (k, v) VALUES (?, printf('%.200c', 'x'))`, i); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM t WHERE v LIKE 'x%'`).Scan(&n); err != nil || n != 500 {
		t.Fatalf("count = %d, %v", n, err)
	}
	used, err := pageCacheSlotsUsed()
	if err != nil {
		t.Fatal(err)
	}
	if used < 20 {
		t.Fatalf("%d slots of the page buffer in use after reading 500 rows of 200 bytes: SQLite is not taking its pages from it", used)
	}
}
