package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"time"

	"bango/internal/access"
	"bango/internal/identity"
	"bango/internal/nhi/assess"
	"bango/internal/store"
	"bango/internal/terminal"
	"bango/internal/testutil"
	"bango/internal/vault"
	"bango/internal/web"
)

// estimateClient is a staff member of the bench's municipality logged in
// to bango's own web server (the route table, the session gate, the
// handlers), served over TLS on a loopback port, as a browser's page
// script or an API client reaches POST /api/v1/nhi/estimate.
type estimateClient struct {
	srv  *httptest.Server
	c    *http.Client
	csrf string
}

func (e *estimateClient) Close() { e.srv.Close() }

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// newEstimateClient serves bango's web handler over db with the premium
// service svc and logs in a clerk of tenant holding the pattern nhi-clerk
// (nhi.read, which the estimate route needs) through the login pages:
// password, then TOTP code and PIN. The grant is recorded without the
// application workflow, as the demo data's are: the scratch database has
// no administrators to apply and approve.
func newEstimateClient(ctx context.Context, db *store.DB, v *vault.Vault, svc *assess.Service, tenant string) (*estimateClient, error) {
	users := identity.NewService(db, v, identity.NewHasher(identity.DefaultParams, 2), identity.DefaultPolicy, quietLogger())
	acc := access.NewService(db)
	users.SetPersonnelHook(acc.RevokeAll)
	if _, err := acc.SeedDefaults(ctx); err != nil {
		return nil, fmt.Errorf("bench assess: access patterns: %w", err)
	}
	const login, password, pin = "bench.nhi", "correct horse battery", "2580"
	u, temp, err := users.Create(ctx, identity.NewUser{LoginID: login, Name: "ベンチ　国保", Tenant: tenant, Department: "健康部", Section: "医療保険年金課"})
	if err != nil {
		return nil, err
	}
	if err := users.ChangePassword(ctx, login, temp, password); err != nil {
		return nil, err
	}
	key, err := users.EnrollTOTP(ctx, login)
	if err != nil {
		return nil, err
	}
	if err := users.SetPIN(ctx, login, pin); err != nil {
		return nil, err
	}
	if err := acc.Direct(ctx, u, "nhi-clerk", tenant, "bench: the estimate route over HTTP"); err != nil {
		return nil, err
	}
	srv := web.New(web.Deps{DB: db, Users: users, Access: acc, Terminals: terminal.New(db), Log: quietLogger(), Version: "bench",
		Business: web.Business{Assess: svc}})
	srv.SetReady(true)
	e := &estimateClient{srv: httptest.NewTLSServer(srv.Handler())}
	e.c = e.srv.Client()
	e.c.Jar, _ = cookiejar.New(nil)
	e.c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	step := func(method, path string, form url.Values, want int) (string, error) {
		var res *http.Response
		var err error
		if method == http.MethodPost {
			res, err = e.c.PostForm(e.srv.URL+path, form)
		} else {
			res, err = e.c.Get(e.srv.URL + path)
		}
		if err != nil {
			return "", err
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err == nil && res.StatusCode != want {
			err = fmt.Errorf("bench assess: %s %s answered %d, not %d", method, path, res.StatusCode, want)
		}
		return string(b), err
	}
	page := ""
	for _, s := range []struct {
		method, path string
		form         func() url.Values
		want         int
	}{
		{http.MethodPost, "/login", func() url.Values { return url.Values{"login_id": {login}, "password": {password}} }, http.StatusSeeOther},
		{http.MethodGet, "/login/second", nil, http.StatusOK},
		{http.MethodPost, "/login/second", func() url.Values {
			return url.Values{"csrf": {csrfOf(page)}, "code": {testutil.TOTP(key.Secret, time.Now())}, "pin": {pin}}
		}, http.StatusSeeOther},
		// The estimate page, as a clerk opens it: its form carries the
		// session's CSRF token, which the API's POST sends in a header.
		{http.MethodGet, "/nhi/estimate", nil, http.StatusOK},
	} {
		var form url.Values
		if s.form != nil {
			form = s.form()
		}
		if page, err = step(s.method, s.path, form, s.want); err != nil {
			e.Close()
			return nil, err
		}
	}
	if e.csrf = csrfOf(page); e.csrf == "" {
		e.Close()
		return nil, fmt.Errorf("bench assess: the estimate page has no CSRF token")
	}
	return e, nil
}

func csrfOf(page string) string {
	if m := csrfInput.FindStringSubmatch(page); m != nil {
		return m[1]
	}
	return ""
}

// estimate posts the JSON body to POST /api/v1/nhi/estimate and decodes
// the answer's total: the whole round trip a client waits for.
func (e *estimateClient) estimate(body []byte) (int64, error) {
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/api/v1/nhi/estimate", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", e.csrf)
	res, err := e.c.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, err
	}
	if res.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("bench assess: POST /api/v1/nhi/estimate answered %d: %s", res.StatusCode, b)
	}
	var out struct {
		Total *int64 `json:"total"`
	}
	if err := json.Unmarshal(b, &out); err != nil || out.Total == nil {
		return 0, fmt.Errorf("bench assess: the estimate's answer has no total (%v): %s", err, b)
	}
	return *out.Total, nil
}
