package web

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"bango/internal/audit"
	"bango/internal/resident"
	"bango/internal/store"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
)

// R-AUD-4: the access report answers a resident's disclosure request as
// a document: actions and outcomes in words (個人番号の表示, 許可, 拒否),
// an action without words by its key, staff by name and section and one
// no longer in the register by their ID, the terminal beside them, the
// municipality by name, the date of issue, the issuer (the municipality
// and the auditor by section and name), the period covered and the counts;
// in English too. A period asked is validated by its fields, and the CSV
// keeps raw keys with the words beside them. Every report is an event.
func TestAccessReportDocument(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		testkit.Resident(t, f.residents, "131041", testkit.Person("100001", "123456789018"))
		f.kit.Staff(t, testkit.Staff{Login: "sato.h", Name: "佐藤　花子", Tenant: "131041", Department: "健康部", Section: "保険年金課"})
		viewer, viewerCSRF := f.staffClient(t, "sato.h", "131041", "", [2]string{"number-viewer", "131041"})
		if res, _ := f.post(t, viewer, "/residents/100001/reveal", url.Values{"csrf": {viewerCSRF}, "once": {newToken()}, "purpose": {resident.DefaultRevealPurposes[1]}}); res.StatusCode != 200 {
			t.Fatalf("reveal: %d", res.StatusCode)
		}
		// A reveal without a purpose from the list is refused, and recorded.
		if res, _ := f.post(t, viewer, "/residents/100001/reveal", url.Values{"csrf": {viewerCSRF}, "once": {newToken()}, "purpose": {"興味本位"}}); res.StatusCode != http.StatusBadRequest {
			t.Fatalf("reveal without a valid purpose: %d", res.StatusCode)
		}
		// An action the words table does not know yet, by someone the staff
		// register does not hold, at a terminal.
		gone := audit.WithActor(store.WithScope(context.Background(), "131041"), audit.Actor{User: "gone.user", Terminal: "窓口端末3"})
		if err := audit.RecordAlone(gone, f.db, audit.Event{Tenant: "131041", Action: "future.unworded_check", Subject: audit.Subject{Type: "resident", ID: "100001"}, Outcome: audit.OK}); err != nil {
			t.Fatal(err)
		}
		f.kit.Staff(t, testkit.Staff{Login: "kansa.i", Name: "監査　一郎", Department: "総務部", Section: "監査課"})
		auditor, _ := f.staffClient(t, "kansa.i", "", "", [2]string{"auditor", ""})
		f.place(t)

		res, page := f.get(t, auditor, "/audit/residents/131041/100001")
		if res.StatusCode != http.StatusOK {
			t.Fatalf("report: %d", res.StatusCode)
		}
		doc := string(reportOf(t, page))
		for _, want := range []string{
			`<h1>個人番号等アクセス記録（開示用）</h1>`,
			`<td data-action="mynumber.reveal">個人番号の表示</td><td>` + resident.DefaultRevealPurposes[1] + `</td><td data-outcome="ok">許可</td>`,
			`<td data-action="mynumber.reveal">個人番号の表示</td><td>—</td><td data-outcome="denied">拒否</td>`,
			`佐藤　花子<br><span class="small">健康部 保険年金課</span>`,
			`<td>gone.user<br><span class="small">（職員名簿にないID）</span></td><td>窓口端末3</td><td data-action="future.unworded_check">future.unworded_check</td>`,
			`<dt>発行日</dt><dd id="report-issued">TODAY（TODAY）</dd>`,
			`<dd id="report-issuer">新宿区（131041）</dd>`,
			`<dd id="report-issuer-person">総務部 監査課<br>監査　一郎</dd>`,
			`<dd id="report-reveals">1 件</dd>`,
			`<dd id="report-name">山田　太郎　様</dd>`,
		} {
			if !strings.Contains(page+doc, want) {
				t.Errorf("the report lacks %s", want)
			}
		}
		if strings.Contains(doc, "sato.h") || strings.Contains(doc, "kansa.i") || strings.Contains(doc, "123456789018") {
			t.Errorf("the report shows login IDs of registered staff or the My Number:\n%s", doc)
		}
		if t.Failed() {
			t.Fatalf("report:\n%s", doc)
		}

		// In English.
		base, _ := url.Parse(f.srv.URL)
		auditor.Jar.SetCookies(base, []*http.Cookie{{Name: "lang", Value: "en", Path: "/"}})
		_, page = f.get(t, auditor, "/audit/residents/131041/100001")
		for _, want := range []string{"Display of the My Number", ">Granted<", ">Refused<", "Date of issue", "新宿区 (131041)", "future.unworded_check"} {
			if !strings.Contains(page, want) {
				t.Errorf("the English report lacks %q", want)
			}
		}
		auditor.Jar.SetCookies(base, []*http.Cookie{{Name: "lang", Value: "ja", Path: "/"}})

		// A period: what it covers, and its fields checked.
		_, page = f.get(t, auditor, "/audit/residents/131041/100001?from=2000-01-01&to=2000-12-31")
		if !strings.Contains(page, `<dd id="report-covered">2000年1月1日から2000年12月31日まで</dd>`) || !strings.Contains(page, `<dd id="report-count">0 件</dd>`) {
			t.Errorf("a period without events:\n%s", reportOf(t, page))
		}
		res, page = f.get(t, auditor, "/audit/residents/131041/100001?from=2026-13-01")
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(page, `id="from-error"`) || !strings.Contains(page, `aria-invalid="true"`) ||
			!strings.Contains(page, "日付は 2026-04-01 の形で入力してください") || !strings.Contains(page, `href="#from"`) || strings.Contains(page, `id="access-report"`) {
			t.Errorf("a wrong start date: %d\n%s", res.StatusCode, page)
		}
		res, page = f.get(t, auditor, "/audit/residents/131041/100001?from=2026-04-02&to=2026-04-01")
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(page, `id="to-error"`) || strings.Contains(page, `id="from-error"`) {
			t.Errorf("a period ending before it starts: %d\n%s", res.StatusCode, page)
		}

		// The CSV: ISO times and raw keys, the words beside them.
		res, body := f.get(t, auditor, "/audit/residents/131041/100001/csv")
		rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
		if err != nil || res.StatusCode != http.StatusOK || len(rows) != 7 {
			t.Fatalf("CSV: %d, %d rows, %v\n%s", res.StatusCode, len(rows), err, body)
		}
		head := strings.Join(rows[0], ",")
		if !strings.HasPrefix(head, strings.Join(csvHeader, ",")+",") || !strings.HasSuffix(head, "action_words,outcome_words,actor_name,actor_section") {
			t.Errorf("CSV header: %s", head)
		}
		var reveal []string
		for _, r := range rows[1:] {
			if r[8] == "mynumber.reveal" && r[12] == "ok" {
				reveal = r
			}
		}
		if reveal == nil || reveal[14] != "個人番号の表示" || reveal[15] != "許可" || reveal[16] != "佐藤　花子" || reveal[17] != "健康部 保険年金課" {
			t.Errorf("CSV row of the reveal: %q", reveal)
		}

		// Every report read is an event, the refused ones read nothing.
		reports := testutil.CountEvents(t, f.db, `action = 'audit.access_report' AND actor_user = 'kansa.i'`)
		periods := testutil.CountEvents(t, f.db, `action = 'audit.access_report' AND actor_user = 'kansa.i' AND detail LIKE '%from=1999-12-31T15:00:00Z to=2000-12-31T15:00:00Z%'`)
		if reports != 4 || periods != 1 {
			t.Errorf("report events = %d (with the period %d), want 4 (1)", reports, periods)
		}
	})
}
