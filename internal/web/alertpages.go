package web

import (
	"net/http"
	"strconv"
	"time"

	"bango/internal/access"
	"bango/internal/alert"
	"bango/internal/audit"
	"bango/internal/errs"
)

// The privacy manager's pages: alerts with acknowledgement, and the
// periodic review of reveals and alerts with sign-off (R-AC-4, R-AUD-4).

// mayReview says whether the caller reviews alerts of tenant. Alerts of
// no municipality (unknown database connections, unregistered terminals)
// concern every municipality's data: every reviewer sees them.
func mayReview(r *http.Request) func(string) bool {
	rights := rightsFrom(r.Context())
	return func(tenant string) bool {
		return rights.Has(access.AlertReview, tenant) || (tenant == "" && rights.Anywhere(access.AlertReview))
	}
}

type alertsData struct {
	Open, Recent           []alert.Alert
	OpenPager, RecentPager pager
}

// reviewFilter is what the caller may review, for alert lists.
func reviewFilter(r *http.Request) alert.Filter {
	tenants, all := rightsFrom(r.Context()).Tenants(access.AlertReview)
	return alert.Filter{Tenants: tenants, All: all}
}

func (s *Server) alertsPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderAlerts(w, r, http.StatusOK, refusal{})
}

func (s *Server) renderAlerts(w http.ResponseWriter, r *http.Request, status int, problem refusal) error {
	f := reviewFilter(r)
	f.Status = "open"
	f.Cursor, f.Limit = pageAsked(r, "cursor")
	open, err := s.biz.Alerts.List(r.Context(), f)
	if err != nil {
		return err
	}
	f.Status, f.Cursor = "acknowledged", r.URL.Query().Get("acked_cursor")
	recent, err := s.biz.Alerts.List(r.Context(), f)
	if err != nil {
		return err
	}
	d := alertsData{Open: open.Items, Recent: recent.Items,
		OpenPager: pagerOf(r, open, "/alerts", "cursor"), RecentPager: pagerOf(r, recent, "/alerts", "acked_cursor")}
	p := s.newPage(r, "alerts.title", sessionFrom(r.Context()))
	p.Data = d
	p.refuse(problem)
	if r.URL.Query().Get("done") == "ack" {
		p.Notice = tr(p.Lang, "alerts.acked")
	}
	return s.render(w, r, status, "alerts", p)
}

func (s *Server) ackAlert(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "alert")
	if err != nil {
		return err
	}
	f, err := formValues(r, "comment")
	if err == nil {
		_, err = s.biz.Alerts.Acknowledge(r.Context(), id, sessionFrom(r.Context()).User.LoginID, f["comment"], reviewFilter(r))
	}
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			s.refused(r, "alert_outside_scope", err)
			return err
		}
		msg, ok := problemText(lang(r), err)
		if !ok {
			return err
		}
		return s.renderAlerts(w, r, problemStatus(err), msg)
	}
	http.Redirect(w, r, "/alerts?done=ack", http.StatusSeeOther)
	return nil
}

type reviewData struct {
	Tenants   []string
	Tenant    string
	From, To  string
	Reveals   []audit.Event
	Alerts    []alert.Alert
	SignOffs  []alert.SignOff
	Pager     pager // pages the sign-offs, newest first
	Ready     bool
	Truncated bool
	// RevealCount is every reveal of the period (the list shows the newest
	// 500); the sign-off records it.
	RevealCount int
}

