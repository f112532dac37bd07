package identity_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/identity"
	"bango/internal/store"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
)

// developerWords are what staff must never read: permission keys, the
// fixture's login IDs, setting names.
var developerWords = regexp.MustCompile(`[a-z]+\.[a-z]+|\b(starter|fresh)\b|webauthn-rp-id`)

// Issue 17: refusals about accounts, activation codes, PINs and passkeys
// tell staff, in their language, what happened and what to do, naming the
// person by name; the kind and the English message for logs and the API
// stay.
func TestRefusalsSpeakToStaff(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.enrolled(t, "admin.a")
		admin, _ := f.Users.Get(adminCtx(), "admin.a")
		f.newStarter(t, "starter", "admin.a")
		starter, _ := f.Users.Get(adminCtx(), "starter")
		allowAll := func(identity.User, identity.User) error { return nil }
		_, setter := f.Users.IssueActivation(adminCtx(), admin, "starter", allowAll)
		_, own := f.Users.IssueActivation(adminCtx(), starter, "starter", allowAll)
		_, enrolled := f.Users.IssueActivation(adminCtx(), starter, "admin.a", allowAll)

		// An account made outside the admin pages enrols without an
		// activation code, and has no authenticator until it does.
		ctx := audit.WithActor(context.Background(), audit.Actor{User: "fresh"})
		if _, temp, err := f.Users.Create(adminCtx(), identity.NewUser{LoginID: "fresh", Name: "初任　次郎", Tenant: "131041"}); err != nil {
			t.Fatal(err)
		} else if err := f.Users.ChangePassword(ctx, "fresh", temp, testkit.Password); err != nil {
			t.Fatal(err)
		}
		noQR := f.Users.ConfirmEnrolment(ctx, "fresh", "", "123456", "2580", "2580")
		noApp := f.Users.ChangePIN(ctx, "fresh", "123456", "2580", "2580")

		if err := f.Users.Retire(adminCtx(), "fresh"); err != nil {
			t.Fatal(err)
		}
		retiredTwice := f.Users.Retire(adminCtx(), "fresh")
		_, retiredReset := f.Users.ResetPassword(adminCtx(), "fresh")
		retiredTransfer := f.Users.Transfer(adminCtx(), "fresh", identity.NewUser{Tenant: "131041", Department: "健康部", Section: "健康づくり課"})

		_, noWebAuthn := f.Users.BeginPasskeyLogin(adminCtx(), f.passwordSession(t, "admin.a"))
		if err := f.Users.SetWebAuthn(testRPID, []string{testOrigin}); err != nil {
			t.Fatal(err)
		}
		_, noPasskey := f.Users.BeginPasskeyLogin(adminCtx(), f.passwordSession(t, "admin.a"))
		active := f.activeSession(t, "admin.a")
		noSuchKey := f.Users.RemovePasskey(adminCtx(), active, "no-such-ref")
		_, noChallenge := f.Users.FinishPasskeyRegistration(adminCtx(), active, "鍵", []byte(`{}`))
		if _, err := f.Users.BeginPasskeyRegistration(adminCtx(), active); err != nil {
			t.Fatal(err)
		}
		_, malformed := f.Users.FinishPasskeyRegistration(adminCtx(), active, "鍵", []byte(`{"id": 12`))
		stale, _ := f.Users.Session(adminCtx(), f.tokenOf(t, "admin.a"))
		_, stepUp := f.Users.BeginPasskeyRegistration(adminCtx(), stale)

		for _, c := range []struct {
			name   string
			err    error
			kind   errs.Kind
			public string
		}{
			{"password setter issues", setter, errs.Forbidden, "whoever set the one-time password does not also issue the activation code: the section head does"},
			{"own code", own, errs.Forbidden, "nobody issues their own activation code"},
			{"no code needed", enrolled, errs.Conflict, "admin.a needs no activation code: no administrator-set password is waiting for a first enrolment"},
			{"no QR code read", noQR, errs.Invalid, "no TOTP secret is being enrolled; reload the page"},
			{"no app", noApp, errs.Forbidden, "no authenticator is enrolled"},
			{"retired twice", retiredTwice, errs.Conflict, "user fresh is already retired"},
			{"reset of the retired", retiredReset, errs.Forbidden, "user fresh is retired"},
			{"transfer of the retired", retiredTransfer, errs.Forbidden, "user fresh is retired"},
			{"no WebAuthn", noWebAuthn, errs.Unavailable, "WebAuthn is not configured on this server (setting webauthn-rp-id)"},
			{"no passkey", noPasskey, errs.NotFound, "no WebAuthn credential is registered"},
			{"no such passkey", noSuchKey, errs.NotFound, "no such credential of yours"},
			{"no challenge", noChallenge, errs.Invalid, "no WebAuthn challenge is open for this session: start again"},
			{"malformed", malformed, errs.Invalid, "the authenticator's response was refused:"},
			{"step-up", stepUp, errs.Forbidden, "your last second-factor check is too old: lock the screen and unlock it again"},
		} {
			testutil.Told(t, c.name, c.err, c.kind, c.public, developerWords)
		}
		for _, c := range []struct {
			err  error
			name string
		}{{setter, "新人　一郎"}, {retiredTwice, "初任　次郎"}} {
			if ja, _ := errs.Told(c.err, "ja"); !strings.Contains(ja, c.name) {
				t.Errorf("%q does not name %s", ja, c.name)
			}
		}
	})
}

// Issue 17: a wrong current password and a new password the policy
// refuses are said beside the fields where they were typed.
func TestPasswordChangeFields(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.enrolled(t, "tanaka.h")
		for _, c := range []struct {
			current, next string
			kind          errs.Kind
			field         string
		}{
			{"not the password", "purple monkey dishwasher", errs.Unauthenticated, "current"},
			{testkit.Password, "password1234", errs.Invalid, "new"},
			{testkit.Password, testkit.Password, errs.Invalid, "new"},
		} {
			err := f.Users.ChangePassword(adminCtx(), "tanaka.h", c.current, c.next)
			fs := errs.Fields(err)
			if !errs.Is(err, c.kind) || len(fs) != 1 || fs[0].Field != c.field || fs[0].Reason.JA == "" || fs[0].Reason.EN == "" {
				t.Errorf("%q → %q: %v (fields %+v), want %v beside %s", c.current, c.next, err, fs, c.kind, c.field)
			}
		}
	})
}
