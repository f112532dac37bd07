package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/store"
)

// An IS administrator who sets a one-time password (a new account, a
// reset) must not also hold the account's first enrolment, or they could
// enrol their own authenticator and become the user. So such an
// enrolment needs an activation code, issued by someone else — the
// section head who may apply for the user's rights — and handed over in
// person (issue 15). The CLI and the first start set passwords as the
// system (no staff member), and their accounts need none.

// activationLife is how long an activation code may be used.
const activationLife = 72 * time.Hour

// activationAlphabet leaves out letters and digits read one for another.
const activationAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// actingStaff is the id of the staff member acting in ctx (the audit
// actor), or nil when the actor is not a staff account.
func actingStaff(ctx context.Context, tx *store.Tx) (any, error) {
	a, _ := audit.ActorFrom(ctx)
	if a.User == "" {
		return nil, nil
	}
	var id int64
	err := tx.QueryRow(ctx, `SELECT id FROM staff_users WHERE login_id = $1`, a.User).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, store.Translate(err)
	}
	return id, nil
}

func newActivationCode() string {
	b := make([]byte, 10)
	rand.Read(b)
	for i := range b {
		b[i] = activationAlphabet[int(b[i])%len(activationAlphabet)]
	}
	return string(b[:5]) + "-" + string(b[5:])
}

// normalActivation reads a code as typed: case, spaces and hyphens aside.
func normalActivation(code string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '-' || r == ' ' || r == '　':
			return -1
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		}
		return r
	}, code)
}

func activationHash(code string) string {
	sum := sha256.Sum256([]byte(normalActivation(code)))
	return hex.EncodeToString(sum[:])
}

// IssueActivation gives the user loginID an activation code for their
// first enrolment and returns it, to be shown once to issuer. may says
// whether issuer may act for the user (the rule of who may apply for the
// user's rights); the administrator who set the user's one-time password
// and the user themselves never may. Every issue and refusal is audited.
func (s *Service) IssueActivation(ctx context.Context, issuer User, loginID string, may func(issuer, user User) error) (string, error) {
	const action = "user.activation"
	subject := audit.Subject{Type: "user", ID: loginID}
	u, err := s.Get(ctx, loginID)
	if err != nil {
		return "", s.failed(ctx, "", action, subject, err)
	}
	var setBy sql.NullInt64
	if err := s.db.QueryRow(ctx, `SELECT credential_set_by FROM staff_users WHERE id = $1`, u.ID).Scan(&setBy); err != nil {
		return "", store.Translate(err)
	}
	switch {
	case u.Status != Active:
		err = errs.Tell(errs.Forbidden, errs.Message{
			JA: u.Name + "さんは在職中ではないため、登録コードは発行できません。",
			EN: u.Name + " is not active staff, so no activation code can be issued.",
		}, "%s is not active", loginID)
	case !NeedsEnrolment(u) || !u.NeedsActivation:
		err = errs.Tell(errs.Conflict, errs.Message{
			JA: u.Name + "さんには登録コードは要りません。管理者が設定した初期パスワードで初回登録を待っている職員にだけ発行します。",
			EN: u.Name + " needs no activation code: it is issued only to staff awaiting their first enrolment after an administrator set their one-time password.",
		}, "%s needs no activation code: no administrator-set password is waiting for a first enrolment", loginID)
	case issuer.ID == u.ID:
		err = errs.Tell(errs.Forbidden, errs.Message{
			JA: "自分の登録コードは発行できません。所属長に発行を依頼してください。",
			EN: "You cannot issue your own activation code: ask your section head to issue it.",
		}, "nobody issues their own activation code")
	case setBy.Valid && setBy.Int64 == issuer.ID:
		err = errs.Tell(errs.Forbidden, errs.Message{
			JA: u.Name + "さんの初期パスワードを設定した人は、登録コードを発行できません。" + u.Name + "さんの所属長が発行します。",
			EN: "Whoever set " + u.Name + "'s one-time password cannot also issue the activation code: their section head does.",
		}, "whoever set the one-time password does not also issue the activation code: the section head does")
	default:
		err = may(issuer, u)
	}
	if err != nil {
		return "", s.failed(ctx, u.Tenant, action, subject, err)
	}
	code := newActivationCode()
	expires := s.now().Add(activationLife)
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE staff_users SET activation_hash = $1, activation_expires_at = $2, activation_by = $3 WHERE id = $4`,
			activationHash(code), expires, issuer.ID, u.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: u.Tenant, Action: action, Subject: subject, Outcome: audit.OK,
			Detail: "by=" + issuer.LoginID + " expires=" + expires.Format(time.RFC3339)})
	})
	if err != nil {
		return "", err
	}
	return code, nil
}

// activationOK reports whether code is the user's unexpired activation code.
func (s *Service) activationOK(ctx context.Context, userID int64, code string) (bool, error) {
	var hash string
	var expires sql.NullTime
	if err := s.db.QueryRow(ctx, `SELECT activation_hash, activation_expires_at FROM staff_users WHERE id = $1`, userID).Scan(&hash, &expires); err != nil {
		return false, store.Translate(err)
	}
	if hash == "" || !expires.Valid || !s.now().Before(expires.Time) {
		return false, nil
	}
	return subtle.ConstantTimeCompare([]byte(hash), []byte(activationHash(code))) == 1, nil
}
