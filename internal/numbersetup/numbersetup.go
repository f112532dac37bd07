// Package numbersetup gives the people a business already holds — public-
// expense recipients, NHI insured persons — their My Number from a
// registry extract (住基ネット 本人確認情報) through a candidate work table
// (マイナンバー設定候補者) (R-PUB-2, R-WAU-2). The file is a layout of the
// linkage engine (internal/linkage/layouts/mynumber-registry.v1.json),
// parsed and checked whole by it: any malformed row, a bad check digit
// (R-ACC-2), an undefined column, a bad date, a wrong header or a row of
// another municipality rejects the whole file with its report, and nothing
// is stored. Each row of a good file is matched against the business's
// people without a number by the basic four items (R-ACC-3): an exact match
// waits for a checker's confirmation through the maker–checker engine; no
// match, two candidates, one item different and a number another person
// already holds go to a work list for staff to resolve or discard. The
// number is sealed by the vault with a blind index, never kept in clear;
// confirmation registers it through the resident's own path
// (resident.Service.SetMyNumberConfirmed), audited with the resident as
// subject; closing the setup deletes the work table's rows and the sealed
// numbers with them. docs/numbersetup.md is the user's description.
package numbersetup

import (
	"context"
	"log/slog"
	"sort"
	"time"

	"bango/internal/access"
	"bango/internal/errs"
	"bango/internal/linkage"
	"bango/internal/module"
	"bango/internal/resident"
	"bango/internal/review"
	"bango/internal/store"
	"bango/internal/vault"
)

// LayoutName is the linkage layout of the registry extract.
const LayoutName = "mynumber-registry"

// KindConfirm is the maker–checker kind of candidates waiting for a
// checker's confirmation.
const KindConfirm = "numbersetup.confirm"

// Person is one of a business's people without a My Number, by the basic
// four items of the resident record.
type Person struct {
	Code    string // resident code (宛名番号)
	Name    string
	Birth   time.Time
	Sex     string // 1 male, 2 female
	Address string
}

// Business is a business that holds people who may lack a My Number. It
// names them; the resident record holds the number.
type Business interface {
	// Name is the business's identifier: pubmed, nhi.
	Name() string
	Title() errs.Message
	// People calls fn for every person of the business in tenant who has
	// no My Number registered, streamed.
	People(ctx context.Context, q store.Querier, tenant string, fn func(Person) error) error
	// Holds reports whether code is a person of the business in tenant
	// without a My Number.
	Holds(ctx context.Context, q store.Querier, tenant, code string) (bool, error)
}

// Outcomes of a row's matching.
const (
	Exact    = "exact"    // one person with all four items equal
	NoMatch  = "no_match" // nobody with all four, nor with three of them
	Multiple = "multiple" // two candidates or more
	OneDiff  = "one_diff" // one person with three of the four items equal
	Held     = "held"     // the number is held by another person already
)

// Outcomes lists them in the order the screens count them.
var Outcomes = []string{Exact, NoMatch, Multiple, OneDiff, Held}

// Statuses of a candidate.
const (
	Open      = "open"      // on the work list
	Submitted = "submitted" // waits for a checker's confirmation
	Applied   = "applied"   // the number is registered; the sealed copy is gone
	Discarded = "discarded" // staff discarded it; the sealed copy is gone
	Failed    = "failed"    // the confirmation could not register it (see note)
)

// Service runs setups of one database.
type Service struct {
	db         *store.DB
	vault      *vault.Vault
	residents  *resident.Service
	reviews    *review.Service
	log        *slog.Logger
	now        func() time.Time
	maxBytes   int64
	businesses map[string]Business
	timing     func(phase string, took time.Duration)
}

// NewService returns a Service that registers numbers through residents
// and holds candidates for confirmation in reviews.
func NewService(db *store.DB, v *vault.Vault, residents *resident.Service, reviews *review.Service, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{db: db, vault: v, residents: residents, reviews: reviews, log: log, now: time.Now,
		maxBytes: linkage.DefaultMaxBytes, businesses: map[string]Business{}}
}

// AddBusiness makes b's people the ones a setup for b.Name() matches.
func (s *Service) AddBusiness(b Business) { s.businesses[b.Name()] = b }

// Businesses lists the businesses a setup may be for, by name.
func (s *Service) Businesses() []Business {
	out := make([]Business, 0, len(s.businesses))
	for _, b := range s.businesses {
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out
}

// SetClock replaces the clock, for tests.
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// SetTiming has each import tell fn how long its phases took (the people
// copied, their exact keys counted, each chunk copied and written, the
// end), for bango bench setup.
func (s *Service) SetTiming(fn func(phase string, took time.Duration)) { s.timing = fn }

// timed tells the timing hook that phase took since *start, and moves
// *start to now.
func (s *Service) timed(phase string, start *time.Time) {
	if s.timing == nil {
		return
	}
	now := time.Now()
	s.timing(phase, now.Sub(*start))
	*start = now
}

// took tells the timing hook that phase took since start (phases timed
// piecewise add up).
func (s *Service) took(phase string, start time.Time) {
	if s.timing != nil {
		s.timing(phase, time.Since(start))
	}
}

// SetMaxBytes sets the largest file an import reads.
func (s *Service) SetMaxBytes(n int64) { s.maxBytes = n }

// Module is what the setup adds to the engines: the right its screens
// check (keying My Numbers into bango is mynumber.enter) and the kind of
// change a checker confirms.
func (s *Service) Module() module.Module {
	return module.Module{
		Name:        "numbersetup",
		Permissions: []access.Permission{access.MyNumberEnter},
		Reviews:     []module.Review{{Kind: KindConfirm, Apply: s.ApplyConfirmed, Rejected: s.Returned}},
	}
}
