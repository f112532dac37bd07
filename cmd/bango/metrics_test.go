package main

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

var metricsLine = regexp.MustCompile(`Prometheus metrics on (http://[^ ]+)/metrics`)

// Issue 17: with --metrics-listen, serve answers /metrics on a listener
// of its own, which answers nothing else; the staff listener has no
// /metrics; and every request is one JSON log line under the
// X-Request-ID its answer has, by route pattern.
func TestServeMetricsAndRequestLog(t *testing.T) {
	url, out, log := serveLogged(t, "--data", t.TempDir(), "--http", "--metrics-listen", "127.0.0.1:0", "--argon2-memory-kib", "8192", "--argon2-time", "1")
	m := metricsLine.FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no metrics address printed:\n%s", out.String())
	}
	metricsURL := m[1]
	get := func(u string) (int, string, http.Header) {
		t.Helper()
		res, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b), res.Header
	}
	code, _, h := get(url + "healthz")
	id := h.Get("X-Request-ID")
	if code != http.StatusOK || id == "" {
		t.Fatalf("healthz: %d, X-Request-ID %q", code, id)
	}
	if code, _, _ := get(url + "metrics"); code != http.StatusNotFound {
		t.Errorf("the staff listener answered /metrics: %d", code)
	}
	if code, _, _ := get(metricsURL + "/healthz"); code != http.StatusNotFound {
		t.Errorf("the metrics listener answered /healthz: %d", code)
	}
	// The sequencer's first run may still be under way.
	var scraped string
	for deadline := time.Now().Add(10 * time.Second); ; {
		code, scraped, _ = get(metricsURL + "/metrics")
		if code != http.StatusOK {
			t.Fatalf("/metrics: %d\n%s", code, scraped)
		}
		if strings.Contains(scraped, `bango_job_runs_total{job="audit sequencer",outcome="ok"}`) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, want := range []string{
		`bango_http_requests_total{method="GET",route="/healthz",status="200"} 1`,
		`bango_http_requests_total{method="GET",route="/",status="404"} 1`,
		`bango_job_runs_total{job="audit sequencer",outcome="ok"}`,
		"bango_audit_events_appended_total ",
		"bango_audit_sequencer_lag_events ",
		"bango_outbox_depth 0",
		"go_goroutines ",
	} {
		if !strings.Contains(scraped, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	var line map[string]any
	for deadline := time.Now().Add(5 * time.Second); line == nil && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, raw := range strings.Split(log.String(), "\n") {
			var l map[string]any
			if json.Unmarshal([]byte(raw), &l) == nil && l["msg"] == "request" && l["request_id"] == id {
				line = l
			}
		}
	}
	if line == nil {
		t.Fatalf("no request line with ID %s in:\n%s", id, log.String())
	}
	if line["route"] != "/healthz" || line["method"] != "GET" || line["status"] != 200.0 || line["duration_ms"] == nil {
		t.Errorf("request line: %v", line)
	}
}
