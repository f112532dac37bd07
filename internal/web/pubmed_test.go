package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"bango/internal/mynumber"
	"bango/internal/pubmed"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
)

// R-PUB-1, R-PUB-3, R-ACC-1, R-AC-6: through the pages, a health-centre
// clerk records the cabinets and enters a 指定難病 application; it is not
// in the list until a different staff member confirms it; the clerk
// approves it and the certificate shows its cap with the table version
// and prints; co-payments add up on the month's record until the cap is
// reached; an evidence paper cannot go into an unlocked cabinet and can
// into a locked staff-only one; a wrong disease is marked on its field and
// writes nothing; another municipality's clerk does not find the
// application; someone without pubmed.read is refused.
func TestPubmedPages(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		testkit.Resident(t, f.residents, "131041", testkit.Person("700001", ""))
		clerk, _ := f.staffClient(t, "pm.clerk", "131041", "保健予防課", [2]string{"pubmed-clerk", "131041"})
		checker, _ := f.staffClient(t, "pm.checker", "131041", "保健予防課", [2]string{"pubmed-checker", "131041"})
		nhiClerk, _ := f.staffClient(t, "nhi.clerk", "131041", "医療保険年金課", [2]string{"nhi-clerk", "131041"})
		sapporo, _ := f.staffClient(t, "pm.sapporo", "011002", "保健所", [2]string{"pubmed-clerk", "011002"})
		today := time.Now().In(jst).Format(time.DateOnly)

		if res, home := f.get(t, clerk, "/"); res.StatusCode != http.StatusOK || !strings.Contains(home, `href="/pubmed"`) {
			t.Fatalf("the clerk's menu has no public-expense entry: %d", res.StatusCode)
		}
		if res, _ := f.get(t, nhiClerk, "/pubmed"); res.StatusCode != http.StatusForbidden {
			t.Errorf("an NHI clerk reached the public-expense list: %d", res.StatusCode)
		}

		// The cabinets: one locked in a staff-only area, one not locked.
		_, page := f.get(t, clerk, "/pubmed/cabinets")
		for _, c := range []url.Values{{"name": {"書庫A"}, "location": {"保健所2階"}, "locked": {"1"}, "staff_only": {"1"}},
			{"name": {"受付の棚"}, "location": {"保健所1階"}, "staff_only": {"1"}}} {
			c.Set("csrf", csrfOf(t, page))
			if res, b := f.post(t, clerk, "/pubmed/cabinets", c); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("cabinet: %d\n%s", res.StatusCode, b)
			}
		}

		// A wrong disease: marked, nothing sent for confirmation.
		_, form := f.get(t, clerk, "/pubmed/applications/new")
		app := url.Values{"csrf": {csrfOf(t, form)}, "kind": {"new"}, "resident_code": {"700001"}, "health_centre": {"新宿区保健所"}, "received_on": {today},
			"programme": {"nanbyo"}, "disease_code": {"9999"}, "tax_status": {"levied"}, "income_levy": {"50,000"}, "institutions": {"新宿中央病院、西新宿薬局"}}
		before := f.pendingChanges(t)
		res, b := f.post(t, clerk, "/pubmed/applications/new", app)
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(b, `id="disease_code-error"`) || f.pendingChanges(t) != before {
			t.Fatalf("a disease outside the master list: %d\n%s", res.StatusCode, b)
		}
		app.Set("disease_code", "6")
		if res, b := f.post(t, clerk, "/pubmed/applications/new", app); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("application: %d\n%s", res.StatusCode, b)
		}
		if _, list := f.get(t, clerk, "/pubmed"); len(regexpAll(`href="/pubmed/applications/(\d+)"`, list)) != 0 {
			t.Error("an unconfirmed application is listed")
		}
		f.confirmAllPages(t, checker)
		_, list := f.get(t, clerk, "/pubmed?health_centre="+url.QueryEscape("新宿区保健所")+"&status=received")
		ids := regexpAll(`href="/pubmed/applications/(\d+)"`, list)
		if len(ids) != 1 {
			t.Fatalf("the health centre's list after confirmation:\n%s", list)
		}
		appPath := "/pubmed/applications/" + ids[0]

		// Evidence: the unlocked cabinet refused on its field, the locked one taken.
		_, page = f.get(t, clerk, appPath)
		cabs := regexpAll(`<option value="(\d+)">`, page[strings.Index(page, `id="cabinet"`):])
		if len(cabs) != 2 {
			t.Fatalf("cabinets offered: %v", cabs)
		}
		// 受付の棚 sorts before 書庫A in the ledger? Take each by its name.
		unlocked, locked := cabs[0], cabs[1]
		if strings.Index(page, `>書庫A`) < strings.Index(page, `>受付の棚`) {
			unlocked, locked = cabs[1], cabs[0]
		}
		res, b = f.post(t, clerk, appPath+"/evidence", url.Values{"csrf": {csrfOf(t, page)}, "description": {"臨床調査個人票"}, "cabinet": {unlocked}})
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(b, `id="cabinet-error"`) || !strings.Contains(b, "施錠") {
			t.Fatalf("an unlocked cabinet: %d\n%s", res.StatusCode, b)
		}
		if res, b := f.post(t, clerk, appPath+"/evidence", url.Values{"csrf": {csrfOf(t, page)}, "description": {"臨床調査個人票"}, "cabinet": {locked}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("evidence: %d\n%s", res.StatusCode, b)
		}

		// The decision waits for a different checker (R-ACC-1); confirmed, it issues the certificate.
		res, b = f.post(t, clerk, appPath+"/decide", url.Values{"csrf": {csrfOf(t, page)}, "outcome": {"approve"}})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != appPath+"?done=decided" {
			t.Fatalf("decision: %d\n%s", res.StatusCode, b)
		}
		if _, page := f.get(t, clerk, appPath); !strings.Contains(page, `id="decision-pending"`) || strings.Contains(page, `id="decide-form"`) ||
			len(regexpAll(`href="/pubmed/certificates/(\d+)"`, page)) != 0 {
			t.Fatalf("an unconfirmed decision:\n%s", page)
		}
		f.confirmAllPages(t, checker)
		_, page = f.get(t, clerk, appPath)
		certs := regexpAll(`href="/pubmed/certificates/(\d+)"`, page)
		if len(certs) == 0 || strings.Contains(page, `id="decision-pending"`) {
			t.Fatalf("the confirmed decision:\n%s", page)
		}
		certPath := "/pubmed/certificates/" + certs[0]
		_, cert := f.get(t, clerk, certPath)
		if !strings.Contains(cert, "10000001") || !strings.Contains(cert, "10000円") || !strings.Contains(cert, "caps-2015-01") {
			t.Fatalf("certificate page:\n%s", cert)
		}
		for i, amount := range []string{"6000", "6000"} {
			res, b := f.post(t, clerk, certPath+"/copayments", url.Values{"csrf": {csrfOf(t, cert)}, "service_date": {today}, "institution": {"新宿中央病院"}, "amount": {amount}})
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("co-payment %d: %d\n%s", i, res.StatusCode, b)
			}
		}
		_, cert = f.get(t, clerk, certPath)
		if !strings.Contains(cert, "上限額に達しました") {
			t.Errorf("the month's record does not say the cap is reached:\n%s", cert)
		}
		if res, print := f.get(t, clerk, certPath+"/print"); res.StatusCode != http.StatusOK || !strings.Contains(print, `id="doc-cap">10000円`) {
			t.Errorf("print view: %d\n%s", res.StatusCode, print)
		}
		if res, _ := f.get(t, sapporo, appPath); res.StatusCode != http.StatusNotFound {
			t.Errorf("Sapporo's clerk read Shinjuku's application: %d", res.StatusCode)
		}
	})
}

