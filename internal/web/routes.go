package web

import "net/http"

// Handler returns every route of bango. Routes are declared here and only
// here, each with its method, so that the access-control matrix can be
// checked against one list.
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
	mux.Handle("GET /{$}", s.handle(s.home))
	return securityHeaders(mux)
}
