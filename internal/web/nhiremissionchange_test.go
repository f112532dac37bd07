package web

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"bango/internal/nhi"
	"bango/internal/testutil"
)

// R-NHI-4 (減免), R-ACC-1: a decided 減免 is corrected on its page (a wrong
// month and a missing reason refused on their inputs, nothing queued; the
// checker, who may not write, sees no form and is refused) and withdrawn
// through the API (an unknown field refused); each waits for the checker,
// whose confirmation re-assesses the household: the pages and the API show
// the decision corrected, the corrected one in force and then withdrawn,
// each with its re-assessment and difference. Another municipality's
// decision is not found.
func TestNHIRemissionChangePages(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		f.nhiPeople(t)
		clerk, csrf := f.staffClient(t, "nhi.clerk", "131041", "医療保険年金課", [2]string{"nhi-clerk", "131041"})
		checker, checkerCSRF := f.staffClient(t, "nhi.checker", "131041", "医療保険年金課", [2]string{"nhi-checker", "131041"})
		admin, adminCSRF := f.staffClient(t, "nhi.admin", "131041", "医療保険年金課", [2]string{"nhi-admin", "131041"})
		other, otherCSRF := f.staffClient(t, "sapporo.clerk", "011002", "保険年金課", [2]string{"nhi-clerk", "011002"})
		table, err := os.ReadFile("../nhi/assess/testdata/rates-2026.json")
		if err != nil {
			t.Fatal(err)
		}
		withRules := strings.Replace(string(table), `"instalments"`, `"remissions": [{"code": "disaster", "name_ja": "災害", "name_en": "disaster",
			"from": "2026-04-01", "basis": "premium", "percent": 50}], "instalments"`, 1)
		if st, out := f.apiCall(t, admin, adminCSRF, "POST", "/api/v1/nhi/rates", `{"fiscal_year":2026,"table":`+withRules+`}`); st != http.StatusAccepted {
			t.Fatalf("rate table: %d %v", st, out)
		}
		f.confirmAllPages(t, checker)
		hh := f.nhiInsure(t, "131041", nhi.AcquisitionInput{ResidentCode: "300001", AcquiredOn: "2025-04-01", Reason: nhi.AcquireMoveIn,
			NotifiedOn: "2025-04-01", NewKigo: "07", NewHead: "300001", Number: "5001", Branch: "01"})
		if st, out := f.apiCall(t, clerk, csrf, "POST", "/api/v1/nhi/revenues", `{"resident_code":"300001","income_year":"2025","salary_revenue":"3000000","pension_revenue":"0","other_income":"0"}`); st != http.StatusCreated {
			t.Fatalf("revenue: %d %v", st, out)
		}
		if r, err := f.assess.Assess(testutil.As("setup"), "131041", 2026, nil); err != nil || r.Total != 280100 {
			t.Fatalf("assess: %+v %v", r, err)
		}
		// TestNHIRemissionPages's decision: 災害 50% October to March,
		// 280,100 → 209,800 yen.
		if st, out := f.apiCall(t, clerk, csrf, "POST", "/api/v1/nhi/remissions", fmt.Sprintf(`{"household":%d,"fiscal_year":2026,"reason":"disaster","from_month":"2026-10","to_month":"2027-03","note":"り災証明書"}`, hh)); st != http.StatusAccepted {
			t.Fatalf("remission: %d %v", st, out)
		}
		f.confirmAllPages(t, checker)
		_, out := f.apiCall(t, clerk, csrf, "GET", "/api/v1/nhi/remissions", "")
		list, _ := out["remissions"].([]any)
		if len(list) != 1 {
			t.Fatalf("decisions: %v", out)
		}
		id := fmt.Sprint(list[0].(map[string]any)["id"])
		path := "/nhi/remissions/" + id

		// The checker reads the page without the form, and may not post it.
		res, page := f.get(t, checker, path)
		if res.StatusCode != http.StatusOK || strings.Contains(page, `id="remission-change-form"`) || !strings.Contains(page, `id="remission-status">有効`) ||
			!strings.Contains(page, "209,800円") || !strings.Contains(page, "-70,300円") {
			t.Fatalf("the checker's page: %d\n%s", res.StatusCode, page)
		}
		if res, _ := f.post(t, checker, path+"/change", url.Values{"csrf": {checkerCSRF}, "action": {"withdraw"}, "why": {"x"}}); res.StatusCode != http.StatusForbidden {
			t.Errorf("the checker entered a change: %d", res.StatusCode)
		}
		res, page = f.get(t, clerk, path)
		if res.StatusCode != http.StatusOK || !strings.Contains(page, `id="remission-change-form"`) || !strings.Contains(page, `value="2026-10"`) {
			t.Fatalf("the clerk's page: %d\n%s", res.StatusCode, page)
		}
		form := url.Values{"csrf": {csrfOf(t, page)}, "action": {"correct"}, "why": {"り災の期間の誤り"}, "reason": {"disaster"},
			"from_month": {"2027-01"}, "to_month": {"2026-12"}, "note": {"り災証明書"}}
		if res, b := f.post(t, clerk, path+"/change", form); res.StatusCode != http.StatusBadRequest || !strings.Contains(b, `id="to_month-error"`) {
			t.Fatalf("months reversed: %d\n%s", res.StatusCode, b)
		}
		form.Set("to_month", "2027-03")
		form.Set("why", "")
		if res, b := f.post(t, clerk, path+"/change", form); res.StatusCode != http.StatusBadRequest || !strings.Contains(b, `id="why-error"`) {
			t.Fatalf("no reason for the change: %d\n%s", res.StatusCode, b)
		}
		if res, _ := f.get(t, other, path); res.StatusCode != http.StatusNotFound {
			t.Errorf("another municipality's clerk read the decision: %d", res.StatusCode)
		}
		if st, _ := f.apiCall(t, other, otherCSRF, "POST", "/api/v1/nhi/remissions/"+id+"/change", `{"action":"withdraw","why":"x"}`); st != http.StatusNotFound {
			t.Errorf("another municipality's clerk changed the decision: %d", st)
		}
		if _, queue := f.get(t, checker, "/review?all=1"); strings.Contains(queue, "の訂正") || strings.Contains(queue, "の取消") {
			t.Fatalf("a refused change was queued:\n%s", queue)
		}
		form.Set("why", "り災の期間の誤り")
		if res, b := f.post(t, clerk, path+"/change", form); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != path+"?done=submitted" {
			t.Fatalf("correction: %d\n%s", res.StatusCode, b)
		}
		if _, b := f.get(t, clerk, path+"?done=submitted"); !strings.Contains(b, "確認待ちに登録しました") || !strings.Contains(b, `id="remission-status">有効`) {
			t.Errorf("before confirmation:\n%s", b)
		}
		f.confirmAllPages(t, checker)
		// Corrected to January–March (3 of 12 months, 12.5% of each part):
		// 医療 171,300 − 21,412 → 149,800; 支援 57,700 − 7,212 → 50,400;
		// 介護 43,800 − 5,475 → 38,300; 子ども 7,300 − 912 → 6,300.
		// 244,800 yen: +35,000.
		_, b := f.get(t, clerk, path)
		if !strings.Contains(b, `id="remission-status">訂正済み`) || !strings.Contains(b, "り災の期間の誤り") || strings.Contains(b, `id="remission-change-form"`) ||
			!strings.Contains(b, `id="remission-corrected-by"`) {
			t.Fatalf("the decision corrected:\n%s", b)
		}
		st, d := f.apiCall(t, clerk, csrf, "GET", "/api/v1/nhi/remissions/"+id, "")
		ended, _ := d["ended"].(map[string]any)
		if st != http.StatusOK || d["status"] != "corrected" || ended == nil || ended["entered_by"] != "nhi.clerk" || ended["by"] != "nhi.checker" {
			t.Fatalf("the decision corrected (API): %d %v", st, d)
		}
		newID := fmt.Sprint(ended["corrected_by"])
		st, d = f.apiCall(t, clerk, csrf, "GET", "/api/v1/nhi/remissions/"+newID, "")
		if st != http.StatusOK || d["status"] != "in_force" || d["total"] != float64(244800) || d["difference"] != float64(35000) || d["from_month"] != "2027-01" ||
			fmt.Sprint(d["corrects"]) != id {
			t.Fatalf("the corrected decision: %d %v", st, d)
		}

		// Withdrawn through the API: back to 280,100 yen, +35,300.
		if st, _ := f.apiCall(t, clerk, csrf, "POST", "/api/v1/nhi/remissions/"+newID+"/change", `{"action":"withdraw","why":"申請の取下げ","percent":0}`); st != http.StatusBadRequest {
			t.Errorf("an unknown field: %d", st)
		}
		if st, out := f.apiCall(t, clerk, csrf, "POST", "/api/v1/nhi/remissions/"+newID+"/change", `{"action":"withdraw","why":"申請の取下げ"}`); st != http.StatusAccepted {
			t.Fatalf("withdrawal: %d %v", st, out)
		}
		f.confirmAllPages(t, checker)
		st, d = f.apiCall(t, clerk, csrf, "GET", "/api/v1/nhi/remissions/"+newID, "")
		ended, _ = d["ended"].(map[string]any)
		if st != http.StatusOK || d["status"] != "withdrawn" || ended == nil || ended["total"] != float64(280100) || ended["difference"] != float64(35300) {
			t.Fatalf("the withdrawn decision: %d %v", st, d)
		}
		_, b = f.get(t, clerk, "/nhi/remissions")
		if !strings.Contains(b, `id="remission-`+newID+`-status">取消済み`) || !strings.Contains(b, `id="remission-`+id+`-status">訂正済み`) {
			t.Errorf("the list:\n%s", b)
		}
		_, b = f.get(t, clerk, "/nhi/remissions/"+newID)
		if !strings.Contains(b, `id="remission-end-reassessed"`) || !strings.Contains(b, "280,100円") || !strings.Contains(b, "（&#43;35,300円）") {
			t.Errorf("the withdrawn decision's page:\n%s", b)
		}
		if got := testutil.Outcomes(t, f.db, "nhi.remission.change.propose"); len(got) != 3 {
			t.Errorf("refused changes recorded: %v", got)
		}
	})
}
