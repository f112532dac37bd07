// Package identity holds the staff who use bango and how they prove who
// they are (R-AUTH-1…5): per-user accounts, passwords under a policy and
// Argon2id, a second factor (TOTP with a PIN), lockout after repeated
// failures, forced password change, and personnel transfer and retirement,
// which remove the second factors. Every step is an audit event.
package identity

import (
	"context"
	"crypto/rand"
	"database/sql"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/webauthn"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/store"
	"bango/internal/tenant"
	"bango/internal/vault"
)

// User statuses.
const (
	Active  = "active"
	Retired = "retired"
)

// User is a staff member. Secrets are never part of it.
type User struct {
	ID                 int64     `json:"id"`
	LoginID            string    `json:"login_id"`
	Name               string    `json:"name"`
	Tenant             string    `json:"tenant,omitempty"` // home municipality; empty for system-wide staff
	TenantName         string    `json:"tenant_name,omitempty"`
	Department         string    `json:"department,omitempty"`
	Section            string    `json:"section,omitempty"`
	Status             string    `json:"status"`
	MustChangePassword bool      `json:"must_change_password"`
	PasswordChangedAt  time.Time `json:"password_changed_at"`
	LockedUntil        time.Time `json:"locked_until,omitzero"`
	HasTOTP            bool      `json:"has_totp"`
	HasPIN             bool      `json:"has_pin"`
	HasPasskey         bool      `json:"has_passkey"` // a WebAuthn credential
	CreatedAt          time.Time `json:"created_at"`
	// NeedsActivation: an IS administrator set the one-time password, so
	// the first enrolment also needs an activation code from someone else.
	NeedsActivation bool `json:"needs_activation"`
	// ActivationIssued: such a code is waiting to be used.
	ActivationIssued bool `json:"activation_issued"`
}

// Policy is the account policy.
type Policy struct {
	PasswordMaxAge time.Duration // 0: passwords do not expire
	LockAfter      int           // consecutive failures that lock the account
	LockFor        time.Duration
	Issuer         string // shown in authenticator apps
}

// DefaultPolicy: 90-day passwords, lock for 15 minutes after 5 failures.
var DefaultPolicy = Policy{PasswordMaxAge: 90 * 24 * time.Hour, LockAfter: 5, LockFor: 15 * time.Minute, Issuer: "bango"}

// Service manages staff users.
type Service struct {
	db        *store.DB
	vault     *vault.Vault
	hasher    *Hasher
	policy    Policy
	sessions  SessionPolicy
	log       *slog.Logger
	now       func() time.Time
	webauthn  *webauthn.WebAuthn // nil until SetWebAuthn
	personnel PersonnelHook      // revokes grants on transfer and retirement
}

// NewService returns a Service.
func NewService(db *store.DB, v *vault.Vault, h *Hasher, p Policy, log *slog.Logger) *Service {
	return &Service{db: db, vault: v, hasher: h, policy: p, sessions: DefaultSessionPolicy, log: log, now: func() time.Time { return time.Now().UTC() }}
}

// SetClock replaces the clock, for tests of expiry and lockout.
func (s *Service) SetClock(now func() time.Time) { s.now = now }

const selectUser = `SELECT id, login_id, staff_users.name, tenant_code, COALESCE(tenants.name, ''), department, section, status,
	must_change_password, password_changed_at, locked_until, totp_sealed IS NOT NULL, pin_hash <> '', staff_users.created_at,
	EXISTS (SELECT 1 FROM staff_webauthn_credentials c WHERE c.user_id = staff_users.id),
	credential_set_by IS NOT NULL, activation_hash <> ''
	FROM staff_users LEFT JOIN tenants ON tenants.code = staff_users.tenant_code`

func scanUser(row store.Scanner) (User, error) {
	var u User
	var changed, locked sql.NullTime
	err := row.Scan(&u.ID, &u.LoginID, &u.Name, &u.Tenant, &u.TenantName, &u.Department, &u.Section, &u.Status, &u.MustChangePassword,
		&changed, &locked, &u.HasTOTP, &u.HasPIN, &u.CreatedAt, &u.HasPasskey, &u.NeedsActivation, &u.ActivationIssued)
	u.PasswordChangedAt, u.LockedUntil = changed.Time.UTC(), locked.Time.UTC()
	return u, err
}

// NewUser is what an IS administrator enters for a new staff member.
type NewUser struct {
	LoginID, Name, Tenant, Department, Section string
}

var (
	msgRequired = errs.Message{JA: "入力されていません", EN: "is required"}
	msgLoginID  = errs.Message{JA: "ログインIDは英小文字・数字・「.」「-」「_」の3〜32文字です", EN: "must be 3 to 32 lower-case letters, digits, '.', '-' or '_'"}
)

