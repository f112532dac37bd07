package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"bango/internal/access"
	"bango/internal/identity"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
)

// staffClient makes login a staff member of tenant and section (unless
// they are one already) holding the patterns, each {pattern, where it
// holds}, and returns a logged-in client and its CSRF token.
func (f *webFixture) staffClient(t *testing.T, login, tenant, section string, patterns ...[2]string) (*http.Client, string) {
	t.Helper()
	if _, err := f.users.Get(context.Background(), login); err != nil {
		f.kit.Staff(t, testkit.Staff{Login: login, Tenant: tenant, Section: section})
	}
	for _, p := range patterns {
		f.kit.Grant(t, login, p[0], p[1])
	}
	return f.session(t, f.kit.User(t, login))
}

// session returns a client logged in as u (both factors passed) and its
// CSRF token.
func (f *webFixture) session(t *testing.T, u identity.User) (*http.Client, string) {
	t.Helper()
	tok, sess, err := f.users.StartSession(testutil.As(testkit.Setup), u, identity.StageActive, "127.0.0.1", "", "")
	if err != nil {
		t.Fatal(err)
	}
	c := f.client(t)
	base, _ := url.Parse(f.srv.URL)
	c.Jar.SetCookies(base, []*http.Cookie{{Name: cookieName, Value: tok, Path: "/"}})
	return c, sess.CSRF
}

var approveButton = regexp.MustCompile(`formaction="/grants/(\d+)/approve"`)

