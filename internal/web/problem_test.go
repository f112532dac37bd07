package web

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"bango/internal/errs"
	"bango/internal/testutil/testkit"
)

// Issue 17: an error is answered as problem details (RFC 9457) naming
// the wrong field in Japanese and English, keeping the members answered
// before problem details; a refusal of the gate too.
func TestProblemDetails(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		head, headCSRF := f.staffClient(t, "head", testkit.Shinjuku, "医療保険年金課", [2]string{"section-head", testkit.Shinjuku})
		res, raw := f.send(t, head, headCSRF, "POST", "/api/v1/grants", `{"login_id": "nobody", "pattern": "nhi-clerk", "reason": "試験"}`)
		var p problem
		if err := json.Unmarshal(raw, &p); err != nil || res.StatusCode != http.StatusBadRequest || res.Header.Get("Content-Type") != problemJSON {
			t.Fatalf("%d %s %v\n%s", res.StatusCode, res.Header.Get("Content-Type"), err, raw)
		}
		want := problem{Type: "/problems/invalid", Title: "Invalid input", Status: http.StatusBadRequest, Detail: "login_id: no such staff member",
			Errors: []fieldProblem{{Field: "login_id", JA: "その職員はいません", EN: "no such staff member"}},
			Error:  "invalid", Message: "login_id: no such staff member",
			Fields: []errs.FieldError{{Field: "login_id", Reason: errs.Message{JA: "その職員はいません", EN: "no such staff member"}}}}
		if d := cmp.Diff(want, p); d != "" {
			t.Errorf("a wrong field (-want +got):\n%s", d)
		}
		for _, tt := range []struct {
			c                        *http.Client
			csrf, method, path, body string
			status                   int
			typ                      string
		}{
			{f.client(t), "", "GET", "/api/v1/me", "", http.StatusUnauthorized, "/problems/unauthenticated"},
			{head, "", "GET", "/api/v1/review/999", "", http.StatusForbidden, "/problems/forbidden"},
			{head, "", "POST", "/api/v1/grants/999/revoke", `{"note": "試験"}`, http.StatusForbidden, "/problems/forbidden"}, // no CSRF token
			{head, headCSRF, "POST", "/api/v1/grants/999/revoke", `{"note": "試験"}`, http.StatusNotFound, "/problems/not-found"},
		} {
			res, raw := f.send(t, tt.c, tt.csrf, tt.method, tt.path, tt.body)
			var p problem
			if err := json.Unmarshal(raw, &p); err != nil || res.StatusCode != tt.status || res.Header.Get("Content-Type") != problemJSON ||
				p.Type != tt.typ || p.Status != tt.status || p.Title == "" || p.Detail == "" || p.Error == "" {
				t.Errorf("%s %s: %d %s\n%s", tt.method, tt.path, res.StatusCode, res.Header.Get("Content-Type"), raw)
			}
		}
	})
}

// The problem of an internal error says nothing of its cause.
func TestProblemOfInternalError(t *testing.T) {
	p := problemOf(fmt.Errorf("pq: connection to secret-host refused"))
	if p.Type != "/problems/internal" || p.Status != 500 || strings.Contains(toJSON(p), "secret-host") || p.Message != "" || p.Detail == "" {
		t.Fatalf("%+v", p)
	}
}

// send sends a request with the session's CSRF token, a JSON body when
// there is one, and returns the answer and its body.
func (f *webFixture) send(t *testing.T, c *http.Client, csrf, method, path, body string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-CSRF-Token", csrf)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}
