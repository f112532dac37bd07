package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"bango/internal/access"
	"bango/internal/errs"
	"bango/internal/nhi/assess"
	"bango/internal/nhi/premium"
	"bango/internal/review"
)

// The premium's entry screens (issue 19; R-NHI-4, R-ACC-1): a rate table
// typed part by part into a form and filed for a checker's confirmation in
// the review queue (a correction is a new version), a person's revenue of
// an income year, and the bulk print view of a fiscal year's decision
// notices (保険料決定通知書), a page of them at a time.

// rateParts are the parts a rate table's form offers, in the order the
// ordinance prints them; a fiscal year without a part (子ども・子育て支援金分
// before 2026) leaves its row empty.
var rateParts = []string{"medical", "support", "care", "child"}

// ratePartFields are a part row's inputs, <part>_<field> on the form.
var ratePartFields = []string{"income_rate", "per_capita", "per_household", "cap", "rounding", "adult_surcharge"}

type ratePartRow struct {
	Part   string
	Fields []string // the inputs' names, in ratePartFields order
}

// nhiRatesData is the rate tables page: the confirmed versions and the
// entry form.
type nhiRatesData struct {
	Versions []assess.RateVersion
	Parts    []ratePartRow
	CanEnter bool // holds nhi.admin: rate tables are the NHI administrator's to enter
}

var rateNotices = map[string]string{"submitted": "nhi.rates.submitted"}

func rateFormNames() []string {
	names := []string{"fiscal_year", "version", "source", "instalment_months", "instalment_unit"}
	for _, p := range rateParts {
		for _, f := range ratePartFields {
			names = append(names, p+"_"+f)
		}
	}
	return names
}

func (s *Server) nhiRatesPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderNHIRates(w, r, http.StatusOK, refusal{}, nil)
}

func (s *Server) renderNHIRates(w http.ResponseWriter, r *http.Request, status int, problem refusal, f map[string]string) error {
	sess := sessionFrom(r.Context())
	vs, err := s.biz.Assess.RateTables(r.Context(), sess.Tenant, 0)
	if err != nil {
		return err
	}
	p := s.newPage(r, "nhi.rates.title", sess)
	d := nhiRatesData{Versions: vs, CanEnter: p.Rights.Has(access.NHIAdmin, sess.Tenant)}
	for _, part := range rateParts {
		row := ratePartRow{Part: part}
		for _, k := range ratePartFields {
			row.Fields = append(row.Fields, part+"_"+k)
		}
		d.Parts = append(d.Parts, row)
	}
	if f == nil {
		f = map[string]string{"fiscal_year": strconv.Itoa(fiscalYearNow() + 1), "instalment_months": "6,7,8,9,10,11,12,1,2,3", "instalment_unit": "100"}
		for _, part := range rateParts {
			f[part+"_rounding"] = "100"
		}
	}
	p.fill(r, d, problem, f, rateNotices)
	return s.render(w, r, status, "nhirates", p)
}

func fiscalYearNow() int {
	now := time.Now().In(jst)
	if now.Month() < time.April {
		return now.Year() - 1
	}
	return now.Year()
}

var (
	msgRateInt    = errs.Message{JA: "0以上の金額（円、数字）で入力してください", EN: "must be an amount of yen, 0 or more, in digits"}
	msgRateMonths = errs.Message{JA: "納期の月を1〜12の数字で、読点かカンマで区切って入力してください（例 7,8,9,10,11,12,1,2）", EN: "must be the months due, 1 to 12, separated by commas (7,8,9,10,11,12,1,2)"}
)

