package main

import (
	"context"
	"strconv"
	"time"

	"bango/internal/alert"
	"bango/internal/audit"
	"bango/internal/notify"
)

// every runs fn now and then every d until ctx ends; failures are logged,
// never fatal: monitoring must not stop the business.
func every(ctx context.Context, sys *system, d time.Duration, what string, fn func(context.Context) error) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		if err := fn(ctx); err != nil && ctx.Err() == nil {
			sys.log.Error(what+" failed", "err", err)
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
	return &notify.SMTP{Host: c.SMTPHost, Port: c.SMTPPort, From: c.SMTPFrom, Username: c.SMTPUser, Password: c.SMTPPassword}
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
	go every(ctx, sys, sys.cfg.SampleEvery, "database connection sample", func(ctx context.Context) error {
		_, err := sys.monitor.Sample(ctx)
		return err
	})
	mail := smtpOf(sys)
	if mail == nil {
		sys.log.Warn("no smtp-host: status reports are not mailed")
		return
	}
	since := time.Now().UTC()
	reportCtx := audit.WithActor(ctx, audit.Actor{User: "system:monitor"})
	go func() {
		t := time.NewTicker(sys.cfg.ReportEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			now := time.Now().UTC()
			if err := enqueueReport(reportCtx, sys, since); err != nil {
				sys.log.Error("status report not queued", "err", err)
				continue
			}
			since = now
		}
	}()
	go every(ctx, sys, 30*time.Second, "mail delivery", func(ctx context.Context) error {
		_, err := sys.outbox.Deliver(ctx, mail)
		return err
	})
}

// enqueueReport writes the report of the period since since into the
// outbox; writing it is an event.
func enqueueReport(ctx context.Context, sys *system, since time.Time) error {
	subject, body, err := sys.monitor.Report(ctx, since)
	if err != nil {
		return err
	}
	id, err := sys.outbox.Enqueue(ctx, sys.cfg.SMTPTo, subject, body)
	if err != nil {
		return err
	}
	return audit.RecordAlone(ctx, sys.db, audit.Event{Action: "monitor.report", Subject: audit.Subject{Type: "mail", ID: strconv.FormatInt(id, 10)}, Outcome: audit.OK, Detail: subject})
}
