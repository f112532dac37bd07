package testutil

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// update is -update: golden files are rewritten from what the tests
// produce instead of compared. It is defined in test binaries only: this
// package is linked into bango itself (internal/bench), whose command line
// has no such flag.
var update *bool

func init() {
	if testing.Testing() {
		update = flag.Bool("update", false, "rewrite the golden files in testdata/ from what the tests produce")
	}
}

// Golden compares got with testdata/NAME.golden of the package under test,
// or writes it there when the tests run with -update (then review the
// change with git diff). A difference fails t with a line diff.
func Golden(t testing.TB, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if update != nil && *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden file: %v (run go test -update to write it)", err)
	}
	lines := func(b []byte) []string { return strings.SplitAfter(string(b), "\n") }
	if diff := cmp.Diff(lines(want), lines(got)); diff != "" {
		t.Errorf("not as %s (-want +got; go test -update rewrites it):\n%s", path, diff)
	}
}
