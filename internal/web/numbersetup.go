package web

import (
	"bytes"
	"encoding/base64"
	"io"
	"net/http"
	"strconv"

	"bango/internal/access"
	"bango/internal/errs"
	"bango/internal/linkage"
	"bango/internal/numbersetup"
)

// My Number setup from a registry file (issue 21; R-PUB-2, R-WAU-2,
// R-ACC-3, R-ACC-2): the upload of a registry extract for one business,
// the counts per outcome, the work list to resolve or discard, and the
// close that deletes the sealed numbers. The exact matches and the
// resolved rows are confirmed on the review pages by a checker other than
// the importer; the numbers show only as a mask here.

// maxRegistryBytes is what an upload of a registry file may carry: the
// file of a prefecture's recipients, or a municipality's insured persons.
const maxRegistryBytes = 256 << 20

type nsBusiness struct{ Value, Label string }

// numbersetupData is the list page, or one setup's page with its rows.
type numbersetupData struct {
	Businesses []nsBusiness
	Setups     []numbersetup.Setup
	Setup      *numbersetup.Setup
	Outcomes   []string
	Items      []numbersetup.Candidate
	WorkList   bool
	Pager      pager
	Report     *linkage.Report
}

var numbersetupNotices = map[string]string{"imported": "numbersetup.imported", "resolved": "numbersetup.resolved", "discarded": "numbersetup.discarded",
	"closed": "numbersetup.closed"}

func (s *Server) numbersetupBusinesses(r *http.Request) []nsBusiness {
	var out []nsBusiness
	for _, b := range s.biz.NumberSetup.Businesses() {
		out = append(out, nsBusiness{b.Name(), b.Title().In(lang(r))})
	}
	return out
}

func (s *Server) renderNumberSetups(w http.ResponseWriter, r *http.Request, status int, rep *linkage.Report, problem refusal, form map[string]string) error {
	sess := sessionFrom(r.Context())
	sts, err := s.biz.NumberSetup.Setups(r.Context(), sess.Tenant)
	if err != nil {
		return err
	}
	p := s.newPage(r, "numbersetup.title", sess)
	p.fill(r, numbersetupData{Businesses: s.numbersetupBusinesses(r), Setups: sts, Outcomes: numbersetup.Outcomes, Report: rep}, problem, form, numbersetupNotices)
	return s.render(w, r, status, "numbersetup", p)
}

func (s *Server) numbersetupPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderNumberSetups(w, r, http.StatusOK, nil, refusal{}, nil)
}

func (s *Server) numbersetupImportPost(w http.ResponseWriter, r *http.Request) error {
	sess := sessionFrom(r.Context())
	up, upErr := takeUpload(r) // first: the form's fields may follow the file
	if up != nil {
		defer up.spool.Destroy()
	}
	form := map[string]string{"business": r.PostFormValue("business")}
	rerender := func(rep *linkage.Report) func(int, refusal) error {
		return func(status int, msg refusal) error { return s.renderNumberSetups(w, r, status, rep, msg, form) }
	}
	if upErr != nil {
		return formProblem(r, upErr, rerender(nil))
	}
	name, open := up.name, up.spool.Open
	u := sess.User
	st, rep, err := s.biz.NumberSetup.Import(r.Context(), numbersetup.ImportRequest{Tenant: sess.Tenant, Business: form["business"], FileName: name, Open: open, Maker: u})
	if err != nil && st.ID == 0 {
		return formProblem(r, err, rerender(rep))
	}
	http.Redirect(w, r, "/numbersetup/"+strconv.FormatInt(st.ID, 10)+"?done=imported", http.StatusSeeOther)
	return nil
}

func setupID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.E(errs.NotFound, "no setup %q", r.PathValue("id"))
	}
	return id, nil
}

func (s *Server) renderNumberSetup(w http.ResponseWriter, r *http.Request, status int, problem refusal, form map[string]string) error {
	sess := sessionFrom(r.Context())
	id, err := setupID(r)
	if err != nil {
		return err
	}
	st, err := s.biz.NumberSetup.Setup(r.Context(), sess.Tenant, id)
	if err != nil {
		return err
	}
	d := numbersetupData{Setup: &st, Outcomes: numbersetup.Outcomes, WorkList: r.URL.Query().Get("all") == ""}
	if st.Status == "open" {
		cursor, limit := pageAsked(r, "after")
		after, _ := strconv.Atoi(cursor)
		page, err := s.biz.NumberSetup.Candidates(r.Context(), sess.Tenant, numbersetup.ListRequest{Setup: id, WorkList: d.WorkList, After: after, Limit: limit})
		if err != nil {
			return err
		}
		d.Items, d.Pager = page.Items, pagerOf(r, page, "/numbersetup/"+strconv.FormatInt(id, 10), "after")
	}
	p := s.newPage(r, "numbersetup.setup.title", sess)
	p.fill(r, d, problem, form, numbersetupNotices)
	return s.render(w, r, status, "numbersetupsetup", p)
}

