package audit

import (
	"context"
	"strconv"
	"time"

	"bango/internal/store"
)

// The auditors' uses of the search (R-AUD-2): each brings the index up to
// the tree first, and each search, export and report is itself an event,
// recorded here so that no screen or API can search without leaving one.

// Find brings the search index up to the tree, then returns one page of q.
func Find(ctx context.Context, db *store.DB, q Query) (Page, error) {
	if _, err := IndexForSearch(ctx, db); err != nil {
		return Page{}, err
	}
	return Search(ctx, db, q)
}

// SearchRecorded is Find recorded as an event of action (audit.search,
// audit.api_search …), with what was asked — a My Number as its blind
// index — and how much was found.
func SearchRecorded(ctx context.Context, db *store.DB, q Query, action string) (Page, error) {
	p, err := Find(ctx, db, q)
	if err != nil {
		return p, err
	}
	err = RecordAlone(ctx, db, Event{Tenant: oneTenant(q), Action: action, Subject: Subject{Type: "audit_query"}, Outcome: OK,
		Detail: q.Describe() + " found=" + strconv.Itoa(len(p.Events))})
	return p, err
}

// Collect returns up to max events of q, newest first, page by page; more
// reports whether there were more than max.
func Collect(ctx context.Context, db *store.DB, q Query, max int) (events []Event, more bool, err error) {
	q.Limit, q.Before = MaxPage, 0
	for {
		p, err := Find(ctx, db, q)
		if err != nil {
			return nil, false, err
		}
		events = append(events, p.Events...)
		if len(events) > max {
			return events[:max], true, nil
		}
		if p.Next == 0 {
			return events, false, nil
		}
		q.Before = p.Next
	}
}

// Export collects up to max events of q for a file, recorded as an
// audit.export event with the number of rows.
func Export(ctx context.Context, db *store.DB, q Query, max int) ([]Event, error) {
	events, _, err := Collect(ctx, db, q, max)
	if err != nil {
		return nil, err
	}
	err = RecordAlone(ctx, db, Event{Tenant: oneTenant(q), Action: "audit.export", Subject: Subject{Type: "audit_query"}, Outcome: OK,
		Detail: q.Describe() + " rows=" + strconv.Itoa(len(events))})
	return events, err
}

// CountAction counts the placed events of action in tenant from from to
// to (exclusive), however many: a period's review signs off on the count,
// not on a list cut at a page. It reads in tenant's scope (R-AC-6).
func CountAction(ctx context.Context, db *store.DB, tenant, action string, from, to time.Time) (int, error) {
	if _, err := IndexForSearch(ctx, db); err != nil {
		return 0, err
	}
	return Count(ctx, db, Query{Tenants: []string{tenant}, Action: action, From: from, To: to})
}

// oneTenant is the municipality an event about q belongs to: the one q
// searches, if only one.
func oneTenant(q Query) string {
	if !q.AllTenants && len(q.Tenants) == 1 {
		return q.Tenants[0]
	}
	return ""
}
