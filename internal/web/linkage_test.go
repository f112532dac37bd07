package web

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"bango/internal/linkage"
	"bango/internal/testutil"
)

// R-NHI-8, R-LNK-1: the NHI section lists the reports the aggregation
// system distributed and opens one, the opening recorded and shown with
// who opened it; the work lists of judgements and moves show (empty, in
// Japanese); the linkage jobs' history is the linkage staff's page; the
// API answers the same lists.
func TestLinkagePages(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		if _, err := f.linkage.AddPartner(testutil.As("is-admin"), linkage.Partner{Tenant: "131041", ID: "aggregation-in", Direction: linkage.Inbound,
			Layouts: []string{"nhi-distributed-reports"}}); err != nil {
			t.Fatal(err)
		}
		file, err := os.ReadFile("../linkage/testdata/nhi-distributed-reports.good.dat")
		if err != nil {
			t.Fatal(err)
		}
		job, _, err := f.linkage.Import(testutil.As("cli:operator"), linkage.ImportRequest{Tenant: "131041", Partner: "aggregation-in",
			Layout: "nhi-distributed-reports", Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(file)), nil }})
		if err != nil {
			t.Fatal(err)
		}
		clerk, _ := f.staffClient(t, "lclerk", "131041", "国民健康保険課", [2]string{"nhi-clerk", "131041"})
		res, page := f.get(t, clerk, "/linkage/reports")
		if res.StatusCode != http.StatusOK || !strings.Contains(page, "配信帳票") || !strings.Contains(page, "資格過誤一覧（R000000001）") {
			t.Fatalf("reports: %d\n%s", res.StatusCode, page)
		}
		res, page = f.get(t, clerk, "/linkage/reports/"+itoa(job.ID)+"/R000000001")
		if res.StatusCode != http.StatusOK || !strings.Contains(page, "取得日不一致") || !strings.Contains(page, "lclerk") {
			t.Fatalf("report: %d\n%s", res.StatusCode, page)
		}
		if res, _ := f.get(t, clerk, "/linkage/reports/"+itoa(job.ID)+"/R999"); res.StatusCode != http.StatusNotFound {
			t.Errorf("no such report: %d", res.StatusCode)
		}
		res, page = f.get(t, clerk, "/linkage/reports")
		if res.StatusCode != http.StatusOK || !strings.Contains(page, "lclerk") {
			t.Errorf("the list does not say who opened the report:\n%s", page)
		}
		for path, want := range map[string]string{"/linkage/continuity": "判定はありません", "/linkage/moves": "確認待ちの異動はありません"} {
			if res, page := f.get(t, clerk, path); res.StatusCode != http.StatusOK || !strings.Contains(page, want) {
				t.Errorf("%s: %d\n%s", path, res.StatusCode, page)
			}
		}
		if res, _ := f.get(t, clerk, "/linkage/jobs"); res.StatusCode != http.StatusForbidden {
			t.Errorf("the jobs' page for an NHI clerk: %d", res.StatusCode)
		}
		runner, _ := f.staffClient(t, "lrunner", "131041", "国民健康保険課", [2]string{"linkage", "131041"})
		res, page = f.get(t, runner, "/linkage/jobs")
		if res.StatusCode != http.StatusOK || !strings.Contains(page, "nhi-distributed-reports v1") || !strings.Contains(page, "取込済み") ||
			!strings.Contains(page, "linkage-schedules") {
			t.Fatalf("jobs: %d\n%s", res.StatusCode, page)
		}
		res, body := f.get(t, clerk, "/api/v1/linkage/reports")
		if res.StatusCode != http.StatusOK || !strings.Contains(body, `"report_no": "R000000002"`) || !strings.Contains(body, `"by": "lclerk"`) {
			t.Fatalf("API reports: %d %s", res.StatusCode, body)
		}
		if got := len(testutil.Outcomes(t, f.db, "linkage.report.open")); got != 2 {
			t.Errorf("%d openings recorded, want 2 (one refused)", got)
		}
	})
}
