package web

import (
	"net/http"

	"time"

	"bango/internal/civil"
	"bango/internal/nhi/assess"
)

// 出産の届出 (issue 19; R-NHI-4): a birth, expected or actual, notified
// for the 産前産後 exemption of the premium; the next assessment run
// exempts the months.

var birthFields = []string{"resident_code", "kind", "birth_month", "multiple", "notified_on"}

var birthNotices = map[string]string{"recorded": "nhi.birth.recorded"}

func (s *Server) nhiBirthPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderNHIBirth(w, r, http.StatusOK, refusal{}, map[string]string{"kind": "expected", "notified_on": civil.Format(civil.Today(time.Now()))})
}

func (s *Server) renderNHIBirth(w http.ResponseWriter, r *http.Request, status int, problem refusal, f map[string]string) error {
	p := s.newPage(r, "nhi.birth.title", sessionFrom(r.Context()))
	p.fill(r, nil, problem, f, birthNotices)
	return s.render(w, r, status, "nhibirths", p)
}

func (s *Server) nhiBirthPost(w http.ResponseWriter, r *http.Request) error {
	f, err := postedForm(r, birthFields...)
	if err != nil {
		return err
	}
	in := assess.BirthInput{ResidentCode: f["resident_code"], Kind: f["kind"], BirthMonth: f["birth_month"], Multiple: f["multiple"] != "", NotifiedOn: f["notified_on"]}
	if err := s.biz.Assess.RecordBirth(r.Context(), sessionFrom(r.Context()).Tenant, in); err != nil {
		return formProblem(r, err, func(status int, msg refusal) error { return s.renderNHIBirth(w, r, status, msg, f) })
	}
	http.Redirect(w, r, "/nhi/births?done=recorded", http.StatusSeeOther)
	return nil
}

func (s *Server) apiNHIBirth(w http.ResponseWriter, r *http.Request) error {
	var in assess.BirthInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.biz.Assess.RecordBirth(r.Context(), sessionFrom(r.Context()).Tenant, in); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, in)
	return nil
}

func (s *Server) apiNHIPensionNotice(w http.ResponseWriter, r *http.Request) error {
	var in assess.PensionNoticeInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.biz.Assess.RecordPensionNotice(r.Context(), sessionFrom(r.Context()).Tenant, in); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, in)
	return nil
}
