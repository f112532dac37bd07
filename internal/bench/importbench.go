package bench

import (
	"context"
	"fmt"
	"io"
	"iter"
	"runtime/pprof"
	"time"

	"bango/internal/audit"
	"bango/internal/demo"
	"bango/internal/resident"
	"bango/internal/store"
)

// ImportResult compares importing residents through bango's real path —
// validate, seal, blind index, insert, one transaction — with loading the
// same rows as plain text with no checks into an equivalent table.
type ImportResult struct {
	Engine          string  `json:"engine"`
	Persons         int     `json:"persons"`
	BaselineSeconds float64 `json:"baseline_seconds"`
	BangoSeconds    float64 `json:"bango_seconds"`
	BaselineRowsPS  float64 `json:"baseline_rows_per_second"`
	BangoRowsPS     float64 `json:"bango_rows_per_second"`
	Ratio           float64 `json:"ratio"` // bango rows/s ÷ baseline rows/s
	// IndexSeconds is the search index written after the import
	// (resident.IndexForSearch, which bango serve runs every second):
	// work the import leaves for later, reported so that nothing is hidden.
	IndexSeconds float64 `json:"index_seconds"`
	// IndexedRatio is the baseline's rows/s ÷ the rows/s of import and
	// index together.
	IndexedRatio float64 `json:"indexed_ratio"`
	// Role is the PostgreSQL role both sides ran as: an ordinary one, so
	// that row-level security checked every row bango imported.
	Role string `json:"role,omitempty"`
	// BaselineCPUSeconds and BangoCPUSeconds are this process's CPU time
	// (user + system) in each path: where two cores are shared with the
	// database server, what bango itself spends is part of the answer.
	BaselineCPUSeconds float64 `json:"baseline_cpu_seconds"`
	BangoCPUSeconds    float64 `json:"bango_cpu_seconds"`
}

const benchTenant = "131041"

// Import runs the import benchmark with persons synthetic residents on the
// engine of dbURL (a temporary SQLite file when empty).
// profile, when given, receives a CPU profile of bango's import alone.
func Import(ctx context.Context, dbURL string, persons int, seed uint64, profile ...io.Writer) (ImportResult, error) {
	if persons <= 0 {
		return ImportResult{}, fmt.Errorf("bench import: --persons must be positive")
	}
	ctx = audit.WithActor(ctx, audit.Actor{User: "system:bench"})
	s, err := newScratch(ctx, dbURL)
	if err != nil {
		return ImportResult{}, err
	}
	defer s.Close()
	v, err := s.benchMunicipality(ctx)
	if err != nil {
		return ImportResult{}, err
	}
	svc := resident.NewService(s.db, v, quietLogger())

	// The input is made before either clock starts: both sides get the
	// same rows as text.
	g := demo.NewGenerator(demo.Municipalities()[0], seed)
	ins := make([]resident.Input, persons)
	for i := range ins {
		p := g.Next()
		ins[i] = resident.Input{Code: p.ResidentCode, NameKanji: p.NameKanji, NameKana: p.NameKana, Alias: p.Alias,
			Address: p.Address, BirthDate: p.BirthDate.Format("2006-01-02"), Sex: p.Sex, MyNumber: p.MyNumber}
	}

	res := ImportResult{Engine: string(s.db.Engine()), Persons: persons}
	cpu := processCPU()
	base, err := plainLoad(ctx, s.db, ins)
	if err != nil {
		return res, fmt.Errorf("baseline: %w", err)
	}
	res.BaselineCPUSeconds = (processCPU() - cpu).Seconds()
	if len(profile) > 0 && profile[0] != nil {
		if err := pprof.StartCPUProfile(profile[0]); err != nil {
			return res, err
		}
	}
	cpu = processCPU()
	start := time.Now()
	rep, err := svc.Import(ctx, benchTenant, func(yield func(resident.Record) bool) {
		for i, in := range ins {
			if !yield(resident.Record{Line: i + 1, Input: in}) {
				return
			}
		}
	})
	real := time.Since(start)
	res.BangoCPUSeconds = (processCPU() - cpu).Seconds()
	if len(profile) > 0 && profile[0] != nil {
		pprof.StopCPUProfile()
	}
	if err != nil {
		return res, fmt.Errorf("bango import: %w", err)
	}
	if rep.Rows != int64(persons) {
		return res, fmt.Errorf("bango import stored %d rows of %d", rep.Rows, persons)
	}
	if s.db.Engine() == store.Postgres {
		// The policies bound the import: without a municipality's scope
		// none of its rows is visible.
		var seen int
		if err := s.db.QueryRow(ctx, `SELECT count(*) FROM residents`).Scan(&seen); err != nil {
			return res, err
		}
		if seen != 0 {
			return res, fmt.Errorf("bench import: %d residents visible without a scope: row-level security does not bind role %s", seen, s.role)
		}
		res.Role = s.role
	}
	start = time.Now()
	if _, err := resident.IndexForSearch(ctx, s.db); err != nil {
		return res, fmt.Errorf("index for search: %w", err)
	}
	res.IndexSeconds = time.Since(start).Seconds()
	res.IndexedRatio = base.Seconds() / (real.Seconds() + res.IndexSeconds)
	res.BaselineSeconds, res.BangoSeconds = base.Seconds(), real.Seconds()
	res.BaselineRowsPS = float64(persons) / base.Seconds()
	res.BangoRowsPS = float64(persons) / real.Seconds()
	res.Ratio = res.BangoRowsPS / res.BaselineRowsPS
	return res, nil
}

// plainLoad is the baseline: the same rows, as text, into a table with the
// same keys (resident code, and the number unique per municipality), in
// one transaction through the same bulk path, with nothing checked.
func plainLoad(ctx context.Context, db *store.DB, ins []resident.Input) (time.Duration, error) {
	ts := "TIMESTAMP"
	if db.Engine() == store.Postgres {
		ts = "TIMESTAMPTZ"
	}
	err := db.Transact(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `CREATE TABLE bench_plain_residents (
			tenant_code TEXT NOT NULL, code TEXT NOT NULL, name_kanji TEXT NOT NULL, name_kana TEXT NOT NULL,
			alias TEXT NOT NULL, address TEXT NOT NULL, birth_date TEXT NOT NULL, sex TEXT NOT NULL, mynumber TEXT,
			created_at `+ts+` NOT NULL, updated_at `+ts+` NOT NULL,
			PRIMARY KEY (tenant_code, code), UNIQUE (tenant_code, mynumber))`)
		return err
	})
	if err != nil {
		return 0, err
	}
	cols := []string{"tenant_code", "code", "name_kanji", "name_kana", "alias", "address", "birth_date", "sex", "mynumber", "created_at", "updated_at"}
	start := time.Now()
	err = db.TransactOnce(ctx, func(tx *store.Tx) error {
		now := time.Now().UTC()
		_, err := tx.CopyFrom(ctx, "bench_plain_residents", cols, rowsOf(ins, now))
		return err
	})
	return time.Since(start), err
}

func rowsOf(ins []resident.Input, now time.Time) func() ([]any, error) {
	next, stop := iter.Pull(func(yield func(resident.Input) bool) {
		for _, in := range ins {
			if !yield(in) {
				return
			}
		}
	})
	return func() ([]any, error) {
		in, ok := next()
		if !ok {
			stop()
			return nil, nil
		}
		return []any{benchTenant, in.Code, in.NameKanji, in.NameKana, in.Alias, in.Address, in.BirthDate, in.Sex, in.MyNumber, now, now}, nil
	}
}
