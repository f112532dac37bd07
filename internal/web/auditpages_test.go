package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"bango/internal/alert"
	"bango/internal/audit"
	"bango/internal/notify"
	"bango/internal/resident"
	"bango/internal/store"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
)

// R-AUD-2, R-AUD-4: an auditor finds a resident's events by the My Number
// without the number being stored or logged; the access report lists who,
// when, what, why, as a page and CSV; a privacy manager of another
// municipality sees none of it; searches and exports are events.
func TestAuditPages(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		const digits = "123456789018"
		testkit.Resident(t, f.residents, "131041", testkit.Person("100001", digits))
		viewer, viewerCSRF := f.staffClient(t, "viewer", "131041", "医療保険年金課", [2]string{"number-viewer", "131041"})
		if res, _ := f.post(t, viewer, "/residents/100001/reveal", url.Values{"csrf": {viewerCSRF}, "once": {newToken()}, "purpose": {resident.DefaultRevealPurposes[2]}}); res.StatusCode != 200 {
			t.Fatalf("reveal: %d", res.StatusCode)
		}
		auditor, _ := f.staffClient(t, "auditor", "", "監査課", [2]string{"auditor", ""})
		sapporoPM, sapporoCSRF := f.staffClient(t, "pm-sapporo", "", "個人情報保護担当", [2]string{"privacy-manager", "011002"})
		f.place(t)

		// A My Number in a URL is refused; the form posts it and is sent on to
		// the results by its subjects, never the digits.
		if res, _ := f.get(t, auditor, "/audit?search=1&mynumber="+digits); res.StatusCode != 200 {
			t.Fatalf("number in URL: %d", res.StatusCode)
		}
		_, form := f.get(t, auditor, "/audit")
		res, _ := f.post(t, auditor, "/audit", url.Values{"csrf": {csrfOf(t, form)}, "mynumber": {digits}})
		loc := res.Header.Get("Location")
		if res.StatusCode != http.StatusSeeOther || strings.Contains(loc, digits) || !strings.Contains(loc, "subject=mynumber%3A") {
			t.Fatalf("search post: %d %q", res.StatusCode, loc)
		}
		_, page := f.get(t, auditor, loc)
		if !strings.Contains(page, `<code class="small">mynumber.reveal</code>`) || strings.Contains(page, `href="/audit/events.csv?"`) || !strings.Contains(page, `href="/audit/residents/131041/100001"`) || strings.Contains(page, digits) {
			t.Fatalf("search by My Number:\n%s", page)
		}
		_, page = f.get(t, sapporoPM, "/audit?search=1&resident=100001")
		if !strings.Contains(page, `id="audit-results"`) || strings.Contains(page, `<code class="small">mynumber.reveal</code>`) {
			t.Fatal("another municipality's privacy manager found 131041's events")
		}
		// A searcher of one municipality posting another's number learns
		// nothing: no redirect naming its holder, on page and API, and the
		// refusal is audited (issue 14 B).
		_, form = f.get(t, sapporoPM, "/audit")
		res, page = f.post(t, sapporoPM, "/audit", url.Values{"csrf": {csrfOf(t, form)}, "mynumber": {digits}, "tenant": {"131041"}})
		if res.StatusCode != http.StatusBadRequest || res.Header.Get("Location") != "" || strings.Contains(page, "100001") || strings.Contains(page, digits) {
			t.Fatalf("another municipality's number by form: %d %q", res.StatusCode, res.Header.Get("Location"))
		}
		if st, out := f.apiCall(t, sapporoPM, sapporoCSRF, "POST", "/api/v1/audit/events", `{"MyNumber": "`+digits+`", "Tenant": "131041"}`); st != http.StatusBadRequest || strings.Contains(fmt.Sprint(out), "100001") {
			t.Fatalf("another municipality's number by API: %d %v", st, out)
		}
		outside := testutil.CountEvents(t, f.db, `action = 'request.refused' AND actor_user = 'pm-sapporo' AND detail LIKE '%audit_search_outside_scope%'`)
		if outside != 2 {
			t.Fatalf("refused searches outside scope recorded = %d, want 2", outside)
		}
		if res, _ := f.get(t, sapporoPM, "/audit/residents/131041/100001"); res.StatusCode != http.StatusNotFound {
			t.Fatalf("another municipality's access report: %d", res.StatusCode)
		}
		_, page = f.get(t, auditor, "/audit/residents/131041/100001")
		if strings.Contains(page, digits) {
			t.Fatalf("access report holds the My Number:\n%s", page)
		}
		// Who, when, what and why, the same on both engines.
		testutil.Golden(t, "access-report.html", reportOf(t, page))
		var csvBody string
		res, csvBody = f.get(t, auditor, "/audit/residents/131041/100001/csv")
		if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Disposition"), "bango-access-131041-100001.csv") ||
			!strings.Contains(csvBody, "mynumber.reveal") || strings.Contains(csvBody, digits) {
			t.Fatalf("access report CSV: %d\n%s", res.StatusCode, csvBody)
		}
		if res, body := f.get(t, auditor, "/audit/events.csv?actor=viewer"); res.StatusCode != 200 || !strings.Contains(body, "mynumber.reveal") {
			t.Fatalf("search CSV: %d", res.StatusCode)
		}
		leaks := testutil.CountEvents(t, f.db, `detail LIKE '%' || $1 || '%' OR subject_id = $1 OR purpose LIKE '%' || $1 || '%'`, digits)
		searches := testutil.CountEvents(t, f.db, `action = 'audit.search' AND actor_user = 'auditor' AND detail LIKE '%subject=mynumber:%'`)
		exports := testutil.CountEvents(t, f.db, `action = 'audit.export' AND actor_user = 'auditor'`)
		if leaks != 0 || searches != 1 || exports != 1 {
			t.Fatalf("leaks=%d, My Number searches recorded=%d, exports recorded=%d", leaks, searches, exports)
		}
	})
}

