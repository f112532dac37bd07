package resident_test

import (
	"bytes"
	"context"
	"fmt"
	"iter"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"bango/internal/audit"
	"bango/internal/demo"
	"bango/internal/errs"
	"bango/internal/mynumber"
	"bango/internal/resident"
	"bango/internal/store"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
	"bango/internal/vault"
)

const (
	shinjuku = "131041"
	sapporo  = "011002"
	number1  = "123456789018"
	number2  = "983205673214"
)

type fixture struct {
	db  *store.DB
	svc *resident.Service
	log *bytes.Buffer
}

func setup(t *testing.T, db *store.DB) fixture {
	t.Helper()
	v := testkit.Vault(t, db)
	testkit.Municipality(t, db, v, shinjuku, "新宿区")
	testkit.Municipality(t, db, v, sapporo, "札幌市")
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return fixture{db: db, svc: resident.NewService(db, v, log), log: &buf}
}

func clerkCtx() context.Context {
	return audit.WithActor(context.Background(), audit.Actor{User: "clerk01", Terminal: "T-01", Address: "10.0.0.8"})
}

func taro(code, number string) resident.Input {
	return resident.Input{Code: code, NameKanji: "山田 太郎", NameKana: "やまだ ﾀﾛｳ", Address: "東京都新宿区西新宿二丁目8番1号",
		BirthDate: "1980-04-01", Sex: "1", MyNumber: number}
}

func count(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	ctx := store.WithScope(context.Background(), store.AllTenants)
	if err := db.Read(ctx, func(q store.Querier) error {
		return q.QueryRow(ctx, `SELECT count(*) FROM residents`).Scan(&n)
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCreateAndGet(t *testing.T) {
	ctx := clerkCtx()
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		r, err := f.svc.Create(ctx, shinjuku, taro("0000000001", "1234 5678 9018"))
		if err != nil {
			t.Fatal(err)
		}
		got, err := f.svc.Get(ctx, shinjuku, "0000000001")
		if err != nil {
			t.Fatal(err)
		}
		want := time.Date(1980, 4, 1, 0, 0, 0, 0, time.UTC)
		if got.NameKanji != "山田　太郎" || got.NameKana != "ヤマダ　タロウ" || !got.BirthDate.Equal(want) || !got.HasMyNumber || got.Version != 1 {
			t.Fatalf("Get = %+v", got)
		}
		if r.Code != got.Code || !r.HasMyNumber {
			t.Fatalf("Create returned %+v", r)
		}
		// The stored row holds no digits anywhere.
		var sealed, bidx []byte
		all := store.WithScope(ctx, store.AllTenants)
		db.Read(all, func(q store.Querier) error {
			return q.QueryRow(all, `SELECT mynumber_sealed, mynumber_bidx FROM residents`).Scan(&sealed, &bidx)
		})
		if len(sealed) == 0 || len(bidx) != vault.IndexLen || bytes.Contains(sealed, []byte(number1)) {
			t.Fatalf("number not sealed: %x", sealed)
		}
		// Another municipality does not see the resident.
		if _, err := f.svc.Get(ctx, sapporo, "0000000001"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("cross-municipality Get: %v", err)
		}
		// An unknown municipality is refused, with or without a number.
		for _, num := range []string{"", number2} {
			if _, err := f.svc.Create(ctx, "271004", taro("0000000003", num)); !errs.Is(err, errs.NotFound) {
				t.Fatalf("unknown municipality (number %q): %v", num, err)
			}
			if _, err := f.svc.Import(ctx, "271004", records([]resident.Input{taro("0000000003", num)})); !errs.Is(err, errs.NotFound) {
				t.Fatalf("import into unknown municipality (number %q): %v", num, err)
			}
		}
		// A resident without a number.
		r2, err := f.svc.Create(ctx, shinjuku, taro("0000000002", ""))
		if err != nil || r2.HasMyNumber {
			t.Fatalf("no number: %+v, %v", r2, err)
		}
	})
}

// R-ACC-2 and the bad-input list: every wrong field is named with
// its reason, and nothing is written.
func TestCreateRejectsBadInput(t *testing.T) {
	ctx := clerkCtx()
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		tomorrow := time.Now().UTC().AddDate(0, 0, 2).Format("2006-01-02")
		tests := []struct {
			name   string
			edit   func(*resident.Input)
			fields []string
			reason string
		}{
			{"short number", func(in *resident.Input) { in.MyNumber = "12345678901" }, []string{"mynumber"}, "12 digits"},
			{"letters", func(in *resident.Input) { in.MyNumber = "12345678901X" }, []string{"mynumber"}, "not a digit"},
			{"check digit", func(in *resident.Input) { in.MyNumber = "123456789012" }, []string{"mynumber"}, "check digit"},
			{"missing basics", func(in *resident.Input) { in.NameKanji, in.Address, in.Sex = "", " ", "" }, []string{"name_kanji", "address", "sex"}, "required"},
			{"future birth", func(in *resident.Input) { in.BirthDate = tomorrow }, []string{"birth_date"}, "future"},
			{"bad date", func(in *resident.Input) { in.BirthDate = "1980-02-30" }, []string{"birth_date"}, "valid date"},
			{"bad sex", func(in *resident.Input) { in.Sex = "3" }, []string{"sex"}, "1 (male)"},
			{"bad code", func(in *resident.Input) { in.Code = "A-1" }, []string{"code"}, "digits"},
			{"kana", func(in *resident.Input) { in.NameKana = "Yamada" }, []string{"name_kana"}, "katakana"},
			{"too long", func(in *resident.Input) { in.Address = strings.Repeat("長", 201) }, []string{"address"}, "too long"},
		}
		for _, tt := range tests {
			in := taro("0000000009", number1)
			tt.edit(&in)
			_, err := f.svc.Create(ctx, shinjuku, in)
			if !errs.Is(err, errs.Invalid) {
				t.Errorf("%s: err = %v, want invalid", tt.name, err)
				continue
			}
			var got []string
			for _, fe := range errs.Fields(err) {
				got = append(got, fe.Field)
				if fe.Reason.JA == "" {
					t.Errorf("%s: %s has no Japanese reason", tt.name, fe.Field)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.fields) || !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("%s: fields %v (%v), want %v with %q", tt.name, got, err, tt.fields, tt.reason)
			}
		}
		if n := count(t, db); n != 0 {
			t.Fatalf("%d rows written by rejected input", n)
		}
	})
}

