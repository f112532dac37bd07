package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"bango/internal/access"
	"bango/internal/audit"
	"bango/internal/cleantext"
	"bango/internal/errs"
	"bango/internal/identity"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
)

// badTexts are what the probe sends: NUL, invalid UTF-8, a control
// character; raw is the form for a URL or form body, js for a JSON string.
var badTexts = []struct{ name, raw, js string }{
	{"nul", "a%00b", `a\u0000b`},
	{"invalid-utf8", "%FF%FE%FD", "\xff\xfe\xfd"},
	{"control", "a%07b", `a\u0007b`},
}

var formName = regexp.MustCompile(`name="([a-z_]+)"`)

// probeFields are the field names the pages' forms carry (read from the
// templates) and the query fields the handlers read.
func probeFields(t *testing.T) []string {
	t.Helper()
	set := map[string]bool{}
	for _, q := range []string{"q", "all", "before", "done", "limit", "next", "search", "status", "to", "from", "tenant", "action",
		"actor", "mynumber", "outcome", "resident", "terminal", "subject", "seq", "lang", "page",
		"cursor", "acked_cursor", "changes_cursor", "mail_cursor", "edit"} {
		set[q] = true
	}
	err := fs.WalkDir(templateFiles, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := templateFiles.ReadFile(path)
		for _, m := range formName.FindAllSubmatch(b, -1) {
			set[string(m[1])] = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for k := range set {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// R-ACC-2 (issue 14 C): NUL, invalid UTF-8 and control characters in
// every route parameter, query field, form field and JSON string of the
// route table are answered 400 naming the field — never 5xx — on both
// engines, for an anonymous caller and for staff holding every pattern;
// a login with an unreadable field still counts and is audited.
func TestUnreadableInput(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		ctx := audit.WithActor(context.Background(), audit.Actor{User: "setup"})
		var every []string
		for _, p := range access.DefaultPatterns {
			every = append(every, p.Code)
		}
		u := f.kit.Staff(t, testkit.Staff{Login: "all.rights", Name: "試験　全権", Tenant: "131041", Section: "試験課", Patterns: every})
		tok, sess, err := f.users.StartSession(ctx, u, identity.StageActive, "127.0.0.1", "", "")
		if err != nil {
			t.Fatal(err)
		}
		fields := probeFields(t)
		c := f.client(t)
		send := func(method, path, ctype, body string, staff bool) (int, string) {
			t.Helper()
			req, err := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
			if err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			if ctype != "" {
				req.Header.Set("Content-Type", ctype)
			}
			if staff {
				req.AddCookie(&http.Cookie{Name: cookieName, Value: tok})
				req.Header.Set("X-CSRF-Token", sess.CSRF)
			}
			res, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			return res.StatusCode, string(b)
		}
		probes := 0
		for _, rt := range f.server.routes() {
			method, path := requestOf(rt.pattern)
			if path == "/no-such-page" {
				path = "/residents-x"
			}
			for _, bad := range badTexts {
				type probe struct{ what, path, ctype, body, field string }
				var ps []probe
				for _, name := range pathParams(rt.pattern) {
					_, concrete := requestOf(strings.Replace(rt.pattern, "{"+name+"}", "\x01", 1))
					ps = append(ps, probe{"path " + name, strings.Replace(concrete, "\x01", bad.raw, 1), "", "", name})
				}
				q := url.Values{}
				for _, k := range fields {
					q.Set(k, "x")
				}
				for _, k := range []string{"q", "tenant", "actor", "next"} {
					ps = append(ps, probe{"query " + k, path + "?" + strings.Replace(q.Encode(), k+"=x", k+"="+bad.raw, 1), "", "", k})
				}
				if method == "POST" && !rt.json {
					for _, k := range []string{"login_id", "password", "note", "tenant", "mynumber"} {
						ps = append(ps, probe{"form " + k, path, "application/x-www-form-urlencoded", strings.Replace(q.Encode(), k+"=x", k+"="+bad.raw, 1), k})
					}
				}
				if method == "POST" && rt.json {
					for _, k := range []string{"tenant", "purpose", "reason", "mynumber"} {
						ps = append(ps, probe{"json " + k, path, "application/json", `{"` + k + `": "` + bad.js + `"}`, k})
					}
					ps = append(ps, probe{"json nested", path, "application/json", `{"credential": {"response": ["ok", "` + bad.js + `"]}}`, "credential.response[1]"})
				}
				for _, p := range ps {
					for _, staff := range []bool{false, true} {
						st, body := send(method, p.path, p.ctype, p.body, staff)
						probes++
						if st >= 500 {
							t.Errorf("%s %s (%s, staff=%v): %d\n%s", rt.pattern, p.what, bad.name, staff, st, body)
							continue
						}
						// Unreadable input is refused before the session gate,
						// the CSRF check aside (cross-site posts are refused
						// first, as they should be).
						if st != http.StatusBadRequest && !(st == http.StatusForbidden && !staff && method == "POST") {
							t.Errorf("%s %s (%s, staff=%v): %d, want 400", rt.pattern, p.what, bad.name, staff, st)
							continue
						}
						if st == http.StatusBadRequest && rt.json && !strings.Contains(body, `"`+p.field+`"`) {
							t.Errorf("%s %s (%s): the answer does not name the field %q:\n%s", rt.pattern, p.what, bad.name, p.field, body)
						}
					}
				}
			}
		}
		t.Logf("%d probes", probes)

		// A login whose password is unreadable is a failed login of that
		// account: counted towards the lockout, audited.
		unreadableLogins := func() int {
			return testutil.CountEvents(t, f.db, `action = 'login.password' AND outcome = 'denied' AND (detail LIKE 'reason=wrong_password%' AND subject_id = 'tanaka.h' OR detail = 'reason=unreadable_login_id' AND subject_id = '[unreadable text]')`)
		}
		before := unreadableLogins()
		lc := f.client(t)
		res, page := f.post(t, lc, "/login", url.Values{"login_id": {"tanaka.h"}, "password": {"bad\x00password"}})
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "password") {
			t.Fatalf("login with an unreadable password: %d", res.StatusCode)
		}
		res, _ = f.post(t, lc, "/login", url.Values{"login_id": {"tanaka\x00h"}, "password": {"x"}})
		if res.StatusCode != http.StatusBadRequest {
			t.Fatalf("login with an unreadable login ID: %d", res.StatusCode)
		}
		failures := unreadableLogins() - before
		var counted int
		f.db.QueryRow(context.Background(), `SELECT failed_logins FROM staff_users WHERE login_id = 'tanaka.h'`).Scan(&counted)
		if failures != 2 || counted != 1 {
			t.Fatalf("unreadable logins: %d audited (want 2), %d counted against tanaka.h (want 1)", failures, counted)
		}
		var j map[string]any
		_, body := send("POST", "/api/v1/scope", "application/json", `{"tenant": "\u0000"}`, true)
		if err := json.Unmarshal([]byte(body), &j); err != nil || j["fields"] == nil {
			t.Fatalf("JSON refusal: %s", body)
		}
	})
}

// The strict JSON decoder behind the input gate: whatever the body, no
// panic, and a body it lets through holds only clean strings.
func FuzzJSONBody(f *testing.F) {
	for _, s := range []string{`{"tenant": "131041"}`, `{"tenant": "\u0000"}`, "{\"tenant\": \"\xff\"}", `{"a": [1, "b", {"c": "\u0007"}]}`, `[]`, `{"note": "a\nb"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("POST", "/api/v1/x", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		if err := checkInput(route{pattern: "POST /api/v1/x", json: true}, r); err != nil {
			if errs.Fields(err) == nil {
				t.Fatalf("refusal without a field: %v", err)
			}
			return
		}
		var in struct {
			Tenant string   `json:"tenant"`
			Note   string   `json:"note"`
			Items  []string `json:"items"`
		}
		if err := decodeJSON(r, &in); err != nil {
			return
		}
		for _, s := range append([]string{in.Tenant}, in.Items...) {
			if !cleantext.Valid(s, false) {
				t.Fatalf("unclean text %q passed the gate", s)
			}
		}
		if !cleantext.Valid(in.Note, true) {
			t.Fatalf("unclean note %q passed the gate", in.Note)
		}
	})
}

// The form and query decoding behind the input gate: no panic, and what it
// lets through is clean.
func FuzzFormInput(f *testing.F) {
	f.Add("q=%E3%83%A4", "tenant=131041&note=a%0Ab")
	f.Add("q=%00", "login_id=%FF")
	f.Add("%zz", "a=%07")
	f.Fuzz(func(t *testing.T, query, body string) {
		r, err := http.NewRequest("POST", "http://localhost/x", strings.NewReader(body))
		if err != nil {
			return
		}
		r.URL.RawQuery = query
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if err := checkInput(route{pattern: "POST /x"}, r); err != nil {
			return
		}
		for k, vs := range r.Form {
			for _, v := range vs {
				if !cleantext.Valid(k, false) || !cleantext.Valid(v, multiline[k]) {
					t.Fatalf("unclean field %q=%q passed the gate", k, v)
				}
			}
		}
	})
}