func (s *Server) numbersetupSetupPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderNumberSetup(w, r, http.StatusOK, refusal{}, nil)
}

func lineOf(r *http.Request) (int, error) {
	n, err := strconv.Atoi(r.PathValue("line"))
	if err != nil || n <= 0 {
		return 0, errs.E(errs.NotFound, "no candidate %q", r.PathValue("line"))
	}
	return n, nil
}

func (s *Server) numbersetupResolvePost(w http.ResponseWriter, r *http.Request) error {
	f, err := postedForm(r, "person")
	if err != nil {
		return err
	}
	id, err := setupID(r)
	if err != nil {
		return err
	}
	line, err := lineOf(r)
	if err != nil {
		return err
	}
	sess := sessionFrom(r.Context())
	u := sess.User
	if _, err := s.biz.NumberSetup.Resolve(r.Context(), u, sess.Tenant, id, line, f["person"]); err != nil {
		return formProblem(r, err, func(status int, msg refusal) error { return s.renderNumberSetup(w, r, status, msg, f) })
	}
	http.Redirect(w, r, "/numbersetup/"+strconv.FormatInt(id, 10)+"?done=resolved", http.StatusSeeOther)
	return nil
}

func (s *Server) numbersetupDiscardPost(w http.ResponseWriter, r *http.Request) error {
	f, err := postedForm(r, "reason")
	if err != nil {
		return err
	}
	id, err := setupID(r)
	if err != nil {
		return err
	}
	line, err := lineOf(r)
	if err != nil {
		return err
	}
	if err := s.biz.NumberSetup.Discard(r.Context(), sessionFrom(r.Context()).Tenant, id, line, f["reason"]); err != nil {
		return formProblem(r, err, func(status int, msg refusal) error { return s.renderNumberSetup(w, r, status, msg, f) })
	}
	http.Redirect(w, r, "/numbersetup/"+strconv.FormatInt(id, 10)+"?done=discarded", http.StatusSeeOther)
	return nil
}

func (s *Server) numbersetupClosePost(w http.ResponseWriter, r *http.Request) error {
	id, err := setupID(r)
	if err != nil {
		return err
	}
	if _, err := s.biz.NumberSetup.Close(r.Context(), sessionFrom(r.Context()).Tenant, id); err != nil {
		return formProblem(r, err, func(status int, msg refusal) error { return s.renderNumberSetup(w, r, status, msg, nil) })
	}
	http.Redirect(w, r, "/numbersetup/"+strconv.FormatInt(id, 10)+"?done=closed", http.StatusSeeOther)
	return nil
}

// numbersetupImportBody is what the API takes to import a registry file:
// the file's bytes as base64.
type numbersetupImportBody struct {
	Business string `json:"business"` // pubmed or nhi
	FileName string `json:"file_name"`
	Content  string `json:"content"` // the file (Shift_JIS CSV, layout mynumber-registry), base64
}

// numbersetupImportAnswer is the setup made, or the report of a file
// rejected whole (400 with the problems as fields).
type numbersetupImportAnswer struct {
	Setup  numbersetup.Setup `json:"setup"`
	Report *linkage.Report   `json:"report"`
}

func (s *Server) apiNumberSetupImport(w http.ResponseWriter, r *http.Request) error {
	var in numbersetupImportBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	content, err := base64.StdEncoding.DecodeString(in.Content)
	if err != nil {
		return &errs.FieldErrors{List: []errs.FieldError{{Field: "content", Reason: errs.Message{JA: "ファイルの内容をbase64で送ってください", EN: "send the file's content in base64"}}}}
	}
	sess := sessionFrom(r.Context())
	u := sess.User
	st, rep, err := s.biz.NumberSetup.Import(r.Context(), numbersetup.ImportRequest{Tenant: sess.Tenant, Business: in.Business, FileName: in.FileName, Maker: u,
		Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(content)), nil }})
	if err != nil && st.ID == 0 {
		return err
	}
	writeJSON(w, http.StatusCreated, numbersetupImportAnswer{Setup: st, Report: rep})
	return nil
}

