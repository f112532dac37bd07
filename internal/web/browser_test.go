package web

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	browserpkg "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/network"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"bango/internal/audit"
	"bango/internal/identity"
	"bango/internal/resident"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
)

var skipBrowser sync.Once

// chromium finds Debian's chromium, or skips loudly (fails under CI, where
// .ci/run installs it).
func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("BANGO_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed, and CI must run the browser tests")
	}
	skipBrowser.Do(func() {
		os.Stderr.WriteString("\n*** SKIPPING browser tests: install Debian's chromium (apt-get install -y chromium) ***\n\n")
	})
	t.Skip("SKIPPED: no chromium for the browser tests")
	return ""
}

// browser starts headless Chromium with the flags this workplace needs.
func browser(t *testing.T) context.Context {
	t.Helper()
	return browserSized(t, 1200, 900, 90*time.Second)
}

// browserSized starts headless Chromium with a window of width×height,
// for at most timeout.
func browserSized(t *testing.T, width, height int, timeout time.Duration) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("ignore-certificate-errors", true), // the test server's own certificate
		chromedp.WindowSize(width, height),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTime := context.WithTimeout(ctx, timeout)
	t.Cleanup(func() { cancelTime(); cancelCtx(); cancelAlloc() })
	return ctx
}

func screenshot(t *testing.T, name string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		var png []byte
		// Quality 100 means PNG; below that chromedp writes JPEG.
		if err := chromedp.FullScreenshot(&png, 100).Do(ctx); err != nil {
			return err
		}
		path := filepath.Join(t.ArtifactDir(), name)
		t.Logf("screenshot: %s", path)
		return os.WriteFile(path, png, 0o644)
	})
}

// axeScript is axe-core (testdata/axe, MPL-2.0, from the npm package),
// read once: the browser tests inject it into each page they check, so
// that no test needs a network or a CDN.
var axeScript = sync.OnceValues(func() (string, error) {
	b, err := os.ReadFile(filepath.Join("testdata", "axe", "axe.min.js"))
	return string(b), err
})

// axeTags are the rule sets every page must pass: WCAG 2.0 and 2.1, levels
// A and AA (issue 17).
const axeTags = `['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']`

// axeViolation is one rule a page breaks, as axe.run reports it, with the
// first few elements that break it.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target  []string `json:"target"`
		Summary string   `json:"summary"`
	} `json:"nodes"`
	Count int `json:"count"`
}

// axeCheck runs axe-core on the page the browser shows and returns what
// it finds against axeTags.
func axeCheck(ctx context.Context) ([]axeViolation, error) {
	src, err := axeScript()
	if err != nil {
		return nil, err
	}
	var loaded bool
	if err := chromedp.Evaluate(`typeof window.axe === "object"`, &loaded).Do(ctx); err != nil {
		return nil, err
	}
	if !loaded {
		// DevTools evaluation is not subject to the page's
		// Content-Security-Policy, which allows no inline script.
		if err := chromedp.Evaluate(src+"\n;true", nil).Do(ctx); err != nil {
			return nil, fmt.Errorf("inject axe-core: %w", err)
		}
	}
	var found []axeViolation
	run := `axe.run(document, {runOnly: {type: 'tag', values: ` + axeTags + `}, resultTypes: ['violations']}).then(r => r.violations.map(v => ({
		id: v.id, impact: v.impact || '', help: v.help, count: v.nodes.length,
		nodes: v.nodes.slice(0, 3).map(n => ({target: n.target.map(String), summary: n.failureSummary || ''}))})))`
	err = chromedp.Evaluate(run, &found, func(p *cdpruntime.EvaluateParams) *cdpruntime.EvaluateParams {
		return p.WithAwaitPromise(true)
	}).Do(ctx)
	return found, err
}

