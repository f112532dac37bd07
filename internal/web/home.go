package web

import (
	"net/http"
	"slices"

	"bango/internal/access"
	"bango/internal/alert"
	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/identity"
	"bango/internal/notify"
	"bango/internal/resident"
)

// homeData is the home page: what waits for the person, by their rights.
type homeData struct {
	Grants      []access.Grant // the user's live grants
	Counters    []homeCount    // what waits for the person, by module
	Alerts      []alert.Alert  // the newest open alerts, for the privacy manager
	AlertsMore  pager          // more are open: all of them are on the alerts page
	FailingMail []notify.Mail  // status reports that keep failing, for the IS department
	MailPager   pager
	Search      bool                // the person may search residents here: the page has the search box
	Recent      []resident.Resident // residents the person opened lately, newest first
}

// recentShown bounds the recently opened records on the home page.
const recentShown = 5

// homeCount is one module's counter as the page shows it.
type homeCount struct {
	ID, Key, Href string
	N             int
}

// home is each user's start page: where they work, what they hold, and
// what waits for them (applications for an approver).
func (s *Server) home(w http.ResponseWriter, r *http.Request) error {
	sess := sessionFrom(r.Context())
	p := s.newPage(r, "home.title", sess)
	d := homeData{}
	var err error
	if d.Grants, err = s.access.LiveGrants(r.Context(), sess.User.LoginID); err != nil {
		return err
	}
	for _, m := range s.modules {
		for _, c := range m.counters {
			if !c.holds(p.Rights, sess) {
				continue
			}
			n, err := c.count(r, sess)
			if err != nil {
				return err
			}
			if n > 0 {
				d.Counters = append(d.Counters, homeCount{ID: c.id, Key: c.key, Href: c.href, N: n})
			}
		}
	}
	if sess.Tenant != "" && p.Rights.Has(access.ResidentRead, sess.Tenant) {
		d.Search = true
		if d.Recent, err = s.recentlyOpened(r, sess); err != nil {
			return err
		}
	}
	if p.Rights.Has(access.UserAdmin, "") && s.biz.Outbox != nil {
		failing, err := s.biz.Outbox.Failing(r.Context(), r.URL.Query().Get("mail_cursor"), 0)
		if err != nil {
			return err
		}
		d.FailingMail, d.MailPager = failing.Items, pagerOf(r, failing, "/", "mail_cursor")
	}
	if p.Rights.Anywhere(access.AlertReview) {
		f := reviewFilter(r)
		f.Status, f.Limit = "open", 20
		open, err := s.biz.Alerts.List(r.Context(), f)
		if err != nil {
			return err
		}
		d.Alerts, d.AlertsMore = open.Items, pager{ID: "all-alerts", Href: "/alerts", More: open.More, Link: "pager.all"}
	}
	p.Data = d
	return s.render(w, r, http.StatusOK, "home", p)
}

// recentlyOpened is the residents the person opened lately in the
// session's municipality, read from their own audit events (each opening
// is one), newest first; showing them on the home page is a read too.
func (s *Server) recentlyOpened(r *http.Request, sess *identity.Session) ([]resident.Resident, error) {
	page, err := audit.Search(r.Context(), s.db, audit.Query{Tenants: []string{sess.Tenant}, Actor: sess.User.LoginID,
		Action: "resident.read", Outcome: audit.OK, Limit: 50})
	if err != nil {
		return nil, err
	}
	var codes []string
	for _, e := range page.Events {
		if e.Subject.Type == "resident" && !slices.Contains(codes, e.Subject.ID) {
			codes = append(codes, e.Subject.ID)
		}
		if len(codes) == recentShown {
			break
		}
	}
	found, err := s.biz.Residents.Shown(r.Context(), sess.Tenant, codes, "recent")
	if err != nil {
		return nil, err
	}
	var out []resident.Resident
	for _, c := range codes {
		if res, ok := found[c]; ok {
			out = append(out, res)
		}
	}
	return out, nil
}

// switchScope changes the municipality the session works in, among those
// the user holds rights for; anything else is refused and audited.
func (s *Server) switchScope(w http.ResponseWriter, r *http.Request) error {
	sess := sessionFrom(r.Context())
	f, err := formValues(r, "tenant")
	if err != nil {
		return err
	}
	if !slices.Contains(rightsFrom(r.Context()).AllTenants(), f["tenant"]) {
		err := errs.E(errs.Forbidden, "you hold no rights in municipality %q", f["tenant"])
		s.refused(r, "scope tenant="+f["tenant"], err)
		return err
	}
	if err := s.users.SetSessionTenant(r.Context(), *sess, f["tenant"]); err != nil {
		return err
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}
