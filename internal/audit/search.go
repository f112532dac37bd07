package audit

import (
	"context"
	"strconv"
	"strings"
	"time"

	"bango/internal/errs"
	"bango/internal/store"
)

// Query selects events for an auditor (R-AUD-2). Empty fields match
// anything; Subjects match any of them. Results come newest first, a page
// at a time: Before is the ID below which the page starts (0: the newest).
type Query struct {
	Tenants    []string // municipalities the searcher may see ("" is the system's own events)
	AllTenants bool     // the searcher may see every municipality's events
	Actor      string
	Action     string
	Subjects   []Subject
	From, To   time.Time // To is exclusive
	Outcome    string
	Terminal   string
	Before     int64
	Limit      int
}

// MaxPage bounds a page of results.
const MaxPage = 500

// Page is one page of results; Next is the Before of the next page, 0 at
// the end.
type Page struct {
	Events []Event `json:"events"`
	Next   int64   `json:"next,omitempty"`
}

// Describe says what q asks for, for the search's own audit event. A My
// Number subject is shown by its blind index, as it is stored.
func (q Query) Describe() string {
	var parts []string
	add := func(k, v string) {
		if v != "" {
			parts = append(parts, k+"="+v)
		}
	}
	add("actor", q.Actor)
	add("action", q.Action)
	for _, s := range q.Subjects {
		add("subject", s.Type+":"+s.ID)
	}
	if !q.From.IsZero() {
		add("from", q.From.Format(time.RFC3339))
	}
	if !q.To.IsZero() {
		add("to", q.To.Format(time.RFC3339))
	}
	add("outcome", q.Outcome)
	add("terminal", q.Terminal)
	if q.AllTenants {
		add("tenants", "all")
	} else {
		add("tenants", strings.Join(q.Tenants, ","))
	}
	return strings.Join(parts, " ")
}

// indexBatch bounds one catch-up step of the search index.
const indexBatch = 20000

// IndexForSearch adds the events placed since the last call to the search
// index and returns how many it added. serve runs it every second, and the
// search pages before each search, so the index lags the tree by at most
// the time of one catch-up. Several processes may run it.
func IndexForSearch(ctx context.Context, db *store.DB) (int, error) {
	ctx = store.WithScope(ctx, store.AllTenants) // every municipality's events
	var cursor, last int64
	if err := db.ReadRow(ctx, `SELECT COALESCE((SELECT MAX(seq) FROM audit_search), -1), COALESCE((SELECT MAX(seq) FROM audit_log), -1)`).Scan(&cursor, &last); err != nil {
		return 0, store.Translate(err)
	}
	total := 0
	// Window by window up to the newest leaf; a window of pruned events
	// adds nothing and is stepped over.
	for cursor < last {
		end := min(cursor+indexBatch, last)
		var n int64
		err := db.Transact(ctx, func(tx *store.Tx) error {
			res, err := tx.Exec(ctx, `INSERT INTO audit_search (event_id, seq, time, tenant_code, actor_user, subject_type, subject_id)
				SELECT e.id, l.seq, e.time, e.tenant_code, e.actor_user, e.subject_type, e.subject_id
				FROM audit_log l JOIN audit_events e ON e.id = l.event_id
				WHERE l.seq > $1 AND l.seq <= $2 ON CONFLICT (event_id) DO NOTHING`, cursor, end)
			if err != nil {
				return err
			}
			n, _ = res.RowsAffected()
			return nil
		})
		if err != nil {
			return total, store.Translate(err)
		}
		total += int(n)
		cursor = end
	}
	return total, nil
}

