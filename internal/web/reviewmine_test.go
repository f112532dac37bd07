package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"bango/internal/mynumber"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
)

// R-ACC-1: the maker's own entries through the pages and the API — the
// home page links to them, a rejection shows the checker's reason, a
// waiting entry is withdrawn (nothing applied, the checker's queue
// empties), and nobody else can withdraw it, not even a checker of the
// same section.
func TestMyEntriesPages(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		for _, code := range []string{"100001", "100002", "100003"} {
			testkit.Resident(t, f.residents, "131041", testkit.Person(code, ""))
		}
		clerk, clerkCSRF := f.staffClient(t, "clerk", "131041", "医療保険年金課", [2]string{"nhi-clerk", "131041"})
		checker, checkerCSRF := f.staffClient(t, "checker", "131041", "医療保険年金課", [2]string{"nhi-checker", "131041"})
		other, otherCSRF := f.staffClient(t, "clerk2", "131041", "医療保険年金課", [2]string{"nhi-clerk", "131041"})
		enter := func(code, digits string) int64 {
			t.Helper()
			st, c := f.apiCall(t, clerk, clerkCSRF, "POST", "/api/v1/residents/"+code+"/mynumber", `{"mynumber": "`+digits+`"}`)
			if st != http.StatusAccepted {
				t.Fatalf("enter for %s: %d %v", code, st, c)
			}
			return int64(c["id"].(float64))
		}
		num := func(first11 string) string { return first11 + string(mynumber.CheckDigit(first11)) }
		first, second, third := enter("100001", num("12345678901")), enter("100002", num("23456789012")), enter("100003", num("34567890123"))
		if st, out := f.apiCall(t, checker, checkerCSRF, "POST", "/api/v1/review/"+strconv.FormatInt(first, 10)+"/reject", `{"reason": "証拠書類の番号と異なる"}`); st != 200 {
			t.Fatalf("reject: %d %v", st, out)
		}

		// The home page counts and links both.
		_, home := f.get(t, clerk, "/")
		for _, want := range []string{`id="my-entries"><a href="/review/mine">`, "確認を待っているものが 2 件", `id="my-rejected"><a href="/review/mine">`, "差し戻されたものが 1 件", `href="/review/mine"`} {
			if !strings.Contains(home, want) {
				t.Fatalf("home page lacks %q:\n%s", want, home)
			}
		}
		// The list: newest first, the reason of the rejection, a withdraw
		// button on each waiting one only.
		_, page := f.get(t, clerk, "/review/mine")
		i2, i3, i1 := strings.Index(page, `id="entry-`+strconv.FormatInt(second, 10)), strings.Index(page, `id="entry-`+strconv.FormatInt(third, 10)), strings.Index(page, `id="entry-`+strconv.FormatInt(first, 10))
		if i3 < 0 || i2 < 0 || i1 < 0 || !(i3 < i2 && i2 < i1) {
			t.Fatalf("the entries are not listed newest first (%d %d %d):\n%s", i3, i2, i1, page)
		}
		if !strings.Contains(page, "証拠書類の番号と異なる") || strings.Contains(page, `id="withdraw-`+strconv.FormatInt(first, 10)+`"`) ||
			!strings.Contains(page, `id="withdraw-`+strconv.FormatInt(second, 10)+`"`) || strings.Contains(page, num("23456789012")) {
			t.Fatalf("my entries page:\n%s", page)
		}
		// Another clerk sees none of them and cannot withdraw one.
		if _, p := f.get(t, other, "/review/mine"); strings.Contains(p, `id="entry-`) || !strings.Contains(p, "入力した変更はありません") {
			t.Fatalf("another clerk's list:\n%s", p)
		}
		res, p := f.post(t, other, "/review/"+strconv.FormatInt(second, 10)+"/withdraw", url.Values{"csrf": {otherCSRF}})
		if res.StatusCode != http.StatusForbidden || !strings.Contains(p, "自分が入力した確認待ちの変更だけ") {
			t.Fatalf("another clerk's withdrawal: %d\n%s", res.StatusCode, p)
		}
		if st, _ := f.apiCall(t, checker, checkerCSRF, "POST", "/api/v1/review/"+strconv.FormatInt(second, 10)+"/withdraw", `{}`); st != http.StatusForbidden {
			t.Fatalf("the checker withdrew the clerk's entry: %d", st)
		}
		// The maker withdraws one on the page and one through the API.
		res, _ = f.post(t, clerk, "/review/"+strconv.FormatInt(second, 10)+"/withdraw", url.Values{"csrf": {clerkCSRF}, "reason": {"読み違い"}})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/review/mine?done=withdrawn" {
			t.Fatalf("withdraw: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
		if _, p := f.get(t, clerk, "/review/mine?done=withdrawn"); !strings.Contains(p, "取り下げました") || !strings.Contains(p, "読み違い") {
			t.Fatalf("after withdrawing:\n%s", p)
		}
		st, out := f.apiCall(t, clerk, clerkCSRF, "POST", "/api/v1/review/"+strconv.FormatInt(third, 10)+"/withdraw", `{"reason": "対象者の誤り"}`)
		if st != 200 || out["status"] != "withdrawn" || out["reason"] != "対象者の誤り" {
			t.Fatalf("API withdraw: %d %v", st, out)
		}
		if st, out := f.apiCall(t, clerk, clerkCSRF, "POST", "/api/v1/review/"+strconv.FormatInt(third, 10)+"/withdraw", `{}`); st != http.StatusConflict {
			t.Fatalf("withdrawn twice: %d %v", st, out)
		}
		if st, out := f.apiCall(t, clerk, clerkCSRF, "POST", "/api/v1/review/"+strconv.FormatInt(first, 10)+"/withdraw", `{}`); st != http.StatusConflict || !strings.Contains(toJSON(out), "差戻し済み") {
			t.Fatalf("a rejected entry withdrawn: %d %v", st, out)
		}
		// Nothing applied; the checker's queue is empty; the list says so.
		for _, code := range []string{"100002", "100003"} {
			if r, _ := f.residents.Get(testutil.As("checker"), "131041", code); r.HasMyNumber {
				t.Fatalf("a withdrawn number was applied to %s", code)
			}
		}
		if st, q := f.apiCall(t, checker, "", "GET", "/api/v1/review", ""); st != 200 || len(q["changes"].([]any)) != 0 {
			t.Fatalf("the checker's queue: %d %v", st, q)
		}
		st, list := f.apiCall(t, clerk, "", "GET", "/api/v1/review/mine?limit=2", "")
		changes, _ := list["changes"].([]any)
		if st != 200 || len(changes) != 2 || list["next"] == "" || changes[0].(map[string]any)["status"] != "withdrawn" {
			t.Fatalf("API list: %d %v", st, list)
		}
		if _, home := f.get(t, clerk, "/"); strings.Contains(home, `id="my-entries"`) {
			t.Fatal("the home page still counts waiting entries")
		}
		if n := testutil.CountEvents(t, f.db, `action = 'review.withdraw' AND outcome = 'ok'`); n != 2 {
			t.Fatalf("%d withdrawals recorded, want 2", n)
		}
		if n := testutil.CountEvents(t, f.db, `action = 'review.withdraw' AND outcome <> 'ok'`); n != 4 {
			t.Fatalf("%d refused withdrawals recorded, want 4", n)
		}
	})
}
