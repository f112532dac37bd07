package testutil

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Source is one Go file of bango's own code (not a test).
type Source struct {
	Path string // from the module root, with slashes: internal/resident/export.go
	Text []byte
}

// Sources returns every non-test Go file of the module, in path order, for the
// tests that hold the code to a rule such as who may call what (R-AC-3,
// R-AC-4). It fails t when it cannot find the module root above the
// package under test, or finds a tree too small to be the module.
func Sources(t testing.TB) []Source {
	t.Helper()
	root, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(root)
		if parent == root {
			t.Fatal("module root (go.mod) not found above the package")
		}
		root = parent
	}
	var out []Source
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != root || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		text, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		out = append(out, Source{Path: filepath.ToSlash(rel), Text: text})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 10 {
		t.Fatalf("found only %d Go files under %s; the walk is broken", len(out), root)
	}
	return out
}
