package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"bango/internal/audit"
	"bango/internal/config"
	"bango/internal/errs"
)

const auditSummary = `Inspect and check the tamper-evident audit log.

  status                       tree size, events waiting, the latest checkpoint
  verify [--against FILE]      recompute the tree from the stored events and check every
                               checkpoint signature; with --against, prove the log still
                               extends a checkpoint held outside (exit 1 and the first bad
                               entry when anything was changed)
  checkpoint --export [--out F] write the latest signed checkpoint for an outside holder
  prove --seq N [--size M]     inclusion proof of event N in checkpoint M (default latest)
  prove --from A [--to B]      consistency proof between checkpoints A and B (default latest)
  sequence                     place waiting events into the tree now (servers do this every second)
  prune                        remove the content of events older than the retention period
                               (their hashes stay, so the tree still verifies)`

func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub, err := subcommand("audit", args, auditSummary, stderr, "status", "verify", "checkpoint", "prove", "sequence", "prune")
	if err != nil {
		return err
	}
	fs := newFlags("audit "+sub, "[flags]", auditSummary, stderr)
	config.Flags(fs, "data", "db", "master-key-file", "audit-key-file", "audit-retention-years", "log-level")
	asJSON := fs.Bool("json", false, "print JSON")
	against := fs.String("against", "", "verify: a checkpoint file the log must extend")
	vkeyFile := fs.String("verifier", "", "verify: the verifier key file (default: audit.pub beside the signing key)")
	export := fs.Bool("export", false, "checkpoint: write the latest checkpoint")
	out := fs.String("out", "", "checkpoint: file to write (default standard output)")
	seq := fs.Int64("seq", -1, "prove: event sequence number")
	size := fs.Int64("size", 0, "prove: checkpoint size (default the latest)")
	from := fs.Int64("from", 0, "prove: older checkpoint size")
	to := fs.Int64("to", 0, "prove: newer checkpoint size (default the latest)")
	sys, err := systemFromFlags(ctx, fs, args[1:], stderr)
	if err != nil {
		return err
	}
	defer sys.Close()
	emit := func(v any, text func()) error {
		if *asJSON {
			return writeJSON(stdout, v)
		}
		text()
		return nil
	}

	switch sub {
	case "sequence":
		n, err := sys.sequencer.Sequence(ctx)
		if err != nil {
			return err
		}
		return emit(map[string]int{"placed": n}, func() { fmt.Fprintf(stdout, "Placed %d events.\n", n) })

	case "status":
		h, err := audit.Status(ctx, sys.db)
		if err != nil {
			return err
		}
		return emit(h, func() {
			fmt.Fprintf(stdout, "Events in the tree: %d\nWaiting to be placed: %d\nLatest checkpoint: size %d\n\n%s", h.Size, h.Pending, h.CheckpointSize, h.Checkpoint)
		})

	case "checkpoint":
		if !*export {
			fmt.Fprintln(stderr, "bango audit checkpoint: say --export")
			return errUsage
		}
		if err := sys.sequencer.Checkpoint(ctx); err != nil {
			return err
		}
		h, err := audit.Status(ctx, sys.db)
		if err != nil {
			return err
		}
		if h.Checkpoint == "" {
			return errs.E(errs.NotFound, "no checkpoint yet")
		}
		if *out == "" {
			_, err = io.WriteString(stdout, h.Checkpoint)
			return err
		}
		if err := os.WriteFile(*out, []byte(h.Checkpoint), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "Checkpoint of size %d written to %s. Keep it where the database's administrators cannot change it.\n", h.CheckpointSize, *out)
		return nil

	case "prove":
		if *seq >= 0 {
			p, err := audit.ProveInclusion(ctx, sys.db, *seq, *size)
			if err != nil {
				return err
			}
			return emit(p, func() {
				fmt.Fprintf(stdout, "Event %d is in the tree of size %d.\nleaf hash: %s\nroot hash: %s\nproof:\n", p.Seq, p.TreeSize, p.LeafHash, p.RootHash)
				for _, h := range p.Proof {
					fmt.Fprintf(stdout, "  %s\n", h)
				}
			})
		}
		if *from > 0 {
			p, err := audit.ProveConsistency(ctx, sys.db, *from, *to)
			if err != nil {
				return err
			}
			return emit(p, func() {
				fmt.Fprintf(stdout, "The tree of size %d extends the tree of size %d.\nold root: %s\nnew root: %s\nproof:\n", p.NewSize, p.OldSize, p.OldRoot, p.NewRoot)
				for _, h := range p.Proof {
					fmt.Fprintf(stdout, "  %s\n", h)
				}
			})
		}
		fmt.Fprintln(stderr, "bango audit prove: give --seq N, or --from A")
		return errUsage

	case "prune":
		cutoff := sys.cfg.AuditRetentionCutoff(time.Now())
		n, err := audit.Prune(ctx, sys.db, cutoff)
		if err != nil {
			return err
		}
		sys.placeEvents(ctx)
		return emit(map[string]any{"removed": n, "cutoff": cutoff}, func() {
			fmt.Fprintf(stdout, "Removed the content of %d events older than %s (their hashes stay).\n", n, cutoff.Format("2006-01-02"))
		})
	}

	// verify
	vpath := *vkeyFile
	if vpath == "" {
		vpath = sys.cfg.AuditVerifierFile()
	}
	raw, err := os.ReadFile(vpath)
	if err != nil {
		return fmt.Errorf("verifier key: %w", err)
	}
	v, err := audit.NewVerifier(string(raw))
	if err != nil {
		return err
	}
	opts := audit.VerifyOptions{Verifier: v, RetentionCutoff: sys.cfg.AuditRetentionCutoff(time.Now())}
	if *against != "" {
		if opts.Against, err = os.ReadFile(*against); err != nil {
			return err
		}
	}
	rep, err := audit.Verify(ctx, sys.db, opts)
	if err != nil {
		return err
	}
	err = emit(rep, func() {
		fmt.Fprintf(stdout, "Events: %d (%d recomputed, %d pruned by retention), waiting: %d\nCheckpoints checked: %d\n", rep.Size, rep.Checked, rep.Pruned, rep.Pending, rep.Checkpoints)
		if rep.Against > 0 {
			fmt.Fprintf(stdout, "Held checkpoint of size %d: the log extends it.\n", rep.Against)
		}
		if rep.OK() {
			fmt.Fprintf(stdout, "OK: the log verifies (%.0f events/s).\n", float64(rep.Size)/max(rep.Seconds, 1e-9))
			return
		}
		fmt.Fprintln(stdout, "FAILED:")
		for _, p := range rep.Problems {
			fmt.Fprintf(stdout, "  %s\n", p.What)
		}
	})
	if err != nil {
		return err
	}
	if !rep.OK() {
		first := rep.Problems[0]
		return errs.E(errs.Internal, "audit log does not verify: %s", strings.TrimSpace(first.What))
	}
	return nil
}
