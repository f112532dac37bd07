// Package resident keeps the address records (宛名) of each municipality:
// the basic four items (name, address, date of birth, sex), an optional
// alias, the sealed My Number with its blind index, and the identity
// verification done at intake. It also checks a presented set of basic
// items against the record (R-ACC-3).
package resident

import (
	"context"
	"encoding/hex"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/mynumber"
	"bango/internal/store"
	"bango/internal/vault"
)

// Sex codes as in the resident register.
const (
	Male   = "1"
	Female = "2"
)

// Resident is an address record. The My Number is never part of it: only
// whether one is registered.
type Resident struct {
	Tenant      string    `json:"tenant"`
	Code        string    `json:"code"`
	NameKanji   string    `json:"name_kanji"`
	NameKana    string    `json:"name_kana"`
	Alias       string    `json:"alias,omitempty"`
	Address     string    `json:"address"`
	BirthDate   time.Time `json:"birth_date"`
	Sex         string    `json:"sex"`
	HasMyNumber bool      `json:"has_mynumber"`
	Version     int       `json:"version"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Input is a resident as typed into a form or read from a file: text, to be
// validated. MyNumber may be empty.
type Input struct {
	Code      string
	NameKanji string
	NameKana  string
	Alias     string
	Address   string
	BirthDate string // YYYY-MM-DD
	Sex       string
	MyNumber  string
}

// Service manages residents.
type Service struct {
	db     *store.DB
	vault  *vault.Vault
	log    *slog.Logger
	now    func() time.Time
	reveal RevealPolicy
}

// NewService returns a Service. log receives one line per change and per
// lookup by My Number, never a number.
func NewService(db *store.DB, v *vault.Vault, log *slog.Logger) *Service {
	return &Service{db: db, vault: v, log: log, now: func() time.Time { return time.Now().UTC() }}
}

func binding(tenant, code string) vault.Binding {
	return vault.Binding{Tenant: tenant, Table: "residents", Column: "mynumber", Row: code}
}

// Create registers a resident. A My Number, if given, is sealed and must be
// unique in the municipality; a duplicate names the resident who holds it.
func (s *Service) Create(ctx context.Context, tenant string, in Input) (r Resident, err error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	defer errs.Annotate(&err, "resident.Create(%s)", tenant)
	now := s.now()
	subject := audit.Subject{Type: "resident", ID: strings.TrimSpace(in.Code)}
	v, err := validate(in, now)
	if err != nil {
		s.log.WarnContext(ctx, "resident rejected", "tenant", tenant, "fields", fieldNames(err))
		return Resident{}, s.failed(ctx, tenant, "resident.create", subject, err)
	}
	row, err := s.prepare(ctx, tenant, v, now)
	if err != nil {
		return Resident{}, s.failed(ctx, tenant, "resident.create", subject, err)
	}
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		if err := store.TenantExists(ctx, tx, tenant); err != nil {
			return err
		}
		if !v.number.IsZero() {
			if _, err := holderOf(ctx, tx, tenant, row.bidx); err == nil {
				return numberTaken()
			} else if !errs.Is(err, errs.NotFound) {
				return err
			}
		}
		if err := insert(ctx, tx, row); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: "resident.create", Subject: subject, Outcome: audit.OK,
			Detail: numberDetail(!v.number.IsZero())})
	})
	if errs.Is(err, errs.Conflict) && !isDuplicateNumber(err) {
		s.log.InfoContext(ctx, "resident code taken", "tenant", tenant, "resident", v.code, "err", err)
		err = &errs.FieldErrors{Kind: errs.Conflict, List: []errs.FieldError{{Field: "code", Reason: errs.Message{
			JA: "この宛名番号の住民はすでに登録されています。番号を確かめ、登録済みの住民なら検索して開いてください",
			EN: "a resident with this code is already registered: check the code, or search for the resident and open the record",
		}}}}
	}
	if err != nil {
		return Resident{}, s.failed(ctx, tenant, "resident.create", subject, err)
	}
	s.log.InfoContext(ctx, "resident created", "tenant", tenant, "resident", v.code, "mynumber", v.number)
	return row.resident(), nil
}

func numberDetail(has bool) string {
	if has {
		return "mynumber=registered"
	}
	return "mynumber=none"
}

// failed records a refused or failed attempt as an event of its own (the
// attempt's transaction, if any, rolled back) and returns err. The detail
// names the kind and the wrong fields, never their values.
func (s *Service) failed(ctx context.Context, tenant, action string, subject audit.Subject, err error) error {
	detail := "error=" + strings.ReplaceAll(errs.KindOf(err).String(), " ", "_")
	if names := fieldNames(err); len(names) > 0 {
		detail += " fields=" + strings.Join(names, ",")
	}
	if aerr := audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: action, Subject: subject, Outcome: audit.Failed, Detail: detail}); aerr != nil {
		s.log.ErrorContext(ctx, "audit event for a failed attempt not written", "action", action, "err", aerr)
	}
	return err
}

// Get returns the resident with code in tenant. The read is an event.
func (s *Service) Get(ctx context.Context, tenant, code string) (Resident, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	r, err := s.get(ctx, tenant, code)
	outcome := audit.OK
	if err != nil {
		outcome = audit.Failed
	}
	if aerr := audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: "resident.read",
		Subject: audit.Subject{Type: "resident", ID: code}, Outcome: outcome}); aerr != nil {
		return Resident{}, aerr // no read without its record
	}
	return r, err
}

// GetIn returns the resident with code in tenant, read inside the caller's
// transaction tx, and records the read in it.
func (s *Service) GetIn(ctx context.Context, tx *store.Tx, tenant, code string) (Resident, error) {
	r, err := scanResident(tx.QueryRow(ctx, selectResident+` WHERE tenant_code = $1 AND code = $2`, tenant, code))
	if err != nil {
		return Resident{}, store.ScanErr(err, "resident "+code)
	}
	return r, audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: "resident.read",
		Subject: audit.Subject{Type: "resident", ID: code}, Outcome: audit.OK})
}

// Exists reports, as an error, whether resident code is in tenant: a
// request about a resident of another municipality is "not found" before
// anything else is looked at.
func (s *Service) Exists(ctx context.Context, tenant, code string) error {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	var n int
	if err := s.db.Read(ctx, func(q store.Querier) error {
		return q.QueryRow(ctx, `SELECT count(*) FROM residents WHERE tenant_code = $1 AND code = $2`, tenant, code).Scan(&n)
	}); err != nil {
		return store.Translate(err)
	}
	if n == 0 {
		// Asking for a resident who is not in one's municipality is worth a
		// record: it is how a cross-municipality probe shows.
		if err := audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: "resident.read", Subject: audit.Subject{Type: "resident", ID: code},
			Outcome: audit.Denied, Detail: "reason=not_found_in_scope"}); err != nil {
			return err
		}
		return errs.E(errs.NotFound, "resident %s not found", code)
	}
	return nil
}

func (s *Service) get(ctx context.Context, tenant, code string) (Resident, error) {
	var r Resident
	err := s.db.ReadIn(ctx, tenant, func(q store.Querier) (err error) {
		r, err = scanResident(q.QueryRow(ctx, selectResident+` WHERE tenant_code = $1 AND code = $2`, tenant, code))
		return err
	})
	return r, store.ScanErr(err, "resident "+code)
}

// FindByMyNumber returns the resident of tenant who holds n, through the
// blind index: the query never holds the digits.
func (s *Service) FindByMyNumber(ctx context.Context, tenant string, n mynumber.Number) (Resident, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	idx, err := s.vault.NumberIndex(ctx, tenant, n)
	if err != nil {
		return Resident{}, err
	}
	var r Resident
	err = s.db.Read(ctx, func(q store.Querier) (err error) {
		r, err = scanResident(q.QueryRow(ctx, selectResident+` WHERE tenant_code = $1 AND mynumber_bidx = $2`, tenant, idx))
		return err
	})
	err = store.ScanErr(err, "resident with that My Number")
	ev := audit.Event{Tenant: tenant, Action: "resident.lookup_by_mynumber", Outcome: audit.OK,
		Subject: audit.Subject{Type: "mynumber", ID: hex.EncodeToString(idx)}, Detail: "found=false"}
	if err == nil {
		ev.Detail = "found=true resident=" + r.Code
	} else if !errs.Is(err, errs.NotFound) {
		ev.Outcome = audit.Failed
	}
	if aerr := audit.RecordAlone(ctx, s.db, ev); aerr != nil {
		return Resident{}, aerr
	}
	s.log.InfoContext(ctx, "resident lookup by my number", "tenant", tenant, "mynumber", n, "found", err == nil, "resident", r.Code)
	return r, err
}

// Update changes the basic items and alias of a resident. version must be
// the version the user saw: a change made meanwhile by someone else is a
// conflict, not silently overwritten. The My Number is set only through a
// confirmed review (ProposeMyNumber, then ApplyMyNumber; R-ACC-1).
func (s *Service) Update(ctx context.Context, tenant, code string, version int, in Input) (r Resident, err error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	defer errs.Annotate(&err, "resident.Update(%s/%s)", tenant, code)
	in.Code, in.MyNumber = code, ""
	now := s.now()
	subject := audit.Subject{Type: "resident", ID: code}
	v, err := validate(in, now)
	if err != nil {
		s.log.WarnContext(ctx, "resident change rejected", "tenant", tenant, "resident", code, "fields", fieldNames(err))
		return Resident{}, s.failed(ctx, tenant, "resident.change", subject, err)
	}
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE residents SET name_kanji = $1, name_kana = $2, alias = $3, address = $4,
			birth_date = $5, sex = $6, version = version + 1, updated_at = $7
			WHERE tenant_code = $8 AND code = $9 AND version = $10`,
			v.nameKanji, v.nameKana, v.alias, v.address, dateArg(tx.Engine(), v.birthDate), v.sex, now, tenant, code, version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return staleOrMissing(ctx, tx, tenant, code)
		}
		r, err = scanResident(tx.QueryRow(ctx, selectResident+` WHERE tenant_code = $1 AND code = $2`, tenant, code))
		if err != nil {
			return store.Translate(err)
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: "resident.change", Subject: subject, Outcome: audit.OK,
			Detail: "version=" + strconv.Itoa(r.Version)})
	})
	if err != nil {
		return Resident{}, s.failed(ctx, tenant, "resident.change", subject, err)
	}
	s.log.InfoContext(ctx, "resident changed", "tenant", tenant, "resident", code)
	return r, nil
}

