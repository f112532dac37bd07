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

	"bango/internal/audit"
	"bango/internal/resident"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
)

var changeLink = regexp.MustCompile(`href="/review/(\d+)"`)

// R-ACC-1, R-AC-4, R-AC-6: a clerk enters a My Number, which nobody sees
// afterwards; a checker keys it again blind; a number viewer reveals it
// with a purpose and a fresh second factor; another municipality's staff
// cannot find the resident at all.
func TestMyNumberPages(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		testkit.Resident(t, f.residents, "131041", testkit.Person("100001", ""))
		const digits, spaced = "123456789018", "1234 5678 9018"
		clerk, clerkCSRF := f.staffClient(t, "clerk", "131041", "医療保険年金課", [2]string{"nhi-clerk", "131041"})
		checker, checkerCSRF := f.staffClient(t, "checker", "131041", "医療保険年金課", [2]string{"nhi-checker", "131041"})
		viewer, viewerCSRF := f.staffClient(t, "viewer", "131041", "医療保険年金課", [2]string{"number-viewer", "131041"})
		sapporo, _ := f.staffClient(t, "sapporo", "011002", "保険年金課", [2]string{"nhi-clerk", "011002"})

		if _, page := f.get(t, clerk, "/residents?q="+url.QueryEscape("ヤマダ")); !strings.Contains(page, `href="/residents/100001"`) {
			t.Fatal("search did not find the resident")
		}
		if res, _ := f.get(t, sapporo, "/residents/100001"); res.StatusCode != http.StatusNotFound {
			t.Fatalf("another municipality's resident: %d, want 404", res.StatusCode)
		}
		res, page := f.post(t, clerk, "/residents/100001/mynumber", url.Values{"csrf": {clerkCSRF}, "mynumber": {"123456789019"}})
		if res.StatusCode != http.StatusBadRequest || strings.Contains(page, "123456789019") {
			t.Fatalf("wrong check digit: %d (the input must not be echoed)", res.StatusCode)
		}
		if res, _ := f.post(t, clerk, "/residents/100001/mynumber", url.Values{"csrf": {clerkCSRF}, "mynumber": {digits}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("enter: %d", res.StatusCode)
		}
		_, page = f.get(t, clerk, "/residents/100001")
		if !strings.Contains(page, "確認待ち") || strings.Contains(page, digits) || strings.Contains(page, spaced) {
			t.Fatal("after entry the page must say it awaits confirmation and must not show the number")
		}
		if res, _ := f.get(t, clerk, "/review"); res.StatusCode != http.StatusForbidden {
			t.Fatalf("the clerk reached the review queue: %d", res.StatusCode)
		}
		if _, home := f.get(t, checker, "/"); !strings.Contains(home, "確認待ちの入力が 1 件あります") {
			t.Fatal("the checker's home page does not count the entry waiting")
		}
		_, queue := f.get(t, checker, "/review")
		m := changeLink.FindStringSubmatch(queue)
		if m == nil {
			t.Fatalf("nothing in the checker's queue:\n%s", queue)
		}
		if _, page := f.get(t, checker, "/review/"+m[1]); strings.Contains(page, digits) || !strings.Contains(page, `id="mynumber-again"`) {
			t.Fatal("the checker must key the number again without seeing it")
		}
		res, page = f.post(t, checker, "/review/"+m[1]+"/confirm", url.Values{"csrf": {checkerCSRF}, "mynumber": {"123456789115"}})
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "mynumber") {
			t.Fatalf("another valid number: %d", res.StatusCode)
		}
		if res, _ := f.post(t, checker, "/review/"+m[1]+"/confirm", url.Values{"csrf": {checkerCSRF}, "mynumber": {digits}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("confirm: %d", res.StatusCode)
		}
		if _, page := f.get(t, clerk, "/residents/100001"); strings.Contains(page, digits) || !strings.Contains(page, "●●●●") {
			t.Fatal("the registered number must be masked for the person who entered it")
		}

		// Reveal: purpose required; then shown once, audited with its purpose.
		// R-AC-4: an "other" purpose described with a My Number is refused.
		if res, page := f.post(t, viewer, "/residents/100001/reveal", url.Values{"csrf": {viewerCSRF}, "once": {newToken()}, "purpose": {resident.OtherPurpose}, "note": {"123456789018との照合"}}); res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "個人番号を書かないでください") {
			t.Fatalf("a purpose holding a My Number: %d\n%s", res.StatusCode, page)
		}
		if res, _ := f.post(t, viewer, "/residents/100001/reveal", url.Values{"csrf": {viewerCSRF}, "once": {newToken()}}); res.StatusCode != http.StatusBadRequest {
			t.Fatalf("reveal without purpose: %d", res.StatusCode)
		}
		purpose := resident.DefaultRevealPurposes[0]
		once := newToken()
		res, page = f.post(t, viewer, "/residents/100001/reveal", url.Values{"csrf": {viewerCSRF}, "once": {once}, "purpose": {purpose}})
		if res.StatusCode != http.StatusOK || !strings.Contains(page, spaced) || !strings.Contains(page, `id="reveal-hide"`) {
			t.Fatalf("reveal: %d", res.StatusCode)
		}
		// Reloading the answer sends the same form again: one reveal is one
		// event, so it shows nothing and records nothing (issue 14 D).
		res, page = f.post(t, viewer, "/residents/100001/reveal", url.Values{"csrf": {viewerCSRF}, "once": {once}, "purpose": {purpose}})
		if res.StatusCode != http.StatusConflict || strings.Contains(page, spaced) || !strings.Contains(page, "再読み込み") {
			t.Fatalf("reveal reloaded: %d", res.StatusCode)
		}
		if res, _ := f.post(t, viewer, "/residents/100001/reveal", url.Values{"csrf": {viewerCSRF}, "purpose": {purpose}}); res.StatusCode != http.StatusBadRequest {
			t.Fatalf("reveal without the form's token: %d", res.StatusCode)
		}
		if res, _ := f.post(t, clerk, "/residents/100001/reveal", url.Values{"csrf": {clerkCSRF}, "once": {newToken()}, "purpose": {purpose}}); res.StatusCode != http.StatusForbidden {
			t.Fatalf("reveal without the right: %d", res.StatusCode)
		}
		// Three more within the hour pass the limit of 3 and alert the privacy manager.
		for range 3 {
			f.post(t, viewer, "/residents/100001/reveal", url.Values{"csrf": {viewerCSRF}, "once": {newToken()}, "purpose": {purpose}})
		}
		open, _, err := f.alerts.Open(context.Background(), 0)
		if err != nil || len(open.Items) != 1 || open.Items[0].Subject != "viewer" || open.Items[0].Rule != "bulk_reveal" {
			t.Fatalf("alerts = %+v, %v", open, err)
		}
		// Without a second factor in the last five minutes: refused and audited.
		f.now = f.now.Add(6 * time.Minute)
		if res, _ := f.post(t, viewer, "/residents/100001/reveal", url.Values{"csrf": {viewerCSRF}, "once": {newToken()}, "purpose": {purpose}}); res.StatusCode != http.StatusForbidden {
			t.Fatalf("reveal without step-up: %d", res.StatusCode)
		}
		var got []string
		for _, e := range testutil.Events(t, f.db, "mynumber.reveal") {
			got = append(got, e.Outcome+"|"+e.Purpose+"|"+e.Detail)
		}
		if len(got) != 7 || got[0] != "denied||reason=no_valid_purpose fields=note" || got[2] != "ok|"+purpose+"|" || got[1] != "denied||reason=no_valid_purpose fields=purpose" || got[6] != "denied||reason=no_recent_second_factor" {
			t.Fatalf("reveal events:\n%s", strings.Join(got, "\n"))
		}
		// On PostgreSQL under row-level security too, entry and reveal found
		// the resident: no false "not found in scope" (issue 14 A).
		probes := testutil.CountEvents(t, f.db, `detail LIKE '%not_found_in_scope%'`)
		if probes != 0 {
			t.Fatalf("%d false not-found-in-scope events", probes)
		}
		// A pasted My Number never travels in a URL: refused on GET, found
		// by POST through its blind index (issue 15).
		if res, page := f.get(t, viewer, "/residents?q="+url.QueryEscape(spaced)); res.StatusCode != http.StatusBadRequest || strings.Contains(page, "href=\"/residents/100001\"") {
			t.Fatalf("number in the URL: %d", res.StatusCode)
		}
		if res, _ := f.post(t, viewer, "/residents", url.Values{"csrf": {viewerCSRF}, "q": {spaced}}); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/residents/100001" {
			t.Fatalf("search by number: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
		if res, _ := f.post(t, viewer, "/residents", url.Values{"csrf": {viewerCSRF}, "q": {"ヤマダ"}}); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/residents?q="+url.QueryEscape("ヤマダ") {
			t.Fatalf("search by name through the form: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
		if st, _ := f.apiCall(t, viewer, viewerCSRF, "GET", "/api/v1/residents?q="+digits, ""); st != http.StatusBadRequest {
			t.Fatalf("API number in the URL: %d", st)
		}
		if st, out := f.apiCall(t, viewer, viewerCSRF, "POST", "/api/v1/residents/search", `{"q": "`+digits+`"}`); st != 200 || !strings.Contains(fmt.Sprint(out), "100001") {
			t.Fatalf("API search by number: %d %v", st, out)
		}
		leaks := testutil.CountEvents(t, f.db, `detail LIKE '%' || $1 || '%' OR purpose LIKE '%' || $1 || '%'`, digits)
		if leaks != 0 {
			t.Fatal("a My Number reached the audit log")
		}
	})
}

