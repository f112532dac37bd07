// Package vault keeps My Numbers and other personal data sealed at rest
// (R-STO-1). Each tenant has its own data keys, wrapped by a versioned
// master key from a key file; values are sealed with AES-256-GCM whose
// associated data binds them to tenant, table, column and row, so that a
// ciphertext copied to another row does not open. Lookups and uniqueness
// use a blind index (HMAC-SHA256 under a separate per-tenant key), so no
// query ever needs the plaintext.
package vault

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"bango/internal/errs"
	"bango/internal/mynumber"
	"bango/internal/store"
)

const (
	purposeSeal  = "seal"
	purposeIndex = "index"

	sealFormat   = 1
	headerLen    = 1 + 4 // format byte + data-key version
	nonceLen     = 12
	tagLen       = 16
	refreshAfter = 30 * time.Second
)

// Binding is where a sealed value lives. It goes into the AEAD's associated
// data: a value opens only at the binding it was sealed for.
type Binding struct {
	Tenant, Table, Column, Row string
}

func (b Binding) aad(header []byte) []byte {
	s := make([]byte, 0, 64)
	s = append(s, "bango-seal/1\x00"...)
	for _, part := range []string{b.Tenant, b.Table, b.Column, b.Row} {
		s = append(s, part...)
		s = append(s, 0)
	}
	return append(s, header...)
}

// Vault seals, opens and indexes values with the tenants' data keys.
// It is safe for concurrent use.
type Vault struct {
	db     *store.DB
	master atomic.Pointer[MasterKeys]

	mu      sync.RWMutex
	tenants map[string]*tenantKeys

	// afterKeyFileWritten, if set, runs in Rotate between making the new
	// master version durable and committing data keys wrapped by it: tests
	// stand a crash or a slow rotation there.
	afterKeyFileWritten func() error
}

type tenantKeys struct {
	loaded time.Time
	seal   map[int]cipher.AEAD
	newest int       // newest seal version
	index  sync.Pool // of hash.Hash: HMAC-SHA256 under the blind-index key
}

// New returns a vault over db using the given master keys.
func New(db *store.DB, master *MasterKeys) *Vault {
	v := &Vault{db: db, tenants: map[string]*tenantKeys{}}
	v.master.Store(master)
	return v
}

// Master returns the master keys in use.
func (v *Vault) Master() *MasterKeys { return v.master.Load() }

// System is the scope of secrets that belong to no municipality, such as
// staff members' second factors.
const System = ""

