package main

import (
	"log/slog"
	"net"
	"net/url"
	"strconv"

	"bango/internal/config"
	"bango/internal/egress"
	"bango/internal/store"
)

// outboundDialer is the dialer every outbound connection of bango goes
// through (R-LNK-4): it reaches the configured mail server and JPKI CA
// and refuses — logged and audited — any other address.
func outboundDialer(cfg *config.Config, db *store.DB, log *slog.Logger) *egress.Dialer {
	d := egress.New(log, db)
	if cfg.SMTPHost != "" {
		d.Allow(net.JoinHostPort(cfg.SMTPHost, strconv.Itoa(cfg.SMTPPort)), "the mail server (smtp-host)")
	}
	if u, err := url.Parse(cfg.JPKICAURL); err == nil && u.Hostname() != "" {
		port := u.Port()
		if port == "" {
			port = "443"
		}
		d.Allow(net.JoinHostPort(u.Hostname(), port), "the JPKI certification authority (jpki-ca-url)")
	}
	return d
}
