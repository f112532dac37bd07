package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"os"
	"strconv"
	"strings"
	"time"

	"bango/internal/alert"
	"bango/internal/audit"
	"bango/internal/module"
	"bango/internal/notify"
	"bango/internal/store"
)

// every runs fn now and then every d until ctx ends; failures are logged,
// never fatal: monitoring must not stop the business. Each run is counted
// under the job's name what, with its time (bango_job_runs_total); a run
// cut short by the server stopping is not.
func every(ctx context.Context, sys *system, d time.Duration, what string, fn func(context.Context) error) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		start := time.Now()
		err := fn(ctx)
		if ctx.Err() == nil {
			sys.metrics.Job(what, err, time.Since(start))
			if err != nil {
				sys.log.Error(what+" failed", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// smtpOf is the configured mail server, or nil when none is.
func smtpOf(sys *system) *notify.SMTP {
	c := sys.cfg
	if c.SMTPHost == "" {
		return nil
	}
	m := &notify.SMTP{Host: c.SMTPHost, Port: c.SMTPPort, From: c.SMTPFrom, Username: c.SMTPUser, Password: c.SMTPPassword, RequireTLS: c.SMTPRequireTLS,
		Dial: outboundDialer(c, sys.db, sys.log).DialContext}
	if c.SMTPCAFile != "" {
		// Checked at start (config); a file gone since is an error of the
		// mail, reported like any failed delivery.
		if b, err := os.ReadFile(c.SMTPCAFile); err == nil {
			pool := x509.NewCertPool()
			pool.AppendCertsFromPEM(b)
			m.TLS = &tls.Config{ServerName: c.SMTPHost, MinVersion: tls.VersionTLS12, RootCAs: pool}
		} else {
			sys.log.Error("smtp-ca-file unreadable; the mail server's certificate is checked against the system's CAs", "err", err)
		}
	}
	return m
}

// watch starts the background work of R-AUD-3/4: the alert rules over the
// audit log, the database-connection samples, and the status report by
// mail with its retrying delivery.
func watch(ctx context.Context, sys *system) {
	rules := alert.Rules{OpenHour: sys.cfg.OpenHour, CloseHour: sys.cfg.CloseHour, Denials: alert.DefaultRules.Denials, DenialWindow: alert.DefaultRules.DenialWindow}
	go every(audit.WithActor(ctx, audit.Actor{User: "system:alerts"}), sys, time.Minute, "alert rules", func(ctx context.Context) error {
		_, err := sys.alerts.Scan(ctx, rules)
		return err
	})
	go every(ctx, sys, time.Second, "audit search index", func(ctx context.Context) error {
		_, err := audit.IndexForSearch(ctx, sys.db)
		return err
	})
	// The business modules' own jobs (docs/modules.md).
	for _, j := range module.Jobs(sys.modules) {
		go every(audit.WithActor(ctx, audit.Actor{User: "system:jobs"}), sys, j.Every, j.Name, j.Run)
	}
	go every(ctx, sys, sys.cfg.SampleEvery, "database connection sample", func(ctx context.Context) error {
		_, err := sys.monitor.Sample(ctx)
		return err
	})
	mail := smtpOf(sys)
	if mail == nil {
		sys.log.Warn("no smtp-host: status reports are not mailed")
		return
	}
	reportCtx := audit.WithActor(ctx, audit.Actor{User: "system:monitor"})
	go every(reportCtx, sys, time.Minute, "status report", func(ctx context.Context) error {
		return enqueueReport(ctx, sys)
	})
	go every(ctx, sys, 30*time.Second, "mail delivery", func(ctx context.Context) error {
		_, err := sys.outbox.Deliver(ctx, mail)
		return err
	})
}

// reportSubject begins every status report's subject.
const reportSubject = "bango 状態報告"

// enqueueReport queues the status report when mail-report-every has passed
// since the last one (kept in the outbox, so a restart loses no period and
// several serve processes queue it once: the check and the queueing share
// one transaction, under a lock on PostgreSQL). Queueing it is an event.
func enqueueReport(ctx context.Context, sys *system) error {
	return sys.db.Transact(ctx, func(tx *store.Tx) error {
		if tx.Engine() == store.Postgres {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('bango.status_report'))`); err != nil {
				return err
			}
		}
		now := time.Now().UTC()
		last, err := sys.outbox.LastWith(ctx, tx, reportSubject)
		if err != nil {
			return err
		}
		if !last.IsZero() && now.Sub(last) < sys.cfg.ReportEvery {
			return nil
		}
		since := last
		if since.IsZero() {
			since = now.Add(-sys.cfg.ReportEvery)
		}
		subject, body, err := sys.monitor.Report(ctx, since)
		if err != nil {
			return err
		}
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO mail_outbox (created_at, recipients, subject, body, next_attempt) VALUES ($1, $2, $3, $4, $1) RETURNING id`,
			now, strings.Join(sys.cfg.SMTPTo, ","), subject, body).Scan(&id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "monitor.report", Subject: audit.Subject{Type: "mail", ID: strconv.FormatInt(id, 10)}, Outcome: audit.OK, Detail: subject})
	})
}
