package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"bango/internal/audit"
	"bango/internal/store"
)

// AuditResult compares appending audit events — one durable transaction
// per event from concurrent writers, until the sequencer has placed every
// event in the tree — with plain inserts of the same rows into a table of
// the same shape with no hashing; and measures `audit verify` over a large
// log.
type AuditResult struct {
	Engine          string  `json:"engine"`
	Writers         int     `json:"writers"`
	Events          int     `json:"events"`
	BaselineSeconds float64 `json:"baseline_seconds"`
	AuditSeconds    float64 `json:"audit_seconds"`
	BaselineEPS     float64 `json:"baseline_events_per_second"`
	AuditEPS        float64 `json:"audit_events_per_second"`
	Ratio           float64 `json:"ratio"`
	VerifyEvents    int     `json:"verify_events"`
	SequenceSeconds float64 `json:"sequence_seconds"` // placing VerifyEvents events in one go
	VerifySeconds   float64 `json:"verify_seconds"`
	VerifyEPS       float64 `json:"verify_events_per_second"`
}

func benchEvent(i int) audit.Event {
	return audit.Event{Tenant: "131041", Action: "resident.read", Outcome: audit.OK,
		Subject: audit.Subject{Type: "resident", ID: fmt.Sprintf("%010d", i)}, Purpose: "資格確認", Detail: "bench"}
}

// Audit runs the audit benchmark on the engine of dbURL (a temporary
// SQLite file when empty).
func Audit(ctx context.Context, dbURL string, events, writers, verifyEvents int) (AuditResult, error) {
	if events <= 0 || writers <= 0 || verifyEvents < 0 {
		return AuditResult{}, fmt.Errorf("bench audit: --events and --writers must be positive")
	}
	ctx = audit.WithActor(ctx, audit.Actor{User: "system:bench", Terminal: "bench", Address: "127.0.0.1"})
	s, err := newScratch(ctx, dbURL)
	if err != nil {
		return AuditResult{}, err
	}
	defer s.Close()
	priv, pub := audit.KeyFiles(s.dir)
	keys, _, err := audit.LoadKeys(priv, pub, true)
	if err != nil {
		return AuditResult{}, err
	}
	res := AuditResult{Engine: string(s.db.Engine()), Writers: writers, Events: events, VerifyEvents: verifyEvents}

	if err := createPlainEvents(ctx, s.db); err != nil {
		return res, err
	}
	// Baseline and audit take turns, several rounds each, and the ratio is
	// of their total times: a machine whose disk slows down for a while
	// then slows both sides alike.
	seq := audit.NewSequencer(s.db, keys, slog.New(slog.NewTextHandler(io.Discard, nil)), audit.SequencerOptions{})
	const rounds = 4
	var base, took time.Duration
	for r := 0; r < rounds; r++ {
		lo, hi := events*r/rounds, events*(r+1)/rounds
		d, err := concurrently(writers, hi-lo, func(i int) error {
			return s.db.Transact(ctx, func(tx *store.Tx) error { return insertPlainEvent(ctx, tx, benchEvent(lo+i)) })
		})
		if err != nil {
			return res, fmt.Errorf("baseline: %w", err)
		}
		base += d

		// The sequencer runs as in a server, every RunInterval; when the
		// writers finish, what is left is placed at once, inside the
		// measured time.
		seqCtx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { seq.Run(seqCtx, audit.RunInterval); close(done) }()
		start := time.Now()
		_, err = concurrently(writers, hi-lo, func(i int) error { return audit.RecordAlone(ctx, s.db, benchEvent(lo+i)) })
		stop()
		<-done
		if err == nil {
			_, err = seq.Sequence(ctx)
		}
		if err == nil {
			err = waitPlaced(ctx, s.db, seq, int64(hi))
		}
		took += time.Since(start)
		if err != nil {
			return res, fmt.Errorf("audit append: %w", err)
		}
	}
	res.BaselineSeconds, res.AuditSeconds = base.Seconds(), took.Seconds()
	res.BaselineEPS, res.AuditEPS = float64(events)/base.Seconds(), float64(events)/took.Seconds()
	res.Ratio = res.AuditEPS / res.BaselineEPS

	if verifyEvents == 0 {
		return res, nil
	}
	if err := fillEvents(ctx, s.db, verifyEvents); err != nil {
		return res, err
	}
	start := time.Now()
	if _, err := seq.Sequence(ctx); err != nil {
		return res, err
	}
	res.SequenceSeconds = time.Since(start).Seconds()
	rep, err := audit.Verify(ctx, s.db, audit.VerifyOptions{Verifier: keys.Verifier})
	if err != nil {
		return res, err
	}
	if !rep.OK() || rep.Size != int64(events+verifyEvents) {
		return res, fmt.Errorf("bench audit: verify found %d events and %v", rep.Size, rep.Problems)
	}
	res.VerifySeconds = rep.Seconds
	res.VerifyEPS = float64(rep.Size) / rep.Seconds
	return res, nil
}

