package bench

import (
	"context"
	"testing"
	"time"

	"bango/internal/store"
	"bango/internal/testutil"
)

// The premium assessment benchmark's whole path runs small on each engine
// (R-NHI-4): every household of the bulk-loaded municipality is assessed
// once and none again on the rerun (the harness itself refuses otherwise),
// and every estimate is answered. No time is asserted.
func TestAssessHarness(t *testing.T) {
	testutil.EachEngine(t, func(t *testing.T, eng store.Engine) {
		url := ""
		if eng == store.Postgres {
			url = testutil.PostgresURL(t)
		}
		res, err := Assess(context.Background(), url, AssessOptions{Insured: 1500, Estimates: 10, Seed: 1, Today: time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		if res.Engine != string(eng) || res.FiscalYear != 2026 || res.Households < 1000 || res.Assessed != res.Households || res.Refused != 0 {
			t.Fatalf("result = %+v", res)
		}
		// Everyone has revenue, so every household pays at least its 均等割.
		if res.Total < int64(res.Households)*10000 || res.AssessSeconds <= 0 || res.BaselineSeconds <= 0 {
			t.Errorf("result = %+v", res)
		}
		// Every estimate was answered over HTTP too, with the service's total
		// (the harness refuses otherwise).
		if res.EstimateP50ms <= 0 || res.EstimateP99ms < res.EstimateP50ms || res.EstimateBaseP99ms <= 0 || res.HTTPP50ms <= 0 || res.HTTPP99ms < res.HTTPP50ms {
			t.Errorf("estimates: %+v", res)
		}
	})
	if _, err := Assess(context.Background(), "", AssessOptions{Insured: 10, Estimates: 1}); err == nil {
		t.Fatal("a municipality of 10 accepted")
	}
}
