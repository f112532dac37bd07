package identity_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"bango/internal/errs"
	"bango/internal/identity"
	"bango/internal/store"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
)

const (
	testRPID   = "localhost"
	testOrigin = "https://localhost:8443"
)

func asJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// activeSession logs login in (password and TOTP passed) and returns the
// full session.
func (f *fixture) activeSession(t *testing.T, login string) identity.Session {
	t.Helper()
	return f.session(t, f.User(t, login), identity.StageActive)
}

// passwordSession is the session after the password step.
func (f *fixture) passwordSession(t *testing.T, login string) identity.Session {
	t.Helper()
	u, err := f.Users.CheckPassword(adminCtx(), login, testkit.Password)
	if err != nil {
		t.Fatal(err)
	}
	return f.session(t, u, identity.StagePassword)
}

// session starts u's session at stage and reads it back.
func (f *fixture) session(t *testing.T, u identity.User, stage string) identity.Session {
	t.Helper()
	tok, _, err := f.Users.StartSession(adminCtx(), u, stage, "10.0.0.8", "", "")
	if err != nil {
		t.Fatal(err)
	}
	sess, err := f.Users.Session(adminCtx(), tok)
	if err != nil {
		t.Fatal(err)
	}
	return sess
}

func (f *fixture) register(t *testing.T, sess identity.Session, a *testutil.Authenticator) error {
	t.Helper()
	opts, err := f.Users.BeginPasskeyRegistration(adminCtx(), sess)
	if err != nil {
		return err
	}
	_, err = f.Users.FinishPasskeyRegistration(adminCtx(), sess, "指紋リーダー", a.Create(asJSON(t, opts)))
	return err
}

func (f *fixture) passkeyLogin(t *testing.T, sess identity.Session, answer func([]byte) []byte) error {
	t.Helper()
	opts, err := f.Users.BeginPasskeyLogin(adminCtx(), sess)
	if err != nil {
		t.Fatal(err)
	}
	return f.Users.CheckPasskey(adminCtx(), sess, answer(asJSON(t, opts)))
}

func (f *fixture) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := f.DB.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// R-AUTH-1: a WebAuthn credential with user verification is registered
// and then serves as the second factor; only a sealed public-key record is
// stored.
func TestWebAuthnRegisterAndLogin(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.enrolled(t, "tanaka.h")
		if err := f.Users.SetWebAuthn(testRPID, []string{testOrigin}); err != nil {
			t.Fatal(err)
		}
		auth := testutil.NewAuthenticator(t, testRPID, testOrigin)
		if err := f.register(t, f.activeSession(t, "tanaka.h"), auth); err != nil {
			t.Fatalf("register: %v", err)
		}
		keys, err := f.Users.Passkeys(adminCtx(), "tanaka.h")
		if err != nil || len(keys) != 1 || keys[0].Name != "指紋リーダー" || keys[0].Ref != auth.CredentialID() {
			t.Fatalf("passkeys = %+v, %v", keys, err)
		}
		if u, _ := f.Users.Get(adminCtx(), "tanaka.h"); !u.HasPasskey {
			t.Fatal("user does not show a passkey")
		}
		// The record is sealed: no clear JSON of it in the row.
		var sealed []byte
		db.QueryRow(context.Background(), `SELECT record_sealed FROM staff_webauthn_credentials`).Scan(&sealed)
		if len(sealed) == 0 || strings.Contains(string(sealed), "publicKey") {
			t.Fatal("credential record not sealed")
		}

		sess := f.passwordSession(t, "tanaka.h")
		if err := f.passkeyLogin(t, sess, auth.Get); err != nil {
			t.Fatalf("passkey login: %v", err)
		}
		ev := testutil.Outcomes(t, f.DB, "login.second_factor")
		if len(ev) != 1 || !strings.HasPrefix(ev[0], "ok method=webauthn credential="+auth.CredentialID()) {
			t.Fatalf("events = %q", ev)
		}
		if keys, _ := f.Users.Passkeys(adminCtx(), "tanaka.h"); keys[0].LastUsed.IsZero() {
			t.Fatal("last use not recorded")
		}
	})
}

