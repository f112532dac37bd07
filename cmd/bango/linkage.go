package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"bango/internal/config"
	"bango/internal/errs"
	"bango/internal/linkage"
)

const linkageSummary = `Data linkage files (R-NHI-8, R-LNK-1…4, R-ACC-5; docs/linkage.md).

  import --tenant T --partner P --layout L [--as LOGIN] FILE
           check an inbound file whole, then apply it in one transaction — or
           hold it for a second person's confirmation when the partner is
           configured so (--as names the staff member who files it). Any
           problem rejects the whole file with a report (line, field,
           reason); the same file (SHA-256) is never applied twice.
  export --tenant T --partner P --layout nhi-eligibility-continuity [--insurer N] --out FILE
           write the eligibility-continuity file (資格継続情報) of every NHI
           acquisition and loss since the partner's last file, with the
           municipality's configured 保険者番号 (--insurer, if given, must be
           it; none configured: no file), and beside it
           FILE.manifest.json (layout, version, count, totals, SHA-256); a
           record the layout cannot hold leaves no file and names line and field
  history --tenant T   the imports and exports of a municipality, newest first
  partner add --tenant T --partner P --direction inbound|outbound --layouts L[,L…] [--confirm]
           configure a partner: one direction, the layouts it may exchange;
           nothing else is routed. Prints the partner's client certificate
           and key ONCE (bango keeps only the serial and fingerprint)
  partner certificate --tenant T --partner P
           issue the partner another certificate and key (printed once)
  partner revoke --tenant T --partner P [--serial S]
           revoke the partner's certificates (or one): refused at the next request
  partner list --tenant T
  insurer set --tenant T --number N --from YYYY-MM-DD | insurer list --tenant T
           the municipality's NHI 保険者番号 and the day it is in force from:
           what every eligibility-continuity file carries
  run JOB --tenant T | schedule set|list | runs
           linkage jobs, their schedules and history (bango linkage run -h)
  agent --server URL --server-ca CA --cert C --key K --outbox DIR --inbox DIR --spool DIR [--pull L,…]
           the data-link agent (docs/linkage.md): pushes each complete file of
           OUTBOX/<layout>/ to bango over mutual TLS, pulls into INBOX/<layout>/,
           keeps nothing readable once a transfer is confirmed`

