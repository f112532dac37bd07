package nhi_test

import (
	"strconv"
	"testing"
	"time"

	"bango/internal/errs"
	"bango/internal/export"
	"bango/internal/module"
	"bango/internal/nhi"
	"bango/internal/resident"
	"bango/internal/review"
	"bango/internal/store"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
)

const (
	shinjuku = testkit.Shinjuku
	sapporo  = testkit.Sapporo
)

// today is the date the tests run on, in Japan.
var today = time.Date(2026, 12, 2, 12, 0, 0, 0, time.FixedZone("JST", 9*60*60))

type fixture struct {
	*testkit.Kit
	residents *resident.Service
	review    *review.Service
	nhi       *nhi.Service
	now       time.Time
}

func setup(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	f := &fixture{Kit: testkit.New(t, db), now: today}
	f.Municipality(t, shinjuku, "新宿区")
	f.Municipality(t, sapporo, "札幌市")
	f.residents = resident.NewService(db, f.Vault, testkit.Quiet)
	f.review = review.NewService(db, f.Vault, f.Access)
	f.nhi = nhi.NewService(db, testkit.Quiet)
	f.nhi.SetClock(func() time.Time { return f.now })
	// The declarations serve installs (cmd/bango/system.go).
	if err := module.Install([]module.Module{module.Access(f.Access), f.residents.Module(), f.nhi.Module()}, f.review,
		export.NewService(db, f.Access)); err != nil {
		t.Fatal(err)
	}
	for _, s := range []testkit.Staff{
		{Login: "clerk", Tenant: shinjuku, Patterns: []string{"nhi-clerk"}},
		{Login: "checker", Tenant: shinjuku, Patterns: []string{"nhi-checker"}},
		{Login: "sapporo", Tenant: sapporo, Section: "保険年金課", Patterns: []string{"nhi-clerk", "nhi-checker"}},
	} {
		f.Staff(t, s)
	}
	return f
}

// person registers a resident of tenant born on birth (YYYY-MM-DD).
func (f *fixture) person(t *testing.T, tenant, code, kana, birth string) {
	t.Helper()
	in := testkit.Person(code, "")
	in.NameKana, in.NameKanji, in.BirthDate = kana, "試験　"+code, birth
	testkit.Resident(t, f.residents, tenant, in)
}

// enter files p as the clerk and has the checker confirm it.
func (f *fixture) enter(t *testing.T, p review.Proposal, err error) review.Change {
	t.Helper()
	if err != nil {
		t.Fatalf("propose: %v", err)
	}
	c, err := f.review.Submit(testutil.As("clerk"), f.User(t, "clerk"), shinjuku, p)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	c, err = f.review.Confirm(testutil.As("checker"), f.User(t, "checker"), shinjuku, c.ID, nil)
	if err != nil {
		t.Fatalf("confirm %s: %v", p.Summary, err)
	}
	return c
}

func (f *fixture) acquire(t *testing.T, in nhi.AcquisitionInput) {
	t.Helper()
	p, err := f.nhi.ProposeAcquisition(testutil.As("clerk"), shinjuku, in)
	f.enter(t, p, err)
}

// newHousehold acquires code into a new household headed by head and
// returns the household's ID.
func (f *fixture) newHousehold(t *testing.T, code, head, on, number string) int64 {
	t.Helper()
	f.acquire(t, nhi.AcquisitionInput{ResidentCode: code, AcquiredOn: on, Reason: nhi.AcquireMoveIn, NotifiedOn: on,
		NewKigo: "新宿", NewHead: head, Number: number, Branch: "01"})
	rec, err := f.nhi.Get(testutil.As("clerk"), shinjuku, code, on)
	if err != nil || rec.Person.Household == 0 {
		t.Fatalf("household of %s: %+v %v", code, rec, err)
	}
	return rec.Person.Household
}

func (f *fixture) join(t *testing.T, code string, hh int64, on, number, branch string) {
	t.Helper()
	f.acquire(t, nhi.AcquisitionInput{ResidentCode: code, AcquiredOn: on, Reason: nhi.AcquireMoveIn, NotifiedOn: on,
		Household: hh, Number: number, Branch: branch})
}

// rows counts every NHI row of every municipality.
func rows(t *testing.T, db *store.DB) int {
	t.Helper()
	total := 0
	for _, table := range []string{"nhi_households", "nhi_household_versions", "nhi_insured", "nhi_eligibility_events", "nhi_memberships",
		"nhi_scheduled_losses", "nhi_incomes", "nhi_cost_share_decisions", "nhi_documents", "nhi_document_events", "nhi_age70_decisions"} {
		var n int
		if err := db.ReadRow(testutil.AllTenants(), `SELECT count(*) FROM `+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		total += n
	}
	return total
}

// fields lists err's wrong fields, or its kind when it has none.
func fields(err error) string {
	if err == nil {
		return "ok"
	}
	fs := errs.Fields(err)
	if len(fs) == 0 {
		return errs.KindOf(err).String()
	}
	out := ""
	for i, f := range fs {
		if i > 0 {
			out += ","
		}
		out += f.Field
	}
	return out
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func codes(ps []nhi.Person) []string {
	out := []string{}
	for _, p := range ps {
		out = append(out, p.ResidentCode)
	}
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
