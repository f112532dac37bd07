package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"bango/internal/access"
	"bango/internal/errs"
	"bango/internal/nhi/assess"
	"bango/internal/nhi/premium"
	"bango/internal/review"
)

// The NHI premium (issue 19; R-NHI-4): the estimate form (保険料試算)
// staff type a household into, a household's assessments with their
// history, the premium decision notice (保険料決定通知書) as a resident
// receives it, and the rate tables through the API. The assess service
// checks every rule, scopes every read to the session's municipality
// (R-AC-6) and records every read and change.

// estimateRows is how many member rows the estimate form offers; rows
// left empty are ignored. Row 1 is the head.
const estimateRows = 6

// estimateMemberFields are a member row's inputs, m<n>_<field> on the form.
var estimateMemberFields = []string{"age", "insured", "salary_revenue", "pension_revenue", "other_income", "birth_month"}

type estimateRow struct {
	N      int
	Fields map[string]string // by estimateMemberFields, the value typed
}

// nhiEstimateData is the estimate page: the form and, once computed, the
// breakdown.
type nhiEstimateData struct {
	Rows   []estimateRow
	Result *premiumView
}

// premiumView is a premium's breakdown as the pages print it: amounts
// with thousands separators.
type premiumView struct {
	FiscalYear                 int
	Rates, Rules, IncomeTables string
	Reduction                  int  // 70, 50, 20 or 0
	Wari                       int  // the reduction in 割: 7, 5, 2
	Undeclared                 bool // a member's income is not declared (未申告): no reduction
	Parts                      []partRow
	Total                      string
	Instalments                []instalmentRow
	Remissions                 []remissionLine // 減免, when any
	BeforeRemission            string
	Special                    bool // collected from the head's pension (特別徴収)
	// Provisional is last February's amount from the pension each 仮徴収
	// month takes ("" when the year is spread over the pension months);
	// ProvisionalOver says they were cut to the year's premium.
	Provisional     string
	ProvisionalOver bool
	// ProvisionalStopped: collected from the pension last year but not
	// this year, the 仮徴収 taken before the decision stands and the rest
	// is ordinary.
	ProvisionalStopped bool
	Refund             string // 仮徴収 over the year's premium ("" when none)
	SpecialFrom        string // YYYY-MM a household newly collected from the pension starts
	// Relief lists, for each part with a 特定世帯 relief in some month, the
	// months charged 平等割 at each relief.
	Relief []reliefRow
}

type reliefRow struct {
	Part  string
	Spans []reliefSpan
}

type reliefSpan struct {
	From   string
	Months int
	Label  string // the i18n key of the relief
	Rate   string // the year's 平等割 at it, before the reduction
}

type remissionLine struct {
	Name, From, To string
	Months         int
	Amount         string
}

type partRow struct{ Name, Rate, Income, Equal, Household, CapCut, Amount string }

type instalmentRow struct {
	No            int
	Month, Amount string
	Phase         string // provisional (仮徴収), final (本徴収) or ""
}

type changeRow struct{ Name, Before, After, Difference string }

