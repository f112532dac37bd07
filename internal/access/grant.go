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
	"bango/internal/mynumber"
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

var errNotYours = errs.Tell(errs.Forbidden, errs.Message{
	JA: "自分が申請した申請、または自分が対象の申請は、承認・却下できません。別の承認者が判断します。",
	EN: "You cannot approve or reject an application you made or that is for you: another approver decides it.",
}, "you may not decide this: the applicant and the grantee cannot approve, reject or withdraw each other's applications")

// Lacking is what staff are told when they do not hold p where they act:
// the right by its name in the catalogue, and whom to ask.
func Lacking(p Permission) errs.Message {
	i, ok := catalogue[p]
	if !ok {
		i.JA, i.EN = string(p), string(p)
	}
	if i.Reach == SystemOnly {
		return errs.Message{
			JA: "この操作には「" + i.JA + "」の権限が必要ですが、付与されていません。必要な場合は情報システム部門に相談してください。",
			EN: "This needs the right “" + i.EN + "”, which you do not hold. If you need it, ask the IS department.",
		}
	}
	return errs.Message{
		JA: "この操作には「" + i.JA + "」の権限が必要ですが、この市区町村では付与されていません。必要な場合は所属長に権限の申請を依頼してください。",
		EN: "This needs the right “" + i.EN + "”, which you do not hold in this municipality. If you need it, ask your section head to apply for it.",
	}
}

// statusWords names a grant's status as the grant pages do.
var statusWords = map[string]errs.Message{
	Pending:   {JA: "承認待ち", EN: "pending"},
	Approved:  {JA: "承認済み", EN: "approved"},
	Rejected:  {JA: "却下済み", EN: "rejected"},
	Withdrawn: {JA: "取下げ済み", EN: "withdrawn"},
	Revoked:   {JA: "取消し済み", EN: "revoked"},
}

// errNotPending says a grant is no longer waiting for a decision.
func errNotPending(g Grant) error {
	w := statusWords[g.Status]
	return errs.Tell(errs.Conflict, errs.Message{
		JA: "この申請はすでに" + w.JA + "のため、判断できません。一覧を開き直して、今の状態を確かめてください。",
		EN: "This application is already " + w.EN + ", so it cannot be decided: open the list again to see where it stands.",
	}, "grant %d is %s, not pending", g.ID, g.Status)
}

