package review_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"bango/internal/access"
	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/identity"
	"bango/internal/mynumber"
	"bango/internal/resident"
	"bango/internal/review"
	"bango/internal/store"
	"bango/internal/tenant"
	"bango/internal/testutil"
	"bango/internal/vault"
)

type fixture struct {
	db        *store.DB
	users     *identity.Service
	residents *resident.Service
	review    *review.Service
}

func ctxAs(login string) context.Context {
	return audit.WithActor(context.Background(), audit.Actor{User: login, Address: "10.0.0.1"})
}

// number makes a valid My Number from 11 digits.
func number(first11 string) string { return first11 + string(mynumber.CheckDigit(first11)) }

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
	f := &fixture{db: db}
	f.users = identity.NewService(db, v, identity.NewHasher(identity.Params{Time: 1, MemoryKiB: 1024, Threads: 1}, 2), identity.DefaultPolicy, quiet)
	acc := access.NewService(db)
	if _, err := acc.SeedDefaults(ctxAs("setup")); err != nil {
		t.Fatal(err)
	}
	f.residents = resident.NewService(db, v, quiet)
	f.review = review.NewService(db, v, acc)
	f.review.Register(resident.KindMyNumber, f.residents.ApplyMyNumber)
	for _, u := range []struct{ login, tenant, section, pattern string }{
		{"maker", "131041", "医療保険年金課", "nhi-clerk"},
		{"checker", "131041", "医療保険年金課", "nhi-checker"},
		{"maker-checker", "131041", "医療保険年金課", "nhi-checker"},
		{"sapporo", "011002", "保険年金課", "nhi-checker"},
	} {
		if _, _, err := f.users.Create(ctxAs("setup"), identity.NewUser{LoginID: u.login, Name: "試験　" + u.login, Tenant: u.tenant, Department: "健康部", Section: u.section}); err != nil {
			t.Fatal(err)
		}
		if err := acc.Direct(ctxAs("setup"), f.user(t, u.login), u.pattern, u.tenant, "test"); err != nil {
			t.Fatal(err)
		}
	}
	// maker-checker also makes entries, to show nobody confirms their own.
	if err := acc.Direct(ctxAs("setup"), f.user(t, "maker-checker"), "nhi-clerk", "131041", "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.residents.Create(ctxAs("maker"), "131041", resident.Input{Code: "100001", NameKanji: "山田　太郎", NameKana: "ヤマダ　タロウ",
		Address: "東京都新宿区西新宿二丁目8番1号", BirthDate: "1980-04-01", Sex: "1"}); err != nil {
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

func (f *fixture) submit(t *testing.T, maker, digits string) review.Change {
	t.Helper()
	n, err := mynumber.Parse(digits)
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.residents.ProposeMyNumber(ctxAs(maker), "131041", "100001", n)
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.review.Submit(ctxAs(maker), f.user(t, maker), "131041", p)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *fixture) reentry(t *testing.T, digits string) map[string][]byte {
	t.Helper()
	n, err := mynumber.Parse(digits)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := f.residents.MyNumberIndex(context.Background(), "131041", n)
	if err != nil {
		t.Fatal(err)
	}
	return map[string][]byte{"mynumber": idx}
}

func (f *fixture) events(t *testing.T, action string) []string {
	t.Helper()
	var out []string
	for _, e := range testutil.Events(t, f.db, action) {
		out = append(out, e.Outcome+" "+e.Detail)
	}
	return out
}

// R-ACC-1, R-AC-4: a My Number entered by a maker waits; the maker cannot
// confirm it; another municipality's checker cannot even see it; the
// checker keys it again blind and only the same number is applied.
func TestMyNumberDoubleEntry(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		good := number("12345678901")
		c := f.submit(t, "maker-checker", good)
		if c.Status != review.Pending || len(c.BlindFields) != 1 || c.BlindFields[0] != "mynumber" || strings.Contains(c.Summary, good) {
			t.Fatalf("submitted: %+v", c)
		}
		if r, _ := f.residents.Get(ctxAs("maker-checker"), "131041", "100001"); r.HasMyNumber {
			t.Fatal("the number was applied before confirmation")
		}
		// The maker, though a checker too, cannot confirm their own entry.
		if _, err := f.review.Confirm(ctxAs("maker-checker"), f.user(t, "maker-checker"), "131041", c.ID, f.reentry(t, good)); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("maker confirmed own change: %v", err)
		}
		// Another municipality's checker: not found in theirs, forbidden in ours.
		if _, err := f.review.Confirm(ctxAs("sapporo"), f.user(t, "sapporo"), "011002", c.ID, f.reentry(t, good)); !errs.Is(err, errs.NotFound) {
			t.Fatalf("cross-municipality confirm: %v", err)
		}
		if _, err := f.review.Confirm(ctxAs("sapporo"), f.user(t, "sapporo"), "131041", c.ID, f.reentry(t, good)); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("confirm without review.confirm there: %v", err)
		}
		// A one-digit typo fails the check digit before any comparison (R-ACC-2);
		// another valid number is a double-entry mismatch, naming the field only.
		typo := good[:4] + string('0'+(good[4]-'0'+1)%10) + good[5:]
		if _, err := mynumber.Parse(typo); err == nil {
			t.Fatal("a one-digit typo passed the check digit")
		}
		other := number("12345678911")
		_, err := f.review.Confirm(ctxAs("checker"), f.user(t, "checker"), "131041", c.ID, f.reentry(t, other))
		if fs := errs.Fields(err); len(fs) != 1 || fs[0].Field != "mynumber" || strings.Contains(err.Error(), other) || strings.Contains(err.Error(), good) {
			t.Fatalf("mismatch: %v", err)
		}
		got, err := f.review.Confirm(ctxAs("checker"), f.user(t, "checker"), "131041", c.ID, f.reentry(t, good))
		if err != nil || got.Status != review.Confirmed || got.Checker != "checker" {
			t.Fatalf("confirm: %+v, %v", got, err)
		}
		r, _ := f.residents.FindByMyNumber(ctxAs("checker"), "131041", mustParse(t, good))
		if r.Code != "100001" {
			t.Fatalf("the confirmed number is not the resident's: %+v", r)
		}
		ev := f.events(t, "review.confirm")
		if len(ev) != 5 || !strings.Contains(ev[3], "double_entry_mismatch fields=mynumber mismatches=1") || !strings.HasPrefix(ev[4], "ok") {
			t.Fatalf("events = %q", ev)
		}
		for _, e := range ev {
			if strings.Contains(e, good) || strings.Contains(e, other) {
				t.Fatal("an audit event holds a My Number")
			}
		}
		if reg := f.events(t, "mynumber.register"); len(reg) != 1 || reg[0] != "ok via=review" {
			t.Fatalf("register events = %q", reg)
		}
	})
}

