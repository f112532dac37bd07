package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/pprof"

	"bango/internal/bench"
)

const benchAssessSummary = `Measure the yearly NHI premium assessment (賦課) of a large municipality and
the premium estimate (保険料試算). The municipality is bango bench nhi's:
--insured persons in two thirds as many households with five years of
history, loaded in bulk as the service writes them, each person (insured or
a head outside NHI) with revenue of the income year and the municipality
with a confirmed rate table of this fiscal year. The yearly run goes through
assess.Service (every household read, computed, stored with its breakdown
and an audit event), then runs again (nothing changes, nothing written),
beside a baseline of one SELECT each of the rows it reads. The estimate does
what POST /api/v1/nhi/estimate does (the JSON body decoded, the service, the
answer encoded) beside a read of the rate table by its index. The database is
a scratch one: a temporary SQLite file, or with --db postgres://… a new
schema in that database, dropped afterwards.`

// runBenchAssess is "bango bench assess".
func runBenchAssess(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench assess", "[flags]", benchAssessSummary, stderr)
	insured := fs.Int("insured", 300000, "insured persons of the municipality (households: two thirds as many)")
	estimates := fs.Int("estimates", 300, "premium estimates timed")
	seed := fs.Uint64("seed", 1, "seed of the synthetic municipality and estimates")
	dbURL := fs.String("db", os.Getenv("BANGO_BENCH_DB"), "database: postgres://… (a scratch schema is made) or a new SQLite path; default a temporary SQLite file")
	asJSON := fs.Bool("json", false, "print JSON")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file (go tool pprof)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	res, err := bench.Assess(ctx, *dbURL, bench.AssessOptions{Insured: *insured, Estimates: *estimates, Seed: *seed})
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(stdout, res)
	}
	fmt.Fprintf(stdout, "bench assess: %d insured in %d households on %s, fiscal year %d (%d rows, loaded in %.0f s)\n",
		res.Insured, res.Households, res.Engine, res.FiscalYear, res.Rows, res.LoadSeconds)
	if res.Role != "" {
		fmt.Fprintf(stdout, "  as role %s: row-level security binds every read and write\n", res.Role)
	}
	fmt.Fprintf(stdout, "\n  %-52s %10s\n", "", "seconds")
	fmt.Fprintf(stdout, "  %-52s %10.2f\n", "baseline: one SELECT each of the rows the run reads", res.BaselineSeconds)
	fmt.Fprintf(stdout, "  %-52s %10.2f\n", fmt.Sprintf("yearly assessment (%d assessed, %d refused)", res.Assessed, res.Refused), res.AssessSeconds)
	fmt.Fprintf(stdout, "  %-52s %10.2f\n", "the same run again (nothing changes)", res.RerunSeconds)
	fmt.Fprintf(stdout, "  ratio assessment / baseline: %.1f; premiums assessed: %d yen\n", res.AssessRatio, res.Total)
	fmt.Fprintf(stdout, "\n  %-52s %10s %10s\n", fmt.Sprintf("%d estimates", res.Estimates), "p50 ms", "p99 ms")
	fmt.Fprintf(stdout, "  %-52s %10.2f %10.2f\n", "baseline: the rate table in force read by its index", res.EstimateBaseP50ms, res.EstimateBaseP99ms)
	fmt.Fprintf(stdout, "  %-52s %10.2f %10.2f\n", "estimate (decode, service, encode)", res.EstimateP50ms, res.EstimateP99ms)
	fmt.Fprintf(stdout, "  %-52s %10.2f %10.2f\n", "POST /api/v1/nhi/estimate over HTTP (TLS, session)", res.HTTPP50ms, res.HTTPP99ms)
	fmt.Fprintf(stdout, "  p99 ratio estimate / baseline: %.1f\n", res.EstimateP99Ratio)
	fmt.Fprintf(stdout, "\n  target: the yearly assessment under 60 s; the estimate route's p99 over HTTP under 20 ms\n")
	return nil
}
