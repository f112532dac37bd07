package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"bango/internal/testutil"
)

// foreignNexts are places to return to that would leave the site, or
// that a browser would read differently from Go: every control
// character, backslashes, schemes, scheme-relative and encoded forms.
func foreignNexts() []string {
	out := []string{
		"//evil.example/", "///evil.example", "https://evil.example", "http:evil.example", "javascript:alert(1)",
		"data:text/html,x", "/\\evil.example", "\\\\evil.example", "\\/evil.example", "/\\/evil.example",
		"/%2F/evil.example", "/%2f%2fevil.example", "/%5Cevil.example", "evil.example", "./x", " /x", "/ /evil",
		"//", "https:/evil.example", "/x\\y", "\u3000/evil",
	}
	for c := 0; c < 0x20; c++ {
		out = append(out, "/"+string(rune(c))+"/evil.example", string(rune(c))+"//evil.example")
	}
	return append(out, "/\x7f/evil.example", "/\u0085/evil.example", "/\xff/evil.example")
}

// Issue 15: the place to return to is a path on this site or "/".
func TestLocalPath(t *testing.T) {
	for _, next := range foreignNexts() {
		got := localPath(next)
		u, err := url.Parse(got)
		if err != nil || u.Host != "" || u.Scheme != "" || !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") || strings.ContainsAny(got, "\\\t\r\n") {
			t.Errorf("localPath(%q) = %q", next, got)
		}
	}
	for next, want := range map[string]string{"/": "/", "/residents/100001": "/residents/100001", "/?from=menu": "/?from=menu",
		"/audit?search=1&actor=a": "/audit?search=1&actor=a", "/a/..//evil": "/a/..//evil"} {
		if got := localPath(next); got != want {
			t.Errorf("localPath(%q) = %q, want %q", next, got, want)
		}
	}
}

// Issue 15: every route that redirects to a "next" stays on the site,
// whatever next says, before and after login.
func TestRedirectsStayOnSite(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		c := f.login(t)
		_, home := f.get(t, c, "/")
		csrf := csrfOf(t, home)
		check := func(what string, res *http.Response) {
			t.Helper()
			if res.StatusCode >= 500 {
				t.Errorf("%s: %d", what, res.StatusCode)
			}
			loc := res.Header.Get("Location")
			if res.StatusCode == http.StatusBadRequest || loc == "" {
				return // refused outright: nothing to follow
			}
			// What a browser would do with it: drop tabs and line breaks,
			// read backslashes as slashes, resolve against the site.
			seen := strings.NewReplacer("\t", "", "\n", "", "\r", "", "\\", "/").Replace(loc)
			base, _ := url.Parse(f.srv.URL + "/lock")
			u, err := base.Parse(seen)
			if err != nil || u.Host != base.Host {
				t.Errorf("%s: Location %q leaves the site", what, loc)
			}
		}
		anon := f.client(t)
		for i, next := range foreignNexts() {
			q := url.Values{"next": {next}}.Encode()
			res, _ := f.get(t, anon, "/lang?to=en&"+q)
			check(fmt.Sprintf("/lang next=%q", next), res)
			res, _ = f.get(t, c, "/lock?"+q)
			check(fmt.Sprintf("/lock next=%q", next), res)
			if i%8 == 0 { // each lock needs an unlock: a sample is enough here
				res, _ = f.post(t, c, "/lock/now", url.Values{"csrf": {csrf}, "next": {next}})
				check(fmt.Sprintf("/lock/now next=%q", next), res)
				res, _ = f.get(t, c, "/lock?"+q)
				check(fmt.Sprintf("/lock (locked) next=%q", next), res)
				f.unlockFor(t, c, csrf, next, check)
			}
		}
	})
}

// unlockFor unlocks c's session with a fresh code and next, and checks
// where it is sent.
func (f *webFixture) unlockFor(t *testing.T, c *http.Client, csrf, next string, check func(string, *http.Response)) {
	t.Helper()
	f.now = f.now.Add(30 * time.Second)
	res, _ := f.post(t, c, "/lock", url.Values{"csrf": {csrf}, "next": {next}, "code": {testutil.TOTP(f.secret, f.now)}, "pin": {"2580"}})
	check(fmt.Sprintf("unlock next=%q", next), res)
	if res.StatusCode == http.StatusBadRequest {
		// Refused for its next: unlock without one.
		f.now = f.now.Add(30 * time.Second)
		res, _ = f.post(t, c, "/lock", url.Values{"csrf": {csrf}, "code": {testutil.TOTP(f.secret, f.now)}, "pin": {"2580"}})
	}
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("unlock: %d", res.StatusCode)
	}
}
