package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"bango/internal/nhi"
	"bango/internal/testutil"
)

// R-NHI-1, R-ACC-1 (訂正・取消): on the person's page a clerk corrects the
// latest entry (the date and reason of an acquisition into the same
// household); a form without the reason, or with a corrected date in the
// future, is refused on its field with nothing waiting; the correction
// waits for a checker and then holds; the API voids an entry the same
// way (202, a change waiting), and refuses one of another person on
// event.
func TestNHIVoid(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		f.nhiPeople(t)
		hh := f.nhiInsure(t, "131041", nhi.AcquisitionInput{ResidentCode: "300001", AcquiredOn: daysAgo(40), Reason: nhi.AcquireMoveIn,
			NotifiedOn: daysAgo(40), NewKigo: "14", NewHead: "300001", Number: "8201", Branch: "01"})
		f.nhiInsure(t, "131041", nhi.AcquisitionInput{ResidentCode: "300002", AcquiredOn: daysAgo(20), Reason: nhi.AcquireMoveIn,
			NotifiedOn: daysAgo(20), Household: hh, Number: "8201", Branch: "02"})
		clerk, csrf := f.staffClient(t, "nhi.clerk", "131041", "医療保険年金課", [2]string{"nhi-clerk", "131041"})
		checker, _ := f.staffClient(t, "nhi.checker", "131041", "医療保険年金課", [2]string{"nhi-checker", "131041"})
		rec, err := f.nhi.Get(testutil.As("setup"), "131041", "300002", "")
		if err != nil || len(rec.Events) != 1 {
			t.Fatalf("300002: %+v %v", rec, err)
		}
		ev := strconv.FormatInt(rec.Events[0].ID, 10)
		_, page := f.get(t, clerk, "/nhi/persons/300002")
		if !strings.Contains(page, `id="void-form"`) || !strings.Contains(page, `<option value="`+ev+`" selected>`) {
			t.Fatalf("the void form with the latest entry chosen:\n%s", page)
		}
		pending := f.pendingChanges(t)
		for _, tc := range []struct {
			form  url.Values
			field string
		}{
			{url.Values{"void_event": {ev}, "corrected_on": {daysAgo(15)}, "corrected_reason": {nhi.AcquireBirth}}, "void_reason"},
			{url.Values{"void_event": {ev}, "void_reason": {"日付の誤り"}, "corrected_on": {daysAgo(-400)}, "corrected_reason": {nhi.AcquireMoveIn}}, "corrected_on"},
		} {
			tc.form.Set("csrf", csrfOf(t, page))
			res, b := f.post(t, clerk, "/nhi/persons/300002/void", tc.form)
			if res.StatusCode != http.StatusBadRequest || !strings.Contains(b, `id="`+tc.field+`-error"`) {
				t.Errorf("%v: %d, want %s marked\n%s", tc.form, res.StatusCode, tc.field, b)
			}
		}
		if f.pendingChanges(t) != pending {
			t.Fatal("a refused void waits")
		}
		res, b := f.post(t, clerk, "/nhi/persons/300002/void", url.Values{"csrf": {csrfOf(t, page)}, "void_event": {ev}, "void_reason": {"取得日の誤り"},
			"corrected_on": {daysAgo(15)}, "corrected_reason": {nhi.AcquireMoveIn}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("correction: %d\n%s", res.StatusCode, b)
		}
		f.confirmAllPages(t, checker)
		rec, err = f.nhi.Get(testutil.As("setup"), "131041", "300002", daysAgo(17))
		if err != nil || rec.Person.Insured || len(rec.Events) != 1 || nhi.Date(rec.Events[0].Date) != daysAgo(15) || rec.Person.Household != 0 {
			t.Errorf("after the correction, as of 17 days ago: %+v %v", rec, err)
		}
		if rec, err := f.nhi.Get(testutil.As("setup"), "131041", "300002", ""); err != nil || !rec.Person.Insured || rec.Person.Household != hh {
			t.Errorf("after the correction, today: %+v %v", rec, err)
		}

		rec, _ = f.nhi.Get(testutil.As("setup"), "131041", "300002", "")
		latest := strconv.FormatInt(rec.Events[0].ID, 10)
		if st, out := f.apiCall(t, clerk, csrf, "POST", "/api/v1/nhi/voids", `{"resident_code":"300001","event":`+latest+`,"void_reason":"誤り"}`); st != http.StatusBadRequest ||
			!strings.Contains(toJSON(out["errors"]), "event") {
			t.Errorf("the API voiding another person's entry: %d %v", st, out)
		}
		st, out := f.apiCall(t, clerk, csrf, "POST", "/api/v1/nhi/voids", `{"resident_code":"300002","event":`+latest+`,"void_reason":"別世帯の届出の誤入力"}`)
		if st != http.StatusAccepted || out["kind"] != nhi.KindVoid || out["status"] != "pending" {
			t.Fatalf("the API's void: %d %v", st, out)
		}
		f.confirmAllPages(t, checker)
		if rec, err := f.nhi.Get(testutil.As("setup"), "131041", "300002", ""); err != nil || rec.Person.Insured || len(rec.Events) != 0 {
			t.Errorf("after the API's void: %+v %v", rec, err)
		}
		if n := testutil.CountEvents(t, f.db, `action IN ('nhi.void', 'nhi.correct') AND subject_id = '300002' AND outcome = 'ok'`); n != 2 {
			t.Errorf("%d void and correction events, want 2", n)
		}
	})
}
