package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"bango/internal/errs"
)

// Pipelines (issue 22). On PostgreSQL every statement of a Transact is a
// round trip — BEGIN, the scope, each statement, COMMIT — and a short
// transaction of a few statements spent most of its time waiting on them:
// the JPKI window's issuance was 22 round trips on PostgreSQL, and with the
// CA and the database sharing two cores, the waits, not the work, kept it
// under its target. A Pipe queues a transaction's statements and sends them
// together when the caller needs an answer (Flush) or when it ends: on
// PostgreSQL one round trip a flush (the protocol's pipeline), with the
// scope and BEGIN in the first and COMMIT in the last; a transaction that
// needs no answer before its end is one round trip in all, a pipeline
// being one transaction until its Sync. On SQLite, where a statement costs
// no round trip, the statements run one after another in an ordinary
// transaction, at the same points.
//
// Statements run in the order queued, all in one transaction: all or
// nothing, as in Transact.

// Pipe is one transaction whose statements are queued and sent in batches.
// Nothing queued has run until Flush returns (or the Pipeline ends).
type Pipe struct {
	ctx    context.Context
	tx     *Tx       // runs the statements one by one (SQLite, or inside a Transact)
	pg     *pgx.Conn // PostgreSQL: sends them as a pipeline
	begun  bool      // PostgreSQL: BEGIN and the scope have been sent
	wrote  bool      // an Exec was queued: the end commits a change
	queue  []*Result
	failed error // the first failure: the transaction is lost
}

// Result is what a queued statement gave, once flushed.
type Result struct {
	q    string
	args []any
	scan func(Scanner) error // QueryRow: reads its one row
	n    int64
}

// RowsAffected is how many rows an Exec changed; valid after the flush.
func (r *Result) RowsAffected() int64 { return r.n }

// Exec queues a statement that writes.
func (p *Pipe) Exec(q string, args ...any) *Result {
	r := &Result{q: q, args: args}
	p.queue = append(p.queue, r)
	p.wrote = true
	return r
}

// QueryRow queues a read of one row, which scan reads when the batch has
// run; an error scan returns (sql.ErrNoRows for no row) fails the
// transaction. A statement that writes goes through Exec, never here: a
// pipeline of reads only is not committed as a change.
func (p *Pipe) QueryRow(scan func(Scanner) error, q string, args ...any) *Result {
	r := &Result{q: q, args: args, scan: scan}
	p.queue = append(p.queue, r)
	return r
}

// PipeIn returns a Pipe over tx, a transaction already open (a Transact's
// fn, or a batch of several callers' steps): its statements run in tx when
// flushed. The caller flushes before tx ends.
func PipeIn(ctx context.Context, tx *Tx) *Pipe { return &Pipe{ctx: ctx, tx: tx} }

// Flush sends every statement queued and returns the first failure; a
// failure loses the whole transaction.
func (p *Pipe) Flush() error { return p.flush(false) }

func (p *Pipe) flush(last bool) error {
	if p.failed != nil {
		return p.failed
	}
	queue := p.queue
	p.queue = nil
	if p.tx != nil {
		for _, r := range queue {
			if err := p.runOne(r); err != nil {
				p.failed = err
				return err
			}
		}
		return nil
	}
	p.failed = p.sendPG(queue, last)
	return p.failed
}

func (p *Pipe) runOne(r *Result) error {
	if r.scan != nil {
		return Translate(r.scan(p.tx.QueryRow(p.ctx, r.q, r.args...)))
	}
	res, err := p.tx.Exec(p.ctx, r.q, r.args...)
	if err != nil {
		return err
	}
	r.n, _ = res.RowsAffected()
	return nil
}

