package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"bango/internal/access"
	"bango/internal/audit"
	"bango/internal/pubmed"
	"bango/internal/review"
)

// The 登録者証 of public-expense care (指定難病要支援者証明事業): entered
// by a pubmed.write holder and issued once a different staff member
// confirms it in 入力確認 (R-ACC-1), listed with each person's history,
// and printed as the form the resident receives (name, date of birth,
// number and the first day; no end and no disease name on it). Its end
// goes through the checker the same way.

// pubmedRegsData is the list of registrations with the issue form.
type pubmedRegsData struct {
	Items    []pubmed.Registration
	Bases    []string
	Today    string
	MayWrite bool
	// IssuePending says the person of the history shown has an issue
	// waiting for its checker.
	IssuePending bool
}

var registrationFields = []string{"resident_code", "disease_code", "basis", "evidence", "application", "health_centre", "received_on"}

func (s *Server) pubmedRegsPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderPubmedRegs(w, r, http.StatusOK, refusal{}, nil)
}

func (s *Server) renderPubmedRegs(w http.ResponseWriter, r *http.Request, status int, problem refusal, form map[string]string) error {
	sess := sessionFrom(r.Context())
	p := s.newPage(r, "pubmed.regs.title", sess)
	items, err := s.biz.Pubmed.Registrations(r.Context(), sess.Tenant, r.URL.Query().Get("resident_code"))
	if err != nil {
		return err
	}
	if form == nil {
		form = map[string]string{"resident_code": r.URL.Query().Get("resident_code")}
	}
	d := pubmedRegsData{Items: items, Bases: pubmed.RegistrationBases, Today: time.Now().In(jst).Format(time.DateOnly),
		MayWrite: rightsFrom(r.Context()).Has(access.PubmedWrite, sess.Tenant)}
	if code := strings.TrimSpace(r.URL.Query().Get("resident_code")); code != "" {
		if d.IssuePending, err = s.biz.Review.PendingFor(r.Context(), sess.Tenant, pubmed.KindRegistration,
			audit.Subject{Type: "pubmed_recipient", ID: code}); err != nil {
			return err
		}
	}
	p.fill(r, d, problem, form, pubmedNotices)
	return s.render(w, r, status, "pubmedregs", p)
}

func registrationInput(f map[string]string) pubmed.RegistrationInput {
	in := pubmed.RegistrationInput{ResidentCode: f["resident_code"], DiseaseCode: f["disease_code"], Basis: f["basis"], Evidence: f["evidence"],
		HealthCentre: f["health_centre"], ReceivedOn: f["received_on"]}
	in.Application, _ = strconv.ParseInt(f["application"], 10, 64)
	if f["application"] != "" && in.Application <= 0 {
		in.Application = -1 // not found, said on its field
	}
	return in
}

func (s *Server) pubmedRegPost(w http.ResponseWriter, r *http.Request) error {
	f, err := postedForm(r, registrationFields...)
	if err != nil {
		return err
	}
	in := registrationInput(f)
	if _, err := s.submitRegistration(r, in); err != nil {
		return formProblem(r, err, func(status int, msg refusal) error { return s.renderPubmedRegs(w, r, status, msg, f) })
	}
	http.Redirect(w, r, "/pubmed/registrations?resident_code="+url.QueryEscape(strings.TrimSpace(in.ResidentCode))+"&done=reg_submitted", http.StatusSeeOther)
	return nil
}

// submitRegistration sends the issue of a 登録者証 to the checker's queue
// (R-ACC-1): it is numbered and issued when a different staff member
// confirms it.
func (s *Server) submitRegistration(r *http.Request, in pubmed.RegistrationInput) (review.Change, error) {
	sess := sessionFrom(r.Context())
	prop, err := s.biz.Pubmed.ProposeRegistration(r.Context(), sess.Tenant, in)
	if err != nil {
		return review.Change{}, err
	}
	return s.biz.Review.Submit(r.Context(), sess.User, sess.Tenant, prop)
}

