package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"bango/internal/identity"
	"bango/internal/store"
	"bango/internal/terminal"
	"bango/internal/testutil"
)

// unlimited is for the fixture: tests log in far faster than people do.
var unlimited = Limits{AnonymousPerMinute: 1 << 20, AnonymousBurst: 1 << 20, LoginIDPerMinute: 1 << 20}

// limited is a server over f's services with its own limits, users and
// clock; 127.0.0.1 is a trusted proxy, so X-Forwarded-For names the client.
type limited struct {
	f     *webFixture
	s     *Server
	srv   *httptest.Server
	clock atomic.Int64 // the limiter's time, Unix nanoseconds
}

func newLimited(t *testing.T, f *webFixture, l Limits, users *identity.Service) *limited {
	t.Helper()
	if users == nil {
		users = f.users
	}
	lt := &limited{f: f}
	lt.clock.Store(f.now.UnixNano())
	lt.s = New(Deps{DB: f.db, Users: users, Access: f.access, Terminals: terminal.New(f.db), Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Version: "test", Limits: l, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	lt.s.rate.now = func() time.Time { return time.Unix(0, lt.clock.Load()).UTC() }
	lt.s.SetReady(true)
	lt.srv = httptest.NewTLSServer(lt.s.Handler())
	t.Cleanup(lt.srv.Close)
	return lt
}

func (lt *limited) advance(d time.Duration) { lt.clock.Add(int64(d)) }

// post sends a form from the client address from; crossSite makes it a
// cross-site request, as a browser marks one from another site's page.
func (lt *limited) post(t *testing.T, c *http.Client, path, from string, form url.Values, crossSite bool) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, lt.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-For", from)
	if crossSite {
		req.Header.Set("Sec-Fetch-Site", "cross-site")
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

func (lt *limited) count(t *testing.T, where string, args ...any) int {
	t.Helper()
	return testutil.CountEvents(t, lt.f.db, where, args...)
}

func (lt *limited) details(t *testing.T, where string, args ...any) []string {
	t.Helper()
	ctx := testutil.AllTenants()
	var out []string
	err := lt.f.db.Read(ctx, func(q store.Querier) error {
		rows, err := q.Query(ctx, `SELECT detail FROM audit_events WHERE `+where+` ORDER BY id`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var d string
			if err := rows.Scan(&d); err != nil {
				return err
			}
			out = append(out, d)
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// R-AUD-1, R-AUTH-1: a burst of anonymous refusals from one address
// (unknown login IDs and cross-site posts) writes a bounded number of
// audit events: those within the limit as usual, the first throttled one,
// and one summary with the count; everything beyond the limit is answered
// 429 with Retry-After. Other addresses are not affected, and the address
// is served again once its tokens come back.
func TestAnonymousFloodIsThrottled(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		lt := newLimited(t, f, Limits{AnonymousPerMinute: 6, AnonymousBurst: 3, LoginIDPerMinute: 1000}, nil)
		c := f.client(t)
		const flooder, other = "203.0.113.7", "198.51.100.9"
		const requests = 40
		var answered, throttled int
		for i := range requests {
			var res *http.Response
			if i%2 == 0 {
				res = lt.post(t, c, "/login", flooder, url.Values{"login_id": {"nobody.at.all"}, "password": {"guess guess guess"}}, false)
			} else {
				res = lt.post(t, c, "/logout", flooder, url.Values{"csrf": {"x"}}, true)
			}
			switch res.StatusCode {
			case http.StatusUnauthorized, http.StatusForbidden:
				answered++
			case http.StatusTooManyRequests:
				throttled++
				if res.Header.Get("Retry-After") != "10" { // one token every 10 s
					t.Fatalf("request %d: Retry-After %q", i, res.Header.Get("Retry-After"))
				}
			default:
				t.Fatalf("request %d: status %d", i, res.StatusCode)
			}
		}
		if answered != 3 || throttled != requests-3 {
			t.Fatalf("answered %d, throttled %d; want 3 and %d", answered, throttled, requests-3)
		}
		// Another address is served as usual meanwhile.
		if res := lt.post(t, c, "/login", other, url.Values{"login_id": {"nobody.at.all"}, "password": {"guess guess guess"}}, false); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("another address: %d", res.StatusCode)
		}

		fromFlooder := `actor_address = $1`
		if n := lt.count(t, fromFlooder+` AND action <> 'request.throttled'`, flooder); n != 3 {
			t.Fatalf("refusals recorded one by one: %d, want 3 (the burst)", n)
		}
		began := lt.details(t, fromFlooder+` AND action = 'request.throttled'`, flooder)
		if len(began) != 1 || !strings.Contains(began[0], "limit=address") || !strings.Contains(began[0], "state=began") {
			t.Fatalf("throttling recorded as %q, want one event that it began", began)
		}
		if n := lt.count(t, `subject_type = 'address' AND subject_id = $1`, flooder); n != 1 {
			t.Fatalf("events about the address: %d", n)
		}

		// The summary waits for the window's end, and is written then
		// even though the flood has stopped.
		if err := lt.s.FlushThrottled(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n := lt.count(t, fromFlooder+` AND action = 'request.throttled'`, flooder); n != 1 {
			t.Fatalf("a summary was written before the window ended: %d events", n)
		}
		lt.advance(throttleWindow + time.Second)
		if err := lt.s.FlushThrottled(context.Background()); err != nil {
			t.Fatal(err)
		}
		all := lt.details(t, fromFlooder+` AND action = 'request.throttled'`, flooder)
		if len(all) != 2 {
			t.Fatalf("throttle events: %q", all)
		}
		summary := all[1]
		want := "count=" + strconv.Itoa(requests-3-1) // after the first throttled request
		if !strings.Contains(summary, want) || !strings.Contains(summary, "reasons=") || !strings.Contains(summary, "login") ||
			!strings.Contains(summary, "cross_origin") || !strings.Contains(summary, "from=") {
			t.Fatalf("summary %q, want %s and both reasons", summary, want)
		}
		if err := lt.s.FlushThrottled(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n := lt.count(t, fromFlooder, flooder); n != 3+2 {
			t.Fatalf("events for %d requests: %d, want 5", requests, n)
		}

		// The tokens came back with the time.
		if res := lt.post(t, c, "/login", flooder, url.Values{"login_id": {"nobody.at.all"}, "password": {"guess guess guess"}}, false); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("after the window: %d", res.StatusCode)
		}
	})
}

// R-AUTH-1: one login ID is tried at most so often from all addresses
// together; beyond it, even the right password is answered 429 without a
// hash or a failure counted, and the lockout count stays where it was.
func TestLoginIDLimitAcrossAddresses(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		lt := newLimited(t, f, Limits{AnonymousPerMinute: 1000, AnonymousBurst: 1000, LoginIDPerMinute: 3}, nil)
		c := f.client(t)
		for i := range 3 {
			res := lt.post(t, c, "/login", "10.0.0."+strconv.Itoa(i+1), url.Values{"login_id": {"tanaka.h"}, "password": {"wrong wrong wrong"}}, false)
			if res.StatusCode != http.StatusUnauthorized {
				t.Fatalf("attempt %d: %d", i+1, res.StatusCode)
			}
		}
		for i, id := range []string{"tanaka.h", "TANAKA.H ", "tanaka.h"} {
			res := lt.post(t, c, "/login", "10.0.1."+strconv.Itoa(i+1), url.Values{"login_id": {id}, "password": {"correct horse battery"}}, false)
			if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
				t.Fatalf("attempt beyond the login ID's limit (%q): %d", id, res.StatusCode)
			}
		}
		var failed int
		f.db.QueryRow(context.Background(), `SELECT failed_logins FROM staff_users WHERE login_id = 'tanaka.h'`).Scan(&failed)
		if failed != 3 {
			t.Fatalf("failures counted: %d, want 3 (throttled attempts are not tried)", failed)
		}
		if n := lt.count(t, `action = 'login.password'`); n != 3 {
			t.Fatalf("login events: %d, want 3", n)
		}
		if n := lt.count(t, `action = 'request.throttled' AND subject_type = 'user' AND subject_id = 'tanaka.h' AND detail LIKE '%limit=login_id%'`); n != 1 {
			t.Fatalf("throttling of the login ID recorded %d times", n)
		}
		lt.advance(throttleWindow + time.Second)
		if err := lt.s.FlushThrottled(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := lt.details(t, `action = 'request.throttled' AND subject_id = 'tanaka.h'`); len(got) != 2 || !strings.Contains(got[1], "count=2") {
			t.Fatalf("login ID's throttle events: %q", got)
		}
		if res := lt.post(t, c, "/login", "10.0.2.1", url.Values{"login_id": {"tanaka.h"}, "password": {"correct horse battery"}}, false); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("after the window: %d", res.StatusCode)
		}
	})
}

// On shutdown, open windows are summarised early: a restart loses no
// count.
func TestCloseThrottledWritesOpenWindows(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		lt := newLimited(t, f, Limits{AnonymousPerMinute: 1, AnonymousBurst: 1, LoginIDPerMinute: 1000}, nil)
		c := f.client(t)
		for range 4 {
			lt.post(t, c, "/logout", "192.0.2.5", url.Values{}, true)
		}
		if err := lt.s.CloseThrottled(context.Background()); err != nil {
			t.Fatal(err)
		}
		got := lt.details(t, `action = 'request.throttled' AND actor_address = '192.0.2.5'`)
		if len(got) != 2 || !strings.Contains(got[1], "count=2") {
			t.Fatalf("throttle events: %q", got)
		}
	})
}

