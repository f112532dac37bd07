package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"bango/internal/access"
	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/identity"
	"bango/internal/review"
)

// The rights pages (R-AC-2, R-AC-3): section heads apply, IS
// administrators approve, patterns are edited by those who may.

type grantsData struct {
	Members []identity.User // staff the applicant may apply for
	// Activation is a code just issued, shown once: for whom, and the code.
	ActivationFor, ActivationCode string
	Patterns                      []access.Pattern // patterns the applicant may apply for
	Tenants                       []string         // municipalities where the applicant holds grant.apply
	Grants                        []access.Grant   // grants of those staff
}

func (s *Server) grantsData(r *http.Request) (*grantsData, error) {
	sess, rights := sessionFrom(r.Context()), rightsFrom(r.Context())
	d := &grantsData{}
	tenants, all := rights.Tenants(access.GrantApply)
	users, err := s.users.List(r.Context())
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		if u.Status != identity.Active || u.ID == sess.User.ID {
			continue
		}
		inScope := u.Tenant == "" || slices.Contains(tenants, u.Tenant)
		if all || (inScope && u.Department == sess.User.Department && u.Section == sess.User.Section) {
			d.Members = append(d.Members, u)
		}
	}
	patterns, err := s.access.Patterns(r.Context())
	if err != nil {
		return nil, err
	}
	for _, p := range patterns {
		if p.Scope == access.ScopeTenant || all {
			d.Patterns = append(d.Patterns, p)
		}
	}
	if all {
		ts, err := s.tenantCodes(r)
		if err != nil {
			return nil, err
		}
		tenants = ts
	}
	d.Tenants = tenants
	grants, err := s.access.Grants(r.Context(), access.GrantFilter{Limit: 500})
	if err != nil {
		return nil, err
	}
	members := map[string]bool{}
	for _, u := range d.Members {
		members[u.LoginID] = true
	}
	for _, g := range grants {
		if members[g.LoginID] {
			d.Grants = append(d.Grants, g)
		}
	}
	return d, nil
}

// tenantCodes lists every registered municipality.
func (s *Server) tenantCodes(r *http.Request) ([]string, error) {
	b := &s.biz
	ts, err := b.Tenants.List(r.Context())
	if err != nil {
		return nil, err
	}
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Code
	}
	return out, nil
}

func (s *Server) grantsPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderGrants(w, r, http.StatusOK, "", nil)
}

func (s *Server) renderGrants(w http.ResponseWriter, r *http.Request, status int, problem string, form map[string]string) error {
	p := s.newPage(r, "grants.title", sessionFrom(r.Context()))
	d, err := s.grantsData(r)
	if err != nil {
		return err
	}
	p.Data, p.Error = d, problem
	if form != nil {
		p.Form = form
	}
	switch r.URL.Query().Get("done") {
	case "applied":
		p.Notice = tr(p.Lang, "grants.applied")
	case "revoked":
		p.Notice = tr(p.Lang, "grants.revoked")
	}
	return s.render(w, r, status, "grants", p)
}

// parseDay reads a date (YYYY-MM-DD) as the start of that day in Japan.
func parseDay(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.ParseInLocation("2006-01-02", v, jst)
	if err != nil {
		var fe errs.FieldErrors
		fe.Add(field, errs.Message{JA: "日付は 2026-04-01 の形で入力してください", EN: "must be a date like 2026-04-01"})
		return time.Time{}, fe.Err()
	}
	return t.UTC(), nil
}

// formProblem answers a refused form: "not found" stays an error page, a
// problem the person can fix shows the form again with its message, and
// anything else is a server error.
func formProblem(r *http.Request, err error, rerender func(status int, msg string) error) error {
	if errs.Is(err, errs.NotFound) {
		return err
	}
	msg, ok := problemText(lang(r), err)
	if !ok {
		return err
	}
	return rerender(problemStatus(err), msg)
}

// problemText is the message of an error the user can act on, in their
// language; ok is false for a server failure.
func problemText(lang string, err error) (string, bool) {
	if fs := errs.Fields(err); fs != nil {
		var parts []string
		for _, f := range fs {
			parts = append(parts, f.Field+": "+f.Reason.In(lang))
		}
		return strings.Join(parts, " / "), true
	}
	switch errs.KindOf(err) {
	case errs.Forbidden, errs.Conflict, errs.NotFound, errs.Invalid:
		return errs.Public(err), true
	}
	return "", false
}

