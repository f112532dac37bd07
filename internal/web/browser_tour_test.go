package web

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"bango/internal/resident"
	"bango/internal/store"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
)

// The screen the tour looks at: a municipality's ordinary office PC.
const tourWidth, tourHeight = 1366, 768

// tourStep is one page a role visits beyond its menu: how to get there
// from wherever the browser is, and its name in the screenshot's.
type tourStep struct {
	name string
	do   func(lang string) chromedp.Action
}

// tourRole is a person of one role and what they open.
type tourRole struct {
	name    string // in the screenshots' names
	token   string // their session
	enToken string // another session for the English round, if not empty
	steps   []tourStep
}

// Issue 17: every role, logged in, visits every page of its menu, its
// records, the reveal (with the step-up before it), the access report,
// a refused page, a page that does not exist and a form sent with a
// mistake, in Japanese and in English, at 1366×768. axe-core checks
// each page (WCAG 2.1 A and AA), the page must not scroll sideways, the
// menu and the header must line up with the content, and each page is
// kept as <role>-<page>-<lang>.png in the test's artifacts.
func TestBrowserTour(t *testing.T) {
	f := newWeb(t, store.SQLite) // what is drawn does not depend on the engine
	f.realTime(30 * time.Minute)
	var offset atomic.Int64 // the server's clock behind the wall clock
	f.users.SetClock(func() time.Time { return time.Now().UTC().Add(time.Duration(offset.Load())) })

	// What the roles find waiting: residents, an entry to check, an
	// application for a right, an export request, reveals and an alert,
	// all placed in the audit log.
	testkit.Resident(t, f.residents, testkit.Shinjuku, testkit.Person("100001", "123456789018"))
	second := testkit.Person("100002", "")
	second.NameKanji, second.NameKana, second.BirthDate, second.Sex = "山田　花子", "ヤマダ　ハナコ", "1952-08-16", "2"
	testkit.Resident(t, f.residents, testkit.Shinjuku, second)
	third := testkit.Person("100003", "")
	third.NameKanji, third.NameKana, third.Address = "佐藤　次郎", "サトウ　ジロウ", "東京都新宿区歌舞伎町一丁目4番1号"
	testkit.Resident(t, f.residents, testkit.Shinjuku, third)

	const section = "医療保険年金課"
	clerk, clerkCSRF := f.staffClient(t, "clerk", testkit.Shinjuku, section, [2]string{"nhi-clerk", testkit.Shinjuku})
	checker, _ := f.staffClient(t, "checker", testkit.Shinjuku, section, [2]string{"nhi-checker", testkit.Shinjuku})
	head, headCSRF := f.staffClient(t, "head", testkit.Shinjuku, section, [2]string{"section-head", testkit.Shinjuku})
	privacy, _ := f.staffClient(t, "privacy", "", "個人情報保護担当", [2]string{"privacy-manager", testkit.Shinjuku})
	admin, _ := f.staffClient(t, "admin", "", "情報システム課", [2]string{"is-admin", ""}, [2]string{"is-approver", ""})
	auditor, _ := f.staffClient(t, "auditor", "", "監査課", [2]string{"auditor", ""})
	other, otherCSRF := f.staffClient(t, "viewer2", testkit.Shinjuku, section, [2]string{"number-viewer", testkit.Shinjuku})
	if res, _ := f.post(t, clerk, "/residents/100002/mynumber", url.Values{"csrf": {clerkCSRF}, "mynumber": {"123456789115"}}); res.StatusCode != 303 {
		t.Fatalf("entry: %d", res.StatusCode)
	}
	if res, _ := f.post(t, head, "/grants", url.Values{"csrf": {headCSRF}, "login_id": {"clerk"}, "pattern": {"nhi-checker"}, "tenant": {testkit.Shinjuku},
		"until": {time.Now().AddDate(0, 6, 0).Format("2006-01-02")}, "reason": {"繁忙期の確認応援"}}); res.StatusCode != 303 {
		t.Fatalf("application: %d", res.StatusCode)
	}
	if res, _ := f.post(t, head, "/exports", url.Values{"csrf": {headCSRF}, "kind": {"residents"}, "reason": {"県連合会への資格照会"}}); res.StatusCode != 303 {
		t.Fatalf("export request: %d", res.StatusCode)
	}
	for range 4 { // one over the fixture's 3 an hour: an alert
		f.post(t, other, "/residents/100001/reveal", url.Values{"csrf": {otherCSRF}, "once": {newToken()}, "purpose": {resident.DefaultRevealPurposes[0]}})
	}
	f.place(t)

	// The person who reveals logged in ten minutes ago, once for each
	// language: the reveal asks for the second factor again (step-up).
	f.kit.Staff(t, testkit.Staff{Login: "viewer", Name: "閲覧　四郎", Tenant: testkit.Shinjuku, Section: section, Patterns: []string{"number-viewer"}})
	viewerSecret := f.kit.SecondFactor(t, "viewer")
	offset.Store(int64(-10 * time.Minute))
	viewer, _ := f.session(t, f.kit.User(t, "viewer"))
	viewerEN, _ := f.session(t, f.kit.User(t, "viewer"))
	offset.Store(0)

	base, _ := url.Parse(f.srv.URL)
	sessionToken := func(jar http.CookieJar) string {
		for _, c := range jar.Cookies(base) {
			if c.Name == cookieName {
				return c.Value
			}
		}
		t.Fatal("no session cookie")
		return ""
	}

	var reviewID string
	{
		_, queue := f.get(t, checker, "/review")
		m := changeLink.FindStringSubmatch(queue)
		if m == nil {
			t.Fatalf("nothing in the checker's queue:\n%s", queue)
		}
		reviewID = m[1]
	}

	open := func(path string) func(string) chromedp.Action {
		return func(string) chromedp.Action { return visit(f.srv.URL + path) }
	}
	residentRecord := tourStep{"record", open("/residents/100001")}
	search := tourStep{"search", open("/residents?q=" + url.QueryEscape("山田"))}
	notFound := tourStep{"notfound", open("/no-such-page")}
	report := tourStep{"report", open("/audit/residents/" + testkit.Shinjuku + "/100001")}
	auditSearch := tourStep{"audit-results", open("/audit?search=1&resident=100001")}

	roles := []tourRole{
		{name: "clerk", token: sessionToken(clerk.Jar), steps: []tourStep{
			search, residentRecord,
			{"entry", open("/residents/100003")},
			{"entry-error", func(string) chromedp.Action {
				return send(`form[action$="/mynumber"]`, map[string]string{"mynumber": "123456789019"}, false, mistakeShown)
			}},
			{"forbidden", open("/admin/users")},
			notFound,
		}},
		{name: "checker", token: sessionToken(checker.Jar), steps: []tourStep{
			{"review-change", open("/review/" + reviewID)},
			residentRecord, notFound,
		}},
		{name: "head", token: sessionToken(head.Jar), steps: []tourStep{
			search, residentRecord,
			{"exports-error", func(string) chromedp.Action {
				return chromedp.Tasks{visit(f.srv.URL + "/exports"), send(`form[action="/exports"]`, map[string]string{"reason": ""}, false, mistakeShown)}
			}},
			notFound,
		}},
		{name: "privacy", token: sessionToken(privacy.Jar), steps: []tourStep{
			auditSearch, report,
			{"alerts-error", func(string) chromedp.Action {
				return chromedp.Tasks{visit(f.srv.URL + "/alerts"), send(`form[action$="/ack"]`, map[string]string{"comment": ""}, false, mistakeShown)}
			}},
			notFound,
		}},
		{name: "isadmin", token: sessionToken(admin.Jar), steps: []tourStep{
			{"pattern-edit", open("/admin/patterns?edit=nhi-clerk")},
			auditSearch,
			{"terminals-error", func(string) chromedp.Action {
				return chromedp.Tasks{visit(f.srv.URL + "/admin/terminals"),
					send(`form[action="/admin/terminals"]`, map[string]string{"name": "窓口端末1", "cidrs": "10.0.0.999"}, false, mistakeShown)}
			}},
			notFound,
		}},
		{name: "auditor", token: sessionToken(auditor.Jar), steps: []tourStep{
			auditSearch, report,
			{"audit-error", func(string) chromedp.Action {
				return chromedp.Tasks{visit(f.srv.URL + "/audit"), send(`form[action="/audit"]`, map[string]string{"mynumber": "123456789019"}, false, mistakeShown)}
			}},
			notFound,
		}},
		{name: "viewer", token: sessionToken(viewer.Jar), enToken: sessionToken(viewerEN.Jar), steps: []tourStep{
			residentRecord,
			{"stepup", func(string) chromedp.Action {
				return chromedp.Tasks{visit(f.srv.URL + "/residents/100001"), send("#reveal-stepup", nil, true, "#unlock-submit")}
			}},
			{"reveal", func(lang string) chromedp.Action {
				return chromedp.ActionFunc(func(ctx context.Context) error {
					at := time.Now()
					if lang == "en" { // a code is taken once: the next one
						at = at.Add(30 * time.Second)
					}
					code := testutil.TOTP(viewerSecret, at)
					return send("#unlock-submit", map[string]string{"code": code, "pin": testkit.PIN}, true, "#reveal-submit").Do(ctx)
				})
			}},
			{"reveal-error", func(string) chromedp.Action {
				return send("#reveal-submit", map[string]string{"purpose": ""}, false, mistakeShown)
			}},
			{"revealed", func(string) chromedp.Action {
				return send("#reveal-submit", map[string]string{"purpose": resident.DefaultRevealPurposes[0]}, true, "#revealed-number")
			}},
			notFound,
		}},
	}

	root := browserSized(t, tourWidth, tourHeight, 5*time.Minute)
	if err := chromedp.Run(root); err != nil { // starts the one browser
		t.Fatal(err)
	}
	for _, role := range roles {
		t.Run(role.name, func(t *testing.T) {
			// A tab of its own in the one browser, in front (a tab behind
			// is drawn once a second, and every screenshot would wait for
			// it), with the role's session and no one else's cookies. (A
			// browser context of its own would be cleaner, but headless
			// Chromium opens no tab in one.)
			ctx, cancel := chromedp.NewContext(root)
			defer cancel()
			err := chromedp.Run(ctx, cdppage.BringToFront(), network.ClearBrowserCookies(), chromedp.ActionFunc(func(ctx context.Context) error {
				return network.SetCookie(cookieName, role.token).WithURL(f.srv.URL + "/").WithSecure(true).WithHTTPOnly(true).WithPath("/").Do(ctx)
			}))
			if err != nil {
				t.Fatal(err)
			}
			for _, lang := range []string{"ja", "en"} {
				if lang == "en" && role.enToken != "" {
					err := chromedp.Run(ctx, chromedp.ActionFunc(func(ctx context.Context) error {
						return network.SetCookie(cookieName, role.enToken).WithURL(f.srv.URL + "/").WithSecure(true).WithHTTPOnly(true).WithPath("/").Do(ctx)
					}))
					if err != nil {
						t.Fatal(err)
					}
				}
				if err := chromedp.Run(ctx, visit(f.srv.URL+"/lang?to="+lang+"&next=/")); err != nil {
					t.Fatal(err)
				}
				var menu []string
				if err := chromedp.Run(ctx, chromedp.Evaluate(`Array.from(document.querySelectorAll("nav > ul a[href]"), a => a.getAttribute("href"))`, &menu)); err != nil {
					t.Fatal(err)
				}
				if len(menu) == 0 {
					t.Fatalf("%s sees no menu", role.name)
				}
				// Every page of the menu, and of each module's own menu
				// under it (shown on the module's pages).
				seen := map[string]bool{}
				for i := 0; i < len(menu); i++ {
					href := menu[i]
					if seen[href] {
						continue
					}
					seen[href] = true
					name := role.name + "-" + pageName(href) + "-" + lang
					var sub []string
					if err := chromedp.Run(ctx, visit(f.srv.URL+href), checkLayout(t, name), checkPage(t, name),
						chromedp.Evaluate(`Array.from(document.querySelectorAll("nav.sub a[href]"), a => a.getAttribute("href"))`, &sub)); err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					menu = append(menu, sub...)
				}
				for _, s := range role.steps {
					name := role.name + "-" + s.name + "-" + lang
					if err := chromedp.Run(ctx, s.do(lang), checkLayout(t, name), checkPage(t, name)); err != nil {
						t.Fatalf("%s: %v", name, err)
					}
				}
			}
		})
	}
}