// concurrently runs fn(0..n-1) on w goroutines and times it.
func concurrently(w, n int, fn func(i int) error) (time.Duration, error) {
	var wg sync.WaitGroup
	errc := make(chan error, w)
	start := time.Now()
	for g := 0; g < w; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := g; i < n; i += w {
				if err := fn(i); err != nil {
					errc <- err
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errc)
	return time.Since(start), <-errc
}

// waitPlaced checks that all n events are in the tree, sequencing again
// while an older transaction elsewhere on the server holds them back.
func waitPlaced(ctx context.Context, db *store.DB, seq *audit.Sequencer, n int64) error {
	for {
		h, err := audit.Status(ctx, db)
		if err != nil || h.Size >= n {
			return err
		}
		time.Sleep(2 * time.Millisecond)
		if _, err := seq.Sequence(ctx); err != nil {
			return err
		}
	}
}

func createPlainEvents(ctx context.Context, db *store.DB) error {
	id, ts := "INTEGER PRIMARY KEY AUTOINCREMENT", "TIMESTAMP"
	if db.Engine() == store.Postgres {
		id, ts = "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY", "TIMESTAMPTZ"
	}
	return db.Transact(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `CREATE TABLE bench_plain_events (id `+id+`, time `+ts+` NOT NULL, tenant_code TEXT NOT NULL,
			actor_user TEXT NOT NULL, actor_session TEXT NOT NULL, actor_terminal TEXT NOT NULL, actor_address TEXT NOT NULL,
			action TEXT NOT NULL, subject_type TEXT NOT NULL, subject_id TEXT NOT NULL, purpose TEXT NOT NULL, outcome TEXT NOT NULL,
			request_id TEXT NOT NULL, detail TEXT NOT NULL)`)
		return err
	})
}

func insertPlainEvent(ctx context.Context, tx *store.Tx, e audit.Event) error {
	_, err := tx.Exec(ctx, `INSERT INTO bench_plain_events (time, tenant_code, actor_user, actor_session, actor_terminal, actor_address,
		action, subject_type, subject_id, purpose, outcome, request_id, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		time.Now().UTC(), e.Tenant, "system:bench", "", "bench", "127.0.0.1", e.Action, e.Subject.Type, e.Subject.ID, e.Purpose, e.Outcome, "", e.Detail)
	return err
}

// fillEvents bulk-loads n events as Record would write them, to give verify
// a large log without waiting for n transactions.
func fillEvents(ctx context.Context, db *store.DB, n int) error {
	cols := []string{"time", "tenant_code", "actor_user", "actor_session", "actor_terminal", "actor_address",
		"action", "subject_type", "subject_id", "purpose", "outcome", "request_id", "detail"}
	const chunk = 100000
	for done := 0; done < n; done += chunk {
		i, end := done, min(done+chunk, n)
		now := time.Now().UTC().Truncate(time.Microsecond)
		err := db.Transact(ctx, func(tx *store.Tx) error {
			i = done
			_, err := tx.CopyFrom(ctx, "audit_events", cols, func() ([]any, error) {
				if i == end {
					return nil, nil
				}
				e := benchEvent(i)
				i++
				return []any{now, e.Tenant, "system:bench", "", "bench", "127.0.0.1", e.Action, e.Subject.Type, e.Subject.ID, e.Purpose, e.Outcome, "", e.Detail}, nil
			})
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}
