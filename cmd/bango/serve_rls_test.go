package main

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"bango/internal/store"
	"bango/internal/testutil"
)

// bypassRole is a role with BYPASSRLS (and nothing else) that the test
// makes, to show serve refuses it as it refuses a superuser.
const bypassRole = "bango_test_bypass"

// R-AC-6 (issue 15): serve refuses a PostgreSQL connection that row-level
// security does not bind — a superuser, a role with BYPASSRLS — naming the
// role and the setting that would let it start; with allow-rls-bypass it
// starts, and says so. (An ordinary role starts without it:
// TestServeOnPostgres.)
func TestServeRefusesRLSBypass(t *testing.T) {
	ordinary := testutil.NewDBURL(t, store.Postgres) // a fresh schema, owned by the tests' ordinary role
	admin, err := url.Parse(testutil.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	as := func(user *url.Userinfo) string {
		u, err := url.Parse(ordinary)
		if err != nil {
			t.Fatal(err)
		}
		u.User = user
		return u.String()
	}
	adminDB, err := sql.Open("pgx", admin.String())
	if err != nil {
		t.Fatal(err)
	}
	defer adminDB.Close()
	var super bool
	if err := adminDB.QueryRow(`SELECT rolsuper FROM pg_roles WHERE rolname = current_user`).Scan(&super); err != nil || !super {
		t.Fatalf("%s must name a superuser for this test (it makes roles and schemas): %v", testutil.PostgresEnv, err)
	}
	if _, err := adminDB.Exec(`DO $$ BEGIN
		IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '` + bypassRole + `') THEN CREATE ROLE ` + bypassRole + ` LOGIN NOSUPERUSER BYPASSRLS; END IF;
		EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name, dbURL, says string
	}{
		{"superuser", as(admin.User), `as "` + admin.User.Username() + `", a superuser`},
		{"BYPASSRLS", as(url.User(bypassRole)), `as "` + bypassRole + `", a role with BYPASSRLS`},
	} {
		code, _, stderr := runCmd(t, "serve", "--data", t.TempDir(), "--db", tc.dbURL, "--http", "--listen", "127.0.0.1:0")
		if code != 2 || !strings.Contains(stderr, tc.says) || !strings.Contains(stderr, "row-level security") || !strings.Contains(stderr, "allow-rls-bypass") {
			t.Errorf("%s: exit %d, %s", tc.name, code, stderr)
		}
	}
	// Refused before anything was written: the schema is still empty.
	var tables int
	if err := adminDB.QueryRowContext(context.Background(), `SELECT count(*) FROM pg_tables WHERE schemaname = $1`, schemaOf(t, ordinary)).Scan(&tables); err != nil || tables != 0 {
		t.Fatalf("a refused serve left %d tables (%v)", tables, err)
	}

	// Told explicitly, it starts, and warns.
	srv, out := startServe(t, "--data", t.TempDir(), "--db", as(admin.User), "--http", "--allow-rls-bypass")
	if code, _ := getJSON(t, http.DefaultClient, srv+"healthz"); code != 200 {
		t.Fatalf("healthz = %d", code)
	}
	if !strings.Contains(out.String(), "WARNING") || !strings.Contains(out.String(), "allow-rls-bypass is set") {
		t.Fatalf("no warning when started under allow-rls-bypass:\n%s", out.String())
	}
}

func schemaOf(t *testing.T, dbURL string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("search_path")
}
