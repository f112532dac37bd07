package identity

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/store"
	"bango/internal/vault"
)

// WebAuthn is the biometric second factor (R-AUTH-1): after the password,
// a platform authenticator or security key that verifies its user
// (fingerprint, face, palm, or its own PIN) signs the server's challenge.
// User verification is required at registration and at every use. The
// server keeps only the credential's public key and counter; no biometric
// template ever reaches it.

// Passkey is a registered WebAuthn credential, as its owner sees it.
type Passkey struct {
	Ref       string    `json:"ref"` // the credential ID, base64url
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	LastUsed  time.Time `json:"last_used,omitzero"`
}

// ceremonyTimeout bounds how long a browser may take to answer a challenge.
const ceremonyTimeout = 2 * time.Minute

// SetWebAuthn turns WebAuthn on for relying-party ID rpID (a host name
// such as "bango.city.example.lg.jp"; never an IP address) and the
// origins the browser may show (https://host[:port]).
func (s *Service) SetWebAuthn(rpID string, origins []string) error {
	w, err := webauthn.New(&webauthn.Config{
		RPID:                  rpID,
		RPDisplayName:         "bango",
		RPOrigins:             origins,
		AttestationPreference: protocol.PreferNoAttestation,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			UserVerification: protocol.VerificationRequired,
			ResidentKey:      protocol.ResidentKeyRequirementDiscouraged,
		},
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Enforce: true, Timeout: ceremonyTimeout, TimeoutUVD: ceremonyTimeout},
			Registration: webauthn.TimeoutConfig{Enforce: true, Timeout: ceremonyTimeout, TimeoutUVD: ceremonyTimeout},
		},
	})
	if err != nil {
		return errs.E(errs.Invalid, "webauthn: relying party %q, origins %v: %v", rpID, origins, err)
	}
	s.webauthn = w
	return nil
}

// WebAuthnEnabled reports whether WebAuthn is configured.
func (s *Service) WebAuthnEnabled() bool { return s.webauthn != nil }

var errNoWebAuthn = errs.Tell(errs.Unavailable, errs.Message{
	JA: "このサーバーでは生体認証（パスキー）を使えません。認証コードとPINを使ってください。必要な場合は情報システム部門に相談してください。",
	EN: "Passkeys cannot be used on this server: use your code and PIN, or ask the IS department.",
}, "WebAuthn is not configured on this server (setting webauthn-rp-id)")

// passkeyUser is a staff member as the WebAuthn library sees them.
type passkeyUser struct {
	user   User
	handle []byte
	creds  []webauthn.Credential
}

func (p *passkeyUser) WebAuthnID() []byte                         { return p.handle }
func (p *passkeyUser) WebAuthnName() string                       { return p.user.LoginID }
func (p *passkeyUser) WebAuthnDisplayName() string                { return p.user.Name }
func (p *passkeyUser) WebAuthnCredentials() []webauthn.Credential { return p.creds }

// sealedPasskey is what the vault seals: the record names its owner, so
// that a row moved to another user does not open as theirs.
type sealedPasskey struct {
	LoginID    string              `json:"login_id"`
	Credential webauthn.Credential `json:"credential"`
}

func passkeyBinding(ref string) vault.Binding {
	return vault.Binding{Tenant: vault.System, Table: "staff_webauthn_credentials", Column: "record", Row: ref}
}

func credentialRef(id []byte) string { return base64.RawURLEncoding.EncodeToString(id) }

// passkeyUserOf loads u's handle and credentials inside tx, making the
// handle on first use when create is set.
func (s *Service) passkeyUserOf(ctx context.Context, tx *store.Tx, u User, create bool) (*passkeyUser, error) {
	p := &passkeyUser{user: u}
	if err := tx.QueryRow(ctx, `SELECT webauthn_handle FROM staff_users WHERE id = $1`, u.ID).Scan(&p.handle); err != nil {
		return nil, store.Translate(err)
	}
	if p.handle == nil && create {
		p.handle = make([]byte, 32)
		rand.Read(p.handle)
		if _, err := tx.Exec(ctx, `UPDATE staff_users SET webauthn_handle = $1 WHERE id = $2`, p.handle, u.ID); err != nil {
			return nil, err
		}
	}
	decode := func(row store.Scanner) (webauthn.Credential, error) {
		var ref string
		var sealed []byte
		if err := row.Scan(&ref, &sealed); err != nil {
			return webauthn.Credential{}, err
		}
		plain, err := s.vault.Open(ctx, passkeyBinding(ref), sealed)
		if err != nil {
			return webauthn.Credential{}, err
		}
		var rec sealedPasskey
		if err := json.Unmarshal(plain, &rec); err != nil {
			return webauthn.Credential{}, errs.Wrap(errs.Internal, err, "webauthn credential %s", ref)
		}
		if rec.LoginID != u.LoginID || credentialRef(rec.Credential.ID) != ref {
			return webauthn.Credential{}, errs.E(errs.Internal, "webauthn credential %s is not %s's: the table was altered", ref, u.LoginID)
		}
		return rec.Credential, nil
	}
	var err error
	p.creds, err = store.Rows(decode)(tx.Query(ctx, `SELECT ref, record_sealed FROM staff_webauthn_credentials WHERE user_id = $1 ORDER BY id`, u.ID))
	if err != nil {
		return nil, err
	}
	return p, nil
}

