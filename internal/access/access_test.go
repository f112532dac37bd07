package access_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"bango/internal/access"
	"bango/internal/errs"
	"bango/internal/identity"
	"bango/internal/store"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
)

type fixture struct {
	*testkit.Kit
	now time.Time
}

func setup(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	f := &fixture{Kit: testkit.New(t, db), now: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	f.SetClock(func() time.Time { return f.now })
	f.Municipality(t, testkit.Shinjuku, "新宿区")
	f.Municipality(t, testkit.Sapporo, "札幌市")
	for _, s := range []testkit.Staff{
		{Login: "is-admin", Name: "情報　管理", Department: "総務部", Section: "情報システム課"},
		{Login: "is-second", Name: "情報　次席", Department: "総務部", Section: "情報システム課"},
		{Login: "head", Name: "課長　一郎", Tenant: "131041"},
		{Login: "clerk", Name: "新宿　花子", Tenant: "131041"},
		{Login: "other-clerk", Name: "別課　職員", Tenant: "131041", Department: "健康部", Section: "健康づくり課"},
		{Login: "sapporo", Name: "札幌　次郎", Tenant: "011002"},
	} {
		f.Staff(t, s)
	}
	return f
}

func (f *fixture) rights(t *testing.T, login string) access.Rights {
	t.Helper()
	r, err := f.Access.RightsOf(context.Background(), f.User(t, login).ID)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// grantHead bootstraps is-admin, has them apply for the section-head
// pattern for "head", and has is-second approve it.
func (f *fixture) grantHead(t *testing.T) {
	t.Helper()
	if _, err := f.Access.Bootstrap(testutil.As("cli:root"), f.User(t, "is-admin"), "first administrator"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"is-admin", "is-approver"} {
		f.Grant(t, "is-second", p, "")
	}
	g, err := f.Access.Apply(testutil.As("is-admin"), f.User(t, "is-admin"), f.User(t, "head"),
		access.Application{Pattern: "section-head", Tenant: "131041", Reason: "医療保険年金課長として着任"})
	if err != nil {
		t.Fatal(err)
	}
	// The applicant does not approve their own application, IS administrator or not.
	if _, err := f.Access.Approve(testutil.As("is-admin"), f.User(t, "is-admin"), g.ID, ""); !errs.Is(err, errs.Forbidden) {
		t.Fatalf("applicant approved their own application: %v", err)
	}
	if _, err := f.Access.Approve(testutil.As("is-second"), f.User(t, "is-second"), g.ID, ""); err != nil {
		t.Fatal(err)
	}
}

// R-AC-2: default patterns ship; a pattern holds only catalogue
// permissions that fit its scope.
func TestPatterns(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		if n, err := f.Access.SeedDefaults(testutil.As("setup")); err != nil || n != 0 {
			t.Fatalf("second seed added %d, %v", n, err)
		}
		ps, err := f.Access.Patterns(context.Background())
		if err != nil || len(ps) != len(access.DefaultPatterns) {
			t.Fatalf("patterns: %d, %v", len(ps), err)
		}
		bad := []access.Pattern{
			{Code: "x1", Name: "n", Scope: access.ScopeTenant, Permissions: []access.Permission{"resident.delete"}},
			{Code: "x2", Name: "n", Scope: access.ScopeTenant, Permissions: []access.Permission{access.UserAdmin}},
			{Code: "x3", Name: "n", Scope: access.ScopeSystem, Permissions: []access.Permission{access.MyNumberReveal}},
			{Code: "X 4", Name: "n", Scope: access.ScopeTenant, Permissions: []access.Permission{access.ResidentRead}},
			{Code: "x5", Name: "", Scope: "union", Permissions: nil},
		}
		// A change is made by one person and applied in the confirming
		// transaction (review engine); here applied directly.
		apply := func(p access.Pattern) (access.PatternProposal, access.Pattern, error) {
			pp, err := f.Access.PatternChange(testutil.As("is-admin"), p)
			if err != nil {
				return pp, access.Pattern{}, err
			}
			if err := db.Transact(testutil.As("is-approver"), func(tx *store.Tx) error { return f.Access.ApplyPattern(testutil.As("is-approver"), tx, "", pp.Payload) }); err != nil {
				return pp, access.Pattern{}, err
			}
			got, err := f.Access.Pattern(testutil.As("is-admin"), p.Code)
			return pp, got, err
		}
		for _, p := range bad {
			if _, _, err := apply(p); !errs.Is(err, errs.Invalid) {
				t.Errorf("pattern %s accepted: %v", p.Code, err)
			}
		}
		pp, p, err := apply(access.Pattern{Code: "kyufu-clerk", Name: "給付担当", Affiliation: "国保年金課", Job: "療養費の支給",
			Scope: access.ScopeTenant, Permissions: []access.Permission{access.ResidentRead, access.ResidentRead}})
		if err != nil || len(p.Permissions) != 1 || p.Builtin || !pp.New {
			t.Fatalf("create: %+v, %v", p, err)
		}
		p.Permissions = append(p.Permissions, access.MyNumberEnter)
		p.Scope = access.ScopeSystem // ignored: a pattern's scope does not change
		stale, err := f.Access.PatternChange(testutil.As("is-admin"), access.Pattern{Code: p.Code, Name: p.Name, Permissions: []access.Permission{access.ReviewConfirm}})
		if err != nil {
			t.Fatal(err)
		}
		if pp, p, err = apply(p); err != nil || len(p.Permissions) != 2 || p.Scope != access.ScopeTenant ||
			!slices.Equal(pp.Added, []access.Permission{access.MyNumberEnter}) || len(pp.Removed) != 0 || !strings.Contains(pp.Summary, "追加: mynumber.enter / 削除: なし") {
			t.Fatalf("update: %+v %+v, %v", pp, p, err)
		}
		// A change made before another was applied cannot undo it.
		if err := db.Transact(testutil.As("is-approver"), func(tx *store.Tx) error {
			return f.Access.ApplyPattern(testutil.As("is-approver"), tx, "", stale.Payload)
		}); !errs.Is(err, errs.Conflict) {
			t.Fatalf("stale change applied: %v", err)
		}
		if _, _, err := apply(p); !errs.Is(err, errs.Invalid) {
			t.Fatalf("a change that changes nothing: %v", err)
		}
		if ev := testutil.Outcomes(t, f.DB, "pattern.update"); len(ev) != 1 || !strings.Contains(ev[0], "from=resident.read to=mynumber.enter,resident.read") {
			t.Fatalf("events = %q", ev)
		}
	})
}

