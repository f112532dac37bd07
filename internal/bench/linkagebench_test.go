package bench

import (
	"context"
	"testing"

	"bango/internal/store"
	"bango/internal/testutil"
)

// Issue 20 (R-LNK-1): the linkage harness imports the generated file —
// resident differences, and a new municipality's initial load — and
// loads it raw on each engine, PostgreSQL as an ordinary role under
// row-level security, and reports consistent figures. It asserts no time: only that both sides
// ran over every record.
func TestLinkageHarness(t *testing.T) {
	testutil.EachEngine(t, func(t *testing.T, eng store.Engine) {
		url := ""
		if eng == store.Postgres {
			url = testutil.PostgresURL(t)
		}
		res, err := Linkage(context.Background(), url, 3000, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Engine != string(eng) || res.Records != 3000 || res.FileBytes != 3002*242 || res.BaselineRPS <= 0 || res.ImportRPS <= 0 ||
			res.ParseCheckRPS <= 0 || res.Ratio != res.ImportRPS/res.BaselineRPS || (eng == store.Postgres) != (res.Role != "") ||
			res.BaselineDifferencesSeconds <= 0 || res.BaselineResidentsSeconds <= 0 ||
			res.BaselineSeconds != res.BaselineDifferencesSeconds+res.BaselineResidentsSeconds ||
			res.RatioDifferencesOnly != res.BaselineDifferencesSeconds/res.ImportSeconds {
			t.Fatalf("result = %+v", res)
		}
		// The baseline wrote what the import wrote: every record into its
		// differences table, a resident for each into its residents table.
		if res.BaselineRows["records"] != 3000 || res.BaselineRows["residents"] != 3000 || res.Layout != "resident-differences" || res.PeakLiveHeapMiB <= 0 {
			t.Fatalf("baseline rows = %v (%+v)", res.BaselineRows, res)
		}
		// A new municipality's initial load, against its own baseline:
		// the records into a copy of linkage_resident_initial, the
		// residents into a copy of residents.
		res, err = LinkageOf(context.Background(), url, "resident-initial-load", 2000, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Layout != "resident-initial-load" || res.Records != 2000 || res.BaselineRows["records"] != 2000 || res.BaselineRows["residents"] != 2000 ||
			res.ImportRPS <= 0 || res.Ratio != res.ImportRPS/res.BaselineRPS || res.Phases["apply"] <= 0 {
			t.Fatalf("initial load: %+v", res)
		}
	})
	if _, err := LinkageOf(context.Background(), "", "nhi-household-continuity", 10, nil); err == nil {
		t.Fatal("a layout the bench cannot make was accepted")
	}
	if _, err := Linkage(context.Background(), "", 0, nil); err == nil {
		t.Fatal("zero records accepted")
	}
}
