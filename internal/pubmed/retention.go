package pubmed

import (
	"context"
	"database/sql"
	"time"

	"bango/internal/civil"
	"bango/internal/mnhold"
	"bango/internal/store"
)

// Minimum holding (R-STO-2): a My Number taken on an application is held
// for the business (Business) while the recipient has a certificate in
// force or an application awaiting its decision, and for the retention
// period after the last certificate ended (or the last application was
// rejected); then the monthly run ends the hold, and deletes the number
// unless another business still holds it (internal/mnhold).

// RetentionResult is what one retention run did in one municipality.
type RetentionResult struct {
	mnhold.RunResult
	Needed int `json:"needed"` // holds still needed (a certificate in force or an application awaiting)
	Ending int `json:"ending"` // holds whose need has ended
	// Set counts, by retention rule version, the holds whose last needed
	// day this run set (or changed).
	Set map[string]int `json:"set"`
}

// Retain sets, in tenant on day today, the last needed day of each of the
// business's open holds from the recipient's certificates and
// applications — by the retention rule of tenant in force on the day the
// need ended (its own, else the business's default), recorded on the hold
// and in an event (mnhold.EndBy) — and runs the ends of holds
// (mnhold.Service.Run), whose events and run record name the rules.
func (s *Service) Retain(ctx context.Context, tenant string, today time.Time) (RetentionResult, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	today = civil.DateOf(today)
	var out RetentionResult
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		out = RetentionResult{Set: map[string]int{}}
		type hold struct {
			until time.Time // zero: still needed
			rule  string    // the retention rule that set until
			last  time.Time
			since time.Time
			busy  bool
		}
		holds := map[string]*hold{}
		rows, err := tx.Query(ctx, `SELECT resident_code, held_since, needed_until, retention_rule FROM mynumber_holds WHERE tenant_code = $1 AND business = $2
			AND ended_on IS NULL`, tenant, Business)
		if err != nil {
			return store.Translate(err)
		}
		for rows.Next() {
			var code, rule string
			var since time.Time
			var until sql.NullTime
			if err := rows.Scan(&code, &since, &until, &rule); err != nil {
				rows.Close()
				return err
			}
			h := &hold{since: civil.DateOf(since), last: civil.DateOf(since), rule: rule}
			if until.Valid {
				h.until = civil.DateOf(until.Time)
			}
			holds[code] = h
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if len(holds) == 0 {
			return nil
		}
		// The last day of every certificate, and the applications not yet
		// approved, read once for the municipality.
		rows, err = tx.Query(ctx, `SELECT resident_code, valid_until, ended_on FROM pubmed_certificates WHERE tenant_code = $1`, tenant)
		if err != nil {
			return store.Translate(err)
		}
		for rows.Next() {
			var code string
			var until time.Time
			var ended sql.NullTime
			if err := rows.Scan(&code, &until, &ended); err != nil {
				rows.Close()
				return err
			}
			h := holds[code]
			if h == nil {
				continue
			}
			end := civil.DateOf(until)
			if ended.Valid {
				end = civil.DateOf(ended.Time)
			}
			if end.After(h.last) {
				h.last = end
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT resident_code, status, decided_at FROM pubmed_applications WHERE tenant_code = $1 AND status <> 'approved'`, tenant)
		if err != nil {
			return store.Translate(err)
		}
		for rows.Next() {
			var code, status string
			var decided sql.NullTime
			if err := rows.Scan(&code, &status, &decided); err != nil {
				rows.Close()
				return err
			}
			h := holds[code]
			switch {
			case h == nil:
			case status == StatusReceived:
				h.busy = true
			case decided.Valid:
				if d := civil.Today(decided.Time); d.After(h.last) {
					h.last = d
				}
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
		for code, h := range holds {
			if h.busy || !h.last.Before(today) {
				out.Needed++
				if !h.until.IsZero() { // needed again: a new certificate or application
					if err := mnhold.Hold(ctx, tx, tenant, code, Business, h.since); err != nil {
						return err
					}
				}
				continue
			}
			out.Ending++
			rule, ok := s.retention.For(Business, tenant, h.last)
			if !ok { // no period in force then: kept, never deleted by guess
				out.Needed++
				continue
			}
			if rule.NeededUntil(h.last).Equal(h.until) && rule.Version == h.rule {
				continue
			}
			if _, err := mnhold.EndBy(ctx, tx, tenant, code, Business, h.last, rule); err != nil {
				return err
			}
			out.Set[rule.Version]++
		}
		return nil
	})
	if err != nil {
		return out, err
	}
	run, err := s.holds.Run(ctx, tenant, today)
	out.RunResult = run
	return out, err
}

// RetainAll is the monthly job: in every municipality where the business
// holds a number and this month's run was not made, Retain.
func (s *Service) RetainAll(ctx context.Context) error {
	all := store.WithScope(ctx, store.AllTenants) // system work over every municipality
	var tenants []string
	err := s.db.Read(all, func(q store.Querier) (err error) {
		tenants, err = store.Rows(func(r store.Scanner) (string, error) {
			var t string
			return t, r.Scan(&t)
		})(q.Query(all, `SELECT DISTINCT tenant_code FROM mynumber_holds WHERE business = $1 ORDER BY tenant_code`, Business))
		return err
	})
	if err != nil {
		return err
	}
	today := s.today()
	for _, t := range tenants {
		ran, err := s.holds.RanIn(ctx, t, today)
		if err != nil {
			return err
		}
		if ran {
			continue
		}
		if _, err := s.Retain(ctx, t, today); err != nil {
			return err
		}
	}
	return nil
}
