package web

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"bango/internal/access"
	"bango/internal/alert"
	"bango/internal/audit"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
)

// followAPI reads a list through the API limit rows at a time, following
// next with ?cursor=, and returns the IDs of its items in order and how
// many pages it took.
func (f *webFixture) followAPI(t *testing.T, c *http.Client, csrf, path, key string, limit int) (ids []string, pages int) {
	t.Helper()
	cursor := ""
	for {
		p := path + "?limit=" + strconv.Itoa(limit)
		if cursor != "" {
			p += "&cursor=" + url.QueryEscape(cursor)
		}
		st, out := f.apiCall(t, c, csrf, "GET", p, "")
		items, ok := out[key].([]any)
		if st != http.StatusOK || !ok {
			t.Fatalf("GET %s: %d %v", p, st, out)
		}
		if len(items) > limit {
			t.Fatalf("GET %s: %d items, asked for %d", p, len(items), limit)
		}
		for _, it := range items {
			ids = append(ids, fmt.Sprint(it.(map[string]any)["id"]))
		}
		pages++
		next, ok := out["next"].(string)
		if !ok {
			t.Fatalf("GET %s: no next in %v", p, out)
		}
		if next == "" {
			return ids, pages
		}
		if pages > 100 {
			t.Fatalf("GET %s: the pages do not end", path)
		}
		cursor = next
	}
}

// followPages reads a list through its page, following the link of the
// pager whose link is pagerID; item finds each row's ID.
func (f *webFixture) followPages(t *testing.T, c *http.Client, path, pagerID string, item *regexp.Regexp) (ids []string, pages int) {
	t.Helper()
	link := regexp.MustCompile(`<a href="([^"]+)" rel="next" id="` + pagerID + `">`)
	for {
		res, page := f.get(t, c, path)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d", path, res.StatusCode)
		}
		for _, m := range item.FindAllStringSubmatch(page, -1) {
			ids = append(ids, m[1])
		}
		pages++
		m := link.FindStringSubmatch(page)
		if m == nil {
			return ids, pages
		}
		if !strings.Contains(page, tr("ja", "pager.more")) {
			t.Fatalf("GET %s: a next link without the line that says more exist", path)
		}
		if pages > 100 {
			t.Fatalf("GET %s: the pages do not end", path)
		}
		path = html.UnescapeString(m[1])
	}
}

