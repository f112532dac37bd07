package monitor_test

import (
	"context"
	"database/sql"
	"encoding/base64"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"bango/internal/alert"
	"bango/internal/audit"
	"bango/internal/monitor"
	"bango/internal/notify"
	"bango/internal/store"
	"bango/internal/testutil"
)

// mailBody decodes the base64 body of a received mail.
func mailBody(t *testing.T, data string) string {
	t.Helper()
	_, body, _ := strings.Cut(data, "\r\n\r\n")
	b, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(body, "\r\n", ""))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// R-AUD-3: on PostgreSQL the monitor samples the connections, trusts
// bango's own at the first sample, and reports a connection the test
// itself opens under another application name as unknown: an event, an
// alert, and a line in the mailed report, which also carries the log's
// latest checkpoint.
func TestUnknownConnectionReported(t *testing.T) {
	dbURL := testutil.NewDBURL(t, store.Postgres)
	ctx := context.Background()
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	alerts := alert.NewService(db)
	mon := monitor.New(db, alerts, "")
	start := time.Now().UTC().Add(-time.Second)
	if _, err := mon.Sample(ctx); err != nil {
		t.Fatal(err)
	}
	allow, _ := mon.Allowlist(ctx)
	if len(allow) != 1 || allow[0].Application != store.ApplicationName || allow[0].Role != testutil.TestRole || allow[0].CIDR != "127.0.0.1/32" {
		t.Fatalf("seeded allowlist = %+v", allow)
	}
	u, _ := url.Parse(dbURL)
	q := u.Query()
	q.Set("application_name", "intruder")
	u.RawQuery = q.Encode()
	intruder, err := sql.Open("pgx", u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer intruder.Close()
	if err := intruder.PingContext(ctx); err != nil {
		t.Fatal(err)
	}
	seen, err := mon.Sample(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range seen {
		if c.Application == "intruder" {
			found = !c.Known && c.Address == "127.0.0.1"
		}
		if c.Application == store.ApplicationName && c.Role == testutil.TestRole && !c.Known {
			t.Fatalf("bango's own connection reported unknown: %+v", c)
		}
	}
	if !found {
		t.Fatalf("the intruder is not an unknown connection in %+v", seen)
	}
	open, _, _ := alerts.Open(ctx, 0)
	if len(open.Items) != 1 || open.Items[0].Rule != alert.RuleUnknownDBConn || !strings.Contains(open.Items[0].Subject, "application=intruder") {
		t.Fatalf("alerts = %+v", open)
	}
	if events := testutil.CountEvents(t, db, `action = 'db.unknown_connection' AND subject_id LIKE '%intruder%'`); events != 1 {
		t.Fatalf("unknown-connection events = %d", events)
	}
	// A second sample within the hour raises nothing new.
	mon.Sample(ctx)
	if _, n, _ := alerts.Open(ctx, 0); n != 1 {
		t.Fatalf("alerts after a second sample = %d", n)
	}

	// The report, mailed through the outbox to an in-process SMTP server.
	testutil.Place(t, db, testutil.NewSequencer(t, db, audit.SequencerOptions{Every: 1, Period: time.Hour}))
	subject, body, err := mon.Report(ctx, start)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(subject, "不明な接続 1") || !strings.Contains(body, "不明 UNKNOWN] role="+testutil.TestRole+" application=intruder address=127.0.0.1") ||
		!strings.Contains(body, "unknown_db_connection") || !strings.Contains(body, "bango-audit") {
		t.Fatalf("report %q:\n%s", subject, body)
	}
	srv := testutil.NewSMTPServer(t, true)
	box := notify.NewOutbox(db)
	if _, err := box.Enqueue(ctx, []string{"is@city.example.lg.jp"}, subject, body); err != nil {
		t.Fatal(err)
	}
	if n, err := box.Deliver(ctx, notify.SMTP{Host: srv.Host, Port: srv.Port, From: "bango@city.example.lg.jp", TLS: srv.ClientTLS}); err != nil || n != 1 {
		t.Fatalf("deliver: %d %v", n, err)
	}
	mails := srv.Mails()
	if len(mails) != 1 || !mails[0].TLS || !strings.Contains(mailBody(t, mails[0].Data), "application=intruder") {
		t.Fatalf("mailed report: %+v", mails)
	}
}

// R-AUD-3: on SQLite the report says the engine is embedded and gives the
// file's size, last change and quick_check result.
func TestSQLiteReport(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bango.db")
	ctx := context.Background()
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	mon := monitor.New(db, alert.NewService(db), path)
	if seen, err := mon.Sample(ctx); err != nil || seen != nil {
		t.Fatalf("sample on SQLite: %v %v", seen, err)
	}
	_, body, err := mon.Report(ctx, time.Now().Add(-30*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"SQLite", "embedded", "サイズ / size: ", "PRAGMA quick_check: ok", path} {
		if !strings.Contains(body, want) {
			t.Fatalf("report lacks %q:\n%s", want, body)
		}
	}
}