// R-AUTH-1: malformed, replayed, foreign-origin, unverified and cloned
// WebAuthn answers are refused, counted towards the lockout and audited;
// nothing is stored.
func TestWebAuthnRefusals(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.enrolled(t, "tanaka.h")
		if err := f.Users.SetWebAuthn(testRPID, []string{testOrigin}); err != nil {
			t.Fatal(err)
		}
		active := f.activeSession(t, "tanaka.h")

		// Registration: malformed JSON, no user verification, foreign origin.
		if _, err := f.Users.BeginPasskeyRegistration(adminCtx(), active); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Users.FinishPasskeyRegistration(adminCtx(), active, "x", []byte(`{"id": 12`)); !errs.Is(err, errs.Invalid) {
			t.Fatalf("malformed registration: %v", err)
		}
		noUV := testutil.NewAuthenticator(t, testRPID, testOrigin)
		noUV.UV = false
		if err := f.register(t, active, noUV); !errs.Is(err, errs.Invalid) {
			t.Fatalf("registration without user verification: %v", err)
		}
		phish := testutil.NewAuthenticator(t, testRPID, "https://bango.example.com")
		if err := f.register(t, active, phish); !errs.Is(err, errs.Invalid) {
			t.Fatalf("registration from another origin: %v", err)
		}
		// A finish without a begin (the challenge was used).
		good := testutil.NewAuthenticator(t, testRPID, testOrigin)
		if _, err := f.Users.FinishPasskeyRegistration(adminCtx(), active, "x", good.Create([]byte(`{"publicKey":{"challenge":"AAAA"}}`))); !errs.Is(err, errs.Invalid) {
			t.Fatalf("finish without begin: %v", err)
		}
		if n := f.count(t, `SELECT count(*) FROM staff_webauthn_credentials`); n != 0 {
			t.Fatalf("%d credentials stored by refused registrations", n)
		}
		// Without a recent second factor, no registration at all.
		stale, _ := f.Users.Session(adminCtx(), f.tokenOf(t, "tanaka.h"))
		if _, err := f.Users.BeginPasskeyRegistration(adminCtx(), stale); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("registration without step-up: %v", err)
		}
		reg := testutil.Outcomes(t, f.DB, "webauthn.register")
		if len(reg) != 5 || !strings.Contains(reg[0], "malformed_response") || !strings.Contains(reg[4], "no_recent_second_factor") {
			t.Fatalf("register events = %q", reg)
		}
		if err := f.register(t, f.activeSession(t, "tanaka.h"), good); err != nil {
			t.Fatal(err)
		}

		// Login: each bad answer is one failure.
		sess := f.passwordSession(t, "tanaka.h")
		var replay []byte
		if err := f.passkeyLogin(t, sess, func(o []byte) []byte { replay = good.Get(o); return replay }); err != nil {
			t.Fatal(err)
		}
		if err := f.Users.CheckPasskey(adminCtx(), sess, replay); !identity.ErrLogin(err) {
			t.Fatalf("replayed answer (no open challenge): %v", err)
		}
		if err := f.passkeyLogin(t, sess, func([]byte) []byte { return replay }); !identity.ErrLogin(err) {
			t.Fatalf("old answer to a new challenge: %v", err)
		}
		good.UV = false
		if err := f.passkeyLogin(t, sess, good.Get); !identity.ErrLogin(err) {
			t.Fatalf("assertion without user verification: %v", err)
		}
		good.UV, good.Counter = true, 0
		if err := f.passkeyLogin(t, sess, good.Get); !identity.ErrLogin(err) {
			t.Fatalf("counter going backwards (clone): %v", err)
		}
		ev := testutil.Outcomes(t, f.DB, "login.second_factor")
		want := []string{"webauthn_no_open_challenge", "webauthn_rejected", "webauthn_rejected", "webauthn_rejected"}
		if len(ev) != 5 {
			t.Fatalf("events = %q", ev)
		}
		for i, w := range want {
			if !strings.Contains(ev[i+1], "reason="+w) || !strings.HasPrefix(ev[i+1], "denied") {
				t.Fatalf("event %d = %q, want %s", i+1, ev[i+1], w)
			}
		}
		if !strings.Contains(ev[4], "failures=4") {
			t.Fatalf("failures not counted: %q", ev[4])
		}
		// A fifth failure locks the account, WebAuthn or not.
		if err := f.Users.CheckPasskey(adminCtx(), sess, []byte(`not json`)); !identity.ErrLogin(err) {
			t.Fatal(err)
		}
		if lo := testutil.Outcomes(t, f.DB, "login.lockout"); len(lo) != 1 {
			t.Fatalf("lockout events = %q", lo)
		}
	})
}

