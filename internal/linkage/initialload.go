package linkage

import (
	"context"
	"strconv"
	"time"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/resident"
	"bango/internal/store"
)

// residentInitial is the full file of a new municipality's resident
// records (layout resident-initial-load): checked whole like every
// inbound file, kept as received in linkage_resident_initial and every
// resident created in the register in the same transaction. `bango
// linkage import --layout resident-initial-load` shows its progress.
type residentInitial struct{}

var (
	reasonBornAfterAsOf = errs.Message{JA: "生年月日が基準日より後です", EN: "the date of birth is after the file's date"}
	reasonDuplicateCode = errs.Message{JA: "同じ宛名番号がファイルの前の行にもあります", EN: "an earlier line of the file has the same resident code"}
	reasonRegistered    = errs.Message{JA: "この宛名番号の住民はすでに登録されています", EN: "a resident with this code is already registered"}
)

func (residentInitial) checker(tenant string) func(r *Record, add func(string, errs.Message)) {
	var asOf time.Time
	return func(r *Record, add func(string, errs.Message)) {
		switch r.Def.Role {
		case Header:
			if r.Get("municipality").Text != tenant {
				add("municipality", reasonOtherMunicipality)
			}
			asOf = r.Get("as_of").Date
		case Data:
			if !asOf.IsZero() && r.Get("birth").Date.After(asOf) {
				add("birth", reasonBornAfterAsOf)
			}
		}
	}
}

func (residentInitial) table() string { return "linkage_resident_initial" }

func (residentInitial) columns() []string {
	return []string{"resident_code", "household_no", "name", "name_kana", "name_kana_full", "birth_date", "sex", "relation", "postal", "address"}
}

func (residentInitial) row(e store.Engine, r *Record) []any {
	kana := r.Get("name_kana").Text
	return []any{residentCode(r.Get("resident_code").Text), r.Get("household_no").Text, r.Get("name").Text, kana, resident.NormalizeKana(kana),
		dateValue(e, r.Get("birth").Date), r.Get("sex").Text, r.Get("relation").Text, r.Get("postal").Text, r.Get("address").Text}
}

// relevance: no resident is registered already, and no code is twice in
// the file.
func (residentInitial) relevance(ctx context.Context, tx *store.Tx, tenant string, job int64, add func(int, string, errs.Message)) error {
	return store.Each(func(row store.Scanner) error {
		var line int
		var dup bool
		if err := row.Scan(&line, &dup); err != nil {
			return err
		}
		if dup {
			add(line, "resident_code", reasonDuplicateCode)
		} else {
			add(line, "resident_code", reasonRegistered)
		}
		return nil
	})(tx.Query(ctx, `SELECT d.line, EXISTS (SELECT 1 FROM linkage_resident_initial x WHERE x.job_id = d.job_id
		    AND x.resident_code = d.resident_code AND x.line < d.line)
		FROM linkage_resident_initial d WHERE d.tenant_code = $1 AND d.job_id = $2 AND (
		  EXISTS (SELECT 1 FROM linkage_resident_initial x WHERE x.job_id = d.job_id AND x.resident_code = d.resident_code AND x.line < d.line)
		  OR EXISTS (SELECT 1 FROM residents r WHERE r.tenant_code = d.tenant_code AND r.code = d.resident_code))
		ORDER BY d.line`, tenant, job))
}

func (residentInitial) apply(ctx context.Context, tx *store.Tx, tenant string, job int64) error {
	now := time.Now().UTC()
	// On PostgreSQL the load queues its residents for the search index
	// itself, in lists, instead of a trigger call per row (as the
	// differences' apply does, residentsapply.go).
	var n int64
	err := resident.QueueingForSearch(ctx, tx, func() error {
		res, err := tx.Exec(ctx, `INSERT INTO residents (tenant_code, code, name_kanji, name_kana, alias, address, birth_date, sex, version, created_at, updated_at)
		SELECT tenant_code, resident_code, name, name_kana_full, '', address, birth_date, sex, 1, $3, $3
		FROM linkage_resident_initial WHERE tenant_code = $1 AND job_id = $2`, tenant, job, now)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		if tx.Engine() != store.Postgres {
			return nil
		}
		_, err = tx.Exec(ctx, `INSERT INTO resident_search_pending (tenant_code, codes)
			SELECT tenant_code, array_agg(resident_code ORDER BY line) FROM linkage_resident_initial WHERE tenant_code = $1 AND job_id = $2
			GROUP BY tenant_code, line / $3 ORDER BY line / $3`, tenant, job, searchQueueCodes)
		return err
	})
	if err != nil {
		return err
	}
	return audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: "linkage.residents.apply", Subject: jobSubject(job), Outcome: audit.OK,
		Detail: "initial_load created=" + strconv.FormatInt(n, 10)})
}
