// Package mnhold keeps the minimum of My Numbers (R-STO-2): for each
// resident, which business holds the number and until when it needs it.
// A business holds a number from the day it receives it (Hold), and says
// when its need ends (End: the last day it needs it, retention included).
// The monthly run (Run) ends every hold whose last day has passed and, for
// a resident none of whose holds is left open, deletes the sealed number
// and its blind index from the resident, records the deletion for the
// report (Deletions) and as an audit event. A number another business
// still holds stays; a resident who never had a hold (a number kept by
// the resident registry itself) is not managed here and never deleted.
package mnhold

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"bango/internal/audit"
	"bango/internal/civil"
	"bango/internal/errs"
	"bango/internal/store"
)

// Hold records that business holds resident's My Number from since. A
// hold already open keeps its first day and is needed again (a new
// application after the need had ended); an ended one opens anew.
func Hold(ctx context.Context, tx *store.Tx, tenant, resident, business string, since time.Time) error {
	if business == "" || resident == "" {
		return errs.E(errs.Internal, "mnhold: a hold names its resident and business")
	}
	_, err := tx.Exec(ctx, `INSERT INTO mynumber_holds (tenant_code, resident_code, business, held_since) VALUES ($1, $2, $3, $4)
		ON CONFLICT (tenant_code, resident_code, business) DO UPDATE SET
		held_since = CASE WHEN mynumber_holds.ended_on IS NULL THEN mynumber_holds.held_since ELSE excluded.held_since END,
		needed_until = NULL, ended_on = NULL, retention_rule = '', retention_years = 0`, tenant, resident, business, store.DateArg(tx.Engine(), civil.DateOf(since)))
	if err != nil {
		return store.Translate(err)
	}
	return audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: "mynumber.hold", Subject: audit.Subject{Type: "resident", ID: resident},
		Outcome: audit.OK, Detail: "business=" + business + " since=" + civil.Format(since)})
}

// End says that business needs resident's My Number up to and including
// neededUntil (its use ended and the retention period counted, by the
// business's own reckoning: no rule is recorded). It reports whether there
// was an open hold to end; the number is deleted by the first Run after
// that day, unless another business holds it.
func End(ctx context.Context, tx *store.Tx, tenant, resident, business string, neededUntil time.Time) (bool, error) {
	return end(ctx, tx, tenant, resident, business, neededUntil, RetentionRule{})
}

// EndBy says that business's need of resident's My Number ended on ended
// and that rule's retention period follows it (R-STO-2): the hold is needed
// up to and including rule.NeededUntil(ended), and records the rule's
// version and period, which the run carries into its events, deletions and
// run record. Setting it is an event naming the rule (version, file,
// municipality or default, period). It reports whether there was an open
// hold to end.
func EndBy(ctx context.Context, tx *store.Tx, tenant, resident, business string, ended time.Time, rule RetentionRule) (bool, error) {
	if rule.Version == "" {
		return false, errs.E(errs.Internal, "mnhold: EndBy of %s without a retention rule", business)
	}
	until := rule.NeededUntil(civil.DateOf(ended))
	ok, err := end(ctx, tx, tenant, resident, business, until, rule)
	if err != nil || !ok {
		return ok, err
	}
	return true, audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: "mynumber.hold.retention", Subject: audit.Subject{Type: "resident", ID: resident},
		Outcome: audit.OK, Detail: "business=" + business + " need_ended=" + civil.Format(ended) + " needed_until=" + civil.Format(until) + " " + rule.Basis()})
}

