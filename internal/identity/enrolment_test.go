package identity_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/identity"
	"bango/internal/store"
	"bango/internal/testutil"
)

// newStarter creates a user whose one-time password was set by the staff
// member setBy (a real account, as through the admin pages), with the
// password changed and a TOTP secret pending: the state of a first
// enrolment. It returns the pending secret.
func (f *fixture) newStarter(t *testing.T, login, setBy string) string {
	t.Helper()
	ctx := audit.WithActor(context.Background(), audit.Actor{User: setBy})
	_, temp, err := f.Users.Create(ctx, identity.NewUser{LoginID: login, Name: "新人　一郎", Tenant: "131041", Department: "健康部", Section: "医療保険年金課"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Users.ChangePassword(ctx, login, temp, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	k, ok, err := f.Users.PendingTOTP(ctx, login)
	if err != nil || !ok {
		t.Fatalf("pending TOTP: %v %v", ok, err)
	}
	return k.Secret
}

// Issue 15, R-AUTH-1: a first enrolment after an administrator set the
// one-time password cannot complete with the administrator's knowledge
// alone: it needs an activation code that someone else issues; the
// administrator cannot issue it; wrong codes count and lock.
func TestEnrolmentNeedsSecondPerson(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.enrolled(t, "admin.a")
		f.enrolled(t, "head.b")
		admin, _ := f.Users.Get(adminCtx(), "admin.a")
		head, _ := f.Users.Get(adminCtx(), "head.b")
		secret := f.newStarter(t, "starter", "admin.a")
		u, _ := f.Users.Get(adminCtx(), "starter")
		if !u.NeedsActivation || !identity.NeedsEnrolment(u) {
			t.Fatalf("starter: %+v", u)
		}
		ctx := audit.WithActor(context.Background(), audit.Actor{User: "starter"})
		// The administrator's knowledge — password and the QR code on the
		// screen — is not enough.
		f.now = f.now.Add(30 * time.Second)
		if err := f.Users.ConfirmEnrolment(ctx, "starter", "", testutil.TOTP(secret, f.now), "2580", "2580"); !identity.ErrLogin(err) {
			t.Fatalf("enrolment without an activation code: %v", err)
		}
		allowAll := func(identity.User, identity.User) error { return nil }
		if _, err := f.Users.IssueActivation(adminCtx(), admin, "starter", allowAll); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("the administrator who set the password issued the code: %v", err)
		}
		refuse := func(identity.User, identity.User) error { return errs.E(errs.Forbidden, "not your section") }
		if _, err := f.Users.IssueActivation(adminCtx(), head, "starter", refuse); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("an issuer the rule refuses: %v", err)
		}
		code, err := f.Users.IssueActivation(adminCtx(), head, "starter", allowAll)
		if err != nil || len(code) != 11 {
			t.Fatalf("issue: %q %v", code, err)
		}
		f.now = f.now.Add(30 * time.Second)
		if err := f.Users.ConfirmEnrolment(ctx, "starter", strings.ToLower(code), testutil.TOTP(secret, f.now), "2580", "2580"); err != nil {
			t.Fatalf("enrolment with the code (typed in lower case): %v", err)
		}
		u, _ = f.Users.Get(adminCtx(), "starter")
		if u.NeedsActivation || identity.NeedsEnrolment(u) {
			t.Fatalf("after enrolment: %+v", u)
		}
		if _, err := f.Users.IssueActivation(adminCtx(), head, "starter", allowAll); !errs.Is(err, errs.Conflict) {
			t.Fatalf("a code for an enrolled user: %v", err)
		}
		if ev := testutil.Outcomes(t, f.DB, "user.activation"); len(ev) != 4 || !strings.HasPrefix(ev[2], "ok by=head.b") {
			t.Fatalf("activation events: %q", ev)
		}
	})
}

// Issue 15: wrong codes at enrolment and at a PIN change count as at
// login; the sixth attempt meets a locked account, even with the right
// code.
func TestEnrolmentAndPINChangeLockOut(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		secret := f.newStarter(t, "starter", "nobody-in-particular")
		ctx := audit.WithActor(context.Background(), audit.Actor{User: "starter"})
		for i := range 5 {
			if err := f.Users.ConfirmEnrolment(ctx, "starter", "", "000000", "2580", "2580"); !identity.ErrLogin(err) {
				t.Fatalf("wrong code %d: %v", i+1, err)
			}
		}
		f.now = f.now.Add(30 * time.Second)
		if err := f.Users.ConfirmEnrolment(ctx, "starter", "", testutil.TOTP(secret, f.now), "2580", "2580"); !identity.ErrLogin(err) {
			t.Fatalf("enrolment on a locked account: %v", err)
		}
		if ev := testutil.Outcomes(t, f.DB, "totp.enrol"); len(ev) != 6 || ev[5] != "denied reason=locked" {
			t.Fatalf("enrolment events: %q", ev)
		}

		secret = f.enrolled(t, "tanaka.h")
		ctx = audit.WithActor(context.Background(), audit.Actor{User: "tanaka.h"})
		for range 5 {
			f.Users.ChangePIN(ctx, "tanaka.h", "000000", "8642", "8642")
		}
		f.now = f.now.Add(30 * time.Second)
		if err := f.Users.ChangePIN(ctx, "tanaka.h", testutil.TOTP(secret, f.now), "8642", "8642"); !identity.ErrLogin(err) {
			t.Fatalf("PIN change on a locked account: %v", err)
		}
	})
}

