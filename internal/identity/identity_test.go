package identity_test

import (
	"context"
	"encoding/base32"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/identity"
	"bango/internal/store"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
)

type fixture struct {
	*testkit.Kit
	now time.Time
}

func adminCtx() context.Context {
	return audit.WithActor(context.Background(), audit.Actor{User: "is-admin", Address: "10.0.0.1"})
}

func setup(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	f := &fixture{Kit: testkit.New(t, db), now: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	f.SetClock(func() time.Time { return f.now })
	f.Municipality(t, testkit.Shinjuku, "新宿区")
	return f
}

// enrolled creates a user, changes the one-time password, and enrols TOTP
// and a PIN; it returns the TOTP secret.
func (f *fixture) enrolled(t *testing.T, login string) string {
	t.Helper()
	f.Staff(t, testkit.Staff{Login: login, Name: "田中　花子", Tenant: "131041"})
	return f.SecondFactor(t, login)
}

// R-AUTH-1: password, then TOTP code with PIN; a code works once.
func TestTwoFactorLogin(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := adminCtx()
		secret := f.enrolled(t, "tanaka.h")
		u, err := f.Users.CheckPassword(ctx, "tanaka.h", "correct horse battery")
		if err != nil || u.LoginID != "tanaka.h" || !u.HasTOTP || !u.HasPIN {
			t.Fatalf("password step: %+v, %v", u, err)
		}
		code := testutil.TOTP(secret, f.now)
		if _, err := f.Users.CheckSecondFactor(ctx, "tanaka.h", code, "0000"); !identity.ErrLogin(err) {
			t.Fatalf("wrong PIN: %v", err)
		}
		if _, err := f.Users.CheckSecondFactor(ctx, "tanaka.h", code, "2580"); err != nil {
			t.Fatalf("second factor: %v", err)
		}
		if _, err := f.Users.CheckSecondFactor(ctx, "tanaka.h", code, "2580"); !identity.ErrLogin(err) {
			t.Fatalf("replayed code accepted: %v", err)
		}
		f.now = f.now.Add(30 * time.Second)
		if _, err := f.Users.CheckSecondFactor(ctx, "tanaka.h", testutil.TOTP(secret, f.now), "2580"); err != nil {
			t.Fatalf("next code: %v", err)
		}
		ev := testutil.Outcomes(t, f.DB, "login.second_factor")
		want := []string{"denied reason=wrong_pin failures=1", "ok method=totp+pin", "denied reason=replayed_code failures=1", "ok method=totp+pin"}
		if diff := cmp.Diff(want, ev); diff != "" {
			t.Fatalf("events (-want +got):\n%s", diff)
		}
		// The TOTP secret is sealed: its bytes are not in the row.
		var sealed []byte
		db.QueryRow(ctx, `SELECT totp_sealed FROM staff_users WHERE login_id = 'tanaka.h'`).Scan(&sealed)
		raw, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
		if len(sealed) == 0 || strings.Contains(string(sealed), string(raw)) {
			t.Fatal("TOTP secret not sealed")
		}
	})
}

// R-AUTH-3: 5 failures lock the account for 15 minutes; the answer never
// tells an unknown ID, a wrong password or a lock apart.
func TestLockout(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := adminCtx()
		f.enrolled(t, "tanaka.h")
		_, unknownErr := f.Users.CheckPassword(ctx, "nobody", "correct horse battery")
		for i := 0; i < 5; i++ {
			_, err := f.Users.CheckPassword(ctx, "tanaka.h", "wrong password!!")
			if !identity.ErrLogin(err) || err.Error() != unknownErr.Error() {
				t.Fatalf("failure %d: %v", i+1, err)
			}
		}
		if _, err := f.Users.CheckPassword(ctx, "tanaka.h", "correct horse battery"); !identity.ErrLogin(err) {
			t.Fatalf("locked account let the right password in: %v", err)
		}
		if lock := testutil.Outcomes(t, f.DB, "login.lockout"); len(lock) != 1 || !strings.HasPrefix(lock[0], "denied until=2026-11-23T09:15:00Z") {
			t.Fatalf("lockout events = %q", lock)
		}
		f.now = f.now.Add(14 * time.Minute)
		if _, err := f.Users.CheckPassword(ctx, "tanaka.h", "correct horse battery"); err == nil {
			t.Fatal("unlocked before 15 minutes")
		}
		f.now = f.now.Add(2 * time.Minute)
		if _, err := f.Users.CheckPassword(ctx, "tanaka.h", "correct horse battery"); err != nil {
			t.Fatalf("still locked after 15 minutes: %v", err)
		}
		pw := testutil.Outcomes(t, f.DB, "login.password")
		if !strings.Contains(strings.Join(pw, "|"), "denied reason=unknown_login_id") || !strings.Contains(strings.Join(pw, "|"), "denied reason=locked") {
			t.Fatalf("password events = %q", pw)
		}
	})
}