// yen writes an amount of yen with thousands separators.
func yen(n int64) string {
	if n < 0 {
		return "-" + yen(-n)
	}
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// signedYen writes a difference with its sign.
func signedYen(n int64) string {
	if n > 0 {
		return "+" + yen(n)
	}
	return yen(n)
}

func viewOf(r premium.Result) premiumView {
	v := premiumView{FiscalYear: r.FiscalYear, Rates: r.RatesVersion, Rules: r.RulesVersion, IncomeTables: r.IncomeTable,
		Reduction: r.Reduction.Percent, Wari: r.Reduction.Percent / 10, Total: yen(r.Total),
		Undeclared: len(r.Reduction.Undeclared) > 0}
	for _, p := range r.Parts {
		v.Parts = append(v.Parts, partRow{Name: p.NameJA, Rate: p.IncomeRate.String() + "%", Income: yen(p.Income), Equal: yen(p.Equal),
			Household: yen(p.Household), CapCut: yen(p.CapCut), Amount: yen(p.Amount)})
		if len(p.HouseholdMonths) > 0 {
			row := reliefRow{Part: p.NameJA}
			for _, m := range p.HouseholdMonths {
				label := "nhi.premium.relief.none"
				if m.Relief != "" {
					label = "nhi.premium.relief." + m.Relief
				}
				row.Spans = append(row.Spans, reliefSpan{From: m.From, Months: m.Months, Label: label, Rate: yen(m.Rate)})
			}
			v.Relief = append(v.Relief, row)
		}
	}
	for _, i := range r.Instalments {
		v.Instalments = append(v.Instalments, instalmentRow{No: i.No, Month: i.Month, Amount: yen(i.Amount), Phase: i.Phase})
	}
	for _, m := range r.Remissions {
		v.Remissions = append(v.Remissions, remissionLine{Name: m.Rule.NameJA, From: m.FromMonth, To: m.ToMonth, Months: m.Months, Amount: yen(m.Amount)})
	}
	if len(r.Remissions) > 0 {
		v.BeforeRemission = yen(r.BeforeRemission)
	}
	v.Special = r.Collection.Method == premium.Special
	provisional := false
	for _, i := range r.Instalments {
		provisional = provisional || i.Phase == "provisional"
	}
	if provisional && r.Collection.ProvisionalBase > 0 {
		v.Provisional, v.ProvisionalOver = yen(r.Collection.ProvisionalBase), r.Collection.ProvisionalOver
		v.ProvisionalStopped = !v.Special
	}
	if r.Collection.Refund > 0 {
		v.Refund = yen(r.Collection.Refund)
	}
	if v.Special {
		v.SpecialFrom = r.Collection.SpecialFrom
	}
	return v
}

// assessmentView is one assessment as the history page shows it.
type assessmentView struct {
	A                    assess.Assessment
	View                 premiumView
	Previous, Difference string // a re-assessment only
	Changes              []changeRow
}

func assessmentViewOf(a assess.Assessment) assessmentView {
	v := assessmentView{A: a, View: viewOf(a.Result)}
	if a.PreviousTotal != nil {
		v.Previous, v.Difference = yen(*a.PreviousTotal), signedYen(a.Difference)
	}
	for _, c := range a.Changes {
		v.Changes = append(v.Changes, changeRow{Name: c.NameJA, Before: yen(c.Before), After: yen(c.After), Difference: signedYen(c.Difference)})
	}
	return v
}

func estimateForm(f map[string]string) []estimateRow {
	rows := make([]estimateRow, estimateRows)
	for i := range rows {
		rows[i] = estimateRow{N: i + 1, Fields: map[string]string{}}
		for _, k := range estimateMemberFields {
			rows[i].Fields[k] = f[fmt.Sprintf("m%d_%s", i+1, k)]
		}
	}
	return rows
}

func (s *Server) nhiEstimatePage(w http.ResponseWriter, r *http.Request) error {
	return s.renderNHIEstimate(w, r, http.StatusOK, refusal{}, map[string]string{"m1_insured": "on"}, nil)
}

func (s *Server) renderNHIEstimate(w http.ResponseWriter, r *http.Request, status int, problem refusal, f map[string]string, res *premiumView) error {
	sess := sessionFrom(r.Context())
	p := s.newPage(r, "nhi.estimate.title", sess)
	for k, v := range f {
		p.Form[k] = v
	}
	if p.Form["fiscal_year"] == "" {
		now := time.Now().In(jst)
		fy := now.Year()
		if now.Month() < time.April {
			fy--
		}
		p.Form["fiscal_year"] = strconv.Itoa(fy)
	}
	p.refuse(problem)
	p.Data = nhiEstimateData{Rows: estimateForm(f), Result: res}
	return s.render(w, r, status, "nhiestimate", p)
}

var (
	msgEstimateYen = errs.Message{JA: "0以上の金額（円、数字）で入力してください", EN: "must be an amount of yen, 0 or more, in digits"}
	msgEstimateAge = errs.Message{JA: "年齢は0〜130の数字で入力してください", EN: "must be an age from 0 to 130, in digits"}
	msgEstimateFY  = errs.Message{JA: "年度は西暦4桁で入力してください", EN: "must be a fiscal year, four digits"}
	engineField    = regexp.MustCompile(`^household\.members\[(\d+)\]\.(\w+)$`)
)

// parseEstimate reads the form into an estimate: each row with anything
// typed is a member, row 1 the head. A wrong entry names its field.
func parseEstimate(f map[string]string) (assess.EstimateInput, []int, error) {
	var fe errs.FieldErrors
	var in assess.EstimateInput
	fy, err := strconv.Atoi(f["fiscal_year"])
	if err != nil {
		fe.Add("fiscal_year", msgEstimateFY)
	}
	in.FiscalYear = fy
	var rows []int // the form row of each member
	yen := func(name string) int64 {
		v := strings.NewReplacer(",", "", "円", "").Replace(f[name])
		if v == "" {
			return 0
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			fe.Add(name, msgEstimateYen)
		}
		return n
	}
	for i := 1; i <= estimateRows; i++ {
		name := func(k string) string { return fmt.Sprintf("m%d_%s", i, k) }
		if f[name("age")] == "" && f[name("salary_revenue")] == "" && f[name("pension_revenue")] == "" && f[name("other_income")] == "" {
			continue
		}
		m := premium.Member{ID: fmt.Sprintf("%d", i), Head: i == 1, Insured: f[name("insured")] != ""}
		age, err := strconv.Atoi(f[name("age")])
		if err != nil || age < 0 || age > 130 {
			fe.Add(name("age"), msgEstimateAge)
		}
		m.Age = &age
		m.SalaryRevenue, m.PensionRevenue, m.OtherIncome = yen(name("salary_revenue")), yen(name("pension_revenue")), yen(name("other_income"))
		// The month of an expected (or actual) birth, for the 産前産後
		// exemption: the engine checks it (YYYY-MM, an insured member).
		m.BirthMonth = strings.TrimSpace(f[name("birth_month")])
		in.Household.Members = append(in.Household.Members, m)
		rows = append(rows, i)
	}
	return in, rows, fe.Err()
}

// formFields renames the engine's household.members[i].field to the
// form's m<row>_field, so that the refusal marks the input typed; a field
// the form has no input for is named on the age of its row.
func formFields(err error, rows []int) error {
	fs := errs.Fields(err)
	if len(fs) == 0 {
		return err
	}
	out := &errs.FieldErrors{Kind: errs.KindOf(err)}
	for _, f := range fs {
		if m := engineField.FindStringSubmatch(f.Field); m != nil {
			i, _ := strconv.Atoi(m[1])
			field := m[2]
			if field == "birth_date" {
				field = "age"
			}
			known := false
			for _, k := range estimateMemberFields {
				known = known || k == field
			}
			if !known {
				field = "age"
			}
			if i < len(rows) {
				f.Field = fmt.Sprintf("m%d_%s", rows[i], field)
			}
		} else if strings.HasPrefix(f.Field, "household.") {
			f.Field = "m1_age"
		}
		out.List = append(out.List, f)
	}
	return out
}

func (s *Server) nhiEstimatePost(w http.ResponseWriter, r *http.Request) error {
	names := []string{"fiscal_year"}
	for i := 1; i <= estimateRows; i++ {
		for _, k := range estimateMemberFields {
			names = append(names, fmt.Sprintf("m%d_%s", i, k))
		}
	}
	f, err := postedForm(r, names...)
	if err != nil {
		return err
	}
	in, rows, err := parseEstimate(f)
	var res premium.Result
	if err == nil {
		// The estimate's members are the form's rows: their labels are the row numbers.
		res, err = s.biz.Assess.Estimate(r.Context(), sessionFrom(r.Context()).Tenant, in)
		err = formFields(err, rows)
	}
	if err != nil {
		return formProblem(r, err, func(status int, msg refusal) error { return s.renderNHIEstimate(w, r, status, msg, f, nil) })
	}
	v := viewOf(res)
	return s.renderNHIEstimate(w, r, http.StatusOK, refusal{}, f, &v)
}

// nhiAssessmentsData is a household's assessments page.
type nhiAssessmentsData struct {
	Household   int64
	Assessments []assessmentView
}

func (s *Server) nhiAssessmentsPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "household")
	if err != nil {
		return err
	}
	sess := sessionFrom(r.Context())
	list, err := s.biz.Assess.History(r.Context(), sess.Tenant, id)
	if err != nil {
		return err
	}
	p := s.newPage(r, "nhi.assessments.title", sess)
	d := nhiAssessmentsData{Household: id, Assessments: []assessmentView{}}
	for _, a := range list {
		d.Assessments = append(d.Assessments, assessmentViewOf(a))
	}
	p.Data = d
	return s.render(w, r, http.StatusOK, "nhiassessments", p)
}