// sendPG sends queue as one pipeline. The first batch of a transaction
// that goes on after it begins it explicitly (BEGIN, then the scope); the
// last batch commits it: a pipeline of one batch needs neither, being one
// transaction until its Sync, and so costs one round trip.
func (p *Pipe) sendPG(queue []*Result, last bool) error {
	b := &pgx.Batch{}
	if !p.begun && !last {
		b.Queue("BEGIN")
	}
	if !p.begun {
		if scope, ok := ScopeOf(p.ctx); ok {
			b.Queue(`SELECT set_config('bango.scope', $1, true)`, scope)
		}
	}
	for _, r := range queue {
		b.Queue(r.q, r.args...)
	}
	if last && p.begun {
		b.Queue("COMMIT")
	}
	if len(queue) == 0 && !p.begun {
		return nil // nothing was sent, nothing to send
	}
	if !last {
		p.begun = true
	}
	br := p.pg.SendBatch(p.ctx, b)
	// Every result is read in order; the first failure is the answer (a
	// pipeline skips what follows a failed statement).
	var err error
	keep := func(e error) {
		if err == nil {
			err = e
		}
	}
	head := b.Len() - len(queue)
	if last && p.begun {
		head-- // the COMMIT, read after the queue
	}
	for range head {
		_, e := br.Exec()
		keep(e)
	}
	for _, r := range queue {
		if r.scan != nil {
			keep(r.scan(br.QueryRow()))
			continue
		}
		tag, e := br.Exec()
		keep(e)
		r.n = tag.RowsAffected()
	}
	if last && p.begun {
		_, e := br.Exec()
		keep(e)
	}
	keep(br.Close())
	return Translate(err)
}

// Pipeline runs fn's statements in one transaction through a Pipe and
// commits it if fn returns nil and every statement succeeded. On
// PostgreSQL the statements are sent in one round trip a Flush plus one for
// the rest and the commit — one in all when fn does not flush — and a
// transaction whose last batch reads (QueryRow) after writing commits in a
// round trip of its own, after those reads were checked. On SQLite it is a
// Transact. A lost serialization conflict is retried as Transact does, so
// fn must not keep state outside the transaction between attempts, and
// like Transact's fn it must not use the pool.
func (db *DB) Pipeline(ctx context.Context, fn func(*Pipe) error) error {
	if db.engine != Postgres {
		return db.Transact(ctx, func(tx *Tx) error {
			p := PipeIn(ctx, tx)
			if err := fn(p); err != nil {
				return err
			}
			return p.Flush()
		})
	}
	var err error
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		err = db.pipelineOnce(ctx, fn)
		if err == nil || !retryable(err) || ctx.Err() != nil {
			return err
		}
		time.Sleep(time.Duration(attempt*attempt) * 10 * time.Millisecond)
	}
	return err
}

// PipelineIn is Pipeline narrowed to tenant (see ReadIn).
func (db *DB) PipelineIn(ctx context.Context, tenant string, fn func(*Pipe) error) error {
	return db.Pipeline(WithScope(ctx, tenant), fn)
}

// ReadOne reads one row with scan, in ctx's scope: on PostgreSQL the scope
// and the query in one round trip (a pipeline of reads, committed as
// nothing), on SQLite from the pool like Read. No row is sql.ErrNoRows
// from scan, as QueryRow's Scan gives it.
func (db *DB) ReadOne(ctx context.Context, scan func(Scanner) error, q string, args ...any) error {
	if _, ok := ScopeOf(ctx); !ok || db.engine != Postgres {
		return Translate(db.Read(ctx, func(qr Querier) error { return scan(qr.QueryRow(ctx, q, args...)) }))
	}
	return db.pipelineOnce(ctx, func(p *Pipe) error {
		p.QueryRow(scan, q, args...)
		return nil
	})
}

func (db *DB) pipelineOnce(ctx context.Context, fn func(*Pipe) error) error {
	db.checkPoolUse("Pipeline")
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return errs.Wrap(errs.Unavailable, err, "store: no connection to %s", db.where)
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		p := &Pipe{ctx: ctx, pg: pc}
		defer func() {
			// Whatever happened, the connection goes back to the pool
			// outside any transaction, or is closed (the pool then
			// discards it).
			if pc.PgConn().TxStatus() != 'I' {
				rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
				defer cancel()
				if _, err := pc.Exec(rctx, "ROLLBACK"); err != nil || pc.PgConn().TxStatus() != 'I' {
					pc.Close(rctx)
				}
			}
		}()
		err := inTx[Querier](db, nil, func(Querier) error { return fn(p) })
		if err != nil {
			return err
		}
		if p.failed != nil {
			return p.failed
		}
		if !p.wrote || !readsLast(p.queue) {
			return p.flush(true)
		}
		// The last batch reads what it wrote: check the reads before
		// committing.
		if err := p.flush(false); err != nil {
			return err
		}
		return p.flush(true)
	})
}

// readsLast reports whether queue holds a read, whose check must come
// before the commit.
func readsLast(queue []*Result) bool {
	for _, r := range queue {
		if r.scan != nil {
			return true
		}
	}
	return false
}
