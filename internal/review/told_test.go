package review_test

import (
	"strconv"
	"strings"
	"testing"

	"bango/internal/errs"
	"bango/internal/review"
	"bango/internal/store"
	"bango/internal/testutil"
)

// Issue 17: a refused confirmation tells the checker, in their language,
// why and what to do — the right lacking by its name, never its key —
// while the kind and the English message for logs and the API stay.
func TestRefusalsSpeakToStaff(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		good := number("12345678901")
		c := f.submit(t, "maker-checker", good)
		_, own := f.review.Confirm(testutil.As("maker-checker"), f.User(t, "maker-checker"), "131041", c.ID, f.reentry(t, good))
		_, elsewhere := f.review.Confirm(testutil.As("sapporo"), f.User(t, "sapporo"), "131041", c.ID, f.reentry(t, good))
		p, err := f.residents.ProposeMyNumber(testutil.As("maker"), "131041", "100001", mustParse(t, number("12345678911")))
		if err != nil {
			t.Fatal(err)
		}
		_, twice := f.review.Submit(testutil.As("maker"), f.User(t, "maker"), "131041", p)
		if _, err := f.review.Confirm(testutil.As("checker"), f.User(t, "checker"), "131041", c.ID, f.reentry(t, good)); err != nil {
			t.Fatal(err)
		}
		_, again := f.review.Reject(testutil.As("checker"), f.User(t, "checker"), "131041", c.ID, "重複")
		for _, tc := range []struct {
			name   string
			err    error
			kind   errs.Kind
			public string
		}{
			{"own entry", own, errs.Forbidden, "you cannot confirm or reject your own entry"},
			{"no review.confirm", elsewhere, errs.Forbidden, `sapporo does not hold review.confirm for "131041"`},
			{"waiting already", twice, errs.Conflict, "a change of this kind for resident 100001 already awaits confirmation"},
			{"decided", again, errs.Conflict, "change " + strconv.FormatInt(c.ID, 10) + " is " + review.Confirmed + ", not pending"},
		} {
			testutil.Told(t, tc.name, tc.err, tc.kind, tc.public, testutil.DeveloperWords)
		}
		if ja, _ := errs.Told(elsewhere, "ja"); !strings.Contains(ja, "入力内容の確認・差戻し") {
			t.Errorf("the lacking right is not named: %q", ja)
		}
	})
}
