package web

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"bango/internal/access"
	"bango/internal/alert"
	"bango/internal/audit"
	"bango/internal/export"
	"bango/internal/identity"
	"bango/internal/jpki"
	"bango/internal/jpki/standin"
	"bango/internal/linkage"
	"bango/internal/module"
	"bango/internal/nhi"
	"bango/internal/nhi/assess"
	"bango/internal/notify"
	"bango/internal/numbersetup"
	"bango/internal/pubmed"
	"bango/internal/resident"
	"bango/internal/review"
	"bango/internal/store"
	"bango/internal/tenant"
	"bango/internal/terminal"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
	"bango/internal/vault"
)

type webFixture struct {
	kit       *testkit.Kit
	db        *store.DB
	vault     *vault.Vault
	users     *identity.Service
	access    *access.Service
	server    *Server
	residents *resident.Service
	nhi       *nhi.Service
	assess    *assess.Service
	jpki      *jpki.Service
	linkage   *linkage.Service // the data linkage's work lists and jobs (linkage.go)
	// numbersetup sets My Numbers from registry files (numbersetup.go).
	numbersetup *numbersetup.Service
	ca          *standin.CA // the JPKI certification authority jpki reaches, over mutual TLS
	review      *review.Service
	alerts      *alert.Service
	exports     *export.Service
	outbox      *notify.Outbox
	sequencer   *audit.Sequencer
	srv         *httptest.Server
	now         time.Time
	secret      string
	origin      string // the server as https://localhost:PORT, for WebAuthn
}

// newWeb starts bango's handler over TLS with one enrolled user,
// "tanaka.h", whose password is already changed.
func newWeb(t *testing.T, eng store.Engine) *webFixture {
	t.Helper()
	db := testutil.NewDB(t, eng)
	k := testkit.New(t, db)
	k.Municipality(t, testkit.Shinjuku, "新宿区")
	k.Municipality(t, testkit.Sapporo, "札幌市")
	f := &webFixture{kit: k, db: db, vault: k.Vault, users: k.Users, access: k.Access, now: time.Now().UTC()}
	f.users.SetClock(func() time.Time { return f.now })
	k.Staff(t, testkit.Staff{Login: "tanaka.h", Name: "田中　花子", Tenant: testkit.Shinjuku})
	f.secret = k.SecondFactor(t, "tanaka.h")
	quiet := testkit.Quiet
	f.residents = resident.NewService(db, k.Vault, quiet)
	f.nhi = nhi.NewService(db, quiet)
	f.assess = assess.NewService(db, quiet)
	pub, err := pubmed.NewService(db, quiet, f.residents)
	if err != nil {
		t.Fatal(err)
	}
	f.ca, f.jpki = jpkiOver(t, db, k.Vault, f.residents)
	f.review = review.NewService(db, k.Vault, f.access)
	f.alerts = alert.NewService(db)
	f.exports = export.NewService(db, f.access)
	f.numbersetup = numbersetup.NewService(db, k.Vault, f.residents, f.review, quiet)
	f.numbersetup.AddBusiness(numbersetup.NHIPeople())
	f.numbersetup.AddBusiness(pubmed.NumberSetupPeople())
	f.linkage = linkage.NewService(db, f.review)
	if err := module.Install([]module.Module{module.Access(f.access), f.residents.Module(), f.nhi.Module(), f.assess.Module(), pub.Module(), f.jpki.Module(), f.numbersetup.Module(),
		f.linkage.Module()}, f.review, f.exports); err != nil {
		t.Fatal(err)
	}
	f.linkage.SetEligibilitySource(f.nhi)
	f.outbox = notify.NewOutbox(db)
	f.sequencer = audit.NewSequencer(db, testutil.AuditKeys(t), quiet, audit.SequencerOptions{Every: 1000, Period: time.Hour})
	f.residents.SetRevealPolicy(resident.RevealPolicy{Purposes: resident.DefaultRevealPurposes, PerHour: 3, Alerts: f.alerts})
	s := New(Deps{DB: db, Users: f.users, Access: f.access, Terminals: terminal.New(db), Log: quiet, Version: "test", Limits: unlimited,
		Business: Business{Residents: f.residents, Review: f.review, Alerts: f.alerts, Exports: f.exports, Outbox: f.outbox, Tenants: tenant.NewService(db, k.Vault), NHI: f.nhi, Assess: f.assess, Pubmed: pub, JPKI: f.jpki, Linkage: f.linkage, NumberSetup: f.numbersetup}})
	f.server = s
	s.SetReady(true)
	f.srv = httptest.NewTLSServer(s.Handler())
	t.Cleanup(f.srv.Close)
	// WebAuthn needs a host name, not an IP address, as relying party.
	f.origin = strings.Replace(f.srv.URL, "127.0.0.1", "localhost", 1)
	if err := f.users.SetWebAuthn("localhost", []string{f.origin}); err != nil {
		t.Fatal(err)
	}
	return f
}

