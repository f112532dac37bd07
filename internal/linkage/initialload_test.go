package linkage_test

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"bango/internal/errs"
	"bango/internal/linkage"
	"bango/internal/resident"
	"bango/internal/store"
	"bango/internal/testutil"
	"bango/internal/wareki"
)

// initialFile writes a resident-initial-load file of tenant with n
// residents from code first on.
func initialFile(t testing.TB, tenant string, first, n int) []byte {
	t.Helper()
	l, err := linkage.Lookup("resident-initial-load", 1)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	w, err := linkage.NewWriter(&out, l, linkage.Values{"municipality": tenant, "created": wareki.Civil(2026, 12, 1), "as_of": wareki.Civil(2026, 11, 30)})
	if err != nil {
		t.Fatal(err)
	}
	kana := []string{"ﾀｶﾊｼ ｲﾁﾛｳ", "ﾔﾏｻﾞｷ ﾊﾅｺ", "ｻﾄｳ ｼﾞﾛｳ"}
	for i := range n {
		if err := w.Write("2", linkage.Values{"resident_code": first + i, "household_no": 1 + i/3, "name": "髙橋　一郎", "name_kana": kana[i%3],
			"birth": wareki.Civil(1940+i%60, time.Month(1+i%12), 1+i%28), "sex": "1", "relation": "01", "postal": "1600023",
			"address": "東京都新宿区西新宿二丁目８番１号"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Close(nil); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// R-LNK-1: a new municipality's register is loaded whole from its
// resident-records system's full file in one transaction, with progress
// by pass; a file naming a resident already registered, or a code twice,
// is rejected whole naming the lines, and nothing is created.
func TestInitialLoad(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		if _, err := f.linkage.AddPartner(testutil.As("is-admin"), linkage.Partner{Tenant: shinjuku, ID: partner, Direction: linkage.Inbound,
			Layouts: []string{"resident-initial-load"}}); err != nil {
			t.Fatal(err)
		}
		const n = 2_000
		file := initialFile(t, shinjuku, 10_001, n)
		passes := map[string]int64{}
		req := func(b []byte) linkage.ImportRequest {
			return linkage.ImportRequest{Tenant: shinjuku, Partner: partner, Layout: "resident-initial-load", FileName: "ZENKEN.DAT",
				Open:     func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil },
				Progress: func(pass string, done int64) { passes[pass] = done }}
		}
		ctx := testutil.As("cli:operator")
		job, _, err := f.linkage.Import(ctx, req(file))
		if err != nil || job.Applied != n {
			t.Fatalf("initial load: %+v %v", job, err)
		}
		if passes["check"] != int64(len(file)) || passes["apply"] != int64(len(file)) {
			t.Errorf("progress %v, want both passes at %d bytes", passes, len(file))
		}
		r, err := f.residents.Get(testutil.As("clerk"), shinjuku, "10002")
		if err != nil || r.NameKana != "ヤマザキ　ハナコ" || r.Address != "東京都新宿区西新宿二丁目８番１号" {
			t.Fatalf("resident 10002: %+v %v", r, err)
		}
		if got := count(t, db, "residents"); got != n {
			t.Fatalf("%d residents, want %d", got, n)
		}
		// Queued for the search index with the load, and found once indexed.
		if _, err := resident.IndexForSearch(testutil.As("system"), db); err != nil {
			t.Fatal(err)
		}
		found, err := f.residents.Find(testutil.As("clerk"), shinjuku, "ヤマザキ　ハナコ")
		if err != nil || len(found.Residents) == 0 {
			t.Fatalf("the loaded residents are not found by name: %+v %v", found, err)
		}
		for _, r := range found.Residents {
			if r.NameKana != "ヤマザキ　ハナコ" {
				t.Fatalf("search for ヤマザキ　ハナコ found %+v", r)
			}
		}
		// Overlapping the register, and a code twice in the file.
		overlap := initialFile(t, shinjuku, 11_990, 20) // 11990–12000 exist
		_, rep, err := f.linkage.Import(ctx, req(overlap))
		var fe *errs.FieldErrors
		if !errors.As(err, &fe) || rep == nil || len(rep.Problems) != 11 || rep.Problems[0].Line != 2 || rep.Problems[0].Field != "resident_code" {
			t.Fatalf("overlap: %v %+v", err, rep)
		}
		twice := initialFile(t, sapporo, 1, 3)
		twice = bytes.Replace(twice, []byte("000000000000002"), []byte("000000000000001"), 1)
		if _, err := f.linkage.AddPartner(testutil.As("is-admin"), linkage.Partner{Tenant: sapporo, ID: partner, Direction: linkage.Inbound,
			Layouts: []string{"resident-initial-load"}}); err != nil {
			t.Fatal(err)
		}
		r2 := req(twice)
		r2.Tenant = sapporo
		_, rep, err = f.linkage.Import(ctx, r2)
		if err == nil || rep == nil || len(rep.Problems) != 1 || rep.Problems[0].Line != 3 {
			t.Fatalf("a code twice: %v %+v", err, rep)
		}
		if got := count(t, db, "residents"); got != n {
			t.Fatalf("%d residents after the rejected files, want %d", got, n)
		}
	})
}
