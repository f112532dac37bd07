package jpki

import (
	"context"
	"time"

	"bango/internal/access"
	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/module"
	"bango/internal/store"
)

// Module is what JPKI issuance adds to the engines: its right, held only
// by the resident-records section's window (access pattern
// resident-records-clerk), and the sweeper that destroys the work records
// a crash or an abandoned window left behind, at start and every minute
// (R-JPKI-2), and the sending of the register's changes to the CA, which
// revokes the signature certificates whose items changed (register.go).
func (s *Service) Module() module.Module {
	return module.Module{
		Name:        "jpki",
		Permissions: []access.Permission{access.JPKIIssue},
		Jobs: []module.Job{{Name: "jpki work-record sweeper", Every: time.Minute,
			Run: func(ctx context.Context) error { _, err := s.Sweep(ctx); return err }},
			{Name: "jpki register changes to the CA", Every: time.Minute,
				Run: func(ctx context.Context) error { _, err := s.SendRegisterChanges(ctx); return err }}},
	}
}

// Count is the section's issuances on one day.
type Count struct {
	Day    string `json:"day"`    // YYYY-MM-DD, in Japan
	Issued int    `json:"issued"` // certificates issued
}

// Time is the day as a date, for display.
func (c Count) Time() time.Time {
	t, _ := time.Parse(time.DateOnly, c.Day)
	return t
}

// IssuedOn counts the certificates issued in tenant on day (YYYY-MM-DD in
// Japan; "" for today), counted in the audit log, where each issuance is
// an event and nothing else of it is kept.
func (s *Service) IssuedOn(ctx context.Context, tenant, day string) (Count, error) {
	ctx = store.WithScope(ctx, tenant)
	if day == "" {
		day = s.now().In(jst).Format(time.DateOnly)
	}
	from, err := time.ParseInLocation(time.DateOnly, day, jst)
	if err != nil {
		var fe errs.FieldErrors
		fe.Add("day", errs.Message{JA: "日付を 2026-12-02 の形で入力してください", EN: "must be a date, as 2026-12-02"})
		return Count{}, fe.Err()
	}
	if _, err := audit.IndexForSearch(ctx, s.db); err != nil {
		return Count{}, err
	}
	n, err := audit.Count(ctx, s.db, audit.Query{Tenants: []string{tenant}, Action: "jpki.issue", Outcome: audit.OK, From: from, To: from.AddDate(0, 0, 1)})
	if err != nil {
		return Count{}, err
	}
	return Count{Day: day, Issued: n}, nil
}
