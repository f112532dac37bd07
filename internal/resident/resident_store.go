package resident

import (
	"context"
	"time"

	"bango/internal/store"
)

const selectResident = `SELECT tenant_code, code, name_kanji, name_kana, alias, address, birth_date, sex,
	mynumber_bidx IS NOT NULL, version, created_at, updated_at FROM residents`

func scanResident(row interface{ Scan(...any) error }) (Resident, error) {
	var r Resident
	err := row.Scan(&r.Tenant, &r.Code, &r.NameKanji, &r.NameKana, &r.Alias, &r.Address, &r.BirthDate, &r.Sex,
		&r.HasMyNumber, &r.Version, &r.CreatedAt, &r.UpdatedAt)
	r.BirthDate = r.BirthDate.UTC()
	return r, err
}

// dateArg passes a date the way each engine stores it: a DATE on
// PostgreSQL, 'YYYY-MM-DD' text on SQLite (which the driver reads back as
// a time because the column is declared DATE).
func dateArg(e store.Engine, t time.Time) any {
	if e == store.SQLite {
		return t.Format("2006-01-02")
	}
	return t
}

// row is a validated resident with its number sealed, ready to insert.
type row struct {
	tenant     string
	v          valid
	sealed     []byte
	bidx       []byte
	keyVersion any // int, or nil when there is no number
	now        time.Time
}

func (s *Service) prepare(ctx context.Context, tenant string, v valid, now time.Time) (row, error) {
	r := row{tenant: tenant, v: v, now: now}
	if !v.number.IsZero() {
		sn, err := s.vault.SealNumber(ctx, binding(tenant, v.code), v.number)
		if err != nil {
			return row{}, err
		}
		r.sealed, r.bidx, r.keyVersion = sn.Sealed, sn.Index, sn.KeyVersion
	}
	return r, nil
}

var insertColumns = []string{"tenant_code", "code", "name_kanji", "name_kana", "alias", "address", "birth_date", "sex",
	"mynumber_sealed", "mynumber_bidx", "mynumber_key_version", "version", "created_at", "updated_at"}

// stagedColumns are insertColumns less those every row of an import
// shares (copyResidents).
var stagedColumns = []string{"code", "name_kanji", "name_kana", "alias", "address", "birth_date", "sex",
	"mynumber_sealed", "mynumber_bidx", "mynumber_key_version"}

func (r row) stagedValues() []any {
	return []any{r.v.code, r.v.nameKanji, r.v.nameKana, r.v.alias, r.v.address, r.v.birthDate, r.v.sex,
		r.sealed, r.bidx, r.keyVersion}
}

func (r row) values(e store.Engine) []any {
	return []any{r.tenant, r.v.code, r.v.nameKanji, r.v.nameKana, r.v.alias, r.v.address, dateArg(e, r.v.birthDate), r.v.sex,
		r.sealed, r.bidx, r.keyVersion, 1, r.now, r.now}
}

func insert(ctx context.Context, tx *store.Tx, r row) error {
	_, err := tx.Exec(ctx, `INSERT INTO residents (tenant_code, code, name_kanji, name_kana, alias, address, birth_date, sex,
		mynumber_sealed, mynumber_bidx, mynumber_key_version, version, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`, r.values(tx.Engine())...)
	return err
}

func (r row) resident() Resident {
	return Resident{
		Tenant: r.tenant, Code: r.v.code, NameKanji: r.v.nameKanji, NameKana: r.v.nameKana, Alias: r.v.alias,
		Address: r.v.address, BirthDate: r.v.birthDate, Sex: r.v.sex, HasMyNumber: r.bidx != nil,
		Version: 1, CreatedAt: r.now, UpdatedAt: r.now,
	}
}
