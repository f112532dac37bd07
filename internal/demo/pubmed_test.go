package demo_test

import (
	"testing"
	"time"

	"bango/internal/demo"
	"bango/internal/export"
	"bango/internal/module"
	"bango/internal/pubmed"
	"bango/internal/resident"
	"bango/internal/review"
	"bango/internal/store"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
)

// The demo's public-expense data (issue 21): applications entered through
// the service and confirmed by another staff member (R-ACC-1), decided
// into certificates of both programmes, one rejected, one awaiting, papers
// in locked staff-only cabinets (R-PUB-3), and this month's co-payments
// with one record up to its cap (R-PUB-1) — as the service reads back.
func TestSeedPubmed(t *testing.T) {
	today := time.Date(2026, 12, 22, 10, 0, 0, 0, time.FixedZone("JST", 9*60*60))
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		k := testkit.New(t, db)
		m := demo.Municipalities()[0]
		k.Municipality(t, m.Code, m.Name)
		residents := resident.NewService(db, k.Vault, testkit.Quiet)
		rv := review.NewService(db, k.Vault, k.Access)
		svc, err := pubmed.NewService(db, testkit.Quiet, residents)
		if err != nil {
			t.Fatal(err)
		}
		svc.SetClock(func() time.Time { return today })
		rv.SetClock(func() time.Time { return today })
		if err := module.Install([]module.Module{module.Access(k.Access), residents.Module(), svc.Module()}, rv, export.NewService(db, k.Access)); err != nil {
			t.Fatal(err)
		}
		maker := k.Staff(t, testkit.Staff{Login: "clerk", Tenant: m.Code, Patterns: []string{"pubmed-clerk"}})
		checker := k.Staff(t, testkit.Staff{Login: "checker", Tenant: m.Code, Patterns: []string{"pubmed-checker"}})
		g := demo.NewGenerator(m, 1)
		people := make([]demo.Person, 60)
		for i := range people {
			people[i] = g.Next()
			testkit.Resident(t, residents, m.Code, resident.Input{Code: people[i].ResidentCode, NameKanji: people[i].NameKanji, NameKana: people[i].NameKana,
				Address: people[i].Address, BirthDate: pubmed.Date(people[i].BirthDate), Sex: people[i].Sex})
		}
		sum, err := demo.SeedPubmed(testutil.As("setup"), demo.PubmedStaff{Service: svc, Review: rv, Maker: maker, Checker: checker, Residents: residents}, m, people, today, 12)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Cabinets != 3 || sum.Certificates != 10 || sum.Rejected != 1 || sum.Awaiting != 1 || sum.Papers != 12 || sum.Reached < 1 {
			t.Errorf("summary: %+v", sum)
		}
		awaiting, err := svc.CountAwaitingDecision(testutil.As("clerk"), m.Code)
		if err != nil || awaiting != sum.Awaiting {
			t.Errorf("awaiting: %d %v", awaiting, err)
		}
		var certs, lines int
		if err := db.ReadRow(testutil.AllTenants(), `SELECT count(*) FROM pubmed_certificates WHERE tenant_code = $1`, m.Code).Scan(&certs); err != nil {
			t.Fatal(err)
		}
		if err := db.ReadRow(testutil.AllTenants(), `SELECT count(*) FROM pubmed_copayments WHERE tenant_code = $1`, m.Code).Scan(&lines); err != nil {
			t.Fatal(err)
		}
		if certs != sum.Certificates || lines != sum.Copayments {
			t.Errorf("read back %d certificates, %d co-payment lines; summary %+v", certs, lines, sum)
		}
		// R-PUB-2: every third application came with the My Number, keyed
		// again by the checker; each is now registered and held for the
		// business.
		var held, numbered int
		if err := db.ReadRow(testutil.AllTenants(), `SELECT count(*) FROM mynumber_holds WHERE tenant_code = $1 AND business = 'pubmed'`, m.Code).Scan(&held); err != nil {
			t.Fatal(err)
		}
		if err := db.ReadRow(testutil.AllTenants(), `SELECT count(*) FROM residents WHERE tenant_code = $1 AND mynumber_sealed IS NOT NULL`, m.Code).Scan(&numbered); err != nil {
			t.Fatal(err)
		}
		if sum.WithNumber != 4 || held != 4 || numbered != 4 {
			t.Errorf("with a My Number: summary %d, held %d, registered %d; want 4", sum.WithNumber, held, numbered)
		}
	})
}

// R-PUB-1: at the scale of a prefecture the demo loads recipients
// set-based — children in the pediatric programme, everyone else in the
// adult one — each with a certificate whose cap follows from the table;
// here at a small count, the same path as `bango demo --scale
// prefecture`.
func TestSeedPubmedScale(t *testing.T) {
	today := time.Date(2026, 12, 22, 10, 0, 0, 0, time.FixedZone("JST", 9*60*60))
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		k := testkit.New(t, db)
		m := demo.Municipalities()[0]
		k.Municipality(t, m.Code, m.Name)
		residents := resident.NewService(db, k.Vault, testkit.Quiet)
		svc, err := pubmed.NewService(db, testkit.Quiet, residents)
		if err != nil {
			t.Fatal(err)
		}
		g := demo.NewGenerator(m, 1)
		people := make([]demo.Person, 200)
		var recs []resident.Input
		for i := range people {
			people[i] = g.Next()
			recs = append(recs, resident.Input{Code: people[i].ResidentCode, NameKanji: people[i].NameKanji, NameKana: people[i].NameKana,
				Address: people[i].Address, BirthDate: pubmed.Date(people[i].BirthDate), Sex: people[i].Sex})
		}
		for _, in := range recs {
			testkit.Resident(t, residents, m.Code, in)
		}
		na, nc, err := demo.SeedPubmedScale(testutil.As("setup"), svc, m, people, today, 120, 10)
		if err != nil {
			t.Fatal(err)
		}
		if na != 120 || nc != 10 {
			t.Errorf("loaded %d 指定難病 and %d 小児慢性 recipients, want 120 and 10", na, nc)
		}
		var certs, kids int
		if err := db.ReadRow(testutil.AllTenants(), `SELECT count(*) FROM pubmed_certificates WHERE tenant_code = $1`, m.Code).Scan(&certs); err != nil {
			t.Fatal(err)
		}
		if err := db.ReadRow(testutil.AllTenants(), `SELECT count(*) FROM pubmed_certificates WHERE tenant_code = $1 AND programme = 'shoman' AND cap_basis <> ''`, m.Code).Scan(&kids); err != nil {
			t.Fatal(err)
		}
		if certs != 130 || kids != 10 {
			t.Errorf("read back %d certificates, %d pediatric", certs, kids)
		}
	})
}
