package resident

import (
	"context"
	"encoding/hex"
	"strconv"
	"time"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/store"
)

// AccessReport is every event about one resident, for a disclosure
// request or an audit (R-AUD-4): who did what, when and why.
type AccessReport struct {
	Tenant   string
	Resident Resident
	Period   Period // as asked; the zero Period is every recorded event
	Events   []audit.Event
	Reveals  int       // reveals of their My Number among Events
	Oldest   time.Time // the oldest of Events; zero when there are none
	Newest   time.Time // the newest of Events
	More     bool      // more than the report's limit; Events holds the newest
}

// Period bounds a report to the events from From up to To, To excluded;
// a zero end leaves that side open.
type Period struct {
	From, To time.Time
}

// ReportLimit bounds one access report.
const ReportLimit = 10000

// AccessReport gathers the placed events of period touching resident code
// of tenant, by their code and by their My Number's blind index, newest
// first; the report itself is an event. The caller has checked that the
// reader may read tenant's audit log.
func (s *Service) AccessReport(ctx context.Context, tenant, code string, period Period) (AccessReport, error) {
	if !period.From.IsZero() && !period.To.IsZero() && !period.From.Before(period.To) {
		var fe errs.FieldErrors
		fe.Add("to", errs.Message{JA: "終了日は開始日と同じか、それより後の日にしてください", EN: "must be the start date or later"})
		return AccessReport{}, fe.Err()
	}
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	res, err := s.Get(ctx, tenant, code)
	if err != nil {
		return AccessReport{}, err
	}
	q := audit.Query{Tenants: []string{tenant}, Subjects: []audit.Subject{{Type: "resident", ID: code}}, From: period.From, To: period.To}
	idx, err := s.BlindIndexOf(ctx, tenant, code)
	if err != nil {
		return AccessReport{}, err
	}
	if idx != nil {
		q.Subjects = append(q.Subjects, audit.Subject{Type: "mynumber", ID: hex.EncodeToString(idx)})
	}
	rep := AccessReport{Tenant: tenant, Resident: res, Period: period}
	if rep.Events, rep.More, err = audit.Collect(ctx, s.db, q, ReportLimit); err != nil {
		return AccessReport{}, err
	}
	for _, e := range rep.Events {
		if e.Action == "mynumber.reveal" && e.Outcome == audit.OK {
			rep.Reveals++
		}
		if rep.Oldest.IsZero() || e.Time.Before(rep.Oldest) {
			rep.Oldest = e.Time
		}
		if e.Time.After(rep.Newest) {
			rep.Newest = e.Time
		}
	}
	detail := "events=" + strconv.Itoa(len(rep.Events))
	if !period.From.IsZero() {
		detail += " from=" + period.From.UTC().Format(time.RFC3339)
	}
	if !period.To.IsZero() {
		detail += " to=" + period.To.UTC().Format(time.RFC3339)
	}
	err = audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: "audit.access_report",
		Subject: audit.Subject{Type: "resident", ID: code}, Outcome: audit.OK, Detail: detail})
	return rep, err
}
