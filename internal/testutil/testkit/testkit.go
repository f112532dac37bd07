// Package testkit builds what a module's tests stand on, through the real
// services: a vault with a fresh master key, municipalities, staff holding
// patterns, residents.
//
// It is apart from internal/testutil on purpose. testutil is linked into
// bango itself (internal/bench uses its TOTP), and it stays below every
// service so that any package's internal tests may use it; this package
// imports the services and grants patterns without the workflow
// (access.Service.Direct), so only tests may import it (TestDirectCallers
// in internal/access checks both).
package testkit

import (
	"cmp"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"bango/internal/access"
	"bango/internal/identity"
	"bango/internal/resident"
	"bango/internal/store"
	"bango/internal/tenant"
	"bango/internal/testutil"
	"bango/internal/vault"
)

// The two municipalities the tests use: one's own, and another one.
const (
	Shinjuku = "131041" // 新宿区
	Sapporo  = "011002" // 札幌市
)

// What Staff and SecondFactor give every account.
const (
	Password = "correct horse battery"
	PIN      = "2580"
)

// Setup is the actor of what the kit does: no staff account, as an
// administrator's command line.
const Setup = "setup"

// Quiet is a logger that discards everything.
var Quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// Vault returns a vault over db with a fresh master key in a temporary
// folder.
func Vault(t testing.TB, db *store.DB) *vault.Vault {
	t.Helper()
	mk, _, err := vault.LoadKeyFile(filepath.Join(t.TempDir(), "master.key"), true)
	if err != nil {
		t.Fatal(err)
	}
	return vault.New(db, mk)
}

// Municipality registers the municipality code through the tenant
// service, with its data keys in v, or fails t.
func Municipality(t testing.TB, db *store.DB, v *vault.Vault, code, name string) {
	t.Helper()
	if _, err := tenant.NewService(db, v).Create(testutil.As(Setup), code, name); err != nil {
		t.Fatalf("municipality %s: %v", code, err)
	}
}

// Kit is the services every module's tests need, wired as
// cmd/bango/system.go wires them: staff accounts (with an Argon2id cost
// fit for tests) whose personnel changes revoke their grants, and access
// control holding the default patterns.
type Kit struct {
	DB     *store.DB
	Vault  *vault.Vault
	Users  *identity.Service
	Access *access.Service
}

// New builds a Kit over db, with a fresh vault and no municipality yet.
func New(t testing.TB, db *store.DB) *Kit {
	t.Helper()
	k := &Kit{DB: db, Vault: Vault(t, db), Access: access.NewService(db)}
	k.Users = identity.NewService(db, k.Vault, identity.NewHasher(identity.Params{Time: 1, MemoryKiB: 1024, Threads: 1}, 2),
		identity.DefaultPolicy, Quiet)
	k.Users.SetPersonnelHook(k.Access.RevokeAll)
	if _, err := k.Access.SeedDefaults(testutil.As(Setup)); err != nil {
		t.Fatalf("seed the default patterns: %v", err)
	}
	return k
}

// SetClock makes staff accounts and grants read the time from now.
func (k *Kit) SetClock(now func() time.Time) {
	k.Users.SetClock(now)
	k.Access.SetClock(now)
}

// Municipality registers the municipality code, or fails t.
func (k *Kit) Municipality(t testing.TB, code, name string) {
	t.Helper()
	Municipality(t, k.DB, k.Vault, code, name)
}

// Staff describes a staff account for Kit.Staff.
type Staff struct {
	Login      string
	Name       string // "試験　" + Login when empty
	Tenant     string // home municipality; empty for staff of none (IS, audit, privacy)
	Department string // 健康部 when empty
	Section    string // 医療保険年金課 when empty
	// Patterns are held from the start. A system pattern holds everywhere;
	// a municipality's pattern holds in GrantIn, or else in Tenant.
	Patterns []string
	GrantIn  string
}

// Staff creates the account s with its one-time password already changed
// to Password, grants it s.Patterns, and returns it, or fails t. The
// grants are approved at once, without an applicant and an approver (as
// the demo data's are), and recorded as such: a test of the grant
// workflow itself goes through access.Service.Apply and Approve.
func (k *Kit) Staff(t testing.TB, s Staff) identity.User {
	t.Helper()
	if s.Name == "" {
		s.Name = "試験　" + s.Login
	}
	if s.Department == "" {
		s.Department = "健康部"
	}
	if s.Section == "" {
		s.Section = "医療保険年金課"
	}
	ctx := testutil.As(Setup)
	_, temp, err := k.Users.Create(ctx, identity.NewUser{LoginID: s.Login, Name: s.Name, Tenant: s.Tenant, Department: s.Department, Section: s.Section})
	if err != nil {
		t.Fatalf("staff %s: %v", s.Login, err)
	}
	if err := k.Users.ChangePassword(ctx, s.Login, temp, Password); err != nil {
		t.Fatalf("staff %s: %v", s.Login, err)
	}
	for _, p := range s.Patterns {
		k.Grant(t, s.Login, p, cmp.Or(s.GrantIn, s.Tenant))
	}
	return k.User(t, s.Login)
}

// Grant gives the staff member login the pattern, held in tenant (ignored
// for a system pattern), approved at once as Staff's grants are.
func (k *Kit) Grant(t testing.TB, login, pattern, tenant string) {
	t.Helper()
	ctx := testutil.As(Setup)
	p, err := k.Access.Pattern(ctx, pattern)
	if err != nil {
		t.Fatalf("grant %s to %s: %v", pattern, login, err)
	}
	switch {
	case p.Scope == access.ScopeSystem:
		tenant = ""
	case tenant == "":
		t.Fatalf("grant %s to %s: the pattern holds in one municipality, and none is named", pattern, login)
	}
	if err := k.Access.Direct(ctx, k.User(t, login), pattern, tenant, "test"); err != nil {
		t.Fatalf("grant %s to %s: %v", pattern, login, err)
	}
}

// SecondFactor enrols a TOTP secret and the PIN for login, as the first
// login does, and returns the secret (testutil.TOTP makes its codes).
func (k *Kit) SecondFactor(t testing.TB, login string) string {
	t.Helper()
	ctx := testutil.As(Setup)
	key, err := k.Users.EnrollTOTP(ctx, login)
	if err != nil {
		t.Fatalf("enrol TOTP for %s: %v", login, err)
	}
	if err := k.Users.SetPIN(ctx, login, PIN); err != nil {
		t.Fatalf("set the PIN of %s: %v", login, err)
	}
	return key.Secret
}

// User returns the staff account login as it is now, or fails t.
func (k *Kit) User(t testing.TB, login string) identity.User {
	t.Helper()
	u, err := k.Users.Get(context.Background(), login)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// Person is the resident the tests look at: 山田　太郎 of 西新宿, born on
// 1 April 1980, a man, with code and the My Number digits (none when "").
func Person(code, myNumber string) resident.Input {
	return resident.Input{Code: code, NameKanji: "山田　太郎", NameKana: "ヤマダ　タロウ", Address: "東京都新宿区西新宿二丁目8番1号",
		BirthDate: "1980-04-01", Sex: "1", MyNumber: myNumber}
}

// Resident registers in as a resident of tenant through svc, recorded as
// Setup's, and returns it, or fails t.
func Resident(t testing.TB, svc *resident.Service, tenant string, in resident.Input) resident.Resident {
	t.Helper()
	r, err := svc.Create(testutil.As(Setup), tenant, in)
	if err != nil {
		t.Fatalf("resident %s of %s: %v", in.Code, tenant, err)
	}
	return r
}
