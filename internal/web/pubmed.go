package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"bango/internal/access"
	"bango/internal/audit"
	"bango/internal/civil"
	"bango/internal/errs"
	"bango/internal/identity"
	"bango/internal/mnhold"
	"bango/internal/pubmed"
	"bango/internal/resident"
	"bango/internal/review"
)

// Public-expense medical care (issue 21; R-PUB-1, R-PUB-3): the health
// centre's status list of applications, the application form a checker
// confirms (R-ACC-1), the decision that issues the recipient certificate
// (受給者証) with its print view, the monthly co-payment record
// (自己負担上限額管理票), and the ledger of evidence cabinets. The pubmed
// service checks every rule, scopes every read to the session's
// municipality (R-AC-6) and records every read and change.

// pubmedListData is the status list of applications.
type pubmedListData struct {
	MayWrite bool
	Items    []pubmed.Application
	Pager    pager
	Statuses []string
	Awaiting int
}

func pubmedQuery(r *http.Request) pubmed.ApplicationQuery {
	v := r.URL.Query()
	return pubmed.ApplicationQuery{HealthCentre: v.Get("health_centre"), Status: v.Get("status"), ResidentCode: v.Get("resident_code")}
}

func (s *Server) pubmedListPage(w http.ResponseWriter, r *http.Request) error {
	sess := sessionFrom(r.Context())
	p := s.newPage(r, "pubmed.title", sess)
	for _, f := range []string{"health_centre", "status", "resident_code"} {
		p.Form[f] = r.URL.Query().Get(f)
	}
	d := pubmedListData{MayWrite: rightsFrom(r.Context()).Has(access.PubmedWrite, sess.Tenant), Items: []pubmed.Application{},
		Statuses: []string{pubmed.StatusReceived, pubmed.StatusApproved, pubmed.StatusRejected}}
	cursor, limit := pageAsked(r, "cursor")
	page, err := s.biz.Pubmed.Applications(r.Context(), sess.Tenant, pubmedQuery(r), cursor, limit)
	if err == nil {
		d.Items, d.Pager = page.Items, pagerOf(r, page, "/pubmed", "cursor")
		d.Awaiting, err = s.biz.Pubmed.CountAwaitingDecision(r.Context(), sess.Tenant)
	}
	if err != nil {
		msg, ok := problemText(p.Lang, err)
		if !ok {
			return err
		}
		p.Data = d
		p.refuse(msg)
		return s.render(w, r, problemStatus(err), "pubmed", p)
	}
	p.fill(r, d, refusal{}, nil, pubmedNotices)
	return s.render(w, r, http.StatusOK, "pubmed", p)
}

// pubmedNotices are what a page says after a form was taken (?done=).
var pubmedNotices = map[string]string{"submitted": "pubmed.submitted", "decided": "pubmed.decided", "copayment": "pubmed.copayment.recorded",
	"evidence": "pubmed.evidence.recorded", "cabinet": "pubmed.cabinet.added", "reg_submitted": "pubmed.reg.submitted",
	"reg_end_submitted": "pubmed.reg.end.submitted"}

// pubmedApplyData is the application form.
type pubmedApplyData struct {
	Kinds, Programmes, Categories, TaxStatuses []string
	Diseases                                   []pubmed.Disease
	DiseaseVersion                             string
	Today                                      string
	Methods                                    []jpkiMethod // the identity verifications at intake (R-ACC-4)
}

// applicationFields are the application form's fields.
var applicationFields = []string{"kind", "resident_code", "programme", "disease_code", "tax_status", "income_levy", "annual_income", "category", "category_reason",
	"flag_high_long", "flag_severe", "flag_ventilator",
	"institutions", "health_centre", "received_on", "effective_on", "certificate", "mynumber", "identity_method"}

func (s *Server) pubmedApplyPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderPubmedApply(w, r, http.StatusOK, refusal{}, nil)
}

func (s *Server) renderPubmedApply(w http.ResponseWriter, r *http.Request, status int, problem refusal, form map[string]string) error {
	p := s.newPage(r, "pubmed.apply.title", sessionFrom(r.Context()))
	rules := s.biz.Pubmed.Rules()
	d := pubmedApplyData{Kinds: pubmed.AppKinds, Programmes: rules.Offered(sessionFrom(r.Context()).Tenant, civil.Today(time.Now())), Categories: pubmed.Categories, TaxStatuses: pubmed.TaxStatuses, Diseases: rules.Diseases(""),
		DiseaseVersion: rules.DiseaseVersion, Today: time.Now().In(jst).Format(time.DateOnly)}
	for _, m := range []string{resident.VerifiedByMyNumberCard, resident.VerifiedByNotificationPhotoID, resident.VerifiedBySignatureCert} {
		d.Methods = append(d.Methods, jpkiMethod{m, resident.MethodLabels[m].In(lang(r))})
	}
	if form == nil {
		form = map[string]string{"kind": r.URL.Query().Get("kind"), "certificate": r.URL.Query().Get("certificate"), "resident_code": r.URL.Query().Get("resident_code"),
			"programme": r.URL.Query().Get("programme")}
	}
	p.fill(r, d, problem, form, pubmedNotices)
	return s.render(w, r, status, "pubmedapply", p)
}

// applicationInput reads the application form.
func applicationInput(f map[string]string) (pubmed.ApplicationInput, error) {
	in := pubmed.ApplicationInput{Kind: f["kind"], ResidentCode: f["resident_code"], Programme: f["programme"], DiseaseCode: f["disease_code"],
		TaxStatus: f["tax_status"], Category: f["category"], CategoryReason: f["category_reason"], HealthCentre: f["health_centre"], ReceivedOn: f["received_on"],
		EffectiveOn: f["effective_on"], MyNumber: f["mynumber"], IdentityMethod: f["identity_method"]}
	var fe errs.FieldErrors
	for _, y := range []struct {
		field string
		to    **int64
	}{{"income_levy", &in.IncomeLevy}, {"annual_income", &in.AnnualIncome}} {
		v := strings.NewReplacer(",", "", "，", "", "円", "").Replace(strings.TrimSpace(f[y.field]))
		if v == "" {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			fe.Add(y.field, errs.Message{JA: "0以上の金額（円）を数字で入力してください", EN: "must be an amount in yen, 0 or more, in digits"})
			continue
		}
		*y.to = &n
	}
	if err := fe.Err(); err != nil {
		return in, err
	}
	for _, fl := range []string{pubmed.FlagHighLong, pubmed.FlagSevere, pubmed.FlagVentilator} {
		if f["flag_"+fl] != "" {
			in.Flags = append(in.Flags, fl)
		}
	}
	in.Institutions = strings.FieldsFunc(f["institutions"], func(r rune) bool { return r == '、' || r == ',' || r == '，' })
	if f["certificate"] != "" {
		n, err := strconv.ParseInt(f["certificate"], 10, 64)
		if err != nil || n <= 0 {
			var fe errs.FieldErrors
			fe.Add("certificate", errs.Message{JA: "受給者証の番号（一覧の番号）を数字で入力してください", EN: "must be the certificate's number in the list, in digits"})
			return in, fe.Err()
		}
		in.Certificate = n
	}
	return in, nil
}

