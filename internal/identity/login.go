package identity

import (
	"context"
	"time"

	"bango/internal/audit"
	"bango/internal/cleantext"
	"bango/internal/errs"
	"bango/internal/store"
)

// errLogin is the one answer to every failed login, whatever the reason, so
// that nobody learns whether a login ID exists or is locked. The audit log
// records the real reason.
var errLogin = errs.Tell(errs.Unauthenticated, errs.Message{
	JA: "ログインできません。ID・パスワード・認証コードを確かめてください。続けて失敗すると、しばらくロックされます。",
	EN: "Login failed: check the ID, password and code. Repeated failures lock the account for a while.",
}, "login failed")

// ErrLogin reports whether err is the generic login failure.
func ErrLogin(err error) bool { return err == errLogin }

type secrets struct {
	user     User
	password string
	pin      string
	totp     []byte
	pending  []byte // a TOTP secret being enrolled, sealed
	failed   int
	lastStep int64
}

// secretsOf reads loginID's secrets, opening the TOTP secret outside any
// transaction: the vault may read its keys from the pool.
func (s *Service) secretsOf(ctx context.Context, loginID string) (secrets, error) {
	var sc secrets
	var sealed []byte
	err := s.db.Read(ctx, func(q store.Querier) error {
		u, err := scanUser(q.QueryRow(ctx, selectUser+` WHERE login_id = $1`, loginID))
		if err != nil {
			return store.ScanErr(err, "user")
		}
		sc.user = u
		return store.Translate(q.QueryRow(ctx, `SELECT password_hash, pin_hash, totp_sealed, totp_pending_sealed, failed_logins, totp_last_step
			FROM staff_users WHERE id = $1`, u.ID).Scan(&sc.password, &sc.pin, &sealed, &sc.pending, &sc.failed, &sc.lastStep))
	})
	if err != nil {
		return secrets{}, err
	}
	if sealed != nil {
		if sc.totp, err = s.vault.Open(ctx, totpBinding(loginID), sealed); err != nil {
			return secrets{}, err
		}
	}
	return sc, nil
}

// CheckPassword is the first step of a login: the password. It returns the
// user, who must still pass the second factor. Failures count towards the
// lockout; every outcome is an audit event.
func (s *Service) CheckPassword(ctx context.Context, loginID, password string) (User, error) {
	if !cleantext.Valid(loginID, false) {
		// No account has such an ID: the same answer, the same work, and
		// an audit record that holds no unreadable bytes.
		if _, err := s.hasher.Verify(ctx, "", password); err != nil {
			return User{}, err // busy, or the caller left: nothing checked, nothing recorded
		}
		return User{}, s.denied(ctx, cleantext.Shown(loginID), User{}, "login.password", "unreadable_login_id")
	}
	sc, err := s.secretsOf(ctx, loginID)
	switch {
	case errs.Is(err, errs.NotFound):
		// The same work as a real check, and the same answer when busy.
		if _, err := s.hasher.Verify(ctx, "", password); err != nil {
			return User{}, err
		}
		return User{}, s.denied(ctx, loginID, User{}, "login.password", "unknown_login_id")
	case err != nil:
		return User{}, err
	}
	ok, err := s.hasher.Verify(ctx, sc.password, password)
	if err != nil {
		return User{}, err
	}
	switch {
	case sc.user.Status != Active:
		return User{}, s.denied(ctx, loginID, sc.user, "login.password", "retired")
	case s.locked(sc.user):
		return User{}, s.denied(ctx, loginID, sc.user, "login.password", "locked")
	case !ok:
		return User{}, s.fail(ctx, sc.user, "login.password", "wrong_password")
	}
	return sc.user, audit.RecordAlone(ctx, s.db, audit.Event{Tenant: sc.user.Tenant, Action: "login.password",
		Subject: audit.Subject{Type: "user", ID: loginID}, Outcome: audit.OK})
}

