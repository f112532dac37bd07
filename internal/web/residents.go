package web

import (
	"crypto/rand"
	"net/http"
	"net/url"
	"strings"

	"bango/internal/access"
	"bango/internal/alert"
	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/export"
	"bango/internal/mynumber"
	"bango/internal/notify"
	"bango/internal/resident"
	"bango/internal/review"
	"bango/internal/tenant"
)

// Business holds the business services the pages use.
type Business struct {
	Residents *resident.Service
	Review    *review.Service
	Alerts    *alert.Service
	Exports   *export.Service
	Outbox    *notify.Outbox // mail that keeps failing shows on the IS administrator's home page
	Tenants   *tenant.Service
}

// The resident pages work in the session's municipality only: a code of
// another municipality is "not found" (R-AC-6).

type residentsData struct {
	Query   string
	Results []resident.Resident
	More    bool // more matched than are listed: the person narrows the search
}

func (s *Server) residentsPage(w http.ResponseWriter, r *http.Request) error {
	sess := sessionFrom(r.Context())
	p := s.newPage(r, "residents.title", sess)
	d := residentsData{Query: strings.TrimSpace(r.URL.Query().Get("q"))}
	if looksLikeMyNumber(d.Query) {
		// A number pasted into the box must not travel in a URL (browser
		// history, proxy logs): the form posts it.
		p.Data, p.Error = residentsData{}, tr(p.Lang, "residents.number_in_url")
		return s.render(w, r, http.StatusBadRequest, "residents", p)
	}
	if d.Query != "" {
		var found resident.SearchResult
		found, err := s.biz.Residents.Find(r.Context(), sess.Tenant, d.Query)
		d.Results, d.More = found.Residents, found.More
		if msg, ok := problemText(p.Lang, err); err != nil && ok {
			p.Error = msg
		} else if err != nil {
			return err
		}
	}
	p.Data = d
	return s.render(w, r, http.StatusOK, "residents", p)
}

// looksLikeMyNumber reports whether q is twelve digits (ASCII or full
// width, spaces and hyphens aside): a My Number, not a name or a code.
func looksLikeMyNumber(q string) bool {
	n := 0
	for _, r := range q {
		switch {
		case r >= '0' && r <= '9' || r >= '０' && r <= '９':
			n++
		case r == ' ' || r == '　' || r == '-' || r == '－':
		default:
			return false
		}
	}
	return n == 12
}

// residentsSearchPost takes the search form: a My Number is looked up by
// its blind index (an audited lookup) and leads to the resident's record;
// anything else goes on to the search page by its address.
func (s *Server) residentsSearchPost(w http.ResponseWriter, r *http.Request) error {
	f, err := formValues(r, "q")
	if err != nil {
		return err
	}
	if !looksLikeMyNumber(f["q"]) {
		http.Redirect(w, r, "/residents?q="+url.QueryEscape(f["q"]), http.StatusSeeOther)
		return nil
	}
	res, err := s.findByNumber(r, f["q"])
	if err != nil {
		p := s.newPage(r, "residents.title", sessionFrom(r.Context()))
		msg, ok := problemText(p.Lang, err)
		if !ok {
			return err
		}
		p.Data, p.Error = residentsData{}, msg
		return s.render(w, r, problemStatus(err), "residents", p)
	}
	http.Redirect(w, r, "/residents/"+res.Code, http.StatusSeeOther)
	return nil
}

// findByNumber finds the resident of the session's municipality who
// holds the typed My Number.
func (s *Server) findByNumber(r *http.Request, text string) (resident.Resident, error) {
	n, err := mynumber.Parse(text)
	if err != nil {
		return resident.Resident{}, numberFieldError(err)
	}
	return s.biz.Residents.FindByMyNumber(r.Context(), sessionFrom(r.Context()).Tenant, n)
}

type residentData struct {
	Resident       resident.Resident
	PendingNumber  bool // a My Number registration awaits confirmation
	MayEnter       bool
	MayReveal      bool
	RevealPurposes []string
	StepUpNeeded   bool
	RevealOnce     string // the reveal form's one-time token: a reload reveals nothing
	Revealed       *resident.Revealed
	RevealShowFor  int // seconds the revealed number stays on screen
}

// revealShowSeconds is how long a revealed number stays on the screen
// before the page hides it again.
const revealShowSeconds = 60

