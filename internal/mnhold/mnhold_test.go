package mnhold_test

import (
	"context"
	"testing"
	"time"

	"bango/internal/civil"
	"bango/internal/mnhold"
	"bango/internal/mynumber"
	"bango/internal/resident"
	"bango/internal/store"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
)

func number(first11 string) string { return first11 + string(mynumber.CheckDigit(first11)) }

// hasNumber says whether resident code of Shinjuku still has a sealed
// number and a blind index.
func hasNumber(t *testing.T, db *store.DB, code string) bool {
	t.Helper()
	var sealed, idx []byte
	if err := db.ReadRow(testutil.AllTenants(), `SELECT mynumber_sealed, mynumber_bidx FROM residents WHERE tenant_code = $1 AND code = $2`,
		testkit.Shinjuku, code).Scan(&sealed, &idx); err != nil {
		t.Fatal(err)
	}
	if (sealed == nil) != (idx == nil) {
		t.Fatalf("%s: sealed and index disagree", code)
	}
	return sealed != nil
}

func hold(t *testing.T, db *store.DB, fn func(ctx context.Context, tx *store.Tx) error) {
	t.Helper()
	ctx := store.WithScope(testutil.As("clerk"), testkit.Shinjuku)
	if err := db.Transact(ctx, func(tx *store.Tx) error { return fn(ctx, tx) }); err != nil {
		t.Fatal(err)
	}
}

// R-STO-2: a number held only for a business whose need has ended is
// deleted (sealed value and blind index) the day after its last needed
// day, not on that day; one another business still holds stays; one no
// business ever held is not touched; each deletion is reported and is an
// audit event.
func TestRetentionDeletesTheDayAfter(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		k := testkit.New(t, db)
		k.Municipality(t, testkit.Shinjuku, "新宿区")
		k.Municipality(t, testkit.Sapporo, "札幌市")
		res := resident.NewService(db, k.Vault, testkit.Quiet)
		testkit.Resident(t, res, testkit.Shinjuku, testkit.Person("100001", number("12345678901")))
		testkit.Resident(t, res, testkit.Shinjuku, testkit.Person("100002", number("23456789012")))
		testkit.Resident(t, res, testkit.Shinjuku, testkit.Person("100003", number("34567890123")))
		since := civil.Date(2020, 4, 1)
		last := civil.Date(2026, 3, 31)
		hold(t, db, func(ctx context.Context, tx *store.Tx) error {
			for _, h := range []struct{ code, business string }{{"100001", "pubmed"}, {"100002", "pubmed"}, {"100002", "nhi"}} {
				if err := mnhold.Hold(ctx, tx, testkit.Shinjuku, h.code, h.business, since); err != nil {
					return err
				}
			}
			for _, code := range []string{"100001", "100002"} {
				if ok, err := mnhold.End(ctx, tx, testkit.Shinjuku, code, "pubmed", last); err != nil || !ok {
					t.Errorf("End(%s) = %v, %v", code, ok, err)
				}
			}
			ok, err := mnhold.End(ctx, tx, testkit.Shinjuku, "100003", "pubmed", last)
			if ok {
				t.Error("End of a hold that does not exist reported one")
			}
			return err
		})
		svc := mnhold.New(db, res)
		ctx := testutil.As("system:jobs")
		r, err := svc.Run(ctx, testkit.Shinjuku, last)
		if err != nil {
			t.Fatal(err)
		}
		if r.Ended != 0 || r.Deleted != 0 || !hasNumber(t, db, "100001") {
			t.Fatalf("on the last needed day: %+v, number kept %v; want nothing ended", r, hasNumber(t, db, "100001"))
		}
		if r, err = svc.Run(ctx, testkit.Sapporo, last.AddDate(0, 0, 1)); err != nil || r.Ended != 0 {
			t.Fatalf("another municipality's run ended %d (%v)", r.Ended, err)
		}
		if !hasNumber(t, db, "100001") {
			t.Fatal("another municipality's run deleted Shinjuku's number")
		}
		r, err = svc.Run(ctx, testkit.Shinjuku, last.AddDate(0, 0, 1))
		if err != nil {
			t.Fatal(err)
		}
		if r.Ended != 2 || r.Deleted != 1 {
			t.Errorf("the day after: %+v, want 2 holds ended and 1 number deleted", r)
		}
		if hasNumber(t, db, "100001") {
			t.Error("100001's number was kept after its only hold ended")
		}
		if !hasNumber(t, db, "100002") {
			t.Error("100002's number was deleted though NHI still holds it")
		}
		if !hasNumber(t, db, "100003") {
			t.Error("100003's number, never held by a business, was deleted")
		}
		if held, err := svc.Held(ctx, testkit.Shinjuku, "100002"); err != nil || len(held) != 1 || held[0] != "nhi" {
			t.Errorf("100002 held by %v (%v), want [nhi]", held, err)
		}
		page, err := svc.Deletions(ctx, testkit.Shinjuku, "", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != 1 || page.Items[0].Resident != "100001" || !page.Items[0].DeletedOn.Equal(last.AddDate(0, 0, 1)) ||
			!page.Items[0].NeededUntil.Equal(last) || page.Items[0].Businesses[0] != "pubmed" {
			t.Errorf("report = %+v", page.Items)
		}
		if n := testutil.CountEvents(t, db, `action = 'mynumber.delete' AND subject_id = '100001'`); n != 1 {
			t.Errorf("%d deletion events, want 1", n)
		}
		if n := testutil.CountEvents(t, db, `action = 'mynumber.hold.end'`); n != 2 {
			t.Errorf("%d hold-end events, want 2", n)
		}
		if ran, err := svc.RanIn(ctx, testkit.Shinjuku, last.AddDate(0, 0, 1)); err != nil || !ran {
			t.Errorf("the month's run is not recorded (%v)", err)
		}
		// A later run deletes nothing twice; a new hold of the person with
		// a new number opens anew.
		if r, err = svc.Run(ctx, testkit.Shinjuku, last.AddDate(0, 1, 0)); err != nil || r.Ended != 0 || r.Deleted != 0 {
			t.Errorf("a later run: %+v (%v)", r, err)
		}
		hold(t, db, func(ctx context.Context, tx *store.Tx) error {
			return mnhold.Hold(ctx, tx, testkit.Shinjuku, "100001", "pubmed", time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
		})
		if held, err := svc.Held(ctx, testkit.Shinjuku, "100001"); err != nil || len(held) != 1 {
			t.Errorf("100001 held again by %v (%v)", held, err)
		}
	})
}

