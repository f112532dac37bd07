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

// R-NHI-4 (減免), R-ACC-1: a clerk enters a household's application for
// 減免 on the page (a wrong month refused on its input, nothing queued) or
// through the API (an unknown field refused); the checker confirms it in
// the review queue; the household is re-assessed at once, the page lists
// the decision and the notice shows the remission and the new total.
func TestNHIRemissionPages(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		f.nhiPeople(t)
		clerk, csrf := f.staffClient(t, "nhi.clerk", "131041", "医療保険年金課", [2]string{"nhi-clerk", "131041"})
		checker, _ := f.staffClient(t, "nhi.checker", "131041", "医療保険年金課", [2]string{"nhi-checker", "131041"})
		table, err := os.ReadFile("../nhi/assess/testdata/rates-2026.json")
		if err != nil {
			t.Fatal(err)
		}
		admin, adminCSRF := f.staffClient(t, "nhi.admin", "131041", "医療保険年金課", [2]string{"nhi-admin", "131041"})
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
		// 国保一郎 (51, 給与 3,000,000): 280,100 yen (TestNHIAssessPages).
		if r, err := f.assess.Assess(testutil.As("setup"), "131041", 2026, nil); err != nil || r.Total != 280100 {
			t.Fatalf("assess: %+v %v", r, err)
		}

		res, page := f.get(t, clerk, "/nhi/remissions")
		if res.StatusCode != http.StatusOK || !strings.Contains(page, `<option value="disaster"`) || !strings.Contains(page, `id="remissions-none"`) {
			t.Fatalf("remissions page: %d\n%s", res.StatusCode, page)
		}
		form := url.Values{"csrf": {csrfOf(t, page)}, "household": {fmt.Sprint(hh)}, "fiscal_year": {"2026"}, "reason": {"disaster"},
			"from_month": {"2026-10"}, "to_month": {"2026-09"}, "note": {"り災証明書"}}
		if res, b := f.post(t, clerk, "/nhi/remissions", form); res.StatusCode != http.StatusBadRequest || !strings.Contains(b, `id="to_month-error"`) ||
			!strings.Contains(b, "開始月以降") {
			t.Fatalf("months reversed: %d\n%s", res.StatusCode, b)
		}
		if st, _ := f.apiCall(t, clerk, csrf, "POST", "/api/v1/nhi/remissions", `{"household":1,"fiscal_year":2026,"reason":"disaster","percent":100}`); st != http.StatusBadRequest {
			t.Errorf("an unknown field: %d", st)
		}
		if st, out := f.apiCall(t, clerk, csrf, "GET", "/api/v1/nhi/remissions", ""); st != http.StatusOK || len(out["remissions"].([]any)) != 0 {
			t.Fatalf("a refused application was decided: %d %v", st, out)
		}
		// The checker may not enter one (nhi.write).
		if res, _ := f.post(t, checker, "/nhi/remissions", form); res.StatusCode != http.StatusForbidden {
			t.Errorf("the checker entered an application: %d", res.StatusCode)
		}
		form.Set("to_month", "2027-03")
		if res, b := f.post(t, clerk, "/nhi/remissions", form); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/nhi/remissions?done=submitted" {
			t.Fatalf("application: %d\n%s", res.StatusCode, b)
		}
		if _, b := f.get(t, clerk, "/nhi/remissions?done=submitted"); !strings.Contains(b, "確認待ちに登録しました") || !strings.Contains(b, `id="remissions-none"`) {
			t.Errorf("before confirmation:\n%s", b)
		}
		f.confirmAllPages(t, checker)
		// 災害 50% for October to March (6 of 12 months: 25% of each
		// part): 医療 171,300 → 128,475 → 128,400; 支援 57,700 → 43,275 →
		// 43,200; 介護 43,800 → 32,850 → 32,800; 子ども 7,300 → 5,475 →
		// 5,400. 209,800 yen, difference −70,300.
		st, out := f.apiCall(t, clerk, csrf, "GET", fmt.Sprintf("/api/v1/nhi/remissions?fiscal_year=2026&household=%d", hh), "")
		list, _ := out["remissions"].([]any)
		if st != http.StatusOK || len(list) != 1 {
			t.Fatalf("decisions: %d %v", st, out)
		}
		d := list[0].(map[string]any)
		if d["entered_by"] != "nhi.clerk" || d["decided_by"] != "nhi.checker" || d["assessment"] == float64(0) {
			t.Errorf("decision: %v", d)
		}
		_, b := f.get(t, clerk, "/nhi/remissions")
		if strings.Contains(b, `id="remissions-none"`) || !strings.Contains(b, "2026-10 – 2027-03") || !strings.Contains(b, "保険料の 50%") {
			t.Errorf("the decision is not listed:\n%s", b)
		}
		_, b = f.get(t, clerk, fmt.Sprintf("/nhi/assessments/%v/notice", d["assessment"]))
		if !strings.Contains(b, `id="premium-total">209,800円`) || !strings.Contains(b, `id="premium-remission"`) || !strings.Contains(b, "70,300円") ||
			!strings.Contains(b, "減免前の年額 280,100円") {
			t.Errorf("the notice after 減免:\n%s", b)
		}
	})
}

