package web

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"bango/internal/testutil"
)

// R-NHI-4 (特別徴収): staff enter pension insurers' notices on their page
// (an amount that is not one refused on its input, nothing recorded; an
// unknown resident refused) and list them by fiscal year, the latest of a
// person in force and the earlier marked superseded, also through the API;
// the checker (nhi.read) lists them without the form and may not post;
// another municipality sees none.
func TestNHIPensionNoticePages(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		f.nhiPeople(t)
		clerk, csrf := f.staffClient(t, "nhi.clerk", "131041", "医療保険年金課", [2]string{"nhi-clerk", "131041"})
		checker, checkerCSRF := f.staffClient(t, "nhi.checker", "131041", "医療保険年金課", [2]string{"nhi-checker", "131041"})
		other, otherCSRF := f.staffClient(t, "sapporo.clerk", "011002", "保険年金課", [2]string{"nhi-clerk", "011002"})
		res, page := f.get(t, clerk, "/nhi/pension-notices?fiscal_year=2026")
		if res.StatusCode != http.StatusOK || !strings.Contains(page, `id="pension-form"`) || !strings.Contains(page, `id="pensions-none"`) {
			t.Fatalf("pension page: %d\n%s", res.StatusCode, page)
		}
		form := url.Values{"csrf": {csrfOf(t, page)}, "resident_code": {"300001"}, "fiscal_year": {"2026"}, "annual": {"百二十万"}, "care_premium": {"70000"}, "care_special": {"on"}}
		if res, b := f.post(t, clerk, "/nhi/pension-notices", form); res.StatusCode != http.StatusBadRequest || !strings.Contains(b, `id="annual-error"`) {
			t.Fatalf("an amount that is not one: %d\n%s", res.StatusCode, b)
		}
		form.Set("annual", "1,200,000")
		form.Set("resident_code", "999999")
		if res, b := f.post(t, clerk, "/nhi/pension-notices", form); res.StatusCode != http.StatusBadRequest || !strings.Contains(b, `id="resident_code-error"`) {
			t.Fatalf("an unknown resident: %d\n%s", res.StatusCode, b)
		}
		if res, _ := f.post(t, checker, "/nhi/pension-notices", url.Values{"csrf": {checkerCSRF}, "resident_code": {"300001"}, "fiscal_year": {"2026"},
			"annual": {"1"}, "care_premium": {"0"}}); res.StatusCode != http.StatusForbidden {
			t.Errorf("the checker entered a notice: %d", res.StatusCode)
		}
		form.Set("resident_code", "300001")
		if res, b := f.post(t, clerk, "/nhi/pension-notices", form); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/nhi/pension-notices?done=recorded&fiscal_year=2026" {
			t.Fatalf("notice: %d\n%s", res.StatusCode, b)
		}
		if st, out := f.apiCall(t, clerk, csrf, "POST", "/api/v1/nhi/pension-notices", `{"resident_code":"300001","fiscal_year":2026,"annual":1300000,"care_premium":72000,"care_special":true}`); st != http.StatusCreated {
			t.Fatalf("API notice: %d %v", st, out)
		}
		_, b := f.get(t, checker, "/nhi/pension-notices?fiscal_year=2026")
		if strings.Contains(b, `id="pension-form"`) || !strings.Contains(b, "1,300,000") || !strings.Contains(b, "1,200,000") || strings.Count(b, "新しい通知あり") != 1 {
			t.Errorf("the checker's list:\n%s", b)
		}
		st, out := f.apiCall(t, checker, checkerCSRF, "GET", "/api/v1/nhi/pension-notices?fiscal_year=2026&resident_code=300001", "")
		list, _ := out["notices"].([]any)
		if st != http.StatusOK || len(list) != 2 || list[0].(map[string]any)["in_force"] != true || list[0].(map[string]any)["annual"] != float64(1300000) ||
			list[1].(map[string]any)["in_force"] != false || list[1].(map[string]any)["recorded_by"] != "nhi.clerk" {
			t.Fatalf("API list: %d %v", st, out)
		}
		if st, out := f.apiCall(t, other, otherCSRF, "GET", "/api/v1/nhi/pension-notices", ""); st != http.StatusOK || len(out["notices"].([]any)) != 0 {
			t.Errorf("another municipality's list: %d %v", st, out)
		}
		if got := testutil.Outcomes(t, f.db, "nhi.pension_notice"); len(got) != 3 {
			t.Errorf("notice events (the unknown resident refused, two recorded): %v", got)
		}

		// The estimate takes last February's amount from the pension and
		// answers 仮徴収 and 本徴収 (the couple of TestSpecialCollection in
		// internal/nhi/premium, 40,300 yen: 7,000 in April, June and August,
		// then 6,500, 6,400 and 6,400).
		admin, adminCSRF := f.staffClient(t, "nhi.admin", "131041", "医療保険年金課", [2]string{"nhi-admin", "131041"})
		table, err := os.ReadFile("../nhi/assess/testdata/rates-2026.json")
		if err != nil {
			t.Fatal(err)
		}
		if st, out := f.apiCall(t, admin, adminCSRF, "POST", "/api/v1/nhi/rates", `{"fiscal_year":2026,"table":`+string(table)+`}`); st != http.StatusAccepted {
			t.Fatalf("rate table: %d %v", st, out)
		}
		f.confirmAllPages(t, checker)
		st, out = f.apiCall(t, clerk, csrf, "POST", "/api/v1/nhi/estimate", `{"fiscal_year":2026,"household":{"provisional_base":7000,
			"pension_notice":{"annual":1200000,"care_premium":70000,"care_special":true},
			"members":[{"id":"h","head":true,"insured":true,"birth_date":"1955-01-01"},{"id":"w","insured":true,"birth_date":"1958-06-01"}]}}`)
		var got []string
		ins, _ := out["instalments"].([]any)
		for _, i := range ins {
			m := i.(map[string]any)
			got = append(got, fmt.Sprint(m["month"], " ", m["amount"], " ", m["phase"]))
		}
		if st != http.StatusOK || out["total"] != float64(40300) ||
			strings.Join(got, ",") != "2026-04 7000 provisional,2026-06 7000 provisional,2026-08 7000 provisional,2026-10 6500 final,2026-12 6400 final,2027-02 6400 final" {
			t.Errorf("estimate with 仮徴収: %d %v %v", st, got, out["collection"])
		}
	})
}

