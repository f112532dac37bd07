package pubmed_test

import (
	"testing"
	"time"

	"bango/internal/errs"
	"bango/internal/export"
	"bango/internal/module"
	"bango/internal/pubmed"
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
	pub       *pubmed.Service
	now       time.Time
}

func setup(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	f := &fixture{Kit: testkit.New(t, db), now: today}
	f.Municipality(t, shinjuku, "新宿区")
	f.Municipality(t, sapporo, "札幌市")
	f.residents = resident.NewService(db, f.Vault, testkit.Quiet)
	f.review = review.NewService(db, f.Vault, f.Access)
	var err error
	if f.pub, err = pubmed.NewService(db, testkit.Quiet, f.residents); err != nil {
		t.Fatal(err)
	}
	f.pub.SetClock(func() time.Time { return f.now })
	// The declarations serve installs (cmd/bango/system.go).
	if err := module.Install([]module.Module{module.Access(f.Access), f.residents.Module(), f.pub.Module()}, f.review,
		export.NewService(db, f.Access)); err != nil {
		t.Fatal(err)
	}
	for _, s := range []testkit.Staff{
		{Login: "clerk", Tenant: shinjuku, Section: "保健所", Patterns: []string{"pubmed-clerk"}},
		{Login: "checker", Tenant: shinjuku, Section: "保健所", Patterns: []string{"pubmed-checker"}},
		{Login: "sapporo", Tenant: sapporo, Section: "保健所", Patterns: []string{"pubmed-clerk", "pubmed-checker"}},
	} {
		f.Staff(t, s)
	}
	for _, code := range []string{"700001", "700002", "700003"} {
		in := testkit.Person(code, "")
		in.NameKanji = "試験　" + code
		testkit.Resident(t, f.residents, shinjuku, in)
	}
	in := testkit.Person("800001", "")
	testkit.Resident(t, f.residents, sapporo, in)
	return f
}

// apply has the clerk enter in and the checker confirm it, and returns
// the application as recorded.
func (f *fixture) apply(t *testing.T, in pubmed.ApplicationInput) pubmed.Application {
	t.Helper()
	p, err := f.pub.ProposeApplication(testutil.As("clerk"), shinjuku, in)
	if err != nil {
		t.Fatalf("propose: %v", err)
	}
	c, err := f.review.Submit(testutil.As("clerk"), f.User(t, "clerk"), shinjuku, p)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	if _, err := f.review.Confirm(testutil.As("checker"), f.User(t, "checker"), shinjuku, c.ID, nil); err != nil {
		t.Fatalf("confirm: %v", err)
	}
	page, err := f.pub.Applications(testutil.As("clerk"), shinjuku, pubmed.ApplicationQuery{ResidentCode: in.ResidentCode}, "", 1)
	if err != nil || len(page.Items) == 0 {
		t.Fatalf("the confirmed application: %v", err)
	}
	return page.Items[0]
}

// newApplication is a 指定難病 application of 700001 received today.
func newApplication(code string) pubmed.ApplicationInput {
	return pubmed.ApplicationInput{Kind: pubmed.AppNew, ResidentCode: code, Programme: pubmed.Nanbyo, DiseaseCode: "6",
		TaxStatus: pubmed.TaxLevied, IncomeLevy: yen(50000), // 一般所得Ⅰ
		Institutions: []string{"新宿中央病院", "西新宿薬局"}, HealthCentre: "新宿区保健所", ReceivedOn: "2026-11-20"}
}

func yen(n int64) *int64 { return &n }

// rows counts every public-expense row of every municipality.
func rows(t *testing.T, db *store.DB) int {
	t.Helper()
	total := 0
	for _, table := range []string{"pubmed_applications", "pubmed_certificates", "pubmed_copayments", "pubmed_cabinets", "pubmed_evidence", "pubmed_evidence_events"} {
		var n int
		if err := db.ReadRow(testutil.AllTenants(), `SELECT count(*) FROM `+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		total += n
	}
	return total
}

func isKind(err error, k errs.Kind) bool { return errs.Is(err, k) }

// decide has the clerk propose decision in on application id and the
// checker confirm it (R-ACC-1), and returns the application as decided
// with the certificate issued. A refusal of the proposal or of the
// confirmation is returned.
func (f *fixture) decide(t *testing.T, id int64, in pubmed.DecisionInput) (pubmed.Decision, error) {
	t.Helper()
	p, err := f.pub.ProposeDecision(testutil.As("clerk"), shinjuku, id, in)
	if err != nil {
		return pubmed.Decision{}, err
	}
	c, err := f.review.Submit(testutil.As("clerk"), f.User(t, "clerk"), shinjuku, p)
	if err != nil {
		return pubmed.Decision{}, err
	}
	if _, err := f.review.Confirm(testutil.As("checker"), f.User(t, "checker"), shinjuku, c.ID, nil); err != nil {
		return pubmed.Decision{}, err
	}
	return f.decision(t, id), nil
}

// decision reads application id and the certificate its decision issued.
func (f *fixture) decision(t *testing.T, id int64) pubmed.Decision {
	t.Helper()
	a, err := f.pub.Application(testutil.As("clerk"), shinjuku, id)
	if err != nil {
		t.Fatal(err)
	}
	d := pubmed.Decision{Application: a}
	certs, err := f.pub.Certificates(testutil.As("clerk"), shinjuku, a.ResidentCode)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range certs {
		if c.Application == id {
			d.Certificate = &c
		}
	}
	return d
}

// register has the clerk propose registration in and the checker confirm
// it (R-ACC-1), and returns the registration issued.
func (f *fixture) register(t *testing.T, in pubmed.RegistrationInput) (pubmed.Registration, error) {
	t.Helper()
	p, err := f.pub.ProposeRegistration(testutil.As("clerk"), shinjuku, in)
	if err != nil {
		return pubmed.Registration{}, err
	}
	c, err := f.review.Submit(testutil.As("clerk"), f.User(t, "clerk"), shinjuku, p)
	if err != nil {
		return pubmed.Registration{}, err
	}
	if _, err := f.review.Confirm(testutil.As("checker"), f.User(t, "checker"), shinjuku, c.ID, nil); err != nil {
		return pubmed.Registration{}, err
	}
	l, err := f.pub.Registrations(testutil.As("clerk"), shinjuku, in.ResidentCode)
	if err != nil || len(l) == 0 {
		t.Fatalf("the registration confirmed: %v", err)
	}
	return l[0], nil
}

// endRegistration has the clerk propose the end of registration id and
// the checker confirm it.
func (f *fixture) endRegistration(t *testing.T, id int64, in pubmed.RegistrationEndInput) error {
	t.Helper()
	p, err := f.pub.ProposeRegistrationEnd(testutil.As("clerk"), shinjuku, id, in)
	if err != nil {
		return err
	}
	c, err := f.review.Submit(testutil.As("clerk"), f.User(t, "clerk"), shinjuku, p)
	if err != nil {
		return err
	}
	_, err = f.review.Confirm(testutil.As("checker"), f.User(t, "checker"), shinjuku, c.ID, nil)
	return err
}

// pending counts the changes waiting for a checker in Shinjuku.
func (f *fixture) pending(t *testing.T) int {
	t.Helper()
	n, err := f.review.CountQueue(testutil.As("clerk"), shinjuku, "", "")
	if err != nil {
		t.Fatal(err)
	}
	return n
}
