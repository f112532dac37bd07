package resident_test

import (
	"context"
	"strings"
	"testing"

	"bango/internal/errs"
	"bango/internal/store"
	"bango/internal/testutil"
)

// R-AC-6, R-WAU-1: on PostgreSQL, row-level security is a second wall:
// SQL issued in a transaction scoped to one municipality sees no row of
// another, whatever its WHERE says, and cannot write one.
func TestRowLevelSecurity(t *testing.T) {
	db := testutil.NewDB(t, store.Postgres)
	f := setup(t, db)
	for i, tenant := range []string{shinjuku, sapporo} {
		if _, err := f.svc.Create(clerkCtx(), tenant, taro([]string{"100001", "200001"}[i], "")); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	// The tests connect as an ordinary role (testutil.TestRole), bound by
	// the policies like production; a superuser would bypass them.
	var super bool
	if err := db.QueryRow(ctx, `SELECT rolsuper FROM pg_roles WHERE rolname = current_user`).Scan(&super); err != nil || super {
		t.Fatalf("the test connection is a superuser (%v): it would bypass row-level security", err)
	}
	// probe counts the residents of 131041 that a transaction with scope
	// sees, asking for them by name.
	probe := func(scope *string) (int, error) {
		c := ctx
		if scope != nil {
			c = store.WithScope(ctx, *scope)
		}
		var n int
		err := db.Transact(c, func(tx *store.Tx) error {
			return tx.QueryRow(c, `SELECT count(*) FROM residents WHERE tenant_code = '131041'`).Scan(&n)
		})
		return n, err
	}
	str := func(s string) *string { return &s }
	for _, tc := range []struct {
		name  string
		scope *string
		want  int
	}{
		{"own municipality", str(shinjuku), 1},
		{"other municipality", str(sapporo), 0},
		{"both (a union user's explicit scope)", str(shinjuku + "," + sapporo), 1},
		{"empty scope", str(""), 0},
		{"no scope at all", nil, 0},
		{"the system's own scope", str(store.AllTenants), 1},
	} {
		n, err := probe(tc.scope)
		if err != nil || n != tc.want {
			t.Errorf("%s: sees %d rows of 131041 (%v), want %d", tc.name, n, err, tc.want)
		}
	}
	// Writing another municipality's row from a scoped transaction fails.
	c := store.WithScope(ctx, sapporo)
	err := db.Transact(c, func(tx *store.Tx) error {
		_, err := tx.Exec(c, `UPDATE residents SET alias = 'x' WHERE tenant_code = '131041'`)
		if err != nil {
			return err
		}
		var alias string
		if err := tx.QueryRow(c, `SELECT alias FROM residents WHERE code = '100001'`).Scan(&alias); err == nil {
			return errs.E(errs.Internal, "the scoped transaction read another municipality's row")
		}
		_, err = tx.Exec(c, `INSERT INTO residents (tenant_code, code, name_kanji, name_kana, alias, address, birth_date, sex, version, created_at, updated_at)
			VALUES ('131041', '100009', 'x', 'x', '', 'x', '1980-01-01', '1', 1, now(), now())`)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "row-level security") {
		t.Fatalf("a transaction scoped to 011002 inserting a row of 131041: %v", err)
	}
	var alias string
	all := store.WithScope(ctx, store.AllTenants)
	db.Read(all, func(q store.Querier) error {
		return q.QueryRow(all, `SELECT alias FROM residents WHERE code = '100001'`).Scan(&alias)
	})
	if alias == "x" {
		t.Fatal("a transaction scoped to 011002 changed a row of 131041")
	}
}
