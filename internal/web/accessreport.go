package web

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"bango/internal/access"
	"bango/internal/audit"
	"bango/internal/csvsafe"
	"bango/internal/errs"
	"bango/internal/resident"
)

// The access report of one resident as a document that answers a
// disclosure request (本人からの開示請求, R-AUD-4): "who looked at my
// record and my My Number, when, from where and why". Actions and
// outcomes are in words, staff by name and section, the municipality by
// name; the document says whom it is for, who issued it and when, what it
// covers and for which period, and prints as a letter (print.css). The
// report, page or CSV, is itself an audit event.

// reportStaff is someone who acted, as the staff register knows them
// now; Known is false for an ID the register does not hold (a system
// job, someone not logged in, an account no longer there), shown by its
// ID alone.
type reportStaff struct {
	ID, Name, Department, Section string
	Known                         bool
}

// reportRow is one event in words.
type reportRow struct {
	Time                time.Time
	Who                 reportStaff
	Terminal            string
	Action, ActionKey   string
	Purpose             string
	Outcome, OutcomeKey string
}

// reportView is what report.html shows. Ready is false when the period
// asked was refused: the page then shows the period form and its errors.
type reportView struct {
	resident.AccessReport
	Ready    bool
	Code     string // the resident code of the address
	From, To string // the period as typed
	Rows     []reportRow
	Birth    string // the date of birth with its 和暦
	Issued   string // the issue date with its 和暦
	Issuer   reportStaff
	Covered  string // the period covered, in words
}

// Query is the period as a query string, for the CSV link.
func (v reportView) Query() string {
	q := url.Values{}
	if v.From != "" {
		q.Set("from", v.From)
	}
	if v.To != "" {
		q.Set("to", v.To)
	}
	return q.Encode()
}

// reportPeriod reads ?from= and ?to= (YYYY-MM-DD, days in Japan, both
// included), each refused by its field.
func reportPeriod(r *http.Request) (p resident.Period, from, to string, err error) {
	from, to = strings.TrimSpace(r.URL.Query().Get("from")), strings.TrimSpace(r.URL.Query().Get("to"))
	var fe errs.FieldErrors
	if p.From, err = parseDay("from", from); err != nil {
		fe.List = append(fe.List, errs.Fields(err)...)
	}
	if p.To, err = parseDay("to", to); err != nil {
		fe.List = append(fe.List, errs.Fields(err)...)
	} else if !p.To.IsZero() {
		p.To = p.To.Add(24 * time.Hour) // the whole last day
	}
	return p, from, to, fe.Err()
}

// residentReport is the access report of the resident the path names,
// for a reader of that municipality's audit log (R-AUD-4), over the
// period the query asks.
func (s *Server) residentReport(r *http.Request) (resident.AccessReport, string, string, error) {
	tenant, code := r.PathValue("tenant"), r.PathValue("code")
	if !rightsFrom(r.Context()).Has(access.AuditRead, tenant) {
		err := errs.E(errs.NotFound, "resident %s/%s not found", tenant, code)
		s.refused(r, "access_report_outside_scope tenant="+tenant, err)
		return resident.AccessReport{}, "", "", err
	}
	period, from, to, err := reportPeriod(r)
	if err != nil {
		return resident.AccessReport{}, from, to, err
	}
	rep, err := s.biz.Residents.AccessReport(r.Context(), tenant, code, period)
	return rep, from, to, err
}

// staffOf looks up each actor of events in the staff register, once each.
func (s *Server) staffOf(r *http.Request, events []audit.Event) (map[string]reportStaff, error) {
	out := map[string]reportStaff{}
	for _, e := range events {
		id := e.Actor.User
		if _, done := out[id]; done {
			continue
		}
		st := reportStaff{ID: id}
		u, err := s.users.Get(r.Context(), id)
		switch {
		case err == nil:
			st = reportStaff{ID: id, Name: u.Name, Department: u.Department, Section: u.Section, Known: true}
		case !errs.Is(err, errs.NotFound):
			return nil, err
		}
		out[id] = st
	}
	return out, nil
}

