package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"bango/internal/linkage/agent"
)

// runLinkageAgent is "bango linkage agent": the process on the dedicated
// data-link machine (R-LNK-1). It opens no database and holds no key but
// its own client certificate's.
func runLinkageAgent(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("linkage agent", "[flags]", "The data-link agent: pushes each complete file of OUTBOX/<layout>/ to bango's partner listener over mutual TLS,\n"+
		"pulls the layouts named by --pull into INBOX/<layout>/, and keeps nothing readable once a transfer is confirmed (docs/linkage.md).", stderr)
	server := fs.String("server", "", "bango's partner listener, https://host:port (required)")
	serverCA := fs.String("server-ca", "", "bango's server CA certificate (PEM; the data folder's tls/ca.crt), the only one trusted (required)")
	cert := fs.String("cert", "", "this partner's client certificate (PEM), from bango linkage partner add (required)")
	key := fs.String("key", "", "its key (PEM) (required)")
	outbox := fs.String("outbox", "", "folder of files to push, one folder a layout")
	inbox := fs.String("inbox", "", "folder pulled files are put in, one folder a layout")
	spool := fs.String("spool", "", "folder of sealed files in transfer (required)")
	pull := fs.String("pull", "", "layouts to pull, comma-separated")
	insurer := fs.String("insurer", "", "the 保険者番号 (six digits) an eligibility-continuity file's header carries")
	every := fs.Duration("every", 30*time.Second, "time between passes")
	once := fs.Bool("once", false, "push what the outbox holds complete (looked at twice), pull each --pull layout once, and stop")
	attempts := fs.Int("max-attempts", 20, "pushes of one file before it is discarded with an alert")
	if err := parse(fs, args); err != nil {
		return err
	}
	var pulls []string
	for l := range strings.SplitSeq(*pull, ",") {
		if l = strings.TrimSpace(l); l != "" {
			pulls = append(pulls, l)
		}
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	a, err := agent.New(agent.Config{Server: strings.TrimSuffix(*server, "/"), ServerCA: *serverCA, Cert: *cert, Key: *key, Outbox: *outbox, Inbox: *inbox,
		Spool: *spool, Pull: pulls, Insurer: *insurer, MaxAttempts: *attempts, Log: log})
	if err != nil {
		return err
	}
	if *once {
		// A file must be seen twice unchanged to be complete: the outbox is
		// looked at twice, the partner's files pulled once (bango exports
		// a new eligibility-continuity file for each pull that finds none
		// waiting).
		a.Pass(ctx)
		a.Push(ctx)
		return nil
	}
	fmt.Fprintf(stdout, "bango linkage agent: %s, every %s\n", *server, *every)
	return a.Run(ctx, *every)
}
