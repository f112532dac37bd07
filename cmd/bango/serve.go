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
	"net/netip"
	"path/filepath"
	"sync/atomic"
	"time"

	"bango/internal/audit"
	"bango/internal/config"
	"bango/internal/errs"
	"bango/internal/store"
	"bango/internal/terminal"
	"bango/internal/tlsca"
	"bango/internal/web"
)

// checkRLSBinds refuses a PostgreSQL connection that row-level security
// does not bind (a superuser, a BYPASSRLS role): through it every
// municipality's rows are open to each one's staff whenever a query
// forgets its tenant (R-AC-6). allow (allow-rls-bypass) starts anyway,
// with a warning.
func checkRLSBinds(ctx context.Context, db *store.DB, allow bool, stdout io.Writer) error {
	role, why, err := db.RLSBypass(ctx)
	switch {
	case err != nil:
		return err
	case why == "":
		return nil
	case allow:
		fmt.Fprintf(stdout, "WARNING: connected to PostgreSQL as %q, %s, which row-level security does not bind; started only because allow-rls-bypass is set. Connect as an ordinary role that owns the schema (see README, Running on PostgreSQL).\n", role, why)
		return nil
	}
	return errs.E(errs.Invalid, "connected to PostgreSQL as %q, %s: row-level security, the second wall between municipalities (R-AC-6), does not bind it. "+
		"Connect as an ordinary role that owns the schema (see README, Running on PostgreSQL), or set allow-rls-bypass (--allow-rls-bypass, BANGO_ALLOW_RLS_BYPASS=true) to start anyway", role, why)
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", "[flags]", "Run bango's HTTPS server. With no certificate configured, a local CA and a server\ncertificate are made in the data folder on first start.", stderr)
	config.Flags(fs)
	demoMode := fs.Bool("demo", false, "seed demo municipalities and residents (once) and print what to use")
	demoSeed := fs.Uint64("demo-seed", 1, "seed of the demo data")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := config.Load(fs)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	db, err := openDB(ctx, cfg, false)
	if err != nil {
		return err
	}
	var proxies []netip.Prefix
	if cfg.TrustedProxies != "" {
		if proxies, err = terminal.ParsePrefixes(cfg.TrustedProxies); err != nil {
			db.Close()
			return fmt.Errorf("trusted-proxies: %w", err)
		}
	}
	if err := checkRLSBinds(ctx, db, cfg.AllowRLSBypass, stdout); err != nil {
		db.Close()
		return err
	}
	// One server a database: a second would end the first's JPKI
	// applications as abandoned at its start (store.HoldServer).
	release, err := db.HoldServer(ctx)
	if err != nil {
		db.Close()
		return err
	}
	defer release()
	if !cfg.EnforceTerminals {
		fmt.Fprintln(stdout, "WARNING: designated terminals are not enforced; any address may reach the login page (set --enforce-terminals after registering terminals with bango terminal add).")
	}

	// Listen before migrating, so that /readyz can say "not yet" meanwhile;
	// the server proper answers once every service it uses exists.
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		db.Close()
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	scheme := "http"
	if !cfg.PlainHTTP {
		tlsCfg, err := serverTLS(cfg, stdout, log)
		if err != nil {
			ln.Close()
			db.Close()
			return err
		}
		ln = tls.NewListener(ln, tlsCfg)
		scheme = "https"
	}
	var handler handlerSwitch
	handler.set(web.Starting(version))
	httpSrv := &http.Server{
		Handler:           &handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- httpSrv.Serve(ln) }()

	if cfg.AutoMigrate {
		if _, err := db.Migrate(ctx); err != nil {
			httpSrv.Close()
			db.Close()
			return err
		}
	}
	sys, err := buildSystem(ctx, cfg, log, db)
	if err != nil {
		httpSrv.Close()
		return err
	}
	defer sys.Close()
	if cfg.MetricsListen != "" {
		msrv, addr, err := serveMetrics(cfg.MetricsListen, sys, log)
		if err != nil {
			httpSrv.Close()
			return err
		}
		defer msrv.Close()
		fmt.Fprintf(stdout, "Prometheus metrics on http://%s/metrics (no login: keep the address on loopback or a monitoring network)\n", addr)
	}
	sysCtx := audit.WithActor(ctx, audit.Actor{User: "system:serve"})
	if *demoMode {
		if err := seedDemo(audit.WithActor(ctx, audit.Actor{User: "system:demo"}), sys, *demoSeed, demoResidents, stdout); err != nil {
			httpSrv.Close()
			return err
		}
	} else if err := ensureFirstAdmin(sysCtx, sys, stdout); err != nil {
		httpSrv.Close()
		return err
	}
	if err := sys.users.SetWebAuthn(cfg.WebAuthnRPID, cfg.WebAuthnOriginList()); err != nil {
		httpSrv.Close()
		return err
	}
	partners, err := partnerDeps(cfg, sys)
	if err != nil {
		httpSrv.Close()
		return err
	}
	srv := web.New(web.Deps{DB: db, Partners: partners, Terminals: terminal.New(db), EnforceTerminals: cfg.EnforceTerminals, TrustedProxies: proxies, Log: log, Version: version,
		Limits: web.Limits{AnonymousPerMinute: cfg.AnonymousPerMinute, AnonymousBurst: cfg.AnonymousBurst, LoginIDPerMinute: cfg.LoginIDPerMinute},
		Users:  sys.users, Access: sys.access, Metrics: sys.metrics,
		Business: web.Business{Residents: sys.residents, Review: sys.review, Alerts: sys.alerts, Exports: sys.exports, Outbox: sys.outbox, Tenants: sys.tenants, NHI: sys.nhi, Assess: sys.assess, Pubmed: sys.pubmed, JPKI: sys.jpki, Linkage: sys.linkage, NumberSetup: sys.numbersetup}})
	handler.set(srv.Handler())
	go every(ctx, sys, audit.RunInterval, "audit sequencer", func(ctx context.Context) error {
		_, err := sys.sequencer.Sequence(ctx)
		return err
	})
	go pruneDaily(audit.WithActor(ctx, audit.Actor{User: "system:retention"}), sys)
	watch(ctx, sys)
	go flushThrottled(ctx, srv)
	if partners.CA != nil {
		psrv, addr, err := servePartners(cfg, srv, partners.CA, log)
		if err != nil {
			httpSrv.Close()
			return err
		}
		defer psrv.Close()
		fmt.Fprintf(stdout, "Linkage partners on %s (mutual TLS with certificates of the partners' CA %s)\n", displayURL("https", addr), partners.CA.Files.CACert)
	}
	srv.SetReady(true)

	fmt.Fprintf(stdout, "bango %s serving on %s (database: %s %s)\n", version, displayURL(scheme, ln.Addr()), db.Engine(), db.Where())
	log.Info("serving", "addr", ln.Addr().String(), "scheme", scheme, "engine", db.Engine())

	select {
	case err := <-served:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownGrace)
	defer cancel()
	err = httpSrv.Shutdown(shutCtx)
	// No request comes any more: summarise the throttled ones still
	// counted, so that a restart loses no count (failures are logged).
	closeCtx, cancelClose := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancelClose()
	srv.CloseThrottled(closeCtx)
	return err
}

