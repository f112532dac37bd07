package web

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"bango/internal/access"
	"bango/internal/alert"
	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/export"
	"bango/internal/jpki"
	"bango/internal/linkage"
	"bango/internal/mynumber"
	"bango/internal/nhi"
	"bango/internal/nhi/assess"
	"bango/internal/notify"
	"bango/internal/numbersetup"
	"bango/internal/pubmed"
	"bango/internal/resident"
	"bango/internal/review"
	"bango/internal/store"
	"bango/internal/tenant"
)

// Business holds the business services the pages use.
type Business struct {
	Residents *resident.Service
	Review    *review.Service
	Alerts    *alert.Service
	Exports   *export.Service
	Outbox    *notify.Outbox // mail that keeps failing shows on the IS administrator's home page
	Pubmed    *pubmed.Service
	Tenants   *tenant.Service
	NHI       *nhi.Service  // National Health Insurance eligibility (issue 18)
	JPKI      *jpki.Service // JPKI certificate issuance at the window (issue 22)
	Assess    *assess.Service
	// Linkage is the data linkage: the NHI section's aggregation work lists and the jobs' history (issue 20).
	Linkage *linkage.Service
	// NumberSetup sets My Numbers from registry files (issue 21).
	NumberSetup *numbersetup.Service
}

// The resident pages work in the session's municipality only: a code of
// another municipality is "not found" (R-AC-6).

// residentsData is the search page: the form, and once searched, how the
// query was read, the page of residents with the count of all found and
// the link to the next page, or what to try when nothing matched.
type residentsData struct {
	Query   string
	By      string              // the way of searching asked for, "" to read the query as it looks
	Bys     []resident.SearchBy // the ways the form offers
	Found   *resident.SearchResult
	Results []resident.Resident
	Pager   pager
	Read    string // how the query was read, in words
	Hints   []searchHint
}

// searchHint is something to try when a search found nobody, with a link
// when the page can try it for the person.
type searchHint struct{ Text, Href, Link string }

func newResidentsData(q, by string) residentsData {
	return residentsData{Query: q, By: by, Bys: resident.SearchBys}
}

// residentsPage searches the session's municipality (R-AC-6) by what
// the query asks: ?q=, ?by= (name, birth_date, address, code; none to
// read the query as it looks) and ?cursor= for a page after the first.
func (s *Server) residentsPage(w http.ResponseWriter, r *http.Request) error {
	sess := sessionFrom(r.Context())
	p := s.newPage(r, "residents.title", sess)
	d := newResidentsData(strings.TrimSpace(r.URL.Query().Get("q")), r.URL.Query().Get("by"))
	if looksLikeMyNumber(d.Query) {
		// A number pasted into the box must not travel in a URL (browser
		// history, proxy logs): the form posts it.
		p.Data, p.Error = newResidentsData("", d.By), tr(p.Lang, "residents.number_in_url")
		return s.render(w, r, http.StatusBadRequest, "residents", p)
	}
	if d.Query != "" {
		found, err := s.findResidents(r)
		if msg, ok := problemText(p.Lang, err); err != nil && ok {
			p.refuse(msg)
			p.Data = d
			return s.render(w, r, problemStatus(err), "residents", p)
		} else if err != nil {
			return err
		}
		d.Found, d.Results = &found, found.Residents
		d.Pager = pagerOf(r, store.Page[resident.Resident]{Items: found.Residents, Next: found.Next, More: found.More}, "/residents", "cursor")
		d.Read, d.Hints = searchRead(p.Lang, d.Query, found), searchHints(p.Lang, d.Query, found)
	}
	p.Data = d
	return s.render(w, r, http.StatusOK, "residents", p)
}

// findResidents runs the search a page or API request asks for: q, by,
// cursor and limit.
func (s *Server) findResidents(r *http.Request) (resident.SearchResult, error) {
	by, err := resident.ParseSearchBy(r.URL.Query().Get("by"))
	if err != nil {
		return resident.SearchResult{}, err
	}
	cursor, limit := pageAsked(r, "cursor")
	return s.biz.Residents.FindPage(r.Context(), sessionFrom(r.Context()).Tenant, resident.SearchQuery{Q: r.URL.Query().Get("q"), By: by, Cursor: cursor, Limit: limit})
}