// Issue 16: no list is cut at a fixed size. The grants a section head
// sees and the alerts a privacy manager sees are read a page at a time,
// through the API (next, ?cursor=) and through each page's pager link;
// every item is seen exactly once, newest first, and nothing outside the
// reader's scope appears; a cursor that was tampered with is refused as
// invalid input naming the field.
func TestListsPage(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		// Grants: the head's section members hold one grant each; a member
		// of another section holds one too, which the head does not see.
		head, headCSRF := f.staffClient(t, "head", "131041", "医療保険年金課", [2]string{"section-head", "131041"})
		var wantGrants []string
		for i := range 7 {
			login := fmt.Sprintf("member%d", i)
			f.kit.Staff(t, testkit.Staff{Login: login, Tenant: "131041", Patterns: []string{"nhi-clerk"}})
			mine, err := f.access.Grants(testutil.As("setup"), access.GrantFilter{LoginID: login})
			if err != nil || len(mine.Items) != 1 {
				t.Fatalf("%s's grants: %+v %v", login, mine, err)
			}
			wantGrants = append(wantGrants, strconv.FormatInt(mine.Items[0].ID, 10))
		}
		f.kit.Staff(t, testkit.Staff{Login: "elsewhere", Tenant: "131041", Section: "保険年金課", Patterns: []string{"nhi-clerk"}})
		slices.Reverse(wantGrants) // newest first

		ids, pages := f.followAPI(t, head, headCSRF, "/api/v1/grants", "grants", 3)
		if diff := cmp.Diff(wantGrants, ids); diff != "" || pages != 3 {
			t.Fatalf("grants through the API in %d pages (-want +got):\n%s", pages, diff)
		}
		ids, pages = f.followPages(t, head, "/grants?limit=3", "next-cursor", regexp.MustCompile(`action="/grants/(\d+)/revoke"`))
		if diff := cmp.Diff(wantGrants, ids); diff != "" || pages != 3 {
			t.Fatalf("grants through the page in %d pages (-want +got):\n%s", pages, diff)
		}

		// Alerts: 22 open in the manager's municipality and one of none;
		// one of another municipality they do not see.
		ctx := audit.WithActor(testutil.AllTenants(), audit.Actor{User: "setup"})
		raise := func(tenant, subject string) string {
			a, err := f.alerts.Raise(ctx, alert.Alert{Tenant: tenant, Rule: alert.RuleBulkReveal, Subject: subject})
			if err != nil {
				t.Fatal(err)
			}
			return strconv.FormatInt(a.ID, 10)
		}
		var wantAlerts []string
		for i := range 22 {
			wantAlerts = append(wantAlerts, raise("131041", "u"+strconv.Itoa(i)))
			if i == 10 {
				wantAlerts = append(wantAlerts, raise("", "role=x application=psql"))
				raise("011002", "sapporo")
			}
		}
		slices.Reverse(wantAlerts)
		pm, pmCSRF := f.staffClient(t, "pm-131041", "", "個人情報保護担当", [2]string{"privacy-manager", "131041"})

		ids, pages = f.followAPI(t, pm, pmCSRF, "/api/v1/alerts", "alerts", 5)
		if diff := cmp.Diff(wantAlerts, ids); diff != "" || pages != 5 {
			t.Fatalf("alerts through the API in %d pages (-want +got):\n%s", pages, diff)
		}
		ids, pages = f.followPages(t, pm, "/alerts?limit=5", "next-cursor", regexp.MustCompile(`action="/alerts/(\d+)/ack"`))
		if diff := cmp.Diff(wantAlerts, ids); diff != "" || pages != 5 {
			t.Fatalf("alerts through the page in %d pages (-want +got):\n%s", pages, diff)
		}
		// The older form of the API's cursor, an ID, still starts a page.
		if st, out := f.apiCall(t, pm, pmCSRF, "GET", "/api/v1/alerts?limit=2&before="+wantAlerts[1], ""); st != 200 || fmt.Sprint(out["alerts"].([]any)[0].(map[string]any)["id"]) != wantAlerts[2] {
			t.Fatalf("alerts before an ID: %d %v", st, out)
		}
		// The home page shows the newest 20 and says that more are open.
		_, home := f.get(t, pm, "/")
		if n := strings.Count(home, "<td>"+tr("ja", "rule.bulk_reveal")+"</td>"); n != 20 || !strings.Contains(home, `<a href="/alerts" rel="next" id="all-alerts">`) {
			t.Fatalf("home page: %d alerts, link to all: %v", n, strings.Contains(home, `id="all-alerts"`))
		}

		// A tampered cursor: 400 naming the field, on the API and the page.
		_, out := f.apiCall(t, pm, pmCSRF, "GET", "/api/v1/alerts?limit=5", "")
		next := out["next"].(string)
		bad := next[:len(next)-2] + "AA"
		if strings.HasSuffix(next, "AA") {
			bad = next[:len(next)-2] + "BB"
		}
		if st, out := f.apiCall(t, pm, pmCSRF, "GET", "/api/v1/alerts?cursor="+url.QueryEscape(bad), ""); st != http.StatusBadRequest || !strings.Contains(fmt.Sprint(out["fields"]), "cursor") {
			t.Fatalf("tampered cursor through the API: %d %v", st, out)
		}
		if res, _ := f.get(t, pm, "/alerts?cursor="+url.QueryEscape(bad)); res.StatusCode != http.StatusBadRequest {
			t.Fatalf("tampered cursor on the alerts page: %d", res.StatusCode)
		}
		if res, _ := f.get(t, head, "/grants?cursor="+url.QueryEscape(next)); res.StatusCode != http.StatusBadRequest {
			t.Fatalf("an alerts cursor on the grants page: %d", res.StatusCode)
		}
	})
}
