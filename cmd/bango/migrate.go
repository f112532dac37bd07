package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"bango/internal/config"
	"bango/internal/store"
)

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("migrate", "[flags]", "Apply the database migrations this binary carries. With --status, only report.", stderr)
	config.Flags(fs, "data", "db")
	status := fs.Bool("status", false, "report the schema version without migrating")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := config.Load(fs)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, cfg, false)
	if err != nil {
		return err
	}
	defer db.Close()
	applied := 0
	if !*status {
		if applied, err = db.Migrate(ctx); err != nil {
			return err
		}
	}
	v, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	out := map[string]any{"engine": db.Engine(), "database": db.Where(), "applied": applied, "schema_version": v, "schema_latest": store.LatestVersion()}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(out)
	}
	fmt.Fprintf(stdout, "%s %s: applied %d migration(s); schema version %d of %d\n", db.Engine(), db.Where(), applied, v, store.LatestVersion())
	return nil
}