// R-ACC-1: three mismatches reject the change; a rejection needs a reason;
// the queue is per section.
func TestMismatchLimitAndQueue(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		c := f.submit(t, "maker", number("12345678901"))
		if q, _ := f.review.Queue(context.Background(), "131041", "健康部", "医療保険年金課"); len(q) != 1 || q[0].ID != c.ID {
			t.Fatalf("queue = %+v", q)
		}
		if q, _ := f.review.Queue(context.Background(), "131041", "健康部", "保険年金課"); len(q) != 0 {
			t.Fatalf("another section's queue holds %d", len(q))
		}
		if _, err := f.review.Submit(ctxAs("maker"), f.user(t, "maker"), "131041", mustProposal(t, f, "12345678902")); !errs.Is(err, errs.Conflict) {
			t.Fatalf("second proposal for the same resident: %v", err)
		}
		wrong := f.reentry(t, number("99999999999"))
		for i := 1; i <= review.MaxMismatches; i++ {
			_, err := f.review.Confirm(ctxAs("checker"), f.user(t, "checker"), "131041", c.ID, wrong)
			if errs.Fields(err) == nil {
				t.Fatalf("mismatch %d: %v", i, err)
			}
		}
		got, _ := f.review.Get(context.Background(), "131041", c.ID)
		if got.Status != review.Rejected || got.Mismatches != review.MaxMismatches {
			t.Fatalf("after %d mismatches: %+v", review.MaxMismatches, got)
		}
		c2 := f.submit(t, "maker", number("12345678901"))
		if _, err := f.review.Reject(ctxAs("checker"), f.user(t, "checker"), "131041", c2.ID, ""); errs.Fields(err) == nil {
			t.Fatalf("reject without reason: %v", err)
		}
		if got, err := f.review.Reject(ctxAs("checker"), f.user(t, "checker"), "131041", c2.ID, "証拠書類の番号と異なる"); err != nil || got.Status != review.Rejected {
			t.Fatalf("reject: %+v %v", got, err)
		}
		if r, _ := f.residents.Get(ctxAs("checker"), "131041", "100001"); r.HasMyNumber {
			t.Fatal("a rejected change was applied")
		}
	})
}

func mustParse(t *testing.T, s string) mynumber.Number {
	t.Helper()
	n, err := mynumber.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func mustProposal(t *testing.T, f *fixture, first11 string) review.Proposal {
	t.Helper()
	p, err := f.residents.ProposeMyNumber(ctxAs("maker"), "131041", "100001", mustParse(t, number(first11)))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// R-AC-4: typing a number someone else holds does not tell the typist who;
// the auditor sees it.
func TestTakenNumberIsNotALookup(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		if _, err := f.residents.Create(ctxAs("maker"), "131041", resident.Input{Code: "100002", NameKanji: "山田　花子", NameKana: "ヤマダ　ハナコ",
			Address: "東京都新宿区西新宿二丁目8番1号", BirthDate: "1982-05-02", Sex: "2", MyNumber: number("12345678901")}); err != nil {
			t.Fatal(err)
		}
		_, err := f.residents.ProposeMyNumber(ctxAs("maker"), "131041", "100001", mustParse(t, number("12345678901")))
		if !errs.Is(err, errs.Conflict) || strings.Contains(err.Error(), "100002") {
			t.Fatalf("taken number: %v", err)
		}
		if ev := f.events(t, "mynumber.register"); len(ev) != 1 || ev[0] != "denied reason=number_held_by_another holder=100002" {
			t.Fatalf("events = %q", ev)
		}
	})
}
