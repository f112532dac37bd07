package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"bango/internal/testutil"
)

// R-NHI-8, R-ACC-1, R-AC-6: the 保険者番号 page. A linkage operator sees
// that no number is configured, files one (a wrong number and a day that
// is not a date refused beside their fields), and it is not in force
// until a checker confirms it in the review queue — the operator's own
// confirmation refused; then the page shows it in force. A back-dated
// number is refused on its field once one is configured; the API reads
// the same and files a change (202), a second while one waits is 409; an
// NHI clerk without linkage.run gets no page. On both engines.
func TestLinkageInsurerPage(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		runner, csrf := f.staffClient(t, "lrunner", "131041", "国民健康保険課", [2]string{"linkage", "131041"}, [2]string{"nhi-checker", "131041"})
		checker, ccsrf := f.staffClient(t, "lchecker", "131041", "国民健康保険課", [2]string{"nhi-checker", "131041"})
		res, page := f.get(t, runner, "/linkage/insurer")
		if res.StatusCode != http.StatusOK || !strings.Contains(page, "保険者番号が設定されていません") || !strings.Contains(page, `id="insurer-form"`) ||
			!strings.Contains(page, "本日適用されている保険者番号はありません") {
			t.Fatalf("the insurer page with no number: %d\n%s", res.StatusCode, page)
		}
		if _, page = f.get(t, runner, "/linkage/jobs"); !strings.Contains(page, `href="/linkage/insurer" id="tab-insurer"`) {
			t.Fatalf("the jobs page does not lead to the insurer page:\n%s", page)
		}

		res, page = f.post(t, runner, "/linkage/insurer", url.Values{"csrf": {csrf}, "insurer": {"13801"}, "from": {"2018-02-30"}})
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(page, `id="insurer-error"`) || !strings.Contains(page, "保険者番号は6桁の数字です") ||
			!strings.Contains(page, `id="from-error"`) || !strings.Contains(page, `value="13801"`) {
			t.Fatalf("a wrong number and day: %d\n%s", res.StatusCode, page)
		}
		res, _ = f.post(t, runner, "/linkage/insurer", url.Values{"csrf": {csrf}, "insurer": {"138016"}, "from": {"2018-04-01"}})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/linkage/insurer?done=insurer" {
			t.Fatalf("filing a number: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
		_, page = f.get(t, runner, "/linkage/insurer?done=insurer")
		if !strings.Contains(page, "保険者番号の変更を申請しました") || !strings.Contains(page, `id="insurer-waiting"`) ||
			!strings.Contains(page, "保険者番号: 未設定 → 138016（2018年4月1日から）") || !strings.Contains(page, "本日適用されている保険者番号はありません") {
			t.Fatalf("the filed number is in force before its confirmation, or not shown waiting:\n%s", page)
		}
		code, out := f.apiCall(t, runner, csrf, "GET", "/api/v1/linkage/insurer", "")
		waiting, _ := out["waiting"].(map[string]any)
		if code != http.StatusOK || len(out["items"].([]any)) != 0 || out["in_force"] != nil || waiting == nil {
			t.Fatalf("API before the confirmation: %d %v", code, out)
		}
		change := itoa(int64(waiting["change"].(float64)))
		if code, out := f.apiCall(t, runner, csrf, "POST", "/api/v1/linkage/insurer", `{"insurer_no":"138017","effective_from":"2019-04-01"}`); code != http.StatusConflict {
			t.Fatalf("a second change while one waits: %d %v", code, out)
		}

		// The operator holds review.confirm too, and still cannot confirm their own.
		if res, _ := f.post(t, runner, "/review/"+change+"/confirm", url.Values{"csrf": {csrf}}); res.StatusCode == http.StatusSeeOther {
			t.Fatal("the operator confirmed their own insurer number")
		}
		if res, page := f.get(t, checker, "/review/"+change); res.StatusCode != http.StatusOK || !strings.Contains(page, "保険者番号: 未設定 → 138016（2018年4月1日から）") {
			t.Fatalf("the checker's view of the change: %d\n%s", res.StatusCode, page)
		}
		if res, page := f.post(t, checker, "/review/"+change+"/confirm", url.Values{"csrf": {ccsrf}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("the checker's confirmation: %d\n%s", res.StatusCode, page)
		}
		_, page = f.get(t, runner, "/linkage/insurer")
		if !strings.Contains(page, "本日適用されている保険者番号: 138016") || !strings.Contains(page, `id="insurer-138016-2018-04-01"`) ||
			strings.Contains(page, `id="insurer-waiting"`) || !strings.Contains(page, "lchecker") {
			t.Fatalf("the confirmed number:\n%s", page)
		}

		// Configured now: a back-dated number is refused on its field.
		res, page = f.post(t, runner, "/linkage/insurer", url.Values{"csrf": {csrf}, "insurer": {"138999"}, "from": {"2020-04-01"}})
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(page, `id="from-error"`) || !strings.Contains(page, "今日以降の日付です") {
			t.Fatalf("a back-dated number: %d\n%s", res.StatusCode, page)
		}
		code, out = f.apiCall(t, runner, csrf, "POST", "/api/v1/linkage/insurer", `{"insurer_no":"138999","effective_from":"2099-04-01"}`)
		if code != http.StatusAccepted || out["kind"] != "linkage.insurer" || out["status"] != "pending" {
			t.Fatalf("API filing: %d %v", code, out)
		}
		code, out = f.apiCall(t, runner, csrf, "GET", "/api/v1/linkage/insurer", "")
		if code != http.StatusOK || out["in_force"] != "138016" || len(out["items"].([]any)) != 1 || out["waiting"] == nil {
			t.Fatalf("API after: %d %v", code, out)
		}

		clerk, _ := f.staffClient(t, "nclerk", "131041", "国民健康保険課", [2]string{"nhi-clerk", "131041"})
		if res, _ := f.get(t, clerk, "/linkage/insurer"); res.StatusCode != http.StatusForbidden {
			t.Errorf("an NHI clerk without linkage.run: %d", res.StatusCode)
		}
		if got := testutil.CountEvents(t, f.db, `action = 'linkage.insurer.set' AND outcome = 'ok' AND detail LIKE '%via=review%'`); got != 1 {
			t.Errorf("%d numbers set through the review, want 1", got)
		}
		if got := testutil.CountEvents(t, f.db, `action = 'linkage.insurer.propose' AND outcome = 'denied'`); got != 2 {
			t.Errorf("%d refusals recorded, want 2 (the wrong number and day, the back-dated one)", got)
		}
	})
}
