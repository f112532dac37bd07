package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/text/width"

	"bango/internal/bench"
	"bango/internal/resident"
)

const benchSearchSummary = `Measure the searches staff make at the counter over a large municipality:
by code (the baseline: the primary key, through the same path), kana and kanji
name or part of one, given name, date of birth in 和暦 and 西暦; one after
another, then by many sessions at once, paced and unpaced.

The residents are imported through the real path into a scratch database: a
temporary SQLite file, or with --db postgres://… a new schema in that database,
dropped afterwards. Every search is resident.Service.Find with its audit event.`

// runBenchSearch is "bango bench search".
func runBenchSearch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench search", "[flags]", benchSearchSummary, stderr)
	residents := fs.Int("residents", 1000000, "residents of the municipality searched (a second one holds a tenth as many)")
	queries := fs.Int("queries", 300, "searches of each kind, one after another")
	sessions := fs.Int("sessions", 100, "staff sessions searching at once")
	duration := fs.Duration("duration", 20*time.Second, "length of each load phase")
	think := fs.Duration("think", time.Second, "a paced session's mean pause between searches (0: only the unpaced phase)")
	seed := fs.Uint64("seed", 1, "seed of the synthetic residents and searches")
	dbURL := fs.String("db", os.Getenv("BANGO_BENCH_DB"), "database: postgres://… (a scratch schema is made) or a new SQLite path; default a temporary SQLite file")
	asJSON := fs.Bool("json", false, "print JSON")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the load phases to this file (go tool pprof)")
	if err := parse(fs, args); err != nil {
		return err
	}
	o := bench.ResidentSearchOptions{Residents: *residents, Queries: *queries, Sessions: *sessions, Duration: *duration, Think: *think, Seed: *seed}
	profile, closeProfile, err := openProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer closeProfile()
	o.Profile = profile
	res, err := bench.ResidentSearch(ctx, *dbURL, o)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(stdout, res)
	}
	fmt.Fprintf(stdout, "bench search: %d residents on %s (and %d of another municipality, never found); imported in %.0f s, indexed and analysed in %.0f s\n",
		res.Residents, res.Engine, res.Others, res.LoadSeconds, res.IndexSeconds)
	if res.Role != "" {
		fmt.Fprintf(stdout, "  as role %s: row-level security binds every search\n", res.Role)
	}
	fmt.Fprintf(stdout, "\n  one session, %d searches of each kind (at most %d listed)\n", res.Queries, resident.MaxResults)
	fmt.Fprintf(stdout, "  %-36s %s %8s %8s %8s %8s %8s %6s\n", "search", pad("e.g.", 20), "p50 ms", "p99 ms", "p50 ×", "p99 ×", "found", "more")
	for _, k := range res.Kinds {
		fmt.Fprintf(stdout, "  %s %s %8.2f %8.2f %8.2f %8.2f %8.1f %5.0f%%\n", pad(k.Kind, 36), pad(k.Example, 20), k.P50ms, k.P99ms, k.P50Ratio, k.P99Ratio, k.MeanResults, 100*k.MoreShare)
	}
	fmt.Fprintf(stdout, "  %-36s %s %8.2f %8.2f\n", "floor: a SELECT by primary key alone", pad("", 20), res.FloorP50ms, res.FloorP99ms)
	fmt.Fprintf(stdout, "  (× : against the search by code, the primary key through the same path)\n")
	for _, l := range res.Load {
		pace := fmt.Sprintf("pausing %s on average", time.Duration(l.ThinkMs*float64(time.Millisecond)))
		if l.ThinkMs == 0 {
			pace = "unpaced"
		}
		fmt.Fprintf(stdout, "\n  %d sessions at once, %s, %.0f s: %d searches (%.0f/s), %d errors, %.2f ms of bango's CPU a search\n", l.Sessions, pace, l.Seconds, l.Searches, l.PerSecond, l.Errors, l.CPUms)
		fmt.Fprintf(stdout, "  %-36s %8s %8s %8s %8s\n", "search", "p50 ms", "p99 ms", "p50 ×", "p99 ×")
		for _, k := range l.Kinds {
			fmt.Fprintf(stdout, "  %s %8.2f %8.2f %8.2f %8.2f\n", pad(k.Kind, 36), k.P50ms, k.P99ms, k.P50Ratio, k.P99Ratio)
		}
		fmt.Fprintf(stdout, "  %-36s %8.2f %8.2f\n", "all", l.P50ms, l.P99ms)
	}
	fmt.Fprintf(stdout, "\n  target: p99 under 50 ms\n")
	return nil
}

// pad fills s with spaces to n terminal columns, counting a wide (kanji,
// kana) character as two.
func pad(s string, n int) string {
	w := 0
	for _, r := range s {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			w += 2
		default:
			w++
		}
	}
	return s + strings.Repeat(" ", max(0, n-w))
}
