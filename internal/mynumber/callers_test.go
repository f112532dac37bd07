package mynumber

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
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
	root := filepath.Join("..", "..")
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found from %s: %v", root, err)
	}
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != root || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		checked++
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		if digitsCall.Match(src) && !digitsAllowed[filepath.ToSlash(rel)] {
			t.Errorf("%s calls Digits(); only %v may", path, digitsAllowed)
		}
		if file, _ := filepath.Rel(root, path); revealCall.Match(src) && !revealAllowed[filepath.ToSlash(file)] {
			t.Errorf("%s calls RevealNumber(); only %v may", path, revealAllowed)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 2 {
		t.Fatalf("scanned only %d files; the walk is broken", checked)
	}
}