var statusOfProblem = map[errs.Kind]int{errs.Forbidden: http.StatusForbidden, errs.Conflict: http.StatusConflict, errs.NotFound: http.StatusNotFound}

func problemStatus(err error) int {
	if st, ok := statusOfProblem[errs.KindOf(err)]; ok {
		return st
	}
	return http.StatusBadRequest
}

func (s *Server) applyGrant(w http.ResponseWriter, r *http.Request) error {
	sess := sessionFrom(r.Context())
	lang := lang(r)
	f, err := formValues(r, "login_id", "pattern", "tenant", "from", "until", "reason")
	var app access.Application
	if err == nil {
		app = access.Application{LoginID: f["login_id"], Pattern: f["pattern"], Tenant: f["tenant"], Reason: f["reason"]}
		app.From, err = parseDay("from", f["from"])
	}
	if err == nil {
		app.Until, err = parseDay("until", f["until"])
	}
	var grantee identity.User
	if err == nil {
		grantee, err = s.users.Get(r.Context(), app.LoginID)
		if errs.Is(err, errs.NotFound) {
			var fe errs.FieldErrors
			fe.Add("login_id", errs.Message{JA: "その職員はいません", EN: "no such staff member"})
			err = fe.Err()
		}
	}
	if err == nil {
		_, err = s.access.Apply(r.Context(), sess.User, grantee, app)
	}
	if err != nil {
		msg, ok := problemText(lang, err)
		if !ok {
			return err
		}
		return s.renderGrants(w, r, problemStatus(err), msg, f)
	}
	http.Redirect(w, r, "/grants?done=applied", http.StatusSeeOther)
	return nil
}

// pendingData is the approver's page: applications for rights and
// changes of patterns, each waiting for a second person.
type pendingData struct {
	Grants   []access.Grant
	Patterns []review.Change
}

func (s *Server) pendingGrants(w http.ResponseWriter, r *http.Request) error {
	return s.renderPending(w, r, http.StatusOK, "")
}

func (s *Server) renderPending(w http.ResponseWriter, r *http.Request, status int, problem string) error {
	p := s.newPage(r, "pending.title", sessionFrom(r.Context()))
	grants, err := s.access.Grants(r.Context(), access.GrantFilter{Status: access.Pending})
	if err != nil {
		return err
	}
	changes, err := s.patternChanges(r)
	if err != nil {
		return err
	}
	p.Data, p.Error = pendingData{Grants: grants, Patterns: changes}, problem
	switch done := r.URL.Query().Get("done"); done {
	case "approved", "rejected", "pattern_confirmed", "pattern_rejected":
		p.Notice = tr(p.Lang, "pending."+done)
	}
	return s.render(w, r, status, "pending", p)
}

func grantID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.E(errs.NotFound, "no grant %q", r.PathValue("id"))
	}
	return id, nil
}

// decideGrant approves or rejects, by the last part of the path.
func (s *Server) decideGrant(w http.ResponseWriter, r *http.Request) error {
	sess := sessionFrom(r.Context())
	id, err := grantID(r)
	if err != nil {
		return err
	}
	f, err := formValues(r, "note")
	if err != nil {
		return err
	}
	decide, done := s.access.Approve, "approved"
	if strings.HasSuffix(r.URL.Path, "/reject") {
		decide, done = s.access.Reject, "rejected"
	}
	if _, err := decide(r.Context(), sess.User, id, f["note"]); err != nil {
		msg, ok := problemText(lang(r), err)
		if !ok {
			return err
		}
		return s.renderPending(w, r, problemStatus(err), msg)
	}
	http.Redirect(w, r, "/grants/pending?done="+done, http.StatusSeeOther)
	return nil
}

func (s *Server) revokeGrant(w http.ResponseWriter, r *http.Request) error {
	sess := sessionFrom(r.Context())
	id, err := grantID(r)
	if err != nil {
		return err
	}
	f, err := formValues(r, "reason")
	if err != nil {
		return err
	}
	if _, err := s.access.Revoke(r.Context(), sess.User, id, f["reason"]); err != nil {
		msg, ok := problemText(lang(r), err)
		if !ok {
			return err
		}
		return s.renderGrants(w, r, problemStatus(err), msg, nil)
	}
	http.Redirect(w, r, "/grants?done=revoked", http.StatusSeeOther)
	return nil
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

type patternsData struct {
	Patterns  []access.Pattern
	Catalogue []access.Info
	Pending   []review.Change // changes waiting for an approver
}

func (s *Server) patternsPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderPatterns(w, r, http.StatusOK, "", nil)
}

