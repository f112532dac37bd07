package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"bango/internal/bench"
)

const benchLinkageSummary = `bango bench linkage: a fixed-width Shift_JIS resident-differences file of
--records records (1,000,000 by default) imported through bango's linkage
import — parse, check every record, check it against the municipality and
the database, apply in one transaction — beside a raw load of the same
records into an equivalent table (lines cut at the layout's positions, text
decoded, nothing checked), same run, same engine. Also parse + check alone
(target 300,000 records/s), the ratio (target 0.6) and the peak heap during
the import (flat in the file's size). With --db postgres://… it runs in a
scratch schema as an ordinary role under row-level security.`

// runBenchLinkage is "bango bench linkage".
func runBenchLinkage(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench linkage", "[flags]", benchLinkageSummary, stderr)
	records := fs.Int("records", 1000000, "data records in the file")
	dbURL := fs.String("db", os.Getenv("BANGO_BENCH_DB"), "database: postgres://… (a scratch schema is made) or a new SQLite path; default a temporary SQLite file")
	asJSON := fs.Bool("json", false, "print JSON")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the import (not the baseline) to this file (go tool pprof)")
	if err := parse(fs, args); err != nil {
		return err
	}
	var profile io.Writer
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		profile = f
	}
	res, err := bench.Linkage(ctx, *dbURL, *records, func(step string) { fmt.Fprintln(stderr, step+" …") }, profile)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(stdout, res)
	}
	fmt.Fprintf(stdout, "Linkage import of %d records (%d bytes, Shift_JIS, fixed 240) on %s", res.Records, res.FileBytes, res.Engine)
	if res.Role != "" {
		fmt.Fprintf(stdout, " as role %s", res.Role)
	}
	fmt.Fprintln(stdout)
	fmt.Fprintf(stdout, "  parse + check alone:  %7.2f s  %9.0f records/s (target 300,000)\n", res.ParseCheckSeconds, res.ParseCheckRPS)
	fmt.Fprintf(stdout, "  baseline (raw load):  %7.2f s  %9.0f records/s\n", res.BaselineSeconds, res.BaselineRPS)
	fmt.Fprintf(stdout, "  bango linkage import: %7.2f s  %9.0f records/s\n", res.ImportSeconds, res.ImportRPS)
	fmt.Fprintf(stdout, "    check %.2f s, write (copy into the differences table) %.2f s, checks against the database %.2f s, apply to the register %.2f s\n",
		res.Phases["check"], res.Phases["write"], res.Phases["relevance"], res.Phases["apply"])
	fmt.Fprintf(stdout, "  ratio: %.2f of the baseline (target 0.6); peak heap during the import %.0f MiB\n", res.Ratio, res.PeakHeapMiB)
	return nil
}
