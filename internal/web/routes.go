package web

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"

	"bango/internal/access"
	"bango/internal/audit"
)

// route is one endpoint and what it needs of the caller. Every route of
// bango is in routes(), so that the authorization matrix test can check
// each against its declared policy.
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
}

// gate says what a route needs of the session.
type gate int

const (
	public        gate = iota // no session: health, proofs, assets, login
	passwordStage             // only the password passed (second-factor page)
	anySession                // live session, even locked or with an expired password (lock, logout, password)
	loggedIn                  // fully logged in, unlocked, current password
)

// where says where a route's permission must be held.
type where int

const (
	anywhere      where = iota // in some municipality or system-wide (the handler narrows it)
	systemWide                 // a system right (user.admin, …)
	currentTenant              // in the municipality the session works in
)

func (s *Server) routes() []route {
	return []route{
		// Public by design: liveness and readiness for load balancers and
		// monitoring. They reveal the version and schema state, no data.
		{pattern: "GET /healthz", json: true, h: s.healthz},
		{pattern: "GET /readyz", json: true, h: s.readyz},
		// Public by design, like a Certificate Transparency log: signed
		// checkpoints and Merkle proofs hold hashes only, never event
		// content, and outside holders must reach them without an account.
		{pattern: "GET /api/v1/audit/checkpoint", json: true, h: s.auditCheckpoint},
		{pattern: "GET /api/v1/audit/proof/inclusion", json: true, h: s.auditInclusion},
		{pattern: "GET /api/v1/audit/proof/consistency", json: true, h: s.auditConsistency},
		// Public: the login pages and the language switch (assets are
		// registered apart, in Handler).
		{pattern: "GET /lang", h: s.setLang},
		{pattern: "GET /login", h: s.loginForm},
		{pattern: "POST /login", hearsBadInput: true, h: s.login},

		// The second factor, after the password.
		{pattern: "GET /login/second", gate: passwordStage, h: s.secondForm},
		{pattern: "POST /login/second", gate: passwordStage, h: s.second},
		{pattern: "GET /login/enroll", gate: passwordStage, h: s.enrolForm},
		{pattern: "POST /login/enroll", gate: passwordStage, h: s.enrol},
		{pattern: "POST /login/passkey/begin", gate: passwordStage, json: true, h: s.passkeyChallenge},
		{pattern: "POST /login/passkey/finish", gate: passwordStage, json: true, h: s.passkeyLogin},
		// Any live session: lock screen, logout, password change.
		{pattern: "POST /logout", gate: anySession, h: s.logout},
		{pattern: "GET /lock", gate: anySession, h: s.lockForm},
		{pattern: "POST /lock", gate: anySession, h: s.unlock},
		{pattern: "POST /lock/passkey/begin", gate: anySession, json: true, h: s.passkeyChallenge},
		{pattern: "POST /lock/passkey/finish", gate: anySession, json: true, h: s.passkeyUnlock},
		{pattern: "GET /password", gate: anySession, h: s.passwordForm},
		{pattern: "POST /password", gate: anySession, h: s.changePassword},
		// Logged in, one's own account.
		{pattern: "POST /lock/now", gate: loggedIn, h: s.lockNow},
		{pattern: "GET /pin", gate: loggedIn, h: s.pinForm},
		{pattern: "POST /pin", gate: loggedIn, h: s.changePIN},
		{pattern: "GET /passkeys", gate: loggedIn, h: s.passkeysPage},
		{pattern: "POST /passkeys/begin", gate: loggedIn, json: true, h: s.passkeyRegisterBegin},
		{pattern: "POST /passkeys/finish", gate: loggedIn, json: true, h: s.passkeyRegisterFinish},
		{pattern: "POST /passkeys/delete", gate: loggedIn, h: s.passkeyRemove},
		{pattern: "POST /scope", gate: loggedIn, h: s.switchScope},
		{pattern: "GET /{$}", gate: loggedIn, h: s.home},

		// Residents, in the session's municipality (R-AC-6); My Number
		// entry waits for a checker (R-ACC-1); reveal needs a purpose and
		// a fresh second factor (R-AC-4).
		{pattern: "GET /residents", gate: loggedIn, perm: access.ResidentRead, where: currentTenant, h: s.residentsPage},
		{pattern: "POST /residents", gate: loggedIn, perm: access.ResidentRead, where: currentTenant, h: s.residentsSearchPost},
		{pattern: "GET /residents/{code}", gate: loggedIn, perm: access.ResidentRead, where: currentTenant, h: s.residentPage},
		{pattern: "POST /residents/{code}/mynumber", gate: loggedIn, perm: access.MyNumberEnter, where: currentTenant, h: s.enterMyNumber},
		{pattern: "POST /residents/{code}/reveal", gate: loggedIn, perm: access.MyNumberReveal, where: currentTenant, h: s.revealNumber},
		{pattern: "GET /review", gate: loggedIn, perm: access.ReviewConfirm, where: currentTenant, h: s.reviewQueue},
		{pattern: "GET /review/{id}", gate: loggedIn, perm: access.ReviewConfirm, where: currentTenant, h: s.reviewPage},
		{pattern: "POST /review/{id}/confirm", gate: loggedIn, perm: access.ReviewConfirm, where: currentTenant, h: s.confirmChange},
		{pattern: "POST /review/{id}/reject", gate: loggedIn, perm: access.ReviewConfirm, where: currentTenant, h: s.rejectChange},

		// Exports and copies need a privacy manager's approval (R-AC-5).
		{pattern: "GET /exports", gate: loggedIn, perm: access.ExportRequest, where: currentTenant, h: s.exportsPage},
		{pattern: "POST /exports", gate: loggedIn, perm: access.ExportRequest, where: currentTenant, h: s.askExport},
		{pattern: "POST /exports/{id}/download", gate: loggedIn, perm: access.ExportRequest, where: currentTenant, h: s.downloadExport},
		{pattern: "GET /exports/pending", gate: loggedIn, perm: access.ExportApprove, where: currentTenant, h: s.pendingExports},
		{pattern: "POST /exports/{id}/approve", gate: loggedIn, perm: access.ExportApprove, where: currentTenant, h: s.decideExport},
		{pattern: "POST /exports/{id}/reject", gate: loggedIn, perm: access.ExportApprove, where: currentTenant, h: s.decideExport},

		// Audit (R-AUD-2, R-AUD-4): search, access reports, alerts, the
		// periodic review.
		{pattern: "GET /audit", gate: loggedIn, perm: access.AuditRead, h: s.auditPage},
		{pattern: "POST /audit", gate: loggedIn, perm: access.AuditRead, h: s.auditSearchPost},
		{pattern: "GET /audit/events.csv", gate: loggedIn, perm: access.AuditRead, h: s.auditCSV},
		{pattern: "GET /audit/residents/{tenant}/{code}", gate: loggedIn, perm: access.AuditRead, h: s.accessReportPage},
		{pattern: "GET /audit/residents/{tenant}/{code}/csv", gate: loggedIn, perm: access.AuditRead, h: s.accessReportCSV},
		{pattern: "GET /audit/review", gate: loggedIn, perm: access.AlertReview, h: s.reviewPeriodPage},
		{pattern: "POST /audit/review", gate: loggedIn, perm: access.AlertReview, h: s.signReview},
		{pattern: "GET /alerts", gate: loggedIn, perm: access.AlertReview, h: s.alertsPage},
		{pattern: "POST /alerts/{id}/ack", gate: loggedIn, perm: access.AlertReview, h: s.ackAlert},

		// Rights (R-AC-2, R-AC-3).
		{pattern: "GET /grants", gate: loggedIn, perm: access.GrantApply, h: s.grantsPage},
		{pattern: "POST /grants", gate: loggedIn, perm: access.GrantApply, h: s.applyGrant},
		{pattern: "GET /grants/pending", gate: loggedIn, perm: access.GrantApprove, where: systemWide, h: s.pendingGrants},
		{pattern: "POST /grants/{id}/approve", gate: loggedIn, perm: access.GrantApprove, where: systemWide, h: s.decideGrant},
		{pattern: "POST /grants/{id}/reject", gate: loggedIn, perm: access.GrantApprove, where: systemWide, h: s.decideGrant},
		{pattern: "POST /grants/{id}/revoke", gate: loggedIn, perm: access.GrantApply, h: s.revokeGrant},
		// A first enrolment after an administrator-set password needs a code
		// from someone else: the section head issues it (issue 15).
		{pattern: "POST /staff/activation/{login}", gate: loggedIn, perm: access.GrantApply, h: s.issueActivation},
		{pattern: "GET /admin/patterns", gate: loggedIn, perm: access.PatternAdmin, where: systemWide, h: s.patternsPage},
		{pattern: "POST /admin/patterns", gate: loggedIn, perm: access.PatternAdmin, where: systemWide, h: s.savePattern},
		// A pattern change holds only when an approver of rights other than
		// its author confirms it (R-AC-3).
		{pattern: "POST /admin/pattern-changes/{id}/confirm", gate: loggedIn, perm: access.GrantApprove, where: systemWide, h: s.decidePatternChange},
		{pattern: "POST /admin/pattern-changes/{id}/reject", gate: loggedIn, perm: access.GrantApprove, where: systemWide, h: s.decidePatternChange},
		// Staff accounts and terminals (IS department).
		{pattern: "GET /admin/users", gate: loggedIn, perm: access.UserAdmin, where: systemWide, h: s.usersPage},
		{pattern: "POST /admin/users", gate: loggedIn, perm: access.UserAdmin, where: systemWide, h: s.addUser},
		{pattern: "POST /admin/users/{login}/reset", gate: loggedIn, perm: access.UserAdmin, where: systemWide, h: s.resetUser},
		{pattern: "POST /admin/users/{login}/transfer", gate: loggedIn, perm: access.UserAdmin, where: systemWide, h: s.transferUser},
		{pattern: "POST /admin/users/{login}/retire", gate: loggedIn, perm: access.UserAdmin, where: systemWide, h: s.retireUser},
		{pattern: "GET /admin/terminals", gate: loggedIn, perm: access.TerminalAdmin, where: systemWide, h: s.terminalsPage},
		{pattern: "POST /admin/terminals", gate: loggedIn, perm: access.TerminalAdmin, where: systemWide, h: s.addTerminal},
		{pattern: "POST /admin/terminals/{name}/disable", gate: loggedIn, perm: access.TerminalAdmin, where: systemWide, h: s.disableTerminal},

		// The JSON API: the same as the pages, for other systems.
		{pattern: "GET /api/v1/me", gate: loggedIn, json: true, h: s.apiMe},
		{pattern: "POST /api/v1/scope", gate: loggedIn, json: true, h: s.apiScope},
		{pattern: "GET /api/v1/residents", gate: loggedIn, perm: access.ResidentRead, where: currentTenant, json: true, h: s.apiResidents},
		{pattern: "POST /api/v1/residents/search", gate: loggedIn, perm: access.ResidentRead, where: currentTenant, json: true, h: s.apiResidentSearch},
		{pattern: "GET /api/v1/residents/{code}", gate: loggedIn, perm: access.ResidentRead, where: currentTenant, json: true, h: s.apiResident},
		{pattern: "POST /api/v1/residents/{code}/mynumber", gate: loggedIn, perm: access.MyNumberEnter, where: currentTenant, json: true, h: s.apiEnterMyNumber},
		{pattern: "POST /api/v1/residents/{code}/reveal", gate: loggedIn, perm: access.MyNumberReveal, where: currentTenant, json: true, h: s.apiReveal},
		{pattern: "GET /api/v1/review", gate: loggedIn, perm: access.ReviewConfirm, where: currentTenant, json: true, h: s.apiReviewQueue},
		{pattern: "GET /api/v1/review/{id}", gate: loggedIn, perm: access.ReviewConfirm, where: currentTenant, json: true, h: s.apiChange},
		{pattern: "POST /api/v1/review/{id}/confirm", gate: loggedIn, perm: access.ReviewConfirm, where: currentTenant, json: true, h: s.apiConfirm},
		{pattern: "POST /api/v1/review/{id}/reject", gate: loggedIn, perm: access.ReviewConfirm, where: currentTenant, json: true, h: s.apiReject},
		{pattern: "GET /api/v1/grants", gate: loggedIn, perm: access.GrantApply, json: true, h: s.apiGrants},
		{pattern: "POST /api/v1/grants", gate: loggedIn, perm: access.GrantApply, json: true, h: s.apiApply},
		{pattern: "POST /api/v1/grants/{id}/revoke", gate: loggedIn, perm: access.GrantApply, json: true, h: s.apiGrantAction("revoke")},
		{pattern: "POST /api/v1/users/{login}/activation", gate: loggedIn, perm: access.GrantApply, json: true, h: s.apiIssueActivation},
		{pattern: "GET /api/v1/grants/pending", gate: loggedIn, perm: access.GrantApprove, where: systemWide, json: true, h: s.apiPendingGrants},
		{pattern: "POST /api/v1/grants/{id}/approve", gate: loggedIn, perm: access.GrantApprove, where: systemWide, json: true, h: s.apiGrantAction("approve")},
		{pattern: "POST /api/v1/grants/{id}/reject", gate: loggedIn, perm: access.GrantApprove, where: systemWide, json: true, h: s.apiGrantAction("reject")},
		{pattern: "GET /api/v1/patterns", gate: loggedIn, perm: access.PatternAdmin, where: systemWide, json: true, h: s.apiPatterns},
		{pattern: "POST /api/v1/patterns", gate: loggedIn, perm: access.PatternAdmin, where: systemWide, json: true, h: s.apiSavePattern},
		{pattern: "GET /api/v1/pattern-changes", gate: loggedIn, perm: access.GrantApprove, where: systemWide, json: true, h: s.apiPatternChanges},
		{pattern: "POST /api/v1/pattern-changes/{id}/confirm", gate: loggedIn, perm: access.GrantApprove, where: systemWide, json: true, h: s.apiDecidePatternChange(true)},
		{pattern: "POST /api/v1/pattern-changes/{id}/reject", gate: loggedIn, perm: access.GrantApprove, where: systemWide, json: true, h: s.apiDecidePatternChange(false)},
		{pattern: "GET /api/v1/exports", gate: loggedIn, perm: access.ExportRequest, where: currentTenant, json: true, h: s.apiExports},
		{pattern: "POST /api/v1/exports", gate: loggedIn, perm: access.ExportRequest, where: currentTenant, json: true, h: s.apiAskExport},
		{pattern: "POST /api/v1/exports/{id}/download", gate: loggedIn, perm: access.ExportRequest, where: currentTenant, json: true, h: s.apiDownload},
		{pattern: "GET /api/v1/exports/pending", gate: loggedIn, perm: access.ExportApprove, where: currentTenant, json: true, h: s.apiPendingExports},
		{pattern: "POST /api/v1/exports/{id}/approve", gate: loggedIn, perm: access.ExportApprove, where: currentTenant, json: true, h: s.apiExportDecision(true)},
		{pattern: "POST /api/v1/exports/{id}/reject", gate: loggedIn, perm: access.ExportApprove, where: currentTenant, json: true, h: s.apiExportDecision(false)},
		{pattern: "GET /api/v1/alerts", gate: loggedIn, perm: access.AlertReview, json: true, h: s.apiAlerts},
		{pattern: "GET /api/v1/audit/events", gate: loggedIn, perm: access.AuditRead, json: true, h: s.apiAuditEvents},
		{pattern: "POST /api/v1/audit/events", gate: loggedIn, perm: access.AuditRead, json: true, h: s.apiAuditSearch},

		// Anything else a browser asks for: an error page in the UI's language.
		{pattern: "GET /", h: s.notFound},
	}
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
		http.Error(w, "cross-origin request refused / 他サイトからの操作は受け付けません", http.StatusForbidden)
	}))
	return withRequestID(securityHeaders(limitBody(protect.Handler(mux))))
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

// wrap puts a route behind its gate and permission check.
func (s *Server) wrap(rt route) http.Handler {
	h := rt.h
	if rt.gate != public {
		h = s.sessionGate(rt, h)
	}
	h = s.answerLimits(rt, inputGate(rt, h))
	if rt.json {
		return s.handle(h)
	}
	return s.pageHandler(h)
}

// limitBody bounds request bodies: no form here needs more.
func limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
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
