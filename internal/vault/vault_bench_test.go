package vault_test

import (
	"testing"

	"bango/internal/mynumber"
	"bango/internal/store"
	"bango/internal/testutil"
	"bango/internal/vault"
)

func BenchmarkSealNumber(b *testing.B) {
	db := testutil.NewDB(b, store.SQLite)
	v, _ := newVault(b, db)
	n, _ := mynumber.Parse("123456789018")
	bind := vault.Binding{Tenant: "131041", Table: "residents", Column: "mynumber", Row: "0000100001"}
	ctx := testCtx()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.SealNumber(ctx, bind, n); err != nil {
			b.Fatal(err)
		}
	}
}