// searchRead says how a search read its query: as a name, a date of
// birth (the day understood, with its 和暦), part of an address or a
// resident code.
func searchRead(lang, q string, found resident.SearchResult) string {
	switch found.By {
	case resident.ByBirthDate:
		d := day(lang, found.BirthDate)
		if w := resident.Wareki(found.BirthDate); w != "" {
			d += tr(lang, "residents.read.wareki_open") + w + tr(lang, "residents.read.wareki_close")
		}
		return fmt.Sprintf(tr(lang, "residents.read.birth_date"), q, d)
	case resident.ByAddress, resident.ByCode:
		return fmt.Sprintf(tr(lang, "residents.read."+string(found.By)), q)
	}
	return fmt.Sprintf(tr(lang, "residents.read.name"), q)
}

// searchHints are what to try when a search found nobody: for a name,
// fewer characters, kana, another way of searching, and the address
// when the text could be a town's name; for a date, the era's year; for
// an address, a shorter part; for a code, its digits.
func searchHints(lang, q string, found resident.SearchResult) []searchHint {
	if found.Total > 0 {
		return nil
	}
	hint := func(key string) searchHint { return searchHint{Text: tr(lang, key)} }
	var out []searchHint
	switch found.By {
	case resident.ByBirthDate:
		out = append(out, hint("residents.hint.era"), hint("residents.hint.other_ways"))
	case resident.ByAddress:
		out = append(out, hint("residents.hint.address_shorter"), hint("residents.hint.address_chome"))
	case resident.ByCode:
		out = append(out, hint("residents.hint.code_digits"), hint("residents.hint.other_ways"))
	default:
		if utf8.RuneCountInString(q) > 2 {
			out = append(out, hint("residents.hint.fewer"))
		}
		kana := true
		for _, r := range q {
			if !unicode.In(r, unicode.Katakana, unicode.Hiragana) && !unicode.IsSpace(r) && r != 'ー' {
				kana = false
			}
		}
		if !kana {
			out = append(out, hint("residents.hint.kana"))
		}
		out = append(out, hint("residents.hint.other_ways"))
		if !kana && utf8.RuneCountInString(q) >= 3 {
			out = append(out, searchHint{Text: tr(lang, "residents.hint.as_address"), Link: tr(lang, "residents.hint.as_address_link"),
				Href: "/residents?" + url.Values{"q": {q}, "by": {string(resident.ByAddress)}}.Encode()})
		}
	}
	return out
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
	f, err := formValues(r, "q", "by")
	if err != nil {
		return err
	}
	if !looksLikeMyNumber(f["q"]) {
		q := url.Values{"q": {f["q"]}}
		if f["by"] != "" {
			q.Set("by", f["by"])
		}
		http.Redirect(w, r, "/residents?"+q.Encode(), http.StatusSeeOther)
		return nil
	}
	res, err := s.findByNumber(r, f["q"])
	if err != nil {
		p := s.newPage(r, "residents.title", sessionFrom(r.Context()))
		msg, ok := problemText(p.Lang, err)
		if !ok {
			return err
		}
		p.Data = newResidentsData("", f["by"])
		p.refuse(msg)
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
	return s.renderResident(w, r, http.StatusOK, refusal{}, nil)
}

func (s *Server) renderResident(w http.ResponseWriter, r *http.Request, status int, problem refusal, revealed *resident.Revealed) error {
	d, err := s.residentData(r, r.PathValue("code"))
	if err != nil {
		return err
	}
	d.Revealed = revealed
	p := s.newPage(r, "resident.title", sessionFrom(r.Context()))
	p.Data = d
	p.refuse(problem)
	if problem.At == "reveal" {
		p.Form = map[string]string{"purpose": r.PostFormValue("purpose"), "note": r.PostFormValue("note")}
	}
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
		return formProblem(r, err, func(status int, msg refusal) error { return s.renderResident(w, r, status, msg, nil) })
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
			msg, ok = refused(tr(lang(r), "reveal.stepup")), true
		case resident.ErrRevealUsed:
			msg, ok = refused(tr(lang(r), "reveal.used")), true
		}
		if !ok {
			return err
		}
		msg.At = "reveal" // beside the reveal control, where the person looks
		return s.renderResident(w, r, problemStatus(err), msg, nil)
	}
	return s.renderResident(w, r, http.StatusOK, refusal{}, &rev)
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
				summary: "Find residents by code, date of birth, name or part of an address, a page at a time with the count of all found",
				query: append([]apiParam{{"q", "string", "a resident code, a date of birth (西暦 or 和暦), a name or part of one, or part of an address; never a My Number"},
					{"by", "string", "how to read q: name, birth_date, address or code; empty to read it as it looks (an address only when it holds a digit, 丁目, 番地 or a prefecture and a municipality)"}}, pageQuery...),
				answer: resident.SearchResult{}},
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
	if looksLikeMyNumber(r.URL.Query().Get("q")) {
		return errNumberInQuery
	}
	found, err := s.findResidents(r)
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
	var answer residentsAnswer
	if looksLikeMyNumber(in.Q) {
		res, err := s.findByNumber(r, in.Q)
		if err != nil && !errs.Is(err, errs.NotFound) {
			return err
		}
		if err == nil {
			answer.Residents = append(answer.Residents, res)
		}
	} else {
		found, err := s.biz.Residents.Find(r.Context(), sessionFrom(r.Context()).Tenant, in.Q)
		if err != nil {
			return err
		}
		answer.Residents, answer.Unindexed = found.Residents, found.Unindexed
	}
	answer.Residents = nonNil(answer.Residents)
	writeJSON(w, http.StatusOK, answer)
	return nil
}

