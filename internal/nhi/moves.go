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

// Entry is an NHI eligibility entry of a resident: an acquisition or a
// loss, the day it takes effect, and who recorded it when.
type Entry struct {
	ID         int64     `json:"id"`
	Kind       string    `json:"kind"` // acquire or loss
	Date       time.Time `json:"date"`
	RecordedAt time.Time `json:"recorded_at"`
	RecordedBy string    `json:"recorded_by"`
}

// EntryFrom is the first entry of kind ("acquire" or "loss") of resident
// code dated on or after day on and not voided, read inside the caller's
// transaction or read; ok is false when there is none. The NHI work list
// of moves (internal/linkage) shows with each move the entry recorded for
// it: the loss after a move out or death, the acquisition after a return.
func EntryFrom(ctx context.Context, q store.Querier, e store.Engine, tenant, code, kind string, on time.Time) (en Entry, ok bool, err error) {
	err = q.QueryRow(ctx, `SELECT id, kind, effective_date, recorded_at, recorded_by FROM nhi_eligibility_events
		WHERE tenant_code = $1 AND resident_code = $2 AND kind = $3 AND effective_date >= $4 AND voided_at IS NULL
		ORDER BY effective_date, id LIMIT 1`, tenant, code, kind, store.DateArg(e, on)).Scan(&en.ID, &en.Kind, &en.Date, &en.RecordedAt, &en.RecordedBy)
	if err = store.ScanErr(err, "eligibility"); errs.Is(err, errs.NotFound) {
		return Entry{}, false, nil
	} else if err != nil {
		return Entry{}, false, err
	}
	en.Date, en.RecordedAt = en.Date.UTC(), en.RecordedAt.UTC()
	return en, true, nil
}
