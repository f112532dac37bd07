package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"bango/internal/access"
	"bango/internal/mynumber"
	"bango/internal/store"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
)

// R-PUB-1: through the pages a clerk issues a 登録者証 to a mild 指定難病
// patient (a disease outside the 指定難病 list is marked on its field and
// nothing issued); the print view is the form the resident receives —
// number, name, date of birth, the first day with no end, the issuer, and
// no disease name; the person's history lists it, also as JSON; a reader
// of another municipality does not find it.
func TestPubmedRegistrationPages(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		in := testkit.Person("700001", "")
		in.NameKanji = "登録　花子"
		testkit.Resident(t, f.residents, "131041", in)
		clerk, _ := f.staffClient(t, "pm.clerk", "131041", "保健予防課", [2]string{"pubmed-clerk", "131041"})
		checker, _ := f.staffClient(t, "pm.checker", "131041", "保健予防課", [2]string{"pubmed-checker", "131041"})
		sapporo, _ := f.staffClient(t, "pm.sapporo", "011002", "保健予防課", [2]string{"pubmed-clerk", "011002"})

		_, page := f.get(t, clerk, "/pubmed/registrations")
		form := url.Values{"csrf": {csrfOf(t, page)}, "resident_code": {"700001"}, "disease_code": {"9999"}, "basis": {"mild"},
			"evidence": {"臨床調査個人票"}, "health_centre": {"新宿区保健所"}, "received_on": {"2026-11-25"}}
		res, b := f.post(t, clerk, "/pubmed/registrations", form)
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(b, `id="disease_code-error"`) {
			t.Fatalf("a disease outside the list: %d\n%s", res.StatusCode, b)
		}
		form.Set("disease_code", "6")
		res, b = f.post(t, clerk, "/pubmed/registrations", form)
		if res.StatusCode != http.StatusSeeOther || !strings.HasSuffix(res.Header.Get("Location"), "/print?done=registered") {
			t.Fatalf("issue: %d\n%s", res.StatusCode, b)
		}
		printPath := strings.Split(res.Header.Get("Location"), "?")[0]
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
		if res.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &got) != nil || len(got.Registrations) != 1 || got.Registrations[0].Basis != "mild" {
			t.Errorf("API history: %d %s", res.StatusCode, body)
		}
		if res, _ := f.get(t, sapporo, printPath); res.StatusCode != http.StatusNotFound {
			t.Errorf("Sapporo printed Shinjuku's registration: %d", res.StatusCode)
		}

		// R-PUB-1: the clerk ends it from its page (a reader sees no form;
		// an unknown reason is marked on its field and nothing ends); ended,
		// the page shows its last day and no form, and the API refuses a
		// second end naming the field.
		if !strings.Contains(doc, `id="reg-end-form"`) {
			t.Errorf("the clerk's page has no form to end the registration:\n%s", doc)
		}
		if _, p := f.get(t, checker, printPath); strings.Contains(p, `id="reg-end-form"`) {
			t.Errorf("a reader may end the registration:\n%s", p)
		}
		endPath := strings.TrimSuffix(printPath, "/print") + "/end"
		end := url.Values{"csrf": {csrfOf(t, doc)}, "ended_on": {"2026-11-30"}, "reason": {"lost"}}
		res, b = f.post(t, clerk, endPath, end)
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(b, `id="reason-error"`) {
			t.Fatalf("an unknown reason: %d\n%s", res.StatusCode, b)
		}
		end.Set("reason", "returned")
		res, b = f.post(t, clerk, endPath, end)
		if res.StatusCode != http.StatusSeeOther || !strings.HasSuffix(res.Header.Get("Location"), "?done=registration_ended") {
			t.Fatalf("end: %d\n%s", res.StatusCode, b)
		}
		if _, p := f.get(t, clerk, printPath); !strings.Contains(p, "終了") || strings.Contains(p, `id="reg-end-form"`) || strings.Contains(p, "期限の定めなし") {
			t.Errorf("the ended registration's page:\n%s", p)
		}
		res, raw := f.send(t, clerk, csrfOf(t, doc), "POST", "/api/v1"+endPath, `{"ended_on":"2026-12-01","reason":"death"}`)
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
