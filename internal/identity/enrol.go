package identity

import (
	"context"
	"strings"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/store"
	"bango/internal/vault"
)

func pendingBinding(loginID string) vault.Binding {
	return vault.Binding{Tenant: vault.System, Table: "staff_users", Column: "totp_pending", Row: loginID}
}

// NeedsEnrolment reports whether u must set up their second factor before
// the first full login: no TOTP secret, or no PIN.
func NeedsEnrolment(u User) bool { return !u.HasTOTP || !u.HasPIN }

// PendingTOTP returns the TOTP secret a user without one is enrolling,
// making it on first call; it stays the same until confirmed, so that a
// reload shows the same QR code. A user who has a secret (given by an
// administrator) gets none: they confirm with their app's code.
func (s *Service) PendingTOTP(ctx context.Context, loginID string) (TOTPKey, bool, error) {
	u, err := s.Get(ctx, loginID)
	if err != nil {
		return TOTPKey{}, false, err
	}
	if u.HasTOTP {
		return TOTPKey{}, false, nil
	}
	var sealed []byte
	if err := s.db.QueryRow(ctx, `SELECT totp_pending_sealed FROM staff_users WHERE id = $1`, u.ID).Scan(&sealed); err != nil {
		return TOTPKey{}, false, store.Translate(err)
	}
	if sealed != nil {
		secret, err := s.vault.Open(ctx, pendingBinding(loginID), sealed)
		if err != nil {
			return TOTPKey{}, false, err
		}
		return totpKey(s.policy.Issuer, loginID, secret), true, nil
	}
	secret := newTOTPSecret()
	if err := s.db.Transact(ctx, func(tx *store.Tx) error { return s.vault.EnsureSystemKeys(ctx, tx) }); err != nil {
		return TOTPKey{}, false, err
	}
	sealed, ver, err := s.vault.Seal(ctx, pendingBinding(loginID), secret)
	if err != nil {
		return TOTPKey{}, false, err
	}
	if _, err := s.db.Exec(ctx, `UPDATE staff_users SET totp_pending_sealed = $1, totp_pending_key_version = $2 WHERE id = $3`, sealed, ver, u.ID); err != nil {
		return TOTPKey{}, false, store.Translate(err)
	}
	return totpKey(s.policy.Issuer, loginID, secret), true, nil
}

// ConfirmEnrolment finishes a user's own enrolment: the code from their app
// proves it holds the secret (the pending one, or the one an administrator
// gave), and the PIN they chose is set. Both land in one transaction. An
// account whose one-time password an administrator set also needs the
// activation code its section head issued (see IssueActivation). Wrong
// codes count towards the lockout, and a locked account cannot enrol.
func (s *Service) ConfirmEnrolment(ctx context.Context, loginID, activation, code, pin, pinAgain string) error {
	subject := audit.Subject{Type: "user", ID: loginID}
	if err := checkNewPIN(pin, pinAgain); err != nil {
		return s.failed(ctx, "", "totp.enrol", subject, err)
	}
	pin = strings.TrimSpace(pin)
	sc, err := s.secretsOf(ctx, loginID)
	if err != nil {
		return err
	}
	if s.locked(sc.user) {
		return s.denied(ctx, loginID, sc.user, "totp.enrol", "locked")
	}
	if sc.user.NeedsActivation {
		ok, err := s.activationOK(ctx, sc.user.ID, activation)
		if err != nil {
			return err
		}
		if !ok {
			return s.fail(ctx, sc.user, "totp.enrol", "wrong_activation_code")
		}
	}
	secret, fromPending := sc.totp, false
	if secret == nil {
		pending := sc.pending
		if pending == nil {
			return s.failed(ctx, sc.user.Tenant, "totp.enrol", subject, errs.Tell(errs.Invalid, errs.Message{
				JA: "認証アプリの登録が始まっていません。画面を開き直し、表示されたQRコードを認証アプリで読み取ってから、もう一度入力してください。",
				EN: "The authenticator app's enrolment has not started: reload the page, scan the QR code shown with the app, then enter the code again.",
			}, "no TOTP secret is being enrolled; reload the page"))
		}
		if secret, err = s.vault.Open(ctx, pendingBinding(loginID), pending); err != nil {
			return err
		}
		fromPending = true
	}
	step, ok := checkTOTP(secret, code, s.now(), sc.lastStep)
	if !ok {
		return s.fail(ctx, sc.user, "totp.enrol", "wrong_code")
	}
	pinHash, err := s.hasher.Hash(ctx, pin)
	if err != nil {
		return err
	}
	var sealed []byte
	var ver int
	if fromPending {
		if sealed, ver, err = s.vault.Seal(ctx, totpBinding(loginID), secret); err != nil {
			return err
		}
	}
	return s.db.Transact(ctx, func(tx *store.Tx) error {
		if fromPending {
			if _, err := tx.Exec(ctx, `UPDATE staff_users SET totp_sealed = $1, totp_key_version = $2,
				totp_pending_sealed = NULL, totp_pending_key_version = NULL WHERE id = $3`, sealed, ver, sc.user.ID); err != nil {
				return err
			}
		}
		// The code is used once: a step no later than one already used does
		// not pass, as at login.
		res, err := tx.Exec(ctx, `UPDATE staff_users SET pin_hash = $1, totp_last_step = $2, failed_logins = 0, updated_at = $3,
			credential_set_by = NULL, activation_hash = '', activation_expires_at = NULL WHERE id = $4 AND totp_last_step < $2`,
			pinHash, step, s.now(), sc.user.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errLogin
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: sc.user.Tenant, Action: "totp.enrol", Subject: subject, Outcome: audit.OK,
			Detail: "by=self totp=" + map[bool]string{true: "new", false: "given"}[fromPending] + " pin=set"})
	})
}