func (s *Server) pubmedApplyPost(w http.ResponseWriter, r *http.Request) error {
	f, err := postedForm(r, applicationFields...)
	if err != nil {
		return err
	}
	in, err := applicationInput(f)
	if err == nil {
		_, err = s.submitPubmed(r, in)
	}
	if err != nil {
		delete(f, "mynumber") // a typed number is never sent back (R-AC-4)
		return nhiFormProblem(r, err, func(status int, msg refusal) error { return s.renderPubmedApply(w, r, status, msg, f) })
	}
	http.Redirect(w, r, "/pubmed/applications/new?done=submitted", http.StatusSeeOther)
	return nil
}

// submitPubmed sends an application to the checker's queue.
func (s *Server) submitPubmed(r *http.Request, in pubmed.ApplicationInput) (review.Change, error) {
	sess := sessionFrom(r.Context())
	if strings.TrimSpace(in.MyNumber) != "" && !rightsFrom(r.Context()).Has(access.MyNumberEnter, sess.Tenant) {
		return review.Change{}, s.biz.Pubmed.RefuseNumberEntry(r.Context(), sess.Tenant, in.ResidentCode)
	}
	prop, err := s.biz.Pubmed.ProposeApplication(r.Context(), sess.Tenant, in)
	if err != nil {
		return review.Change{}, err
	}
	return s.biz.Review.Submit(r.Context(), sess.User, sess.Tenant, prop)
}

// pubmedAppData is an application with its decision form and papers.
type pubmedAppData struct {
	Application  pubmed.Application
	Certificates []pubmed.Certificate // the recipient's, the latest first
	Evidence     []pubmed.Evidence
	Cabinets     []pubmed.Cabinet
	MayWrite     bool
	// DecisionPending says a decision waits for its checker (R-ACC-1).
	DecisionPending bool
}

func (s *Server) pubmedAppData(r *http.Request) (*pubmedAppData, error) {
	id, err := pathID(r, "application")
	if err != nil {
		return nil, err
	}
	sess := sessionFrom(r.Context())
	a, err := s.biz.Pubmed.Application(r.Context(), sess.Tenant, id)
	if err != nil {
		return nil, err
	}
	d := &pubmedAppData{Application: a, MayWrite: rightsFrom(r.Context()).Has(access.PubmedWrite, sess.Tenant)}
	if d.Certificates, err = s.biz.Pubmed.Certificates(r.Context(), sess.Tenant, a.ResidentCode); err != nil {
		return nil, err
	}
	if d.Evidence, err = s.biz.Pubmed.EvidenceOf(r.Context(), sess.Tenant, id); err != nil {
		return nil, err
	}
	if d.Cabinets, err = s.biz.Pubmed.Cabinets(r.Context(), sess.Tenant); err != nil {
		return nil, err
	}
	if a.Status == pubmed.StatusReceived {
		if d.DecisionPending, err = s.biz.Review.PendingFor(r.Context(), sess.Tenant, pubmed.KindDecision,
			audit.Subject{Type: "pubmed_application", ID: strconv.FormatInt(id, 10)}); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func (s *Server) pubmedAppPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderPubmedApp(w, r, http.StatusOK, refusal{}, nil)
}

func (s *Server) renderPubmedApp(w http.ResponseWriter, r *http.Request, status int, problem refusal, form map[string]string) error {
	p := s.newPage(r, "pubmed.app.title", sessionFrom(r.Context()))
	d, err := s.pubmedAppData(r)
	if err != nil {
		return err
	}
	p.fill(r, d, problem, form, pubmedNotices)
	return s.render(w, r, status, "pubmedapp", p)
}

var decisionFields = []string{"outcome", "valid_from", "valid_until", "reason"}

func (s *Server) pubmedDecidePost(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "application")
	if err != nil {
		return err
	}
	f, err := postedForm(r, decisionFields...)
	if err != nil {
		return err
	}
	if _, err := s.submitDecision(r, id, pubmed.DecisionInput{Outcome: f["outcome"], ValidFrom: f["valid_from"], ValidUntil: f["valid_until"], Reason: f["reason"]}); err != nil {
		return formProblem(r, err, func(status int, msg refusal) error { return s.renderPubmedApp(w, r, status, msg, f) })
	}
	http.Redirect(w, r, "/pubmed/applications/"+strconv.FormatInt(id, 10)+"?done=decided", http.StatusSeeOther)
	return nil
}

// submitDecision sends a decision to the checker's queue (R-ACC-1): the
// certificate is issued when a different staff member confirms it.
func (s *Server) submitDecision(r *http.Request, id int64, in pubmed.DecisionInput) (review.Change, error) {
	sess := sessionFrom(r.Context())
	prop, err := s.biz.Pubmed.ProposeDecision(r.Context(), sess.Tenant, id, in)
	if err != nil {
		return review.Change{}, err
	}
	return s.biz.Review.Submit(r.Context(), sess.User, sess.Tenant, prop)
}

func (s *Server) pubmedEvidencePost(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "application")
	if err != nil {
		return err
	}
	f, err := postedForm(r, "description", "cabinet")
	if err != nil {
		return err
	}
	cab, _ := strconv.ParseInt(f["cabinet"], 10, 64)
	if _, err := s.biz.Pubmed.StoreEvidence(r.Context(), sessionFrom(r.Context()).Tenant, id, pubmed.EvidenceInput{Description: f["description"], Cabinet: cab}); err != nil {
		return formProblem(r, err, func(status int, msg refusal) error { return s.renderPubmedApp(w, r, status, msg, f) })
	}
	http.Redirect(w, r, "/pubmed/applications/"+strconv.FormatInt(id, 10)+"?done=evidence#evidence", http.StatusSeeOther)
	return nil
}

// pubmedPaperPost moves or disposes of evidence paper {id}; the page it
// came from is its application's.
func (s *Server) pubmedPaperPost(dispose bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "evidence")
		if err != nil {
			return err
		}
		f, err := postedForm(r, "to_cabinet", "reason", "application")
		if err != nil {
			return err
		}
		tenant := sessionFrom(r.Context()).Tenant
		var ev pubmed.Evidence
		if dispose {
			ev, err = s.biz.Pubmed.DisposeEvidence(r.Context(), tenant, id, f["reason"])
		} else {
			to, _ := strconv.ParseInt(f["to_cabinet"], 10, 64)
			ev, err = s.biz.Pubmed.MoveEvidence(r.Context(), tenant, id, to, f["reason"])
		}
		if err != nil {
			app := f["application"]
			if _, perr := strconv.ParseInt(app, 10, 64); perr != nil {
				return err
			}
			r.SetPathValue("id", app)
			return formProblem(r, err, func(status int, msg refusal) error { return s.renderPubmedApp(w, r, status, msg, f) })
		}
		http.Redirect(w, r, "/pubmed/applications/"+strconv.FormatInt(ev.Application, 10)+"?done=evidence#evidence", http.StatusSeeOther)
		return nil
	}
}

