package demo_test

import (
	"testing"
	"time"

	"bango/internal/demo"
	"bango/internal/export"
	"bango/internal/module"
	"bango/internal/nhi"
	"bango/internal/resident"
	"bango/internal/review"
	"bango/internal/store"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
)

// The demo's NHI data (issue 18): about a quarter of the residents
// insured, entered through the service and confirmed by another staff
// member, and consistent with what the service reads back: heads outside
// NHI, 70–74 households of each ratio, pre-school children, the next 75th
// birthday scheduled, a split and a loss in the history, documents.
func TestSeedNHI(t *testing.T) {
	today := time.Date(2026, 12, 2, 10, 0, 0, 0, time.FixedZone("JST", 9*60*60))
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		k := testkit.New(t, db)
		m := demo.Municipalities()[0]
		k.Municipality(t, m.Code, m.Name)
		residents := resident.NewService(db, k.Vault, testkit.Quiet)
		rv := review.NewService(db, k.Vault, k.Access)
		svc := nhi.NewService(db, testkit.Quiet)
		svc.SetClock(func() time.Time { return today })
		rv.SetClock(func() time.Time { return today })
		if err := module.Install([]module.Module{module.Access(k.Access), residents.Module(), svc.Module()}, rv, export.NewService(db, k.Access)); err != nil {
			t.Fatal(err)
		}
		maker := k.Staff(t, testkit.Staff{Login: "clerk", Tenant: m.Code, Patterns: []string{"nhi-clerk"}})
		checker := k.Staff(t, testkit.Staff{Login: "checker", Tenant: m.Code, Patterns: []string{"nhi-checker"}})
		g := demo.NewGenerator(m, 1)
		people := make([]demo.Person, 240)
		for i := range people {
			people[i] = g.Next()
			in := resident.Input{Code: people[i].ResidentCode, NameKanji: people[i].NameKanji, NameKana: people[i].NameKana, Address: people[i].Address,
				BirthDate: nhi.Date(people[i].BirthDate), Sex: people[i].Sex}
			testkit.Resident(t, residents, m.Code, in)
		}
		sum, err := demo.SeedNHI(testutil.As("setup"), demo.NHIStaff{Service: svc, Review: rv, Maker: maker, Checker: checker}, m, people, today)
		if err != nil {
			t.Fatal(err)
		}
		count := func(q string, args ...any) int {
			t.Helper()
			var n int
			if err := db.ReadRow(testutil.AllTenants(), q, args...).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		// About a quarter, each insured once, in the households counted.
		if n := count(`SELECT count(*) FROM nhi_insured WHERE tenant_code = $1`, m.Code); n != sum.Insured || n < len(people)/4 || n > len(people)/4+4 {
			t.Errorf("%d insured (summary %d) of %d residents", n, sum.Insured, len(people))
		}
		if n := count(`SELECT count(*) FROM nhi_households WHERE tenant_code = $1`, m.Code); n != sum.Households {
			t.Errorf("%d households, summary %d", n, sum.Households)
		}
		// Every entry was a proposal confirmed by the checker.
		if n := count(`SELECT count(*) FROM review_changes WHERE tenant_code = $1 AND kind LIKE 'nhi.%' AND status <> 'confirmed'`, m.Code); n != 0 {
			t.Errorf("%d NHI changes not confirmed", n)
		}
		if n := count(`SELECT count(*) FROM review_changes WHERE tenant_code = $1 AND kind = 'nhi.acquire'`, m.Code); n != sum.Insured {
			t.Errorf("%d acquisitions entered, want %d", n, sum.Insured)
		}
		// Insured today: all but the one who left for employee insurance.
		clerk := testutil.As("clerk")
		n, _, err := svc.Count(clerk, m.Code, nhi.Query{})
		if err != nil || n != sum.Insured-1 || sum.Lost == "" {
			t.Errorf("insured today: %d %v, want %d (lost %q)", n, err, sum.Insured-1, sum.Lost)
		}
		if sum.PseudoHeads == 0 || sum.Children == 0 || sum.Elderly < 2 {
			t.Errorf("summary lacks a kind of household or member: %+v", sum)
		}
		// 70–74: one household of each ratio, every one decided, as recorded.
		cs := sum.CostShare
		if cs.Ratio2 == 0 || cs.Ratio3 == 0 || len(cs.Refused) != 0 || cs.Decided != cs.Ratio2+cs.Ratio3 || cs.Households != cs.Decided {
			t.Errorf("cost share: %+v", cs)
		}
		if n := count(`SELECT count(*) FROM nhi_cost_share_decisions WHERE tenant_code = $1 AND ratio = 2`, m.Code); n != cs.Ratio2 {
			t.Errorf("%d 2割 decisions recorded, report %d", n, cs.Ratio2)
		}
		if r, err := svc.RedetermineCostShares(clerk, m.Code, 2026); err != nil || r.Decided != 0 || r.Unchanged != cs.Decided {
			t.Errorf("the demo's decisions do not stand: %+v %v", r, err)
		}
		// The next 75th birthday is scheduled; the split is in the timeline.
		rec, err := svc.Get(clerk, m.Code, sum.Upcoming75, "")
		if err != nil || !rec.ScheduledLoss.Equal(sum.Upcoming75s) || !sum.Upcoming75s.After(today) {
			t.Errorf("the next 75th birthday: %+v %v (summary %s)", rec.ScheduledLoss, err, nhi.Date(sum.Upcoming75s))
		}
		hv, err := svc.Household(clerk, m.Code, sum.Split, "")
		if err != nil || len(hv.Moves) == 0 || hv.Versions[0].Event != "establish" {
			t.Errorf("split household: %+v %v", hv, err)
		}
		// Documents: the lost person's are invalidated; a 被保険者証 is history.
		docs, err := svc.Documents(clerk, m.Code, sum.Lost)
		if err != nil || len(docs) == 0 || docs[0].Status != "invalidated" {
			t.Errorf("documents of the person who left: %+v %v", docs, err)
		}
		if n := count(`SELECT count(*) FROM nhi_documents WHERE tenant_code = $1`, m.Code); n != sum.Documents {
			t.Errorf("%d documents, summary %d", n, sum.Documents)
		}
		if n := count(`SELECT count(*) FROM nhi_documents WHERE tenant_code = $1 AND kind = 'card'`, m.Code); n != 1 {
			t.Errorf("%d 被保険者証 of history, want 1", n)
		}
	})
}
