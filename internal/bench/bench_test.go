package bench

import (
	"context"
	"testing"

	"bango/internal/identity"
	"bango/internal/store"
	"bango/internal/testutil"
)

// The harness runs both paths over the same rows on each engine and
// reports consistent figures. It asserts no time: only that both sides ran.
func TestImportHarness(t *testing.T) {
	testutil.EachEngine(t, func(t *testing.T, eng store.Engine) {
		url := ""
		if eng == store.Postgres {
			url = testutil.PostgresURL(t)
		}
		res, err := Import(context.Background(), url, 3000, 1)
		if err != nil {
			t.Fatal(err)
		}
		if res.Engine != string(eng) || res.Persons != 3000 || res.BaselineRowsPS <= 0 || res.BangoRowsPS <= 0 ||
			res.Ratio != res.BangoRowsPS/res.BaselineRowsPS {
			t.Fatalf("result = %+v", res)
		}
	})
	if _, err := Import(context.Background(), "", 0, 1); err == nil {
		t.Fatal("zero persons accepted")
	}
}

// BenchmarkImport reports bango's import against the baseline per engine:
// go test -bench Import ./internal/bench
func BenchmarkImport(b *testing.B) {
	for _, eng := range []store.Engine{store.SQLite, store.Postgres} {
		b.Run(string(eng), func(b *testing.B) {
			url := ""
			if eng == store.Postgres {
				url = testutil.PostgresURL(b)
			}
			for b.Loop() {
				res, err := Import(context.Background(), url, 20000, 1)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(res.BangoRowsPS, "bango-rows/s")
				b.ReportMetric(res.BaselineRowsPS, "baseline-rows/s")
				b.ReportMetric(res.Ratio, "ratio")
			}
		})
	}
}

func TestLoginHarness(t *testing.T) {
	res, err := Login(context.Background(), "", 3, identity.Params{Time: 1, MemoryKiB: 8192, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Logins != 3 || res.LoginsPerSec <= 0 || res.HashesPerSec <= 0 || res.LoginP99ms < res.LoginP50ms {
		t.Fatalf("result = %+v", res)
	}
}

// R-AUD-2: the search benchmark's harness runs and its searches find what
// the synthetic log holds (a few events per resident and per actor-week).
func TestAuditSearchHarness(t *testing.T) {
	res, err := AuditSearch(context.Background(), "", 40000, 20)
	if err != nil {
		t.Fatal(err)
	}
	if res.ActorHits <= 0 || res.SubjectP99ms <= 0 || res.ActorP99ms <= 0 {
		t.Fatalf("result %+v", res)
	}
}