// setMyNumber stores sn, sealed for code before the transaction (the vault
// may read its keys from the pool), as code's My Number inside tx, refusing
// a number another resident holds and a resident who already has one.
func (s *Service) setMyNumber(ctx context.Context, tx *store.Tx, tenant, code string, sn vault.SealedNumber, detail string) error {
	if _, err := holderOf(ctx, tx, tenant, sn.Index); err == nil {
		return numberTaken()
	} else if !errs.Is(err, errs.NotFound) {
		return err
	}
	res, err := tx.Exec(ctx, `UPDATE residents SET mynumber_sealed = $1, mynumber_bidx = $2, mynumber_key_version = $3,
		version = version + 1, updated_at = $4
		WHERE tenant_code = $5 AND code = $6 AND mynumber_sealed IS NULL`,
		sn.Sealed, sn.Index, sn.KeyVersion, s.now(), tenant, code)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		r, err := scanResident(tx.QueryRow(ctx, selectResident+` WHERE tenant_code = $1 AND code = $2`, tenant, code))
		if err != nil {
			return store.ScanErr(err, "resident "+code)
		}
		return errHasNumber(r.NameKanji, code)
	}
	return audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: "mynumber.register", Subject: audit.Subject{Type: "resident", ID: code},
		Outcome: audit.OK, Detail: detail})
}