// rateTableOf reads the form into a rate table of tenant: a part whose
// row is left wholly empty is left out (and refused by the service when
// the year has it). Figures that are not numbers are refused here, naming
// their inputs; every rule of the year is the service's.
func rateTableOf(tenant string, f map[string]string) (int, premium.RateTable, error) {
	var fe errs.FieldErrors
	fy, err := strconv.Atoi(f["fiscal_year"])
	if err != nil {
		fe.Add("fiscal_year", msgEstimateFY)
	}
	t := premium.RateTable{Municipality: tenant, FiscalYear: fy, Version: f["version"], Source: f["source"], Parts: map[string]premium.PartRates{}}
	num := func(name string) int64 {
		v := strings.NewReplacer(",", "", "，", "", "円", "").Replace(f[name])
		if v == "" {
			return 0
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 || strings.ContainsAny(v, "+-") {
			fe.Add(name, msgRateInt)
		}
		return n
	}
	for _, part := range rateParts {
		empty := true
		for _, k := range ratePartFields {
			if f[part+"_"+k] != "" {
				empty = false
			}
		}
		if empty {
			continue
		}
		t.Parts[part] = premium.PartRates{IncomeRate: f[part+"_income_rate"], PerCapita: num(part + "_per_capita"), PerHousehold: num(part + "_per_household"),
			Cap: num(part + "_cap"), Rounding: num(part + "_rounding"), AdultSurcharge: num(part + "_adult_surcharge")}
	}
	for _, m := range strings.FieldsFunc(f["instalment_months"], func(r rune) bool { return r == ',' || r == '、' || r == '，' || r == ' ' }) {
		n, err := strconv.Atoi(m)
		if err != nil {
			fe.Add("instalment_months", msgRateMonths)
			break
		}
		t.Instalments.Months = append(t.Instalments.Months, n)
	}
	t.Instalments.Unit = num("instalment_unit")
	return fy, t, fe.Err()
}

// rateFormField is the form's input of a field the service names.
func rateFormField(field string) string {
	switch {
	case field == "instalments.months":
		return "instalment_months"
	case field == "instalments.unit":
		return "instalment_unit"
	case strings.HasPrefix(field, "parts."):
		part, rest, ok := strings.Cut(strings.TrimPrefix(field, "parts."), ".")
		if !ok {
			return part + "_income_rate" // a part missing: its first input
		}
		return part + "_" + rest
	}
	return field
}

func (s *Server) nhiRatesPost(w http.ResponseWriter, r *http.Request) error {
	f, err := postedForm(r, rateFormNames()...)
	if err != nil {
		return err
	}
	tenant := sessionFrom(r.Context()).Tenant
	fy, t, err := rateTableOf(tenant, f)
	if err == nil {
		var body []byte
		if body, err = json.Marshal(t); err == nil {
			_, err = s.submitNHI(r, func(tenant string) (review.Proposal, error) {
				return s.biz.Assess.ProposeRates(r.Context(), tenant, fy, body)
			})
		}
	}
	if err != nil {
		if fs := errs.Fields(err); len(fs) > 0 {
			out := &errs.FieldErrors{Kind: errs.KindOf(err)}
			for _, x := range fs {
				x.Field = rateFormField(x.Field)
				out.List = append(out.List, x)
			}
			err = out
		}
		return formProblem(r, err, func(status int, msg refusal) error { return s.renderNHIRates(w, r, status, msg, f) })
	}
	http.Redirect(w, r, "/nhi/rates?done=submitted", http.StatusSeeOther)
	return nil
}

// revenueFields are the revenue form's inputs (assess.RevenueInput).
var revenueFields = []string{"resident_code", "income_year", "salary_revenue", "pension_revenue", "other_income"}

var revenueNotices = map[string]string{"recorded": "nhi.revenue.recorded"}

func (s *Server) nhiRevenuePage(w http.ResponseWriter, r *http.Request) error {
	return s.renderNHIRevenue(w, r, http.StatusOK, refusal{}, map[string]string{"income_year": strconv.Itoa(fiscalYearNow() - 1),
		"salary_revenue": "0", "pension_revenue": "0", "other_income": "0"})
}

func (s *Server) renderNHIRevenue(w http.ResponseWriter, r *http.Request, status int, problem refusal, f map[string]string) error {
	p := s.newPage(r, "nhi.revenue.title", sessionFrom(r.Context()))
	p.fill(r, nil, problem, f, revenueNotices)
	return s.render(w, r, status, "nhirevenue", p)
}

func (s *Server) nhiRevenuePost(w http.ResponseWriter, r *http.Request) error {
	f, err := postedForm(r, revenueFields...)
	if err != nil {
		return err
	}
	in := assess.RevenueInput{ResidentCode: f["resident_code"], IncomeYear: f["income_year"], SalaryRevenue: f["salary_revenue"],
		PensionRevenue: f["pension_revenue"], OtherIncome: f["other_income"]}
	if err := s.biz.Assess.RecordRevenue(r.Context(), sessionFrom(r.Context()).Tenant, in); err != nil {
		return formProblem(r, err, func(status int, msg refusal) error { return s.renderNHIRevenue(w, r, status, msg, f) })
	}
	http.Redirect(w, r, "/nhi/revenues?done=recorded", http.StatusSeeOther)
	return nil
}

// nhiNoticesData is the bulk print view of a fiscal year's notices.
type nhiNoticesData struct {
	Batch      assess.NoticeBatch
	Tenant     string
	Notices    []nhiNoticeData
	Prev, Next int // page numbers; 0 for none
}

func (s *Server) nhiNoticesPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var fe errs.FieldErrors
	fy, err := strconv.Atoi(strings.TrimSpace(q.Get("fiscal_year")))
	if err != nil {
		fe.Add("fiscal_year", msgEstimateFY)
	}
	page := 1
	if v := strings.TrimSpace(q.Get("page")); v != "" {
		if page, err = strconv.Atoi(v); err != nil {
			fe.Add("page", errs.Message{JA: "1以上のページ番号です", EN: "must be a page number, 1 or more"})
		}
	}
	if err := fe.Err(); err != nil {
		return err
	}
	sess := sessionFrom(r.Context())
	b, err := s.biz.Assess.Notices(r.Context(), sess.Tenant, fy, page)
	if err != nil {
		return err
	}
	p := s.newPage(r, "nhi.notices.title", sess)
	d := nhiNoticesData{Batch: b, Tenant: sess.Tenant}
	for _, n := range b.Notices {
		d.Notices = append(d.Notices, nhiNoticeData{Notice: n, Tenant: sess.Tenant, Lang: p.Lang, assessmentView: assessmentViewOf(n.Assessment)})
	}
	if page > 1 {
		d.Prev = page - 1
	}
	if page < b.Pages {
		d.Next = page + 1
	}
	p.Data = d
	return s.render(w, r, http.StatusOK, "nhinotices", p)
}
