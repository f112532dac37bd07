package web

import (
	"encoding/csv"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"bango/internal/access"
	"bango/internal/audit"
	"bango/internal/csvsafe"
	"bango/internal/errs"
	"bango/internal/mynumber"
)

// The auditor's pages (R-AUD-2, R-AUD-4): search the log, a resident's
// access report, CSV of both. Who may search is audit.read; what they see
// is the municipalities they hold it for (all, for a system-wide auditor).
// Every search and every export is itself an event.

// auditScope is where the caller may search: their municipalities, or all.
func auditScope(r *http.Request) (tenants []string, all bool) {
	return rightsFrom(r.Context()).Tenants(access.AuditRead)
}

// searchForm is a search. A typed My Number (MyNumber) arrives only in a
// POST body; it is turned into Subjects — its blind index in each
// municipality searched and the resident who holds it — and only those
// travel in links (next page, CSV), so the digits reach no URL, history or
// proxy log.
type searchForm struct {
	Actor, Action, Resident, MyNumber, Tenant, From, To, Outcome, Terminal string
	Subjects                                                               []string // "type:id"
	Before                                                                 int64
}

func readSearchForm(v url.Values) searchForm {
	f := searchForm{Actor: strings.TrimSpace(v.Get("actor")), Action: strings.TrimSpace(v.Get("action")),
		Resident: strings.TrimSpace(v.Get("resident")), MyNumber: strings.TrimSpace(v.Get("mynumber")), Tenant: strings.TrimSpace(v.Get("tenant")),
		From: strings.TrimSpace(v.Get("from")), To: strings.TrimSpace(v.Get("to")), Outcome: v.Get("outcome"), Terminal: strings.TrimSpace(v.Get("terminal"))}
	for _, sub := range v["subject"] {
		if len(f.Subjects) < 20 && len(sub) <= 80 {
			f.Subjects = append(f.Subjects, sub)
		}
	}
	f.Before, _ = strconv.ParseInt(v.Get("before"), 10, 64)
	return f
}

// Encode is the search as a query string, for links: never the My Number
// (its subjects instead), never the cursor.
func (f searchForm) Encode() string {
	v := url.Values{}
	for k, s := range map[string]string{"actor": f.Actor, "action": f.Action, "resident": f.Resident, "tenant": f.Tenant,
		"from": f.From, "to": f.To, "outcome": f.Outcome, "terminal": f.Terminal} {
		if s != "" {
			v.Set(k, s)
		}
	}
	for _, sub := range f.Subjects {
		v.Add("subject", sub)
	}
	return v.Encode()
}

var errNumberInURL = errs.E(errs.Invalid, "a My Number is never sent in a URL: use the search form (POST)")

// numberSubjects turns a typed My Number into the subjects that find its
// events: its blind index in each municipality the caller searches, and
// the resident who holds it there.
func (s *Server) numberSubjects(r *http.Request, f searchForm) ([]string, error) {
	n, err := mynumber.Parse(f.MyNumber)
	if err != nil {
		return nil, numberFieldError(err)
	}
	// The scope is checked before the number is looked up anywhere: who
	// holds a number in a municipality one may not search is not for the
	// searcher to learn, not even as a subject in an address (issue 14 B).
	tenants, all, err := s.searchTenants(r, f)
	if err != nil {
		return nil, err
	}
	if all {
		if tenants, err = s.tenantCodes(r); err != nil {
			return nil, err
		}
	}
	var out []string
	for _, t := range tenants {
		idx, err := s.biz.Residents.MyNumberIndex(r.Context(), t, n)
		if err != nil {
			return nil, err
		}
		out = append(out, "mynumber:"+hex.EncodeToString(idx))
		if holder, err := s.biz.Residents.FindByMyNumber(r.Context(), t, n); err == nil {
			out = append(out, "resident:"+holder.Code)
		}
	}
	return out, nil
}

