package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"bango/internal/bench"
)

const benchLinkageSummary = `bango bench linkage: a fixed-width Shift_JIS resident-differences file (or,
with --layout resident-initial-load, a new municipality's initial load) of
--records records (1,000,000 by default) imported through bango's linkage
import — parse, check every record, check it against the municipality and
the database, apply in one transaction — beside the baseline, a raw load
of what the import writes: the same records into a table equivalent to the
differences table and the residents they create into one equivalent to
residents (same columns and indexes; no row-level security, triggers or
audit; COPY on PostgreSQL, a prepared multi-row INSERT on SQLite; lines cut
at the layout's positions, text decoded, nothing checked), same run, same
engine. The ratio to the old baseline (the differences table alone) is
printed too. Also parse + check alone
(target 300,000 records/s), the ratio (target 0.6) and the peak heap during
the import (flat in the file's size). With --db postgres://… it runs in a
scratch schema as an ordinary role under row-level security.`

// runBenchLinkage is "bango bench linkage".
func runBenchLinkage(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench linkage", "[flags]", benchLinkageSummary, stderr)
	records := fs.Int("records", 1000000, "data records in the file")
	layout := fs.String("layout", "resident-differences", "the file: resident-differences (new residents) or resident-initial-load (a new municipality's register)")
	dbURL := fs.String("db", os.Getenv("BANGO_BENCH_DB"), "database: postgres://… (a scratch schema is made) or a new SQLite path; default a temporary SQLite file")
	asJSON := fs.Bool("json", false, "print JSON")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the import (not the baseline) to this file (go tool pprof)")
	if err := parse(fs, args); err != nil {
		return err
	}
	profile, closeProfile, err := openProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer closeProfile()
	res, err := bench.LinkageOf(ctx, *dbURL, *layout, *records, func(step string) { fmt.Fprintln(stderr, step+" …") }, profile)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(stdout, res)
	}
	fmt.Fprintf(stdout, "Linkage import of %d records of %s (%d bytes, Shift_JIS, fixed 240) on %s", res.Records, res.Layout, res.FileBytes, res.Engine)
	if res.Role != "" {
		fmt.Fprintf(stdout, " as role %s", res.Role)
	}
	fmt.Fprintln(stdout)
	fmt.Fprintf(stdout, "  parse + check alone:  %7.2f s  %9.0f records/s (target 300,000)\n", res.ParseCheckSeconds, res.ParseCheckRPS)
	fmt.Fprintf(stdout, "  baseline (raw load):  %7.2f s  %9.0f records/s  (records %.2f s + residents %.2f s)\n", res.BaselineSeconds, res.BaselineRPS,
		res.BaselineDifferencesSeconds, res.BaselineResidentsSeconds)
	fmt.Fprintf(stdout, "  bango linkage import: %7.2f s  %9.0f records/s\n", res.ImportSeconds, res.ImportRPS)
	fmt.Fprintf(stdout, "    check %.2f s, write (copy into the records table) %.2f s, checks against the database %.2f s, apply to the register %.2f s\n",
		res.Phases["check"], res.Phases["write"], res.Phases["relevance"], res.Phases["apply"])
	fmt.Fprintf(stdout, "  ratio: %.2f of the baseline, records and residents (target 0.6)\n", res.Ratio)
	fmt.Fprintf(stdout, "  ratio to the old baseline, records table only: %.2f\n", res.RatioDifferencesOnly)
	fmt.Fprintf(stdout, "  peak heap during the import %.0f MiB, peak live heap %.0f MiB\n", res.PeakHeapMiB, res.PeakLiveHeapMiB)
	q := res.LiveHeapMiBByQuarter
	fmt.Fprintf(stdout, "  peak live heap while writing each quarter of the file: %.0f, %.0f, %.0f, %.0f MiB\n", q[0], q[1], q[2], q[3])
	g := res.HeapAfterGCMiB
	fmt.Fprintf(stdout, "  heap right after a full collection at 25%%, 50%%, 75%% of the write: %.1f, %.1f, %.1f MiB\n", g[0], g[1], g[2])
	return nil
}

// openProfile creates the file a benchmark's --cpuprofile names, or gives
// a nil writer (no profile) when the flag is empty.
func openProfile(path string) (w io.Writer, closeFile func(), err error) {
	if path == "" {
		return nil, func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, nil, err
	}
	return f, func() { f.Close() }, nil
}
