package web

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// What operations see of each request (issue 17): one JSON log line and
// the request metrics, both by the route's pattern, never the path asked
// for, so that no resident's code or other value of a request reaches a
// log or a label; no query string or body is logged either.

// requestInfo is what the layers of one request learn for its log line:
// the route that took it (wrap) and the login of its session (the gate).
type requestInfo struct {
	pattern string
	user    string
}

type requestInfoKey struct{}

// infoOf is the request's requestInfo; a throwaway one outside observe.
func infoOf(ctx context.Context) *requestInfo {
	if i, ok := ctx.Value(requestInfoKey{}).(*requestInfo); ok {
		return i
	}
	return &requestInfo{}
}

// routed marks the request as taken by the route of pattern.
func routed(pattern string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		infoOf(r.Context()).pattern = pattern
		next.ServeHTTP(w, r)
	})
}

// observe logs and counts every request once it is answered, under the ID
// withRequestID gave it (the X-Request-ID of the answer, which the
// request's audit events carry). A request refused before a route took
// it (another site's post) is named by the route that would have.
func (s *Server) observe(mux *http.ServeMux, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &requestInfo{}
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info)))
		took := time.Since(start)
		pattern := info.pattern
		if pattern == "" {
			_, pattern = mux.Handler(r)
		}
		method, route := splitPattern(pattern)
		s.metrics.Request(route, method, sw.code(), took)
		attrs := []slog.Attr{
			slog.String("request_id", w.Header().Get("X-Request-ID")),
			slog.String("method", method), slog.String("route", route),
			slog.Int("status", sw.code()),
			slog.Float64("duration_ms", float64(took.Microseconds())/1000),
		}
		if info.user != "" {
			attrs = append(attrs, slog.String("user", info.user))
		}
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
	})
}

// splitPattern is a route's method and path. Outside every route both are
// fixed words: a label may not take what a caller chose to send.
func splitPattern(pattern string) (method, route string) {
	method, route, ok := strings.Cut(pattern, " ")
	if !ok || pattern == "" {
		return "other", "unmatched"
	}
	return method, route
}

// statusWriter remembers the status a handler answered.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// refusalReason is what a refusal is counted under: the first word of
// why, the constant the code names; the rest (an address, a municipality,
// a permission) is for the audit event only.
func refusalReason(why string) string {
	reason, _, _ := strings.Cut(why, " ")
	return reason
}
