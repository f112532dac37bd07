// Package tenant holds the municipalities (地方公共団体) that bango serves.
// Every tenant-owned row carries its municipality's 6-digit local-government
// code; creating a municipality also creates its data keys.
package tenant

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/store"
	"bango/internal/vault"
)

// Tenant is one municipality.
type Tenant struct {
	Code      string    `json:"code"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// CheckCode verifies a 6-digit local-government code (全国地方公共団体コード):
// five digits and a check digit computed with weights 6,5,4,3,2, as
// (11 − Σ mod 11) mod 10. It returns nil or a reason fit for a form.
func CheckCode(code string) *errs.Message {
	if len(code) != 6 {
		return &errs.Message{
			JA: fmt.Sprintf("6桁の地方公共団体コードで入力してください（%d文字です）", utf8.RuneCountInString(code)),
			EN: fmt.Sprintf("must be a 6-digit local-government code, got %d characters", utf8.RuneCountInString(code)),
		}
	}
	sum := 0
	for i := 0; i < 6; i++ {
		if code[i] < '0' || code[i] > '9' {
			return &errs.Message{JA: "数字以外の文字が含まれています", EN: "contains a character that is not a digit"}
		}
		if i < 5 {
			sum += int(code[i]-'0') * (6 - i)
		}
	}
	if want := byte('0' + (11-sum%11)%10); code[5] != want {
		return &errs.Message{JA: "検査数字（6桁目）が一致しません", EN: "check digit (6th digit) does not match"}
	}
	return nil
}

// Service creates and reads municipalities.
type Service struct {
	db    *store.DB
	vault *vault.Vault
}

// NewService returns a Service over db whose new tenants get keys from v.
func NewService(db *store.DB, v *vault.Vault) *Service { return &Service{db: db, vault: v} }

// Create registers a municipality and its data keys in one transaction.
func (s *Service) Create(ctx context.Context, code, name string) (t Tenant, err error) {
	defer errs.Annotate(&err, "tenant.Create(%s)", code)
	var fe errs.FieldErrors
	if reason := CheckCode(code); reason != nil {
		fe.Add("code", *reason)
	}
	name = strings.TrimSpace(name)
	if name == "" {
		fe.Add("name", errs.Message{JA: "入力されていません", EN: "is required"})
	} else if utf8.RuneCountInString(name) > 100 {
		fe.Add("name", errs.Message{JA: "100文字以内で入力してください", EN: "must be at most 100 characters"})
	}
	if err := fe.Err(); err != nil {
		return Tenant{}, err
	}
	t = Tenant{Code: code, Name: name, CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO tenants (code, name, created_at) VALUES ($1, $2, $3)`, t.Code, t.Name, t.CreatedAt)
		if errs.Is(err, errs.Conflict) {
			return errs.E(errs.Conflict, "municipality %s is already registered", code)
		}
		if err != nil {
			return err
		}
		if err := s.vault.CreateTenantKeys(ctx, tx, code); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: code, Action: "tenant.create", Subject: audit.Subject{Type: "tenant", ID: code}, Outcome: audit.OK, Detail: "keys=seal,index"})
	})
	return t, err
}

// Get returns the municipality with code.
func (s *Service) Get(ctx context.Context, code string) (Tenant, error) {
	t, err := scanTenant(s.db.QueryRow(ctx, `SELECT code, name, created_at FROM tenants WHERE code = $1`, code))
	return t, store.ScanErr(err, "municipality "+code)
}

// List returns every municipality by code.
func (s *Service) List(ctx context.Context) ([]Tenant, error) {
	return store.Rows(scanTenant)(s.db.Query(ctx, `SELECT code, name, created_at FROM tenants ORDER BY code`))
}

func scanTenant(row store.Scanner) (Tenant, error) {
	var t Tenant
	err := row.Scan(&t.Code, &t.Name, &t.CreatedAt)
	return t, err
}
