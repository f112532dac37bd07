// Package pubmed keeps public-expense medical care (公費負担医療, R-PUB-1,
// R-PUB-3) of each municipality or prefecture: recipients of 特定医療費
// (指定難病) and of 小児慢性特定疾病医療費 with their certificates (受給者証),
// the applications received at health centres (new, renewal, change,
// cancellation) that a clerk enters and a different checker confirms
// (R-ACC-1) before they are decided, the monthly co-payment record
// (自己負担上限額管理票) that adds co-payments up against the cap, and the
// ledger of the cabinets that hold the evidence papers. The caps and the
// designated-disease master are data with effective dates (rules.go,
// data/); a decision records the table version and figures it used.
// Every read and change is an audit event with the recipient as subject.
package pubmed

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/store"
)

// The maker–checker kind of the module: an application as entered.
const KindApplication = "pubmed.application"

// jst is the time zone a municipality's "today" is in.
var jst = time.FixedZone("JST", 9*60*60)

// Service keeps public-expense medical care.
type Service struct {
	db    *store.DB
	log   *slog.Logger
	rules *Rules
	now   func() time.Time
}

// NewService returns a Service deciding by the shipped tables and master
// list (data/).
func NewService(db *store.DB, log *slog.Logger) (*Service, error) {
	r, err := DefaultRules()
	if err != nil {
		return nil, err
	}
	return &Service{db: db, log: log, rules: r, now: time.Now}, nil
}

// SetClock replaces the clock, for tests.
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// SetRules replaces the tables and master list, for tests of a table
// that changes on a date.
func (s *Service) SetRules(r *Rules) { s.rules = r }

// Rules are the tables and master list the service decides by.
func (s *Service) Rules() *Rules { return s.rules }

// today is the date in Japan now, at midnight UTC.
func (s *Service) today() time.Time {
	n := s.now().In(jst)
	return date(n.Year(), n.Month(), n.Day())
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func dateOnly(t time.Time) time.Time { return date(t.Year(), t.Month(), t.Day()) }

// dateArg passes a date as each engine stores it: a DATE on PostgreSQL,
// 'YYYY-MM-DD' text on SQLite.
func dateArg(e store.Engine, t time.Time) any {
	if e == store.SQLite {
		return t.Format(time.DateOnly)
	}
	return t
}

// Date formats a date as YYYY-MM-DD, "" for none.
func Date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

func subjectOf(residentCode string) audit.Subject {
	return audit.Subject{Type: "pubmed_recipient", ID: residentCode}
}

// failed records a refused or failed step as an event of its own, naming
// the wrong fields but never their values, and returns err.
func (s *Service) failed(ctx context.Context, tenant, action string, subject audit.Subject, err error) error {
	detail := "error=" + strings.ReplaceAll(errs.KindOf(err).String(), " ", "_")
	var names []string
	seen := map[string]bool{}
	for _, f := range errs.Fields(err) {
		if !seen[f.Field] {
			seen[f.Field] = true
			names = append(names, f.Field)
		}
	}
	if len(names) > 0 {
		detail += " fields=" + strings.Join(names, ",")
	}
	outcome := audit.Failed
	if errs.Is(err, errs.NotFound) || errs.Is(err, errs.Forbidden) {
		outcome = audit.Denied
	}
	if aerr := audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: action, Subject: subject, Outcome: outcome, Detail: detail}); aerr != nil {
		s.log.ErrorContext(ctx, "audit event for a refused step not written", "action", action, "err", aerr)
	}
	return err
}

func actorOf(ctx context.Context) string {
	a, _ := audit.ActorFrom(ctx)
	return a.User
}
