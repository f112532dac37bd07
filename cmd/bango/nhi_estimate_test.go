package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// bango nhi estimate prints the README's worked example as a table and as
// JSON, needs no database, and refuses a year without data, a missing flag
// and an unknown field by name (R-NHI-4).
func TestNHIEstimate(t *testing.T) {
	const dir = "../../internal/nhi/premium/testdata"
	rates, household := filepath.Join(dir, "rates-2025.json"), filepath.Join(dir, "household.json")
	code, out, stderr := runCmd(t, "nhi", "estimate", "--fiscal-year", "2025", "--rates", rates, "--household", household)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"5割", "122,300", "40,200", "162,500", "1期 2025-07 20,400", "8期 2026-02 20,300", "fiscal-2025.1", "income-2024.1"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	code, out, stderr = runCmd(t, "nhi", "estimate", "--fiscal-year", "2025", "--rates", rates, "--household", household, "--json")
	var res struct {
		Total     int64 `json:"total"`
		Reduction struct {
			Percent int `json:"percent"`
		} `json:"reduction"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || res.Total != 162_500 || res.Reduction.Percent != 50 {
		t.Fatalf("--json: exit %d, %+v, %s %s", code, res, out, stderr)
	}

	if code, _, stderr = runCmd(t, "nhi", "estimate", "--fiscal-year", "2019", "--rates", rates, "--household", household); code != 2 || !strings.Contains(stderr, "fiscal_year") {
		t.Errorf("a year without data: exit %d, %s", code, stderr)
	}
	if code, _, _ = runCmd(t, "nhi", "estimate", "--fiscal-year", "2025"); code != 2 {
		t.Errorf("missing flags: exit %d", code)
	}
	// A 特定世帯 from September (R-NHI-4; TestSpecificHouseholdWithinYear's
	// couple a year earlier, fiscal 2025 without 子ども分): 医療 17,000 +
	// 4,250 → 21,200, 支援 5,100 + 1,275 → 6,300; the months of 平等割 at
	// each relief printed.
	moved := filepath.Join(t.TempDir(), "moved.json")
	if err := os.WriteFile(moved, []byte(`{"relief_changes":[{"month":"2025-09","relief":"specific"}],"members":[
		{"id":"H","head":true,"insured":true,"birth_date":"1950-09-10"},{"id":"W","insured":true,"birth_date":"1957-06-01"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, stderr = runCmd(t, "nhi", "estimate", "--fiscal-year", "2025", "--rates", rates, "--household", moved)
	if code != 0 || !strings.Contains(out, "年額 / total: 27,500円") ||
		!strings.Contains(out, "平等割の月数 医療分: 2025-04〜 5か月 軽減なし 20,000円 2025-09〜 7か月 特定世帯 10,000円") {
		t.Errorf("特定世帯 from September: exit %d %s\n%s", code, stderr, out)
	}
	bad := filepath.Join(t.TempDir(), "household.json")
	if err := os.WriteFile(bad, []byte(`{"members":[],"pets":1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr = runCmd(t, "nhi", "estimate", "--fiscal-year", "2025", "--rates", rates, "--household", bad); code != 2 || !strings.Contains(stderr, "pets") {
		t.Errorf("unknown field: exit %d, %s", code, stderr)
	}
}
