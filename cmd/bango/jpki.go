package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"bango/internal/config"
	"bango/internal/errs"
	"bango/internal/jpki"
	"bango/internal/jpki/standin"
	"bango/internal/resident"
	"bango/internal/store"
	"bango/internal/vault"
)

const jpkiStandinSummary = `Run a certification authority standing in for J-LIS behind the boundary of
docs/jpki.md: a real X.509 CA with its own keys that issues the signature and
user-authentication certificates of the My Number card and revokes them, over
HTTPS with mutual TLS (R-LNK-3). On first start it makes, in --dir, its root
(the trust anchor bango is configured with), the issuing CA under it, its TLS
server certificate, and the client certificate and key bango presents. It keeps
what it issued in memory only; the real J-LIS interface replaces it behind the
same boundary.`

// runJPKIStandin is "bango jpki-standin-ca".
func runJPKIStandin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("jpki-standin-ca", "[flags]", jpkiStandinSummary, stderr)
	dir := fs.String("dir", "data/jpki-standin-ca", "folder of the CA's certificates and keys (made on first start, mode 0700)")
	listen := fs.String("listen", "127.0.0.1:8444", "address to serve on")
	hosts := fs.String("hosts", "", "comma-separated names or addresses of this CA for its TLS certificate, beside localhost (first start only)")
	if err := parse(fs, args); err != nil {
		return err
	}
	var extra []string
	for _, h := range strings.Split(*hosts, ",") {
		if h = strings.TrimSpace(h); h != "" {
			extra = append(extra, h)
		}
	}
	ca, created, err := standin.Ensure(*dir, standin.Options{Hosts: extra})
	if err != nil {
		return err
	}
	f := standin.FilesIn(*dir)
	if created {
		fmt.Fprintf(stdout, "made a new stand-in CA in %s\n", *dir)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "stand-in JPKI CA on https://%s (mutual TLS)\n  trust anchor: %s\n  bango's client certificate: %s\n  bango's client key: %s\n",
		ln.Addr(), f.Root, f.Client, f.ClientKey)
	srv := &http.Server{Handler: ca.Handler(), TLSConfig: ca.TLSConfig(), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.ServeTLS(ln, "", "") }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil {
		return err
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// jpkiService builds JPKI issuance over the configured CA, or with none
// when jpki-ca-url is empty (every issuance is then refused as
// unavailable, saying so to the clerk).
func jpkiService(cfg *config.Config, db *store.DB, v *vault.Vault, residents *resident.Service, log *slog.Logger) (*jpki.Service, error) {
	var ca *jpki.Client
	if cfg.JPKICAURL != "" {
		cc, err := jpki.LoadClientConfig(cfg.JPKICAURL, cfg.JPKICAAnchor, cfg.JPKIClientCert, cfg.JPKIClientKey, 0)
		if err != nil {
			return nil, errs.Wrap(errs.Invalid, err, "jpki-ca-url is set, so jpki-ca-anchor, jpki-client-cert and jpki-client-key must name readable PEM files")
		}
		cc.Dial = outboundDialer(cfg, db, log).DialContext
		if ca, err = jpki.NewClient(cc); err != nil {
			return nil, errs.Wrap(errs.Invalid, err, "jpki-ca-url")
		}
	}
	return jpki.NewService(db, v, residents, ca, log), nil
}