// pubmedCertData is a certificate with the month's co-payment record.
type pubmedCertData struct {
	Certificate pubmed.Certificate
	Month       pubmed.MonthRecord
	MayWrite    bool
	Today       string
}

func (s *Server) pubmedCertData(r *http.Request, month string) (*pubmedCertData, error) {
	id, err := pathID(r, "certificate")
	if err != nil {
		return nil, err
	}
	sess := sessionFrom(r.Context())
	c, err := s.biz.Pubmed.Certificate(r.Context(), sess.Tenant, id)
	if err != nil {
		return nil, err
	}
	m, err := s.biz.Pubmed.Month(r.Context(), sess.Tenant, id, month)
	if err != nil {
		return nil, err
	}
	return &pubmedCertData{Certificate: c, Month: m, MayWrite: rightsFrom(r.Context()).Has(access.PubmedWrite, sess.Tenant), Today: time.Now().In(jst).Format(time.DateOnly)}, nil
}

func (s *Server) pubmedCertPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderPubmedCert(w, r, http.StatusOK, refusal{}, nil)
}

func (s *Server) renderPubmedCert(w http.ResponseWriter, r *http.Request, status int, problem refusal, form map[string]string) error {
	p := s.newPage(r, "pubmed.cert.title", sessionFrom(r.Context()))
	month := r.URL.Query().Get("month")
	if form != nil && len(form["service_date"]) >= 7 {
		month = form["service_date"][:7]
	}
	d, err := s.pubmedCertData(r, month)
	if err != nil && len(errs.Fields(err)) > 0 {
		msg, _ := problemText(p.Lang, err)
		p.Form["month"] = month
		if d, err = s.pubmedCertData(r, ""); err != nil {
			return err
		}
		p.fill(r, d, msg, nil, nil)
		return s.render(w, r, http.StatusBadRequest, "pubmedcert", p)
	}
	if err != nil {
		return err
	}
	p.fill(r, d, problem, form, pubmedNotices)
	return s.render(w, r, status, "pubmedcert", p)
}

var copaymentFields = []string{"service_date", "institution", "amount"}

func (s *Server) pubmedCopaymentPost(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "certificate")
	if err != nil {
		return err
	}
	f, err := postedForm(r, copaymentFields...)
	if err != nil {
		return err
	}
	m, err := s.biz.Pubmed.RecordCopayment(r.Context(), sessionFrom(r.Context()).Tenant, id, pubmed.CopaymentInput{ServiceDate: f["service_date"], Institution: f["institution"], Amount: f["amount"]})
	if err != nil {
		return formProblem(r, err, func(status int, msg refusal) error { return s.renderPubmedCert(w, r, status, msg, f) })
	}
	http.Redirect(w, r, "/pubmed/certificates/"+strconv.FormatInt(id, 10)+"?month="+m.Month+"&done=copayment#month", http.StatusSeeOther)
	return nil
}

// pubmedPrintData is a certificate as the recipient receives it.
type pubmedPrintData struct {
	Certificate pubmed.Certificate
	Name        string
	Address     string
	BirthDate   time.Time
	Tenant      string
}

func (s *Server) pubmedPrintPage(w http.ResponseWriter, r *http.Request) error {
	d, err := s.pubmedCertData(r, "")
	if err != nil {
		return err
	}
	sess := sessionFrom(r.Context())
	res, err := s.biz.Residents.Get(r.Context(), sess.Tenant, d.Certificate.ResidentCode)
	if err != nil {
		return err
	}
	p := s.newPage(r, "pubmed.print.title", sess)
	p.Data = pubmedPrintData{Certificate: d.Certificate, Name: res.NameKanji, Address: res.Address, BirthDate: res.BirthDate, Tenant: sess.Tenant}
	return s.render(w, r, http.StatusOK, "pubmedprint", p)
}

// pubmedCabinetsData is the ledger of cabinets.
type pubmedCabinetsData struct {
	Cabinets []pubmed.Cabinet
	MayWrite bool
}

func (s *Server) pubmedCabinetsPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderPubmedCabinets(w, r, http.StatusOK, refusal{}, nil)
}

func (s *Server) renderPubmedCabinets(w http.ResponseWriter, r *http.Request, status int, problem refusal, form map[string]string) error {
	sess := sessionFrom(r.Context())
	p := s.newPage(r, "pubmed.cabinets.title", sess)
	cabs, err := s.biz.Pubmed.Cabinets(r.Context(), sess.Tenant)
	if err != nil {
		return err
	}
	p.fill(r, pubmedCabinetsData{Cabinets: cabs, MayWrite: rightsFrom(r.Context()).Has(access.PubmedWrite, sess.Tenant)}, problem, form, pubmedNotices)
	return s.render(w, r, status, "pubmedcabinets", p)
}

func (s *Server) pubmedCabinetPost(w http.ResponseWriter, r *http.Request) error {
	f, err := postedForm(r, "name", "location", "locked", "staff_only")
	if err != nil {
		return err
	}
	in := pubmed.CabinetInput{Name: f["name"], Location: f["location"], Locked: f["locked"] != "", StaffOnly: f["staff_only"] != ""}
	if _, err := s.biz.Pubmed.AddCabinet(r.Context(), sessionFrom(r.Context()).Tenant, in); err != nil {
		return formProblem(r, err, func(status int, msg refusal) error { return s.renderPubmedCabinets(w, r, status, msg, f) })
	}
	http.Redirect(w, r, "/pubmed/cabinets?done=cabinet", http.StatusSeeOther)
	return nil
}

// pubmedDeletionsData is the report of the My Numbers deleted when no
// business needed them any more (R-STO-2).
type pubmedDeletionsData struct {
	Items          []mnhold.Deletion
	Runs           []mnhold.RunResult
	Pager          pager
	RetentionYears int
	RetentionRule  string // the version of the rule in force for a need ending today
}

