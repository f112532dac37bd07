package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"bango/internal/config"
)

func runConfig(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("config", "[flags]", "Print the effective configuration (defaults, file, BANGO_* environment, flags), secrets redacted.", stderr)
	config.Flags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := config.Load(fs)
	if err != nil {
		return err
	}
	items := cfg.Redacted()
	if *asJSON {
		m := map[string]string{}
		for _, kv := range items {
			m[kv[0]] = kv[1]
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(m)
	}
	for _, kv := range items {
		fmt.Fprintf(stdout, "%-16s %s\n", kv[0], kv[1])
	}
	return nil
}
