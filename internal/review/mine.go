package review

import (
	"context"

	"bango/internal/store"
)

// CountMine counts the maker's own entries in tenant still waiting for a
// checker: the clerk's "my entries awaiting a check" on the home page.
func (s *Service) CountMine(ctx context.Context, tenant string, makerID int64) (int, error) {
	ctx = scope(ctx, tenant) // the second wall (R-AC-6)
	var n int
	err := s.db.Read(ctx, func(db store.Querier) error {
		return db.QueryRow(ctx, `SELECT count(*) FROM review_changes WHERE tenant_code = $1 AND status = 'pending' AND maker_id = $2`,
			tenant, makerID).Scan(&n)
	})
	return n, store.Translate(err)
}
