package web

import (
	"bufio"
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"bango/internal/metrics"
	"bango/internal/store"
	"bango/internal/tenant"
	"bango/internal/terminal"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
)

// syncBuffer is a log the server's goroutines write to at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// observed is f with its own server over the same services, counting in m
// and logging JSON lines to log.
func observed(t *testing.T, f *webFixture) (g *webFixture, m *metrics.Metrics, log *syncBuffer) {
	t.Helper()
	m, log = metrics.New(f.sequencer, f.outbox), &syncBuffer{}
	s := New(Deps{DB: f.db, Users: f.users, Access: f.access, Terminals: terminal.New(f.db), Log: slog.New(slog.NewJSONHandler(log, nil)),
		Version: "test", Limits: unlimited, Metrics: m,
		Business: Business{Residents: f.residents, Review: f.review, Alerts: f.alerts, Exports: f.exports, Outbox: f.outbox, Tenants: tenant.NewService(f.db, f.vault)}})
	s.SetReady(true)
	copied := *f
	g = &copied
	g.server, g.srv = s, httptest.NewTLSServer(s.Handler())
	t.Cleanup(g.srv.Close)
	return g, m, log
}

// scrapeMetrics answers /metrics as bango serve's metrics listener does
// and returns the sample lines by name and labels.
func scrapeMetrics(t *testing.T, m *metrics.Metrics) map[string]float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler(testkit.Quiet).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("scrape: %d\n%s", rec.Code, rec.Body)
	}
	samples := map[string]float64{}
	sc := bufio.NewScanner(rec.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("scrape line %q: %v", line, err)
		}
		samples[line[:i]] = v
	}
	return samples
}

var labels = regexp.MustCompile(`\{(.*)\}`)

// Issue 17: /metrics counts requests by route pattern and status, the
// login steps and the gate's refusals, and reads the audit log; no label
// carries what a request named (a resident's code, digits, a query).
func TestMetricsEndpoint(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		g, m, _ := observed(t, f)
		testkit.Resident(t, g.residents, testkit.Shinjuku, testkit.Person("100001", ""))
		anon := g.client(t)
		if res, _ := g.post(t, anon, "/login", url.Values{"login_id": {"tanaka.h"}, "password": {"wrong wrong wrong"}}); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong password: %d", res.StatusCode)
		}
		tanaka := g.login(t)
		if res, _ := g.get(t, tanaka, "/residents/100001"); res.StatusCode != http.StatusForbidden {
			t.Fatalf("resident page without the right: %d", res.StatusCode)
		}
		if res, _ := g.post(t, tanaka, "/lock/now", url.Values{"csrf": {"forged"}}); res.StatusCode != http.StatusForbidden {
			t.Fatalf("post with a forged token: %d", res.StatusCode)
		}
		clerk, csrf := g.staffClient(t, "clerk", testkit.Shinjuku, "医療保険年金課", [2]string{"nhi-clerk", testkit.Shinjuku})
		if res, _ := g.get(t, clerk, "/residents/100001"); res.StatusCode != http.StatusOK {
			t.Fatalf("resident page: %d", res.StatusCode)
		}
		g.get(t, clerk, "/residents?q="+url.QueryEscape("ヤマダ"))
		g.post(t, clerk, "/residents/100001/mynumber", url.Values{"csrf": {csrf}, "mynumber": {"123456789019"}})
		g.get(t, clerk, "/no/such/page/100001")

		got := scrapeMetrics(t, m)
		for sample, want := range map[string]float64{
			`bango_http_requests_total{method="POST",route="/login",status="401"}`:                     1,
			`bango_http_requests_total{method="POST",route="/login",status="303"}`:                     1,
			`bango_http_requests_total{method="POST",route="/login/second",status="303"}`:              1,
			`bango_http_requests_total{method="GET",route="/residents/{code}",status="403"}`:           1,
			`bango_http_requests_total{method="GET",route="/residents/{code}",status="200"}`:           1,
			`bango_http_requests_total{method="POST",route="/lock/now",status="403"}`:                  1,
			`bango_http_requests_total{method="GET",route="/",status="404"}`:                           1,
			`bango_http_request_seconds_count{method="GET",route="/residents/{code}"}`:                 2,
			`bango_http_requests_total{method="POST",route="/residents/{code}/mynumber",status="400"}`: 1,
			`bango_logins_total{outcome="password_refused"}`:                                           1,
			`bango_logins_total{outcome="password_accepted"}`:                                          1,
			`bango_logins_total{outcome="completed"}`:                                                  1,
			`bango_refusals_total{reason="permission"}`:                                                1,
			`bango_refusals_total{reason="csrf"}`:                                                      1,
		} {
			if got[sample] != want {
				t.Errorf("%s = %v, want %v", sample, got[sample], want)
			}
		}
		if got["bango_audit_events_appended_total"] < 1 || got["bango_audit_events_appended_total"] != got["bango_audit_events_placed_total"]+got["bango_audit_sequencer_lag_events"] {
			t.Errorf("audit log: appended %v, placed %v, lag %v", got["bango_audit_events_appended_total"], got["bango_audit_events_placed_total"], got["bango_audit_sequencer_lag_events"])
		}
		if _, ok := got["bango_outbox_depth"]; !ok {
			t.Error("no bango_outbox_depth")
		}
		for sample := range got {
			if l := labels.FindStringSubmatch(sample); l != nil && strings.HasPrefix(sample, "bango_") &&
				(strings.Contains(l[1], "100001") || strings.Contains(l[1], "1234") || strings.Contains(l[1], "?") || strings.Contains(l[1], "/no/such")) {
				t.Errorf("a label carries what the request named: %s", sample)
			}
		}
	})
}