// forEachEngine runs fn on a fresh fixture per engine, as subtests
// "sqlite" and "postgres": PostgreSQL as an ordinary role under
// row-level security, as production runs.
func forEachEngine(t *testing.T, fn func(t *testing.T, f *webFixture)) {
	t.Helper()
	testutil.EachEngine(t, func(t *testing.T, eng store.Engine) { fn(t, newWeb(t, eng)) })
}

func (f *webFixture) client(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return string(b)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (f *webFixture) get(t *testing.T, c *http.Client, path string) (*http.Response, string) {
	t.Helper()
	res, err := c.Get(f.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	return res, body(t, res)
}

func (f *webFixture) post(t *testing.T, c *http.Client, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	res, err := c.PostForm(f.srv.URL+path, form)
	if err != nil {
		t.Fatal(err)
	}
	return res, body(t, res)
}

func csrfOf(t *testing.T, page string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token in page:\n%s", page)
	}
	return m[1]
}

// login goes through both steps and returns the logged-in client.
func (f *webFixture) login(t *testing.T) *http.Client {
	t.Helper()
	c := f.client(t)
	res, _ := f.post(t, c, "/login", url.Values{"login_id": {"tanaka.h"}, "password": {"correct horse battery"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login/second" {
		t.Fatalf("password step: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	_, page := f.get(t, c, "/login/second")
	res, _ = f.post(t, c, "/login/second", url.Values{"csrf": {csrfOf(t, page)}, "code": {testutil.TOTP(f.secret, f.now)}, "pin": {"2580"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		t.Fatalf("second step: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	return c
}

// R-AUTH-1, R-AUTH-4: the whole login over HTTP, the cookie's attributes,
// and the generic failure.
func TestLoginFlow(t *testing.T) {
	for _, eng := range []store.Engine{store.SQLite, store.Postgres} {
		t.Run(string(eng), func(t *testing.T) {
			f := newWeb(t, eng)
			c := f.client(t)
			if res, _ := f.get(t, c, "/"); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
				t.Fatalf("anonymous home: %d %s", res.StatusCode, res.Header.Get("Location"))
			}
			res, page := f.post(t, c, "/login", url.Values{"login_id": {"tanaka.h"}, "password": {"wrong wrong wrong"}})
			if res.StatusCode != http.StatusUnauthorized || !strings.Contains(page, "ログインできません") || !strings.Contains(page, `value="tanaka.h"`) {
				t.Fatalf("wrong password: %d\n%s", res.StatusCode, page)
			}
			res, _ = f.post(t, c, "/login", url.Values{"login_id": {"tanaka.h"}, "password": {"correct horse battery"}})
			cookie := res.Header.Get("Set-Cookie")
			for _, attr := range []string{"__Host-bango=", "Path=/", "HttpOnly", "Secure", "SameSite=Strict"} {
				if !strings.Contains(cookie, attr) {
					t.Fatalf("cookie %q lacks %s", cookie, attr)
				}
			}
			// The password stage opens nothing else.
			if res, _ := f.get(t, c, "/"); res.Header.Get("Location") != "/login/second" {
				t.Fatalf("home after the password only: %s", res.Header.Get("Location"))
			}
			_, page = f.get(t, c, "/login/second")
			csrf := csrfOf(t, page)
			res, page = f.post(t, c, "/login/second", url.Values{"csrf": {csrf}, "code": {"000000"}, "pin": {"2580"}})
			if res.StatusCode != http.StatusUnauthorized || !strings.Contains(page, "ログインできません") {
				t.Fatalf("wrong code: %d", res.StatusCode)
			}
			res, _ = f.post(t, c, "/login/second", url.Values{"csrf": {csrf}, "code": {testutil.TOTP(f.secret, f.now)}, "pin": {"2580"}})
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" || !strings.Contains(res.Header.Get("Set-Cookie"), "__Host-bango=") {
				t.Fatalf("second step: %d %v", res.StatusCode, res.Header)
			}
			res, page = f.get(t, c, "/")
			if res.StatusCode != 200 || !strings.Contains(page, "田中　花子さん、ようこそ。") || !strings.Contains(page, "新宿区（131041）") || !strings.Contains(page, `data-seconds="`) {
				t.Fatalf("home: %d\n%s", res.StatusCode, page)
			}
			// English.
			f.get(t, c, "/lang?to=en&next=/")
			if _, page = f.get(t, c, "/"); !strings.Contains(page, "Welcome, 田中　花子.") || !strings.Contains(page, `lang="en"`) {
				t.Fatalf("English home:\n%s", page)
			}
			// Logout needs the CSRF token; then the session is gone.
			if res, _ := f.post(t, c, "/logout", url.Values{}); res.StatusCode != http.StatusForbidden {
				t.Fatalf("logout without token: %d", res.StatusCode)
			}
			res, _ = f.post(t, c, "/logout", url.Values{"csrf": {csrfOf(t, page)}})
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
				t.Fatalf("logout: %d", res.StatusCode)
			}
			if res, _ := f.get(t, c, "/"); res.Header.Get("Location") != "/login" {
				t.Fatal("home after logout")
			}
			refused := testutil.CountEvents(t, f.db, `action = 'request.refused' AND detail LIKE 'reason=csrf%'`)
			if refused != 1 {
				t.Fatalf("refused CSRF requests audited: %d", refused)
			}
		})
	}
}

// R-AUTH-4: ten idle minutes lock the session; the second factor unlocks
// it and returns the user to where they were going.
func TestIdleLockOverHTTP(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		c := f.login(t)
		f.now = f.now.Add(11 * time.Minute)
		res, _ := f.get(t, c, "/password")
		if res.StatusCode != 200 {
			t.Fatalf("password page (any session) = %d", res.StatusCode)
		}
		res, _ = f.get(t, c, "/?from=menu")
		if loc := res.Header.Get("Location"); loc != "/lock?next=%2F%3Ffrom%3Dmenu" {
			t.Fatalf("locked home: %d %s", res.StatusCode, loc)
		}
		_, page := f.get(t, c, "/lock?next=%2F%3Ffrom%3Dmenu")
		if !strings.Contains(page, "一定時間操作がなかったため") { // issue 17: the lock screen says why
			t.Fatalf("the idle lock screen does not say it locked for inactivity:\n%s", page)
		}
		f.now = f.now.Add(30 * time.Second)
		res, _ = f.post(t, c, "/lock", url.Values{"csrf": {csrfOf(t, page)}, "next": {"/?from=menu"}, "code": {testutil.TOTP(f.secret, f.now)}, "pin": {"2580"}})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/?from=menu" {
			t.Fatalf("unlock: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
		_, home := f.get(t, c, "/")
		if !strings.Contains(home, `action="/lock/now"`) {
			t.Fatalf("home after unlock:\n%s", home)
		}
		// Locked by the person's own button: the screen says so, and the
		// audit event names the reason.
		f.now = f.now.Add(31 * time.Second)
		if res, _ := f.post(t, c, "/lock/now", url.Values{"csrf": {csrfOf(t, home)}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("lock now: %d", res.StatusCode)
		}
		if _, page := f.get(t, c, "/lock"); !strings.Contains(page, "「画面ロック」ボタンで") {
			t.Fatalf("the lock screen does not say the user locked it:\n%s", page)
		}
		if n := testutil.CountEvents(t, f.db, `action = 'session.lock' AND detail = 'reason=user'`); n != 1 {
			t.Fatalf("session.lock events with reason=user: %d", n)
		}
		if n := testutil.CountEvents(t, f.db, `action = 'session.lock' AND detail = 'reason=idle'`); n != 1 {
			t.Fatalf("session.lock events with reason=idle: %d", n)
		}
		// A next that leaves the site is not followed.
		if localPath("//evil.example/") != "/" || localPath("https://evil.example") != "/" || localPath("/\\evil") != "/" {
			t.Fatal("localPath lets a foreign URL through")
		}
	})
}

// R-AUTH-3: with a one-time password, every page leads to the change page.
func TestForcedPasswordChange(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		ctx := audit.WithActor(context.Background(), audit.Actor{User: "is-admin"})
		temp, err := f.users.ResetPassword(ctx, "tanaka.h")
		if err != nil {
			t.Fatal(err)
		}
		c := f.client(t)
		f.post(t, c, "/login", url.Values{"login_id": {"tanaka.h"}, "password": {temp}})
		_, page := f.get(t, c, "/login/second")
		res, _ := f.post(t, c, "/login/second", url.Values{"csrf": {csrfOf(t, page)}, "code": {testutil.TOTP(f.secret, f.now)}, "pin": {"2580"}})
		if res.Header.Get("Location") != "/password" {
			t.Fatalf("after login with a one-time password: %s", res.Header.Get("Location"))
		}
		if res, _ := f.get(t, c, "/"); res.Header.Get("Location") != "/password" {
			t.Fatalf("home with an expired password: %s", res.Header.Get("Location"))
		}
		_, page = f.get(t, c, "/password")
		if !strings.Contains(page, "新しいパスワードを設定するまで") {
			t.Fatal("the change page does not say why")
		}
		csrf := csrfOf(t, page)
		res, page = f.post(t, c, "/password", url.Values{"csrf": {csrf}, "current": {temp}, "new": {"password1234"}, "confirm": {"password1234"}})
		if res.StatusCode != 400 || !strings.Contains(page, "よく使われる") {
			t.Fatalf("common password: %d", res.StatusCode)
		}
		res, _ = f.post(t, c, "/password", url.Values{"csrf": {csrf}, "current": {temp}, "new": {"fresh lantern morning"}, "confirm": {"fresh lantern morning"}})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
			t.Fatalf("change: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
		if res, _ := f.get(t, c, "/"); res.StatusCode != 200 {
			t.Fatalf("home after the change: %d", res.StatusCode)
		}
	})
}

// Cross-origin posts and oversized fields are refused and audited.
func TestRefusals(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		c := f.client(t)
		req, _ := http.NewRequest("POST", f.srv.URL+"/login", strings.NewReader("login_id=tanaka.h&password=x"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		req.Header.Set("Origin", "https://evil.example")
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != http.StatusForbidden {
			t.Fatalf("cross-origin login = %d", res.StatusCode)
		}
		res, page := f.post(t, c, "/login", url.Values{"login_id": {strings.Repeat("a", 300)}, "password": {"x"}})
		if res.StatusCode != 400 || !strings.Contains(page, "login_id") {
			t.Fatalf("oversized field: %d\n%s", res.StatusCode, page)
		}
		n := testutil.CountEvents(t, f.db, `action = 'request.refused'`)
		if n != 2 {
			t.Fatalf("refusals audited = %d, want 2", n)
		}
	})
}

var tKey = regexp.MustCompile(`\{\{tf? "([^"]+)"`)

// Every UI string is in both languages, and every key a template uses
// exists.
func TestCatalogue(t *testing.T) {
	for _, k := range catalogueKeys() {
		m := catalogue[k]
		if strings.TrimSpace(m[0]) == "" || strings.TrimSpace(m[1]) == "" {
			t.Errorf("key %q lacks a language: %q", k, m)
		}
	}
	entries, _ := templateFiles.ReadDir("templates")
	used := 0
	for _, e := range entries {
		src, _ := templateFiles.ReadFile("templates/" + e.Name())
		for _, m := range tKey.FindAllStringSubmatch(string(src), -1) {
			used++
			if _, ok := catalogue[m[1]]; !ok {
				t.Errorf("%s uses key %q, which the catalogue lacks", e.Name(), m[1])
			}
		}
	}
	if used < 20 {
		t.Fatalf("only %d keys found in templates; the scan is broken", used)
	}
}

// R-AUTH-5: with enforcement on, an unregistered terminal is refused at the
// login page and on every request, and the refusal is audited; a
// registered one logs in and its name is in the session's events.
func TestDesignatedTerminals(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		reg := terminal.New(f.db)
		s := New(Deps{DB: f.db, Terminals: reg, EnforceTerminals: true, Users: f.users, Access: f.access, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "test"})
		srv := httptest.NewTLSServer(s.Handler())
		defer srv.Close()
		f.srv = srv
		c := f.client(t)
		res, page := f.get(t, c, "/login")
		if res.StatusCode != http.StatusForbidden || !strings.Contains(page, "この端末からは利用できません") {
			t.Fatalf("unregistered terminal: %d", res.StatusCode)
		}
		if res, _ := f.post(t, c, "/login", url.Values{"login_id": {"tanaka.h"}, "password": {"correct horse battery"}}); res.StatusCode != http.StatusForbidden {
			t.Fatalf("login from an unregistered terminal: %d", res.StatusCode)
		}
		ctx := audit.WithActor(context.Background(), audit.Actor{User: "is-admin"})
		ps, _ := terminal.ParsePrefixes("127.0.0.1")
		if _, err := reg.Add(ctx, terminal.Terminal{Name: "T-loopback", Prefixes: ps}); err != nil {
			t.Fatal(err)
		}
		c = f.login(t)
		if res, _ := f.get(t, c, "/"); res.StatusCode != 200 {
			t.Fatalf("home from a registered terminal: %d", res.StatusCode)
		}
		var term string
		f.db.ReadRow(testutil.AllTenants(), `SELECT actor_terminal FROM audit_events WHERE action = 'login.second_factor' AND outcome = 'ok'`).Scan(&term)
		if term != "T-loopback" {
			t.Fatalf("login event names terminal %q", term)
		}
		if err := reg.Disable(ctx, "T-loopback"); err != nil {
			t.Fatal(err)
		}
		if res, _ := f.get(t, c, "/"); res.StatusCode != http.StatusForbidden {
			t.Fatalf("a disabled terminal's session still works: %d", res.StatusCode)
		}
		refused := testutil.CountEvents(t, f.db, `action = 'request.refused' AND detail LIKE 'reason=unregistered_terminal%'`)
		if refused != 3 {
			t.Fatalf("refusals audited = %d, want 3", refused)
		}
	})
}

var secretOnPage = regexp.MustCompile(`id="totp-secret">([A-Z2-7]+)<`)

// R-AUTH-1: a new user sets up the second factor at first login: a QR code
// and the secret, the app's code, and a PIN they choose.
func TestFirstLoginEnrolment(t *testing.T) {
	for _, eng := range []store.Engine{store.SQLite, store.Postgres} {
		t.Run(string(eng), func(t *testing.T) {
			f := newWeb(t, eng)
			ctx := audit.WithActor(context.Background(), audit.Actor{User: "is-admin"})
			_, temp, err := f.users.Create(ctx, identity.NewUser{LoginID: "newcomer", Name: "新人　一郎", Tenant: "131041"})
			if err != nil {
				t.Fatal(err)
			}
			c := f.client(t)
			f.post(t, c, "/login", url.Values{"login_id": {"newcomer"}, "password": {temp}})
			res, _ := f.get(t, c, "/login/second")
			if res.Header.Get("Location") != "/login/enroll" {
				t.Fatalf("second step of a new user: %s", res.Header.Get("Location"))
			}
			_, page := f.get(t, c, "/login/enroll")
			if strings.Contains(page, `id="idle"`) || strings.Contains(page, `action="/lock/now"`) {
				t.Fatal("the password stage shows the idle countdown or the lock button")
			}
			m := secretOnPage.FindStringSubmatch(page)
			if m == nil || !strings.Contains(page, `src="data:image/png;base64,`) {
				t.Fatalf("no QR code or secret:\n%s", page)
			}
			// A reload shows the same secret.
			if _, again := f.get(t, c, "/login/enroll"); !strings.Contains(again, m[1]) {
				t.Fatal("the secret changed on reload")
			}
			csrf := csrfOf(t, page)
			res, _ = f.post(t, c, "/login/enroll", url.Values{"csrf": {csrf}, "code": {testutil.TOTP(m[1], f.now)}, "pin": {"1357"}, "pin_again": {"1358"}})
			if res.StatusCode != 200 {
				t.Fatalf("mismatched PINs: %d", res.StatusCode)
			}
			res, _ = f.post(t, c, "/login/enroll", url.Values{"csrf": {csrf}, "code": {"000000"}, "pin": {"1357"}, "pin_again": {"1357"}})
			if res.StatusCode != 200 {
				t.Fatalf("wrong code: %d", res.StatusCode)
			}
			res, _ = f.post(t, c, "/login/enroll", url.Values{"csrf": {csrf}, "code": {testutil.TOTP(m[1], f.now)}, "pin": {"1357"}, "pin_again": {"1357"}})
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/password" {
				t.Fatalf("enrolment: %d %s", res.StatusCode, res.Header.Get("Location"))
			}
			u, _ := f.users.Get(ctx, "newcomer")
			if !u.HasTOTP || !u.HasPIN {
				t.Fatalf("after enrolment: %+v", u)
			}
			// The next login uses the enrolled factors.
			f.now = f.now.Add(30 * time.Second)
			if _, err := f.users.CheckSecondFactor(ctx, "newcomer", testutil.TOTP(m[1], f.now), "1357"); err != nil {
				t.Fatalf("enrolled factors do not work: %v", err)
			}
			var ev string
			f.db.ReadRow(testutil.AllTenants(), `SELECT detail FROM audit_events WHERE action = 'totp.enrol' AND outcome = 'ok'`).Scan(&ev)
			if ev != "by=self totp=new pin=set" {
				t.Fatalf("enrolment event = %q", ev)
			}
		})
	}
}

// Behind a trusted TLS proxy the client's address comes from
// X-Forwarded-For; from anyone else the header is ignored, so a client
// cannot claim to be a designated terminal.
func TestClientAddress(t *testing.T) {
	proxies, _ := terminal.ParsePrefixes("10.9.0.1, 10.9.1.0/24")
	s := &Server{proxies: proxies}
	tests := []struct {
		remote, xff, want string
	}{
		{"192.0.2.7:5000", "", "192.0.2.7"},
		{"192.0.2.7:5000", "10.0.0.8", "192.0.2.7"},         // not a proxy: header ignored
		{"10.9.0.1:443", "10.0.0.8", "10.0.0.8"},            // the proxy speaks for the client
		{"10.9.0.1:443", "6.6.6.6, 10.0.0.8", "10.0.0.8"},   // right-most untrusted hop; the client's own claim is ignored
		{"10.9.0.1:443", "10.0.0.8, 10.9.1.20", "10.0.0.8"}, // through two trusted proxies
		{"10.9.0.1:443", "not-an-address", "10.9.0.1"},      // a malformed chain: the proxy itself
		{"10.9.0.1:443", "", "10.9.0.1"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tt.remote
		if tt.xff != "" {
			r.Header.Set("X-Forwarded-For", tt.xff)
		}
		if got := s.clientAddress(r); got != tt.want {
			t.Errorf("remote %s, X-Forwarded-For %q: %s, want %s", tt.remote, tt.xff, got, tt.want)
		}
	}
}

// R-AUTH-5: a spoofed X-Forwarded-For from a client that is no trusted
// proxy does not make it a designated terminal.
func TestSpoofedForwardedForIsNotATerminal(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		reg := terminal.New(f.db)
		ctx := audit.WithActor(context.Background(), audit.Actor{User: "is-admin"})
		ps, _ := terminal.ParsePrefixes("10.0.0.8")
		if _, err := reg.Add(ctx, terminal.Terminal{Name: "T-01", Prefixes: ps}); err != nil {
			t.Fatal(err)
		}
		s := New(Deps{DB: f.db, Terminals: reg, EnforceTerminals: true, Users: f.users, Access: f.access, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "test"})
		srv := httptest.NewTLSServer(s.Handler())
		defer srv.Close()
		req, _ := http.NewRequest("GET", srv.URL+"/login", nil)
		req.Header.Set("X-Forwarded-For", "10.0.0.8")
		res, err := f.client(t).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden {
			t.Fatalf("spoofed X-Forwarded-For let the login page through: %d", res.StatusCode)
		}
	})
}

// A user changes their own PIN with a fresh code; the old PIN stops
// working, and the code cannot be used twice.
func TestChangePIN(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		c := f.login(t)
		_, page := f.get(t, c, "/pin")
		csrf := csrfOf(t, page)
		f.now = f.now.Add(30 * time.Second)
		code := testutil.TOTP(f.secret, f.now)
		if res, page := f.post(t, c, "/pin", url.Values{"csrf": {csrf}, "code": {code}, "pin": {"1111"}, "pin_again": {"1111"}}); res.StatusCode != 400 || !strings.Contains(page, "同じ数字だけ") {
			t.Fatalf("one-digit PIN: %d", res.StatusCode)
		}
		if res, page := f.post(t, c, "/pin", url.Values{"csrf": {csrf}, "code": {code}, "pin": {"8642"}, "pin_again": {"8642"}}); res.StatusCode != 200 || !strings.Contains(page, "PINを変更しました") {
			t.Fatalf("change: %d", res.StatusCode)
		}
		if res, _ := f.post(t, c, "/pin", url.Values{"csrf": {csrf}, "code": {code}, "pin": {"9753"}, "pin_again": {"9753"}}); res.StatusCode != 400 {
			t.Fatalf("the same code worked twice: %d", res.StatusCode)
		}
		ctx := audit.WithActor(context.Background(), audit.Actor{User: "tanaka.h"})
		f.now = f.now.Add(30 * time.Second)
		if _, err := f.users.CheckSecondFactor(ctx, "tanaka.h", testutil.TOTP(f.secret, f.now), "2580"); !identity.ErrLogin(err) {
			t.Fatalf("the old PIN still works: %v", err)
		}
		f.now = f.now.Add(30 * time.Second)
		if _, err := f.users.CheckSecondFactor(ctx, "tanaka.h", testutil.TOTP(f.secret, f.now), "8642"); err != nil {
			t.Fatalf("the new PIN does not work: %v", err)
		}
	})
}

// place puts every event written so far into the tree, as the sequencer
// of serve does every second: searches find placed events only.
func (f *webFixture) place(t *testing.T) {
	t.Helper()
	testutil.Place(t, f.db, f.sequencer)
}
