package audit

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"bango/internal/errs"
	"bango/internal/store"
)

// Sequencer places committed events into the tree. Any number of
// processes may run one over the same database: each run holds the
// database's sequencing lock (an advisory lock on PostgreSQL, the write
// lock on SQLite), so leaves are numbered in one place.
type Sequencer struct {
	db   *store.DB
	keys *Keys
	log  *slog.Logger
	opts SequencerOptions
}

// SequencerOptions say when to sign a checkpoint: after Every new events,
// or after Period when any event came since the last one.
type SequencerOptions struct {
	Every  int64
	Period time.Duration
	Batch  int // most events placed per transaction
}

// RunInterval is how often a server's sequencer looks for new events.
// Placement may lag commits by that much; recording never waits for it.
const RunInterval = time.Second

// DefaultSequencerOptions are the defaults of the configuration.
var DefaultSequencerOptions = SequencerOptions{Every: 1000, Period: time.Minute, Batch: 20000}

// NewSequencer returns a sequencer that signs checkpoints with keys.
func NewSequencer(db *store.DB, keys *Keys, log *slog.Logger, opts SequencerOptions) *Sequencer {
	if opts.Every <= 0 {
		opts.Every = DefaultSequencerOptions.Every
	}
	if opts.Period <= 0 {
		opts.Period = DefaultSequencerOptions.Period
	}
	if opts.Batch <= 0 {
		opts.Batch = DefaultSequencerOptions.Batch
	}
	return &Sequencer{db: db, keys: keys, log: log, opts: opts}
}

// Run sequences every interval until ctx ends.
func (s *Sequencer) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.Sequence(ctx); err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "audit sequencer failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Sequence places every committed event not yet in the tree, batch by
// batch, signing checkpoints as due. It returns how many it placed. It
// reads every municipality's events: one tree holds them all.
func (s *Sequencer) Sequence(ctx context.Context) (int, error) {
	ctx = store.WithScope(ctx, store.AllTenants)
	total := 0
	for {
		if due, err := s.workDue(ctx); err != nil || !due {
			return total, err
		}
		n, moved, err := s.batch(ctx)
		total += n
		// Stop when a run made no progress: the events left wait for an
		// older transaction still open (PostgreSQL).
		if err != nil || n == 0 && !moved {
			return total, err
		}
	}
}

// workDue is a cheap read that lets an idle sequencer skip taking the lock.
func (s *Sequencer) workDue(ctx context.Context) (bool, error) {
	var size, boundary int64
	if err := s.db.QueryRow(ctx, `SELECT size, boundary FROM audit_head WHERE id = 1`).Scan(&size, &boundary); err != nil {
		return false, store.Translate(err)
	}
	q := `SELECT EXISTS (SELECT 1 FROM audit_events WHERE id > $1)`
	if s.db.Engine() == store.Postgres {
		q = `SELECT EXISTS (SELECT 1 FROM audit_events WHERE xid >= $1)`
	}
	var pending bool
	if err := s.db.ReadRow(ctx, q, boundary).Scan(&pending); err != nil {
		return false, store.Translate(err)
	}
	if pending {
		return true, nil
	}
	last, err := lastCheckpoint(ctx, s.db)
	if err != nil || size == last.size {
		return false, err
	}
	if last.at.IsZero() {
		if err := s.db.QueryRow(ctx, `SELECT time FROM audit_log WHERE seq = 0`).Scan(&last.at); err != nil {
			return false, store.Translate(err)
		}
	}
	return time.Since(last.at) >= s.opts.Period, nil
}

type checkpointRow struct {
	size int64
	at   time.Time
}

func lastCheckpoint(ctx context.Context, db *store.DB) (checkpointRow, error) {
	var c checkpointRow
	err := db.QueryRow(ctx, `SELECT size, created_at FROM audit_checkpoints ORDER BY size DESC LIMIT 1`).Scan(&c.size, &c.at)
	if errs.Is(store.ScanErr(err, ""), errs.NotFound) {
		return checkpointRow{}, nil
	}
	return c, store.Translate(err)
}

