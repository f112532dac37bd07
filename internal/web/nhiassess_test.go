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
		admin, adminCSRF := f.staffClient(t, "nhi.admin", "131041", "医療保険年金課", [2]string{"nhi-admin", "131041"})
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
		// Rate tables are the NHI administrator's (nhi.admin): a clerk's
		// entry is refused (R-NHI-4, R-AC-1).
		if st, _ := f.apiCall(t, clerk, csrf, "POST", "/api/v1/nhi/rates", `{"fiscal_year":2026,"table":`+string(table)+`}`); st != http.StatusForbidden {
			t.Errorf("a clerk entered a rate table: %d", st)
		}
		if st, out := f.apiCall(t, admin, adminCSRF, "POST", "/api/v1/nhi/rates", `{"fiscal_year":2026,"table":`+bad+`}`); st != http.StatusBadRequest ||
			!strings.Contains(fmt.Sprint(out), "parts.medical.income_rate") {
			t.Fatalf("a negative rate: %d %v", st, out)
		}
		if st, out := f.apiCall(t, admin, adminCSRF, "POST", "/api/v1/nhi/rates", `{"fiscal_year":2026,"table":`+string(table)+`}`); st != http.StatusAccepted {
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
		// The screen takes an expected birth (産前産後, R-NHI-4): a person of
		// 31 without income expecting in August 2026, 24,100 yen without it
		// and 18,700 with July–October exempt (the hand calculation is in
		// internal/nhi/assess's TestDerivedFromHistory); a month that is not
		// one is refused on its input.
		birth := url.Values{"csrf": one["csrf"], "fiscal_year": {"2026"}, "m1_age": {"31"}, "m1_insured": {"on"}}
		if res, b := f.post(t, clerk, "/nhi/estimate", birth); res.StatusCode != http.StatusOK || !strings.Contains(b, `id="premium-total">24,100円`) {
			t.Fatalf("estimate without the birth: %d\n%s", res.StatusCode, b)
		}
		birth.Set("m1_birth_month", "2026-08")
		if res, b := f.post(t, clerk, "/nhi/estimate", birth); res.StatusCode != http.StatusOK || !strings.Contains(b, `id="premium-total">18,700円`) {
			t.Fatalf("estimate with the birth: %d\n%s", res.StatusCode, b)
		}
		birth.Set("m1_birth_month", "2026-8")
		if res, b := f.post(t, clerk, "/nhi/estimate", birth); res.StatusCode != http.StatusBadRequest || !strings.Contains(b, `id="m1_birth_month-error"`) {
			t.Fatalf("a birth month that is not one: %d\n%s", res.StatusCode, b)
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
		if res.StatusCode != http.StatusOK || !strings.Contains(b, `class="notice-name">国保　一郎`) || !strings.Contains(b, "東京都新宿区西新宿二丁目8番1号") ||
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

// R-NHI-4, R-ACC-1, R-AC-6: the rate table typed part by part into the
// screen waits in the review queue and holds once the checker confirms it,
// a wrong figure refused on its input with nothing queued; the revenue
// screen records a person's revenue (a negative one refused on its input,
// nothing written); and a fiscal year's decision notices print as one
// view, a household a page, another municipality seeing none of them.
func TestNHIAssessEntryScreens(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		f.nhiPeople(t)
		clerk, _ := f.staffClient(t, "nhi.clerk", "131041", "医療保険年金課", [2]string{"nhi-clerk", "131041"})
		checker, _ := f.staffClient(t, "nhi.checker", "131041", "医療保険年金課", [2]string{"nhi-checker", "131041"})
		sapporo, _ := f.staffClient(t, "sapporo.clerk", "011002", "保険年金課", [2]string{"nhi-clerk", "011002"})
		admin, _ := f.staffClient(t, "nhi.admin", "131041", "医療保険年金課", [2]string{"nhi-admin", "131041"})

		// Rate tables are the NHI administrator's (nhi.admin) to enter: a
		// clerk sees the tables and who enters them, not the form (R-NHI-4).
		if _, page := f.get(t, clerk, "/nhi/rates"); strings.Contains(page, `id="rates-form"`) || !strings.Contains(page, `id="rates-admin-only"`) {
			t.Errorf("the clerk is offered the rate-table form:\n%s", page)
		}
		res, page := f.get(t, admin, "/nhi/rates")
		if res.StatusCode != http.StatusOK || !strings.Contains(page, `id="rates-none"`) || !strings.Contains(page, `name="child_adult_surcharge"`) {
			t.Fatalf("rates page: %d\n%s", res.StatusCode, page)
		}
		// The figures of testdata/rates-2026.json, typed into the form.
		form := url.Values{"csrf": {csrfOf(t, page)}, "fiscal_year": {"2026"}, "version": {"2026-1"}, "source": {"試験用の料率"},
			"instalment_months": {"7,8,9,10,11,12,1,2"}, "instalment_unit": {"100"}}
		for part, v := range map[string][5]string{"medical": {"7", "40000", "20000", "650000", "100"}, "support": {"2.5", "12000", "6000", "240000", "100"},
			"care": {"1.5", "15000", "5000", "170000", "100"}, "child": {"0.3", "1800", "700", "30000", "100"}} {
			for i, k := range []string{"income_rate", "per_capita", "per_household", "cap", "rounding"} {
				form.Set(part+"_"+k, v[i])
			}
		}
		form.Set("child_adult_surcharge", "100")
		queued := func() int {
			_, q := f.get(t, checker, "/review?all=1")
			ids := map[string]bool{}
			for _, id := range regexpAll(`href="/review/(\d+)"`, q) {
				ids[id] = true
			}
			return len(ids)
		}
		// A negative rate, a cap over the statutory one and a missing part are
		// each refused on their input; nothing waits for the checker.
		bad := url.Values{}
		for k, v := range form {
			bad[k] = v
		}
		bad.Set("medical_income_rate", "-7")
		bad.Set("support_cap", "999999")
		for _, k := range ratePartFields {
			bad.Del("care_" + k)
		}
		res, b := f.post(t, admin, "/nhi/rates", bad)
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(b, `id="medical_income_rate-error"`) || !strings.Contains(b, `id="support_cap-error"`) ||
			!strings.Contains(b, `id="care_income_rate-error"`) || !strings.Contains(b, "医療分の所得割率") {
			t.Fatalf("a wrong table: %d\n%s", res.StatusCode, b)
		}
		bad.Set("medical_income_rate", "7")
		bad.Set("support_cap", "x")
		if res, b := f.post(t, admin, "/nhi/rates", bad); res.StatusCode != http.StatusBadRequest || !strings.Contains(b, `id="support_cap-error"`) {
			t.Fatalf("a cap that is not a number: %d\n%s", res.StatusCode, b)
		}
		if n := queued(); n != 0 {
			t.Fatalf("a refused table was queued (%d)", n)
		}
		// Neither the checker nor a clerk may enter one (nhi.admin).
		if res, _ := f.post(t, checker, "/nhi/rates", form); res.StatusCode != http.StatusForbidden {
			t.Errorf("the checker entered a table: %d", res.StatusCode)
		}
		if res, _ := f.post(t, clerk, "/nhi/rates", form); res.StatusCode != http.StatusForbidden {
			t.Errorf("a clerk entered a table: %d", res.StatusCode)
		}
		res, b = f.post(t, admin, "/nhi/rates", form)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/nhi/rates?done=submitted" || queued() != 1 {
			t.Fatalf("rate table: %d %q\n%s", res.StatusCode, res.Header.Get("Location"), b)
		}
		if _, b := f.get(t, admin, "/nhi/rates?done=submitted"); !strings.Contains(b, "確認待ちに登録しました") {
			t.Errorf("no notice of the table submitted:\n%s", b)
		}
		if _, b := f.get(t, clerk, "/nhi/rates"); !strings.Contains(b, `id="rates-none"`) {
			t.Fatalf("an unconfirmed table is shown as confirmed:\n%s", b)
		}
		f.confirmAllPages(t, checker)
		if _, b := f.get(t, checker, "/nhi/rates"); strings.Contains(b, `id="rates-none"`) || !strings.Contains(b, "2026年度 第1版（2026-1）") || !strings.Contains(b, "650000") {
			t.Fatalf("the confirmed table:\n%s", b)
		}

		// Revenue through the screen.
		hh := f.nhiInsure(t, "131041", nhi.AcquisitionInput{ResidentCode: "300001", AcquiredOn: "2025-04-01", Reason: nhi.AcquireMoveIn,
			NotifiedOn: "2025-04-01", NewKigo: "07", NewHead: "300001", Number: "5001", Branch: "01"})
		_, page = f.get(t, clerk, "/nhi/revenues")
		rev := url.Values{"csrf": {csrfOf(t, page)}, "resident_code": {"300001"}, "income_year": {"2025"}, "salary_revenue": {"-1"}, "pension_revenue": {"0"}, "other_income": {"0"}}
		if res, b := f.post(t, clerk, "/nhi/revenues", rev); res.StatusCode != http.StatusBadRequest || !strings.Contains(b, `id="salary_revenue-error"`) {
			t.Fatalf("a negative revenue: %d\n%s", res.StatusCode, b)
		}
		// The refused revenue was not written: the run assesses him as
		// undeclared (未申告), and his notice says why there is no reduction.
		if r, err := f.assess.Assess(testutil.As("setup"), "131041", 2026, nil); err != nil || r.Assessed != 1 || len(r.Undeclared) != 1 {
			t.Fatalf("the refused revenue was written: %+v %v", r, err)
		}
		if _, b := f.get(t, clerk, "/nhi/notices?fiscal_year=2026"); !strings.Contains(b, `id="premium-undeclared"`) || !strings.Contains(b, "所得の申告がない") {
			t.Errorf("the undeclared notice does not say why:\n%s", b)
		}
		rev.Set("salary_revenue", "3,000,000")
		if res, b := f.post(t, clerk, "/nhi/revenues", rev); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/nhi/revenues?done=recorded" {
			t.Fatalf("revenue: %d\n%s", res.StatusCode, b)
		}
		if _, b := f.get(t, clerk, "/nhi/revenues?done=recorded"); !strings.Contains(b, "収入を登録しました") {
			t.Errorf("no notice of the revenue recorded:\n%s", b)
		}
		// 国保一郎 (51, 給与 3,000,000): 280,100 yen, as in TestNHIAssessPages.
		if r, err := f.assess.Assess(testutil.As("setup"), "131041", 2026, nil); err != nil || r.Reassessed != 1 || r.Total != 280100 || len(r.Undeclared) != 0 {
			t.Fatalf("assess: %+v %v", r, err)
		}

		// The year's notices in one print view.
		res, b = f.get(t, clerk, "/nhi/notices?fiscal_year=2026")
		if res.StatusCode != http.StatusOK || strings.Count(b, `<article class="nhi-notice"`) != 1 || !strings.Contains(b, `class="notice-name">国保　一郎`) ||
			!strings.Contains(b, `id="premium-total">280,100円`) || !strings.Contains(b, "/static/print.css") || !strings.Contains(b, "世帯番号 "+strconv.FormatInt(hh, 10)) {
			t.Fatalf("notices: %d\n%s", res.StatusCode, b)
		}
		if res, _ := f.get(t, clerk, "/nhi/notices?fiscal_year=2026&page=2"); res.StatusCode != http.StatusBadRequest {
			t.Errorf("a page past the last: %d", res.StatusCode)
		}
		if res, _ := f.get(t, clerk, "/nhi/notices?fiscal_year=abc"); res.StatusCode != http.StatusBadRequest {
			t.Errorf("a fiscal year that is not a number: %d", res.StatusCode)
		}
		if res, b := f.get(t, sapporo, "/nhi/notices?fiscal_year=2026"); res.StatusCode != http.StatusOK || strings.Contains(b, "国保　一郎") || !strings.Contains(b, `id="notices-none"`) {
			t.Errorf("Sapporo's notices: %d\n%s", res.StatusCode, b)
		}
	})
}