// Issue 16/17, R-AC-6, R-AC-7: a search that matches more than a page
// says how many matched in all (counted in the database) and pages on,
// on the page and in the API, with no resident listed twice; a damaged
// cursor is a field error naming cursor.
func TestResidentSearchPages(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		ctx := audit.WithActor(context.Background(), audit.Actor{User: "setup"})
		// importNamed imports n residents of one name, codes from first.
		importNamed := func(first, n int, p resident.Input) {
			t.Helper()
			records := func(yield func(resident.Record) bool) {
				for i := range n {
					in := p
					in.Code = fmt.Sprintf("%010d", first+i)
					if !yield(resident.Record{Line: i + 1, Input: in}) {
						return
					}
				}
			}
			if _, err := f.residents.Import(ctx, "131041", records); err != nil {
				t.Fatal(err)
			}
		}
		importNamed(200001, 51, resident.Input{NameKanji: "山田　太郎", NameKana: "ヤマダ　タロウ",
			Address: "東京都新宿区西新宿二丁目8番1号", BirthDate: "1980-04-01", Sex: "1"})
		clerk, clerkCSRF := f.staffClient(t, "clerk", "131041", "医療保険年金課", [2]string{"nhi-clerk", "131041"})
		res, page := f.get(t, clerk, "/residents?q="+url.QueryEscape("ヤマダ"))
		if res.StatusCode != 200 || !strings.Contains(page, "検索結果 51 件") || strings.Count(page, `href="/residents/00002`) != 50 ||
			!strings.Contains(page, "氏名（カナ・漢字、姓・名のどこでも）として検索しました") {
			t.Fatalf("first page: %d, count or read not said, or not 50 listed (%d)", res.StatusCode, strings.Count(page, `href="/residents/00002`))
		}
		next := regexp.MustCompile(`<a href="([^"]+)" rel="next" id="next-cursor">`).FindStringSubmatch(page)
		if next == nil {
			t.Fatal("no link to the next page")
		}
		_, second := f.get(t, clerk, strings.ReplaceAll(next[1], "&amp;", "&"))
		if !strings.Contains(second, "検索結果 51 件") || strings.Count(second, `href="/residents/00002`) != 1 || strings.Contains(second, `id="next-cursor"`) {
			t.Fatalf("second page: not the last one, or not counted:\n%s", second)
		}
		for i := range 51 {
			code := fmt.Sprintf(`href="/residents/%010d"`, 200001+i)
			if strings.Contains(page, code) == strings.Contains(second, code) {
				t.Fatalf("resident %d is on both pages or on neither", 200001+i)
			}
		}
		// The API: total and next, and the page after by ?cursor=.
		st, out := f.apiCall(t, clerk, clerkCSRF, "GET", "/api/v1/residents?q="+url.QueryEscape("ヤマダ"), "")
		if st != 200 || out["more"] != true || out["total"] != float64(51) || out["by"] != "name" || len(out["residents"].([]any)) != 50 || out["next"] == "" {
			t.Fatalf("API: %d more=%v total=%v by=%v next=%v", st, out["more"], out["total"], out["by"], out["next"])
		}
		st, out = f.apiCall(t, clerk, clerkCSRF, "GET", "/api/v1/residents?q="+url.QueryEscape("ヤマダ")+"&cursor="+url.QueryEscape(out["next"].(string)), "")
		if st != 200 || out["more"] != false || out["total"] != float64(51) || len(out["residents"].([]any)) != 1 || out["next"] != "" {
			t.Fatalf("API page 2: %d more=%v total=%v next=%v", st, out["more"], out["total"], out["next"])
		}
		st, out = f.apiCall(t, clerk, clerkCSRF, "GET", "/api/v1/residents?q="+url.QueryEscape("ヤマダ")+"&limit=7", "")
		if st != 200 || len(out["residents"].([]any)) != 7 || out["total"] != float64(51) {
			t.Fatalf("API limit=7: %d, %d listed", st, len(out["residents"].([]any)))
		}
		// A damaged cursor, on the API and the page.
		st, out = f.apiCall(t, clerk, clerkCSRF, "GET", "/api/v1/residents?q="+url.QueryEscape("ヤマダ")+"&cursor=damaged", "")
		if st != 400 || !strings.Contains(fmt.Sprint(out["errors"]), "cursor") {
			t.Fatalf("API damaged cursor: %d %v", st, out)
		}
		if res, page := f.get(t, clerk, "/residents?q="+url.QueryEscape("ヤマダ")+"&cursor=damaged"); res.StatusCode != 400 || !strings.Contains(page, "一覧の位置") {
			t.Fatalf("page damaged cursor: %d", res.StatusCode)
		}
		// Past resident.CountCap the count stops, and the page says to narrow.
		importNamed(300001, resident.CountCap+1, resident.Input{NameKanji: "木村　花", NameKana: "キムラ　ハナ",
			Address: "東京都新宿区百人町一丁目1番1号", BirthDate: "1950-01-01", Sex: "2"})
		if _, page := f.get(t, clerk, "/residents?q="+url.QueryEscape("キムラ")); !strings.Contains(page, "検索結果 "+fmt.Sprint(resident.CountCap)+" 件以上") || !strings.Contains(page, `id="search-over"`) {
			t.Fatalf("over the count's cap:\n%s", page)
		}
		st, out = f.apiCall(t, clerk, clerkCSRF, "GET", "/api/v1/residents?q="+url.QueryEscape("キムラ"), "")
		if st != 200 || out["total"] != float64(resident.CountCap) || out["total_over"] != true {
			t.Fatalf("API over the cap: %d total=%v over=%v", st, out["total"], out["total_over"])
		}
		// Right after a bulk import with more residents waiting for the
		// search index than a search indexes itself, the search answers
		// from the index as it stands and says so (issue 14 I).
		defer func(n int) { resident.SearchWaitsFor = n }(resident.SearchWaitsFor)
		resident.SearchWaitsFor = 10
		importNamed(400001, 20, resident.Input{NameKanji: "村上　春樹", NameKana: "ムラカミ　ハルキ",
			Address: "東京都新宿区百人町一丁目1番1号", BirthDate: "1949-01-12", Sex: "1"})
		if _, page := f.get(t, clerk, "/residents?q="+url.QueryEscape("ムラカミ")); !strings.Contains(page, `id="search-unindexed"`) || !strings.Contains(page, "未反映の住民が少なくとも20人") {
			t.Fatalf("the page does not say the index is behind:\n%s", page)
		}
		st, out = f.apiCall(t, clerk, clerkCSRF, "GET", "/api/v1/residents?q="+url.QueryEscape("ムラカミ"), "")
		if st != 200 || out["unindexed"] != float64(20) || len(out["residents"].([]any)) != 0 {
			t.Fatalf("API with the index behind: %d unindexed=%v residents=%v", st, out["unindexed"], out["residents"])
		}
		st, out = f.apiCall(t, clerk, clerkCSRF, "POST", "/api/v1/residents/search", `{"q": "ムラカミ"}`)
		if st != 200 || out["unindexed"] != float64(20) {
			t.Fatalf("API search by POST with the index behind: %d %v", st, out)
		}
		if _, err := resident.IndexForSearch(ctx, f.db); err != nil {
			t.Fatal(err)
		}
		if _, page := f.get(t, clerk, "/residents?q="+url.QueryEscape("ムラカミ")); strings.Contains(page, `id="search-unindexed"`) || !strings.Contains(page, "検索結果 20 件") {
			t.Fatalf("after indexing:\n%s", page)
		}
		// An unknown way of searching names by.
		st, out = f.apiCall(t, clerk, clerkCSRF, "GET", "/api/v1/residents?q="+url.QueryEscape("ヤマダ")+"&by=phone", "")
		if st != 400 || !strings.Contains(fmt.Sprint(out["errors"]), "by") {
			t.Fatalf("API by=phone: %d %v", st, out)
		}
	})
}

