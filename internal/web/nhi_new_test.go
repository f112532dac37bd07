package web

import (
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"bango/internal/nhi"
	"bango/internal/resident"
	"bango/internal/testutil/testkit"
)

// R-NHI-1, R-ACC-1: a new household with a head outside NHI and two
// insured members is one entry on the form, empty rows ignored; a wrong
// member is marked on the row the clerk typed it in, with its row in the
// error summary, and nothing is submitted; the checker confirms once and
// both members are found. The API takes the same entry.
func TestNHINewHousehold(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		f.nhiPeople(t)
		testkit.Resident(t, f.residents, "131041", resident.Input{Code: "300004", NameKanji: "国保　次郎", NameKana: "コクホ　ジロウ",
			Address: "東京都新宿区西新宿二丁目8番1号", BirthDate: "2012-03-03", Sex: "1"})
		testkit.Resident(t, f.residents, "131041", resident.Input{Code: "300005", NameKanji: "保険　三郎", NameKana: "ホケン　サブロウ",
			Address: "東京都新宿区西新宿二丁目8番2号", BirthDate: "1980-01-01", Sex: "1"})
		clerk, csrf := f.staffClient(t, "nhi.clerk", "131041", "医療保険年金課", [2]string{"nhi-clerk", "131041"})
		checker, _ := f.staffClient(t, "nhi.checker", "131041", "医療保険年金課", [2]string{"nhi-checker", "131041"})

		if _, b := f.get(t, clerk, "/nhi"); !strings.Contains(b, `href="/nhi/households/new"`) {
			t.Fatal("the search page has no link to the new-household form")
		}
		res, form := f.get(t, clerk, "/nhi/households/new")
		if res.StatusCode != http.StatusOK || !strings.Contains(form, `<label for="members[5].resident_code">`) || !strings.Contains(form, "必須") {
			t.Fatalf("the form: %d\n%s", res.StatusCode, form)
		}
		before := f.pendingChanges(t)
		post := func(secondOn string) (*http.Response, string) {
			return f.post(t, clerk, "/nhi/households/new", url.Values{"csrf": {csrfOf(t, form)}, "new_kigo": {"09"}, "new_head": {"300001"},
				"number": {"7001"}, "notified_on": {daysAgo(2)},
				"members[0].resident_code": {"300002"}, "members[0].acquired_on": {daysAgo(20)}, "members[0].reason": {"転入"}, "members[0].branch": {"01"},
				"members[2].resident_code": {"300004"}, "members[2].acquired_on": {secondOn}, "members[2].reason": {"転入"}, "members[2].branch": {"02"}})
		}
		// The second member (third row) acquired before birth.
		res, b := post("2012-03-01")
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(b, `id="members[2].acquired_on-error"`) ||
			!strings.Contains(b, `value="2012-03-01" aria-invalid="true"`) || !strings.Contains(html.UnescapeString(b), "被保険者 3: 資格取得日") {
			t.Fatalf("a member acquired before birth: %d\n%s", res.StatusCode, b)
		}
		if f.pendingChanges(t) != before {
			t.Fatal("a refused household was submitted")
		}
		res, _ = post(daysAgo(20))
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/nhi/households/new?done=submitted" {
			t.Fatalf("the household: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
		if f.pendingChanges(t) != before+1 {
			t.Fatal("the household is not one entry")
		}
		if _, b := f.get(t, clerk, "/nhi?number=7001"); !strings.Contains(b, `id="nhi-none"`) {
			t.Fatal("members show before a checker confirmed them")
		}
		f.confirmAllPages(t, checker)
		if _, b := f.get(t, clerk, "/nhi?number=7001"); !strings.Contains(b, "検索結果 2 件") || !strings.Contains(b, "300002") || !strings.Contains(b, "300004") {
			t.Fatalf("after one confirmation:\n%s", b)
		}

		// The API: a member's 枝番 taken is named by its index; nothing waits.
		before = f.pendingChanges(t)
		body := `{"new_kigo":"10","new_head":"300005","number":"7001","notified_on":"` + daysAgo(1) + `","members":[` +
			`{"resident_code":"300005","acquired_on":"` + daysAgo(5) + `","reason":"社保離脱","branch":"01"}]}`
		st, out := f.apiCall(t, clerk, csrf, "POST", "/api/v1/nhi/households", body)
		if st != http.StatusConflict || !strings.Contains(toJSON(out["errors"]), `members[0].branch`) || f.pendingChanges(t) != before {
			t.Fatalf("a taken 枝番: %d %v", st, out)
		}
		st, out = f.apiCall(t, clerk, csrf, "POST", "/api/v1/nhi/households", strings.Replace(body, `"branch":"01"`, `"branch":"03"`, 1))
		if st != http.StatusAccepted || out["status"] != "pending" || f.pendingChanges(t) != before+1 {
			t.Fatalf("the household by the API: %d %v", st, out)
		}
	})
}

// R-NHI-1: the NHI clerk's home page counts the insured persons whose
// loss at the 75th birthday falls in the next 30 days; one turning 75
// later is not counted, and staff without nhi.write see no count.
func TestNHIBirthday75Counter(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		clerk, _ := f.staffClient(t, "nhi.clerk", "131041", "医療保険年金課", [2]string{"nhi-clerk", "131041"})
		viewer, _ := f.staffClient(t, "viewer", "131041", "戸籍住民課", [2]string{"number-viewer", "131041"})
		if _, home := f.get(t, clerk, "/"); strings.Contains(home, `id="nhi-birthday75"`) {
			t.Fatal("a count of none is shown")
		}
		now := time.Now().In(jst)
		for i, birth := range []time.Time{now.AddDate(-75, 0, 10), now.AddDate(-75, 0, 40)} {
			code := "30010" + strconv.Itoa(i)
			testkit.Resident(t, f.residents, "131041", resident.Input{Code: code, NameKanji: "長寿　" + code, NameKana: "チョウジュ",
				Address: "東京都新宿区西新宿二丁目8番1号", BirthDate: birth.Format(time.DateOnly), Sex: "1"})
			f.nhiInsure(t, "131041", nhi.AcquisitionInput{ResidentCode: code, AcquiredOn: daysAgo(30), Reason: nhi.AcquireMoveIn, NotifiedOn: daysAgo(1),
				NewKigo: "11", NewHead: code, Number: "800" + strconv.Itoa(i), Branch: "01"})
		}
		if _, home := f.get(t, clerk, "/"); !strings.Contains(home, `id="nhi-birthday75"`) || !strings.Contains(home, "被保険者が 1 人います") {
			t.Fatalf("the clerk's home:\n%s", home)
		}
		if _, home := f.get(t, viewer, "/"); strings.Contains(home, `id="nhi-birthday75"`) {
			t.Error("the count shows to staff without nhi.write")
		}
	})
}