// R-PUB-2, R-ACC-1, R-ACC-2, R-ACC-4, R-AC-4, R-STO-2: through the pages a
// clerk enters an application with the My Number and the identity
// verification at intake; a wrong check digit is marked on its field and
// the typed digits are not sent back; the checker must key the number
// again (a different one is refused); afterwards the application page and
// its JSON show only the mask; the report of deleted numbers opens for a
// reader.
func TestPubmedMyNumberPages(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		testkit.Resident(t, f.residents, "131041", testkit.Person("700001", ""))
		clerk, _ := f.staffClient(t, "pm.clerk", "131041", "保健予防課", [2]string{"pubmed-clerk", "131041"})
		checker, _ := f.staffClient(t, "pm.checker", "131041", "保健予防課", [2]string{"pubmed-checker", "131041"})
		today := time.Now().In(jst).Format(time.DateOnly)
		digits := "48291037561"
		digits += string(mynumber.CheckDigit(digits))
		bad := digits[:11] + string('0'+(digits[11]-'0'+1)%10)

		_, form := f.get(t, clerk, "/pubmed/applications/new")
		if !strings.Contains(form, `id="mynumber"`) || !strings.Contains(form, `id="identity_method"`) {
			t.Fatalf("the form asks no My Number or identity verification:\n%s", form)
		}
		app := url.Values{"csrf": {csrfOf(t, form)}, "kind": {"new"}, "resident_code": {"700001"}, "health_centre": {"新宿区保健所"}, "received_on": {today},
			"programme": {"nanbyo"}, "disease_code": {"6"}, "tax_status": {"levied"}, "income_levy": {"50000"}, "institutions": {"新宿中央病院"},
			"mynumber": {bad}, "identity_method": {"mynumber_card"}}
		before := f.pendingChanges(t)
		res, b := f.post(t, clerk, "/pubmed/applications/new", app)
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(b, `id="mynumber-error"`) || strings.Contains(b, bad) || f.pendingChanges(t) != before {
			t.Fatalf("a wrong check digit: %d\n%s", res.StatusCode, b)
		}
		app.Set("mynumber", digits)
		if res, b := f.post(t, clerk, "/pubmed/applications/new", app); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("application: %d\n%s", res.StatusCode, b)
		}
		_, queue := f.get(t, checker, "/review?all=1")
		ids := slices.Compact(regexpAll(`href="/review/(\d+)"`, queue))
		if len(ids) != 1 {
			t.Fatalf("the queue:\n%s", queue)
		}
		_, change := f.get(t, checker, "/review/"+ids[0])
		if strings.Contains(change, digits) || !strings.Contains(change, `id="mynumber-again"`) {
			t.Fatalf("the checker's page shows the number or asks no re-entry:\n%s", change)
		}
		other := "48291037562"
		other += string(mynumber.CheckDigit(other))
		if res, b := f.post(t, checker, "/review/"+ids[0]+"/confirm", url.Values{"csrf": {csrfOf(t, change)}, "mynumber": {other}}); res.StatusCode != http.StatusBadRequest {
			t.Fatalf("a different number re-keyed: %d\n%s", res.StatusCode, b)
		}
		if res, b := f.post(t, checker, "/review/"+ids[0]+"/confirm", url.Values{"csrf": {csrfOf(t, change)}, "mynumber": {digits}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("confirm: %d\n%s", res.StatusCode, b)
		}
		_, list := f.get(t, clerk, "/pubmed")
		apps := regexpAll(`href="/pubmed/applications/(\d+)"`, list)
		if len(apps) != 1 {
			t.Fatalf("the list:\n%s", list)
		}
		_, page := f.get(t, clerk, "/pubmed/applications/"+apps[0])
		if strings.Contains(page, digits) || !strings.Contains(page, mynumber.Mask+"（入力済み・非表示）") || !strings.Contains(page, "個人番号カード") {
			t.Errorf("the clerk's application page after confirmation:\n%s", page)
		}
		if res, body := f.get(t, clerk, "/api/v1/pubmed/applications/"+apps[0]); res.StatusCode != http.StatusOK || strings.Contains(body, digits) ||
			!strings.Contains(strings.ReplaceAll(body, " ", ""), `"mynumber":"`+mynumber.Mask+`"`) {
			t.Errorf("the application's JSON: %d %s", res.StatusCode, body)
		}
		if res, body := f.get(t, clerk, "/pubmed/mynumber-deletions"); res.StatusCode != http.StatusOK || !strings.Contains(body, `id="deletions-none"`) {
			t.Errorf("the report of deletions: %d\n%s", res.StatusCode, body)
		}
		if res, body := f.get(t, clerk, "/api/v1/pubmed/mynumber-deletions"); res.StatusCode != http.StatusOK || !strings.Contains(strings.ReplaceAll(body, " ", ""), `"retention_years":5`) {
			t.Errorf("the report's JSON: %d %s", res.StatusCode, body)
		}
	})
}