// checkPage checks the page the browser shows with axe-core (WCAG 2.1
// A and AA) and fails t on each violation, naming the rule, its impact,
// what to fix and the first elements at fault; then it keeps a full-page
// screenshot, name.png, in the test's artifacts. The test goes on, so
// that one run reports every page.
func checkPage(t *testing.T, name string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		t.Helper()
		found, err := axeCheck(ctx)
		if err != nil {
			return fmt.Errorf("axe on %s: %w", name, err)
		}
		var location string
		if err := chromedp.Location(&location).Do(ctx); err != nil {
			return err
		}
		for _, v := range found {
			var at []string
			for _, n := range v.Nodes {
				at = append(at, strings.Join(n.Target, " ")+" ("+strings.ReplaceAll(n.Summary, "\n", " ")+")")
			}
			t.Errorf("axe: %s (%s): %s [%s, %s]: %d element(s), first: %s", name, location, v.ID, v.Impact, v.Help, v.Count, strings.Join(at, "; "))
		}
		return screenshot(t, name+".png").Do(ctx)
	})
}

// realTime makes the fixture use the wall clock, which the browser's
// countdown follows.
func (f *webFixture) realTime(idle time.Duration) {
	f.users.SetClock(func() time.Time { return time.Now().UTC() })
	p := identity.DefaultSessionPolicy
	p.IdleLock = idle
	f.users.SetSessionPolicy(p)
}

// changePasswordActions fills in and sends the password change page.
func changePasswordActions(current string) chromedp.Tasks {
	return chromedp.Tasks{
		chromedp.SendKeys("#current", current, chromedp.ByID),
		chromedp.SendKeys("#new", "fresh lantern morning", chromedp.ByID),
		chromedp.SendKeys("#confirm", "fresh lantern morning", chromedp.ByID),
		chromedp.Click("#password-submit", chromedp.ByID),
	}
}

func loginActions(f *webFixture, password string) chromedp.Tasks {
	return loginAt(f, f.srv.URL, password)
}

// loginAt logs in with password, code and PIN at base.
func loginAt(f *webFixture, base, password string) chromedp.Tasks {
	return chromedp.Tasks{
		chromedp.Navigate(base + "/login"),
		chromedp.WaitVisible("#login_id", chromedp.ByID),
		chromedp.SendKeys("#login_id", "tanaka.h", chromedp.ByID),
		chromedp.SendKeys("#password", password, chromedp.ByID),
		chromedp.Click("#login-next", chromedp.ByID),
		chromedp.WaitVisible("#code", chromedp.ByID),
		chromedp.ActionFunc(func(ctx context.Context) error {
			return chromedp.SendKeys("#code", testutil.TOTP(f.secret, time.Now()), chromedp.ByID).Do(ctx)
		}),
		chromedp.SendKeys("#pin", "2580", chromedp.ByID),
		chromedp.Click("#second-submit", chromedp.ByID),
	}
}

// R-AUTH-1: a person logs in with password, TOTP code and PIN in a real
// browser; the login and home pages are kept as screenshots.
func TestBrowserLogin(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		ctx := browser(t)
		f.realTime(10 * time.Minute)
		var heading, place, idle string
		err := chromedp.Run(ctx,
			chromedp.Navigate(f.srv.URL+"/login"),
			chromedp.WaitVisible("#login_id", chromedp.ByID),
			checkPage(t, "login"),
			chromedp.SendKeys("#login_id", "tanaka.h", chromedp.ByID),
			chromedp.SendKeys("#password", "correct horse battery", chromedp.ByID),
			chromedp.Click("#login-next", chromedp.ByID),
			chromedp.WaitVisible("#code", chromedp.ByID),
			checkPage(t, "second"),
			chromedp.ActionFunc(func(ctx context.Context) error {
				return chromedp.SendKeys("#code", testutil.TOTP(f.secret, time.Now()), chromedp.ByID).Do(ctx)
			}),
			chromedp.SendKeys("#pin", "2580", chromedp.ByID),
			chromedp.Click("#second-submit", chromedp.ByID),
			chromedp.WaitVisible("#idle-left", chromedp.ByID),
			chromedp.Text("main h1", &heading, chromedp.ByQuery),
			chromedp.Text(".who .place", &place, chromedp.ByQuery),
			chromedp.Sleep(1500*time.Millisecond),
			chromedp.Text("#idle-left", &idle, chromedp.ByID),
			checkPage(t, "home"),
		)
		if err != nil {
			t.Fatal(err)
		}
		if heading != "ホーム" || !strings.Contains(place, "医療保険年金課") {
			t.Fatalf("home heading %q, place %q", heading, place)
		}
		// The countdown runs in the browser (external script, under the CSP).
		if idle == "" || idle == "10:00" || !strings.HasPrefix(idle, "9:5") {
			t.Fatalf("idle countdown shows %q", idle)
		}
	})
}

