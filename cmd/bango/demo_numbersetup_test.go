package main

import (
	"path/filepath"
	"strings"
	"testing"

	"bango/internal/store"
	"bango/internal/testutil"
)

// Issue 21 (R-PUB-2, R-WAU-2): the demo leaves a registry file for trying
// the My Number setup on the NHI insured without a number, names it in the
// demo guide, and it imports as the guide says: exact matches waiting for
// the checker, one with the address different, one of nobody.
func TestDemoRegistryFileForTheSetup(t *testing.T) {
	testutil.EachEngine(t, func(t *testing.T, eng store.Engine) {
		data := t.TempDir()
		args := []string{"--data", data}
		if eng == store.Postgres {
			args = append(args, "--db", testutil.NewDBURL(t, store.Postgres))
		}
		code, out, stderr := runCmd(t, append([]string{"demo", "--residents", "200", "--argon2-memory-kib", "8192", "--argon2-time", "1"}, args...)...)
		if code != 0 {
			t.Fatal(stderr)
		}
		path := filepath.Join(data, "demo-registry-131041.csv")
		if !strings.Contains(out, "My Number setup (マイナンバー設定): "+path) || !strings.Contains(out, "3 matching exactly, 1 with the address different") {
			t.Fatalf("the demo guide does not name the registry file:\n%s", out)
		}
		code, out, stderr = runCmd(t, append(append([]string{"numbersetup", "import"}, args...), "--tenant", "131041", "--business", "nhi", "--as", "clerk.shinjuku", path)...)
		if code != 0 || !strings.Contains(out, "rows=5") || !strings.Contains(out, "exact=3") || !strings.Contains(out, "one_diff=1") || !strings.Contains(out, "no_match=1") {
			t.Fatalf("import of the demo registry file: %d\n%s\n%s", code, out, stderr)
		}
	})
}
