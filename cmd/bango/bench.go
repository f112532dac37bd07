package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"bango/internal/bench"
)

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const summary = `Measure bango against a baseline run in the same process on the same engine.

  import   residents through the real path (validate, seal, blind index, insert)
           vs the same rows loaded as plain text with no checks

The database is a scratch one: a temporary SQLite file, or with --db postgres://…
a new schema in that database, dropped afterwards.`
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintf(stderr, "Usage: bango bench import [flags]\n\n%s\n", summary)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	if args[0] != "import" {
		fmt.Fprintf(stderr, "bango bench: unknown benchmark %q (import)\n", args[0])
		return errUsage
	}
	fs := newFlags("bench import", "[flags]", summary, stderr)
	persons := fs.Int("persons", 100000, "residents to import")
	dbURL := fs.String("db", os.Getenv("BANGO_BENCH_DB"), "database: postgres://… (a scratch schema is made) or a new SQLite path; default a temporary SQLite file")
	seed := fs.Uint64("seed", 1, "seed of the synthetic residents")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	res, err := bench.Import(ctx, *dbURL, *persons, *seed)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	fmt.Fprintf(stdout, "bench import: %d residents on %s\n\n", res.Persons, res.Engine)
	fmt.Fprintf(stdout, "  %-34s %10s %14s\n", "path", "seconds", "rows/s")
	fmt.Fprintf(stdout, "  %-34s %10.2f %14.0f\n", "baseline (plain text, no checks)", res.BaselineSeconds, res.BaselineRowsPS)
	fmt.Fprintf(stdout, "  %-34s %10.2f %14.0f\n", "bango (validate+seal+index+insert)", res.BangoSeconds, res.BangoRowsPS)
	fmt.Fprintf(stdout, "\n  ratio bango / baseline: %.2f\n", res.Ratio)
	return nil
}
