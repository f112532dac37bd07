package access_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var directCall = regexp.MustCompile(`\.Direct\(`)

// directAllowed are the only files that may grant without the workflow:
// the demo data, and the tests' fixtures (testkit), which only tests may
// import.
var directAllowed = map[string]bool{"cmd/bango/demo.go": true, "internal/testutil/testkit/testkit.go": true}

var testkitImport = regexp.MustCompile(`"bango/internal/testutil/testkit"`)

// R-AC-3: outside demo data and the tests' fixtures, every grant goes
// through application and approval: no other code calls
// access.Service.Direct, and no code but tests imports the fixtures.
func TestDirectCallers(t *testing.T) {
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
		rel, _ := filepath.Rel(root, path)
		if directCall.Match(src) && !directAllowed[filepath.ToSlash(rel)] {
			t.Errorf("%s calls access Direct(); only %v may", path, directAllowed)
		}
		if testkitImport.Match(src) {
			t.Errorf("%s imports testkit, which only tests may", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 10 {
		t.Fatalf("scanned only %d files; the walk is broken", checked)
	}
}
