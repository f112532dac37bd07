// Package terminal is the registry of designated terminals (R-AUTH-5): only
// a registered terminal — by the address it connects from and, where set,
// its client certificate — may reach the staff pages when enforcement is
// on. Rights stay per user (R-AC-1); the terminal only says from where.
package terminal

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"net/netip"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/store"
)

// Terminal is a registered terminal.
type Terminal struct {
	ID              int64          `json:"id"`
	Name            string         `json:"name"`
	Tenant          string         `json:"tenant,omitempty"`
	Section         string         `json:"section,omitempty"`
	Prefixes        []netip.Prefix `json:"cidrs"`
	CertFingerprint string         `json:"cert_fingerprint,omitempty"` // lower-case hex SHA-256 of the certificate
	Active          bool           `json:"active"`
	CreatedAt       time.Time      `json:"created_at"`
}

// Registry keeps the terminals, with a short-lived cache for the request
// path.
type Registry struct {
	db *store.DB

	mu     sync.Mutex
	cached []Terminal
	at     time.Time
}

// New returns a Registry over db.
func New(db *store.DB) *Registry { return &Registry{db: db} }

const cacheFor = 10 * time.Second

// Fingerprint is the SHA-256 fingerprint of a certificate, lower-case hex.
func Fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}

// ParsePrefixes reads "10.0.0.0/24, 10.0.1.5" (a bare address is a /32 or
// /128). What it refuses is a field error on "cidrs" naming each wrong
// part, as the terminal form shows it.
func ParsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	var fe errs.FieldErrors
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		p, ok := parsePrefix(part)
		if !ok {
			fe.Add("cidrs", errs.Message{
				JA: "「" + part + "」はIPアドレスでもCIDRでもありません。例：10.0.0.8 または 10.1.2.0/24",
				EN: "“" + part + "” is neither an IP address nor a CIDR; for example 10.0.0.8 or 10.1.2.0/24",
			})
			continue
		}
		out = append(out, p)
	}
	if len(out) == 0 && len(fe.List) == 0 {
		fe.Add("cidrs", msgNoAddress)
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

var msgNoAddress = errs.Message{
	JA: "接続元のIPアドレスかCIDRを入力してください（複数はカンマ区切り）。例：10.0.0.8, 10.1.2.0/24",
	EN: "give the addresses or CIDRs the terminal connects from, comma-separated; for example 10.0.0.8, 10.1.2.0/24",
}

// parsePrefix reads one address or CIDR; a bare address is a /32 or /128.
func parsePrefix(part string) (netip.Prefix, bool) {
	if !strings.Contains(part, "/") {
		a, err := netip.ParseAddr(part)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, false
		}
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	p, err := netip.ParsePrefix(part)
	if err != nil {
		return netip.Prefix{}, false
	}
	return p.Masked(), true
}

func joinPrefixes(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

// Add registers a terminal.
func (r *Registry) Add(ctx context.Context, t Terminal) (Terminal, error) {
	var fe errs.FieldErrors
	t.Name = strings.TrimSpace(t.Name)
	if t.Name == "" || utf8.RuneCountInString(t.Name) > 60 {
		fe.Add("name", errs.Message{JA: "1〜60文字で入力してください", EN: "must be 1 to 60 characters"})
	}
	if len(t.Prefixes) == 0 {
		fe.Add("cidrs", msgNoAddress)
	}
	t.CertFingerprint = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(t.CertFingerprint), ":", ""))
	if t.CertFingerprint != "" {
		if b, err := hex.DecodeString(t.CertFingerprint); err != nil || len(b) != sha256.Size {
			fe.Add("cert_fingerprint", errs.Message{JA: "SHA-256フィンガープリント（16進64桁）で入力してください", EN: "must be a SHA-256 fingerprint (64 hex digits)"})
		}
	}
	if err := fe.Err(); err != nil {
		return Terminal{}, err
	}
	t.Active, t.CreatedAt = true, time.Now().UTC().Truncate(time.Microsecond)
	err := r.db.Transact(ctx, func(tx *store.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO terminals (name, tenant_code, section, cidrs, cert_fingerprint, active, created_at)
			VALUES ($1, $2, $3, $4, $5, TRUE, $6) RETURNING id`, t.Name, t.Tenant, t.Section, joinPrefixes(t.Prefixes), t.CertFingerprint, t.CreatedAt).Scan(&t.ID)
		if err = store.Translate(err); errs.Is(err, errs.Conflict) {
			return &errs.FieldErrors{Kind: errs.Conflict, List: []errs.FieldError{{Field: "name", Reason: errs.Message{JA: "この名前の端末は登録済みです", EN: "is already registered"}}}}
		} else if err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: t.Tenant, Action: "terminal.add", Subject: audit.Subject{Type: "terminal", ID: t.Name},
			Outcome: audit.OK, Detail: "cidrs=" + joinPrefixes(t.Prefixes) + " cert=" + map[bool]string{true: "pinned", false: "none"}[t.CertFingerprint != ""]})
	})
	r.forget()
	return t, err
}

// Disable stops a terminal from being accepted; it stays in the registry
// for the audit trail.
func (r *Registry) Disable(ctx context.Context, name string) error {
	err := r.db.Transact(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE terminals SET active = FALSE WHERE name = $1 AND active`, name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.Tell(errs.NotFound, errs.Message{
				JA: "「" + name + "」という名前の使用中の端末はありません。すでに無効にされたかもしれません。一覧を開き直して確かめてください。",
				EN: "No terminal in use is named “" + name + "”: it may have been disabled already. Open the list again to check.",
			}, "no active terminal named %q", name)
		}
		return audit.Record(ctx, tx, audit.Event{Action: "terminal.disable", Subject: audit.Subject{Type: "terminal", ID: name}, Outcome: audit.OK})
	})
	r.forget()
	return err
}

