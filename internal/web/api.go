package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"time"

	"bango/internal/access"
	"bango/internal/errs"
	"bango/internal/export"
	"bango/internal/identity"
	"bango/internal/resident"
	"bango/internal/review"
)

// The JSON API (under /api/v1/) offers what the pages offer, for other
// systems and scripts of staff: the same session (cookie), the same CSRF
// token (header X-CSRF-Token), the same permission checks and audit. Every
// answer is JSON; errors are {"error", "message", "fields"}.

// decodeJSON reads a JSON body into v, refusing other content types,
// unknown fields and trailing data: a request says exactly what it means.
func decodeJSON(r *http.Request, v any) error {
	body, err := readJSON(r)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errs.E(errs.Invalid, "the request body is not the expected JSON: %v", err)
	}
	if dec.More() {
		return errs.E(errs.Invalid, "the request body holds more than one JSON value")
	}
	return nil
}

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.E(errs.NotFound, "no record %q", r.PathValue("id"))
	}
	return id, nil
}

// me is who the caller is and what they may do where they work now.
type me struct {
	User        identity.User       `json:"user"`
	Scope       string              `json:"scope"`
	Tenants     []string            `json:"tenants"`
	Permissions []access.Permission `json:"permissions"`
}

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request) error {
	sess, rights := sessionFrom(r.Context()), rightsFrom(r.Context())
	m := me{User: sess.User, Scope: sess.Tenant, Tenants: rights.AllTenants(), Permissions: []access.Permission{}}
	for _, p := range access.Catalogue() {
		if rights.Has(p.Name, sess.Tenant) || rights.Has(p.Name, "") {
			m.Permissions = append(m.Permissions, p.Name)
		}
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

func (s *Server) apiScope(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Tenant string `json:"tenant"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	sess := sessionFrom(r.Context())
	if !slices.Contains(rightsFrom(r.Context()).AllTenants(), in.Tenant) {
		err := errs.E(errs.Forbidden, "you hold no rights in municipality %q", in.Tenant)
		s.refused(r, "scope tenant="+in.Tenant, err)
		return err
	}
	if err := s.users.SetSessionTenant(r.Context(), *sess, in.Tenant); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"scope": in.Tenant})
	return nil
}

func (s *Server) apiResidents(w http.ResponseWriter, r *http.Request) error {
	b := &s.biz
	sess := sessionFrom(r.Context())
	if looksLikeMyNumber(r.URL.Query().Get("q")) {
		return errNumberInQuery
	}
	found, err := b.Residents.Find(r.Context(), sess.Tenant, r.URL.Query().Get("q"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, found)
	return nil
}

var errNumberInQuery = &errs.FieldErrors{List: []errs.FieldError{{Field: "q", Reason: errs.Message{
	JA: "個人番号はURLに含めず、POST /api/v1/residents/search で検索してください", EN: "a My Number never goes in a URL: search by POST /api/v1/residents/search"}}}}

// apiResidentSearch is the search by POST: a My Number (looked up by its
// blind index, audited) or anything the search by address takes.
func (s *Server) apiResidentSearch(w http.ResponseWriter, r *http.Request) error {
	b := &s.biz
	var in struct {
		Q string `json:"q"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	var list []resident.Resident
	if looksLikeMyNumber(in.Q) {
		res, err := s.findByNumber(r, in.Q)
		if err != nil && !errs.Is(err, errs.NotFound) {
			return err
		}
		if err == nil {
			list = append(list, res)
		}
	} else {
		var err error
		if list, err = b.Residents.Search(r.Context(), sessionFrom(r.Context()).Tenant, in.Q); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"residents": nonNil(list)})
	return nil
}

func (s *Server) apiResident(w http.ResponseWriter, r *http.Request) error {
	d, err := s.residentData(r, r.PathValue("code"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"resident": d.Resident, "mynumber_pending": d.PendingNumber})
	return nil
}

func (s *Server) apiEnterMyNumber(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		MyNumber string `json:"mynumber"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	c, err := s.submitMyNumber(r, r.PathValue("code"), in.MyNumber)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, c)
	return nil
}

func (s *Server) apiReveal(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Purpose string `json:"purpose"`
		Note    string `json:"note"`
		Once    string `json:"once"` // optional: a key that makes a retried call reveal nothing more
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	rev, err := s.reveal(r, resident.RevealRequest{Code: r.PathValue("code"), Purpose: in.Purpose, Note: in.Note, Once: in.Once})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"code": rev.Code, "mynumber": rev.Number})
	return nil
}

func (s *Server) apiReviewQueue(w http.ResponseWriter, r *http.Request) error {
	b := &s.biz
	sess := sessionFrom(r.Context())
	dept, sec := sess.User.Department, sess.User.Section
	if r.URL.Query().Get("all") == "1" {
		dept, sec = "", ""
	}
	q, err := b.Review.Queue(r.Context(), sess.Tenant, dept, sec)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"changes": nonNil(q)})
	return nil
}

func (s *Server) apiChange(w http.ResponseWriter, r *http.Request) error {
	b := &s.biz
	id, err := pathID(r)
	if err != nil {
		return err
	}
	c, err := b.Review.Get(r.Context(), sessionFrom(r.Context()).Tenant, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) apiConfirm(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in struct {
		MyNumber string `json:"mynumber"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	c, err := s.confirm(r, id, in.MyNumber)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) apiReject(w http.ResponseWriter, r *http.Request) error {
	b := &s.biz
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	sess := sessionFrom(r.Context())
	c, err := b.Review.Reject(r.Context(), sess.User, sess.Tenant, id, in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) apiGrants(w http.ResponseWriter, r *http.Request) error {
	d, err := s.grantsData(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"grants": nonNil(d.Grants), "members": nonNil(d.Members), "patterns": nonNil(d.Patterns), "tenants": nonNil(d.Tenants)})
	return nil
}

// application is a grant application as the API takes it; dates are
// YYYY-MM-DD in Japan time.
type application struct {
	LoginID string `json:"login_id"`
	Pattern string `json:"pattern"`
	Tenant  string `json:"tenant"`
	From    string `json:"from"`
	Until   string `json:"until"`
	Reason  string `json:"reason"`
}

func (s *Server) apiApply(w http.ResponseWriter, r *http.Request) error {
	var in application
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	app := access.Application{LoginID: in.LoginID, Pattern: in.Pattern, Tenant: in.Tenant, Reason: in.Reason}
	var err error
	if app.From, err = parseDay("from", in.From); err != nil {
		return err
	}
	if app.Until, err = parseDay("until", in.Until); err != nil {
		return err
	}
	grantee, err := s.users.Get(r.Context(), in.LoginID)
	if errs.Is(err, errs.NotFound) {
		var fe errs.FieldErrors
		fe.Add("login_id", errs.Message{JA: "その職員はいません", EN: "no such staff member"})
		return fe.Err()
	} else if err != nil {
		return err
	}
	g, err := s.access.Apply(r.Context(), sessionFrom(r.Context()).User, grantee, app)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, g)
	return nil
}

