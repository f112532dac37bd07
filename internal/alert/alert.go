// Package alert raises and keeps the alerts the privacy manager reviews
// (R-AC-4, R-AUD-4): rules over the audit log such as too many My Number
// reveals by one person in an hour. Raising an alert is itself an audit
// event.
package alert

import (
	"context"
	"database/sql"
	"strconv"
	"time"

	"bango/internal/audit"
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

// Raise records a new open alert and its event.
func (s *Service) Raise(ctx context.Context, a Alert) (Alert, error) {
	a.RaisedAt, a.Status = s.now(), "open"
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO alerts (tenant_code, rule, subject, detail, raised_at, status) VALUES ($1, $2, $3, $4, $5, 'open') RETURNING id`,
			a.Tenant, a.Rule, a.Subject, a.Detail, a.RaisedAt).Scan(&a.ID); err != nil {
			return store.Translate(err)
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: a.Tenant, Action: "alert.raise", Subject: audit.Subject{Type: "alert", ID: strconv.FormatInt(a.ID, 10)},
			Outcome: audit.OK, Detail: "rule=" + a.Rule + " subject=" + a.Subject + " " + a.Detail})
	})
	return a, err
}

// CheckReveals raises a bulk-reveal alert when user has revealed more
// than perHour My Numbers of tenant in the last hour, once per hour, user
// and municipality (each municipality's privacy manager sees their own).
func (s *Service) CheckReveals(ctx context.Context, tenant, user string, perHour int) (bool, error) {
	since := s.now().Add(-time.Hour)
	var n, open int
	if err := s.db.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE action = 'mynumber.reveal' AND outcome = 'ok' AND actor_user = $1 AND time > $2 AND tenant_code = $3`,
		user, since, tenant).Scan(&n); err != nil {
		return false, store.Translate(err)
	}
	if n <= perHour {
		return false, nil
	}
	if err := s.db.QueryRow(ctx, `SELECT count(*) FROM alerts WHERE rule = $1 AND subject = $2 AND raised_at > $3 AND tenant_code = $4`, RuleBulkReveal, user, since, tenant).Scan(&open); err != nil {
		return false, store.Translate(err)
	}
	if open > 0 {
		return false, nil
	}
	_, err := s.Raise(ctx, Alert{Tenant: tenant, Rule: RuleBulkReveal, Subject: user,
		Detail: "reveals_last_hour=" + strconv.Itoa(n) + " limit=" + strconv.Itoa(perHour)})
	return err == nil, err
}

// Open lists the open alerts, newest first.
func (s *Service) Open(ctx context.Context) ([]Alert, error) {
	rows, err := s.db.Query(ctx, `SELECT id, tenant_code, rule, subject, detail, raised_at, status, ack_by, ack_at, comment FROM alerts
		WHERE status = 'open' ORDER BY id DESC LIMIT 500`)
	if err != nil {
		return nil, store.Translate(err)
	}
	defer rows.Close()
	var out []Alert
	for rows.Next() {
		var a Alert
		var ack sql.NullTime
		if err := rows.Scan(&a.ID, &a.Tenant, &a.Rule, &a.Subject, &a.Detail, &a.RaisedAt, &a.Status, &a.AckBy, &ack, &a.Comment); err != nil {
			return nil, store.Translate(err)
		}
		a.RaisedAt, a.AckAt = a.RaisedAt.UTC(), ack.Time.UTC()
		out = append(out, a)
	}
	return out, store.Translate(rows.Err())
}
