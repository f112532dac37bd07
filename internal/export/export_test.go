package export_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"bango/internal/access"
	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/export"
	"bango/internal/identity"
	"bango/internal/resident"
	"bango/internal/store"
	"bango/internal/tenant"
	"bango/internal/testutil"
	"bango/internal/vault"
)

type fixture struct {
	users   *identity.Service
	exports *export.Service
	db      *store.DB
	now     time.Time
}

func ctxAs(login string) context.Context {
	return audit.WithActor(context.Background(), audit.Actor{User: login})
}

func setup(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	mk, _, err := vault.LoadKeyFile(filepath.Join(t.TempDir(), "master.key"), true)
	if err != nil {
		t.Fatal(err)
	}
	v := vault.New(db, mk)
	for code, name := range map[string]string{"131041": "新宿区", "011002": "札幌市"} {
		if _, err := tenant.NewService(db, v).Create(ctxAs("setup"), code, name); err != nil {
			t.Fatal(err)
		}
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	f := &fixture{db: db, now: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	f.users = identity.NewService(db, v, identity.NewHasher(identity.Params{Time: 1, MemoryKiB: 1024, Threads: 1}, 2), identity.DefaultPolicy, quiet)
	acc := access.NewService(db)
	if _, err := acc.SeedDefaults(ctxAs("setup")); err != nil {
		t.Fatal(err)
	}
	residents := resident.NewService(db, v, quiet)
	f.exports = export.NewService(db, acc)
	f.exports.SetClock(func() time.Time { return f.now })
	f.exports.Register(export.Kind{Name: "residents", JA: "宛名一覧", EN: "Residents", Write: residents.ExportCSV})
	for _, u := range []struct{ login, tenant, pattern, grantTenant string }{
		{"head", "131041", "section-head", "131041"},
		{"head2", "131041", "section-head", "131041"},
		{"privacy", "", "privacy-manager", "131041"},
		{"privacy-sapporo", "", "privacy-manager", "011002"},
		{"clerk", "131041", "nhi-clerk", "131041"},
		{"head", "131041", "number-viewer", "131041"}, // may reveal, so may export numbers
	} {
		if _, err := f.users.Get(context.Background(), u.login); err != nil {
			if _, _, err := f.users.Create(ctxAs("setup"), identity.NewUser{LoginID: u.login, Name: "試験　" + u.login, Tenant: u.tenant}); err != nil {
				t.Fatal(err)
			}
		}
		if err := acc.Direct(ctxAs("setup"), f.user(t, u.login), u.pattern, u.grantTenant, "test"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := residents.Import(ctxAs("setup"), "131041", func(yield func(resident.Record) bool) {
		yield(resident.Record{Line: 1, Input: resident.Input{Code: "100001", NameKanji: "山田　太郎", NameKana: "ヤマダ　タロウ", Address: "東京都新宿区西新宿二丁目8番1号",
			BirthDate: "1980-04-01", Sex: "1", MyNumber: "123456789018"}})
		yield(resident.Record{Line: 2, Input: resident.Input{Code: "100002", NameKanji: "山田　花子", NameKana: "ヤマダ　ハナコ", Address: "東京都新宿区西新宿二丁目8番1号",
			BirthDate: "1982-05-02", Sex: "2"}})
	}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) user(t *testing.T, login string) identity.User {
	t.Helper()
	u, err := f.users.Get(context.Background(), login)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func readCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// R-AC-5: request, approval by a privacy manager of the municipality (not
// the requester, not another municipality's), one download within 24
// hours by the requester, every row with the request ID, My Numbers only
// when asked for and approved.
func TestExportApproval(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := ctxAs("head")
		if _, err := f.exports.Ask(ctxAs("clerk"), f.user(t, "clerk"), "131041", "residents", "csv", "照合", false); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("request without export.request: %v", err)
		}
		if _, err := f.exports.Ask(ctxAs("head2"), f.user(t, "head2"), "131041", "residents", "csv", "照合", true); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("My Numbers requested without mynumber.reveal: %v", err)
		}
		if _, err := f.exports.Ask(ctx, f.user(t, "head"), "131041", "residents", "xlsx", "", false); errs.Fields(err) == nil {
			t.Fatalf("bad request: %v", err)
		}
		r, err := f.exports.Ask(ctx, f.user(t, "head"), "131041", "residents", "csv", "国保資格の突合（県連合会照会）", true)
		if err != nil || r.Status != export.Pending || !r.IncludeMyNumber {
			t.Fatalf("ask: %+v %v", r, err)
		}
		var buf bytes.Buffer
		if _, err := f.exports.Download(ctx, f.user(t, "head"), "131041", r.ID, true, &buf); !errs.Is(err, errs.Forbidden) || buf.Len() != 0 {
			t.Fatalf("download before approval: %v", err)
		}
		if _, err := f.exports.Approve(ctxAs("privacy-sapporo"), f.user(t, "privacy-sapporo"), "011002", r.ID, ""); !errs.Is(err, errs.NotFound) {
			t.Fatalf("another municipality's privacy manager: %v", err)
		}
		if _, err := f.exports.Approve(ctxAs("privacy-sapporo"), f.user(t, "privacy-sapporo"), "131041", r.ID, ""); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("approval without export.approve there: %v", err)
		}
		if r, err = f.exports.Approve(ctxAs("privacy"), f.user(t, "privacy"), "131041", r.ID, "番号を含むことを確認"); err != nil || r.Status != export.Approved {
			t.Fatalf("approve: %+v %v", r, err)
		}
		if _, err := f.exports.Download(ctxAs("privacy"), f.user(t, "privacy"), "131041", r.ID, true, &buf); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("download by someone else: %v", err)
		}
		if _, err := f.exports.Download(ctx, f.user(t, "head"), "131041", r.ID, false, &buf); !errs.Is(err, errs.Forbidden) || buf.Len() != 0 {
			t.Fatalf("My Numbers without a recent second factor: %v", err)
		}
		got, err := f.exports.Download(ctx, f.user(t, "head"), "131041", r.ID, true, &buf)
		if err != nil || got.Rows != 2 {
			t.Fatalf("download: %+v %v", got, err)
		}
		recs := readCSV(t, buf.Bytes())
		if len(recs) != 3 || recs[0][len(recs[0])-1] != "mynumber" || recs[1][0] != itoa(r.ID) || recs[1][8] != "123456789018" || recs[2][8] != "" {
			t.Fatalf("file:\n%q", recs)
		}
		if _, err := f.exports.Download(ctx, f.user(t, "head"), "131041", r.ID, true, io.Discard); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("second download: %v", err)
		}

		// Without My Numbers, and expiry after 24 hours.
		r2, _ := f.exports.Ask(ctx, f.user(t, "head"), "131041", "residents", "csv", "世帯確認", false)
		f.exports.Approve(ctxAs("privacy"), f.user(t, "privacy"), "131041", r2.ID, "")
		f.now = f.now.Add(export.ValidFor)
		if _, err := f.exports.Download(ctx, f.user(t, "head"), "131041", r2.ID, false, io.Discard); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("download after 24 hours: %v", err)
		}
		r3, _ := f.exports.Ask(ctx, f.user(t, "head"), "131041", "residents", "csv", "世帯確認", false)
		f.exports.Approve(ctxAs("privacy"), f.user(t, "privacy"), "131041", r3.ID, "")
		buf.Reset()
		if _, err := f.exports.Download(ctx, f.user(t, "head"), "131041", r3.ID, false, &buf); err != nil {
			t.Fatal(err)
		}
		if recs := readCSV(t, buf.Bytes()); len(recs[0]) != 8 || strings.Contains(buf.String(), "123456789018") {
			t.Fatalf("an export without My Numbers holds them: %q", recs[0])
		}
		var denied int
		db.ReadRow(testutil.AllTenants(), `SELECT count(*) FROM audit_events WHERE action LIKE 'export.%' AND outcome = 'denied'`).Scan(&denied)
		if denied != 10 {
			t.Fatalf("denied export events = %d, want 10", denied)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
