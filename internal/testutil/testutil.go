// Package testutil holds the helpers that tests across bango share: above
// all, running one test on every database engine.
package testutil

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"database/sql"
	"encoding/base32"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"bango/internal/store"
)

// TestRole is the ordinary (non-superuser) role the tests connect as.
const TestRole = "bango_test_owner"

// PostgresEnv names the variable that holds the PostgreSQL URL for tests.
const PostgresEnv = "BANGO_TEST_POSTGRES"

var skipOnce sync.Once

// PostgresURL returns the test PostgreSQL URL, or skips t loudly when none is
// configured. Under CI (CI set) a missing URL fails instead: in CI nothing is
// skipped.
func PostgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(PostgresEnv)
	if u == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set, and CI must run the PostgreSQL tests", PostgresEnv)
		}
		skipOnce.Do(func() {
			fmt.Fprintf(os.Stderr, "\n*** SKIPPING PostgreSQL tests: set %s (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) ***\n\n", PostgresEnv)
		})
		t.Skipf("SKIPPED on PostgreSQL: %s is not set", PostgresEnv)
	}
	return u
}

// Engines runs fn once per engine as subtests "sqlite" and "postgres", each
// on a fresh, migrated database.
func Engines(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	EachEngine(t, func(t *testing.T, eng store.Engine) { fn(t, NewDB(t, eng)) })
}

// EachEngine runs fn once per engine as subtests "sqlite" and "postgres",
// for tests that open the database themselves (empty, twice, through a
// command or a fixture of their own).
func EachEngine(t *testing.T, fn func(t *testing.T, eng store.Engine)) {
	t.Helper()
	for _, eng := range []store.Engine{store.SQLite, store.Postgres} {
		t.Run(string(eng), func(t *testing.T) { fn(t, eng) })
	}
}

// AllTenants is a context whose reads (store.DB.Read, ReadRow) and
// transactions see every municipality's rows, for tests that look at what
// was written (audit events, alerts) under row-level security (R-AC-6).
func AllTenants() context.Context {
	return store.WithScope(context.Background(), store.AllTenants)
}

// NewDB opens a fresh, migrated database on eng, removed when t ends: a
// copy of one migrated once (migrated.go), or else migrated afresh.
func NewDB(t testing.TB, eng store.Engine) *store.DB {
	t.Helper()
	if db, ok := migratedCopy(t, eng); ok {
		return db
	}
	db := NewEmptyDB(t, eng)
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate %s: %v", eng, err)
	}
	return db
}

// NewEmptyDB opens a fresh database on eng with no schema applied.
func NewEmptyDB(t testing.TB, eng store.Engine) *store.DB {
	t.Helper()
	dbURL := NewDBURL(t, eng)
	db, err := store.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatalf("open %s: %v", eng, err)
	}
	t.Cleanup(func() { db.Close() })
	// A transaction that reads through the pool stalls SQLite under load
	// (issue 14 H); in tests it panics where it happens.
	db.ForbidPoolInTransactions()
	return db
}

// NewDBURL returns the URL of a fresh, empty database on eng: a file in a
// temporary folder for SQLite, a new schema for PostgreSQL (dropped at the
// end of t).
func NewDBURL(t testing.TB, eng store.Engine) string {
	t.Helper()
	if eng == store.SQLite {
		return filepath.Join(t.TempDir(), "bango.db")
	}
	base := PostgresURL(t)
	schema := "t_" + RandomHex(6)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	// The tests connect as an ordinary role that owns its schema, as
	// production does: a superuser would bypass row-level security.
	if _, err := admin.Exec(`DO $$ BEGIN
		IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '` + TestRole + `') THEN CREATE ROLE ` + TestRole + ` LOGIN NOSUPERUSER; END IF;
		EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`); err != nil {
		t.Fatalf("create role %s on %s: %v", TestRole, store.Redact(base), err)
	}
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema + ` AUTHORIZATION ` + TestRole); err != nil {
		t.Fatalf("create schema on %s: %v", store.Redact(base), err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer admin.Close()
		admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	u.User = url.User(TestRole)
	return u.String()
}

// RandomHex returns n random bytes in hex.
func RandomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// TOTP computes the RFC 6238 code (SHA-1, 30 s, 6 digits) of a base32
// secret at t, as an authenticator app would; tests use it to log in.
func TOTP(secret string, t time.Time) string {
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		panic(err)
	}
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(t.Unix()/30))
	m := hmac.New(sha1.New, raw)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0xf
	return fmt.Sprintf("%06d", (binary.BigEndian.Uint32(sum[off:])&0x7fffffff)%1000000)
}
