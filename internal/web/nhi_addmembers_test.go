package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"bango/internal/nhi"
	"bango/internal/resident"
	"bango/internal/testutil/testkit"
)

// R-NHI-1, R-ACC-1: from a household's page the clerk enters several
// members joining it on one form; a wrong row is marked and nothing is
// submitted; the entry is one change for a checker, after which every
// member is found in the household. The API takes the same entry.
func TestNHIAddMembers(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		f.nhiPeople(t)
		for _, c := range []string{"300031", "300032"} {
			testkit.Resident(t, f.residents, "131041", resident.Input{Code: c, NameKanji: "国保　三" + c[5:], NameKana: "コクホ　サン",
				Address: "東京都新宿区西新宿二丁目8番1号", BirthDate: "2015-04-0" + c[5:], Sex: "2"})
		}
		hh := strconv.FormatInt(f.nhiInsure(t, "131041", nhi.AcquisitionInput{ResidentCode: "300001", AcquiredOn: daysAgo(30), Reason: nhi.AcquireMoveIn,
			NotifiedOn: daysAgo(25), NewKigo: "11", NewHead: "300001", Number: "8001", Branch: "01"}), 10)
		clerk, csrf := f.staffClient(t, "nhi.clerk", "131041", "医療保険年金課", [2]string{"nhi-clerk", "131041"})
		checker, _ := f.staffClient(t, "nhi.checker", "131041", "医療保険年金課", [2]string{"nhi-checker", "131041"})

		if _, b := f.get(t, clerk, "/nhi/households/"+hh); !strings.Contains(b, `href="/nhi/households/new?household=`+hh+`"`) {
			t.Fatal("the household page has no link to enter several members")
		}
		res, form := f.get(t, clerk, "/nhi/households/new?household="+hh)
		if res.StatusCode != http.StatusOK || !strings.Contains(form, `id="household-into"`) || strings.Contains(form, `id="new_kigo"`) {
			t.Fatalf("the form for an existing household: %d\n%s", res.StatusCode, form)
		}
		before := f.pendingChanges(t)
		post := func(secondBranch string) (*http.Response, string) {
			return f.post(t, clerk, "/nhi/households/new", url.Values{"csrf": {csrfOf(t, form)}, "household": {hh}, "number": {"8001"}, "notified_on": {daysAgo(2)},
				"members[0].resident_code": {"300002"}, "members[0].acquired_on": {daysAgo(10)}, "members[0].reason": {"転入"}, "members[0].branch": {"02"},
				"members[1].resident_code": {"300031"}, "members[1].acquired_on": {daysAgo(10)}, "members[1].reason": {"転入"}, "members[1].branch": {secondBranch}})
		}
		res, b := post("01") // the head's 枝番
		if res.StatusCode != http.StatusConflict || !strings.Contains(b, `id="members[1].branch-error"`) || f.pendingChanges(t) != before {
			t.Fatalf("a taken 枝番: %d\n%s", res.StatusCode, b)
		}
		res, _ = post("03")
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/nhi/households/"+hh+"?done=submitted" || f.pendingChanges(t) != before+1 {
			t.Fatalf("the entry: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
		f.confirmAllPages(t, checker)
		if _, b := f.get(t, clerk, "/nhi?household="+hh); !strings.Contains(b, "検索結果 3 件") || !strings.Contains(b, "300031") {
			t.Fatalf("after one confirmation:\n%s", b)
		}
		// The API: the same entry, and one naming both kinds of household.
		st, out := f.apiCall(t, clerk, csrf, "POST", "/api/v1/nhi/households", `{"household":`+hh+`,"new_kigo":"12","notified_on":"`+daysAgo(1)+`","members":[`+
			`{"resident_code":"300032","acquired_on":"`+daysAgo(5)+`","reason":"出生","branch":"04"}]}`)
		if st != http.StatusBadRequest || !strings.Contains(toJSON(out["errors"]), `"household"`) {
			t.Errorf("an existing and a new household: %d %v", st, out)
		}
		st, out = f.apiCall(t, clerk, csrf, "POST", "/api/v1/nhi/households", `{"household":`+hh+`,"number":"8001","notified_on":"`+daysAgo(1)+`","members":[`+
			`{"resident_code":"300032","acquired_on":"`+daysAgo(5)+`","reason":"転入","branch":"04"}]}`)
		if st != http.StatusAccepted || out["kind"] != nhi.KindEstablish {
			t.Errorf("the API entry: %d %v", st, out)
		}
	})
}
