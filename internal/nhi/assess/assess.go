// Package assess is the yearly NHI premium assessment (賦課, R-NHI-4) of
// a municipality: its rate tables of each fiscal year, entered by one
// person and confirmed by another through the review engine (kind
// nhi.rates) and never changed once confirmed; its members' revenue of
// each income year; and the assessment of every household of a fiscal
// year from the eligibility of internal/nhi, computed by the pure engine
// internal/nhi/premium and kept with the rate table, rule and income-table
// versions and the figures it used. A re-assessment keeps the assessment
// before it and records the difference.
package assess

import (
	"context"
	"log/slog"
	"time"

	"bango/internal/access"
	"bango/internal/audit"
	"bango/internal/civil"
	"bango/internal/errs"
	"bango/internal/module"
	"bango/internal/store"
)

// KindRates is the maker–checker kind of a rate table: a municipality's
// rates of a fiscal year hold once a second person confirms them.
const KindRates = "nhi.rates"

// Service keeps rate tables, revenues and assessments.
type Service struct {
	db  *store.DB
	log *slog.Logger
	now func() time.Time
}

// NewService returns a Service.
func NewService(db *store.DB, log *slog.Logger) *Service {
	return &Service{db: db, log: log, now: time.Now}
}

// SetClock replaces the clock, for tests.
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// Module is what the assessment adds to the engines: the rate table as a
// kind a checker confirms (R-ACC-1).
func (s *Service) Module() module.Module {
	return module.Module{
		Name:        "nhi.assess",
		Permissions: []access.Permission{access.NHIRead, access.NHIWrite, access.NHIAdmin},
		Reviews: []module.Review{{Kind: KindRates, Apply: s.ApplyRates}, {Kind: KindRemission, Apply: s.ApplyRemission},
			{Kind: KindRemissionChange, Apply: s.ApplyRemissionChange}},
	}
}

func (s *Service) thisYear() int { return civil.Today(s.now()).Year() }

// fiscalYearField checks a fiscal year is one bango can assess: from 2024
// to the year after this one.
func (s *Service) fiscalYearField(fe *errs.FieldErrors, fy int) {
	if fy < 2024 || fy > s.thisYear()+1 {
		fe.Add("fiscal_year", errs.Message{JA: "2024年度から来年度までの年度（西暦4桁）です", EN: "must be a fiscal year from 2024 to next year"})
	}
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
