package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"

	"bango/internal/access"
	"bango/internal/errs"
	"bango/internal/identity"
)

// The JSON API (under /api/v1/) offers what the pages offer, for other
// systems and scripts of staff: the same session (cookie), the same CSRF
// token (header X-CSRF-Token), the same permission checks and audit. Every
// answer is JSON; errors are problem details (RFC 9457, see problem in
// server.go). Each route declares the Go types of its body and answer,
// which the handler decodes and writes and the description at
// /api/v1/openapi.json is generated from (openapi.go).

const apiPrefix = "/api/v1/"

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

// pathID is the path's {id}: a positive number, or what names no record
// (a noun such as "grant") is not found.
func pathID(r *http.Request, noun string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.E(errs.NotFound, "no %s %q", noun, r.PathValue("id"))
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

// scopeBody names the municipality to work in; scopeAnswer is the one
// the session works in now.
type scopeBody struct {
	Tenant string `json:"tenant"`
}

type scopeAnswer struct {
	Scope string `json:"scope"`
}

func (s *Server) apiScope(w http.ResponseWriter, r *http.Request) error {
	var in scopeBody
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
	writeJSON(w, http.StatusOK, scopeAnswer{Scope: in.Tenant})
	return nil
}

// noteBody is a decision's body: the note, optional where the decision
// allows.
type noteBody struct {
	Note string `json:"note,omitempty"`
}

// noteOf reads a decision's body.
func noteOf(r *http.Request) (string, error) {
	var in noteBody
	err := decodeJSON(r, &in)
	return in.Note, err
}

// nonNil makes an empty list encode as [], not null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
