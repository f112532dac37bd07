package access

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/identity"
	"bango/internal/store"
)

// Grant statuses.
const (
	Pending   = "pending"
	Approved  = "approved"
	Rejected  = "rejected"
	Withdrawn = "withdrawn"
	Revoked   = "revoked"
)

// Grant is one pattern given to one staff member for one municipality
// ("" for a system pattern), for a period.
type Grant struct {
	ID           int64     `json:"id"`
	LoginID      string    `json:"login_id"`
	UserName     string    `json:"user_name"`
	Pattern      string    `json:"pattern"`
	PatternName  string    `json:"pattern_name"`
	Tenant       string    `json:"tenant,omitempty"`
	From         time.Time `json:"from"`
	Until        time.Time `json:"until,omitzero"`
	Reason       string    `json:"reason"`
	Status       string    `json:"status"`
	Applicant    string    `json:"applicant"`
	AppliedAt    time.Time `json:"applied_at"`
	DecidedBy    string    `json:"decided_by,omitempty"`
	DecidedAt    time.Time `json:"decided_at,omitzero"`
	DecisionNote string    `json:"decision_note,omitempty"`
	RevokedBy    string    `json:"revoked_by,omitempty"`
	RevokedAt    time.Time `json:"revoked_at,omitzero"`
	RevokeReason string    `json:"revoke_reason,omitempty"`
}

// Live reports whether g gives rights at now.
func (g Grant) Live(now time.Time) bool {
	return g.Status == Approved && !now.Before(g.From) && (g.Until.IsZero() || now.Before(g.Until))
}

// Application is what a section head fills in.
type Application struct {
	LoginID string    `json:"login_id"`
	Pattern string    `json:"pattern"`
	Tenant  string    `json:"tenant"`
	From    time.Time `json:"from"`           // zero: now
	Until   time.Time `json:"until,omitzero"` // zero: no end date
	Reason  string    `json:"reason"`
}

const maxReason = 200

var errNotYours = errs.E(errs.Forbidden, "you may not decide this: the applicant and the grantee cannot approve, reject or withdraw each other's applications")