// R-STO-2: a hold whose last needed day a business set by a retention rule
// (EndBy) records the rule, and the decisions that follow name it: the
// setting is an event with the rule's version, file, municipality and
// period; the run's hold-end events, the deletion in the report and the
// month's run record say which rule each hold ended by ("none" for a hold
// whose business set its day itself).
func TestRunRecordsTheRule(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		k := testkit.New(t, db)
		k.Municipality(t, testkit.Shinjuku, "新宿区")
		res := resident.NewService(db, k.Vault, testkit.Quiet)
		testkit.Resident(t, res, testkit.Shinjuku, testkit.Person("100001", number("12345678901")))
		testkit.Resident(t, res, testkit.Shinjuku, testkit.Person("100002", number("23456789012")))
		ret, err := mnhold.DefaultRetention()
		if err != nil {
			t.Fatal(err)
		}
		rule, _ := ret.For("pubmed", testkit.Shinjuku, civil.Date(2020, 3, 31))
		hold(t, db, func(ctx context.Context, tx *store.Tx) error {
			for _, code := range []string{"100001", "100002"} {
				if err := mnhold.Hold(ctx, tx, testkit.Shinjuku, code, "pubmed", civil.Date(2019, 4, 1)); err != nil {
					return err
				}
			}
			if ok, err := mnhold.EndBy(ctx, tx, testkit.Shinjuku, "100001", "pubmed", civil.Date(2020, 3, 31), rule); err != nil || !ok {
				t.Errorf("EndBy = %v, %v", ok, err)
			}
			_, err := mnhold.End(ctx, tx, testkit.Shinjuku, "100002", "pubmed", civil.Date(2025, 3, 31))
			return err
		})
		if n := testutil.CountEvents(t, db, `action = 'mynumber.hold.retention' AND subject_id = '100001' AND detail LIKE
			'%need_ended=2020-03-31 needed_until=2025-03-31 rule=retention-pubmed-2015-01 file=retention-pubmed-2015-01.json municipality=default effective_from=2015-01-01 years=5%'`); n != 1 {
			t.Errorf("%d events naming the rule that set the last needed day, want 1", n)
		}
		svc := mnhold.New(db, res)
		r, err := svc.Run(testutil.As("system:jobs"), testkit.Shinjuku, civil.Date(2025, 4, 1))
		if err != nil {
			t.Fatal(err)
		}
		if r.Deleted != 2 || r.Rules != "none(1),retention-pubmed-2015-01:5y(1)" {
			t.Errorf("run: %+v", r)
		}
		if n := testutil.CountEvents(t, db, `action = 'mynumber.hold.end' AND subject_id = '100001' AND detail LIKE '%rule=retention-pubmed-2015-01:5y'`); n != 1 {
			t.Errorf("%d hold-end events naming the rule, want 1", n)
		}
		if n := testutil.CountEvents(t, db, `action = 'mynumber.hold.run' AND detail LIKE '%rules=none(1),retention-pubmed-2015-01:5y(1)'`); n != 1 {
			t.Errorf("%d run events naming the rules, want 1", n)
		}
		page, err := svc.Deletions(testutil.As("clerk"), testkit.Shinjuku, "", 10)
		if err != nil || len(page.Items) != 2 {
			t.Fatalf("report: %+v %v", page.Items, err)
		}
		got := map[string]string{}
		for _, d := range page.Items {
			got[d.Resident] = d.Rules
		}
		if got["100001"] != "pubmed=retention-pubmed-2015-01:5y" || got["100002"] != "pubmed=none" {
			t.Errorf("the deletions' rules: %v", got)
		}
		runs, err := svc.Runs(testutil.As("clerk"), testkit.Shinjuku)
		if err != nil || len(runs) != 1 || runs[0].Rules != r.Rules {
			t.Errorf("the run record: %+v %v", runs, err)
		}
	})
}
