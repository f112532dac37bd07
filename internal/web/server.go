// Package web is bango's HTTP surface: the browser UI and the JSON API.
// Handlers return errors; one adapter turns every error into a status and a
// body, and logs the server's own failures. All routes are listed in
// routes.go.
package web

import (
	"context"
	"encoding/json"
	"html/template"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"

	"bango/internal/access"
	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/identity"
	"bango/internal/metrics"
	"bango/internal/store"
	"bango/internal/terminal"
)

// Server holds what the handlers need.
type Server struct {
	db        *store.DB
	terminals *terminal.Registry
	enforce   bool // only registered terminals may reach staff pages
	proxies   []netip.Prefix
	users     *identity.Service
	access    *access.Service
	biz       Business
	modules   []webModule // every module's routes, menu and counters (modules.go)
	menu      []navItem   // the modules' menu entries, in order
	log       *slog.Logger
	version   string
	pages     map[string]*template.Template
	ready     atomic.Bool
	rate      *rateLimits // what callers without a session may cost (ratelimit.go)
	metrics   *metrics.Metrics
	partners  PartnerDeps // the linkage partners' routes (linkagepartner.go)
}

// Deps are the services the server needs.
type Deps struct {
	DB        *store.DB
	Terminals *terminal.Registry
	// EnforceTerminals refuses staff pages to unregistered terminals (R-AUTH-5).
	EnforceTerminals bool
	// TrustedProxies are the TLS-terminating proxies whose X-Forwarded-For
	// names the client; from anyone else the header is ignored.
	TrustedProxies []netip.Prefix
	Users          *identity.Service
	Access         *access.Service
	Business       Business
	Log            *slog.Logger
	Version        string
	// Limits bound anonymous requests that write or hash; zero fields
	// take DefaultLimits.
	Limits Limits
	// Metrics counts requests, logins and refusals; nil counts nothing.
	Metrics *metrics.Metrics
	// Partners serves the linkage partners' routes (PartnerHandler).
	Partners PartnerDeps
}

// New returns a Server with every service it uses, given once: nothing is
// bound later. It answers /readyz with 503 until SetReady. While the
// database is still being migrated, before the services exist, bango
// serve answers with Starting instead.
func New(d Deps) *Server {
	s := &Server{db: d.DB, terminals: d.Terminals, enforce: d.EnforceTerminals, proxies: d.TrustedProxies, log: d.Log, version: d.Version, pages: parsePages(),
		rate: newRateLimits(d.Limits), metrics: d.Metrics, users: d.Users, access: d.Access, biz: d.Business, partners: d.Partners}
	s.modules = s.collectModules()
	s.menu = menu(s.modules)
	return s
}

// Starting answers while the server is not built yet (the database is
// being migrated): the process is alive (/healthz), not ready (/readyz),
// and every other request is asked to come back.
func Starting(version string) http.Handler {
	return securityHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := health{Status: "starting", Version: version, Database: "migrating"}
		switch r.URL.Path {
		case "/healthz":
			writeJSON(w, http.StatusOK, h)
			return
		case "/readyz":
			h.Status = "not ready"
		}
		w.Header().Set("Retry-After", "5")
		writeJSON(w, http.StatusServiceUnavailable, h)
	}))
}

// SetReady marks the server ready once migrations are applied.
func (s *Server) SetReady(ready bool) { s.ready.Store(ready) }

// handlerFunc is a handler that returns its error instead of writing it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

var statusOf = map[errs.Kind]int{
	errs.Internal:        http.StatusInternalServerError,
	errs.NotFound:        http.StatusNotFound,
	errs.Invalid:         http.StatusBadRequest,
	errs.Conflict:        http.StatusConflict,
	errs.Forbidden:       http.StatusForbidden,
	errs.Unauthenticated: http.StatusUnauthorized,
	errs.Locked:          http.StatusLocked,
	errs.Unavailable:     http.StatusServiceUnavailable,
}

// handle adapts h: an error becomes problem details (RFC 9457) with the
// status of its kind. Internal errors are logged and shown only as a
// request-independent text, so that no detail of the system leaks to the
// client.
func (s *Server) handle(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		kind := errs.KindOf(err)
		if kind == errs.Internal {
			s.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		} else if errs.Public(err) != err.Error() {
			s.log.InfoContext(r.Context(), "request refused", "method", r.Method, "path", r.URL.Path, "err", err)
		}
		writeProblem(w, problemIn(err, answerLang(r)))
	})
}

// answerLang is the language of an answer's words for people: the UI's
// (the lang cookie) for the pages' own scripts, English for a machine
// client that asks for it.
func answerLang(r *http.Request) string {
	if _, err := r.Cookie("lang"); err != nil && strings.HasPrefix(r.Header.Get("Accept-Language"), "en") {
		return "en"
	}
	return lang(r)
}

// problemIn is err as problem details whose detail is the sentence the
// error has for people, in lang, when it has one.
func problemIn(err error, lang string) problem {
	p := problemOf(err)
	if said, ok := errs.Told(err, lang); ok && p.Status != http.StatusInternalServerError {
		p.Detail = said
	}
	return p
}

// problem is an error as the API answers it: problem details (RFC 9457,
// application/problem+json) whose type names the kind, with every wrong
// field named in Japanese and English (errors), and the members bango
// answered before (error, message, fields) for the clients that read them.
type problem struct {
	Type   string         `json:"type"`
	Title  string         `json:"title"`
	Status int            `json:"status"`
	Detail string         `json:"detail"`
	Errors []fieldProblem `json:"errors,omitempty"`

	Error   string            `json:"error"`
	Message string            `json:"message,omitempty"`
	Fields  []errs.FieldError `json:"fields,omitempty"`
}

