package access_test

import (
	"regexp"
	"testing"

	"bango/internal/testutil"
)

var directCall = regexp.MustCompile(`\.Direct\(`)

// directAllowed are the only files that may grant without the workflow:
// the demo data, the tests' fixtures (testkit), which only tests may
// import, and the premium benchmark's clerk in its scratch database.
var directAllowed = map[string]bool{"cmd/bango/demo.go": true, "internal/testutil/testkit/testkit.go": true, "internal/bench/assesshttp.go": true}

var testkitImport = regexp.MustCompile(`"bango/internal/testutil/testkit"`)

// R-AC-3: outside demo data and the tests' fixtures, every grant goes
// through application and approval: no other code calls
// access.Service.Direct, and no code but tests imports the fixtures.
func TestDirectCallers(t *testing.T) {
	for _, f := range testutil.Sources(t) {
		if directCall.Match(f.Text) && !directAllowed[f.Path] {
			t.Errorf("%s calls access Direct(); only %v may", f.Path, directAllowed)
		}
		if testkitImport.Match(f.Text) {
			t.Errorf("%s imports testkit, which only tests may", f.Path)
		}
	}
}