// auditSearchPost takes the search form and answers with the results'
// address: the My Number, if any, replaced by its subjects.
func (s *Server) auditSearchPost(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return errs.E(errs.Invalid, "the form could not be read: %v", err)
	}
	f := readSearchForm(r.PostForm)
	if f.MyNumber != "" {
		subjects, err := s.numberSubjects(r, f)
		if err != nil {
			p := s.newPage(r, "audit.title", sessionFrom(r.Context()))
			msg, ok := problemText(p.Lang, err)
			if !ok {
				return err
			}
			d := auditData{Form: f}
			d.Tenants, d.All = auditScope(r)
			d.Form.MyNumber = ""
			p.Data = d
			p.refuse(msg)
			return s.render(w, r, http.StatusBadRequest, "audit", p)
		}
		f.Subjects = append(f.Subjects, subjects...)
		f.MyNumber = ""
	}
	http.Redirect(w, r, "/audit?search=1&"+f.Encode(), http.StatusSeeOther)
	return nil
}

// searchTenants is where f may search: the municipality it names, if the
// searcher may search it (a refusal is audited and names nobody), or all
// of the searcher's.
func (s *Server) searchTenants(r *http.Request, f searchForm) (tenants []string, all bool, err error) {
	tenants, all = auditScope(r)
	if f.Tenant == "" {
		return tenants, all, nil
	}
	if !all && !contains(tenants, f.Tenant) {
		s.refused(r, "audit_search_outside_scope tenant="+f.Tenant, nil)
		var fe errs.FieldErrors
		fe.Add("tenant", errs.Message{JA: "この団体の記録は検索できません", EN: "you may not search this municipality's events"})
		return nil, false, fe.Err()
	}
	return []string{f.Tenant}, false, nil
}

