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
	like := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(q) + "%"
	rows, err := s.db.Query(ctx, selectResident+` WHERE tenant_code = $1 AND (code = $2 OR name_kana LIKE $3 ESCAPE '\' OR name_kanji LIKE $3 ESCAPE '\')
		ORDER BY name_kana, code LIMIT $4`, tenant, q, like, maxResults+1)
	if err != nil {
		return nil, store.Translate(err)
	}
	defer rows.Close()
	var out []Resident
	for rows.Next() {
		r, err := scanResident(rows)
		if err != nil {
			return nil, store.Translate(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, store.Translate(err)
	}
	more := len(out) > maxResults
	if more {
		out = out[:maxResults]
	}
	detail := "q=" + q + " found=" + strconv.Itoa(len(out))
	if more {
		detail += "+"
	}
	if err := audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: "resident.search", Subject: audit.Subject{Type: "query"},
		Outcome: audit.OK, Detail: detail}); err != nil {
		return nil, err // no search without its record
	}
	return out, nil
}
