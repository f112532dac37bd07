package web

import (
	"net/http"
	"strconv"
	"strings"

	"bango/internal/access"
	"bango/internal/errs"
	"bango/internal/export"
	"bango/internal/identity"
)

// The export pages (R-AC-5), in the session's municipality.

type exportsData struct {
	Kinds    []export.Kind
	Requests []export.Request
	Pager    pager
	// WithNumbers: the person may ask for My Numbers in a file (they hold
	// mynumber.reveal here); otherwise the form does not offer it.
	WithNumbers bool
}

// pendingExportsData is a page of the requests waiting for a decision.
type pendingExportsData struct {
	Kinds    []export.Kind
	Requests []export.Request
	Pager    pager
}

// kindName is an export kind in words in lang; a kind no module declares
// any more shows its name.
func kindName(kinds []export.Kind, name, lang string) string {
	for _, k := range kinds {
		if k.Name == name {
			return errs.Message{JA: k.JA, EN: k.EN}.In(lang)
		}
	}
	return name
}

// KindName is an export kind in words, for the page.
func (d exportsData) KindName(name, lang string) string { return kindName(d.Kinds, name, lang) }

// KindName is an export kind in words, for the page.
func (d pendingExportsData) KindName(name, lang string) string { return kindName(d.Kinds, name, lang) }

func (s *Server) exportsPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderExports(w, r, http.StatusOK, refusal{}, nil)
}

func (s *Server) renderExports(w http.ResponseWriter, r *http.Request, status int, problem refusal, form map[string]string) error {
	sess := sessionFrom(r.Context())
	p := s.newPage(r, "exports.title", sess)
	mine, err := s.biz.Exports.List(r.Context(), sess.Tenant, sess.User.ID, "", r.URL.Query().Get("cursor"), 0)
	if err != nil {
		return err
	}
	p.fill(r, exportsData{Kinds: s.biz.Exports.Kinds(), Requests: mine.Items, Pager: pagerOf(r, mine, "/exports", "cursor"),
		WithNumbers: p.Rights.Has(access.MyNumberReveal, sess.Tenant)}, problem, form,
		map[string]string{"asked": "exports.asked"})
	return s.render(w, r, status, "exports", p)
}

func (s *Server) askExport(w http.ResponseWriter, r *http.Request) error {
	sess := sessionFrom(r.Context())
	f, err := formValues(r, "kind", "reason", "include_mynumber")
	if err == nil {
		_, err = s.biz.Exports.Ask(r.Context(), sess.User, sess.Tenant, f["kind"], "csv", f["reason"], f["include_mynumber"] == "yes")
	}
	if err != nil {
		msg, ok := problemText(lang(r), err)
		if !ok {
			return err
		}
		return s.renderExports(w, r, problemStatus(err), msg, f)
	}
	http.Redirect(w, r, "/exports?done=asked", http.StatusSeeOther)
	return nil
}

// downloadExport sends the approved file once (sendExport); a refusal
// the person can act on re-renders the exports page with it.
func (s *Server) downloadExport(w http.ResponseWriter, r *http.Request) error {
	err := s.sendExport(w, r)
	if err == nil {
		return nil
	}
	msg, ok := problemText(lang(r), err)
	if !ok {
		return err
	}
	return s.renderExports(w, r, problemStatus(err), msg, nil)
}

// sendExport sends the approved file once; the request ID is in the file
// name and on every row. The headers go out only once the service has
// written its event and begins the file, so that a refusal can still be
// answered; a failure after the first byte is logged (the file is cut).
func (s *Server) sendExport(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "export request")
	if err != nil {
		return err
	}
	sess := sessionFrom(r.Context())
	req, err := s.biz.Exports.Get(r.Context(), sess.Tenant, id)
	if err != nil {
		return err
	}
	name := "bango-export-" + strconv.FormatInt(id, 10) + "-" + req.Kind + ".csv"
	hw := &headerOnWrite{ResponseWriter: w, set: func(h http.Header) {
		h.Set("Content-Type", "text/csv; charset=utf-8")
		h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	}}
	if _, err := s.biz.Exports.Download(r.Context(), sess.User, sess.Tenant, id, s.users.SecondFactorRecent(*sess), hw); err != nil {
		if hw.wrote {
			s.log.ErrorContext(r.Context(), "export interrupted", "export", id, "err", err)
			return nil
		}
		return err
	}
	return nil
}

// headerOnWrite sets download headers just before the first byte.
type headerOnWrite struct {
	http.ResponseWriter
	set   func(http.Header)
	wrote bool
}

func (h *headerOnWrite) Write(b []byte) (int, error) {
	if !h.wrote {
		h.wrote = true
		h.set(h.Header())
	}
	return h.ResponseWriter.Write(b)
}

