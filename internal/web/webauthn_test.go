package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"bango/internal/testutil"
)

func (f *webFixture) postJSON(t *testing.T, c *http.Client, path, csrf, contentType string, payload []byte) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("POST", f.srv.URL+path, bytes.NewReader(payload))
	req.Header.Set("Content-Type", contentType)
	if csrf != "" {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return res, []byte(body(t, res))
}

// R-AUTH-1: the WebAuthn endpoints over HTTP: CSRF and content type are
// checked and refusals audited; a malformed answer is a failed login; a
// good one opens the session.
func TestWebAuthnOverHTTP(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		auth := testutil.NewAuthenticator(t, "localhost", f.origin)
		c := f.login(t)
		_, page := f.get(t, c, "/passkeys")
		csrf := csrfOf(t, page)

		if res, _ := f.postJSON(t, c, "/passkeys/begin", "", "application/json", []byte(`{}`)); res.StatusCode != http.StatusForbidden {
			t.Fatalf("begin without CSRF token = %d", res.StatusCode)
		}
		res, opts := f.postJSON(t, c, "/passkeys/begin", csrf, "application/json", []byte(`{}`))
		if res.StatusCode != 200 || !bytes.Contains(opts, []byte(`"userVerification": "required"`)) {
			t.Fatalf("begin = %d %s", res.StatusCode, opts)
		}
		reg, _ := json.Marshal(map[string]any{"name": "USBキー", "credential": json.RawMessage(auth.Create(opts))})
		if res, _ := f.postJSON(t, c, "/passkeys/finish", csrf, "text/plain", reg); res.StatusCode != http.StatusBadRequest {
			t.Fatalf("finish as text/plain = %d", res.StatusCode)
		}
		if res, out := f.postJSON(t, c, "/passkeys/finish", csrf, "application/json", reg); res.StatusCode != 200 || !bytes.Contains(out, []byte("/passkeys?done=added")) {
			t.Fatalf("finish = %d %s", res.StatusCode, out)
		}
		if _, page := f.get(t, c, "/passkeys"); !strings.Contains(page, "USBキー") {
			t.Fatal("the new authenticator is not listed")
		}

		// Not logged in: a JSON error, not a redirect.
		if res, _ := f.postJSON(t, f.client(t), "/login/passkey/begin", "x", "application/json", nil); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("begin without a session = %d", res.StatusCode)
		}
		// Password, then WebAuthn.
		c2 := f.client(t)
		f.post(t, c2, "/login", url.Values{"login_id": {"tanaka.h"}, "password": {"correct horse battery"}})
		_, page = f.get(t, c2, "/login/second")
		if !strings.Contains(page, `id="passkey-login"`) {
			t.Fatal("no WebAuthn button on the second-factor page")
		}
		csrf = csrfOf(t, page)
		f.postJSON(t, c2, "/login/passkey/begin", csrf, "application/json", nil)
		res, out := f.postJSON(t, c2, "/login/passkey/finish", csrf, "application/json", []byte(`{"id":"AAAA","type":"public-key","response":{}}`))
		if res.StatusCode != http.StatusUnauthorized || !bytes.Contains(out, []byte("ログインできません")) {
			t.Fatalf("malformed answer = %d %s", res.StatusCode, out)
		}
		_, opts = f.postJSON(t, c2, "/login/passkey/begin", csrf, "application/json", nil)
		res, out = f.postJSON(t, c2, "/login/passkey/finish", csrf, "application/json", auth.Get(opts))
		if res.StatusCode != 200 || !bytes.Contains(out, []byte(`"next": "/"`)) {
			t.Fatalf("good answer = %d %s", res.StatusCode, out)
		}
		if res, _ := f.get(t, c2, "/"); res.StatusCode != 200 {
			t.Fatalf("home after WebAuthn login = %d", res.StatusCode)
		}
		refused := testutil.CountEvents(t, f.db, `action = 'request.refused' AND detail LIKE 'reason=csrf%'`)
		failed := testutil.CountEvents(t, f.db, `action = 'login.second_factor' AND detail LIKE 'reason=webauthn_malformed%'`)
		if refused != 1 || failed != 1 {
			t.Fatalf("audited: %d CSRF refusals, %d malformed answers; want 1 and 1", refused, failed)
		}
	})
}
