package mynumber_test

import (
	"path"
	"regexp"
	"testing"

	"bango/internal/testutil"
)

// digitsAllowed lists the packages that may call Number.Digits in non-test
// code: sealing and blind indexing. A new caller is a design decision that
// must be reviewed (R-AC-4: the number is hidden after entry), so adding one
// means editing this list.
var digitsAllowed = map[string]bool{
	"internal/mynumber": true,
	"internal/vault":    true,
}

var digitsCall = regexp.MustCompile(`\.Digits\(\)`)

// revealAllowed lists the only files that may turn a sealed number back
// into digits for a person: the audited reveal and the approved export.
var revealAllowed = map[string]bool{"internal/resident/mynumber.go": true, "internal/resident/export.go": true}

var revealCall = regexp.MustCompile(`\.RevealNumber\(`)

// R-AC-4: only the vault and this package read the digits.
func TestDigitsCallers(t *testing.T) {
	for _, f := range testutil.Sources(t) {
		if digitsCall.Match(f.Text) && !digitsAllowed[path.Dir(f.Path)] {
			t.Errorf("%s calls Digits(); only %v may", f.Path, digitsAllowed)
		}
		if revealCall.Match(f.Text) && !revealAllowed[f.Path] {
			t.Errorf("%s calls RevealNumber(); only %v may", f.Path, revealAllowed)
		}
	}
}
