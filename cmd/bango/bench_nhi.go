package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"bango/internal/bench"
)

const benchNHISummary = `Measure the NHI clerk's searches and the yearly 70–74 cost-share decision over
a large municipality: --insured persons in two thirds as many households with
five years of history (acquisitions, losses and returns, losses to 後期高齢者医療
at 75, splits, changes of head, incomes), loaded in bulk as the service writes
them. Each search runs through nhi.Service (the list and its count, with the
audit events), beside the same rows read by primary key; the household view as
of a past date beside its memberships and versions read by their index; the
yearly decision (then its rerun, which changes nothing) beside one SELECT of
the rows it reads. The database is a scratch one: a temporary SQLite file, or
with --db postgres://… a new schema in that database, dropped afterwards.`

// runBenchNHI is "bango bench nhi".
func runBenchNHI(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench nhi", "[flags]", benchNHISummary, stderr)
	insured := fs.Int("insured", 300000, "insured persons of the municipality (households: two thirds as many)")
	queries := fs.Int("queries", 300, "searches of each kind")
	seed := fs.Uint64("seed", 1, "seed of the synthetic municipality and searches")
	dbURL := fs.String("db", os.Getenv("BANGO_BENCH_DB"), "database: postgres://… (a scratch schema is made) or a new SQLite path; default a temporary SQLite file")
	searches := fs.Bool("searches", true, "time the searches (false: only the yearly decision)")
	costShare := fs.Bool("cost-share", true, "time the yearly cost-share decision (false: only the searches)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	res, err := bench.NHI(ctx, *dbURL, bench.NHIOptions{Insured: *insured, Queries: *queries, Seed: *seed,
		SkipSearches: !*searches, SkipCostShare: !*costShare})
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(stdout, res)
	}
	fmt.Fprintf(stdout, "bench nhi: %d insured in %d households on %s, five years of history (%d rows, loaded in %.0f s)\n",
		res.Insured, res.Households, res.Engine, res.Rows, res.LoadSeconds)
	if res.Role != "" {
		fmt.Fprintf(stdout, "  as role %s: row-level security binds every read\n", res.Role)
	}
	if *searches {
		fmt.Fprintf(stdout, "\n  %d searches of each kind; baseline: the same rows read by primary key (the household: its rows by index)\n", res.Queries)
		fmt.Fprintf(stdout, "  %s %-16s %8s %8s %8s %8s %8s %8s\n", pad("search (list and count)", 42), "e.g.", "p50 ms", "p99 ms", "base p50", "base p99", "p99 ×", "found")
		for _, k := range res.Searches {
			fmt.Fprintf(stdout, "  %s %s %8.2f %8.2f %8.2f %8.2f %8.1f %8.1f\n", pad(k.Kind, 42), pad(k.Example, 16), k.P50ms, k.P99ms, k.BaseP50ms, k.BaseP99ms, k.P99Ratio, k.MeanResults)
		}
	}
	if *costShare {
		fmt.Fprintf(stdout, "\n  yearly cost share from 1 August %d: %d households decided (2割 %d, 3割 %d, %d refused) in %.1f s; rerun (nothing changes) %.1f s\n",
			res.FiscalYear, res.Decided, res.Ratio2, res.Ratio3, res.Refused, res.CostShareSeconds, res.RerunSeconds)
		fmt.Fprintf(stdout, "  baseline: one SELECT of the rows it reads, %.2f s (ratio %.0f)\n", res.BaselineSeconds, res.CostShareRatio)
	}
	fmt.Fprintf(stdout, "\n  target: searches p99 under 50 ms; the yearly decision under 60 s\n")
	return nil
}
