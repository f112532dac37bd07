package alert_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"

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
			if got := errs.KindOf(c.err); got != c.kind {
				t.Errorf("%s: kind %v, want %v (%v)", c.name, got, c.kind, c.err)
			}
			if got := errs.Public(c.err); got != c.public {
				t.Errorf("%s: public %q, want %q", c.name, got, c.public)
			}
			ja, ok := errs.Told(c.err, "ja")
			en, _ := errs.Told(c.err, "en")
			switch {
			case !ok || !strings.ContainsFunc(ja, func(r rune) bool { return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana) }):
				t.Errorf("%s: no Japanese sentence for staff: %q (%v)", c.name, ja, c.err)
			case en == "" || en == ja:
				t.Errorf("%s: no English sentence: %q", c.name, en)
			case strings.ContainsFunc(ja, func(r rune) bool { return r < unicode.MaxASCII && unicode.IsLetter(r) }) || developerWords.MatchString(en):
				t.Errorf("%s: developer words in %q / %q", c.name, ja, en)
			}
		}
	})
}
