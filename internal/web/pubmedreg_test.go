package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"bango/internal/access"
	"bango/internal/mynumber"
	"bango/internal/pubmed"
	"bango/internal/review"
	"bango/internal/store"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
)

// R-PUB-1, R-ACC-1: through the pages a clerk enters the issue of a
// 登録者証 to a mild 指定難病 patient (a disease outside the 指定難病 list is
// marked on its field and nothing queued); it waits for a checker — the
// person's history says so and shows no certificate — and the API's entry
// answers 202 with the review change; in 入力確認 the checker rejects one
// (nothing issued) and confirms the other: only then is it numbered and
// its print view there — number, name, date of birth, the first day with
// no end, the issuer, and no disease name; the history names the clerk and
// the checker, also as JSON; a reader of another municipality does not
// find it. Its end goes the same way.
func TestPubmedRegistrationPages(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		in := testkit.Person("700001", "")
		in.NameKanji = "登録　花子"
		testkit.Resident(t, f.residents, "131041", in)
		testkit.Resident(t, f.residents, "131041", testkit.Person("700002", ""))
		clerk, clerkCSRF := f.staffClient(t, "pm.clerk", "131041", "保健予防課", [2]string{"pubmed-clerk", "131041"})
		checker, _ := f.staffClient(t, "pm.checker", "131041", "保健予防課", [2]string{"pubmed-checker", "131041"})
		sapporo, _ := f.staffClient(t, "pm.sapporo", "011002", "保健予防課", [2]string{"pubmed-clerk", "011002"})
		// decide has the checker confirm (or reject) in 入力確認 the one
		// pending change whose summary holds what.
		decide := func(what string, confirm bool) {
			t.Helper()
			_, queue := f.get(t, checker, "/review?all=1")
			for _, id := range slices.Compact(regexpAll(`href="/review/(\d+)"`, queue)) {
				_, page := f.get(t, checker, "/review/"+id)
				if !strings.Contains(page, what) {
					continue
				}
				form, path := url.Values{"csrf": {csrfOf(t, page)}}, "/review/"+id+"/confirm"
				if !confirm {
					form.Set("reason", "診断書の確認が必要")
					path = "/review/" + id + "/reject"
				}
				if res, b := f.post(t, checker, path, form); res.StatusCode != http.StatusSeeOther {
					t.Fatalf("%s %s: %d\n%s", path, what, res.StatusCode, b)
				}
				return
			}
			t.Fatalf("no pending change names %s:\n%s", what, queue)
		}

		_, page := f.get(t, clerk, "/pubmed/registrations")
		form := url.Values{"csrf": {csrfOf(t, page)}, "resident_code": {"700001"}, "disease_code": {"9999"}, "basis": {"mild"},
			"evidence": {"臨床調査個人票"}, "health_centre": {"新宿区保健所"}, "received_on": {"2026-11-25"}}
		before := f.pendingChanges(t)
		res, b := f.post(t, clerk, "/pubmed/registrations", form)
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(b, `id="disease_code-error"`) || f.pendingChanges(t) != before {
			t.Fatalf("a disease outside the list: %d\n%s", res.StatusCode, b)
		}
		form.Set("disease_code", "6")
		res, b = f.post(t, clerk, "/pubmed/registrations", form)
		if res.StatusCode != http.StatusSeeOther || !strings.HasSuffix(res.Header.Get("Location"), "?resident_code=700001&done=reg_submitted") {
			t.Fatalf("issue: %d\n%s", res.StatusCode, b)
		}
		if _, hist := f.get(t, clerk, res.Header.Get("Location")); !strings.Contains(hist, `id="reg-issue-pending"`) || !strings.Contains(hist, "確認待ちに登録しました") ||
			strings.Contains(hist, "30000001") || strings.Contains(hist, `id="registrations"`) {
			t.Fatalf("before confirmation, the history:\n%s", hist)
		}
		// The API's entry answers 202 with the change, nothing issued.
		res, raw := f.send(t, clerk, clerkCSRF, "POST", "/api/v1/pubmed/registrations",
			`{"resident_code":"700002","disease_code":"6","basis":"mild","evidence":"臨床調査個人票","health_centre":"新宿区保健所","received_on":"2026-11-26"}`)
		var ch review.Change
		if res.StatusCode != http.StatusAccepted || json.Unmarshal(raw, &ch) != nil || ch.Kind != pubmed.KindRegistration || ch.Status != review.Pending {
			t.Fatalf("API issue: %d %s", res.StatusCode, raw)
		}
		decide("宛名番号 700002", false)
		decide("宛名番号 700001", true)
		if _, hist := f.get(t, clerk, "/pubmed/registrations?resident_code=700002"); strings.Contains(hist, `id="registrations"`) {
			t.Errorf("a rejected issue was issued:\n%s", hist)
		}
		_, hist := f.get(t, clerk, "/pubmed/registrations?resident_code=700001")
		if !strings.Contains(hist, "30000001") || !strings.Contains(hist, "pm.clerk／pm.checker") || strings.Contains(hist, `id="reg-issue-pending"`) {
			t.Fatalf("after confirmation, the history:\n%s", hist)
		}
		printPath := "/pubmed/registrations/" + regexpAll(`href="/pubmed/registrations/(\d+)/print"`, hist)[0] + "/print"
		res, doc := f.get(t, clerk, printPath)
		if res.StatusCode != http.StatusOK || !strings.Contains(doc, `id="doc-number">30000001`) || !strings.Contains(doc, "登録　花子") ||
			!strings.Contains(doc, "期限の定めなし") || !strings.Contains(doc, "新宿区") {
			t.Fatalf("print view: %d\n%s", res.StatusCode, doc)
		}
		if strings.Contains(doc, "パーキンソン") {
			t.Errorf("the print view names the disease:\n%s", doc)
		}
		if _, list := f.get(t, checker, "/pubmed/registrations?resident_code=700001"); !strings.Contains(list, "30000001") || strings.Contains(list, `id="reg-form"`) {
			t.Errorf("a reader's history:\n%s", list)
		}
		res, body := f.get(t, checker, "/api/v1/pubmed/registrations?resident_code=700001")
		var got pubmedRegsAnswer
		if res.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &got) != nil || len(got.Registrations) != 1 || got.Registrations[0].Basis != "mild" ||
			got.Registrations[0].IssuedBy != "pm.clerk" || got.Registrations[0].CheckedBy != "pm.checker" {
			t.Errorf("API history: %d %s", res.StatusCode, body)
		}
		if res, _ := f.get(t, sapporo, printPath); res.StatusCode != http.StatusNotFound {
			t.Errorf("Sapporo printed Shinjuku's registration: %d", res.StatusCode)
		}

		// R-PUB-1, R-ACC-1: the clerk enters its end from its page (a
		// reader sees no form; an unknown reason is marked on its field and
		// nothing queued); it waits for the checker — the page says so, offers
		// no second end, and the API refuses one while it waits — and ends
		// once confirmed: the page shows its last day and no form, and the
		// API refuses a further end naming the field.
		if !strings.Contains(doc, `id="reg-end-form"`) {
			t.Errorf("the clerk's page has no form to end the registration:\n%s", doc)
		}
		if _, p := f.get(t, checker, printPath); strings.Contains(p, `id="reg-end-form"`) {
			t.Errorf("a reader may end the registration:\n%s", p)
		}
		endPath := strings.TrimSuffix(printPath, "/print") + "/end"
		end := url.Values{"csrf": {csrfOf(t, doc)}, "ended_on": {"2026-11-30"}, "reason": {"lost"}}
		before = f.pendingChanges(t)
		res, b = f.post(t, clerk, endPath, end)
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(b, `id="reason-error"`) || f.pendingChanges(t) != before {
			t.Fatalf("an unknown reason: %d\n%s", res.StatusCode, b)
		}
		end.Set("reason", "returned")
		res, b = f.post(t, clerk, endPath, end)
		if res.StatusCode != http.StatusSeeOther || !strings.HasSuffix(res.Header.Get("Location"), "?done=reg_end_submitted") {
			t.Fatalf("end: %d\n%s", res.StatusCode, b)
		}
		if _, p := f.get(t, clerk, printPath); !strings.Contains(p, `id="reg-end-pending"`) || strings.Contains(p, `id="reg-end-form"`) || !strings.Contains(p, "期限の定めなし") {
			t.Errorf("the page while the end waits:\n%s", p)
		}
		if res, raw := f.send(t, clerk, csrfOf(t, doc), "POST", "/api/v1"+endPath, `{"ended_on":"2026-11-30","reason":"death"}`); res.StatusCode != http.StatusConflict {
			t.Errorf("a second end while one waits: %d %s", res.StatusCode, raw)
		}
		decide("30000001", true)
		if _, p := f.get(t, clerk, printPath); !strings.Contains(p, "終了") || strings.Contains(p, `id="reg-end-form"`) || strings.Contains(p, "期限の定めなし") {
			t.Errorf("the ended registration's page:\n%s", p)
		}
		res, raw = f.send(t, clerk, csrfOf(t, doc), "POST", "/api/v1"+endPath, `{"ended_on":"2026-12-01","reason":"death"}`)
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(raw), "ended_on") {
			t.Errorf("ended twice through the API: %d %s", res.StatusCode, raw)
		}
	})
}

