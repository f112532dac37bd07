package testutil

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"bango/internal/store"
)

// Migrating a fresh database for every test cost more than most tests
// themselves (PostgreSQL 0.35–1 s, SQLite 0.07 s, and 1.3 s under the race
// detector, where SQLite's pure-Go engine is instrumented too). So NewDB
// migrates one database per engine once and gives every test a copy of it:
// on SQLite a copy of the file, on PostgreSQL a database made from a
// template database. Both are keyed by store.MigrationsDigest, so an edited
// migration makes a new one. What the migrations themselves do from empty
// is still tested where it is the point (TestMigrateFromEmptyToLatest, and
// every test that opens NewEmptyDB or NewDBURL).

// MigrateEachEnv names a variable that, when set, makes NewDB migrate
// every test's database afresh instead of copying a migrated one.
const MigrateEachEnv = "BANGO_TEST_MIGRATE_EACH"

// testSchema is the schema that the PostgreSQL template's tables live in.
const testSchema = "bango"

// migratedCopy opens a copy of a database migrated once, or returns false
// when no copy can be made (MigrateEachEnv set, or a PostgreSQL role that
// may not create databases), and NewDB migrates afresh.
func migratedCopy(t testing.TB, eng store.Engine) (*store.DB, bool) {
	t.Helper()
	if os.Getenv(MigrateEachEnv) != "" {
		return nil, false
	}
	var dbURL string
	if eng == store.SQLite {
		image, err := sqliteImage()
		if err != nil {
			t.Fatalf("migrated SQLite image: %v", err)
		}
		dbURL = filepath.Join(t.TempDir(), "bango.db")
		if err := os.WriteFile(dbURL, image, 0o600); err != nil {
			t.Fatal(err)
		}
	} else {
		base := PostgresURL(t)
		tpl := postgresTemplate(base)
		if tpl.err != nil {
			return nil, false
		}
		dbURL = postgresClone(t, base, tpl.name)
	}
	db, err := store.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatalf("open %s: %v", eng, err)
	}
	t.Cleanup(func() { db.Close() })
	db.ForbidPoolInTransactions()
	if v, err := db.SchemaVersion(context.Background()); err != nil || v != store.LatestVersion() {
		t.Fatalf("the migrated copy on %s is at schema %d (%v), not %d", eng, v, err, store.LatestVersion())
	}
	return db, true
}

var sqliteOnce struct {
	sync.Once
	image []byte
	err   error
}

// sqliteImage is the bytes of a SQLite file migrated to the latest schema,
// made once per process (and kept in the temporary folder by digest, so
// that the packages of one go test run share it).
func sqliteImage() ([]byte, error) {
	sqliteOnce.Do(func() {
		sqliteOnce.image, sqliteOnce.err = buildSQLiteImage()
	})
	return sqliteOnce.image, sqliteOnce.err
}