// checkNewPIN applies the PIN rules to a PIN typed twice.
func checkNewPIN(pin, again string) error {
	var fe errs.FieldErrors
	pin = strings.TrimSpace(pin)
	if len(pin) < 4 || len(pin) > 8 || strings.Trim(pin, "0123456789") != "" || distinct(pin) < 2 {
		fe.Add("pin", errs.Message{JA: "PINは4〜8桁の数字で、同じ数字だけにはできません", EN: "must be 4 to 8 digits, not one digit repeated"})
	} else if pin != strings.TrimSpace(again) {
		fe.Add("pin_again", errs.Message{JA: "確認用のPINが一致しません", EN: "the two PINs differ"})
	}
	return fe.Err()
}

// ChangePIN lets a user set a new PIN, proving themselves with a fresh
// code from their authenticator app (the old PIN may be what they forgot;
// the code, used once, stands for it).
func (s *Service) ChangePIN(ctx context.Context, loginID, code, pin, pinAgain string) error {
	subject := audit.Subject{Type: "user", ID: loginID}
	if err := checkNewPIN(pin, pinAgain); err != nil {
		return s.failed(ctx, "", "pin.change", subject, err)
	}
	sc, err := s.secretsOf(ctx, loginID)
	if err != nil {
		return err
	}
	if sc.totp == nil || sc.user.Status != Active {
		return s.failed(ctx, sc.user.Tenant, "pin.change", subject, errs.Tell(errs.Forbidden, errs.Message{
			JA: "認証アプリが登録されていないため、PINを変更できません。情報システム部門に相談してください。",
			EN: "No authenticator app is enrolled, so the PIN cannot be changed: ask the IS department.",
		}, "no authenticator is enrolled"))
	}
	if s.locked(sc.user) {
		return s.denied(ctx, loginID, sc.user, "pin.change", "locked")
	}
	step, ok := checkTOTP(sc.totp, code, s.now(), sc.lastStep)
	if !ok {
		return s.fail(ctx, sc.user, "pin.change", "wrong_code")
	}
	hash, err := s.hasher.Hash(ctx, strings.TrimSpace(pin))
	if err != nil {
		return err
	}
	return s.db.Transact(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE staff_users SET pin_hash = $1, totp_last_step = $2, updated_at = $3 WHERE id = $4 AND totp_last_step < $2`,
			hash, step, s.now(), sc.user.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errLogin // the code was used meanwhile
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: sc.user.Tenant, Action: "pin.change", Subject: subject, Outcome: audit.OK})
	})
}
