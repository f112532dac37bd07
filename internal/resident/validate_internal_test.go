package resident

import (
	"testing"
	"time"

	"bango/internal/errs"
)

// A child born today in Japan is not born in the future between midnight
// and nine in the morning there, when the server's UTC date is still
// yesterday; one born tomorrow in Japan is.
func TestBirthDateAgainstTheDayInJapan(t *testing.T) {
	now := time.Date(2026, 12, 1, 15, 30, 0, 0, time.UTC) // 2026-12-02 00:30 in Japan
	in := Input{Code: "1", NameKanji: "山田　一", NameKana: "ヤマダ　ハジメ", Address: "東京都新宿区西新宿二丁目8番1号", Sex: "1"}
	in.BirthDate = "2026-12-02"
	if _, err := validate(in, now); err != nil {
		t.Fatalf("born today in Japan: %v", err)
	}
	in.BirthDate = "2026-12-03"
	if _, err := validate(in, now); len(errs.Fields(err)) != 1 || errs.Fields(err)[0].Field != "birth_date" {
		t.Fatalf("born tomorrow in Japan: %v", err)
	}
}
