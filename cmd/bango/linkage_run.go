package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"bango/internal/config"
	"bango/internal/linkage"
)

const linkageRunSummary = `Linkage jobs (R-LNK-1, R-NHI-8; docs/linkage.md "Jobs").

  run JOB --tenant T [--quiet] [--json]
           run a linkage job now for a municipality with a schedule of it
           (one runner at a time across processes); a progress bar on a
           terminal, plain lines otherwise
  schedule set --tenant T --job JOB [--partner P] [--insurer N] [--disable]
           the municipality runs JOB on its schedule (bango serve):
             nhi-eligibility-export  daily from 06:00 JST (--partner; the file carries
                                     the 保険者番号 configured with bango linkage insurer)
             aggregation-open-work   monthly on the 1st from 07:00 JST
  schedule list --tenant T
  runs --tenant T [--json]   the history of runs, newest first`

// runLinkageJobs is "bango linkage run|schedule|runs".
func runLinkageJobs(ctx context.Context, sub string, args []string, stdout, stderr io.Writer) error {
	if sub == "schedule" {
		s, err := subcommand("linkage schedule", args, linkageRunSummary, stderr, "set", "list")
		if err != nil {
			return err
		}
		sub, args = "schedule "+s, args[1:]
	}
	var job string
	if sub == "run" && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		job, args = args[0], args[1:]
	}
	fs := newFlags("linkage "+sub, "[flags]", linkageRunSummary, stderr)
	config.Flags(fs, "data", "db", "master-key-file", "audit-key-file", "log-level")
	tenant := fs.String("tenant", "", "the municipality (6-digit code, required)")
	jobFlag := fs.String("job", "", "schedule set: the job")
	partner := fs.String("partner", "", "schedule set: the partner the job serves")
	insurer := fs.String("insurer", "", "schedule set: the 保険者番号 (six digits) of the eligibility-continuity file")
	disable := fs.Bool("disable", false, "schedule set: keep the schedule but do not run it")
	quiet := fs.Bool("quiet", false, "run: no progress")
	asJSON := fs.Bool("json", false, "print JSON")
	sys, err := systemFromFlags(ctx, fs, args, stderr)
	if err != nil {
		return err
	}
	defer sys.Close()
	defer sys.placeEvents(ctx)
	if *tenant == "" {
		fmt.Fprintf(stderr, "bango linkage %s: --tenant is required\n", sub)
		return errUsage
	}
	sys.linkage.SetEligibilitySource(sys.nhi)
	switch sub {
	case "schedule set":
		sc, err := sys.linkage.SetSchedule(ctx, linkage.Schedule{Tenant: *tenant, Job: *jobFlag, Partner: *partner, Insurer: *insurer, Enabled: !*disable})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Schedule of %s for %s: enabled %s.\n", sc.Job, sc.Tenant, yesNo(sc.Enabled))
		return nil
	case "schedule list":
		scs, err := sys.linkage.Schedules(ctx, *tenant)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(stdout, scs)
		}
		for _, sc := range scs {
			fmt.Fprintf(stdout, "%-24s enabled=%-3s partner=%s insurer=%s\n", sc.Job, yesNo(sc.Enabled), sc.Partner, sc.Insurer)
		}
		return nil
	case "runs":
		page, err := sys.linkage.Runs(ctx, *tenant, "", 50)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(stdout, page)
		}
		for _, r := range page.Items {
			printRun(stdout, r)
		}
		return nil
	}
	if job == "" {
		fmt.Fprintf(stderr, "bango linkage run: name the job: %s\n", strings.Join(linkage.JobNames(), ", "))
		return errUsage
	}
	var progress func(done, total int64)
	if !*quiet {
		progress = jobProgress(stderr)
	}
	r, err := sys.linkage.RunJob(ctx, *tenant, job, "manual", progress)
	if r.ID != 0 {
		if *asJSON {
			if jerr := writeJSON(stdout, r); jerr != nil {
				return jerr
			}
		} else {
			printRun(stdout, r)
		}
	}
	return err
}

func printRun(w io.Writer, r linkage.Run) {
	ended := "-"
	if !r.EndedAt.IsZero() {
		ended = r.EndedAt.In(jst).Format("15:04:05")
	}
	fmt.Fprintf(w, "%6d  %s–%s  %-24s %-8s %-7s records=%d  by %s  %s\n", r.ID, r.StartedAt.In(jst).Format("2006-01-02 15:04:05"), ended,
		r.Job, r.How, r.Outcome, r.Records, r.StartedBy, r.Report)
}

// jobProgress draws a run's progress: a bar redrawn in place on a
// terminal, a line each tenth otherwise.
func jobProgress(w io.Writer) func(done, total int64) {
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	const width = 30
	last := -1
	return func(done, total int64) {
		pct := 100
		if total > 0 {
			pct = int(min(done*100/total, 100))
		}
		if pct == last || (!tty && pct%10 != 0) {
			return
		}
		last = pct
		if !tty {
			fmt.Fprintf(w, "run: %d%% (%d of %d)\n", pct, done, total)
			return
		}
		n := pct * width / 100
		fmt.Fprintf(w, "\rrun [%s%s] %3d%%", strings.Repeat("#", n), strings.Repeat(".", width-n), pct)
		if pct == 100 {
			fmt.Fprintln(w)
		}
	}
}