// errDecidedMeanwhile says someone else decided grant id first.
func errDecidedMeanwhile(id int64) error {
	return errs.Tell(errs.Conflict, errs.Message{
		JA: "この申請は、ほかの人が先に判断しました。一覧を開き直して、今の状態を確かめてください。",
		EN: "Someone else decided this application first: open the list again to see where it stands.",
	}, "grant %d was decided meanwhile", id)
}

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
			return errs.Tell(errs.Conflict, errs.Message{
				JA: grantee.Name + "さんには「" + p.Name + "」がすでに付与されているか、申請中です。付与の一覧を確かめてください。",
				EN: grantee.Name + " already holds “" + p.Name + "” or has an application for it waiting: see the list of rights.",
			}, "%s already holds or awaits pattern %s for %q", grantee.LoginID, p.Code, a.Tenant)
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
	} else if mynumber.Holds(a.Reason) {
		fe.Add("reason", mynumber.InFreeText)
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
		return errs.Tell(errs.Forbidden, errs.Message{
			JA: "権限を申請できるのは、在職中の職員について、在職中の職員だけです。",
			EN: "Rights can be applied for only by active staff, for active staff.",
		}, "applicant and grantee must both be active staff")
	case applicant.ID == grantee.ID:
		return errs.Tell(errs.Forbidden, errs.Message{
			JA: "自分の権限は申請できません。所属長または情報システム部門に申請を依頼してください。",
			EN: "You cannot apply for your own rights: ask your section head or the IS department to apply for you.",
		}, "nobody applies for their own rights")
	case !rights.Has(GrantApply, a.Tenant) && !(p.Scope == ScopeSystem && rights.system[GrantApply]):
		return errs.Tell(errs.Forbidden, errs.Message{
			JA: "選んだ範囲では、所属職員の権限を申請できません。申請できる市区町村を選ぶか、情報システム部門に相談してください。",
			EN: "You may not apply for rights there: choose a municipality where you may, or ask the IS department.",
		}, "%s may not apply for rights in %q (no grant.apply there)", applicant.LoginID, a.Tenant)
	case !rights.system[GrantApply] && (grantee.Department != applicant.Department || grantee.Section != applicant.Section):
		return errs.Tell(errs.Forbidden, errs.Message{
			JA: grantee.Name + "さんは、あなたの所属（" + applicant.Department + " " + applicant.Section + "）の職員ではありません。権限の申請は、その職員の所属長が行います。",
			EN: grantee.Name + " is not in your section (" + applicant.Department + " " + applicant.Section + "): their own section head applies for their rights.",
		}, "%s is not a member of the applicant's section (%s %s)", grantee.LoginID, applicant.Department, applicant.Section)
	case p.Scope == ScopeTenant && grantee.Tenant != "" && grantee.Tenant != a.Tenant:
		return errs.Tell(errs.Forbidden, errs.Message{
			JA: grantee.Name + "さんの所属する市区町村（" + orCode(grantee.TenantName, grantee.Tenant) + "）とは別の市区町村が選ばれています。" + orCode(grantee.TenantName, grantee.Tenant) + "を選んでください。",
			EN: grantee.Name + " belongs to " + orCode(grantee.TenantName, grantee.Tenant) + ", not to the municipality chosen: choose " + orCode(grantee.TenantName, grantee.Tenant) + ".",
		}, "%s belongs to municipality %s, not %s", grantee.LoginID, grantee.Tenant, a.Tenant)
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
		return errs.Tell(errs.Forbidden, errs.Message{
			JA: "自分自身については操作できません。所属長または情報システム部門に依頼してください。",
			EN: "You cannot do this for yourself: ask your section head or the IS department.",
		}, "nobody acts for their own access")
	case actor.Status != identity.Active || grantee.Status != identity.Active:
		return errs.Tell(errs.Forbidden, errs.Message{
			JA: grantee.Name + "さんは在職中ではないため、この操作はできません。",
			EN: grantee.Name + " is not active staff, so this cannot be done for them.",
		}, "both must be active staff")
	case rights.system[GrantApply]:
		return nil
	case grantee.Tenant == "" || !rights.Has(GrantApply, grantee.Tenant):
		return errs.Tell(errs.Forbidden, errs.Message{
			JA: grantee.Name + "さんの市区町村では、所属職員の権限申請の権限がありません。その職員の所属長または情報システム部門に依頼してください。",
			EN: "You may not act for staff of " + grantee.Name + "'s municipality: ask their section head or the IS department.",
		}, "%s holds no grant.apply for %s's municipality", actor.LoginID, grantee.LoginID)
	case grantee.Department != actor.Department || grantee.Section != actor.Section:
		return errs.Tell(errs.Forbidden, errs.Message{
			JA: grantee.Name + "さんは、あなたの所属（" + actor.Department + " " + actor.Section + "）の職員ではありません。その職員の所属長に依頼してください。",
			EN: grantee.Name + " is not in your section (" + actor.Department + " " + actor.Section + "): ask their own section head.",
		}, "%s is not a member of %s's section (%s %s)", grantee.LoginID, actor.LoginID, actor.Department, actor.Section)
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
			return errs.Tell(errs.Forbidden, Lacking(GrantApprove), "%s may not decide on rights (no grant.approve)", approver.LoginID)
		case approver.LoginID == g.LoginID || approver.LoginID == g.Applicant:
			return errNotYours
		case g.Status != Pending:
			return errNotPending(g)
		case to == Rejected && note == "":
			var fe errs.FieldErrors
			fe.Add("note", errs.Message{JA: "却下の理由を入力してください", EN: "give the reason for the rejection"})
			return fe.Err()
		case mynumber.Holds(note):
			var fe errs.FieldErrors
			fe.Add("note", mynumber.InFreeText)
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
			return errDecidedMeanwhile(id)
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
		return errs.Tell(errs.Conflict, errs.Message{
			JA: g.UserName + "さんは在職中ではなくなったため、承認できません。この申請は却下してください。",
			EN: g.UserName + " is no longer active staff, so this cannot be approved: reject the application.",
		}, "grant %d: %s is no longer active staff", g.ID, g.LoginID)
	case !rights.Has(GrantApply, g.Tenant) && !(scope == ScopeSystem && rights.system[GrantApply]):
		return errs.Tell(errs.Conflict, errs.Message{
			JA: "申請者が、この範囲の権限を申請できなくなったため、承認できません。この申請は却下し、今の所属長に申請し直してもらってください。",
			EN: "The applicant may no longer apply for rights there, so this cannot be approved: reject it and have the current section head apply again.",
		}, "grant %d: the applicant %s no longer holds grant.apply there; apply again", g.ID, g.Applicant)
	case !rights.system[GrantApply] && (gdept != adept || gsec != asec):
		return errs.Tell(errs.Conflict, errs.Message{
			JA: g.UserName + "さんが申請者の所属から異動したため、承認できません。この申請は却下し、新しい所属の所属長に申請し直してもらってください。",
			EN: g.UserName + " has left the applicant's section, so this cannot be approved: reject it and have the new section head apply again.",
		}, "grant %d: %s is no longer in the applicant's section; apply again", g.ID, g.LoginID)
	case scope == ScopeTenant && gtenant != "" && gtenant != g.Tenant:
		return errs.Tell(errs.Conflict, errs.Message{
			JA: g.UserName + "さんの所属する市区町村が変わったため、承認できません。この申請は却下し、申請し直してもらってください。",
			EN: g.UserName + " now belongs to another municipality, so this cannot be approved: reject it and have them apply again.",
		}, "grant %d: %s no longer belongs to %s; apply again", g.ID, g.LoginID, g.Tenant)
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
			return errs.Tell(errs.Forbidden, errs.Message{
				JA: "取り消せるのは、自分の所属の職員の権限だけです。" + g.UserName + "さんの所属長または情報システム部門に依頼してください。",
				EN: "You may revoke only the rights of your own section: ask " + g.UserName + "'s section head or the IS department.",
			}, "%s may revoke only grants of their own section", by.LoginID)
		case g.Status != Approved && g.Status != Pending:
			w := statusWords[g.Status]
			return errs.Tell(errs.Conflict, errs.Message{
				JA: "この権限はすでに" + w.JA + "のため、取り消せません。",
				EN: "This right is already " + w.EN + ", so there is nothing to revoke.",
			}, "grant %d is %s", id, g.Status)
		case reason == "" || utf8.RuneCountInString(reason) > maxReason:
			var fe errs.FieldErrors
			fe.Add("reason", errs.Message{JA: "取消しの理由を200文字以内で入力してください", EN: "give a reason of at most 200 characters"})
			return fe.Err()
		case mynumber.Holds(reason):
			var fe errs.FieldErrors
			fe.Add("reason", mynumber.InFreeText)
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
			return errs.Tell(errs.Conflict, errs.Message{
				JA: "この権限は、ほかの人が先に変更しました。一覧を開き直して、今の状態を確かめてください。",
				EN: "Someone else changed this right first: open the list again to see where it stands.",
			}, "grant %d changed meanwhile", id)
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
			return errs.Tell(errs.Conflict, errs.Message{
				JA: "権限付与の承認者がすでにいます。権限は、申請と承認の手続きで付与してください。",
				EN: "Someone already approves rights: grant them through an application and its approval instead.",
			}, "someone already holds grant.approve: apply through the workflow instead")
		}
		for _, code := range []string{"is-admin", "is-approver"} {
			id, err := s.bootstrapGrant(ctx, tx, u, code, reason, "")
			if err != nil {
				return err
			}
			if first == 0 {
				first = id
			}
		}
		return nil
	})
	if err != nil {
		return Grant{}, err
	}
	return s.Grant(ctx, first)
}

