package nhi

import (
	"context"
	"strconv"
	"time"

	"bango/internal/access"
	"bango/internal/audit"
	"bango/internal/module"
	"bango/internal/store"
)

// Module is what NHI eligibility adds to the engines: its rights, its
// kinds of entry a checker confirms (R-ACC-1), and the jobs that apply
// the loss at the 75th birthday and decide the cost share from the first
// day of a member's 70–74 cost share.
func (s *Service) Module() module.Module {
	return module.Module{
		Name:        "nhi",
		Permissions: []access.Permission{access.NHIRead, access.NHIWrite, access.NHIAdmin},
		Reviews: []module.Review{
			{Kind: KindAcquire, Apply: s.ApplyAcquisition},
			{Kind: KindLoss, Apply: s.ApplyLoss},
			{Kind: KindHousehold, Apply: s.ApplyHouseholdChange},
			{Kind: KindEstablish, Apply: s.ApplyHousehold},
			{Kind: KindIncome, Apply: s.ApplyIncome},
			{Kind: KindVoid, Apply: s.ApplyVoid},
			{Kind: KindCorrect, Apply: s.ApplyVoid},
		},
		// Daily work, run every hour so that a birthday's loss holds within
		// the first hour of the day and a server down overnight catches up.
		Jobs: []module.Job{{Name: "nhi 75th-birthday losses", Every: time.Hour,
			Run: func(ctx context.Context) error { _, err := s.ApplyDueLosses(ctx); return err }},
			// The first day of a member's 70–74 cost share decides the
			// household from that day (age70.go).
			{Name: "nhi 70–74 cost share from the 70th birthday", Every: time.Hour,
				Run: func(ctx context.Context) error { _, err := s.ApplyDueAge70(ctx); return err }}},
	}
}

// ApplyDueLosses applies, in every municipality, the 75th-birthday losses
// (後期高齢者医療への移行) due by today that no earlier loss made needless,
// and returns how many it applied. Running it again applies nothing twice.
func (s *Service) ApplyDueLosses(ctx context.Context) (int, error) {
	all := store.WithScope(ctx, store.AllTenants) // system work over every municipality
	today := s.today()
	type due struct {
		tenant, code string
		acquired     int64
		on           time.Time
	}
	var list []due
	err := s.db.Read(all, func(q store.Querier) (err error) {
		list, err = store.Rows(func(row store.Scanner) (due, error) {
			var d due
			err := row.Scan(&d.tenant, &d.code, &d.acquired, &d.on)
			d.on = dateOnly(d.on)
			return d, err
		})(q.Query(all, `SELECT tenant_code, resident_code, acquired_id, due_date FROM nhi_scheduled_losses
			WHERE status = 'scheduled' AND due_date <= $1 ORDER BY due_date, tenant_code, resident_code`, dateArg(s.db.Engine(), today)))
		return err
	})
	if err != nil {
		return 0, err
	}
	applied := 0
	for _, d := range list {
		var done bool
		err := s.db.TransactIn(ctx, d.tenant, func(tx *store.Tx) error {
			done = false
			if err := lockTenant(ctx, tx, d.tenant); err != nil {
				return err
			}
			e := tx.Engine()
			w := writer{tx: tx, tenant: d.tenant, now: s.now().UTC(), by: actorOf(ctx)}
			var status string
			if err := tx.QueryRow(ctx, `SELECT status FROM nhi_scheduled_losses WHERE tenant_code = $1 AND acquired_id = $2`, d.tenant, d.acquired).Scan(&status); err != nil {
				return store.ScanErr(err, "scheduled loss")
			}
			if status != "scheduled" {
				return nil // decided meanwhile
			}
			evs, err := personEvents(ctx, tx, d.tenant, d.code)
			if err != nil {
				return err
			}
			open := false
			for _, p := range periods(evs) {
				if p.acquiredID == d.acquired && p.LostOn.IsZero() {
					open = true
				}
			}
			if !open {
				_, err := tx.Exec(ctx, `UPDATE nhi_scheduled_losses SET status = 'superseded', decided_at = $1 WHERE tenant_code = $2 AND acquired_id = $3`,
					w.now, d.tenant, d.acquired)
				return err
			}
			hh, err := membershipOn(ctx, tx, e, d.tenant, d.code, d.on)
			if err != nil {
				return err
			}
			members, err := membersOn(ctx, tx, e, d.tenant, hh, d.on)
			if err != nil {
				return err
			}
			dissolve := false
			if len(members) == 1 && members[0] == d.code {
				later, err := laterForHousehold(ctx, tx, e, d.tenant, hh, d.on)
				if err != nil {
					return err
				}
				dissolve = !later
			}
			if _, err := w.event(ctx, d.code, "loss", d.on, LossLateElderly, d.on, false, "birthday75"); err != nil {
				return err
			}
			// The head who leaves for 後期高齢者医療 stays the head (擬制世帯主).
			if err := s.leave(ctx, w, d.code, hh, d.on, "", d.on, false, dissolve); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE nhi_scheduled_losses SET status = 'applied', decided_at = $1 WHERE tenant_code = $2 AND acquired_id = $3`,
				w.now, d.tenant, d.acquired); err != nil {
				return err
			}
			done = true
			// The member left for 後期高齢者医療 counts as a former member of
			// the household's cost share from the day.
			if err := s.redecide(ctx, tx, d.tenant, d.on, []int64{hh}, CauseHousehold, "loss of "+d.code+" at 75"); err != nil {
				return err
			}
			return audit.Record(ctx, tx, audit.Event{Tenant: d.tenant, Action: "nhi.loss", Subject: subjectOf(d.code), Outcome: audit.OK,
				Detail: "source=birthday75 household=" + strconv.FormatInt(hh, 10) + " lost_on=" + Date(d.on) + " reason=" + LossLateElderly +
					" household_dissolved=" + strconv.FormatBool(dissolve)})
		})
		if err != nil {
			return applied, err
		}
		if done {
			applied++
		}
	}
	return applied, nil
}
