package export

import (
	"context"

	"bango/internal/store"
)

// CountReady counts the requester's approved files in tenant waiting to
// be downloaded before they expire (the home page's "ready for you"),
// however many.
func (s *Service) CountReady(ctx context.Context, tenant string, requester int64) (int, error) {
	var n int
	err := s.db.ReadIn(ctx, tenant, func(q store.Querier) error {
		return q.QueryRow(ctx, `SELECT count(*) FROM export_requests WHERE tenant_code = $1 AND requester_id = $2 AND status = 'approved' AND expires_at > $3`,
			tenant, requester, s.now()).Scan(&n)
	})
	return n, store.Translate(err)
}
