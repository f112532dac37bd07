// Package audit is bango's tamper-evident operation log (R-AUD-1). Every
// module records its events here in the same transaction as the change it
// records, so there is no change without its event and no event for a
// change that rolled back. A sequencer then places committed events, one at
// a time from the database, as leaves of a Merkle tree hashed as in RFC 6962
// (golang.org/x/mod/sumdb/tlog), and signs checkpoints of the tree (Ed25519,
// note format) so that anyone holding a checkpoint can later prove that the
// log still extends it. Events are never changed or deleted through bango;
// retention removes the content of expired events and keeps their hashes.
package audit

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"bango/internal/errs"
	"bango/internal/mynumber"
	"bango/internal/store"
)

// Outcomes of an event.
const (
	OK     = "ok"     // done as asked
	Denied = "denied" // refused by a control (authentication, rights, terminal)
	Failed = "error"  // attempted and failed (invalid input, conflict, fault)
)

// Actor is who did something, from where.
type Actor struct {
	User     string `json:"user"`               // login ID, or "system:<job>" / "cli:<os user>"
	Session  string `json:"session,omitempty"`  // session ID (a hash, never the cookie)
	Terminal string `json:"terminal,omitempty"` // designated terminal's name
	Address  string `json:"address,omitempty"`  // client IP address
}

// Subject is what an event is about. A My Number subject is identified by
// its blind index, never by its digits.
type Subject struct {
	Type string `json:"type,omitempty"` // "resident", "mynumber", "user", "key", …
	ID   string `json:"id,omitempty"`
}

// Event is one audit record.
type Event struct {
	ID        int64     `json:"id"`
	Seq       int64     `json:"seq"` // leaf index in the tree; -1 until sequenced
	Time      time.Time `json:"time"`
	Tenant    string    `json:"tenant,omitempty"`
	Actor     Actor     `json:"actor"`
	Action    string    `json:"action"`
	Subject   Subject   `json:"subject"`
	Purpose   string    `json:"purpose,omitempty"`
	Outcome   string    `json:"outcome"`
	RequestID string    `json:"request_id,omitempty"`
	Detail    string    `json:"detail,omitempty"`
}

type ctxKey int

const (
	actorKey ctxKey = iota
	requestKey
)

// WithActor returns ctx carrying the actor that events recorded under it
// name. The web layer sets it from the session, commands from the OS user.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey, a)
}

// ActorFrom returns the actor carried by ctx.
func ActorFrom(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey).(Actor)
	return a, ok && a.User != ""
}

// WithRequestID returns ctx carrying the request ID events name.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestKey, id)
}

func requestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestKey).(string)
	return id
}

// Limits keep one event small and the log readable.
const (
	maxField  = 200
	maxDetail = 2000
)

// Record writes e in tx, the transaction of the change it records. The
// actor and request ID come from ctx when e leaves them empty; an event with
// no actor is refused, so that no change is ever anonymous.
func Record(ctx context.Context, tx *store.Tx, e Event) error {
	e, err := prepare(ctx, e)
	if err != nil {
		return err
	}
	return insert(ctx, tx, e)
}

// RecordMany writes events in tx as Record does each, many to a statement:
// a change or a read of many subjects (a page of a search, a batch of
// decisions) costs a round trip, not one per subject.
func RecordMany(ctx context.Context, tx *store.Tx, events ...Event) error {
	prepared := make([]Event, len(events))
	for i, e := range events {
		var err error
		if prepared[i], err = prepare(ctx, e); err != nil {
			return err
		}
	}
	return insert(ctx, tx, prepared...)
}

// insertRows is the most events one INSERT writes: 13 parameters each
// stay far below either engine's limit (SQLite's is 32,766).
const insertRows = 500

// insert writes prepared events, many to a statement: one round trip for
// a batch instead of one per event.
func insert(ctx context.Context, tx *store.Tx, events ...Event) error {
	for len(events) > 0 {
		n := min(len(events), insertRows)
		q, args := insertStatement(events[:n])
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			return errs.Wrap(errs.KindOf(err), err, "audit: record %s", events[0].Action)
		}
		events = events[n:]
	}
	return nil
}

// insertStatement is the INSERT of events (at most insertRows).
func insertStatement(events []Event) (string, []any) {
	return insertStatementAfter("", nil, events)
}

// insertStatementAfter is insertStatement with a prefix (a WITH clause)
// whose parameters, args, come first.
func insertStatementAfter(prefix string, args []any, events []Event) (string, []any) {
	var q strings.Builder
	q.WriteString(prefix)
	q.WriteString(`INSERT INTO audit_events (time, tenant_code, actor_user, actor_session, actor_terminal, actor_address,
		action, subject_type, subject_id, purpose, outcome, request_id, detail) VALUES `)
	args = append(make([]any, 0, len(args)+13*len(events)), args...)
	for i, e := range events {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteByte('(')
		for j := range 13 {
			if j > 0 {
				q.WriteString(", ")
			}
			q.WriteString("$" + strconv.Itoa(len(args)+j+1))
		}
		q.WriteByte(')')
		args = append(args, e.Time, e.Tenant, e.Actor.User, e.Actor.Session, e.Actor.Terminal, e.Actor.Address,
			e.Action, e.Subject.Type, e.Subject.ID, e.Purpose, e.Outcome, e.RequestID, e.Detail)
	}
	return q.String(), args
}