// R-PUB-1: the renewal list opens from the list page, names a certificate
// ending within the window with a link to enter its renewal, refuses a
// wrong window on its field, and answers the same as JSON.
func TestPubmedRenewalPages(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		testkit.Resident(t, f.residents, "131041", testkit.Person("700001", ""))
		clerk, _ := f.staffClient(t, "pm.clerk", "131041", "保健予防課", [2]string{"pubmed-clerk", "131041"})
		today := time.Now().In(jst)
		from := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC).AddDate(-1, 0, 30) // ends in 29 days
		if _, err := f.server.biz.Pubmed.LoadRecipients(testutil.As("setup"), "131041", []pubmed.Recipient{{ResidentCode: "700001", Programme: pubmed.Nanbyo,
			DiseaseCode: "6", Category: pubmed.General1, Institution: "新宿中央病院", HealthCentre: "新宿区保健所", From: from}}); err != nil {
			t.Fatal(err)
		}
		if _, list := f.get(t, clerk, "/pubmed"); !strings.Contains(list, `href="/pubmed/renewals"`) {
			t.Error("the list page has no link to the renewal list")
		}
		res, page := f.get(t, clerk, "/pubmed/renewals")
		if res.StatusCode != http.StatusOK || !strings.Contains(page, "10000001") || !strings.Contains(page, "kind=renewal&amp;certificate=") {
			t.Fatalf("the renewal list: %d\n%s", res.StatusCode, page)
		}
		if res, page := f.get(t, clerk, "/pubmed/renewals?days=10"); res.StatusCode != http.StatusOK || !strings.Contains(page, `id="renewals-none"`) {
			t.Errorf("within 10 days: %d\n%s", res.StatusCode, page)
		}
		if res, page := f.get(t, clerk, "/pubmed/renewals?days=999"); res.StatusCode != http.StatusBadRequest || !strings.Contains(page, `id="days-error"`) {
			t.Errorf("a wrong window: %d\n%s", res.StatusCode, page)
		}
		if res, body := f.get(t, clerk, "/api/v1/pubmed/renewals?days=60"); res.StatusCode != http.StatusOK || !strings.Contains(body, "10000001") {
			t.Errorf("the JSON: %d %s", res.StatusCode, body)
		}
	})
}