// Search returns one page of the placed events q selects, each with its
// leaf number (Seq) for its inclusion proof. A searcher with no
// municipality and no system-wide right sees nothing. On PostgreSQL the
// search runs in the searcher's scope (R-AC-6), so row-level security
// holds it to their municipalities whatever the SQL says.
func Search(ctx context.Context, db *store.DB, q Query) (Page, error) {
	if q.Limit <= 0 || q.Limit > MaxPage {
		q.Limit = 50
	}
	if !q.AllTenants && len(q.Tenants) == 0 {
		return Page{Events: []Event{}}, nil
	}
	where, args := q.filter()
	sql := `SELECT ` + eventColumns + `, s.seq FROM audit_search s JOIN audit_events e ON e.id = s.event_id` + where +
		" ORDER BY s.event_id DESC LIMIT $" + strconv.Itoa(len(args)+1)
	args = append(args, q.Limit+1)
	p := Page{Events: []Event{}}
	ctx = q.scope(ctx)
	err := db.Read(ctx, func(db store.Querier) error {
		rows, err := db.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e Event
			err := rows.Scan(&e.ID, &e.Time, &e.Tenant, &e.Actor.User, &e.Actor.Session, &e.Actor.Terminal, &e.Actor.Address,
				&e.Action, &e.Subject.Type, &e.Subject.ID, &e.Purpose, &e.Outcome, &e.RequestID, &e.Detail, &e.Seq)
			if err != nil {
				return err
			}
			e.Time = e.Time.UTC()
			p.Events = append(p.Events, e)
		}
		return rows.Err()
	})
	if err != nil {
		return Page{}, store.Translate(err)
	}
	if len(p.Events) > q.Limit {
		p.Events = p.Events[:q.Limit]
		p.Next = p.Events[q.Limit-1].ID
	}
	return p, nil
}

// Count counts the placed events q selects (all of them, not a page), in
// the searcher's scope as Search.
func Count(ctx context.Context, db *store.DB, q Query) (int, error) {
	if !q.AllTenants && len(q.Tenants) == 0 {
		return 0, nil
	}
	where, args := q.filter()
	var n int
	err := db.ReadRow(q.scope(ctx), `SELECT count(*) FROM audit_search s JOIN audit_events e ON e.id = s.event_id`+where, args...).Scan(&n)
	return n, store.Translate(err)
}

// scope is the database scope of q: the searcher's municipalities ("" is
// the system's own events), or all of them.
func (q Query) scope(ctx context.Context) context.Context {
	if q.AllTenants {
		return store.WithScope(ctx, store.AllTenants)
	}
	return store.WithScope(ctx, q.Tenants...)
}

// filter is q's WHERE clause over audit_search s joined with
// audit_events e, and its arguments.
func (q Query) filter() (string, []any) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if !q.AllTenants {
		marks := make([]string, len(q.Tenants))
		for i, t := range q.Tenants {
			marks[i] = arg(t)
		}
		where = append(where, "s.tenant_code IN ("+strings.Join(marks, ", ")+")")
	}
	if q.Actor != "" {
		where = append(where, "s.actor_user = "+arg(q.Actor))
	}
	if q.Action != "" {
		where = append(where, "e.action = "+arg(q.Action))
	}
	if len(q.Subjects) > 0 {
		var ors []string
		for _, s := range q.Subjects {
			ors = append(ors, "(s.subject_type = "+arg(s.Type)+" AND s.subject_id = "+arg(s.ID)+")")
		}
		where = append(where, "("+strings.Join(ors, " OR ")+")")
	}
	if !q.From.IsZero() {
		where = append(where, "s.time >= "+arg(q.From.UTC()))
	}
	if !q.To.IsZero() {
		where = append(where, "s.time < "+arg(q.To.UTC()))
	}
	if q.Outcome != "" {
		where = append(where, "e.outcome = "+arg(q.Outcome))
	}
	if q.Terminal != "" {
		where = append(where, "e.actor_terminal = "+arg(q.Terminal))
	}
	if q.Before > 0 {
		where = append(where, "s.event_id < "+arg(q.Before))
	}
	if len(where) == 0 {
		return "", args
	}
	return " WHERE " + strings.Join(where, " AND "), args
}

// ErrNoScope is the answer to a search by someone who may see nothing.
var ErrNoScope = errs.E(errs.Forbidden, "you may not search the audit log")