// Issue 17: the idle countdown is not a live region, read out every
// second; one warning is announced (role=status) a minute before the lock.
func TestBrowserIdleWarning(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		ctx := browser(t)
		f.realTime(63 * time.Second)
		var live bool
		var before, warning, left string
		err := chromedp.Run(ctx,
			loginActions(f, "correct horse battery"),
			chromedp.WaitVisible("#idle-left", chromedp.ByID),
			chromedp.Evaluate(`document.getElementById("idle-left").closest("[aria-live],[role=status],[role=alert],[role=timer],output") !== null`, &live),
			chromedp.Text("#idle-warning", &before, chromedp.ByID),
			chromedp.Poll(`document.getElementById("idle-warning").textContent.length > 0`, nil, chromedp.WithPollingTimeout(10*time.Second)),
			chromedp.Text("#idle-warning", &warning, chromedp.ByID),
			chromedp.Text("#idle-left", &left, chromedp.ByID),
			checkPage(t, "idle-warning"),
		)
		if err != nil {
			t.Fatal(err)
		}
		if live {
			t.Fatal("the idle countdown is inside a live region: it would be read out every second")
		}
		if before != "" || !strings.Contains(warning, "あと1分で画面がロックされます") || !strings.HasPrefix(left, "1:00") && !strings.HasPrefix(left, "0:5") {
			t.Fatalf("warning before %q, then %q at %q left", before, warning, left)
		}
	})
}

// R-AUTH-4: after the idle time the page locks by itself; the second
// factor unlocks it and returns the user to the page they were on.
func TestBrowserIdleLock(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		ctx := browser(t)
		f.realTime(6 * time.Second)
		var path, heading string
		err := chromedp.Run(ctx,
			loginActions(f, "correct horse battery"),
			chromedp.WaitVisible("#idle-left", chromedp.ByID),
			chromedp.Navigate(f.srv.URL+"/?from=browser"),
			chromedp.WaitVisible("section.card dl", chromedp.ByQuery),
			// No activity: the countdown reaches zero and reloads into the lock screen.
			chromedp.WaitVisible("#unlock-submit", chromedp.ByID),
			checkPage(t, "lock"),
			chromedp.ActionFunc(func(ctx context.Context) error {
				// The login used this step's code; the next step's is accepted once.
				return chromedp.SendKeys("#code", testutil.TOTP(f.secret, time.Now().Add(30*time.Second)), chromedp.ByID).Do(ctx)
			}),
			chromedp.SendKeys("#pin", "2580", chromedp.ByID),
			chromedp.Click("#unlock-submit", chromedp.ByID),
			chromedp.WaitVisible("section.card dl", chromedp.ByQuery), // the home page's own content
			chromedp.Location(&path),
			chromedp.Text("main h1", &heading, chromedp.ByQuery),
		)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(path, "/?from=browser") || heading != "ホーム" {
			t.Fatalf("after unlock: %s %q", path, heading)
		}
	})
}

// R-AUTH-3: with a one-time password the browser lands on the change page
// and can do nothing else until it is changed.
func TestBrowserForcedPasswordChange(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		ctx := browser(t)
		f.realTime(10 * time.Minute)
		temp, err := f.users.ResetPassword(audit.WithActor(context.Background(), audit.Actor{User: "is-admin"}), "tanaka.h")
		if err != nil {
			t.Fatal(err)
		}
		var path, heading string
		err = chromedp.Run(ctx,
			loginActions(f, temp),
			chromedp.WaitVisible("#password-submit", chromedp.ByID),
			checkPage(t, "password"),
			chromedp.Navigate(f.srv.URL+"/"),
			chromedp.WaitVisible("#password-submit", chromedp.ByID),
			changePasswordActions(temp),
			chromedp.WaitVisible("section.card dl", chromedp.ByQuery),
			chromedp.Location(&path),
			chromedp.Text("main h1", &heading, chromedp.ByQuery),
		)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(path, "/") || heading != "ホーム" {
			t.Fatalf("after the change: %s %q", path, heading)
		}
	})
}

