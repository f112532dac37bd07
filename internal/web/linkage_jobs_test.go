package web

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"bango/internal/linkage"
	"bango/internal/nhi"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
)

// linkageSetup gives 新宿区 the aggregation system as an inbound partner
// of the household-continuity judgements, the three insured persons its
// sample files name, and a schedule of the monthly count of open work.
func (f *webFixture) linkageSetup(t *testing.T) {
	t.Helper()
	if _, err := f.linkage.AddPartner(testutil.As("is-admin"), linkage.Partner{Tenant: "131041", ID: "aggregation-in", Direction: linkage.Inbound,
		Layouts: []string{"nhi-household-continuity", "nhi-distributed-reports"}}); err != nil {
		t.Fatal(err)
	}
	on := daysAgo(3)
	for _, p := range []struct{ code, kana, birth string }{{"700101", "ヤマダ　タロウ", "1980-04-01"}, {"700102", "ヤマダ　ハナ", "1982-05-02"},
		{"700201", "スズキ　ハナコ", "1989-06-15"}} {
		in := testkit.Person(p.code, "")
		in.NameKana, in.BirthDate = p.kana, p.birth
		testkit.Resident(t, f.residents, "131041", in)
	}
	household := f.nhiInsure(t, "131041", nhi.AcquisitionInput{ResidentCode: "700101", AcquiredOn: on, Reason: nhi.AcquireMoveIn, NotifiedOn: on,
		NewKigo: "新宿", NewHead: "700101", Number: "7001", Branch: "01"})
	f.nhiInsure(t, "131041", nhi.AcquisitionInput{ResidentCode: "700102", AcquiredOn: on, Reason: nhi.AcquireMoveIn, NotifiedOn: on,
		Household: household, Number: "7001", Branch: "02"})
	f.nhiInsure(t, "131041", nhi.AcquisitionInput{ResidentCode: "700201", AcquiredOn: on, Reason: nhi.AcquireMoveIn, NotifiedOn: on,
		NewKigo: "新宿", NewHead: "700201", Number: "7002", Branch: "01"})
	if _, err := f.linkage.SetSchedule(testutil.As("is-admin"), linkage.Schedule{Tenant: "131041", Job: "aggregation-open-work", Enabled: true}); err != nil {
		t.Fatal(err)
	}
}

