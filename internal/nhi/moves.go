package nhi

import (
	"context"
	"time"

	"bango/internal/errs"
	"bango/internal/store"
)

// InsuredOn reports whether resident code of tenant is insured by the
// municipality's NHI on day on (the latest eligibility event on or before
// it is an acquisition), reading inside the caller's transaction or read:
// the resident-records differences (internal/linkage) ask it to put the
// insured who moved out or died on the NHI section's work list.
func InsuredOn(ctx context.Context, q store.Querier, e store.Engine, tenant, code string, on time.Time) (bool, error) {
	var kind string
	err := q.QueryRow(ctx, `SELECT kind FROM nhi_eligibility_events WHERE tenant_code = $1 AND resident_code = $2 AND effective_date <= $3
		AND voided_at IS NULL ORDER BY effective_date DESC, id DESC LIMIT 1`, tenant, code, store.DateArg(e, on)).Scan(&kind)
	if err = store.ScanErr(err, "eligibility"); errs.Is(err, errs.NotFound) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return kind == "acquire", nil
}