// R-NHI-4 (特別徴収), R-AC-6: a pension insurer's notice entered wrongly is
// withdrawn (取消) on the page or through the API with the reason — kept,
// marked withdrawn with who, when and why, the person's notice before it
// in force again — and the next run plans without it. A withdrawal
// without a reason is refused on its row's input and writes nothing; a
// notice withdrawn already is refused; the checker (nhi.read) may not
// withdraw; another municipality's notice is not found.
func TestNHIPensionNoticeWithdraw(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		f.nhiPeople(t)
		clerk, csrf := f.staffClient(t, "nhi.clerk", "131041", "医療保険年金課", [2]string{"nhi-clerk", "131041"})
		checker, checkerCSRF := f.staffClient(t, "nhi.checker", "131041", "医療保険年金課", [2]string{"nhi-checker", "131041"})
		other, otherCSRF := f.staffClient(t, "sapporo.clerk", "011002", "保険年金課", [2]string{"nhi-clerk", "011002"})
		for _, body := range []string{
			`{"resident_code":"300001","fiscal_year":2026,"annual":1200000,"care_premium":70000,"care_special":true}`,
			`{"resident_code":"300001","fiscal_year":2026,"annual":2400000,"care_premium":90000,"care_special":true}`,
		} {
			if st, out := f.apiCall(t, clerk, csrf, "POST", "/api/v1/nhi/pension-notices", body); st != http.StatusCreated {
				t.Fatalf("notice: %d %v", st, out)
			}
		}
		list := func() []map[string]any {
			t.Helper()
			st, out := f.apiCall(t, clerk, csrf, "GET", "/api/v1/nhi/pension-notices?fiscal_year=2026&resident_code=300001", "")
			if st != http.StatusOK {
				t.Fatalf("list: %d %v", st, out)
			}
			var ns []map[string]any
			for _, n := range out["notices"].([]any) {
				ns = append(ns, n.(map[string]any))
			}
			return ns
		}
		ns := list()
		latest := fmt.Sprint(ns[0]["id"])
		// Without a reason: refused on the row's input, nothing written.
		_, page := f.get(t, clerk, "/nhi/pension-notices?fiscal_year=2026")
		if !strings.Contains(page, `id="withdraw-`+latest+`"`) {
			t.Fatalf("no withdraw form:\n%s", page)
		}
		res, b := f.post(t, clerk, "/nhi/pension-notices/"+latest+"/withdraw", url.Values{"csrf": {csrfOf(t, page)}, "fiscal_year": {"2026"}, "why": {"  "}})
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(b, `id="why-error"`) || !strings.Contains(b, `id="why-`+latest+`" name="why" maxlength="500" required value="" aria-invalid="true"`) {
			t.Fatalf("a withdrawal without a reason: %d\n%s", res.StatusCode, b)
		}
		if ns := list(); ns[0]["withdrawn"] != nil || ns[0]["in_force"] != true {
			t.Fatalf("a refused withdrawal wrote: %v", ns)
		}
		if res, _ := f.post(t, checker, "/nhi/pension-notices/"+latest+"/withdraw", url.Values{"csrf": {checkerCSRF}, "why": {"誤り"}}); res.StatusCode != http.StatusForbidden {
			t.Errorf("the checker withdrew a notice: %d", res.StatusCode)
		}
		if st, _ := f.apiCall(t, other, otherCSRF, "POST", "/api/v1/nhi/pension-notices/"+latest+"/withdraw", `{"why":"誤り"}`); st != http.StatusNotFound {
			t.Errorf("Sapporo withdrew Shinjuku's notice: %d", st)
		}
		res, _ = f.post(t, clerk, "/nhi/pension-notices/"+latest+"/withdraw", url.Values{"csrf": {csrfOf(t, page)}, "fiscal_year": {"2026"}, "why": {"別人の通知を入力した"}})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/nhi/pension-notices?done=withdrawn&fiscal_year=2026" {
			t.Fatalf("withdraw: %d", res.StatusCode)
		}
		ns = list()
		w, _ := ns[0]["withdrawn"].(map[string]any)
		if len(ns) != 2 || w == nil || w["by"] != "nhi.clerk" || w["why"] != "別人の通知を入力した" || ns[0]["in_force"] != false ||
			ns[1]["in_force"] != true || ns[1]["annual"] != float64(1_200_000) {
			t.Fatalf("after the withdrawal: %v", ns)
		}
		_, page = f.get(t, checker, "/nhi/pension-notices?fiscal_year=2026")
		if !strings.Contains(page, "取消済み（") || !strings.Contains(page, "別人の通知を入力した") || strings.Contains(page, `id="withdraw-`) {
			t.Errorf("the checker's list:\n%s", page)
		}
		// Withdrawn already: refused through the API.
		if st, out := f.apiCall(t, clerk, csrf, "POST", "/api/v1/nhi/pension-notices/"+latest+"/withdraw", `{"why":"二度目"}`); st != http.StatusConflict {
			t.Errorf("a second withdrawal: %d %v", st, out)
		}
		// The earlier one withdrawn through the API: none in force.
		earlier := fmt.Sprint(ns[1]["id"])
		if st, out := f.apiCall(t, clerk, csrf, "POST", "/api/v1/nhi/pension-notices/"+earlier+"/withdraw", `{"why":"年金保険者の通知の取消"}`); st != http.StatusOK || out["withdrawn"] == nil {
			t.Fatalf("API withdrawal: %d %v", st, out)
		}
		for _, n := range list() {
			if n["in_force"] != false {
				t.Errorf("a withdrawn notice in force: %v", n)
			}
		}
		// Every attempt that reaches the service is an event: the missing
		// reason, the other municipality's (denied, not found), the
		// withdrawal, the second one, the API's. (The checker's is refused
		// by the route's right before it.)
		got := testutil.Outcomes(t, f.db, "nhi.pension_notice.withdraw")
		var outcomes []string
		for _, g := range got {
			outcomes = append(outcomes, strings.Fields(g)[0])
		}
		if strings.Join(outcomes, ",") != "error,denied,ok,error,ok" || !strings.Contains(got[2], "why=別人の通知を入力した") {
			t.Errorf("withdrawal events: %q %q", outcomes, got)
		}
	})
}
