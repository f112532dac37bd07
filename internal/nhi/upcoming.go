package nhi

import (
	"context"

	"bango/internal/store"
)

// CountBirthday75Within counts tenant's insured persons whose loss at the
// 75th birthday (後期高齢者医療への移行) is scheduled from today to days
// ahead, so that the clerk sees the 資格確認書 to collect and the notices
// to send coming; a loss made needless by another is no longer scheduled.
func (s *Service) CountBirthday75Within(ctx context.Context, tenant string, days int) (int, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	e, today := s.db.Engine(), s.today()
	var n int
	err := s.db.ReadRow(ctx, `SELECT count(*) FROM nhi_scheduled_losses WHERE status = 'scheduled' AND due_date >= $1 AND due_date <= $2 AND tenant_code = $3`,
		dateArg(e, today), dateArg(e, today.AddDate(0, 0, days)), tenant).Scan(&n)
	return n, store.Translate(err)
}
