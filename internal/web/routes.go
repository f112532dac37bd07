package web

import "net/http"

// Handler returns every route of bango. Routes are declared here and only
// here, each with its method and what it needs of the caller, so that the
// access-control matrix can be checked against one list.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	// Public by design: liveness and readiness for load balancers and
	// monitoring. They reveal the version and schema state, no data.
	mux.Handle("GET /healthz", s.handle(s.healthz))
	mux.Handle("GET /readyz", s.handle(s.readyz))
	// Public by design, like a Certificate Transparency log: signed
	// checkpoints and Merkle proofs hold hashes only, never event content,
	// and outside holders must reach them without an account.
	mux.Handle("GET /api/v1/audit/checkpoint", s.handle(s.auditCheckpoint))
	mux.Handle("GET /api/v1/audit/proof/inclusion", s.handle(s.auditInclusion))
	mux.Handle("GET /api/v1/audit/proof/consistency", s.handle(s.auditConsistency))
	// Public: the login pages, the language switch and the static assets.
	mux.Handle("GET /static/", assets())
	mux.Handle("GET /lang", s.pageHandler(s.setLang))
	mux.Handle("GET /login", s.pageHandler(s.loginForm))
	mux.Handle("POST /login", s.pageHandler(s.login))

	// The second factor, after the password.
	mux.Handle("GET /login/second", s.withSession(passwordStage, s.secondForm))
	mux.Handle("POST /login/second", s.withSession(passwordStage, s.second))
	mux.Handle("GET /login/enroll", s.withSession(passwordStage, s.enrolForm))
	mux.Handle("POST /login/enroll", s.withSession(passwordStage, s.enrol))
	mux.Handle("POST /login/passkey/begin", s.apiSession(passwordStage, s.passkeyChallenge))
	mux.Handle("POST /login/passkey/finish", s.apiSession(passwordStage, s.passkeyLogin))
	// Any live session: lock screen, logout, password change.
	mux.Handle("POST /logout", s.withSession(anySession, s.logout))
	mux.Handle("GET /lock", s.withSession(anySession, s.lockForm))
	mux.Handle("POST /lock", s.withSession(anySession, s.unlock))
	mux.Handle("POST /lock/passkey/begin", s.apiSession(anySession, s.passkeyChallenge))
	mux.Handle("POST /lock/passkey/finish", s.apiSession(anySession, s.passkeyUnlock))
	mux.Handle("GET /password", s.withSession(anySession, s.passwordForm))
	mux.Handle("POST /password", s.withSession(anySession, s.changePassword))
	// Logged in.
	mux.Handle("POST /lock/now", s.withSession(loggedIn, s.lockNow))
	mux.Handle("GET /pin", s.withSession(loggedIn, s.pinForm))
	mux.Handle("POST /pin", s.withSession(loggedIn, s.changePIN))
	mux.Handle("GET /passkeys", s.withSession(loggedIn, s.passkeysPage))
	mux.Handle("POST /passkeys/begin", s.apiSession(loggedIn, s.passkeyRegisterBegin))
	mux.Handle("POST /passkeys/finish", s.apiSession(loggedIn, s.passkeyRegisterFinish))
	mux.Handle("POST /passkeys/delete", s.withSession(loggedIn, s.passkeyRemove))
	mux.Handle("GET /{$}", s.withSession(loggedIn, s.home))
	// Anything else a browser asks for: an error page in the UI's language.
	mux.Handle("GET /", s.pageHandler(s.notFound))

	// Every state-changing request must come from this site's own pages.
	protect := http.NewCrossOriginProtection()
	protect.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.refused(r, "cross_origin", nil)
		http.Error(w, "cross-origin request refused / 他サイトからの操作は受け付けません", http.StatusForbidden)
	}))
	return securityHeaders(limitBody(protect.Handler(mux)))
}

// limitBody bounds request bodies: no form here needs more.
func limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		next.ServeHTTP(w, r)
	})
}