// waitUntil yields until cond holds: the test waits for a request to reach
// the hash queue, never for a length of time.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second) // only against a hang
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
}

// R-AUTH-1: with every Argon2 slot busy and the queue for them full, a
// login, a second factor and an unlock are answered 503 with Retry-After
// at once, not queued; nothing is checked, counted or recorded for them,
// and they work again once a slot is free. The test holds the slot
// itself, so nothing depends on how long a hash takes.
func TestLoginBeyondHashQueue(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		slots := identity.NewSlots(1, 1)
		users := identity.NewService(f.db, f.vault, identity.NewHasherOn(identity.Params{Time: 1, MemoryKiB: 1024, Threads: 1}, slots),
			identity.DefaultPolicy, slog.New(slog.NewTextHandler(io.Discard, nil)))
		users.SetClock(func() time.Time { return f.now })
		lt := newLimited(t, f, unlimited, users)
		ctx := context.Background()
		fill := func() (release func(), waiter chan *http.Response) {
			t.Helper()
			release, err := slots.Take(ctx)
			if err != nil {
				t.Fatal(err)
			}
			waiter = make(chan *http.Response, 1)
			go func() {
				res, err := f.client(t).PostForm(lt.srv.URL+"/login", url.Values{"login_id": {"waiting.one"}, "password": {"guess guess guess"}})
				if err == nil {
					res.Body.Close()
				}
				waiter <- res
			}()
			waitUntil(t, "a login waiting for the hash", func() bool { return slots.Waiting() == 1 })
			return release, waiter
		}
		busy := func(what string, res *http.Response) {
			t.Helper()
			if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
				t.Fatalf("%s beyond the hash queue: %d, Retry-After %q", what, res.StatusCode, res.Header.Get("Retry-After"))
			}
		}
		done := func(release func(), waiter chan *http.Response) {
			t.Helper()
			release()
			if res := <-waiter; res == nil || res.StatusCode != http.StatusUnauthorized {
				t.Fatalf("the waiting login: %v", res)
			}
		}
		// The client gives up long before the test would hang: a request
		// that queued behind the held slot fails instead of passing.
		c := f.client(t)
		c.Timeout = 20 * time.Second

		release, waiter := fill()
		busy("login", lt.post(t, c, "/login", "127.0.0.1", url.Values{"login_id": {"tanaka.h"}, "password": {"correct horse battery"}}, false))
		busy("unknown login ID", lt.post(t, c, "/login", "127.0.0.1", url.Values{"login_id": {"nobody.at.all"}, "password": {"guess guess guess"}}, false))
		if n := lt.count(t, `action = 'login.password'`); n != 0 {
			t.Fatalf("logins beyond the queue recorded: %d events", n)
		}
		done(release, waiter)
		var failed int
		f.db.QueryRow(ctx, `SELECT failed_logins FROM staff_users WHERE login_id = 'tanaka.h'`).Scan(&failed)
		if failed != 0 {
			t.Fatalf("a busy login counted as a failure: %d", failed)
		}

		// Second factor.
		if res := lt.post(t, c, "/login", "127.0.0.1", url.Values{"login_id": {"tanaka.h"}, "password": {"correct horse battery"}}, false); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("password step: %d", res.StatusCode)
		}
		res, err := c.Get(lt.srv.URL + "/login/second")
		if err != nil {
			t.Fatal(err)
		}
		csrf := csrfOf(t, body(t, res))
		second := url.Values{"csrf": {csrf}, "code": {testutil.TOTP(f.secret, f.now)}, "pin": {"2580"}}
		release, waiter = fill()
		busy("second factor", lt.post(t, c, "/login/second", "127.0.0.1", second, false))
		done(release, waiter)
		if res := lt.post(t, c, "/login/second", "127.0.0.1", second, false); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
			t.Fatalf("second factor once a slot is free: %d %s", res.StatusCode, res.Header.Get("Location"))
		}

		// Unlock.
		f.now = f.now.Add(11 * time.Minute)
		res, err = c.Get(lt.srv.URL + "/lock")
		if err != nil {
			t.Fatal(err)
		}
		unlock := url.Values{"csrf": {csrfOf(t, body(t, res))}, "code": {testutil.TOTP(f.secret, f.now)}, "pin": {"2580"}}
		release, waiter = fill()
		busy("unlock", lt.post(t, c, "/lock", "127.0.0.1", unlock, false))
		done(release, waiter)
		if res := lt.post(t, c, "/lock", "127.0.0.1", unlock, false); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("unlock once a slot is free: %d", res.StatusCode)
		}
		if n := lt.count(t, `action = 'login.second_factor' AND outcome <> 'ok'`); n != 0 {
			t.Fatalf("busy second factors recorded as failures: %d", n)
		}
	})
}