// runLinkage is "bango linkage".
func runLinkage(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub, err := subcommand("linkage", args, linkageSummary, stderr, "import", "export", "history", "partner", "agent", "run", "schedule", "runs", "insurer")
	if err != nil {
		return err
	}
	args = args[1:]
	if sub == "run" || sub == "schedule" || sub == "runs" {
		return runLinkageJobs(ctx, sub, args, stdout, stderr)
	}
	if sub == "agent" {
		return runLinkageAgent(ctx, args, stdout, stderr)
	}
	if sub == "insurer" {
		return runLinkageInsurer(ctx, args, stdout, stderr)
	}
	if sub == "partner" {
		if sub, err = subcommand("linkage partner", args, linkageSummary, stderr, "add", "list", "certificate", "revoke"); err != nil {
			return err
		}
		sub = "partner " + sub
		args = args[1:]
	}
	fs := newFlags("linkage "+sub, "[flags]", linkageSummary, stderr)
	config.Flags(fs, "data", "db", "master-key-file", "audit-key-file", "log-level")
	tenant := fs.String("tenant", "", "the municipality (6-digit code, required)")
	partner := fs.String("partner", "", "import, partner add: the partner's ID")
	layout := fs.String("layout", "", "import: the layout's name")
	version := fs.Int("version", 0, "import: the layout's version (default the newest)")
	as := fs.String("as", "", "import: the login ID of the staff member who files a held import")
	quiet := fs.Bool("quiet", false, "import: no progress")
	direction := fs.String("direction", "", "partner add: inbound or outbound")
	layouts := fs.String("layouts", "", "partner add: layouts, comma-separated")
	title := fs.String("title", "", "partner add: what the partner is")
	confirm := fs.Bool("confirm", false, "partner add: hold each inbound file for a second person's confirmation")
	serial := fs.String("serial", "", "partner revoke: the certificate's serial (default: every certificate in force)")
	insurer := fs.String("insurer", "", "export: the 保険者番号 expected (default: the configured one, bango linkage insurer)")
	outPath := fs.String("out", "", "export: the file to write (FILE.manifest.json is written beside it)")
	limit := fs.Int("limit", 50, "history: how many jobs")
	cursor := fs.String("cursor", "", "history: the page to start at (the next cursor a page printed)")
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
	switch sub {
	case "partner add":
		var ls []string
		for l := range strings.SplitSeq(*layouts, ",") {
			if l = strings.TrimSpace(l); l != "" {
				ls = append(ls, l)
			}
		}
		p, err := sys.linkage.AddPartner(ctx, linkage.Partner{Tenant: *tenant, ID: *partner, Title: *title, Direction: *direction,
			Layouts: ls, Confirm: *confirm})
		if err != nil {
			return err
		}
		if !*asJSON {
			fmt.Fprintf(stdout, "Partner %s of %s: %s, layouts %s, confirmation %s.\n", p.ID, p.Tenant, p.Direction, strings.Join(p.Layouts, ","), yesNo(p.Confirm))
		}
		return partnerCertificate(ctx, sys, p.Tenant, p.ID, *asJSON, stdout, p)
	case "partner certificate":
		return partnerCertificate(ctx, sys, *tenant, *partner, *asJSON, stdout, nil)
	case "partner revoke":
		n, err := sys.linkage.RevokeCertificates(ctx, *tenant, *partner, *serial)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Revoked %d certificate(s) of partner %s of %s: refused from the next request on.\n", n, *partner, *tenant)
		return nil
	case "partner list":
		ps, err := sys.linkage.Partners(ctx, *tenant)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(stdout, ps)
		}
		for _, p := range ps {
			fmt.Fprintf(stdout, "%-20s %-8s confirm=%-3s active=%-5v %s  %s\n", p.ID, p.Direction, yesNo(p.Confirm), p.Active, strings.Join(p.Layouts, ","), p.Title)
		}
		return nil
	case "export":
		if *partner == "" || *layout == "" || *outPath == "" {
			fmt.Fprintln(stderr, "bango linkage export: --partner, --layout and --out are required")
			return errUsage
		}
		return linkageExport(ctx, sys, linkage.ExportRequest{Tenant: *tenant, Partner: *partner, Layout: *layout, Insurer: *insurer,
			FileName: filepath.Base(*outPath)}, *outPath, *asJSON, stdout)
	case "history":
		page, err := sys.linkage.History(ctx, *tenant, *cursor, *limit)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(stdout, page)
		}
		for _, j := range page.Items {
			fmt.Fprintf(stdout, "%6d  %s  %-8s %-18s %s v%d  %-8s records=%d applied=%d problems=%d  by %s  sha256 %s…\n",
				j.ID, j.StartedAt.In(jst).Format("2006-01-02 15:04"), j.Direction, j.Partner, j.Layout, j.Version, j.Outcome,
				j.Records, j.Applied, j.ProblemCount, j.StartedBy, j.SHA256[:min(len(j.SHA256), 16)])
		}
		if page.More {
			fmt.Fprintf(stdout, "More: --cursor %s\n", page.Next)
		}
		return nil
	}
	return linkageImport(ctx, sys, fs.Args(), *tenant, *partner, *layout, *version, *as, *quiet, *asJSON, stdout, stderr)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// linkageImport is "bango linkage import": a progress bar on a terminal,
// plain lines otherwise, and the report of a rejected file.
func linkageImport(ctx context.Context, sys *system, files []string, tenant, partner, layout string, version int, as string, quiet, asJSON bool,
	stdout, stderr io.Writer) error {
	if len(files) != 1 || partner == "" || layout == "" {
		fmt.Fprintln(stderr, "bango linkage import: --partner, --layout and one FILE are required")
		return errUsage
	}
	path := files[0]
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	req := linkage.ImportRequest{Tenant: tenant, Partner: partner, Layout: layout, Version: version, FileName: st.Name(),
		Open: func() (io.ReadCloser, error) { return os.Open(path) }}
	if as != "" {
		u, err := sys.users.Get(ctx, as)
		if err != nil {
			return err
		}
		req.Maker = &u
	}
	if !quiet {
		req.Progress = fileProgress(stderr, st.Size())
	}
	job, rep, err := sys.linkage.Import(ctx, req)
	if asJSON && job.ID != 0 {
		if jerr := writeJSON(stdout, struct {
			Job    linkage.Job     `json:"job"`
			Report *linkage.Report `json:"report,omitempty"`
		}{job, rep}); jerr != nil {
			return jerr
		}
	} else if job.ID != 0 {
		printJob(stdout, job, rep)
	}
	if err != nil {
		if m, ok := errs.Told(err, "en"); ok && !asJSON && len(errs.Fields(err)) == 0 {
			return fmt.Errorf("%s", m)
		}
		if len(errs.Fields(err)) > 0 {
			return errs.E(errs.Invalid, "the file was rejected whole: nothing was applied")
		}
	}
	return err
}