func (s *Server) residentData(r *http.Request, code string) (*residentData, error) {
	sess, rights := sessionFrom(r.Context()), rightsFrom(r.Context())
	res, err := s.biz.Residents.Get(r.Context(), sess.Tenant, code)
	if err != nil {
		return nil, err
	}
	pending, err := s.biz.Review.PendingFor(r.Context(), sess.Tenant, resident.KindMyNumber, audit.Subject{Type: "resident", ID: code})
	if err != nil {
		return nil, err
	}
	return &residentData{Resident: res, PendingNumber: pending,
		MayEnter:  rights.Has(access.MyNumberEnter, sess.Tenant),
		MayReveal: rights.Has(access.MyNumberReveal, sess.Tenant), RevealPurposes: s.biz.Residents.RevealPurposes(),
		StepUpNeeded: !s.users.SecondFactorRecent(*sess), RevealOnce: newToken(), RevealShowFor: revealShowSeconds}, nil
}

func (s *Server) residentPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderResident(w, r, http.StatusOK, "", nil)
}

func (s *Server) renderResident(w http.ResponseWriter, r *http.Request, status int, problem string, revealed *resident.Revealed) error {
	d, err := s.residentData(r, r.PathValue("code"))
	if err != nil {
		return err
	}
	d.Revealed = revealed
	p := s.newPage(r, "resident.title", sessionFrom(r.Context()))
	p.Data, p.Error = d, problem
	if r.URL.Query().Get("done") == "submitted" {
		p.Notice = tr(p.Lang, "resident.submitted")
	}
	return s.render(w, r, status, "resident", p)
}

// enterMyNumber is the maker's step: the number is checked (check digit,
// not held by another resident) and waits for a checker (R-ACC-1).
func (s *Server) enterMyNumber(w http.ResponseWriter, r *http.Request) error {
	f, err := formValues(r, "mynumber")
	if err == nil {
		_, err = s.submitMyNumber(r, r.PathValue("code"), f["mynumber"])
	}
	if err != nil {
		return formProblem(r, err, func(status int, msg string) error { return s.renderResident(w, r, status, msg, nil) })
	}
	http.Redirect(w, r, "/residents/"+r.PathValue("code")+"?done=submitted", http.StatusSeeOther)
	return nil
}

// submitMyNumber parses text as a My Number and submits it for code in
// the session's municipality, to wait for a checker.
func (s *Server) submitMyNumber(r *http.Request, code, text string) (review.Change, error) {
	sess := sessionFrom(r.Context())
	if err := s.biz.Residents.Exists(r.Context(), sess.Tenant, code); err != nil {
		return review.Change{}, err
	}
	n, err := mynumber.Parse(text)
	if err != nil {
		return review.Change{}, numberFieldError(err)
	}
	prop, err := s.biz.Residents.ProposeMyNumber(r.Context(), sess.Tenant, code, n)
	if err != nil {
		return review.Change{}, err
	}
	return s.biz.Review.Submit(r.Context(), sess.User, sess.Tenant, prop)
}

// numberFieldError turns a My Number parse error into a field error that
// says why (length, characters, check digit) but never echoes the input.
func numberFieldError(err error) error {
	var fe errs.FieldErrors
	msg := errs.Message{JA: "個人番号が正しくありません", EN: "is not a valid My Number"}
	if pe, ok := err.(*mynumber.ParseError); ok {
		msg = pe.Reason
	}
	fe.Add("mynumber", msg)
	return fe.Err()
}

// revealNumber shows a My Number to a holder of mynumber.reveal who gives
// a purpose and passed a second factor within the step-up window
// (R-AC-4).
func (s *Server) revealNumber(w http.ResponseWriter, r *http.Request) error {
	f, err := formValues(r, "purpose", "note", "once")
	if err != nil {
		return err
	}
	rev, err := s.reveal(r, resident.RevealRequest{Code: r.PathValue("code"), Purpose: f["purpose"], Note: f["note"], Once: f["once"], FromForm: true})
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			return err
		}
		msg, ok := problemText(lang(r), err)
		switch err {
		case resident.ErrRevealStepUp:
			msg, ok = tr(lang(r), "reveal.stepup"), true
		case resident.ErrRevealUsed:
			msg, ok = tr(lang(r), "reveal.used"), true
		}
		if !ok {
			return err
		}
		return s.renderResident(w, r, problemStatus(err), msg, nil)
	}
	return s.renderResident(w, r, http.StatusOK, "", &rev)
}

// reveal reveals a My Number in the session's municipality: the resident
// service checks the step-up, the purpose and the one-time token, records
// the reveal and watches for bulk reveals.
func (s *Server) reveal(r *http.Request, req resident.RevealRequest) (resident.Revealed, error) {
	sess := sessionFrom(r.Context())
	req.StepUp = s.users.SecondFactorRecent(*sess)
	return s.biz.Residents.Reveal(r.Context(), sess.Tenant, req)
}

// The checker's pages.

// newToken is a random one-time token for a form.
func newToken() string { return rand.Text() }

