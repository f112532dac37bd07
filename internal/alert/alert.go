// Package alert raises and keeps the alerts the privacy manager reviews
// (R-AC-4, R-AUD-4): rules over the audit log such as too many My Number
// reveals by one person in an hour. Raising an alert is itself an audit
// event.
package alert

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/mynumber"
	"bango/internal/store"
)

// Alert is one raised alert.
type Alert struct {
	ID       int64     `json:"id"`
	Tenant   string    `json:"tenant,omitempty"`
	Rule     string    `json:"rule"`
	Subject  string    `json:"subject"` // who or what it concerns (a login ID, …)
	Detail   string    `json:"detail"`
	RaisedAt time.Time `json:"raised_at"`
	Status   string    `json:"status"`
	AckBy    string    `json:"ack_by,omitempty"`
	AckAt    time.Time `json:"ack_at,omitzero"`
	Comment  string    `json:"comment,omitempty"`
	// Dedupe makes two alerts the same: one alert per rule and key.
	Dedupe string `json:"-"`
}

// Rules.
const (
	RuleBulkReveal = "bulk_reveal" // more reveals per user per hour than allowed
)

// Service raises and lists alerts.
type Service struct {
	db  *store.DB
	now func() time.Time
}

// NewService returns a Service.
func NewService(db *store.DB) *Service {
	return &Service{db: db, now: func() time.Time { return time.Now().UTC() }}
}

// SetClock replaces the clock, for tests.
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// Raise records a new open alert and its event. An alert whose Dedupe key
// was raised before is a Conflict. It writes in ctx's scope, which must
// hold a's municipality (R-AC-6): the rules' AllTenants, a municipality's
// own check, or "" for an alert of none.
func (s *Service) Raise(ctx context.Context, a Alert) (Alert, error) {
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		var raised bool
		var err error
		if a, raised, err = s.raiseIn(ctx, tx, a); err == nil && !raised {
			err = errs.E(errs.Conflict, "alert %s %s was raised before", a.Rule, a.Dedupe)
		}
		return err
	})
	return a, err
}

// raiseIn records a in tx with its event, unless an alert with its Dedupe
// key exists (raised false).
func (s *Service) raiseIn(ctx context.Context, tx *store.Tx, a Alert) (Alert, bool, error) {
	a.RaisedAt, a.Status = s.now(), "open"
	err := tx.QueryRow(ctx, `INSERT INTO alerts (tenant_code, rule, subject, detail, raised_at, status, dedupe) VALUES ($1, $2, $3, $4, $5, 'open', $6)
		ON CONFLICT DO NOTHING RETURNING id`, a.Tenant, a.Rule, a.Subject, a.Detail, a.RaisedAt, a.Dedupe).Scan(&a.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return a, false, nil
	}
	if err != nil {
		return a, false, store.Translate(err)
	}
	// The rule engine raises alerts, not whoever tripped the rule.
	return a, true, audit.Record(ctx, tx, audit.Event{Tenant: a.Tenant, Action: "alert.raise", Subject: audit.Subject{Type: "alert", ID: strconv.FormatInt(a.ID, 10)},
		Outcome: audit.OK, Detail: "rule=" + a.Rule + " subject=" + a.Subject + " " + a.Detail, Actor: audit.Actor{User: "system:alerts"}})
}

