package web

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"bango/internal/mynumber"
	"bango/internal/testutil/testkit"
)

// R-PUB-2, R-ACC-1, R-ACC-2, R-ACC-4, R-AC-4 (issue 21): in Chromium, a
// health-centre clerk enters a 指定難病 application with the applicant's
// My Number and the identity verification at intake; a checker opens it
// from the queue, keys the number again from the documents and confirms;
// the clerk then opens the application and sees only the mask — the
// digits are nowhere on the page. Every page passes axe-core and is kept
// as a screenshot.
func TestBrowserPubmed(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		ctx := browser(t)
		f.realTime(10 * time.Minute)
		testkit.Resident(t, f.residents, "131041", testkit.Person("700001", ""))
		clerk, _ := f.staffClient(t, "pm.clerk", "131041", "保健予防課", [2]string{"pubmed-clerk", "131041"})
		checker, _ := f.staffClient(t, "pm.checker", "131041", "保健予防課", [2]string{"pubmed-checker", "131041"})
		base, _ := url.Parse(f.srv.URL)
		clerkToken, checkerToken := clerk.Jar.Cookies(base)[0].Value, checker.Jar.Cookies(base)[0].Value
		as := func(token string) chromedp.Action {
			return chromedp.ActionFunc(func(ctx context.Context) error {
				return network.SetCookie(cookieName, token).WithURL(f.srv.URL + "/").WithSecure(true).WithHTTPOnly(true).WithPath("/").Do(ctx)
			})
		}
		digits := "48291037561"
		digits += string(mynumber.CheckDigit(digits))
		var submitted, change, confirmed, masked, identity, appHTML, href string
		err := chromedp.Run(ctx,
			as(clerkToken),
			chromedp.Navigate(f.srv.URL+"/pubmed"),
			chromedp.WaitVisible("#pubmed-apply-link", chromedp.ByID),
			chromedp.Click("#pubmed-apply-link", chromedp.ByID),
			chromedp.WaitVisible("#pubmed-apply-form", chromedp.ByID),
			chromedp.SetValue("#kind", "new", chromedp.ByID),
			chromedp.SetValue("#resident_code", "700001", chromedp.ByID),
			chromedp.SetValue("#health_centre", "新宿区保健所", chromedp.ByID),
			chromedp.SetValue("#programme", "nanbyo", chromedp.ByID),
			chromedp.SetValue("#disease_code", "6", chromedp.ByID),
			chromedp.SetValue("#tax_status", "levied", chromedp.ByID),
			chromedp.SendKeys("#income_levy", "50000", chromedp.ByID),
			chromedp.SetValue("#institutions", "新宿中央病院、西新宿薬局", chromedp.ByID),
			chromedp.SendKeys("#mynumber", digits, chromedp.ByID),
			chromedp.SetValue("#identity_method", "mynumber_card", chromedp.ByID),
			checkPage(t, "pubmed-apply-filled"),
			chromedp.Click("#apply-submit", chromedp.ByID),
			chromedp.WaitVisible("p.notice", chromedp.ByQuery),
			chromedp.Text("main", &submitted, chromedp.ByQuery),
			checkPage(t, "pubmed-apply-submitted"),
			// The checker keys the number again from the documents.
			as(checkerToken),
			chromedp.Navigate(f.srv.URL+"/review"),
			chromedp.WaitVisible("table.list", chromedp.ByQuery),
			checkPage(t, "pubmed-queue"),
			chromedp.Evaluate(`document.querySelector("table.list tbody a").getAttribute("href")`, &href),
			chromedp.ActionFunc(func(ctx context.Context) error { return chromedp.Navigate(f.srv.URL + href).Do(ctx) }),
			chromedp.WaitVisible("#mynumber-again", chromedp.ByID),
			chromedp.Text("main", &change, chromedp.ByQuery),
			checkPage(t, "pubmed-change"),
			chromedp.SendKeys("#mynumber-again", digits, chromedp.ByID),
			chromedp.Click("#confirm-submit", chromedp.ByID),
			chromedp.WaitVisible("p.notice", chromedp.ByQuery),
			chromedp.Text("main", &confirmed, chromedp.ByQuery),
			// The clerk sees the application with the mask only.
			as(clerkToken),
			chromedp.Navigate(f.srv.URL+"/pubmed"),
			chromedp.WaitVisible(`a[href^="/pubmed/applications/"]`, chromedp.ByQuery),
			checkPage(t, "pubmed-list"),
			chromedp.Click(`table a[href^="/pubmed/applications/"]`, chromedp.ByQuery),
			chromedp.WaitVisible("#app-mynumber", chromedp.ByID),
			chromedp.Text("#app-mynumber", &masked, chromedp.ByID),
			chromedp.Text("#app-identity", &identity, chromedp.ByID),
			chromedp.OuterHTML("html", &appHTML, chromedp.ByQuery),
			checkPage(t, "pubmed-application-masked"),
		)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(submitted, "確認待ちに登録しました") {
			t.Errorf("after the entry: %q", submitted)
		}
		if strings.Contains(change, digits) || !strings.Contains(change, "個人番号あり") {
			t.Errorf("the checker's page: %q", change)
		}
		if !strings.Contains(confirmed, "確認し") {
			t.Errorf("after the confirmation: %q", confirmed)
		}
		if masked != mynumber.Mask+"（入力済み・非表示）" || identity != "個人番号カード" || strings.Contains(appHTML, digits) {
			t.Errorf("the clerk's application: mynumber %q, identity %q, digits on the page %v", masked, identity, strings.Contains(appHTML, digits))
		}
	})
}