// tokenOf opens a new full session for login and returns its token.
func (f *fixture) tokenOf(t *testing.T, login string) string {
	t.Helper()
	u, err := f.Users.Get(adminCtx(), login)
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := f.Users.StartSession(adminCtx(), u, identity.StageActive, "10.0.0.8", "", "")
	if err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(6 * time.Minute) // its second factor is now older than the step-up window
	return tok
}

// R-AUTH-2: transfer deletes the WebAuthn credentials; a credential row
// moved to another user does not open as theirs.
func TestWebAuthnTransferAndTamper(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.enrolled(t, "tanaka.h")
		f.enrolled(t, "sato.k")
		if err := f.Users.SetWebAuthn(testRPID, []string{testOrigin}); err != nil {
			t.Fatal(err)
		}
		for _, login := range []string{"tanaka.h", "sato.k"} {
			if err := f.register(t, f.activeSession(t, login), testutil.NewAuthenticator(t, testRPID, testOrigin)); err != nil {
				t.Fatal(err)
			}
		}
		// Move tanaka's credential to sato: sato's credentials no longer open.
		ctx := context.Background()
		if _, err := db.SQL().ExecContext(ctx, `UPDATE staff_webauthn_credentials SET user_id = (SELECT id FROM staff_users WHERE login_id = 'sato.k')
			WHERE user_id = (SELECT id FROM staff_users WHERE login_id = 'tanaka.h')`); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Users.BeginPasskeyLogin(adminCtx(), f.passwordSession(t, "sato.k")); err == nil || !strings.Contains(err.Error(), "altered") {
			t.Fatalf("moved credential accepted: %v", err)
		}
		if _, err := db.SQL().ExecContext(ctx, `UPDATE staff_webauthn_credentials SET user_id = (SELECT id FROM staff_users WHERE login_id = 'tanaka.h')
			WHERE id = (SELECT min(id) FROM staff_webauthn_credentials)`); err != nil {
			t.Fatal(err)
		}
		if err := f.Users.Transfer(adminCtx(), "tanaka.h", identity.NewUser{Tenant: "131041", Department: "健康部", Section: "国保年金課"}); err != nil {
			t.Fatal(err)
		}
		if n := f.count(t, `SELECT count(*) FROM staff_webauthn_credentials c JOIN staff_users u ON u.id = c.user_id WHERE u.login_id = 'tanaka.h'`); n != 0 {
			t.Fatalf("%d credentials left after transfer", n)
		}
		if n := f.count(t, `SELECT count(*) FROM staff_webauthn_credentials`); n != 1 {
			t.Fatalf("other users' credentials touched: %d left", n)
		}
		ev := testutil.Outcomes(t, f.DB, "user.transfer")
		if len(ev) != 1 || !strings.Contains(ev[0], "webauthn_deleted=1") {
			t.Fatalf("transfer event = %q", ev)
		}
		if err := f.Users.Retire(adminCtx(), "sato.k"); err != nil {
			t.Fatal(err)
		}
		if n := f.count(t, `SELECT count(*) FROM staff_webauthn_credentials`); n != 0 {
			t.Fatalf("%d credentials left after retirement", n)
		}
	})
}
