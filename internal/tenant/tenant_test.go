package tenant_test

import (
	"context"
	"testing"
	"time"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/store"
	"bango/internal/tenant"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
)

func TestCheckCode(t *testing.T) {
	// Real codes: 新宿区, 札幌市, 大阪市, 千葉市, 北海道.
	for _, good := range []string{"131041", "011002", "271004", "121002", "010006"} {
		if r := tenant.CheckCode(good); r != nil {
			t.Errorf("CheckCode(%s) = %v, want valid", good, r.EN)
		}
	}
	for _, bad := range []string{"", "13104", "1310411", "13104a", "131042", "131040", "１３１０４１"} {
		if r := tenant.CheckCode(bad); r == nil || r.JA == "" || r.EN == "" {
			t.Errorf("CheckCode(%q) accepted or gave no bilingual reason", bad)
		}
	}
}

func TestCreateGetList(t *testing.T) {
	ctx := testCtx()
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		svc := tenant.NewService(db, testkit.Vault(t, db))
		before := time.Now().Add(-time.Second)
		if _, err := svc.Create(ctx, "131041", " 新宿区 "); err != nil {
			t.Fatal(err)
		}
		got, err := svc.Get(ctx, "131041")
		if err != nil || got.Name != "新宿区" || got.CreatedAt.Before(before) {
			t.Fatalf("Get = %+v, %v", got, err)
		}
		if _, err := svc.Create(ctx, "131041", "新宿区"); !errs.Is(err, errs.Conflict) {
			t.Fatalf("duplicate Create: %v", err)
		}
		// Bad input names every wrong field and writes nothing.
		_, err = svc.Create(ctx, "131042", "")
		fields := errs.Fields(err)
		if len(fields) != 2 || fields[0].Field != "code" || fields[1].Field != "name" {
			t.Fatalf("fields = %+v (%v)", fields, err)
		}
		if _, err := svc.Get(ctx, "999999"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("Get missing: %v", err)
		}
		if _, err := svc.Create(ctx, "011002", "札幌市"); err != nil {
			t.Fatal(err)
		}
		list, err := svc.List(ctx)
		if err != nil || len(list) != 2 || list[0].Code != "011002" {
			t.Fatalf("List = %+v, %v", list, err)
		}
	})
}

func testCtx() context.Context {
	return audit.WithActor(context.Background(), audit.Actor{User: "is-admin"})
}
