package linkage

import (
	"context"
	"strings"
	"time"

	"bango/internal/errs"
	"bango/internal/resident"
	"bango/internal/store"
)

// inbound is what an inbound layout's files become in the database: the
// checks only the municipality and its data can make, and the rows its
// data records are written as.
type inbound interface {
	// checker returns the check of one file's good records (header, data
	// and trailer, in order) against what the layout alone cannot say:
	// that the file is tenant's, dates in order.
	checker(tenant string) func(r *Record, add func(field string, why errs.Message))
	table() string
	// columns are the table's columns after tenant_code, job_id and line,
	// which row fills for a data record.
	columns() []string
	row(e store.Engine, r *Record) []any
	// relevance runs in the applying transaction once the rows are written
	// and names every record that does not fit what bango knows.
	relevance(ctx context.Context, tx *store.Tx, tenant string, job int64, add func(line int, field string, why errs.Message)) error
}

// residentDifferences is the resident-records system's daily differences
// (住民記録 異動分), kept as received in linkage_resident_differences.
type residentDifferences struct{}

var (
	reasonOtherMunicipality = errs.Message{JA: "この市区町村のファイルではありません", EN: "is not this municipality's"}
	reasonPeriod            = errs.Message{JA: "異動期間の開始が終了より後です", EN: "the period starts after it ends"}
	reasonOutsidePeriod     = errs.Message{JA: "異動年月日がヘッダーの異動期間の外です", EN: "is outside the header's period of changes"}
	reasonBornAfter         = errs.Message{JA: "生年月日が異動年月日より後です", EN: "the date of birth is after the date of the change"}
	reasonUnknownResident   = errs.Message{JA: "この宛名番号の住民はこの市区町村に登録されていません", EN: "no resident of this municipality has this resident code"}
	reasonKnownResident     = errs.Message{JA: "新規の異動ですが、この宛名番号の住民はすでに登録されています", EN: "a new resident, but a resident with this code is already registered"}
	reasonDeceasedResident  = errs.Message{JA: "この宛名番号の住民は死亡により消除されています", EN: "the resident with this code is recorded as deceased"}
	reasonReturnNotAfter    = errs.Message{JA: "再転入の異動年月日が転出の日より後ではありません", EN: "the return is not dated after the move out"}
)

func (residentDifferences) checker(tenant string) func(r *Record, add func(string, errs.Message)) {
	var from, to time.Time
	return func(r *Record, add func(string, errs.Message)) {
		switch r.Def.Role {
		case Header:
			if r.Get("municipality").Text != tenant {
				add("municipality", reasonOtherMunicipality)
			}
			from, to = r.Get("period_from").Date, r.Get("period_to").Date
			if from.After(to) {
				add("period_to", reasonPeriod)
			}
		case Data:
			eff := r.Get("effective").Date
			if !from.IsZero() && (eff.Before(from) || eff.After(to)) {
				add("effective", reasonOutsidePeriod)
			}
			if r.Get("birth").Date.After(eff) {
				add("birth", reasonBornAfter)
			}
		}
	}
}

func (residentDifferences) table() string { return "linkage_resident_differences" }

func (residentDifferences) columns() []string {
	return []string{"change", "resident_code", "household_no", "name", "name_kana", "birth_date", "sex", "relation", "postal", "address", "effective",
		"name_kana_full"}
}

// residentCode is a file's zero-padded 宛名番号 as bango keeps it.
func residentCode(s string) string {
	if t := strings.TrimLeft(s, "0"); t != "" {
		return t
	}
	return "0"
}

func dateValue(e store.Engine, t time.Time) any {
	if e == store.SQLite {
		return t.Format(time.DateOnly)
	}
	return t
}

func (residentDifferences) row(e store.Engine, r *Record) []any {
	v := r.Values
	d := r.Def
	get := func(name string) Value { return v[d.Field(name)] }
	return []any{get("change").Text, residentCode(get("resident_code").Text), get("household_no").Text, get("name").Text,
		get("name_kana").Text, dateValue(e, get("birth").Date), get("sex").Text, get("relation").Text, get("postal").Text,
		get("address").Text, dateValue(e, get("effective").Date), resident.NormalizeKana(get("name_kana").Text)}
}

// relevance: a change, move or death names a resident bango knows — a
// resident of the municipality, or one a file brought in as new before
// this record — and a new resident is not one already registered, unless
// it is a return: a resident who moved out (a departure of kind
// moved_out) before the new record's date comes back (applied as a
// return, residentsapply.go). One who died cannot come back.
func (residentDifferences) relevance(ctx context.Context, tx *store.Tx, tenant string, job int64, add func(int, string, errs.Message)) error {
	reasons := []errs.Message{reasonUnknownResident, reasonKnownResident, reasonDeceasedResident, reasonReturnNotAfter}
	return store.Each(func(row store.Scanner) error {
		var line, why int
		if err := row.Scan(&line, &why); err != nil {
			return err
		}
		field := "resident_code"
		if why == 3 {
			field = "effective"
		}
		add(line, field, reasons[why])
		return nil
	})(tx.Query(ctx, `SELECT d.line, CASE WHEN d.change NOT IN ('11', '12', '13') THEN 0 WHEN p.kind IS NULL THEN 1 WHEN p.kind = 'deceased' THEN 2 ELSE 3 END
		FROM linkage_resident_differences d
		LEFT JOIN resident_departures p ON p.tenant_code = d.tenant_code AND p.resident_code = d.resident_code
		WHERE d.tenant_code = $1 AND d.job_id = $2 AND (
		  (d.change NOT IN ('11', '12', '13')
		   AND NOT EXISTS (SELECT 1 FROM residents r WHERE r.tenant_code = d.tenant_code AND r.code = d.resident_code)
		   AND NOT EXISTS (SELECT 1 FROM linkage_resident_differences n WHERE n.tenant_code = d.tenant_code AND n.resident_code = d.resident_code
		     AND n.change IN ('11', '12', '13') AND (n.job_id <> d.job_id OR n.line < d.line)))
		  OR (d.change IN ('11', '12', '13')
		   AND EXISTS (SELECT 1 FROM residents r WHERE r.tenant_code = d.tenant_code AND r.code = d.resident_code)
		   AND (p.kind IS NULL OR p.kind = 'deceased' OR p.effective >= d.effective)))
		ORDER BY d.line`, tenant, job))
}
