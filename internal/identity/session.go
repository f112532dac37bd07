package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"time"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/store"
)

// Session stages.
const (
	StagePassword = "password" // password passed; second factor next
	StageActive   = "active"   // fully logged in
)

// SessionPolicy sets the idle lock and the absolute lifetime (R-AUTH-4).
type SessionPolicy struct {
	IdleLock time.Duration // no activity this long locks the session
	Lifetime time.Duration // a session ends this long after login, whatever happens
	StepUp   time.Duration // a second factor this recent counts for sensitive acts
	// PasswordStage is the life of a session that passed the password
	// only: long enough to type a code or enrol an app, too short to
	// guess at leisure.
	PasswordStage time.Duration
}

// DefaultSessionPolicy: lock after 10 idle minutes, end after 9 hours.
var DefaultSessionPolicy = SessionPolicy{IdleLock: 10 * time.Minute, Lifetime: 9 * time.Hour, StepUp: 5 * time.Minute, PasswordStage: 10 * time.Minute}

// Session is a staff member's server-side session.
type Session struct {
	ID             string // short hash of the token, for the audit log; never the token
	User           User
	Stage          string
	Locked         bool
	LockReason     string // LockedByUser or LockedIdle while locked
	CSRF           string
	Address        string
	Terminal       string
	Tenant         string // the municipality the session works in now
	ReturnTo       string
	CreatedAt      time.Time
	LastSeen       time.Time
	SecondFactorAt time.Time
	ExpiresAt      time.Time
	tokenHash      []byte
}

// Why a session was locked, as the lock screen says.
const (
	LockedByUser = "user" // the person's own button, leaving the desk
	LockedIdle   = "idle" // no activity for the idle-lock time
)

// IdleLeft is how long until the session locks for idleness.
func (s Session) IdleLeft(p SessionPolicy, now time.Time) time.Duration {
	return max(0, s.LastSeen.Add(p.IdleLock).Sub(now))
}

func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("identity: no randomness: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// SetSessionPolicy sets the idle lock and lifetime.
func (s *Service) SetSessionPolicy(p SessionPolicy) { s.sessions = p }

// SessionPolicy returns the session policy.
func (s *Service) SessionPolicy() SessionPolicy { return s.sessions }

// StartSession opens a session for u at stage and returns its token, the
// cookie's value. Every login gets a new token.
func (s *Service) StartSession(ctx context.Context, u User, stage, address, terminal, returnTo string) (string, Session, error) {
	token := randomToken()
	now := s.now()
	sess := Session{User: u, Stage: stage, CSRF: randomToken(), Address: address, Terminal: terminal, ReturnTo: returnTo,
		CreatedAt: now, LastSeen: now, ExpiresAt: now.Add(s.sessions.Lifetime), tokenHash: hashToken(token)}
	if stage == StagePassword {
		sess.ExpiresAt = now.Add(s.sessions.PasswordStage)
	}
	sess.ID = hex.EncodeToString(sess.tokenHash[:8])
	var sfa any
	if stage == StageActive {
		sess.SecondFactorAt = now
		sfa = now
	}
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO staff_sessions (token_hash, user_id, stage, csrf_token, address, terminal, return_to,
			created_at, last_seen_at, second_factor_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10)`,
			sess.tokenHash, u.ID, stage, sess.CSRF, address, terminal, returnTo, now, sfa, sess.ExpiresAt)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: u.Tenant, Action: "session.start", Subject: audit.Subject{Type: "user", ID: u.LoginID},
			Outcome: audit.OK, Detail: "stage=" + stage, Actor: audit.Actor{User: u.LoginID, Session: sess.ID, Terminal: terminal, Address: address}})
	})
	return token, sess, err
}

// ErrNoSession means the token opens no live session: none, expired, or
// ended.
var ErrNoSession = errs.E(errs.Unauthenticated, "no session; please log in")

// Session returns the live session of token. A session past its lifetime
// is ended; one idle past the idle lock is locked (and stays locked until
// Unlock). Activity is recorded, at most every few seconds.
func (s *Service) Session(ctx context.Context, token string) (Session, error) {
	if token == "" {
		return Session{}, ErrNoSession
	}
	th := hashToken(token)
	var sess Session
	var uid int64
	var sfa sql.NullTime
	err := s.db.QueryRow(ctx, `SELECT user_id, stage, locked, lock_reason, csrf_token, address, terminal, tenant_code, return_to, created_at, last_seen_at,
		second_factor_at, expires_at FROM staff_sessions WHERE token_hash = $1`, th).Scan(&uid, &sess.Stage, &sess.Locked, &sess.LockReason, &sess.CSRF,
		&sess.Address, &sess.Terminal, &sess.Tenant, &sess.ReturnTo, &sess.CreatedAt, &sess.LastSeen, &sfa, &sess.ExpiresAt)
	if err == sql.ErrNoRows {
		return Session{}, ErrNoSession
	} else if err != nil {
		return Session{}, store.Translate(err)
	}
	sess.tokenHash, sess.ID, sess.SecondFactorAt = th, hex.EncodeToString(th[:8]), sfa.Time
	if sess.User, err = scanUser(s.db.QueryRow(ctx, selectUser+` WHERE id = $1`, uid)); err != nil {
		return Session{}, store.Translate(err)
	}
	now := s.now()
	switch {
	case !now.Before(sess.ExpiresAt) || sess.User.Status != Active:
		s.endSession(ctx, sess, "expired")
		return Session{}, ErrNoSession
	case !sess.Locked && now.Sub(sess.LastSeen) >= s.sessions.IdleLock:
		if err := s.setLocked(ctx, sess, LockedIdle); err != nil {
			return Session{}, err
		}
		sess.Locked, sess.LockReason = true, LockedIdle
	case !sess.Locked && now.Sub(sess.LastSeen) >= 5*time.Second:
		if _, err := s.db.Exec(ctx, `UPDATE staff_sessions SET last_seen_at = $1 WHERE token_hash = $2`, now, th); err != nil {
			return Session{}, store.Translate(err)
		}
		sess.LastSeen = now
	}
	return sess, nil
}

// setLocked locks sess for reason, or unlocks it for reason "".
func (s *Service) setLocked(ctx context.Context, sess Session, reason string) error {
	return s.db.Transact(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE staff_sessions SET locked = $1, lock_reason = $2, last_seen_at = $3 WHERE token_hash = $4`,
			reason != "", reason, s.now(), sess.tokenHash); err != nil {
			return err
		}
		action, detail := "session.unlock", ""
		if reason != "" {
			action, detail = "session.lock", "reason="+reason
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: sess.User.Tenant, Action: action, Subject: audit.Subject{Type: "user", ID: sess.User.LoginID},
			Outcome: audit.OK, Detail: detail, Actor: sess.actor()})
	})
}

