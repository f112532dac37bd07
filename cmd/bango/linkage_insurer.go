package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"bango/internal/config"
	"bango/internal/errs"
)

// runLinkageInsurer is "bango linkage insurer set|list": the
// municipality's NHI 保険者番号, configured with the day it is in force
// from (docs/linkage.md).
func runLinkageInsurer(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub, err := subcommand("linkage insurer", args, linkageSummary, stderr, "set", "list")
	if err != nil {
		return err
	}
	fs := newFlags("linkage insurer "+sub, "[flags]", linkageSummary, stderr)
	config.Flags(fs, "data", "db", "master-key-file", "audit-key-file", "log-level")
	tenant := fs.String("tenant", "", "the municipality (6-digit code, required)")
	number := fs.String("number", "", "set: the 保険者番号 (six digits)")
	from := fs.String("from", "", "set: the day it is in force from (YYYY-MM-DD)")
	asJSON := fs.Bool("json", false, "print JSON")
	sys, err := systemFromFlags(ctx, fs, args[1:], stderr)
	if err != nil {
		return err
	}
	defer sys.Close()
	defer sys.placeEvents(ctx)
	if *tenant == "" {
		fmt.Fprintf(stderr, "bango linkage insurer %s: --tenant is required\n", sub)
		return errUsage
	}
	if sub == "set" {
		day, err := time.Parse(time.DateOnly, *from)
		if err != nil {
			var fe errs.FieldErrors
			fe.Add("from", errs.Message{JA: "適用開始日は YYYY-MM-DD で入力してください", EN: "give the day it is in force from as YYYY-MM-DD"})
			return fe.Err()
		}
		n, err := sys.linkage.SetInsurerNumber(ctx, *tenant, *number, day)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(stdout, n)
		}
		fmt.Fprintf(stdout, "保険者番号 of %s: %s from %s.\n", n.Tenant, n.Number, n.From.Format(time.DateOnly))
		return nil
	}
	ns, err := sys.linkage.InsurerNumbers(ctx, *tenant)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(stdout, ns)
	}
	for _, n := range ns {
		fmt.Fprintf(stdout, "%s from %s  (%s, %s)\n", n.Number, n.From.Format(time.DateOnly), n.CreatedBy, n.CreatedAt.Format(time.RFC3339))
	}
	return nil
}