// Apply files an application for a grant (R-AC-3). The applicant holds
// grant.apply for the municipality (or system-wide for a system pattern),
// and the grantee is an active member of the applicant's own section —
// unless the applicant holds grant.apply system-wide, as the IS
// department does for section heads — who belongs to that municipality or
// to none (union staff). Nobody applies
// for themselves. Every refusal is an audit event.
func (s *Service) Apply(ctx context.Context, applicant, grantee identity.User, a Application) (Grant, error) {
	subject := audit.Subject{Type: "user", ID: grantee.LoginID}
	var id int64
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		p, err := patternIn(ctx, tx, a.Pattern)
		if err != nil {
			return err
		}
		if err := s.checkApplication(ctx, tx, applicant, grantee, p, &a); err != nil {
			return err
		}
		var dup int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM access_grants WHERE user_id = $1 AND pattern_id = $2 AND tenant_code = $3
			AND status IN ('pending', 'approved') AND (valid_until IS NULL OR valid_until > $4)`, grantee.ID, p.ID, a.Tenant, s.now()).Scan(&dup); err != nil {
			return err
		}
		if dup > 0 {
			return errs.E(errs.Conflict, "%s already holds or awaits pattern %s for %q", grantee.LoginID, p.Code, a.Tenant)
		}
		var until any
		if !a.Until.IsZero() {
			until = a.Until
		}
		if err := tx.QueryRow(ctx, `INSERT INTO access_grants (user_id, pattern_id, tenant_code, valid_from, valid_until, reason, status, applicant_id, applied_at)
			VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8) RETURNING id`,
			grantee.ID, p.ID, a.Tenant, a.From, until, a.Reason, applicant.ID, s.now()).Scan(&id); err != nil {
			return store.Translate(err)
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: a.Tenant, Action: "grant.apply", Subject: subject, Outcome: audit.OK,
			Detail: "grant=" + itoa(id) + " pattern=" + p.Code + " from=" + a.From.Format(time.RFC3339) + untilDetail(a.Until) + " reason=" + a.Reason})
	})
	if err != nil {
		return Grant{}, s.refused(ctx, a.Tenant, "grant.apply", subject, err)
	}
	return s.Grant(ctx, id)
}

func untilDetail(t time.Time) string {
	if t.IsZero() {
		return " until=none"
	}
	return " until=" + t.Format(time.RFC3339)
}

func (s *Service) checkApplication(ctx context.Context, tx *store.Tx, applicant, grantee identity.User, p Pattern, a *Application) error {
	a.Reason = strings.TrimSpace(a.Reason)
	var fe errs.FieldErrors
	if a.Reason == "" || utf8.RuneCountInString(a.Reason) > maxReason {
		fe.Add("reason", errs.Message{JA: "申請理由を200文字以内で入力してください", EN: "give a reason of at most 200 characters"})
	}
	if a.From.IsZero() {
		a.From = s.now()
	}
	if !a.Until.IsZero() && !a.Until.After(a.From) {
		fe.Add("until", errs.Message{JA: "終了日は開始日より後にしてください", EN: "must be after the start"})
	}
	switch p.Scope {
	case ScopeSystem:
		if a.Tenant != "" {
			fe.Add("tenant", errs.Message{JA: "システム全体のパターンには団体を指定しません", EN: "a system pattern is granted without a municipality"})
		}
	default:
		if err := store.TenantExists(ctx, tx, a.Tenant); errs.Is(err, errs.NotFound) {
			fe.Add("tenant", errs.Message{JA: "登録されていない団体です", EN: "is not a registered municipality"})
		} else if err != nil {
			return err
		}
	}
	if err := fe.Err(); err != nil {
		return err
	}
	rights, err := s.rightsIn(ctx, tx, applicant.ID)
	if err != nil {
		return err
	}
	switch {
	case applicant.Status != identity.Active || grantee.Status != identity.Active:
		return errs.E(errs.Forbidden, "applicant and grantee must both be active staff")
	case applicant.ID == grantee.ID:
		return errs.E(errs.Forbidden, "nobody applies for their own rights")
	case !rights.Has(GrantApply, a.Tenant) && !(p.Scope == ScopeSystem && rights.system[GrantApply]):
		return errs.E(errs.Forbidden, "%s may not apply for rights in %q (no grant.apply there)", applicant.LoginID, a.Tenant)
	case !rights.system[GrantApply] && (grantee.Department != applicant.Department || grantee.Section != applicant.Section):
		return errs.E(errs.Forbidden, "%s is not a member of the applicant's section (%s %s)", grantee.LoginID, applicant.Department, applicant.Section)
	case p.Scope == ScopeTenant && grantee.Tenant != "" && grantee.Tenant != a.Tenant:
		return errs.E(errs.Forbidden, "%s belongs to municipality %s, not %s", grantee.LoginID, grantee.Tenant, a.Tenant)
	}
	return nil
}

// MayActFor reports, as an error, whether actor may act for grantee's
// access (apply for their rights, issue their activation code): a holder
// of system-wide grant.apply for anyone; a section head, holding
// grant.apply in the grantee's municipality, for a member of their own
// department and section. Nobody acts for themselves.
func (s *Service) MayActFor(ctx context.Context, actor, grantee identity.User) error {
	rights, err := s.RightsOf(ctx, actor.ID)
	if err != nil {
		return err
	}
	switch {
	case actor.ID == grantee.ID:
		return errs.E(errs.Forbidden, "nobody acts for their own access")
	case actor.Status != identity.Active || grantee.Status != identity.Active:
		return errs.E(errs.Forbidden, "both must be active staff")
	case rights.system[GrantApply]:
		return nil
	case grantee.Tenant == "" || !rights.Has(GrantApply, grantee.Tenant):
		return errs.E(errs.Forbidden, "%s holds no grant.apply for %s's municipality", actor.LoginID, grantee.LoginID)
	case grantee.Department != actor.Department || grantee.Section != actor.Section:
		return errs.E(errs.Forbidden, "%s is not a member of %s's section (%s %s)", grantee.LoginID, actor.LoginID, actor.Department, actor.Section)
	}
	return nil
}

// Approve grants a pending application (R-AC-3): the approver holds
// grant.approve and is neither the applicant nor the grantee.
func (s *Service) Approve(ctx context.Context, approver identity.User, id int64, note string) (Grant, error) {
	return s.decide(ctx, approver, id, Approved, note)
}

// Reject refuses a pending application, with a reason.
func (s *Service) Reject(ctx context.Context, approver identity.User, id int64, note string) (Grant, error) {
	return s.decide(ctx, approver, id, Rejected, note)
}

func (s *Service) decide(ctx context.Context, approver identity.User, id int64, to, note string) (Grant, error) {
	action := map[string]string{Approved: "grant.approve", Rejected: "grant.reject"}[to]
	g, err := s.Grant(ctx, id)
	subject := audit.Subject{Type: "user", ID: g.LoginID}
	if err != nil {
		return Grant{}, s.refused(ctx, "", action, audit.Subject{Type: "grant", ID: itoa(id)}, err)
	}
	note = strings.TrimSpace(note)
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		rights, err := s.rightsIn(ctx, tx, approver.ID)
		if err != nil {
			return err
		}
		if to == Approved {
			if err := s.stillValid(ctx, tx, g); err != nil {
				return err
			}
		}
		switch {
		case !rights.Has(GrantApprove, ""):
			return errs.E(errs.Forbidden, "%s may not decide on rights (no grant.approve)", approver.LoginID)
		case approver.LoginID == g.LoginID || approver.LoginID == g.Applicant:
			return errNotYours
		case g.Status != Pending:
			return errs.E(errs.Conflict, "grant %d is %s, not pending", id, g.Status)
		case to == Rejected && note == "":
			var fe errs.FieldErrors
			fe.Add("note", errs.Message{JA: "却下の理由を入力してください", EN: "give the reason for the rejection"})
			return fe.Err()
		case utf8.RuneCountInString(note) > maxReason:
			var fe errs.FieldErrors
			fe.Add("note", errs.Message{JA: "200文字以内です", EN: "must be at most 200 characters"})
			return fe.Err()
		}
		res, err := tx.Exec(ctx, `UPDATE access_grants SET status = $1, decided_by = $2, decided_at = $3, decision_note = $4
			WHERE id = $5 AND status = 'pending'`, to, approver.ID, s.now(), note, id)
		if err != nil {
			return store.Translate(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.E(errs.Conflict, "grant %d was decided meanwhile", id)
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: g.Tenant, Action: action, Subject: subject, Outcome: audit.OK,
			Detail: "grant=" + itoa(id) + " pattern=" + g.Pattern + " applicant=" + g.Applicant + " note=" + note})
	})
	if err != nil {
		return Grant{}, s.refused(ctx, g.Tenant, action, subject, err)
	}
	return s.Grant(ctx, id)
}

// stillValid re-checks, at approval, what the application relied on: the
// applicant still holds grant.apply there and the grantee is still an
// active member of the applicant's section (or the applicant applies
// system-wide). A transfer between application and approval voids it.
func (s *Service) stillValid(ctx context.Context, tx *store.Tx, g Grant) error {
	var applicantID sql.NullInt64
	var adept, asec, gdept, gsec, gstatus, gtenant, scope string
	err := tx.QueryRow(ctx, `SELECT g.applicant_id, COALESCE(a.department, ''), COALESCE(a.section, ''), u.department, u.section, u.status, u.tenant_code, p.scope
		FROM access_grants g JOIN staff_users u ON u.id = g.user_id JOIN access_patterns p ON p.id = g.pattern_id
		LEFT JOIN staff_users a ON a.id = g.applicant_id WHERE g.id = $1`, g.ID).Scan(&applicantID, &adept, &asec, &gdept, &gsec, &gstatus, &gtenant, &scope)
	if err != nil {
		return store.ScanErr(err, "grant "+itoa(g.ID))
	}
	if !applicantID.Valid {
		return nil
	}
	rights, err := s.rightsIn(ctx, tx, applicantID.Int64)
	if err != nil {
		return err
	}
	switch {
	case gstatus != "active":
		return errs.E(errs.Conflict, "grant %d: %s is no longer active staff", g.ID, g.LoginID)
	case !rights.Has(GrantApply, g.Tenant) && !(scope == ScopeSystem && rights.system[GrantApply]):
		return errs.E(errs.Conflict, "grant %d: the applicant %s no longer holds grant.apply there; apply again", g.ID, g.Applicant)
	case !rights.system[GrantApply] && (gdept != adept || gsec != asec):
		return errs.E(errs.Conflict, "grant %d: %s is no longer in the applicant's section; apply again", g.ID, g.LoginID)
	case scope == ScopeTenant && gtenant != "" && gtenant != g.Tenant:
		return errs.E(errs.Conflict, "grant %d: %s no longer belongs to %s; apply again", g.ID, g.LoginID, g.Tenant)
	}
	return nil
}

// Revoke ends a live or pending grant before its time: by an IS
// administrator, or by the grantee's own section head (who holds
// grant.apply where the grant holds). A grant of a municipality where the
// caller holds neither right is "not found".
func (s *Service) Revoke(ctx context.Context, by identity.User, id int64, reason string) (Grant, error) {
	const action = "grant.revoke"
	g, err := s.Grant(ctx, id)
	subject := audit.Subject{Type: "user", ID: g.LoginID}
	if err != nil {
		return Grant{}, s.refused(ctx, "", action, audit.Subject{Type: "grant", ID: itoa(id)}, err)
	}
	reason = strings.TrimSpace(reason)
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		rights, err := s.rightsIn(ctx, tx, by.ID)
		if err != nil {
			return err
		}
		p, err := patternIn(ctx, tx, g.Pattern)
		if err != nil {
			return err
		}
		mayApply := rights.Has(GrantApply, g.Tenant) || (p.Scope == ScopeSystem && rights.system[GrantApply])
		var gdept, gsec string
		if err := tx.QueryRow(ctx, `SELECT department, section FROM staff_users WHERE login_id = $1`, g.LoginID).Scan(&gdept, &gsec); err != nil {
			return store.Translate(err)
		}
		ownSection := rights.system[GrantApply] || (gdept == by.Department && gsec == by.Section)
		switch {
		case !rights.Has(GrantApprove, "") && !mayApply:
			return errs.E(errs.NotFound, "grant %d not found", id)
		case !rights.Has(GrantApprove, "") && !ownSection:
			return errs.E(errs.Forbidden, "%s may revoke only grants of their own section", by.LoginID)
		case g.Status != Approved && g.Status != Pending:
			return errs.E(errs.Conflict, "grant %d is %s", id, g.Status)
		case reason == "" || utf8.RuneCountInString(reason) > maxReason:
			var fe errs.FieldErrors
			fe.Add("reason", errs.Message{JA: "取消しの理由を200文字以内で入力してください", EN: "give a reason of at most 200 characters"})
			return fe.Err()
		}
		to := Revoked
		if g.Status == Pending {
			to = Withdrawn
		}
		res, err := tx.Exec(ctx, `UPDATE access_grants SET status = $1, revoked_by = $2, revoked_at = $3, revoke_reason = $4 WHERE id = $5 AND status = $6`,
			to, by.LoginID, s.now(), reason, id, g.Status)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.E(errs.Conflict, "grant %d changed meanwhile", id)
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: g.Tenant, Action: action, Subject: subject, Outcome: audit.OK,
			Detail: "grant=" + itoa(id) + " pattern=" + g.Pattern + " status=" + to + " reason=" + reason})
	})
	if err != nil {
		return Grant{}, s.refused(ctx, g.Tenant, action, subject, err)
	}
	return s.Grant(ctx, id)
}

// RevokeAll ends every live or pending grant of a user inside tx, for a
// personnel transfer or retirement (R-AC-3): identity calls it in the
// same transaction that removes the user's second factors.
func (s *Service) RevokeAll(ctx context.Context, tx *store.Tx, u identity.User, why string) (int, error) {
	now := s.now()
	res, err := tx.Exec(ctx, `UPDATE access_grants SET status = CASE status WHEN 'pending' THEN 'withdrawn' ELSE 'revoked' END,
		revoked_by = 'system:personnel', revoked_at = $1, revoke_reason = $2 WHERE user_id = $3 AND status IN ('pending', 'approved')`, now, why, u.ID)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	// Applications the user filed for others no longer stand either.
	if _, err := tx.Exec(ctx, `UPDATE access_grants SET status = 'withdrawn', revoked_by = 'system:personnel', revoked_at = $1, revoke_reason = $2
		WHERE applicant_id = $3 AND status = 'pending'`, now, "applicant: "+why, u.ID); err != nil {
		return 0, err
	}
	return int(n), nil
}

// Bootstrap gives the first IS administrator the is-admin and is-approver
// patterns when nobody holds grant.approve: without them nobody could
// apply or approve anything. It is the one grant that skips the workflow,
// its event says so, and the administrator should hand approval to a
// second person (apply for them, let them approve, revoke one's own).
func (s *Service) Bootstrap(ctx context.Context, u identity.User, reason string) (Grant, error) {
	var first int64
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		var holders int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM access_grants g JOIN access_pattern_permissions pp ON pp.pattern_id = g.pattern_id
			WHERE g.status = 'approved' AND pp.permission = $1 AND (g.valid_until IS NULL OR g.valid_until > $2)`, string(GrantApprove), s.now()).Scan(&holders); err != nil {
			return err
		}
		if holders > 0 {
			return errs.E(errs.Conflict, "someone already holds grant.approve: apply through the workflow instead")
		}
		now := s.now()
		for _, code := range []string{"is-admin", "is-approver"} {
			p, err := patternIn(ctx, tx, code)
			if err != nil {
				return err
			}
			var id int64
			if err := tx.QueryRow(ctx, `INSERT INTO access_grants (user_id, pattern_id, tenant_code, valid_from, reason, status, applied_at, decided_at, decision_note)
				VALUES ($1, $2, '', $3, $4, 'approved', $3, $3, 'bootstrap') RETURNING id`, u.ID, p.ID, now, reason).Scan(&id); err != nil {
				return store.Translate(err)
			}
			if first == 0 {
				first = id
			}
			if err := audit.Record(ctx, tx, audit.Event{Action: "grant.bootstrap", Subject: audit.Subject{Type: "user", ID: u.LoginID}, Outcome: audit.OK,
				Detail: "grant=" + itoa(id) + " pattern=" + code + " reason=" + reason}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Grant{}, err
	}
	return s.Grant(ctx, first)
}

