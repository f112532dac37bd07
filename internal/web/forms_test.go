package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"bango/internal/access"
	"bango/internal/audit"
	"bango/internal/testutil/testkit"
)

// inputTag finds the opening tag of the input or select with id.
func inputTag(t *testing.T, page, id string) string {
	t.Helper()
	m := regexp.MustCompile(`<(?:input|select)[^>]*\bid="` + regexp.QuoteMeta(id) + `"[^>]*>`).FindString(page)
	if m == "" {
		t.Fatalf("no field %q on the page:\n%s", id, page)
	}
	return m
}

// Issue 17 (R-ACC-2): a refused form names each wrong field by its label
// in the session's language, beside the field (aria-invalid, and
// aria-describedby to its message), with an error summary at the top that
// links to it; required fields say 必須. No developer text (field keys
// followed by a colon, English on a Japanese page) reaches the person.
func TestFieldErrorsOnTheirField(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		testkit.Resident(t, f.residents, "131041", testkit.Person("100001", ""))
		clerk, clerkCSRF := f.staffClient(t, "clerk", "131041", "医療保険年金課", [2]string{"nhi-clerk", "131041"})

		_, page := f.get(t, clerk, "/residents/100001")
		if !strings.Contains(page, `<label for="mynumber">個人番号 <span class="required">必須</span></label>`) {
			t.Fatalf("the required field is not marked:\n%s", page)
		}
		res, page := f.post(t, clerk, "/residents/100001/mynumber", url.Values{"csrf": {clerkCSRF}, "mynumber": {"123456789019"}})
		if res.StatusCode != http.StatusBadRequest {
			t.Fatalf("wrong check digit: %d", res.StatusCode)
		}
		tag := inputTag(t, page, "mynumber")
		if !strings.Contains(tag, `aria-invalid="true"`) || !strings.Contains(tag, `aria-describedby="mynumber-help mynumber-error"`) {
			t.Errorf("the field is not marked as wrong: %s", tag)
		}
		msg := regexp.MustCompile(`<p class="field-error" id="mynumber-error">([^<]+)</p>`).FindStringSubmatch(page)
		if msg == nil || !strings.Contains(msg[1], "検査用数字") {
			t.Errorf("no message under the field in Japanese: %v\n%s", msg, page)
		}
		if !strings.Contains(page, `id="error-summary" role="alert"`) || !strings.Contains(page, `<a href="#mynumber">個人番号：`) {
			t.Errorf("no error summary linking to the field:\n%s", page)
		}
		if strings.Contains(page, "mynumber: ") || strings.Contains(page, "123456789019") {
			t.Error("a field key or the typed number reached the page")
		}

		// The same in English, for a session in English.
		clerk.Jar.SetCookies(mustURL(t, f.srv.URL), []*http.Cookie{{Name: "lang", Value: "en", Path: "/"}})
		_, page = f.post(t, clerk, "/residents/100001/mynumber", url.Values{"csrf": {clerkCSRF}, "mynumber": {"12345"}})
		if !strings.Contains(page, `<a href="#mynumber">My Number:`) || !strings.Contains(page, `id="mynumber-error"`) || strings.Contains(page, "検査用数字") {
			t.Errorf("the English page is not in English:\n%s", page)
		}

		// A login with a field left empty says which, by its label.
		c := f.client(t)
		_, page = f.post(t, c, "/login", url.Values{"login_id": {"tanaka.h"}})
		if tag := inputTag(t, page, "password"); !strings.Contains(tag, `aria-invalid="true"`) ||
			!strings.Contains(page, `<a href="#password">パスワード：入力してください`) || strings.Contains(inputTag(t, page, "login_id"), "aria-invalid") {
			t.Errorf("the empty password is not named:\n%s", page)
		}
	})
}

// Issue 17 (R-AC-4): the reveal control sits beside the record, and its
// refusal shows inside it — the purpose marked on its field, what was
// chosen kept — not at the top of the page.
func TestRevealErrorBesideTheControl(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		testkit.Resident(t, f.residents, "131041", testkit.Person("100001", "123456789018"))
		viewer, viewerCSRF := f.staffClient(t, "viewer", "131041", "医療保険年金課", [2]string{"number-viewer", "131041"})
		_, page := f.get(t, viewer, "/residents/100001")
		record, reveal := strings.Index(page, `aria-labelledby="record-heading"`), strings.Index(page, `id="reveal"`)
		if record < 0 || reveal < record || !strings.Contains(page[:reveal], `class="record-layout"`) {
			t.Fatalf("the reveal is not beside the record:\n%s", page)
		}
		res, page := f.post(t, viewer, "/residents/100001/reveal", url.Values{"csrf": {viewerCSRF}, "once": {newToken()}, "note": {"窓口照会"}})
		if res.StatusCode != http.StatusBadRequest {
			t.Fatalf("reveal without purpose: %d", res.StatusCode)
		}
		section := page[strings.Index(page, `id="reveal"`):]
		if !strings.Contains(section, `id="reveal-error"`) || !strings.Contains(inputTag(t, section, "purpose"), `aria-invalid="true"`) ||
			!strings.Contains(section, `id="purpose-error"`) || !strings.Contains(inputTag(t, section, "note"), `value="窓口照会"`) {
			t.Errorf("the refusal is not inside the reveal control:\n%s", section)
		}
		if strings.Contains(page, `id="error-summary"`) || strings.Count(page, `role="alert"`) != 1 {
			t.Errorf("the refusal is also at the top of the page:\n%s", page)
		}
	})
}

