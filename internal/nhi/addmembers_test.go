package nhi_test

import (
	"testing"

	"bango/internal/nhi"
	"bango/internal/store"
	"bango/internal/testutil"
)

// R-NHI-1, R-ACC-1, R-NHI-3: several members join an existing household
// in one entry: invisible until a checker confirms it once, then all
// acquired with their own 枝番, and the household's 70–74 cost share
// decided again once, counting them all; one wrong member refuses the
// whole entry naming that member's field, and an entry naming both an
// existing household and a new one is refused, writing nothing.
func TestAddMembersToHousehold(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.person(t, shinjuku, "660001", "テスト", "1954-05-10") // 72, the head
		f.person(t, shinjuku, "660002", "テスト", "1955-03-03") // 71
		f.person(t, shinjuku, "660003", "テスト", "2010-01-01")
		f.person(t, shinjuku, "660004", "テスト", "1980-01-01") // insured elsewhere
		f.person(t, sapporo, "960001", "テスト", "1980-01-01")
		hh := f.newHousehold(t, "660001", "660001", "2024-04-01", "6601")
		f.newHousehold(t, "660004", "660004", "2024-04-01", "6604")
		f.incomeOf(t, "660001", "1500000", "3000000", "2200000")
		f.incomeOf(t, "660002", "0", "2500000", "2000000")
		clerk := testutil.As("clerk")
		if _, err := f.nhi.DetermineCostShare(clerk, shinjuku, hh, "2026-08-01"); err != nil {
			t.Fatal(err)
		}
		spouse := nhi.MemberInput{ResidentCode: "660002", AcquiredOn: "2026-11-20", Reason: nhi.AcquireMoveIn, Branch: "02"}
		child := nhi.MemberInput{ResidentCode: "660003", AcquiredOn: "2026-11-20", Reason: nhi.AcquireMoveIn, Branch: "03"}
		in := func(members ...nhi.MemberInput) nhi.HouseholdInput {
			return nhi.HouseholdInput{Household: hh, Number: "6601", NotifiedOn: "2026-11-25", Members: members}
		}
		before := rows(t, db)
		for _, tc := range []struct {
			name string
			in   nhi.HouseholdInput
			want string
		}{
			{"a member of another household", in(spouse, nhi.MemberInput{ResidentCode: "660004", AcquiredOn: "2026-11-20", Reason: nhi.AcquireMoveIn}),
				"members[1].acquired_on,members[1].resident_code"},
			{"a 枝番 already used in the household", in(spouse, nhi.MemberInput{ResidentCode: "660003", AcquiredOn: "2026-11-20", Reason: nhi.AcquireMoveIn, Branch: "01"}),
				"members[1].branch"},
			{"an existing household and a new one", nhi.HouseholdInput{Household: hh, NewKigo: "新宿", NewHead: "660001", NotifiedOn: "2026-11-25",
				Members: []nhi.MemberInput{spouse}}, "household"},
			{"a resident of another municipality", in(spouse, nhi.MemberInput{ResidentCode: "960001", AcquiredOn: "2026-11-20", Reason: nhi.AcquireMoveIn, Branch: "03"}),
				"members[1].resident_code"},
		} {
			if _, err := f.nhi.ProposeHousehold(clerk, shinjuku, tc.in); fields(err) != tc.want {
				t.Errorf("%s: %v, want %s", tc.name, err, tc.want)
			}
		}
		if _, err := f.nhi.ProposeHousehold(testutil.As("sapporo"), sapporo, nhi.HouseholdInput{Household: hh, Number: "6601", NotifiedOn: "2026-11-25",
			Members: []nhi.MemberInput{{ResidentCode: "960001", AcquiredOn: "2026-11-20", Reason: nhi.AcquireMoveIn, Branch: "05"}}}); fields(err) != "not found" {
			t.Errorf("another municipality's household: %v", err)
		}
		if got := rows(t, db); got != before {
			t.Errorf("refused entries wrote %d rows", got-before)
		}
		p, err := f.nhi.ProposeHousehold(clerk, shinjuku, in(spouse, child))
		if err != nil || p.Kind != nhi.KindEstablish {
			t.Fatalf("propose: %+v %v", p, err)
		}
		c, err := f.review.Submit(clerk, f.User(t, "clerk"), shinjuku, p)
		if err != nil {
			t.Fatal(err)
		}
		if found, err := f.nhi.Find(clerk, shinjuku, nhi.Query{Household: hh, AsOf: "2026-11-30"}, "", 10); err != nil || len(found.Items) != 1 {
			t.Errorf("before confirmation: %v %v", codes(found.Items), err)
		}
		if _, err := f.review.Confirm(testutil.As("checker"), f.User(t, "checker"), shinjuku, c.ID, nil); err != nil {
			t.Fatal(err)
		}
		found, err := f.nhi.Find(clerk, shinjuku, nhi.Query{Household: hh, AsOf: "2026-11-30"}, "", 10)
		if err != nil || len(found.Items) != 3 {
			t.Fatalf("after confirmation: %v %v", codes(found.Items), err)
		}
		for _, p := range found.Items {
			if p.ResidentCode == "660003" && p.InsuredNumber() != "新宿・6601（03）" {
				t.Errorf("the child's number: %s", p.InsuredNumber())
			}
		}
		ds := f.decisions(t, hh)
		if len(ds) != 2 || ds[0].Cause != nhi.CauseHousehold || len(ds[0].Basis.Members) != 2 || ds[0].Ratio != 3 || nhi.Date(ds[0].PeriodFrom) != "2026-11-20" {
			t.Errorf("decided again once for both: %+v", ds)
		}
	})
}
