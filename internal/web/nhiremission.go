package web

import (
	"net/http"
	"sort"
	"strconv"
	"strings"

	"bango/internal/errs"
	"bango/internal/nhi/assess"
	"bango/internal/review"
)

// 減免 on application (issue 19; R-NHI-4, R-ACC-1): a clerk enters a
// household's application, it waits in the review queue (kind
// nhi.remission), and the checker's confirmation re-assesses the
// household. The page lists the decisions with the re-assessment each gave.

// remissionFields are the application form's inputs (assess.RemissionInput).
var remissionFields = []string{"household", "fiscal_year", "reason", "from_month", "to_month", "note"}

var remissionNotices = map[string]string{"submitted": "nhi.remission.submitted"}

type remissionReason struct{ Code, Name string }

type nhiRemissionsData struct {
	Reasons   []remissionReason // of the rate tables in force, each once
	Decisions []remissionRow
}

type remissionRow struct {
	D       assess.RemissionDecision
	Percent string
}

func (s *Server) nhiRemissionsPage(w http.ResponseWriter, r *http.Request) error {
	fy := fiscalYearNow()
	return s.renderNHIRemissions(w, r, http.StatusOK, refusal{}, map[string]string{"fiscal_year": strconv.Itoa(fy),
		"from_month": strconv.Itoa(fy) + "-04", "to_month": strconv.Itoa(fy+1) + "-03", "household": r.URL.Query().Get("household")})
}

func (s *Server) renderNHIRemissions(w http.ResponseWriter, r *http.Request, status int, problem refusal, f map[string]string) error {
	sess := sessionFrom(r.Context())
	vs, err := s.biz.Assess.RateTables(r.Context(), sess.Tenant, 0)
	if err != nil {
		return err
	}
	ds, err := s.biz.Assess.Remissions(r.Context(), sess.Tenant, 0, 0)
	if err != nil {
		return err
	}
	d := nhiRemissionsData{}
	seen := map[string]bool{}
	for _, v := range vs {
		if !v.InForce {
			continue
		}
		for _, rule := range v.Table.Remissions {
			if !seen[rule.Code] {
				seen[rule.Code] = true
				d.Reasons = append(d.Reasons, remissionReason{Code: rule.Code, Name: rule.NameJA})
			}
		}
	}
	sort.Slice(d.Reasons, func(i, j int) bool { return d.Reasons[i].Code < d.Reasons[j].Code })
	for _, x := range ds {
		d.Decisions = append(d.Decisions, remissionRow{D: x, Percent: strconv.Itoa(x.Rule.Percent) + "%"})
	}
	p := s.newPage(r, "nhi.remission.title", sess)
	p.fill(r, d, problem, f, remissionNotices)
	return s.render(w, r, status, "nhiremissions", p)
}

// remissionOf reads the form: numbers that are not numbers are refused
// here, naming their inputs; every other rule is the service's.
func remissionOf(f map[string]string) (assess.RemissionInput, error) {
	var fe errs.FieldErrors
	in := assess.RemissionInput{Reason: f["reason"], FromMonth: strings.TrimSpace(f["from_month"]), ToMonth: strings.TrimSpace(f["to_month"]), Note: f["note"]}
	hh, err := strconv.ParseInt(strings.TrimSpace(f["household"]), 10, 64)
	if err != nil || hh <= 0 {
		fe.Add("household", errs.Message{JA: "世帯番号（数字）を入力してください", EN: "must be the household's number, in digits"})
	}
	fy, err := strconv.Atoi(strings.TrimSpace(f["fiscal_year"]))
	if err != nil {
		fe.Add("fiscal_year", msgEstimateFY)
	}
	in.Household, in.FiscalYear = hh, fy
	return in, fe.Err()
}

func (s *Server) nhiRemissionsPost(w http.ResponseWriter, r *http.Request) error {
	f, err := postedForm(r, remissionFields...)
	if err != nil {
		return err
	}
	in, err := remissionOf(f)
	if err == nil {
		_, err = s.submitNHI(r, func(tenant string) (review.Proposal, error) {
			return s.biz.Assess.ProposeRemission(r.Context(), tenant, in)
		})
	}
	if err != nil {
		return formProblem(r, err, func(status int, msg refusal) error { return s.renderNHIRemissions(w, r, status, msg, f) })
	}
	http.Redirect(w, r, "/nhi/remissions?done=submitted", http.StatusSeeOther)
	return nil
}

type nhiRemissionsAnswer struct {
	Remissions []assess.RemissionDecision `json:"remissions"`
}

func (s *Server) apiNHIRemissions(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var fe errs.FieldErrors
	var fy int
	var hh int64
	var err error
	if v := strings.TrimSpace(q.Get("fiscal_year")); v != "" {
		if fy, err = strconv.Atoi(v); err != nil {
			fe.Add("fiscal_year", msgEstimateFY)
		}
	}
	if v := strings.TrimSpace(q.Get("household")); v != "" {
		if hh, err = strconv.ParseInt(v, 10, 64); err != nil {
			fe.Add("household", errs.Message{JA: "世帯番号（数字）です", EN: "must be the household's number"})
		}
	}
	if err := fe.Err(); err != nil {
		return err
	}
	ds, err := s.biz.Assess.Remissions(r.Context(), sessionFrom(r.Context()).Tenant, fy, hh)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, nhiRemissionsAnswer{Remissions: ds})
	return nil
}

func (s *Server) apiNHIRemissionPost(w http.ResponseWriter, r *http.Request) error {
	var in assess.RemissionInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	c, err := s.submitNHI(r, func(tenant string) (review.Proposal, error) {
		return s.biz.Assess.ProposeRemission(r.Context(), tenant, in)
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, c)
	return nil
}
