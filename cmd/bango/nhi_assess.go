package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"bango/internal/access"
	"bango/internal/config"
	"bango/internal/errs"
	"bango/internal/nhi/assess"
	"bango/internal/store"
)

const nhiRatesSummary = `A municipality's NHI premium rate tables (料率表, R-NHI-4).

  import  enter the rate table FILE (JSON, the README's format) of
          --fiscal-year for --tenant in the name of --maker (a staff login
          holding nhi.admin there, the NHI administrator): it holds once another staff member
          confirms it in the review queue (確認待ち). A confirmed table is
          never changed: a correction is a new version, which supersedes it.
  list    the confirmed versions of --tenant (of --fiscal-year, or every
          year), the one in force first.`

// runNHIRates is "bango nhi rates".
func runNHIRates(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub, err := subcommand("nhi rates", args, nhiRatesSummary, stderr, "import", "list")
	if err != nil {
		return err
	}
	fs := newFlags("nhi rates "+sub, "--tenant T [--fiscal-year Y] [--maker LOGIN FILE] [--json]", nhiRatesSummary, stderr)
	config.Flags(fs, "data", "db", "master-key-file", "audit-key-file", "log-level")
	tenant := fs.String("tenant", "", "the municipality (6-digit code, required)")
	year := fs.Int("fiscal-year", 0, "the fiscal year of the table, e.g. 2026 (required to import)")
	maker := fs.String("maker", "", "import: the login ID of the staff member entering the table (required)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	sys, err := systemFromFlags(ctx, fs, args[1:], stderr)
	if err != nil {
		return err
	}
	defer sys.Close()
	defer sys.placeEvents(ctx)
	if *tenant == "" {
		fmt.Fprintf(stderr, "bango nhi rates %s: --tenant is required\n", sub)
		return errUsage
	}
	if sub == "list" {
		vs, err := sys.assess.RateTables(ctx, *tenant, *year)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(stdout, vs)
		}
		if len(vs) == 0 {
			fmt.Fprintf(stdout, "Municipality %s has no confirmed rate table.\n", *tenant)
		}
		for _, v := range vs {
			state := "superseded"
			if v.InForce {
				state = "in force"
			}
			fmt.Fprintf(stdout, "%d  #%d  %-12s %-10s confirmed %s by %s — %s\n", v.FiscalYear, v.Seq, v.Version, state,
				v.ConfirmedAt.In(time.FixedZone("JST", 9*3600)).Format("2006-01-02 15:04"), v.ConfirmedBy, v.Source)
		}
		return nil
	}
	if *year == 0 || *maker == "" || fs.NArg() != 1 {
		fmt.Fprintln(stderr, "bango nhi rates import: --fiscal-year, --maker and one FILE are required")
		return errUsage
	}
	b, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return errs.Wrap(errs.Invalid, err, "rate table file")
	}
	scoped := store.WithScope(ctx, *tenant)
	u, err := sys.users.Get(scoped, *maker)
	if err != nil {
		return err
	}
	rights, err := sys.access.RightsOf(scoped, u.ID)
	if err != nil {
		return err
	}
	if !rights.Has(access.NHIAdmin, *tenant) {
		return errs.E(errs.Forbidden, "%s does not hold %s in municipality %s: rate tables are the NHI administrator's to enter", *maker, access.NHIAdmin, *tenant)
	}
	p, err := sys.assess.ProposeRates(ctx, *tenant, *year, b)
	if err != nil {
		return fmt.Errorf("%s: %w", fs.Arg(0), err)
	}
	c, err := sys.review.Submit(ctx, u, *tenant, p)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(stdout, c)
	}
	fmt.Fprintf(stdout, "Rate table entered as change %d, awaiting confirmation by another staff member (確認待ち): %s\n", c.ID, c.Summary)
	return nil
}

