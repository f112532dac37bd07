package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"

	"bango/internal/config"
	"bango/internal/errs"
	"bango/internal/linkage"
	"bango/internal/numbersetup"
)

const numbersetupSummary = `My Number setup from a registry file (R-PUB-2, R-WAU-2; docs/numbersetup.md).

  import --tenant T --business pubmed|nhi --as LOGIN FILE
           check a registry extract (住基ネット 本人確認情報, layout
           mynumber-registry) whole — any problem rejects the whole file with
           its report (line, field, reason) and stores nothing — then match
           each row against the business's people without a My Number by the
           basic four items into the candidate work table. Exact matches wait
           for a checker other than LOGIN; the rest go to the work list.
           A progress bar on a terminal.
  list --tenant T                the municipality's setups and their counts
  worklist --tenant T --setup N  the rows staff must resolve or discard
  close --tenant T --setup N
           end the setup: its candidates and sealed numbers are deleted`

// runNumberSetup is "bango numbersetup".
func runNumberSetup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub, err := subcommand("numbersetup", args, numbersetupSummary, stderr, "import", "list", "worklist", "close")
	if err != nil {
		return err
	}
	fs := newFlags("numbersetup "+sub, "[flags]", numbersetupSummary, stderr)
	config.Flags(fs, "data", "db", "master-key-file", "audit-key-file", "log-level")
	tenant := fs.String("tenant", "", "the municipality (6-digit code, required)")
	business := fs.String("business", "", "import: pubmed or nhi")
	as := fs.String("as", "", "import: the login ID of the staff member who imports")
	setup := fs.Int64("setup", 0, "worklist, close: the setup's number")
	quiet := fs.Bool("quiet", false, "import: no progress")
	asJSON := fs.Bool("json", false, "print JSON")
	sys, err := systemFromFlags(ctx, fs, args[1:], stderr)
	if err != nil {
		return err
	}
	defer sys.Close()
	defer sys.placeEvents(ctx)
	if *tenant == "" {
		fmt.Fprintf(stderr, "bango numbersetup %s: --tenant is required\n", sub)
		return errUsage
	}
	if sub == "import" && *as == "" {
		fmt.Fprintln(stderr, "bango numbersetup import: --as LOGIN is required (the staff member who imports; their exact matches wait for another's confirmation)")
		return errUsage
	}
	switch sub {
	case "list":
		sts, err := sys.numbersetup.Setups(ctx, *tenant)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(stdout, sts)
		}
		for _, st := range sts {
			printSetup(stdout, st)
		}
		return nil
	case "worklist":
		after := 0
		for {
			p, err := sys.numbersetup.Candidates(ctx, *tenant, numbersetup.ListRequest{Setup: *setup, WorkList: true, After: after, Limit: 200})
			if err != nil {
				return err
			}
			for _, c := range p.Items {
				if *asJSON {
					if err := writeJSON(stdout, c); err != nil {
						return err
					}
					continue
				}
				fmt.Fprintf(stdout, "%7d  %-9s %-10s %-8s %s %s %s %s  %s\n", c.Line, c.Outcome, c.DiffItem, c.PersonCode, c.Name,
					c.Birth.Format("2006-01-02"), c.Sex, c.Address, c.Note)
			}
			if !p.More {
				return nil
			}
			after, _ = strconv.Atoi(p.Next)
		}
	case "close":
		st, err := sys.numbersetup.Close(ctx, *tenant, *setup)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(stdout, st)
		}
		fmt.Fprintf(stdout, "Setup %d closed: %d candidates deleted with their sealed numbers.\n", st.ID, st.Destroyed)
		return nil
	}
	files := fs.Args()
	if len(files) != 1 || *business == "" {
		fmt.Fprintln(stderr, "bango numbersetup import: --business and one FILE are required")
		return errUsage
	}
	path := files[0]
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	u, err := sys.users.Get(ctx, *as)
	if err != nil {
		return err
	}
	req := numbersetup.ImportRequest{Tenant: *tenant, Business: *business, FileName: fi.Name(), Maker: u,
		Open: func() (io.ReadCloser, error) { return os.Open(path) }}
	if !*quiet {
		req.Progress = fileProgress(stderr, fi.Size())
	}
	st, rep, err := sys.numbersetup.Import(ctx, req)
	if *asJSON {
		if jerr := writeJSON(stdout, struct {
			Setup  *numbersetup.Setup `json:"setup,omitempty"`
			Report *linkage.Report    `json:"report,omitempty"`
		}{setupOrNil(st), rep}); jerr != nil {
			return jerr
		}
	} else if st.ID != 0 {
		printSetup(stdout, st)
	} else if rep != nil && !rep.OK() {
		fmt.Fprintf(stdout, "Rejected whole, nothing stored: %d problems in %d rows.\n", rep.Total, rep.Records)
		for _, p := range rep.Problems {
			field := p.Field
			if field == "" {
				field = p.Record
			}
			fmt.Fprintf(stdout, "    line %d  %s: %s\n", p.Line, field, p.Reason.EN)
		}
		if rep.Total > len(rep.Problems) {
			fmt.Fprintf(stdout, "    … and %d more\n", rep.Total-len(rep.Problems))
		}
		return errs.E(errs.Invalid, "the file was rejected whole: nothing was stored")
	}
	return err
}

func setupOrNil(st numbersetup.Setup) *numbersetup.Setup {
	if st.ID == 0 {
		return nil
	}
	return &st
}

func printSetup(w io.Writer, st numbersetup.Setup) {
	fmt.Fprintf(w, "Setup %d (%s, %s) %s  %s  rows=%d", st.ID, st.Business, st.FileName, st.ImportedAt.In(jst).Format("2006-01-02 15:04"), st.Status, st.Rows)
	for _, o := range numbersetup.Outcomes {
		fmt.Fprintf(w, " %s=%d", o, st.Counts[o])
	}
	if st.Change != 0 {
		fmt.Fprintf(w, "  confirmation: change %d", st.Change)
	}
	if st.Status == "closed" {
		fmt.Fprintf(w, "  destroyed=%d", st.Destroyed)
	}
	fmt.Fprintln(w)
}
