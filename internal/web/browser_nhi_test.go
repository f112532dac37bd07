package web

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// R-NHI-1, R-NHI-2, R-NHI-3 (issue 18), R-ACC-1: in Chromium, a clerk
// registers an NHI household with its head and two insured persons (the
// head and the child) in one entry, a checker confirms it once from the
// queue, and the clerk issues a 資格確認書 and opens its print view,
// which in print media shows the certificate alone. Every page passes
// axe-core and is kept as a screenshot.
func TestBrowserNHI(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		ctx := browser(t)
		f.realTime(10 * time.Minute)
		f.nhiPeople(t)
		clerk, _ := f.staffClient(t, "nhi.clerk", "131041", "医療保険年金課", [2]string{"nhi-clerk", "131041"})
		checker, _ := f.staffClient(t, "nhi.checker", "131041", "医療保険年金課", [2]string{"nhi-checker", "131041"})
		base, _ := url.Parse(f.srv.URL)
		clerkToken, checkerToken := clerk.Jar.Cookies(base)[0].Value, checker.Jar.Cookies(base)[0].Value
		as := func(token string) chromedp.Action {
			return chromedp.ActionFunc(func(ctx context.Context) error {
				return network.SetCookie(cookieName, token).WithURL(f.srv.URL + "/").WithSecure(true).WithHTTPOnly(true).WithPath("/").Do(ctx)
			})
		}
		acquiredOn, notifiedOn := daysAgo(7), daysAgo(1)
		until := time.Now().In(jst).AddDate(1, 0, 0).Format(time.DateOnly)

		// confirmFirst is the checker opening the first change of the queue
		// and confirming it.
		confirmFirst := func(name string) chromedp.Tasks {
			var href string
			return chromedp.Tasks{
				as(checkerToken),
				chromedp.Navigate(f.srv.URL + "/review"),
				chromedp.WaitVisible("table.list", chromedp.ByQuery),
				checkPage(t, name+"-queue"),
				chromedp.Evaluate(`document.querySelector("table.list tbody a").getAttribute("href")`, &href),
				chromedp.ActionFunc(func(ctx context.Context) error { return chromedp.Navigate(f.srv.URL + href).Do(ctx) }),
				chromedp.WaitVisible("#confirm-submit", chromedp.ByID),
				checkPage(t, name+"-change"),
				chromedp.Click("#confirm-submit", chromedp.ByID),
				chromedp.WaitVisible("p.notice", chromedp.ByQuery),
			}
		}
		var refused, submitted, queued, found, household, person, printNav, printForm, title, number, valid string
		var householdHref, printHref string
		m := func(i int, field string) string { return `[id="members[` + strconv.Itoa(i) + `].` + field + `"]` }
		err := chromedp.Run(ctx,
			as(clerkToken),
			chromedp.Navigate(f.srv.URL+"/nhi"),
			chromedp.WaitVisible("#nhi-new-link", chromedp.ByID),
			chromedp.Click("#nhi-new-link", chromedp.ByID),
			chromedp.WaitVisible("#new-household-form", chromedp.ByID),
			checkPage(t, "nhi-new-form"),
			// A form sent without the member's date and reason is marked on
			// the member's row.
			chromedp.SendKeys(m(0, "resident_code"), "300001", chromedp.ByQuery),
			chromedp.Click("#new-household-submit", chromedp.ByID),
			chromedp.WaitVisible("#error-summary", chromedp.ByID),
			chromedp.Text("#error-summary", &refused, chromedp.ByID),
			checkPage(t, "nhi-new-refused"),
			// The household, its head 300001 and the child 300002, insured
			// together in one entry.
			chromedp.SetValue("#new_kigo", "09", chromedp.ByID),
			chromedp.SetValue("#new_head", "300001", chromedp.ByID),
			chromedp.SetValue("#number", "7001", chromedp.ByID),
			chromedp.SetValue("#notified_on", notifiedOn, chromedp.ByID),
			chromedp.SetValue(m(0, "acquired_on"), acquiredOn, chromedp.ByQuery),
			chromedp.SetValue(m(0, "reason"), "転入", chromedp.ByQuery),
			chromedp.SetValue(m(0, "branch"), "01", chromedp.ByQuery),
			chromedp.SetValue(m(1, "resident_code"), "300002", chromedp.ByQuery),
			chromedp.SetValue(m(1, "acquired_on"), acquiredOn, chromedp.ByQuery),
			chromedp.SetValue(m(1, "reason"), "転入", chromedp.ByQuery),
			chromedp.SetValue(m(1, "branch"), "02", chromedp.ByQuery),
			checkPage(t, "nhi-new-filled"),
			chromedp.Click("#new-household-submit", chromedp.ByID),
			chromedp.WaitVisible("p.notice", chromedp.ByQuery),
			chromedp.Text("main", &submitted, chromedp.ByQuery),
			checkPage(t, "nhi-new-submitted"),
			confirmFirst("nhi-confirm-household"),
			chromedp.Text("main", &queued, chromedp.ByQuery),
			// The clerk finds both and opens their household.
			as(clerkToken),
			chromedp.Navigate(f.srv.URL+"/nhi?number=7001"),
			chromedp.WaitVisible("#nhi-results", chromedp.ByID),
			chromedp.Text("#nhi-results", &found, chromedp.ByID),
			checkPage(t, "nhi-search"),
			chromedp.Click(`#nhi-results a[href^="/nhi/households/"]`, chromedp.ByQuery),
			chromedp.WaitVisible("#hh-members", chromedp.ByID),
			chromedp.Location(&householdHref),
			// The household with both, and its timeline.
			as(clerkToken),
			chromedp.ActionFunc(func(ctx context.Context) error { return chromedp.Navigate(householdHref).Do(ctx) }),
			chromedp.WaitVisible("#hh-members", chromedp.ByID),
			chromedp.Text("main", &household, chromedp.ByQuery),
			checkPage(t, "nhi-household"),
			// The 資格確認書, issued from the head's page.
			chromedp.Navigate(f.srv.URL+"/nhi/persons/300001"),
			chromedp.WaitVisible("#doc-form", chromedp.ByID),
			chromedp.SetValue("#doc_kind", "certificate", chromedp.ByID),
			chromedp.SetValue("#doc_valid_until", until, chromedp.ByID),
			chromedp.SetValue("#doc_delivery", "mail", chromedp.ByID),
			chromedp.SetValue("#doc_reason", "new", chromedp.ByID),
			chromedp.Click("#doc-submit", chromedp.ByID),
			chromedp.WaitVisible(`#nhi-documents a[href$="/print"]`, chromedp.ByQuery),
			chromedp.Text("main", &person, chromedp.ByQuery),
			checkPage(t, "nhi-person"),
			chromedp.AttributeValue(`#nhi-documents a[href$="/print"]`, "href", &printHref, nil, chromedp.ByQuery),
			chromedp.Click(`#nhi-documents a[href$="/print"]`, chromedp.ByQuery),
			chromedp.WaitVisible("#nhi-doc", chromedp.ByID),
			checkPage(t, "nhi-certificate"),
			emulation.SetEmulatedMedia().WithMedia("print"),
			chromedp.Evaluate(`getComputedStyle(document.querySelector("nav")).display`, &printNav),
			chromedp.Evaluate(`getComputedStyle(document.querySelector("#doc-back").parentElement).display`, &printForm),
			chromedp.Text("main h1", &title, chromedp.ByQuery),
			chromedp.Text("#doc-insured-number", &number, chromedp.ByID),
			chromedp.Text("#doc-valid", &valid, chromedp.ByID),
			checkPage(t, "nhi-certificate-print"),
			emulation.SetEmulatedMedia().WithMedia(""),
		)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(refused, "被保険者 1: 資格取得日") || !strings.Contains(refused, "被保険者 1: 理由") {
			t.Errorf("the refused form's summary: %q", refused)
		}
		if !strings.Contains(submitted, "確認待ちに登録しました") {
			t.Errorf("after the entry: %q", submitted)
		}
		if !strings.Contains(queued, "確認し、登録しました") {
			t.Errorf("after the confirmation: %q", queued)
		}
		if !strings.Contains(household, "被保険者 2 人") || !strings.Contains(household, "国保　一郎") || !strings.Contains(household, "国保　花子") || !strings.Contains(household, "世帯の成立") {
			t.Errorf("the household: %q", household)
		}
		if !strings.Contains(person, "資格確認書") || !strings.Contains(person, "有効") {
			t.Errorf("the person after the issue: %q", person)
		}
		if printNav != "none" || printForm != "none" {
			t.Errorf("printed, the menu is %q and the link back %q: want none", printNav, printForm)
		}
		if title != "国民健康保険資格確認書" || !strings.Contains(number, "09・7001（01）") || valid != day("ja", mustDate(t, until)) {
			t.Errorf("printed: title %q, number %q, valid %q (printed from %s)", title, number, valid, printHref)
		}
		if !strings.Contains(found, "300001") || !strings.Contains(found, "300002") {
			t.Errorf("the search after the confirmation: %q", found)
		}
		if n := strconv.Itoa(f.pendingChanges(t)); n != "1" {
			t.Errorf("%s entries submitted, want the household as one", n)
		}
	})
}
