package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"bango/internal/linkage"
	"bango/internal/store"
	"bango/internal/testutil"
	"bango/internal/wareki"
)

// residentFile writes a resident-differences file of n new residents of
// 新宿区, codes from first on.
func residentFile(t *testing.T, path string, first, n int) []byte {
	t.Helper()
	l, err := linkage.Lookup("resident-differences", 1)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	w, err := linkage.NewWriter(&out, l, linkage.Values{"municipality": "131041", "created": wareki.Civil(2026, 12, 2),
		"period_from": wareki.Civil(2026, 12, 1), "period_to": wareki.Civil(2026, 12, 1)})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := w.Write("2", linkage.Values{"change": "11", "resident_code": 900000 + first + i, "household_no": 1 + i, "name": "髙橋　一郎",
			"name_kana": "ﾀｶﾊｼ ｲﾁﾛｳ", "birth": wareki.Civil(1980, 4, 1), "sex": "1", "relation": "01", "effective": wareki.Civil(2026, 12, 1)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Close(nil); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// R-ACC-5, R-LNK-4: bango linkage configures a one-way partner, imports a
// file with progress lines off a terminal, refuses the same file again
// naming the earlier job, rejects a file with a bad record whole with its
// report (exit 2), refuses a partner not configured, and lists the jobs.
func TestLinkageCommands(t *testing.T) {
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
		if code, out, stderr := lk("partner", "add", "--tenant", "131041", "--partner", "resident-records", "--direction", "inbound",
			"--layouts", "resident-differences"); code != 0 || !strings.Contains(out, "inbound") {
			t.Fatalf("partner add: %d %s %s", code, out, stderr)
		}
		good := filepath.Join(data, "IDO1.DAT")
		residentFile(t, good, 1, 300)
		imp := func(file string, extra ...string) (int, string, string) {
			return runCmd(t, append(append(append([]string{"linkage", "import", "--tenant", "131041", "--partner", "resident-records",
				"--layout", "resident-differences"}, args...), extra...), file)...)
		}
		code, out, stderr := imp(good)
		if code != 0 || !strings.Contains(out, "Applied: 300 records") || !strings.Contains(stderr, "check: 100%") || !strings.Contains(stderr, "apply: 100%") {
			t.Fatalf("import: %d\n%s\n%s", code, out, stderr)
		}
		if code, out, stderr = imp(good, "--quiet"); code == 0 || !strings.Contains(stderr, "already imported as job 1") || !strings.Contains(out, "Refused") {
			t.Fatalf("replay: %d\n%s\n%s", code, out, stderr)
		}
		bad := filepath.Join(data, "IDO2.DAT")
		b := residentFile(t, bad, 1000, 50)
		b[10*242+120] = '7' // line 11, sex
		os.WriteFile(bad, b, 0o600)
		if code, out, _ = imp(bad, "--quiet"); code != 2 || !strings.Contains(out, "line 11 sex:") || !strings.Contains(out, "Rejected whole") {
			t.Fatalf("bad file: %d\n%s", code, out)
		}
		code, _, stderr = runCmd(t, append(append([]string{"linkage", "import", "--tenant", "011002", "--partner", "resident-records",
			"--layout", "resident-differences", "--quiet"}, args...), good)...)
		if code == 0 || !strings.Contains(stderr, "not configured") {
			t.Fatalf("a partner not configured: %d %s", code, stderr)
		}
		code, out, _ = lk("history", "--tenant", "131041", "--json")
		var page struct {
			Items []linkage.Job `json:"items"`
		}
		if code != 0 || json.Unmarshal([]byte(out), &page) != nil || len(page.Items) != 3 ||
			page.Items[0].Outcome != linkage.Rejected || page.Items[1].Outcome != linkage.Replay || page.Items[2].Outcome != linkage.Applied {
			t.Fatalf("history: %d %s", code, out)
		}
		if !strings.HasPrefix(page.Items[2].StartedBy, "cli:") {
			t.Errorf("the import is recorded as %q, not the OS user", page.Items[2].StartedBy)
		}
		// R-NHI-8: the eligibility-continuity file of the demo's NHI
		// members, with its manifest; the next one carries nothing new.
		if code, out, stderr := lk("partner", "add", "--tenant", "131041", "--partner", "aggregation", "--direction", "outbound",
			"--layouts", "nhi-eligibility-continuity"); code != 0 {
			t.Fatalf("partner add: %d %s %s", code, out, stderr)
		}
		skkz := filepath.Join(data, "SKKZ.DAT")
		if code, _, stderr := lk("export", "--tenant", "131041", "--partner", "aggregation", "--layout", "nhi-eligibility-continuity",
			"--out", skkz); code == 0 || !strings.Contains(stderr, "insurer number") {
			t.Fatalf("an export without an insurer number: %d %s", code, stderr)
		}
		if _, err := os.Stat(skkz); err == nil {
			t.Fatal("an export without an insurer number left a file")
		}
		if code, out, stderr := lk("insurer", "set", "--tenant", "131041", "--number", "138016", "--from", "2000-04-01"); code != 0 {
			t.Fatalf("insurer set: %d %s %s", code, out, stderr)
		}
		code, out, stderr = lk("export", "--tenant", "131041", "--partner", "aggregation", "--layout", "nhi-eligibility-continuity",
			"--insurer", "138016", "--out", skkz, "--json")
		var res struct {
			Job      linkage.Job      `json:"job"`
			Manifest linkage.Manifest `json:"manifest"`
		}
		if code != 0 || json.Unmarshal([]byte(out), &res) != nil || res.Manifest.Records == 0 {
			t.Fatalf("export: %d %s %s", code, out, stderr)
		}
		file, err := os.ReadFile(skkz)
		mb, merr := os.ReadFile(skkz + ".manifest.json")
		sum := sha256.Sum256(file)
		var m linkage.Manifest
		if err != nil || merr != nil || json.Unmarshal(mb, &m) != nil || m.SHA256 != hex.EncodeToString(sum[:]) || m.Records != res.Manifest.Records {
			t.Fatalf("the file and its manifest: %v %v %s", err, merr, mb)
		}
		if code, out, _ = lk("export", "--tenant", "131041", "--partner", "aggregation", "--layout", "nhi-eligibility-continuity",
			"--insurer", "138016", "--out", skkz+"2"); code != 0 || !strings.Contains(out, ", 0 records") {
			t.Fatalf("the next export: %d %s", code, out)
		}
		if _, err := os.Stat(skkz + "2.part"); err == nil {
			t.Error("a .part file is left behind")
		}
	})
}