// nhiNoticeData is the premium decision notice's print view.
type nhiNoticeData struct {
	Notice assess.Notice
	Tenant string
	Lang   string // the page's: the head is addressed 様 in Japanese
	assessmentView
}

func (s *Server) nhiNoticePage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "assessment")
	if err != nil {
		return err
	}
	sess := sessionFrom(r.Context())
	n, err := s.biz.Assess.Notice(r.Context(), sess.Tenant, id)
	if err != nil {
		return err
	}
	p := s.newPage(r, "nhi.notice.title", sess)
	p.Data = nhiNoticeData{Notice: n, Tenant: sess.Tenant, Lang: p.Lang, assessmentView: assessmentViewOf(n.Assessment)}
	return s.render(w, r, http.StatusOK, "nhinotice", p)
}

// The JSON API.

func (s *Server) apiNHIEstimate(w http.ResponseWriter, r *http.Request) error {
	var in assess.EstimateInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	res, err := s.biz.Assess.Estimate(r.Context(), sessionFrom(r.Context()).Tenant, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// nhiAssessmentsAnswer is a household's assessments, the latest fiscal
// year first and within it the latest first.
type nhiAssessmentsAnswer struct {
	Assessments []assess.Assessment `json:"assessments"`
}

func (s *Server) apiNHIAssessments(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "household")
	if err != nil {
		return err
	}
	list, err := s.biz.Assess.History(r.Context(), sessionFrom(r.Context()).Tenant, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, nhiAssessmentsAnswer{Assessments: list})
	return nil
}

// nhiRatesAnswer is the confirmed versions of the municipality's rate
// tables, the one in force of each year first.
type nhiRatesAnswer struct {
	Versions []assess.RateVersion `json:"versions"`
}

// optionalFiscalYear reads an API's fiscal_year filter: 0 when absent, a
// field error when it is not a number.
func optionalFiscalYear(q url.Values) (int, error) {
	v := strings.TrimSpace(q.Get("fiscal_year"))
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		var fe errs.FieldErrors
		fe.Add("fiscal_year", msgEstimateFY)
		return 0, fe.Err()
	}
	return n, nil
}

func (s *Server) apiNHIRates(w http.ResponseWriter, r *http.Request) error {
	fy, err := optionalFiscalYear(r.URL.Query())
	if err != nil {
		return err
	}
	vs, err := s.biz.Assess.RateTables(r.Context(), sessionFrom(r.Context()).Tenant, fy)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, nhiRatesAnswer{Versions: vs})
	return nil
}

// ratesBody is a rate table entered through the API: its fiscal year and
// the table in the README's format.
type ratesBody struct {
	FiscalYear int               `json:"fiscal_year"`
	Table      premium.RateTable `json:"table"`
}

