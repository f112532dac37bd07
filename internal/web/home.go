package web

import (
	"html/template"
	"net/http"
)

var homePage = template.Must(template.New("home").Parse(`<!doctype html>
<html lang="ja">
<head><meta charset="utf-8"><title>bango — 個人番号利用事務系</title></head>
<body>
<main>
<h1>bango</h1>
<p>個人番号利用事務系システム（国民健康保険・公費負担医療）</p>
<p lang="en">My Number business system for health insurance and public-expense medical care.</p>
<p>版 / version: {{.Version}} — データベース / database: {{.Engine}} (schema {{.SchemaVersion}}/{{.SchemaLatest}})</p>
</main>
</body>
</html>
`))

// home is the landing page. Staff sign-in and the screens behind it are
// added by the identity module; until then it shows only the system's state.
func (s *Server) home(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	return homePage.Execute(w, s.healthReport(r.Context()))
}
