package audit

import (
	"context"
	"log/slog"
	"strings"

	"bango/internal/errs"
	"bango/internal/store"
)

// RecordFailure records a refused or failed step as an event of its own —
// e's outcome and detail filled from err — and returns err, so that a
// service ends a refused step with `return audit.RecordFailure(…)`. The
// detail names the error's kind and the wrong fields, never their values.
// A refusal for want of a right, a session or scope (not found in the
// municipality) is Denied, anything else Failed. The event is written even
// when ctx has ended (the step's caller may have gone); if it cannot be
// written, that is logged and err still returned.
func RecordFailure(ctx context.Context, db *store.DB, log *slog.Logger, e Event, err error) error {
	e.Outcome = Failed
	if errs.Is(err, errs.Forbidden) || errs.Is(err, errs.NotFound) || errs.Is(err, errs.Unauthenticated) || errs.Is(err, errs.Locked) {
		e.Outcome = Denied
	}
	e.Detail = strings.TrimSpace(e.Detail + " " + FailureDetail(err))
	if aerr := RecordAlone(context.WithoutCancel(ctx), db, e); aerr != nil {
		log.ErrorContext(ctx, "audit event for a refused step not written", "action", e.Action, "err", aerr)
	}
	return err
}

// FailureDetail is what an event says of err: its kind, and the names of
// the wrong fields once each ("error=invalid fields=birth_date,sex").
func FailureDetail(err error) string {
	detail := "error=" + strings.ReplaceAll(errs.KindOf(err).String(), " ", "_")
	var names []string
	seen := map[string]bool{}
	for _, f := range errs.Fields(err) {
		if !seen[f.Field] {
			seen[f.Field] = true
			names = append(names, f.Field)
		}
	}
	if len(names) > 0 {
		detail += " fields=" + strings.Join(names, ",")
	}
	return detail
}
