package resident

import (
	"context"
	"time"

	"golang.org/x/text/unicode/norm"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/store"
)

// Kinds of departure: a resident who is no longer one of the
// municipality's, the record kept.
const (
	MovedOut = "moved_out" // 転出, 職権消除
	Deceased = "deceased"  // 死亡
)

// Departure says since when, and why, a resident is no longer a resident
// of the municipality (resident_departures; the resident-records system's
// differences record it, internal/linkage).
type Departure struct {
	Kind      string    `json:"kind"`
	Effective time.Time `json:"effective"`
	Source    string    `json:"source"`
}

// Departure returns code's departure, and false when the resident has
// not left. Reading it is recorded.
func (s *Service) Departure(ctx context.Context, tenant, code string) (Departure, bool, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	var d Departure
	err := s.db.ReadRow(ctx, `SELECT kind, effective, source FROM resident_departures WHERE tenant_code = $1 AND resident_code = $2`,
		tenant, code).Scan(&d.Kind, &d.Effective, &d.Source)
	found := true
	if err = store.ScanErr(err, "departure"); errs.Is(err, errs.NotFound) {
		found, err = false, nil
	}
	if err != nil {
		return Departure{}, false, err
	}
	d.Effective = d.Effective.UTC()
	detail := "departed=no"
	if found {
		detail = "departed=" + d.Kind
	}
	return d, found, audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: "resident.departure.read",
		Subject: audit.Subject{Type: "resident", ID: code}, Outcome: audit.OK, Detail: detail})
}

// NormalizeKana is a reading as the register keeps it: full-width
// katakana with full-width spaces, half-width kana (ｶﾞ) and hiragana
// turned into it.
func NormalizeKana(s string) string {
	return normalizeKana(norm.NFKC.String(s))
}