func (s *Server) pendingExports(w http.ResponseWriter, r *http.Request) error {
	return s.renderPendingExports(w, r, http.StatusOK, refusal{})
}

func (s *Server) renderPendingExports(w http.ResponseWriter, r *http.Request, status int, problem refusal) error {
	sess := sessionFrom(r.Context())
	p := s.newPage(r, "exports.pending.title", sess)
	pending, err := s.biz.Exports.List(r.Context(), sess.Tenant, 0, export.Pending, r.URL.Query().Get("cursor"), 0)
	if err != nil {
		return err
	}
	p.fill(r, pendingExportsData{Kinds: s.biz.Exports.Kinds(), Requests: pending.Items, Pager: pagerOf(r, pending, "/exports/pending", "cursor")}, problem, nil,
		map[string]string{"approved": "pending.approved", "rejected": "pending.rejected"})
	return s.render(w, r, status, "exportpending", p)
}

func (s *Server) decideExport(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "export request")
	if err != nil {
		return err
	}
	sess := sessionFrom(r.Context())
	f, err := formValues(r, "note")
	if err != nil {
		return err
	}
	decide, done := s.biz.Exports.Approve, "approved"
	if strings.HasSuffix(r.URL.Path, "/reject") {
		decide, done = s.biz.Exports.Reject, "rejected"
	}
	if _, err := decide(r.Context(), sess.User, sess.Tenant, id, f["note"]); err != nil {
		return formProblem(r, err, func(status int, msg refusal) error { return s.renderPendingExports(w, r, status, msg) })
	}
	http.Redirect(w, r, "/exports/pending?done="+done, http.StatusSeeOther)
	return nil
}

// Exports and copies need a privacy manager's approval (R-AC-5).
func (s *Server) exportModule() webModule {
	return webModule{
		name: "exports",
		routes: []route{
			{pattern: "GET /exports", gate: loggedIn, perm: access.ExportRequest, where: currentTenant, h: s.exportsPage},
			{pattern: "POST /exports", gate: loggedIn, perm: access.ExportRequest, where: currentTenant, h: s.askExport},
			{pattern: "POST /exports/{id}/download", gate: loggedIn, perm: access.ExportRequest, where: currentTenant, h: s.downloadExport},
			{pattern: "GET /exports/pending", gate: loggedIn, perm: access.ExportApprove, where: currentTenant, h: s.pendingExports},
			{pattern: "POST /exports/{id}/approve", gate: loggedIn, perm: access.ExportApprove, where: currentTenant, h: s.decideExport},
			{pattern: "POST /exports/{id}/reject", gate: loggedIn, perm: access.ExportApprove, where: currentTenant, h: s.decideExport},
			{pattern: "GET /api/v1/exports", gate: loggedIn, perm: access.ExportRequest, where: currentTenant, json: true, h: s.apiExports,
				summary: "One's own export requests, newest first", query: pageQuery, answer: requestsAnswer{}},
			{pattern: "POST /api/v1/exports", gate: loggedIn, perm: access.ExportRequest, where: currentTenant, json: true, h: s.apiAskExport,
				summary: "Ask to export a file: it waits for a privacy manager's approval", body: exportBody{}, status: http.StatusCreated, answer: export.Request{}},
			{pattern: "POST /api/v1/exports/{id}/download", gate: loggedIn, perm: access.ExportRequest, where: currentTenant, json: true, h: s.sendExport,
				summary: "Download an approved export, once, within a day of its approval", media: "text/csv"},
			{pattern: "GET /api/v1/exports/pending", gate: loggedIn, perm: access.ExportApprove, where: currentTenant, json: true, h: s.apiPendingExports,
				summary: "Export requests awaiting a decision, newest first", query: pageQuery, answer: requestsAnswer{}},
			{pattern: "POST /api/v1/exports/{id}/approve", gate: loggedIn, perm: access.ExportApprove, where: currentTenant, json: true, h: s.apiExportDecision(true),
				summary: "Approve another's export request", body: noteBody{}, answer: export.Request{}},
			{pattern: "POST /api/v1/exports/{id}/reject", gate: loggedIn, perm: access.ExportApprove, where: currentTenant, json: true, h: s.apiExportDecision(false),
				summary: "Reject an export request, with a note", body: noteBody{}, answer: export.Request{}},
		},
		menu: []navItem{
			{Key: "nav.exports", Href: "/exports", perm: access.ExportRequest},
			{Key: "nav.exportpending", Href: "/exports/pending", perm: access.ExportApprove},
		},
		counters: []counter{
			{id: "pending-exports", key: "home.exports", href: "/exports/pending", perm: access.ExportApprove, where: currentTenant,
				count: func(r *http.Request, sess *identity.Session) (int, error) {
					return s.biz.Exports.CountPending(r.Context(), sess.Tenant)
				}},
			{id: "ready-exports", key: "home.ready", href: "/exports", perm: access.ExportRequest, where: currentTenant,
				count: func(r *http.Request, sess *identity.Session) (int, error) {
					return s.biz.Exports.CountReady(r.Context(), sess.Tenant, sess.User.ID)
				}},
		},
	}
}

