package web

import (
	"net/http"
	"strconv"

	"bango/internal/audit"
	"bango/internal/errs"
)

// int64Param reads an optional non-negative integer query parameter.
func int64Param(r *http.Request, name string, def int64) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, &errs.FieldErrors{List: []errs.FieldError{{Field: name, Reason: errs.Message{
			JA: "0以上の整数で指定してください", EN: "must be a whole number, 0 or more"}}}}
	}
	return n, nil
}

// auditCheckpoint serves the latest signed checkpoint, for outside holders.
func (s *Server) auditCheckpoint(w http.ResponseWriter, r *http.Request) error {
	h, err := audit.Status(r.Context(), s.db)
	if err != nil {
		return err
	}
	if h.Checkpoint == "" {
		return errs.E(errs.NotFound, "no checkpoint yet")
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, err = w.Write([]byte(h.Checkpoint))
	return err
}

// auditInclusion proves that event seq is in the tree of a checkpoint.
func (s *Server) auditInclusion(w http.ResponseWriter, r *http.Request) error {
	seq, err := int64Param(r, "seq", -1)
	if err != nil {
		return err
	}
	if seq < 0 {
		return &errs.FieldErrors{List: []errs.FieldError{{Field: "seq", Reason: errs.Message{JA: "指定してください", EN: "is required"}}}}
	}
	size, err := int64Param(r, "size", 0)
	if err != nil {
		return err
	}
	p, err := audit.ProveInclusion(r.Context(), s.db, seq, size)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

// auditConsistency proves that a later checkpoint extends an earlier one.
func (s *Server) auditConsistency(w http.ResponseWriter, r *http.Request) error {
	from, err := int64Param(r, "from", 0)
	if err != nil {
		return err
	}
	to, err := int64Param(r, "to", 0)
	if err != nil {
		return err
	}
	p, err := audit.ProveConsistency(r.Context(), s.db, from, to)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}
