package linkage_test

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"bango/internal/errs"
	"bango/internal/export"
	"bango/internal/linkage"
	"bango/internal/module"
	"bango/internal/nhi"
	"bango/internal/resident"
	"bango/internal/review"
	"bango/internal/store"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
	"bango/internal/wareki"
)

const (
	shinjuku = testkit.Shinjuku
	sapporo  = testkit.Sapporo
	layout   = "resident-differences"
	partner  = "resident-records"
)

type fixture struct {
	*testkit.Kit
	residents *resident.Service
	review    *review.Service
	linkage   *linkage.Service
	nhi       *nhi.Service
}

func setup(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	f := &fixture{Kit: testkit.New(t, db)}
	f.Municipality(t, shinjuku, "新宿区")
	f.Municipality(t, sapporo, "札幌市")
	f.residents = resident.NewService(db, f.Vault, testkit.Quiet)
	f.review = review.NewService(db, f.Vault, f.Access)
	f.linkage = linkage.NewService(db, f.review)
	f.nhi = nhi.NewService(db, testkit.Quiet)
	if err := module.Install([]module.Module{module.Access(f.Access), f.residents.Module(), f.nhi.Module(), f.linkage.Module()}, f.review,
		export.NewService(db, f.Access)); err != nil {
		t.Fatal(err)
	}
	// Shinjuku's NHI 保険者番号 is configured; Sapporo's is not.
	if _, err := f.linkage.SetInsurerNumber(testutil.As("cli:is-admin"), shinjuku, "138016", time.Date(2000, 4, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	for _, s := range []testkit.Staff{
		{Login: "clerk", Tenant: shinjuku, Patterns: []string{"nhi-clerk"}},
		{Login: "checker", Tenant: shinjuku, Patterns: []string{"nhi-checker"}},
	} {
		f.Staff(t, s)
	}
	return f
}

func (f *fixture) partner(t *testing.T, tenant string, confirm bool) {
	t.Helper()
	if _, err := f.linkage.AddPartner(testutil.As("is-admin"), linkage.Partner{Tenant: tenant, ID: partner, Title: "住民記録システム",
		Direction: linkage.Inbound, Layouts: []string{layout}, Confirm: confirm}); err != nil {
		t.Fatal(err)
	}
}

// diff is one record of a resident-differences file.
type diff struct {
	change string
	code   int
}

// differences writes a resident-differences file of tenant with the
// records given, each a different person.
func differences(t testing.TB, tenant string, recs []diff) []byte {
	t.Helper()
	l, err := linkage.Lookup(layout, 1)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	w, err := linkage.NewWriter(&out, l, linkage.Values{"municipality": tenant, "created": wareki.Civil(2026, 12, 2),
		"period_from": wareki.Civil(2026, 12, 1), "period_to": wareki.Civil(2026, 12, 1)})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range recs {
		if err := w.Write("2", linkage.Values{"change": r.change, "resident_code": r.code, "household_no": 1000 + i/3,
			"name": "髙橋　一郎", "name_kana": "ﾀｶﾊｼ ｲﾁﾛｳ", "birth": wareki.Civil(1960+i%40, time.Month(1+i%12), 1+i%28),
			"sex": strconv.Itoa(1 + i%2), "relation": "01", "postal": "1600023", "address": "東京都新宿区西新宿二丁目",
			"effective": wareki.Civil(2026, 12, 1)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Close(nil); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// newcomers are n new residents (転入) from code first on.
func newcomers(first, n int) []diff {
	out := make([]diff, n)
	for i := range out {
		out[i] = diff{"11", first + i}
	}
	return out
}

func request(tenant string, file []byte) linkage.ImportRequest {
	return linkage.ImportRequest{Tenant: tenant, Partner: partner, Layout: layout, FileName: "IDO20261202.DAT",
		Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(file)), nil }}
}

// count counts rows of a linkage table of every municipality.
func count(t *testing.T, db *store.DB, table string) int {
	t.Helper()
	var n int
	if err := db.ReadRow(testutil.AllTenants(), `SELECT count(*) FROM `+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// outcomes are the outcomes of action's events, in order.
func outcomes(t *testing.T, db *store.DB, action string) string {
	var out []string
	for _, o := range testutil.Outcomes(t, db, action) {
		out = append(out, strings.Fields(o)[0])
	}
	return strings.Join(out, ",")
}

// R-ACC-5, R-LNK-1: a good file is applied whole, once; the same file
// again is refused as a replay naming the earlier import, and recorded;
// the history lists both, newest first.
func TestImportAppliesOnce(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.partner(t, shinjuku, false)
		testkit.Resident(t, f.residents, shinjuku, testkit.Person("77", ""))
		file := differences(t, shinjuku, append(newcomers(1001, 3), diff{"21", 77}, diff{"32", 1002}))
		ctx := testutil.As("cli:operator")
		job, rep, err := f.linkage.Import(ctx, request(shinjuku, file))
		if err != nil {
			t.Fatalf("import: %v", err)
		}
		if job.Outcome != linkage.Applied || job.Applied != 5 || job.Records != 5 || !rep.OK() || job.StartedBy != "cli:operator" || job.SHA256 != rep.SHA256 {
			t.Fatalf("job %+v", job)
		}
		if n := count(t, db, "linkage_resident_differences"); n != 5 {
			t.Fatalf("%d rows applied, want 5", n)
		}
		again, _, err := f.linkage.Import(ctx, request(shinjuku, file))
		testutil.Told(t, "replay", err, errs.Conflict, "replay of job "+strconv.FormatInt(job.ID, 10)+":", testutil.DeveloperWords)
		if again.Outcome != linkage.Replay || again.Earlier != job.ID {
			t.Errorf("the replay's job %+v does not name job %d", again, job.ID)
		}
		if n := count(t, db, "linkage_resident_differences"); n != 5 {
			t.Fatalf("%d rows after the replay, want 5", n)
		}
		page, err := f.linkage.History(ctx, shinjuku, "", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != 2 || page.Items[0].Outcome != linkage.Replay || page.Items[1].ID != job.ID {
			t.Errorf("history %+v", page.Items)
		}
		if other, err := f.linkage.History(ctx, sapporo, "", 10); err != nil || len(other.Items) != 0 {
			t.Errorf("Sapporo's history shows Shinjuku's jobs: %+v %v", other.Items, err)
		}
		if got := outcomes(t, db, "linkage.import"); got != "ok,denied" {
			t.Errorf("linkage.import outcomes %v", got)
		}
	})
}

// R-ACC-5: one bad record in 100,000 rejects the whole file with a report
// naming its line and field, and nothing is applied; so does a record of a
// resident bango does not know, found by the check against the database.
func TestImportRejectsWholeFile(t *testing.T) {
	const n = 100_000
	good := differences(t, shinjuku, newcomers(1, n))
	const bad = 54_321 // the data record's line is bad+1 (the header is line 1)
	const lineLen = 242
	broken := bytes.Clone(good)
	broken[bad*lineLen+120] = '7' // sex: not a code of the list
	unknown := differences(t, shinjuku, append(newcomers(1, n-1), diff{"31", 999_999}))
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.partner(t, shinjuku, false)
		ctx := testutil.As("cli:operator")
		for _, c := range []struct {
			name  string
			file  []byte
			line  int
			field string
		}{
			{"a bad code", broken, bad + 1, "sex"},
			{"an unknown resident", unknown, n + 1, "resident_code"},
		} {
			job, rep, err := f.linkage.Import(ctx, request(shinjuku, c.file))
			if errs.KindOf(err) != errs.Invalid || job.Outcome != linkage.Rejected || rep.OK() {
				t.Fatalf("%s: %+v, %v", c.name, job, err)
			}
			fs := errs.Fields(err)
			if len(fs) != 1 || fs[0].Line != c.line || fs[0].Field != c.field || job.ProblemCount != 1 || len(job.Problems) != 1 {
				t.Fatalf("%s: the report %+v does not name line %d, field %s alone", c.name, fs, c.line, c.field)
			}
			if n := count(t, db, "linkage_resident_differences"); n != 0 {
				t.Fatalf("%s: %d rows applied from a rejected file", c.name, n)
			}
		}
		var applied int
		if err := db.ReadRow(testutil.AllTenants(), `SELECT count(*) FROM linkage_jobs WHERE outcome = 'applied'`).Scan(&applied); err != nil || applied != 0 {
			t.Fatalf("%d applied jobs, %v", applied, err)
		}
		// The good file goes in afterwards, all of it.
		job, _, err := f.linkage.Import(ctx, request(shinjuku, good))
		if err != nil || job.Applied != n {
			t.Fatalf("the good file: %+v %v", job, err)
		}
	})
}

// R-ACC-5: a file of another municipality, an empty file and a file over
// the size limit are each rejected whole with the reason named.
func TestImportChecksTheMunicipality(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.partner(t, shinjuku, false)
		_, _, err := f.linkage.Import(testutil.As("cli:operator"), request(shinjuku, differences(t, sapporo, newcomers(1, 2))))
		if fs := errs.Fields(err); len(fs) != 1 || fs[0].Line != 1 || fs[0].Field != "municipality" {
			t.Fatalf("another municipality's file: %v", err)
		}
		if n := count(t, db, "linkage_resident_differences"); n != 0 {
			t.Fatalf("%d rows applied", n)
		}
		// An empty file, and a file over the configured size limit.
		_, _, err = f.linkage.Import(testutil.As("cli:operator"), request(shinjuku, nil))
		if fs := errs.Fields(err); len(fs) != 1 || fs[0].Field != "file" || fs[0].Reason.EN != "the file is empty" {
			t.Fatalf("an empty file: %v", err)
		}
		f.linkage.SetMaxBytes(10 * 242)
		job, _, err := f.linkage.Import(testutil.As("cli:operator"), request(shinjuku, differences(t, shinjuku, newcomers(1, 20))))
		if fs := errs.Fields(err); len(fs) == 0 || fs[0].Line != 0 || !strings.Contains(fs[0].Reason.EN, "over the limit") || job.Outcome != linkage.Rejected {
			t.Fatalf("a file over the limit: %+v %v", job, err)
		}
		if n := count(t, db, "linkage_resident_differences"); n != 0 {
			t.Fatalf("%d rows applied", n)
		}
	})
}

// R-LNK-4, R-LNK-2: there is no default route. A partner not configured,
// a layout it is not configured for, and a partner configured for the
// other direction are each refused and recorded; nothing is read.
func TestImportNoDefaultRoute(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		file := differences(t, shinjuku, newcomers(1, 2))
		ctx := testutil.As("cli:operator")
		opened := 0
		req := func(tenant, p, l string) linkage.ImportRequest {
			r := request(tenant, file)
			r.Partner, r.Layout = p, l
			r.Open = func() (io.ReadCloser, error) { opened++; return io.NopCloser(bytes.NewReader(file)), nil }
			return r
		}
		if _, err := f.linkage.AddPartner(testutil.As("is-admin"), linkage.Partner{Tenant: shinjuku, ID: "aggregation",
			Direction: linkage.Outbound, Layouts: []string{"nhi-eligibility-continuity"}}); err != nil {
			t.Fatal(err)
		}
		f.partner(t, sapporo, false)
		for _, c := range []struct{ name, tenant, partner, layout string }{
			{"a partner not configured", shinjuku, partner, layout},
			{"a partner of another municipality", shinjuku, partner, layout},
			{"an outbound partner sending", shinjuku, "aggregation", "nhi-eligibility-continuity"},
			{"a layout the partner does not have", shinjuku, "aggregation", layout},
			{"a layout that does not exist", sapporo, partner, "no-such-layout"},
		} {
			_, _, err := f.linkage.Import(ctx, req(c.tenant, c.partner, c.layout))
			testutil.Told(t, c.name, err, errs.Forbidden, "no route:", testutil.DeveloperWords)
		}
		if opened != 0 {
			t.Errorf("a refused import read the file %d times", opened)
		}
		if got := outcomes(t, db, "linkage.import"); got != "denied,denied,denied,denied,denied" {
			t.Errorf("refusals recorded as %v", got)
		}
		if n := count(t, db, "linkage_jobs"); n != 0 {
			t.Errorf("%d jobs for refused imports", n)
		}
	})
}

