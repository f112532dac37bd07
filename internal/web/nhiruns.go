package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"bango/internal/errs"
	"bango/internal/nhi"
)

// The yearly 70–74 cost-share decision's screen (R-NHI-3): an NHI
// administrator starts the decision of a fiscal year for the session's
// municipality, watches its progress and reads its report; the same runs
// as `bango nhi cost-share`.

// nhiRunsData is the runs page: the form and the latest runs.
type nhiRunsData struct {
	Runs []nhi.CostShareRun
}

// costShareYear is the fiscal year whose period (1 August to 31 July)
// holds today in Japan.
func costShareYear() int {
	now := time.Now().In(jst)
	if now.Month() < time.August {
		return now.Year() - 1
	}
	return now.Year()
}

func (s *Server) nhiRunsPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderNHIRuns(w, r, http.StatusOK, refusal{}, nil)
}

func (s *Server) renderNHIRuns(w http.ResponseWriter, r *http.Request, status int, problem refusal, form map[string]string) error {
	sess := sessionFrom(r.Context())
	p := s.newPage(r, "nhi.runs.title", sess)
	runs, err := s.biz.NHI.CostShareRuns(r.Context(), sess.Tenant)
	if err != nil {
		return err
	}
	p.fill(r, nhiRunsData{Runs: runs}, problem, form, nil)
	if p.Form["fiscal_year"] == "" {
		p.Form["fiscal_year"] = strconv.Itoa(costShareYear())
	}
	return s.render(w, r, status, "nhiruns", p)
}

var msgRunYear = errs.Message{JA: "年度を西暦4桁の数字で入力してください", EN: "must be a fiscal year of 4 digits"}

// runYear reads a fiscal year as typed.
func runYear(v string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || len(strings.TrimSpace(v)) != 4 {
		var fe errs.FieldErrors
		fe.Add("fiscal_year", msgRunYear)
		return 0, fe.Err()
	}
	return n, nil
}

func (s *Server) nhiRunsPost(w http.ResponseWriter, r *http.Request) error {
	f, err := postedForm(r, "fiscal_year")
	if err != nil {
		return err
	}
	year, err := runYear(f["fiscal_year"])
	var run nhi.CostShareRun
	if err == nil {
		run, err = s.biz.NHI.StartCostShareRun(r.Context(), sessionFrom(r.Context()).Tenant, year)
	}
	if err != nil {
		return formProblem(r, err, func(status int, msg refusal) error { return s.renderNHIRuns(w, r, status, msg, f) })
	}
	http.Redirect(w, r, "/nhi/cost-share/runs/"+strconv.FormatInt(run.ID, 10), http.StatusSeeOther)
	return nil
}

// nhiRunPage is one run: its progress bar while it runs (the page asks
// again every two seconds) and its report once done.
func (s *Server) nhiRunPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "run")
	if err != nil {
		return err
	}
	sess := sessionFrom(r.Context())
	run, err := s.biz.NHI.CostShareRun(r.Context(), sess.Tenant, id)
	if err != nil {
		return err
	}
	if run.Status == "running" {
		w.Header().Set("Refresh", "2")
	}
	p := s.newPage(r, "nhi.run.title", sess)
	p.Data = run
	return s.render(w, r, http.StatusOK, "nhirun", p)
}

// runBody is the fiscal year a run decides.
type runBody struct {
	FiscalYear int `json:"fiscal_year"`
}

func (s *Server) apiNHIRunStart(w http.ResponseWriter, r *http.Request) error {
	var in runBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	run, err := s.biz.NHI.StartCostShareRun(r.Context(), sessionFrom(r.Context()).Tenant, in.FiscalYear)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, run)
	return nil
}

func (s *Server) apiNHIRun(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "run")
	if err != nil {
		return err
	}
	run, err := s.biz.NHI.CostShareRun(r.Context(), sessionFrom(r.Context()).Tenant, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, run)
	return nil
}