// RecordPiped queues events in p, the pipelined transaction of the change
// they record (store.Pipe), as RecordMany writes them in a Tx: written
// when p is flushed or ends, with the change or not at all.
func RecordPiped(ctx context.Context, p *store.Pipe, events ...Event) error {
	prepared := make([]Event, len(events))
	for i, e := range events {
		var err error
		if prepared[i], err = prepare(ctx, e); err != nil {
			return err
		}
	}
	for len(prepared) > 0 {
		n := min(len(prepared), insertRows)
		q, args := insertStatement(prepared[:n])
		p.Exec(q, args...)
		prepared = prepared[n:]
	}
	return nil
}

// RecordPipedWith queues changes, statements that write (their parameters
// numbered $1 to $len(args) across them all, in order), and events in p
// as one statement — PostgreSQL only: each change runs as a data-modifying
// WITH clause of the events' INSERT, which PostgreSQL always runs to
// completion, in the same transaction as the events (one statement for a
// step's changes and its events instead of one each). At most insertRows
// events.
func RecordPipedWith(ctx context.Context, p *store.Pipe, changes []string, args []any, events ...Event) error {
	if len(events) == 0 || len(events) > insertRows {
		return errs.E(errs.Internal, "audit: %d events with a change (1 to %d)", len(events), insertRows)
	}
	prepared := make([]Event, len(events))
	for i, e := range events {
		var err error
		if prepared[i], err = prepare(ctx, e); err != nil {
			return err
		}
	}
	var with strings.Builder
	for i, c := range changes {
		if i == 0 {
			with.WriteString("WITH")
		} else {
			with.WriteString(",")
		}
		with.WriteString(" change" + strconv.Itoa(i+1) + " AS (" + c + ")")
	}
	with.WriteString(" ")
	q, all := insertStatementAfter(with.String(), args, prepared)
	p.Exec(q, all...)
	return nil
}

// RecordAlone writes e durably outside any change: for attempts that
// changed nothing (reads, searches, refusals) and so have no transaction
// to join. It returns once e is committed, grouped with the other events
// waiting (group.go); if ctx ends before e's batch begins, e is not
// written and ctx's error is returned.
func RecordAlone(ctx context.Context, db *store.DB, e Event) error {
	e, err := prepare(ctx, e)
	if err != nil {
		return err
	}
	// Like a Transact, this must not run inside a transaction's fn: the
	// committer waits for SQLite's write lock the caller would hold. The
	// tests' watch panics here if it does.
	db.SQL()
	return recordGrouped(ctx, db, e)
}

func prepare(ctx context.Context, e Event) (Event, error) {
	if e.Actor.User == "" {
		a, ok := ActorFrom(ctx)
		if !ok {
			return e, errs.E(errs.Internal, "audit: event %q has no actor; every change must name who made it", e.Action)
		}
		e.Actor = a
	}
	if e.RequestID == "" {
		e.RequestID = requestIDFrom(ctx)
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	// Microseconds: what both engines keep, so the leaf recomputes exactly.
	e.Time = e.Time.UTC().Truncate(time.Microsecond)
	switch e.Outcome {
	case OK, Denied, Failed:
	default:
		return e, errs.E(errs.Internal, "audit: event %q has outcome %q", e.Action, e.Outcome)
	}
	if e.Action == "" {
		return e, errs.E(errs.Internal, "audit: event without an action")
	}
	// Free text staff typed (a reason, a comment) reaches the detail and
	// the purpose: a My Number in it is kept masked, never in full, and
	// masked before clipping could cut it in two.
	e.Detail, _ = mynumber.Redact(e.Detail)
	e.Purpose, _ = mynumber.Redact(e.Purpose)
	for _, f := range []*string{&e.Tenant, &e.Actor.User, &e.Actor.Session, &e.Actor.Terminal, &e.Actor.Address,
		&e.Action, &e.Subject.Type, &e.Subject.ID, &e.Purpose, &e.RequestID} {
		*f = clip(*f, maxField)
	}
	e.Detail = clip(e.Detail, maxDetail)
	return e, nil
}

func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}

// clip shortens s to at most n bytes on a rune boundary and removes
// control characters, so that a hostile value cannot forge log lines.
func clip(s string, n int) string {
	if len(s) <= n && !hasControl(s) {
		return s // the usual case: nothing to clean, nothing to copy
	}
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Refused records that action on subject was refused because of err, and
// returns err: a field error is recorded by its fields (never the values
// typed), any other by its first line.
func Refused(ctx context.Context, db *store.DB, tenant, action string, subject Subject, err error) error {
	why := err.Error()
	if fs := errs.Fields(err); fs != nil {
		names := make([]string, len(fs))
		for i, f := range fs {
			names[i] = f.Field
		}
		why = "invalid fields=" + strings.Join(names, ",")
	}
	if i := strings.IndexByte(why, '\n'); i >= 0 {
		why = why[:i]
	}
	if len(why) > 300 {
		why = why[:300]
	}
	if aerr := RecordAlone(ctx, db, Event{Tenant: tenant, Action: action, Subject: subject, Outcome: Denied, Detail: "reason=" + why}); aerr != nil {
		return aerr
	}
	return err
}
