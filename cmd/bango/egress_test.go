package main

import (
	"context"
	"errors"
	"strconv"
	"testing"

	"bango/internal/config"
	"bango/internal/egress"
	"bango/internal/notify"
	"bango/internal/store"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
)

// R-LNK-4: bango serve's outbound connections go through one dialer that
// reaches only what it is configured with. The configured mail server
// gets the mail; a mail server (or any address) not configured is refused
// before a packet — it receives nothing — and the refusal is logged and
// audited; so is the JPKI CA's address when none is configured.
func TestServeDialerRefusesUnconfigured(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := testutil.As("system:test")
		configured, other := testutil.NewSMTPServer(t, false), testutil.NewSMTPServer(t, false)
		cfg := &config.Config{SMTPHost: configured.Host, SMTPPort: configured.Port}
		d := outboundDialer(cfg, db, testkit.Quiet)
		mail := func(srv *testutil.SMTPServer) error {
			return notify.SMTP{Host: srv.Host, Port: srv.Port, From: "bango@city.example.lg.jp", Dial: d.DialContext}.Send(ctx, []string{"is@city.example.lg.jp"}, "x", "y")
		}
		if err := mail(configured); err != nil || len(configured.Mails()) != 1 {
			t.Fatalf("the configured mail server: %v, %d mails", err, len(configured.Mails()))
		}
		var refused *egress.RefusedError
		if err := mail(other); !errors.As(err, &refused) || len(other.Mails()) != 0 {
			t.Fatalf("a mail server not configured: %v, %d mails", err, len(other.Mails()))
		}
		for _, addr := range []string{"192.0.2.1:443", "8.8.8.8:53", "[2001:db8::1]:25", "localhost:" + strconv.Itoa(configured.Port)} {
			if _, err := d.DialContext(context.Background(), "tcp", addr); !errors.As(err, &refused) {
				t.Errorf("%s: %v, want refused", addr, err)
			}
		}
		if n := testutil.CountEvents(t, db, `action = 'egress.refused' AND outcome = 'denied'`); n != 5 {
			t.Errorf("%d refusals audited, want 5", n)
		}
		// With a JPKI CA configured, its host:port is allowed too, and only it.
		cfg.JPKICAURL = "https://ca.jpki.example.lg.jp/api"
		if got := outboundDialer(cfg, nil, nil).Allowed(); len(got) != 2 || got[0] != "127.0.0.1:"+strconv.Itoa(configured.Port)+" (the mail server (smtp-host))" ||
			got[1] != "ca.jpki.example.lg.jp:443 (the JPKI certification authority (jpki-ca-url))" {
			t.Errorf("allowed: %q", got)
		}
	})
}
