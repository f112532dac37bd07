package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"time"

	"bango/internal/access"
	"bango/internal/alert"
	"bango/internal/audit"
	"bango/internal/config"
	"bango/internal/errs"
	"bango/internal/export"
	"bango/internal/identity"
	"bango/internal/jpki"
	"bango/internal/linkage"
	"bango/internal/metrics"
	"bango/internal/module"
	"bango/internal/monitor"
	"bango/internal/nhi"
	"bango/internal/nhi/assess"
	"bango/internal/notify"
	"bango/internal/numbersetup"
	"bango/internal/pubmed"
	"bango/internal/resident"
	"bango/internal/review"
	"bango/internal/store"
	"bango/internal/tenant"
	"bango/internal/vault"
)

// system is bango's services built from one configuration.
type system struct {
	cfg       *config.Config
	log       *slog.Logger
	db        *store.DB
	auditKeys *audit.Keys
	sequencer *audit.Sequencer
	vault     *vault.Vault
	tenants   *tenant.Service
	residents *resident.Service
	nhi       *nhi.Service
	assess    *assess.Service // NHI premium rate tables and assessment (internal/nhi/assess)
	pubmed    *pubmed.Service
	users     *identity.Service
	access    *access.Service
	review    *review.Service
	alerts    *alert.Service
	exports   *export.Service
	linkage   *linkage.Service // data linkage: partners, imports, exports (internal/linkage)
	jpki      *jpki.Service    // JPKI certificate issuance at the window (internal/jpki)
	// numbersetup sets My Numbers from registry files (internal/numbersetup).
	numbersetup *numbersetup.Service
	monitor     *monitor.Monitor
	outbox      *notify.Outbox
	modules     []module.Module
	metrics     *metrics.Metrics // what bango serve exports (--metrics-listen)
}

// modules are the access engine's declaration and the business modules,
// each declared in its own package (docs/modules.md). A new module is one
// more entry here.
func modules(sys *system) []module.Module {
	return []module.Module{module.Access(sys.access), sys.residents.Module(), sys.nhi.Module(), sys.assess.Module(), sys.pubmed.Module(), sys.linkage.Module(), sys.jpki.Module(), sys.numbersetup.Module()}
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(cfg.LogLevel))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}