// List returns every terminal by name.
func (r *Registry) List(ctx context.Context) ([]Terminal, error) {
	return store.Rows(scanTerminal)(r.db.Query(ctx, `SELECT id, name, tenant_code, section, cidrs, cert_fingerprint, active, created_at FROM terminals ORDER BY name`))
}

func scanTerminal(row store.Scanner) (Terminal, error) {
	var t Terminal
	var cidrs string
	if err := row.Scan(&t.ID, &t.Name, &t.Tenant, &t.Section, &cidrs, &t.CertFingerprint, &t.Active, &t.CreatedAt); err != nil {
		return t, err
	}
	var err error
	t.Prefixes, err = ParsePrefixes(cidrs)
	return t, err
}

func (r *Registry) forget() {
	r.mu.Lock()
	r.cached, r.at = nil, time.Time{}
	r.mu.Unlock()
}

// Match finds the active terminal that addr connects from and whose
// certificate (when one is pinned) is fingerprint. The narrowest prefix
// wins, so a terminal pinned to one address beats its section's subnet.
func (r *Registry) Match(ctx context.Context, addr netip.Addr, fingerprint string) (Terminal, bool, error) {
	r.mu.Lock()
	if r.cached == nil || time.Since(r.at) > cacheFor {
		all, err := r.List(ctx)
		if err != nil {
			r.mu.Unlock()
			return Terminal{}, false, err
		}
		r.cached, r.at = all, time.Now()
	}
	terms := r.cached
	r.mu.Unlock()
	addr = addr.Unmap()
	best, bits, found := Terminal{}, -1, false
	for _, t := range terms {
		if !t.Active || (t.CertFingerprint != "" && t.CertFingerprint != fingerprint) {
			continue
		}
		for _, p := range t.Prefixes {
			if p.Contains(addr) && p.Bits() > bits {
				best, bits, found = t, p.Bits(), true
			}
		}
	}
	return best, found, nil
}
