package nhi

import (
	"context"
	"slices"
	"strconv"
	"time"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/store"
)

// redecide decides again, inside the transaction of a confirmed change
// that takes effect on on, the 70–74 cost share of households (R-NHI-3:
// "again on any change of household or income"), when any of them has a
// decision for the period on belongs to — a period nobody decided yet is
// left to the yearly decision or a clerk. It decides from on, and again
// from the start of each later decision of the period of these households,
// so that none decided before the change stays in force with the facts as
// they were; a decision alike the one in force is not recorded again, and
// nothing recorded is changed (the old decision stays as it was). A
// household without a 70–74 member left is not decided; one whose incomes
// are missing is recorded as a failed event of the household and the
// change still holds.
func (s *Service) redecide(ctx context.Context, tx *store.Tx, tenant string, on time.Time, households []int64, cause, detail string) error {
	var hhs []int64
	for _, hh := range households {
		if hh != 0 && !slices.Contains(hhs, hh) {
			hhs = append(hhs, hh)
		}
	}
	if len(hhs) == 0 {
		return nil
	}
	slices.Sort(hhs)
	e := tx.Engine()
	to, _ := period(on)
	args := []any{tenant, dateArg(e, to)}
	in := ""
	for i, hh := range hhs {
		if i > 0 {
			in += ", "
		}
		args = append(args, hh)
		in += "$" + strconv.Itoa(len(args))
	}
	starts, err := store.Rows(func(row store.Scanner) (time.Time, error) {
		var d time.Time
		err := row.Scan(&d)
		return dateOnly(d), err
	})(tx.Query(ctx, `SELECT DISTINCT period_from FROM nhi_cost_share_decisions WHERE tenant_code = $1 AND period_to = $2 AND household_id IN (`+in+`)
		ORDER BY period_from`, args...))
	if err != nil || len(starts) == 0 {
		return err
	}
	dates := []time.Time{on}
	for _, d := range starts {
		if d.After(on) {
			dates = append(dates, d)
		}
	}
	for _, d := range dates {
		outs, err := s.decideBatch(ctx, tx, tenant, d, hhs, true, cause, detail)
		if err != nil {
			return err
		}
		for _, o := range outs {
			fs := errs.Fields(o.err)
			if len(fs) == 0 || len(fs) == 1 && fs[0].Field == "household" {
				continue // decided, or no 70–74 member (or no household) left on the date
			}
			if err := audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: "nhi.cost_share", Outcome: audit.Failed,
				Subject: audit.Subject{Type: "nhi_household", ID: strconv.FormatInt(o.Household, 10)},
				Detail:  "cause=" + cause + " (" + detail + ") on=" + Date(d) + " " + audit.FailureDetail(o.err)}); err != nil {
				return err
			}
		}
	}
	return nil
}
