package nhi_test

import (
	"fmt"
	"testing"

	"bango/internal/errs"
	"bango/internal/nhi"
	"bango/internal/store"
	"bango/internal/testutil"
)

// R-NHI-1, R-ACC-1: a new household with a head outside NHI (擬制世帯主)
// and two insured members is one entry: invisible until a checker
// confirms it once, then both acquired into the same household with
// their own 枝番 and an audit event each; one bad member refuses the
// whole entry, naming that member's field, and writes nothing.
func TestNewHouseholdWithMembers(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.person(t, shinjuku, "310001", "スズキ　イチロウ", "1975-05-01") // the head, on employee insurance
		f.person(t, shinjuku, "310002", "スズキ　ハナコ", "1978-06-01")
		f.person(t, shinjuku, "310003", "スズキ　ジロウ", "2005-07-01")
		f.person(t, shinjuku, "310004", "スズキ　サブロウ", "2010-08-01")
		clerk := testutil.As("clerk")
		in := func(members ...nhi.MemberInput) nhi.HouseholdInput {
			return nhi.HouseholdInput{NewKigo: "新宿", NewHead: "310001", Number: "3101", NotifiedOn: "2026-11-25", Members: members}
		}
		hanako := nhi.MemberInput{ResidentCode: "310002", AcquiredOn: "2026-11-20", Reason: nhi.AcquireMoveIn, Branch: "01"}
		jiro := nhi.MemberInput{ResidentCode: "310003", AcquiredOn: "2026-11-20", Reason: nhi.AcquireLeftEmployee, Branch: "02"}

		var crowd []nhi.MemberInput
		for i := range nhi.MaxMembers + 1 {
			crowd = append(crowd, nhi.MemberInput{ResidentCode: fmt.Sprintf("3200%02d", i), AcquiredOn: "2026-11-20", Reason: nhi.AcquireMoveIn,
				Branch: fmt.Sprintf("%02d", i+1)})
		}

		// Refusals, each naming the member and field, writing nothing.
		before := rows(t, db)
		for _, tc := range []struct {
			name string
			in   nhi.HouseholdInput
			want string
		}{
			{"no member", in(), "members[0].resident_code"},
			{"too many members", in(crowd...), "members"},
			{"one member acquired before birth", in(hanako, nhi.MemberInput{ResidentCode: "310003", AcquiredOn: "2005-06-30", Reason: nhi.AcquireMoveIn, Branch: "02"}),
				"members[1].acquired_on"},
			{"the same branch twice", in(hanako, nhi.MemberInput{ResidentCode: "310003", AcquiredOn: "2026-11-20", Reason: nhi.AcquireMoveIn, Branch: "01"}),
				"members[1].branch"},
			{"the same person twice", in(hanako, nhi.MemberInput{ResidentCode: "310002", AcquiredOn: "2026-11-20", Reason: nhi.AcquireMoveIn, Branch: "02"}),
				"members[1].resident_code"},
			{"an unknown resident", in(hanako, nhi.MemberInput{ResidentCode: "319999", AcquiredOn: "2026-11-20", Reason: nhi.AcquireMoveIn, Branch: "02"}),
				"members[1].resident_code"},
			{"a member without a reason nor branch", in(hanako, nhi.MemberInput{ResidentCode: "310003", AcquiredOn: "2026-11-20"}),
				"members[1].reason"},
		} {
			_, err := f.nhi.ProposeHousehold(clerk, shinjuku, tc.in)
			if fields(err) != tc.want {
				t.Errorf("%s: %v, want field %s", tc.name, err, tc.want)
			}
		}
		if rows(t, db) != before {
			t.Fatal("a refused household entry wrote rows")
		}

		p, err := f.nhi.ProposeHousehold(clerk, shinjuku, in(hanako, jiro))
		if err != nil {
			t.Fatal(err)
		}
		c, err := f.review.Submit(clerk, f.User(t, "clerk"), shinjuku, p)
		if err != nil {
			t.Fatal(err)
		}
		if n, _, err := f.nhi.Count(clerk, shinjuku, nhi.Query{KanaPrefix: "すずき"}); err != nil || n != 0 || rows(t, db) != before {
			t.Fatalf("an unconfirmed household is visible: %d %v", n, err)
		}
		if _, err := f.review.Confirm(clerk, f.User(t, "clerk"), shinjuku, c.ID, nil); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("the clerk confirmed their own entry: %v", err)
		}
		if _, err := f.review.Confirm(testutil.As("checker"), f.User(t, "checker"), shinjuku, c.ID, nil); err != nil {
			t.Fatal(err)
		}
		page, err := f.nhi.Find(clerk, shinjuku, nhi.Query{KanaPrefix: "すずき"}, "", 0)
		if err != nil || len(page.Items) != 2 {
			t.Fatalf("after one confirmation: %+v %v", page, err)
		}
		hh := page.Items[0].Household
		// Listed by the reading: スズキ　ジロウ (枝番 02) before スズキ　ハナコ (01).
		if page.Items[1].Household != hh || page.Items[0].InsuredNumber() != "新宿・3101（02）" || page.Items[1].InsuredNumber() != "新宿・3101（01）" {
			t.Fatalf("members: %+v", page.Items)
		}
		v, err := f.nhi.Household(clerk, shinjuku, hh, "2026-11-20")
		if err != nil || !v.Exists || v.Head != "310001" || !v.PseudoHead || len(v.Members) != 2 {
			t.Fatalf("household: %+v %v", v, err)
		}
		for _, code := range []string{"310002", "310003"} {
			var n int
			if err := db.ReadRow(testutil.AllTenants(), `SELECT count(*) FROM audit_events WHERE action = 'nhi.acquire' AND subject_type = 'nhi_insured' AND subject_id = $1 AND outcome = 'ok'`,
				code).Scan(&n); err != nil || n != 1 {
				t.Errorf("audit events of %s's acquisition: %d %v", code, n, err)
			}
		}

		// A second household naming a member of the first refuses the whole
		// entry, the other member's rows included.
		before = rows(t, db)
		_, err = f.nhi.ProposeHousehold(clerk, shinjuku, nhi.HouseholdInput{NewKigo: "新宿", NewHead: "310004", Number: "3102", NotifiedOn: "2026-11-25",
			Members: []nhi.MemberInput{{ResidentCode: "310004", AcquiredOn: "2026-11-20", Reason: nhi.AcquireMoveIn, Branch: "01"},
				{ResidentCode: "310003", AcquiredOn: "2026-11-22", Reason: nhi.AcquireMoveIn, Branch: "02"}}})
		if got := fields(err); got != "members[1].acquired_on" {
			t.Fatalf("a member insured in another household: %v", err)
		}
		// The first household's head may not be insured in a second one on
		// the same date.
		_, err = f.nhi.ProposeHousehold(clerk, shinjuku, nhi.HouseholdInput{NewKigo: "新宿", NewHead: "310004", Number: "3102", NotifiedOn: "2026-11-25",
			Members: []nhi.MemberInput{{ResidentCode: "310004", AcquiredOn: "2026-11-20", Reason: nhi.AcquireMoveIn, Branch: "01"},
				{ResidentCode: "310001", AcquiredOn: "2026-11-22", Reason: nhi.AcquireMoveIn, Branch: "02"}}})
		if got := fields(err); got != "members[1].resident_code" {
			t.Fatalf("a member heading another household: %v", err)
		}
		if rows(t, db) != before {
			t.Fatal("a refused household entry wrote rows")
		}
		// An entry that no longer holds when confirmed writes nothing: its
		// second member's 枝番 taken meanwhile.
		p, err = f.nhi.ProposeHousehold(clerk, shinjuku, nhi.HouseholdInput{NewKigo: "新宿", NewHead: "310004", Number: "3101", NotifiedOn: "2026-11-25",
			Members: []nhi.MemberInput{{ResidentCode: "310004", AcquiredOn: "2026-11-20", Reason: nhi.AcquireMoveIn, Branch: "03"}}})
		if err != nil {
			t.Fatal(err)
		}
		c, err = f.review.Submit(clerk, f.User(t, "clerk"), shinjuku, p)
		if err != nil {
			t.Fatal(err)
		}
		f.person(t, shinjuku, "310005", "スズキ　シロウ", "2012-09-01")
		f.join(t, "310005", hh, "2026-11-21", "3101", "03")
		before = rows(t, db)
		if _, err := f.review.Confirm(testutil.As("checker"), f.User(t, "checker"), shinjuku, c.ID, nil); !errs.Is(err, errs.Conflict) || fields(err) != "members[0].branch" {
			t.Fatalf("a branch taken meanwhile: %v", err)
		}
		if rows(t, db) != before {
			t.Fatal("a refused confirmation wrote rows")
		}
	})
}