// Issue 17 (R-ACC-1): each person's home page has their work: the clerk
// a search box, the records they opened lately and their entries waiting
// for a checker; the checker's queue shows what to compare with the
// paper — name, birth date, address — never the number.
func TestHomeHasTheWork(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		testkit.Resident(t, f.residents, "131041", testkit.Person("100001", ""))
		clerk, clerkCSRF := f.staffClient(t, "clerk", "131041", "医療保険年金課", [2]string{"nhi-clerk", "131041"})
		checker, _ := f.staffClient(t, "checker", "131041", "医療保険年金課", [2]string{"nhi-checker", "131041"})

		_, home := f.get(t, clerk, "/")
		if !strings.Contains(home, `id="home-q"`) || strings.Contains(home, `id="recent"`) {
			t.Fatalf("a new clerk's home page: no search box, or recent records before any:\n%s", home)
		}
		f.get(t, clerk, "/residents/100001")
		f.place(t)                                                         // the opening is an audit event; recent records come from the placed log
		if _, err := audit.IndexForSearch(t.Context(), f.db); err != nil { // as serve does every second
			t.Fatal(err)
		}
		_, home = f.get(t, clerk, "/")
		if !strings.Contains(home, `id="recent"`) || !strings.Contains(home, `<a href="/residents/100001">山田　太郎（ヤマダ　タロウ）</a>`) {
			t.Fatalf("the record just opened is not on the home page:\n%s", home)
		}
		if res, _ := f.post(t, clerk, "/residents/100001/mynumber", url.Values{"csrf": {clerkCSRF}, "mynumber": {"123456789018"}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("enter: %d", res.StatusCode)
		}
		if _, home = f.get(t, clerk, "/"); !strings.Contains(home, `<p class="notice" id="my-entries"><a href="/review/mine">あなたの入力のうち`) || !strings.Contains(home, "確認を待っているものが 1 件") {
			// The count links to the clerk's own entries, not to the
			// checker's queue, a dead end for the clerk.
			t.Fatalf("the clerk's entry waiting is not counted:\n%s", home)
		}
		_, queue := f.get(t, checker, "/review")
		for _, want := range []string{`<a href="/residents/100001">山田　太郎</a>（ヤマダ　タロウ）`, "1980年4月1日", "東京都新宿区西新宿二丁目8番1号"} {
			if !strings.Contains(queue, want) {
				t.Errorf("the queue does not show %q", want)
			}
		}
		if strings.Contains(queue, "123456789018") || strings.Contains(queue, "1234 5678 9018") {
			t.Fatal("the queue shows the number")
		}
		m := changeLink.FindStringSubmatch(queue)
		if m == nil {
			t.Fatal("no change in the queue")
		}
		if _, page := f.get(t, checker, "/review/"+m[1]); !strings.Contains(page, `id="compare"`) || !strings.Contains(page, "東京都新宿区西新宿二丁目8番1号") {
			t.Errorf("the change page does not show what to compare:\n%s", page)
		}
	})
}

// Issue 17 (R-AC-2, R-AC-3): an application that would let one person both
// enter and reveal My Numbers warns, and goes on only when the applicant
// ticks that they mean it; the reason then says so for the approver.
func TestDutiesApartWarn(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		head, headCSRF := f.staffClient(t, "head", "131041", "医療保険年金課", [2]string{"section-head", "131041"})
		f.staffClient(t, "clerk", "131041", "医療保険年金課", [2]string{"nhi-clerk", "131041"})
		form := url.Values{"csrf": {headCSRF}, "login_id": {"clerk"}, "pattern": {"number-viewer"}, "tenant": {"131041"}, "reason": {"窓口の照会"}}
		res, page := f.post(t, head, "/grants", form)
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(page, `id="duties-warning"`) ||
			!strings.Contains(inputTag(t, page, "acknowledge"), `aria-invalid="true"`) || !strings.Contains(page, "「入力」と「表示」の両方") {
			t.Fatalf("no warning: %d\n%s", res.StatusCode, page)
		}
		if g, _ := f.access.Grants(t.Context(), access.GrantFilter{Status: access.Pending}); len(g.Items) != 0 {
			t.Fatal("an application was made before the warning was acknowledged")
		}
		form.Set("acknowledge", "yes")
		if res, page := f.post(t, head, "/grants", form); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("acknowledged: %d\n%s", res.StatusCode, page)
		}
		g, err := f.access.Grants(t.Context(), access.GrantFilter{Status: access.Pending})
		if err != nil || len(g.Items) != 1 || !strings.Contains(g.Items[0].Reason, "兼務を承知") {
			t.Fatalf("pending = %+v, %v", g.Items, err)
		}
		// A pattern that does not join the two applies without a word.
		f.staffClient(t, "clerk2", "131041", "医療保険年金課")
		form = url.Values{"csrf": {headCSRF}, "login_id": {"clerk2"}, "pattern": {"number-viewer"}, "tenant": {"131041"}, "reason": {"照会"}}
		if res, _ := f.post(t, head, "/grants", form); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("an application without the pair: %d", res.StatusCode)
		}
	})
}