func (s *Server) apiPendingGrants(w http.ResponseWriter, r *http.Request) error {
	grants, err := s.access.Grants(r.Context(), access.GrantFilter{Status: access.Pending})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"grants": nonNil(grants)})
	return nil
}

// noteOf reads a decision's body: {"note": "…"}, the note optional
// where the decision allows.
func noteOf(r *http.Request) (string, error) {
	var in struct {
		Note string `json:"note"`
	}
	err := decodeJSON(r, &in)
	return in.Note, err
}

// apiGrantAction approves, rejects or revokes, by the path's last part.
func (s *Server) apiGrantAction(action string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		note, err := noteOf(r)
		if err != nil {
			return err
		}
		svc, user := s.access, sessionFrom(r.Context()).User
		var g access.Grant
		switch action {
		case "approve":
			g, err = svc.Approve(r.Context(), user, id, note)
		case "reject":
			g, err = svc.Reject(r.Context(), user, id, note)
		default:
			g, err = svc.Revoke(r.Context(), user, id, note)
		}
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, g)
		return nil
	}
}

func (s *Server) apiPatterns(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.access.Patterns(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"patterns": nonNil(ps), "catalogue": access.Catalogue()})
	return nil
}

func (s *Server) apiSavePattern(w http.ResponseWriter, r *http.Request) error {
	var in access.Pattern
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	c, err := s.submitPattern(r, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, c)
	return nil
}

