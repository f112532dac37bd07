package nhi

import (
	"context"
	"database/sql"
	"slices"
	"strconv"
	"time"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/store"
)

// Turning 70 inside a period (R-NHI-3): the 70–74 cost share applies from
// the first of the month after the 70th birthday (Elderly70From), so a
// member who reaches it after 1 August is not counted by the yearly
// decision of that period. The daily job decides the member's household
// from that day — a first decision when the household had none in the
// period (its first member aged 70–74), otherwise a re-decision that now
// counts the member — and again from each later decision's start in the
// period, so that none made before stays in force without them. Each
// person's day is recorded in nhi_age70_decisions with its outcome, so a
// rerun decides nothing twice.

// Outcomes of the turning-70 decision of one person.
const (
	Age70Decided     = "decided"      // a decision from the day was recorded
	Age70Unchanged   = "unchanged"    // the decision in force already counted the person alike
	Age70Refused     = "refused"      // figures missing: a failed event of the household names them
	Age70NotInsured  = "not_insured"  // not insured on the day
	Age70NoHousehold = "no_household" // insured but in no household on the day
)

// age70Due is a person whose cost share starts on a day not yet handled.
type age70Due struct {
	tenant, code string
	from         time.Time
}

// ApplyDueAge70 decides, in every municipality, the cost share of the
// households of insured persons whose 70–74 cost share started between the
// start of the current period (1 August) and today and who were not yet
// handled, and returns how many persons it handled. Running it again
// handles nobody twice.
func (s *Service) ApplyDueAge70(ctx context.Context) (int, error) {
	all := store.WithScope(ctx, store.AllTenants) // system work over every municipality
	today := s.today()
	to, _ := period(today)
	periodStart := date(to.Year()-1, time.August, 1)
	e := s.db.Engine()
	var list []age70Due
	err := s.db.Read(all, func(q store.Querier) error {
		// Born so that the cost share can start in [periodStart, today]:
		// Elderly70From checks each exactly.
		rows, err := store.Rows(func(row store.Scanner) (age70Due, error) {
			var d age70Due
			var birth time.Time
			err := row.Scan(&d.tenant, &d.code, &birth)
			d.from = Elderly70From(dateOnly(birth))
			return d, err
		})(q.Query(all, `SELECT i.tenant_code, i.resident_code, r.birth_date FROM nhi_insured i
			JOIN residents r ON r.tenant_code = i.tenant_code AND r.code = i.resident_code
			WHERE r.birth_date > $1 AND r.birth_date <= $2 ORDER BY i.tenant_code, i.resident_code`,
			dateArg(e, periodStart.AddDate(-70, -2, 0)), dateArg(e, today.AddDate(-70, 0, 1))))
		if err != nil {
			return err
		}
		for _, d := range rows {
			if d.from.Before(periodStart) || d.from.After(today) {
				continue
			}
			var n int
			if err := q.QueryRow(all, `SELECT count(*) FROM nhi_age70_decisions WHERE tenant_code = $1 AND resident_code = $2 AND elderly_from = $3`,
				d.tenant, d.code, dateArg(e, d.from)).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				list = append(list, d)
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	slices.SortStableFunc(list, func(a, b age70Due) int { return a.from.Compare(b.from) })
	handled := 0
	for _, d := range list {
		var done bool
		err := s.db.TransactIn(ctx, d.tenant, func(tx *store.Tx) (err error) {
			done, err = s.decideAge70(ctx, tx, d)
			return err
		})
		if err != nil {
			return handled, err
		}
		if done {
			handled++
		}
	}
	return handled, nil
}

// decideAge70 handles one person inside tx: false when another run
// handled them meanwhile.
func (s *Service) decideAge70(ctx context.Context, tx *store.Tx, d age70Due) (bool, error) {
	if err := lockTenant(ctx, tx, d.tenant); err != nil {
		return false, err
	}
	e := tx.Engine()
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM nhi_age70_decisions WHERE tenant_code = $1 AND resident_code = $2 AND elderly_from = $3`,
		d.tenant, d.code, dateArg(e, d.from)).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	evs, err := personEvents(ctx, tx, d.tenant, d.code)
	if err != nil {
		return false, err
	}
	insured := false
	for _, p := range periods(evs) {
		insured = insured || p.covers(d.from)
	}
	var hh int64
	outcome, detail := Age70NotInsured, ""
	if insured {
		if hh, err = membershipOn(ctx, tx, e, d.tenant, d.code, d.from); err != nil {
			return false, err
		}
		outcome = Age70NoHousehold
	}
	if hh != 0 {
		cause := "member " + d.code + " aged 70–74 from " + Date(d.from)
		to, _ := period(d.from)
		later, err := store.Rows(func(row store.Scanner) (time.Time, error) {
			var t time.Time
			err := row.Scan(&t)
			return dateOnly(t), err
		})(tx.Query(ctx, `SELECT DISTINCT period_from FROM nhi_cost_share_decisions WHERE tenant_code = $1 AND household_id = $2 AND period_to = $3
			AND period_from > $4 ORDER BY period_from`, d.tenant, hh, dateArg(e, to), dateArg(e, d.from)))
		if err != nil {
			return false, err
		}
		for i, on := range append([]time.Time{d.from}, later...) {
			outs, err := s.decideBatch(ctx, tx, d.tenant, on, []int64{hh}, true, CauseHousehold, cause)
			if err != nil {
				return false, err
			}
			o := outs[0]
			if o.err != nil {
				if err := audit.Record(ctx, tx, audit.Event{Tenant: d.tenant, Action: "nhi.cost_share", Outcome: audit.Failed,
					Subject: audit.Subject{Type: "nhi_household", ID: strconv.FormatInt(hh, 10)},
					Detail:  "cause=" + CauseHousehold + " (" + cause + ") on=" + Date(on) + " " + audit.FailureDetail(o.err)}); err != nil {
					return false, err
				}
			}
			if i > 0 {
				continue
			}
			switch {
			case o.err != nil:
				outcome = Age70Refused
				for _, f := range errs.Fields(o.err) {
					detail += f.Field + ": " + f.Reason.JA + "。"
				}
			case o.recorded:
				outcome, detail = Age70Decided, "ratio="+strconv.Itoa(o.Ratio)+" rule="+o.Rule
			default:
				outcome, detail = Age70Unchanged, "ratio="+strconv.Itoa(o.Ratio)+" rule="+o.Rule
			}
		}
	}
	var household any
	if hh != 0 {
		household = hh
	}
	_, err = tx.Exec(ctx, `INSERT INTO nhi_age70_decisions (tenant_code, resident_code, elderly_from, household_id, outcome, detail, recorded_at, recorded_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, d.tenant, d.code, dateArg(e, d.from), household, outcome, detail, s.now().UTC(), actorOf(ctx))
	return err == nil, store.Translate(err)
}

// Age70Outcome is what the daily job recorded for a person turning 70 on
// the first day of their cost share: one of the Age70 outcomes, or "" when
// not handled (yet).
func (s *Service) Age70Outcome(ctx context.Context, tenant, code string, from time.Time) (string, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	var outcome string
	err := s.db.Read(ctx, func(q store.Querier) error {
		err := q.QueryRow(ctx, `SELECT outcome FROM nhi_age70_decisions WHERE tenant_code = $1 AND resident_code = $2 AND elderly_from = $3`,
			tenant, code, dateArg(s.db.Engine(), from)).Scan(&outcome)
		if err == sql.ErrNoRows {
			return nil
		}
		return store.Translate(err)
	})
	return outcome, err
}