// withEra is a day with its 和暦 beside it: 2026年12月2日（令和8年12月2日）.
func withEra(lang string, t time.Time) string {
	if t.IsZero() {
		return day(lang, t)
	}
	if t.Location() != time.UTC || t.Hour() != 0 || t.Minute() != 0 {
		t = t.In(jst)
		t = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	}
	w := resident.Wareki(t)
	switch {
	case w == "":
		return day(lang, t)
	case lang == "en":
		return day(lang, t) + " (" + w + ")"
	}
	return day(lang, t) + "（" + w + "）"
}

// covered is the period a report covers, in lang's words: the period
// asked, or every recorded event with the days of the oldest and newest.
func covered(lang string, rep resident.AccessReport) string {
	from, to := rep.Period.From, rep.Period.To
	if !to.IsZero() {
		to = to.Add(-24 * time.Hour) // the last day asked, not the day after
	}
	switch {
	case !from.IsZero() && !to.IsZero():
		return fmt.Sprintf(tr(lang, "disclosure.period.between"), day(lang, from), day(lang, to))
	case !from.IsZero():
		return fmt.Sprintf(tr(lang, "disclosure.period.since"), day(lang, from))
	case !to.IsZero():
		return fmt.Sprintf(tr(lang, "disclosure.period.until"), day(lang, to))
	case len(rep.Events) == 0:
		return tr(lang, "disclosure.period.empty")
	case rep.More: // the newest events only: from the oldest listed
		return fmt.Sprintf(tr(lang, "disclosure.period.between"), day(lang, rep.Oldest), day(lang, rep.Newest))
	}
	return fmt.Sprintf(tr(lang, "disclosure.period.all"), day(lang, rep.Oldest), day(lang, rep.Newest))
}

func (s *Server) accessReportPage(w http.ResponseWriter, r *http.Request) error {
	sess := sessionFrom(r.Context())
	p := s.newPage(r, "disclosure.title", sess)
	rep, from, to, err := s.residentReport(r)
	v := reportView{Code: r.PathValue("code"), From: from, To: to}
	v.Tenant = r.PathValue("tenant")
	if err != nil {
		return formProblem(r, err, func(status int, problem refusal) error {
			p.Data = v
			p.refuse(problem)
			return s.render(w, r, status, "report", p)
		})
	}
	staff, err := s.staffOf(r, rep.Events)
	if err != nil {
		return err
	}
	v.AccessReport, v.Ready = rep, true
	v.Birth = withEra(p.Lang, rep.Resident.BirthDate)
	v.Issued = withEra(p.Lang, time.Now())
	v.Covered = covered(p.Lang, rep)
	if sess != nil {
		u := sess.User
		v.Issuer = reportStaff{ID: u.LoginID, Name: u.Name, Department: u.Department, Section: u.Section, Known: true}
	}
	for _, e := range rep.Events {
		v.Rows = append(v.Rows, reportRow{Time: e.Time, Who: staff[e.Actor.User], Terminal: e.Actor.Terminal,
			Action: actionLabel(p.Lang, e.Action), ActionKey: e.Action, Purpose: e.Purpose,
			Outcome: outcomeLabel(p.Lang, e.Outcome), OutcomeKey: e.Outcome})
	}
	p.Data = v
	return s.render(w, r, http.StatusOK, "report", p)
}

// reportCSVHeader is the audit log's CSV header (ISO times, raw keys)
// with the report's words after it, in the reader's language.
var reportCSVHeader = append(csvHeader[:len(csvHeader):len(csvHeader)], "action_words", "outcome_words", "actor_name", "actor_section")

