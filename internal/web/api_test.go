package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"bango/internal/testutil/testkit"
)

// apiCall sends a JSON request with the session's CSRF token and decodes
// the answer.
func (f *webFixture) apiCall(t *testing.T, c *http.Client, csrf, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	if method == "POST" {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-CSRF-Token", csrf)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatalf("%s %s: answer is not JSON: %v", method, path, err)
	}
	return res.StatusCode, out
}

// R-AC-4, R-ACC-1, R-AC-6: the JSON API offers the pages' work under the
// same checks: entry, blind confirmation, reveal with purpose; errors are
// JSON naming the field; strict bodies; CSRF required.
func TestAPI(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		testkit.Resident(t, f.residents, "131041", testkit.Person("100001", ""))
		clerk, clerkCSRF := f.staffClient(t, "clerk", "131041", "医療保険年金課", [2]string{"nhi-clerk", "131041"})
		checker, checkerCSRF := f.staffClient(t, "checker", "131041", "医療保険年金課", [2]string{"nhi-checker", "131041"})
		viewer, viewerCSRF := f.staffClient(t, "viewer", "131041", "医療保険年金課", [2]string{"number-viewer", "131041"})

		st, me := f.apiCall(t, clerk, "", "GET", "/api/v1/me", "")
		if st != 200 || me["scope"] != "131041" || !strings.Contains(toJSON(me["permissions"]), "mynumber.enter") {
			t.Fatalf("me: %d %v", st, me)
		}
		if st, _ := f.apiCall(t, clerk, "", "POST", "/api/v1/residents/100001/mynumber", `{"mynumber": "123456789018"}`); st != http.StatusForbidden {
			t.Fatalf("without CSRF token: %d", st)
		}
		if st, out := f.apiCall(t, clerk, clerkCSRF, "POST", "/api/v1/residents/100001/mynumber", `{"mynumber": "123456789018", "extra": 1}`); st != 400 || !strings.Contains(out["message"].(string), "extra") {
			t.Fatalf("unknown field: %d %v", st, out)
		}
		st, out := f.apiCall(t, clerk, clerkCSRF, "POST", "/api/v1/residents/100001/mynumber", `{"mynumber": "123456789019"}`)
		if st != 400 || !strings.Contains(toJSON(out["fields"]), "mynumber") || strings.Contains(toJSON(out), "123456789019") {
			t.Fatalf("wrong check digit: %d %v", st, out)
		}
		st, change := f.apiCall(t, clerk, clerkCSRF, "POST", "/api/v1/residents/100001/mynumber", `{"mynumber": "123456789018"}`)
		if st != http.StatusAccepted || change["status"] != "pending" || strings.Contains(toJSON(change), "123456789018") {
			t.Fatalf("enter: %d %v", st, change)
		}
		id := strconv.Itoa(int(change["id"].(float64)))
		if st, _ := f.apiCall(t, clerk, clerkCSRF, "POST", "/api/v1/review/"+id+"/confirm", `{"mynumber": "123456789018"}`); st != http.StatusForbidden {
			t.Fatalf("maker confirming via the API: %d", st)
		}
		st, queue := f.apiCall(t, checker, "", "GET", "/api/v1/review", "")
		if st != 200 || !strings.Contains(toJSON(queue), `"id":`+id) || strings.Contains(toJSON(queue), "123456789018") {
			t.Fatalf("queue: %d %v", st, queue)
		}
		if st, out := f.apiCall(t, checker, checkerCSRF, "POST", "/api/v1/review/"+id+"/confirm", `{"mynumber": "123456789115"}`); st != 400 || !strings.Contains(toJSON(out["fields"]), "mynumber") {
			t.Fatalf("mismatch: %d %v", st, out)
		}
		if st, out := f.apiCall(t, checker, checkerCSRF, "POST", "/api/v1/review/"+id+"/confirm", `{"mynumber": "1234 5678 9018"}`); st != 200 || out["status"] != "confirmed" {
			t.Fatalf("confirm: %d %v", st, out)
		}
		if st, out := f.apiCall(t, clerk, "", "GET", "/api/v1/residents/100001", ""); st != 200 || strings.Contains(toJSON(out), "123456789018") || !strings.Contains(toJSON(out), `"has_mynumber":true`) {
			t.Fatalf("resident: %d %v", st, out)
		}
		if st, _ := f.apiCall(t, viewer, viewerCSRF, "POST", "/api/v1/residents/100001/reveal", `{"purpose": ""}`); st != 400 {
			t.Fatalf("reveal without purpose: %d", st)
		}
		st, out = f.apiCall(t, viewer, viewerCSRF, "POST", "/api/v1/residents/100001/reveal", `{"purpose": "その他", "note": "本人からの照会への回答"}`)
		if st != 200 || out["mynumber"] != "1234 5678 9018" {
			t.Fatalf("reveal: %d %v", st, out)
		}
		if st, _ := f.apiCall(t, viewer, viewerCSRF, "POST", "/api/v1/residents/999999/reveal", `{"purpose": "その他", "note": "x"}`); st != http.StatusNotFound {
			t.Fatalf("reveal of an unknown resident: %d", st)
		}
	})
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