type numbersetupSetupsAnswer struct {
	Items []numbersetup.Setup `json:"items"`
}

func (s *Server) apiNumberSetups(w http.ResponseWriter, r *http.Request) error {
	sts, err := s.biz.NumberSetup.Setups(r.Context(), sessionFrom(r.Context()).Tenant)
	if err != nil {
		return err
	}
	if sts == nil {
		sts = []numbersetup.Setup{}
	}
	writeJSON(w, http.StatusOK, numbersetupSetupsAnswer{Items: sts})
	return nil
}

func (s *Server) apiNumberSetup(w http.ResponseWriter, r *http.Request) error {
	id, err := setupID(r)
	if err != nil {
		return err
	}
	st, err := s.biz.NumberSetup.Setup(r.Context(), sessionFrom(r.Context()).Tenant, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

type numbersetupCandidatesAnswer struct {
	Items []numbersetup.Candidate `json:"items"`
	Next  string                  `json:"next,omitempty"`
	More  bool                    `json:"more"`
}

func (s *Server) apiNumberSetupCandidates(w http.ResponseWriter, r *http.Request) error {
	id, err := setupID(r)
	if err != nil {
		return err
	}
	cursor, limit := pageAsked(r, "cursor")
	after, _ := strconv.Atoi(cursor)
	page, err := s.biz.NumberSetup.Candidates(r.Context(), sessionFrom(r.Context()).Tenant, numbersetup.ListRequest{Setup: id,
		WorkList: r.URL.Query().Get("worklist") == "true", After: after, Limit: limit})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, numbersetupCandidatesAnswer{Items: page.Items, Next: page.Next, More: page.More})
	return nil
}

type numbersetupResolveBody struct {
	Person string `json:"person"` // the resident code of the person the row's number belongs to
}

func (s *Server) apiNumberSetupResolve(w http.ResponseWriter, r *http.Request) error {
	var in numbersetupResolveBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	id, err := setupID(r)
	if err != nil {
		return err
	}
	line, err := lineOf(r)
	if err != nil {
		return err
	}
	sess := sessionFrom(r.Context())
	u := sess.User
	c, err := s.biz.NumberSetup.Resolve(r.Context(), u, sess.Tenant, id, line, in.Person)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, c)
	return nil
}

type numbersetupDiscardBody struct {
	Reason string `json:"reason"`
}

type numbersetupDoneAnswer struct {
	Done bool `json:"done"`
}

func (s *Server) apiNumberSetupDiscard(w http.ResponseWriter, r *http.Request) error {
	var in numbersetupDiscardBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	id, err := setupID(r)
	if err != nil {
		return err
	}
	line, err := lineOf(r)
	if err != nil {
		return err
	}
	if err := s.biz.NumberSetup.Discard(r.Context(), sessionFrom(r.Context()).Tenant, id, line, in.Reason); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, numbersetupDoneAnswer{Done: true})
	return nil
}