// openDB creates the data folder and opens the database, migrating it when
// migrate is set.
func openDB(ctx context.Context, cfg *config.Config, migrate bool) (*store.DB, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data folder %s: %w", cfg.DataDir, err)
	}
	db, err := store.Open(ctx, cfg.DBURL)
	if err != nil {
		return nil, err
	}
	if migrate {
		if _, err := db.Migrate(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	return db, nil
}

// openKeys loads the master key file, creating it only for a database that
// holds no data keys yet: a missing key file in front of existing data is a
// lost or misplaced key, never a reason to make a new one.
func openKeys(ctx context.Context, cfg *config.Config, db *store.DB) (*vault.MasterKeys, bool, error) {
	mk, _, err := vault.LoadKeyFile(cfg.MasterKeyFile, false)
	if err == nil {
		return mk, false, nil
	}
	if _, statErr := os.Stat(cfg.MasterKeyFile); !errors.Is(statErr, fs.ErrNotExist) {
		return nil, false, err
	}
	var n int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM vault_data_keys`).Scan(&n); err != nil {
		return nil, false, errs.Wrap(errs.Unavailable, store.Translate(err), "cannot check for existing data keys (is the database migrated?)")
	}
	if n > 0 {
		return nil, false, errs.E(errs.Unavailable, "master key file %s is missing, but the database holds %d data keys wrapped by it: restore the key file from backup (see README, Keys)", cfg.MasterKeyFile, n)
	}
	return vault.LoadKeyFile(cfg.MasterKeyFile, true)
}

// systemFromFlags parses args into fs, loads the configuration and builds
// the system: the opening every data command shares.
func systemFromFlags(ctx context.Context, fs *flag.FlagSet, args []string, stderr io.Writer) (*system, error) {
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	cfg, err := config.Load(fs)
	if err != nil {
		return nil, err
	}
	return openSystem(ctx, cfg, newLogger(cfg, stderr))
}

// openSystem builds every service over a migrated database.
func openSystem(ctx context.Context, cfg *config.Config, log *slog.Logger) (*system, error) {
	db, err := openDB(ctx, cfg, true)
	if err != nil {
		return nil, err
	}
	return buildSystem(ctx, cfg, log, db)
}

func buildSystem(ctx context.Context, cfg *config.Config, log *slog.Logger, db *store.DB) (*system, error) {
	mk, created, err := openKeys(ctx, cfg, db)
	if err != nil {
		db.Close()
		return nil, err
	}
	if created {
		log.Info("master key file created; back it up now", "path", cfg.MasterKeyFile)
	}
	keys, err := openAuditKeys(ctx, cfg, db)
	if err != nil {
		db.Close()
		return nil, err
	}
	v := vault.New(db, mk)
	sys := &system{
		cfg:       cfg,
		log:       log,
		db:        db,
		auditKeys: keys,
		sequencer: audit.NewSequencer(db, keys, log, audit.SequencerOptions{Every: cfg.AuditCheckpointN, Period: cfg.AuditCheckpointT}),
		vault:     v,
		tenants:   tenant.NewService(db, v),
		residents: resident.NewService(db, v, log),
		nhi:       nhi.NewService(db, log),
		assess:    assess.NewService(db, log),
		users: identity.NewService(db, v,
			identity.NewHasherOn(identity.Params{Time: cfg.Argon2Time, MemoryKiB: cfg.Argon2MemoryKiB, Threads: 2},
				identity.NewSlots(runtime.GOMAXPROCS(0), cfg.Argon2Queue*runtime.GOMAXPROCS(0))),
			identity.Policy{PasswordMaxAge: time.Duration(cfg.PasswordMaxAgeDays) * 24 * time.Hour, LockAfter: cfg.LockoutAfter,
				LockFor: time.Duration(cfg.LockoutMinutes) * time.Minute, Issuer: "bango"}, log),
		access: access.NewService(db),
		alerts: alert.NewService(db),
	}
	sys.users.SetSessionPolicy(identity.SessionPolicy{IdleLock: cfg.IdleLock, Lifetime: cfg.SessionLife,
		StepUp: identity.DefaultSessionPolicy.StepUp, PasswordStage: cfg.PasswordStage})
	sys.residents.SetRevealPolicy(resident.RevealPolicy{Purposes: cfg.RevealPurposes, PerHour: cfg.RevealPerHour, Alerts: sys.alerts})
	sys.review = review.NewService(db, v, sys.access)
	sys.monitor = monitor.New(db, sys.alerts, sqliteFile(cfg.DBURL))
	sys.outbox = notify.NewOutbox(db)
	sys.metrics = metrics.New(sys.sequencer, sys.outbox)
	sys.exports = export.NewService(db, sys.access)
	if sys.pubmed, err = pubmed.NewService(db, log, sys.residents); err != nil {
		db.Close()
		return nil, err
	}
	sys.linkage = linkage.NewService(db, sys.review)
	sys.linkage.SetEligibilitySource(sys.nhi) // the scheduled eligibility-continuity file
	sys.numbersetup = numbersetup.NewService(db, v, sys.residents, sys.review, log)
	sys.numbersetup.AddBusiness(pubmed.NumberSetupPeople())
	sys.numbersetup.AddBusiness(numbersetup.NHIPeople())
	if sys.jpki, err = jpkiService(cfg, db, v, sys.residents, log); err != nil {
		db.Close()
		return nil, err
	}
	sys.modules = modules(sys)
	if err := module.Install(sys.modules, sys.review, sys.exports); err != nil {
		db.Close()
		return nil, err
	}
	// A transfer or retirement revokes the user's grants in its own
	// transaction (R-AC-3).
	sys.users.SetPersonnelHook(sys.access.RevokeAll)
	if _, err := sys.access.SeedDefaults(audit.WithActor(ctx, audit.Actor{User: "system:seed"})); err != nil {
		db.Close()
		return nil, err
	}
	return sys, nil
}

// openAuditKeys loads the checkpoint signing key, creating it only for a
// log that has no checkpoint yet: a new key in front of old checkpoints
// would make them unverifiable.
func openAuditKeys(ctx context.Context, cfg *config.Config, db *store.DB) (*audit.Keys, error) {
	keys, _, err := audit.LoadKeys(cfg.AuditKeyFile, cfg.AuditVerifierFile(), false)
	if err == nil {
		return keys, nil
	}
	if _, statErr := os.Stat(cfg.AuditKeyFile); !errors.Is(statErr, fs.ErrNotExist) {
		return nil, err
	}
	var n int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM audit_checkpoints`).Scan(&n); err != nil {
		return nil, store.Translate(err)
	}
	if n > 0 {
		return nil, errs.E(errs.Unavailable, "audit signing key %s is missing, but the log holds %d signed checkpoints: restore the key from backup", cfg.AuditKeyFile, n)
	}
	keys, _, err = audit.LoadKeys(cfg.AuditKeyFile, cfg.AuditVerifierFile(), true)
	return keys, err
}

// placeEvents places the events this command recorded, so that a command
// run alone leaves nothing waiting for a server's sequencer.
func (s *system) placeEvents(ctx context.Context) {
	if _, err := s.sequencer.Sequence(context.WithoutCancel(ctx)); err != nil {
		s.log.Error("audit events not placed; a running server will place them", "err", err)
	}
}

func (s *system) Close() error { return s.db.Close() }

// sqliteFile is the database file of a SQLite URL ("" for PostgreSQL).
func sqliteFile(dbURL string) string {
	if strings.HasPrefix(dbURL, "postgres://") || strings.HasPrefix(dbURL, "postgresql://") {
		return ""
	}
	return strings.TrimPrefix(strings.TrimPrefix(dbURL, "sqlite:"), "file:")
}
