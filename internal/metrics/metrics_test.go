package metrics

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

type fakeLog struct {
	placed, waiting int64
	err             error
}

func (f fakeLog) Backlog(context.Context) (int64, int64, error) { return f.placed, f.waiting, f.err }

type fakeOutbox int64

func (f fakeOutbox) Depth(context.Context) (int64, error) { return int64(f), nil }

// scrape answers one scrape of m in the text format and returns it.
func scrape(t *testing.T, m *Metrics, log *slog.Logger) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler(log).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("scrape: %d\n%s", rec.Code, rec.Body)
	}
	return rec.Body.String()
}

// Issue 17: every collector is in the registry, counted by its labels,
// and the audit log and outbox are read at the scrape.
func TestMetrics(t *testing.T) {
	m := New(fakeLog{placed: 40, waiting: 2}, fakeOutbox(3))
	m.Request("/residents/{code}", "GET", 200, 30*time.Millisecond)
	m.Request("/residents/{code}", "GET", 200, 10*time.Millisecond)
	m.Request("/login", "POST", 401, time.Millisecond)
	m.Login("password_refused")
	m.Refused("csrf")
	m.Job("mail delivery", nil, time.Second)
	m.Job("mail delivery", errors.New("no server"), time.Second)
	out := scrape(t, m, slog.New(slog.DiscardHandler))
	for _, want := range []string{
		`bango_http_requests_total{method="GET",route="/residents/{code}",status="200"} 2`,
		`bango_http_requests_total{method="POST",route="/login",status="401"} 1`,
		`bango_http_request_seconds_count{method="GET",route="/residents/{code}"} 2`,
		`bango_logins_total{outcome="password_refused"} 1`,
		`bango_refusals_total{reason="csrf"} 1`,
		`bango_job_runs_total{job="mail delivery",outcome="ok"} 1`,
		`bango_job_runs_total{job="mail delivery",outcome="failed"} 1`,
		`bango_job_seconds_count{job="mail delivery"} 2`,
		"bango_audit_events_appended_total 42",
		"bango_audit_events_placed_total 40",
		"bango_audit_sequencer_lag_events 2",
		"bango_outbox_depth 3",
		"go_goroutines ",
		"process_start_time_seconds ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
}

// A failed read of the database is logged and leaves out its own
// metrics, not the scrape.
func TestScrapeWithoutDatabase(t *testing.T) {
	m := New(fakeLog{err: errors.New("database unreachable")}, fakeOutbox(0))
	m.Login("completed")
	var logged bytes.Buffer
	out := scrape(t, m, slog.New(slog.NewTextHandler(&logged, nil)))
	if !strings.Contains(out, `bango_logins_total{outcome="completed"} 1`) || !strings.Contains(out, "bango_outbox_depth 0") {
		t.Errorf("scrape lost what it could read:\n%s", out)
	}
	if strings.Contains(out, "bango_audit_events_placed_total") {
		t.Errorf("scrape reports an audit log it could not read:\n%s", out)
	}
	if !strings.Contains(logged.String(), "database unreachable") {
		t.Errorf("failed read not logged: %q", logged.String())
	}
}

// A nil Metrics counts nothing and does not fail.
func TestNilMetrics(t *testing.T) {
	var m *Metrics
	m.Request("/", "GET", 200, 0)
	m.Login("completed")
	m.Refused("csrf")
	m.Job("x", nil, 0)
}
