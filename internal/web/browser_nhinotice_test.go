package web

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// R-NHI-4 (保険料決定通知書): the decision notice prints on one A4 page,
// even the longest a household gets here (ten instalments with their
// phases: April and June's 仮徴収 then eight ordinary ones, and the
// paragraph saying why), and the year's bulk print is one page a
// household. Printed to PDF by Chromium with the page size of the print
// CSS.
func TestBrowserNHINoticePrint(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		ctx := browser(t)
		f.realTime(10 * time.Minute)
		cf := f.collectionFixture(t)
		cf.assessRun(2025)
		cf.notice(2026, 200_000)
		cf.assessRun(2026)
		got, b := cf.printed(cf.hh, 2026)
		if strings.Count(got, "普通徴収") != 8 || !strings.Contains(b, `id="premium-provisional-stopped"`) {
			t.Fatalf("the notice is not the long one: %s", got)
		}
		id := regexpAll(`id="nhi-notice-(\d+)"`, b)
		if len(id) != 1 {
			t.Fatalf("notice id: %v", id)
		}
		f.place(t)
		base, _ := url.Parse(f.srv.URL)
		token := cf.clerk.Jar.Cookies(base)[0].Value
		printPDF := func(path string, into *[]byte) chromedp.Tasks {
			return chromedp.Tasks{
				chromedp.Navigate(f.srv.URL + path),
				chromedp.WaitVisible("article.nhi-notice", chromedp.ByQuery),
				chromedp.ActionFunc(func(ctx context.Context) (err error) {
					*into, _, err = cdppage.PrintToPDF().WithPrintBackground(true).WithPreferCSSPageSize(true).Do(ctx)
					return err
				}),
			}
		}
		var one, bulk []byte
		err := chromedp.Run(ctx,
			chromedp.ActionFunc(func(ctx context.Context) error {
				return network.SetCookie(cookieName, token).WithURL(f.srv.URL + "/").WithSecure(true).WithHTTPOnly(true).WithPath("/").Do(ctx)
			}),
			printPDF("/nhi/assessments/"+id[0]+"/notice", &one),
			printPDF("/nhi/notices?fiscal_year=2026", &bulk),
		)
		if err != nil {
			t.Fatal(err)
		}
		for name, pdf := range map[string][]byte{"nhi-notice.pdf": one, "nhi-notices-2026.pdf": bulk} {
			if err := os.WriteFile(filepath.Join(t.ArtifactDir(), name), pdf, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		pages, ok := pdfText(t, one)
		if !ok {
			t.Skip("SKIPPED the PDF's text: no pdftotext (apt-get install -y poppler-utils)")
		}
		flat := func(s string) string { return strings.Join(strings.Fields(s), "") }
		if len(pages) != 1 || !strings.Contains(flat(pages[0]), "国民健康保険料決定通知書") || !strings.Contains(flat(pages[0]), "仮徴収") ||
			!strings.Contains(flat(pages[0]), "40,300円") {
			t.Errorf("the notice printed on %d page(s):\n%s", len(pages), strings.Join(pages, "\n----\n"))
		}
		// Two households assessed in fiscal 2026: two pages, one each.
		pages, _ = pdfText(t, bulk)
		if len(pages) != 2 || !strings.Contains(flat(pages[0]), "年金太郎") == !strings.Contains(flat(pages[1]), "年金太郎") {
			t.Errorf("the bulk print: %d page(s):\n%s", len(pages), strings.Join(pages, "\n----\n"))
		}
		for i, p := range pages {
			if !strings.Contains(flat(p), "決定通知書") {
				t.Errorf("bulk page %d is not a notice:\n%s", i+1, p)
			}
		}
	})
}
