package identity

import (
	"context"
	"strings"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/store"
	"bango/internal/vault"
)

func totpBinding(loginID string) vault.Binding {
	return vault.Binding{Tenant: vault.System, Table: "staff_users", Column: "totp", Row: loginID}
}

// EnrollTOTP gives the user a new TOTP secret, sealed at rest, and returns
// it once for the authenticator app. The previous secret, if any, stops
// working.
func (s *Service) EnrollTOTP(ctx context.Context, loginID string) (TOTPKey, error) {
	subject := audit.Subject{Type: "user", ID: loginID}
	u, err := s.Get(ctx, loginID)
	if err == nil && u.Status != Active {
		err = errRetired(u)
	}
	if err != nil {
		return TOTPKey{}, s.failed(ctx, "", "totp.enroll", subject, err)
	}
	secret := newTOTPSecret()
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		if err := s.vault.EnsureSystemKeys(ctx, tx); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return TOTPKey{}, err
	}
	sealed, ver, err := s.vault.Seal(ctx, totpBinding(loginID), secret)
	if err != nil {
		return TOTPKey{}, err
	}
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE staff_users SET totp_sealed = $1, totp_key_version = $2, totp_last_step = 0, updated_at = $3 WHERE id = $4`,
			sealed, ver, s.now(), u.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: u.Tenant, Action: "totp.enroll", Subject: subject, Outcome: audit.OK})
	})
	if err != nil {
		return TOTPKey{}, s.failed(ctx, u.Tenant, "totp.enroll", subject, err)
	}
	return totpKey(s.policy.Issuer, loginID, secret), nil
}

// SetPIN sets the PIN that goes with the TOTP code: 4 to 8 digits, stored
// as an Argon2id hash.
func (s *Service) SetPIN(ctx context.Context, loginID, pin string) error {
	subject := audit.Subject{Type: "user", ID: loginID}
	pin = strings.TrimSpace(pin)
	if len(pin) < 4 || len(pin) > 8 || strings.Trim(pin, "0123456789") != "" {
		return s.failed(ctx, "", "pin.set", subject, &errs.FieldErrors{List: []errs.FieldError{{Field: "pin", Reason: errs.Message{
			JA: "PINは4〜8桁の数字です", EN: "must be 4 to 8 digits"}}}})
	}
	if distinct(pin) < 2 {
		return s.failed(ctx, "", "pin.set", subject, &errs.FieldErrors{List: []errs.FieldError{{Field: "pin", Reason: errs.Message{
			JA: "同じ数字だけのPINは使えません", EN: "must not be one digit repeated"}}}})
	}
	u, err := s.Get(ctx, loginID)
	if err != nil {
		return s.failed(ctx, "", "pin.set", subject, err)
	}
	hash, err := s.hasher.Hash(ctx, pin)
	if err != nil {
		return err
	}
	return s.db.Transact(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE staff_users SET pin_hash = $1, updated_at = $2 WHERE id = $3`, hash, s.now(), u.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: u.Tenant, Action: "pin.set", Subject: subject, Outcome: audit.OK})
	})
}