// SecondApprover makes u a second approver of rights (the is-approver
// pattern, system-wide) without the workflow, while exactly one person
// approves. The workflow's approver may be neither the applicant nor the
// grantee, so the first administrator alone could never approve anyone
// else's grant of grant.approve, and a new system would stay with one
// approver for good. Like Bootstrap it is the server operator's act
// (bango user second-approver), audited as grant.bootstrap; once two
// people approve it is refused, and rights go through the workflow.
func (s *Service) SecondApprover(ctx context.Context, u identity.User, reason string) (Grant, error) {
	var id int64
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		var holders, isHolder int
		if err := tx.QueryRow(ctx, `SELECT count(DISTINCT g.user_id), COALESCE(sum(CASE WHEN g.user_id = $3 THEN 1 ELSE 0 END), 0) FROM access_grants g
			JOIN access_pattern_permissions pp ON pp.pattern_id = g.pattern_id
			WHERE g.status = 'approved' AND pp.permission = $1 AND (g.valid_until IS NULL OR g.valid_until > $2)`,
			string(GrantApprove), s.now(), u.ID).Scan(&holders, &isHolder); err != nil {
			return store.Translate(err)
		}
		switch {
		case isHolder > 0:
			return errs.Tell(errs.Conflict, errs.Message{JA: u.LoginID + " はすでに権限付与の承認者です。", EN: u.LoginID + " already approves rights."},
				"%s already holds grant.approve", u.LoginID)
		case holders != 1:
			return errs.Tell(errs.Conflict, errs.Message{
				JA: "二人目の承認者をこの方法で置けるのは、承認者が一人だけのときです。権限は、申請と承認の手続きで付与してください。",
				EN: "A second approver is made this way only while one person approves: grant rights through an application and its approval instead.",
			}, "%d people hold grant.approve: apply through the workflow instead", holders)
		}
		var err error
		id, err = s.bootstrapGrant(ctx, tx, u, "is-approver", reason, " second_approver")
		return err
	})
	if err != nil {
		return Grant{}, err
	}
	return s.Grant(ctx, id)
}