// failing gives r's bytes until after, then fails as a crashed reader
// would.
type failing struct {
	r     io.Reader
	after int
}

func (f *failing) Read(p []byte) (int, error) {
	if f.after <= 0 {
		return 0, errors.New("connection lost")
	}
	p = p[:min(len(p), f.after)]
	n, err := f.r.Read(p)
	f.after -= n
	return n, err
}

// R-LNK-1: an import that fails half way through its apply leaves nothing
// applied and no job that holds the file; running it again applies the
// whole file exactly once.
func TestImportFailsMidwayAndReruns(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.partner(t, shinjuku, false)
		file := differences(t, shinjuku, newcomers(1, 5000))
		opens := 0
		req := request(shinjuku, file)
		req.Open = func() (io.ReadCloser, error) {
			opens++
			if opens == 2 { // the apply
				return io.NopCloser(&failing{r: bytes.NewReader(file), after: len(file) / 2}), nil
			}
			return io.NopCloser(bytes.NewReader(file)), nil
		}
		ctx := testutil.As("cli:operator")
		if _, _, err := f.linkage.Import(ctx, req); err == nil || !strings.Contains(err.Error(), "connection lost") {
			t.Fatalf("the broken apply: %v", err)
		}
		if n := count(t, db, "linkage_resident_differences"); n != 0 {
			t.Fatalf("%d rows left by a failed apply", n)
		}
		if n := count(t, db, "linkage_jobs"); n != 0 {
			t.Fatalf("%d jobs left by a failed apply", n)
		}
		job, _, err := f.linkage.Import(ctx, req)
		if err != nil || job.Applied != 5000 {
			t.Fatalf("the rerun: %+v %v", job, err)
		}
		if n := count(t, db, "linkage_resident_differences"); n != 5000 {
			t.Fatalf("%d rows after the rerun", n)
		}
	})
}

