package notify_test

import (
	"context"
	"encoding/base64"
	"mime"
	"net/mail"
	"strings"
	"testing"
	"time"

	"bango/internal/notify"
	"bango/internal/store"
	"bango/internal/testutil"
)

// decode returns a received mail's subject and body.
func decode(t *testing.T, data string) (string, string) {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	raw := new(strings.Builder)
	buf := make([]byte, 4096)
	for {
		n, err := msg.Body.Read(buf)
		raw.Write(buf[:n])
		if err != nil {
			break
		}
	}
	body, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(raw.String(), "\r\n", ""))
	if err != nil {
		t.Fatal(err)
	}
	return subject, string(body)
}

// R-AUD-3: mail goes over STARTTLS when the server offers it (the
// certificate verified), in Japanese; credentials never go in the clear.
func TestSMTP(t *testing.T) {
	ctx := context.Background()
	srv := testutil.NewSMTPServer(t, true)
	c := notify.SMTP{Host: srv.Host, Port: srv.Port, From: "bango@city.example.lg.jp", TLS: srv.ClientTLS}
	if err := c.Send(ctx, []string{"is@city.example.lg.jp"}, "状態報告", "接続 3 件\n不明な接続 なし"); err != nil {
		t.Fatal(err)
	}
	got := srv.Mails()
	if len(got) != 1 || !got[0].TLS || got[0].To[0] != "is@city.example.lg.jp" {
		t.Fatalf("received %+v", got)
	}
	if subject, body := decode(t, got[0].Data); subject != "状態報告" || !strings.Contains(body, "不明な接続 なし") {
		t.Fatalf("subject %q body %q", subject, body)
	}
	// A server without STARTTLS gets the mail, but never credentials.
	plain := testutil.NewSMTPServer(t, false)
	c2 := notify.SMTP{Host: plain.Host, Port: plain.Port, From: "bango@city.example.lg.jp"}
	if err := c2.Send(ctx, []string{"is@city.example.lg.jp"}, "x", "y"); err != nil || len(plain.Mails()) != 1 || plain.Mails()[0].TLS {
		t.Fatalf("plain server: %v %+v", err, plain.Mails())
	}
	c2.RequireTLS = true
	if err := c2.Send(ctx, []string{"is@city.example.lg.jp"}, "x", "y"); err == nil || len(plain.Mails()) != 1 {
		t.Fatalf("require-tls to a server without STARTTLS: %v", err)
	}
	c2.RequireTLS = false
	c2.Username, c2.Password = "bango", "secret"
	if err := c2.Send(ctx, []string{"is@city.example.lg.jp"}, "x", "y"); err == nil || !strings.Contains(err.Error(), "not sent in the clear") {
		t.Fatalf("credentials over a plain connection: %v", err)
	}
}

// R-AUD-3: a mail server that is down does not lose the report: it is
// retried with growing waits and delivered when the server is back.
func TestOutboxRetries(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
		box := notify.NewOutbox(db)
		depth := func(want int64) { // issue 17: what monitoring reads
			t.Helper()
			if n, err := box.Depth(ctx); err != nil || n != want {
				t.Fatalf("outbox depth %d, %v; want %d", n, err, want)
			}
		}
		depth(0)
		box.SetClock(func() time.Time { return now })
		if _, err := box.Enqueue(ctx, []string{"is@city.example.lg.jp"}, "状態報告", "本文"); err != nil {
			t.Fatal(err)
		}
		depth(1)
		down := testutil.NewSMTPServer(t, true)
		down.Close()
		dead := notify.SMTP{Host: down.Host, Port: down.Port, From: "bango@x", Timeout: 2 * time.Second}
		for i, wait := range []time.Duration{time.Minute, 2 * time.Minute} {
			if n, err := box.Deliver(ctx, dead); err != nil || n != 0 {
				t.Fatalf("attempt %d: sent %d, %v", i+1, n, err)
			}
			page, _ := box.Failing(ctx, "", 0)
			failing := page.Items
			if len(failing) != 1 || failing[0].Attempts != i+1 || !failing[0].NextAttempt.Equal(now.Add(wait)) || failing[0].LastError == "" {
				t.Fatalf("after attempt %d: %+v", i+1, failing)
			}
			if n, _ := box.Deliver(ctx, dead); n != 0 {
				t.Fatal("retried before its time")
			}
			now = now.Add(wait)
		}
		depth(1) // failing, still waiting
		up := testutil.NewSMTPServer(t, true)
		live := notify.SMTP{Host: up.Host, Port: up.Port, From: "bango@x", TLS: up.ClientTLS}
		if n, err := box.Deliver(ctx, live); err != nil || n != 1 || len(up.Mails()) != 1 {
			t.Fatalf("delivery when the server is back: %d, %v", n, err)
		}
		if failing, _ := box.Failing(ctx, "", 0); len(failing.Items) != 0 {
			t.Fatalf("still failing: %+v", failing)
		}
		depth(0)
		// Sent mail is forgotten after its time, unsent mail never.
		box.Enqueue(ctx, []string{"is@city.example.lg.jp"}, "unsent", "x")
		depth(1)
		if n, err := box.Forget(ctx, now.Add(time.Hour)); err != nil || n != 1 {
			t.Fatalf("forget: %d %v", n, err)
		}
		if recent, _ := box.Recent(ctx, 10); len(recent) != 1 || recent[0].Subject != "unsent" {
			t.Fatalf("left: %+v", recent)
		}
	})
}