// linkageExport writes an outbound file next to its final name and renames
// it only when it is whole, with its manifest beside it; a refused export
// leaves nothing.
func linkageExport(ctx context.Context, sys *system, req linkage.ExportRequest, path string, asJSON bool, stdout io.Writer) error {
	part := path + ".part"
	f, err := os.OpenFile(part, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	req.Out = f
	job, m, err := sys.linkage.ExportEligibility(ctx, req, sys.nhi)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(part)
		if job.ID != 0 {
			printJob(stdout, job, nil)
		}
		return err
	}
	mb, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(path+".manifest.json", append(mb, '\n'), 0o600); err != nil {
		os.Remove(part)
		return err
	}
	if err := os.Rename(part, path); err != nil {
		return err
	}
	if asJSON {
		return writeJSON(stdout, struct {
			Job      linkage.Job       `json:"job"`
			Manifest *linkage.Manifest `json:"manifest"`
		}{job, m})
	}
	fmt.Fprintf(stdout, "Job %d: %s v%d for %s, %d records, %d bytes, sha256 %s\n  %s\n  %s.manifest.json\n",
		job.ID, job.Layout, job.Version, job.Partner, m.Records, m.Bytes, m.SHA256, path, path)
	return nil
}

// printJob prints an import's outcome and, for a rejected file, every
// problem by line and field in Japanese and English.
func printJob(w io.Writer, j linkage.Job, rep *linkage.Report) {
	fmt.Fprintf(w, "Job %d: %s %s v%d from %s, %d records, %d bytes, sha256 %s\n", j.ID, j.Outcome, j.Layout, j.Version, j.Partner, j.Records, j.Bytes, j.SHA256)
	switch j.Outcome {
	case linkage.Applied:
		fmt.Fprintf(w, "  Applied: %d records in one transaction.\n", j.Applied)
	case linkage.Pending:
		fmt.Fprintf(w, "  Held for confirmation by a second person: change %d.\n", j.ReviewChange)
	case linkage.Replay:
		fmt.Fprintf(w, "  Refused: the same file was applied as job %d.\n", j.Earlier)
	case linkage.Rejected:
		if j.Direction == linkage.Outbound {
			fmt.Fprintf(w, "  Not written: %d records the layout cannot hold.\n", j.ProblemCount)
		} else {
			fmt.Fprintf(w, "  Rejected whole, nothing applied: %d problems.\n", j.ProblemCount)
		}
		for _, p := range j.Problems {
			where := p.Field
			if where == "" {
				where = p.Record
			}
			fmt.Fprintf(w, "    line %d %s: %s / %s\n", p.Line, where, p.Reason.JA, p.Reason.EN)
		}
		if j.ProblemCount > len(j.Problems) {
			fmt.Fprintf(w, "    … and %d more\n", j.ProblemCount-len(j.Problems))
		}
	}
	_ = rep
}

// fileProgress draws the bytes each pass has read: a bar redrawn in place
// on a terminal, a line every 10% otherwise.
func fileProgress(w io.Writer, size int64) func(pass string, done int64) {
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	const width = 30
	last, lastPass := -1, ""
	return func(pass string, done int64) {
		pct := 100
		if size > 0 {
			pct = int(min(done*100/size, 100))
		}
		if pass != lastPass {
			last, lastPass = -1, pass
		}
		if pct == last || (!tty && pct%10 != 0) {
			return
		}
		last = pct
		if !tty {
			fmt.Fprintf(w, "%s: %d%% (%d of %d bytes)\n", pass, pct, done, size)
			return
		}
		n := pct * width / 100
		fmt.Fprintf(w, "\r%-5s [%s%s] %3d%%", pass, strings.Repeat("#", n), strings.Repeat(".", width-n), pct)
		if pct == 100 {
			fmt.Fprintln(w)
		}
	}
}