func buildSQLiteImage() ([]byte, error) {
	digest, err := store.MigrationsDigest(store.SQLite)
	if err != nil {
		return nil, err
	}
	kept := filepath.Join(os.TempDir(), "bango-test-sqlite-"+digest+".db")
	if b, err := os.ReadFile(kept); err == nil && len(b) > 0 {
		return b, nil
	}
	dir, err := os.MkdirTemp("", "bango-test-migrate-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "bango.db")
	db, err := store.Open(context.Background(), path)
	if err != nil {
		return nil, err
	}
	if _, err := db.Migrate(context.Background()); err != nil {
		db.Close()
		return nil, err
	}
	// Closing the last connection checkpoints the write-ahead log into the
	// file and removes it; a log left behind would mean a copy of the file
	// alone misses part of the schema.
	if err := db.Close(); err != nil {
		return nil, err
	}
	if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() > 0 {
		return nil, fmt.Errorf("the write-ahead log of %s was not checkpointed on close (%d bytes)", path, fi.Size())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	// Another process may write the same bytes at once: rename is atomic.
	tmp := kept + "." + RandomHex(4)
	if os.WriteFile(tmp, b, 0o600) == nil {
		if os.Rename(tmp, kept) != nil {
			os.Remove(tmp)
		}
	}
	return b, nil
}

type pgTemplate struct {
	once sync.Once
	name string
	err  error
}

var (
	pgTemplates sync.Map // base URL → *pgTemplate
	pgAdmins    sync.Map // base URL → *sql.DB
)

// postgresTemplate is the name of the template database migrated to the
// latest schema on the server of base, made by the first test process
// that needs it (others wait for it on an advisory lock) and kept by
// digest for later runs.
func postgresTemplate(base string) *pgTemplate {
	v, _ := pgTemplates.LoadOrStore(base, &pgTemplate{})
	tpl := v.(*pgTemplate)
	tpl.once.Do(func() {
		tpl.name, tpl.err = buildPostgresTemplate(base)
		if tpl.err != nil {
			fmt.Fprintf(os.Stderr, "testutil: no PostgreSQL template database (each test migrates its own schema instead): %v\n", tpl.err)
		}
	})
	return tpl
}

func pgAdmin(base string) (*sql.DB, error) {
	if v, ok := pgAdmins.Load(base); ok {
		return v.(*sql.DB), nil
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return nil, err
	}
	admin.SetMaxIdleConns(4)
	if v, loaded := pgAdmins.LoadOrStore(base, admin); loaded {
		admin.Close()
		return v.(*sql.DB), nil
	}
	return admin, nil
}

// withDatabase returns base with its database, user and search path set.
func withDatabase(base, database, user, schema string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	u.Path = "/" + database
	if user != "" {
		u.User = url.User(user)
	}
	if schema != "" {
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
	}
	return u.String(), nil
}

// staleAfter is how old a test database must be before a later test
// process drops it: one left behind by a process that ended (go test's
// -timeout, 30 minutes in CI, stops a test long before). Template
// databases of other migrations are dropped a day after they were built.
const (
	staleAfter         = time.Hour
	staleTemplateAfter = 24 * time.Hour
)

func buildPostgresTemplate(base string) (string, error) {
	ctx := context.Background()
	digest, err := store.MigrationsDigest(store.Postgres)
	if err != nil {
		return "", err
	}
	name := "bango_tpl_" + digest
	admin, err := pgAdmin(base)
	if err != nil {
		return "", err
	}
	conn, err := admin.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if err := ensureTestRole(ctx, conn); err != nil {
		return "", err
	}
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(7280156)`); err != nil {
		return "", err
	}
	defer conn.ExecContext(ctx, `SELECT pg_advisory_unlock(7280156)`)
	sweepStaleDatabases(ctx, conn, name)
	var exists bool
	if err := conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	build := "bango_tplbuild_" + RandomHex(6)
	if _, err := conn.ExecContext(ctx, `CREATE DATABASE `+build); err != nil {
		return "", err
	}
	ok := false
	defer func() {
		if !ok {
			conn.ExecContext(ctx, `DROP DATABASE IF EXISTS `+build+` WITH (FORCE)`)
		}
	}()
	if err := migrateTemplate(ctx, base, build); err != nil {
		return "", err
	}
	if _, err := conn.ExecContext(ctx, `COMMENT ON DATABASE `+build+` IS '`+strconv.FormatInt(time.Now().Unix(), 10)+`'`); err != nil {
		return "", err
	}
	// The migration's connections may take a moment to leave the server.
	for i := 0; ; i++ {
		_, err = conn.ExecContext(ctx, `ALTER DATABASE `+build+` RENAME TO `+name)
		if err == nil || i == 50 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return "", err
	}
	ok = true
	return name, nil
}

// migrateTemplate makes the schema of the test role in the new database
// build and migrates it as that role, as NewDBURL's schemas are.
func migrateTemplate(ctx context.Context, base, build string) error {
	adminURL, err := withDatabase(base, build, "", "")
	if err != nil {
		return err
	}
	a, err := sql.Open("pgx", adminURL)
	if err != nil {
		return err
	}
	_, err = a.ExecContext(ctx, `CREATE SCHEMA `+testSchema+` AUTHORIZATION `+TestRole)
	a.Close()
	if err != nil {
		return err
	}
	roleURL, err := withDatabase(base, build, TestRole, testSchema)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, roleURL)
	if err != nil {
		return err
	}
	_, err = db.Migrate(ctx)
	return errors.Join(err, db.Close())
}

// sweepStaleDatabases drops the test databases that ended processes left
// behind (their names carry their birth), and the template databases of
// other migrations (their comments do) but keep.
func sweepStaleDatabases(ctx context.Context, conn *sql.Conn, keep string) {
	rows, err := conn.QueryContext(ctx, `SELECT d.datname, coalesce(shobj_description(d.oid, 'pg_database'), '')
		FROM pg_database d WHERE d.datname LIKE 'bango\_t\_%' OR d.datname LIKE 'bango\_tpl%'`)
	if err != nil {
		return
	}
	var stale []string
	for rows.Next() {
		var n, comment string
		if rows.Scan(&n, &comment) != nil {
			continue
		}
		born, after := comment, staleTemplateAfter
		if rest, ok := strings.CutPrefix(n, "bango_t_"); ok {
			born, _, _ = strings.Cut(rest, "_")
			after = staleAfter
		}
		if s, err := strconv.ParseInt(born, 10, 64); err == nil && n != keep && time.Since(time.Unix(s, 0)) > after {
			stale = append(stale, n)
		}
	}
	rows.Close()
	for _, n := range stale {
		conn.ExecContext(ctx, `DROP DATABASE IF EXISTS `+n+` WITH (FORCE)`)
	}
}

// postgresClone gives t a database made from the template tpl, dropped
// when t ends, and returns its URL for the test role.
//
// Making a database from a template (0.15–0.5 s on a loaded machine: the
// server copies and logs some 8 MB) and dropping it are the server's work,
// so one database is made ahead for the next test while this one runs.
// The one made ahead when a process ends a later process drops once it is
// staleAfter old. (Dropping in the background too saved a little more,
// but a process ending drops nothing more: each left three or four.)
func postgresClone(t testing.TB, base, tpl string) string {
	t.Helper()
	v, _ := pgSpares.LoadOrStore(base+"\x00"+tpl, &pgSpare{base: base, tpl: tpl})
	sp := v.(*pgSpare)
	name, err := sp.take()
	if err != nil {
		t.Fatalf("create a test database from %s on %s: %v", tpl, store.Redact(base), err)
	}
	t.Cleanup(func() {
		if admin, err := pgAdmin(base); err == nil {
			admin.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`)
		}
	})
	u, err := withDatabase(base, name, TestRole, testSchema)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

