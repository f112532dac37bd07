package web

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"bango/internal/resident"
	"bango/internal/testutil/testkit"
)

// R-JPKI-1, R-JPKI-2, R-ACC-4 (issue 22): in Chromium, a window clerk of
// the resident-records section goes through the one flow — the identity
// check, the choice of certificates with the card's requests (a wrong one
// first, refused on its field), the result with both certificates — and
// then opens the renewal list, which shows the certificates just issued
// (this CA's certificates last 40 days). Every page passes axe-core and is
// kept as a screenshot.
func TestBrowserJPKI(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		ctx := browser(t)
		f.realTime(10 * time.Minute)
		testkit.Resident(t, f.residents, "131041", resident.Input{Code: "700010", NameKanji: "窓口　桜子", NameKana: "マドグチ　サクラコ",
			Alias: "マドグチ", Address: "東京都新宿区歌舞伎町一丁目4番1号", BirthDate: "1988-11-03", Sex: "2"})
		window, _ := f.staffClient(t, "window", "131041", "戸籍住民課", [2]string{"resident-records-clerk", "131041"})
		base, _ := url.Parse(f.srv.URL)
		token := window.Jar.Cookies(base)[0].Value
		f.ca.SetLifetime(40 * 24 * time.Hour)
		defer f.ca.SetLifetime(0)

		var applicant, refused, result, renewals string
		err := chromedp.Run(ctx,
			chromedp.ActionFunc(func(ctx context.Context) error {
				return network.SetCookie(cookieName, token).WithURL(f.srv.URL + "/").WithSecure(true).WithHTTPOnly(true).WithPath("/").Do(ctx)
			}),
			chromedp.Navigate(f.srv.URL+"/jpki"),
			chromedp.WaitVisible("#jpki-open-form", chromedp.ByID),
			checkPage(t, "jpki-start"),
			// 1. The identity check.
			chromedp.SendKeys("#resident_code", "700010", chromedp.ByID),
			chromedp.SetValue("#method", resident.VerifiedByMyNumberCard, chromedp.ByID),
			chromedp.Click("#jpki-open", chromedp.ByID),
			chromedp.WaitVisible("#jpki-issue-form", chromedp.ByID),
			chromedp.Text("#jpki-applicant", &applicant, chromedp.ByID),
			checkPage(t, "jpki-choose"),
			// 2. A request that is not the card's is refused on its field.
			chromedp.SetValue("#csr_signature", "not a request", chromedp.ByID),
			chromedp.Click("#jpki-issue", chromedp.ByID),
			chromedp.WaitVisible("#error-summary", chromedp.ByID),
			chromedp.Text("#error-summary", &refused, chromedp.ByID),
			checkPage(t, "jpki-choose-refused"),
			// The card's two requests.
			chromedp.SetValue("#csr_signature", cardRequest(t, 0), chromedp.ByID),
			chromedp.SetValue("#csr_authentication", cardRequest(t, 1), chromedp.ByID),
			chromedp.Click("#jpki-issue", chromedp.ByID),
			// 3. The result.
			chromedp.WaitVisible("#jpki-result-h", chromedp.ByID),
			chromedp.Text("main", &result, chromedp.ByQuery),
			checkPage(t, "jpki-result"),
			// The renewal list.
			chromedp.Click("#jpki-again", chromedp.ByID),
			chromedp.WaitVisible("#jpki-renewals-link", chromedp.ByID),
			chromedp.Click("#jpki-renewals-link", chromedp.ByID),
			chromedp.WaitVisible("#jpki-renewals", chromedp.ByID),
			chromedp.Text("#jpki-renewals", &renewals, chromedp.ByID),
			checkPage(t, "jpki-renewals"),
		)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"窓口　桜子", "マドグチ", "東京都新宿区歌舞伎町一丁目4番1号"} {
			if !strings.Contains(applicant, want) {
				t.Errorf("the applicant shown holds no %s: %q", want, applicant)
			}
		}
		if !strings.Contains(refused, "署名用の証明書発行要求") {
			t.Errorf("the refusal does not name the field: %q", refused)
		}
		if !strings.Contains(result, "署名用電子証明書") || !strings.Contains(result, "利用者証明用電子証明書") || strings.Count(result, "シリアル番号") != 2 {
			t.Errorf("the result: %q", result)
		}
		if !strings.Contains(renewals, "窓口　桜子") || !strings.Contains(renewals, "署名用") || !strings.Contains(renewals, "利用者証明用") {
			t.Errorf("the renewal list: %q", renewals)
		}
		if f.ca.Served() != 3 {
			t.Errorf("the CA served %d requests, want two issuances and one renewal list", f.ca.Served())
		}
	})
}