func (s *Server) pubmedDeletionsData(r *http.Request) (pubmedDeletionsData, error) {
	sess := sessionFrom(r.Context())
	cursor, limit := pageAsked(r, "cursor")
	page, err := s.biz.Pubmed.Holds().Deletions(r.Context(), sess.Tenant, cursor, limit)
	if err != nil {
		return pubmedDeletionsData{}, err
	}
	rule, _ := s.biz.Pubmed.RetentionRule(sess.Tenant)
	d := pubmedDeletionsData{Items: nonNil(page.Items), Pager: pagerOf(r, page, "/pubmed/mynumber-deletions", "cursor"), RetentionYears: rule.Years,
		RetentionRule: rule.Version}
	d.Runs, err = s.biz.Pubmed.Holds().Runs(r.Context(), sess.Tenant)
	return d, err
}

func (s *Server) pubmedDeletionsPage(w http.ResponseWriter, r *http.Request) error {
	d, err := s.pubmedDeletionsData(r)
	if err != nil {
		return err
	}
	p := s.newPage(r, "pubmed.deletions.title", sessionFrom(r.Context()))
	p.Data = d
	return s.render(w, r, http.StatusOK, "pubmeddeletions", p)
}

// pubmedDeletionsAnswer is a page of the report.
type pubmedDeletionsAnswer struct {
	Deletions      []mnhold.Deletion  `json:"deletions"`
	Runs           []mnhold.RunResult `json:"runs"`
	RetentionYears int                `json:"retention_years"`
	RetentionRule  string             `json:"retention_rule"` // the version of the rule in force for a need ending today, the municipality's own or the default
	Next           string             `json:"next"`
}

func (s *Server) apiPubmedDeletions(w http.ResponseWriter, r *http.Request) error {
	cursor, limit := pageAsked(r, "cursor")
	sess := sessionFrom(r.Context())
	page, err := s.biz.Pubmed.Holds().Deletions(r.Context(), sess.Tenant, cursor, limit)
	if err != nil {
		return err
	}
	runs, err := s.biz.Pubmed.Holds().Runs(r.Context(), sess.Tenant)
	if err != nil {
		return err
	}
	rule, _ := s.biz.Pubmed.RetentionRule(sess.Tenant)
	writeJSON(w, http.StatusOK, pubmedDeletionsAnswer{Deletions: nonNil(page.Items), Runs: runs, RetentionYears: rule.Years, RetentionRule: rule.Version, Next: page.Next})
	return nil
}

// pubmedRenewalsPage is the list of certificates to renew (R-PUB-1).
func (s *Server) pubmedRenewalsPage(w http.ResponseWriter, r *http.Request) error {
	sess := sessionFrom(r.Context())
	p := s.newPage(r, "pubmed.renewals.title", sess)
	q := r.URL.Query()
	p.Form["days"], p.Form["health_centre"] = q.Get("days"), q.Get("health_centre")
	l, err := s.biz.Pubmed.Renewals(r.Context(), sess.Tenant, q.Get("health_centre"), q.Get("days"))
	if err != nil {
		msg, ok := problemText(p.Lang, err)
		if !ok {
			return err
		}
		p.Data = l
		p.refuse(msg)
		return s.render(w, r, problemStatus(err), "pubmedrenewals", p)
	}
	p.Data = l
	return s.render(w, r, http.StatusOK, "pubmedrenewals", p)
}

func (s *Server) apiPubmedRenewals(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	l, err := s.biz.Pubmed.Renewals(r.Context(), sessionFrom(r.Context()).Tenant, q.Get("health_centre"), q.Get("days"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}

// The JSON API.

// pubmedApplicationsAnswer is a page of applications.
type pubmedApplicationsAnswer struct {
	Applications []pubmed.Application `json:"applications"`
	Next         string               `json:"next"`
}

func (s *Server) apiPubmedApplications(w http.ResponseWriter, r *http.Request) error {
	cursor, limit := pageAsked(r, "cursor")
	page, err := s.biz.Pubmed.Applications(r.Context(), sessionFrom(r.Context()).Tenant, pubmedQuery(r), cursor, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pubmedApplicationsAnswer{Applications: nonNil(page.Items), Next: page.Next})
	return nil
}

func (s *Server) apiPubmedApply(w http.ResponseWriter, r *http.Request) error {
	var in pubmed.ApplicationInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	c, err := s.submitPubmed(r, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, c)
	return nil
}

// pubmedApplicationAnswer is an application with its evidence papers.
type pubmedApplicationAnswer struct {
	Application pubmed.Application `json:"application"`
	Evidence    []pubmed.Evidence  `json:"evidence"`
}

func (s *Server) apiPubmedApplication(w http.ResponseWriter, r *http.Request) error {
	d, err := s.pubmedAppData(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pubmedApplicationAnswer{Application: d.Application, Evidence: d.Evidence})
	return nil
}

func (s *Server) apiPubmedDecide(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "application")
	if err != nil {
		return err
	}
	var in pubmed.DecisionInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	c, err := s.submitDecision(r, id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, c)
	return nil
}

// pubmedCertificateAnswer is a certificate with a month's co-payment record.
type pubmedCertificateAnswer struct {
	Certificate pubmed.Certificate `json:"certificate"`
	Month       pubmed.MonthRecord `json:"month"`
}

func (s *Server) apiPubmedCertificate(w http.ResponseWriter, r *http.Request) error {
	d, err := s.pubmedCertData(r, r.URL.Query().Get("month"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pubmedCertificateAnswer{Certificate: d.Certificate, Month: d.Month})
	return nil
}

func (s *Server) apiPubmedCopayment(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "certificate")
	if err != nil {
		return err
	}
	var in pubmed.CopaymentInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	m, err := s.biz.Pubmed.RecordCopayment(r.Context(), sessionFrom(r.Context()).Tenant, id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, m)
	return nil
}

// pubmedCabinetsAnswer is the ledger of cabinets.
type pubmedCabinetsAnswer struct {
	Cabinets []pubmed.Cabinet `json:"cabinets"`
}

func (s *Server) apiPubmedCabinets(w http.ResponseWriter, r *http.Request) error {
	cabs, err := s.biz.Pubmed.Cabinets(r.Context(), sessionFrom(r.Context()).Tenant)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pubmedCabinetsAnswer{Cabinets: cabs})
	return nil
}

func (s *Server) apiPubmedCabinetAdd(w http.ResponseWriter, r *http.Request) error {
	var in pubmed.CabinetInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	c, err := s.biz.Pubmed.AddCabinet(r.Context(), sessionFrom(r.Context()).Tenant, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (s *Server) apiPubmedEvidence(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "application")
	if err != nil {
		return err
	}
	var in pubmed.EvidenceInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	ev, err := s.biz.Pubmed.StoreEvidence(r.Context(), sessionFrom(r.Context()).Tenant, id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, ev)
	return nil
}

// paperBody is a paper's move (to a cabinet) or disposal, with why.
type paperBody struct {
	ToCabinet int64  `json:"to_cabinet,omitempty"`
	Reason    string `json:"reason"`
}

func (s *Server) apiPubmedPaper(dispose bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "evidence")
		if err != nil {
			return err
		}
		var in paperBody
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		tenant := sessionFrom(r.Context()).Tenant
		var ev pubmed.Evidence
		if dispose {
			ev, err = s.biz.Pubmed.DisposeEvidence(r.Context(), tenant, id, in.Reason)
		} else {
			ev, err = s.biz.Pubmed.MoveEvidence(r.Context(), tenant, id, in.ToCabinet, in.Reason)
		}
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, ev)
		return nil
	}
}

