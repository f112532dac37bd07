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
	"bango/internal/tenant"
	"bango/internal/vault"
)

// scratch is a fresh database for one benchmark: a temporary SQLite file,
// or a new schema in the given PostgreSQL database, removed afterwards.
type scratch struct {
	db      *store.DB
	dir     string
	cleanup func()
	role    string // PostgreSQL: the role the benchmark runs as
}

// benchRole is the ordinary role a benchmark runs as when its URL names a
// role that bypasses row-level security (a superuser): production must
// not connect as one, and a benchmark that did would measure inserts the
// policies never check.
const benchRole = "bango_bench"

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
		var bypass bool
		if err := admin.QueryRowContext(ctx, `SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user`).Scan(&bypass); err != nil {
			admin.Close()
			s.cleanup()
			return nil, fmt.Errorf("bench: %s: %w", store.Redact(dbURL), err)
		}
		owner := ""
		if bypass {
			if _, err := admin.ExecContext(ctx, `DO $$ BEGIN
				IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '`+benchRole+`') THEN CREATE ROLE `+benchRole+` NOLOGIN NOSUPERUSER NOBYPASSRLS; END IF;
				EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`); err != nil {
				admin.Close()
				s.cleanup()
				return nil, fmt.Errorf("bench: create role %s in %s: %w", benchRole, store.Redact(dbURL), err)
			}
			owner = " AUTHORIZATION " + benchRole
		}
		if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema+owner); err != nil {
			admin.Close()
			s.cleanup()
			return nil, fmt.Errorf("bench: create scratch schema in %s: %w", store.Redact(dbURL), err)
		}
		dropDir := s.cleanup
		s.cleanup = func() {
			if os.Getenv("BANGO_BENCH_KEEP") != "" {
				// Kept for a look at the plans afterwards (EXPLAIN on the
				// same rows); the caller drops it.
				fmt.Fprintf(os.Stderr, "bench: scratch schema %s kept (BANGO_BENCH_KEEP)\n", schema)
			} else {
				admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			}
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
		if bypass {
			// The connection takes the ordinary role as it starts (SET ROLE),
			// so that every statement runs under the policies.
			q.Set("options", strings.TrimSpace(q.Get("options")+" -c role="+benchRole))
		}
		u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20") // pgx reads "+" literally
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
	if s.db.Engine() == store.Postgres {
		var bypass bool
		if err := s.db.QueryRow(ctx, `SELECT current_user, rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user`).Scan(&s.role, &bypass); err != nil {
			s.Close()
			return nil, err
		}
		if bypass {
			s.Close()
			return nil, fmt.Errorf("bench: role %s bypasses row-level security; the figures would not be production's", s.role)
		}
	}
	return s, nil
}

func (s *scratch) Close() {
	s.db.Close()
	s.cleanup()
}

// benchMunicipality opens the scratch database's vault and creates the
// municipality a benchmark works in (新宿区, benchTenant).
func (s *scratch) benchMunicipality(ctx context.Context) (*vault.Vault, error) {
	mk, _, err := vault.LoadKeyFile(filepath.Join(s.dir, "master.key"), true)
	if err != nil {
		return nil, err
	}
	v := vault.New(s.db, mk)
	if _, err := tenant.NewService(s.db, v).Create(ctx, benchTenant, "新宿区"); err != nil {
		return nil, err
	}
	return v, nil
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