// submitRegistrationEnd sends the end of registration id to the checker's
// queue (R-ACC-1).
func (s *Server) submitRegistrationEnd(r *http.Request, id int64, in pubmed.RegistrationEndInput) (review.Change, error) {
	sess := sessionFrom(r.Context())
	prop, err := s.biz.Pubmed.ProposeRegistrationEnd(r.Context(), sess.Tenant, id, in)
	if err != nil {
		return review.Change{}, err
	}
	return s.biz.Review.Submit(r.Context(), sess.User, sess.Tenant, prop)
}

// pubmedRegPrintData is a 登録者証 as printed, with the form that ends
// it for a pubmed.write holder while it is in force.
type pubmedRegPrintData struct {
	Registration pubmed.Registration
	Name         string
	BirthDate    time.Time
	Tenant       string
	MayWrite     bool
	EndReasons   []string
	Today        string
	// EndPending says an end of this registration waits for its checker.
	EndPending bool
}

var registrationEndFields = []string{"ended_on", "reason"}

// pubmedRegEndPost ends a 登録者証 (returned, moved away, death) from its
// page; a refusal shows the page again with the field marked.
func (s *Server) pubmedRegEndPost(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "registration")
	if err != nil {
		return err
	}
	f, err := postedForm(r, registrationEndFields...)
	if err != nil {
		return err
	}
	_, err = s.submitRegistrationEnd(r, id, pubmed.RegistrationEndInput{EndedOn: f["ended_on"], Reason: f["reason"]})
	if err != nil {
		return formProblem(r, err, func(status int, msg refusal) error { return s.renderPubmedRegPrint(w, r, id, status, msg, f) })
	}
	http.Redirect(w, r, "/pubmed/registrations/"+strconv.FormatInt(id, 10)+"/print?done=reg_end_submitted", http.StatusSeeOther)
	return nil
}

func (s *Server) apiPubmedRegEnd(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "registration")
	if err != nil {
		return err
	}
	var in pubmed.RegistrationEndInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	c, err := s.submitRegistrationEnd(r, id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, c)
	return nil
}

func (s *Server) pubmedRegPrintPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "registration")
	if err != nil {
		return err
	}
	return s.renderPubmedRegPrint(w, r, id, http.StatusOK, refusal{}, nil)
}

func (s *Server) renderPubmedRegPrint(w http.ResponseWriter, r *http.Request, id int64, status int, problem refusal, form map[string]string) error {
	sess := sessionFrom(r.Context())
	g, err := s.biz.Pubmed.Registration(r.Context(), sess.Tenant, id)
	if err != nil {
		return err
	}
	res, err := s.biz.Residents.Get(r.Context(), sess.Tenant, g.ResidentCode)
	if err != nil {
		return err
	}
	d := pubmedRegPrintData{Registration: g, Name: res.NameKanji, BirthDate: res.BirthDate, Tenant: sess.Tenant,
		MayWrite: rightsFrom(r.Context()).Has(access.PubmedWrite, sess.Tenant), EndReasons: pubmed.RegistrationEndReasons,
		Today: time.Now().In(jst).Format(time.DateOnly)}
	if g.EndedOn.IsZero() {
		if d.EndPending, err = s.biz.Review.PendingFor(r.Context(), sess.Tenant, pubmed.KindRegistrationEnd, pubmed.RegistrationSubject(id)); err != nil {
			return err
		}
	}
	p := s.newPage(r, "pubmed.reg.print.title", sess)
	p.fill(r, d, problem, form, pubmedNotices)
	return s.render(w, r, status, "pubmedregprint", p)
}

// pubmedRegsAnswer is a list of registrations.
type pubmedRegsAnswer struct {
	Registrations []pubmed.Registration `json:"registrations"`
}

func (s *Server) apiPubmedRegs(w http.ResponseWriter, r *http.Request) error {
	items, err := s.biz.Pubmed.Registrations(r.Context(), sessionFrom(r.Context()).Tenant, r.URL.Query().Get("resident_code"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pubmedRegsAnswer{Registrations: items})
	return nil
}

func (s *Server) apiPubmedRegIssue(w http.ResponseWriter, r *http.Request) error {
	var in pubmed.RegistrationInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	c, err := s.submitRegistration(r, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, c)
	return nil
}

func (s *Server) apiPubmedReg(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "registration")
	if err != nil {
		return err
	}
	g, err := s.biz.Pubmed.Registration(r.Context(), sessionFrom(r.Context()).Tenant, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, g)
	return nil
}