// pubmedDiseasesAnswer is the designated-disease master list in force.
type pubmedDiseasesAnswer struct {
	Version  string            `json:"version"`
	Diseases []pubmed.Disease  `json:"diseases"`
	Tables   []pubmed.CapTable `json:"cap_tables"`
}

func (s *Server) apiPubmedDiseases(w http.ResponseWriter, r *http.Request) error {
	rules := s.biz.Pubmed.Rules()
	writeJSON(w, http.StatusOK, pubmedDiseasesAnswer{Version: rules.DiseaseVersion, Diseases: nonNil(rules.Diseases(r.URL.Query().Get("programme"))), Tables: rules.Tables()})
	return nil
}

// Public-expense care, in the session's municipality (R-AC-6):
// pubmed.read reads, pubmed.write enters and proposes decisions (a
// checker confirms each application and each decision, R-ACC-1).
func (s *Server) pubmedModule() webModule {
	read, write := access.PubmedRead, access.PubmedWrite
	return webModule{
		name: "pubmed",
		routes: append([]route{
			{pattern: "GET /pubmed", gate: loggedIn, perm: read, where: currentTenant, h: s.pubmedListPage},
			{pattern: "GET /pubmed/applications/new", gate: loggedIn, perm: write, where: currentTenant, h: s.pubmedApplyPage},
			{pattern: "POST /pubmed/applications/new", gate: loggedIn, perm: write, where: currentTenant, h: s.pubmedApplyPost},
			{pattern: "GET /pubmed/applications/{id}", gate: loggedIn, perm: read, where: currentTenant, h: s.pubmedAppPage},
			{pattern: "POST /pubmed/applications/{id}/decide", gate: loggedIn, perm: write, where: currentTenant, h: s.pubmedDecidePost},
			{pattern: "POST /pubmed/applications/{id}/evidence", gate: loggedIn, perm: write, where: currentTenant, h: s.pubmedEvidencePost},
			{pattern: "POST /pubmed/evidence/{id}/move", gate: loggedIn, perm: write, where: currentTenant, h: s.pubmedPaperPost(false)},
			{pattern: "POST /pubmed/evidence/{id}/dispose", gate: loggedIn, perm: write, where: currentTenant, h: s.pubmedPaperPost(true)},
			{pattern: "GET /pubmed/certificates/{id}", gate: loggedIn, perm: read, where: currentTenant, h: s.pubmedCertPage},
			{pattern: "POST /pubmed/certificates/{id}/copayments", gate: loggedIn, perm: write, where: currentTenant, h: s.pubmedCopaymentPost},
			{pattern: "GET /pubmed/certificates/{id}/print", gate: loggedIn, perm: read, where: currentTenant, h: s.pubmedPrintPage},
			{pattern: "GET /pubmed/cabinets", gate: loggedIn, perm: read, where: currentTenant, h: s.pubmedCabinetsPage},
			{pattern: "POST /pubmed/cabinets", gate: loggedIn, perm: write, where: currentTenant, h: s.pubmedCabinetPost},
			{pattern: "GET /pubmed/mynumber-deletions", gate: loggedIn, perm: read, where: currentTenant, h: s.pubmedDeletionsPage},
			{pattern: "GET /pubmed/renewals", gate: loggedIn, perm: read, where: currentTenant, h: s.pubmedRenewalsPage},

			{pattern: "GET /api/v1/pubmed/applications", gate: loggedIn, perm: read, where: currentTenant, json: true, h: s.apiPubmedApplications,
				summary: "The applications of public-expense care, the latest first, by health centre, status or resident, a page at a time",
				query: append([]apiParam{{"health_centre", "string", "the health centre that received them"}, {"status", "string", "received, approved or rejected"},
					{"resident_code", "string", "the resident code (宛名番号)"}}, pageQuery...), answer: pubmedApplicationsAnswer{}},
			{pattern: "POST /api/v1/pubmed/applications", gate: loggedIn, perm: write, where: currentTenant, json: true, h: s.apiPubmedApply,
				summary: "Enter an application (new, renewal, change, cancellation) for 指定難病 or 小児慢性特定疾病: it waits for a checker", body: pubmed.ApplicationInput{},
				status: http.StatusAccepted, answer: review.Change{}},
			{pattern: "GET /api/v1/pubmed/applications/{id}", gate: loggedIn, perm: read, where: currentTenant, json: true, h: s.apiPubmedApplication,
				summary: "A confirmed application with its decision and evidence papers", answer: pubmedApplicationAnswer{}},
			{pattern: "POST /api/v1/pubmed/applications/{id}/decision", gate: loggedIn, perm: write, where: currentTenant, json: true, h: s.apiPubmedDecide,
				summary: "Propose the decision on a confirmed application: approve (the recipient certificate with its cap and basis is issued once a different checker confirms it) or reject with the reason; it waits for a checker",
				body:    pubmed.DecisionInput{}, status: http.StatusAccepted, answer: review.Change{}},
			{pattern: "POST /api/v1/pubmed/applications/{id}/evidence", gate: loggedIn, perm: write, where: currentTenant, json: true, h: s.apiPubmedEvidence,
				summary: "Record an evidence paper of the application and the locked, staff-only cabinet it is kept in", body: pubmed.EvidenceInput{},
				status: http.StatusCreated, answer: pubmed.Evidence{}},
			{pattern: "POST /api/v1/pubmed/evidence/{id}/move", gate: loggedIn, perm: write, where: currentTenant, json: true, h: s.apiPubmedPaper(false),
				summary: "Record that an evidence paper moved to another locked, staff-only cabinet, and why", body: paperBody{}, answer: pubmed.Evidence{}},
			{pattern: "POST /api/v1/pubmed/evidence/{id}/dispose", gate: loggedIn, perm: write, where: currentTenant, json: true, h: s.apiPubmedPaper(true),
				summary: "Record that an evidence paper was disposed of, and why", body: paperBody{}, answer: pubmed.Evidence{}},
			{pattern: "GET /api/v1/pubmed/certificates/{id}", gate: loggedIn, perm: read, where: currentTenant, json: true, h: s.apiPubmedCertificate,
				summary: "A recipient certificate with a month's co-payment record (自己負担上限額管理票)",
				query:   []apiParam{{"month", "string", "the month, YYYY-MM; this month when empty"}}, answer: pubmedCertificateAnswer{}},
			{pattern: "POST /api/v1/pubmed/certificates/{id}/copayments", gate: loggedIn, perm: write, where: currentTenant, json: true, h: s.apiPubmedCopayment,
				summary: "Add a co-payment at a designated institution to the month's record; the answer says whether the cap is reached",
				body:    pubmed.CopaymentInput{}, status: http.StatusCreated, answer: pubmed.MonthRecord{}},
			{pattern: "GET /api/v1/pubmed/cabinets", gate: loggedIn, perm: read, where: currentTenant, json: true, h: s.apiPubmedCabinets,
				summary: "The ledger of evidence cabinets", answer: pubmedCabinetsAnswer{}},
			{pattern: "POST /api/v1/pubmed/cabinets", gate: loggedIn, perm: write, where: currentTenant, json: true, h: s.apiPubmedCabinetAdd,
				summary: "Add a cabinet to the ledger (location, locked, staff-only area)", body: pubmed.CabinetInput{}, status: http.StatusCreated, answer: pubmed.Cabinet{}},
			{pattern: "GET /api/v1/pubmed/diseases", gate: loggedIn, perm: read, where: currentTenant, json: true, h: s.apiPubmedDiseases,
				summary: "The designated-disease master list and the co-payment cap tables in force, with their versions",
				query:   []apiParam{{"programme", "string", "nanbyo or shoman; every programme when empty"}}, answer: pubmedDiseasesAnswer{}},
			{pattern: "GET /api/v1/pubmed/mynumber-deletions", gate: loggedIn, perm: read, where: currentTenant, json: true, h: s.apiPubmedDeletions,
				summary: "The report of My Numbers deleted when no business held them any more (R-STO-2), the latest first, and the monthly runs",
				query:   pageQuery, answer: pubmedDeletionsAnswer{}},
			{pattern: "GET /api/v1/pubmed/renewals", gate: loggedIn, perm: read, where: currentTenant, json: true, h: s.apiPubmedRenewals,
				summary: "The certificates to renew: in force, ending within the window, not renewed and with no renewal awaiting, the nearest first",
				query:   []apiParam{{"days", "string", "the window in days, 1 to 366; 90 when empty"}, {"health_centre", "string", "the health centre that received the application"}},
				answer:  pubmed.RenewalList{}},
		}, s.pubmedRegRoutes()...),
		menu: []navItem{{Key: "nav.pubmed", Href: "/pubmed", perm: read}},
		counters: []counter{
			{id: "pubmed-awaiting", key: "home.pubmed.awaiting", href: "/pubmed?status=received", perm: write, where: currentTenant,
				count: func(r *http.Request, sess *identity.Session) (int, error) {
					return s.biz.Pubmed.CountAwaitingDecision(r.Context(), sess.Tenant)
				}},
		},
	}
}