// CheckReveals raises a bulk-reveal alert when user has revealed more
// than perHour My Numbers of tenant in the last hour, once per hour, user
// and municipality (each municipality's privacy manager sees their own).
// It runs inside the transaction that records a reveal, so that the
// reveal and its alert land together (R-AC-4, R-AUD-4); tx's scope must
// hold tenant (R-AC-6).
func (s *Service) CheckReveals(ctx context.Context, tx *store.Tx, tenant, user string, perHour int) (bool, error) {
	now := s.now()
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE action = 'mynumber.reveal' AND outcome = 'ok' AND actor_user = $1 AND time > $2 AND tenant_code = $3`,
		user, now.Add(-time.Hour), tenant).Scan(&n); err != nil {
		return false, store.Translate(err)
	}
	if n <= perHour {
		return false, nil
	}
	_, raised, err := s.raiseIn(ctx, tx, Alert{Tenant: tenant, Rule: RuleBulkReveal, Subject: user,
		Detail: "reveals_last_hour=" + strconv.Itoa(n) + " limit=" + strconv.Itoa(perHour), Dedupe: tenant + "|" + user + "|" + now.Truncate(time.Hour).Format(time.RFC3339)})
	return raised, err
}

// Open returns the newest limit of every municipality's open alerts
// (clamped by store.Limit), for the system's status report, and how many
// are open in all.
func (s *Service) Open(ctx context.Context, limit int) (store.Page[Alert], int, error) {
	ctx = store.WithScope(ctx, store.AllTenants)
	limit = store.Limit(limit)
	open, err := s.alerts(ctx, selectAlert+` WHERE status = 'open' ORDER BY id DESC LIMIT $1`, limit+1)
	if err != nil {
		return store.Page[Alert]{}, 0, err
	}
	var n int
	if err := s.db.ReadRow(ctx, `SELECT count(*) FROM alerts WHERE status = 'open'`).Scan(&n); err != nil {
		return store.Page[Alert]{}, 0, store.Translate(err)
	}
	return store.PageOf(open, limit, "alerts", alertKey), n, nil
}

func alertKey(a Alert) []any { return []any{a.ID} }

// alerts reads the alerts q selects, in ctx's scope.
func (s *Service) alerts(ctx context.Context, q string, args ...any) ([]Alert, error) {
	var out []Alert
	err := s.db.Read(ctx, func(db store.Querier) (err error) {
		out, err = store.Rows(scanAlert)(db.Query(ctx, q, args...))
		return err
	})
	return out, err
}

// Acknowledge closes an open alert with a comment. f is what the caller
// reviews (its Status, Cursor, Before and Limit do not count): an alert outside
// it is "not found", and on PostgreSQL is not even read (R-AC-6).
func (s *Service) Acknowledge(ctx context.Context, id int64, by, comment string, f Filter) (Alert, error) {
	ctx = f.scope(ctx)
	comment = strings.TrimSpace(comment)
	var a Alert
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		var err error
		if a, err = scanAlert(tx.QueryRow(ctx, selectAlert+` WHERE id = $1`, id)); err != nil {
			return store.ScanErr(err, "alert "+strconv.FormatInt(id, 10))
		}
		switch {
		case !f.covers(a.Tenant):
			return errs.E(errs.NotFound, "alert %d not found", id)
		case a.Status != "open":
			return errs.Tell(errs.Conflict, errs.Message{
				JA: "この警告は、すでに確認済みです。一覧を開き直してください。",
				EN: "This alert was already acknowledged: open the list again.",
			}, "alert %d is already acknowledged", id)
		case a.Subject == by:
			// Nobody closes the alarm raised about themselves (issue 15).
			return errs.Tell(errs.Forbidden, errs.Message{
				JA: "この警告はあなた自身の操作についてのものなので、あなたは確認済みにできません。別の保護管理者が確認します。",
				EN: "This alert is about your own actions, so you cannot acknowledge it: another privacy manager does.",
			}, "alert %d is about you: another privacy manager acknowledges it", id)
		case comment == "" || utf8.RuneCountInString(comment) > 500:
			var fe errs.FieldErrors
			fe.Add("comment", errs.Message{JA: "確認結果を500文字以内で記入してください", EN: "write what you found, at most 500 characters"})
			return fe.Err()
		case mynumber.Holds(comment):
			var fe errs.FieldErrors
			fe.Add("comment", mynumber.InFreeText)
			return fe.Err()
		}
		now := s.now()
		res, err := tx.Exec(ctx, `UPDATE alerts SET status = 'acknowledged', ack_by = $1, ack_at = $2, comment = $3 WHERE id = $4 AND status = 'open'`,
			by, now, comment, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.Tell(errs.Conflict, errs.Message{
				JA: "この警告は、ほかの保護管理者が先に確認済みにしました。一覧を開き直してください。",
				EN: "Another privacy manager acknowledged this alert first: open the list again.",
			}, "alert %d was acknowledged meanwhile", id)
		}
		a.Status, a.AckBy, a.AckAt, a.Comment = "acknowledged", by, now, comment
		return audit.Record(ctx, tx, audit.Event{Tenant: a.Tenant, Action: "alert.acknowledge", Subject: audit.Subject{Type: "alert", ID: strconv.FormatInt(id, 10)},
			Outcome: audit.OK, Detail: "rule=" + a.Rule + " comment=" + comment})
	})
	return a, err
}

const selectAlert = `SELECT id, tenant_code, rule, subject, detail, raised_at, status, ack_by, ack_at, comment, dedupe FROM alerts`

func scanAlert(row interface{ Scan(...any) error }) (Alert, error) {
	var a Alert
	var ack sql.NullTime
	err := row.Scan(&a.ID, &a.Tenant, &a.Rule, &a.Subject, &a.Detail, &a.RaisedAt, &a.Status, &a.AckBy, &ack, &a.Comment, &a.Dedupe)
	a.RaisedAt, a.AckAt = a.RaisedAt.UTC(), ack.Time.UTC()
	return a, err
}

// Between lists tenant's alerts raised in [from, to), newest first.
func (s *Service) Between(ctx context.Context, tenant string, from, to time.Time) ([]Alert, error) {
	return s.alerts(store.WithScope(ctx, tenant), selectAlert+` WHERE tenant_code = $1 AND raised_at >= $2 AND raised_at < $3 ORDER BY id DESC`, tenant, from.UTC(), to.UTC())
}

// SignOff is a privacy manager's sign-off of a period's reveals and
// alerts (R-AUD-4).
type SignOff struct {
	ID       int64     `json:"id"`
	Tenant   string    `json:"tenant"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Reveals  int       `json:"reveals"`
	Alerts   int       `json:"alerts"`
	Reviewer string    `json:"reviewer"`
	SignedAt time.Time `json:"signed_at"`
	Note     string    `json:"note,omitempty"`
}

