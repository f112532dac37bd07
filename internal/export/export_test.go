package export_test

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"bango/internal/errs"
	"bango/internal/export"
	"bango/internal/resident"
	"bango/internal/store"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
)

type fixture struct {
	*testkit.Kit
	exports *export.Service
	now     time.Time
}

func setup(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	f := &fixture{Kit: testkit.New(t, db), now: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	f.Municipality(t, testkit.Shinjuku, "新宿区")
	f.Municipality(t, testkit.Sapporo, "札幌市")
	residents := resident.NewService(db, f.Vault, testkit.Quiet)
	f.exports = export.NewService(db, f.Access)
	f.exports.SetClock(func() time.Time { return f.now })
	f.exports.Register(export.Kind{Name: "residents", JA: "宛名一覧", EN: "Residents", Write: residents.ExportCSV})
	for _, s := range []testkit.Staff{
		// head may reveal, so may export numbers.
		{Login: "head", Tenant: "131041", Patterns: []string{"section-head", "number-viewer"}},
		{Login: "head2", Tenant: "131041", Patterns: []string{"section-head"}},
		{Login: "privacy", Patterns: []string{"privacy-manager"}, GrantIn: "131041"},
		{Login: "privacy-sapporo", Patterns: []string{"privacy-manager"}, GrantIn: "011002"},
		{Login: "clerk", Tenant: "131041", Patterns: []string{"nhi-clerk"}},
	} {
		f.Staff(t, s)
	}
	if _, err := residents.Import(testutil.As("setup"), "131041", func(yield func(resident.Record) bool) {
		yield(resident.Record{Line: 1, Input: testkit.Person("100001", "123456789018")})
		yield(resident.Record{Line: 2, Input: resident.Input{Code: "100002", NameKanji: "山田　花子", NameKana: "ヤマダ　ハナコ", Address: "東京都新宿区西新宿二丁目8番1号",
			BirthDate: "1982-05-02", Sex: "2"}})
	}); err != nil {
		t.Fatal(err)
	}
	return f
}

// withoutRequestID is an exported file with the request ID that begins
// each row replaced by "ID", for the golden file; it fails t unless every
// row carries id.
func withoutRequestID(t *testing.T, file []byte, id int64) []byte {
	t.Helper()
	lines := strings.SplitAfter(string(file), "\n")
	for i, l := range lines[1:] {
		if l == "" {
			continue
		}
		rest, ok := strings.CutPrefix(l, itoa(id)+",")
		if !ok {
			t.Fatalf("row %d does not carry the request ID %d: %q", i+1, id, l)
		}
		lines[i+1] = "ID," + rest
	}
	return []byte(strings.Join(lines, ""))
}

// R-AC-5: request, approval by a privacy manager of the municipality (not
// the requester, not another municipality's), one download within 24
// hours by the requester, every row with the request ID, My Numbers only
// when asked for and approved.
func TestExportApproval(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := testutil.As("head")
		if _, err := f.exports.Ask(testutil.As("clerk"), f.User(t, "clerk"), "131041", "residents", "csv", "照合", false); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("request without export.request: %v", err)
		}
		if _, err := f.exports.Ask(testutil.As("head2"), f.User(t, "head2"), "131041", "residents", "csv", "照合", true); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("My Numbers requested without mynumber.reveal: %v", err)
		}
		if _, err := f.exports.Ask(ctx, f.User(t, "head"), "131041", "residents", "xlsx", "", false); errs.Fields(err) == nil {
			t.Fatalf("bad request: %v", err)
		}
		r, err := f.exports.Ask(ctx, f.User(t, "head"), "131041", "residents", "csv", "国保資格の突合（県連合会照会）", true)
		if err != nil || r.Status != export.Pending || !r.IncludeMyNumber {
			t.Fatalf("ask: %+v %v", r, err)
		}
		var buf bytes.Buffer
		if _, err := f.exports.Download(ctx, f.User(t, "head"), "131041", r.ID, true, &buf); !errs.Is(err, errs.Forbidden) || buf.Len() != 0 {
			t.Fatalf("download before approval: %v", err)
		}
		if _, err := f.exports.Approve(testutil.As("privacy-sapporo"), f.User(t, "privacy-sapporo"), "011002", r.ID, ""); !errs.Is(err, errs.NotFound) {
			t.Fatalf("another municipality's privacy manager: %v", err)
		}
		if _, err := f.exports.Approve(testutil.As("privacy-sapporo"), f.User(t, "privacy-sapporo"), "131041", r.ID, ""); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("approval without export.approve there: %v", err)
		}
		if r, err = f.exports.Approve(testutil.As("privacy"), f.User(t, "privacy"), "131041", r.ID, "番号を含むことを確認"); err != nil || r.Status != export.Approved {
			t.Fatalf("approve: %+v %v", r, err)
		}
		// Issue 17: the requester's home page counts the file ready for them.
		if n, err := f.exports.CountReady(ctx, "131041", f.User(t, "head").ID); err != nil || n != 1 {
			t.Fatalf("files ready for the requester: %d, %v", n, err)
		}
		if n, err := f.exports.CountReady(ctx, "131041", f.User(t, "privacy").ID); err != nil || n != 0 {
			t.Fatalf("files ready for someone else: %d, %v", n, err)
		}
		if _, err := f.exports.Download(testutil.As("privacy"), f.User(t, "privacy"), "131041", r.ID, true, &buf); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("download by someone else: %v", err)
		}
		if _, err := f.exports.Download(ctx, f.User(t, "head"), "131041", r.ID, false, &buf); !errs.Is(err, errs.Forbidden) || buf.Len() != 0 {
			t.Fatalf("My Numbers without a recent second factor: %v", err)
		}
		got, err := f.exports.Download(ctx, f.User(t, "head"), "131041", r.ID, true, &buf)
		if err != nil || got.Rows != 2 {
			t.Fatalf("download: %+v %v", got, err)
		}
		testutil.Golden(t, "residents-mynumber.csv", withoutRequestID(t, buf.Bytes(), r.ID))
		if _, err := f.exports.Download(ctx, f.User(t, "head"), "131041", r.ID, true, io.Discard); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("second download: %v", err)
		}

		// Without My Numbers, and expiry after 24 hours.
		r2, _ := f.exports.Ask(ctx, f.User(t, "head"), "131041", "residents", "csv", "世帯確認", false)
		f.exports.Approve(testutil.As("privacy"), f.User(t, "privacy"), "131041", r2.ID, "")
		f.now = f.now.Add(export.ValidFor)
		if n, err := f.exports.CountReady(ctx, "131041", f.User(t, "head").ID); err != nil || n != 0 {
			t.Fatalf("expired files counted as ready: %d, %v", n, err)
		}
		if _, err := f.exports.Download(ctx, f.User(t, "head"), "131041", r2.ID, false, io.Discard); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("download after 24 hours: %v", err)
		}
		r3, _ := f.exports.Ask(ctx, f.User(t, "head"), "131041", "residents", "csv", "世帯確認", false)
		f.exports.Approve(testutil.As("privacy"), f.User(t, "privacy"), "131041", r3.ID, "")
		buf.Reset()
		if _, err := f.exports.Download(ctx, f.User(t, "head"), "131041", r3.ID, false, &buf); err != nil {
			t.Fatal(err)
		}
		testutil.Golden(t, "residents.csv", withoutRequestID(t, buf.Bytes(), r3.ID))
		if denied := testutil.CountEvents(t, db, `action LIKE 'export.%' AND outcome = 'denied'`); denied != 10 {
			t.Fatalf("denied export events = %d, want 10", denied)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