// batch places one batch and reports how many events it placed and
// whether the boundary moved.
func (s *Sequencer) batch(ctx context.Context) (placed int, moved bool, err error) {
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		placed, moved = 0, false
		if tx.Engine() == store.Postgres {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7280156)`); err != nil {
				return err
			}
		}
		var size, boundary int64
		if err := tx.QueryRow(ctx, `SELECT size, boundary FROM audit_head WHERE id = 1`).Scan(&size, &boundary); err != nil {
			return store.Translate(err)
		}
		events, next, err := s.pending(ctx, tx, boundary)
		if err != nil {
			return err
		}
		moved = next != boundary
		// Hash first, copy after: PostgreSQL allows no query on a
		// connection while a COPY is under way, and hashing may read.
		hr := newHashReader(tx)
		rows := make([][]any, 0, len(events))
		var due []int64 // checkpoint sizes: every multiple of Every
		for i, e := range events {
			seq := size + int64(i)
			hashes, err := tlog.StoredHashes(seq, LeafData(e), hr)
			if err != nil {
				return err
			}
			blob := make([]byte, 0, len(hashes)*tlog.HashSize)
			for level, h := range hashes {
				blob = append(blob, h[:]...)
				hr.put(tlog.StoredHashIndex(0, seq)+int64(level), h)
			}
			rows = append(rows, []any{seq, e.ID, e.Time, blob})
			if (seq+1)%s.opts.Every == 0 {
				due = append(due, seq+1)
			}
		}
		i := 0
		_, err = tx.CopyFrom(ctx, "audit_log", []string{"seq", "event_id", "time", "hashes"}, func() ([]any, error) {
			if i == len(rows) {
				return nil, nil
			}
			i++
			return rows[i-1], nil
		})
		if err != nil {
			return fmt.Errorf("audit: place events: %w", err)
		}
		newSize := size + int64(len(events))
		if _, err := tx.Exec(ctx, `UPDATE audit_head SET size = $1, boundary = $2 WHERE id = 1`, newSize, next); err != nil {
			return err
		}
		placed = len(events)
		for _, cp := range due {
			if err := s.signCheckpoint(ctx, tx, cp, hr); err != nil {
				return err
			}
		}
		return s.checkpointIfDue(ctx, tx, newSize, hr)
	})
	return placed, moved, err
}

// pending reads the events that this run places, in order, and the
// boundary for the next run. On PostgreSQL these are the events of
// transactions that had all finished when the run began: those with xid
// below the snapshot's xmin.
func (s *Sequencer) pending(ctx context.Context, tx *store.Tx, boundary int64) ([]Event, int64, error) {
	cols := `id, time, tenant_code, actor_user, actor_session, actor_terminal, actor_address,
		action, subject_type, subject_id, purpose, outcome, request_id, detail`
	if tx.Engine() == store.SQLite {
		events, err := scanEvents(tx.Query(ctx, `SELECT `+cols+` FROM audit_events WHERE id > $1 ORDER BY id LIMIT $2`, boundary, s.opts.Batch))
		if err != nil || len(events) == 0 {
			return events, boundary, err
		}
		return events, events[len(events)-1].ID, nil
	}
	var xmin int64
	if err := tx.QueryRow(ctx, `SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint`).Scan(&xmin); err != nil {
		return nil, 0, store.Translate(err)
	}
	// Cap the batch at a transaction boundary, so that every event of a
	// transaction lands in the same run.
	var cut int64
	err := tx.QueryRow(ctx, `SELECT xid FROM audit_events WHERE xid >= $1 AND xid < $2
		ORDER BY xid OFFSET $3 LIMIT 1`, boundary, xmin, s.opts.Batch).Scan(&cut)
	switch e := store.ScanErr(err, ""); {
	case e == nil:
		xmin = max(cut, boundary+1)
	case !errs.Is(e, errs.NotFound):
		return nil, 0, e
	}
	events, err := scanEvents(tx.Query(ctx, `SELECT `+cols+` FROM audit_events WHERE xid >= $1 AND xid < $2 ORDER BY id`, boundary, xmin))
	return events, xmin, err
}

// Checkpoint places waiting events and signs a checkpoint of the whole
// tree if its head is not signed yet, for handing to an outside holder.
func (s *Sequencer) Checkpoint(ctx context.Context) error {
	if _, err := s.Sequence(ctx); err != nil {
		return err
	}
	return s.db.Transact(ctx, func(tx *store.Tx) error {
		if tx.Engine() == store.Postgres {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7280156)`); err != nil {
				return err
			}
		}
		var size, signed int64
		if err := tx.QueryRow(ctx, `SELECT size FROM audit_head WHERE id = 1`).Scan(&size); err != nil {
			return store.Translate(err)
		}
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(size), 0) FROM audit_checkpoints`).Scan(&signed); err != nil {
			return store.Translate(err)
		}
		if size == 0 || size == signed {
			return nil
		}
		return s.signCheckpoint(ctx, tx, size, newHashReader(tx))
	})
}

// checkpointIfDue signs a checkpoint of size when Period has passed since
// the last one (since the first leaf, for a log with none yet).
func (s *Sequencer) checkpointIfDue(ctx context.Context, tx *store.Tx, size int64, hr *hashReader) error {
	var last checkpointRow
	err := tx.QueryRow(ctx, `SELECT size, created_at FROM audit_checkpoints ORDER BY size DESC LIMIT 1`).Scan(&last.size, &last.at)
	if e := store.ScanErr(err, ""); errs.Is(e, errs.NotFound) {
		err := tx.QueryRow(ctx, `SELECT time FROM audit_log WHERE seq = 0`).Scan(&last.at)
		if e := store.ScanErr(err, ""); errs.Is(e, errs.NotFound) {
			return nil // no leaf yet: nothing to sign
		} else if e != nil {
			return e
		}
	} else if e != nil {
		return e
	}
	if size <= last.size || time.Since(last.at) < s.opts.Period {
		return nil
	}
	return s.signCheckpoint(ctx, tx, size, hr)
}

func (s *Sequencer) signCheckpoint(ctx context.Context, tx *store.Tx, size int64, hr *hashReader) error {
	root, err := tlog.TreeHash(size, hr)
	if err != nil {
		return fmt.Errorf("audit: tree hash at %d: %w", size, err)
	}
	signed, err := s.keys.sign(size, root)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO audit_checkpoints (size, root, note, created_at) VALUES ($1, $2, $3, $4)`,
		size, root[:], string(signed), time.Now().UTC())
	return err
}

