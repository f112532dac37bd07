package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"bango/internal/config"
	"bango/internal/terminal"
)

const terminalSummary = `Register the designated terminals (R-AUTH-5; an IS administrator's work).
With --enforce-terminals on the server, only these may reach the staff pages.

  add --name NAME --cidr ADDR[,CIDR…] [--tenant CODE] [--section S] [--cert-fingerprint HEX]
           a terminal by the addresses it connects from and, optionally, the SHA-256
           fingerprint of its client certificate
  list     list terminals
  disable --name NAME   stop accepting a terminal (kept for the audit trail)`

func runTerminal(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub, err := subcommand("terminal", args, terminalSummary, stderr, "add", "list", "disable")
	if err != nil {
		return err
	}
	fs := newFlags("terminal "+sub, "[flags]", terminalSummary, stderr)
	config.Flags(fs, "data", "db", "master-key-file", "audit-key-file", "log-level")
	name := fs.String("name", "", "terminal name")
	cidr := fs.String("cidr", "", "add: addresses or CIDRs it connects from, comma-separated")
	tenantCode := fs.String("tenant", "", "add: municipality")
	section := fs.String("section", "", "add: section")
	fp := fs.String("cert-fingerprint", "", "add: SHA-256 fingerprint of its client certificate (hex, colons allowed)")
	asJSON := fs.Bool("json", false, "print JSON")
	sys, err := systemFromFlags(ctx, fs, args[1:], stderr)
	if err != nil {
		return err
	}
	defer sys.Close()
	defer sys.placeEvents(ctx)
	reg := terminal.New(sys.db)
	switch sub {
	case "add":
		prefixes, err := terminal.ParsePrefixes(*cidr)
		if err != nil {
			return err
		}
		t, err := reg.Add(ctx, terminal.Terminal{Name: *name, Tenant: *tenantCode, Section: *section, Prefixes: prefixes, CertFingerprint: *fp})
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(stdout).Encode(t)
		}
		fmt.Fprintf(stdout, "Terminal %s registered (%v).\n", t.Name, t.Prefixes)
		return nil
	case "disable":
		if err := reg.Disable(ctx, *name); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Terminal %s disabled.\n", *name)
		return nil
	}
	list, err := reg.List(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(list)
	}
	for _, t := range list {
		fmt.Fprintf(stdout, "%-16s %-7s %-16s active=%-5v %v cert=%s\n", t.Name, t.Tenant, t.Section, t.Active, t.Prefixes, t.CertFingerprint)
	}
	return nil
}
