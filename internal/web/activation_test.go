package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"bango/internal/testutil"
)

var (
	oneTimeOnPage    = regexp.MustCompile(`id="one-time-password">([^<]+)<`)
	activationOnPage = regexp.MustCompile(`id="activation-code">([A-Z0-9-]+)<`)
)

// Issue 15, R-AUTH-1, R-AC-3: an account an IS administrator made cannot
// be taken over with what the administrator saw: its first enrolment
// needs an activation code that the section head issues (the
// administrator cannot), shown once; the right code completes it.
func TestActivationThroughPages(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		admin, adminCSRF := f.staffClient(t, "adm", "", "情報システム課", [2]string{"is-admin", ""})
		head, headCSRF := f.staffClient(t, "head.s", "131041", "医療保険年金課", [2]string{"section-head", "131041"})
		res, page := f.post(t, admin, "/admin/users", url.Values{"csrf": {adminCSRF}, "login_id": {"newcomer"}, "name": {"新人　一郎"},
			"tenant": {"131041"}, "department": {"健康部"}, "section": {"医療保険年金課"}})
		m := oneTimeOnPage.FindStringSubmatch(page)
		if res.StatusCode != 200 || m == nil {
			t.Fatalf("add user: %d", res.StatusCode)
		}
		temp := m[1]

		// What the administrator knows: the one-time password, and so the QR
		// code the enrolment page shows. Not enough.
		c := f.client(t)
		f.post(t, c, "/login", url.Values{"login_id": {"newcomer"}, "password": {temp}})
		_, page = f.get(t, c, "/login/enroll")
		secret := secretOnPage.FindStringSubmatch(page)
		if secret == nil || !strings.Contains(page, `id="activation"`) {
			t.Fatalf("the enrolment page asks for no activation code:\n%s", page)
		}
		csrf := csrfOf(t, page)
		res, _ = f.post(t, c, "/login/enroll", url.Values{"csrf": {csrf}, "code": {testutil.TOTP(secret[1], f.now)}, "pin": {"1357"}, "pin_again": {"1357"}})
		if res.StatusCode == http.StatusSeeOther {
			t.Fatal("enrolment completed without an activation code")
		}
		// The administrator cannot issue the code; the section head can.
		if res, _ := f.post(t, admin, "/staff/activation/newcomer", url.Values{"csrf": {adminCSRF}}); res.StatusCode != http.StatusForbidden {
			t.Fatalf("the administrator issued the activation code: %d", res.StatusCode)
		}
		_, grants := f.get(t, head, "/grants")
		if !strings.Contains(grants, `id="activate-newcomer"`) {
			t.Fatalf("the section head does not see the member waiting:\n%s", grants)
		}
		res, page = f.post(t, head, "/staff/activation/newcomer", url.Values{"csrf": {headCSRF}})
		code := activationOnPage.FindStringSubmatch(page)
		if res.StatusCode != 200 || code == nil {
			t.Fatalf("issue: %d", res.StatusCode)
		}
		if _, again := f.get(t, head, "/grants"); strings.Contains(again, code[1]) {
			t.Fatal("the activation code is shown a second time")
		}
		f.now = f.now.Add(30 * 1e9)
		res, _ = f.post(t, c, "/login/enroll", url.Values{"csrf": {csrf}, "activation": {code[1]}, "code": {testutil.TOTP(secret[1], f.now)}, "pin": {"1357"}, "pin_again": {"1357"}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("enrolment with the code: %d", res.StatusCode)
		}
	})
}
