package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"bango/internal/store"
	"bango/internal/testutil"
)

// R-NHI-4: the demo has a confirmed rate table and a completed assessment
// of each municipality; bango nhi assess run again on it changes nothing;
// bango nhi rates import files a new version for a second person to
// confirm and refuses a wrong file and a maker without nhi.admin; the run
// and the import are the NHI administrator's (nhi.admin).
func TestNHIAssessCommand(t *testing.T) {
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
		now := time.Now().In(time.FixedZone("JST", 9*60*60))
		fy := now.Year()
		if now.Month() < time.April {
			fy--
		}
		year := strconv.Itoa(fy)
		if !strings.Contains(out, "Premium of fiscal "+year) {
			t.Fatalf("the demo did not assess fiscal %d:\n%s", fy, out)
		}
		code, out, stderr = runCmd(t, append([]string{"nhi", "assess", "--tenant", "131041", "--fiscal-year", year, "--by", "head.shinjuku", "--json"}, args...)...)
		var r struct {
			Households, Assessed, Reassessed, Unchanged int
			Total                                       int64
			RatesVersion                                string `json:"rates_version"`
			Refused                                     []any
		}
		if code != 0 || json.Unmarshal([]byte(out), &r) != nil {
			t.Fatalf("nhi assess: exit %d %s %s", code, out, stderr)
		}
		if r.Households == 0 || r.Unchanged != r.Households || r.Assessed+r.Reassessed != 0 || len(r.Refused) != 0 || r.Total <= 0 ||
			r.RatesVersion != year+"-demo" || !strings.Contains(stderr, "100%") {
			t.Errorf("a rerun of the demo's assessment: %+v\n%s", r, stderr)
		}
		code, out, _ = runCmd(t, append([]string{"nhi", "rates", "list", "--tenant", "131041"}, args...)...)
		if code != 0 || !strings.Contains(out, year+"-demo") || !strings.Contains(out, "in force") {
			t.Errorf("rates list: %d %s", code, out)
		}
		// A correction as a new version: filed for a checker, not in force.
		_, table, _ := runCmd(t, append([]string{"nhi", "rates", "list", "--tenant", "131041", "--json"}, args...)...)
		var vs []struct {
			Table map[string]any `json:"table"`
		}
		if err := json.Unmarshal([]byte(table), &vs); err != nil || len(vs) != 1 {
			t.Fatalf("rates list --json: %v %s", err, table)
		}
		// bango nhi estimate --tenant uses the table in force from the
		// database: the same answer as the table's file given with --rates
		// (R-NHI-4); a municipality bango does not have is refused.
		inForce, _ := json.Marshal(vs[0].Table)
		tableFile, householdFile := filepath.Join(data, "in-force.json"), filepath.Join(data, "household.json")
		if err := os.WriteFile(tableFile, inForce, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(householdFile, []byte(`{"members":[{"id":"a","head":true,"insured":true,"age":46,"salary_revenue":3000000},
			{"id":"b","insured":true,"age":8}]}`), 0o600); err != nil {
			t.Fatal(err)
		}
		var byTenant, byFile struct {
			Total        int64  `json:"total"`
			RatesVersion string `json:"rates_version"`
		}
		code, out, stderr = runCmd(t, append([]string{"nhi", "estimate", "--tenant", "131041", "--fiscal-year", year, "--household", householdFile, "--json"}, args...)...)
		if code != 0 || json.Unmarshal([]byte(out), &byTenant) != nil {
			t.Fatalf("nhi estimate --tenant: exit %d %s %s", code, out, stderr)
		}
		code, out, stderr = runCmd(t, "nhi", "estimate", "--rates", tableFile, "--fiscal-year", year, "--household", householdFile, "--json")
		if code != 0 || json.Unmarshal([]byte(out), &byFile) != nil || byTenant.Total <= 0 || byTenant != byFile || byTenant.RatesVersion != year+"-demo" {
			t.Errorf("estimate by tenant %+v, by file %+v (exit %d %s)", byTenant, byFile, code, stderr)
		}
		if code, _, stderr = runCmd(t, append([]string{"nhi", "estimate", "--tenant", "999999", "--fiscal-year", year, "--household", householdFile}, args...)...); code == 0 {
			t.Errorf("an estimate for a municipality bango does not have: exit 0 %s", stderr)
		}
		if code, _, _ = runCmd(t, append([]string{"nhi", "estimate", "--tenant", "131041", "--rates", tableFile, "--fiscal-year", year, "--household", householdFile}, args...)...); code != 2 {
			t.Errorf("both --tenant and --rates: exit %d", code)
		}
		vs[0].Table["version"] = year + "-2"
		b, _ := json.Marshal(vs[0].Table)
		file := filepath.Join(data, "rates.json")
		if err := os.WriteFile(file, b, 0o600); err != nil {
			t.Fatal(err)
		}
		code, out, stderr = runCmd(t, append([]string{"nhi", "rates", "import", "--tenant", "131041", "--fiscal-year", year, "--maker", "head.shinjuku"}, append(args, file)...)...)
		if code != 0 || !strings.Contains(out, "awaiting confirmation") {
			t.Errorf("rates import: %d %s %s", code, out, stderr)
		}
		// Rate tables and the yearly run are the NHI administrator's
		// (nhi.admin): a clerk holding nhi.write may not (R-NHI-4, R-AC-1).
		code, _, stderr = runCmd(t, append([]string{"nhi", "rates", "import", "--tenant", "131041", "--fiscal-year", year, "--maker", "clerk.shinjuku"}, append(args, file)...)...)
		if code == 0 || !strings.Contains(stderr, "nhi.admin") {
			t.Errorf("a maker without nhi.admin: %d %s", code, stderr)
		}
		code, _, stderr = runCmd(t, append([]string{"nhi", "assess", "--tenant", "131041", "--fiscal-year", year, "--by", "clerk.shinjuku"}, args...)...)
		if code == 0 || !strings.Contains(stderr, "nhi.admin") {
			t.Errorf("a run by a clerk without nhi.admin: %d %s", code, stderr)
		}
		if code, _, stderr = runCmd(t, append([]string{"nhi", "assess", "--tenant", "131041", "--fiscal-year", year}, args...)...); code != 2 || !strings.Contains(stderr, "--by") {
			t.Errorf("a run without --by: %d %s", code, stderr)
		}
		bad := strings.Replace(string(b), `"income_rate":"7.71"`, `"income_rate":"-1"`, 1)
		if err := os.WriteFile(file, []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		code, _, stderr = runCmd(t, append([]string{"nhi", "rates", "import", "--tenant", "131041", "--fiscal-year", year, "--maker", "head.shinjuku"}, append(args, file)...)...)
		if code == 0 || !strings.Contains(stderr, "parts.medical.income_rate") {
			t.Errorf("a negative rate: %d %s", code, stderr)
		}
		code, out, _ = runCmd(t, append([]string{"nhi", "rates", "list", "--tenant", "131041"}, args...)...)
		if code != 0 || strings.Contains(out, year+"-2") {
			t.Errorf("an unconfirmed version is listed: %s", out)
		}
	})
}
