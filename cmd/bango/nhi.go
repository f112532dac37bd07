package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"bango/internal/access"
	"bango/internal/audit"
	"bango/internal/config"
	"bango/internal/errs"
	"bango/internal/nhi"
	"bango/internal/store"
)

const nhiSummary = `National Health Insurance batch work and premium estimates.

  cost-share  the yearly 70–74 cost-share decision (一部負担金の割合, R-NHI-3):
              for 1 August of --fiscal-year, every household with an insured
              member aged 70–74 that day is decided (2割 or 3割) on the incomes
              of the year before, in each municipality or in --tenant's; a
              household whose incomes are missing is listed with the reason and
              the others go on. Run again, it records only what changed.
              It runs in the name of --by, a staff login holding nhi.admin
              (the pattern nhi-admin, the NHI section head's) in each
              municipality run: without --tenant, every municipality where
              --by holds it.
  estimate    a household's premium for --fiscal-year from a --household file
              and --tenant's rate table in force (or a --rates file)
              (保険料試算, R-NHI-4); stores nothing.
  rates       a municipality's rate tables: import one (confirmed by a
              second person) or list the versions (R-NHI-4).
  assess      the yearly premium assessment of --tenant for --fiscal-year
              (賦課, R-NHI-4); resumable, and re-assesses only what changed.`

// runNHI is "bango nhi".
func runNHI(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub, err := subcommand("nhi", args, nhiSummary, stderr, "cost-share", "estimate", "rates", "assess")
	if err != nil {
		return err
	}
	switch sub {
	case "rates":
		return runNHIRates(ctx, args[1:], stdout, stderr)
	case "assess":
		return runNHIAssess(ctx, args[1:], stdout, stderr)
	}
	if sub == "estimate" { // pure calculation: no system to build
		return runNHIEstimate(ctx, args[1:], stdout, stderr)
	}
	fs := newFlags("nhi "+sub, "[flags]", nhiSummary, stderr)
	config.Flags(fs, "data", "db", "master-key-file", "audit-key-file", "log-level")
	year := fs.Int("fiscal-year", 0, "the fiscal year whose period starts on 1 August of it (required), e.g. 2026")
	only := fs.String("tenant", "", "only this municipality (6-digit code); default every municipality")
	asJSON := fs.Bool("json", false, "print the reports as JSON")
	quiet := fs.Bool("quiet", false, "no progress bar")
	by := fs.String("by", "", "the login ID of the staff member running the decision, holding nhi.admin (required)")
	sys, err := systemFromFlags(ctx, fs, args[1:], stderr)
	if err != nil {
		return err
	}
	defer sys.Close()
	defer sys.placeEvents(ctx)
	if *year == 0 {
		fmt.Fprintln(stderr, "bango nhi cost-share: --fiscal-year is required")
		return errUsage
	}
	if *by == "" {
		fmt.Fprintln(stderr, "bango nhi cost-share: --by (a staff login holding nhi.admin) is required")
		return errUsage
	}
	all := store.WithScope(ctx, store.AllTenants) // the batch is system work over every municipality
	var codes []string
	if *only != "" {
		t, err := sys.tenants.Get(all, *only)
		if err != nil {
			return err
		}
		codes = append(codes, t.Code)
	} else {
		ts, err := sys.tenants.List(all)
		if err != nil {
			return err
		}
		for _, t := range ts {
			codes = append(codes, t.Code)
		}
	}
	// The yearly decision is the section head's (nhi.admin), not every
	// clerk's: it runs in their name, only where they hold the right.
	codes, ctx, err = costShareRunner(ctx, sys, *by, codes, *only != "")
	if err != nil {
		return err
	}
	type result struct {
		Tenant string `json:"tenant"`
		nhi.CostShareReport
		Seconds float64 `json:"seconds"`
	}
	var results []result
	for _, code := range codes {
		start := time.Now()
		var bar func(done, total int)
		if !*quiet {
			bar = progressBar(stderr, code)
		}
		// A recorded run, read on the screen of the runs (/nhi/cost-share).
		run, err := sys.nhi.RunCostShare(ctx, code, *year, bar)
		if err != nil {
			return fmt.Errorf("municipality %s: %w", code, err)
		}
		results = append(results, result{Tenant: code, CostShareReport: *run.Report, Seconds: time.Since(start).Seconds()})
	}
	if *asJSON {
		return writeJSON(stdout, results)
	}
	for _, r := range results {
		printCostShare(stdout, r.Tenant, r.CostShareReport, r.Seconds)
	}
	return nil
}