// EnsureSystemKeys creates the system scope's keys if they do not exist.
func (v *Vault) EnsureSystemKeys(ctx context.Context, tx *store.Tx) error {
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM vault_data_keys WHERE tenant_code = ''`).Scan(&n); err != nil {
		return store.Translate(err)
	}
	if n > 0 {
		return nil
	}
	return v.CreateTenantKeys(ctx, tx, System)
}

// CreateTenantKeys makes a new tenant's seal and index keys inside tx, the
// transaction that creates the tenant.
func (v *Vault) CreateTenantKeys(ctx context.Context, tx *store.Tx, tenant string) error {
	for _, purpose := range []string{purposeSeal, purposeIndex} {
		if err := v.insertDataKey(ctx, tx, tenant, purpose, 1); err != nil {
			return err
		}
	}
	return nil
}

func (v *Vault) insertDataKey(ctx context.Context, tx *store.Tx, tenant, purpose string, version int) error {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	newest := v.Master().Newest()
	wrapped, err := v.wrap(tenant, purpose, version, newest, key)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO vault_data_keys (tenant_code, purpose, version, master_version, wrapped, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, tenant, purpose, version, newest, wrapped, time.Now().UTC())
	return err
}

func wrapAAD(tenant, purpose string, version int) []byte {
	return []byte("bango-wrap/1\x00" + tenant + "\x00" + purpose + "\x00" + strconv.Itoa(version))
}

func (v *Vault) wrap(tenant, purpose string, version, masterVersion int, key []byte) ([]byte, error) {
	return v.Master().wrap(tenant, purpose, version, masterVersion, key)
}

func (v *Vault) unwrap(tenant, purpose string, version, masterVersion int, wrapped []byte) ([]byte, error) {
	return v.Master().unwrap(tenant, purpose, version, masterVersion, wrapped)
}

func (m *MasterKeys) wrap(tenant, purpose string, version, masterVersion int, key []byte) ([]byte, error) {
	mk, ok := m.key(masterVersion)
	if !ok {
		return nil, errs.E(errs.Internal, "vault: master key version %d is not in %s", masterVersion, m.Path())
	}
	aead, err := newGCM(mk)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, nonceLen)
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return aead.Seal(nonce, nonce, key, wrapAAD(tenant, purpose, version)), nil
}

func (m *MasterKeys) unwrap(tenant, purpose string, version, masterVersion int, wrapped []byte) ([]byte, error) {
	mk, ok := m.key(masterVersion)
	if !ok {
		return nil, errs.E(errs.Unavailable, "vault: data key %s/%s/v%d is wrapped by master key version %d, which %s does not hold", tenant, purpose, version, masterVersion, m.Path())
	}
	aead, err := newGCM(mk)
	if err != nil {
		return nil, err
	}
	if len(wrapped) < nonceLen+tagLen {
		return nil, errs.E(errs.Internal, "vault: data key %s/%s/v%d is truncated", tenant, purpose, version)
	}
	key, err := aead.Open(nil, wrapped[:nonceLen], wrapped[nonceLen:], wrapAAD(tenant, purpose, version))
	if err != nil {
		return nil, errs.E(errs.Internal, "vault: data key %s/%s/v%d does not open with master key version %d (wrong key file?)", tenant, purpose, version, masterVersion)
	}
	return key, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// keys returns the tenant's unwrapped keys, loading them on first use and
// again every refreshAfter, so that a rotation made by another process is
// picked up without a restart.
func (v *Vault) keys(ctx context.Context, tenant string) (*tenantKeys, error) {
	v.mu.RLock()
	tk := v.tenants[tenant]
	v.mu.RUnlock()
	if tk != nil && time.Since(tk.loaded) < refreshAfter {
		return tk, nil
	}
	tk, err := v.load(ctx, tenant)
	if err != nil {
		return nil, err
	}
	v.mu.Lock()
	v.tenants[tenant] = tk
	v.mu.Unlock()
	return tk, nil
}

func (v *Vault) load(ctx context.Context, tenant string) (*tenantKeys, error) {
	tk := &tenantKeys{loaded: time.Now(), seal: map[int]cipher.AEAD{}}
	reloaded := false
	err := store.Each(func(row store.Scanner) error {
		var purpose string
		var version, masterVersion int
		var wrapped []byte
		if err := row.Scan(&purpose, &version, &masterVersion, &wrapped); err != nil {
			return err
		}
		if _, ok := v.Master().key(masterVersion); !ok && !reloaded {
			// Another process rotated the master key: read the file again.
			if m, _, err := LoadKeyFile(v.Master().Path(), false); err == nil {
				v.master.Store(m)
			}
			reloaded = true
		}
		key, err := v.unwrap(tenant, purpose, version, masterVersion, wrapped)
		if err != nil {
			return err
		}
		switch purpose {
		case purposeSeal:
			aead, err := newGCM(key)
			if err != nil {
				return err
			}
			tk.seal[version] = aead
			tk.newest = max(tk.newest, version)
		case purposeIndex:
			// Keying an HMAC costs two hash blocks and some allocations;
			// reusing keyed instances keeps bulk imports cheap.
			tk.index.New = func() any { return hmac.New(sha256.New, key) }
		}
		return nil
	})(v.db.Query(ctx, `SELECT purpose, version, master_version, wrapped FROM vault_data_keys WHERE tenant_code = $1`, tenant))
	if err != nil {
		return nil, err
	}
	if tk.newest == 0 || tk.index.New == nil {
		return nil, errs.E(errs.NotFound, "vault: no data keys for municipality %s", tenant)
	}
	return tk, nil
}

// Seal encrypts plaintext for binding b with the tenant's newest data key.
// It returns the sealed value and the data-key version used, which callers
// store beside it so that `keys status` and `keys rewrap` can count and
// find rows by version.
func (v *Vault) Seal(ctx context.Context, b Binding, plaintext []byte) (sealed []byte, version int, err error) {
	tk, err := v.keys(ctx, b.Tenant)
	if err != nil {
		return nil, 0, err
	}
	return sealWith(tk.seal[tk.newest], tk.newest, b, plaintext)
}

func sealWith(aead cipher.AEAD, version int, b Binding, plaintext []byte) ([]byte, int, error) {
	out := make([]byte, headerLen+nonceLen, headerLen+nonceLen+len(plaintext)+tagLen)
	out[0] = sealFormat
	binary.BigEndian.PutUint32(out[1:headerLen], uint32(version))
	nonce := out[headerLen:]
	if _, err := rand.Read(nonce); err != nil {
		return nil, 0, err
	}
	return aead.Seal(out, nonce, plaintext, b.aad(out[:headerLen])), version, nil
}

// Open decrypts a value sealed for binding b. A value sealed for any other
// binding, or altered in any bit, fails.
func (v *Vault) Open(ctx context.Context, b Binding, sealed []byte) ([]byte, error) {
	if err := checkSealed(b, sealed); err != nil {
		return nil, err
	}
	tk, err := v.keys(ctx, b.Tenant)
	if err != nil {
		return nil, err
	}
	return tk.open(b, sealed)
}

func checkSealed(b Binding, sealed []byte) error {
	if len(sealed) < headerLen+nonceLen+tagLen || sealed[0] != sealFormat {
		return errs.E(errs.Internal, "vault: sealed value at %s.%s row %s is malformed", b.Table, b.Column, b.Row)
	}
	return nil
}

func (tk *tenantKeys) open(b Binding, sealed []byte) ([]byte, error) {
	if err := checkSealed(b, sealed); err != nil {
		return nil, err
	}
	version := int(binary.BigEndian.Uint32(sealed[1:headerLen]))
	aead, ok := tk.seal[version]
	if !ok {
		return nil, errs.E(errs.Internal, "vault: no data key version %d for municipality %s", version, b.Tenant)
	}
	pt, err := aead.Open(nil, sealed[headerLen:headerLen+nonceLen], sealed[headerLen+nonceLen:], b.aad(sealed[:headerLen]))
	if err != nil {
		return nil, errs.E(errs.Internal, "vault: sealed value at %s.%s row %s does not open here (moved or altered)", b.Table, b.Column, b.Row)
	}
	return pt, nil
}

// IndexLen is the length of a blind index: HMAC-SHA256 truncated to 128
// bits (as NIST SP 800-107 allows). A collision among even ten million
// numbers has odds below 10^-24, and the shorter key keeps the unique index
// as small as one on the plain number would be.
const IndexLen = 16

// BlindIndex is HMAC-SHA256 of value under the tenant's index key, in the
// domain kind, so that equal values of one kind in one municipality have
// equal indexes and nothing else does.
func (v *Vault) BlindIndex(ctx context.Context, tenant, kind string, value []byte) ([]byte, error) {
	tk, err := v.keys(ctx, tenant)
	if err != nil {
		return nil, err
	}
	return tk.blindIndex(kind, value), nil
}

func (tk *tenantKeys) blindIndex(kind string, value []byte) []byte {
	m := tk.index.Get().(hash.Hash)
	m.Reset()
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write(value)
	sum := m.Sum(make([]byte, 0, sha256.Size))[:IndexLen]
	tk.index.Put(m)
	return sum
}

const numberKind = "mynumber"

// SealedNumber is a My Number ready to store: the sealed digits, the data
// key version, and the blind index.
type SealedNumber struct {
	Sealed     []byte
	KeyVersion int
	Index      []byte
}

// SealNumber seals n for binding b and computes its blind index.
func (v *Vault) SealNumber(ctx context.Context, b Binding, n mynumber.Number) (SealedNumber, error) {
	if n.IsZero() {
		return SealedNumber{}, errs.E(errs.Invalid, "vault: no My Number to seal")
	}
	tk, err := v.keys(ctx, b.Tenant)
	if err != nil {
		return SealedNumber{}, err
	}
	d := []byte(n.Digits())
	sealed, ver, err := sealWith(tk.seal[tk.newest], tk.newest, b, d)
	if err != nil {
		return SealedNumber{}, err
	}
	return SealedNumber{Sealed: sealed, KeyVersion: ver, Index: tk.blindIndex(numberKind, d)}, nil
}

// NumberIndex is the blind index of n in tenant, for lookups.
func (v *Vault) NumberIndex(ctx context.Context, tenant string, n mynumber.Number) ([]byte, error) {
	return v.BlindIndex(ctx, tenant, numberKind, []byte(n.Digits()))
}

// RevealNumber opens a sealed My Number and returns its digits grouped
// 4-4-4, for the one screen that shows it to a holder of the reveal right
// after an audited reveal. A test limits its callers.
func (v *Vault) RevealNumber(ctx context.Context, b Binding, sealed []byte) (string, error) {
	n, err := v.OpenNumber(ctx, b, sealed)
	if err != nil {
		return "", err
	}
	d := n.Digits()
	return d[0:4] + " " + d[4:8] + " " + d[8:12], nil
}

// OpenNumber opens a sealed My Number. Only reveal paths call it.
func (v *Vault) OpenNumber(ctx context.Context, b Binding, sealed []byte) (mynumber.Number, error) {
	pt, err := v.Open(ctx, b, sealed)
	if err != nil {
		return mynumber.Number{}, err
	}
	n, err := mynumber.Parse(string(pt))
	if err != nil {
		return mynumber.Number{}, fmt.Errorf("vault: sealed My Number at %s row %s is not valid: %w", b.Table, b.Row, err)
	}
	return n, nil
}
