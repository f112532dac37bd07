package web

import (
	"net/http"
	"slices"
	"time"

	"bango/internal/access"
	"bango/internal/alert"
	"bango/internal/errs"
	"bango/internal/notify"
)

// homeData is the home page: what waits for the person, by their rights.
type homeData struct {
	Grants      []access.Grant // the user's live grants
	Counters    []homeCount    // what waits for the person, by module
	Alerts      []alert.Alert  // open alerts, for the privacy manager
	FailingMail []notify.Mail  // status reports that keep failing, for the IS department
}

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
	mine, err := s.access.Grants(r.Context(), access.GrantFilter{LoginID: sess.User.LoginID, Status: access.Approved})
	if err != nil {
		return err
	}
	now := time.Now()
	for _, g := range mine {
		if g.Live(now) {
			d.Grants = append(d.Grants, g)
		}
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
	if p.Rights.Has(access.UserAdmin, "") && s.biz.Outbox != nil {
		if d.FailingMail, err = s.biz.Outbox.Failing(r.Context()); err != nil {
			return err
		}
	}
	if p.Rights.Anywhere(access.AlertReview) {
		f := reviewFilter(r)
		f.Status, f.Limit = "open", 20
		if d.Alerts, _, err = s.biz.Alerts.List(r.Context(), f); err != nil {
			return err
		}
	}
	p.Data = d
	return s.render(w, r, http.StatusOK, "home", p)
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
