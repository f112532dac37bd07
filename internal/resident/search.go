package resident

import (
	"context"
	"strconv"
	"strings"
	"unicode/utf8"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/store"
)

// maxResults bounds one search: a screen, not an export.
const maxResults = 50

// Search finds residents of tenant by their code (exact) or the start of
// their name in kana or kanji. The search, with what was asked and how
// many were found, is an event; the residents listed are not read events
// one by one, their records are opened one at a time with Get.
func (s *Service) Search(ctx context.Context, tenant, q string) ([]Resident, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	q = strings.TrimSpace(q)
	if q == "" || utf8.RuneCountInString(q) > 40 {
		var fe errs.FieldErrors
		fe.Add("q", errs.Message{JA: "宛名番号または氏名の先頭（40文字以内）を入力してください", EN: "give a resident code or the start of a name (at most 40 characters)"})
		return nil, fe.Err()
	}
	escape := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	// The register keeps readings in full-width katakana and names with
	// full-width spaces: the query is read the same way.
	kana, name := escape.Replace(normalizeKana(q))+"%", escape.Replace(normalizeName(q))+"%"
	var out []Resident
	err := s.db.Read(ctx, func(db store.Querier) error {
		rows, err := db.Query(ctx, selectResident+` WHERE tenant_code = $1 AND (code = $2 OR name_kana LIKE $3 ESCAPE '\' OR name_kanji LIKE $4 ESCAPE '\')
			ORDER BY name_kana, code LIMIT $5`, tenant, q, kana, name, maxResults+1)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanResident(rows)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, store.Translate(err)
	}
	more := len(out) > maxResults
	if more {
		out = out[:maxResults]
	}
	shown := q
	if digits(q) >= 8 {
		// Perhaps a My Number pasted into the wrong box: the audit log
		// keeps no number.
		shown = "[digits withheld]"
	}
	detail := "q=" + shown + " found=" + strconv.Itoa(len(out))
	if more {
		detail += "+"
	}
	if err := audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: "resident.search", Subject: audit.Subject{Type: "query"},
		Outcome: audit.OK, Detail: detail}); err != nil {
		return nil, err // no search without its record
	}
	return out, nil
}

// digits counts the ASCII and full-width digits in s.
func digits(s string) int {
	n := 0
	for _, r := range s {
		if r >= '0' && r <= '9' || r >= '０' && r <= '９' {
			n++
		}
	}
	return n
}