// R-AUTH-1: a new staff member's first login in a browser: one-time
// password, QR code enrolment with a chosen PIN, then the forced change.
func TestBrowserFirstLoginEnrolment(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		ctx := browser(t)
		f.realTime(10 * time.Minute)
		_, temp, err := f.users.Create(audit.WithActor(context.Background(), audit.Actor{User: "is-admin"}),
			identity.NewUser{LoginID: "newcomer", Name: "新人　一郎", Tenant: "131041", Section: "医療保険年金課"})
		if err != nil {
			t.Fatal(err)
		}
		var secret, heading string
		err = chromedp.Run(ctx,
			chromedp.Navigate(f.srv.URL+"/login"),
			chromedp.WaitVisible("#login_id", chromedp.ByID),
			chromedp.SendKeys("#login_id", "newcomer", chromedp.ByID),
			chromedp.SendKeys("#password", temp, chromedp.ByID),
			chromedp.Click("#login-next", chromedp.ByID),
			chromedp.WaitVisible("#totp-secret", chromedp.ByID),
			chromedp.WaitVisible("figure img", chromedp.ByQuery),
			checkPage(t, "enrol"),
			chromedp.Text("#totp-secret", &secret, chromedp.ByID),
			chromedp.ActionFunc(func(ctx context.Context) error {
				return chromedp.SendKeys("#code", testutil.TOTP(strings.TrimSpace(secret), time.Now()), chromedp.ByID).Do(ctx)
			}),
			chromedp.SendKeys("#pin", "1357", chromedp.ByID),
			chromedp.SendKeys("#pin_again", "1357", chromedp.ByID),
			chromedp.Click("#enrol-submit", chromedp.ByID),
			chromedp.WaitVisible("#password-submit", chromedp.ByID),
			checkPage(t, "password-first"),
			changePasswordActions(temp),
			chromedp.WaitVisible("section.card dl", chromedp.ByQuery),
			chromedp.Text("main h1", &heading, chromedp.ByQuery),
		)
		if err != nil {
			t.Fatal(err)
		}
		if heading != "ホーム" {
			t.Fatalf("after first login: %q", heading)
		}
	})
}

// R-AUTH-1: WebAuthn with Chromium's virtual authenticator (user
// verification on): register from the biometrics page, then log in and
// unlock the lock screen with it instead of code and PIN.
func TestBrowserWebAuthn(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		ctx := browser(t)
		f.realTime(10 * time.Minute)
		var notice, heading string
		err := chromedp.Run(ctx,
			chromedp.ActionFunc(func(ctx context.Context) error {
				if err := webauthn.Enable().Do(ctx); err != nil {
					return err
				}
				_, err := webauthn.AddVirtualAuthenticator(&webauthn.VirtualAuthenticatorOptions{
					Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21,
					Transport: webauthn.AuthenticatorTransportInternal, HasResidentKey: true,
					HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
				}).Do(ctx)
				return err
			}),
			loginAt(f, f.origin, "correct horse battery"),
			chromedp.WaitVisible("#idle-left", chromedp.ByID),
			chromedp.Navigate(f.origin+"/passkeys"),
			chromedp.WaitVisible("#passkey-add", chromedp.ByID),
			chromedp.Click("#passkey-add", chromedp.ByID),
			chromedp.WaitVisible("p.notice", chromedp.ByQuery),
			chromedp.Text("p.notice", &notice, chromedp.ByQuery),
			checkPage(t, "passkeys"),
			// Log out, and log in again with the password and the authenticator.
			chromedp.Click("form[action='/logout'] button", chromedp.ByQuery),
			chromedp.WaitVisible("#login_id", chromedp.ByID),
			chromedp.SendKeys("#login_id", "tanaka.h", chromedp.ByID),
			chromedp.SendKeys("#password", "correct horse battery", chromedp.ByID),
			chromedp.Click("#login-next", chromedp.ByID),
			chromedp.WaitVisible("#passkey-login", chromedp.ByID),
			checkPage(t, "second-webauthn"),
			chromedp.Click("#passkey-login", chromedp.ByID),
			chromedp.WaitVisible("section.card dl", chromedp.ByQuery),
			// Lock, and unlock with the authenticator.
			chromedp.Click("form[action='/lock/now'] button", chromedp.ByQuery),
			chromedp.WaitVisible("#passkey-unlock", chromedp.ByID),
			checkPage(t, "lock-webauthn"),
			chromedp.Click("#passkey-unlock", chromedp.ByID),
			chromedp.WaitVisible("section.card dl", chromedp.ByQuery),
			chromedp.Text("main h1", &heading, chromedp.ByQuery),
		)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(notice, "登録しました") || heading != "ホーム" {
			t.Fatalf("notice %q, heading %q", notice, heading)
		}
		var got []string
		for _, e := range testutil.Events(t, f.db, "") {
			if strings.Contains(e.Detail, "webauthn") || e.Action == "webauthn.register" {
				got = append(got, e.Action+" "+e.Detail)
			}
		}
		if len(got) != 3 || !strings.HasPrefix(got[0], "webauthn.register credential=") || !strings.Contains(got[0], "user_verified=true") ||
			!strings.HasPrefix(got[1], "login.second_factor method=webauthn") || !strings.HasPrefix(got[2], "login.second_factor method=webauthn") {
			t.Fatalf("events:\n%s", strings.Join(got, "\n"))
		}
	})
}

