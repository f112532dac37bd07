package bench

import (
	"context"
	"testing"
	"time"

	"bango/internal/store"
	"bango/internal/testutil"
)

// The NHI benchmark's whole path runs small on each engine: the bulk load
// the service reads back, every search finding what the municipality
// holds, and the yearly decision deciding every household once and
// nothing on the rerun. No time is asserted.
func TestNHIHarness(t *testing.T) {
	testutil.EachEngine(t, func(t *testing.T, eng store.Engine) {
		url := ""
		if eng == store.Postgres {
			url = testutil.PostgresURL(t)
		}
		res, err := NHI(context.Background(), url, NHIOptions{Insured: 1500, Queries: 10, Seed: 1, Today: time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		if res.Engine != string(eng) || len(res.Searches) != 4 || res.Households < 1000 || res.Rows < 5000 {
			t.Fatalf("result = %+v", res)
		}
		for _, k := range res.Searches {
			if k.P50ms <= 0 || k.P99ms < k.P50ms || k.BaseP99ms <= 0 || k.MeanResults < 1 {
				t.Errorf("%s: %+v (every search is written from the data, so it finds someone)", k.Kind, k)
			}
		}
		// A quarter are 70–74 on 1 August, each with incomes: every household
		// of theirs is decided, at both ratios, none refused.
		if res.Decided < 1500/4*2/3 || res.Refused != 0 || res.Ratio2 == 0 || res.Ratio3 == 0 || res.Ratio2+res.Ratio3 != res.Decided {
			t.Errorf("cost share: %+v", res)
		}
	})
	if _, err := NHI(context.Background(), "", NHIOptions{Insured: 10, Queries: 1}); err == nil {
		t.Fatal("a municipality of 10 accepted")
	}
}