// R-AUTH-3: a one-time or expired password allows nothing but a change;
// the last five cannot be reused.
func TestPasswordExpiryAndHistory(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := adminCtx()
		u, temp, err := f.Users.Create(ctx, identity.NewUser{LoginID: "sato.k", Name: "佐藤　健", Tenant: "131041"})
		if err != nil || !f.Users.PasswordExpired(u) {
			t.Fatalf("a new user's one-time password is not expired: %+v %v", u, err)
		}
		if err := f.Users.ChangePassword(ctx, "sato.k", "not the password", "correct horse battery"); !errs.Is(err, errs.Unauthenticated) {
			t.Fatalf("change with a wrong current password: %v", err)
		}
		if err := f.Users.ChangePassword(ctx, "sato.k", temp, "sato.k-is-my-name"); len(errs.Fields(err)) != 1 {
			t.Fatalf("policy not applied: %v", err)
		}
		passwords := []string{"correct horse battery", "purple monkey dishwasher", "seven ducks on a lake", "blue kettle singing loud", "quiet river morning mist"}
		cur := temp
		for _, p := range passwords {
			if err := f.Users.ChangePassword(ctx, "sato.k", cur, p); err != nil {
				t.Fatalf("change to %q: %v", p, err)
			}
			cur = p
		}
		u, _ = f.Users.Get(ctx, "sato.k")
		if f.Users.PasswordExpired(u) {
			t.Fatal("a fresh password is expired")
		}
		for _, old := range passwords {
			if err := f.Users.ChangePassword(ctx, "sato.k", cur, old); err == nil || !strings.Contains(err.Error(), "last 5") {
				t.Fatalf("reuse of %q: %v", old, err)
			}
		}
		if err := f.Users.ChangePassword(ctx, "sato.k", cur, "new lantern over hill"); err != nil {
			t.Fatal(err)
		}
		if err := f.Users.ChangePassword(ctx, "sato.k", "new lantern over hill", "correct horse battery"); err != nil {
			t.Fatalf("a password six changes old was refused: %v", err)
		}
		f.now = f.now.Add(91 * 24 * time.Hour)
		u, _ = f.Users.Get(ctx, "sato.k")
		if !f.Users.PasswordExpired(u) {
			t.Fatal("a 91-day-old password is not expired")
		}
		// An administrator's reset forces a change again.
		temp2, err := f.Users.ResetPassword(ctx, "sato.k")
		if err != nil {
			t.Fatal(err)
		}
		u, _ = f.Users.Get(ctx, "sato.k")
		if !u.MustChangePassword || !f.Users.PasswordExpired(u) {
			t.Fatal("reset did not force a change")
		}
		if _, err := f.Users.CheckPassword(ctx, "sato.k", temp2); err != nil {
			t.Fatalf("one-time password after reset: %v", err)
		}
	})
}

// R-AUTH-2: transfer and retirement delete the second factors in one
// transaction; a retired user cannot log in.
func TestTransferAndRetire(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := adminCtx()
		secret := f.enrolled(t, "tanaka.h")
		if err := f.Users.Transfer(ctx, "tanaka.h", identity.NewUser{Tenant: "131041", Department: "福祉部", Section: "生活福祉課"}); err != nil {
			t.Fatal(err)
		}
		u, _ := f.Users.Get(ctx, "tanaka.h")
		if u.HasTOTP || u.HasPIN || u.Section != "生活福祉課" {
			t.Fatalf("after transfer: %+v", u)
		}
		if _, err := f.Users.CheckSecondFactor(ctx, "tanaka.h", testutil.TOTP(secret, f.now), "2580"); !identity.ErrLogin(err) {
			t.Fatalf("old second factor still works: %v", err)
		}
		if ev := testutil.Outcomes(t, f.DB, "user.transfer"); len(ev) != 1 || !strings.Contains(ev[0], "from=131041/健康部/医療保険年金課 to=131041/福祉部/生活福祉課 second_factors=deleted") {
			t.Fatalf("transfer event = %q", ev)
		}
		if err := f.Users.Retire(ctx, "tanaka.h"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Users.CheckPassword(ctx, "tanaka.h", "correct horse battery"); !identity.ErrLogin(err) {
			t.Fatalf("retired user logged in: %v", err)
		}
		if err := f.Users.Retire(ctx, "tanaka.h"); !errs.Is(err, errs.Conflict) {
			t.Fatalf("second retire: %v", err)
		}
		if _, err := f.Users.EnrollTOTP(ctx, "tanaka.h"); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("enrol a retired user: %v", err)
		}
	})
}

func TestCreateRejects(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := adminCtx()
		if _, _, err := f.Users.Create(ctx, identity.NewUser{LoginID: "tanaka.h", Name: "田中"}); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			nu     identity.NewUser
			fields []string
		}{
			{identity.NewUser{LoginID: "tanaka.h", Name: "別人"}, []string{"login_id"}},
			{identity.NewUser{LoginID: "Tanaka H", Name: ""}, []string{"login_id", "name"}},
			{identity.NewUser{LoginID: "sato", Name: "佐藤", Tenant: "131042"}, []string{"tenant"}},
			{identity.NewUser{LoginID: "sato", Name: "佐藤", Tenant: "271004"}, []string{"tenant"}},
		}
		for _, tt := range tests {
			_, _, err := f.Users.Create(ctx, tt.nu)
			var got []string
			for _, fe := range errs.Fields(err) {
				got = append(got, fe.Field)
			}
			if diff := cmp.Diff(tt.fields, got); diff != "" {
				t.Errorf("%+v: fields (-want +got) of %v:\n%s", tt.nu, err, diff)
			}
		}
		if n, _ := f.Users.Count(ctx); n != 1 {
			t.Fatalf("users = %d", n)
		}
	})
}
