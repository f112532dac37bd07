package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"bango/internal/store"
	"bango/internal/testutil"
)

// lockedBuffer is a buffer that the server goroutine writes while the test
// reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestEveryCommandAnswersHelp(t *testing.T) {
	for name := range commands {
		code, _, stderr := runCmd(t, name, "-h")
		if code != 0 || !strings.Contains(stderr, "Usage: bango "+name) {
			t.Errorf("bango %s -h: exit %d, %q", name, code, stderr)
		}
	}
	if code, _, _ := runCmd(t, "nonsense"); code != 2 {
		t.Errorf("unknown command exit = %d, want 2", code)
	}
	if code, _, stderr := runCmd(t, "-h"); code != 0 || !strings.Contains(stderr, "serve") {
		t.Errorf("bango -h: %d %q", code, stderr)
	}
}

var urlLine = regexp.MustCompile(`serving on (https?://[^ ]+)`)

// startServe runs `bango serve` with args until the test ends and returns
// its URL and output.
func startServe(t *testing.T, args ...string) (string, *lockedBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, errOut := &lockedBuffer{}, &lockedBuffer{}
	done := make(chan int, 1)
	go func() { done <- run(ctx, append([]string{"serve", "--listen", "127.0.0.1:0"}, args...), out, errOut) }()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("serve exited %d: %s", code, errOut.String())
			}
		case <-time.After(15 * time.Second):
			t.Error("serve did not stop")
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if m := urlLine.FindStringSubmatch(out.String()); m != nil {
			return m[1], out
		}
		select {
		case code := <-done:
			done <- code
			t.Fatalf("serve exited %d before serving: %s %s", code, out.String(), errOut.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("serve printed no URL: %s %s", out.String(), errOut.String())
	return "", nil
}

func clientTrusting(t *testing.T, caFile string) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("CA file holds no certificate")
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

func getJSON(t *testing.T, c *http.Client, url string) (int, map[string]any) {
	t.Helper()
	res, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	json.NewDecoder(res.Body).Decode(&m)
	return res.StatusCode, m
}

// The README's first command: serve --demo on the SQLite default, over
// HTTPS with a local CA made on first start.
func TestServeDemoOverHTTPS(t *testing.T) {
	data := t.TempDir()
	url, out := startServe(t, "--data", data, "--demo")
	if !strings.HasPrefix(url, "https://localhost:") {
		t.Fatalf("URL = %s", url)
	}
	ca := filepath.Join(data, "tls", "ca.crt")
	if !strings.Contains(out.String(), ca) || !regexp.MustCompile(`SHA-256 fingerprint: ([0-9A-F]{2}:){31}[0-9A-F]{2}`).MatchString(out.String()) {
		t.Fatalf("CA path and fingerprint not printed:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "131041 新宿区") || !strings.Contains(out.String(), "011002 札幌市") {
		t.Fatalf("demo municipalities not reported:\n%s", out.String())
	}
	c := clientTrusting(t, ca)
	code, body := getJSON(t, c, url+"healthz")
	if code != 200 || body["engine"] != "sqlite" || body["schema_version"] != float64(store.LatestVersion()) {
		t.Fatalf("healthz: %d %v", code, body)
	}
	if code, _ := getJSON(t, c, url+"readyz"); code != 200 {
		t.Fatalf("readyz = %d", code)
	}
	for _, f := range []string{"master.key", "tls/ca.key", "tls/server.key"} {
		fi, err := os.Stat(filepath.Join(data, f))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v mode %v, want 0600", f, err, fi.Mode().Perm())
		}
	}
	if _, err := os.Stat(filepath.Join(data, "bango.db")); err != nil {
		t.Error(err)
	}
	// Plain HTTP is refused by the TLS listener.
	if res, err := http.Get(strings.Replace(url, "https://", "http://", 1) + "healthz"); err == nil && res.StatusCode == 200 {
		t.Error("plain HTTP answered on the TLS port")
	}
}

func TestServeOnPostgres(t *testing.T) {
	dbURL := testutil.NewDBURL(t, store.Postgres)
	url, _ := startServe(t, "--data", t.TempDir(), "--db", dbURL, "--http")
	code, body := getJSON(t, http.DefaultClient, url+"healthz")
	if code != 200 || body["engine"] != "postgres" {
		t.Fatalf("healthz: %d %v", code, body)
	}
	if code, _ := getJSON(t, http.DefaultClient, url+"readyz"); code != 200 {
		t.Fatalf("readyz = %d", code)
	}
}

func TestServeRefusals(t *testing.T) {
	data := t.TempDir()
	code, _, stderr := runCmd(t, "serve", "--data", data, "--http", "--listen", "0.0.0.0:0")
	if code != 2 || !strings.Contains(stderr, "loopback") {
		t.Errorf("plain HTTP on all interfaces: exit %d, %s", code, stderr)
	}
	// A key file others can read is refused, naming the file.
	if code, _, stderr := runCmd(t, "migrate", "--data", data); code != 0 {
		t.Fatal(stderr)
	}
	if code, _, stderr := runCmd(t, "demo", "--data", data, "--residents", "5"); code != 0 {
		t.Fatal(stderr)
	}
	key := filepath.Join(data, "master.key")
	os.Chmod(key, 0o644)
	code, _, stderr = runCmd(t, "serve", "--data", data, "--listen", "127.0.0.1:0")
	if code == 0 || !strings.Contains(stderr, key) || !strings.Contains(stderr, "0644") {
		t.Errorf("wide key file: exit %d, %s", code, stderr)
	}
	// A missing key file in front of existing data is not silently replaced.
	os.Remove(key)
	code, _, stderr = runCmd(t, "keys", "status", "--data", data)
	if code == 0 || !strings.Contains(stderr, "restore the key file") {
		t.Errorf("missing key file: exit %d, %s", code, stderr)
	}
	if _, err := os.Stat(key); err == nil {
		t.Error("a new key file was made in front of existing data")
	}
}

func TestKeysCommands(t *testing.T) {
	data := t.TempDir()
	if code, out, stderr := runCmd(t, "demo", "--data", data, "--residents", "50"); code != 0 || !strings.Contains(out, "50 residents") {
		t.Fatalf("demo: %d %s %s", code, out, stderr)
	}
	status := func() map[string]any {
		code, out, stderr := runCmd(t, "keys", "status", "--data", data, "--json")
		if code != 0 {
			t.Fatalf("keys status: %s", stderr)
		}
		var m map[string]any
		json.Unmarshal([]byte(out), &m)
		return m
	}
	if st := status(); st["rows_pending_rewrap"] != 0.0 || st["master_newest"] != 1.0 {
		t.Fatalf("status: %v", st)
	}
	if code, out, stderr := runCmd(t, "keys", "rotate", "--data", data); code != 0 || !strings.Contains(out, "version 2") {
		t.Fatalf("rotate: %d %s %s", code, out, stderr)
	}
	if st := status(); st["rows_pending_rewrap"] != 100.0 {
		t.Fatalf("status after rotate: %v", st)
	}
	if code, out, stderr := runCmd(t, "keys", "rewrap", "--data", data); code != 0 || !strings.Contains(out, "Re-sealed 100 rows") {
		t.Fatalf("rewrap: %d %s %s", code, out, stderr)
	}
	if st := status(); st["rows_pending_rewrap"] != 0.0 {
		t.Fatalf("status after rewrap: %v", st)
	}
	// The demo is idempotent.
	if code, out, _ := runCmd(t, "demo", "--data", data); code != 0 || !strings.Contains(out, "already present") {
		t.Fatalf("second demo: %d %s", code, out)
	}
	code, out, _ := runCmd(t, "keys", "status", "--data", data)
	if code != 0 || !strings.Contains(out, "Rows waiting for rewrap: 0") {
		t.Fatalf("keys status text: %s", out)
	}
}

func TestConfigMigrateVersion(t *testing.T) {
	data := t.TempDir()
	code, out, _ := runCmd(t, "config", "--data", data, "--db", "postgres://bango:hunter2@db.example/bango")
	if code != 0 || strings.Contains(out, "hunter2") || !strings.Contains(out, "REDACTED") {
		t.Fatalf("config: %d\n%s", code, out)
	}
	code, out, _ = runCmd(t, "migrate", "--data", data, "--json")
	var m map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &m) != nil || m["schema_version"] != float64(store.LatestVersion()) {
		t.Fatalf("migrate: %d %s", code, out)
	}
	if code, out, _ = runCmd(t, "version"); code != 0 || !strings.HasPrefix(out, "bango ") {
		t.Fatalf("version: %d %s", code, out)
	}
}