// Issue 15, R-AUTH-4: the password stage lives minutes, not hours; a
// password change ends the user's other sessions, a reset ends them all.
func TestPasswordStageAndSessionsEnd(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.enrolled(t, "tanaka.h")
		u, _ := f.Users.Get(adminCtx(), "tanaka.h")
		tok, _, err := f.Users.StartSession(adminCtx(), u, identity.StagePassword, "10.0.0.1", "", "")
		if err != nil {
			t.Fatal(err)
		}
		f.now = f.now.Add(identity.DefaultSessionPolicy.PasswordStage + time.Second)
		if _, err := f.Users.Session(adminCtx(), tok); err != identity.ErrNoSession {
			t.Fatalf("a password-stage session after %v: %v", identity.DefaultSessionPolicy.PasswordStage, err)
		}
		a, _, _ := f.Users.StartSession(adminCtx(), u, identity.StageActive, "10.0.0.1", "", "")
		b, _, _ := f.Users.StartSession(adminCtx(), u, identity.StageActive, "10.0.0.2", "", "")
		sa, err := f.Users.Session(adminCtx(), a)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Users.ChangeOwnPassword(adminCtx(), sa, "correct horse battery", "another long phrase here"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Users.Session(adminCtx(), a); err != nil {
			t.Fatalf("the session that changed the password ended: %v", err)
		}
		if _, err := f.Users.Session(adminCtx(), b); err != identity.ErrNoSession {
			t.Fatalf("another session survived the password change: %v", err)
		}
		if _, err := f.Users.ResetPassword(adminCtx(), "tanaka.h"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Users.Session(adminCtx(), a); err != identity.ErrNoSession {
			t.Fatalf("a session survived the reset: %v", err)
		}
	})
}

// Issue 15: a reset by an administrator of an account that never enrolled
// needs a new activation code, from someone else: a code issued before the
// reset no longer works, and the resetting administrator cannot issue one.
func TestResetNeedsSecondPerson(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.enrolled(t, "admin.a")
		f.enrolled(t, "admin.c")
		f.enrolled(t, "head.b")
		adminC, _ := f.Users.Get(adminCtx(), "admin.c")
		head, _ := f.Users.Get(adminCtx(), "head.b")
		secret := f.newStarter(t, "starter", "admin.a")
		allowAll := func(identity.User, identity.User) error { return nil }
		early, err := f.Users.IssueActivation(adminCtx(), head, "starter", allowAll)
		if err != nil {
			t.Fatal(err)
		}
		resetBy := audit.WithActor(context.Background(), audit.Actor{User: "admin.c"})
		if _, err := f.Users.ResetPassword(resetBy, "starter"); err != nil {
			t.Fatal(err)
		}
		if u, _ := f.Users.Get(adminCtx(), "starter"); !u.NeedsActivation || u.ActivationIssued {
			t.Fatalf("after the reset: %+v", u)
		}
		ctx := audit.WithActor(context.Background(), audit.Actor{User: "starter"})
		f.now = f.now.Add(30 * time.Second)
		if err := f.Users.ConfirmEnrolment(ctx, "starter", early, testutil.TOTP(secret, f.now), "2580", "2580"); !identity.ErrLogin(err) {
			t.Fatalf("a code issued before the reset still works: %v", err)
		}
		if _, err := f.Users.IssueActivation(adminCtx(), adminC, "starter", allowAll); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("the resetting administrator issued the code: %v", err)
		}
		code, err := f.Users.IssueActivation(adminCtx(), head, "starter", allowAll)
		if err != nil {
			t.Fatal(err)
		}
		f.now = f.now.Add(30 * time.Second)
		if err := f.Users.ConfirmEnrolment(ctx, "starter", code, testutil.TOTP(secret, f.now), "2580", "2580"); err != nil {
			t.Fatalf("enrolment with the new code: %v", err)
		}
	})
}
