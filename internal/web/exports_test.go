package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"bango/internal/testutil/testkit"
)

var approveExport = regexp.MustCompile(`formaction="/exports/(\d+)/approve"`)

// R-AC-5: through the pages: a section head asks for the resident list
// with My Numbers, the privacy manager sees that and approves, the head
// downloads it once as CSV carrying the request number.
func TestExportPages(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		testkit.Resident(t, f.residents, "131041", testkit.Person("100001", "123456789018"))
		head, headCSRF := f.staffClient(t, "head", "131041", "医療保険年金課", [2]string{"section-head", "131041"}, [2]string{"number-viewer", "131041"})
		privacy, privacyCSRF := f.staffClient(t, "privacy", "", "個人情報保護担当", [2]string{"privacy-manager", "131041"})
		// Issue 17: the form offers My Numbers only to someone who may see
		// them; the pattern shows it in words, not as its key.
		if _, page := f.get(t, head, "/exports"); !strings.Contains(page, `id="include_mynumber"`) {
			t.Fatal("the head, who may reveal, is not offered My Numbers")
		}
		other, _ := f.staffClient(t, "head2", "131041", "医療保険年金課", [2]string{"section-head", "131041"})
		if _, page := f.get(t, other, "/exports"); strings.Contains(page, `id="include_mynumber"`) {
			t.Fatal("a head who may not reveal is offered My Numbers in a file")
		}
		if res, _ := f.post(t, head, "/exports", url.Values{"csrf": {headCSRF}, "kind": {"residents"}, "reason": {"県連合会への資格照会"}, "include_mynumber": {"yes"}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("ask: %d", res.StatusCode)
		}
		_, page := f.get(t, privacy, "/exports/pending")
		m := approveExport.FindStringSubmatch(page)
		if m == nil || !strings.Contains(page, `class="warning"`) || !strings.Contains(page, "<td>宛名一覧（住民基本情報）</td>") {
			t.Fatalf("the approver does not see the request and its My Number flag:\n%s", page)
		}
		if res, _ := f.post(t, head, "/exports/"+m[1]+"/download", url.Values{"csrf": {headCSRF}}); res.StatusCode != http.StatusForbidden {
			t.Fatalf("download before approval: %d", res.StatusCode)
		}
		if res, _ := f.post(t, privacy, "/exports/"+m[1]+"/approve", url.Values{"csrf": {privacyCSRF}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("approve: %d", res.StatusCode)
		}
		res, body := f.post(t, head, "/exports/"+m[1]+"/download", url.Values{"csrf": {headCSRF}})
		if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Disposition"), "bango-export-"+m[1]) ||
			!strings.Contains(body, m[1]+",100001,山田　太郎") || !strings.Contains(body, "123456789018") {
			t.Fatalf("download: %d %q\n%s", res.StatusCode, res.Header.Get("Content-Disposition"), body)
		}
		if res, _ := f.post(t, head, "/exports/"+m[1]+"/download", url.Values{"csrf": {headCSRF}}); res.StatusCode != http.StatusForbidden {
			t.Fatalf("second download: %d", res.StatusCode)
		}
	})
}