// R-AC-3: a section head applies, an IS administrator approves; the
// three are different people; the grant gives rights in its municipality
// only, from its start to its end.
func TestGrantWorkflow(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.grantHead(t)
		head, clerk := f.User(t, "head"), f.User(t, "clerk")
		if r := f.rights(t, "head"); !r.Has(access.GrantApply, "131041") || r.Has(access.GrantApply, "011002") || r.Has(access.UserAdmin, "") {
			t.Fatalf("head's rights wrong: %+v", r)
		}
		app := access.Application{Pattern: "nhi-clerk", Tenant: "131041", Until: f.now.Add(30 * 24 * time.Hour), Reason: "国保資格の入力"}

		// Refusals: for oneself, outside one's section, another municipality, unknown tenant.
		cases := []struct {
			who, grantee string
			a            access.Application
			kind         errs.Kind
		}{
			{"head", "head", app, errs.Forbidden},
			{"head", "other-clerk", app, errs.Forbidden},
			{"head", "sapporo", app, errs.Forbidden},
			{"head", "clerk", access.Application{Pattern: "nhi-clerk", Tenant: "011002", Reason: "x"}, errs.Forbidden},
			{"head", "clerk", access.Application{Pattern: "nhi-clerk", Tenant: "999999", Reason: "x"}, errs.Invalid},
			{"head", "clerk", access.Application{Pattern: "nhi-clerk", Tenant: "131041"}, errs.Invalid},
			// R-AC-4: a reason that writes out a My Number is refused.
			{"head", "clerk", access.Application{Pattern: "nhi-clerk", Tenant: "131041", Reason: "123456789018の入力のため"}, errs.Invalid},
			{"head", "clerk", access.Application{Pattern: "is-admin", Tenant: "", Reason: "x"}, errs.Forbidden},
			{"clerk", "head", app, errs.Forbidden},
		}
		for i, c := range cases {
			if _, err := f.Access.Apply(testutil.As(c.who), f.User(t, c.who), f.User(t, c.grantee), c.a); !errs.Is(err, c.kind) {
				t.Errorf("case %d (%s for %s): %v, want %v", i, c.who, c.grantee, err, c.kind)
			}
		}
		if ev := testutil.Outcomes(t, f.DB, "grant.apply"); len(ev) != 1+len(cases) {
			t.Fatalf("apply events = %d, want %d (every refusal audited)", len(ev), 1+len(cases))
		}

		g, err := f.Access.Apply(testutil.As("head"), head, clerk, app)
		if err != nil || g.Status != access.Pending || g.Applicant != "head" {
			t.Fatalf("apply: %+v, %v", g, err)
		}
		if _, err := f.Access.Apply(testutil.As("head"), head, clerk, app); !errs.Is(err, errs.Conflict) {
			t.Fatalf("duplicate application: %v", err)
		}
		if f.rights(t, "clerk").Has(access.ResidentWrite, "131041") {
			t.Fatal("a pending grant gives rights")
		}
		// Neither the applicant nor the grantee approves; nor anyone without grant.approve.
		for _, who := range []string{"head", "clerk"} {
			if _, err := f.Access.Approve(testutil.As(who), f.User(t, who), g.ID, ""); !errs.Is(err, errs.Forbidden) {
				t.Fatalf("%s approved: %v", who, err)
			}
		}
		if _, err := f.Access.Reject(testutil.As("is-admin"), f.User(t, "is-admin"), g.ID, ""); !errs.Is(err, errs.Invalid) {
			t.Fatalf("reject without a reason: %v", err)
		}
		if g, err = f.Access.Approve(testutil.As("is-admin"), f.User(t, "is-admin"), g.ID, "確認済み"); err != nil || g.Status != access.Approved || g.DecidedBy != "is-admin" {
			t.Fatalf("approve: %+v, %v", g, err)
		}
		if _, err := f.Access.Approve(testutil.As("is-second"), f.User(t, "is-second"), g.ID, ""); !errs.Is(err, errs.Conflict) {
			t.Fatalf("second approval: %v", err)
		}
		r := f.rights(t, "clerk")
		if !r.Has(access.ResidentWrite, "131041") || r.Has(access.ResidentWrite, "011002") || r.Has(access.MyNumberReveal, "131041") {
			t.Fatalf("clerk's rights wrong")
		}
		// The grant ends by itself at its end date.
		f.now = f.now.Add(30*24*time.Hour + time.Second)
		if f.rights(t, "clerk").Has(access.ResidentWrite, "131041") {
			t.Fatal("an ended grant still gives rights")
		}
		if ev := testutil.Outcomes(t, f.DB, "grant.approve"); len(ev) != 6 || !strings.Contains(ev[0], "cannot approve") || !strings.HasPrefix(ev[4], "ok grant=") || !strings.Contains(ev[5], "not pending") {
			t.Fatalf("approve events = %q", ev)
		}
	})
}

