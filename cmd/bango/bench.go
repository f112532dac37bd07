package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"bango/internal/bench"
	"bango/internal/identity"
)

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const summary = `Measure bango against a baseline run in the same process on the same engine.

  import   residents through the real path (validate, seal, blind index, insert)
           vs the same rows loaded as plain text with no checks
  login    whole logins (password, TOTP+PIN, session, audited) at the configured
           Argon2id cost, vs the Argon2id hash alone (the floor)
  audit    audit events appended with durable commits by concurrent writers until
           placed in the tree, vs plain inserts of the same rows; and audit verify
           over a large log
  audit-search  p50/p99 latency of the auditor's searches (by subject; by actor
           over a week; by subject in one municipality) over a large synthetic
           log: 10,000,000 events on PostgreSQL, 1,000,000 on SQLite by default
  search   p50/p99 latency of the resident searches staff make (code, name, part
           of a name, date of birth) over 1,000,000 residents, one after another
           and by 100 sessions at once (bango bench search -h)
  nhi      p50/p99 of the NHI clerk's searches and the yearly 70–74 cost-share
           decision over 300,000 insured persons with five years of history
           (bango bench nhi -h)
  assess   the yearly NHI premium assessment of 300,000 insured persons in
           200,000 households vs one SELECT of the rows it reads, and the
           premium estimate's p50/p99 (bango bench assess -h)
  linkage  a 1,000,000-record Shift_JIS linkage file imported (parse, check,
           apply in one transaction) vs a raw load of the same records
           (bango bench linkage -h)
  setup    a 1,000,000-row registry file matched against 1,000,000 people into
           the My Number setup's candidate work table vs a plain load of the
           same rows (bango bench setup -h)

The database is a scratch one: a temporary SQLite file, or with --db postgres://…
a new schema in that database, dropped afterwards.`
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintf(stderr, "Usage: bango bench import|audit|audit-search|login|search|nhi|assess|linkage [flags]\n\n%s\n", summary)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	which := args[0]
	if which == "search" {
		return runBenchSearch(ctx, args[1:], stdout, stderr)
	}
	if which == "jpki" {
		return runBenchJPKI(ctx, args[1:], stdout, stderr)
	}
	if which == "nhi" {
		return runBenchNHI(ctx, args[1:], stdout, stderr)
	}
	if which == "assess" {
		return runBenchAssess(ctx, args[1:], stdout, stderr)
	}
	if which == "linkage" {
		return runBenchLinkage(ctx, args[1:], stdout, stderr)
	}
	if which == "setup" {
		return runBenchSetup(ctx, args[1:], stdout, stderr)
	}
	if which != "import" && which != "audit" && which != "audit-search" && which != "login" {
		fmt.Fprintf(stderr, "bango bench: unknown benchmark %q (import, audit, audit-search, login, search, nhi)\n", which)
		return errUsage
	}
	fs := newFlags("bench "+which, "[flags]", summary, stderr)
	persons := fs.Int("persons", 100000, "import: residents to import")
	seed := fs.Uint64("seed", 1, "import: seed of the synthetic residents")
	events := fs.Int("events", 4000, "audit: events appended by the writers")
	writers := fs.Int("writers", 8, "audit: concurrent writers")
	verifyEvents := fs.Int("verify-events", 1000000, "audit: events in the log that verify runs over (0: skip)")
	dbURL := fs.String("db", os.Getenv("BANGO_BENCH_DB"), "database: postgres://… (a scratch schema is made) or a new SQLite path; default a temporary SQLite file")
	logins := fs.Int("logins", 50, "login: logins to run")
	memKiB := fs.Uint("argon2-memory-kib", 65536, "login: Argon2id memory, KiB (the server's setting)")
	passes := fs.Uint("argon2-time", 2, "login: Argon2id passes (the server's setting)")
	searchEvents := fs.Int("search-events", 0, "audit-search: events in the log (default 10,000,000 on PostgreSQL, 1,000,000 on SQLite)")
	queries := fs.Int("queries", 300, "audit-search: searches of each kind")
	asJSON := fs.Bool("json", false, "print JSON")
	cpuProfile := fs.String("cpuprofile", "", "import: write a CPU profile of bango's import (not the baseline) to this file (go tool pprof)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if which == "audit-search" {
		n := *searchEvents
		if n == 0 {
			n = 1000000
			if strings.HasPrefix(*dbURL, "postgres") {
				n = 10000000
			}
		}
		res, err := bench.AuditSearch(ctx, *dbURL, n, *queries)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(stdout, res)
		}
		fmt.Fprintf(stdout, "bench audit-search: %d events on %s (%d staff, %d residents, %d days; loaded in %.0f s, search index built in %.0f s), %d searches of each kind\n\n",
			res.Events, res.Engine, res.Staff, res.Residents, res.SpanDays, res.LoadSeconds, res.IndexSeconds, res.Queries)
		fmt.Fprintf(stdout, "  %-44s %10s %10s %10s\n", "search (newest 50, with leaf numbers)", "p50 ms", "p99 ms", "results")
		fmt.Fprintf(stdout, "  %-44s %10.2f %10.2f %10.1f\n", "by subject (a resident), all municipalities", res.SubjectP50ms, res.SubjectP99ms, res.SubjectHits)
		fmt.Fprintf(stdout, "  %-44s %10.2f %10.2f %10s\n", "by subject, one municipality", res.TenantP50ms, res.TenantP99ms, "")
		fmt.Fprintf(stdout, "  %-44s %10.2f %10.2f %10.1f\n", "by actor over a week", res.ActorP50ms, res.ActorP99ms, res.ActorHits)
		fmt.Fprintf(stdout, "\n  target: p99 under 50 ms for both searches\n")
		return nil
	}
	if which == "login" {
		res, err := bench.Login(ctx, *dbURL, *logins, identity.Params{Time: uint32(*passes), MemoryKiB: uint32(*memKiB), Threads: 2})
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(stdout, res)
		}
		fmt.Fprintf(stdout, "bench login: %d logins on %s, Argon2id m=%d KiB t=%d\n\n", res.Logins, res.Engine, res.MemoryKiB, res.Time)
		fmt.Fprintf(stdout, "  %-44s %10s %10s %10s\n", "", "per s", "p50 ms", "p99 ms")
		fmt.Fprintf(stdout, "  %-44s %10.1f %10.1f %10.1f\n", "Argon2id hash alone (the floor)", res.HashesPerSec, res.HashP50ms, res.HashP99ms)
		fmt.Fprintf(stdout, "  %-44s %10.1f %10.1f %10.1f\n", "login: password + TOTP/PIN + session + audit", res.LoginsPerSec, res.LoginP50ms, res.LoginP99ms)
		fmt.Fprintf(stdout, "\n  a login verifies two hashes (password, PIN); logins/s ÷ (hashes/s ÷ 2): %.2f\n", res.RatioToTwoHash)
		return nil
	}
	if which == "audit" {
		res, err := bench.Audit(ctx, *dbURL, *events, *writers, *verifyEvents)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(stdout, res)
		}
		fmt.Fprintf(stdout, "bench audit: %d events by %d writers, one durable transaction each, on %s\n\n", res.Events, res.Writers, res.Engine)
		fmt.Fprintf(stdout, "  %-40s %10s %12s\n", "path", "seconds", "events/s")
		fmt.Fprintf(stdout, "  %-40s %10.2f %12.0f\n", "baseline (plain insert, no hashing)", res.BaselineSeconds, res.BaselineEPS)
		fmt.Fprintf(stdout, "  %-40s %10.2f %12.0f\n", "audit (record + sequence into the tree)", res.AuditSeconds, res.AuditEPS)
		fmt.Fprintf(stdout, "\n  ratio audit / baseline: %.2f\n", res.Ratio)
		if res.VerifyEvents > 0 {
			fmt.Fprintf(stdout, "\n  sequencing %d bulk-loaded events: %.2f s\n", res.VerifyEvents, res.SequenceSeconds)
			fmt.Fprintf(stdout, "  audit verify over %d events: %.2f s = %.0f events/s\n", res.Events+res.VerifyEvents, res.VerifySeconds, res.VerifyEPS)
		}
		return nil
	}
	profile, closeProfile, err := openProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer closeProfile()
	res, err := bench.Import(ctx, *dbURL, *persons, *seed, profile)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(stdout, res)
	}
	fmt.Fprintf(stdout, "bench import: %d residents on %s\n", res.Persons, res.Engine)
	if res.Role != "" {
		fmt.Fprintf(stdout, "  as role %s: row-level security checks every imported row\n", res.Role)
	}
	fmt.Fprintln(stdout)
	fmt.Fprintf(stdout, "  %-34s %10s %14s\n", "path", "seconds", "rows/s")
	fmt.Fprintf(stdout, "  %-34s %10.2f %14.0f\n", "baseline (plain text, no checks)", res.BaselineSeconds, res.BaselineRowsPS)
	fmt.Fprintf(stdout, "  %-34s %10.2f %14.0f\n", "bango (validate+seal+index+insert)", res.BangoSeconds, res.BangoRowsPS)
	fmt.Fprintf(stdout, "  %-34s %10.2f\n", "then the search index (background)", res.IndexSeconds)
	fmt.Fprintf(stdout, "\n  CPU of this process: baseline %.2f s, bango %.2f s\n", res.BaselineCPUSeconds, res.BangoCPUSeconds)
	fmt.Fprintf(stdout, "\n  ratio bango / baseline: %.2f (with the search index: %.2f)\n", res.Ratio, res.IndexedRatio)
	return nil
}
