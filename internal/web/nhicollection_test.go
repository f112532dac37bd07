package web

import (
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"

	"bango/internal/nhi"
	"bango/internal/resident"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
)

// R-NHI-4 (特別徴収, 保険料決定通知書): the decision notice's print view (one
// notice and the bulk print of the year) prints each instalment with its
// phase. A couple of 71 and 67 without income (the test table, 7割)
// newly collected from the head's pension in fiscal 2025 starts in
// October (the rules' new_start_month): 39,000 yen (医療 30,000, 支援
// 9,000), each pension month 39,000 ÷ 6 = 6,500, July–September the rest,
// 6,500 each. In fiscal 2026 (40,300 yen) last February's 6,500 is the
// 仮徴収 of April, June and August (19,500) and 本徴収 the rest, 20,800:
// 20,800 ÷ 3 = 6,933 → 6,900 in December and February, October 7,000.
// Once the pension no longer qualifies (200,000 a year: 40,300 + 70,000 >
// 100,000) April and June's 仮徴収 stand (13,000) and the rest, 27,300,
// is ordinary from July: 27,300 ÷ 8 = 3,412 → 3,400, July 3,500. The
// estimate answers the refund when the 仮徴収 collected before the
// decision exceeds the year. And a household whose member moved to
// 後期高齢者医療 in September prints the months of 平等割 at each relief.
func TestNHINoticeCollectionLines(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		cf := f.collectionFixture(t)
		clerk, csrf, hh, hk, notice, assessRun, printed := cf.clerk, cf.csrf, cf.hh, cf.hk, cf.notice, cf.assessRun, cf.printed
		assessRun(2025)
		got, b := printed(hh, 2025)
		if want := "2025-07 普通徴収,2025-08 普通徴収,2025-09 普通徴収,2025-10 特別徴収,2025-12 特別徴収,2026-02 特別徴収,|,6,500,6,500,6,500,6,500,6,500,6,500"; got != want ||
			!strings.Contains(b, `id="premium-total">39,000円`) || !strings.Contains(b, `id="premium-special-from">2025-10から年金から徴収します`) {
			t.Fatalf("fiscal 2025 notice: %s, want %s\n%s", got, want, b)
		}

		assessRun(2026)
		got, b = printed(hh, 2026)
		if want := "2026-04 仮徴収,2026-06 仮徴収,2026-08 仮徴収,2026-10 本徴収,2026-12 本徴収,2027-02 本徴収,|,6,500,6,500,6,500,7,000,6,900,6,900"; got != want ||
			!strings.Contains(b, `id="premium-total">40,300円`) || !strings.Contains(b, `id="premium-provisional">仮徴収の各月は前年度2月に年金から徴収した額（6,500円）`) ||
			strings.Contains(b, `id="premium-special-from"`) || strings.Contains(b, `id="premium-refund"`) {
			t.Fatalf("fiscal 2026 notice: %s, want %s\n%s", got, want, b)
		}
		// The bulk print of the year prints the same lines.
		if res, bulk := f.get(t, clerk, "/nhi/notices?fiscal_year=2026"); res.StatusCode != http.StatusOK || !strings.Contains(bulk, "2026-04 仮徴収") ||
			!strings.Contains(bulk, "2026-10 本徴収") || !strings.Contains(bulk, "（6,500円）") {
			t.Errorf("bulk print: %d\n%s", res.StatusCode, bulk)
		}

		// The pension no longer qualifies: April and June's 仮徴収 stand, the
		// rest is ordinary from July.
		notice(2026, 200_000)
		assessRun(2026)
		got, b = printed(hh, 2026)
		if want := "2026-04 仮徴収,2026-06 仮徴収,2026-07 普通徴収,2026-08 普通徴収,2026-09 普通徴収,2026-10 普通徴収,2026-11 普通徴収,2026-12 普通徴収,2027-01 普通徴収,2027-02 普通徴収,|," +
			"6,500,6,500,3,500,3,400,3,400,3,400,3,400,3,400,3,400,3,400"; got != want || !strings.Contains(b, `id="premium-provisional-stopped"`) || strings.Contains(b, `id="premium-special"`) {
			t.Fatalf("仮徴収 then ordinary: %s, want %s\n%s", got, want, b)
		}

		// The estimate: 仮徴収 of 25,000 in April and June exceed the year's
		// 40,300 by 9,700, a refund.
		st, out := f.apiCall(t, clerk, csrf, "POST", "/api/v1/nhi/estimate", `{"fiscal_year":2026,"household":{"provisional_base":25000,
			"pension_notice":{"annual":1200000,"care_premium":70000,"care_special":true},
			"members":[{"id":"h","head":true,"insured":true,"birth_date":"1955-01-01"},{"id":"w","insured":true,"birth_date":"1958-06-01"}]}}`)
		c, _ := out["collection"].(map[string]any)
		if st != http.StatusOK || c["refund"] != float64(9_700) || c["provisional_over"] != true || c["method"] != "special" {
			t.Errorf("estimate with 仮徴収 over the year: %d %v", st, out)
		}

		// 特定世帯 from September (TestSpecificHouseholdWithinYear in
		// internal/nhi/premium): 28,400 yen, the months of 平等割 printed.
		_, b = printed(hk, 2026)
		if !strings.Contains(b, `id="premium-total">28,400円`) || !strings.Contains(b, `id="premium-relief"`) ||
			!strings.Contains(b, "医療分 2026-04から5か月 軽減なし 年額20,000円 2026-09から7か月 特定世帯（2分の1） 年額10,000円") {
			t.Errorf("特定世帯 from September:\n%s", b)
		}
	})
}