// pubmedRegRoutes are the registration pages and API (pubmed.read reads,
// pubmed.write enters an issue or an end, which a checker confirms,
// R-ACC-1), in the session's municipality (R-AC-6).
func (s *Server) pubmedRegRoutes() []route {
	read, write := access.PubmedRead, access.PubmedWrite
	return []route{
		{pattern: "GET /pubmed/registrations", gate: loggedIn, perm: read, where: currentTenant, h: s.pubmedRegsPage},
		{pattern: "POST /pubmed/registrations", gate: loggedIn, perm: write, where: currentTenant, h: s.pubmedRegPost},
		{pattern: "GET /pubmed/registrations/{id}/print", gate: loggedIn, perm: read, where: currentTenant, h: s.pubmedRegPrintPage},
		{pattern: "POST /pubmed/registrations/{id}/end", gate: loggedIn, perm: write, where: currentTenant, h: s.pubmedRegEndPost},
		{pattern: "GET /api/v1/pubmed/registrations", gate: loggedIn, perm: read, where: currentTenant, json: true, h: s.apiPubmedRegs,
			summary: "The 登録者証 (registration certificates of 指定難病 patients) issued, the latest first; one person's history with resident_code",
			query:   []apiParam{{"resident_code", "string", "the resident code (宛名番号)"}}, answer: pubmedRegsAnswer{}},
		{pattern: "POST /api/v1/pubmed/registrations", gate: loggedIn, perm: write, where: currentTenant, json: true, h: s.apiPubmedRegIssue,
			summary: "Enter the issue of a 登録者証 to a patient who meets a 指定難病's diagnostic criteria (refused the subsidy for severity, mild, or a recipient): it waits for a checker, and is numbered and issued once a different staff member confirms it",
			body:    pubmed.RegistrationInput{}, status: http.StatusAccepted, answer: review.Change{}},
		{pattern: "GET /api/v1/pubmed/registrations/{id}", gate: loggedIn, perm: read, where: currentTenant, json: true, h: s.apiPubmedReg,
			summary: "A 登録者証", answer: pubmed.Registration{}},
		{pattern: "POST /api/v1/pubmed/registrations/{id}/end", gate: loggedIn, perm: write, where: currentTenant, json: true, h: s.apiPubmedRegEnd,
			summary: "Enter the end of a 登録者証 on its last day — returned (no longer needed), moved (out of the prefecture) or death: it waits for a checker, and the certificate ends once a different staff member confirms it",
			body:    pubmed.RegistrationEndInput{}, status: http.StatusAccepted, answer: review.Change{}},
	}
}