// query turns the form into an audit query within the caller's scope. A
// typed My Number becomes its blind index in each municipality searched,
// and the resident who holds it; the digits go nowhere.
func (s *Server) query(r *http.Request, f searchForm) (audit.Query, error) {
	var fe errs.FieldErrors
	tenants, all, err := s.searchTenants(r, f)
	if err != nil {
		fe.List = append(fe.List, errs.Fields(err)...)
	}
	q := audit.Query{Tenants: tenants, AllTenants: all, Actor: f.Actor, Action: f.Action, Outcome: f.Outcome, Terminal: f.Terminal, Before: f.Before}
	if q.From, err = parseDay("from", f.From); err != nil {
		fe.List = append(fe.List, errs.Fields(err)...)
	}
	if q.To, err = parseDay("to", f.To); err != nil {
		fe.List = append(fe.List, errs.Fields(err)...)
	} else if !q.To.IsZero() {
		q.To = q.To.Add(24 * time.Hour) // the whole last day
	}
	if f.Outcome != "" && f.Outcome != audit.OK && f.Outcome != audit.Denied && f.Outcome != audit.Failed {
		fe.Add("outcome", errs.Message{JA: "ok / denied / error のいずれかです", EN: "must be ok, denied or error"})
	}
	if err := fe.Err(); err != nil {
		return q, err
	}
	if f.Resident != "" {
		q.Subjects = append(q.Subjects, audit.Subject{Type: "resident", ID: f.Resident})
	}
	if f.MyNumber != "" {
		return q, errNumberInURL
	}
	for _, sub := range f.Subjects {
		typ, id, ok := strings.Cut(sub, ":")
		if !ok || typ == "" || id == "" {
			var fe errs.FieldErrors
			fe.Add("subject", errs.Message{JA: "対象は 種類:ID の形です", EN: "must be type:id"})
			return q, fe.Err()
		}
		q.Subjects = append(q.Subjects, audit.Subject{Type: typ, ID: id})
	}
	return q, nil
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

type auditData struct {
	Form     searchForm
	Tenants  []string
	All      bool
	Page     audit.Page
	Pager    pager // older events: the audit log keeps its own numeric cursor (before)
	Searched bool
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request) error {
	sess := sessionFrom(r.Context())
	p := s.newPage(r, "audit.title", sess)
	f := readSearchForm(r.URL.Query())
	d := auditData{Form: f}
	d.Tenants, d.All = auditScope(r)
	if r.URL.Query().Get("search") != "" {
		q, err := s.query(r, f)
		if err == nil {
			d.Page, err = audit.SearchRecorded(r.Context(), s.db, q, "audit.search")
		}
		if err != nil {
			msg, ok := problemText(p.Lang, err)
			if !ok {
				return err
			}
			p.refuse(msg)
		}
		d.Searched = err == nil
		if d.Page.Next != 0 {
			d.Pager = pager{ID: "audit-next", More: true, Link: "audit.next",
				Href: "/audit?search=1&before=" + strconv.FormatInt(d.Page.Next, 10) + "&" + f.Encode()}
		}
	}
	p.Data = d
	return s.render(w, r, http.StatusOK, "audit", p)
}

var csvHeader = []string{"id", "seq", "time_jst", "tenant", "actor", "session", "terminal", "address", "action", "subject_type", "subject_id", "purpose", "outcome", "detail"}

func eventRecord(e audit.Event) []string {
	rec := []string{strconv.FormatInt(e.ID, 10), strconv.FormatInt(e.Seq, 10), e.Time.In(jst).Format("2006-01-02 15:04:05"), e.Tenant,
		e.Actor.User, e.Actor.Session, e.Actor.Terminal, e.Actor.Address, e.Action, e.Subject.Type, e.Subject.ID, e.Purpose, e.Outcome, e.Detail}
	for i, v := range rec {
		rec[i] = csvsafe.Cell(v)
	}
	return rec
}

// writeCSV sends events as a CSV attachment (UTF-8 with BOM).
func writeCSV(w http.ResponseWriter, name string, events []audit.Event) error {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Write([]byte("\ufeff"))
	cw := csv.NewWriter(w)
	cw.Write(csvHeader)
	for _, e := range events {
		cw.Write(eventRecord(e))
	}
	cw.Flush()
	return cw.Error()
}

// maxCSV bounds one CSV export of a search; the link says so.
const maxCSV = 10000

// auditCSV exports a search, up to maxCSV events; the export is an event.
func (s *Server) auditCSV(w http.ResponseWriter, r *http.Request) error {
	f := readSearchForm(r.URL.Query())
	q, err := s.query(r, f)
	if err != nil {
		return err
	}
	all, err := audit.Export(r.Context(), s.db, q, maxCSV)
	if err != nil {
		return err
	}
	return writeCSV(w, "bango-audit-"+time.Now().In(jst).Format("20060102-150405")+".csv", all)
}

// auditSearchBody is the search by POST: the fields of the search by GET
// (subjects as "type:id"), and a My Number. Its names are capitalised,
// as they always were.
type auditSearchBody struct {
	Actor    string   `json:"Actor,omitempty"`
	Action   string   `json:"Action,omitempty"`
	Resident string   `json:"Resident,omitempty"`
	MyNumber string   `json:"MyNumber,omitempty"`
	Tenant   string   `json:"Tenant,omitempty"`
	From     string   `json:"From,omitempty"`
	To       string   `json:"To,omitempty"`
	Outcome  string   `json:"Outcome,omitempty"`
	Terminal string   `json:"Terminal,omitempty"`
	Subjects []string `json:"Subjects,omitempty"`
	Before   int64    `json:"Before,omitempty"`
	Limit    int      `json:"Limit,omitempty"`
}

// apiAuditSearch is the search as JSON, by POST: the only way the API
// takes a My Number.
func (s *Server) apiAuditSearch(w http.ResponseWriter, r *http.Request) error {
	var in auditSearchBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	f := searchForm{Actor: in.Actor, Action: in.Action, Resident: in.Resident, MyNumber: in.MyNumber, Tenant: in.Tenant, From: in.From, To: in.To,
		Outcome: in.Outcome, Terminal: in.Terminal, Subjects: in.Subjects, Before: in.Before}
	if f.MyNumber != "" {
		subjects, err := s.numberSubjects(r, f)
		if err != nil {
			return err
		}
		f.Subjects, f.MyNumber = append(f.Subjects, subjects...), ""
	}
	q, err := s.query(r, f)
	if err != nil {
		return err
	}
	q.Limit = in.Limit
	p, err := audit.SearchRecorded(r.Context(), s.db, q, "audit.search")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

// auditQuery are the fields of the search by GET.
var auditQuery = []apiParam{
	{"actor", "string", "the login ID of who acted"},
	{"action", "string", "the action, such as resident.read"},
	{"resident", "string", "a resident code: the events about that resident"},
	{"tenant", "string", "a municipality code; every one the reader may search when empty"},
	{"from", "string", "the first day, YYYY-MM-DD (Japan time)"},
	{"to", "string", "the last day, YYYY-MM-DD (Japan time)"},
	{"outcome", "string", "ok, denied or error"},
	{"terminal", "string", "the name of a designated terminal"},
	{"subject", "string", "type:id of the events' subject; may be repeated"},
	{"before", "integer", "events older than this ID: the next of the page before"},
	{"limit", "integer", "events a page"},
}

// apiAuditEvents is the search as JSON.
func (s *Server) apiAuditEvents(w http.ResponseWriter, r *http.Request) error {
	q, err := s.query(r, readSearchForm(r.URL.Query()))
	if err != nil {
		return err
	}
	if n, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil {
		q.Limit = n
	}
	p, err := audit.SearchRecorded(r.Context(), s.db, q, "audit.search")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

// Audit (R-AUD-2, R-AUD-4): search, access reports, alerts, the periodic
// review.
func (s *Server) auditModule() webModule {
	return webModule{
		name: "audit",
		routes: []route{
			{pattern: "GET /audit", gate: loggedIn, perm: access.AuditRead, h: s.auditPage},
			{pattern: "POST /audit", gate: loggedIn, perm: access.AuditRead, h: s.auditSearchPost},
			{pattern: "GET /audit/events.csv", gate: loggedIn, perm: access.AuditRead, h: s.auditCSV},
			{pattern: "GET /audit/residents/{tenant}/{code}", gate: loggedIn, perm: access.AuditRead, h: s.accessReportPage},
			{pattern: "GET /audit/residents/{tenant}/{code}/csv", gate: loggedIn, perm: access.AuditRead, h: s.accessReportCSV},
			{pattern: "GET /audit/review", gate: loggedIn, perm: access.AlertReview, h: s.reviewPeriodPage},
			{pattern: "POST /audit/review", gate: loggedIn, perm: access.AlertReview, h: s.signReview},
			{pattern: "GET /alerts", gate: loggedIn, perm: access.AlertReview, h: s.alertsPage},
			{pattern: "POST /alerts/{id}/ack", gate: loggedIn, perm: access.AlertReview, h: s.ackAlert},
			{pattern: "GET /api/v1/alerts", gate: loggedIn, perm: access.AlertReview, json: true, h: s.apiAlerts,
				summary: "Alerts of the municipalities one reviews, newest first", query: alertsQuery, answer: alertsAnswer{}},
			{pattern: "GET /api/v1/audit/events", gate: loggedIn, perm: access.AuditRead, json: true, h: s.apiAuditEvents,
				summary: "Search the audit log, newest first (the search is recorded)", query: auditQuery, answer: audit.Page{}},
			{pattern: "POST /api/v1/audit/events", gate: loggedIn, perm: access.AuditRead, json: true, h: s.apiAuditSearch,
				summary: "Search the audit log, by a My Number too (the search is recorded)", body: auditSearchBody{}, answer: audit.Page{}},
		},
		menu: []navItem{
			{Key: "nav.audit", Href: "/audit", perm: access.AuditRead},
			{Key: "nav.alerts", Href: "/alerts", perm: access.AlertReview},
			{Key: "nav.periodreview", Href: "/audit/review", perm: access.AlertReview},
		},
	}
}

// auditMessages are the strings of the audit log, alerts and the periodic review.
var auditMessages = messages{
	"nav.audit":                  {"監査ログ", "Audit log"},
	"nav.alerts":                 {"警告", "Alerts"},
	"nav.periodreview":           {"定期点検", "Periodic review"},
	"audit.title":                {"監査ログの検索", "Search the audit log"},
	"audit.help":                 {"検索と出力はそれ自体が記録されます。", "Searches and exports are recorded themselves."},
	"audit.scope.all":            {"全団体の記録を検索できます。", "You may search every municipality's events."},
	"audit.scope":                {"検索できる団体: %s", "You may search: %s"},
	"audit.actor":                {"操作者（ログインID）", "Actor (login ID)"},
	"audit.action":               {"操作", "Action"},
	"audit.subject":              {"対象", "Subject"},
	"audit.purpose":              {"目的", "Purpose"},
	"audit.outcome":              {"結果", "Outcome"},
	"audit.outcome.any":          {"すべて", "any"},
	"audit.terminal":             {"端末", "Terminal"},
	"audit.tenant.any":           {"（検索できるすべて）", "(all you may search)"},
	"audit.from":                 {"開始日", "From"},
	"audit.to":                   {"終了日", "To"},
	"audit.mynumber.help":        {"個人番号で検索すると、番号は検索用の符号に変換され、保存も記録もされません。", "A My Number is turned into its search index; the number itself is neither stored nor logged."},
	"audit.csv":                  {"CSVで出力", "Export CSV"},
	"audit.csv.newest":           {"CSVで出力（新しい順に最大10,000件）", "Export CSV (the newest 10,000 at most)"},
	"audit.results":              {"%d 件", "%d events"},
	"audit.proof":                {"証明", "Proof"},
	"audit.pending":              {"記録待ち", "pending"},
	"audit.none":                 {"該当する記録はありません。", "No events."},
	"audit.next":                 {"さらに古い記録", "Older events"},
	"report.title":               {"アクセス記録報告", "Access report"},
	"report.count":               {"記録数", "Events"},
	"report.more":                {"（記録が多いため最新の10,000件を表示しています。期間を絞った監査ログ検索で残りを確認してください）", "(only the newest 10,000 are listed: search the audit log by period for the rest)"},
	"report.reveals":             {"個人番号の表示回数", "My Number reveals"},
	"report.print":               {"印刷はブラウザの印刷機能で行えます。", "Print with the browser's print command."},
	"report.caption":             {"この住民に関するすべての操作", "Everything done about this resident"},
	"report.who":                 {"誰が", "Who"},
	"report.what":                {"何を", "What"},
	"report.why":                 {"なぜ（目的）", "Why (purpose)"},
	"alerts.title":               {"警告", "Alerts"},
	"alerts.ack":                 {"確認済みにする", "Acknowledge"},
	"alerts.acked":               {"確認済みにしました。", "Acknowledged."},
	"alerts.comment":             {"確認結果", "What you found"},
	"alerts.none":                {"警告はありません。", "No alerts."},
	"alerts.recent":              {"確認済みの警告（新しい順）", "Acknowledged alerts (newest first)"},
	"alerts.ackby":               {"確認者", "Acknowledged by"},
	"periodreview.title":         {"定期点検（個人番号の表示と警告）", "Periodic review (reveals and alerts)"},
	"periodreview.help":          {"期間中の個人番号の表示と警告を確かめ、確認済みとして署名します。署名は記録されます。", "Go through the period's My Number reveals and alerts and sign them off. The sign-off is recorded."},
	"periodreview.show":          {"表示", "Show"},
	"periodreview.reveals":       {"個人番号の表示 %d 件", "%d My Number reveals"},
	"periodreview.truncated":     {"（最初の500件のみ表示）", "(first 500 shown)"},
	"periodreview.alerts":        {"警告 %d 件", "%d alerts"},
	"periodreview.note":          {"所見", "Findings"},
	"periodreview.sign":          {"点検済みとして署名する", "Sign off"},
	"periodreview.signed":        {"署名しました。", "Signed off."},
	"periodreview.history":       {"これまでの点検", "Earlier reviews"},
	"periodreview.counts":        {"表示 / 警告", "Reveals / alerts"},
	"periodreview.reviewer":      {"点検者", "Reviewer"},
	"alert.when":                 {"発生日時", "Raised"},
	"alert.rule":                 {"種類", "Rule"},
	"alert.subject":              {"対象", "Subject"},
	"alert.detail":               {"内容", "Detail"},
	"rule.bulk_reveal":           {"個人番号の大量表示", "Bulk My Number reveals"},
	"rule.after_hours":           {"時間外の操作", "After-hours activity"},
	"rule.repeated_denials":      {"拒否の繰り返し", "Repeated denials"},
	"rule.unregistered_terminal": {"未登録端末からの接続", "Unregistered terminal"},
	"rule.unknown_db_connection": {"不明なデータベース接続", "Unknown database connection"},
}