const nhiAssessSummary = `The yearly NHI premium assessment (賦課, R-NHI-4) of --tenant for
--fiscal-year: every household with an insured member in the year is
assessed from its members' months in it, their revenue of the income year
and the confirmed rate table in force, and the assessment is kept with the
versions and figures used. Run again, it writes nothing for a household
whose figures did not change and re-assesses one whose household, revenue or
rate table changed, keeping the assessment before and recording the
difference; a run stopped midway goes on from where it stopped. A household
whose revenue is missing is listed with the reason and the others go on.
It runs in the name of --by, a staff login holding nhi.admin (the NHI
administrator, pattern nhi-admin) in --tenant.`

// runNHIAssess is "bango nhi assess".
func runNHIAssess(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("nhi assess", "--tenant T --fiscal-year Y --by LOGIN [--json]", nhiAssessSummary, stderr)
	config.Flags(fs, "data", "db", "master-key-file", "audit-key-file", "log-level")
	tenant := fs.String("tenant", "", "the municipality (6-digit code, required)")
	year := fs.Int("fiscal-year", 0, "the fiscal year (April to March) to assess, e.g. 2026 (required)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	quiet := fs.Bool("quiet", false, "no progress bar")
	by := fs.String("by", "", "the login ID of the staff member running the assessment, holding nhi.admin in --tenant (required)")
	sys, err := systemFromFlags(ctx, fs, args, stderr)
	if err != nil {
		return err
	}
	defer sys.Close()
	defer sys.placeEvents(ctx)
	if *tenant == "" || *year == 0 || *by == "" {
		fmt.Fprintln(stderr, "bango nhi assess: --tenant, --fiscal-year and --by (a staff login holding nhi.admin) are required")
		return errUsage
	}
	// The yearly assessment is the NHI administrator's (nhi.admin), run in
	// their name, as the yearly cost-share decision is.
	if _, ctx, err = costShareRunner(ctx, sys, *by, []string{*tenant}, true); err != nil {
		return err
	}
	var bar func(done, total int)
	if !*quiet {
		bar = progressBar(stderr, *tenant)
	}
	start := time.Now()
	r, err := sys.assess.Assess(ctx, *tenant, *year, bar)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(stdout, struct {
			Tenant string `json:"tenant"`
			assess.Report
			Seconds float64 `json:"seconds"`
		}{*tenant, r, time.Since(start).Seconds()})
	}
	printAssess(stdout, *tenant, r, time.Since(start).Seconds())
	return nil
}

// printAssess prints a run's report. A household is named by its number,
// a resident in a reason by their resident code, never by a My Number.
func printAssess(w io.Writer, tenant string, r assess.Report, seconds float64) {
	fmt.Fprintf(w, "Municipality %s, fiscal year %d: %d households with an insured member in the year, in %.1f s\n",
		tenant, r.FiscalYear, r.Households, seconds)
	fmt.Fprintf(w, "  rate table %s, rules %s, income tables %s\n", r.RatesVersion, r.RulesVersion, r.IncomeTable)
	fmt.Fprintf(w, "  assessed: %d first, %d re-assessed (+%s / -%s yen), %d unchanged; premiums in force %s yen\n",
		r.Assessed, r.Reassessed, fmtYen(r.Increase), fmtYen(r.Decrease), r.Unchanged, fmtYen(r.Total))
	if r.Assessed+r.Reassessed == 0 {
		fmt.Fprintln(w, "  Nothing changed since the last run.")
	}
	if len(r.Undeclared) > 0 {
		fmt.Fprintf(w, "  Assessed as undeclared (未申告: no revenue taken, no reduction): %d households\n", len(r.Undeclared))
		for _, u := range r.Undeclared {
			fmt.Fprintf(w, "    household %d: %s\n", u.Household, u.Reason)
		}
	}
	if len(r.Refused) == 0 {
		return
	}
	fmt.Fprintf(w, "  Not assessed: %d households\n", len(r.Refused))
	for _, ref := range r.Refused {
		fmt.Fprintf(w, "    household %d (%s): %s\n", ref.Household, strings.Join(ref.Fields, ","), ref.Reason)
	}
}
