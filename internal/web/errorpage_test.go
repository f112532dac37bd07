package web

import (
	"net/http"
	"strings"
	"testing"
)

// Issue 17, no dead ends: a refused page and a wrong address keep the
// person's header and menu and say what to do — whom to ask for a right,
// where to go instead; someone not logged in sees neither menu nor name.
func TestErrorPagesKeepTheMenu(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		c := f.login(t) // tanaka.h holds no pattern yet
		for path, want := range map[string]struct {
			status int
			says   string
		}{
			// The refusal names the right in words and whom to ask: the
			// section head for a municipality's right, the IS department
			// for a right over the whole system.
			"/residents":     {http.StatusForbidden, "の権限が必要ですが、この市区町村では付与されていません。必要な場合は所属長に権限の申請を依頼してください"},
			"/admin/users":   {http.StatusForbidden, "「職員アカウントの管理」の権限が必要ですが、付与されていません。必要な場合は情報システム部門に相談してください"},
			"/no/such/page":  {http.StatusNotFound, "メニューから操作を選んでください"},
			"/residents/x/y": {http.StatusNotFound, "メニューから操作を選んでください"},
		} {
			res, page := f.get(t, c, path)
			if res.StatusCode != want.status || !strings.Contains(page, want.says) {
				t.Errorf("%s: %d, want %d saying %q:\n%s", path, res.StatusCode, want.status, want.says, page)
				continue
			}
			if !strings.Contains(page, `<nav aria-label="menu">`) || !strings.Contains(page, `href="/password"`) || !strings.Contains(page, "田中") {
				t.Errorf("%s: the error page lost the header and menu:\n%s", path, page)
			}
		}
		res, page := f.get(t, f.client(t), "/no/such/page")
		if res.StatusCode != http.StatusNotFound || strings.Contains(page, `<nav aria-label="menu">`) || strings.Contains(page, "田中") {
			t.Errorf("anonymous 404: %d\n%s", res.StatusCode, page)
		}
	})
}