// R-AC-1, R-PUB-2: typing a My Number on a public-expense application
// needs mynumber.enter, which the pubmed-clerk pattern holds: staff whose
// pattern holds pubmed.write but not mynumber.enter are refused on the
// field (nothing queued, a denied event), and may still enter the
// application without the number.
func TestPubmedNumberNeedsEnterRight(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		testkit.Resident(t, f.residents, "131041", testkit.Person("700001", ""))
		pp, err := f.access.PatternChange(testutil.As("is-admin"), access.Pattern{Code: "pubmed-entry", Name: "公費負担医療（番号入力なし）", Affiliation: "保健所",
			Job: "申請の入力", Scope: access.ScopeTenant, Permissions: []access.Permission{access.ResidentRead, access.PubmedRead, access.PubmedWrite}})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.db.Transact(testutil.As("is-approver"), func(tx *store.Tx) error {
			return f.access.ApplyPattern(testutil.As("is-approver"), tx, "", pp.Payload)
		}); err != nil {
			t.Fatal(err)
		}
		entry, _ := f.staffClient(t, "pm.entry", "131041", "保健予防課", [2]string{"pubmed-entry", "131041"})
		digits := "48291037561"
		digits += string(mynumber.CheckDigit(digits))
		_, form := f.get(t, entry, "/pubmed/applications/new")
		app := url.Values{"csrf": {csrfOf(t, form)}, "kind": {"new"}, "resident_code": {"700001"}, "health_centre": {"新宿区保健所"}, "received_on": {"2026-11-20"},
			"programme": {"nanbyo"}, "disease_code": {"6"}, "tax_status": {"levied"}, "income_levy": {"50000"}, "institutions": {"新宿中央病院"},
			"mynumber": {digits}, "identity_method": {"mynumber_card"}}
		before := f.pendingChanges(t)
		res, b := f.post(t, entry, "/pubmed/applications/new", app)
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(b, `id="mynumber-error"`) || !strings.Contains(b, "mynumber.enter") || strings.Contains(b, digits) ||
			f.pendingChanges(t) != before {
			t.Fatalf("a number without mynumber.enter: %d\n%s", res.StatusCode, b)
		}
		if testutil.CountEvents(t, f.db, "action = 'pubmed.application.propose' AND outcome = 'denied'") != 1 {
			t.Error("the refusal is not a denied event")
		}
		app.Del("mynumber")
		app.Del("identity_method")
		if res, b := f.post(t, entry, "/pubmed/applications/new", app); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("the application without the number: %d\n%s", res.StatusCode, b)
		}
	})
}
