package audit_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/store"
	"bango/internal/testutil"
)

// R-AUD-1: a refused step is an event of its own: Denied when a right or
// the scope refused it, Failed otherwise, naming the wrong fields and the
// kind but never a value; the caller gets its error back.
func TestRecordFailure(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		ctx, cancel := context.WithCancel(audit.WithActor(context.Background(), audit.Actor{User: "clerk.shinjuku"}))
		cancel() // the caller has gone: the event is still written
		var fe errs.FieldErrors
		fe.Add("birth_date", errs.Message{JA: "日付ではありません", EN: "is not a date"})
		fe.Add("birth_date", errs.Message{JA: "未来の日付です", EN: "is in the future"})
		fe.Add("sex", errs.Message{JA: "1か2です", EN: "is 1 or 2"})
		invalid := errs.Wrap(errs.Invalid, fe.Err(), "secret-value-1234")
		forbidden := errs.E(errs.Forbidden, "no right")
		log := slog.New(slog.DiscardHandler)
		for _, err := range []error{invalid, forbidden} {
			if got := audit.RecordFailure(ctx, db, log, audit.Event{Tenant: "131041", Action: "test.step", Subject: audit.Subject{Type: "resident", ID: "1"}}, err); !errors.Is(got, err) {
				t.Fatalf("RecordFailure returned %v, want %v", got, err)
			}
		}
		events := testutil.Events(t, db, "test.step")
		if len(events) != 2 {
			t.Fatalf("%d events, want 2", len(events))
		}
		byOutcome := map[string]string{}
		for _, e := range events {
			byOutcome[e.Outcome] = e.Detail
		}
		if d := byOutcome[audit.Failed]; d != "error=invalid fields=birth_date,sex" {
			t.Errorf("failed step's detail = %q", d)
		}
		if d, ok := byOutcome[audit.Denied]; !ok || d != "error=forbidden" {
			t.Errorf("refused step's detail = %q (recorded %v)", d, ok)
		}
	})
}
