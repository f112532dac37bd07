package jpki_test

import (
	"context"
	"database/sql"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, for the server's own settings

	"bango/internal/testutil"
)

// walLog reads what PostgreSQL wrote to its write-ahead log since a point:
// every row a test's transactions wrote, deleted or not, is in it, as a
// SQLite file keeps a deleted row in its free pages. It reads the server's
// pg_wal, so it needs the server on this machine and its folder readable
// (CI runs as root beside its server); elsewhere the check says it did
// not run, and in CI that fails.
type walLog struct {
	admin *sql.DB
	dir   string
	from  string // the LSN the log is read from
}

func startWAL(t *testing.T) *walLog {
	t.Helper()
	u, err := url.Parse(os.Getenv(testutil.PostgresEnv))
	if err != nil || (u.Hostname() != "127.0.0.1" && u.Hostname() != "localhost" && u.Hostname() != "") {
		walUnread(t, "the server is not on this machine")
		return nil
	}
	admin, err := sql.Open("pgx", u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	w := &walLog{admin: admin}
	ctx := context.Background()
	if err := admin.QueryRowContext(ctx, `SELECT current_setting('data_directory'), pg_current_wal_insert_lsn()::text`).Scan(&w.dir, &w.from); err != nil {
		walUnread(t, "the server's data folder is not known to this role: "+err.Error())
		return nil
	}
	if _, err := os.ReadDir(filepath.Join(w.dir, "pg_wal")); err != nil {
		walUnread(t, err.Error())
		return nil
	}
	return w
}

func walUnread(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Errorf("PostgreSQL's write-ahead log cannot be read (%s): the check that no file of the server holds a public key did not run", why)
		return
	}
	t.Logf("NOT CHECKED: PostgreSQL's write-ahead log cannot be read (%s); the tables were checked, the server's files were not", why)
}

// since returns the log's bytes from w.from to what the server has flushed.
func (w *walLog) since(t *testing.T) []byte {
	t.Helper()
	ctx := context.Background()
	var fromFile, toFile string
	var fromOff, toOff int64
	if err := w.admin.QueryRowContext(ctx, `SELECT f.file_name, f.file_offset, l.file_name, l.file_offset
		FROM pg_walfile_name_offset($1::pg_lsn) AS f, pg_walfile_name_offset(pg_current_wal_flush_lsn()) AS l`, w.from).Scan(&fromFile, &fromOff, &toFile, &toOff); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(filepath.Join(w.dir, "pg_wal"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if n := e.Name(); len(n) == 24 && n >= fromFile && n <= toFile {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var out []byte
	for _, n := range names {
		f, err := os.Open(filepath.Join(w.dir, "pg_wal", n))
		if err != nil {
			t.Fatal(err)
		}
		start, end := int64(0), int64(-1)
		if n == fromFile {
			start = fromOff
		}
		if n == toFile {
			end = toOff
		}
		f.Seek(start, io.SeekStart)
		var r io.Reader = f
		if end >= 0 {
			r = io.LimitReader(f, end-start)
		}
		b, err := io.ReadAll(r)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b...)
	}
	if len(out) == 0 {
		t.Fatalf("no write-ahead log between %s (%s) and %s: the check reads nothing", w.from, fromFile, toFile)
	}
	return out
}
