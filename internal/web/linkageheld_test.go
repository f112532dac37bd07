package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"bango/internal/linkage"
	"bango/internal/store"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
	"bango/internal/wareki"
)

// heldResidentFile is a differences file of three new residents from code
// first on.
func heldResidentFile(t *testing.T, first int) []byte {
	t.Helper()
	l, err := linkage.Lookup("resident-differences", 1)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	w, err := linkage.NewWriter(&out, l, linkage.Values{"municipality": testkit.Shinjuku, "created": wareki.Civil(2026, 12, 2),
		"period_from": wareki.Civil(2026, 12, 1), "period_to": wareki.Civil(2026, 12, 1)})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := w.Write("2", linkage.Values{"change": "11", "resident_code": first + i, "household_no": 7100, "name": "山田　花子", "name_kana": "ﾔﾏﾀﾞ ﾊﾅｺ",
			"birth": wareki.Civil(1980, 2, 1+i), "sex": "2", "relation": "01", "postal": "1600023", "address": "東京都新宿区西新宿二丁目",
			"effective": wareki.Civil(2026, 12, 1)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Close(nil); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// R-LNK-2, R-ACC-1, R-ACC-5: a partner configured to hold its files for
// a second person pushes over mutual TLS; the file is checked whole and
// held (202, nothing applied, the partner its maker), the same file again
// is a replay; a staff checker sees it in the queue of partner files and
// confirms it — applied then, by the checker — or declines another with a
// reason, which purges it; a clerk without review.confirm may do neither.
func TestPartnerPushHeldForConfirmation(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		n := newPartnerNet(t, f)
		admin := testutil.As("cli:is-admin")
		if _, err := n.linkage.AddPartner(admin, linkage.Partner{Tenant: testkit.Shinjuku, ID: "resident-held", Direction: linkage.Inbound,
			Confirm: true, Layouts: []string{"resident-differences"}}); err != nil {
			t.Fatal(err)
		}
		is, err := n.linkage.IssueCertificate(admin, testkit.Shinjuku, "resident-held", n.ca)
		if err != nil {
			t.Fatal(err)
		}
		partner := n.client(t, is)
		applied := func() int {
			return countRows(t, f, `SELECT count(*) FROM linkage_resident_differences WHERE tenant_code = '131041' AND resident_code IN ('710001', '720001')`)
		}

		file := heldResidentFile(t, 710001)
		res, b := n.do(t, partner, "POST", "/linkage/v1/files/resident-differences?name=IDO1.DAT", file)
		var held pushAnswer
		if res.StatusCode != http.StatusAccepted || json.Unmarshal(b, &held) != nil || held.Outcome != linkage.Pending || held.Applied != 0 || held.Records != 3 {
			t.Fatalf("held push: %d %s", res.StatusCode, b)
		}
		if got := applied(); got != 0 {
			t.Fatalf("%d records applied before confirmation", got)
		}
		if res, b := n.do(t, partner, "POST", "/linkage/v1/files/resident-differences?name=IDO1.DAT", file); res.StatusCode != http.StatusConflict {
			t.Errorf("the held file pushed again: %d %s", res.StatusCode, b)
		}
		// A file with a bad record is rejected whole on arrival: it never
		// reaches the queue.
		bad := heldResidentFile(t, 730001)
		bad = bad[:len(bad)-5]
		if res, b := n.do(t, partner, "POST", "/linkage/v1/files/resident-differences?name=BAD.DAT", bad); res.StatusCode != http.StatusBadRequest {
			t.Errorf("a bad file: %d %s", res.StatusCode, b)
		}
		res, b = n.do(t, partner, "POST", "/linkage/v1/files/resident-differences?name=IDO2.DAT", heldResidentFile(t, 720001))
		var second pushAnswer
		if res.StatusCode != http.StatusAccepted || json.Unmarshal(b, &second) != nil {
			t.Fatalf("second held push: %d %s", res.StatusCode, b)
		}

		clerk, clerkCSRF := f.staffClient(t, "hclerk", "131041", "国民健康保険課", [2]string{"nhi-clerk", "131041"})
		if code, _ := f.apiCall(t, clerk, clerkCSRF, "POST", "/api/v1/linkage/held/"+itoa(held.Job)+"/confirm", `{}`); code != http.StatusForbidden {
			t.Errorf("a clerk confirmed a partner's file: %d", code)
		}
		checker, csrf := f.staffClient(t, "hchecker", "131041", "国民健康保険課", [2]string{"nhi-checker", "131041"})
		res, page := f.get(t, checker, "/linkage/held")
		if res.StatusCode != http.StatusOK || !strings.Contains(page, "連携ファイルの確認") || !strings.Contains(page, "partner:131041/resident-held") ||
			!strings.Contains(page, "IDO1.DAT") || !strings.Contains(page, "IDO2.DAT") {
			t.Fatalf("queue page: %d\n%s", res.StatusCode, page)
		}
		// The checker's review queue lists them too, beside the changes,
		// each linked to its row of the queue of partner files.
		res, page = f.get(t, checker, "/review")
		if res.StatusCode != http.StatusOK || !strings.Contains(page, `id="review-held"`) || !strings.Contains(page, "IDO1.DAT") ||
			!strings.Contains(page, "IDO2.DAT") || !strings.Contains(page, `href="/linkage/held#held-`+itoa(held.Job)+`"`) {
			t.Fatalf("review queue without the partner files: %d\n%s", res.StatusCode, page)
		}
		code, list := f.apiCall(t, checker, csrf, "GET", "/api/v1/linkage/held", "")
		if items, _ := list["items"].([]any); code != http.StatusOK || len(items) != 2 {
			t.Fatalf("queue API: %d %v", code, list)
		}

		code, got := f.apiCall(t, checker, csrf, "POST", "/api/v1/linkage/held/"+itoa(held.Job)+"/confirm", `{}`)
		if code != http.StatusOK || got["outcome"] != linkage.Applied || got["applied"] != float64(3) || got["decided_by"] != "hchecker" ||
			got["started_by"] != "partner:131041/resident-held" {
			t.Fatalf("confirm: %d %v", code, got)
		}
		if got := applied(); got != 1 {
			t.Errorf("%d of the first file's first record applied, want 1", got)
		}
		if code, _ := f.apiCall(t, checker, csrf, "POST", "/api/v1/linkage/held/"+itoa(held.Job)+"/confirm", `{}`); code != http.StatusConflict {
			t.Errorf("confirmed twice: %d", code)
		}

		// Declining through the page: a reason is required; then the file
		// is purged and nothing of it applied.
		res, page = f.post(t, checker, "/linkage/held/"+itoa(second.Job)+"/decline", url.Values{"csrf": {csrf}, "reason": {""}})
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "取消の理由を200文字以内で入力してください") {
			t.Fatalf("decline without a reason: %d\n%s", res.StatusCode, page)
		}
		// The error stands beside the row's own reason field, which the
		// summary leads to, not only in the page's summary.
		rowID := "reason-" + itoa(second.Job)
		row := page[strings.Index(page, `<tr id="held-`+itoa(second.Job)+`"`):]
		row = row[:strings.Index(row, "</tr>")]
		if !strings.Contains(row, `<p class="field-error" id="`+rowID+`-error">取消の理由を200文字以内で入力してください`) ||
			!strings.Contains(row, `aria-invalid="true" aria-describedby="`+rowID+`-error"`) || !strings.Contains(page, `href="#`+rowID+`"`) {
			t.Fatalf("the decline's error is not beside its row:\n%s", page)
		}
		// A file no longer held (confirmed above): its refusal is said at
		// the top, as there is no row to say it beside.
		res, page = f.post(t, checker, "/linkage/held/"+itoa(held.Job)+"/confirm", url.Values{"csrf": {csrf}})
		if res.StatusCode != http.StatusConflict || !strings.Contains(page, `<p class="error" role="alert">`) || strings.Contains(page, `id="held-error-`) {
			t.Fatalf("confirming a file no longer held: %d\n%s", res.StatusCode, page)
		}
		// R-AC-4: a reason that writes out a My Number is refused.
		if res, page = f.post(t, checker, "/linkage/held/"+itoa(second.Job)+"/decline", url.Values{"csrf": {csrf}, "reason": {"123456789018の送信誤り"}}); res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "個人番号を書かないでください") {
			t.Fatalf("a reason holding a My Number: %d\n%s", res.StatusCode, page)
		}
		res, page = f.post(t, checker, "/linkage/held/"+itoa(second.Job)+"/decline", url.Values{"csrf": {csrf}, "reason": {"住民記録係に確認したところ送信誤り"}})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/linkage/held?done=declined" {
			t.Fatalf("decline: %d\n%s", res.StatusCode, page)
		}
		if res, page = f.get(t, checker, "/linkage/held?done=declined"); !strings.Contains(page, "ファイルを取り消しました") || !strings.Contains(page, "確認待ちのファイルはありません") {
			t.Fatalf("after declining: %d\n%s", res.StatusCode, page)
		}
		if got := applied(); got != 1 {
			t.Errorf("the declined file was applied: %d", got)
		}
		if got := countRows(t, f, `SELECT count(*) FROM linkage_staging WHERE tenant_code = '131041'`); got != 0 {
			t.Errorf("%d staging rows left", got)
		}
		// Each decision is recorded once as done, with the partner as maker
		// and the staff checker; each refusal too.
		for _, a := range []string{"linkage.held.confirm", "linkage.held.decline"} {
			ok := testutil.CountEvents(t, f.db, `action = $1 AND outcome = 'ok' AND detail LIKE '%maker=partner:131041/resident-held checker=hchecker%'`, a)
			denied := testutil.CountEvents(t, f.db, `action = $1 AND outcome = 'denied'`, a)
			// Confirming twice (the API, then the page), declining
			// without a reason and with a My Number in it are refused.
			if want := map[string]int{"linkage.held.confirm": 2, "linkage.held.decline": 2}[a]; ok != 1 || denied != want {
				t.Errorf("%s recorded %d done, %d refused; want 1 and %d", a, ok, denied, want)
			}
		}
	})
}

func countRows(t *testing.T, f *webFixture, q string) int {
	t.Helper()
	var n int
	if err := f.db.Read(testutil.AllTenants(), func(db store.Querier) error { return db.QueryRow(testutil.AllTenants(), q).Scan(&n) }); err != nil {
		t.Fatal(err)
	}
	return n
}
