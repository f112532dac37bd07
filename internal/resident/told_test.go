package resident_test

import (
	"strings"
	"testing"

	"bango/internal/errs"
	"bango/internal/mynumber"
	"bango/internal/resident"
	"bango/internal/store"
	"bango/internal/testutil"
)

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
			testutil.Told(t, c.name, c.err, c.kind, c.public, testutil.DeveloperWords)
		}
		if noStepUp != resident.ErrRevealStepUp || used != resident.ErrRevealUsed {
			t.Errorf("the reveal errors are not the package's own: %v, %v", noStepUp, used)
		}
		if ja, _ := errs.Told(has, "ja"); !strings.Contains(ja, "山田　太郎さん") {
			t.Errorf("the resident is not named: %q", ja)
		}
	})
}
