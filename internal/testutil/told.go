package testutil

import (
	"regexp"
	"strings"
	"testing"
	"unicode"

	"bango/internal/errs"
)

// DeveloperWords are what staff must never read in a sentence meant for
// them: permission keys (grant.apply), pattern codes and login IDs
// (nhi-clerk, other-clerk).
var DeveloperWords = regexp.MustCompile(`[a-z]+[.-][a-z]+`)

// staffAcronyms are the Latin words a Japanese sentence for staff may hold.
var staffAcronyms = regexp.MustCompile(`\b(PIN|ID|IP|CIDR|CSV|TOTP|QR)\b`)

// Told fails unless err keeps its kind and its English message (for logs
// and the API; a public ending in ":" is the start of one that goes on
// with a cause) and tells staff a sentence in Japanese and another in
// English (errs.Told), neither holding what developer matches (permission
// keys, login IDs) nor, in Japanese, any Latin letter but the acronyms
// staff use (PIN, ID, …) (issue 17).
func Told(t testing.TB, name string, err error, kind errs.Kind, public string, developer *regexp.Regexp) {
	t.Helper()
	if got := errs.KindOf(err); got != kind {
		t.Errorf("%s: kind %v, want %v (%v)", name, got, kind, err)
	}
	if got := errs.Public(err); got != public && !(strings.HasSuffix(public, ":") && strings.HasPrefix(got, public)) {
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
	case strings.ContainsFunc(staffAcronyms.ReplaceAllString(ja, ""), func(r rune) bool { return r < unicode.MaxASCII && unicode.IsLetter(r) }) ||
		developer.MatchString(ja) || developer.MatchString(en):
		t.Errorf("%s: developer words in %q / %q", name, ja, en)
	}
}
