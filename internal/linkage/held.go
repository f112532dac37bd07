package linkage

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/identity"
	"bango/internal/mynumber"
	"bango/internal/store"
)

// A partner configured with confirm may push its files over the network
// (R-LNK-2, R-ACC-1): the file is checked whole as any import, then held
// — the job pending, the file in staging — with the partner as its maker,
// and nothing is applied until a staff member holding review.confirm in
// the municipality confirms it. A machine is not staff, so such a file
// does not go through the review engine (whose makers are staff in a
// section): it waits in this queue of partner files, and the checker is
// always a person. Declining it purges the file.

// partnerActor is how a partner is named as an actor and as a job's maker.
func partnerActor(p Partner) string { return "partner:" + p.Tenant + "/" + p.ID }

// asPartner makes the partner the actor of ctx unless it already is.
func asPartner(ctx context.Context, p Partner) context.Context {
	a, _ := audit.ActorFrom(ctx)
	if a.User == partnerActor(p) {
		return ctx
	}
	a.User = partnerActor(p)
	return audit.WithActor(ctx, a)
}

// heldForPartner tells a file its partner pushed and held (waiting for a
// staff checker) from one a crash left half filed.
func heldForPartner(j Job) bool { return strings.HasPrefix(j.StartedBy, "partner:") }

// PartnerHeld lists tenant's files pushed by partners that wait for a
// staff member's confirmation, the oldest first.
func (s *Service) PartnerHeld(ctx context.Context, tenant string) ([]Job, error) {
	ctx = store.WithScope(ctx, tenant)
	var out []Job
	err := s.db.ReadIn(ctx, tenant, func(q store.Querier) (err error) {
		out, err = store.Rows(scanJob)(q.Query(ctx, selectJob+` WHERE tenant_code = $1 AND outcome = 'pending' AND review_change IS NULL
			AND started_by LIKE 'partner:%' ORDER BY id`, tenant))
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: "linkage.held.list", Subject: audit.Subject{Type: "linkage_jobs", ID: tenant},
		Outcome: audit.OK, Detail: "shown=" + strconv.Itoa(len(out))})
}

// heldJob reads a partner's held file, refusing anything else as not found.
func (s *Service) heldJob(ctx context.Context, tenant string, id int64) (Job, error) {
	j, err := s.Job(ctx, tenant, id)
	if err == nil && (j.Direction != Inbound || !heldForPartner(j) || j.ReviewChange != 0) {
		err = errs.E(errs.NotFound, "job %d of %s is not a partner's held file", id, tenant)
	}
	if err == nil && j.Outcome != Pending {
		err = errs.Tell(errs.Conflict, errs.Message{
			JA: "このファイルはすでに確認または取消されています。一覧を開き直してください。",
			EN: "This file was already confirmed or declined: open the list again.",
		}, "job %d is %s, not pending", id, j.Outcome)
	}
	return j, err
}

// ConfirmPartnerFile applies partner file id of tenant, which a staff
// checker confirms: in one transaction the file is read from staging,
// checked against the database again, applied, and purged (ApplyHeld).
// The checker is a staff member (the caller has checked review.confirm);
// a record that no longer fits fails the confirmation and names its
// lines, and the checker then declines the file.
func (s *Service) ConfirmPartnerFile(ctx context.Context, checker identity.User, tenant string, id int64) (Job, error) {
	ctx = store.WithScope(ctx, tenant)
	const action = "linkage.held.confirm"
	subject := jobSubject(id)
	j, err := s.heldJob(ctx, tenant, id)
	if err == nil && checker.ID == 0 {
		err = errs.E(errs.Forbidden, "only a staff member confirms a partner's file")
	}
	if err != nil {
		return Job{}, audit.Refused(ctx, s.db, tenant, action, subject, err)
	}
	payload, _ := json.Marshal(heldPayload{Job: j.ID, SHA256: j.SHA256})
	err = s.db.TransactOnce(ctx, func(tx *store.Tx) error {
		if err := s.ApplyHeld(ctx, tx, tenant, payload); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: action, Subject: subject, Outcome: audit.OK,
			Detail: "partner=" + j.Partner + " layout=" + j.Layout + " maker=" + j.StartedBy + " checker=" + checker.LoginID + " sha256=" + j.SHA256})
	})
	if err != nil {
		return Job{}, audit.Refused(ctx, s.db, tenant, action, subject, err)
	}
	return s.Job(ctx, tenant, id)
}

// DeclinePartnerFile ends partner file id of tenant unapplied, with the
// checker's reason, and purges it (R-LNK-1).
func (s *Service) DeclinePartnerFile(ctx context.Context, checker identity.User, tenant string, id int64, reason string) (Job, error) {
	ctx = store.WithScope(ctx, tenant)
	const action = "linkage.held.decline"
	subject := jobSubject(id)
	reason = strings.TrimSpace(reason)
	j, err := s.heldJob(ctx, tenant, id)
	if err == nil && checker.ID == 0 {
		err = errs.E(errs.Forbidden, "only a staff member declines a partner's file")
	}
	if err == nil && (reason == "" || utf8.RuneCountInString(reason) > 200) {
		var fe errs.FieldErrors
		fe.Add("reason", errs.Message{JA: "取消の理由を200文字以内で入力してください", EN: "give a reason of at most 200 characters"})
		err = fe.Err()
	}
	if err == nil && mynumber.Holds(reason) {
		var fe errs.FieldErrors
		fe.Add("reason", mynumber.InFreeText)
		err = fe.Err()
	}
	if err != nil {
		return Job{}, audit.Refused(ctx, s.db, tenant, action, subject, err)
	}
	err = s.db.TransactIn(ctx, tenant, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE linkage_jobs SET outcome = 'declined', ended_at = $1, decided_by = $2 WHERE id = $3 AND tenant_code = $4 AND outcome = 'pending'`,
			s.now().UTC(), checker.LoginID, j.ID, tenant)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.E(errs.Conflict, "job %d was decided meanwhile", j.ID)
		}
		if err := audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: action, Subject: subject, Outcome: audit.OK,
			Detail: "partner=" + j.Partner + " layout=" + j.Layout + " maker=" + j.StartedBy + " checker=" + checker.LoginID + " reason=" + reason + " sha256=" + j.SHA256}); err != nil {
			return err
		}
		return purge(ctx, tx, j)
	})
	if err != nil {
		return Job{}, audit.Refused(ctx, s.db, tenant, action, subject, err)
	}
	return s.Job(ctx, tenant, id)
}
