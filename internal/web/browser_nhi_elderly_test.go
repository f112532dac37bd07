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

	"bango/internal/nhi"
	"bango/internal/resident"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
)

// R-NHI-3, R-NHI-2 (issue 18): in Chromium, a clerk issues a 高齢受給者証
// to an insured person aged 70–74 whose household's cost share is
// decided, opens its print view, which in print media shows the
// certificate alone with the ratio; then starts the yearly decision from
// its screen and reads its report. Every page passes axe-core and is kept
// as a screenshot.
func TestBrowserNHIElderly(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		ctx := browser(t)
		f.realTime(10 * time.Minute)
		now := time.Now().In(jst)
		fy := costShareYear()
		testkit.Resident(t, f.residents, "131041", resident.Input{Code: "300040", NameKanji: "高齢　花子", NameKana: "コウレイ　ハナコ",
			Address: "東京都新宿区西新宿二丁目8番4号", BirthDate: now.AddDate(-72, -3, 0).Format(time.DateOnly), Sex: "2"})
		hh := f.nhiInsure(t, "131041", nhi.AcquisitionInput{ResidentCode: "300040", AcquiredOn: strconv.Itoa(fy) + "-07-01", Reason: nhi.AcquireMoveIn,
			NotifiedOn: daysAgo(25), NewKigo: "13", NewHead: "300040", Number: "9040", Branch: "01"})
		setup := testutil.As("setup")
		if err := f.nhi.RecordIncome(setup, "131041", nhi.IncomeInput{ResidentCode: "300040", IncomeYear: strconv.Itoa(fy - 1), TaxableIncome: "1,600,000",
			Revenue: "4,500,000", OldProvisoIncome: "2,500,000"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.nhi.DetermineCostShare(setup, "131041", hh, daysAgo(0)); err != nil {
			t.Fatal(err)
		}
		clerk, _ := f.staffClient(t, "nhi.clerk", "131041", "医療保険年金課", [2]string{"nhi-clerk", "131041"}, [2]string{"nhi-admin", "131041"}) // and the yearly batch (nhi.admin)
		base, _ := url.Parse(f.srv.URL)
		token := clerk.Jar.Cookies(base)[0].Value
		until := strconv.Itoa(fy+1) + "-07-31"
		var person, title, ratio, printNav, runsPage string
		err := chromedp.Run(ctx,
			chromedp.ActionFunc(func(ctx context.Context) error {
				return network.SetCookie(cookieName, token).WithURL(f.srv.URL + "/").WithSecure(true).WithHTTPOnly(true).WithPath("/").Do(ctx)
			}),
			chromedp.Navigate(f.srv.URL+"/nhi/persons/300040"),
			chromedp.WaitVisible("#doc-form", chromedp.ByID),
			chromedp.SetValue("#doc_kind", "elderly", chromedp.ByID),
			chromedp.SetValue("#doc_valid_until", until, chromedp.ByID),
			chromedp.SetValue("#doc_delivery", "mail", chromedp.ByID),
			chromedp.SetValue("#doc_reason", "new", chromedp.ByID),
			chromedp.Click("#doc-submit", chromedp.ByID),
			chromedp.WaitVisible(`#nhi-documents a[href$="/print"]`, chromedp.ByQuery),
			chromedp.Text("#nhi-documents", &person, chromedp.ByID),
			checkPage(t, "nhi-elderly-person"),
			chromedp.Click(`#nhi-documents a[href$="/print"]`, chromedp.ByQuery),
			chromedp.WaitVisible("#nhi-doc", chromedp.ByID),
			checkPage(t, "nhi-elderly"),
			emulation.SetEmulatedMedia().WithMedia("print"),
			chromedp.Evaluate(`getComputedStyle(document.querySelector("nav")).display`, &printNav),
			chromedp.Text("main h1", &title, chromedp.ByQuery),
			chromedp.Text("#doc-ratio", &ratio, chromedp.ByID),
			checkPage(t, "nhi-elderly-print"),
			emulation.SetEmulatedMedia().WithMedia(""),
			chromedp.Navigate(f.srv.URL+"/nhi/cost-share"),
			chromedp.WaitVisible("#run-form", chromedp.ByID),
			checkPage(t, "nhi-runs"),
			chromedp.Click("#run-submit", chromedp.ByID),
			chromedp.WaitVisible("#run", chromedp.ByID),
		)
		if err != nil {
			t.Fatal(err)
		}
		// The run goes on in the background: wait for its end, then read it.
		runs, err := f.nhi.CostShareRuns(setup, "131041")
		if err != nil || len(runs) != 1 {
			t.Fatalf("runs: %+v %v", runs, err)
		}
		for deadline := time.Now().Add(time.Minute); runs[0].Status == "running" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if runs[0], err = f.nhi.CostShareRun(setup, "131041", runs[0].ID); err != nil {
				t.Fatal(err)
			}
		}
		err = chromedp.Run(ctx,
			chromedp.Navigate(f.srv.URL+"/nhi/cost-share/runs/"+strconv.FormatInt(runs[0].ID, 10)),
			chromedp.WaitVisible("#run-report", chromedp.ByID),
			chromedp.Text("main", &runsPage, chromedp.ByQuery),
			checkPage(t, "nhi-run-report"),
		)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(person, "高齢受給者証") || !strings.Contains(person, "3割") {
			t.Errorf("the issuance history: %q", person)
		}
		if printNav != "none" || title != "国民健康保険高齢受給者証" || ratio != "3割" {
			t.Errorf("printed: menu %q, title %q, ratio %q", printNav, title, ratio)
		}
		if !strings.Contains(runsPage, "完了") || !strings.Contains(runsPage, "70〜74歳の被保険者がいる世帯") {
			t.Errorf("the run's page: %q", runsPage)
		}
	})
}