// fieldProblem is one wrong field: its name, the line of the record in a
// file (0 for a request), and why, in both languages.
type fieldProblem struct {
	Field string `json:"field"`
	Line  int    `json:"line,omitempty"`
	JA    string `json:"ja"`
	EN    string `json:"en"`
}

const problemJSON = "application/problem+json"

// problemType is the type of the problems of kind: a URI relative to
// bango's own address, the same for every problem of the kind.
func problemType(kind string) string {
	return "/problems/" + strings.ReplaceAll(kind, " ", "-")
}

// problemOf is err as problem details.
func problemOf(err error) problem {
	kind := errs.KindOf(err)
	p := problem{Type: problemType(kind.String()), Status: statusOf[kind], Error: kind.String()}
	p.Title = problemTitle(kind.String())
	if kind == errs.Internal {
		p.Detail = "the server could not answer; the X-Request-ID of the answer finds it in the log"
		return p
	}
	p.Detail, p.Message = errs.Public(err), errs.Public(err)
	if fs := errs.Fields(err); fs != nil {
		p.Fields = fs
		for _, f := range fs {
			p.Errors = append(p.Errors, fieldProblem{Field: f.Field, Line: f.Line, JA: f.Reason.JA, EN: f.Reason.EN})
		}
	}
	return p
}

// problemTypes are the problem types (RFC 9457) an error of the API can
// have, by kind: the kinds of errs and the rate limit's.
var problemTypes = []struct{ kind, title string }{
	{"invalid", "Invalid input"},
	{"unauthenticated", "Not logged in"},
	{"forbidden", "Forbidden"},
	{"not found", "Not found"},
	{"conflict", "Conflict with stored data"},
	{"locked", "Locked"},
	{"too many requests", "Too many requests"},
	{"method not allowed", "Method not allowed"},
	{"internal", "Internal error"},
	{"unavailable", "Unavailable"},
}

func problemTitle(kind string) string {
	for _, p := range problemTypes {
		if p.kind == kind {
			return p.title
		}
	}
	return kind
}

func writeProblem(w http.ResponseWriter, p problem) {
	writeAs(w, problemJSON, p.Status, p)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	writeAs(w, "application/json; charset=utf-8", status, v)
}

func writeAs(w http.ResponseWriter, contentType string, status int, v any) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// securityHeaders sets the headers every response carries: no framing, no
// sniffing, no referrer, a CSP without inline script, and HSTS over TLS.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
		h.Set("Cache-Control", "no-store")
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=63072000")
		}
		next.ServeHTTP(w, r)
	})
}

// health is what /healthz and /readyz report. It holds nothing sensitive:
// these routes answer without authentication, for load balancers.
type health struct {
	Status        string `json:"status"`
	Version       string `json:"version"`
	Engine        string `json:"engine"`
	SchemaVersion int    `json:"schema_version"`
	SchemaLatest  int    `json:"schema_latest"`
	Database      string `json:"database"`
}

func (s *Server) healthReport(ctx context.Context) health {
	h := health{Status: "ok", Version: s.version, Engine: string(s.db.Engine()), SchemaLatest: store.LatestVersion(), Database: "ok"}
	if err := s.db.Ping(ctx); err != nil {
		h.Database = "unreachable"
		return h
	}
	v, err := s.db.SchemaVersion(ctx)
	if err != nil {
		h.Database = "unreadable"
	}
	h.SchemaVersion = v
	return h
}

// healthz: the process is alive and says what it runs on.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, s.healthReport(r.Context()))
	return nil
}

// readyz: the process can serve (database reachable, schema current).
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	h := s.healthReport(r.Context())
	if !s.ready.Load() || h.Database != "ok" || h.SchemaVersion != h.SchemaLatest {
		h.Status = "not ready"
		writeJSON(w, http.StatusServiceUnavailable, h)
		return nil
	}
	writeJSON(w, http.StatusOK, h)
	return nil
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) error {
	return errs.E(errs.NotFound, "no page at %s", r.URL.Path)
}

// Public by design: liveness and readiness for load balancers, and the
// audit log's signed checkpoints and Merkle proofs, which hold hashes only
// and must reach outside holders without an account (like a Certificate
// Transparency log).
func (s *Server) systemModule() webModule {
	return webModule{
		name: "system",
		routes: []route{
			{pattern: "GET /healthz", json: true, h: s.healthz},
			{pattern: "GET /readyz", json: true, h: s.readyz},
			{pattern: "GET /api/v1/audit/checkpoint", json: true, h: s.auditCheckpoint,
				summary: "The audit log's latest signed checkpoint (a signed note)", media: "text/plain"},
			{pattern: "GET /api/v1/audit/proof/inclusion", json: true, h: s.auditInclusion,
				summary: "Proof that an event is in the tree of a checkpoint", query: []apiParam{{"seq", "integer", "the sequence number of the event"}, {"size", "integer", "the size of the checkpoint to prove against; the latest when left out"}}, answer: audit.InclusionProof{}},
			{pattern: "GET /api/v1/audit/proof/consistency", json: true, h: s.auditConsistency,
				summary: "Proof that a later checkpoint extends an earlier one", query: []apiParam{{"from", "integer", "the size of the earlier checkpoint"}, {"to", "integer", "the size of the later one; the latest when left out"}}, answer: audit.ConsistencyProof{}},
		},
	}
}
