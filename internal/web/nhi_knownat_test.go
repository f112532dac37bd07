package web

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"bango/internal/nhi"
)

// R-NHI-1: the person's and the household's pages and API read the record
// as known at a date (記録時点) beside the 基準日: recorded today, the
// person and the household are there as known today and not found as
// known yesterday; a future date is refused on its field.
func TestNHIKnownAt(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		f.nhiPeople(t)
		hh := f.nhiInsure(t, "131041", nhi.AcquisitionInput{ResidentCode: "300001", AcquiredOn: daysAgo(30), Reason: nhi.AcquireMoveIn,
			NotifiedOn: daysAgo(25), NewKigo: "14", NewHead: "300001", Number: "8101", Branch: "01"})
		clerk, csrf := f.staffClient(t, "nhi.clerk", "131041", "医療保険年金課", [2]string{"nhi-clerk", "131041"})
		res, b := f.get(t, clerk, "/nhi/persons/300001?as_of="+daysAgo(1)+"&known_at="+daysAgo(0))
		if res.StatusCode != http.StatusOK || !strings.Contains(b, `id="nhi-known-at"`) || !strings.Contains(b, `id="known_at" name="known_at" type="date" value="`+daysAgo(0)+`"`) {
			t.Errorf("as known today: %d\n%s", res.StatusCode, b)
		}
		if res, _ := f.get(t, clerk, "/nhi/persons/300001?known_at="+daysAgo(1)); res.StatusCode != http.StatusNotFound {
			t.Errorf("as known yesterday, before it was recorded: %d", res.StatusCode)
		}
		if res, b := f.get(t, clerk, "/nhi/persons/300001?known_at="+daysAgo(-3)); res.StatusCode != http.StatusBadRequest || !strings.Contains(b, `id="known_at-error"`) {
			t.Errorf("as known in the future: %d\n%s", res.StatusCode, b)
		}
		if st, out := f.apiCall(t, clerk, csrf, "GET", "/api/v1/nhi/persons/300001?known_at="+daysAgo(0), ""); st != http.StatusOK || !strings.Contains(toJSON(out["record"]), `"known_at"`) {
			t.Errorf("the API as known today: %d %v", st, out)
		}
		if st, out := f.apiCall(t, clerk, csrf, "GET", "/api/v1/nhi/persons/300001?known_at=2026-02-30", ""); st != http.StatusBadRequest || !strings.Contains(toJSON(out["errors"]), "known_at") {
			t.Errorf("the API with a wrong date: %d %v", st, out)
		}
		page := "/nhi/households/" + strconv.FormatInt(hh, 10)
		res, b = f.get(t, clerk, page+"?as_of="+daysAgo(1)+"&known_at="+daysAgo(0))
		if res.StatusCode != http.StatusOK || !strings.Contains(b, `id="nhi-known-at"`) || !strings.Contains(b, `id="known_at" name="known_at" type="date" value="`+daysAgo(0)+`"`) ||
			!strings.Contains(b, "300001") {
			t.Errorf("the household as known today: %d\n%s", res.StatusCode, b)
		}
		if res, _ := f.get(t, clerk, page+"?known_at="+daysAgo(1)); res.StatusCode != http.StatusNotFound {
			t.Errorf("the household as known yesterday, before it was recorded: %d", res.StatusCode)
		}
		if res, b := f.get(t, clerk, page+"?known_at="+daysAgo(-3)); res.StatusCode != http.StatusBadRequest || !strings.Contains(b, `id="known_at-error"`) {
			t.Errorf("the household as known in the future: %d\n%s", res.StatusCode, b)
		}
		api := "/api/v1/nhi/households/" + strconv.FormatInt(hh, 10)
		if st, out := f.apiCall(t, clerk, csrf, "GET", api+"?known_at="+daysAgo(0), ""); st != http.StatusOK || !strings.Contains(toJSON(out["household"]), `"known_at"`) {
			t.Errorf("the household's API as known today: %d %v", st, out)
		}
		if st, out := f.apiCall(t, clerk, csrf, "GET", api+"?known_at=2026-02-30", ""); st != http.StatusBadRequest || !strings.Contains(toJSON(out["errors"]), "known_at") {
			t.Errorf("the household's API with a wrong date: %d %v", st, out)
		}
	})
}

// R-NHI-1: the search page and API take the 記録時点 too: recorded today,
// the person is found as known today and not as known yesterday, the
// result links keep the date, and a future date is refused on its field.
func TestNHISearchKnownAt(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		f.nhiPeople(t)
		f.nhiInsure(t, "131041", nhi.AcquisitionInput{ResidentCode: "300001", AcquiredOn: daysAgo(30), Reason: nhi.AcquireMoveIn,
			NotifiedOn: daysAgo(25), NewKigo: "14", NewHead: "300001", Number: "8301", Branch: "01"})
		clerk, csrf := f.staffClient(t, "nhi.clerk", "131041", "医療保険年金課", [2]string{"nhi-clerk", "131041"})
		res, b := f.get(t, clerk, "/nhi?resident_code=300001&as_of="+daysAgo(1)+"&known_at="+daysAgo(0))
		if res.StatusCode != http.StatusOK || !strings.Contains(b, `id="known_at" name="known_at" type="date" value="`+daysAgo(0)+`"`) ||
			!strings.Contains(b, `href="/nhi/persons/300001?as_of=`+daysAgo(1)+`&amp;known_at=`+daysAgo(0)+`"`) {
			t.Errorf("searched as known today: %d\n%s", res.StatusCode, b)
		}
		if res, b := f.get(t, clerk, "/nhi?resident_code=300001&known_at="+daysAgo(1)); res.StatusCode != http.StatusOK || !strings.Contains(b, `id="nhi-none"`) {
			t.Errorf("searched as known yesterday, before it was recorded: %d\n%s", res.StatusCode, b)
		}
		if res, b := f.get(t, clerk, "/nhi?resident_code=300001&known_at="+daysAgo(-3)); res.StatusCode != http.StatusBadRequest || !strings.Contains(b, "記録時点に未来の日付は指定できません") {
			t.Errorf("searched as known in the future: %d\n%s", res.StatusCode, b)
		}
		if st, out := f.apiCall(t, clerk, csrf, "GET", "/api/v1/nhi/persons?resident_code=300001&known_at="+daysAgo(0), ""); st != http.StatusOK || !strings.Contains(toJSON(out["persons"]), `"known_at"`) {
			t.Errorf("the API as known today: %d %v", st, out)
		}
		if st, out := f.apiCall(t, clerk, csrf, "GET", "/api/v1/nhi/persons?resident_code=300001&known_at="+daysAgo(1), ""); st != http.StatusOK || toJSON(out["persons"]) != "[]" {
			t.Errorf("the API as known yesterday: %d %v", st, out)
		}
	})
}
