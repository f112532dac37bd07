package alert_test

import (
	"regexp"
	"strconv"
	"testing"

	"bango/internal/alert"
	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/store"
	"bango/internal/testutil"
)

// developerWords are what staff must never read: permission keys and
// rule names (alert.review, bulk_reveal).
var developerWords = regexp.MustCompile(`[a-z]+[._-][a-z]+`)

// Issue 17: a refused acknowledgement tells the privacy manager, in their
// language, why and what to do; the kind and the English message for
// logs and the API stay.
func TestRefusalsSpeakToStaff(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		svc := alert.NewService(db)
		ctx := audit.WithActor(testutil.AllTenants(), audit.Actor{User: "pm"})
		a, err := svc.Raise(ctx, alert.Alert{Tenant: "131041", Rule: alert.RuleBulkReveal, Subject: "pm"})
		if err != nil {
			t.Fatal(err)
		}
		anywhere := alert.Filter{All: true}
		_, self := svc.Acknowledge(ctx, a.ID, "pm", "確認しました", anywhere)
		if _, err := svc.Acknowledge(ctx, a.ID, "pm2", "確認しました", anywhere); err != nil {
			t.Fatal(err)
		}
		_, again := svc.Acknowledge(ctx, a.ID, "pm3", "確認しました", anywhere)
		id := strconv.FormatInt(a.ID, 10)
		for _, c := range []struct {
			name   string
			err    error
			kind   errs.Kind
			public string
		}{
			{"about oneself", self, errs.Forbidden, "alert " + id + " is about you: another privacy manager acknowledges it"},
			{"acknowledged", again, errs.Conflict, "alert " + id + " is already acknowledged"},
		} {
			testutil.Told(t, c.name, c.err, c.kind, c.public, developerWords)
		}
	})
}
