package access_test

import (
	"strconv"
	"strings"
	"testing"

	"bango/internal/access"
	"bango/internal/errs"
	"bango/internal/store"
	"bango/internal/testutil"
)

// Issue 17: a refused application or decision tells staff, in their
// language, what happened and what to do, by names and not by keys;
// the kind and the English message for logs and the API stay.
func TestRefusalsSpeakToStaff(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.grantHead(t)
		head, clerk := f.User(t, "head"), f.User(t, "clerk")
		app := access.Application{Pattern: "nhi-clerk", Tenant: "131041", Reason: "国保資格の入力"}
		g, err := f.Access.Apply(testutil.As("head"), head, clerk, app)
		if err != nil {
			t.Fatal(err)
		}
		_, own := f.Access.Apply(testutil.As("head"), head, head, app)
		_, section := f.Access.Apply(testutil.As("head"), head, f.User(t, "other-clerk"), app)
		_, dup := f.Access.Apply(testutil.As("head"), head, clerk, app)
		// is-admin, who may approve, applies for someone and may not decide it.
		byAdmin, err := f.Access.Apply(testutil.As("is-admin"), f.User(t, "is-admin"), clerk, access.Application{Pattern: "number-viewer", Tenant: "131041", Reason: "事後確認"})
		if err != nil {
			t.Fatal(err)
		}
		_, mine := f.Access.Approve(testutil.As("is-admin"), f.User(t, "is-admin"), byAdmin.ID, "")
		_, noRight := f.Access.Approve(testutil.As("clerk"), clerk, g.ID, "")
		if _, err := f.Access.Approve(testutil.As("is-second"), f.User(t, "is-second"), g.ID, ""); err != nil {
			t.Fatal(err)
		}
		_, again := f.Access.Approve(testutil.As("is-second"), f.User(t, "is-second"), g.ID, "")
		_, same := f.Access.PatternChange(testutil.As("is-admin"), mustPattern(t, f, "nhi-clerk"))
		for _, c := range []struct {
			name   string
			err    error
			kind   errs.Kind
			public string
		}{
			{"own rights", own, errs.Forbidden, "nobody applies for their own rights"},
			{"another section", section, errs.Forbidden, "other-clerk is not a member of the applicant's section (健康部 医療保険年金課)"},
			{"duplicate", dup, errs.Conflict, `clerk already holds or awaits pattern nhi-clerk for "131041"`},
			{"one's own application", mine, errs.Forbidden, "you may not decide this: the applicant and the grantee cannot approve, reject or withdraw each other's applications"},
			{"no grant.approve", noRight, errs.Forbidden, "clerk may not decide on rights (no grant.approve)"},
			{"decided", again, errs.Conflict, "grant " + strconv.FormatInt(g.ID, 10) + " is approved, not pending"},
			{"nothing changes", same, errs.Invalid, "pattern nhi-clerk: nothing would change"},
		} {
			testutil.Told(t, c.name, c.err, c.kind, c.public, testutil.DeveloperWords)
		}
		// The right lacking is named as the catalogue names it.
		if ja, _ := errs.Told(noRight, "ja"); !strings.Contains(ja, "権限付与の承認") {
			t.Errorf("the lacking right is not named: %q", ja)
		}
		if ja, _ := errs.Told(section, "ja"); !strings.Contains(ja, "別課　職員") {
			t.Errorf("the staff member is not named: %q", ja)
		}
	})
}

// Issue 17: a permission that does not fit the pattern's scope is named
// by its name beside the permissions field, never by its key.
func TestPatternPermissionsByName(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		p := access.Pattern{Code: "mixed", Name: "混在", Scope: access.ScopeTenant, Permissions: []access.Permission{access.ResidentRead, access.UserAdmin}}
		_, err := f.Access.PatternChange(testutil.As("is-admin"), p)
		fs := errs.Fields(err)
		if len(fs) != 1 || fs[0].Field != "permissions" {
			t.Fatalf("fields = %+v (%v)", fs, err)
		}
		if ja := fs[0].Reason.JA; !strings.Contains(ja, "職員アカウントの管理") || strings.Contains(ja, "user.admin") {
			t.Errorf("permission not named by its name: %q", ja)
		}
		if en := fs[0].Reason.EN; !strings.Contains(en, "Manage staff accounts") || strings.Contains(en, "user.admin") {
			t.Errorf("permission not named by its name: %q", en)
		}
	})
}

func mustPattern(t *testing.T, f *fixture, code string) access.Pattern {
	t.Helper()
	p, err := f.Access.Pattern(testutil.As("is-admin"), code)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
