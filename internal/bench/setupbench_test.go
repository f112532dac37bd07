package bench

import (
	"context"
	"os"
	"strconv"
	"testing"

	"bango/internal/numbersetup"
	"bango/internal/store"
	"bango/internal/testutil"
)

// The setup harness (R-PUB-2, R-WAU-2) matches the generated registry file
// against as many people and loads it plainly on each engine, PostgreSQL
// as an ordinary role under row-level security, and reports consistent
// figures: every row a candidate, with the outcomes the file was written
// to give. It asserts no time. BANGO_BENCH_SETUP_ROWS sets the size, to
// prove the harness at a larger scale by hand.
func TestSetupHarness(t *testing.T) {
	rows := 2000
	if s := os.Getenv("BANGO_BENCH_SETUP_ROWS"); s != "" {
		rows, _ = strconv.Atoi(s)
	}
	testutil.EachEngine(t, func(t *testing.T, eng store.Engine) {
		url := ""
		if eng == store.Postgres {
			url = testutil.PostgresURL(t)
		}
		res, err := Setup(context.Background(), url, SetupOptions{Rows: rows}, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int{numbersetup.Exact: rows - 2*(rows/20), numbersetup.NoMatch: rows / 20, numbersetup.OneDiff: rows / 20}
		for _, o := range numbersetup.Outcomes {
			if res.Counts[o] != want[o] {
				t.Errorf("%s: %d, want %d", o, res.Counts[o], want[o])
			}
		}
		if res.Engine != string(eng) || res.Rows != rows || res.BaselineRPS <= 0 || res.SetupRPS <= 0 ||
			res.Ratio != res.SetupRPS/res.BaselineRPS || (eng == store.Postgres) != (res.Role != "") {
			t.Fatalf("result = %+v", res)
		}
		t.Logf("%s: %d rows, baseline %.0f rows/s, setup %.0f rows/s, ratio %.2f, heap %.0f → %.0f MiB", eng, rows, res.BaselineRPS, res.SetupRPS, res.Ratio, res.BaseHeapMiB, res.PeakHeapMiB)
	})
	if _, err := Setup(context.Background(), "", SetupOptions{}, nil); err == nil {
		t.Fatal("zero rows accepted")
	}
}