func TestDuplicates(t *testing.T) {
	ctx := clerkCtx()
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		if _, err := f.svc.Create(ctx, shinjuku, taro("0000000001", number1)); err != nil {
			t.Fatal(err)
		}
		_, err := f.svc.Create(ctx, shinjuku, taro("0000000002", number1))
		// A screen does not turn a number into its holder: neither the
		// number nor the holder's code is in the answer.
		if !errs.Is(err, errs.Conflict) || strings.Contains(err.Error(), "0000000001") || strings.Contains(err.Error(), number1) {
			t.Fatalf("duplicate number: %v (kind %v)", err, errs.KindOf(err))
		}
		if fs := errs.Fields(err); len(fs) != 1 || fs[0].Field != "mynumber" || !strings.Contains(fs[0].Reason.JA, "別の宛名") {
			t.Fatalf("fields = %+v", fs)
		}
		_, err = f.svc.Create(ctx, shinjuku, taro("0000000001", number2))
		// A code already taken is said beside the code field.
		if fs := errs.Fields(err); !errs.Is(err, errs.Conflict) || len(fs) != 1 || fs[0].Field != "code" || !strings.Contains(fs[0].Reason.JA, "すでに登録されています") {
			t.Fatalf("duplicate code: %v", err)
		}
		// The same number in another municipality is its own record.
		if _, err := f.svc.Create(ctx, sapporo, taro("0000000001", number1)); err != nil {
			t.Fatalf("same number, other municipality: %v", err)
		}
		if n := count(t, db); n != 2 {
			t.Fatalf("rows = %d, want 2", n)
		}
	})
}