func staleOrMissing(ctx context.Context, tx *store.Tx, tenant, code string) error {
	var v int
	err := tx.QueryRow(ctx, `SELECT version FROM residents WHERE tenant_code = $1 AND code = $2`, tenant, code).Scan(&v)
	if err != nil {
		return store.ScanErr(err, "resident "+code)
	}
	return errs.Tell(errs.Conflict, errs.Message{
		JA: "この宛名は、画面を開いた後にほかの職員が変更しました。画面を開き直して最新の内容を確かめてから、もう一度変更してください。",
		EN: "Someone else changed this record after you opened it: open it again, check the latest details, then make your change again.",
	}, "resident %s was changed by someone else meanwhile (now version %d); reload and try again", code, v)
}

// errHasNumber says resident code (name) has a My Number already: a
// second one is never registered over it.
func errHasNumber(name, code string) error {
	return errs.Tell(errs.Conflict, errs.Message{
		JA: name + "さん（宛名番号 " + code + "）には、すでに個人番号が登録されています。個人番号は重ねて登録できません。確認待ちの入力であれば差し戻してください。",
		EN: name + " (resident " + code + ") already has a My Number registered, and a second one cannot be registered: if this entry awaits confirmation, reject it.",
	}, "resident %s already has a My Number registered", code)
}

// holderOf returns the code of the resident of tenant whose blind index is idx.
func holderOf(ctx context.Context, tx *store.Tx, tenant string, idx []byte) (string, error) {
	var code string
	err := tx.QueryRow(ctx, `SELECT code FROM residents WHERE tenant_code = $1 AND mynumber_bidx = $2`, tenant, idx).Scan(&code)
	return code, store.ScanErr(err, "holder")
}

// numberTaken says a My Number typed on a screen is already registered,
// without saying to whom: a screen must not turn a number into the person
// who holds it (that lookup is FindByMyNumber, audited as such).
func numberTaken() error {
	return &errs.FieldErrors{Kind: errs.Conflict, List: []errs.FieldError{{Field: "mynumber", Reason: errs.Message{
		JA: "この個人番号は別の宛名に登録済みです。証拠書類を確かめてください",
		EN: "is already registered to another resident; check the evidence document",
	}}}}
}

func isDuplicateNumber(err error) bool {
	for _, f := range errs.Fields(err) {
		if f.Field == "mynumber" {
			return true
		}
	}
	return false
}

// fieldNames lists the distinct wrong fields of err, never their values.
func fieldNames(err error) []string {
	var names []string
	seen := map[string]bool{}
	for _, f := range errs.Fields(err) {
		if !seen[f.Field] {
			seen[f.Field] = true
			names = append(names, f.Field)
		}
	}
	return names
}

// BlindIndexOf returns the blind index of resident code's My Number (nil
// when none is registered), for finding the events that name the number
// by its index. The digits are never read.
func (s *Service) BlindIndexOf(ctx context.Context, tenant, code string) ([]byte, error) {
	var idx []byte
	err := s.db.ReadIn(ctx, tenant, func(q store.Querier) error {
		return q.QueryRow(ctx, `SELECT mynumber_bidx FROM residents WHERE tenant_code = $1 AND code = $2`, tenant, code).Scan(&idx)
	})
	return idx, store.ScanErr(err, "resident "+code)
}
