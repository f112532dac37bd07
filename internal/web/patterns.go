package web

import (
	"net/http"
	"strings"
	"time"

	"bango/internal/access"
	"bango/internal/audit"
	"bango/internal/review"
	"bango/internal/store"
)

// Access patterns: the IS department edits them; a change holds once an
// approver of rights other than its author confirms it (R-AC-3).

type patternsData struct {
	Patterns  []access.Pattern
	Catalogue []access.Info
	Pending   []review.Change // changes waiting for an approver
	Pager     pager
	// Ticked are the permissions the form shows ticked: the pattern's own
	// when it is opened for a change (?edit=code), what was sent when a
	// refused form comes back, so that saving never drops permissions
	// nobody meant to drop.
	Ticked map[access.Permission]bool
}

func (s *Server) patternsPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderPatterns(w, r, http.StatusOK, refusal{}, nil)
}

func (s *Server) renderPatterns(w http.ResponseWriter, r *http.Request, status int, problem refusal, form map[string]string) error {
	p := s.newPage(r, "patterns.title", sessionFrom(r.Context()))
	ps, err := s.access.Patterns(r.Context())
	if err != nil {
		return err
	}
	changes, err := s.patternChanges(r, r.URL.Query().Get("cursor"), 0)
	if err != nil {
		return err
	}
	ticked := map[access.Permission]bool{}
	if form != nil {
		for _, perm := range r.PostForm["permission"] {
			ticked[access.Permission(perm)] = true
		}
	} else if code := r.URL.Query().Get("edit"); code != "" {
		for _, pat := range ps {
			if pat.Code == code {
				form = map[string]string{"code": pat.Code, "name": pat.Name, "affiliation": pat.Affiliation, "job": pat.Job, "scope": pat.Scope}
				for _, perm := range pat.Permissions {
					ticked[perm] = true
				}
			}
		}
	}
	p.fill(r, patternsData{Patterns: ps, Catalogue: access.Catalogue(), Pending: changes.Items, Pager: pagerOf(r, changes, "/admin/patterns", "cursor"), Ticked: ticked},
		problem, form, map[string]string{"submitted": "patterns.submitted"})
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
	pp, err := s.access.PatternChange(r.Context(), pat)
	if err != nil {
		return review.Change{}, err
	}
	return s.biz.Review.Submit(r.Context(), sessionFrom(r.Context()).User, "", review.Proposal{Kind: access.KindPattern,
		Subject: audit.Subject{Type: "pattern", ID: pat.Code}, Summary: pp.Summary, Payload: pp.Payload})
}

// patternChanges is a page of the pattern changes waiting for an
// approver.
func (s *Server) patternChanges(r *http.Request, cursor string, limit int) (store.Page[review.Change], error) {
	return s.biz.Review.Queue(r.Context(), "", "", "", cursor, limit)
}

// decidePatternChange confirms or rejects a pattern change, by the last
// part of the path; the review engine refuses its author.
func (s *Server) decidePatternChange(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "change")
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
		_, err = s.biz.Review.Reject(r.Context(), sess.User, "", id, f["note"])
	} else {
		_, err = s.biz.Review.Confirm(r.Context(), sess.User, "", id, nil)
	}
	if err != nil {
		return formProblem(r, err, func(status int, msg refusal) error { return s.renderPending(w, r, status, msg) })
	}
	http.Redirect(w, r, "/grants/pending?done="+done, http.StatusSeeOther)
	return nil
}

func (s *Server) apiPatterns(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.access.Patterns(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, patternsAnswer{Patterns: nonNil(ps), Catalogue: access.Catalogue()})
	return nil
}

type patternsAnswer struct {
	Patterns  []access.Pattern `json:"patterns"`
	Catalogue []access.Info    `json:"catalogue"`
}

// patternBody is a pattern as the API takes it: a pattern as GET
// /api/v1/patterns answers it, its scope needed only for a new one (a
// pattern keeps its scope); id, builtin and updated_at may be sent back
// and are ignored.
type patternBody struct {
	ID          int64               `json:"id,omitempty"`
	Code        string              `json:"code"`
	Name        string              `json:"name"`
	Affiliation string              `json:"affiliation,omitempty"`
	Job         string              `json:"job,omitempty"`
	Scope       string              `json:"scope,omitempty"`
	Builtin     bool                `json:"builtin,omitempty"`
	Permissions []access.Permission `json:"permissions"`
	UpdatedAt   time.Time           `json:"updated_at,omitzero"`
}

func (s *Server) apiSavePattern(w http.ResponseWriter, r *http.Request) error {
	var in patternBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	c, err := s.submitPattern(r, access.Pattern{Code: in.Code, Name: in.Name, Affiliation: in.Affiliation, Job: in.Job, Scope: in.Scope, Permissions: in.Permissions})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, c)
	return nil
}

func (s *Server) apiPatternChanges(w http.ResponseWriter, r *http.Request) error {
	cursor, limit := pageAsked(r, "cursor")
	changes, err := s.patternChanges(r, cursor, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, changesAnswer{Changes: nonNil(changes.Items), Next: changes.Next})
	return nil
}

func (s *Server) apiDecidePatternChange(confirm bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "change")
		if err != nil {
			return err
		}
		note, err := noteOf(r)
		if err != nil {
			return err
		}
		var c review.Change
		if user := sessionFrom(r.Context()).User; confirm {
			c, err = s.biz.Review.Confirm(r.Context(), user, "", id, nil)
		} else {
			c, err = s.biz.Review.Reject(r.Context(), user, "", id, note)
		}
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, c)
		return nil
	}
}