// CheckSecondFactor is the second step: a TOTP code from the user's app and
// the PIN. A code is accepted once (replays within its window are refused).
// Success clears the failure count.
func (s *Service) CheckSecondFactor(ctx context.Context, loginID, code, pin string) (User, error) {
	sc, err := s.secretsOf(ctx, loginID)
	if errs.Is(err, errs.NotFound) {
		return User{}, s.denied(ctx, loginID, User{}, "login.second_factor", "unknown_login_id")
	} else if err != nil {
		return User{}, err
	}
	pinOK, err := s.hasher.Verify(ctx, sc.pin, pin)
	if err != nil {
		return User{}, err
	}
	switch {
	case sc.user.Status != Active:
		return User{}, s.denied(ctx, loginID, sc.user, "login.second_factor", "retired")
	case s.locked(sc.user):
		return User{}, s.denied(ctx, loginID, sc.user, "login.second_factor", "locked")
	case sc.totp == nil || sc.pin == "":
		return User{}, s.denied(ctx, loginID, sc.user, "login.second_factor", "not_enrolled")
	}
	step, codeOK := checkTOTP(sc.totp, code, s.now(), sc.lastStep)
	if !codeOK || !pinOK {
		why := "wrong_code"
		if !pinOK {
			why = "wrong_pin"
		} else if _, any := checkTOTP(sc.totp, code, s.now(), -1); any {
			why = "replayed_code"
		}
		return User{}, s.fail(ctx, sc.user, "login.second_factor", why)
	}
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		// Only a later step may pass: two logins racing with one code get one.
		res, err := tx.Exec(ctx, `UPDATE staff_users SET totp_last_step = $1, failed_logins = 0, locked_until = NULL
			WHERE id = $2 AND totp_last_step < $1`, step, sc.user.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errLogin
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: sc.user.Tenant, Action: "login.second_factor",
			Subject: audit.Subject{Type: "user", ID: loginID}, Outcome: audit.OK, Detail: "method=totp+pin"})
	})
	if err == errLogin {
		return User{}, s.fail(ctx, sc.user, "login.second_factor", "replayed_code")
	}
	return sc.user, err
}

func (s *Service) locked(u User) bool {
	return !u.LockedUntil.IsZero() && s.now().Before(u.LockedUntil)
}

// fail counts a failure against u, locks the account at the threshold, and
// records both.
func (s *Service) fail(ctx context.Context, u User, action, why string) error {
	now := s.now()
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `UPDATE staff_users SET failed_logins = failed_logins + 1, updated_at = $1 WHERE id = $2
			RETURNING failed_logins`, now, u.ID).Scan(&n); err != nil {
			return store.Translate(err)
		}
		if err := audit.Record(ctx, tx, audit.Event{Tenant: u.Tenant, Action: action, Subject: audit.Subject{Type: "user", ID: u.LoginID},
			Outcome: audit.Denied, Detail: "reason=" + why + " failures=" + itoa(n)}); err != nil {
			return err
		}
		if s.policy.LockAfter > 0 && n >= s.policy.LockAfter {
			until := now.Add(s.policy.LockFor)
			if _, err := tx.Exec(ctx, `UPDATE staff_users SET locked_until = $1, failed_logins = 0 WHERE id = $2`, until, u.ID); err != nil {
				return err
			}
			return audit.Record(ctx, tx, audit.Event{Tenant: u.Tenant, Action: "login.lockout", Subject: audit.Subject{Type: "user", ID: u.LoginID},
				Outcome: audit.Denied, Detail: "until=" + until.Format(time.RFC3339)})
		}
		return nil
	})
	if err != nil {
		return err
	}
	return errLogin
}

// denied records a refused login that counts no failure (unknown ID,
// retired, already locked) and answers with the generic failure.
func (s *Service) denied(ctx context.Context, loginID string, u User, action, why string) error {
	ev := audit.Event{Tenant: u.Tenant, Action: action, Subject: audit.Subject{Type: "user", ID: loginID}, Outcome: audit.Denied, Detail: "reason=" + why}
	if aerr := audit.RecordAlone(ctx, s.db, ev); aerr != nil {
		return aerr
	}
	return errLogin
}
