package main

import (
	"context"
	"fmt"
	"io"

	"bango/internal/config"
)

func runKeys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const summary = `Manage the master key and the tenants' data keys.

  status   key versions, and rows per data-key version
  rotate   add a master-key version and a new data key per municipality
  rewrap   re-wrap every data key under the newest master key and re-seal
           every row under the newest data key (resumable; run again to continue)`
	sub, err := subcommand("keys", args, summary, stderr, "status", "rotate", "rewrap")
	if err != nil {
		return err
	}
	fs := newFlags("keys "+sub, "[flags]", summary, stderr)
	config.Flags(fs, "data", "db", "master-key-file", "log-level")
	asJSON := fs.Bool("json", false, "print JSON")
	sys, err := systemFromFlags(ctx, fs, args[1:], stderr)
	if err != nil {
		return err
	}
	defer sys.Close()
	defer sys.placeEvents(ctx)
	switch sub {
	case "rotate":
		v, err := sys.vault.Rotate(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(stdout, map[string]int{"master_version": v})
		}
		fmt.Fprintf(stdout, "Master key version %d added to %s, with a new data key for every municipality.\nBack up the key file now, then run: bango keys rewrap\n", v, sys.cfg.MasterKeyFile)
		return nil
	case "rewrap":
		rep, err := sys.vault.Rewrap(ctx, func(col string, done, total int64) {
			fmt.Fprintf(stderr, "\r%s: %d / %d rows re-sealed", col, done, total)
			if done == total {
				fmt.Fprintln(stderr)
			}
		})
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(stdout, rep)
		}
		fmt.Fprintf(stdout, "Re-wrapped %d data keys under master key version %d.\n", rep.DataKeys, sys.vault.Master().Newest())
		for col, n := range rep.Rows {
			fmt.Fprintf(stdout, "Re-sealed %d rows of %s.\n", n, col)
		}
		return nil
	}
	st, err := sys.vault.Status(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(stdout, st)
	}
	fmt.Fprintf(stdout, "Key file: %s\nMaster key versions held: %v (newest %d)\n\nData keys:\n", st.KeyFile, st.MasterHeld, st.MasterNewest)
	fmt.Fprintf(stdout, "  %-8s %-7s %7s %14s\n", "tenant", "purpose", "version", "master version")
	for _, d := range st.DataKeys {
		fmt.Fprintf(stdout, "  %-8s %-7s %7d %14d\n", d.Tenant, d.Purpose, d.Version, d.MasterVersion)
	}
	fmt.Fprintf(stdout, "\nSealed rows:\n  %-20s %-8s %11s %10s\n", "column", "tenant", "key version", "rows")
	for _, r := range st.Rows {
		cur := ""
		if !r.Current {
			cur = "  (old: run keys rewrap)"
		}
		fmt.Fprintf(stdout, "  %-20s %-8s %11d %10d%s\n", r.Column, r.Tenant, r.KeyVersion, r.Rows, cur)
	}
	fmt.Fprintf(stdout, "\nRows waiting for rewrap: %d\n", st.PendingRewrap)
	return nil
}