// pubmedMessages are the strings of the public-expense screens.
var pubmedMessages = joinMessages(pubmedScreenMessages, pubmedRegMessages)

var pubmedScreenMessages = messages{
	"nav.pubmed":                     {"公費負担医療", "Public-expense care"},
	"home.pubmed.awaiting":           {"確認済みで決定を待つ公費負担医療の申請が %d 件あります", "%d confirmed public-expense applications await their decision"},
	"pubmed.title":                   {"公費負担医療の申請一覧", "Public-expense care applications"},
	"pubmed.list.help":               {"保健所・状態・宛名番号で絞り込めます。新しい順に表示します。", "Narrow by health centre, status or resident code; the latest first."},
	"pubmed.list.show":               {"表示", "Show"},
	"pubmed.list.caption":            {"申請（確認済み）", "Applications (confirmed)"},
	"pubmed.list.none":               {"該当する申請はありません。", "No application matched."},
	"pubmed.awaiting":                {"決定待ち: %d 件", "Awaiting decision: %d"},
	"pubmed.status.all":              {"すべて", "All"},
	"pubmed.status.received":         {"決定待ち", "Awaiting decision"},
	"pubmed.status.approved":         {"認定", "Approved"},
	"pubmed.status.rejected":         {"却下", "Rejected"},
	"pubmed.kind.new":                {"新規", "New"},
	"pubmed.kind.renewal":            {"更新", "Renewal"},
	"pubmed.kind.change":             {"変更", "Change"},
	"pubmed.kind.cancel":             {"取消", "Cancellation"},
	"pubmed.programme.nanbyo":        {"特定医療費（指定難病）", "Designated intractable disease (指定難病)"},
	"pubmed.programme.shoman":        {"小児慢性特定疾病医療費", "Pediatric chronic specific disease (小児慢性特定疾病)"},
	"pubmed.programme.ryoiku":        {"療育医療", "Rehabilitative care (療育医療)"},
	"pubmed.category.welfare":        {"生活保護", "Public assistance (生活保護)"},
	"pubmed.category.low1":           {"低所得Ⅰ", "Low income I"},
	"pubmed.category.low2":           {"低所得Ⅱ", "Low income II"},
	"pubmed.category.general1":       {"一般所得Ⅰ", "General income I"},
	"pubmed.category.general2":       {"一般所得Ⅱ", "General income II"},
	"pubmed.category.upper":          {"上位所得", "Upper income"},
	"pubmed.flag.high_long":          {"高額かつ長期", "High cost, long term (高額かつ長期)"},
	"pubmed.flag.severe":             {"重症（小児慢性特定疾病）", "Severe (pediatric only)"},
	"pubmed.flag.ventilator":         {"人工呼吸器等装着", "On a ventilator or similar"},
	"pubmed.column.general":          {"一般", "General"},
	"pubmed.column.reduced":          {"高額かつ長期・重症", "High cost, long term / severe"},
	"pubmed.column.ventilator":       {"人工呼吸器等装着", "Ventilator"},
	"pubmed.end.change":              {"変更により終了", "ended by a change"},
	"pubmed.end.cancel":              {"取消", "cancelled"},
	"pubmed.yen":                     {"%d円", "¥%d"},
	"pubmed.yes":                     {"はい", "Yes"},
	"pubmed.no":                      {"いいえ", "No"},
	"pubmed.submitted":               {"確認待ちに登録しました。別の職員が確認すると受付され、決定できるようになります。", "Sent for confirmation: once another staff member confirms it, it is received and can be decided."},
	"pubmed.decided":                 {"決定を確認待ちに登録しました。別の職員が確認すると決定となり、認定なら受給者証を交付します。", "The decision is sent for confirmation: once another staff member confirms it, it is made and, if approved, the certificate is issued."},
	"pubmed.decision.pending":        {"この申請の決定は確認待ちです（入力確認で別の職員が確認します）。", "A decision on this application awaits confirmation by another staff member."},
	"pubmed.apply.title":             {"公費負担医療の申請の入力", "Enter a public-expense application"},
	"pubmed.apply.help":              {"保健所で受け付けた申請書のとおり入力します。入力は確認待ちになり、別の職員が確認すると受付となります。", "Enter the application as received at the health centre: it waits until another staff member confirms it, and is received then."},
	"pubmed.apply.application":       {"申請", "Application"},
	"pubmed.apply.medical":           {"疾病と自己負担", "Disease and co-payment"},
	"pubmed.apply.certificate.help":  {"更新・変更・取消は対象の受給者証の番号（一覧の番号）を、変更・取消は適用日も入力します。", "A renewal, change or cancellation names the certificate (its number in the list); a change or cancellation also its first day."},
	"pubmed.apply.disease.help":      {"指定疾病の一覧（版 %s）から選びます。受付日に指定されている疾病だけが申請できます。", "Choose from the designated-disease list (version %s); only a disease designated on the day received can be applied for."},
	"pubmed.apply.institutions.help": {"指定医療機関を読点（、）で区切って入力します（10か所まで）。", "The designated medical institutions, separated by commas (at most 10)."},
	"pubmed.app.title":               {"公費負担医療の申請", "Public-expense application"},
	"pubmed.app.heading":             {"申請 %d", "Application %d"},
	"pubmed.app.no":                  {"申請番号", "No."},
	"pubmed.app.confirmed":           {"確認（受付）", "Confirmed (received)"},
	"pubmed.app.decided":             {"決定", "Decided"},
	"pubmed.decide.title":            {"認定・却下の決定", "Decide"},
	"pubmed.decide.help":             {"決定は別の職員が入力確認で確認してから効力を持ち、認定なら受給者証を交付します。有効期間は空欄なら、新規は受付日から、更新は前の受給者証の翌日から1年です。却下は理由が必須です。", "The decision holds once another staff member confirms it, and an approval then issues the recipient certificate; left empty, the validity is one year from the day received (a renewal: from the day after the old one ends). A rejection needs its reason."},
	"pubmed.decide.submit":           {"決定する", "Decide"},
	"pubmed.outcome.approve":         {"認定", "Approve"},
	"pubmed.outcome.reject":          {"却下", "Reject"},
	"pubmed.certificates":            {"この人の受給者証", "This person's certificates"},
	"pubmed.certificates.none":       {"受給者証はありません。", "No certificate."},
	"pubmed.cert.title":              {"受給者証", "Recipient certificate"},
	"pubmed.cert.heading":            {"受給者番号 %s", "Recipient number %s"},
	"pubmed.cert.number":             {"受給者番号", "Recipient number"},
	"pubmed.cert.validity":           {"有効期間", "Valid"},
	"pubmed.cert.cap":                {"自己負担上限額（月額）", "Monthly co-payment cap"},
	"pubmed.cert.disease":            {"疾病名", "Disease"},
	"pubmed.cert.basis":              {"上限額の根拠", "Basis of the cap"},
	"pubmed.cert.basis.text":         {"上限額表 %s（%s から）", "Cap table %s (from %s)"},
	"pubmed.month.title":             {"自己負担上限額管理票 %s", "Monthly co-payment record %s"},
	"pubmed.month.reached":           {"%s に上限額に達しました。この月の残りの自己負担はありません。", "The cap was reached on %s: nothing more is paid this month."},
	"pubmed.month.nothing":           {"上限額は0円です（自己負担はありません）。", "The cap is ¥0: nothing is paid."},
	"pubmed.month.remaining":         {"累積 %d円 / 上限 %d円（残り %d円）", "Total ¥%d of ¥%d (¥%d left)"},
	"pubmed.month.counted":           {"上限額までの算入額", "Counted toward the cap"},
	"pubmed.month.total":             {"累積額", "Total"},
	"pubmed.copayment.submit":        {"記入する", "Enter"},
	"pubmed.copayment.recorded":      {"自己負担額を記入しました。", "The co-payment is entered."},
	"pubmed.print.title":             {"特定医療費（指定難病）・小児慢性特定疾病医療受給者証", "Recipient certificate"},
	"pubmed.print.link":              {"受給者証の印刷用表示", "Print view of the certificate"},
	"pubmed.print.back":              {"受給者証の画面に戻る", "Back to the certificate"},
	"pubmed.print.note":              {"指定医療機関で受診するときは、この受給者証と自己負担上限額管理票を提示してください。記載事項に変更があったときは届け出てください。", "Show this certificate and the monthly co-payment record at a designated institution; report any change of its details."},
	"pubmed.print.issuer":            {"交付者", "Issued by"},
	"pubmed.evidence":                {"証拠書類", "Evidence papers"},
	"pubmed.evidence.help":           {"申請の証拠書類は、施錠でき職員以外が立ち入れない場所にある保管庫に保管します。移動・廃棄は理由とともに記録します。", "Evidence papers are kept in a cabinet that locks and stands in a staff-only area; a move or disposal is recorded with its reason."},
	"pubmed.evidence.none":           {"記録された証拠書類はありません。", "No evidence paper recorded."},
	"pubmed.evidence.store":          {"保管を記録", "Record the paper"},
	"pubmed.evidence.move":           {"移動を記録", "Record a move"},
	"pubmed.evidence.dispose":        {"廃棄を記録", "Record disposal"},
	"pubmed.evidence.disposed":       {"廃棄済み", "Disposed of"},
	"pubmed.evidence.recorded":       {"証拠書類の記録を更新しました。", "The evidence ledger is updated."},
	"pubmed.evidence.event.stored":   {"保管", "Stored"},
	"pubmed.evidence.event.moved":    {"移動", "Moved"},
	"pubmed.evidence.event.disposed": {"廃棄", "Disposed of"},
	"pubmed.cabinets.title":          {"証拠書類の保管庫", "Evidence cabinets"},
	"pubmed.cabinets.help":           {"保管庫の場所と、施錠の有無・職員以外立入禁止の区域かを記録します。両方を満たす保管庫だけが選べます。", "Record each cabinet's place, whether it locks and whether it stands in a staff-only area; only one that is both can be chosen."},
	"pubmed.cabinets.none":           {"保管庫は登録されていません。", "No cabinet recorded."},
	"pubmed.cabinet.add":             {"保管庫を登録", "Add a cabinet"},
	"pubmed.cabinet.added":           {"保管庫を登録しました。", "The cabinet is added."},
	"pubmed.cabinet.papers":          {"保管中の書類", "Papers kept"},
	"pubmed.cabinet.usable":          {"選択可", "Can be chosen"},
	"pubmed.cabinet.unusable":        {"（選択不可: 施錠・立入制限なし）", "(cannot be chosen: not locked or not staff-only)"},
	"field.programme":                {"制度", "Programme"},
	"field.disease_code":             {"疾病", "Disease"},
	"field.category":                 {"階層区分", "Income category"},
	"field.tax_status":               {"市町村民税の課税状況", "Municipal tax status"},
	"field.income_levy":              {"所得割の合計（円）", "Total 所得割 (yen)"},
	"field.annual_income":            {"年収（円）", "Yearly income (yen)"},
	"field.category_override":        {"基準と異なる階層区分", "Another category than the rule's"},
	"field.category_reason":          {"その理由", "Its reason"},
	"pubmed.tax.welfare":             {"生活保護を受給", "On public assistance (生活保護)"},
	"pubmed.tax.exempt":              {"市町村民税非課税（世帯員全員）", "Exempt from municipal tax (every member)"},
	"pubmed.tax.levied":              {"市町村民税課税（均等割のみを含む）", "Levied (including 均等割 only)"},
	"pubmed.apply.tier.help":         {"階層区分は入力しません。課税証明書等の支給認定基準世帯員の市町村民税所得割の合計（課税のとき）、または年収（非課税のとき。指定難病は本人、小児慢性は保護者）から、基準（版は決定に記録）で決まります。基準と異なる区分にするのは理由があるときだけで、理由と入力者が記録されます。", "The income category is not chosen: it follows by the rule (its version is recorded with the decision) from the total 所得割 of the household members (when levied) or the yearly income (when exempt: the patient's for 指定難病, the guardian's for 小児慢性). Another category only with a reason, recorded with who chose it."},
	"pubmed.tier.derived":            {"基準による区分", "By the rule"},
	"pubmed.tier.basis":              {"区分の根拠", "Basis"},
	"pubmed.tier.override":           {"変更（理由: %s、%s）", "Overridden (reason: %s, by %s)"},
	"field.flags":                    {"上限額の区分", "Cap flags"},
	"field.institutions":             {"指定医療機関", "Designated institutions"},
	"field.health_centre":            {"受付保健所", "Health centre"},
	"field.received_on":              {"受付日", "Received on"},
	"field.certificate":              {"対象の受給者証", "Certificate concerned"},
	"field.valid_from":               {"有効期間の開始日", "Valid from"},
	"field.valid_until":              {"有効期間の終了日", "Valid until"},
	"field.service_date":             {"受診日", "Date of care"},
	"field.institution":              {"医療機関", "Institution"},
	"field.amount":                   {"自己負担額（円）", "Co-payment (yen)"},
	"field.month":                    {"年月", "Month"},
	"field.location":                 {"場所", "Location"},
	"field.locked":                   {"施錠できる", "Locks"},
	"field.staff_only":               {"職員以外立入禁止の区域にある", "In a staff-only area"},
	"field.description":              {"書類", "Paper"},
	"field.cabinet":                  {"保管庫", "Cabinet"},
	"field.to_cabinet":               {"移動先の保管庫", "Cabinet moved to"},
	"field.evidence":                 {"証拠書類", "Evidence paper"},
	"field.status":                   {"状態", "Status"},

	// My Number entry and its minimum holding (R-PUB-2, R-STO-2).
	"field.identity_method":                      {"受付時の本人確認", "Identity verified at intake"},
	"pubmed.apply.mynumber":                      {"個人番号と本人確認", "My Number and identity"},
	"pubmed.apply.mynumber.help":                 {"申請書と番号確認書類を見ながら入力します（任意）。入力後は誰にも表示されず、確認者が書類から入力し直して一致したときに受付となります。個人番号を受け取るときは本人確認の方法を必ず選びます。", "Type it from the application and the number evidence document (optional). Once entered it is shown to nobody; the application is received when the checker types it again from the documents and both match. With a My Number, choose how the identity was verified."},
	"pubmed.app.mynumber":                        {"個人番号", "My Number"},
	"pubmed.app.mynumber.none":                   {"申請時に入力なし", "not entered with the application"},
	"pubmed.app.mynumber.masked":                 {"%s（入力済み・非表示）", "%s (entered, hidden)"},
	"pubmed.identity.mynumber_card":              {"個人番号カード", "My Number card"},
	"pubmed.identity.notification_card_photo_id": {"通知カード＋顔写真付き身分証明書", "Notification card + photo ID"},
	"pubmed.identity.signature_certificate":      {"署名用電子証明書", "Signature certificate"},
	"pubmed.deletions.title":                     {"個人番号の削除の記録", "My Numbers deleted"},
	"pubmed.deletions.link":                      {"個人番号の削除の記録", "My Numbers deleted"},
	"pubmed.deletions.help":                      {"公費負担医療で受け取った個人番号は、最後の受給者証の終了（または却下）から %d 年を過ぎた翌月の処理で、ほかの事務で必要とされていなければ削除されます。", "A My Number received for public-expense care is deleted by the monthly run after %d years from the end of the last certificate (or a rejection), unless another business still needs it."},
	"pubmed.deletions.caption":                   {"削除した個人番号", "Deleted My Numbers"},
	"pubmed.deletions.none":                      {"削除した個人番号はありません。", "No My Number deleted."},
	"pubmed.deletions.businesses":                {"終了した保有", "Holds ended"},
	"pubmed.deletions.until":                     {"保有期限", "Needed until"},
	"pubmed.deletions.on":                        {"削除日", "Deleted on"},
	"pubmed.deletions.by":                        {"処理", "By"},
	"pubmed.runs.caption":                        {"月次処理", "Monthly runs"},
	"pubmed.runs.none":                           {"月次処理はまだ行われていません。", "No monthly run yet."},
	"pubmed.runs.month":                          {"年月", "Month"},
	"pubmed.runs.at":                             {"処理日時", "Ran at"},
	"pubmed.runs.ended":                          {"終了した保有", "Holds ended"},
	"pubmed.runs.deleted":                        {"削除", "Deleted"},
	"pubmed.runs.rules":                          {"適用した保存期間の規則（件数）", "Retention rules applied (holds)"},
	"pubmed.deletions.rules":                     {"保存期間の規則", "Retention rule"},
	"pubmed.deletions.rule":                      {"（規則 %s。団体ごとの規則があればそれが優先します）", "(rule %s; a municipality's own rule, if any, comes first)"},
	"pubmed.renewals.title":                      {"更新対象の受給者証", "Certificates to renew"},
	"pubmed.renewals.help":                       {"有効期間の終了日が %s から %s まで（%d 日以内）の受給者証のうち、更新されておらず更新申請も決定待ちでないものです。終了日の近い順に最大 %d 件を表示します。", "Certificates whose last day falls from %s to %s (within %d days), not renewed and with no renewal awaiting, the nearest first, at most %d shown."},
	"pubmed.renewals.total":                      {"該当 %d 件", "%d certificates"},
	"pubmed.renewals.none":                       {"期間内に更新対象の受給者証はありません。", "No certificate to renew in the window."},
	"pubmed.renewals.apply":                      {"更新申請を入力", "Enter the renewal"},
	"field.days":                                 {"日数", "Days"},
}