// linkageSample is a sample file of the linkage package's tests.
func linkageSample(t *testing.T, layout, kind string) []byte {
	t.Helper()
	b, err := os.ReadFile("../linkage/testdata/" + layout + "." + kind + ".dat")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// upload posts file to the import page as route.
func (f *webFixture) linkageUpload(t *testing.T, c *http.Client, csrf, route, name string, file []byte) (*http.Response, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("csrf", csrf)
	mw.WriteField("route", route)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(file)
	mw.Close()
	req, _ := http.NewRequest("POST", f.srv.URL+"/linkage/import", &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return res, body(t, res)
}

// R-ACC-5, R-LNK-1, R-NHI-8: a linkage operator imports a file on the
// import page: a bad file is rejected whole with its report naming each
// line and field (in Japanese), nothing applied; a good one is applied
// and is in the history; only configured inbound routes are offered, and
// another is refused. On the jobs page the operator runs a job now (the
// page refreshes while it runs and shows its outcome) and files a change
// of its times, which waits for a second person: a wrong hour is refused
// on its field, and the API files and reads the same.
func TestLinkageImportAndJobPages(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		f.linkageSetup(t)
		runner, csrf := f.staffClient(t, "lrunner", "131041", "国民健康保険課", [2]string{"linkage", "131041"})
		res, page := f.get(t, runner, "/linkage/import")
		if res.StatusCode != http.StatusOK || !strings.Contains(page, `value="aggregation-in/nhi-household-continuity"`) {
			t.Fatalf("import page: %d\n%s", res.StatusCode, page)
		}
		res, page = f.linkageUpload(t, runner, csrf, "aggregation-in/nhi-household-continuity", "SKZK.DAT", linkageSample(t, "nhi-household-continuity", "bad"))
		if res.StatusCode != http.StatusUnprocessableEntity && res.StatusCode != http.StatusBadRequest {
			t.Fatalf("a bad file: %d\n%s", res.StatusCode, page)
		}
		if !strings.Contains(page, `id="linkage-report"`) || !strings.Contains(page, "何も取り込んでいません") || !strings.Contains(page, "<td>2</td><td>judgement_no</td>") {
			t.Fatalf("the report does not name line and field:\n%s", page)
		}
		if n := len(mustContinuity(t, f)); n != 0 {
			t.Fatalf("a rejected file left %d judgements", n)
		}
		res, page = f.linkageUpload(t, runner, csrf, "aggregation-in/resident-differences", "X.DAT", linkageSample(t, "nhi-household-continuity", "good"))
		if res.StatusCode == http.StatusSeeOther {
			t.Fatalf("a route not configured was taken:\n%s", page)
		}
		res, _ = f.linkageUpload(t, runner, csrf, "aggregation-in/nhi-household-continuity", "SKZK.DAT", linkageSample(t, "nhi-household-continuity", "good"))
		loc := res.Header.Get("Location")
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/linkage/import?done=applied&job=") {
			t.Fatalf("a good file: %d %s", res.StatusCode, loc)
		}
		res, page = f.get(t, runner, loc)
		if res.StatusCode != http.StatusOK || !strings.Contains(page, `id="imported-outcome">取込済み<`) || !strings.Contains(page, "すべて取り込みました") {
			t.Fatalf("after the import:\n%s", page)
		}
		if n := len(mustContinuity(t, f)); n != 2 {
			t.Fatalf("%d judgements on the work list, want 2", n)
		}
		res, page = f.get(t, runner, "/linkage/jobs")
		if res.StatusCode != http.StatusOK || !strings.Contains(page, "SKZK.DAT") || !strings.Contains(page, "全件拒否") || !strings.Contains(page, "取込済み") ||
			!strings.Contains(page, `id="schedule-aggregation-open-work"`) || !strings.Contains(page, "毎月1日 7時") {
			t.Fatalf("jobs page:\n%s", page)
		}

		// Run now: answered at once, the page shows the run until it ends.
		res, _ = f.post(t, runner, "/linkage/jobs/aggregation-open-work/run", url.Values{"csrf": {csrf}})
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/linkage/jobs?done=started#run-") {
			t.Fatalf("run now: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			res, page = f.get(t, runner, "/linkage/jobs?done=started")
			if strings.Contains(page, "正常終了") || time.Now().After(deadline) {
				break
			}
			// The refresh loads the page again, without the run's
			// fragment (a browser only jumps within the page for one).
			if res.Header.Get("Refresh") != "2; url=/linkage/jobs" {
				t.Errorf("a running job's page does not refresh: %q", res.Header.Get("Refresh"))
			}
			time.Sleep(50 * time.Millisecond)
		}
		if !strings.Contains(page, "世帯継続性判定の未確認 2件") || !strings.Contains(page, "ジョブを開始しました") || res.Header.Get("Refresh") != "" {
			t.Fatalf("the run's outcome:\n%s", page)
		}
		if res, _ := f.post(t, runner, "/linkage/jobs/no-such-job/run", url.Values{"csrf": {csrf}}); res.StatusCode == http.StatusSeeOther {
			t.Errorf("an unknown job was started")
		}

		// A change of times: a wrong hour on its field; a good one filed, not in force.
		res, page = f.post(t, runner, "/linkage/jobs/aggregation-open-work/schedule", url.Values{"csrf": {csrf}, "period": {"daily"}, "hour": {"25"}, "enabled": {"on"}})
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(page, `id="hour-error"`) || !strings.Contains(page, "時は0から23までの数字です") {
			t.Fatalf("a wrong hour: %d\n%s", res.StatusCode, page)
		}
		res, _ = f.post(t, runner, "/linkage/jobs/aggregation-open-work/schedule", url.Values{"csrf": {csrf}, "period": {"daily"}, "hour": {"5"}, "enabled": {"on"}})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/linkage/jobs?done=filed" {
			t.Fatalf("a change: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
		if _, page = f.get(t, runner, "/linkage/jobs?done=filed"); !strings.Contains(page, "変更を申請しました") || !strings.Contains(page, "毎月1日 7時") {
			t.Fatalf("the change is in force before its confirmation:\n%s", page)
		}
		// The waiting change is shown beside the times in force, with who
		// filed it.
		if !strings.Contains(page, `id="schedule-waiting-aggregation-open-work"`) || !strings.Contains(page, "変更申請中") ||
			!strings.Contains(page, "毎月1日 7時 → 毎日 5時") {
			t.Fatalf("the waiting change is not shown on the jobs page:\n%s", page)
		}
		// One change of a schedule awaits its checker at a time.
		if code, out := f.apiCall(t, runner, csrf, "POST", "/api/v1/linkage/jobs/aggregation-open-work/schedule", `{"period":"monthly","day":2,"hour":8,"enabled":true}`); code != http.StatusConflict {
			t.Fatalf("API change while one awaits: %d %v", code, out)
		}
		if code, out := f.apiCall(t, runner, csrf, "POST", "/api/v1/linkage/jobs/aggregation-open-work/schedule", `{"period":"monthly","day":29,"hour":8,"enabled":true}`); code != http.StatusBadRequest {
			t.Fatalf("API change of day 29: %d %v", code, out)
		}
		if code, out := f.apiCall(t, runner, csrf, "GET", "/api/v1/linkage/schedules", ""); code != http.StatusOK || len(out["items"].([]any)) != 1 ||
			out["items"].([]any)[0].(map[string]any)["hour"] != float64(7) {
			t.Fatalf("API schedules (the filed changes not in force): %d %v", code, out)
		}
		code, out := f.apiCall(t, runner, csrf, "POST", "/api/v1/linkage/jobs/aggregation-open-work/run", "")
		if code != http.StatusAccepted || out["outcome"] != linkage.RunRunning {
			t.Fatalf("API run: %d %v", code, out)
		}
		id := itoa(int64(out["id"].(float64)))
		for deadline := time.Now().Add(10 * time.Second); out["outcome"] == linkage.RunRunning && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			_, out = f.apiCall(t, runner, csrf, "GET", "/api/v1/linkage/runs/"+id, "")
		}
		if out["outcome"] != linkage.RunOK || out["done"] != out["total"] {
			t.Fatalf("API run read back %v", out)
		}
		if got := testutil.CountEvents(t, f.db, `action = 'review.submit' AND subject_type = 'linkage_schedule' AND outcome = 'ok'`); got != 1 {
			t.Errorf("%d schedule changes filed, want 1", got)
		}
		if got := testutil.CountEvents(t, f.db, `action = 'linkage.schedule.propose' AND outcome = 'denied'`); got != 2 {
			t.Errorf("%d refusals of a change recorded, want 2 (hour 25, day 29)", got)
		}
	})
}

func mustContinuity(t *testing.T, f *webFixture) []linkage.Continuity {
	t.Helper()
	list, err := f.linkage.ContinuityWork(testutil.As("setup"), "131041", "")
	if err != nil {
		t.Fatal(err)
	}
	return list
}
