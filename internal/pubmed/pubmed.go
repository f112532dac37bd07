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
	"time"

	"bango/internal/audit"
	"bango/internal/civil"
	"bango/internal/mnhold"
	"bango/internal/resident"
	"bango/internal/store"
)

// The maker–checker kind of the module: an application as entered.
const KindApplication = "pubmed.application"

// Business is the name of public-expense care's hold of a My Number
// (internal/mnhold).
const Business = "pubmed"

// Service keeps public-expense medical care.
type Service struct {
	db        *store.DB
	log       *slog.Logger
	rules     *Rules
	now       func() time.Time
	residents *resident.Service
	holds     *mnhold.Service
	retention *mnhold.Retention // how long after its need ended a number is kept, by business, municipality and date
}

// NewService returns a Service deciding by the shipped tables and master
// list (data/). A My Number typed on an application is registered and
// compared through residents, and held for the business until its
// retention ends (R-PUB-2, R-STO-2).
func NewService(db *store.DB, log *slog.Logger, residents *resident.Service) (*Service, error) {
	r, err := DefaultRules()
	if err != nil {
		return nil, err
	}
	ret, err := mnhold.DefaultRetention()
	if err != nil {
		return nil, err
	}
	return &Service{db: db, log: log, rules: r, now: time.Now, residents: residents, holds: mnhold.New(db, residents), retention: ret}, nil
}

// SetClock replaces the clock, for tests.
func (s *Service) SetClock(now func() time.Time) {
	s.now = now
	s.holds.SetClock(now)
}

// SetRetention replaces the retention rules (mnhold.LoadRetention), for
// tests of a period that changes on a date.
func (s *Service) SetRetention(r *mnhold.Retention) { s.retention = r }

// RetentionRule is tenant's retention rule for a need that ends today:
// its own if it has one in force, else the business's default (false when
// no rule is in force).
func (s *Service) RetentionRule(tenant string) (mnhold.RetentionRule, bool) {
	return s.retention.For(Business, tenant, s.today())
}

// Holds is the My Number holds' service, for its report.
func (s *Service) Holds() *mnhold.Service { return s.holds }

// SetRules replaces the tables and master list, for tests of a table
// that changes on a date.
func (s *Service) SetRules(r *Rules) { s.rules = r }

// Rules are the tables and master list the service decides by.
func (s *Service) Rules() *Rules { return s.rules }

// today is the date in Japan now (civil dates: midnight UTC).
func (s *Service) today() time.Time { return civil.Today(s.now()) }

var (
	date     = civil.Date
	dateOnly = civil.DateOf
	dateArg  = store.DateArg
)

// Date formats a date as YYYY-MM-DD, "" for none.
func Date(t time.Time) string { return civil.Format(t) }

func subjectOf(residentCode string) audit.Subject {
	return audit.Subject{Type: "pubmed_recipient", ID: residentCode}
}

// failed records a refused or failed step as an event of its own and
// returns err.
func (s *Service) failed(ctx context.Context, tenant, action string, subject audit.Subject, err error) error {
	return audit.RecordFailure(ctx, s.db, s.log, audit.Event{Tenant: tenant, Action: action, Subject: subject}, err)
}

func actorOf(ctx context.Context) string {
	a, _ := audit.ActorFrom(ctx)
	return a.User
}
