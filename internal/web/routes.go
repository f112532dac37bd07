package web

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"strings"

	"bango/internal/access"
	"bango/internal/audit"
	"bango/internal/errs"
)

// route is one endpoint and what it needs of the caller. Every route of
// bango is in a module's table (modules.go), collected by routes(), so
// that the authorization matrix test can check each against its declared
// policy.
type route struct {
	pattern string // method and path, as http.ServeMux takes them
	gate    gate
	perm    access.Permission // "" for any caller the gate lets through
	where   where             // where perm must be held
	json    bool              // answers JSON (errors as JSON, no redirects)
	// hearsBadInput: the handler is told of unreadable input instead of
	// the gate answering 400 (the login counts it as a failed login).
	hearsBadInput bool
	h             handlerFunc

	// What an /api/v1 route takes and answers, for its OpenAPI
	// description (openapi.go): body and answer are zero values of the
	// Go types the handler decodes and writes, so that the description
	// is generated from them and cannot drift.
	summary string
	query   []apiParam // the query parameters it reads
	body    any        // the JSON request body; nil for none
	status  int        // the success status when not 200
	answer  any        // the JSON answer; nil when media says otherwise
	media   string     // the media type of an answer that is not JSON
}

// gate says what a route needs of the session.
type gate int

const (
	public        gate = iota // no session: health, proofs, assets, login
	passwordStage             // only the password passed (second-factor page)
	anySession                // live session, even locked or with an expired password (lock, logout, password)
	loggedIn                  // fully logged in, unlocked, current password
	partnerCert               // a linkage partner's machine: its client certificate on the partner listener (linkagepartner.go)
)

// where says where a route's permission must be held.
type where int

const (
	anywhere      where = iota // in some municipality or system-wide (the handler narrows it)
	systemWide                 // a system right (user.admin, …)
	currentTenant              // in the municipality the session works in
)

// routes are every module's routes and the answer to anything else.
func (s *Server) routes() []route {
	var all []route
	for _, m := range s.modules {
		all = append(all, m.routes...)
	}
	// Anything else a browser asks for: an error page in the UI's language.
	return append(all, route{pattern: "GET /", h: s.notFound})
}

// Handler returns every route of bango behind the common walls.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /static/", assets())
	for _, rt := range s.routes() {
		mux.Handle(rt.pattern, s.wrap(rt))
	}
	// Every state-changing request must come from this site's own pages.
	protect := http.NewCrossOriginProtection()
	protect.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var te *throttledError
		if errors.As(s.limitAnonymous(r, "cross_origin"), &te) {
			s.answerRetry(w, r, false, http.StatusTooManyRequests, te.retryAfter, msgThrottled)
			return
		}
		s.refused(r, "cross_origin", nil)
		if strings.HasPrefix(r.URL.Path, apiPrefix) {
			writeProblem(w, problemOf(errs.E(errs.Forbidden, "cross-origin request refused")))
			return
		}
		http.Error(w, "cross-origin request refused / 他サイトからの操作は受け付けません", http.StatusForbidden)
	}))
	return withRequestID(s.observe(mux, securityHeaders(limitBody(protect.Handler(wrongMethod(mux))))))
}

// wrongMethod answers a request whose path has routes but none for its
// method as the rest of bango answers: problem details on the API, a page
// in the UI's language elsewhere, both with the Allow header, instead of
// the mux's plain text.
func wrongMethod(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		var allow []string
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, pattern := mux.Handler(probe); pattern != "" {
				allow = append(allow, m)
			}
		}
		if len(allow) == 0 {
			mux.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		detail := r.Method + " is not allowed here; this address answers " + strings.Join(allow, ", ")
		if strings.HasPrefix(r.URL.Path, apiPrefix) {
			writeProblem(w, problem{Type: problemType("method not allowed"), Title: problemTitle("method not allowed"),
				Status: http.StatusMethodNotAllowed, Detail: detail, Error: "method not allowed", Message: detail})
			return
		}
		http.Error(w, tr(lang(r), "error.method"), http.StatusMethodNotAllowed)
	})
}

// withRequestID gives every request an ID, answered as X-Request-ID and
// carried by every audit event the request writes, so that a person's
// report of a failed request leads to its events and log lines.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := rand.Text()[:16]
		w.Header().Set("X-Request-ID", id)
		next.ServeHTTP(w, r.WithContext(audit.WithRequestID(r.Context(), id)))
	})
}

// wrap puts a route behind its gate and permission check, and names the
// request by the route's pattern for its log line and metrics (observe).
func (s *Server) wrap(rt route) http.Handler {
	h := rt.h
	switch rt.gate {
	case public:
	case partnerCert:
		h = s.partnerGate(rt, h)
	default:
		h = s.sessionGate(rt, h)
	}
	h = s.answerLimits(rt, inputGate(rt, h))
	if rt.json {
		return routed(rt.pattern, s.handle(h))
	}
	return routed(rt.pattern, s.pageHandler(h))
}

// limitBody bounds request bodies: no form here needs more, but for the
// upload of a registry file (numbersetup.go) and of a linkage file
// (linkage.go).
func limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := int64(64 << 10)
		if r.Method == http.MethodPost && (r.URL.Path == "/numbersetup/imports" || r.URL.Path == "/api/v1/numbersetup/setups") {
			limit = maxRegistryBytes
		}
		if r.Method == http.MethodPost && r.URL.Path == "/linkage/import" {
			limit = maxLinkageUpload
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

// inputGate refuses unreadable input before anything else looks at the
// request (see input.go).
func inputGate(rt route, next handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := checkInput(rt, r); err != nil {
			if !rt.hearsBadInput {
				return err
			}
			r = r.WithContext(context.WithValue(r.Context(), badInputKey{}, err))
		}
		return next(w, r)
	}
}