func end(ctx context.Context, tx *store.Tx, tenant, resident, business string, neededUntil time.Time, rule RetentionRule) (bool, error) {
	res, err := tx.Exec(ctx, `UPDATE mynumber_holds SET needed_until = $1, retention_rule = $2, retention_years = $3 WHERE tenant_code = $4 AND resident_code = $5
		AND business = $6 AND ended_on IS NULL`, store.DateArg(tx.Engine(), civil.DateOf(neededUntil)), rule.Version, rule.Years, tenant, resident, business)
	if err != nil {
		return false, store.Translate(err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// Forgetter deletes a resident's sealed My Number and blind index inside
// tx (resident.Service does), saying whether there was one.
type Forgetter interface {
	ForgetMyNumber(ctx context.Context, tx *store.Tx, tenant, code, why string) (bool, error)
}

// Service runs the ends of holds and keeps their report.
type Service struct {
	db     *store.DB
	forget Forgetter
	now    func() time.Time
}

// New returns a Service deleting numbers through f.
func New(db *store.DB, f Forgetter) *Service {
	return &Service{db: db, forget: f, now: time.Now}
}

// SetClock replaces the clock, for tests.
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// Today is the date in Japan now.
func (s *Service) Today() time.Time { return civil.Today(s.now()) }

// RunResult is what one run did in one municipality.
type RunResult struct {
	Tenant  string    `json:"tenant"`
	Month   string    `json:"month"`
	Day     time.Time `json:"day"`
	Ended   int       `json:"ended"`   // holds ended
	Deleted int       `json:"deleted"` // numbers deleted
	// Rules are the retention rules behind the holds ended, as
	// "version:years(count)" ("none" for holds whose business set no rule).
	Rules string `json:"rules"`
}

// Run ends, in tenant on day today, every hold whose last needed day is
// before today, and deletes the number of each resident none of whose
// holds is left open — all in one transaction with an audit event for
// each hold ended and each number deleted. It records the run for the
// month. A day after the last needed day deletes; that day itself does
// not.
func (s *Service) Run(ctx context.Context, tenant string, today time.Time) (RunResult, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	today = civil.DateOf(today)
	out := RunResult{Tenant: tenant, Month: today.Format("2006-01"), Day: today}
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		out.Ended, out.Deleted = 0, 0
		day := store.DateArg(tx.Engine(), today)
		type due struct {
			resident, business, rule string
			years                    int
			until                    time.Time
		}
		holds, err := store.Rows(func(r store.Scanner) (due, error) {
			var d due
			return d, r.Scan(&d.resident, &d.business, &d.until, &d.rule, &d.years)
		})(tx.Query(ctx, `SELECT resident_code, business, needed_until, retention_rule, retention_years FROM mynumber_holds WHERE tenant_code = $1 AND ended_on IS NULL
			AND needed_until IS NOT NULL AND needed_until < $2 ORDER BY resident_code, business`, tenant, day))
		if err != nil {
			return store.Translate(err)
		}
		if len(holds) > 0 {
			if _, err := tx.Exec(ctx, `UPDATE mynumber_holds SET ended_on = $2 WHERE tenant_code = $1 AND ended_on IS NULL
				AND needed_until IS NOT NULL AND needed_until < $2`, tenant, day); err != nil {
				return store.Translate(err)
			}
		}
		events := make([]audit.Event, 0, len(holds))
		type person struct {
			businesses, rules []string
			until             time.Time
		}
		byResident := map[string]*person{}
		var order []string
		rules := map[string]int{}
		for _, h := range holds {
			rule := "none"
			if h.rule != "" {
				rule = h.rule + ":" + strconv.Itoa(h.years) + "y"
			}
			rules[rule]++
			events = append(events, audit.Event{Tenant: tenant, Action: "mynumber.hold.end", Subject: audit.Subject{Type: "resident", ID: h.resident},
				Outcome: audit.OK, Detail: "business=" + h.business + " needed_until=" + civil.Format(h.until) + " rule=" + rule})
			p := byResident[h.resident]
			if p == nil {
				p = &person{}
				byResident[h.resident] = p
				order = append(order, h.resident)
			}
			p.businesses = append(p.businesses, h.business)
			p.rules = append(p.rules, h.business+"="+rule)
			if u := civil.DateOf(h.until); u.After(p.until) {
				p.until = u
			}
		}
		if err := audit.RecordMany(ctx, tx, events...); err != nil {
			return err
		}
		out.Ended = len(holds)
		var used []string
		for r, n := range rules {
			used = append(used, r+"("+strconv.Itoa(n)+")")
		}
		slices.Sort(used)
		out.Rules = strings.Join(used, ",")
		for _, code := range order {
			var open int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM mynumber_holds WHERE tenant_code = $1 AND resident_code = $2 AND ended_on IS NULL`,
				tenant, code).Scan(&open); err != nil {
				return store.Translate(err)
			}
			if open > 0 {
				continue // another business still needs it
			}
			p := byResident[code]
			deleted, err := s.forget.ForgetMyNumber(ctx, tx, tenant, code, "reason=no_business_holds_it ended="+strings.Join(p.businesses, ",")+
				" needed_until="+civil.Format(p.until))
			if err != nil {
				return err
			}
			if !deleted {
				continue
			}
			if _, err := tx.Exec(ctx, `INSERT INTO mynumber_deletions (tenant_code, resident_code, businesses, needed_until, deleted_on, deleted_at, deleted_by,
				retention_rules) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, tenant, code, strings.Join(p.businesses, ","), store.DateArg(tx.Engine(), p.until), day,
				s.now().UTC(), actorOf(ctx), strings.Join(p.rules, ",")); err != nil {
				return store.Translate(err)
			}
			out.Deleted++
		}
		if _, err := tx.Exec(ctx, `INSERT INTO mynumber_hold_runs (tenant_code, month, ran_at, ended, deleted, rules) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (tenant_code, month) DO UPDATE SET ran_at = excluded.ran_at, ended = mynumber_hold_runs.ended + excluded.ended,
			deleted = mynumber_hold_runs.deleted + excluded.deleted,
			rules = CASE WHEN excluded.rules = '' THEN mynumber_hold_runs.rules WHEN mynumber_hold_runs.rules = '' THEN excluded.rules
				ELSE mynumber_hold_runs.rules || ';' || excluded.rules END`, tenant, out.Month, s.now().UTC(), out.Ended, out.Deleted, out.Rules); err != nil {
			return store.Translate(err)
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: "mynumber.hold.run", Subject: audit.Subject{Type: "mynumber_holds", ID: out.Month},
			Outcome: audit.OK, Detail: "day=" + civil.Format(today) + " ended=" + strconv.Itoa(out.Ended) + " deleted=" + strconv.Itoa(out.Deleted) + " rules=" + out.Rules})
	})
	return out, err
}