// R-AC-3: revocation by the section head, and transfer revoking every
// grant in the transfer's own transaction.
func TestRevokeAndTransfer(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.grantHead(t)
		head, clerk := f.User(t, "head"), f.User(t, "clerk")
		var ids []int64
		for _, p := range []string{"nhi-clerk", "number-viewer"} {
			g, err := f.Access.Apply(testutil.As("head"), head, clerk, access.Application{Pattern: p, Tenant: "131041", Reason: "配置"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.Access.Approve(testutil.As("is-admin"), f.User(t, "is-admin"), g.ID, ""); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, g.ID)
		}
		if _, err := f.Access.Revoke(testutil.As("other-clerk"), f.User(t, "other-clerk"), ids[1], "x"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("revoke without the right: %v (want not found)", err)
		}
		// The head of another section of the same municipality may not either.
		f.Grant(t, "other-clerk", "section-head", "131041")
		if _, err := f.Access.Revoke(testutil.As("other-clerk"), f.User(t, "other-clerk"), ids[1], "x"); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("revoke by another section's head: %v", err)
		}
		if _, err := f.Access.Revoke(testutil.As("head"), head, ids[1], "123456789018の閲覧は不要"); errs.Fields(err) == nil { // R-AC-4
			t.Fatalf("a reason holding a My Number: %v", err)
		}
		if g, err := f.Access.Revoke(testutil.As("head"), head, ids[1], "番号閲覧は不要になった"); err != nil || g.Status != access.Revoked {
			t.Fatalf("revoke: %+v %v", g, err)
		}
		r := f.rights(t, "clerk")
		if r.Has(access.MyNumberReveal, "131041") || !r.Has(access.ResidentWrite, "131041") {
			t.Fatal("revocation took the wrong rights")
		}
		if err := f.Users.Transfer(testutil.As("is-admin"), "clerk", identity.NewUser{Tenant: "131041", Department: "健康部", Section: "健康づくり課"}); err != nil {
			t.Fatal(err)
		}
		if !f.rights(t, "clerk").Empty() {
			t.Fatal("rights survive a transfer")
		}
		if ev := testutil.Outcomes(t, f.DB, "user.transfer"); len(ev) != 1 || !strings.Contains(ev[0], "grants_revoked=1") {
			t.Fatalf("transfer event = %q", ev)
		}
		if g, _ := f.Access.Grant(context.Background(), ids[0]); g.Status != access.Revoked || g.RevokeReason != "personnel transfer" {
			t.Fatalf("grant after transfer: %+v", g)
		}
	})
}

