package bench

import (
	"context"
	"testing"
	"time"

	"bango/internal/store"
	"bango/internal/testutil"
)

// The resident search benchmark's whole path runs on each engine, small and
// fast: import, every kind of search, both load phases. It asserts no time,
// only that every kind ran and found what the municipality holds (and,
// inside the benchmark, never another municipality's resident).
func TestResidentSearchHarness(t *testing.T) {
	testutil.EachEngine(t, func(t *testing.T, eng store.Engine) {
		url := ""
		if eng == store.Postgres {
			url = testutil.PostgresURL(t)
		}
		res, err := ResidentSearch(context.Background(), url, ResidentSearchOptions{Residents: 2000, Queries: 10, Sessions: 4,
			Duration: 300 * time.Millisecond, Think: 20 * time.Millisecond, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		if res.Engine != string(eng) || len(res.Kinds) != len(searchKinds) || len(res.Load) != 2 || res.FloorP99ms <= 0 {
			t.Fatalf("result = %+v", res)
		}
		for _, k := range res.Kinds {
			if k.P50ms <= 0 || k.P99ms < k.P50ms || k.MeanResults < 1 || k.P50Ratio <= 0 {
				t.Errorf("%s: %+v (every search is written from a resident, so it finds at least one)", k.Kind, k)
			}
		}
		for _, l := range res.Load {
			if l.Searches == 0 || l.Errors != 0 || l.P99ms < l.P50ms {
				t.Errorf("load: %+v", l)
			}
		}
	})
	if _, err := ResidentSearch(context.Background(), "", ResidentSearchOptions{Residents: 10, Queries: 1, Sessions: 1, Duration: time.Second}); err == nil {
		t.Fatal("a municipality of 10 accepted")
	}
}