// serveMetrics answers /metrics, and nothing else, in plain HTTP on addr:
// a listener of its own, apart from the staff's (issue 17). What it
// answers names no person, but shows how the system is used: addr
// belongs on loopback or a monitoring network.
func serveMetrics(addr string, sys *system, log *slog.Logger) (*http.Server, net.Addr, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("metrics-listen %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", sys.metrics.Handler(log))
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics listener stopped", "err", err)
		}
	}()
	return srv, ln.Addr(), nil
}

// flushThrottled writes the summary of each window of throttled requests
// (web.Limits) within 15 s of its end, even when the requests have
// stopped; failures are logged with their counts.
func flushThrottled(ctx context.Context, srv *web.Server) {
	t := time.NewTicker(15 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			srv.FlushThrottled(ctx)
		}
	}
}

// serverTLS uses the configured certificate, or the local CA's, made on
// first start; it prints the CA's fingerprint for the IS department and
// logs what the operator must act on (an unconstrained CA, a CA key kept
// offline).
func serverTLS(cfg *config.Config, stdout io.Writer, log *slog.Logger) (*tls.Config, error) {
	// Client certificates are asked for, not required: a terminal whose
	// certificate fingerprint is registered is recognised by it.
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ClientAuth: tls.RequestClientCert}
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("tls-cert %s / tls-key %s: %w", cfg.TLSCert, cfg.TLSKey, err)
		}
		tc.Certificates = []tls.Certificate{cert}
		return tc, nil
	}
	res, err := tlsca.Ensure(filepath.Join(cfg.DataDir, "tls"), cfg.Hostnames)
	if err != nil {
		return nil, err
	}
	if res.CACreated {
		fmt.Fprintln(stdout, "Created a local certificate authority for this server.")
	}
	fmt.Fprintf(stdout, "Local CA certificate: %s\n  SHA-256 fingerprint: %s\n  Install it on the designated terminals as a trusted root.\n", res.Files.CACert, res.CAFingerprint)
	for _, w := range res.Warnings {
		log.Warn("local CA: " + w)
	}
	tc.Certificates = []tls.Certificate{res.Certificate}
	return tc, nil
}

func displayURL(scheme string, addr net.Addr) string {
	host, port, _ := net.SplitHostPort(addr.String())
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() || ip.IsLoopback() {
		host = "localhost"
	}
	return scheme + "://" + net.JoinHostPort(host, port) + "/"
}

// pruneDaily applies the audit retention period once a day: the content of
// older events is removed, their hashes stay (see audit.Prune).
func pruneDaily(ctx context.Context, sys *system) {
	t := time.NewTicker(24 * time.Hour)
	defer t.Stop()
	for {
		cutoff := sys.cfg.AuditRetentionCutoff(time.Now())
		if n, err := audit.Prune(ctx, sys.db, cutoff); err != nil && ctx.Err() == nil {
			sys.log.Error("audit retention failed", "err", err)
		} else if n > 0 {
			sys.log.Info("audit retention applied", "removed", n, "cutoff", cutoff)
		}
		// Monitoring data is kept 90 days: the mailed reports summarised it.
		old := time.Now().Add(-90 * 24 * time.Hour)
		if _, err := sys.monitor.Forget(ctx, old); err != nil && ctx.Err() == nil {
			sys.log.Error("connection samples not cleaned up", "err", err)
		}
		if _, err := sys.outbox.Forget(ctx, old); err != nil && ctx.Err() == nil {
			sys.log.Error("sent mail not cleaned up", "err", err)
		}
		if _, err := sys.residents.ForgetRevealTokens(ctx, time.Now().Add(-24*time.Hour)); err != nil && ctx.Err() == nil {
			sys.log.Error("used reveal tokens not cleaned up", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// handlerSwitch is what the listener serves: web.Starting while the
// database is migrated, then the server, built once with its services.
type handlerSwitch struct{ h atomic.Pointer[http.Handler] }

func (s *handlerSwitch) set(h http.Handler) { s.h.Store(&h) }

func (s *handlerSwitch) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	(*s.h.Load()).ServeHTTP(w, r)
}