func (sess Session) actor() audit.Actor {
	return audit.Actor{User: sess.User.LoginID, Session: sess.ID, Terminal: sess.Terminal, Address: sess.Address}
}

// Actor is who acts through sess, for audit events.
func (sess Session) Actor() audit.Actor { return sess.actor() }

// SetSessionTenant sets the municipality sess works in. The caller has
// checked that the user holds rights there; the change is audited.
func (s *Service) SetSessionTenant(ctx context.Context, sess Session, tenant string) error {
	return s.db.Transact(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE staff_sessions SET tenant_code = $1 WHERE token_hash = $2`, tenant, sess.tokenHash); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: "session.scope", Subject: audit.Subject{Type: "user", ID: sess.User.LoginID},
			Outcome: audit.OK, Detail: "from=" + sess.Tenant + " to=" + tenant, Actor: sess.actor()})
	})
}

// Lock locks sess at the user's request.
func (s *Service) Lock(ctx context.Context, sess Session) error {
	return s.setLocked(ctx, sess, LockedByUser)
}

// Unlock reopens a locked session with the second factor; failures count
// towards the account lockout like a login's.
func (s *Service) Unlock(ctx context.Context, sess Session, code, pin string) error {
	if _, err := s.CheckSecondFactor(audit.WithActor(ctx, sess.actor()), sess.User.LoginID, code, pin); err != nil {
		return err
	}
	now := s.now()
	_, err := s.db.Exec(ctx, `UPDATE staff_sessions SET second_factor_at = $1 WHERE token_hash = $2`, now, sess.tokenHash)
	if err != nil {
		return store.Translate(err)
	}
	return s.setLocked(ctx, sess, "")
}

// CompleteLogin ends the password-stage session and opens a fully logged
// in one with a new token, after the second factor passed.
func (s *Service) CompleteLogin(ctx context.Context, sess Session) (string, Session, error) {
	s.endSession(ctx, sess, "promoted")
	return s.StartSession(ctx, sess.User, StageActive, sess.Address, sess.Terminal, sess.ReturnTo)
}

// Logout ends sess.
func (s *Service) Logout(ctx context.Context, sess Session) error {
	return s.endSession(ctx, sess, "logout")
}

func (s *Service) endSession(ctx context.Context, sess Session, why string) error {
	return s.db.Transact(context.WithoutCancel(ctx), func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM staff_sessions WHERE token_hash = $1`, sess.tokenHash)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 || why == "promoted" {
			return nil
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: sess.User.Tenant, Action: "session.end", Subject: audit.Subject{Type: "user", ID: sess.User.LoginID},
			Outcome: audit.OK, Detail: "reason=" + why, Actor: sess.actor()})
	})
}

// endUserSessions ends every session of a user, inside tx.
func endUserSessions(ctx context.Context, tx *store.Tx, userID int64) (int64, error) {
	res, err := tx.Exec(ctx, `DELETE FROM staff_sessions WHERE user_id = $1`, userID)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// SecondFactorRecent reports whether sess passed a second factor within the
// step-up window, for acts like revealing a My Number.
func (s *Service) SecondFactorRecent(sess Session) bool {
	return !sess.SecondFactorAt.IsZero() && s.now().Sub(sess.SecondFactorAt) <= s.sessions.StepUp
}