func (s *Server) renderPatterns(w http.ResponseWriter, r *http.Request, status int, problem string, form map[string]string) error {
	p := s.newPage(r, "patterns.title", sessionFrom(r.Context()))
	ps, err := s.access.Patterns(r.Context())
	if err != nil {
		return err
	}
	changes, err := s.patternChanges(r)
	if err != nil {
		return err
	}
	p.Data, p.Error = patternsData{Patterns: ps, Catalogue: access.Catalogue(), Pending: changes}, problem
	if form != nil {
		p.Form = form
	}
	if r.URL.Query().Get("done") == "submitted" {
		p.Notice = tr(p.Lang, "patterns.submitted")
	}
	return s.render(w, r, status, "patterns", p)
}

// savePattern submits a new or changed pattern: it holds only when a
// holder of grant.approve other than its author confirms it (R-AC-3).
func (s *Server) savePattern(w http.ResponseWriter, r *http.Request) error {
	f, err := formValues(r, "code", "name", "affiliation", "job", "scope")
	if err != nil {
		return err
	}
	pat := access.Pattern{Code: f["code"], Name: f["name"], Affiliation: f["affiliation"], Job: f["job"], Scope: f["scope"]}
	for _, v := range r.PostForm["permission"] {
		pat.Permissions = append(pat.Permissions, access.Permission(v))
	}
	if _, err := s.submitPattern(r, pat); err != nil {
		msg, ok := problemText(lang(r), err)
		if !ok {
			return err
		}
		return s.renderPatterns(w, r, problemStatus(err), msg, f)
	}
	http.Redirect(w, r, "/admin/patterns?done=submitted", http.StatusSeeOther)
	return nil
}

// submitPattern puts a pattern change in the approvers' queue.
func (s *Server) submitPattern(r *http.Request, pat access.Pattern) (review.Change, error) {
	b := &s.biz
	pp, err := s.access.PatternChange(r.Context(), pat)
	if err != nil {
		return review.Change{}, err
	}
	return b.Review.Submit(r.Context(), sessionFrom(r.Context()).User, "", review.Proposal{Kind: access.KindPattern,
		Subject: audit.Subject{Type: "pattern", ID: pat.Code}, Summary: pp.Summary, Payload: pp.Payload})
}

// patternChanges are the pattern changes waiting for an approver.
func (s *Server) patternChanges(r *http.Request) ([]review.Change, error) {
	b := &s.biz
	return b.Review.Queue(r.Context(), "", "", "")
}

// decidePatternChange confirms or rejects a pattern change, by the last
// part of the path; the review engine refuses its author.
func (s *Server) decidePatternChange(w http.ResponseWriter, r *http.Request) error {
	b := &s.biz
	id, err := changeID(r)
	if err != nil {
		return err
	}
	f, err := formValues(r, "note")
	if err != nil {
		return err
	}
	sess, done := sessionFrom(r.Context()), "pattern_confirmed"
	if strings.HasSuffix(r.URL.Path, "/reject") {
		done = "pattern_rejected"
		_, err = b.Review.Reject(r.Context(), sess.User, "", id, f["note"])
	} else {
		_, err = b.Review.Confirm(r.Context(), sess.User, "", id, nil)
	}
	if err != nil {
		return formProblem(r, err, func(status int, msg string) error { return s.renderPending(w, r, status, msg) })
	}
	http.Redirect(w, r, "/grants/pending?done="+done, http.StatusSeeOther)
	return nil
}

// issueActivation gives a member of one's section who waits for a first
// enrolment the activation code to hand over; shown this once.
func (s *Server) issueActivation(w http.ResponseWriter, r *http.Request) error {
	code, err := s.activation(r, r.PathValue("login"))
	if err != nil {
		msg, ok := problemText(lang(r), err)
		if !ok {
			return err
		}
		return s.renderGrants(w, r, problemStatus(err), msg, nil)
	}
	p := s.newPage(r, "grants.title", sessionFrom(r.Context()))
	d, err := s.grantsData(r)
	if err != nil {
		return err
	}
	d.ActivationFor, d.ActivationCode = r.PathValue("login"), code
	p.Data = d
	return s.render(w, r, http.StatusOK, "grants", p)
}

func (s *Server) activation(r *http.Request, login string) (string, error) {
	acc := s.access
	return s.users.IssueActivation(r.Context(), sessionFrom(r.Context()).User, login, func(issuer, user identity.User) error {
		return acc.MayActFor(r.Context(), issuer, user)
	})
}