func TestFindUpdateAndSetNumber(t *testing.T) {
	ctx := clerkCtx()
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.svc.Create(ctx, shinjuku, taro("0000000001", number1))
		f.svc.Create(ctx, shinjuku, taro("0000000002", ""))
		n1, _ := mynumber.Parse(number1)
		n2, _ := mynumber.Parse(number2)
		r, err := f.svc.FindByMyNumber(ctx, shinjuku, n1)
		if err != nil || r.Code != "0000000001" {
			t.Fatalf("FindByMyNumber = %+v, %v", r, err)
		}
		if _, err := f.svc.FindByMyNumber(ctx, sapporo, n1); !errs.Is(err, errs.NotFound) {
			t.Fatalf("other municipality: %v", err)
		}
		in := taro("", "")
		in.Address = "東京都新宿区四谷一丁目1番1号"
		r, err = f.svc.Update(ctx, shinjuku, "0000000001", 1, in)
		if err != nil || r.Address != in.Address || r.Version != 2 || !r.HasMyNumber {
			t.Fatalf("Update = %+v, %v", r, err)
		}
		if _, err := f.svc.Update(ctx, shinjuku, "0000000001", 1, in); !errs.Is(err, errs.Conflict) {
			t.Fatalf("stale update: %v", err)
		}
		if _, err := f.svc.Update(ctx, shinjuku, "0000000099", 1, in); !errs.Is(err, errs.NotFound) {
			t.Fatalf("update missing: %v", err)
		}
		// A number is set only by a confirmed review: proposed, then
		// applied in the confirming transaction (R-ACC-1).
		if _, err := f.svc.ProposeMyNumber(ctx, shinjuku, "0000000002", n1); !errs.Is(err, errs.Conflict) || strings.Contains(err.Error(), "0000000001") {
			t.Fatalf("proposing a number another resident holds: %v", err)
		}
		prop, err := f.svc.ProposeMyNumber(ctx, shinjuku, "0000000002", n2)
		if err != nil {
			t.Fatal(err)
		}
		// As the review engine does: the confirming transaction is narrowed
		// to the municipality.
		sc := store.WithScope(ctx, shinjuku)
		if err := db.Transact(sc, func(tx *store.Tx) error { return f.svc.ApplyMyNumber(sc, tx, shinjuku, prop.Payload) }); err != nil {
			t.Fatal(err)
		}
		if r, _ := f.svc.FindByMyNumber(ctx, shinjuku, n2); r.Code != "0000000002" {
			t.Fatalf("number set but not found: %+v", r)
		}
		if err := db.Transact(sc, func(tx *store.Tx) error { return f.svc.ApplyMyNumber(sc, tx, shinjuku, prop.Payload) }); !errs.Is(err, errs.Conflict) {
			t.Fatalf("applying a second time: %v", err)
		}
	})
}

// R-ACC-4: identity verification at intake is recorded.
func TestVerification(t *testing.T) {
	ctx := clerkCtx()
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.svc.Create(ctx, shinjuku, taro("0000000001", number1))
		if _, err := f.svc.RecordVerification(ctx, shinjuku, "0000000001", resident.VerifiedByMyNumberCard, "clerk01", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.RecordVerification(ctx, shinjuku, "0000000001", resident.VerifiedByNotificationPhotoID, "clerk02", "運転免許証"); err != nil {
			t.Fatal(err)
		}
		vs, err := f.svc.Verifications(ctx, shinjuku, "0000000001")
		if err != nil || len(vs) != 2 || vs[0].VerifiedBy != "clerk02" || vs[0].Note != "運転免許証" {
			t.Fatalf("Verifications = %+v, %v", vs, err)
		}
		_, err = f.svc.RecordVerification(ctx, shinjuku, "0000000001", "looked_at_face", "", "")
		if fs := errs.Fields(err); len(fs) != 2 {
			t.Fatalf("bad verification: %v", err)
		}
		if _, err := f.svc.RecordVerification(ctx, sapporo, "0000000001", resident.VerifiedByMyNumberCard, "clerk01", ""); !errs.Is(err, errs.NotFound) {
			t.Fatalf("other municipality: %v", err)
		}
	})
}