func (s *Server) apiNHIRatesPost(w http.ResponseWriter, r *http.Request) error {
	var in ratesBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	body, err := json.Marshal(in.Table)
	if err != nil {
		return err
	}
	c, err := s.submitNHI(r, func(tenant string) (review.Proposal, error) {
		return s.biz.Assess.ProposeRates(r.Context(), tenant, in.FiscalYear, body)
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, c)
	return nil
}

func (s *Server) apiNHIRevenue(w http.ResponseWriter, r *http.Request) error {
	var in assess.RevenueInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.biz.Assess.RecordRevenue(r.Context(), sessionFrom(r.Context()).Tenant, in); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, in)
	return nil
}

func (s *Server) nhiAssessModule() webModule {
	read, write := access.NHIRead, access.NHIWrite
	admin := access.NHIAdmin // rate tables are the NHI administrator's to enter (issue 19)
	return webModule{
		name: "nhi.assess",
		routes: []route{
			{pattern: "GET /nhi/estimate", gate: loggedIn, perm: read, where: currentTenant, h: s.nhiEstimatePage},
			{pattern: "POST /nhi/estimate", gate: loggedIn, perm: read, where: currentTenant, h: s.nhiEstimatePost},
			{pattern: "GET /nhi/households/{id}/assessments", gate: loggedIn, perm: read, where: currentTenant, h: s.nhiAssessmentsPage},
			{pattern: "GET /nhi/assessments/{id}/notice", gate: loggedIn, perm: read, where: currentTenant, h: s.nhiNoticePage},
			{pattern: "GET /nhi/notices", gate: loggedIn, perm: read, where: currentTenant, h: s.nhiNoticesPage},
			{pattern: "GET /nhi/rates", gate: loggedIn, perm: read, where: currentTenant, h: s.nhiRatesPage},
			{pattern: "POST /nhi/rates", gate: loggedIn, perm: admin, where: currentTenant, h: s.nhiRatesPost},
			{pattern: "GET /nhi/revenues", gate: loggedIn, perm: write, where: currentTenant, h: s.nhiRevenuePage},
			{pattern: "POST /nhi/revenues", gate: loggedIn, perm: write, where: currentTenant, h: s.nhiRevenuePost},
			{pattern: "GET /nhi/remissions", gate: loggedIn, perm: read, where: currentTenant, h: s.nhiRemissionsPage},
			{pattern: "POST /nhi/remissions", gate: loggedIn, perm: write, where: currentTenant, h: s.nhiRemissionsPost},
			{pattern: "GET /nhi/remissions/{id}", gate: loggedIn, perm: read, where: currentTenant, h: s.nhiRemissionPage},
			{pattern: "POST /nhi/remissions/{id}/change", gate: loggedIn, perm: write, where: currentTenant, h: s.nhiRemissionChangePost},
			{pattern: "GET /nhi/pension-notices", gate: loggedIn, perm: read, where: currentTenant, h: s.nhiPensionPage},
			{pattern: "POST /nhi/pension-notices", gate: loggedIn, perm: write, where: currentTenant, h: s.nhiPensionPost},
			{pattern: "POST /nhi/pension-notices/{id}/withdraw", gate: loggedIn, perm: write, where: currentTenant, h: s.nhiPensionWithdraw},
			{pattern: "GET /nhi/births", gate: loggedIn, perm: write, where: currentTenant, h: s.nhiBirthPage},
			{pattern: "POST /nhi/births", gate: loggedIn, perm: write, where: currentTenant, h: s.nhiBirthPost},

			{pattern: "POST /api/v1/nhi/estimate", gate: loggedIn, perm: read, where: currentTenant, json: true, h: s.apiNHIEstimate,
				summary: "Estimate a household's NHI premium of a fiscal year (保険料試算) with the municipality's rate table in force: the breakdown the assessment would give, nothing stored",
				body:    assess.EstimateInput{}, answer: premium.Result{}},
			{pattern: "GET /api/v1/nhi/households/{id}/assessments", gate: loggedIn, perm: read, where: currentTenant, json: true, h: s.apiNHIAssessments,
				summary: "A household's premium assessments (賦課), each with its breakdown, the versions it used and, for a re-assessment, the difference", answer: nhiAssessmentsAnswer{}},
			{pattern: "GET /api/v1/nhi/rates", gate: loggedIn, perm: read, where: currentTenant, json: true, h: s.apiNHIRates,
				summary: "The confirmed versions of the municipality's NHI rate tables, the one in force of each year first",
				query:   []apiParam{{"fiscal_year", "integer", "only this fiscal year"}}, answer: nhiRatesAnswer{}},
			{pattern: "POST /api/v1/nhi/revenues", gate: loggedIn, perm: write, where: currentTenant, json: true, h: s.apiNHIRevenue,
				summary: "Record a person's revenue of an income year for the premium (給与収入, 公的年金等収入, other 所得): the latest entry is in force, and the next assessment run re-assesses the household",
				body:    assess.RevenueInput{}, status: http.StatusCreated, answer: assess.RevenueInput{}},
			{pattern: "POST /api/v1/nhi/rates", gate: loggedIn, perm: admin, where: currentTenant, json: true, h: s.apiNHIRatesPost,
				summary: "Enter the municipality's NHI rate table of a fiscal year: it waits for a checker, and once confirmed it is never changed (a correction is a new version)",
				body:    ratesBody{}, status: http.StatusAccepted, answer: review.Change{}},
			{pattern: "GET /api/v1/nhi/remissions", gate: loggedIn, perm: read, where: currentTenant, json: true, h: s.apiNHIRemissions,
				summary: "The municipality's decided 減免 of the NHI premium, the latest first, each with the rule it was decided by and the re-assessment it gave",
				query:   []apiParam{{"fiscal_year", "integer", "only this fiscal year"}, {"household", "integer", "only this household"}}, answer: nhiRemissionsAnswer{}},
			{pattern: "POST /api/v1/nhi/remissions", gate: loggedIn, perm: write, where: currentTenant, json: true, h: s.apiNHIRemissionPost,
				summary: "Enter a household's application for 減免 of its NHI premium (reason, months): it waits for a checker, whose confirmation re-assesses the household, keeping the assessment before",
				body:    assess.RemissionInput{}, status: http.StatusAccepted, answer: review.Change{}},
			{pattern: "GET /api/v1/nhi/remissions/{id}", gate: loggedIn, perm: read, where: currentTenant, json: true, h: s.apiNHIRemission,
				summary: "One decided 減免 of the NHI premium with what became of it (in force, withdrawn or corrected: by whom, when, why, and the re-assessment each gave)",
				answer:  assess.RemissionDecision{}},
			{pattern: "POST /api/v1/nhi/remissions/{id}/change", gate: loggedIn, perm: write, where: currentTenant, json: true, h: s.apiNHIRemissionChange,
				summary: "Withdraw (action withdraw) or correct (action correct: reason, months, note) a decided 減免, giving why: it waits for a checker, whose confirmation ends the decision (kept), records a correction in its place and re-assesses the household, keeping the assessment before",
				body:    remissionChangeBody{}, status: http.StatusAccepted, answer: review.Change{}},
			{pattern: "GET /api/v1/nhi/pension-notices", gate: loggedIn, perm: read, where: currentTenant, json: true, h: s.apiNHIPensionNotices,
				summary: "The municipality's pension insurers' notices (年金特徴の対象者通知), the latest first, each marked in force or superseded",
				query:   []apiParam{{"fiscal_year", "integer", "only this fiscal year"}, {"resident_code", "string", "only this person"}}, answer: nhiPensionAnswer{}},
			{pattern: "POST /api/v1/nhi/pension-notices", gate: loggedIn, perm: write, where: currentTenant, json: true, h: s.apiNHIPensionNotice,
				summary: "Record a pension insurer's notice of a person for a fiscal year (年金特徴の対象者通知: the pension's annual amount, the 介護保険料 and whether it is collected from that pension): the next assessment run collects the premium from the head's pension (特別徴収) when every condition is met",
				body:    assess.PensionNoticeInput{}, status: http.StatusCreated, answer: assess.PensionNoticeInput{}},
			{pattern: "POST /api/v1/nhi/pension-notices/{id}/withdraw", gate: loggedIn, perm: write, where: currentTenant, json: true, h: s.apiNHIPensionWithdraw,
				summary: "Withdraw (取消) a pension insurer's notice entered wrongly, giving why: kept and marked withdrawn, it takes no part in the next assessment run (the person's notice before it, if any, is in force again)",
				body:    pensionWithdrawBody{}, status: http.StatusOK, answer: assess.PensionNotice{}},
			{pattern: "POST /api/v1/nhi/births", gate: loggedIn, perm: write, where: currentTenant, json: true, h: s.apiNHIBirth,
				summary: "Record a birth notified for the 産前産後 exemption of the premium (expected or actual month, multiple or not): the latest notice of a person is in force, and the next assessment run exempts the months",
				body:    assess.BirthInput{}, status: http.StatusCreated, answer: assess.BirthInput{}},
		},
		menu: []navItem{{Key: "nav.nhi.estimate", Href: "/nhi/estimate", perm: read, under: "nav.nhi"}, {Key: "nav.nhi.rates", Href: "/nhi/rates", perm: read, under: "nav.nhi"},
			{Key: "nav.nhi.revenue", Href: "/nhi/revenues", perm: write, under: "nav.nhi"}, {Key: "nav.nhi.remission", Href: "/nhi/remissions", perm: read, under: "nav.nhi"},
			{Key: "nav.nhi.pension", Href: "/nhi/pension-notices", perm: read, under: "nav.nhi"},
			{Key: "nav.nhi.birth", Href: "/nhi/births", perm: write, under: "nav.nhi"}},
	}
}

