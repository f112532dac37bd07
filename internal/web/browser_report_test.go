package web

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"bango/internal/audit"
	"bango/internal/resident"
	"bango/internal/store"
	"bango/internal/testutil/testkit"
)

// pdfText is the text of a PDF, page by page, as poppler's pdftotext
// reads it; ok is false when pdftotext is not installed (it must be under
// CI, where .ci/run installs poppler-utils).
func pdfText(t *testing.T, pdf []byte) (pages []string, ok bool) {
	t.Helper()
	tool, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("pdftotext is not installed, and CI must check the printed report (apt-get install -y poppler-utils)")
		}
		return nil, false
	}
	in := filepath.Join(t.TempDir(), "report.pdf")
	if err := os.WriteFile(in, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, "-layout", "-enc", "UTF-8", in, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return strings.Split(strings.TrimRight(string(out), "\f"), "\f"), true
}

var pageNumber = regexp.MustCompile(`(\d+) ?/ ?(\d+)`)

// R-AUD-4: the access report prints as the letter a resident receives.
// In print media the header, menu and forms are gone and the title, the
// recipient and the issuer show; printed to PDF, the report runs over
// several pages, each with the table's header and its page number "n / N".
func TestBrowserAccessReportPrint(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		ctx := browser(t)
		f.realTime(10 * time.Minute)
		testkit.Resident(t, f.residents, "131041", testkit.Person("100001", "123456789018"))
		f.kit.Staff(t, testkit.Staff{Login: "sato.h", Name: "佐藤　花子", Tenant: "131041", Department: "健康部", Section: "保険年金課"})
		viewer, viewerCSRF := f.staffClient(t, "sato.h", "131041", "", [2]string{"number-viewer", "131041"})
		if res, _ := f.post(t, viewer, "/residents/100001/reveal", url.Values{"csrf": {viewerCSRF}, "once": {newToken()}, "purpose": {resident.DefaultRevealPurposes[0]}}); res.StatusCode != 200 {
			t.Fatalf("reveal: %d", res.StatusCode)
		}
		// Enough reads of the record for the report to need more than one page.
		reader := audit.WithActor(store.WithScope(context.Background(), "131041"), audit.Actor{User: "sato.h", Terminal: "窓口端末3"})
		for range 60 {
			if err := audit.RecordAlone(reader, f.db, audit.Event{Tenant: "131041", Action: "resident.read", Subject: audit.Subject{Type: "resident", ID: "100001"}, Outcome: audit.OK}); err != nil {
				t.Fatal(err)
			}
		}
		f.kit.Staff(t, testkit.Staff{Login: "kansa.i", Name: "監査　一郎", Department: "総務部", Section: "監査課"})
		auditor, _ := f.staffClient(t, "kansa.i", "", "", [2]string{"auditor", ""})
		f.place(t)
		base, _ := url.Parse(f.srv.URL)
		token := auditor.Jar.Cookies(base)[0].Value

		var screenNav, printNav, printHeader, printForm, title, issuer, recipient string
		var pdf []byte
		visible := func(sel string, into *string) chromedp.Action {
			return chromedp.Evaluate(`(() => { const e = document.querySelector(`+strconv.Quote(sel)+`); return e ? getComputedStyle(e).display : "absent"; })()`, into)
		}
		err := chromedp.Run(ctx,
			chromedp.ActionFunc(func(ctx context.Context) error {
				return network.SetCookie(cookieName, token).WithURL(f.srv.URL + "/").WithSecure(true).WithHTTPOnly(true).WithPath("/").Do(ctx)
			}),
			chromedp.Navigate(f.srv.URL+"/audit/residents/131041/100001"),
			chromedp.WaitVisible("#report-events", chromedp.ByID),
			visible("nav", &screenNav),
			checkPage(t, "access-report"),
			emulation.SetEmulatedMedia().WithMedia("print"),
			visible("nav", &printNav),
			visible("header.top", &printHeader),
			visible("#report-period", &printForm),
			chromedp.Text("main h1", &title, chromedp.ByQuery),
			chromedp.Text("#report-issuer-person", &issuer, chromedp.ByID),
			chromedp.Text("#report-name", &recipient, chromedp.ByID),
			checkPage(t, "access-report-print"),
			chromedp.ActionFunc(func(ctx context.Context) (err error) {
				pdf, _, err = cdppage.PrintToPDF().WithPrintBackground(true).WithPreferCSSPageSize(true).Do(ctx)
				return err
			}),
		)
		if err != nil {
			t.Fatal(err)
		}
		if screenNav == "none" || screenNav == "absent" {
			t.Errorf("on the screen the menu is %q", screenNav)
		}
		if printNav != "none" || printHeader != "none" || printForm != "none" {
			t.Errorf("printed, the menu is %q, the header %q, the period form %q: want none", printNav, printHeader, printForm)
		}
		if title != "個人番号等アクセス記録（開示用）" || !strings.Contains(issuer, "監査　一郎") || !strings.Contains(issuer, "監査課") || !strings.Contains(recipient, "山田　太郎") {
			t.Errorf("printed: title %q, issuer %q, recipient %q", title, issuer, recipient)
		}
		if err := os.WriteFile(filepath.Join(t.ArtifactDir(), "access-report.pdf"), pdf, 0o644); err != nil {
			t.Fatal(err)
		}

		pages, ok := pdfText(t, pdf)
		if !ok {
			t.Skip("SKIPPED the PDF's text: no pdftotext (apt-get install -y poppler-utils)")
		}
		if len(pages) < 2 {
			t.Fatalf("the report of 60 events printed on %d page(s)", len(pages))
		}
		n := strconv.Itoa(len(pages))
		// pdftotext lays text out in spaces: compare without them.
		flat := func(s string) string { return strings.Join(strings.Fields(s), "") }
		for i, text := range pages {
			var numbers []string
			for _, m := range pageNumber.FindAllStringSubmatch(text, -1) {
				numbers = append(numbers, m[1]+" / "+m[2])
			}
			if want := strconv.Itoa(i+1) + " / " + n; !strings.Contains(strings.Join(numbers, "|"), want) {
				t.Errorf("page %d shows page numbers %q, want %q", i+1, numbers, want)
			}
			if !strings.Contains(flat(text), "操作した職員（氏名・所属）") {
				t.Errorf("page %d has no table header:\n%s", i+1, text)
			}
			if strings.Contains(text, "監査ログ") || strings.Contains(text, "ログアウト") || strings.Contains(text, "この期間で作成") {
				t.Errorf("page %d prints the menu or the forms:\n%s", i+1, text)
			}
		}
		first := pages[0]
		for _, want := range []string{"個人番号等アクセス記録（開示用）", "山田　太郎", "発行日", "新宿区（131041）", "監査　一郎", "個人番号の表示", "佐藤　花子"} {
			if !strings.Contains(flat(first), flat(want)) {
				t.Errorf("the first printed page lacks %q:\n%s", want, first)
			}
		}
	})
}
