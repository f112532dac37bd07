package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"bango/internal/nhi"
	"bango/internal/resident"
	"bango/internal/testutil/testkit"
)

// R-NHI-3, R-NHI-2, R-ACC-1: a clerk enters a 70–74 member's income on
// the person's page, which waits for a checker; once confirmed and the
// household decided, the clerk issues a 高齢受給者証 whose print view
// shows the ratio, its first day and validity in the layout the resident
// receives; one for a member under 70 is refused on its field. The yearly
// decision starts from its screen, shows its progress and its report,
// and reads back through the API; a wrong year is refused naming the
// field.
func TestNHIElderlyCardAndRuns(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		f.nhiPeople(t)
		now := time.Now().In(jst)
		testkit.Resident(t, f.residents, "131041", resident.Input{Code: "300020", NameKanji: "高齢　一郎", NameKana: "コウレイ　イチロウ",
			Address: "東京都新宿区西新宿二丁目8番3号", BirthDate: now.AddDate(-72, -3, 0).Format(time.DateOnly), Sex: "1"})
		fy := costShareYear()
		hh := f.nhiInsure(t, "131041", nhi.AcquisitionInput{ResidentCode: "300020", AcquiredOn: strconv.Itoa(fy) + "-07-01", Reason: nhi.AcquireMoveIn,
			NotifiedOn: daysAgo(25), NewKigo: "09", NewHead: "300020", Number: "9020", Branch: "01"})
		f.nhiInsure(t, "131041", nhi.AcquisitionInput{ResidentCode: "300001", AcquiredOn: daysAgo(30), Reason: nhi.AcquireMoveIn,
			NotifiedOn: daysAgo(25), NewKigo: "09", NewHead: "300001", Number: "9001", Branch: "01"})
		clerk, csrf := f.staffClient(t, "nhi.clerk", "131041", "医療保険年金課", [2]string{"nhi-clerk", "131041"})
		checker, _ := f.staffClient(t, "nhi.checker", "131041", "医療保険年金課", [2]string{"nhi-checker", "131041"})

		// The income, entered on the page, waits for a checker.
		_, page := f.get(t, clerk, "/nhi/persons/300020")
		before := f.pendingChanges(t)
		res, _ := f.post(t, clerk, "/nhi/persons/300020/income", url.Values{"csrf": {csrfOf(t, page)}, "income_year": {strconv.Itoa(fy - 1)},
			"taxable_income": {"0"}, "revenue": {"2,000,000"}, "old_proviso_income": {"1,000,000"}})
		if res.StatusCode != http.StatusSeeOther || f.pendingChanges(t) != before+1 {
			t.Fatalf("the income entry: %d, %d pending", res.StatusCode, f.pendingChanges(t)-before)
		}
		if st, out := f.apiCall(t, clerk, csrf, "POST", "/api/v1/nhi/households/"+strconv.FormatInt(hh, 10)+"/cost-share", `{"on":"`+daysAgo(0)+`"}`); st != http.StatusBadRequest || !strings.Contains(toJSON(out["errors"]), "income") {
			t.Fatalf("decided before the income was confirmed: %d %v", st, out)
		}
		f.confirmAllPages(t, checker)
		if st, out := f.apiCall(t, clerk, csrf, "POST", "/api/v1/nhi/households/"+strconv.FormatInt(hh, 10)+"/cost-share", `{"on":"`+daysAgo(0)+`"}`); st != http.StatusCreated || out["ratio"] != float64(2) || out["cause"] != nhi.CauseDecision {
			t.Fatalf("the decision: %d %v", st, out)
		}

		// The 高齢受給者証: refused for a member under 70, issued for the
		// 70–74 member, printed with the ratio.
		until := strconv.Itoa(fy+1) + "-07-31"
		_, page = f.get(t, clerk, "/nhi/persons/300001")
		res, b := f.post(t, clerk, "/nhi/persons/300001/documents", url.Values{"csrf": {csrfOf(t, page)}, "doc_kind": {"elderly"}, "doc_issued_on": {daysAgo(0)},
			"doc_valid_until": {until}, "doc_delivery": {"mail"}, "doc_reason": {"new"}})
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(b, `id="doc_issued_on-error"`) {
			t.Errorf("a 高齢受給者証 under 70: %d\n%s", res.StatusCode, b)
		}
		_, page = f.get(t, clerk, "/nhi/persons/300020")
		if !strings.Contains(page, `<option value="elderly"`) {
			t.Error("the document form offers no 高齢受給者証")
		}
		res, _ = f.post(t, clerk, "/nhi/persons/300020/documents", url.Values{"csrf": {csrfOf(t, page)}, "doc_kind": {"elderly"}, "doc_issued_on": {daysAgo(0)},
			"doc_valid_until": {until}, "doc_delivery": {"mail"}, "doc_reason": {"new"}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("the 高齢受給者証: %d", res.StatusCode)
		}
		st, out := f.apiCall(t, clerk, csrf, "GET", "/api/v1/nhi/persons/300020/documents", "")
		docs, _ := out["documents"].([]any)
		if st != http.StatusOK || len(docs) != 1 {
			t.Fatalf("documents: %d %v", st, out)
		}
		doc := docs[0].(map[string]any)
		if doc["kind"] != nhi.DocElderly || doc["cost_share_ratio"] != float64(2) || doc["valid_from"] == nil {
			t.Errorf("the 高齢受給者証 as recorded: %v", doc)
		}
		id := strconv.FormatFloat(doc["id"].(float64), 'f', 0, 64)
		res, b = f.get(t, clerk, "/nhi/persons/300020/documents/"+id+"/print")
		if res.StatusCode != http.StatusOK || !strings.Contains(b, "国民健康保険高齢受給者証") || !strings.Contains(b, `<dd id="doc-ratio">2割</dd>`) ||
			!strings.Contains(b, `id="doc-valid-from"`) || !strings.Contains(b, `class="nhi-doc nhi-doc-elderly"`) || !strings.Contains(b, "75歳の誕生日") {
			t.Errorf("the print view: %d\n%s", res.StatusCode, b)
		}

		// The yearly decision's screen: the section head's (nhi.admin), not
		// every clerk's.
		head, headCSRF := f.staffClient(t, "nhi.head", "131041", "医療保険年金課", [2]string{"nhi-admin", "131041"})
		res, page = f.get(t, head, "/nhi/cost-share")
		if res.StatusCode != http.StatusOK || !strings.Contains(page, `id="run-form"`) || !strings.Contains(page, `value="`+strconv.Itoa(fy)+`"`) {
			t.Fatalf("the runs page: %d\n%s", res.StatusCode, page)
		}
		res, b = f.post(t, head, "/nhi/cost-share", url.Values{"csrf": {csrfOf(t, page)}, "fiscal_year": {"20x6"}})
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(b, `id="fiscal_year-error"`) {
			t.Errorf("a wrong year: %d\n%s", res.StatusCode, b)
		}
		res, _ = f.post(t, head, "/nhi/cost-share", url.Values{"csrf": {csrfOf(t, page)}, "fiscal_year": {strconv.Itoa(fy)}})
		loc := res.Header.Get("Location")
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/nhi/cost-share/runs/") {
			t.Fatalf("start: %d %s", res.StatusCode, loc)
		}
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if res, b = f.get(t, head, loc); !strings.Contains(b, `id="report-households"`) {
				continue
			}
			break
		}
		if res.StatusCode != http.StatusOK || !strings.Contains(b, `<progress id="run-progress" max="100" value="100">`) || !strings.Contains(b, `<td class="num" id="report-households">1</td>`) ||
			!strings.Contains(b, `<td class="num" id="report-decided">1</td>`) || res.Header.Get("Refresh") != "" {
			t.Errorf("the run's report: %d\n%s", res.StatusCode, b)
		}
		runID := strings.TrimPrefix(loc, "/nhi/cost-share/runs/")
		if st, out := f.apiCall(t, head, headCSRF, "GET", "/api/v1/nhi/cost-share-runs/"+runID, ""); st != http.StatusOK || out["status"] != "done" || out["report"] == nil {
			t.Errorf("the run through the API: %d %v", st, out)
		}
		if st, out := f.apiCall(t, head, headCSRF, "POST", "/api/v1/nhi/cost-share-runs", `{"fiscal_year":2014}`); st != http.StatusBadRequest || !strings.Contains(toJSON(out["errors"]), "fiscal_year") {
			t.Errorf("a year before the rules through the API: %d %v", st, out)
		}
		if res, _ := f.get(t, checker, "/nhi/cost-share"); res.StatusCode != http.StatusForbidden {
			t.Errorf("the checker (no nhi.admin) on the runs page: %d", res.StatusCode)
		}
		if res, _ := f.get(t, clerk, "/nhi/cost-share"); res.StatusCode != http.StatusForbidden {
			t.Errorf("the clerk (nhi.write, no nhi.admin) on the runs page: %d", res.StatusCode)
		}
		if st, _ := f.apiCall(t, clerk, csrf, "POST", "/api/v1/nhi/cost-share-runs", `{"fiscal_year":`+strconv.Itoa(fy)+`}`); st != http.StatusForbidden {
			t.Errorf("the clerk starting a run through the API: %d", st)
		}
	})
}