// periodReview gathers tenant's reveals and alerts of the period in the
// form (default: the last month).
func (s *Server) periodReview(r *http.Request, v map[string]string) (*reviewData, error) {
	tenants, _ := rightsFrom(r.Context()).Tenants(access.AlertReview)
	d := &reviewData{Tenants: tenants, Tenant: v["tenant"], From: v["from"], To: v["to"]}
	if d.Tenant == "" && len(tenants) > 0 {
		d.Tenant = tenants[0]
	}
	now := time.Now().In(jst)
	if d.From == "" {
		d.From = now.AddDate(0, -1, 0).Format("2006-01-02")
	}
	if d.To == "" {
		d.To = now.Format("2006-01-02")
	}
	if d.Tenant == "" || !mayReview(r)(d.Tenant) {
		err := errs.E(errs.NotFound, "no municipality %q to review", d.Tenant)
		s.refused(r, "review_outside_scope tenant="+d.Tenant, err)
		return d, err
	}
	from, err := parseDay("from", d.From)
	if err != nil {
		return d, err
	}
	to, err := parseDay("to", d.To)
	if err != nil {
		return d, err
	}
	to = to.Add(24 * time.Hour)
	page, err := audit.Find(r.Context(), s.db, audit.Query{Tenants: []string{d.Tenant}, Action: "mynumber.reveal", From: from, To: to, Limit: audit.MaxPage})
	if err != nil {
		return d, err
	}
	d.Reveals, d.Truncated = page.Events, page.Next != 0
	if d.RevealCount, err = audit.CountAction(r.Context(), s.db, d.Tenant, "mynumber.reveal", from, to); err != nil {
		return d, err
	}
	if d.Alerts, err = s.biz.Alerts.Between(r.Context(), d.Tenant, from, to); err != nil {
		return d, err
	}
	signOffs, err := s.biz.Alerts.SignOffs(r.Context(), d.Tenant, r.URL.Query().Get("cursor"), 0)
	if err != nil {
		return d, err
	}
	d.SignOffs, d.Pager = signOffs.Items, pagerOf(r, signOffs, "/audit/review", "cursor")
	d.Ready = true
	return d, nil
}

func (s *Server) reviewPeriodPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	d, err := s.periodReview(r, map[string]string{"tenant": q.Get("tenant"), "from": q.Get("from"), "to": q.Get("to")})
	p := s.newPage(r, "periodreview.title", sessionFrom(r.Context()))
	if err != nil {
		msg, ok := problemText(p.Lang, err)
		if !ok {
			return err
		}
		p.refuse(msg)
	}
	p.Data = d
	if q.Get("done") == "signed" {
		p.Notice = tr(p.Lang, "periodreview.signed")
	}
	return s.render(w, r, http.StatusOK, "periodreview", p)
}

// signReview records the sign-off of the period shown, with the counts the
// reviewer saw.
func (s *Server) signReview(w http.ResponseWriter, r *http.Request) error {
	f, err := formValues(r, "tenant", "from", "to", "note")
	if err != nil {
		return err
	}
	d, err := s.periodReview(r, f)
	if err == nil {
		from, _ := parseDay("from", d.From)
		to, _ := parseDay("to", d.To)
		_, err = s.biz.Alerts.Sign(r.Context(), alert.SignOff{Tenant: d.Tenant, From: from, To: to.Add(24 * time.Hour), Reveals: d.RevealCount,
			Alerts: len(d.Alerts), Reviewer: sessionFrom(r.Context()).User.LoginID, Note: f["note"]})
	}
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			return err
		}
		msg, ok := problemText(lang(r), err)
		if !ok {
			return err
		}
		p := s.newPage(r, "periodreview.title", sessionFrom(r.Context()))
		p.Data = d
		p.refuse(msg)
		return s.render(w, r, problemStatus(err), "periodreview", p)
	}
	http.Redirect(w, r, "/audit/review?done=signed&tenant="+d.Tenant+"&from="+d.From+"&to="+d.To, http.StatusSeeOther)
	return nil
}

func (s *Server) apiAlerts(w http.ResponseWriter, r *http.Request) error {
	f := reviewFilter(r)
	f.Status = r.URL.Query().Get("status")
	f.Cursor, f.Limit = pageAsked(r, "cursor")
	if v := r.URL.Query().Get("before"); v != "" {
		// The older form of the cursor, an alert ID.
		before, err := strconv.ParseInt(v, 10, 64)
		if err != nil || before < 0 {
			var fe errs.FieldErrors
			fe.Add("before", errs.Message{JA: "警告の番号で指定してください（次のページは cursor に next の値を指定）", EN: "must be an alert ID (for the next page, send next as cursor)"})
			return fe.Err()
		}
		f.Before = before
	}
	list, err := s.biz.Alerts.List(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, alertsAnswer{Alerts: nonNil(list.Items), Next: list.Next, AsOf: time.Now().UTC()})
	return nil
}

// alertsQuery are what the alerts' API reads.
var alertsQuery = append([]apiParam{
	{"status", "string", "open or acknowledged; every alert when empty"},
	{"before", "integer", "alerts older than this ID: the older form of the cursor"},
}, pageQuery...)

// alertsAnswer is a page of alerts and when it was read.
type alertsAnswer struct {
	Alerts []alert.Alert `json:"alerts"`
	Next   string        `json:"next"`
	AsOf   time.Time     `json:"as_of"`
}
