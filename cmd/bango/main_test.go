package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"bango/internal/nhi"
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
	url, out, _ := serveLogged(t, args...)
	return url, out
}

// serveLogged is startServe that also returns what serve logs.
func serveLogged(t *testing.T, args ...string) (string, *lockedBuffer, *lockedBuffer) {
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
			return m[1], out, errOut
		}
		select {
		case code := <-done:
			done <- code
			t.Fatalf("serve exited %d before serving: %s %s", code, out.String(), errOut.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("serve printed no URL: %s %s", out.String(), errOut.String())
	return "", nil, nil
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
	url, out := startServe(t, "--data", data, "--demo", "--argon2-memory-kib", "8192", "--argon2-time", "1")
	if !strings.HasPrefix(url, "https://localhost:") {
		t.Fatalf("URL = %s", url)
	}
	ca := filepath.Join(data, "tls", "ca.crt")
	if !strings.Contains(out.String(), ca) || !regexp.MustCompile(`SHA-256 fingerprint: ([0-9A-F]{2}:){31}[0-9A-F]{2}`).MatchString(out.String()) {
		t.Fatalf("CA path and fingerprint not printed:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "Demo logins") || !regexp.MustCompile(`clerk\.shinjuku +131041 .* TOTP [A-Z2-7]{32}`).MatchString(out.String()) {
		t.Fatalf("demo logins not printed:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "131041 新宿区") || !strings.Contains(out.String(), "011002 札幌市") {
		t.Fatalf("demo municipalities not reported:\n%s", out.String())
	}
	// Some residents have no number yet, and the guide names them, so that
	// entry and double entry can be tried (issue 14 E).
	if !regexp.MustCompile(`Without a My Number yet .*: 0000100004 `).MatchString(out.String()) {
		t.Fatalf("residents without a number not named:\n%s", out.String())
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

// R-JPKI-2: one bango serve a database. A second server on the database
// another serves is refused at its start, naming why, on both engines —
// it would otherwise end the first one's JPKI applications as abandoned
// while the first still issues them; the first keeps serving.
func TestServeRefusesASecondServer(t *testing.T) {
	testutil.EachEngine(t, func(t *testing.T, eng store.Engine) {
		data := t.TempDir()
		args := []string{"--data", data, "--http", "--argon2-memory-kib", "8192", "--argon2-time", "1"}
		if eng == store.Postgres {
			args = append(args, "--db", testutil.NewDBURL(t, eng))
		}
		url, _ := startServe(t, args...)
		code, _, stderr := runCmd(t, append([]string{"serve", "--listen", "127.0.0.1:0"}, args...)...)
		if code == 0 || !strings.Contains(stderr, "another bango serve is running") {
			t.Errorf("a second server on the same database: exit %d, %s", code, stderr)
		}
		if code, _ := getJSON(t, http.DefaultClient, url+"healthz"); code != 200 {
			t.Errorf("the first server after the second was refused: healthz %d", code)
		}
	})
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
	if code, _, stderr := runCmd(t, "demo", "--data", data, "--residents", "5", "--argon2-memory-kib", "8192", "--argon2-time", "1"); code != 0 {
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
	if code, out, stderr := runCmd(t, "demo", "--data", data, "--residents", "50", "--argon2-memory-kib", "8192", "--argon2-time", "1"); code != 0 || !strings.Contains(out, "50 residents") {
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
	// 90 residents' numbers (one in ten of the 100 has none yet), 13
	// demo staff members' TOTP secrets and the demo NHI entries' sealed
	// proposals.
	st := status()
	sealed := 0.0
	for _, r := range st["rows"].([]any) {
		sealed += r.(map[string]any)["rows"].(float64)
	}
	if st["rows_pending_rewrap"] != sealed || sealed <= 100 {
		t.Fatalf("status after rotate: %v", st)
	}
	if code, out, stderr := runCmd(t, "keys", "rewrap", "--data", data); code != 0 || !strings.Contains(out, "Re-sealed 90 rows of residents.mynumber") ||
		!strings.Contains(out, "Re-sealed 13 rows of staff_users.totp") || !strings.Contains(out, "rows of review_changes.payload") {
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
	if code, _, stderr := runCmd(t, "demo", "--data", data, "--residents", "20", "--argon2-memory-kib", "8192", "--argon2-time", "1"); code != 0 {
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

// The first start of an empty system makes one IS administrator and shows
// its one-time password once.
func TestFirstStartCreatesAdmin(t *testing.T) {
	data := t.TempDir()
	_, out := startServe(t, "--data", data, "--http", "--argon2-memory-kib", "8192", "--argon2-time", "1")
	m := regexp.MustCompile(`One-time password \(shown only now\): ([A-Za-z0-9]{16})`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no one-time password printed:\n%s", out.String())
	}
	code, list, _ := runCmd(t, "user", "list", "--data", data, "--json")
	if code != 0 || !strings.Contains(list, `"login_id":"admin"`) || !strings.Contains(list, `"must_change_password":true`) {
		t.Fatalf("admin not created as expected: %s", list)
	}
}

func TestUserCommands(t *testing.T) {
	data := t.TempDir()
	cheap := []string{"--data", data, "--argon2-memory-kib", "8192", "--argon2-time", "1"}
	run := func(args ...string) (int, string, string) { return runCmd(t, append(args, cheap...)...) }
	if code, _, stderr := run("demo", "--residents", "3"); code != 0 {
		t.Fatal(stderr)
	}
	code, out, stderr := run("user", "add", "--login", "suzuki.m", "--name", "鈴木　真", "--tenant", "131041", "--section", "医療保険年金課")
	if code != 0 || !regexp.MustCompile(`One-time password .*: [A-Za-z0-9]{16}`).MatchString(out) {
		t.Fatalf("add: %d %s %s", code, out, stderr)
	}
	if code, _, stderr := run("user", "add", "--login", "suzuki.m", "--name", "別人"); code == 0 || !strings.Contains(stderr, "login_id") {
		t.Fatalf("duplicate add: %d %s", code, stderr)
	}
	if code, _, stderr := run("user", "add", "--login", "x", "--name", "短い"); code != 2 || !strings.Contains(stderr, "login_id") {
		t.Fatalf("bad login ID: %d %s", code, stderr)
	}
	if code, out, _ := run("user", "enroll", "--login", "suzuki.m"); code != 0 || !strings.Contains(out, "otpauth://totp/bango:suzuki.m?") {
		t.Fatalf("enroll: %d %s", code, out)
	}
	if code, out, _ := run("user", "reset", "--login", "suzuki.m"); code != 0 || !strings.Contains(out, "New one-time password") {
		t.Fatalf("reset: %d %s", code, out)
	}
	if code, out, _ := run("user", "transfer", "--login", "suzuki.m", "--tenant", "011002", "--section", "保険年金課"); code != 0 || !strings.Contains(out, "second factors were deleted") {
		t.Fatalf("transfer: %d %s", code, out)
	}
	if code, out, _ := run("user", "retire", "--login", "suzuki.m"); code != 0 || !strings.Contains(out, "retired") {
		t.Fatalf("retire: %d %s", code, out)
	}
	code, out, _ = run("user", "list", "--json")
	var users []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &users) != nil {
		t.Fatalf("list: %d %s", code, out)
	}
	for _, u := range users {
		if u["login_id"] == "suzuki.m" && (u["status"] != "retired" || u["has_totp"] != false || u["tenant"] != "011002") {
			t.Fatalf("suzuki.m = %v", u)
		}
	}
	if code, out, _ := runCmd(t, "audit", "verify", "--data", data); code != 0 || !strings.Contains(out, "OK") {
		t.Fatalf("verify after user work: %s", out)
	}
}

// R-NHI-3: bango nhi cost-share decides the 70–74 cost share of the demo
// municipality's households, in the name of its NHI section head
// (nhi.admin), with a progress bar and a report, on both engines; run
// again it changes nothing and says so, a changed income is decided again
// and counted as changed, and a year whose incomes are missing lists the
// households by number, never a My Number. A clerk holding only nhi.write
// cannot run it (R-AC-1).
func TestNHICostShareCommand(t *testing.T) {
	testutil.EachEngine(t, func(t *testing.T, eng store.Engine) {
		data := t.TempDir()
		args := []string{"--data", data}
		dbURL := filepath.Join(data, "bango.db")
		if eng == store.Postgres {
			dbURL = testutil.NewDBURL(t, store.Postgres)
			args = append(args, "--db", dbURL)
		}
		if code, _, stderr := runCmd(t, append([]string{"demo", "--residents", "200", "--argon2-memory-kib", "8192", "--argon2-time", "1"}, args...)...); code != 0 {
			t.Fatal(stderr)
		}
		now := time.Now().In(time.FixedZone("JST", 9*60*60))
		fy := now.Year()
		if now.Month() < time.August {
			fy--
		}
		costShare := func(year int, extra ...string) (string, string) {
			t.Helper()
			code, out, stderr := runCmd(t, append(append([]string{"nhi", "cost-share", "--by", "head.shinjuku", "--fiscal-year", strconv.Itoa(year)}, args...), extra...)...)
			if code != 0 {
				t.Fatalf("nhi cost-share %d: exit %d %s", year, code, stderr)
			}
			return out, stderr
		}
		type report struct {
			Tenant     string `json:"tenant"`
			Households int    `json:"households"`
			Decided    int    `json:"decided"`
			Changed    int    `json:"changed"`
			Unchanged  int    `json:"unchanged"`
			Ratio2     int    `json:"ratio2"`
			Ratio3     int    `json:"ratio3"`
			Refused    []struct {
				Household int64  `json:"household"`
				Reason    string `json:"reason"`
			} `json:"refused"`
		}
		reports := func(out string) []report {
			t.Helper()
			var rs []report
			if err := json.Unmarshal([]byte(out), &rs); err != nil || len(rs) != 1 || rs[0].Tenant != "131041" {
				t.Fatalf("reports: %v %s", err, out)
			}
			return rs
		}
		// The demo decided the year already: a run changes nothing.
		out, stderr := costShare(fy)
		if strings.Count(out, "Nothing changed since the last run") != 1 || !strings.Contains(stderr, "100%") || !strings.Contains(out, "2割:") {
			t.Errorf("rerun of the demo's year:\n%s\n%s", out, stderr)
		}
		out, _ = costShare(fy, "--json", "--quiet")
		for _, r := range reports(out) {
			if r.Households == 0 || r.Decided != 0 || r.Unchanged != r.Households || r.Ratio2+r.Ratio3 != r.Households || len(r.Refused) != 0 {
				t.Errorf("%s: %+v", r.Tenant, r)
			}
		}
		// One person's income entered again, higher: their household is
		// decided again at once, from the period's start (R-NHI-3), and a
		// run afterwards finds nothing left to change.
		db, err := store.Open(context.Background(), dbURL)
		if err != nil {
			t.Fatal(err)
		}
		var code string
		if err := db.ReadRow(testutil.AllTenants(), `SELECT resident_code FROM nhi_incomes WHERE tenant_code = '131041' ORDER BY id LIMIT 1`).Scan(&code); err != nil {
			t.Fatal(err)
		}
		if err := nhi.NewService(db, slog.New(slog.DiscardHandler)).RecordIncome(testutil.As("clerk.shinjuku"), "131041", nhi.IncomeInput{ResidentCode: code,
			IncomeYear: strconv.Itoa(fy - 1), TaxableIncome: "9000000", Revenue: "12000000", OldProvisoIncome: "8000000"}); err != nil {
			t.Fatal(err)
		}
		var redecided int
		if err := db.ReadRow(testutil.AllTenants(), `SELECT count(*) FROM nhi_cost_share_decisions WHERE tenant_code = '131041' AND cause = 'income'
			AND basis LIKE '%"resident_code":"`+code+`"%'`).Scan(&redecided); err != nil {
			t.Fatal(err)
		}
		db.Close()
		if redecided == 0 {
			t.Errorf("the household of %s was not decided again when the income changed", code)
		}
		out, _ = costShare(fy, "--tenant", "131041", "--quiet")
		if !strings.Contains(out, "Nothing changed since the last run") || strings.Contains(out, "011002") {
			t.Errorf("after a changed income:\n%s", out)
		}
		// The year before has no incomes: every household is listed, by its
		// number and the resident code, and nothing is decided.
		out, _ = costShare(fy-1, "--json", "--quiet")
		for _, r := range reports(out) {
			if r.Decided != 0 || len(r.Refused) == 0 || len(r.Refused) != r.Households || r.Refused[0].Household == 0 || !strings.Contains(r.Refused[0].Reason, "所得が登録されていません") {
				t.Errorf("a year without incomes, %s: %+v", r.Tenant, r)
			}
		}
		out, _ = costShare(fy-1, "--quiet")
		if !strings.Contains(out, "Not decided, incomes or figures missing") || !regexp.MustCompile(`household \d+ \(income\): 宛名番号 \d{10} の`).MatchString(out) ||
			regexp.MustCompile(`\d{12}`).MatchString(out) {
			t.Errorf("the missing incomes' list:\n%s", out)
		}
		if code, _, stderr := runCmd(t, append([]string{"nhi", "cost-share", "--by", "head.shinjuku"}, args...)...); code != 2 || !strings.Contains(stderr, "--fiscal-year") {
			t.Errorf("without a year: %d %s", code, stderr)
		}
		// The run is the NHI section head's (nhi.admin): without --by, by a
		// clerk holding only nhi.write, or in a municipality where the head
		// holds nothing, it is refused and nothing runs (R-AC-1).
		if code, _, stderr := runCmd(t, append([]string{"nhi", "cost-share", "--fiscal-year", strconv.Itoa(fy)}, args...)...); code != 2 || !strings.Contains(stderr, "--by") {
			t.Errorf("without --by: %d %s", code, stderr)
		}
		for _, extra := range [][]string{{"--by", "clerk.shinjuku"}, {"--by", "clerk.shinjuku", "--tenant", "131041"}, {"--by", "head.shinjuku", "--tenant", "011002"}} {
			if code, out, stderr := runCmd(t, append(append([]string{"nhi", "cost-share", "--fiscal-year", strconv.Itoa(fy), "--quiet"}, args...), extra...)...); code == 0 || !strings.Contains(stderr, "nhi.admin") || out != "" {
				t.Errorf("%v: %d %s %s", extra, code, out, stderr)
			}
		}
	})
}