// Issue 17: one JSON log line per request, under the request ID that the
// answer's X-Request-ID has and the request's audit events carry, with
// the route's pattern, never the path, query or body.
func TestRequestLog(t *testing.T) {
	g, _, log := observed(t, newWeb(t, store.SQLite))
	testkit.Resident(t, g.residents, testkit.Shinjuku, testkit.Person("100001", ""))
	clerk, csrf := g.staffClient(t, "clerk", testkit.Shinjuku, "医療保険年金課", [2]string{"nhi-clerk", testkit.Shinjuku})
	res, _ := g.get(t, clerk, "/residents/100001?from=search")
	id := res.Header.Get("X-Request-ID")
	if res.StatusCode != http.StatusOK || id == "" {
		t.Fatalf("resident page: %d, X-Request-ID %q", res.StatusCode, id)
	}
	g.post(t, clerk, "/residents/100001/mynumber", url.Values{"csrf": {csrf}, "mynumber": {"123456789019"}})

	type line struct {
		Msg       string  `json:"msg"`
		RequestID string  `json:"request_id"`
		Method    string  `json:"method"`
		Route     string  `json:"route"`
		Status    int     `json:"status"`
		Duration  float64 `json:"duration_ms"`
		User      string  `json:"user"`
	}
	var found []line
	for _, raw := range strings.Split(strings.TrimSpace(log.String()), "\n") {
		var l line
		if err := json.Unmarshal([]byte(raw), &l); err != nil {
			t.Fatalf("log line is not JSON: %q", raw)
		}
		if l.Msg != "request" {
			continue
		}
		if strings.Contains(raw, "100001") || strings.Contains(raw, "123456789019") || strings.Contains(raw, "from=") {
			t.Errorf("a request line carries what the request named: %s", raw)
		}
		if l.RequestID == id {
			found = append(found, l)
		}
	}
	want := line{Msg: "request", RequestID: id, Method: "GET", Route: "/residents/{code}", Status: http.StatusOK, User: "clerk"}
	if len(found) != 1 {
		t.Fatalf("%d request lines with ID %s in:\n%s", len(found), id, log)
	}
	if found[0].Duration <= 0 {
		t.Errorf("no duration: %+v", found[0])
	}
	found[0].Duration = 0
	if found[0] != want {
		t.Errorf("request line %+v, want %+v", found[0], want)
	}
	read := false
	for _, e := range testutil.Events(t, g.db, "resident.read") {
		read = read || e.RequestID == id
	}
	if !read {
		t.Errorf("no resident.read event carries the request ID %s", id)
	}
}
