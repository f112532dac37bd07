package resident

import (
	"bango/internal/store"
	"context"
	"strings"

	"golang.org/x/text/unicode/norm"

	"bango/internal/audit"
)

// Presented are the basic four items as they appear on the document the
// applicant shows (R-ACC-3).
type Presented struct {
	Name      string // kanji name, or the alias if the record has one
	Address   string
	BirthDate string // YYYY-MM-DD
	Sex       string
}

// CheckAuthenticity compares presented items with the record of resident
// code and returns the names of the items that differ ("name", "address",
// "birth_date", "sex"); none means the items match. Comparison ignores the
// differences that are only typing (full- or half-width, spaces, hyphen
// forms), never content.
func (s *Service) CheckAuthenticity(ctx context.Context, tenant, code string, p Presented) ([]string, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	r, err := s.get(ctx, tenant, code)
	if err != nil {
		return nil, s.failed(ctx, tenant, "resident.authenticity_check", audit.Subject{Type: "resident", ID: code}, err)
	}
	var differ []string
	name := fold(p.Name)
	if name != fold(r.NameKanji) && (r.Alias == "" || name != fold(r.Alias)) {
		differ = append(differ, "name")
	}
	if fold(p.Address) != fold(r.Address) {
		differ = append(differ, "address")
	}
	if d, err := parseDate(strings.TrimSpace(p.BirthDate)); err != nil || !d.Equal(r.BirthDate) {
		differ = append(differ, "birth_date")
	}
	if strings.TrimSpace(p.Sex) != r.Sex {
		differ = append(differ, "sex")
	}
	// The result is recorded: it is the basis of accepting a number (R-ACC-3).
	detail := "match=true"
	if len(differ) > 0 {
		detail = "match=false differ=" + strings.Join(differ, ",")
	}
	if err := audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: "resident.authenticity_check",
		Subject: audit.Subject{Type: "resident", ID: code}, Outcome: audit.OK, Detail: detail}); err != nil {
		return nil, err
	}
	return differ, nil
}

// fold removes differences of form only: NFKC (widths), white space, and the
// many dashes used in addresses.
func fold(s string) string {
	s = norm.NFKC.String(s)
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '　':
			return -1
		case '‐', '－', '―', '−', 'ー', '–', '—':
			return '-'
		}
		return r
	}, s)
}
