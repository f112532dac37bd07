package resident

import (
	"context"
	"crypto/subtle"

	"bango/internal/audit"
	"bango/internal/mynumber"
	"bango/internal/store"
)

// The two calls a business module needs to take a My Number typed on its
// own application (R-PUB-2) and to give it up when no business needs it
// any more (R-STO-2); registering it goes through ProposeMyNumber and
// ApplyMyNumber like any other entry.

// MyNumberOnFile says whether resident code has a My Number, and if so
// whether it is n, compared by blind index: neither the number on file
// nor its index leaves the package. A resident of another municipality
// is not found.
func (s *Service) MyNumberOnFile(ctx context.Context, tenant, code string, n mynumber.Number) (has, same bool, err error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	idx, err := s.vault.NumberIndex(ctx, tenant, n)
	if err != nil {
		return false, false, err
	}
	var onFile []byte
	err = s.db.Read(ctx, func(q store.Querier) error {
		return q.QueryRow(ctx, `SELECT mynumber_bidx FROM residents WHERE tenant_code = $1 AND code = $2`, tenant, code).Scan(&onFile)
	})
	if err != nil {
		return false, false, store.ScanErr(err, "resident "+code)
	}
	if onFile == nil {
		return false, false, nil
	}
	return true, subtle.ConstantTimeCompare(onFile, idx) == 1, nil
}

// ForgetMyNumber deletes resident code's sealed My Number and its blind
// index inside tx, the caller having found that no business holds it any
// more (internal/mnhold), and records the deletion as an audit event with
// why. It reports whether there was a number to delete.
func (s *Service) ForgetMyNumber(ctx context.Context, tx *store.Tx, tenant, code, why string) (bool, error) {
	res, err := tx.Exec(ctx, `UPDATE residents SET mynumber_sealed = NULL, mynumber_bidx = NULL, mynumber_key_version = NULL,
		version = version + 1, updated_at = $1 WHERE tenant_code = $2 AND code = $3 AND mynumber_sealed IS NOT NULL`, s.now(), tenant, code)
	if err != nil {
		return false, store.Translate(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	return true, audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: "mynumber.delete", Subject: audit.Subject{Type: "resident", ID: code},
		Outcome: audit.OK, Detail: why})
}
