// Command bango is the whole system in one binary: the HTTPS server, the
// admin commands and the benchmarks. main only dispatches; each command
// lives in its own file and builds what it needs.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"os/user"
	"slices"
	"sort"
	"strings"
	"syscall"

	"bango/internal/audit"
	"bango/internal/errs"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands = map[string]command{
	"serve":       {"run the HTTPS server (browser UI and JSON API)", runServe},
	"migrate":     {"apply database migrations", runMigrate},
	"config":      {"print the effective configuration, secrets redacted", runConfig},
	"demo":        {"seed demo municipalities and residents", runDemo},
	"keys":        {"master and data keys: status, rotate, rewrap", runKeys},
	"audit":       {"audit log: status, verify, checkpoint, prove, sequence, prune", runAudit},
	"user":        {"staff users: add, list, reset, enroll, transfer, retire", runUser},
	"terminal":    {"designated terminals: add, list, disable", runTerminal},
	"dbwatch":     {"database-connection monitoring: allow, list, sample, report", runDBWatch},
	"bench":       {"measure speed against a baseline: import", runBench},
	"nhi":         {"National Health Insurance: cost-share (batch), estimate (a premium)", runNHI},
	"linkage":     {"data linkage files: import, history, partner", runLinkage},
	"numbersetup": {"My Number setup from a registry file: import, list, worklist, close", runNumberSetup},
	"version":     {"print the version", runVersion},

	"jpki-standin-ca": {"a certification authority standing in for J-LIS (JPKI issuance over mutual TLS)", runJPKIStandin},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "bango: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	// What a command changes is recorded under the OS user who ran it.
	ctx = audit.WithActor(ctx, cliActor())
	err := cmd.run(ctx, args[1:], stdout, stderr)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	}
	fmt.Fprintf(stderr, "bango %s: %v\n", args[0], err)
	if errs.KindOf(err) == errs.Invalid {
		return 2
	}
	return 1
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "bango — My Number business system for health insurance / 個人番号利用事務系システム")
	fmt.Fprintln(w, "\nUsage: bango COMMAND [flags]   (bango COMMAND -h for its flags)")
	fmt.Fprintln(w, "\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, commands[n].summary)
	}
}

func cliActor() audit.Actor {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	host, _ := os.Hostname()
	return audit.Actor{User: "cli:" + name, Terminal: host}
}

// subcommand picks the subcommand of a command with several (bango keys
// rotate, bango user add, …): it prints the command's usage for none or -h,
// and refuses one it does not know.
func subcommand(command string, args []string, summary string, stderr io.Writer, known ...string) (string, error) {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintf(stderr, "Usage: bango %s %s [flags]\n\n%s\n", command, strings.Join(known, "|"), summary)
		if len(args) == 0 {
			return "", errUsage
		}
		return "", flag.ErrHelp
	}
	if !slices.Contains(known, args[0]) {
		fmt.Fprintf(stderr, "bango %s: unknown subcommand %q (%s)\n", command, args[0], strings.Join(known, ", "))
		return "", errUsage
	}
	return args[0], nil
}

// writeJSON prints v as indented JSON, the form of every --json output.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// errUsage reports a usage error already explained to the user.
var errUsage = errors.New("usage")

// newFlags makes a command's flag set with a usage line.
func newFlags(name, args, summary string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("bango "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: bango %s %s\n\n%s\n\nFlags:\n", name, args, summary)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args, turning a flag error into errUsage (the flag package
// has printed it).
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	return nil
}