// R-ACC-3: authenticity is checked against the basic four items, naming
// the items that differ.
func TestCheckAuthenticity(t *testing.T) {
	ctx := clerkCtx()
	db := testutil.NewDB(t, store.SQLite)
	f := setup(t, db)
	in := taro("0000000001", number1)
	in.Alias = "ヤマダ タロー"
	f.svc.Create(ctx, shinjuku, in)
	tests := []struct {
		p    resident.Presented
		want string
	}{
		{resident.Presented{Name: "山田太郎", Address: "東京都新宿区西新宿二丁目８番１号", BirthDate: "1980/04/01", Sex: "1"}, "[]"},
		{resident.Presented{Name: "ヤマダ　タロー", Address: "東京都新宿区西新宿二丁目8番1号", BirthDate: "1980-04-01", Sex: "1"}, "[]"},
		{resident.Presented{Name: "山田花子", Address: "東京都新宿区西新宿二丁目8番1号", BirthDate: "1980-04-01", Sex: "2"}, "[name sex]"},
		{resident.Presented{Name: "山田太郎", Address: "東京都新宿区四谷一丁目", BirthDate: "1980-04-02", Sex: "1"}, "[address birth_date]"},
	}
	for _, tt := range tests {
		got, err := f.svc.CheckAuthenticity(ctx, shinjuku, "0000000001", tt.p)
		if err != nil || fmt.Sprint(got) != tt.want {
			t.Errorf("CheckAuthenticity(%+v) = %v, %v; want %s", tt.p, got, err, tt.want)
		}
	}
}

// No My Number digits reach the log when a resident is created, looked up
// and fails validation.
func TestLogsHoldNoNumbers(t *testing.T) {
	ctx := clerkCtx()
	db := testutil.NewDB(t, store.SQLite)
	f := setup(t, db)
	f.svc.Create(ctx, shinjuku, taro("0000000001", number1))
	n, _ := mynumber.Parse(number1)
	f.svc.FindByMyNumber(ctx, shinjuku, n)
	missing, _ := mynumber.Parse(number2)
	f.svc.FindByMyNumber(ctx, shinjuku, missing)
	f.svc.Create(ctx, shinjuku, taro("0000000002", "123456789012")) // wrong check digit
	f.svc.Create(ctx, shinjuku, taro("0000000003", number1))        // duplicate
	f.svc.Import(ctx, shinjuku, records([]resident.Input{taro("0000000004", number2), taro("0000000005", "98320567321")}))
	out := f.log.String()
	if strings.Count(out, "\n") < 5 {
		t.Fatalf("too few log lines to prove anything:\n%s", out)
	}
	for _, digits := range []string{number1, number2, "123456789012", "98320567321"} {
		if strings.Contains(out, digits) {
			t.Fatalf("log holds %s:\n%s", digits, out)
		}
	}
}

func records(ins []resident.Input) iter.Seq[resident.Record] {
	return func(yield func(resident.Record) bool) {
		for i, in := range ins {
			if !yield(resident.Record{Line: i + 1, Input: in}) {
				return
			}
		}
	}
}

func demoInputs(n int, seed uint64) []resident.Input {
	g := demo.NewGenerator(demo.Municipalities()[0], seed)
	out := make([]resident.Input, n)
	for i := range out {
		p := g.Next()
		out[i] = resident.Input{Code: p.ResidentCode, NameKanji: p.NameKanji, NameKana: p.NameKana, Alias: p.Alias,
			Address: p.Address, BirthDate: p.BirthDate.Format("2006-01-02"), Sex: p.Sex, MyNumber: p.MyNumber}
	}
	return out
}

func TestImport(t *testing.T) {
	ctx := clerkCtx()
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ins := demoInputs(3000, 1)
		ins[10].MyNumber = ""
		rep, err := f.svc.Import(ctx, shinjuku, records(ins))
		if err != nil || rep.Rows != 3000 || rep.WithMyNumber != 2999 {
			t.Fatalf("Import = %+v, %v", rep, err)
		}
		if n := count(t, db); n != 3000 {
			t.Fatalf("rows = %d", n)
		}
		n, _ := mynumber.Parse(ins[2500].MyNumber)
		if r, err := f.svc.FindByMyNumber(ctx, shinjuku, n); err != nil || r.Code != ins[2500].Code {
			t.Fatalf("imported resident not found by number: %+v, %v", r, err)
		}
	})
}

