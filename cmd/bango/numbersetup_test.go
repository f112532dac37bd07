package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"bango/internal/mynumber"
	"bango/internal/numbersetup"
	"bango/internal/store"
	"bango/internal/testutil"
)

// registryFile writes a registry extract of n people nobody holds, rows of
// 新宿区 unless municipality says otherwise for the row at bad (1-based).
func registryFile(t *testing.T, path string, n, bad int) {
	t.Helper()
	var b bytes.Buffer
	fw := numbersetup.NewFileWriter(&b, "131041", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	for i := range n {
		first := strconv.Itoa(30000000000 + i)
		m := "131041"
		if i+1 == bad {
			m = "011002"
		}
		fw.Write(numbersetup.Row{Municipality: m, ResidentCode: strconv.Itoa(40000000000 + i), Name: "番号　無子", NameKana: "バンゴウ　ナイコ",
			Birth: time.Date(1970, 1, 1+i%28, 0, 0, 0, 0, time.UTC), Sex: "2", Address: "東京都新宿区新宿一丁目" + string(rune('１'+i%9)) + "番",
			MyNumber: first + string(mynumber.CheckDigit(first))})
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// R-PUB-2, R-WAU-2, R-ACC-5: bango numbersetup imports a registry file for
// the NHI with progress off a terminal, counts the outcomes, lists the
// work list, rejects a file with a row of another municipality whole with
// its report (exit 2, nothing stored), and closes the setup, deleting its
// candidates.
func TestNumberSetupCommands(t *testing.T) {
	testutil.EachEngine(t, func(t *testing.T, eng store.Engine) {
		data := t.TempDir()
		args := []string{"--data", data}
		if eng == store.Postgres {
			args = append(args, "--db", testutil.NewDBURL(t, store.Postgres))
		}
		if code, _, stderr := runCmd(t, append([]string{"demo", "--residents", "10", "--argon2-memory-kib", "8192", "--argon2-time", "1"}, args...)...); code != 0 {
			t.Fatal(stderr)
		}
		ns := func(sub ...string) (int, string, string) {
			return runCmd(t, append(append([]string{"numbersetup", sub[0]}, args...), sub[1:]...)...)
		}
		good := filepath.Join(data, "HKJK1.CSV")
		registryFile(t, good, 40, 0)
		code, out, stderr := ns("import", "--tenant", "131041", "--business", "nhi", "--as", "clerk.shinjuku", good)
		if code != 0 || !strings.Contains(out, "rows=40") || !strings.Contains(out, "no_match=40") || !strings.Contains(stderr, "import: 100%") {
			t.Fatalf("import: %d\n%s\n%s", code, out, stderr)
		}
		if code, out, _ = ns("worklist", "--tenant", "131041", "--setup", "1"); code != 0 || strings.Count(out, "no_match") != 40 {
			t.Fatalf("worklist: %d\n%s", code, out)
		}
		bad := filepath.Join(data, "HKJK2.CSV")
		registryFile(t, bad, 40, 7)
		if code, out, _ = ns("import", "--tenant", "131041", "--business", "nhi", "--as", "clerk.shinjuku", "--quiet", bad); code != 2 ||
			!strings.Contains(out, "line 8  municipality:") || !strings.Contains(out, "Rejected whole") {
			t.Fatalf("bad file: %d\n%s", code, out)
		}
		if code, _, stderr = ns("import", "--tenant", "131041", "--business", "nhi", good); code == 0 || !strings.Contains(stderr, "--as") {
			t.Fatalf("an import without --as: %d %s", code, stderr)
		}
		if code, out, _ = ns("close", "--tenant", "131041", "--setup", "1"); code != 0 || !strings.Contains(out, "40 candidates deleted") {
			t.Fatalf("close: %d %s", code, out)
		}
		code, out, _ = ns("list", "--tenant", "131041", "--json")
		var sts []numbersetup.Setup
		if code != 0 || json.Unmarshal([]byte(out), &sts) != nil || len(sts) != 1 || sts[0].Status != "closed" || sts[0].Destroyed != 40 {
			t.Fatalf("list: %d %s", code, out)
		}
	})
}