// R-AUD-4: the privacy manager acknowledges an alert with a comment and
// signs off a period's reveals and alerts.
func TestAlertsAndPeriodicReview(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		ctx := audit.WithActor(context.Background(), audit.Actor{User: "setup"})
		testkit.Resident(t, f.residents, "131041", testkit.Person("100001", "123456789018"))
		viewer, viewerCSRF := f.staffClient(t, "viewer", "131041", "医療保険年金課", [2]string{"number-viewer", "131041"})
		for range 4 { // the fixture's limit is 3 an hour
			f.post(t, viewer, "/residents/100001/reveal", url.Values{"csrf": {viewerCSRF}, "once": {newToken()}, "purpose": {resident.DefaultRevealPurposes[0]}})
		}
		pm, pmCSRF := f.staffClient(t, "pm-131041", "", "個人情報保護担当", [2]string{"privacy-manager", "131041"})
		f.place(t)
		open, _, _ := f.alerts.Open(context.Background(), 0)
		if len(open.Items) != 1 {
			t.Fatalf("open alerts = %d", len(open.Items))
		}
		id := itoa(open.Items[0].ID)
		if res, _ := f.post(t, pm, "/alerts/"+id+"/ack", url.Values{"csrf": {pmCSRF}}); res.StatusCode != http.StatusBadRequest {
			t.Fatalf("ack without comment: %d", res.StatusCode)
		}
		if res, _ := f.post(t, pm, "/alerts/"+id+"/ack", url.Values{"csrf": {pmCSRF}, "comment": {"本人確認の事務で正当と確認"}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("ack: %d", res.StatusCode)
		}
		_, page := f.get(t, pm, "/audit/review?tenant=131041")
		if !strings.Contains(page, `id="period-reveals"`) || strings.Count(page, resident.DefaultRevealPurposes[0]) != 4 {
			t.Fatalf("review page does not list the 4 reveals:\n%s", page)
		}
		// R-AC-4: a finding that writes out a My Number is refused.
		if res, page := f.post(t, pm, "/audit/review", url.Values{"csrf": {pmCSRF}, "tenant": {"131041"}, "note": {"123456789018の閲覧は正当"}}); res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "個人番号を書かないでください") {
			t.Fatalf("a sign-off note holding a My Number: %d\n%s", res.StatusCode, page)
		}
		if res, _ := f.post(t, pm, "/audit/review", url.Values{"csrf": {pmCSRF}, "tenant": {"131041"}, "note": {"異常なし"}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign off: %d", res.StatusCode)
		}
		// An alert of no municipality (an unknown database connection) is on
		// every privacy manager's home page.
		if _, err := f.alerts.Raise(store.WithScope(ctx, ""), alert.Alert{Rule: alert.RuleUnknownDBConn, Subject: "role=x application=psql address=10.9.9.9"}); err != nil {
			t.Fatal(err)
		}
		if _, page := f.get(t, pm, "/"); !strings.Contains(page, "application=psql") {
			t.Fatal("the privacy manager's home page does not show the unknown connection")
		}
		var detail string
		f.db.ReadRow(testutil.AllTenants(), `SELECT detail FROM audit_events WHERE action = 'audit.review.signoff'`).Scan(&detail)
		if !strings.Contains(detail, "reveals=4 alerts=1") || !strings.Contains(detail, "note=異常なし") {
			t.Fatalf("sign-off event: %q", detail)
		}
	})
}

