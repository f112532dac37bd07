package linkage

import (
	"context"
	"time"

	"bango/internal/module"
	"bango/internal/review"
	"bango/internal/store"
)

// KindImport is the maker–checker kind of an inbound file held for a
// second person's confirmation (a partner configured with confirm).
const KindImport = "linkage.import"

// DefaultMaxBytes is the largest file an import reads (1 GiB): over it
// the file is refused whole.
const DefaultMaxBytes = 1 << 30

// Service runs a database's imports and exports: partners, the jobs'
// history, and the appliers of the inbound layouts.
type Service struct {
	db       *store.DB
	reviews  *review.Service
	now      func() time.Time
	maxBytes int64
	inbound  map[string]inbound // by layout name
	// eligibility is the NHI module the scheduled eligibility-continuity
	// file is read from (SetEligibilitySource).
	eligibility EligibilitySource
}

// NewService returns a Service; reviews holds the files a partner's
// configuration sends for confirmation.
func NewService(db *store.DB, reviews *review.Service) *Service {
	s := &Service{db: db, reviews: reviews, now: time.Now, maxBytes: DefaultMaxBytes, inbound: map[string]inbound{}}
	s.inbound["resident-differences"] = residentDifferences{}
	s.inbound["nhi-high-cost-count"] = highCostCount{}
	s.inbound["nhi-distributed-reports"] = distributedReports{}
	s.inbound["nhi-household-continuity"] = householdContinuity{}
	s.inbound["resident-initial-load"] = residentInitial{}
	return s
}

// SetClock replaces the clock, for tests.
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// SetMaxBytes sets the largest file an import reads.
func (s *Service) SetMaxBytes(n int64) { s.maxBytes = n }

// Module is what linkage adds to the engines: the kind of a held import,
// applied when a second person confirms it, and the job that ends the
// jobs a checker declined and purges what they held (R-LNK-1).
func (s *Service) Module() module.Module {
	return module.Module{
		Name: "linkage",
		Reviews: []module.Review{{Kind: KindImport, Apply: s.ApplyHeld}, {Kind: KindSchedule, Apply: s.applySchedule},
			{Kind: KindInsurer, Apply: s.applyInsurer}},
		Jobs: []module.Job{{Name: "linkage staging purge", Every: 5 * time.Minute,
			Run: func(ctx context.Context) error { _, err := s.PurgeDeclined(ctx); return err }},
			{Name: "linkage schedules", Every: time.Minute,
				Run: func(ctx context.Context) error { _, err := s.RunDue(ctx); return err }}},
	}
}
