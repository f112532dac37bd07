package web

import (
	"net/http"
	"time"

	"bango/internal/access"
	"bango/internal/alert"
	"bango/internal/notify"
)

// homeData is the home page: what waits for the person, by their rights.
type homeData struct {
	Grants           []access.Grant // the user's live grants
	PendingApprovals int            // applications this approver may decide
	PendingExports   int            // export requests awaiting the privacy manager
	ReviewQueue      int            // entries of the checker's section awaiting confirmation
	Alerts           []alert.Alert  // open alerts, for the privacy manager
	FailingMail      []notify.Mail  // status reports that keep failing, for the IS department
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
	// Counters count in the database: a list cut at a page would
	// under-count a busy day.
	if p.Rights.Has(access.GrantApprove, "") {
		if d.PendingApprovals, err = s.access.CountAwaiting(r.Context(), sess.User); err != nil {
			return err
		}
	}
	if b := &s.biz; true {
		if p.Rights.Has(access.ExportApprove, sess.Tenant) {
			if d.PendingExports, err = b.Exports.CountPending(r.Context(), sess.Tenant); err != nil {
				return err
			}
		}
		if p.Rights.Has(access.ReviewConfirm, sess.Tenant) {
			if d.ReviewQueue, err = b.Review.CountQueue(r.Context(), sess.Tenant, sess.User.Department, sess.User.Section); err != nil {
				return err
			}
		}
		if p.Rights.Has(access.UserAdmin, "") && b.Outbox != nil {
			failing, err := b.Outbox.Failing(r.Context())
			if err != nil {
				return err
			}
			d.FailingMail = failing
		}
		if p.Rights.Anywhere(access.AlertReview) {
			f := reviewFilter(r)
			f.Status, f.Limit = "open", 20
			if d.Alerts, _, err = b.Alerts.List(r.Context(), f); err != nil {
				return err
			}
		}
	}
	p.Data = d
	return s.render(w, r, http.StatusOK, "home", p)
}