func (s *Server) accessReportCSV(w http.ResponseWriter, r *http.Request) error {
	rep, _, _, err := s.residentReport(r)
	if err != nil {
		return err
	}
	staff, err := s.staffOf(r, rep.Events)
	if err != nil {
		return err
	}
	l := lang(r)
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="bango-access-`+rep.Tenant+"-"+rep.Resident.Code+`.csv"`)
	w.Write([]byte("\ufeff"))
	cw := csv.NewWriter(w)
	cw.Write(reportCSVHeader)
	for _, e := range rep.Events {
		who := staff[e.Actor.User]
		words := []string{actionLabel(l, e.Action), outcomeLabel(l, e.Outcome), who.Name, strings.TrimSpace(who.Department + " " + who.Section)}
		for i, c := range words {
			words[i] = csvsafe.Cell(c)
		}
		cw.Write(append(eventRecord(e), words...))
	}
	cw.Flush()
	return cw.Error()
}

// reportMessages are the strings of the access report.
var reportMessages = messages{
	"disclosure.title":          {"個人番号等アクセス記録（開示用）", "Record of access to personal information and the My Number (for disclosure)"},
	"disclosure.period.ask":     {"対象期間", "Period"},
	"disclosure.period.help":    {"空欄のときは記録されているすべての操作を記載します。日付は 2026-04-01 の形です。", "Leave both empty for every recorded event. Dates are written like 2026-04-01."},
	"disclosure.period.show":    {"この期間で作成", "Make the report for this period"},
	"disclosure.print":          {"開示用の文書として印刷するには、ブラウザの印刷機能を使ってください（メニューやボタンは印刷されません）。", "To print the document for disclosure, use the browser's print command (menus and buttons are not printed)."},
	"disclosure.recipient":      {"記録の本人", "Whose record this is"},
	"disclosure.issuer":         {"発行者", "Issued by"},
	"disclosure.issued":         {"発行日", "Date of issue"},
	"disclosure.issuer.body":    {"発行団体", "Municipality"},
	"disclosure.issuer.person":  {"作成者（所属・氏名）", "Prepared by (section, name)"},
	"disclosure.covers":         {"この文書は、上記の方の宛名情報（住民記録）と個人番号について、本システムに記録されたすべての操作（閲覧、個人番号の表示、登録、変更、検索、照合など）を、操作した職員の氏名・所属、端末、利用目的、結果とともに記載したものです。", "This document lists every operation recorded by this system on the record and the My Number of the person named above (viewing, display of the My Number, registration, change, search, checks and others), with the name and section of the staff member who did it, the terminal, the purpose and the result."},
	"disclosure.period":         {"対象期間", "Period covered"},
	"disclosure.period.between": {"%sから%sまで", "From %s to %s"},
	"disclosure.period.since":   {"%sから発行日まで", "From %s to the date of issue"},
	"disclosure.period.until":   {"記録の始まりから%sまで", "From the first record to %s"},
	"disclosure.period.all":     {"記録されているすべての操作（最も古い記録 %s、最も新しい記録 %s）", "Every recorded event (the oldest on %s, the newest on %s)"},
	"disclosure.period.empty":   {"記録されているすべての操作（該当する記録はありません）", "Every recorded event (there are none)"},
	"disclosure.count":          {"%d 件", "%d"},
	"disclosure.more":           {"（記録が多いため、新しいものから10,000件までを記載しています。残りは対象期間を指定して別に作成してください）", "(there are more: the newest 10,000 are listed; make another report for an earlier period for the rest)"},
	"disclosure.events":         {"記録の件数", "Events"},
	"disclosure.reveals":        {"うち個人番号の表示（許可されたもの）", "Of which displays of the My Number (granted)"},
	"disclosure.caption":        {"操作の記録（新しい順）", "Recorded operations (newest first)"},
	"disclosure.when":           {"日時", "Date and time"},
	"disclosure.who":            {"操作した職員（氏名・所属）", "Staff member (name, section)"},
	"disclosure.terminal":       {"端末", "Terminal"},
	"disclosure.what":           {"操作", "Operation"},
	"disclosure.purpose":        {"利用目的", "Purpose"},
	"disclosure.outcome":        {"結果", "Result"},
	"disclosure.unknown":        {"（職員名簿にないID）", "(an ID not in the staff register)"},
	"disclosure.end":            {"以上", "End of record"},
}
