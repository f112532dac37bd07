package access_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"bango/internal/access"
	"bango/internal/store"
	"bango/internal/testutil"
)

// Issue 21 (R-PUB-2): a system whose pubmed-clerk pattern was seeded before
// it held mynumber.enter gets the right from migration 0053, unless
// administrators have edited the pattern since it was seeded.
func TestPubmedClerkUpgradedToEnterNumbers(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		holds := func() bool {
			t.Helper()
			p, err := f.Access.Pattern(ctx, "pubmed-clerk")
			if err != nil {
				t.Fatal(err)
			}
			return slices.Contains(p.Permissions, access.MyNumberEnter)
		}
		// As a system seeded before the right was in the default pattern.
		rerun := func(q string, args ...any) {
			t.Helper()
			err := db.Transact(testutil.AllTenants(), func(tx *store.Tx) error {
				if _, err := tx.Exec(ctx, `DELETE FROM access_pattern_permissions WHERE permission = 'mynumber.enter'
					AND pattern_id = (SELECT id FROM access_patterns WHERE code = 'pubmed-clerk')`); err != nil {
					return err
				}
				if q != "" {
					if _, err := tx.Exec(ctx, q, args...); err != nil {
						return err
					}
				}
				_, err := tx.Exec(ctx, `DELETE FROM schema_migrations WHERE name = 'pubmed_clerk_enters_numbers'`)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if holds() {
				t.Fatal("the right is still there before the migration")
			}
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
		}
		rerun("")
		if !holds() {
			t.Fatal("migration 0053 did not give the seeded pubmed-clerk pattern mynumber.enter")
		}
		rerun(`UPDATE access_patterns SET updated_at = $1 WHERE code = 'pubmed-clerk'`, time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC))
		if holds() {
			t.Fatal("migration 0053 changed a pattern administrators had edited")
		}
	})
}