// R-NHI-4 (産前産後): a birth notice entered on the page (a month that is
// not one refused on its input) or through the API (an unknown field
// refused); the checker (nhi.read only) may not enter one.
func TestNHIBirthNotice(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		f.nhiPeople(t)
		clerk, csrf := f.staffClient(t, "nhi.clerk", "131041", "医療保険年金課", [2]string{"nhi-clerk", "131041"})
		checker, _ := f.staffClient(t, "nhi.checker", "131041", "医療保険年金課", [2]string{"nhi-checker", "131041"})
		res, page := f.get(t, clerk, "/nhi/births")
		if res.StatusCode != http.StatusOK || !strings.Contains(page, `name="birth_month"`) {
			t.Fatalf("births page: %d\n%s", res.StatusCode, page)
		}
		form := url.Values{"csrf": {csrfOf(t, page)}, "resident_code": {"300001"}, "kind": {"expected"}, "birth_month": {"2026/08"}, "notified_on": {"2026-06-01"}}
		if res, b := f.post(t, clerk, "/nhi/births", form); res.StatusCode != http.StatusBadRequest || !strings.Contains(b, `id="birth_month-error"`) {
			t.Fatalf("a wrong month: %d\n%s", res.StatusCode, b)
		}
		if res, _ := f.post(t, checker, "/nhi/births", form); res.StatusCode != http.StatusForbidden {
			t.Errorf("the checker entered a birth: %d", res.StatusCode)
		}
		form.Set("birth_month", "2026-08")
		if res, b := f.post(t, clerk, "/nhi/births", form); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/nhi/births?done=recorded" {
			t.Fatalf("birth: %d\n%s", res.StatusCode, b)
		}
		if st, _ := f.apiCall(t, clerk, csrf, "POST", "/api/v1/nhi/births", `{"resident_code":"300001","kind":"actual","birth_month":"2026-08","notified_on":"2026-09-01","twins":true}`); st != http.StatusBadRequest {
			t.Errorf("an unknown field: %d", st)
		}
		if st, out := f.apiCall(t, clerk, csrf, "POST", "/api/v1/nhi/births", `{"resident_code":"300001","kind":"actual","birth_month":"2026-08","multiple":true,"notified_on":"2026-09-01"}`); st != http.StatusCreated {
			t.Errorf("API birth: %d %v", st, out)
		}
		if got := testutil.Outcomes(t, f.db, "nhi.birth"); len(got) != 3 {
			t.Errorf("birth events: %v", got)
		}
	})
}

// R-NHI-4 (特別徴収): a pension insurer's notice through the API, an
// unknown field refused (the run's use of it: TestSpecialCollectionRun in
// internal/nhi/assess).
func TestNHIPensionNotice(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		f.nhiPeople(t)
		clerk, csrf := f.staffClient(t, "nhi.clerk", "131041", "医療保険年金課", [2]string{"nhi-clerk", "131041"})
		if st, _ := f.apiCall(t, clerk, csrf, "POST", "/api/v1/nhi/pension-notices", `{"resident_code":"300001","fiscal_year":2026,"annual":1200000,"care":1}`); st != http.StatusBadRequest {
			t.Errorf("an unknown field: %d", st)
		}
		if st, out := f.apiCall(t, clerk, csrf, "POST", "/api/v1/nhi/pension-notices", `{"resident_code":"300001","fiscal_year":2026,"annual":1200000,"care_premium":70000,"care_special":true}`); st != http.StatusCreated {
			t.Errorf("notice: %d %v", st, out)
		}
		if got := testutil.Outcomes(t, f.db, "nhi.pension_notice"); len(got) != 1 {
			t.Errorf("notice events: %v", got)
		}
	})
}