// pageName names a menu page for a screenshot: "/" is home,
// "/admin/users" admin-users.
func pageName(href string) string {
	if p := strings.Trim(href, "/"); p != "" {
		return strings.ReplaceAll(p, "/", "-")
	}
	return "home"
}

// visit opens u and waits for its page heading.
func visit(u string) chromedp.Action {
	return chromedp.Tasks{chromedp.Navigate(u), nextPage("main h1")}
}

// nextPage waits until the browser shows a new page (not the one marked
// window.__tourOld by send) that is loaded and has an element sel.
// Unlike chromedp.Poll and WaitVisible it outlives a navigation that
// the page itself started.
func nextPage(sel string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		check := fmt.Sprintf(`window.__tourOld === undefined && document.readyState === "complete" && document.querySelector(%q) !== null`, sel)
		deadline := time.Now().Add(10 * time.Second)
		for {
			var ok bool
			// During the navigation the evaluation may fail: try again.
			if err := chromedp.Evaluate(check, &ok).Do(ctx); err == nil && ok {
				return nil
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("no page with %s", sel)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
		}
	})
}

// mistakeShown is what a refused form shows: the summary, a field's
// message or the page's error.
const mistakeShown = `.error-summary, .field-error, p.error:not([hidden]), [aria-invalid="true"]`

