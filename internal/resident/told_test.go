package resident_test

import (
	"regexp"
	"strings"
	"testing"
	"unicode"

	"bango/internal/errs"
	"bango/internal/mynumber"
	"bango/internal/resident"
	"bango/internal/store"
	"bango/internal/testutil"
)

// developerWords are what staff must never read: permission keys
// (mynumber.reveal) and login IDs.
var developerWords = regexp.MustCompile(`[a-z]+[.-][a-z]+`)

// checkTold fails unless err keeps its kind and its English message (for
// logs and the API) and tells staff a sentence in Japanese and one in
// English, neither with a permission key or a login ID.
func checkTold(t *testing.T, name string, err error, kind errs.Kind, public string) {
	t.Helper()
	if got := errs.KindOf(err); got != kind {
		t.Errorf("%s: kind %v, want %v (%v)", name, got, kind, err)
	}
	if got := errs.Public(err); got != public {
		t.Errorf("%s: public %q, want %q", name, got, public)
	}
	ja, ok := errs.Told(err, "ja")
	en, _ := errs.Told(err, "en")
	switch {
	case !ok:
		t.Errorf("%s: tells staff nothing of its own: %v", name, err)
	case !strings.ContainsFunc(ja, func(r rune) bool { return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana) }):
		t.Errorf("%s: the Japanese sentence is not Japanese: %q", name, ja)
	case en == "" || en == ja:
		t.Errorf("%s: no English sentence: %q", name, en)
	case strings.ContainsFunc(ja, func(r rune) bool { return r < unicode.MaxASCII && unicode.IsLetter(r) }) || developerWords.MatchString(en):
		t.Errorf("%s: developer words in %q / %q", name, ja, en)
	}
}

// Issue 17: a refused change or reveal tells staff, in their language,
// what happened and what to do, naming the resident by name; the kind,
// the English message for logs and the API, and the reveal errors the
// web layer compares with == stay.
func TestRefusalsSpeakToStaff(t *testing.T) {
	ctx := clerkCtx()
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		if _, err := f.svc.Create(ctx, shinjuku, taro("0000000001", number1)); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Create(ctx, shinjuku, taro("0000000002", "")); err != nil {
			t.Fatal(err)
		}
		n2, err := mynumber.Parse(number2)
		if err != nil {
			t.Fatal(err)
		}
		_, has := f.svc.ProposeMyNumber(ctx, shinjuku, "0000000001", n2)
		in := taro("0000000001", "")
		if _, err := f.svc.Update(ctx, shinjuku, "0000000001", 1, in); err != nil {
			t.Fatal(err)
		}
		_, stale := f.svc.Update(ctx, shinjuku, "0000000001", 1, in)
		purpose := resident.DefaultRevealPurposes[0]
		_, noStepUp := f.svc.Reveal(ctx, shinjuku, resident.RevealRequest{Code: "0000000001", Purpose: purpose, FromForm: true, Once: "a"})
		_, incomplete := f.svc.Reveal(ctx, shinjuku, resident.RevealRequest{Code: "0000000001", Purpose: purpose, FromForm: true, StepUp: true})
		if _, err := f.svc.Reveal(ctx, shinjuku, resident.RevealRequest{Code: "0000000001", Purpose: purpose, FromForm: true, Once: "b", StepUp: true}); err != nil {
			t.Fatal(err)
		}
		_, used := f.svc.Reveal(ctx, shinjuku, resident.RevealRequest{Code: "0000000001", Purpose: purpose, FromForm: true, Once: "b", StepUp: true})
		_, none := f.svc.Reveal(ctx, shinjuku, resident.RevealRequest{Code: "0000000002", Purpose: purpose, StepUp: true})
		for _, c := range []struct {
			name   string
			err    error
			kind   errs.Kind
			public string
		}{
			{"has a number", has, errs.Conflict, "resident 0000000001 already has a My Number registered"},
			{"changed meanwhile", stale, errs.Conflict, "resident 0000000001 was changed by someone else meanwhile (now version 2); reload and try again"},
			{"no step-up", noStepUp, errs.Forbidden, "a second factor within the last minutes is needed to reveal a My Number: lock the screen and unlock it again"},
			{"incomplete form", incomplete, errs.Invalid, "the reveal form is incomplete: open the record again"},
			{"form used", used, errs.Conflict, "this reveal form was already used: open the record and reveal again if needed"},
			{"no number", none, errs.NotFound, "resident 0000000002 has no My Number registered"},
		} {
			checkTold(t, c.name, c.err, c.kind, c.public)
		}
		if noStepUp != resident.ErrRevealStepUp || used != resident.ErrRevealUsed {
			t.Errorf("the reveal errors are not the package's own: %v, %v", noStepUp, used)
		}
		if ja, _ := errs.Told(has, "ja"); !strings.Contains(ja, "山田　太郎さん") {
			t.Errorf("the resident is not named: %q", ja)
		}
	})
}