func (s *Server) apiNumberSetupClose(w http.ResponseWriter, r *http.Request) error {
	id, err := setupID(r)
	if err != nil {
		return err
	}
	st, err := s.biz.NumberSetup.Close(r.Context(), sessionFrom(r.Context()).Tenant, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

func (s *Server) numbersetupModule() webModule {
	enter := access.MyNumberEnter
	return webModule{
		name: "numbersetup",
		routes: []route{
			{pattern: "GET /numbersetup", gate: loggedIn, perm: enter, where: currentTenant, h: s.numbersetupPage},
			{pattern: "POST /numbersetup/imports", gate: loggedIn, perm: enter, where: currentTenant, h: s.numbersetupImportPost},
			{pattern: "GET /numbersetup/{id}", gate: loggedIn, perm: enter, where: currentTenant, h: s.numbersetupSetupPage},
			{pattern: "POST /numbersetup/{id}/candidates/{line}/resolve", gate: loggedIn, perm: enter, where: currentTenant, h: s.numbersetupResolvePost},
			{pattern: "POST /numbersetup/{id}/candidates/{line}/discard", gate: loggedIn, perm: enter, where: currentTenant, h: s.numbersetupDiscardPost},
			{pattern: "POST /numbersetup/{id}/close", gate: loggedIn, perm: enter, where: currentTenant, h: s.numbersetupClosePost},

			{pattern: "GET /api/v1/numbersetup/setups", gate: loggedIn, perm: enter, where: currentTenant, json: true, h: s.apiNumberSetups,
				summary: "The municipality's My Number setups from registry files, the latest first, with their counts per outcome", answer: numbersetupSetupsAnswer{}},
			{pattern: "POST /api/v1/numbersetup/setups", gate: loggedIn, perm: enter, where: currentTenant, json: true, h: s.apiNumberSetupImport,
				summary: "Import a registry file (layout mynumber-registry) for a business: checked whole (a problem rejects it with its report, nothing stored), then each row matched by the basic four items into the candidate work table; exact matches wait for another person's confirmation",
				body:    numbersetupImportBody{}, status: http.StatusCreated, answer: numbersetupImportAnswer{}},
			{pattern: "GET /api/v1/numbersetup/setups/{id}", gate: loggedIn, perm: enter, where: currentTenant, json: true, h: s.apiNumberSetup,
				summary: "A setup with its counts per outcome and the change that holds its exact matches", answer: numbersetup.Setup{}},
			{pattern: "GET /api/v1/numbersetup/setups/{id}/candidates", gate: loggedIn, perm: enter, where: currentTenant, json: true, h: s.apiNumberSetupCandidates,
				summary: "A setup's candidates by line (the number as a mask), or only its work list",
				query:   append([]apiParam{{"worklist", "boolean", "true for the rows to resolve or discard only"}}, pageQuery...), answer: numbersetupCandidatesAnswer{}},
			{pattern: "POST /api/v1/numbersetup/setups/{id}/candidates/{line}/resolve", gate: loggedIn, perm: enter, where: currentTenant, json: true, h: s.apiNumberSetupResolve,
				summary: "Choose the person a work-list row's number belongs to: it waits for another person's confirmation", body: numbersetupResolveBody{},
				status: http.StatusAccepted, answer: numbersetup.Candidate{}},
			{pattern: "POST /api/v1/numbersetup/setups/{id}/candidates/{line}/discard", gate: loggedIn, perm: enter, where: currentTenant, json: true, h: s.apiNumberSetupDiscard,
				summary: "Discard a work-list row with the reason; its sealed number is destroyed", body: numbersetupDiscardBody{}, answer: numbersetupDoneAnswer{}},
			{pattern: "POST /api/v1/numbersetup/setups/{id}/close", gate: loggedIn, perm: enter, where: currentTenant, json: true, h: s.apiNumberSetupClose,
				summary: "End the setup: its candidates and their sealed numbers are deleted", answer: numbersetup.Setup{}},
		},
		menu: []navItem{{Key: "nav.numbersetup", Href: "/numbersetup", perm: enter}},
	}
}

// numbersetupMessages are the strings of the setup's screens and the
// words of its audit events.
var numbersetupMessages = messages{
	"nav.numbersetup":                 {"個人番号の一括設定", "My Number setup"},
	"numbersetup.title":               {"個人番号の一括設定（住基ネットの本人確認情報から）", "My Number setup from a registry file"},
	"numbersetup.help":                {"住基ネットから抽出した本人確認情報（個人番号付き）のファイルを取り込み、業務の対象者のうち個人番号が未登録の方と基本4情報（氏名・生年月日・性別・住所）で照合します。完全一致は別の職員の確認後に登録され、それ以外は作業リストで対象者を選ぶか破棄します。ファイルに1件でも誤りがあれば全体を受け付けません。", "Import a registry extract with My Numbers and match it against the business's people without a number by the basic four items (name, date of birth, sex, address). Exact matches are registered once another staff member confirms them; the rest are resolved or discarded on the work list. A file with any error is rejected whole."},
	"numbersetup.business":            {"業務", "Business"},
	"numbersetup.file":                {"ファイル（CSV・Shift_JIS）", "File (CSV, Shift_JIS)"},
	"numbersetup.import":              {"取り込む", "Import"},
	"numbersetup.setups":              {"これまでの設定", "Setups"},
	"numbersetup.none":                {"まだ設定はありません。", "No setup yet."},
	"numbersetup.rows":                {"件数", "Rows"},
	"numbersetup.status":              {"状態", "Status"},
	"numbersetup.status.open":         {"作業中", "Open"},
	"numbersetup.status.closed":       {"終了（候補者削除済み）", "Closed (candidates deleted)"},
	"numbersetup.imported_by":         {"取込者", "Imported by"},
	"numbersetup.rejected":            {"ファイル全体を受け付けませんでした（何も登録していません）。問題: %d 件", "The file was rejected whole; nothing was stored. Problems: %d"},
	"numbersetup.line":                {"行", "Line"},
	"numbersetup.field":               {"項目", "Field"},
	"numbersetup.reason":              {"理由", "Reason"},
	"numbersetup.outcome.exact":       {"完全一致（確認待ち）", "Exact match (awaiting confirmation)"},
	"numbersetup.outcome.no_match":    {"該当なし", "No match"},
	"numbersetup.outcome.multiple":    {"複数候補", "Two candidates or more"},
	"numbersetup.outcome.one_diff":    {"1項目相違", "One item different"},
	"numbersetup.outcome.held":        {"番号が他の方に登録済み", "Number held by another person"},
	"numbersetup.item.name":           {"氏名", "name"},
	"numbersetup.item.birth_date":     {"生年月日", "date of birth"},
	"numbersetup.item.sex":            {"性別", "sex"},
	"numbersetup.item.address":        {"住所", "address"},
	"numbersetup.setup.title":         {"個人番号の一括設定", "My Number setup"},
	"numbersetup.setup.heading":       {"第%d号（%s）", "Setup %d (%s)"},
	"numbersetup.confirm.help":        {"完全一致と対象者を選んだ行は「確認待ち」に入ります。取り込んだ職員以外の確認者が確認すると個人番号が登録されます。", "Exact matches and resolved rows wait in the review queue: a checker other than the importer confirms them, and the number is registered then."},
	"numbersetup.change":              {"確認待ちの変更 %d", "Pending change %d"},
	"numbersetup.worklist":            {"作業リスト", "Work list"},
	"numbersetup.all":                 {"全件を表示", "Show every row"},
	"numbersetup.only_worklist":       {"作業リストだけを表示", "Show the work list only"},
	"numbersetup.worklist.none":       {"作業リストに残っている行はありません。", "Nothing left on the work list."},
	"numbersetup.candidate":           {"候補（宛名番号）", "Candidate (resident code)"},
	"numbersetup.person":              {"対象者の宛名番号", "Resident code of the person"},
	"numbersetup.resolve":             {"この方に設定（確認待ちへ）", "Give to this person (for confirmation)"},
	"numbersetup.discard":             {"破棄", "Discard"},
	"numbersetup.row_status":          {"状態", "Status"},
	"numbersetup.rowstatus.open":      {"未処理", "Open"},
	"numbersetup.rowstatus.submitted": {"確認待ち", "Awaiting confirmation"},
	"numbersetup.rowstatus.applied":   {"登録済み", "Registered"},
	"numbersetup.rowstatus.discarded": {"破棄", "Discarded"},
	"numbersetup.rowstatus.failed":    {"登録できず", "Could not be registered"},
	"numbersetup.close":               {"この設定を終了する（候補者と封印した個人番号を削除）", "Close this setup (delete the candidates and sealed numbers)"},
	"numbersetup.closed.help":         {"終了した設定です。候補者 %d 件と封印した個人番号を削除しました。", "This setup is closed: %d candidates and their sealed numbers were deleted."},
	"numbersetup.imported":            {"取り込みました。件数は結果ごとに表示しています。", "Imported: the counts per outcome are shown."},
	"numbersetup.resolved":            {"確認待ちに登録しました。別の職員が確認すると個人番号が登録されます。", "Sent for confirmation: the number is registered once another staff member confirms it."},
	"numbersetup.discarded":           {"破棄しました。封印した個人番号は削除済みです。", "Discarded: its sealed number is destroyed."},
	"numbersetup.closed":              {"設定を終了しました。候補者と封印した個人番号を削除しました。", "The setup is closed: its candidates and sealed numbers are deleted."},

	"action.numbersetup.import":  {"個人番号の一括設定ファイルの取込", "Import of a My Number setup registry file"},
	"action.numbersetup.list":    {"個人番号の一括設定の候補者の閲覧", "Viewing of a My Number setup's candidates"},
	"action.numbersetup.resolve": {"個人番号の一括設定の対象者の選択", "Person chosen for a My Number setup row"},
	"action.numbersetup.discard": {"個人番号の一括設定の候補の破棄", "My Number setup row discarded"},
	"action.numbersetup.confirm": {"個人番号の一括設定の確認（登録）", "My Number setup confirmed (numbers registered)"},
	"action.numbersetup.close":   {"個人番号の一括設定の終了（封印した番号の削除）", "My Number setup closed (sealed numbers deleted)"},
	"action.numbersetup.return":  {"個人番号の一括設定の差戻し分を作業リストへ戻す", "My Number setup rows returned to the work list after a rejection"},
}