// send fills the form of the element sel (the form itself, or the
// button that sends it) with values by field name, sends it and waits
// for the next page to show then. With check false the browser's own
// checks are off, as in a browser that does not make them, so that
// what is seen is the server's answer to a mistake.
func send(sel string, values map[string]string, check bool, then string) chromedp.Action {
	v, _ := json.Marshal(values)
	js := fmt.Sprintf(`(() => {
		const el = document.querySelector(%q);
		if (!el) throw new Error("nothing at " + %q);
		const f = el.form || el;
		f.noValidate = %t;
		for (const [k, v] of Object.entries(%s || {})) f.elements[k].value = v;
		window.__tourOld = true;
		// After this evaluation has returned: the page goes.
		setTimeout(() => f.requestSubmit(el.form ? el : null), 0);
		return true;
	})()`, sel, sel, !check, v)
	return chromedp.Tasks{chromedp.Evaluate(js, nil), nextPage(then)}
}

// checkLayout fails t when the page scrolls sideways, or when the
// header's name, the menu's first item and the page heading do not
// start on the same line (the content column's left edge).
func checkLayout(t *testing.T, name string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		t.Helper()
		var got struct {
			ScrollWidth, ClientWidth float64
			Brand, Menu, Heading     float64
			HasMenu                  bool
			MenuRows                 int
		}
		err := chromedp.Evaluate(`(() => {
			const d = document.documentElement;
			const left = el => el ? el.getBoundingClientRect().left + parseFloat(getComputedStyle(el).paddingLeft) : -1;
			const items = Array.from(document.querySelectorAll("nav > ul > li"));
			return {
				ScrollWidth: d.scrollWidth, ClientWidth: d.clientWidth,
				Brand: left(document.querySelector("header .brand")),
				Menu: left(document.querySelector("nav > ul > li a")),
				Heading: left(document.querySelector("main h1")),
				HasMenu: items.length > 0,
				MenuRows: new Set(items.map(li => Math.round(li.getBoundingClientRect().top))).size,
			};
		})()`, &got).Do(ctx)
		if err != nil {
			return err
		}
		if got.ScrollWidth > got.ClientWidth {
			t.Errorf("layout: %s scrolls sideways: %v wide in a window of %v", name, got.ScrollWidth, got.ClientWidth)
		}
		if math.Abs(got.Brand-got.Heading) > 1 || got.HasMenu && math.Abs(got.Menu-got.Heading) > 1 {
			t.Errorf("layout: %s: header at %v, menu at %v, heading at %v: not one column", name, got.Brand, got.Menu, got.Heading)
		}
		if got.MenuRows > 1 {
			t.Errorf("layout: %s: the menu takes %d rows at %d pixels", name, got.MenuRows, tourWidth)
		}
		return nil
	})
}
