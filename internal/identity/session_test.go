package identity_test

import (
	"context"
	"testing"
	"time"

	"bango/internal/identity"
	"bango/internal/store"
	"bango/internal/testutil"
)

// R-AUTH-4: sessions live in the database, get a new token at login, lock
// after the idle time, end at their lifetime and at logout.
func TestSessions(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := adminCtx()
		secret := f.enrolled(t, "tanaka.h")
		u, err := f.Users.CheckPassword(ctx, "tanaka.h", "correct horse battery")
		if err != nil {
			t.Fatal(err)
		}
		pwTok, pwSess, err := f.Users.StartSession(ctx, u, identity.StagePassword, "10.0.0.8", "T-01", "/residents")
		if err != nil || pwSess.Stage != identity.StagePassword {
			t.Fatal(err)
		}
		// Only a hash of the token is stored.
		var n int
		db.QueryRow(context.Background(), `SELECT count(*) FROM staff_sessions WHERE token_hash = $1`, []byte(pwTok)).Scan(&n)
		if n != 0 {
			t.Fatal("the token itself is stored")
		}
		got, err := f.Users.Session(ctx, pwTok)
		if err != nil || got.User.LoginID != "tanaka.h" || got.ReturnTo != "/residents" {
			t.Fatalf("Session = %+v, %v", got, err)
		}
		if _, err := f.Users.CheckSecondFactor(ctx, "tanaka.h", testutil.TOTP(secret, f.now), "2580"); err != nil {
			t.Fatal(err)
		}
		tok, sess, err := f.Users.CompleteLogin(ctx, got)
		if err != nil || tok == pwTok || sess.Stage != identity.StageActive || !f.Users.SecondFactorRecent(sess) {
			t.Fatalf("CompleteLogin: %+v, %v", sess, err)
		}
		if _, err := f.Users.Session(ctx, pwTok); err != identity.ErrNoSession {
			t.Fatal("the password-stage token still opens a session")
		}
		// Activity within the idle time keeps it open.
		f.now = f.now.Add(9 * time.Minute)
		if s, err := f.Users.Session(ctx, tok); err != nil || s.Locked {
			t.Fatalf("locked early: %+v %v", s, err)
		}
		if f.Users.SecondFactorRecent(sess) {
			t.Fatal("step-up still fresh after 9 minutes")
		}
		// Ten idle minutes lock it; the second factor unlocks it.
		f.now = f.now.Add(10 * time.Minute)
		s, err := f.Users.Session(ctx, tok)
		if err != nil || !s.Locked {
			t.Fatalf("not locked after 10 idle minutes: %+v %v", s, err)
		}
		f.now = f.now.Add(time.Minute)
		if err := f.Users.Unlock(ctx, s, "000000", "2580"); !identity.ErrLogin(err) {
			t.Fatalf("unlock with a wrong code: %v", err)
		}
		if err := f.Users.Unlock(ctx, s, testutil.TOTP(secret, f.now), "2580"); err != nil {
			t.Fatalf("unlock: %v", err)
		}
		if s, _ = f.Users.Session(ctx, tok); s.Locked || !f.Users.SecondFactorRecent(s) {
			t.Fatalf("still locked after unlock: %+v", s)
		}
		// The absolute lifetime ends it, however active.
		for i := 0; i < 60; i++ {
			f.now = f.now.Add(9 * time.Minute)
			if _, err := f.Users.Session(ctx, tok); err != nil {
				break
			}
		}
		if _, err := f.Users.Session(ctx, tok); err != identity.ErrNoSession || f.now.Sub(sess.CreatedAt) < 9*time.Hour {
			t.Fatalf("session outlived 9 hours: %v at %v", err, f.now.Sub(sess.CreatedAt))
		}
		// Logout, and transfer, end sessions.
		tok2, s2, _ := f.Users.StartSession(ctx, u, identity.StageActive, "10.0.0.8", "T-01", "")
		if err := f.Users.Logout(ctx, s2); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Users.Session(ctx, tok2); err != identity.ErrNoSession {
			t.Fatal("session alive after logout")
		}
		tok3, _, _ := f.Users.StartSession(ctx, u, identity.StageActive, "10.0.0.8", "T-01", "")
		if err := f.Users.Transfer(ctx, "tanaka.h", identity.NewUser{Tenant: "131041", Section: "別の課"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Users.Session(ctx, tok3); err != identity.ErrNoSession {
			t.Fatal("session alive after a personnel transfer")
		}
		ev := testutil.Outcomes(t, f.DB, "session.lock")
		if len(ev) != 1 {
			t.Fatalf("lock events = %q", ev)
		}
	})
}