// hashReader reads stored hashes: those placed in this run from memory,
// older ones from the audit_log rows that hold them.
type hashReader struct {
	tx    *store.Tx
	fresh map[int64]tlog.Hash
}

func newHashReader(tx *store.Tx) *hashReader {
	return &hashReader{tx: tx, fresh: map[int64]tlog.Hash{}}
}

func (r *hashReader) put(index int64, h tlog.Hash) { r.fresh[index] = h }

func (r *hashReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	var missing []int64
	for i, idx := range indexes {
		if h, ok := r.fresh[idx]; ok {
			out[i] = h
		} else {
			missing = append(missing, idx)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	found, err := readStoredHashes(context.Background(), r.tx, missing)
	if err != nil {
		return nil, err
	}
	for i, idx := range indexes {
		if h, ok := found[idx]; ok {
			out[i] = h
			r.fresh[idx] = h
		} else if _, ok := r.fresh[idx]; !ok {
			return nil, fmt.Errorf("audit: stored hash %d is missing", idx)
		}
	}
	return out, nil
}

// rowQuerier is what both store.DB and store.Tx offer for reads.
type rowQuerier interface {
	Query(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

// readStoredHashes reads hashes by stored-hash index. The hash (level, n)
// was stored with leaf ((n+1) << level) − 1, at position level of its blob.
func readStoredHashes(ctx context.Context, q rowQuerier, indexes []int64) (map[int64]tlog.Hash, error) {
	want := map[int64][]int64{} // seq → indexes
	args := []any{}
	marks := []string{}
	for _, idx := range indexes {
		level, n := tlog.SplitStoredHashIndex(idx)
		seq := (n+1)<<uint(level) - 1
		if _, ok := want[seq]; !ok {
			args = append(args, seq)
			marks = append(marks, fmt.Sprintf("$%d", len(args)))
		}
		want[seq] = append(want[seq], idx)
	}
	rows, err := q.Query(ctx, `SELECT seq, hashes FROM audit_log WHERE seq IN (`+strings.Join(marks, ", ")+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]tlog.Hash{}
	for rows.Next() {
		var seq int64
		var blob []byte
		if err := rows.Scan(&seq, &blob); err != nil {
			return nil, store.Translate(err)
		}
		for _, idx := range want[seq] {
			level, _ := tlog.SplitStoredHashIndex(idx)
			if (level+1)*tlog.HashSize > len(blob) {
				return nil, fmt.Errorf("audit: leaf %d holds %d hashes, hash %d needs level %d", seq, len(blob)/tlog.HashSize, idx, level)
			}
			var h tlog.Hash
			copy(h[:], blob[level*tlog.HashSize:])
			out[idx] = h
		}
	}
	return out, store.Translate(rows.Err())
}