// A file with any wrong record is rejected whole, with every wrong field by
// line, and the database is left as it was.
func TestImportRejectsWholeFile(t *testing.T) {
	ctx := clerkCtx()
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		stored := demoInputs(5, 7)
		if _, err := f.svc.Import(ctx, shinjuku, records(stored)); err != nil {
			t.Fatal(err)
		}

		// Wrong fields, and duplicates inside the file.
		ins := demoInputs(2000, 2)
		for i := range ins {
			ins[i].Code = fmt.Sprintf("9%09d", i)
		}
		ins[99].MyNumber = "123456789012"    // line 100: check digit
		ins[1499].BirthDate = "2999-01-01"   // line 1500: future
		ins[1799].MyNumber = ins[0].MyNumber // line 1800: same number as line 1
		ins[1899].Code = ins[1].Code         // line 1900: same code as line 2
		_, err := f.svc.Import(ctx, shinjuku, records(ins))
		want := []string{"100 mynumber", "1500 birth_date", "1800 mynumber", "1900 code"}
		var got []string
		for _, fe := range errs.Fields(err) {
			got = append(got, fmt.Sprint(fe.Line, " ", fe.Field))
		}
		if fmt.Sprint(got) != fmt.Sprint(want) || !errs.Is(err, errs.Invalid) {
			t.Fatalf("report = %v (%v), want %v", got, err, want)
		}
		if n := count(t, db); n != 5 {
			t.Fatalf("rows = %d after a rejected file, want 5", n)
		}

		// Clashes with stored residents are conflicts that name the holder.
		ins = demoInputs(1500, 3)
		for i := range ins {
			ins[i].Code = fmt.Sprintf("8%09d", i)
		}
		ins[700].MyNumber = stored[2].MyNumber
		ins[1200].Code = stored[4].Code
		_, err = f.svc.Import(ctx, shinjuku, records(ins))
		if !errs.Is(err, errs.Conflict) {
			t.Fatalf("clash: %v (kind %v)", err, errs.KindOf(err))
		}
		got = nil
		for _, fe := range errs.Fields(err) {
			got = append(got, fmt.Sprint(fe.Line, " ", fe.Field))
		}
		if fmt.Sprint(got) != "[701 mynumber 1201 code]" || !strings.Contains(err.Error(), stored[2].Code) || strings.Contains(err.Error(), stored[2].MyNumber) {
			t.Fatalf("clash report = %v (%v)", got, err)
		}
		if n := count(t, db); n != 5 {
			t.Fatalf("rows = %d after a clashing file, want 5", n)
		}
	})
}

type eventRow struct{ tenant, user, action, subjType, subjID, outcome, detail string }

func events(t *testing.T, db *store.DB) []eventRow {
	t.Helper()
	var out []eventRow
	for _, e := range testutil.Events(t, db, "") {
		out = append(out, eventRow{e.Tenant, e.Actor.User, e.Action, e.Subject.Type, e.Subject.ID, e.Outcome, e.Detail})
	}
	return out
}