// Residents, in the session's municipality (R-AC-6); My Number entry
// waits for a checker (R-ACC-1); reveal needs a purpose and a fresh
// second factor (R-AC-4).
func (s *Server) residentModule() webModule {
	return webModule{
		name: "residents",
		routes: []route{
			{pattern: "GET /residents", gate: loggedIn, perm: access.ResidentRead, where: currentTenant, h: s.residentsPage},
			{pattern: "POST /residents", gate: loggedIn, perm: access.ResidentRead, where: currentTenant, h: s.residentsSearchPost},
			{pattern: "GET /residents/{code}", gate: loggedIn, perm: access.ResidentRead, where: currentTenant, h: s.residentPage},
			{pattern: "POST /residents/{code}/mynumber", gate: loggedIn, perm: access.MyNumberEnter, where: currentTenant, h: s.enterMyNumber},
			{pattern: "POST /residents/{code}/reveal", gate: loggedIn, perm: access.MyNumberReveal, where: currentTenant, h: s.revealNumber},
			{pattern: "GET /api/v1/residents", gate: loggedIn, perm: access.ResidentRead, where: currentTenant, json: true, h: s.apiResidents,
				summary: "Find residents by code, date of birth or name", query: []apiParam{{"q", "string", "a resident code, a date of birth (西暦 or 和暦) or a name or part of one; never a My Number"}}, answer: resident.SearchResult{}},
			{pattern: "POST /api/v1/residents/search", gate: loggedIn, perm: access.ResidentRead, where: currentTenant, json: true, h: s.apiResidentSearch,
				summary: "Find residents by My Number (audited) or as GET /api/v1/residents does", body: searchBody{}, answer: residentsAnswer{}},
			{pattern: "GET /api/v1/residents/{code}", gate: loggedIn, perm: access.ResidentRead, where: currentTenant, json: true, h: s.apiResident,
				summary: "A resident, the My Number masked", answer: residentAnswer{}},
			{pattern: "POST /api/v1/residents/{code}/mynumber", gate: loggedIn, perm: access.MyNumberEnter, where: currentTenant, json: true, h: s.apiEnterMyNumber,
				summary: "Enter a resident's My Number: it waits for a checker to type it again", body: myNumberBody{}, status: http.StatusAccepted, answer: review.Change{}},
			{pattern: "POST /api/v1/residents/{code}/reveal", gate: loggedIn, perm: access.MyNumberReveal, where: currentTenant, json: true, h: s.apiReveal,
				summary: "Reveal a resident's My Number, for a statutory purpose, after a recent second factor (audited)", body: revealBody{}, answer: revealAnswer{}},
		},
		menu: []navItem{
			{Key: "nav.residents", Href: "/residents", perm: access.ResidentRead},
		},
	}
}

func (s *Server) apiResidents(w http.ResponseWriter, r *http.Request) error {
	sess := sessionFrom(r.Context())
	if looksLikeMyNumber(r.URL.Query().Get("q")) {
		return errNumberInQuery
	}
	found, err := s.biz.Residents.Find(r.Context(), sess.Tenant, r.URL.Query().Get("q"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, found)
	return nil
}

var errNumberInQuery = &errs.FieldErrors{List: []errs.FieldError{{Field: "q", Reason: errs.Message{
	JA: "個人番号はURLに含めず、POST /api/v1/residents/search で検索してください", EN: "a My Number never goes in a URL: search by POST /api/v1/residents/search"}}}}

// apiResidentSearch is the search by POST: a My Number (looked up by its
// blind index, audited) or anything the search by address takes.
func (s *Server) apiResidentSearch(w http.ResponseWriter, r *http.Request) error {
	var in searchBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	var list []resident.Resident
	if looksLikeMyNumber(in.Q) {
		res, err := s.findByNumber(r, in.Q)
		if err != nil && !errs.Is(err, errs.NotFound) {
			return err
		}
		if err == nil {
			list = append(list, res)
		}
	} else {
		var err error
		if list, err = s.biz.Residents.Search(r.Context(), sessionFrom(r.Context()).Tenant, in.Q); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, residentsAnswer{Residents: nonNil(list)})
	return nil
}

// searchBody is what the search by POST takes: a My Number, or what the
// search by GET takes as q.
type searchBody struct {
	Q string `json:"q"`
}

type residentsAnswer struct {
	Residents []resident.Resident `json:"residents"`
}

// residentAnswer is a resident and whether a My Number entered for them
// awaits confirmation.
type residentAnswer struct {
	Resident      resident.Resident `json:"resident"`
	PendingNumber bool              `json:"mynumber_pending"`
}

func (s *Server) apiResident(w http.ResponseWriter, r *http.Request) error {
	d, err := s.residentData(r, r.PathValue("code"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, residentAnswer{Resident: d.Resident, PendingNumber: d.PendingNumber})
	return nil
}

// myNumberBody is a My Number typed from the evidence: entered by the
// maker, typed again by the checker.
type myNumberBody struct {
	MyNumber string `json:"mynumber"`
}

func (s *Server) apiEnterMyNumber(w http.ResponseWriter, r *http.Request) error {
	var in myNumberBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	c, err := s.submitMyNumber(r, r.PathValue("code"), in.MyNumber)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, c)
	return nil
}

// revealBody is why a My Number is revealed: the statutory purpose, a
// note (required for その他), and optionally a key that makes a retried
// call reveal nothing more.
type revealBody struct {
	Purpose string `json:"purpose"`
	Note    string `json:"note,omitempty"`
	Once    string `json:"once,omitempty"`
}

type revealAnswer struct {
	Code     string `json:"code"`
	MyNumber string `json:"mynumber"`
}

func (s *Server) apiReveal(w http.ResponseWriter, r *http.Request) error {
	var in revealBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	rev, err := s.reveal(r, resident.RevealRequest{Code: r.PathValue("code"), Purpose: in.Purpose, Note: in.Note, Once: in.Once})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, revealAnswer{Code: rev.Code, MyNumber: rev.Number})
	return nil
}

