package store_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"bango/internal/store"
	"bango/internal/testutil"
)

// tenantColumns are the names a municipality column goes by: tenant_code,
// and seal_scope, the vault scope of sealed values (a municipality, or ""
// for the system's). A column that references tenants counts too.
var tenantColumns = []string{"tenant_code", "seal_scope"}

// rlsExempt are the tables with a municipality column that have no
// row-level security policy, each with why (as in
// 0016_row_security_audit.postgres.sql). Adding a table here needs the
// same care as a policy: say why no municipality's staff could read or
// write another's rows through it.
var rlsExempt = map[string]string{
	// Accounts are the system's: found by login ID before any municipality
	// is known; tenant_code is a home municipality (none for union and IS
	// staff), not an owner; administered by the IS department for all.
	"staff_users": "accounts are read by login ID at login, before any municipality is known; tenant_code is a home, not an owner",
	// The passkeys of staff accounts; seal_scope is always the system's ''.
	"staff_webauthn_credentials": "staff passkeys, sealed under the system's keys (seal_scope is always ''), read at login",
	// A session is found by its token's hash on every request; its
	// tenant_code is the municipality it works in now, checked against
	// live grants each time.
	"staff_sessions": "found by token hash before any municipality is known; tenant_code is the current choice, checked against grants",
	// Checked on every request before login, by address and certificate;
	// registered by the IS department only. No personal data.
	"terminals": "checked on every request before login; IS department only; no personal data",
	// The rights model: every request reads the user's grants in every
	// municipality; section heads manage their members' grants wherever
	// they hold; approval is system-wide. No resident data.
	"access_grants": "a user's rights are read across all municipalities on every request; approval is system-wide",
	// Wrapped by the master key outside the database and bound to their
	// municipality by the wrap's associated data; the vault alone reads
	// them and binds every sealed value to its municipality.
	"vault_data_keys": "ciphertext under the master key held outside the database; values are bound to their municipality",
}

// R-AC-6: row-level security is complete by construction. Every table
// with a municipality column forces a policy on bango.scope, or is on
// the commented exemption list above; an exemption for a table that is
// gone, protected or has no municipality column fails too.
func TestRowSecurityCoversEveryTenantTable(t *testing.T) {
	ctx := context.Background()
	db := testutil.NewDB(t, store.Postgres)
	type table struct {
		rls, forced bool
		policies    int    // policies that read bango.scope and cover reads
		all         string // every policy, for the message
	}
	tables := map[string]table{}
	err := func() error {
		rows, err := db.Query(ctx, `SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
			(SELECT count(*) FROM pg_policies p WHERE p.schemaname = n.nspname AND p.tablename = c.relname
				AND p.cmd IN ('ALL', 'SELECT') AND p.qual LIKE '%bango_scope%'),
			COALESCE((SELECT string_agg(p.policyname || ' ' || p.cmd || ' ' || COALESCE(p.qual, ''), '; ') FROM pg_policies p
				WHERE p.schemaname = n.nspname AND p.tablename = c.relname), '')
			FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
			AND (EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attname = ANY ($1))
				OR EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'f' AND k.confrelid = to_regclass('tenants')))`,
			tenantColumns)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var name string
			var tb table
			if err := rows.Scan(&name, &tb.rls, &tb.forced, &tb.policies, &tb.all); err != nil {
				return err
			}
			tables[name] = tb
		}
		return rows.Err()
	}()
	if err != nil {
		t.Fatal(err)
	}
	// The tables this release knows to be tenant-owned must be found, or
	// the query above has gone blind.
	for _, name := range []string{"residents", "audit_events", "staff_users", "alerts", "nhi_insured", "nhi_eligibility_events", "nhi_households"} {
		if _, ok := tables[name]; !ok {
			t.Fatalf("%s not listed as a table with a municipality column: the catalogue query is wrong (found %v)", name, tables)
		}
	}
	var protected []string
	for name, tb := range tables {
		reason, exempt := rlsExempt[name]
		secured := tb.rls && tb.forced && tb.policies > 0
		switch {
		case secured && exempt:
			t.Errorf("%s is on the exemption list (%q) but has a forced policy: remove the exemption", name, reason)
		case secured:
			protected = append(protected, name)
		case !exempt:
			t.Errorf("%s has a municipality column but no forced row-level security policy on bango.scope (rls=%v forced=%v policies: %q): add one in a migration, or an exemption with its reason to rlsExempt and the migration's comment",
				name, tb.rls, tb.forced, tb.all)
		case strings.TrimSpace(reason) == "":
			t.Errorf("%s is exempted without a reason", name)
		}
	}
	for name := range rlsExempt {
		if _, ok := tables[name]; !ok {
			t.Errorf("exemption for %s, which no longer exists or has no municipality column: remove it", name)
		}
	}
	slices.Sort(protected)
	t.Logf("protected by row-level security: %s", strings.Join(protected, ", "))
}

