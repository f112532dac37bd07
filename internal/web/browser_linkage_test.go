package web

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// R-ACC-5, R-LNK-1, R-NHI-8 (issue 20): in Chromium, in Japanese, a
// linkage operator uploads the aggregation system's household-continuity
// file: a bad one is rejected whole with its report naming each line and
// field (nothing applied), the good one is applied; the history lists
// both; the operator runs the monthly job now and watches it end, then
// files a change of its time (a wrong hour refused on its field, a good
// one waiting for a second person) and a 保険者番号 (a five-digit one
// refused on its field, then one waiting for a second person); an NHI clerk confirms one judgement
// on the work list and corrects the other with its reason. Every page
// passes axe-core and is kept as a screenshot.
func TestBrowserLinkage(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		ctx := browser(t)
		f.realTime(10 * time.Minute)
		f.linkageSetup(t)
		dir := t.TempDir()
		bad, good := filepath.Join(dir, "SKZK_BAD.DAT"), filepath.Join(dir, "SKZK.DAT")
		if err := os.WriteFile(bad, linkageSample(t, "nhi-household-continuity", "bad"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(good, linkageSample(t, "nhi-household-continuity", "good"), 0o600); err != nil {
			t.Fatal(err)
		}
		runner, _ := f.staffClient(t, "lrunner", "131041", "国民健康保険課", [2]string{"linkage", "131041"})
		clerk, _ := f.staffClient(t, "lclerk", "131041", "国民健康保険課", [2]string{"nhi-clerk", "131041"})
		base, _ := url.Parse(f.srv.URL)
		runnerToken, clerkToken := runner.Jar.Cookies(base)[0].Value, clerk.Jar.Cookies(base)[0].Value
		as := func(token string) chromedp.Action {
			return chromedp.ActionFunc(func(ctx context.Context) error {
				return network.SetCookie(cookieName, token).WithURL(f.srv.URL + "/").WithSecure(true).WithHTTPOnly(true).WithPath("/").Do(ctx)
			})
		}
		var rejected, applied, history, ran, hourErr, filed, decided, insurerErr, insurerFiled string
		err := chromedp.Run(ctx,
			as(runnerToken),
			chromedp.Navigate(f.srv.URL+"/linkage/import"),
			chromedp.WaitVisible("#linkage-import-form", chromedp.ByID),
			checkPage(t, "linkage-import"),
			chromedp.SetValue("#route", "aggregation-in/nhi-household-continuity", chromedp.ByID),
			chromedp.SetUploadFiles("#file", []string{bad}, chromedp.ByID),
			chromedp.Click("#linkage-import", chromedp.ByID),
			chromedp.WaitVisible("#linkage-report", chromedp.ByID),
			chromedp.Text("#linkage-report", &rejected, chromedp.ByID),
			checkPage(t, "linkage-import-rejected"),
			chromedp.SetValue("#route", "aggregation-in/nhi-household-continuity", chromedp.ByID),
			chromedp.SetUploadFiles("#file", []string{good}, chromedp.ByID),
			chromedp.Click("#linkage-import", chromedp.ByID),
			chromedp.WaitVisible("#linkage-imported", chromedp.ByID),
			chromedp.Text("main", &applied, chromedp.ByQuery),
			checkPage(t, "linkage-import-applied"),
			// The history, and a job run now.
			chromedp.Click("#tab-jobs", chromedp.ByID),
			chromedp.WaitVisible("#linkage-files", chromedp.ByID),
			chromedp.Text("#linkage-files", &history, chromedp.ByID),
			checkPage(t, "linkage-jobs"),
			chromedp.Click("#run-aggregation-open-work", chromedp.ByID),
			waitThroughReloads(`document.querySelector("#linkage-runs") && document.querySelector("#linkage-runs").innerText.includes("正常終了")`, 20*time.Second),
			chromedp.WaitVisible("#linkage-runs", chromedp.ByID),
			chromedp.Text("#linkage-runs", &ran, chromedp.ByID),
			checkPage(t, "linkage-job-run"),
			// A change of the job's time: a wrong hour, then a good one.
			chromedp.Click("#edit-aggregation-open-work", chromedp.ByID),
			chromedp.WaitVisible("#schedule-form", chromedp.ByID),
			chromedp.SetValue("#period", "daily", chromedp.ByID),
			chromedp.SetValue("#hour", "25", chromedp.ByID),
			chromedp.Click("#schedule-file", chromedp.ByID),
			chromedp.WaitVisible("#hour-error", chromedp.ByID),
			chromedp.Text("#hour-error", &hourErr, chromedp.ByID),
			checkPage(t, "linkage-schedule-error"),
			chromedp.SetValue("#hour", "5", chromedp.ByID),
			chromedp.Click("#schedule-file", chromedp.ByID),
			chromedp.WaitVisible("p.notice", chromedp.ByQuery),
			chromedp.Text("main", &filed, chromedp.ByQuery),
			checkPage(t, "linkage-schedule-filed"),
			// The 保険者番号: a five-digit number refused on its field, then
			// a number filed, waiting for a second person.
			chromedp.Click("#tab-insurer", chromedp.ByID),
			chromedp.WaitVisible("#insurer-form", chromedp.ByID),
			checkPage(t, "linkage-insurer"),
			chromedp.SetValue("#insurer", "13801", chromedp.ByID),
			chromedp.SetValue("#from", "2018-04-01", chromedp.ByID),
			chromedp.Click("#insurer-file", chromedp.ByID),
			chromedp.WaitVisible("#insurer-error", chromedp.ByID),
			chromedp.Text("#insurer-error", &insurerErr, chromedp.ByID),
			checkPage(t, "linkage-insurer-error"),
			chromedp.SetValue("#insurer", "138016", chromedp.ByID),
			chromedp.Click("#insurer-file", chromedp.ByID),
			chromedp.WaitVisible("#insurer-waiting", chromedp.ByID),
			chromedp.Text("main", &insurerFiled, chromedp.ByQuery),
			checkPage(t, "linkage-insurer-filed"),
			// The NHI clerk confirms the first judgement and corrects the second.
			as(clerkToken),
			chromedp.Navigate(f.srv.URL+"/linkage/continuity"),
			chromedp.WaitVisible("#linkage-continuity", chromedp.ByID),
			checkPage(t, "linkage-continuity"),
			chromedp.Click("#linkage-continuity tbody tr:nth-child(1) button", chromedp.ByQuery),
			waitThroughReloads(`document.querySelector("#linkage-continuity") && document.querySelector("#linkage-continuity").innerText.includes("確認済み")`, 10*time.Second),
			chromedp.SetValue("#linkage-continuity tbody tr:nth-child(2) select", "1", chromedp.ByQuery),
			chromedp.SendKeys("#linkage-continuity tbody tr:nth-child(2) input[name=note]", "同一世帯での転居のため継続", chromedp.ByQuery),
			chromedp.Click("#linkage-continuity tbody tr:nth-child(2) button", chromedp.ByQuery),
			waitThroughReloads(`document.querySelector("#linkage-continuity") && document.querySelector("#linkage-continuity").innerText.includes("訂正済み")`, 10*time.Second),
			chromedp.Text("#linkage-continuity", &decided, chromedp.ByID),
			checkPage(t, "linkage-continuity-decided"),
		)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(rejected, "何も取り込んでいません") || !strings.Contains(rejected, "judgement_no") || !strings.Contains(rejected, "birth") {
			t.Errorf("the rejection report: %q", rejected)
		}
		if !strings.Contains(applied, "すべて取り込みました") || !strings.Contains(applied, "取込済み") {
			t.Errorf("after the good file: %q", applied)
		}
		if !strings.Contains(history, "全件拒否") || !strings.Contains(history, "取込済み") || !strings.Contains(history, "SKZK.DAT") {
			t.Errorf("the history: %q", history)
		}
		if !strings.Contains(ran, "世帯継続性判定の未確認 2件") {
			t.Errorf("the run: %q", ran)
		}
		if !strings.Contains(hourErr, "0から23") {
			t.Errorf("the hour's error: %q", hourErr)
		}
		if !strings.Contains(filed, "変更を申請しました") || !strings.Contains(filed, "毎月1日 7時") {
			t.Errorf("after filing (the old time stays until confirmed): %q", filed)
		}
		if !strings.Contains(insurerErr, "6桁の数字") {
			t.Errorf("the insurer number's error: %q", insurerErr)
		}
		if !strings.Contains(insurerFiled, "保険者番号の変更を申請しました") || !strings.Contains(insurerFiled, "未設定 → 138016（2018年4月1日から）") ||
			!strings.Contains(insurerFiled, "本日適用されている保険者番号はありません") {
			t.Errorf("after filing the insurer number (not in force until confirmed): %q", insurerFiled)
		}
		if !strings.Contains(decided, "確認済み") || !strings.Contains(decided, "訂正済み") || !strings.Contains(decided, "同一世帯での転居のため継続") {
			t.Errorf("the work list after the decisions: %q", decided)
		}
	})
}

// waitThroughReloads waits until cond holds on the page the browser
// shows, through the reloads of a page that refreshes itself while a job
// runs (an evaluation cut by a reload is asked again).
func waitThroughReloads(cond string, timeout time.Duration) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		deadline := time.Now().Add(timeout)
		for {
			var ok bool
			if err := chromedp.Evaluate(cond, &ok).Do(ctx); err == nil && ok {
				return nil
			}
			if time.Now().After(deadline) {
				var main string
				_ = chromedp.Evaluate(`document.querySelector("main") ? document.querySelector("main").innerText : document.body.innerText`, &main).Do(ctx)
				return fmt.Errorf("not true after %s: %s\nthe page said: %s", timeout, cond, main)
			}
			time.Sleep(200 * time.Millisecond)
		}
	})
}