// Sign records that reviewer went through tenant's reveals and alerts of
// [from, to); the sign-off is an event.
func (s *Service) Sign(ctx context.Context, so SignOff) (SignOff, error) {
	so.Note = strings.TrimSpace(so.Note)
	if !so.To.After(so.From) || utf8.RuneCountInString(so.Note) > 500 {
		var fe errs.FieldErrors
		fe.Add("period", errs.Message{JA: "期間の終わりは始まりより後にしてください（所見は500文字以内）", EN: "the period must end after it starts (note at most 500 characters)"})
		return so, fe.Err()
	}
	if mynumber.Holds(so.Note) {
		var fe errs.FieldErrors
		fe.Add("note", mynumber.InFreeText)
		return so, fe.Err()
	}
	so.SignedAt = s.now()
	err := s.db.TransactIn(ctx, so.Tenant, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO audit_reviews (tenant_code, period_from, period_to, reveals, alerts, reviewer, signed_at, note)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, so.Tenant, so.From, so.To, so.Reveals, so.Alerts, so.Reviewer, so.SignedAt, so.Note).Scan(&so.ID); err != nil {
			return store.Translate(err)
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: so.Tenant, Action: "audit.review.signoff", Subject: audit.Subject{Type: "audit_review", ID: strconv.FormatInt(so.ID, 10)},
			Outcome: audit.OK, Detail: "from=" + so.From.Format(time.RFC3339) + " to=" + so.To.Format(time.RFC3339) +
				" reveals=" + strconv.Itoa(so.Reveals) + " alerts=" + strconv.Itoa(so.Alerts) + " note=" + so.Note})
	})
	return so, err
}

// SignOffs returns one page of tenant's sign-offs, newest first: cursor
// is a page's Next ("" for the newest), limit is clamped by store.Limit.
func (s *Service) SignOffs(ctx context.Context, tenant, cursor string, limit int) (store.Page[SignOff], error) {
	before := int64(math.MaxInt64)
	if _, err := store.DecodeCursor(cursor, "signoffs", &before); err != nil {
		return store.Page[SignOff]{}, err
	}
	limit = store.Limit(limit)
	var out []SignOff
	err := s.db.ReadIn(ctx, tenant, func(q store.Querier) (err error) {
		out, err = store.Rows(scanSignOff)(q.Query(ctx, `SELECT id, tenant_code, period_from, period_to, reveals, alerts, reviewer, signed_at, note FROM audit_reviews
			WHERE tenant_code = $1 AND id < $2 ORDER BY id DESC LIMIT $3`, tenant, before, limit+1))
		return err
	})
	if err != nil {
		return store.Page[SignOff]{}, err
	}
	return store.PageOf(out, limit, "signoffs", func(so SignOff) []any { return []any{so.ID} }), nil
}

func scanSignOff(row store.Scanner) (SignOff, error) {
	var so SignOff
	err := row.Scan(&so.ID, &so.Tenant, &so.From, &so.To, &so.Reveals, &so.Alerts, &so.Reviewer, &so.SignedAt, &so.Note)
	so.From, so.To, so.SignedAt = so.From.UTC(), so.To.UTC(), so.SignedAt.UTC()
	return so, err
}

// Filter selects alerts for a reviewer: their municipalities (and the
// alerts of none, which concern every municipality), or all.
type Filter struct {
	Tenants []string
	All     bool
	Status  string // "open", "acknowledged" or "" for both
	Cursor  string // where the page starts: a page's Next ("" for the newest)
	// Before is the older form of a cursor, which API clients may still
	// send: the page starts below this ID (0: the newest). Cursor wins.
	Before int64
	Limit  int // clamped by store.Limit
}

// scope is the database scope of f: the alerts of none and of f's
// municipalities, or all (R-AC-6).
func (f Filter) scope(ctx context.Context) context.Context {
	if f.All {
		return store.WithScope(ctx, store.AllTenants)
	}
	return store.WithScope(ctx, append([]string{""}, f.Tenants...)...)
}

// covers reports whether f selects alerts of tenant.
func (f Filter) covers(tenant string) bool {
	return f.All || tenant == "" || slices.Contains(f.Tenants, tenant)
}

// List returns one page of the alerts f selects, newest first.
func (s *Service) List(ctx context.Context, f Filter) (store.Page[Alert], error) {
	if _, err := store.DecodeCursor(f.Cursor, "alerts", &f.Before); err != nil {
		return store.Page[Alert]{}, err
	}
	limit := store.Limit(f.Limit)
	q := selectAlert + ` WHERE 1 = 1`
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if !f.All {
		marks := []string{arg("")}
		for _, t := range f.Tenants {
			marks = append(marks, arg(t))
		}
		q += ` AND tenant_code IN (` + strings.Join(marks, ", ") + `)`
	}
	if f.Status != "" {
		q += ` AND status = ` + arg(f.Status)
	}
	if f.Before > 0 {
		q += ` AND id < ` + arg(f.Before)
	}
	q += ` ORDER BY id DESC LIMIT ` + arg(limit+1)
	out, err := s.alerts(f.scope(ctx), q, args...)
	if err != nil {
		return store.Page[Alert]{}, err
	}
	return store.PageOf(out, limit, "alerts", alertKey), nil
}
