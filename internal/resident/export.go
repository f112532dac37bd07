package resident

import (
	"context"
	"encoding/csv"
	"io"
	"strconv"
	"strings"

	"bango/internal/csvsafe"
	"bango/internal/store"
)

// ExportCSV writes the residents of tenant as CSV (UTF-8 with a BOM, so
// that spreadsheet software reads the Japanese correctly) for an approved
// export (R-AC-5). Every row begins with the export's request ID; the My
// Number column is there only when the approved request included it.
func (s *Service) ExportCSV(ctx context.Context, tenant string, requestID int64, includeMyNumber bool, w io.Writer) (int, error) {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return 0, err
	}
	cw := csv.NewWriter(w)
	header := []string{"request_id", "code", "name_kanji", "name_kana", "alias", "address", "birth_date", "sex"}
	if includeMyNumber {
		header = append(header, "mynumber")
	}
	if err := cw.Write(header); err != nil {
		return 0, err
	}
	id := strconv.FormatInt(requestID, 10)
	n := 0
	err := s.db.ReadIn(ctx, tenant, func(q store.Querier) error {
		var err error
		n, err = s.writeRows(ctx, q, tenant, id, includeMyNumber, cw)
		return err
	})
	cw.Flush()
	if err == nil {
		err = cw.Error()
	}
	return n, store.Translate(err)
}

// writeRows writes each resident as it is read: a municipality's whole
// register is never held at once.
func (s *Service) writeRows(ctx context.Context, q store.Querier, tenant, id string, includeMyNumber bool, cw *csv.Writer) (int, error) {
	n := 0
	err := store.Each(func(row store.Scanner) error {
		var r Resident
		var sealed []byte
		if err := row.Scan(&r.Code, &r.NameKanji, &r.NameKana, &r.Alias, &r.Address, &r.BirthDate, &r.Sex, &sealed); err != nil {
			return err
		}
		rec := []string{id, r.Code, r.NameKanji, r.NameKana, r.Alias, r.Address, r.BirthDate.UTC().Format("2006-01-02"), r.Sex}
		if includeMyNumber {
			number := ""
			if sealed != nil {
				var err error
				if number, err = s.vault.RevealNumber(ctx, binding(tenant, r.Code), sealed); err != nil {
					return err
				}
				number = strings.ReplaceAll(number, " ", "") // 12 digits for the receiving system
			}
			rec = append(rec, number)
		}
		for i, v := range rec {
			rec[i] = csvsafe.Cell(v)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
		n++
		return nil
	})(q.Query(ctx, `SELECT code, name_kanji, name_kana, alias, address, birth_date, sex, mynumber_sealed FROM residents
		WHERE tenant_code = $1 ORDER BY code`, tenant))
	return n, err
}
