// Package bench measures bango's hot paths against a baseline measured in
// the same run on the same engine, so that figures are ratios that survive
// a noisy machine. It backs `bango bench`; nothing here asserts a time.
package bench

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"crypto/rand"
	"encoding/hex"

	_ "github.com/jackc/pgx/v5/stdlib"

	"bango/internal/store"
)

// scratch is a fresh database for one benchmark: a temporary SQLite file,
// or a new schema in the given PostgreSQL database, removed afterwards.
type scratch struct {
	db      *store.DB
	dir     string
	cleanup func()
}

func newScratch(ctx context.Context, dbURL string) (*scratch, error) {
	dir, err := os.MkdirTemp("", "bango-bench-")
	if err != nil {
		return nil, err
	}
	s := &scratch{dir: dir, cleanup: func() { os.RemoveAll(dir) }}
	target := filepath.Join(dir, "bench.db")
	if strings.HasPrefix(dbURL, "postgres://") || strings.HasPrefix(dbURL, "postgresql://") {
		b := make([]byte, 6)
		rand.Read(b)
		schema := "bango_bench_" + hex.EncodeToString(b)
		admin, err := sql.Open("pgx", dbURL)
		if err != nil {
			s.cleanup()
			return nil, err
		}
		if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
			admin.Close()
			s.cleanup()
			return nil, fmt.Errorf("bench: create scratch schema in %s: %w", store.Redact(dbURL), err)
		}
		dropDir := s.cleanup
		s.cleanup = func() {
			admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			admin.Close()
			dropDir()
		}
		u, err := url.Parse(dbURL)
		if err != nil {
			s.cleanup()
			return nil, err
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		target = u.String()
	} else if dbURL != "" {
		if _, err := os.Stat(dbURL); err == nil {
			s.cleanup()
			return nil, fmt.Errorf("bench: %s exists; give a new SQLite path or none (a temporary file is used)", dbURL)
		}
		target = dbURL
	}
	s.db, err = store.Open(ctx, target)
	if err != nil {
		s.cleanup()
		return nil, err
	}
	if _, err := s.db.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *scratch) Close() {
	s.db.Close()
	s.cleanup()
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