// R-AUD-1: the registry writes an event for every create, change, read,
// lookup by My Number and failed attempt; a My Number appears only as its
// blind index.
func TestEventsWritten(t *testing.T) {
	ctx := clerkCtx()
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		before := len(events(t, db))
		f.svc.Create(ctx, shinjuku, taro("0000000001", number1))
		f.svc.Create(ctx, shinjuku, taro("0000000002", "123456789012")) // invalid
		f.svc.Create(ctx, shinjuku, taro("0000000003", number1))        // duplicate number
		f.svc.Get(ctx, shinjuku, "0000000001")
		n, _ := mynumber.Parse(number1)
		f.svc.FindByMyNumber(ctx, shinjuku, n)
		in := taro("", "")
		in.Address = "東京都新宿区四谷一丁目"
		f.svc.Update(ctx, shinjuku, "0000000001", 1, in)
		f.svc.RecordVerification(ctx, shinjuku, "0000000001", resident.VerifiedByMyNumberCard, "clerk01", "")
		f.svc.CheckAuthenticity(ctx, shinjuku, "0000000001", resident.Presented{Name: "山田太郎", Address: "x", BirthDate: "1980-04-01", Sex: "1"})
		f.svc.Import(ctx, shinjuku, records([]resident.Input{taro("0000000009", number2)}))
		got := events(t, db)[before:]
		want := []string{
			"resident.create resident 0000000001 ok mynumber=registered",
			"resident.create resident 0000000002 error error=invalid fields=mynumber",
			"resident.create resident 0000000003 error error=conflict fields=mynumber",
			"resident.read resident 0000000001 ok ",
			"resident.lookup_by_mynumber mynumber * ok found=true resident=0000000001",
			"resident.change resident 0000000001 ok version=2",
			"resident.verify_identity resident 0000000001 ok method=mynumber_card",
			"resident.authenticity_check resident 0000000001 ok match=false differ=address",
			"resident.import residents  ok rows=1 with_mynumber=1",
		}
		var lines []string
		for i, e := range got {
			id := e.subjID
			if e.subjType == "mynumber" {
				if len(id) != 32 || strings.Contains(id, number1) {
					t.Errorf("My Number subject is not a blind index: %q", id)
				}
				id = "*"
			}
			lines = append(lines, strings.Join([]string{e.action, e.subjType, id, e.outcome, e.detail}, " "))
			if e.user != "clerk01" || e.tenant != shinjuku {
				t.Errorf("event %d is of user %s, tenant %s", i, e.user, e.tenant)
			}
			for _, digits := range []string{number1, number2, "123456789012"} {
				if strings.Contains(e.detail+e.subjID, digits) {
					t.Errorf("event %d holds a My Number", i)
				}
			}
		}
		if diff := cmp.Diff(want, lines); diff != "" {
			t.Errorf("events (-want +got):\n%s", diff)
		}
	})
}

// R-AUD-1: no change without its event. When the event cannot be written,
// the resident is not created either; with no actor, nothing happens.
func TestNoChangeWithoutItsEvent(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		if _, err := f.svc.Create(context.Background(), shinjuku, taro("0000000001", number1)); err == nil {
			t.Fatal("a change without an actor was made")
		}
		// Break the audit table under the running system.
		if _, err := db.SQL().ExecContext(context.Background(), `ALTER TABLE audit_events RENAME TO audit_events_gone`); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Create(clerkCtx(), shinjuku, taro("0000000002", number2)); err == nil {
			t.Fatal("a change was made although its event could not be written")
		}
		if _, err := f.svc.Import(clerkCtx(), shinjuku, records(demoInputs(10, 5))); err == nil {
			t.Fatal("an import was stored although its event could not be written")
		}
		if n := count(t, db); n != 0 {
			t.Fatalf("%d residents stored without their events", n)
		}
	})
}

// R-AUD-2, R-AC-4: a search is an event, but a My Number pasted into the
// search box does not reach the audit log.
func TestSearchIsAuditedWithoutNumbers(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		if _, err := f.svc.Create(clerkCtx(), shinjuku, taro("0000000001", number1)); err != nil {
			t.Fatal(err)
		}
		if got, err := f.svc.Search(clerkCtx(), shinjuku, "やまだ"); err != nil || len(got) != 1 {
			t.Fatalf("search by kana: %v %v", got, err)
		}
		if got, _ := f.svc.Search(clerkCtx(), sapporo, "やまだ"); len(got) != 0 {
			t.Fatal("a search found another municipality's resident")
		}
		f.svc.Search(clerkCtx(), shinjuku, "1234 5678 9018")
		var details []string
		for _, e := range testutil.Events(t, db, "resident.search") {
			details = append(details, e.Detail)
		}
		if len(details) != 3 || details[0] != "q=やまだ found=1" || details[2] != "q=[digits withheld] found=0" {
			t.Fatalf("search events = %q", details)
		}
	})
}