// R-AUD-3: a status report the mail server keeps refusing shows on the IS
// administrator's home page, with its last error; nobody else sees it.
func TestFailingMailOnAdminHome(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		if _, err := f.outbox.Enqueue(context.Background(), []string{"is@city.example.lg.jp"}, "bango 状態報告", "本文"); err != nil {
			t.Fatal(err)
		}
		down := testutil.NewSMTPServer(t, true)
		down.Close()
		if _, err := f.outbox.Deliver(context.Background(), notify.SMTP{Host: down.Host, Port: down.Port, From: "bango@x", Timeout: time.Second}); err != nil {
			t.Fatal(err)
		}
		admin, _ := f.staffClient(t, "admin", "", "情報システム課", [2]string{"is-admin", ""})
		clerk, _ := f.staffClient(t, "clerk", "131041", "医療保険年金課", [2]string{"nhi-clerk", "131041"})
		if _, page := f.get(t, admin, "/"); !strings.Contains(page, `id="failing-mail"`) || !strings.Contains(page, "bango 状態報告") {
			t.Fatal("the IS administrator's home page does not show the failing report")
		}
		if _, page := f.get(t, clerk, "/"); strings.Contains(page, `id="failing-mail"`) {
			t.Fatal("a clerk sees the mail status")
		}
	})
}

var minute = regexp.MustCompile(`\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d`)

// reportOf is the report of an access report page (the document,
// without the page around it), its times replaced by "YYYY-MM-DD hh:mm"
// and today's date, the date of issue and of the events, by "TODAY".
func reportOf(t *testing.T, page string) []byte {
	t.Helper()
	start, end := strings.Index(page, `<article id="access-report"`), strings.Index(page, "</article>")
	if start < 0 || end < start {
		t.Fatalf("no report in the page:\n%s", page)
	}
	doc := minute.ReplaceAllString(page[start:end+len("</article>")], "YYYY-MM-DD hh:mm")
	// The events were written a few seconds ago, maybe before midnight in
	// Japan (CI failed so once at 00:00 JST): today and the day a few
	// minutes ago are both "TODAY".
	for _, at := range []time.Time{time.Now().In(jst), time.Now().Add(-5 * time.Minute).In(jst)} {
		doc = strings.ReplaceAll(doc, day("ja", at), "TODAY")
		doc = strings.ReplaceAll(doc, resident.Wareki(time.Date(at.Year(), at.Month(), at.Day(), 0, 0, 0, 0, time.UTC)), "TODAY")
	}
	return []byte(doc + "\n")
}
