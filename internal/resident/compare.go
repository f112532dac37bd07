package resident

import (
	"context"
	"strconv"
	"strings"

	"bango/internal/audit"
	"bango/internal/store"
)

// Shown returns the residents of tenant with the given codes for a list
// that shows them — a checker comparing entries with their paper, a home
// page's records opened lately — name, kana, birth date and address, never
// the number. Codes not in tenant are left out. Each resident shown is a
// read, recorded in one transaction with why (for=why) in its detail.
func (s *Service) Shown(ctx context.Context, tenant string, codes []string, why string) (map[string]Resident, error) {
	found := map[string]Resident{}
	if len(codes) == 0 {
		return found, nil
	}
	args := []any{tenant}
	marks := make([]string, len(codes))
	for i, c := range codes {
		args = append(args, c)
		marks[i] = "$" + strconv.Itoa(i+2)
	}
	err := s.db.TransactIn(ctx, tenant, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, selectResident+` WHERE tenant_code = $1 AND code IN (`+strings.Join(marks, ", ")+`)`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanResident(rows)
			if err != nil {
				return err
			}
			found[r.Code] = r
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for code := range found {
			if err := audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: "resident.read",
				Subject: audit.Subject{Type: "resident", ID: code}, Outcome: audit.OK, Detail: "for=" + why}); err != nil {
				return err
			}
		}
		return nil
	})
	return found, store.Translate(err)
}