// collectionFixture is the notices' test data: a couple of 71 and 67
// without income collected from the head's pension (notices of 2025 and
// 2026: 1,200,000 a year, 介護保険料 70,000 from it) and a household whose
// member moved to 後期高齢者医療 on 10 September 2026, rate tables of 2025
// and 2026 (the test table), nothing assessed yet.
type collectionFixture struct {
	clerk     *http.Client
	csrf      string
	hh, hk    int64                // the couple's household, the other
	notice    func(fy, annual int) // records the head's pension notice
	assessRun func(fy int)         // the yearly run
	printed   func(h int64, fy int) (string, string)
}

func (f *webFixture) collectionFixture(t *testing.T) collectionFixture {
	t.Helper()
	for _, p := range []resident.Input{
		{Code: "310001", NameKanji: "年金　太郎", NameKana: "ネンキン　タロウ", Address: "東京都新宿区西新宿二丁目8番1号", BirthDate: "1955-01-01", Sex: "1"},
		{Code: "310002", NameKanji: "年金　花子", NameKana: "ネンキン　ハナコ", Address: "東京都新宿区西新宿二丁目8番1号", BirthDate: "1958-06-01", Sex: "2"},
		{Code: "310003", NameKanji: "後期　一郎", NameKana: "コウキ　イチロウ", Address: "東京都新宿区西新宿二丁目8番2号", BirthDate: "1951-09-10", Sex: "1"},
		{Code: "310004", NameKanji: "後期　春子", NameKana: "コウキ　ハルコ", Address: "東京都新宿区西新宿二丁目8番2号", BirthDate: "1958-06-01", Sex: "2"},
	} {
		testkit.Resident(t, f.residents, "131041", p)
	}
	clerk, csrf := f.staffClient(t, "nhi.clerk", "131041", "医療保険年金課", [2]string{"nhi-clerk", "131041"})
	checker, _ := f.staffClient(t, "nhi.checker", "131041", "医療保険年金課", [2]string{"nhi-checker", "131041"})
	admin, adminCSRF := f.staffClient(t, "nhi.admin", "131041", "医療保険年金課", [2]string{"nhi-admin", "131041"})
	hh := f.nhiInsure(t, "131041", nhi.AcquisitionInput{ResidentCode: "310001", AcquiredOn: "2020-04-01", Reason: nhi.AcquireMoveIn,
		NotifiedOn: "2020-04-01", NewKigo: "07", NewHead: "310001", Number: "6001", Branch: "01"})
	f.nhiInsure(t, "131041", nhi.AcquisitionInput{ResidentCode: "310002", AcquiredOn: "2020-04-01", Reason: nhi.AcquireMoveIn,
		NotifiedOn: "2020-04-01", Household: hh, Number: "6002", Branch: "01"})
	// 後期　春子's household, her husband (75 on 10 September 2026) in it
	// from 2020: his loss at 75 is recorded with the entry (the birthday
	// has passed).
	hk := f.nhiInsure(t, "131041", nhi.AcquisitionInput{ResidentCode: "310004", AcquiredOn: "2020-04-01", Reason: nhi.AcquireMoveIn,
		NotifiedOn: "2020-04-01", NewKigo: "07", NewHead: "310004", Number: "6004", Branch: "01"})
	f.nhiInsure(t, "131041", nhi.AcquisitionInput{ResidentCode: "310003", AcquiredOn: "2020-04-01", Reason: nhi.AcquireMoveIn,
		NotifiedOn: "2020-04-01", Household: hk, Number: "6003", Branch: "01"})
	for _, code := range []string{"310001", "310002", "310003", "310004"} {
		for _, y := range []string{"2024", "2025"} {
			if st, out := f.apiCall(t, clerk, csrf, "POST", "/api/v1/nhi/revenues", `{"resident_code":"`+code+`","income_year":"`+y+`","salary_revenue":"0","pension_revenue":"0","other_income":"0"}`); st != http.StatusCreated {
				t.Fatalf("revenue: %d %v", st, out)
			}
		}
	}
	table, err := os.ReadFile("../nhi/assess/testdata/rates-2026.json")
	if err != nil {
		t.Fatal(err)
	}
	// The same figures for fiscal 2025, which has no 子ども・子育て支援金分.
	t2025 := strings.Replace(strings.Replace(string(table), `"fiscal_year": 2026`, `"fiscal_year": 2025`, 1), `"version": "2026-1"`, `"version": "2025-1"`, 1)
	t2025 = t2025[:strings.Index(t2025, `,
    "child"`)] + t2025[strings.Index(t2025, `
  },
  "instalments"`):]
	for fy, body := range map[int]string{2025: t2025, 2026: string(table)} {
		if st, out := f.apiCall(t, admin, adminCSRF, "POST", "/api/v1/nhi/rates", `{"fiscal_year":`+strconv.Itoa(fy)+`,"table":`+body+`}`); st != http.StatusAccepted {
			t.Fatalf("rate table %d: %d %v", fy, st, out)
		}
	}
	f.confirmAllPages(t, checker)
	notice := func(fy, annual int) {
		t.Helper()
		if st, out := f.apiCall(t, clerk, csrf, "POST", "/api/v1/nhi/pension-notices",
			fmt.Sprintf(`{"resident_code":"310001","fiscal_year":%d,"annual":%d,"care_premium":70000,"care_special":true}`, fy, annual)); st != http.StatusCreated {
			t.Fatalf("pension notice: %d %v", st, out)
		}
	}
	notice(2025, 1_200_000)
	notice(2026, 1_200_000)
	assessRun := func(fy int) {
		t.Helper()
		if r, err := f.assess.Assess(testutil.As("setup"), "131041", fy, nil); err != nil || len(r.Refused) != 0 {
			t.Fatalf("assess %d: %+v %v", fy, r, err)
		}
	}
	// printed is the instalments' headers and amounts of the notice of
	// household h's assessment in force of fiscal year fy, and the page.
	printed := func(h int64, fy int) (string, string) {
		t.Helper()
		_, list := f.get(t, clerk, "/nhi/households/"+strconv.FormatInt(h, 10)+"/assessments")
		ids := regexpAll(`href="/nhi/assessments/(\d+)/notice"`, list)
		if len(ids) == 0 {
			t.Fatalf("no notice:\n%s", list)
		}
		// The list is the latest year first, the latest first.
		var id string
		for _, i := range ids {
			_, b := f.get(t, clerk, "/nhi/assessments/"+i+"/notice")
			if strings.Contains(b, strconv.Itoa(fy)+"年度の国民健康保険料") {
				id = i
				break
			}
		}
		res, b := f.get(t, clerk, "/nhi/assessments/"+id+"/notice")
		if res.StatusCode != http.StatusOK || !strings.Contains(b, "/static/print.css") {
			t.Fatalf("notice %s: %d\n%s", id, res.StatusCode, b)
		}
		table := b[strings.Index(b, `id="premium-instalments"`):]
		table = table[:strings.Index(table, "</table>")]
		cells := append(regexpAll(`<span class="small">([^<]*)</span>`, table), "|")
		cells = append(cells, regexpAll(`<td class="num">([^<]*)</td>`, table)...)
		return strings.Join(cells, ","), b
	}

	return collectionFixture{clerk: clerk, csrf: csrf, hh: hh, hk: hk, notice: notice, assessRun: assessRun, printed: printed}
}
