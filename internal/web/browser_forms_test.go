package web

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"bango/internal/testutil/testkit"
)

// Issue 17 (R-ACC-2): in Chromium, a clerk keys a My Number with a wrong
// check digit; the page comes back with the focus on the field, which the
// browser's accessibility tree announces as invalid with its message as
// its description, in Japanese and then in English. Each page passes
// axe-core and is kept as a screenshot.
func TestBrowserFormErrorOnItsField(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		ctx := browser(t)
		f.realTime(10 * time.Minute)
		testkit.Resident(t, f.residents, "131041", testkit.Person("100001", ""))
		clerk, _ := f.staffClient(t, "clerk", "131041", "医療保険年金課", [2]string{"nhi-clerk", "131041"})
		base, _ := url.Parse(f.srv.URL)
		token := clerk.Jar.Cookies(base)[0].Value

		// announced is what the accessibility tree says of the focused field.
		type announced struct{ focused, invalid, description string }
		enterWrong := func(name string, got *announced) chromedp.Tasks {
			return chromedp.Tasks{
				chromedp.Navigate(f.srv.URL + "/residents/100001"),
				chromedp.WaitVisible("#mynumber", chromedp.ByID),
				chromedp.SendKeys("#mynumber", "123456789019", chromedp.ByID),
				chromedp.Click("#enter-submit", chromedp.ByID),
				chromedp.WaitVisible("#mynumber-error", chromedp.ByID),
				chromedp.Evaluate(`document.activeElement ? document.activeElement.id : ""`, &got.focused),
				chromedp.ActionFunc(func(ctx context.Context) error {
					var nodes []*cdp.Node
					if err := chromedp.Nodes("#mynumber", &nodes, chromedp.ByID).Do(ctx); err != nil {
						return err
					}
					ax, err := accessibility.GetPartialAXTree().WithBackendNodeID(nodes[0].BackendNodeID).WithFetchRelatives(false).Do(ctx)
					if err != nil {
						return err
					}
					for _, n := range ax {
						if n.Description != nil {
							json.Unmarshal(n.Description.Value, &got.description)
						}
						for _, p := range n.Properties {
							if p.Name == accessibility.PropertyNameInvalid {
								json.Unmarshal(p.Value.Value, &got.invalid)
							}
						}
					}
					return nil
				}),
				checkPage(t, name),
			}
		}
		var ja, en announced
		err := chromedp.Run(ctx,
			chromedp.ActionFunc(func(ctx context.Context) error {
				return network.SetCookie(cookieName, token).WithURL(f.srv.URL + "/").WithSecure(true).WithHTTPOnly(true).WithPath("/").Do(ctx)
			}),
			enterWrong("form-error-ja", &ja),
			chromedp.ActionFunc(func(ctx context.Context) error {
				return network.SetCookie("lang", "en").WithURL(f.srv.URL + "/").WithPath("/").Do(ctx)
			}),
			enterWrong("form-error-en", &en),
		)
		if err != nil {
			t.Fatal(err)
		}
		if ja.focused != "mynumber" || ja.invalid != "true" || !strings.Contains(ja.description, "検査用数字") {
			t.Errorf("Japanese: focus on %q, invalid %q, described as %q", ja.focused, ja.invalid, ja.description)
		}
		if en.focused != "mynumber" || en.invalid != "true" || !strings.Contains(en.description, "check digit") {
			t.Errorf("English: focus on %q, invalid %q, described as %q", en.focused, en.invalid, en.description)
		}
	})
}
