package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"bango/internal/config"
	"bango/internal/tlsca"
	"bango/internal/web"
)

// partnerDeps are the linkage partners' routes' services when serve has a
// partner listener (partner-listen); without one, none.
func partnerDeps(cfg *config.Config, sys *system) (web.PartnerDeps, error) {
	if cfg.PartnerListen == "" {
		return web.PartnerDeps{}, nil
	}
	ca, err := tlsca.EnsurePartnerCA(filepath.Join(cfg.DataDir, "tls"))
	if err != nil {
		return web.PartnerDeps{}, err
	}
	return web.PartnerDeps{Linkage: sys.linkage, CA: ca, Eligibility: sys.nhi}, nil
}

// servePartners answers the linkage partners' routes, and nothing else,
// on a listener of their own (the dedicated line's interface, R-LNK-1):
// TLS that requires a client certificate of the partners' CA at the
// handshake, and the routes' gate checks it is registered and in force.
func servePartners(cfg *config.Config, srv *web.Server, ca *tlsca.PartnerCA, log *slog.Logger) (*http.Server, net.Addr, error) {
	var cert tls.Certificate
	if cfg.TLSCert != "" {
		var err error
		if cert, err = tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey); err != nil {
			return nil, nil, fmt.Errorf("tls-cert %s / tls-key %s: %w", cfg.TLSCert, cfg.TLSKey, err)
		}
	} else {
		res, err := tlsca.Ensure(filepath.Join(cfg.DataDir, "tls"), cfg.Hostnames)
		if err != nil {
			return nil, nil, err
		}
		cert = res.Certificate
	}
	ln, err := net.Listen("tcp", cfg.PartnerListen)
	if err != nil {
		return nil, nil, fmt.Errorf("partner-listen %s: %w", cfg.PartnerListen, err)
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert},
		ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: ca.Pool()}
	hs := &http.Server{
		Handler:           srv.PartnerHandler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := hs.Serve(tls.NewListener(ln, tc)); !errors.Is(err, http.ErrServerClosed) {
			log.Error("partner listener stopped", "err", err)
		}
	}()
	return hs, ln.Addr(), nil
}

// partnerCertificate issues partner a client certificate of the partners'
// CA and prints it with its key, once: bango keeps only the serial and
// fingerprint, so a lost key means a new certificate.
func partnerCertificate(ctx context.Context, sys *system, tenant, partner string, asJSON bool, stdout io.Writer, p any) error {
	ca, err := tlsca.EnsurePartnerCA(filepath.Join(sys.cfg.DataDir, "tls"))
	if err != nil {
		return err
	}
	is, err := sys.linkage.IssueCertificate(ctx, tenant, partner, ca)
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(stdout, struct {
			Partner     any       `json:"partner,omitempty"`
			Certificate string    `json:"certificate"`
			Key         string    `json:"key"`
			Serial      string    `json:"serial"`
			Fingerprint string    `json:"fingerprint"`
			NotAfter    time.Time `json:"not_after"`
			ServerCA    string    `json:"server_ca"`
		}{p, string(is.CertPEM), string(is.KeyPEM), is.Serial, is.Fingerprint, is.NotAfter, tlsca.FilesIn(filepath.Join(sys.cfg.DataDir, "tls")).CACert})
	}
	fmt.Fprintf(stdout, "Client certificate of partner %s of %s: serial %s, SHA-256 %s, valid until %s.\n", partner, tenant, is.Serial, is.Fingerprint, is.NotAfter.Format(time.DateOnly))
	fmt.Fprintf(stdout, "Give the data-link machine the certificate and key below (shown once, not kept by bango) and the server CA %s.\n",
		tlsca.FilesIn(filepath.Join(sys.cfg.DataDir, "tls")).CACert)
	_, err = fmt.Fprintf(stdout, "%s%s", is.CertPEM, is.KeyPEM)
	return err
}
