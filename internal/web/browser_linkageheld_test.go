package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"bango/internal/linkage"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
)

// R-LNK-2, R-ACC-1, R-ACC-5 (issue 20): in Chromium, in Japanese, the
// resident-records partner's machine pushes two files over mutual TLS to
// a route configured to wait for a second person; both are held. A staff
// checker opens the queue of partner files, confirms the first (applied
// then, by the checker), tries to decline the second without a reason
// (refused, naming the field, nothing changed) and declines it with one
// (purged, nothing of it applied). Every page passes axe-core and is kept
// as a screenshot.
func TestBrowserLinkageHeld(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		ctx := browser(t)
		n := newPartnerNet(t, f)
		admin := testutil.As("cli:is-admin")
		if _, err := n.linkage.AddPartner(admin, linkage.Partner{Tenant: testkit.Shinjuku, ID: "resident-held", Direction: linkage.Inbound,
			Confirm: true, Layouts: []string{"resident-differences"}}); err != nil {
			t.Fatal(err)
		}
		is, err := n.linkage.IssueCertificate(admin, testkit.Shinjuku, "resident-held", n.ca)
		if err != nil {
			t.Fatal(err)
		}
		partner := n.client(t, is)
		push := func(name string, first int) pushAnswer {
			res, b := n.do(t, partner, "POST", "/linkage/v1/files/resident-differences?name="+name, heldResidentFile(t, first))
			var a pushAnswer
			if res.StatusCode != http.StatusAccepted || json.Unmarshal(b, &a) != nil || a.Outcome != linkage.Pending {
				t.Fatalf("held push %s: %d %s", name, res.StatusCode, b)
			}
			return a
		}
		first, second := push("IDO1.DAT", 810001), push("IDO2.DAT", 820001)
		applied := func(code string) int {
			return countRows(t, f, `SELECT count(*) FROM residents WHERE tenant_code = '131041' AND code = '`+code+`'`)
		}

		checker, _ := f.staffClient(t, "bchecker", "131041", "国民健康保険課", [2]string{"nhi-checker", "131041"})
		base, _ := url.Parse(f.srv.URL)
		token := checker.Jar.Cookies(base)[0].Value
		one, two := itoa(first.Job), itoa(second.Job)
		var queue, confirmed, refused, refusedRow, declined string
		err = chromedp.Run(ctx,
			chromedp.ActionFunc(func(ctx context.Context) error {
				return network.SetCookie(cookieName, token).WithURL(f.srv.URL + "/").WithSecure(true).WithHTTPOnly(true).WithPath("/").Do(ctx)
			}),
			chromedp.Navigate(f.srv.URL+"/linkage/held"),
			chromedp.WaitVisible("#linkage-held", chromedp.ByID),
			chromedp.Text("#linkage-held", &queue, chromedp.ByID),
			checkPage(t, "linkage-held"),
			chromedp.Click("#confirm-"+one, chromedp.ByID),
			chromedp.WaitVisible("p.notice", chromedp.ByQuery),
			chromedp.Text("main", &confirmed, chromedp.ByQuery),
			checkPage(t, "linkage-held-confirmed"),
			chromedp.Click("#decline-"+two, chromedp.ByID),
			chromedp.WaitVisible("#error-summary", chromedp.ByID),
			chromedp.WaitVisible("#reason-"+two+"-error", chromedp.ByID), // beside the row's own field
			chromedp.Text("#held-"+two, &refusedRow, chromedp.ByID),
			chromedp.Text("main", &refused, chromedp.ByQuery),
			checkPage(t, "linkage-held-reason-missing"),
			chromedp.SendKeys("#reason-"+two, "住民記録係に確認したところ送信誤り", chromedp.ByID),
			chromedp.Click("#decline-"+two, chromedp.ByID),
			chromedp.WaitVisible("p.notice", chromedp.ByQuery),
			chromedp.Text("main", &declined, chromedp.ByQuery),
			checkPage(t, "linkage-held-declined"),
		)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"partner:131041/resident-held", "IDO1.DAT", "IDO2.DAT", "resident-differences v1"} {
			if !strings.Contains(queue, want) {
				t.Errorf("the queue lacks %q: %q", want, queue)
			}
		}
		if !strings.Contains(confirmed, "ファイルを取り込みました") || strings.Contains(confirmed, "IDO1.DAT") || !strings.Contains(confirmed, "IDO2.DAT") {
			t.Errorf("after confirming the first file: %q", confirmed)
		}
		if !strings.Contains(refused, "取消の理由を200文字以内で入力してください") || !strings.Contains(refused, "IDO2.DAT") {
			t.Errorf("declining without a reason: %q", refused)
		}
		if !strings.Contains(refusedRow, "取消の理由を200文字以内で入力してください") {
			t.Errorf("the decline's error is not in its row: %q", refusedRow)
		}
		if !strings.Contains(declined, "ファイルを取り消しました") || !strings.Contains(declined, "確認待ちのファイルはありません") {
			t.Errorf("after declining: %q", declined)
		}
		// The first file is in the register, by the checker; nothing of the
		// second, and nothing left in staging.
		if applied("810001") != 1 || applied("810003") != 1 || applied("820001") != 0 {
			t.Errorf("applied: first %d/%d, declined %d", applied("810001"), applied("810003"), applied("820001"))
		}
		if got := countRows(t, f, `SELECT count(*) FROM linkage_staging WHERE tenant_code = '131041'`); got != 0 {
			t.Errorf("%d staging rows left", got)
		}
		if got := countRows(t, f, `SELECT count(*) FROM linkage_jobs WHERE id = `+one+` AND outcome = 'applied' AND decided_by = 'bchecker'`); got != 1 {
			t.Errorf("the first job is not applied by the checker")
		}
		for _, a := range []string{"linkage.held.confirm", "linkage.held.decline"} {
			if n := testutil.CountEvents(t, f.db, `action = $1 AND outcome = 'ok' AND detail LIKE '%checker=bchecker%'`, a); n != 1 {
				t.Errorf("%s recorded %d times", a, n)
			}
		}
	})
}