// nhiAssessMessages are the strings of the premium screens.
var nhiAssessMessages = func() messages {
	m := messages{
		"nav.nhi.estimate":                  {"国保保険料の試算", "NHI premium estimate"},
		"nhi.estimate.title":                {"国民健康保険料の試算", "NHI premium estimate"},
		"nhi.estimate.help":                 {"世帯の人を1行に1人ずつ入力してください（1行目は世帯主）。国保に加入しない世帯主（擬制世帯主）は「国保」を外します。金額は前年（所得の年）の収入です。市区町村の確定した料率表で計算し、何も保存しません。", "Type one member a row (row 1 is the head); untick NHI for a head outside NHI (擬制世帯主). Amounts are the revenue of the year before (the income year). Computed with the municipality's confirmed rate table; nothing is stored."},
		"nhi.estimate.member":               {"世帯員 %d", "Member %d"},
		"nhi.estimate.submit":               {"試算する", "Estimate"},
		"nhi.estimate.result":               {"%d年度の保険料（試算）", "Premium of fiscal %d (estimate)"},
		"nhi.estimate.versions":             {"料率表 %s、法定の数値 %s、所得の計算表 %s", "rate table %s, statutory rules %s, income tables %s"},
		"nhi.estimate.reduction":            {"軽減", "Reduction"},
		"nhi.estimate.reduction.none":       {"なし", "none"},
		"nhi.estimate.reduction.undeclared": {"なし（所得の申告がない世帯員がいるため。申告すると軽減される場合があります）", "none (a member's income is not declared: declaring it may give a reduction)"},
		"nhi.estimate.reduction.percent":    {"%d割軽減", "%d割 reduction"},
		"nhi.premium.part":                  {"区分", "Part"},
		"nhi.premium.income":                {"所得割", "Income-based (所得割)"},
		"nhi.premium.equal":                 {"均等割", "Per insured (均等割)"},
		"nhi.premium.household":             {"平等割", "Per household (平等割)"},
		"nhi.premium.cap_cut":               {"限度超過", "Over the cap"},
		"nhi.premium.amount":                {"保険料", "Premium"},
		"nhi.premium.total":                 {"年額", "Year's total"},
		"nhi.premium.instalments":           {"納期", "Instalments"},
		"nhi.premium.instalment":            {"第%d期", "No. %d"},
		"nhi.premium.month":                 {"納期の月", "Month due"},
		"nhi.premium.yen":                   {"%s円", "%s yen"},
		"nhi.assessments.title":             {"国保保険料の賦課", "NHI premium assessments"},
		"nhi.assessments.household":         {"世帯 %d の賦課", "Assessments of household %d"},
		"nhi.assessments.none":              {"この世帯の賦課はまだありません（年次の賦課は bango nhi assess で行います）。", "This household has no assessment yet (the yearly run is bango nhi assess)."},
		"nhi.assessments.seq":               {"%d年度 第%d回", "Fiscal %d, no. %d"},
		"nhi.assessments.in_force":          {"現在の賦課", "in force"},
		"nhi.assessments.superseded":        {"更正前", "superseded"},
		"nhi.assessments.difference":        {"前回 %s円からの差額 %s円", "%s yen before, difference %s yen"},
		"nhi.assessments.changed":           {"変わった区分", "Parts changed"},
		"nhi.assessments.notice":            {"決定通知書を表示", "Show the decision notice"},
		"nhi.assessments.assessed":          {"賦課日時", "Assessed"},
		"nhi.assessments.link":              {"保険料の賦課を見る", "See the premium assessments"},
		"nhi.notice.title":                  {"国民健康保険料 決定通知書", "NHI premium decision notice"},
		"nhi.notice.back":                   {"賦課の一覧へ戻る", "Back to the assessments"},
		"nhi.notice.print.help":             {"ブラウザの印刷でA4用紙1枚に印刷できます。", "Print it with the browser's print: one A4 page."},
		"nhi.notice.to":                     {"世帯主", "Head of household"},
		"nhi.notice.kigo":                   {"記号", "記号"},
		"nhi.notice.body":                   {"あなたの世帯の%d年度の国民健康保険料を次のとおり決定しましたので通知します。", "Your household's National Health Insurance premium of fiscal %d is decided as follows."},
		"nhi.notice.revised":                {"この通知は更正（第%d回）です。前回の決定額 %s円、差額 %s円。", "This notice is a revision (no. %d): decided before %s yen, difference %s yen."},
		"nhi.notice.basis":                  {"算定の基礎", "Basis"},
		"nhi.notice.insurer":                {"保険者", "Insurer"},
		"nhi.notice.appeal":                 {"この決定に不服があるときは、この通知を受け取った日の翌日から起算して3か月以内に、都道府県の国民健康保険審査会に審査請求をすることができます。", "If you disagree with this decision you may request a review by the prefecture's National Health Insurance review board within three months of the day after you received this notice."},
		"nhi.notice.number":                 {"通知番号 %d", "Notice no. %d"},
		"field.fiscal_year":                 {"年度", "Fiscal year"},
		"nhi.notices.title":                 {"国民健康保険料 決定通知書（一括印刷）", "NHI premium decision notices (bulk print)"},
		"nhi.notices.summary":               {"%d年度 賦課した世帯 %d、%dページ目（全%dページ）。", "Fiscal %d: %d households assessed; page %d of %d."},
		"nhi.notices.print.help":            {"ブラウザの印刷で1世帯1枚（A4）ずつ印刷できます。", "Print with the browser: one A4 page a household."},
		"nhi.notices.pages":                 {"ページ", "Pages"},
		"nhi.notices.prev":                  {"前のページ", "Previous page"},
		"nhi.notices.next":                  {"次のページ", "Next page"},
		"nhi.notices.none":                  {"この年度の賦課はまだありません。", "No household is assessed for this fiscal year yet."},
		"field.page":                        {"ページ", "Page"},
		"nav.nhi.rates":                     {"国保保険料の料率表", "NHI premium rate tables"},
		"nav.nhi.revenue":                   {"保険料の収入の登録", "Revenue for the premium"},
		"nhi.rates.title":                   {"国民健康保険料の料率表", "NHI premium rate tables"},
		"nhi.rates.confirmed":               {"確定した料率表", "Confirmed rate tables"},
		"nhi.rates.version":                 {"%d年度 第%d版（%s）", "Fiscal %d, version %d (%s)"},
		"nhi.rates.confirmed_by":            {"確定:", "confirmed by"},
		"nhi.rates.none":                    {"確定した料率表はまだありません。", "No rate table is confirmed yet."},
		"nhi.rates.enter":                   {"料率表の入力", "Enter a rate table"},
		"nhi.rates.help":                    {"条例の数値を区分ごとに入力してください（所得割率は百分率、金額は円）。その年度にない区分（2025年度までの子ども・子育て支援金分）は空欄のままにします。入力した料率表は別の職員が確認したときに確定し、確定後は変更できません（訂正は別の版名で入力します）。", "Type the ordinance's figures part by part (the income rate as a percent, amounts in yen); leave a part the year does not have (子ども・子育て支援金分 before fiscal 2026) empty. The table holds once another staff member confirms it and is never changed after (enter a correction under a new version)."},
		"nhi.rates.submit":                  {"確認に回す", "Send for confirmation"},
		"nhi.rates.admin_only":              {"料率表は国保の管理者（国保担当（管理者）の権限 nhi.admin を持つ職員）が入力します。", "Rate tables are entered by the NHI administrator (a staff member holding nhi.admin, pattern nhi-admin)."},
		"nhi.rates.submitted":               {"料率表を確認待ちに登録しました。別の職員が確認すると確定します。", "The rate table waits for confirmation: it holds once another staff member confirms it."},
		"nhi.rates.part.medical":            {"医療分", "Medical (医療分)"},
		"nhi.rates.part.support":            {"後期高齢者支援金等分", "Late-elderly support (支援金分)"},
		"nhi.rates.part.care":               {"介護納付金分", "Long-term care (介護分)"},
		"nhi.rates.part.child":              {"子ども・子育て支援金分", "Child support (子ども・子育て支援金分)"},
		"field.version":                     {"版名", "Version"},
		"field.source":                      {"出典（条例・告示）", "Source (ordinance, notice)"},
		"field.rate_income_rate":            {"所得割率（%）", "Income rate (%)"},
		"field.rate_per_capita":             {"均等割額", "Per insured"},
		"field.rate_per_household":          {"平等割額", "Per household"},
		"field.rate_cap":                    {"賦課限度額", "Cap"},
		"field.rate_rounding":               {"端数処理の単位", "Rounding unit"},
		"field.rate_adult_surcharge":        {"18歳以上均等割の加算", "Adult surcharge"},
		"field.instalment_months":           {"納期の月（カンマ区切り）", "Months due (comma-separated)"},
		"field.instalment_unit":             {"各期の金額の単位", "Instalment unit"},
		"nhi.revenue.title":                 {"保険料の収入の登録", "Revenue for the premium"},
		"nhi.revenue.help":                  {"所得の年（賦課する年度の前年）の収入を円で入力してください。同じ人・同じ年の新しい登録が有効になり、前の登録は残ります。次の賦課でその世帯が賦課し直されます。", "Type the revenue of the income year (the year before the fiscal year) in yen. A later entry for the same person and year is the one in force, the earlier kept; the next assessment run re-assesses the household."},
		"nhi.revenue.submit":                {"登録する", "Record"},
		"nhi.revenue.recorded":              {"収入を登録しました。", "The revenue is recorded."},
		"field.salary_revenue":              {"給与収入", "Salary revenue"},
		"field.pension_revenue":             {"公的年金等収入", "Public pension revenue"},
		"field.other_income":                {"その他の所得", "Other income"},
		"nav.nhi.remission":                 {"保険料の減免", "Premium remission (減免)"},
		"nhi.remission.title":               {"国民健康保険料の減免", "NHI premium remission (減免)"},
		"nhi.remission.enter":               {"減免の申請の入力", "Enter an application"},
		"nhi.remission.help":                {"申請書の内容を入力してください。事由は料率表に定めたもの（受付日に有効な規則）から選びます。別の職員が確認すると決定し、その世帯をその場で賦課し直します（前の賦課は残り、差額を示します）。", "Type the application. The reason is one of the rate table's (the rule in force on the day received). Once another staff member confirms it, it is decided and the household is re-assessed at once (the assessment before is kept, with the difference)."},
		"nhi.remission.choose":              {"選んでください", "Choose"},
		"nhi.remission.submit":              {"確認に回す", "Send for confirmation"},
		"nhi.remission.submitted":           {"減免の申請を確認待ちに登録しました。別の職員が確認すると決定し、賦課し直します。", "The application waits for confirmation: once another staff member confirms it, it is decided and the household re-assessed."},
		"nhi.remission.decided":             {"決定した減免", "Decided remissions"},
		"nhi.remission.no":                  {"番号", "No."},
		"nhi.remission.extent":              {"減免の額", "Extent"},
		"nhi.remission.months":              {"対象の月", "Months"},
		"nhi.remission.received":            {"受付日・入力", "Received, entered by"},
		"nhi.remission.decision":            {"決定（確認）", "Decided (confirmed by)"},
		"nhi.remission.none":                {"決定した減免はありません。", "No remission is decided."},
		"nhi.remission.basis.premium":       {"保険料の", "of the premium"},
		"nhi.remission.basis.income":        {"所得割の", "of the income-based part"},
		"nhi.premium.remission":             {"減免", "Remission (減免)"},
		"nhi.premium.remission.line":        {"%s（%s〜%s、%dか月）%s円", "%s (%s to %s, %d months) %s yen"},
		"nhi.premium.remission.before":      {"減免前の年額 %s円", "before remission %s yen"},
		"field.remission_reason":            {"減免の事由", "Reason"},
		"field.from_month":                  {"対象の最初の月（YYYY-MM）", "First month (YYYY-MM)"},
		"field.to_month":                    {"対象の最後の月（YYYY-MM）", "Last month (YYYY-MM)"},
		"field.remission_note":              {"確認した書類・備考", "Documents seen, note"},
		"nhi.premium.special":               {"特別徴収（年金から）", "collected from the pension (特別徴収)"},
		"nav.nhi.birth":                     {"出産の届出（保険料の免除）", "Birth notice (premium exemption)"},
		"nhi.birth.title":                   {"出産（予定）の届出", "Birth or expected birth notice"},
		"nhi.birth.help":                    {"出産する被保険者の宛名番号と、出産予定の月（出産後は出産の月）を入力してください。単胎は出産月の前月から4か月、多胎は3か月前から6か月の所得割と均等割が免除されます（2024年1月以降の月）。同じ人の新しい届出が有効になります。次の賦課で賦課し直されます。", "Type the resident code of the insured person giving birth and the expected month (after the birth, the actual month). The 所得割 and 均等割 are exempt for four months from the month before (six from three months before for a multiple birth; months from January 2024). The latest notice of a person is in force; the next assessment run re-assesses the household."},
		"nhi.birth.expected":                {"出産予定", "Expected"},
		"nhi.birth.actual":                  {"出産済み", "Born"},
		"nhi.birth.submit":                  {"登録する", "Record"},
		"nhi.birth.recorded":                {"出産の届出を登録しました。", "The birth notice is recorded."},
		"field.birth_kind":                  {"届出の種類", "Kind of notice"},
		"field.birth_month":                 {"出産（予定）の月（YYYY-MM）", "Month of birth (YYYY-MM)"},
		"field.multiple":                    {"多胎（双子以上）", "Multiple birth"},

		"nhi.premium.relief":                     {"平等割の月数（特定世帯・特定継続世帯）", "Months of 平等割 at each relief (特定世帯・特定継続世帯)"},
		"nhi.premium.relief.span":                {"%sから%dか月 %s 年額%s円", "%s for %d months, %s, %s yen a year"},
		"nhi.premium.relief.none":                {"軽減なし", "no relief"},
		"nhi.premium.relief.specific":            {"特定世帯（2分の1）", "特定世帯 (half)"},
		"nhi.premium.relief.specific_continuing": {"特定継続世帯（4分の3）", "特定継続世帯 (three quarters)"},
	}
	parts := map[string][2]string{"medical": {"医療分", "Medical"}, "support": {"支援金分", "Support"}, "care": {"介護分", "Care"}, "child": {"子ども・子育て支援金分", "Child support"}}
	for part, name := range parts {
		for _, k := range ratePartFields {
			l := m["field.rate_"+k]
			m["field."+part+"_"+k] = [2]string{name[0] + "の" + l[0], name[1] + ": " + l[1]}
		}
	}
	for i := 1; i <= estimateRows; i++ {
		m[fmt.Sprintf("field.m%d_age", i)] = [2]string{fmt.Sprintf("世帯員%dの年齢", i), fmt.Sprintf("Member %d's age", i)}
		m[fmt.Sprintf("field.m%d_insured", i)] = [2]string{fmt.Sprintf("世帯員%dの国保加入", i), fmt.Sprintf("Member %d in NHI", i)}
		m[fmt.Sprintf("field.m%d_salary_revenue", i)] = [2]string{fmt.Sprintf("世帯員%dの給与収入", i), fmt.Sprintf("Member %d's salary revenue", i)}
		m[fmt.Sprintf("field.m%d_pension_revenue", i)] = [2]string{fmt.Sprintf("世帯員%dの公的年金等収入", i), fmt.Sprintf("Member %d's pension revenue", i)}
		m[fmt.Sprintf("field.m%d_other_income", i)] = [2]string{fmt.Sprintf("世帯員%dのその他の所得", i), fmt.Sprintf("Member %d's other income", i)}
		m[fmt.Sprintf("field.m%d_birth_month", i)] = [2]string{fmt.Sprintf("世帯員%dの出産（予定）の月（YYYY-MM、産前産後の免除）", i), fmt.Sprintf("Member %d's (expected) birth month (YYYY-MM, perinatal exemption)", i)}
	}
	return m
}()