func validLoginID(id string) bool {
	if len(id) < 3 || len(id) > 32 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func (s *Service) checkNew(ctx context.Context, nu NewUser) error {
	var fe errs.FieldErrors
	if !validLoginID(nu.LoginID) {
		fe.Add("login_id", msgLoginID)
	}
	if strings.TrimSpace(nu.Name) == "" {
		fe.Add("name", msgRequired)
	} else if utf8.RuneCountInString(nu.Name) > 60 {
		fe.Add("name", errs.Message{JA: "60文字以内で入力してください", EN: "must be at most 60 characters"})
	}
	if nu.Tenant != "" {
		if r := tenant.CheckCode(nu.Tenant); r != nil {
			fe.Add("tenant", *r)
		} else if err := store.TenantExists(ctx, s.db, nu.Tenant); errs.Is(err, errs.NotFound) {
			fe.Add("tenant", errs.Message{JA: "登録されていない団体です", EN: "is not a registered municipality"})
		} else if err != nil {
			return err
		}
	}
	for _, f := range []struct{ name, v string }{{"department", nu.Department}, {"section", nu.Section}} {
		if utf8.RuneCountInString(f.v) > 60 {
			fe.Add(f.name, errs.Message{JA: "60文字以内で入力してください", EN: "must be at most 60 characters"})
		}
	}
	return fe.Err()
}

// tempPassword makes a one-time password that passes the policy: 16
// characters from an alphabet without look-alikes.
func tempPassword() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic("identity: no randomness: " + err.Error())
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// Create registers a staff member with a one-time password, which is
// returned once and must be changed at first login.
func (s *Service) Create(ctx context.Context, nu NewUser) (User, string, error) {
	nu.LoginID, nu.Name = strings.TrimSpace(nu.LoginID), strings.TrimSpace(nu.Name)
	subject := audit.Subject{Type: "user", ID: nu.LoginID}
	if err := s.checkNew(ctx, nu); err != nil {
		return User{}, "", s.failed(ctx, nu.Tenant, "user.create", subject, err)
	}
	temp := tempPassword()
	hash, err := s.hasher.Hash(ctx, temp)
	if err != nil {
		return User{}, "", err
	}
	now := s.now()
	var u User
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		var id int64
		setBy, err := actingStaff(ctx, tx)
		if err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `INSERT INTO staff_users (login_id, name, tenant_code, department, section, status, password_hash,
			password_changed_at, must_change_password, created_at, updated_at, credential_set_by)
			VALUES ($1, $2, $3, $4, $5, 'active', $6, $7, TRUE, $7, $7, $8) RETURNING id`,
			nu.LoginID, nu.Name, nu.Tenant, nu.Department, nu.Section, hash, now, setBy).Scan(&id)
		if err != nil {
			err = store.Translate(err)
			if errs.Is(err, errs.Conflict) {
				return &errs.FieldErrors{Kind: errs.Conflict, List: []errs.FieldError{{Field: "login_id", Reason: errs.Message{JA: "このログインIDは使われています", EN: "is already taken"}}}}
			}
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO staff_password_history (user_id, hash, created_at) VALUES ($1, $2, $3)`, id, hash, now); err != nil {
			return err
		}
		if u, err = scanUser(tx.QueryRow(ctx, selectUser+` WHERE id = $1`, id)); err != nil {
			return store.Translate(err)
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: nu.Tenant, Action: "user.create", Subject: subject, Outcome: audit.OK,
			Detail: "department=" + nu.Department + " section=" + nu.Section})
	})
	if err != nil {
		return User{}, "", s.failed(ctx, nu.Tenant, "user.create", subject, err)
	}
	return u, temp, nil
}

// Get returns the user with loginID.
func (s *Service) Get(ctx context.Context, loginID string) (User, error) {
	u, err := scanUser(s.db.QueryRow(ctx, selectUser+` WHERE login_id = $1`, loginID))
	return u, store.ScanErr(err, "user "+loginID)
}

// List returns every user, by login ID.
func (s *Service) List(ctx context.Context) ([]User, error) {
	return store.Rows(scanUser)(s.db.Query(ctx, selectUser+` ORDER BY login_id`))
}

// Count returns how many users exist, for the first start of a system.
func (s *Service) Count(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRow(ctx, `SELECT count(*) FROM staff_users`).Scan(&n)
	return n, store.Translate(err)
}

// failed records a refused or failed attempt as an event of its own.
func (s *Service) failed(ctx context.Context, tenantCode, action string, subject audit.Subject, err error) error {
	detail := "error=" + strings.ReplaceAll(errs.KindOf(err).String(), " ", "_")
	var names []string
	for _, f := range errs.Fields(err) {
		names = append(names, f.Field)
	}
	if len(names) > 0 {
		detail += " fields=" + strings.Join(names, ",")
	}
	ev := audit.Event{Tenant: tenantCode, Action: action, Subject: subject, Outcome: audit.Failed, Detail: detail}
	if errs.Is(err, errs.Forbidden) || errs.Is(err, errs.Unauthenticated) || errs.Is(err, errs.Locked) {
		ev.Outcome = audit.Denied
	}
	if aerr := audit.RecordAlone(context.WithoutCancel(ctx), s.db, ev); aerr != nil {
		s.log.ErrorContext(ctx, "audit event for a failed attempt not written", "action", action, "err", aerr)
	}
	return err
}

func itoa(n int) string { return strconv.Itoa(n) }