// ceremony is a session's open WebAuthn challenge.
type ceremony struct {
	Kind string               `json:"kind"` // "register" or "login"
	Data webauthn.SessionData `json:"data"`
}

func (s *Service) openCeremony(ctx context.Context, tx *store.Tx, sess Session, kind string, data *webauthn.SessionData) error {
	b, err := json.Marshal(ceremony{Kind: kind, Data: *data})
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `UPDATE staff_sessions SET webauthn_ceremony = $1 WHERE token_hash = $2`, string(b), sess.tokenHash)
	return err
}

// takeCeremony reads and clears the session's ceremony: each challenge is
// answered once.
func (s *Service) takeCeremony(ctx context.Context, sess Session, kind string) (webauthn.SessionData, bool, error) {
	var c ceremony
	found := false
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		var raw string
		if err := tx.QueryRow(ctx, `SELECT webauthn_ceremony FROM staff_sessions WHERE token_hash = $1`, sess.tokenHash).Scan(&raw); err != nil {
			return store.Translate(err)
		}
		if raw == "" {
			return nil
		}
		res, err := tx.Exec(ctx, `UPDATE staff_sessions SET webauthn_ceremony = '' WHERE token_hash = $1 AND webauthn_ceremony = $2`, sess.tokenHash, raw)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // another request took it
		}
		found = json.Unmarshal([]byte(raw), &c) == nil && c.Kind == kind
		return nil
	})
	return c.Data, found, err
}

// Passkeys lists loginID's WebAuthn credentials.
func (s *Service) Passkeys(ctx context.Context, loginID string) ([]Passkey, error) {
	return store.Rows(scanPasskey)(s.db.Query(ctx, `SELECT c.ref, c.name, c.created_at, c.last_used_at FROM staff_webauthn_credentials c
		JOIN staff_users u ON u.id = c.user_id WHERE u.login_id = $1 ORDER BY c.id`, loginID))
}

func scanPasskey(row store.Scanner) (Passkey, error) {
	var p Passkey
	var used sql.NullTime
	err := row.Scan(&p.Ref, &p.Name, &p.CreatedAt, &used)
	p.CreatedAt, p.LastUsed = p.CreatedAt.UTC(), used.Time.UTC()
	return p, err
}

var errStepUp = errs.Tell(errs.Forbidden, errs.Message{
	JA: "直前の二要素認証が必要です。画面をロックして二要素認証で解除し直してから、もう一度操作してください。",
	EN: "This needs a recent second factor: lock the screen and unlock it again with the second factor, then try again.",
}, "your last second-factor check is too old: lock the screen and unlock it again")

// BeginPasskeyRegistration starts registering a new WebAuthn credential for
// the session's user and returns the options for navigator.credentials.create.
// It needs a second factor within the step-up window: whoever finds an
// unlocked screen must not add a key of their own.
func (s *Service) BeginPasskeyRegistration(ctx context.Context, sess Session) (*protocol.CredentialCreation, error) {
	if s.webauthn == nil {
		return nil, errNoWebAuthn
	}
	if sess.Stage != StageActive || sess.Locked || !s.SecondFactorRecent(sess) {
		return nil, s.passkeyRefused(ctx, sess, "webauthn.register", "no_recent_second_factor", errStepUp)
	}
	var creation *protocol.CredentialCreation
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		p, err := s.passkeyUserOf(ctx, tx, sess.User, true)
		if err != nil {
			return err
		}
		c, data, err := s.webauthn.BeginRegistration(p, webauthn.WithExclusions(webauthn.Credentials(p.creds).CredentialDescriptors()))
		if err != nil {
			return errs.Wrap(errs.Internal, err, "webauthn: begin registration")
		}
		creation = c
		return s.openCeremony(ctx, tx, sess, "register", data)
	})
	return creation, err
}

// maxPasskeyName bounds a credential's name, in characters.
const maxPasskeyName = 40

