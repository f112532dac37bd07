package web

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// dbUse is a query or a transaction run on the database handle.
var dbUse = regexp.MustCompile(`\.db\.(Query|QueryRow|Exec|Transact|TransactOnce|Read|SQL|CopyFrom)\(|\*store\.Tx\b|store\.Querier\b`)

// Issue 16: the web layer parses, asks one domain service, renders; it
// writes no SQL. The database handle serves health checks and the
// request gate's refusals (audit.RecordAlone) only.
func TestWebWritesNoSQL(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if dbUse.MatchString(line) {
				t.Errorf("%s:%d queries the database itself: %s", f, i+1, strings.TrimSpace(line))
			}
		}
	}
}