func (s *Server) apiPatternChanges(w http.ResponseWriter, r *http.Request) error {
	changes, err := s.patternChanges(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"changes": nonNil(changes)})
	return nil
}

func (s *Server) apiDecidePatternChange(confirm bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		b := &s.biz
		id, err := changeID(r)
		if err != nil {
			return err
		}
		note, err := noteOf(r)
		if err != nil {
			return err
		}
		var c review.Change
		if user := sessionFrom(r.Context()).User; confirm {
			c, err = b.Review.Confirm(r.Context(), user, "", id, nil)
		} else {
			c, err = b.Review.Reject(r.Context(), user, "", id, note)
		}
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, c)
		return nil
	}
}

func (s *Server) apiExports(w http.ResponseWriter, r *http.Request) error {
	b := &s.biz
	sess := sessionFrom(r.Context())
	mine, err := b.Exports.List(r.Context(), sess.Tenant, sess.User.ID, "")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"requests": nonNil(mine)})
	return nil
}

func (s *Server) apiAskExport(w http.ResponseWriter, r *http.Request) error {
	b := &s.biz
	var in struct {
		Kind            string `json:"kind"`
		Format          string `json:"format"`
		Reason          string `json:"reason"`
		IncludeMyNumber bool   `json:"include_mynumber"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	sess := sessionFrom(r.Context())
	req, err := b.Exports.Ask(r.Context(), sess.User, sess.Tenant, in.Kind, in.Format, in.Reason, in.IncludeMyNumber)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, req)
	return nil
}

func (s *Server) apiPendingExports(w http.ResponseWriter, r *http.Request) error {
	b := &s.biz
	list, err := b.Exports.List(r.Context(), sessionFrom(r.Context()).Tenant, 0, export.Pending)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"requests": nonNil(list)})
	return nil
}

func (s *Server) apiExportDecision(approve bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		b := &s.biz
		id, err := pathID(r)
		if err != nil {
			return err
		}
		note, err := noteOf(r)
		if err != nil {
			return err
		}
		sess := sessionFrom(r.Context())
		decide := b.Exports.Reject
		if approve {
			decide = b.Exports.Approve
		}
		req, err := decide(r.Context(), sess.User, sess.Tenant, id, note)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, req)
		return nil
	}
}

func (s *Server) apiAlerts(w http.ResponseWriter, r *http.Request) error {
	b := &s.biz
	f := reviewFilter(r)
	f.Status = r.URL.Query().Get("status")
	f.Before, _ = strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	f.Limit, _ = strconv.Atoi(r.URL.Query().Get("limit"))
	list, next, err := b.Alerts.List(r.Context(), f)
	if err != nil {
		return err
	}
	out := map[string]any{"alerts": nonNil(list), "as_of": time.Now().UTC()}
	if next > 0 {
		out["next"] = next
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// nonNil makes an empty list encode as [], not null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (s *Server) apiDownload(w http.ResponseWriter, r *http.Request) error {
	b := &s.biz
	id, err := pathID(r)
	if err != nil {
		return err
	}
	sess := sessionFrom(r.Context())
	req, err := b.Exports.Get(r.Context(), sess.Tenant, id)
	if err != nil {
		return err
	}
	hw := &headerOnWrite{ResponseWriter: w, set: func(h http.Header) {
		h.Set("Content-Type", "text/csv; charset=utf-8")
		h.Set("Content-Disposition", `attachment; filename="bango-export-`+strconv.FormatInt(id, 10)+"-"+req.Kind+`.csv"`)
	}}
	if _, err := b.Exports.Download(r.Context(), sess.User, sess.Tenant, id, s.users.SecondFactorRecent(*sess), hw); err != nil {
		if hw.wrote {
			s.log.ErrorContext(r.Context(), "export interrupted", "export", id, "err", err)
			return nil
		}
		return err
	}
	return nil
}

func (s *Server) apiIssueActivation(w http.ResponseWriter, r *http.Request) error {
	if err := decodeJSON(r, &struct{}{}); err != nil {
		return err
	}
	code, err := s.activation(r, r.PathValue("login"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"login_id": r.PathValue("login"), "activation_code": code})
	return nil
}