// pubmedRegMessages are the strings of the registration pages.
var pubmedRegMessages = messages{
	"pubmed.regs.title":           {"登録者証（指定難病）", "Registration certificates (指定難病)"},
	"pubmed.regs.help":            {"指定難病の診断基準を満たす人に交付します（重症度分類等を満たさず不認定となった人、申請に至らない軽症の人、受給者）。入力した交付・終了は、別の職員が入力確認で確認してから効力を持ちます。有効期間の終わりはありません。病名は登録者証に記載しません。", "Issued to a person who meets a 指定難病's diagnostic criteria (refused the subsidy for severity, mild, or a recipient). An issue or end entered holds once another staff member confirms it. It has no end; the disease is not printed on it."},
	"pubmed.regs.caption":         {"交付した登録者証（新しい順）", "Registration certificates issued (latest first)"},
	"pubmed.regs.none":            {"交付した登録者証はありません。", "No registration certificate issued."},
	"pubmed.regs.issue":           {"登録者証を交付する", "Issue a registration certificate"},
	"pubmed.regs.filter":          {"宛名番号で絞り込む（履歴）", "One person's history (resident code)"},
	"pubmed.reg.number":           {"登録者証番号", "Registration number"},
	"pubmed.reg.basis":            {"交付の根拠", "Grounds"},
	"pubmed.reg.basis.not_severe": {"診断基準を満たすが重症度分類等を満たさず不認定", "Meets the diagnostic criteria, refused for severity"},
	"pubmed.reg.basis.mild":       {"医療費助成の申請に至らない軽症者", "Mild, no subsidy application"},
	"pubmed.reg.basis.recipient":  {"特定医療費（指定難病）の受給者", "Recipient of the 指定難病 subsidy"},
	"pubmed.reg.evidence":         {"診断を確認した書類", "Document showing the diagnosis"},
	"pubmed.reg.application":      {"医療費助成の申請番号（不認定のとき）", "Subsidy application no. (when refused)"},
	"pubmed.reg.valid_from":       {"有効期間開始日", "Valid from"},
	"pubmed.reg.no_end":           {"（期限の定めなし）", "(no end)"},
	"pubmed.reg.ended":            {"終了 %s", "Ended %s"},
	"pubmed.reg.print":            {"印刷用", "Print"},
	"pubmed.reg.print.title":      {"登録者証（指定難病）", "Registration certificate (指定難病)"},
	"pubmed.reg.print.heading":    {"登録者証（指定難病）", "Registration certificate (指定難病)"},
	"pubmed.reg.print.note":       {"この証は、あなたが指定難病にかかっていることを証明するものです。障害福祉サービスの申請やハローワーク等で提示できます。この証で医療費の助成は受けられません。住所・氏名が変わったとき、不要になったときは届け出てください。", "This certifies that you have a designated intractable disease; show it when applying for welfare services or at Hello Work. It gives no medical-cost subsidy. Report a change of address or name, or return it when no longer needed."},
	"pubmed.reg.print.back":       {"登録者証の一覧へ戻る", "Back to the registration certificates"},
	"pubmed.reg.end":              {"登録者証を終了する", "End the registration certificate"},
	"pubmed.reg.end.help":         {"返還・転出・死亡のときに、有効期間の最終日と理由を入力します。別の職員が入力確認で確認すると終了し、その後は新しい登録者証を交付できます。", "Enter the last day and the reason when the certificate is returned, the person moves away or dies. It ends once another staff member confirms it; a new certificate may be issued afterwards."},
	"pubmed.reg.ended_on":         {"有効期間の最終日", "Last day"},
	"pubmed.reg.end_reason":       {"終了の理由", "Reason"},
	"pubmed.reg.end.returned":     {"返還（不要になった）", "Returned (no longer needed)"},
	"pubmed.reg.end.moved":        {"転出（都道府県外へ）", "Moved out of the prefecture"},
	"pubmed.reg.end.death":        {"死亡", "Death"},
	"pubmed.reg.submitted":        {"登録者証の交付を確認待ちに登録しました。別の職員が入力確認で確認すると番号が付いて交付され、印刷できるようになります。", "The issue is sent for confirmation: once another staff member confirms it, the certificate is numbered and issued and can be printed."},
	"pubmed.reg.end.submitted":    {"登録者証の終了を確認待ちに登録しました。別の職員が入力確認で確認すると終了します。", "The end is sent for confirmation: the certificate ends once another staff member confirms it."},
	"pubmed.reg.issue.pending":    {"この人の登録者証の交付は確認待ちです（入力確認で別の職員が確認します）。", "An issue for this person awaits confirmation by another staff member."},
	"pubmed.reg.end.pending":      {"この登録者証の終了は確認待ちです（入力確認で別の職員が確認します）。", "The end of this certificate awaits confirmation by another staff member."},
	"pubmed.reg.issued":           {"交付（入力／確認）", "Issued (entered / confirmed)"},
	"pubmed.regs.submit":          {"交付を確認待ちに登録する", "Send the issue for confirmation"},
	"pubmed.reg.end.submit":       {"終了を確認待ちに登録する", "Send the end for confirmation"},
}