func (s *Server) apiExports(w http.ResponseWriter, r *http.Request) error {
	sess := sessionFrom(r.Context())
	cursor, limit := pageAsked(r, "cursor")
	mine, err := s.biz.Exports.List(r.Context(), sess.Tenant, sess.User.ID, "", cursor, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, requestsAnswer{Requests: nonNil(mine.Items), Next: mine.Next})
	return nil
}

// requestsAnswer is a page of export requests.
type requestsAnswer struct {
	Requests []export.Request `json:"requests"`
	Next     string           `json:"next"`
}

// exportBody is an export request: the kind of file, its format (csv),
// why, and whether it holds My Numbers.
type exportBody struct {
	Kind            string `json:"kind"`
	Format          string `json:"format"`
	Reason          string `json:"reason"`
	IncludeMyNumber bool   `json:"include_mynumber,omitempty"`
}

func (s *Server) apiAskExport(w http.ResponseWriter, r *http.Request) error {
	var in exportBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	sess := sessionFrom(r.Context())
	req, err := s.biz.Exports.Ask(r.Context(), sess.User, sess.Tenant, in.Kind, in.Format, in.Reason, in.IncludeMyNumber)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, req)
	return nil
}

func (s *Server) apiPendingExports(w http.ResponseWriter, r *http.Request) error {
	cursor, limit := pageAsked(r, "cursor")
	list, err := s.biz.Exports.List(r.Context(), sessionFrom(r.Context()).Tenant, 0, export.Pending, cursor, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, requestsAnswer{Requests: nonNil(list.Items), Next: list.Next})
	return nil
}

func (s *Server) apiExportDecision(approve bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "export request")
		if err != nil {
			return err
		}
		note, err := noteOf(r)
		if err != nil {
			return err
		}
		sess := sessionFrom(r.Context())
		decide := s.biz.Exports.Reject
		if approve {
			decide = s.biz.Exports.Approve
		}
		req, err := decide(r.Context(), sess.User, sess.Tenant, id, note)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, req)
		return nil
	}
}

// exportMessages are the strings of exports.
var exportMessages = messages{
	"nav.exports":           {"データ抽出", "Exports"},
	"nav.exportpending":     {"抽出承認", "Export approvals"},
	"exports.title":         {"データ抽出・複製の申請", "Export and copy requests"},
	"exports.help":          {"特定個人情報ファイルの抽出・複製は、保護管理者の事前承認が必要です。承認後24時間以内に、申請者本人が1回だけダウンロードできます。", "Exporting or copying personal data needs the privacy manager's prior approval. After approval the requester can download it once, within 24 hours."},
	"exports.ask":           {"新しい申請", "New request"},
	"exports.kind":          {"抽出するデータ", "Data"},
	"exports.reason":        {"目的・理由", "Purpose"},
	"exports.mynumber":      {"個人番号を含める（承認者に明示されます）", "Include My Numbers (shown to the approver)"},
	"exports.format":        {"形式: CSV（UTF-8）。各行に申請番号が入ります。", "Format: CSV (UTF-8). Every row carries the request number."},
	"exports.ask.submit":    {"申請する", "Request"},
	"exports.asked":         {"申請しました。保護管理者の承認を待っています。", "Requested. Waiting for the privacy manager's approval."},
	"exports.mine":          {"自分の申請", "My requests"},
	"exports.with":          {"含む", "included"},
	"exports.without":       {"含まない", "not included"},
	"exports.until":         {"%s まで", "until %s"},
	"exports.download":      {"ダウンロード（1回限り）", "Download (once)"},
	"exports.none":          {"申請はありません。", "No requests."},
	"exports.pending.title": {"データ抽出の承認", "Approve exports"},
	"exports.pending.help":  {"申請者とは別の保護管理者が承認します。個人番号を含む申請は特に目的を確かめてください。", "A privacy manager other than the requester decides. Check the purpose closely when My Numbers are included."},
	"exports.pending.list":  {"承認待ちの申請", "Requests awaiting a decision"},
	"exports.pending.none":  {"承認待ちの申請はありません。", "No request is waiting."},
	"export.pending":        {"承認待ち", "Pending"},
	"export.approved":       {"承認済み", "Approved"},
	"export.rejected":       {"却下", "Rejected"},
	"export.downloaded":     {"ダウンロード済み", "Downloaded"},
	"export.expired":        {"期限切れ", "Expired"},
}