// bootstrapGrant writes an approved system-wide grant of pattern to u
// without the workflow (decision note "bootstrap") and its grant.bootstrap
// event; note is added to the event's detail.
func (s *Service) bootstrapGrant(ctx context.Context, tx *store.Tx, u identity.User, pattern, reason, note string) (int64, error) {
	p, err := patternIn(ctx, tx, pattern)
	if err != nil {
		return 0, err
	}
	var id int64
	if err := tx.QueryRow(ctx, `INSERT INTO access_grants (user_id, pattern_id, tenant_code, valid_from, reason, status, applied_at, decided_at, decision_note)
		VALUES ($1, $2, '', $3, $4, 'approved', $3, $3, 'bootstrap') RETURNING id`, u.ID, p.ID, s.now(), reason).Scan(&id); err != nil {
		return 0, store.Translate(err)
	}
	return id, audit.Record(ctx, tx, audit.Event{Action: "grant.bootstrap", Subject: audit.Subject{Type: "user", ID: u.LoginID}, Outcome: audit.OK,
		Detail: "grant=" + itoa(id) + " pattern=" + pattern + note + " reason=" + reason})
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

// orCode is a municipality's name, or its code when the name is unknown.
func orCode(name, code string) string {
	if name != "" {
		return name
	}
	return code
}
