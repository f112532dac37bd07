package web

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

	"bango/internal/nhi"
	"bango/internal/testutil"
)

// R-NHI-4, R-ACC-1, R-AC-6: a rate table entered through the API waits
// for a checker and is refused by field when wrong; the estimate form and
// its API compute with the confirmed table and store nothing; a wrong age
// is marked on its field; a household's assessments page shows its
// assessment and links the decision notice, whose print view names the
// head and the figures; another municipality's notice is not found.
func TestNHIAssessPages(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		f.nhiPeople(t)
		clerk, csrf := f.staffClient(t, "nhi.clerk", "131041", "医療保険年金課", [2]string{"nhi-clerk", "131041"})
		checker, _ := f.staffClient(t, "nhi.checker", "131041", "医療保険年金課", [2]string{"nhi-checker", "131041"})
		sapporo, _ := f.staffClient(t, "sapporo.clerk", "011002", "保険年金課", [2]string{"nhi-clerk", "011002"})
		table, err := os.ReadFile("../nhi/assess/testdata/rates-2026.json")
		if err != nil {
			t.Fatal(err)
		}

		// Without a confirmed table the estimate is refused on the year.
		_, form := f.get(t, clerk, "/nhi/estimate")
		one := url.Values{"csrf": {csrfOf(t, form)}, "fiscal_year": {"2026"}, "m1_age": {"31"}, "m1_insured": {"on"}, "m1_salary_revenue": {"3000000"}}
		if res, b := f.post(t, clerk, "/nhi/estimate", one); res.StatusCode != http.StatusBadRequest || !strings.Contains(b, `id="fiscal_year-error"`) {
			t.Fatalf("an estimate without a rate table: %d\n%s", res.StatusCode, b)
		}
		// The table through the API: a negative rate refused by field,
		// then entered and confirmed by the checker.
		bad := strings.Replace(string(table), `"7"`, `"-7"`, 1)
		if st, out := f.apiCall(t, clerk, csrf, "POST", "/api/v1/nhi/rates", `{"fiscal_year":2026,"table":`+bad+`}`); st != http.StatusBadRequest ||
			!strings.Contains(fmt.Sprint(out), "parts.medical.income_rate") {
			t.Fatalf("a negative rate: %d %v", st, out)
		}
		if st, out := f.apiCall(t, clerk, csrf, "POST", "/api/v1/nhi/rates", `{"fiscal_year":2026,"table":`+string(table)+`}`); st != http.StatusAccepted {
			t.Fatalf("rate table: %d %v", st, out)
		}
		if st, out := f.apiCall(t, clerk, csrf, "GET", "/api/v1/nhi/rates?fiscal_year=2026", ""); st != http.StatusOK || len(out["versions"].([]any)) != 0 {
			t.Fatalf("an unconfirmed table is listed: %d %v", st, out)
		}
		f.confirmAllPages(t, checker)
		if st, out := f.apiCall(t, clerk, csrf, "GET", "/api/v1/nhi/rates?fiscal_year=2026", ""); st != http.StatusOK || len(out["versions"].([]any)) != 1 {
			t.Fatalf("rate tables: %d %v", st, out)
		}

		// One person, 給与 3,000,000 in 2025: 236,300 yen (the hand
		// calculation is in internal/nhi/assess's TestAssess).
		res, b := f.post(t, clerk, "/nhi/estimate", one)
		if res.StatusCode != http.StatusOK || !strings.Contains(b, `id="premium-total">236,300円`) || !strings.Contains(b, "医療分") {
			t.Fatalf("estimate: %d\n%s", res.StatusCode, b)
		}
		one.Set("m2_age", "200")
		if res, b := f.post(t, clerk, "/nhi/estimate", one); res.StatusCode != http.StatusBadRequest || !strings.Contains(b, `id="m2_age-error"`) ||
			!strings.Contains(b, "世帯員2の年齢") {
			t.Fatalf("an age of 200: %d\n%s", res.StatusCode, b)
		}
		st, out := f.apiCall(t, clerk, csrf, "POST", "/api/v1/nhi/estimate",
			`{"fiscal_year":2026,"household":{"members":[{"id":"a","head":true,"insured":true,"age":31,"salary_revenue":3000000}]}}`)
		if st != http.StatusOK || out["total"] != float64(236300) {
			t.Fatalf("API estimate: %d %v", st, out)
		}
		if st, _ := f.apiCall(t, clerk, csrf, "POST", "/api/v1/nhi/estimate", `{"fiscal_year":2026,"household":{"members":[],"extra":1}}`); st != http.StatusBadRequest {
			t.Errorf("an unknown field: %d", st)
		}

		// A household assessed: its page, its notice. 国保一郎 (born 1975,
		// 51: 介護分) with 給与 3,000,000: base 1,590,000; 医療 171,300,
		// 支援 57,700, 介護 23,850 + 15,000 + 5,000 = 43,850 → 43,800,
		// 子ども 7,300: 280,100 yen.
		hh := f.nhiInsure(t, "131041", nhi.AcquisitionInput{ResidentCode: "300001", AcquiredOn: "2025-04-01", Reason: nhi.AcquireMoveIn,
			NotifiedOn: "2025-04-01", NewKigo: "07", NewHead: "300001", Number: "5001", Branch: "01"})
		if st, out := f.apiCall(t, clerk, csrf, "POST", "/api/v1/nhi/revenues", `{"resident_code":"300001","income_year":"2025","salary_revenue":"-1","pension_revenue":"0","other_income":"0"}`); st != http.StatusBadRequest ||
			!strings.Contains(fmt.Sprint(out), "salary_revenue") {
			t.Fatalf("a negative revenue: %d %v", st, out)
		}
		if st, out := f.apiCall(t, clerk, csrf, "POST", "/api/v1/nhi/revenues", `{"resident_code":"300001","income_year":"2025","salary_revenue":"3000000","pension_revenue":"0","other_income":"0"}`); st != http.StatusCreated {
			t.Fatalf("revenue: %d %v", st, out)
		}
		if r, err := f.assess.Assess(testutil.As("setup"), "131041", 2026, nil); err != nil || r.Assessed != 1 {
			t.Fatalf("assess: %+v %v", r, err)
		}
		id := strconv.FormatInt(hh, 10)
		res, b = f.get(t, clerk, "/nhi/households/"+id+"/assessments")
		notice := regexpAll(`href="/nhi/assessments/(\d+)/notice"`, b)
		if res.StatusCode != http.StatusOK || len(notice) != 1 || !strings.Contains(b, `id="premium-total">280,100円`) {
			t.Fatalf("assessments page: %d\n%s", res.StatusCode, b)
		}
		res, b = f.get(t, clerk, "/nhi/assessments/"+notice[0]+"/notice")
		if res.StatusCode != http.StatusOK || !strings.Contains(b, `id="notice-name">国保　一郎`) || !strings.Contains(b, "東京都新宿区西新宿二丁目8番1号") ||
			!strings.Contains(b, "決定通知書") || !strings.Contains(b, `id="premium-total">280,100円`) || !strings.Contains(b, "/static/print.css") {
			t.Fatalf("notice: %d\n%s", res.StatusCode, b)
		}
		if res, _ := f.get(t, sapporo, "/nhi/assessments/"+notice[0]+"/notice"); res.StatusCode != http.StatusNotFound {
			t.Errorf("Sapporo reads Shinjuku's notice: %d", res.StatusCode)
		}
		if st, out := f.apiCall(t, clerk, csrf, "GET", "/api/v1/nhi/households/"+id+"/assessments", ""); st != http.StatusOK || len(out["assessments"].([]any)) != 1 {
			t.Errorf("API assessments: %d %v", st, out)
		}
	})
}
