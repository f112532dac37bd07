package identity

import (
	"context"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/store"
)

// Transfer moves a staff member to another section (and municipality):
// their second factors are deleted in the same transaction (R-AUTH-2), so
// that they enrol again under the new section, and the event records both
// the old and the new place. Grants are revoked here too once they exist.
func (s *Service) Transfer(ctx context.Context, loginID string, to NewUser) error {
	subject := audit.Subject{Type: "user", ID: loginID}
	u, err := s.Get(ctx, loginID)
	if err == nil && u.Status != Active {
		err = errRetired(u)
	}
	if err == nil {
		to.LoginID, to.Name = u.LoginID, u.Name
		err = s.checkNew(ctx, to)
	}
	if err != nil {
		return s.failed(ctx, u.Tenant, "user.transfer", subject, err)
	}
	return s.db.Transact(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE staff_users SET tenant_code = $1, department = $2, section = $3,
			totp_sealed = NULL, totp_key_version = NULL, totp_last_step = 0, pin_hash = '', updated_at = $4 WHERE id = $5`,
			to.Tenant, to.Department, to.Section, s.now(), u.ID); err != nil {
			return err
		}
		passkeys, err := deletePasskeys(ctx, tx, u.ID)
		if err != nil {
			return err
		}
		grants, err := s.revokeGrants(ctx, tx, u, "personnel transfer")
		if err != nil {
			return err
		}
		ended, err := endUserSessions(ctx, tx, u.ID)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: u.Tenant, Action: "user.transfer", Subject: subject, Outcome: audit.OK,
			Detail: "from=" + u.Tenant + "/" + u.Department + "/" + u.Section + " to=" + to.Tenant + "/" + to.Department + "/" + to.Section +
				" second_factors=deleted webauthn_deleted=" + itoa(int(passkeys)) + " grants_revoked=" + itoa(grants) + " sessions_ended=" + itoa(int(ended))})
	})
}

// errRetired refuses to act on the account of a retired staff member.
func errRetired(u User) error {
	return errs.Tell(errs.Forbidden, errs.Message{
		JA: u.Name + "さんは退職済みのため、このアカウントでは操作できません。",
		EN: u.Name + " has retired: nothing can be done with this account.",
	}, "user %s is retired", u.LoginID)
}

// Retire ends a staff member's access for good: the account is kept for
// the audit trail, but its password and second factors are deleted.
func (s *Service) Retire(ctx context.Context, loginID string) error {
	subject := audit.Subject{Type: "user", ID: loginID}
	u, err := s.Get(ctx, loginID)
	if err == nil && u.Status != Active {
		err = errs.Tell(errs.Conflict, errs.Message{
			JA: u.Name + "さんは、すでに退職の処理が済んでいます。",
			EN: u.Name + " has already been retired.",
		}, "user %s is already retired", loginID)
	}
	if err != nil {
		return s.failed(ctx, u.Tenant, "user.retire", subject, err)
	}
	return s.db.Transact(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE staff_users SET status = 'retired', password_hash = '', totp_sealed = NULL, totp_key_version = NULL,
			pin_hash = '', updated_at = $1 WHERE id = $2`, s.now(), u.ID); err != nil {
			return err
		}
		passkeys, err := deletePasskeys(ctx, tx, u.ID)
		if err != nil {
			return err
		}
		grants, err := s.revokeGrants(ctx, tx, u, "retirement")
		if err != nil {
			return err
		}
		ended, err := endUserSessions(ctx, tx, u.ID)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: u.Tenant, Action: "user.retire", Subject: subject, Outcome: audit.OK,
			Detail: "password=deleted second_factors=deleted webauthn_deleted=" + itoa(int(passkeys)) + " grants_revoked=" + itoa(grants) + " sessions_ended=" + itoa(int(ended))})
	})
}

// deletePasskeys deletes every WebAuthn credential of a user, inside tx.
func deletePasskeys(ctx context.Context, tx *store.Tx, userID int64) (int64, error) {
	res, err := tx.Exec(ctx, `DELETE FROM staff_webauthn_credentials WHERE user_id = $1`, userID)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// PersonnelHook ends what a user holds elsewhere (their grants) inside the
// transaction of a transfer or retirement, and says how many it ended.
type PersonnelHook func(ctx context.Context, tx *store.Tx, u User, why string) (int, error)

// SetPersonnelHook registers the hook; the access package provides it.
func (s *Service) SetPersonnelHook(h PersonnelHook) { s.personnel = h }

func (s *Service) revokeGrants(ctx context.Context, tx *store.Tx, u User, why string) (int, error) {
	if s.personnel == nil {
		return 0, nil
	}
	return s.personnel(ctx, tx, u, why)
}