func TestAuditCommands(t *testing.T) {
	data := t.TempDir()
	if code, _, stderr := runCmd(t, "demo", "--data", data, "--residents", "20"); code != 0 {
		t.Fatal(stderr)
	}
	code, out, stderr := runCmd(t, "audit", "status", "--data", data, "--json")
	var head map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &head) != nil || head["size"].(float64) < 4 || head["pending"] != 0.0 {
		t.Fatalf("status: %d %s %s", code, out, stderr)
	}
	held := filepath.Join(t.TempDir(), "held.checkpoint")
	if code, _, stderr := runCmd(t, "audit", "checkpoint", "--export", "--data", data, "--out", held); code != 0 {
		t.Fatalf("export: %s", stderr)
	}
	// More work, then the log must still extend the held checkpoint.
	if code, _, stderr := runCmd(t, "keys", "rotate", "--data", data); code != 0 {
		t.Fatal(stderr)
	}
	code, out, stderr = runCmd(t, "audit", "verify", "--data", data, "--against", held)
	if code != 0 || !strings.Contains(out, "OK: the log verifies") || !strings.Contains(out, "the log extends it") {
		t.Fatalf("verify: %d %s %s", code, out, stderr)
	}
	if code, out, _ = runCmd(t, "audit", "prove", "--data", data, "--seq", "2", "--json"); code != 0 || !strings.Contains(out, `"leaf_hash"`) {
		t.Fatalf("prove: %d %s", code, out)
	}
	// A changed event makes verify fail and name it.
	db, err := store.Open(context.Background(), filepath.Join(data, "bango.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP TRIGGER audit_events_no_update`, `UPDATE audit_events SET actor_user = 'someone-else' WHERE id = (SELECT event_id FROM audit_log WHERE seq = 3)`} {
		if _, err := db.SQL().Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	code, out, stderr = runCmd(t, "audit", "verify", "--data", data)
	if code != 1 || !strings.Contains(out, "event 3") || !strings.Contains(stderr, "does not verify") {
		t.Fatalf("tampered verify: exit %d\n%s\n%s", code, out, stderr)
	}
}