// residentMessages are the strings of residents.
var residentMessages = messages{
	"nav.residents":           {"宛名照会", "Residents"},
	"residents.title":         {"宛名照会", "Residents"},
	"residents.query":         {"宛名番号、または氏名（カナ・漢字）の先頭", "Resident code, or the start of the name (kana or kanji)"},
	"residents.search":        {"検索", "Search"},
	"residents.more":          {"ほかにも該当があります。氏名を長く入力するか、生年月日で絞り込んでください。", "More matched: type more of the name, or search by date of birth."},
	"residents.results":       {"検索結果 %d 件（最大50件）", "%d found (at most 50 shown)"},
	"resident.title":          {"宛名", "Resident"},
	"resident.code":           {"宛名番号", "Resident code"},
	"resident.name":           {"氏名", "Name"},
	"resident.kana":           {"カナ氏名", "Name (kana)"},
	"resident.birth":          {"生年月日", "Date of birth"},
	"resident.sex":            {"性別", "Sex"},
	"resident.address":        {"住所", "Address"},
	"resident.mynumber":       {"個人番号", "My Number"},
	"resident.masked":         {"登録済み（非表示）", "registered (hidden)"},
	"resident.pending":        {"登録申請中（確認待ち）", "entered, awaiting confirmation"},
	"resident.none":           {"未登録", "not registered"},
	"resident.enter":          {"個人番号の登録", "Register the My Number"},
	"resident.enter.help":     {"本人確認書類を見ながら入力してください。入力後は誰にも表示されず、別の職員が書類から入力し直して一致した場合にだけ登録されます。", "Type it from the identity document. Once entered it is shown to nobody; it is registered only when another staff member types it again from the document and both match."},
	"resident.enter.submit":   {"確認に回す", "Send for confirmation"},
	"resident.submitted":      {"確認待ちに登録しました。別の職員の確認後に登録されます。", "Sent for confirmation: another staff member must confirm it."},
	"sex.1":                   {"男", "Male"},
	"sex.2":                   {"女", "Female"},
	"sex.9":                   {"その他", "Other"},
	"residents.number_in_url": {"個人番号はURLに含めないでください。検索欄に入力して「検索」を押してください。", "A My Number must not go in the address: type it in the search box and press Search."},
	"reveal.title":            {"個人番号の表示", "Reveal the My Number"},
	"reveal.help":             {"表示は利用目的とともに記録され、保護管理者が点検します。", "Each reveal is recorded with its purpose and reviewed by the privacy manager."},
	"reveal.purpose":          {"利用目的", "Purpose"},
	"reveal.note":             {"具体的な事務（「その他」は必須）", "Details (required for その他)"},
	"reveal.submit":           {"表示する", "Reveal"},
	"reveal.stepup":           {"表示の前に、二要素認証をもう一度行ってください（直近5分以内の認証が必要です）。", "Before revealing, pass the second factor again (it must be within the last 5 minutes)."},
	"reveal.used":             {"この表示は済んでいます（再読み込みでは表示しません）。もう一度必要な場合は、利用目的を選んで改めて表示してください。", "This reveal was already made (a reload does not reveal again). If you need it again, choose the purpose and reveal anew."},
	"reveal.hide":             {"隠す", "Hide"},
	"reveal.hides":            {"秒後に自動で隠します", "seconds until it is hidden"},
	"reveal.logged":           {"（この表示は記録されました）", "(this reveal was recorded)"},
}