// Direct records an approved grant without the workflow, for demo data
// only (a test limits its callers); the event says so.
func (s *Service) Direct(ctx context.Context, u identity.User, pattern, tenant, reason string) error {
	return s.db.Transact(ctx, func(tx *store.Tx) error {
		p, err := patternIn(ctx, tx, pattern)
		if err != nil {
			return err
		}
		now := s.now()
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO access_grants (user_id, pattern_id, tenant_code, valid_from, reason, status, applied_at, decided_at, decision_note)
			VALUES ($1, $2, $3, $4, $5, 'approved', $4, $4, 'direct') RETURNING id`, u.ID, p.ID, tenant, now, reason).Scan(&id); err != nil {
			return store.Translate(err)
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: "grant.direct", Subject: audit.Subject{Type: "user", ID: u.LoginID}, Outcome: audit.OK,
			Detail: "grant=" + itoa(id) + " pattern=" + pattern + " reason=" + reason})
	})
}

const selectGrant = `SELECT g.id, u.login_id, u.name, p.code, p.name, g.tenant_code, g.valid_from, g.valid_until, g.reason, g.status,
	COALESCE(a.login_id, 'system'), g.applied_at, COALESCE(d.login_id, ''), g.decided_at, g.decision_note, g.revoked_by, g.revoked_at, g.revoke_reason
	FROM access_grants g JOIN staff_users u ON u.id = g.user_id JOIN access_patterns p ON p.id = g.pattern_id
	LEFT JOIN staff_users a ON a.id = g.applicant_id LEFT JOIN staff_users d ON d.id = g.decided_by`

func scanGrant(row store.Scanner) (Grant, error) {
	var g Grant
	var until, decided, revoked sql.NullTime
	err := row.Scan(&g.ID, &g.LoginID, &g.UserName, &g.Pattern, &g.PatternName, &g.Tenant, &g.From, &until, &g.Reason, &g.Status,
		&g.Applicant, &g.AppliedAt, &g.DecidedBy, &decided, &g.DecisionNote, &g.RevokedBy, &revoked, &g.RevokeReason)
	g.From, g.AppliedAt = g.From.UTC(), g.AppliedAt.UTC()
	g.Until, g.DecidedAt, g.RevokedAt = until.Time.UTC(), decided.Time.UTC(), revoked.Time.UTC()
	return g, err
}

// Grant returns grant id.
func (s *Service) Grant(ctx context.Context, id int64) (Grant, error) {
	g, err := scanGrant(s.db.QueryRow(ctx, selectGrant+` WHERE g.id = $1`, id))
	if err != nil {
		return Grant{}, store.ScanErr(err, "grant "+itoa(id))
	}
	return g, nil
}

// GrantFilter selects grants to list, a page at a time.
type GrantFilter struct {
	LoginID string // one user's grants
	Status  string // one status
	Tenant  string // one municipality ("" with TenantSet: system grants)
	// TenantSet makes Tenant count even when empty.
	TenantSet bool
	// ActingFor narrows the list to the grants of the staff this user
	// applies for: with system-wide grant.apply, every active user but
	// them; else the active members of their department and section, of
	// the municipalities where they hold grant.apply or of none.
	ActingFor *identity.User
	Cursor    string // where the page starts: a page's Next ("" for the newest)
	Limit     int    // clamped by store.Limit
}

// CountAwaiting counts the applications approver may decide: pending,
// and neither made by nor for them.
func (s *Service) CountAwaiting(ctx context.Context, approver identity.User) (int, error) {
	var n int
	err := s.db.QueryRow(ctx, `SELECT count(*) FROM access_grants WHERE status = 'pending' AND user_id <> $1 AND applicant_id <> $1`, approver.ID).Scan(&n)
	return n, store.Translate(err)
}

// Grants returns one page of the grants f selects, newest first.
func (s *Service) Grants(ctx context.Context, f GrantFilter) (store.Page[Grant], error) {
	q := selectGrant + ` WHERE 1 = 1`
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.LoginID != "" {
		q += " AND u.login_id = " + arg(f.LoginID)
	}
	if f.Status != "" {
		q += " AND g.status = " + arg(f.Status)
	}
	if f.Tenant != "" || f.TenantSet {
		q += " AND g.tenant_code = " + arg(f.Tenant)
	}
	if a := f.ActingFor; a != nil {
		rights, err := s.RightsOf(ctx, a.ID)
		if err != nil {
			return store.Page[Grant]{}, err
		}
		q += " AND u.status = " + arg(identity.Active) + " AND u.id <> " + arg(a.ID)
		if tenants, all := rights.Tenants(GrantApply); !all {
			marks := []string{arg("")}
			for _, t := range tenants {
				marks = append(marks, arg(t))
			}
			q += " AND u.tenant_code IN (" + strings.Join(marks, ", ") + ") AND u.department = " + arg(a.Department) + " AND u.section = " + arg(a.Section)
		}
	}
	var before int64
	if ok, err := store.DecodeCursor(f.Cursor, "grants", &before); err != nil {
		return store.Page[Grant]{}, err
	} else if ok {
		q += " AND g.id < " + arg(before)
	}
	limit := store.Limit(f.Limit)
	q += " ORDER BY g.id DESC LIMIT " + arg(limit+1)
	grants, err := store.Rows(scanGrant)(s.db.Query(ctx, q, args...))
	if err != nil {
		return store.Page[Grant]{}, err
	}
	return store.PageOf(grants, limit, "grants", func(g Grant) []any { return []any{g.ID} }), nil
}

// LiveGrants lists the grants that give the user rights now, newest
// first: every one of them, as RightsOf reads them (a user holds few).
func (s *Service) LiveGrants(ctx context.Context, loginID string) ([]Grant, error) {
	grants, err := store.Rows(scanGrant)(s.db.Query(ctx, selectGrant+` WHERE u.login_id = $1 AND g.status = $2 ORDER BY g.id DESC`, loginID, Approved))
	if err != nil {
		return nil, err
	}
	now := s.now()
	live := []Grant{}
	for _, g := range grants {
		if g.Live(now) {
			live = append(live, g)
		}
	}
	return live, nil
}

// refused records a refused step and returns err.
func (s *Service) refused(ctx context.Context, tenant, action string, subject audit.Subject, err error) error {
	return audit.Refused(ctx, s.db, tenant, action, subject, err)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
