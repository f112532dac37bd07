package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"bango/internal/bench"
	"bango/internal/numbersetup"
)

const benchSetupSummary = `bango bench setup: a Shift_JIS registry file (本人確認情報, layout
mynumber-registry) of --rows rows (1,000,000 by default) matched against as
many people without a My Number into the candidate work table through
bango's My Number setup — the linkage engine's parse and whole-file check,
then each number sealed, each row matched by the basic four items and
written in one transaction — beside a plain load of the same rows into a
table of the same columns (lines split and decoded, nothing checked,
sealed or matched), same run, same engine. Prints both rates, the ratio
(target 0.5), the rows by outcome and the heap before and at its peak
during the setup (the people's match keys are held and grow with the
people; the file is streamed: --people fewer than --rows shows the heap
flat in the file). With --db postgres://… it runs in a scratch schema as an
ordinary role under row-level security.`

// runBenchSetup is "bango bench setup".
func runBenchSetup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench setup", "[flags]", benchSetupSummary, stderr)
	rows := fs.Int("rows", 1000000, "rows in the registry file")
	people := fs.Int("people", 0, "people to match the rows against (0: as many as --rows; rows past them match nobody)")
	dbURL := fs.String("db", os.Getenv("BANGO_BENCH_DB"), "database: postgres://… (a scratch schema is made) or a new SQLite path; default a temporary SQLite file")
	asJSON := fs.Bool("json", false, "print JSON")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the setup (not the baseline) to this file (go tool pprof)")
	if err := parse(fs, args); err != nil {
		return err
	}
	o := bench.SetupOptions{Rows: *rows, People: *people}
	profile, closeProfile, err := openProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer closeProfile()
	o.Profile = profile
	res, err := bench.Setup(ctx, *dbURL, o, func(step string) { fmt.Fprintln(stderr, step+" …") })
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(stdout, res)
	}
	fmt.Fprintf(stdout, "My Number setup of %d registry rows (%d bytes, Shift_JIS CSV) against %d people on %s", res.Rows, res.FileBytes, res.People, res.Engine)
	if res.Role != "" {
		fmt.Fprintf(stdout, " as role %s", res.Role)
	}
	fmt.Fprintln(stdout)
	fmt.Fprintf(stdout, "  baseline (plain load): %7.2f s  %9.0f rows/s\n", res.BaselineSeconds, res.BaselineRPS)
	fmt.Fprintf(stdout, "  bango setup:           %7.2f s  %9.0f rows/s\n", res.SetupSeconds, res.SetupRPS)
	fmt.Fprintf(stdout, "  ratio: %.2f of the baseline (target 0.5); heap %.0f MiB before, %.0f MiB at its peak\n", res.Ratio, res.BaseHeapMiB, res.PeakHeapMiB)
	fmt.Fprintf(stdout, "  phases:")
	for _, p := range []string{"people", "exact", "chunk copy", "chunk write", "end"} {
		fmt.Fprintf(stdout, " %s %.2f s;", p, res.Phases[p])
	}
	fmt.Fprintln(stdout)
	fmt.Fprintf(stdout, "  outcomes:")
	for _, o := range numbersetup.Outcomes {
		fmt.Fprintf(stdout, " %s %d", o, res.Counts[o])
	}
	fmt.Fprintln(stdout)
	return nil
}
