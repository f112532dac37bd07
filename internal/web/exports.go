package web

import (
	"net/http"
	"strconv"
	"strings"

	"bango/internal/errs"
	"bango/internal/export"
)

// The export pages (R-AC-5), in the session's municipality.

type exportsData struct {
	Kinds    []export.Kind
	Requests []export.Request
}

func (s *Server) exportsPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderExports(w, r, http.StatusOK, "", nil)
}

func (s *Server) renderExports(w http.ResponseWriter, r *http.Request, status int, problem string, form map[string]string) error {
	b := &s.biz
	sess := sessionFrom(r.Context())
	p := s.newPage(r, "exports.title", sess)
	mine, err := b.Exports.List(r.Context(), sess.Tenant, sess.User.ID, "")
	if err != nil {
		return err
	}
	p.Data, p.Error = exportsData{Kinds: b.Exports.Kinds(), Requests: mine}, problem
	if form != nil {
		p.Form = form
	}
	if r.URL.Query().Get("done") == "asked" {
		p.Notice = tr(p.Lang, "exports.asked")
	}
	return s.render(w, r, status, "exports", p)
}

func (s *Server) askExport(w http.ResponseWriter, r *http.Request) error {
	b := &s.biz
	sess := sessionFrom(r.Context())
	f, err := formValues(r, "kind", "reason", "include_mynumber")
	if err == nil {
		_, err = b.Exports.Ask(r.Context(), sess.User, sess.Tenant, f["kind"], "csv", f["reason"], f["include_mynumber"] == "yes")
	}
	if err != nil {
		msg, ok := problemText(lang(r), err)
		if !ok {
			return err
		}
		return s.renderExports(w, r, problemStatus(err), msg, f)
	}
	http.Redirect(w, r, "/exports?done=asked", http.StatusSeeOther)
	return nil
}

func exportID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.E(errs.NotFound, "no export request %q", r.PathValue("id"))
	}
	return id, nil
}

// downloadExport sends the approved file once; the request ID is in the
// file name and on every row.
func (s *Server) downloadExport(w http.ResponseWriter, r *http.Request) error {
	b := &s.biz
	id, err := exportID(r)
	if err != nil {
		return err
	}
	sess := sessionFrom(r.Context())
	req, err := b.Exports.Get(r.Context(), sess.Tenant, id)
	if err != nil {
		return err
	}
	name := "bango-export-" + strconv.FormatInt(id, 10) + "-" + req.Kind + ".csv"
	// The headers go out only once the service has written its event and
	// begins the file; a refusal becomes an error page instead.
	hw := &headerOnWrite{ResponseWriter: w, set: func(h http.Header) {
		h.Set("Content-Type", "text/csv; charset=utf-8")
		h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	}}
	if _, err := b.Exports.Download(r.Context(), sess.User, sess.Tenant, id, s.users.SecondFactorRecent(*sess), hw); err != nil {
		if hw.wrote {
			s.log.ErrorContext(r.Context(), "export interrupted", "export", id, "err", err)
			return nil
		}
		msg, ok := problemText(lang(r), err)
		if !ok {
			return err
		}
		return s.renderExports(w, r, problemStatus(err), msg, nil)
	}
	return nil
}

// headerOnWrite sets download headers just before the first byte.
type headerOnWrite struct {
	http.ResponseWriter
	set   func(http.Header)
	wrote bool
}

func (h *headerOnWrite) Write(b []byte) (int, error) {
	if !h.wrote {
		h.wrote = true
		h.set(h.Header())
	}
	return h.ResponseWriter.Write(b)
}

func (s *Server) pendingExports(w http.ResponseWriter, r *http.Request) error {
	return s.renderPendingExports(w, r, http.StatusOK, "")
}

func (s *Server) renderPendingExports(w http.ResponseWriter, r *http.Request, status int, problem string) error {
	b := &s.biz
	sess := sessionFrom(r.Context())
	p := s.newPage(r, "exports.pending.title", sess)
	pending, err := b.Exports.List(r.Context(), sess.Tenant, 0, export.Pending)
	if err != nil {
		return err
	}
	p.Data, p.Error = pending, problem
	switch r.URL.Query().Get("done") {
	case "approved":
		p.Notice = tr(p.Lang, "pending.approved")
	case "rejected":
		p.Notice = tr(p.Lang, "pending.rejected")
	}
	return s.render(w, r, status, "exportpending", p)
}

func (s *Server) decideExport(w http.ResponseWriter, r *http.Request) error {
	b := &s.biz
	id, err := exportID(r)
	if err != nil {
		return err
	}
	sess := sessionFrom(r.Context())
	f, err := formValues(r, "note")
	if err != nil {
		return err
	}
	decide, done := b.Exports.Approve, "approved"
	if strings.HasSuffix(r.URL.Path, "/reject") {
		decide, done = b.Exports.Reject, "rejected"
	}
	if _, err := decide(r.Context(), sess.User, sess.Tenant, id, f["note"]); err != nil {
		return formProblem(r, err, func(status int, msg string) error { return s.renderPendingExports(w, r, status, msg) })
	}
	http.Redirect(w, r, "/exports/pending?done="+done, http.StatusSeeOther)
	return nil
}