// searchBody is what the search by POST takes: a My Number, or what the
// search by GET takes as q.
type searchBody struct {
	Q string `json:"q"`
}

type residentsAnswer struct {
	Residents []resident.Resident `json:"residents"`
	// Unindexed is how many residents, at least, a search by name or
	// address may have missed: they wait for the search index after a
	// bulk import (resident.SearchResult).
	Unindexed int `json:"unindexed,omitempty"`
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
	"nav.residents":   {"宛名照会", "Residents"},
	"residents.title": {"宛名照会", "Residents"},
	"residents.query": {"検索する内容", "Search for"},
	"residents.help": {"氏名（カナ・漢字、姓・名のどこでも。1〜2文字は姓か名の先頭）、生年月日（1977-08-16、昭和52年8月16日、S52.8.16）、住所の一部（西新宿、新宿二丁目、北3条）、宛名番号で探せます。種類を選ばなければ入力の形から判断します（町名だけの住所は「住所」を選んでください）。",
		"A name (kana or kanji, any part of the family or given name; one or two characters match the start of either), a date of birth (1977-08-16, 昭和52年8月16日, S52.8.16), part of an address (西新宿, 新宿二丁目, 北3条) or a resident code. Unless you choose, the kind is read from what you type (for a town's name alone, choose Address)."},
	"residents.by":                   {"検索の種類", "Search by"},
	"residents.by.auto":              {"自動（入力の形から判断）", "Automatic (from what is typed)"},
	"residents.by.name":              {"氏名", "Name"},
	"residents.by.birth_date":        {"生年月日", "Date of birth"},
	"residents.by.address":           {"住所", "Address"},
	"residents.by.code":              {"宛名番号", "Resident code"},
	"field.by":                       {"検索の種類", "Search by"},
	"residents.search":               {"検索", "Search"},
	"residents.results":              {"検索結果 %d 件", "%d found"},
	"residents.page":                 {"（1ページに最大%d件）", " (up to %d a page)"},
	"residents.results_over":         {"検索結果 %d 件以上", "over %d found"},
	"residents.order":                {"宛名番号順", "by resident code"},
	"residents.unindexed":            {"一括取込みの直後のため、検索用の索引に未反映の住民が少なくとも%d人います。この検索ではその住民が見つからないことがあります（宛名番号での検索は常に最新です）。しばらくしてから検索し直してください。", "Just after a bulk import, at least %d residents are not yet in the search index, and this search may have missed them (a search by resident code is always current). Search again in a while."},
	"residents.over":                 {"該当が多すぎます。氏名を長く入力するか、生年月日や住所で探してください。", "Too many matched: type more of the name, or search by date of birth or address."},
	"residents.read.name":            {"「%s」を氏名（カナ・漢字、姓・名のどこでも）として検索しました。", "Searched for “%s” as a name (kana or kanji, anywhere in the family or given name)."},
	"residents.read.birth_date":      {"「%s」を生年月日 %s として検索しました。", "Searched for “%s” as the date of birth %s."},
	"residents.read.wareki_open":     {"（", " ("},
	"residents.read.wareki_close":    {"）", ")"},
	"residents.read.address":         {"「%s」を住所の一部として検索しました。", "Searched for “%s” as part of an address."},
	"residents.read.code":            {"「%s」を宛名番号として検索しました（完全一致）。", "Searched for “%s” as a resident code (exact)."},
	"residents.none":                 {"該当する住民はいません。次を試してください。", "Nobody matched. Try the following."},
	"residents.hint.fewer":           {"文字数を減らしてください（姓だけ、名だけ、または先頭の1〜2文字）。", "Type fewer characters: the family or given name alone, or its first one or two characters."},
	"residents.hint.kana":            {"カナで入力してください（例：ヤマダ）。漢字は登録と字体が違うことがあります。", "Type the name in kana (such as ヤマダ): a kanji may be registered in another form."},
	"residents.hint.other_ways":      {"生年月日（例：昭和52年8月16日、1977-08-16）や宛名番号でも探せます。", "You can also search by date of birth (such as 昭和52年8月16日 or 1977-08-16) or by resident code."},
	"residents.hint.as_address":      {"住所の一部なら、種類に「住所」を選んで検索してください。", "If it is part of an address, choose Address and search again."},
	"residents.hint.as_address_link": {"住所として検索する", "Search it as an address"},
	"residents.hint.era":             {"和暦と西暦の年を確かめてください（昭和52年＝1977年、平成元年＝1989年）。元号の境目の日（昭和64年1月7日、平成元年1月8日）にも注意してください。", "Check the year in both calendars (昭和52年 is 1977, 平成元年 is 1989), and days where the era changed (昭和64年1月7日, then 平成元年1月8日)."},
	"residents.hint.address_shorter": {"住所を短くしてください（町名だけ：西新宿、または町名と丁目：西新宿二丁目）。番地や建物名は登録の書き方と違うことがあります。", "Type less of the address: the town alone (西新宿) or town and chōme (西新宿二丁目); blocks and building names may be written otherwise in the register."},
	"residents.hint.address_chome":   {"丁目は「二丁目」「2丁目」のどちらでも探します。数字は全角・半角どちらでも構いません。", "A chōme is found written 二丁目 or 2丁目, and digits in either width."},
	"residents.hint.code_digits":     {"宛名番号の桁数を確かめてください（先頭の0も入力します）。", "Check the resident code's digits, leading zeros included."},
	"resident.title":                 {"宛名", "Resident"},
	"resident.code":                  {"宛名番号", "Resident code"},
	"resident.name":                  {"氏名", "Name"},
	"resident.kana":                  {"カナ氏名", "Name (kana)"},
	"resident.birth":                 {"生年月日", "Date of birth"},
	"resident.sex":                   {"性別", "Sex"},
	"resident.address":               {"住所", "Address"},
	"resident.mynumber":              {"個人番号", "My Number"},
	"resident.masked":                {"登録済み（非表示）", "registered (hidden)"},
	"resident.pending":               {"登録申請中（確認待ち）", "entered, awaiting confirmation"},
	"resident.none":                  {"未登録", "not registered"},
	"resident.enter":                 {"個人番号の登録", "Register the My Number"},
	"resident.enter.help":            {"本人確認書類を見ながら入力してください。入力後は誰にも表示されず、別の職員が書類から入力し直して一致した場合にだけ登録されます。", "Type it from the identity document. Once entered it is shown to nobody; it is registered only when another staff member types it again from the document and both match."},
	"resident.enter.submit":          {"確認に回す", "Send for confirmation"},
	"resident.submitted":             {"確認待ちに登録しました。別の職員の確認後に登録されます。", "Sent for confirmation: another staff member must confirm it."},
	"sex.1":                          {"男", "Male"},
	"sex.2":                          {"女", "Female"},
	"sex.9":                          {"その他", "Other"},
	"residents.number_in_url":        {"個人番号はURLに含めないでください。検索欄に入力して「検索」を押してください。", "A My Number must not go in the address: type it in the search box and press Search."},
	"reveal.title":                   {"個人番号の表示", "Reveal the My Number"},
	"reveal.help":                    {"表示は利用目的とともに記録され、保護管理者が点検します。", "Each reveal is recorded with its purpose and reviewed by the privacy manager."},
	"reveal.purpose":                 {"利用目的", "Purpose"},
	"reveal.note":                    {"具体的な事務（「その他」は必須）", "Details (required for その他)"},
	"reveal.submit":                  {"表示する", "Reveal"},
	"reveal.stepup":                  {"表示の前に、二要素認証をもう一度行ってください（直近5分以内の認証が必要です）。", "Before revealing, pass the second factor again (it must be within the last 5 minutes)."},
	"reveal.used":                    {"この表示は済んでいます（再読み込みでは表示しません）。もう一度必要な場合は、利用目的を選んで改めて表示してください。", "This reveal was already made (a reload does not reveal again). If you need it again, choose the purpose and reveal anew."},
	"reveal.hide":                    {"隠す", "Hide"},
	"reveal.hides":                   {"秒後に自動で隠します", "seconds until it is hidden"},
	"reveal.logged":                  {"（この表示は記録されました）", "(this reveal was recorded)"},
}
