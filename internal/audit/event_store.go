package audit

import (
	"context"
	"database/sql"

	"bango/internal/store"
)

const eventColumns = `e.id, e.time, e.tenant_code, e.actor_user, e.actor_session, e.actor_terminal, e.actor_address,
	e.action, e.subject_type, e.subject_id, e.purpose, e.outcome, e.request_id, e.detail`

func scanEvent(sc interface{ Scan(...any) error }, e *Event) error {
	err := sc.Scan(&e.ID, &e.Time, &e.Tenant, &e.Actor.User, &e.Actor.Session, &e.Actor.Terminal, &e.Actor.Address,
		&e.Action, &e.Subject.Type, &e.Subject.ID, &e.Purpose, &e.Outcome, &e.RequestID, &e.Detail)
	e.Time = e.Time.UTC()
	return err
}

// scanEvents reads a query's events (unsequenced: Seq −1).
func scanEvents(rows *sql.Rows, err error) ([]Event, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		e := Event{Seq: -1}
		if err := scanEvent(rows, &e); err != nil {
			return nil, store.Translate(err)
		}
		out = append(out, e)
	}
	return out, store.Translate(rows.Err())
}

// Head is the state of the log.
type Head struct {
	Size           int64  `json:"size"`            // events in the tree
	Pending        int64  `json:"pending"`         // committed events not yet placed
	CheckpointSize int64  `json:"checkpoint_size"` // size of the latest checkpoint
	Checkpoint     string `json:"checkpoint"`      // the latest signed checkpoint
}

// Status reports the tree size, pending events and the latest checkpoint.
func Status(ctx context.Context, db *store.DB) (Head, error) {
	ctx = store.WithScope(ctx, store.AllTenants) // the whole log's state
	var h Head
	if err := db.QueryRow(ctx, `SELECT size FROM audit_head WHERE id = 1`).Scan(&h.Size); err != nil {
		return h, store.Translate(err)
	}
	var err error
	if h.Pending, err = pendingCount(ctx, db); err != nil {
		return h, err
	}
	err = db.QueryRow(ctx, `SELECT size, note FROM audit_checkpoints ORDER BY size DESC LIMIT 1`).Scan(&h.CheckpointSize, &h.Checkpoint)
	if err != nil && err != sql.ErrNoRows {
		return h, store.Translate(err)
	}
	return h, nil
}

// Get returns the event at leaf seq, of whichever municipality: for the
// inclusion proofs of bango audit prove.
func Get(ctx context.Context, db *store.DB, seq int64) (Event, error) {
	ctx = store.WithScope(ctx, store.AllTenants)
	e := Event{Seq: seq}
	err := scanEvent(db.ReadRow(ctx, `SELECT `+eventColumns+` FROM audit_log l JOIN audit_events e ON e.id = l.event_id WHERE l.seq = $1`, seq), &e)
	return e, store.ScanErr(err, "audit event")
}

// pendingCount counts committed events not yet placed: exactly those past
// the sequencer's boundary (an event id on SQLite, a transaction id on
// PostgreSQL), found through an index. ctx's scope must be AllTenants.
func pendingCount(ctx context.Context, db *store.DB) (int64, error) {
	q := `SELECT count(*) FROM audit_events WHERE id > (SELECT boundary FROM audit_head WHERE id = 1)`
	if db.Engine() == store.Postgres {
		q = `SELECT count(*) FROM audit_events WHERE xid >= (SELECT boundary FROM audit_head WHERE id = 1)`
	}
	var n int64
	err := db.ReadRow(ctx, q).Scan(&n)
	return n, store.Translate(err)
}