// RanIn says whether tenant's run of the month of today was made.
func (s *Service) RanIn(ctx context.Context, tenant string, today time.Time) (bool, error) {
	var n int
	err := s.db.ReadIn(ctx, tenant, func(q store.Querier) error {
		return q.QueryRow(ctx, `SELECT count(*) FROM mynumber_hold_runs WHERE tenant_code = $1 AND month = $2`, tenant, today.Format("2006-01")).Scan(&n)
	})
	return n > 0, err
}

// Deletion is one number deleted, for the report.
type Deletion struct {
	ID          int64     `json:"id"`
	Resident    string    `json:"resident_code"`
	Businesses  []string  `json:"businesses"`
	NeededUntil time.Time `json:"needed_until"`
	DeletedOn   time.Time `json:"deleted_on"`
	DeletedBy   string    `json:"deleted_by"`
	// Rules are the retention rules of the holds that ended, as
	// "business=version:years" ("none" when the business set no rule).
	Rules string `json:"retention_rules"`
}

// Deletions lists tenant's deleted numbers, the latest first, a page at a
// time; the list is an audit event.
func (s *Service) Deletions(ctx context.Context, tenant, cursor string, limit int) (store.Page[Deletion], error) {
	ctx = store.WithScope(ctx, tenant)
	limit = store.Limit(limit)
	var page store.Page[Deletion]
	var after int64
	if ok, err := store.DecodeCursor(cursor, "mnhold.deletions", &after); err != nil {
		return page, err
	} else if !ok {
		after = 1<<62 - 1
	}
	err := s.db.Read(ctx, func(q store.Querier) error {
		rows, err := store.Rows(func(r store.Scanner) (Deletion, error) {
			var d Deletion
			var b string
			err := r.Scan(&d.ID, &d.Resident, &b, &d.NeededUntil, &d.DeletedOn, &d.DeletedBy, &d.Rules)
			d.Businesses, d.NeededUntil, d.DeletedOn = strings.Split(b, ","), civil.DateOf(d.NeededUntil), civil.DateOf(d.DeletedOn)
			return d, err
		})(q.Query(ctx, `SELECT id, resident_code, businesses, needed_until, deleted_on, deleted_by, retention_rules FROM mynumber_deletions
			WHERE tenant_code = $1 AND id < $2 ORDER BY id DESC LIMIT $3`, tenant, after, limit+1))
		page = store.PageOf(rows, limit, "mnhold.deletions", func(d Deletion) []any { return []any{d.ID} })
		return err
	})
	if err != nil {
		return page, err
	}
	return page, audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: "mynumber.deletion.list", Subject: audit.Subject{Type: "mynumber_deletions", ID: tenant},
		Outcome: audit.OK, Detail: "shown=" + strconv.Itoa(len(page.Items))})
}

// Runs lists tenant's monthly runs, the latest first (at most 24).
func (s *Service) Runs(ctx context.Context, tenant string) ([]RunResult, error) {
	var out []RunResult
	err := s.db.ReadIn(ctx, tenant, func(q store.Querier) (err error) {
		out, err = store.Rows(func(r store.Scanner) (RunResult, error) {
			x := RunResult{Tenant: tenant}
			err := r.Scan(&x.Month, &x.Day, &x.Ended, &x.Deleted, &x.Rules)
			x.Day = x.Day.In(civil.JST)
			return x, err
		})(q.Query(ctx, `SELECT month, ran_at, ended, deleted, rules FROM mynumber_hold_runs WHERE tenant_code = $1 ORDER BY month DESC LIMIT 24`, tenant))
		return err
	})
	if out == nil {
		out = []RunResult{}
	}
	return out, err
}

// Held lists the businesses that hold resident's number now (open holds).
func (s *Service) Held(ctx context.Context, tenant, resident string) ([]string, error) {
	var out []string
	err := s.db.ReadIn(ctx, tenant, func(q store.Querier) (err error) {
		out, err = store.Rows(func(r store.Scanner) (string, error) {
			var b string
			return b, r.Scan(&b)
		})(q.Query(ctx, `SELECT business FROM mynumber_holds WHERE tenant_code = $1 AND resident_code = $2 AND ended_on IS NULL ORDER BY business`,
			tenant, resident))
		return err
	})
	return out, err
}

func actorOf(ctx context.Context) string {
	a, _ := audit.ActorFrom(ctx)
	if a.User == "" {
		return "system"
	}
	return a.User
}
