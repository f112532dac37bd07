package resident

import (
	"context"
	"encoding/hex"
	"strconv"

	"bango/internal/audit"
	"bango/internal/store"
)

// AccessReport is every event about one resident, for a disclosure
// request or an audit (R-AUD-4): who did what, when and why.
type AccessReport struct {
	Tenant   string
	Resident Resident
	Events   []audit.Event
	Reveals  int  // reveals of their My Number among Events
	More     bool // more than the report's limit; Events holds the newest
}

// ReportLimit bounds one access report.
const ReportLimit = 10000

// AccessReport gathers the placed events touching resident code of
// tenant, by their code and by their My Number's blind index, newest
// first; the report itself is an event. The caller has checked that the
// reader may read tenant's audit log.
func (s *Service) AccessReport(ctx context.Context, tenant, code string) (AccessReport, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	res, err := s.Get(ctx, tenant, code)
	if err != nil {
		return AccessReport{}, err
	}
	q := audit.Query{Tenants: []string{tenant}, Subjects: []audit.Subject{{Type: "resident", ID: code}}}
	idx, err := s.BlindIndexOf(ctx, tenant, code)
	if err != nil {
		return AccessReport{}, err
	}
	if idx != nil {
		q.Subjects = append(q.Subjects, audit.Subject{Type: "mynumber", ID: hex.EncodeToString(idx)})
	}
	rep := AccessReport{Tenant: tenant, Resident: res}
	if rep.Events, rep.More, err = audit.Collect(ctx, s.db, q, ReportLimit); err != nil {
		return AccessReport{}, err
	}
	for _, e := range rep.Events {
		if e.Action == "mynumber.reveal" && e.Outcome == audit.OK {
			rep.Reveals++
		}
	}
	err = audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: "audit.access_report",
		Subject: audit.Subject{Type: "resident", ID: code}, Outcome: audit.OK, Detail: "events=" + strconv.Itoa(len(rep.Events))})
	return rep, err
}