// R-ACC-1, R-LNK-1: a partner configured for confirmation has its file
// held in staging, applied only when a second person confirms it, and
// the staging purged with an audit event; a declined file is purged too
// and may not be applied.
func TestImportHeldForConfirmation(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.partner(t, shinjuku, true)
		clerk, checker := f.User(t, "clerk"), f.User(t, "checker")
		ctx := testutil.As("clerk")
		req := request(shinjuku, differences(t, shinjuku, newcomers(1, 3)))
		_, _, err := f.linkage.Import(ctx, req)
		testutil.Told(t, "no maker", err, errs.Invalid, "a held import needs its maker", testutil.DeveloperWords)
		req.Maker = &clerk
		job, _, err := f.linkage.Import(ctx, req)
		if err != nil || job.Outcome != linkage.Pending || job.ReviewChange == 0 {
			t.Fatalf("held import: %+v %v", job, err)
		}
		if count(t, db, "linkage_resident_differences") != 0 || count(t, db, "linkage_staging") == 0 {
			t.Fatal("a held file was applied, or not staged")
		}
		if _, _, err := f.linkage.Import(ctx, req); errs.KindOf(err) != errs.Conflict {
			t.Fatalf("a held file imported again: %v", err)
		}
		if _, err := f.review.Confirm(testutil.As("checker"), checker, shinjuku, job.ReviewChange, nil); err != nil {
			t.Fatal(err)
		}
		got, err := f.linkage.Job(ctx, shinjuku, job.ID)
		if err != nil || got.Outcome != linkage.Applied || got.Applied != 3 || got.DecidedBy != "checker" {
			t.Fatalf("after confirmation: %+v %v", got, err)
		}
		if count(t, db, "linkage_resident_differences") != 3 || count(t, db, "linkage_staging") != 0 {
			t.Fatal("the confirmed file was not applied, or its staging not purged")
		}
		// Declined: purged by the job, nothing applied.
		req2 := request(shinjuku, differences(t, shinjuku, newcomers(100, 2)))
		req2.Maker = &clerk
		job2, _, err := f.linkage.Import(ctx, req2)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.review.Reject(testutil.As("checker"), checker, shinjuku, job2.ReviewChange, "件数が連絡と違う"); err != nil {
			t.Fatal(err)
		}
		if n, err := f.linkage.PurgeDeclined(testutil.As("system:jobs")); err != nil || n != 1 {
			t.Fatalf("purge: %d %v", n, err)
		}
		got, _ = f.linkage.Job(ctx, shinjuku, job2.ID)
		if got.Outcome != linkage.Declined || got.DecidedBy != "checker" || count(t, db, "linkage_staging") != 0 || count(t, db, "linkage_resident_differences") != 3 {
			t.Fatalf("after the rejection: %+v", got)
		}
		if n := len(testutil.Outcomes(t, db, "linkage.purge")); n != 2 {
			t.Errorf("%d purge events, want 2", n)
		}
	})
}
