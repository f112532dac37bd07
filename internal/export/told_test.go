package export_test

import (
	"io"
	"strings"
	"testing"

	"bango/internal/errs"
	"bango/internal/export"
	"bango/internal/store"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
)

// Issue 17: a refused export request, decision or download tells staff,
// in their language, why and what to do — the right lacking by its name —
// while the kind and the English message for logs and the API stay.
func TestRefusalsSpeakToStaff(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.Staff(t, testkit.Staff{Login: "privacy-head", Tenant: "131041", Patterns: []string{"section-head", "privacy-manager"}})
		_, lacking := f.exports.Ask(testutil.As("clerk"), f.User(t, "clerk"), "131041", "residents", "csv", "照合", false)
		// R-AC-4: a reason or a note that writes out a My Number is refused.
		if _, err := f.exports.Ask(testutil.As("privacy-head"), f.User(t, "privacy-head"), "131041", "residents", "csv", "１２３４５６７８９０１８の世帯", false); !onlyField(err, "reason") {
			t.Fatalf("a reason holding a My Number: %v", err)
		}
		r, err := f.exports.Ask(testutil.As("privacy-head"), f.User(t, "privacy-head"), "131041", "residents", "csv", "世帯確認", false)
		if err != nil {
			t.Fatal(err)
		}
		_, early := f.exports.Download(testutil.As("privacy-head"), f.User(t, "privacy-head"), "131041", r.ID, false, io.Discard)
		_, own := f.exports.Approve(testutil.As("privacy-head"), f.User(t, "privacy-head"), "131041", r.ID, "")
		if _, err := f.exports.Approve(testutil.As("privacy"), f.User(t, "privacy"), "131041", r.ID, ""); err != nil {
			t.Fatal(err)
		}
		_, decided := f.exports.Reject(testutil.As("privacy"), f.User(t, "privacy"), "131041", r.ID, "重複")
		_, others := f.exports.Download(testutil.As("privacy"), f.User(t, "privacy"), "131041", r.ID, false, io.Discard)
		f.now = f.now.Add(export.ValidFor)
		_, late := f.exports.Download(testutil.As("privacy-head"), f.User(t, "privacy-head"), "131041", r.ID, false, io.Discard)
		id := itoa(r.ID)
		for _, c := range []struct {
			name   string
			err    error
			kind   errs.Kind
			public string
		}{
			{"no export.request", lacking, errs.Forbidden, "clerk does not hold export.request for 131041"},
			{"before approval", early, errs.Forbidden, "export " + id + " is pending: it can be downloaded once, after approval"},
			{"own request", own, errs.Forbidden, "you cannot decide your own export request"},
			{"decided", decided, errs.Conflict, "export request " + id + " is approved, not pending"},
			{"someone else's file", others, errs.Forbidden, "only the requester may download export " + id},
			{"expired", late, errs.Forbidden, "export " + id + " expired at 2026-11-24T09:00:00Z: ask again"},
		} {
			testutil.Told(t, c.name, c.err, c.kind, c.public, testutil.DeveloperWords)
		}
		if ja, _ := errs.Told(lacking, "ja"); !strings.Contains(ja, "データ抽出・複製の申請") {
			t.Errorf("the lacking right is not named: %q", ja)
		}
		// The end of the download period is told in Japan's time.
		if ja, _ := errs.Told(late, "ja"); !strings.Contains(ja, "2026年11月24日 18時00分") {
			t.Errorf("the end of the period is not in JST: %q", ja)
		}
	})
}

func onlyField(err error, field string) bool {
	fs := errs.Fields(err)
	return len(fs) == 1 && fs[0].Field == field
}