// The limiters' memory is bounded: beyond max keys the least recently
// seen is forgotten, and beyond max throttled keys at once the rest are
// counted together.
func TestLimiterMemoryIsBounded(t *testing.T) {
	now := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
	b := newBuckets(60, 1, 2)
	if ok, _ := b.take("a", now); !ok {
		t.Fatal("a: first token refused")
	}
	if ok, wait := b.take("a", now); ok || wait != time.Second {
		t.Fatalf("a: second token %v, wait %v", ok, wait)
	}
	b.take("b", now)
	b.take("c", now) // forgets a, seen least recently
	if len(b.byKey) != 2 || b.byKey["a"] != nil {
		t.Fatalf("tracked keys: %d, a kept: %v", len(b.byKey), b.byKey["a"] != nil)
	}
	if ok, _ := b.take("b", now.Add(time.Second)); !ok {
		t.Fatal("b: no token after a second at one a second")
	}

	l := &burstLog{window: time.Minute, max: 2, open: map[string]*burst{}}
	for i, key := range []string{"k1", "k2", "k3", "k4", "k3"} {
		opened := l.note("address", key, key, "login", now)
		if (opened != nil) != (i < 3) {
			t.Fatalf("note %d (%s): opened %v", i, key, opened != nil)
		}
	}
	if len(l.open) != 3 || l.open["address\x00*"] == nil || l.open["address\x00*"].count != 2 {
		t.Fatalf("open windows %d; overflow %+v", len(l.open), l.open["address\x00*"])
	}
	if got := l.due(now.Add(time.Minute), false); len(got) != 1 || got[0].key != "*" || got[0].count != 2 {
		t.Fatalf("due: %+v", got)
	}
	if len(l.open) != 0 {
		t.Fatalf("windows left open: %d", len(l.open))
	}
}

func TestAddressKey(t *testing.T) {
	for in, want := range map[string]string{
		"203.0.113.7":                "203.0.113.7",
		"::ffff:203.0.113.7":         "203.0.113.7",
		"2001:db8:1:2:3:4:5:6":       "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff:ffff:0:1": "2001:db8:1:2::/64",
		"fe80::1%eth0":               "fe80::/64",
		"not an address":             "not an address",
	} {
		if got := addressKey(in); got != want {
			t.Errorf("addressKey(%q) = %q, want %q", in, got, want)
		}
	}
}
