package assess

import (
	"testing"
	"time"

	"bango/internal/nhi"
)

// R-NHI-4: in the yearly run a member without revenue of the income year
// is undeclared (未申告), a head outside NHI too, but a child born after
// the income year (2025 for fiscal 2026) had no income to declare.
func TestHouseholdUndeclared(t *testing.T) {
	d := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	y := nhi.YearHousehold{ID: 9, Head: "1", HeadBirth: d("1970-01-01"), Members: []nhi.YearMember{
		{ResidentCode: "2", BirthDate: d("1985-05-05"), From: d("2026-04-01")},
		{ResidentCode: "3", BirthDate: d("2025-12-31"), From: d("2026-04-01")}, // born in the income year
		{ResidentCode: "4", BirthDate: d("2026-01-01"), From: d("2026-04-01")}, // born after it
		{ResidentCode: "5", BirthDate: d("2026-06-10"), From: d("2026-06-10")}, // born in the fiscal year
	}}
	h, missing := household(2026, y, map[string]revenue{"2": {salary: 1_000_000}})
	if len(missing) != 2 || missing[0] != "3" || missing[1] != "1" {
		t.Fatalf("missing = %v", missing)
	}
	want := map[string]bool{"1": true, "2": false, "3": true, "4": false, "5": false}
	for _, m := range h.Members {
		if m.Undeclared != want[m.ID] {
			t.Errorf("member %s: undeclared %v", m.ID, m.Undeclared)
		}
	}
	if len(h.Members) != 5 || h.Members[0].SalaryRevenue != 1_000_000 || h.Members[3].AcquiredOn != "2026-06-10" || !h.Members[4].Head {
		t.Errorf("household = %+v", h)
	}
}