// R-AC-3: bootstrap only while nobody can approve; the database itself
// refuses a grant approved by its grantee.
func TestBootstrapAndConstraints(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		if _, err := f.Access.Bootstrap(testutil.As("cli:root"), f.User(t, "is-admin"), "first"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Access.Bootstrap(testutil.As("cli:root"), f.User(t, "is-second"), "second"); !errs.Is(err, errs.Conflict) {
			t.Fatalf("second bootstrap: %v", err)
		}
		u := f.User(t, "clerk")
		_, err := db.SQL().ExecContext(context.Background(), `INSERT INTO access_grants (user_id, pattern_id, tenant_code, valid_from, reason, status, applicant_id, applied_at, decided_by)
			VALUES ($1, (SELECT id FROM access_patterns WHERE code = 'nhi-clerk'), '131041', $2, 'x', 'approved', $3, $2, $1)`, u.ID, f.now, f.User(t, "head").ID)
		if err == nil {
			t.Fatal("the database accepted a grant approved by its own grantee")
		}
	})
}

// R-AC-3: a new system's first administrator cannot approve a grant they
// applied for, so the server's operator makes one second approver; then
// the workflow runs with two people, and the way is closed.
func TestSecondApproverOfANewSystem(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		root := testutil.As("cli:root")
		admin, second := f.User(t, "is-admin"), f.User(t, "is-second")
		if _, err := f.Access.SecondApprover(root, second, "before anyone"); !errs.Is(err, errs.Conflict) {
			t.Fatalf("a second approver before the first: %v", err)
		}
		if _, err := f.Access.Bootstrap(root, admin, "first"); err != nil {
			t.Fatal(err)
		}
		// The first administrator alone: their application for another
		// approver has nobody who may approve it.
		g, err := f.Access.Apply(testutil.As("is-admin"), admin, second, access.Application{Pattern: "is-approver", Reason: "二人目の承認者"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Access.Approve(testutil.As("is-admin"), admin, g.ID, ""); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("the applicant approved their own application: %v", err)
		}
		if _, err := f.Access.SecondApprover(root, admin, "again"); !errs.Is(err, errs.Conflict) {
			t.Fatalf("the approver made approver again: %v", err)
		}
		sg, err := f.Access.SecondApprover(root, second, "二人目の承認者（初期設定）")
		if err != nil {
			t.Fatal(err)
		}
		if sg.Status != access.Approved || !f.rights(t, "is-second").Has(access.GrantApprove, "") {
			t.Fatalf("the second approver's grant: %+v", sg)
		}
		if n := testutil.CountEvents(t, db, `action = 'grant.bootstrap' AND subject_id = 'is-second'`); n != 1 {
			t.Fatalf("%d grant.bootstrap events for the second approver", n)
		}
		// Now the workflow runs: the second approver approves the first
		// administrator's application for someone else.
		h, err := f.Access.Apply(testutil.As("is-admin"), admin, f.User(t, "head"), access.Application{Pattern: "section-head", Tenant: "131041", Reason: "課長として着任"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Access.Approve(testutil.As("is-second"), second, h.ID, ""); err != nil {
			t.Fatalf("the second approver could not approve: %v", err)
		}
		// And the way is closed: two people approve.
		if _, err := f.Access.SecondApprover(root, f.User(t, "clerk"), "a third"); !errs.Is(err, errs.Conflict) {
			t.Fatalf("a third approver without the workflow: %v", err)
		}
	})
}

// R-AC-3: an application does not outlive what it relied on: a grantee
// transferred before approval cannot be approved, and a transferred
// applicant's pending applications are withdrawn.
func TestStaleApplications(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.grantHead(t)
		g, err := f.Access.Apply(testutil.As("head"), f.User(t, "head"), f.User(t, "clerk"), access.Application{Pattern: "nhi-clerk", Tenant: "131041", Reason: "配置"})
		if err != nil {
			t.Fatal(err)
		}
		// The clerk moves to another section before the approval; the
		// transfer withdraws their pending grant, so approval fails.
		if err := f.Users.Transfer(testutil.As("is-admin"), "clerk", identity.NewUser{Tenant: "131041", Department: "健康部", Section: "健康づくり課"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Access.Approve(testutil.As("is-second"), f.User(t, "is-second"), g.ID, ""); !errs.Is(err, errs.Conflict) {
			t.Fatalf("approving a withdrawn application: %v", err)
		}
		// The head applies for another clerk and loses grant.apply before
		// the approval: the application no longer stands.
		if _, _, err := f.Users.Create(testutil.As("setup"), identity.NewUser{LoginID: "clerk3", Name: "三番　花子", Tenant: "131041", Department: "健康部", Section: "医療保険年金課"}); err != nil {
			t.Fatal(err)
		}
		g3, err := f.Access.Apply(testutil.As("head"), f.User(t, "head"), f.User(t, "clerk3"), access.Application{Pattern: "nhi-clerk", Tenant: "131041", Reason: "配置"})
		if err != nil {
			t.Fatal(err)
		}
		heads, _ := f.Access.Grants(context.Background(), access.GrantFilter{LoginID: "head", Status: access.Approved})
		f.now = f.now.Add(time.Minute)
		if _, err := f.Access.Revoke(testutil.As("is-admin"), f.User(t, "is-admin"), heads.Items[0].ID, "課長交代"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Access.Approve(testutil.As("is-second"), f.User(t, "is-second"), g3.ID, ""); !errs.Is(err, errs.Conflict) || !strings.Contains(err.Error(), "no longer holds grant.apply") {
			t.Fatalf("approving an application whose applicant lost the right: %v", err)
		}
		f.Grant(t, "head", "section-head", "131041")
		// The head applies for another clerk, then is transferred: the
		// application is withdrawn with them.
		if _, _, err := f.Users.Create(testutil.As("setup"), identity.NewUser{LoginID: "clerk2", Name: "二番　花子", Tenant: "131041", Department: "健康部", Section: "医療保険年金課"}); err != nil {
			t.Fatal(err)
		}
		g2, err := f.Access.Apply(testutil.As("head"), f.User(t, "head"), f.User(t, "clerk2"), access.Application{Pattern: "nhi-clerk", Tenant: "131041", Reason: "配置"})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Users.Transfer(testutil.As("is-admin"), "head", identity.NewUser{Tenant: "131041", Department: "総務部", Section: "総務課"}); err != nil {
			t.Fatal(err)
		}
		if got, _ := f.Access.Grant(context.Background(), g2.ID); got.Status != access.Withdrawn {
			t.Fatalf("application of a transferred applicant: %s", got.Status)
		}
	})
}
