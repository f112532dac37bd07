package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"bango/internal/config"
	"bango/internal/monitor"
)

const dbwatchSummary = `Watch the database's connections (R-AUD-3; an IS administrator's work).
On PostgreSQL, serve samples pg_stat_activity every db-sample-every and mails a
status report every mail-report-every; a connection not in the allowlist is an
audit event and an alert. The first sample trusts bango's own connections.

  allow [--role R] [--app NAME] [--cidr ADDR/BITS] [--note TEXT]
           expect connections matching all given fields (an empty one matches any)
  list     the allowlist
  sample   take a sample now and print what was seen
  report [--since 30m]   print the status report of the last period`

func runDBWatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub, err := subcommand("dbwatch", args, dbwatchSummary, stderr, "allow", "list", "sample", "report")
	if err != nil {
		return err
	}
	fs := newFlags("dbwatch "+sub, "[flags]", dbwatchSummary, stderr)
	config.Flags(fs, "data", "db", "master-key-file", "audit-key-file", "log-level")
	role := fs.String("role", "", "allow: database role")
	app := fs.String("app", "", "allow: application_name")
	cidr := fs.String("cidr", "", "allow: client address or CIDR")
	note := fs.String("note", "", "allow: why this connection is expected")
	since := fs.Duration("since", 30*time.Minute, "report: the period to report on")
	asJSON := fs.Bool("json", false, "print JSON")
	sys, err := systemFromFlags(ctx, fs, args[1:], stderr)
	if err != nil {
		return err
	}
	defer sys.Close()
	defer sys.placeEvents(ctx)
	switch sub {
	case "allow":
		a, err := sys.monitor.Allow(ctx, monitor.Allowed{Role: *role, Application: *app, CIDR: *cidr, Note: *note})
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(stdout).Encode(a)
		}
		fmt.Fprintf(stdout, "Allowed #%d: role=%q application=%q cidr=%q\n", a.ID, a.Role, a.Application, a.CIDR)
		return nil
	case "sample":
		seen, err := sys.monitor.Sample(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(stdout).Encode(seen)
		}
		if seen == nil {
			fmt.Fprintln(stdout, "SQLite is embedded: there are no connections to sample.")
		}
		for _, c := range seen {
			fmt.Fprintf(stdout, "known=%-5v %s\n", c.Known, c)
		}
		return nil
	case "report":
		subject, body, err := sys.monitor.Report(ctx, time.Now().UTC().Add(-*since))
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(stdout).Encode(map[string]string{"subject": subject, "body": body})
		}
		fmt.Fprintf(stdout, "Subject: %s\n\n%s", subject, body)
		return nil
	}
	list, err := sys.monitor.Allowlist(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(list)
	}
	for _, a := range list {
		fmt.Fprintf(stdout, "#%-3d role=%-16q application=%-12q cidr=%-18q by %s  %s\n", a.ID, a.Role, a.Application, a.CIDR, a.CreatedBy, a.Note)
	}
	return nil
}