// R-AC-6: the tables protected in 0016 answer each scope as the others
// do: a municipality sees its own rows, "" the rows of none, a list the
// union, AllTenants every row, no scope nothing; a scoped transaction
// cannot write another municipality's row, except an audit event, which
// any transaction may append.
func TestRowSecurityScopes(t *testing.T) {
	ctx := context.Background()
	db := testutil.NewDB(t, store.Postgres)
	inserts := map[string]string{
		"audit_events": `INSERT INTO audit_events (time, tenant_code, actor_user, action, outcome) VALUES (now(), $1, 'someone', 'probe', 'ok')`,
		"audit_search": `INSERT INTO audit_search (event_id, seq, time, tenant_code, actor_user, subject_type, subject_id)
			VALUES ((SELECT coalesce(max(event_id), 0) + 1 FROM audit_search), (SELECT coalesce(max(seq), 0) + 1 FROM audit_search), now(), $1, 'someone', '', '')`,
		"audit_reviews": `INSERT INTO audit_reviews (tenant_code, period_from, period_to, reveals, alerts, reviewer, signed_at)
			VALUES ($1, now() - interval '1 day', now(), 0, 0, 'someone', now())`,
		"alerts": `INSERT INTO alerts (tenant_code, rule, raised_at, status) VALUES ($1, 'probe', now(), 'open')`,
	}
	insert := func(scope context.Context, table, tenant string) error {
		return db.Transact(scope, func(tx *store.Tx) error {
			_, err := tx.Exec(scope, inserts[table], tenant)
			return err
		})
	}
	all := store.WithScope(ctx, store.AllTenants)
	for table := range inserts {
		for _, tenant := range []string{"", "131041", "011002"} {
			if err := insert(all, table, tenant); err != nil {
				t.Fatalf("%s: insert a row of %q with scope *: %v", table, tenant, err)
			}
		}
	}
	for table := range inserts {
		for _, tc := range []struct {
			name  string
			scope context.Context
			want  string // the tenants seen, sorted, "-" for none
		}{
			{"no scope", ctx, ""},
			{"empty list", store.WithScope(ctx), ""},
			{"one municipality", store.WithScope(ctx, "131041"), "131041"},
			{"rows of none", store.WithScope(ctx, ""), "-"},
			{"rows of none and one municipality", store.WithScope(ctx, "", "011002"), "-,011002"},
			{"two municipalities", store.WithScope(ctx, "131041", "011002"), "011002,131041"},
			{"every municipality", all, "-,011002,131041"},
		} {
			var seen string
			err := db.ReadRow(tc.scope, `SELECT coalesce(string_agg(DISTINCT CASE tenant_code WHEN '' THEN '-' ELSE tenant_code END, ',' ORDER BY CASE tenant_code WHEN '' THEN '-' ELSE tenant_code END), '') FROM `+table).Scan(&seen)
			if err != nil || seen != tc.want {
				t.Errorf("%s, %s: sees %q (%v), want %q", table, tc.name, seen, err, tc.want)
			}
		}
		err := insert(store.WithScope(ctx, "011002"), table, "131041")
		switch refused := err != nil && strings.Contains(err.Error(), "row-level security"); {
		case table == "audit_events" && err != nil:
			t.Errorf("audit_events: a transaction scoped to 011002 could not record an event of 131041: %v", err)
		case table != "audit_events" && !refused:
			t.Errorf("%s: a transaction scoped to 011002 wrote a row of 131041: %v", table, err)
		}
	}
}