// R-AC-3: through the pages: a section head applies for a clerk, the clerk
// gets nothing until an IS administrator approves; an administrator who
// applied cannot approve their own application; the head revokes and the
// right ends at the clerk's next request.
func TestGrantPages(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		head, headCSRF := f.staffClient(t, "head", "131041", "医療保険年金課", [2]string{"section-head", "131041"})
		admin, adminCSRF := f.staffClient(t, "admin", "", "情報システム課", [2]string{"is-admin", ""}, [2]string{"is-approver", ""})
		clerk, _ := f.staffClient(t, "tanaka.h", "131041", "医療保険年金課")

		if res, _ := f.get(t, clerk, "/grants/pending"); res.StatusCode != http.StatusForbidden {
			t.Fatalf("clerk reached the approvals page: %d", res.StatusCode)
		}
		res, page := f.post(t, head, "/grants", url.Values{"csrf": {headCSRF}, "login_id": {"tanaka.h"}, "pattern": {"nhi-clerk"}, "tenant": {"999999"}, "reason": {"x"}})
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "tenant") {
			t.Fatalf("application for an unknown municipality: %d", res.StatusCode)
		}
		res, _ = f.post(t, head, "/grants", url.Values{"csrf": {headCSRF}, "login_id": {"tanaka.h"}, "pattern": {"nhi-clerk"}, "tenant": {"131041"},
			"until": {"2027-03-31"}, "reason": {"資格入力担当"}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("apply: %d", res.StatusCode)
		}
		// Issue 17: the applicant's home page counts what they wait for.
		if _, home := f.get(t, head, "/"); !strings.Contains(home, `id="my-applications"`) || !strings.Contains(home, "承認を待っているものが 1 件") {
			t.Fatalf("the head's home page does not count the application:\n%s", home)
		}
		_, home := f.get(t, admin, "/")
		if !strings.Contains(home, `id="pending-approvals"`) || !strings.Contains(home, "承認待ちの権限申請が 1 件あります") {
			t.Fatal("the approver's home page does not show the pending application")
		}
		_, page = f.get(t, admin, "/grants/pending")
		m := approveButton.FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no application to approve:\n%s", page)
		}
		if res, _ := f.get(t, clerk, "/grants"); res.StatusCode != http.StatusForbidden {
			t.Fatalf("clerk without rights reached /grants: %d", res.StatusCode)
		}
		res, _ = f.post(t, admin, "/grants/"+m[1]+"/approve", url.Values{"csrf": {adminCSRF}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("approve: %d", res.StatusCode)
		}
		_, home = f.get(t, clerk, "/")
		if !strings.Contains(home, "国保担当（業務担当）") || !strings.Contains(home, "2027年3月31日") {
			t.Fatalf("clerk's home page does not list the new right:\n%s", home)
		}

		// An administrator who applies cannot approve: another must.
		admin2, admin2CSRF := f.staffClient(t, "admin2", "", "情報システム課", [2]string{"is-admin", ""}, [2]string{"is-approver", ""})
		res, _ = f.post(t, admin, "/grants", url.Values{"csrf": {adminCSRF}, "login_id": {"head"}, "pattern": {"privacy-manager"}, "tenant": {"131041"}, "reason": {"兼務"}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("admin applies: %d", res.StatusCode)
		}
		grants, _ := f.access.Grants(context.Background(), access.GrantFilter{Status: access.Pending})
		if len(grants.Items) != 1 {
			t.Fatalf("pending = %d", len(grants.Items))
		}
		id := grants.Items[0].ID
		if res, page := f.post(t, admin, "/grants/"+itoa(id)+"/approve", url.Values{"csrf": {adminCSRF}}); res.StatusCode != http.StatusForbidden || !strings.Contains(page, `role="alert"`) || strings.Contains(page, "cannot approve") {
			// Issue 17: refused in Japanese, not in the service's English.
			t.Fatalf("self-approval: %d %s", res.StatusCode, page)
		}
		if res, _ := f.post(t, admin2, "/grants/"+itoa(id)+"/reject", url.Values{"csrf": {admin2CSRF}, "note": {"兼務は不要"}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("reject: %d", res.StatusCode)
		}

		// Revocation ends the clerk's right at their next request.
		mine, _ := f.access.Grants(context.Background(), access.GrantFilter{LoginID: "tanaka.h"})
		if res, _ := f.post(t, head, "/grants/"+itoa(mine.Items[0].ID)+"/revoke", url.Values{"csrf": {headCSRF}, "reason": {"担当替え"}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("revoke: %d", res.StatusCode)
		}
		if _, home := f.get(t, clerk, "/"); strings.Contains(home, "国保担当（業務担当）") {
			t.Fatal("a revoked right is still listed")
		}
		refusals := testutil.CountEvents(t, f.db, `outcome = 'denied' AND action IN ('grant.approve', 'grant.apply', 'request.refused')`)
		if refusals < 4 {
			t.Fatalf("refusals audited = %d, want at least 4", refusals)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// R-AC-2, R-AC-3 (issue 14 F): a pattern change by an IS administrator
// holds nothing until an approver of rights other than its author
// confirms it; the approver sees the permissions added and removed; the
// author cannot confirm their own change even holding grant.approve.
func TestPatternChangeNeedsSecondPerson(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		admin, adminCSRF := f.staffClient(t, "adm", "", "情報システム課", [2]string{"is-admin", ""}, [2]string{"is-approver", ""})
		approver, approverCSRF := f.staffClient(t, "appr", "", "情報システム課", [2]string{"is-approver", ""})
		clerk, clerkCSRF := f.staffClient(t, "clerk", "131041", "医療保険年金課", [2]string{"nhi-clerk", "131041"})
		revealAllowed := func() bool {
			res, _ := f.post(t, clerk, "/residents/100001/reveal", url.Values{"csrf": {clerkCSRF}, "once": {newToken()}, "purpose": {"その他"}, "note": {"x"}})
			return res.StatusCode != http.StatusForbidden
		}
		// Issue 17: a pattern opened for a change shows its permissions
		// ticked, so that saving it cannot drop them by accident.
		_, edit := f.get(t, admin, "/admin/patterns?edit=nhi-clerk")
		if !strings.Contains(edit, `id="code" name="code" required maxlength="40" value="nhi-clerk"`) ||
			!strings.Contains(edit, `value="resident.read" checked`) || strings.Contains(edit, `value="grant.approve" checked`) {
			t.Fatalf("the pattern opened for a change is not filled in as it is:\n%s", edit)
		}
		form := url.Values{"csrf": {adminCSRF}, "code": {"nhi-clerk"}, "name": {"国保 資格入力"}, "scope": {"tenant"},
			"permission": {"resident.read", "mynumber.enter", "mynumber.reveal"}}
		res, _ := f.post(t, admin, "/admin/patterns", form)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/admin/patterns?done=submitted" {
			t.Fatalf("submit: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
		if revealAllowed() {
			t.Fatal("the pattern change held before anyone confirmed it")
		}
		_, page := f.get(t, approver, "/grants/pending")
		m := regexp.MustCompile(`/admin/pattern-changes/(\d+)/confirm`).FindStringSubmatch(page)
		if m == nil || !strings.Contains(page, "追加: mynumber.reveal") {
			t.Fatalf("the approver does not see the change with what it adds:\n%s", page)
		}
		// Its author holds grant.approve too, and still cannot confirm it.
		if res, _ := f.post(t, admin, "/admin/pattern-changes/"+m[1]+"/confirm", url.Values{"csrf": {adminCSRF}}); res.StatusCode != http.StatusForbidden {
			t.Fatalf("the author confirmed their own change: %d", res.StatusCode)
		}
		if st, out := f.apiCall(t, approver, approverCSRF, "GET", "/api/v1/pattern-changes", ""); st != 200 || !strings.Contains(fmt.Sprint(out), "mynumber.reveal") {
			t.Fatalf("API list: %d %v", st, out)
		}
		if res, _ := f.post(t, approver, "/admin/pattern-changes/"+m[1]+"/confirm", url.Values{"csrf": {approverCSRF}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("confirm: %d", res.StatusCode)
		}
		if !revealAllowed() {
			t.Fatal("the confirmed change did not hold")
		}
		// Through the API: submitted (202), rejected by the approver, not applied.
		st, out := f.apiCall(t, admin, adminCSRF, "POST", "/api/v1/patterns", `{"code": "nhi-clerk", "name": "国保 資格入力", "permissions": ["resident.read"]}`)
		if st != http.StatusAccepted {
			t.Fatalf("API submit: %d %v", st, out)
		}
		id := fmt.Sprint(out["id"])
		if st, out := f.apiCall(t, approver, approverCSRF, "POST", "/api/v1/pattern-changes/"+id+"/reject", `{"note": "業務上必要"}`); st != 200 || out["status"] != "rejected" {
			t.Fatalf("API reject: %d %v", st, out)
		}
		if !revealAllowed() {
			t.Fatal("a rejected change was applied")
		}
		events := testutil.CountEvents(t, f.db, `action IN ('review.submit', 'review.confirm', 'review.reject', 'pattern.update')`)
		if events < 4 {
			t.Fatalf("pattern change events = %d", events)
		}
	})
}
