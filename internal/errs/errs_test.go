package errs

import (
	"errors"
	"fmt"
	"testing"
)

func TestKindSurvivesWrapping(t *testing.T) {
	base := E(NotFound, "resident %s", "0000000001")
	err := fmt.Errorf("outer: %w", base)
	Annotate(&err, "op")
	if !Is(err, NotFound) {
		t.Fatalf("KindOf(%v) = %v, want not found", err, KindOf(err))
	}
	if KindOf(errors.New("plain")) != Internal {
		t.Fatal("an unclassified error must be internal")
	}
	if Is(nil, Internal) {
		t.Fatal("nil is no error of any kind")
	}
}

func TestFieldErrors(t *testing.T) {
	var fe FieldErrors
	if fe.Err() != nil {
		t.Fatal("empty FieldErrors must be nil error")
	}
	fe.AddAt(3, "birth_date", Message{JA: "未来の日付です", EN: "is in the future"})
	fe.Add("sex", Message{JA: "1か2です", EN: "must be 1 or 2"})
	err := fmt.Errorf("import: %w", fe.Err())
	if KindOf(err) != Invalid {
		t.Fatalf("kind = %v, want invalid", KindOf(err))
	}
	if got, want := fe.Localized("en"), "line 3: birth_date: is in the future; sex: must be 1 or 2"; got != want {
		t.Errorf("en = %q, want %q", got, want)
	}
	if got, want := fe.Localized("ja"), "line 3: birth_date: 未来の日付です; sex: 1か2です"; got != want {
		t.Errorf("ja = %q, want %q", got, want)
	}
	if len(Fields(err)) != 2 {
		t.Errorf("Fields = %v", Fields(err))
	}
}

// A sentence for staff survives wrapping and answers in their language;
// an error without one says so.
func TestTold(t *testing.T) {
	err := Tell(Conflict, Message{JA: "既に確認済みです", EN: "Already confirmed"}, "change %d already confirmed", 7)
	wrapped := fmt.Errorf("review.Confirm: %w", Wrap(Conflict, err, "confirm"))
	if got, ok := Told(wrapped, "ja"); !ok || got != "既に確認済みです" {
		t.Errorf("Told(ja) = %q, %v", got, ok)
	}
	if got, ok := Told(wrapped, "en"); !ok || got != "Already confirmed" {
		t.Errorf("Told(en) = %q, %v", got, ok)
	}
	if _, ok := Told(E(Conflict, "plain"), "ja"); ok {
		t.Error("an error without a sentence for staff answered one")
	}
	if KindOf(wrapped) != Conflict || Public(err) != "change 7 already confirmed" {
		t.Errorf("kind %v, public %q", KindOf(wrapped), Public(err))
	}
}
