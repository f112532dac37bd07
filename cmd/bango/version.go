package main

import (
	"context"
	"fmt"
	"io"
	"runtime"

	"bango/internal/store"
)

func runVersion(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("version", "", "Print bango's version, the Go version and the schema version it migrates to.", stderr)
	if err := parse(fs, args); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "bango %s (%s, schema %d)\n", version, runtime.Version(), store.LatestVersion())
	return nil
}