// costShareRunner checks that login holds nhi.admin in the municipalities
// asked for — each of them when one was named, else at least one, and
// keeps those — and returns a context acting in the login's name from this
// host, so that the runs and their events name the staff member.
func costShareRunner(ctx context.Context, sys *system, login string, codes []string, named bool) ([]string, context.Context, error) {
	all := store.WithScope(ctx, store.AllTenants) // staff and their grants, read across municipalities
	u, err := sys.users.Get(all, login)
	if err != nil {
		return nil, ctx, err
	}
	rights, err := sys.access.RightsOf(all, u.ID)
	if err != nil {
		return nil, ctx, err
	}
	var kept []string
	for _, code := range codes {
		if rights.Has(access.NHIAdmin, code) {
			kept = append(kept, code)
		} else if named {
			return nil, ctx, errs.E(errs.Forbidden, "%s does not hold %s in municipality %s", login, access.NHIAdmin, code)
		}
	}
	if len(kept) == 0 {
		return nil, ctx, errs.E(errs.Forbidden, "%s holds %s in no municipality", login, access.NHIAdmin)
	}
	a := cliActor()
	a.User = u.LoginID
	return kept, audit.WithActor(ctx, a), nil
}

// printCostShare prints one municipality's report: households by ratio,
// what changed, and the households left undecided with the reason. A
// household is named by its number; the reason names residents by their
// resident code, never by a My Number.
func printCostShare(w io.Writer, tenant string, r nhi.CostShareReport, seconds float64) {
	fmt.Fprintf(w, "Municipality %s, fiscal year %d (from %s): %d households with a member aged 70–74, in %.1f s\n",
		tenant, r.FiscalYear, nhi.Date(r.From), r.Households, seconds)
	fmt.Fprintf(w, "  2割: %d   3割: %d   decided: %d\n", r.Ratio2, r.Ratio3, r.Ratio2+r.Ratio3)
	switch {
	case r.Decided == 0:
		fmt.Fprintf(w, "  Nothing changed since the last run: %d decisions stand as recorded.\n", r.Unchanged)
	default:
		fmt.Fprintf(w, "  Recorded: %d decisions (%d first of the period, %d changed since the last run); %d unchanged.\n",
			r.Decided, r.Decided-r.Changed, r.Changed, r.Unchanged)
	}
	if len(r.Refused) == 0 {
		return
	}
	fmt.Fprintf(w, "  Not decided, incomes or figures missing: %d households\n", len(r.Refused))
	for _, ref := range r.Refused {
		fmt.Fprintf(w, "    household %d (%s): %s\n", ref.Household, strings.Join(ref.Fields, ","), ref.Reason)
	}
}

// progressBar returns a progress function that draws a bar on w, redrawn
// in place, and ends its line when done.
func progressBar(w io.Writer, label string) func(done, total int) {
	const width = 30
	last := -1
	return func(done, total int) {
		pct := 100
		if total > 0 {
			pct = done * 100 / total
		}
		if pct == last && done != total {
			return
		}
		last = pct
		n := pct * width / 100
		fmt.Fprintf(w, "\r%s [%s%s] %3d%% %d/%d", label, strings.Repeat("#", n), strings.Repeat(".", width-n), pct, done, total)
		if done == total {
			fmt.Fprintln(w)
		}
	}
}
