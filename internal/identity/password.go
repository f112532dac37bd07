package identity

import (
	"context"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/store"
)

// historyDepth is how many earlier passwords may not be reused.
const historyDepth = 5

// errWrongPassword refuses a password change whose current password is
// wrong, beside the field where it was typed.
var errWrongPassword = &errs.FieldErrors{Kind: errs.Unauthenticated, List: []errs.FieldError{{Field: "current", Reason: errs.Message{
	JA: "現在のパスワードが違います。今使っているパスワードを入力してください",
	EN: "the current password is wrong: type the password you use now",
}}}}

// ChangePassword lets a user set their own password (R-AUTH-3): the current
// one must be given, and the new one must pass the policy and differ from
// the last five.
// Every session of the user ends.
func (s *Service) ChangePassword(ctx context.Context, loginID, current, next string) error {
	return s.changePassword(ctx, loginID, current, next, nil)
}

// changePassword ends every session of the user but the one whose token
// hash is keep.
func (s *Service) changePassword(ctx context.Context, loginID, current, next string, keep []byte) error {
	subject := audit.Subject{Type: "user", ID: loginID}
	u, hash, err := s.passwordOf(ctx, loginID)
	if err != nil {
		return s.failed(ctx, "", "password.change", subject, err)
	}
	ok, err := s.hasher.Verify(ctx, hash, current)
	if err != nil {
		return err
	}
	if !ok {
		return s.failed(ctx, u.Tenant, "password.change", subject, errWrongPassword)
	}
	if err := s.setPassword(ctx, u, next, false, "password.change", keep); err != nil {
		return s.failed(ctx, u.Tenant, "password.change", subject, err)
	}
	return nil
}

// ChangeOwnPassword is ChangePassword by the user in sess: every other
// session of theirs ends, sess goes on.
func (s *Service) ChangeOwnPassword(ctx context.Context, sess Session, current, next string) error {
	return s.changePassword(ctx, sess.User.LoginID, current, next, sess.tokenHash)
}

// ResetPassword gives a user a new one-time password, to be changed at the
// next login, and returns it once. It is an administrator's action.
func (s *Service) ResetPassword(ctx context.Context, loginID string) (string, error) {
	subject := audit.Subject{Type: "user", ID: loginID}
	u, _, err := s.passwordOf(ctx, loginID)
	if err != nil {
		return "", s.failed(ctx, "", "password.reset", subject, err)
	}
	temp := tempPassword()
	if err := s.setPassword(ctx, u, temp, true, "password.reset", nil); err != nil {
		return "", s.failed(ctx, u.Tenant, "password.reset", subject, err)
	}
	return temp, nil
}

func (s *Service) passwordOf(ctx context.Context, loginID string) (User, string, error) {
	var hash string
	u, err := scanUser(s.db.QueryRow(ctx, selectUser+` WHERE login_id = $1`, loginID))
	if err != nil {
		return User{}, "", store.ScanErr(err, "user "+loginID)
	}
	if u.Status != Active {
		return User{}, "", errRetired(u)
	}
	err = s.db.QueryRow(ctx, `SELECT password_hash FROM staff_users WHERE id = $1`, u.ID).Scan(&hash)
	return u, hash, store.Translate(err)
}

// setPassword checks next against the policy and the history, and stores
// it. mustChange marks a one-time password: whoever sets one is recorded,
// so that the first enrolment after it needs someone else's activation
// code. Every session of the user ends but keep's (none for a reset).
func (s *Service) setPassword(ctx context.Context, u User, next string, mustChange bool, action string, keep []byte) error {
	if r := CheckPassword(u.LoginID, next); r != nil {
		return &errs.FieldErrors{List: []errs.FieldError{{Field: "new", Reason: *r}}}
	}
	old, err := store.Rows(scanHash)(s.db.Query(ctx, `SELECT hash FROM staff_password_history WHERE user_id = $1 ORDER BY created_at DESC LIMIT $2`, u.ID, historyDepth))
	if err != nil {
		return err
	}
	for _, h := range old {
		same, err := s.hasher.Verify(ctx, h, next)
		if err != nil {
			return err
		}
		if same {
			return &errs.FieldErrors{List: []errs.FieldError{{Field: "new", Reason: errs.Message{
				JA: "最近使った5つのパスワードは使えません", EN: "must differ from the last 5 passwords"}}}}
		}
	}
	hash, err := s.hasher.Hash(ctx, next)
	if err != nil {
		return err
	}
	now := s.now()
	return s.db.Transact(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE staff_users SET password_hash = $1, password_changed_at = $2, must_change_password = $3,
			failed_logins = 0, locked_until = NULL, updated_at = $2 WHERE id = $4`, hash, now, mustChange, u.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO staff_password_history (user_id, hash, created_at) VALUES ($1, $2, $3)`, u.ID, hash, now); err != nil {
			return err
		}
		if mustChange {
			setBy, err := actingStaff(ctx, tx)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE staff_users SET credential_set_by = $1, activation_hash = '', activation_expires_at = NULL WHERE id = $2`, setBy, u.ID); err != nil {
				return err
			}
		}
		res, err := tx.Exec(ctx, `DELETE FROM staff_sessions WHERE user_id = $1 AND token_hash <> $2`, u.ID, append([]byte{}, keep...))
		if err != nil {
			return err
		}
		ended, _ := res.RowsAffected()
		return audit.Record(ctx, tx, audit.Event{Tenant: u.Tenant, Action: action, Subject: audit.Subject{Type: "user", ID: u.LoginID}, Outcome: audit.OK,
			Detail: "sessions_ended=" + itoa(int(ended))})
	})
}

// PasswordExpired reports whether u must change the password before doing
// anything else: a one-time password, or one older than the policy allows.
func (s *Service) PasswordExpired(u User) bool {
	if u.MustChangePassword {
		return true
	}
	return s.policy.PasswordMaxAge > 0 && s.now().Sub(u.PasswordChangedAt) > s.policy.PasswordMaxAge
}

func scanHash(row store.Scanner) (string, error) {
	var h string
	err := row.Scan(&h)
	return h, err
}