// FinishPasskeyRegistration checks the browser's answer to the registration
// challenge and stores the new credential under name. A response that is
// malformed, for another challenge or origin, or without user verification
// is refused and audited; nothing is stored.
func (s *Service) FinishPasskeyRegistration(ctx context.Context, sess Session, name string, response []byte) (Passkey, error) {
	const action = "webauthn.register"
	if s.webauthn == nil {
		return Passkey{}, errNoWebAuthn
	}
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > maxPasskeyName || !utf8.ValidString(name) {
		var fe errs.FieldErrors
		fe.Add("name", errs.Message{JA: "1〜40文字で名前を付けてください", EN: "must be 1 to 40 characters"})
		return Passkey{}, fe.Err()
	}
	data, ok, err := s.takeCeremony(ctx, sess, "register")
	if err != nil {
		return Passkey{}, err
	}
	if !ok {
		return Passkey{}, s.passkeyRefused(ctx, sess, action, "no_open_challenge", errNoChallenge)
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		return Passkey{}, s.passkeyRefused(ctx, sess, action, "malformed_response "+webauthnReason(err), errMalformed(err))
	}
	var pk Passkey
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		p, err := s.passkeyUserOf(ctx, tx, sess.User, false)
		if err != nil {
			return err
		}
		cred, err := s.webauthn.CreateCredential(p, data, parsed)
		if err != nil {
			return errRejected{err}
		}
		if !cred.Flags.UserVerified {
			return errRejected{errors.New("user not verified")}
		}
		ref := credentialRef(cred.ID)
		plain, err := json.Marshal(sealedPasskey{LoginID: sess.User.LoginID, Credential: *cred})
		if err != nil {
			return err
		}
		sealed, ver, err := s.vault.Seal(ctx, passkeyBinding(ref), plain)
		if err != nil {
			return err
		}
		now := s.now()
		if _, err := tx.Exec(ctx, `INSERT INTO staff_webauthn_credentials (user_id, ref, name, seal_scope, record_sealed, record_key_version, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, sess.User.ID, ref, name, vault.System, sealed, ver, now); err != nil {
			return err
		}
		pk = Passkey{Ref: ref, Name: name, CreatedAt: now}
		return audit.Record(ctx, tx, audit.Event{Tenant: sess.User.Tenant, Action: action, Subject: audit.Subject{Type: "user", ID: sess.User.LoginID},
			Outcome: audit.OK, Detail: "credential=" + ref + " user_verified=true", Actor: sess.actor()})
	})
	var rej errRejected
	if errors.As(err, &rej) {
		return Passkey{}, s.passkeyRefused(ctx, sess, action, "rejected "+webauthnReason(rej.err), errMalformed(rej.err))
	}
	return pk, store.Translate(err)
}

// RemovePasskey deletes one of the session user's own credentials. Like
// registration it needs a recent second factor: whoever finds an unlocked
// screen must not take the owner's key away.
func (s *Service) RemovePasskey(ctx context.Context, sess Session, ref string) error {
	if sess.Stage != StageActive || sess.Locked || !s.SecondFactorRecent(sess) {
		return s.passkeyRefused(ctx, sess, "webauthn.remove", "no_recent_second_factor", errStepUp)
	}
	return s.db.Transact(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM staff_webauthn_credentials WHERE ref = $1 AND user_id = $2`, ref, sess.User.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.Tell(errs.NotFound, errs.Message{
				JA: "この生体認証（パスキー）は登録されていません。すでに削除されたかもしれません。一覧を開き直してください。",
				EN: "This passkey is not registered: it may have been removed already. Open the list again.",
			}, "no such credential of yours")
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: sess.User.Tenant, Action: "webauthn.remove", Subject: audit.Subject{Type: "user", ID: sess.User.LoginID},
			Outcome: audit.OK, Detail: "credential=" + ref, Actor: sess.actor()})
	})
}

// BeginPasskeyLogin issues a challenge for the session user's credentials:
// the second step of a login, or the unlock of a locked session.
func (s *Service) BeginPasskeyLogin(ctx context.Context, sess Session) (*protocol.CredentialAssertion, error) {
	if s.webauthn == nil {
		return nil, errNoWebAuthn
	}
	var assertion *protocol.CredentialAssertion
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		p, err := s.passkeyUserOf(ctx, tx, sess.User, false)
		if err != nil {
			return err
		}
		if len(p.creds) == 0 {
			return errs.Tell(errs.NotFound, errs.Message{
				JA: "生体認証（パスキー）が登録されていません。認証コードとPINを使ってください。",
				EN: "No passkey is registered: use your code and PIN.",
			}, "no WebAuthn credential is registered")
		}
		a, data, err := s.webauthn.BeginLogin(p, webauthn.WithUserVerification(protocol.VerificationRequired))
		if err != nil {
			return errs.Wrap(errs.Internal, err, "webauthn: begin login")
		}
		assertion = a
		return s.openCeremony(ctx, tx, sess, "login", data)
	})
	return assertion, err
}