// Issue 17, R-AC-6: an address fragment finds the residents of the
// searcher's municipality only; the search form posts the kind chosen;
// when nothing matches, the page says how the query was read (a date of
// birth as the day understood, with its 和暦) and what to try, in
// Japanese and English.
func TestResidentSearchAddressAndHint(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		testkit.Resident(t, f.residents, "131041", testkit.Person("100001", ""))
		sapporoPerson := testkit.Person("100002", "")
		sapporoPerson.Address = "北海道札幌市中央区北3条西6丁目"
		testkit.Resident(t, f.residents, "011002", sapporoPerson)
		clerk, clerkCSRF := f.staffClient(t, "clerk", "131041", "医療保険年金課", [2]string{"nhi-clerk", "131041"})

		// The form posts q and by, and the page keeps the choice.
		res, _ := f.post(t, clerk, "/residents", url.Values{"csrf": {clerkCSRF}, "q": {"西新宿"}, "by": {"address"}})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/residents?by=address&q="+url.QueryEscape("西新宿") {
			t.Fatalf("search form: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
		_, page := f.get(t, clerk, res.Header.Get("Location"))
		if !strings.Contains(page, `href="/residents/100001"`) || !strings.Contains(page, "住所の一部として検索しました") || !strings.Contains(page, `value="address" selected`) {
			t.Fatalf("address search:\n%s", page)
		}
		// Another municipality's address is not found, and the page says what to try.
		_, page = f.get(t, clerk, "/residents?q="+url.QueryEscape("北3条"))
		if strings.Contains(page, `href="/residents/100002"`) || !strings.Contains(page, `id="search-hint"`) || !strings.Contains(page, "住所を短くしてください") {
			t.Fatalf("another municipality's address:\n%s", page)
		}
		// A date of birth nobody has: read as the day, with its 和暦.
		_, page = f.get(t, clerk, "/residents?q="+url.QueryEscape("S52.8.16"))
		if !strings.Contains(page, "1977年8月16日（昭和52年8月16日）") || !strings.Contains(page, "和暦と西暦の年を確かめてください") {
			t.Fatalf("birth date hint:\n%s", page)
		}
		// A name nobody has, in kanji: fewer characters, kana, the address.
		_, page = f.get(t, clerk, "/residents?q="+url.QueryEscape("西早稲田"))
		if !strings.Contains(page, "文字数を減らしてください") || !strings.Contains(page, "カナで入力してください") ||
			!strings.Contains(page, `href="/residents?by=address&amp;q=`+url.QueryEscape("西早稲田")+`"`) {
			t.Fatalf("name hint:\n%s", page)
		}
		// In English.
		clerk.Jar.SetCookies(mustURL(t, f.srv.URL), []*http.Cookie{{Name: "lang", Value: "en", Path: "/"}})
		_, page = f.get(t, clerk, "/residents?q="+url.QueryEscape("昭和52年8月16日"))
		if !strings.Contains(page, "as the date of birth 16 August 1977 (昭和52年8月16日)") || !strings.Contains(page, "Check the year in both calendars") {
			t.Fatalf("English hint:\n%s", page)
		}
		_, page = f.get(t, clerk, "/residents?q="+url.QueryEscape("ワタナベ"))
		if !strings.Contains(page, "as a name") || !strings.Contains(page, "Type fewer characters") || strings.Contains(page, "Type the name in kana") {
			t.Fatalf("English name hint:\n%s", page)
		}
		// The API reads by=address too, and counts.
		st, out := f.apiCall(t, clerk, clerkCSRF, "GET", "/api/v1/residents?by=address&q="+url.QueryEscape("西新宿二丁目"), "")
		if st != 200 || out["by"] != "address" || out["total"] != float64(1) {
			t.Fatalf("API by address: %d %v", st, out)
		}
		st, out = f.apiCall(t, clerk, clerkCSRF, "GET", "/api/v1/residents?q="+url.QueryEscape("北3条"), "")
		if st != 200 || out["by"] != "address" || out["total"] != float64(0) || len(out["residents"].([]any)) != 0 {
			t.Fatalf("API another municipality's address: %d %v", st, out)
		}
	})
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