// R-AUD-2, R-AUD-4: in a browser, an auditor searches the log for a
// resident, opens the resident's access report and exports it as CSV.
func TestBrowserAuditor(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		ctx := browser(t)
		f.realTime(10 * time.Minute)
		testkit.Resident(t, f.residents, "131041", testkit.Person("100001", "123456789018"))
		viewer, viewerCSRF := f.staffClient(t, "viewer", "131041", "医療保険年金課", [2]string{"number-viewer", "131041"})
		if res, _ := f.post(t, viewer, "/residents/100001/reveal", url.Values{"csrf": {viewerCSRF}, "once": {newToken()}, "purpose": {resident.DefaultRevealPurposes[0]}}); res.StatusCode != 200 {
			t.Fatalf("reveal: %d", res.StatusCode)
		}
		auditorClient, _ := f.staffClient(t, "auditor", "", "監査課", [2]string{"auditor", ""})
		f.place(t)
		base, _ := url.Parse(f.srv.URL)
		token := auditorClient.Jar.Cookies(base)[0].Value
		downloads := t.TempDir()
		var results, report string
		err := chromedp.Run(ctx,
			chromedp.ActionFunc(func(ctx context.Context) error {
				return network.SetCookie(cookieName, token).WithURL(f.srv.URL + "/").WithSecure(true).WithHTTPOnly(true).WithPath("/").Do(ctx)
			}),
			browserpkg.SetDownloadBehavior(browserpkg.SetDownloadBehaviorBehaviorAllow).WithDownloadPath(downloads),
			chromedp.Navigate(f.srv.URL+"/audit"),
			chromedp.WaitVisible("#resident", chromedp.ByID),
			checkPage(t, "audit"),
			chromedp.SendKeys("#resident", "100001", chromedp.ByID),
			chromedp.Click("#audit-search", chromedp.ByID),
			chromedp.WaitVisible("#audit-results", chromedp.ByID),
			chromedp.Text("#audit-results", &results, chromedp.ByID),
			checkPage(t, "audit-search"),
			chromedp.Click(`#audit-results a[href="/audit/residents/131041/100001"]`, chromedp.ByQuery),
			chromedp.WaitVisible("#report-events", chromedp.ByID),
			chromedp.Text("#report-events", &report, chromedp.ByID),
			checkPage(t, "access-report"),
			chromedp.Click("#report-csv", chromedp.ByID),
		)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(results, "mynumber.reveal") || !strings.Contains(report, "viewer") || !strings.Contains(report, resident.DefaultRevealPurposes[0]) {
			t.Fatalf("results %q\nreport %q", results, report)
		}
		var csvData []byte
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if csvData, err = os.ReadFile(filepath.Join(downloads, "bango-access-131041-100001.csv")); err == nil && len(csvData) > 0 {
				break
			}
		}
		if !strings.Contains(string(csvData), "mynumber.reveal") || strings.Contains(string(csvData), "123456789018") {
			t.Fatalf("downloaded CSV: %q", csvData)
		}
	})
}