// CheckPasskey is the WebAuthn second step: the browser's signed answer to
// the session's challenge, with user verification. Failures count towards
// the lockout like a wrong code; every outcome is audited. A counter that
// went backwards (a cloned authenticator) is refused.
func (s *Service) CheckPasskey(ctx context.Context, sess Session, response []byte) error {
	const action = "login.second_factor"
	if s.webauthn == nil {
		return errNoWebAuthn
	}
	ctx = audit.WithActor(ctx, sess.actor())
	u, err := s.Get(ctx, sess.User.LoginID)
	if err != nil {
		return err
	}
	switch {
	case u.Status != Active:
		return s.denied(ctx, u.LoginID, u, action, "retired")
	case s.locked(u):
		return s.denied(ctx, u.LoginID, u, action, "locked")
	}
	data, ok, err := s.takeCeremony(ctx, sess, "login")
	if err != nil {
		return err
	}
	if !ok {
		return s.fail(ctx, u, action, "webauthn_no_open_challenge")
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		return s.fail(ctx, u, action, "webauthn_malformed "+webauthnReason(err))
	}
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		p, err := s.passkeyUserOf(ctx, tx, u, false)
		if err != nil {
			return err
		}
		cred, err := s.webauthn.ValidateLogin(p, data, parsed)
		if err != nil {
			return errRejected{err}
		}
		if cred.Authenticator.CloneWarning {
			return errRejected{errors.New("signature counter went backwards: cloned authenticator?")}
		}
		if !parsed.Response.AuthenticatorData.Flags.HasUserVerified() {
			return errRejected{errors.New("user not verified")}
		}
		ref := credentialRef(cred.ID)
		plain, err := json.Marshal(sealedPasskey{LoginID: u.LoginID, Credential: *cred})
		if err != nil {
			return err
		}
		sealed, ver, err := s.vault.Seal(ctx, passkeyBinding(ref), plain)
		if err != nil {
			return err
		}
		now := s.now()
		if _, err := tx.Exec(ctx, `UPDATE staff_webauthn_credentials SET record_sealed = $1, record_key_version = $2, last_used_at = $3
			WHERE ref = $4 AND user_id = $5`, sealed, ver, now, ref, u.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE staff_users SET failed_logins = 0, locked_until = NULL WHERE id = $1`, u.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: u.Tenant, Action: action, Subject: audit.Subject{Type: "user", ID: u.LoginID},
			Outcome: audit.OK, Detail: "method=webauthn credential=" + ref + " user_verified=true"})
	})
	var rej errRejected
	if errors.As(err, &rej) {
		return s.fail(ctx, u, action, "webauthn_rejected "+webauthnReason(rej.err))
	}
	return store.Translate(err)
}

// UnlockWithPasskey reopens a locked session with WebAuthn.
func (s *Service) UnlockWithPasskey(ctx context.Context, sess Session, response []byte) error {
	if err := s.CheckPasskey(ctx, sess, response); err != nil {
		return err
	}
	if _, err := s.db.Exec(ctx, `UPDATE staff_sessions SET second_factor_at = $1 WHERE token_hash = $2`, s.now(), sess.tokenHash); err != nil {
		return store.Translate(err)
	}
	return s.setLocked(ctx, sess, "")
}

// errRejected carries the library's reason for refusing a response out of
// a transaction, which then rolls back.
type errRejected struct{ err error }

func (e errRejected) Error() string { return e.err.Error() }

var errNoChallenge = errs.Tell(errs.Invalid, errs.Message{
	JA: "生体認証（パスキー）の手続きが始まっていないか、すでに終わっています。もう一度ボタンを押してやり直してください。",
	EN: "The passkey check has not started or is already over: press the button again to start over.",
}, "no WebAuthn challenge is open for this session: start again")

func errMalformed(err error) error {
	return errs.Tell(errs.Invalid, errs.Message{
		JA: "認証器の応答を受け付けられませんでした。もう一度やり直してください。続く場合は、認証コードとPINを使ってください。",
		EN: "The authenticator's response was refused: try again, or use your code and PIN if it keeps failing.",
	}, "the authenticator's response was refused: %s", webauthnReason(err))
}

// webauthnReason is a short, log-safe reason from the library's error.
func webauthnReason(err error) string {
	var pe *protocol.Error
	r := err.Error()
	if errors.As(err, &pe) {
		r = pe.Type + ": " + pe.Details
	}
	if len(r) > 200 {
		r = r[:200]
	}
	return strings.ReplaceAll(r, "\n", " ")
}

// passkeyRefused records a refused WebAuthn step and returns err.
func (s *Service) passkeyRefused(ctx context.Context, sess Session, action, why string, err error) error {
	ev := audit.Event{Tenant: sess.User.Tenant, Action: action, Subject: audit.Subject{Type: "user", ID: sess.User.LoginID},
		Outcome: audit.Denied, Detail: "reason=" + why, Actor: sess.actor()}
	if aerr := audit.RecordAlone(ctx, s.db, ev); aerr != nil {
		return aerr
	}
	return err
}