var pgSpares sync.Map // base and template → *pgSpare

// pgSpare makes the databases of one template, one ahead.
type pgSpare struct {
	base, tpl string
	start     sync.Once
	next      chan spareDB
}

type spareDB struct {
	name string
	err  error
}

func (sp *pgSpare) take() (string, error) {
	sp.start.Do(func() {
		sp.next = make(chan spareDB, 1)
		go func() { sp.next <- sp.make() }()
	})
	d := <-sp.next
	if d.err != nil {
		// The next one is made in the caller's time, and may work.
		d = sp.make()
	}
	go func() { sp.next <- sp.make() }()
	return d.name, d.err
}

func (sp *pgSpare) make() spareDB {
	admin, err := pgAdmin(sp.base)
	if err != nil {
		return spareDB{err: err}
	}
	name := fmt.Sprintf("bango_t_%d_%s", time.Now().Unix(), RandomHex(6))
	// Two processes cloning one template at once is allowed; a session
	// connected to the template is not, and none is after it is built.
	for i := 0; ; i++ {
		_, err = admin.Exec(`CREATE DATABASE ` + name + ` TEMPLATE ` + sp.tpl)
		if err == nil || i == 50 || !strings.Contains(err.Error(), "being accessed by other users") {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return spareDB{err: err}
	}
	return spareDB{name: name}
}

// ensureTestRole creates TestRole when the server lacks it.
func ensureTestRole(ctx context.Context, ex interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}) error {
	_, err := ex.ExecContext(ctx, `DO $$ BEGIN
		IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '`+TestRole+`') THEN CREATE ROLE `+TestRole+` LOGIN NOSUPERUSER; END IF;
		EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`)
	return err
}
