package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"bango/internal/linkage"
	"bango/internal/store"
	"bango/internal/testutil"
)

// R-LNK-1: bango linkage schedule configures a municipality's job (a
// wrong insurer refused), bango linkage run runs it with progress lines
// off a terminal and prints the run, and bango linkage runs lists the
// history; a new municipality's register loads from the full file through
// bango linkage import with its progress.
func TestLinkageRunCommand(t *testing.T) {
	testutil.EachEngine(t, func(t *testing.T, eng store.Engine) {
		data := t.TempDir()
		args := []string{"--data", data}
		if eng == store.Postgres {
			args = append(args, "--db", testutil.NewDBURL(t, store.Postgres))
		}
		if code, _, stderr := runCmd(t, append([]string{"demo", "--residents", "10", "--argon2-memory-kib", "8192", "--argon2-time", "1"}, args...)...); code != 0 {
			t.Fatal(stderr)
		}
		lk := func(sub ...string) (int, string, string) {
			return runCmd(t, append(append([]string{"linkage"}, sub...), args...)...)
		}
		if code, _, stderr := lk("partner", "add", "--tenant", "131041", "--partner", "aggregation", "--direction", "outbound",
			"--layouts", "nhi-eligibility-continuity"); code != 0 {
			t.Fatal(stderr)
		}
		if code, _, stderr := lk("schedule", "set", "--tenant", "131041", "--job", "nhi-eligibility-export", "--partner", "aggregation",
			"--insurer", "1380"); code == 0 || !strings.Contains(stderr, "insurer") {
			t.Fatalf("a four-digit insurer: %d %s", code, stderr)
		}
		if code, out, stderr := lk("schedule", "set", "--tenant", "131041", "--job", "nhi-eligibility-export", "--partner", "aggregation",
			"--insurer", "138016"); code != 0 || !strings.Contains(out, "enabled yes") {
			t.Fatalf("schedule set: %d %s %s", code, out, stderr)
		}
		// R-NHI-8: the file carries the municipality's configured 保険者番号;
		// without one, the run makes no file and says why.
		code, out, stderr := lk("run", "nhi-eligibility-export", "--tenant", "131041")
		if code == 0 || !strings.Contains(stderr, "insurer number") {
			t.Fatalf("a run without an insurer number: %d\n%s\n%s", code, out, stderr)
		}
		if code, out, stderr := lk("insurer", "set", "--tenant", "131041", "--number", "13801x", "--from", "2026-04-01"); code == 0 || !strings.Contains(stderr, "insurer") {
			t.Fatalf("a wrong insurer number: %d %s %s", code, out, stderr)
		}
		if code, out, stderr := lk("insurer", "set", "--tenant", "131041", "--number", "138016", "--from", "2026-04-01"); code != 0 || !strings.Contains(out, "138016 from 2026-04-01") {
			t.Fatalf("insurer set: %d %s %s", code, out, stderr)
		}
		if code, out, _ := lk("insurer", "list", "--tenant", "131041"); code != 0 || !strings.Contains(out, "138016 from 2026-04-01") {
			t.Fatalf("insurer list: %d %s", code, out)
		}
		code, out, stderr = lk("run", "nhi-eligibility-export", "--tenant", "131041")
		if code != 0 || !strings.Contains(stderr, "run: 100%") || !strings.Contains(out, "nhi-eligibility-export") || !strings.Contains(out, " ok ") {
			t.Fatalf("run: %d\n%s\n%s", code, out, stderr)
		}
		if code, _, stderr := lk("run", "aggregation-open-work", "--tenant", "131041"); code == 0 || !strings.Contains(stderr, "no schedule") {
			t.Fatalf("a job without a schedule: %d %s", code, stderr)
		}
		code, out, _ = lk("runs", "--tenant", "131041", "--json")
		var page struct {
			Items []linkage.Run `json:"items"`
		}
		if code != 0 || json.Unmarshal([]byte(out), &page) != nil || len(page.Items) != 2 || page.Items[0].Outcome != linkage.RunOK || page.Items[0].Records == 0 ||
			page.Items[1].Outcome != linkage.RunFailed {
			t.Fatalf("runs: %d %s", code, out)
		}
		// The initial load of a register, with its progress.
		if code, _, stderr := lk("partner", "add", "--tenant", "131041", "--partner", "resident-records", "--direction", "inbound",
			"--layouts", "resident-initial-load"); code != 0 {
			t.Fatal(stderr)
		}
		src, err := os.ReadFile(filepath.Join("..", "..", "internal", "linkage", "testdata", "resident-initial-load.good.dat"))
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(data, "ZENKEN.DAT")
		if err := os.WriteFile(file, src, 0o600); err != nil {
			t.Fatal(err)
		}
		code, out, stderr = runCmd(t, append(append([]string{"linkage", "import", "--tenant", "131041", "--partner", "resident-records",
			"--layout", "resident-initial-load"}, args...), file)...)
		if code != 0 || !strings.Contains(out, "Applied: 3 records") || !strings.Contains(stderr, "apply: 100%") {
			t.Fatalf("initial load: %d\n%s\n%s", code, out, stderr)
		}
	})
}
