package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"bango/internal/access"
	"bango/internal/errs"
	"bango/internal/identity"
	"bango/internal/nhi"
	"bango/internal/resident"
	"bango/internal/review"
	"bango/internal/store"
)

// National Health Insurance eligibility (issue 18; R-NHI-1, R-NHI-2,
// R-NHI-3): the clerk's search, the insured person and household as of a
// date, the forms that enter acquisitions, losses and household changes
// for a checker to confirm (R-ACC-1), incomes and cost-share decisions,
// and the qualification documents with their print views. The nhi
// service checks every rule, scopes every read to the session's
// municipality (R-AC-6) and records every read and change.

// nhiSearchData is the search page: the form as asked and, once searched,
// the page of insured persons with the count of all found.
type nhiSearchData struct {
	MayWrite  bool // the link to the acquisition form
	Asked     bool
	Total     int
	TotalOver bool // more than Total (nhi.CountCap) matched
	Unindexed int  // residents, at least, the search may have missed: they wait for the search keys
	ByKana    bool // listed by the reading (カナ氏名順), not by resident code
	Results   []nhi.Person
	Pager     pager
}

// nhiQueryFields are the search form's fields, as the query names them.
var nhiQueryFields = []string{"number", "resident_code", "kana", "birth_date", "household", "as_of", "known_at"}

// nhiQuery reads the search a page or API request asks for.
func nhiQuery(r *http.Request) (nhi.Query, bool, error) {
	v := r.URL.Query()
	q := nhi.Query{Number: v.Get("number"), ResidentCode: v.Get("resident_code"), KanaPrefix: v.Get("kana"), BirthDate: v.Get("birth_date"), AsOf: v.Get("as_of"),
		KnownAt: v.Get("known_at")}
	asked := false
	for _, f := range nhiQueryFields {
		if strings.TrimSpace(v.Get(f)) != "" && f != "as_of" && f != "known_at" {
			asked = true
		}
	}
	if h := strings.TrimSpace(v.Get("household")); h != "" {
		n, err := strconv.ParseInt(h, 10, 64)
		if err != nil || n <= 0 {
			var fe errs.FieldErrors
			fe.Add("household", errs.Message{JA: "世帯番号は数字で入力してください", EN: "must be the household's number, in digits"})
			return q, true, fe.Err()
		}
		q.Household = n
	}
	return q, asked, nil
}

// findNHI runs a search: one page and the count of all found, counted in
// the database up to nhi.CountCap (over: more matched). A first page that
// holds every match is its own count.
func (s *Server) findNHI(r *http.Request, q nhi.Query) (page store.Page[nhi.Person], total int, over bool, unindexed int, err error) {
	tenant := sessionFrom(r.Context()).Tenant
	cursor, limit := pageAsked(r, "cursor")
	found, err := s.biz.NHI.FindPage(r.Context(), tenant, q, cursor, limit)
	if err != nil {
		return found.Page, 0, false, 0, err
	}
	// Right after a bulk import the search keys may be behind: the
	// search answered from them as they stand, and says so.
	page, unindexed = found.Page, found.Unindexed
	if cursor == "" && !page.More {
		return page, len(page.Items), false, unindexed, nil
	}
	total, over, err = s.biz.NHI.Count(r.Context(), tenant, q)
	return page, total, over, unindexed, err
}

func (s *Server) nhiSearchPage(w http.ResponseWriter, r *http.Request) error {
	p := s.newPage(r, "nhi.title", sessionFrom(r.Context()))
	for _, f := range nhiQueryFields {
		p.Form[f] = r.URL.Query().Get(f)
	}
	sess := sessionFrom(r.Context())
	d := nhiSearchData{MayWrite: rightsFrom(r.Context()).Has(access.NHIWrite, sess.Tenant)}
	q, asked, err := nhiQuery(r)
	if err == nil && asked {
		var page store.Page[nhi.Person]
		page, d.Total, d.TotalOver, d.Unindexed, err = s.findNHI(r, q)
		d.Asked, d.ByKana, d.Results, d.Pager = true, q.ByKana(), page.Items, pagerOf(r, page, "/nhi", "cursor")
	}
	if err != nil {
		msg, ok := problemText(p.Lang, err)
		if !ok {
			return err
		}
		p.Data = nhiSearchData{MayWrite: d.MayWrite}
		p.refuse(msg)
		return s.render(w, r, problemStatus(err), "nhi", p)
	}
	p.Data = d
	return s.render(w, r, http.StatusOK, "nhi", p)
}

// nhiPersonData is the insured person's page as of a date.
type nhiPersonData struct {
	Record      nhi.PersonRecord
	AsOf        string
	KnownAt     string // read as known at the end of this day ("" for now)
	Documents   []nhi.Document
	Decisions   []nhi.Decision
	MayWrite    bool
	Today       string
	LossReasons []string
	// The 取消・訂正 form: the reasons of both kinds, and the latest entry
	// (the one that can be voided) chosen first.
	AcquireReasons []string
	LatestEvent    int64
}

func (s *Server) nhiPersonData(r *http.Request, code, asOf, knownAt string) (*nhiPersonData, error) {
	sess, rights := sessionFrom(r.Context()), rightsFrom(r.Context())
	rec, err := s.biz.NHI.GetKnownAt(r.Context(), sess.Tenant, code, asOf, knownAt)
	if err != nil {
		return nil, err
	}
	docs, err := s.biz.NHI.Documents(r.Context(), sess.Tenant, code)
	if err != nil {
		return nil, err
	}
	d := &nhiPersonData{Record: rec, AsOf: nhi.Date(rec.Person.AsOf), KnownAt: nhi.Date(rec.Person.KnownAt), Documents: nonNil(docs), Decisions: []nhi.Decision{},
		MayWrite: rights.Has(access.NHIWrite, sess.Tenant), Today: nhi.Date(time.Now().In(jst)), LossReasons: nhi.LossReasons, AcquireReasons: nhi.AcquireReasons}
	if n := len(rec.Events); n > 0 {
		d.LatestEvent = rec.Events[n-1].ID
	}
	if rec.Person.Household != 0 {
		dec, err := s.biz.NHI.CostShareDecisionsKnownAt(r.Context(), sess.Tenant, rec.Person.Household, rec.Person.KnownAt)
		if err != nil {
			return nil, err
		}
		d.Decisions = nonNil(dec)
	}
	return d, nil
}

func (s *Server) nhiPersonPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderNHIPerson(w, r, http.StatusOK, refusal{}, nil)
}

// renderNHIPerson shows the person as of ?as_of=; a refused form comes
// back with its fields as sent and its problems beside them.
func (s *Server) renderNHIPerson(w http.ResponseWriter, r *http.Request, status int, problem refusal, form map[string]string) error {
	p := s.newPage(r, "nhi.person.title", sessionFrom(r.Context()))
	d, err := s.nhiPersonData(r, r.PathValue("code"), r.URL.Query().Get("as_of"), r.URL.Query().Get("known_at"))
	if err != nil && len(errs.Fields(err)) > 0 {
		// A wrong 基準日 or 記録時点: the person as of today, the date marked.
		msg, _ := problemText(p.Lang, err)
		p.Form["as_of"], p.Form["known_at"] = r.URL.Query().Get("as_of"), r.URL.Query().Get("known_at")
		if d, err = s.nhiPersonData(r, r.PathValue("code"), "", ""); err != nil {
			return err
		}
		p.fill(r, d, msg, nil, nil)
		return s.render(w, r, http.StatusBadRequest, "nhiperson", p)
	}
	if err != nil {
		return err
	}
	p.fill(r, d, problem, form, nhiNotices)
	return s.render(w, r, status, "nhiperson", p)
}

// nhiNotices are what a page says after a form was taken (?done=).
var nhiNotices = map[string]string{"submitted": "nhi.submitted", "income": "nhi.income.recorded", "issued": "nhi.doc.issued",
	"returned": "nhi.doc.returned", "decided": "nhi.costshare.decided"}

// nhiHouseholdData is a household as of a date with its timeline.
type nhiHouseholdData struct {
	View      nhi.HouseholdView
	Timeline  []timelineRow // its versions and moves, by date
	AsOf      string
	KnownAt   string // read as known at the end of this day ("" for now)
	Decisions []nhi.Decision
	MayWrite  bool
	Today     string
	Reasons   []string
}

func (s *Server) nhiHouseholdData(r *http.Request, asOf, knownAt string) (*nhiHouseholdData, error) {
	id, err := pathID(r, "household")
	if err != nil {
		return nil, err
	}
	sess, rights := sessionFrom(r.Context()), rightsFrom(r.Context())
	v, err := s.biz.NHI.HouseholdKnownAt(r.Context(), sess.Tenant, id, asOf, knownAt)
	if err != nil {
		return nil, err
	}
	dec, err := s.biz.NHI.CostShareDecisionsKnownAt(r.Context(), sess.Tenant, id, v.KnownAt)
	if err != nil {
		return nil, err
	}
	return &nhiHouseholdData{View: v, Timeline: timelineOf(v), AsOf: nhi.Date(v.AsOf), KnownAt: nhi.Date(v.KnownAt), Decisions: nonNil(dec), MayWrite: rights.Has(access.NHIWrite, sess.Tenant),
		Today: nhi.Date(time.Now().In(jst)), Reasons: nhi.AcquireReasons}, nil
}

// timelineRow is one line of a household's timeline: a version (a head
// from a date, a split, a merge) or a person joining or leaving.
type timelineRow struct {
	On      time.Time
	Version *nhi.HouseholdVersion
	Move    *nhi.Move
}

// timelineOf is v's versions and moves in one list by date, a version
// before the moves of its day.
func timelineOf(v nhi.HouseholdView) []timelineRow {
	var rows []timelineRow
	for i := range v.Versions {
		rows = append(rows, timelineRow{On: v.Versions[i].ValidFrom, Version: &v.Versions[i]})
	}
	for i := range v.Moves {
		rows = append(rows, timelineRow{On: v.Moves[i].On, Move: &v.Moves[i]})
	}
	slices.SortStableFunc(rows, func(a, b timelineRow) int { return a.On.Compare(b.On) })
	return rows
}

func (s *Server) nhiHouseholdPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderNHIHousehold(w, r, http.StatusOK, refusal{}, nil)
}

func (s *Server) renderNHIHousehold(w http.ResponseWriter, r *http.Request, status int, problem refusal, form map[string]string) error {
	p := s.newPage(r, "nhi.household.title", sessionFrom(r.Context()))
	d, err := s.nhiHouseholdData(r, r.URL.Query().Get("as_of"), r.URL.Query().Get("known_at"))
	if err != nil && len(errs.Fields(err)) > 0 {
		// A wrong 基準日 or 記録時点: the household as of today, the date marked.
		msg, _ := problemText(p.Lang, err)
		p.Form["as_of"], p.Form["known_at"] = r.URL.Query().Get("as_of"), r.URL.Query().Get("known_at")
		if d, err = s.nhiHouseholdData(r, "", ""); err != nil {
			return err
		}
		p.fill(r, d, msg, nil, nil)
		return s.render(w, r, http.StatusBadRequest, "nhihousehold", p)
	}
	if err != nil {
		return err
	}
	p.fill(r, d, problem, form, nhiNotices)
	return s.render(w, r, status, "nhihousehold", p)
}

// The forms. Each is one entry for a checker (an acquisition, a loss, a
// household change), or a record the clerk makes at once (an income, a
// document issued or returned); a refused form shows the page again with
// every wrong field marked, and nothing is written.

// nhiAcquireData is the acquisition form: into a new household, or into
// the household it was opened from (?household=).
type nhiAcquireData struct {
	Household int64
	Reasons   []string
	Today     string
}

// acquisitionFields are the acquisition form's fields.
var acquisitionFields = []string{"resident_code", "number", "branch", "acquired_on", "reason", "notified_on", "household", "new_kigo", "new_head"}

func (s *Server) nhiAcquirePage(w http.ResponseWriter, r *http.Request) error {
	return s.renderNHIAcquire(w, r, http.StatusOK, refusal{}, nil)
}

func (s *Server) renderNHIAcquire(w http.ResponseWriter, r *http.Request, status int, problem refusal, form map[string]string) error {
	p := s.newPage(r, "nhi.acquire.title", sessionFrom(r.Context()))
	d := nhiAcquireData{Reasons: nhi.AcquireReasons, Today: nhi.Date(time.Now().In(jst))}
	h := r.URL.Query().Get("household")
	if form != nil {
		h = form["household"]
	}
	d.Household, _ = strconv.ParseInt(h, 10, 64)
	p.fill(r, d, problem, form, nhiNotices)
	return s.render(w, r, status, "nhiacquire", p)
}

// postedForm reads the named fields of a posted form (absent ones empty).
func postedForm(r *http.Request, names ...string) (map[string]string, error) {
	if err := r.ParseForm(); err != nil {
		return nil, errs.E(errs.Invalid, "web: unreadable form")
	}
	out := map[string]string{}
	for _, n := range names {
		out[n] = strings.TrimSpace(r.PostFormValue(n))
	}
	return out, nil
}

func (s *Server) nhiAcquirePost(w http.ResponseWriter, r *http.Request) error {
	f, err := postedForm(r, acquisitionFields...)
	if err != nil {
		return err
	}
	in := nhi.AcquisitionInput{ResidentCode: f["resident_code"], Number: f["number"], Branch: f["branch"], AcquiredOn: f["acquired_on"], Reason: f["reason"],
		NotifiedOn: f["notified_on"], NewKigo: f["new_kigo"], NewHead: f["new_head"]}
	if f["household"] != "" {
		if in.Household, err = strconv.ParseInt(f["household"], 10, 64); err != nil || in.Household <= 0 {
			return errs.E(errs.NotFound, "no household %q", f["household"])
		}
	}
	_, err = s.submitNHI(r, func(tenant string) (review.Proposal, error) {
		return s.biz.NHI.ProposeAcquisition(r.Context(), tenant, in)
	})
	if err != nil {
		return nhiFormProblem(r, err, func(status int, msg refusal) error { return s.renderNHIAcquire(w, r, status, msg, f) })
	}
	if in.Household != 0 {
		http.Redirect(w, r, "/nhi/households/"+f["household"]+"?done=submitted", http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/nhi/acquire?done=submitted", http.StatusSeeOther)
	return nil
}

// nhiMemberRows is how many member rows the new-household form offers;
// rows left empty are ignored.
const nhiMemberRows = 6

// memberInput is one input of a member row: its name (and id) and value.
type memberInput struct{ Name, Value string }

// memberRow is one member row of the new-household form.
type memberRow struct {
	N                                int // 1-based, as the row's legend says
	Code, AcquiredOn, Reason, Branch memberInput
}

// nhiNewData is the new-household form.
type nhiNewData struct {
	Reasons   []string
	Today     string
	Rows      []memberRow
	Household string // the existing household the members join (?household=), "" for a new one
}

// newHouseholdFields are the new-household form's fields apart from its
// member rows (members[i].resident_code, acquired_on, reason, branch).
var newHouseholdFields = []string{"household", "new_kigo", "new_head", "number", "notified_on"}

var memberFieldNames = []string{"resident_code", "acquired_on", "reason", "branch"}

func memberName(i int, field string) string { return "members[" + strconv.Itoa(i) + "]." + field }

func (s *Server) nhiNewPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderNHINew(w, r, http.StatusOK, refusal{}, nil)
}

func (s *Server) renderNHINew(w http.ResponseWriter, r *http.Request, status int, problem refusal, form map[string]string) error {
	p := s.newPage(r, "nhi.new.title", sessionFrom(r.Context()))
	d := nhiNewData{Reasons: nhi.AcquireReasons, Today: nhi.Date(time.Now().In(jst)), Household: r.URL.Query().Get("household")}
	if form != nil && form["household"] != "" {
		d.Household = form["household"]
	}
	if d.Household != "" {
		p.Title = "nhi.new.into.title"
	}
	for i := range nhiMemberRows {
		in := func(f string) memberInput { n := memberName(i, f); return memberInput{Name: n, Value: form[n]} }
		d.Rows = append(d.Rows, memberRow{N: i + 1, Code: in("resident_code"), AcquiredOn: in("acquired_on"), Reason: in("reason"), Branch: in("branch")})
	}
	p.fill(r, d, problem, form, nhiNotices)
	return s.render(w, r, status, "nhinew", p)
}

// nhiNewPost enters a new household with the members of the rows filled
// in; a refusal names the row as the form numbers it.
func (s *Server) nhiNewPost(w http.ResponseWriter, r *http.Request) error {
	names := slices.Clone(newHouseholdFields)
	for i := range nhiMemberRows {
		for _, f := range memberFieldNames {
			names = append(names, memberName(i, f))
		}
	}
	f, err := postedForm(r, names...)
	if err != nil {
		return err
	}
	in := nhi.HouseholdInput{NewKigo: f["new_kigo"], NewHead: f["new_head"], Number: f["number"], NotifiedOn: f["notified_on"]}
	if f["household"] != "" {
		n, perr := strconv.ParseInt(f["household"], 10, 64)
		if perr != nil || n <= 0 {
			return errs.E(errs.NotFound, "no NHI household %q", f["household"])
		}
		in.Household = n
	}
	var rows []int // the form's row of each member entered
	for i := range nhiMemberRows {
		m := nhi.MemberInput{ResidentCode: f[memberName(i, "resident_code")], AcquiredOn: f[memberName(i, "acquired_on")],
			Reason: f[memberName(i, "reason")], Branch: f[memberName(i, "branch")]}
		if m != (nhi.MemberInput{}) {
			in.Members = append(in.Members, m)
			rows = append(rows, i)
		}
	}
	_, err = s.submitNHI(r, func(tenant string) (review.Proposal, error) {
		return s.biz.NHI.ProposeHousehold(r.Context(), tenant, in)
	})
	if err != nil {
		err = memberRowsOf(err, rows)
		return nhiFormProblem(r, err, func(status int, msg refusal) error { return s.renderNHINew(w, r, status, msg, f) })
	}
	if in.Household != 0 {
		http.Redirect(w, r, "/nhi/households/"+strconv.FormatInt(in.Household, 10)+"?done=submitted", http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/nhi/households/new?done=submitted", http.StatusSeeOther)
	return nil
}

// memberRowsOf renames the member fields of a field error from the
// members entered to the form's rows they came from (empty rows are
// skipped, so the third row may be the second member).
func memberRowsOf(err error, rows []int) error {
	var fe *errs.FieldErrors
	if !errors.As(err, &fe) {
		return err
	}
	out := &errs.FieldErrors{Kind: fe.Kind}
	for _, f := range fe.List {
		if i, rest, ok := splitMember(f.Field); ok && i < len(rows) {
			f.Field = memberName(rows[i], rest)
		}
		out.List = append(out.List, f)
	}
	return out
}

// splitMember reads members[i].field.
func splitMember(field string) (int, string, bool) {
	after, ok := strings.CutPrefix(field, "members[")
	if !ok {
		return 0, "", false
	}
	n, rest, ok := strings.Cut(after, "].")
	if !ok {
		return 0, "", false
	}
	i, err := strconv.Atoi(n)
	return i, rest, err == nil && i >= 0
}

func (s *Server) apiNHIHouseholdNew(w http.ResponseWriter, r *http.Request) error {
	var in nhi.HouseholdInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	c, err := s.submitNHI(r, func(tenant string) (review.Proposal, error) {
		return s.biz.NHI.ProposeHousehold(r.Context(), tenant, in)
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, c)
	return nil
}

// nhiFormProblem is formProblem for the NHI forms, where a resident or
// household the form names but the municipality does not hold is a
// problem of the form's field, not a missing page.
func nhiFormProblem(r *http.Request, err error, rerender func(status int, problem refusal) error) error {
	if errs.Is(err, errs.NotFound) && len(errs.Fields(err)) == 0 {
		problem, ok := problemText(lang(r), err)
		if ok {
			return rerender(http.StatusNotFound, problem)
		}
	}
	return formProblem(r, err, rerender)
}

// submitNHI sends the proposal propose makes to the checker's queue.
func (s *Server) submitNHI(r *http.Request, propose func(tenant string) (review.Proposal, error)) (review.Change, error) {
	sess := sessionFrom(r.Context())
	prop, err := propose(sess.Tenant)
	if err != nil {
		return review.Change{}, err
	}
	return s.biz.Review.Submit(r.Context(), sess.User, sess.Tenant, prop)
}

// lossFields are the loss form's fields (on the person's page).
var lossFields = []string{"lost_on", "reason", "notified_on", "new_head"}

func (s *Server) nhiLossPost(w http.ResponseWriter, r *http.Request) error {
	code := r.PathValue("code")
	f, err := postedForm(r, lossFields...)
	if err != nil {
		return err
	}
	in := nhi.LossInput{ResidentCode: code, LostOn: f["lost_on"], Reason: f["reason"], NotifiedOn: f["notified_on"], NewHead: f["new_head"]}
	if _, err := s.submitNHI(r, func(tenant string) (review.Proposal, error) { return s.biz.NHI.ProposeLoss(r.Context(), tenant, in) }); err != nil {
		return formProblem(r, err, func(status int, msg refusal) error { return s.renderNHIPerson(w, r, status, msg, f) })
	}
	http.Redirect(w, r, "/nhi/persons/"+url.PathEscape(code)+"?done=submitted", http.StatusSeeOther)
	return nil
}

// voidFields are the 取消・訂正 form's fields (on the person's page): the
// event, the reason, and for a correction the right date and reason.
var voidFields = []string{"void_event", "void_reason", "corrected_on", "corrected_reason"}

// nhiVoidPost voids the person's entry chosen, or corrects it: a
// correction keeps the entry's household and notification date and takes
// the date and reason typed (another household: the API).
func (s *Server) nhiVoidPost(w http.ResponseWriter, r *http.Request) error {
	code := r.PathValue("code")
	f, err := postedForm(r, voidFields...)
	if err != nil {
		return err
	}
	in, err := s.nhiVoidInput(r, code, f)
	if err == nil {
		_, err = s.submitNHI(r, func(tenant string) (review.Proposal, error) { return s.biz.NHI.ProposeVoid(r.Context(), tenant, in) })
	}
	if err != nil {
		return formProblem(r, voidFieldNames(err), func(status int, msg refusal) error { return s.renderNHIPerson(w, r, status, msg, f) })
	}
	http.Redirect(w, r, "/nhi/persons/"+url.PathEscape(code)+"?done=submitted", http.StatusSeeOther)
	return nil
}

func (s *Server) nhiVoidInput(r *http.Request, code string, f map[string]string) (nhi.VoidInput, error) {
	in := nhi.VoidInput{ResidentCode: code, Reason: f["void_reason"]}
	in.Event, _ = strconv.ParseInt(strings.TrimSpace(f["void_event"]), 10, 64)
	if strings.TrimSpace(f["corrected_on"]) == "" && strings.TrimSpace(f["corrected_reason"]) == "" {
		return in, nil
	}
	rec, err := s.biz.NHI.Get(r.Context(), sessionFrom(r.Context()).Tenant, code, "")
	if err != nil {
		return in, err
	}
	for _, ev := range rec.Events {
		if ev.ID != in.Event {
			continue
		}
		if ev.Kind == "loss" {
			in.Loss = &nhi.LossInput{LostOn: f["corrected_on"], Reason: f["corrected_reason"], NotifiedOn: nhi.Date(ev.NotifiedOn)}
			return in, nil
		}
		in.Acquisition = &nhi.AcquisitionInput{AcquiredOn: f["corrected_on"], Reason: f["corrected_reason"], NotifiedOn: nhi.Date(ev.NotifiedOn)}
		for _, m := range rec.Memberships {
			if m.ValidFrom.Equal(ev.Date) && m.Household != 0 {
				in.Acquisition.Household = m.Household
			}
		}
		return in, nil
	}
	var fe errs.FieldErrors
	fe.Add("void_event", errs.Message{JA: "この人の資格の記録から選んでください", EN: "choose one of the person's eligibility entries"})
	return in, &fe
}

// voidFieldNames names a void's field errors by the form's fields: the
// corrected entry's date and reason, anything else of it on the event.
func voidFieldNames(err error) error {
	var fe *errs.FieldErrors
	if !errors.As(err, &fe) {
		return err
	}
	out := &errs.FieldErrors{Kind: fe.Kind}
	for _, f := range fe.List {
		switch f.Field {
		case "void_reason", "void_event":
		case "acquired_on", "lost_on":
			f.Field = "corrected_on"
		case "reason":
			f.Field = "corrected_reason"
		default:
			f.Field = "void_event"
		}
		out.List = append(out.List, f)
	}
	return out
}

func (s *Server) apiNHIVoid(w http.ResponseWriter, r *http.Request) error {
	var in nhi.VoidInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	c, err := s.submitNHI(r, func(tenant string) (review.Proposal, error) { return s.biz.NHI.ProposeVoid(r.Context(), tenant, in) })
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, c)
	return nil
}

// incomeFields are the income form's fields (on the person's page).
var incomeFields = []string{"income_year", "taxable_income", "revenue", "old_proviso_income"}

func (s *Server) nhiIncomePost(w http.ResponseWriter, r *http.Request) error {
	code := r.PathValue("code")
	f, err := postedForm(r, incomeFields...)
	if err != nil {
		return err
	}
	in := nhi.IncomeInput{ResidentCode: code, IncomeYear: f["income_year"], TaxableIncome: f["taxable_income"], Revenue: f["revenue"], OldProvisoIncome: f["old_proviso_income"]}
	if _, err := s.submitNHI(r, func(tenant string) (review.Proposal, error) { return s.biz.NHI.ProposeIncome(r.Context(), tenant, in) }); err != nil {
		return formProblem(r, err, func(status int, msg refusal) error { return s.renderNHIPerson(w, r, status, msg, f) })
	}
	http.Redirect(w, r, "/nhi/persons/"+url.PathEscape(code)+"?done=income", http.StatusSeeOther)
	return nil
}

// documentFields are the document form's fields; on the page they are
// doc_<name>, apart from the loss form's fields of the same name.
var documentFields = []string{"kind", "issued_on", "valid_until", "delivery", "delivered_on", "reason", "replaces"}

// prefixed renames the fields of a field error, so that a page with two
// forms marks the one that was sent.
func prefixed(err error, prefix string) error {
	var fe *errs.FieldErrors
	if !errors.As(err, &fe) {
		return err
	}
	out := &errs.FieldErrors{Kind: fe.Kind}
	for _, f := range fe.List {
		f.Field = prefix + f.Field
		out.List = append(out.List, f)
	}
	return out
}

func (s *Server) nhiDocumentPost(w http.ResponseWriter, r *http.Request) error {
	code := r.PathValue("code")
	names := make([]string, len(documentFields))
	for i, n := range documentFields {
		names[i] = "doc_" + n
	}
	f, err := postedForm(r, names...)
	if err != nil {
		return err
	}
	in := nhi.DocumentInput{ResidentCode: code, Kind: f["doc_kind"], IssuedOn: f["doc_issued_on"], ValidUntil: f["doc_valid_until"], Delivery: f["doc_delivery"],
		DeliveredOn: f["doc_delivered_on"], Reason: f["doc_reason"]}
	if f["doc_replaces"] != "" {
		n, perr := strconv.ParseInt(f["doc_replaces"], 10, 64)
		if perr != nil || n <= 0 {
			var fe errs.FieldErrors
			fe.Add("doc_replaces", errs.Message{JA: "置き換える書類を一覧から選んでください", EN: "choose the document it replaces from the list"})
			return formProblem(r, fe.Err(), func(status int, msg refusal) error { return s.renderNHIPerson(w, r, status, msg, f) })
		}
		in.Replaces = n
	}
	if _, err := s.biz.NHI.IssueDocument(r.Context(), sessionFrom(r.Context()).Tenant, in); err != nil {
		return formProblem(r, prefixed(err, "doc_"), func(status int, msg refusal) error { return s.renderNHIPerson(w, r, status, msg, f) })
	}
	http.Redirect(w, r, "/nhi/persons/"+url.PathEscape(code)+"?done=issued#documents", http.StatusSeeOther)
	return nil
}

// personDocument is document id of insured person code (not found when it
// is another's): the issuance history is read, which is an event.
func (s *Server) personDocument(r *http.Request, code string) (nhi.Document, error) {
	id, err := pathID(r, "document")
	if err != nil {
		return nhi.Document{}, err
	}
	docs, err := s.biz.NHI.Documents(r.Context(), sessionFrom(r.Context()).Tenant, code)
	if err != nil {
		return nhi.Document{}, err
	}
	i := slices.IndexFunc(docs, func(d nhi.Document) bool { return d.ID == id })
	if i < 0 {
		return nhi.Document{}, errs.E(errs.NotFound, "no document %d of %s", id, code)
	}
	return docs[i], nil
}

func (s *Server) nhiReturnPost(w http.ResponseWriter, r *http.Request) error {
	code := r.PathValue("code")
	f, err := postedForm(r, "returned_on")
	if err != nil {
		return err
	}
	doc, err := s.personDocument(r, code)
	if err != nil {
		return err
	}
	if err := s.biz.NHI.ReturnDocument(r.Context(), sessionFrom(r.Context()).Tenant, doc.ID, f["returned_on"]); err != nil {
		return formProblem(r, err, func(status int, msg refusal) error { return s.renderNHIPerson(w, r, status, msg, f) })
	}
	http.Redirect(w, r, "/nhi/persons/"+url.PathEscape(code)+"?done=returned#documents", http.StatusSeeOther)
	return nil
}

// householdChangeFields are the household change form's fields.
var householdChangeFields = []string{"change", "effective_on", "notified_on", "new_head", "members", "kigo", "into"}

// householdChangeInput reads the household change form of household id.
func householdChangeInput(id int64, f map[string]string) (nhi.HouseholdChangeInput, error) {
	in := nhi.HouseholdChangeInput{Household: id, Change: f["change"], EffectiveOn: f["effective_on"], NotifiedOn: f["notified_on"], NewHead: f["new_head"], Kigo: f["kigo"]}
	in.Members = strings.FieldsFunc(f["members"], func(r rune) bool { return r == ',' || r == '、' || r == ' ' || r == '　' || r == '\n' || r == '\r' })
	if f["into"] != "" {
		n, err := strconv.ParseInt(f["into"], 10, 64)
		if err != nil || n <= 0 {
			var fe errs.FieldErrors
			fe.Add("into", errs.Message{JA: "合併先の世帯番号を数字で入力してください", EN: "must be the number of the household merged into, in digits"})
			return in, fe.Err()
		}
		in.Into = n
	}
	return in, nil
}

func (s *Server) nhiHouseholdChangePost(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "household")
	if err != nil {
		return err
	}
	f, err := postedForm(r, householdChangeFields...)
	if err != nil {
		return err
	}
	in, err := householdChangeInput(id, f)
	if err == nil {
		_, err = s.submitNHI(r, func(tenant string) (review.Proposal, error) {
			return s.biz.NHI.ProposeHouseholdChange(r.Context(), tenant, in)
		})
	}
	if err != nil {
		return nhiFormProblem(r, err, func(status int, msg refusal) error { return s.renderNHIHousehold(w, r, status, msg, f) })
	}
	http.Redirect(w, r, "/nhi/households/"+strconv.FormatInt(id, 10)+"?done=submitted", http.StatusSeeOther)
	return nil
}

func (s *Server) nhiCostSharePost(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "household")
	if err != nil {
		return err
	}
	f, err := postedForm(r, "decided_on")
	if err != nil {
		return err
	}
	if _, err := s.biz.NHI.DetermineCostShare(r.Context(), sessionFrom(r.Context()).Tenant, id, f["decided_on"]); err != nil {
		return formProblem(r, prefixed(err, "decided_"), func(status int, msg refusal) error { return s.renderNHIHousehold(w, r, status, msg, f) })
	}
	http.Redirect(w, r, "/nhi/households/"+strconv.FormatInt(id, 10)+"?done=decided#cost-share", http.StatusSeeOther)
	return nil
}

// nhiPrintData is a document as the resident receives it.
type nhiPrintData struct {
	Document  nhi.Document
	Person    nhi.PersonRecord
	Resident  resident.Resident
	Household nhi.HouseholdView
	Tenant    string
	Ratio     int // the cost share (割) the document printed when issued, 0 when none
}

// nhiPrintPage is a document's print view: the layout a resident
// receives, one per kind (R-NHI-2). Reading it is an event of the person.
func (s *Server) nhiPrintPage(w http.ResponseWriter, r *http.Request) error {
	sess := sessionFrom(r.Context())
	code := r.PathValue("code")
	doc, err := s.personDocument(r, code)
	if err != nil {
		return err
	}
	d := nhiPrintData{Document: doc, Tenant: sess.Tenant}
	if d.Person, err = s.biz.NHI.Get(r.Context(), sess.Tenant, code, nhi.Date(doc.IssuedOn)); err != nil {
		return err
	}
	if d.Resident, err = s.biz.Residents.Get(r.Context(), sess.Tenant, code); err != nil {
		return err
	}
	if hh := d.Person.Person.Household; hh != 0 {
		if d.Household, err = s.biz.NHI.Household(r.Context(), sess.Tenant, hh, nhi.Date(doc.IssuedOn)); err != nil {
			return err
		}
	}
	d.Ratio = doc.CostShareRatio
	p := s.newPage(r, "nhi.print."+doc.Kind, sess)
	p.Data = d
	return s.render(w, r, http.StatusOK, "nhidoc", p)
}

// The JSON API.

// nhiSearchAnswer is a page of insured persons with the count of all
// found, up to nhi.CountCap.
type nhiSearchAnswer struct {
	Persons   []nhi.Person `json:"persons"` // by kana then resident code when searched by kana, else by resident code
	Total     int          `json:"total"`
	TotalOver bool         `json:"total_over"` // more than total (1000) matched
	Order     string       `json:"order"`      // "kana" or "resident_code"
	Next      string       `json:"next"`
	// Unindexed is how many residents, at least, wait for the search keys
	// after a bulk import and may be missing from this answer.
	Unindexed int `json:"unindexed,omitempty"`
}

func (s *Server) apiNHISearch(w http.ResponseWriter, r *http.Request) error {
	q, _, err := nhiQuery(r)
	if err != nil {
		return err
	}
	page, total, over, unindexed, err := s.findNHI(r, q)
	if err != nil {
		return err
	}
	order := "resident_code"
	if q.ByKana() {
		order = "kana"
	}
	writeJSON(w, http.StatusOK, nhiSearchAnswer{Persons: nonNil(page.Items), Total: total, TotalOver: over, Order: order, Next: page.Next, Unindexed: unindexed})
	return nil
}

// nhiPersonAnswer is an insured person as of a date with their history,
// documents and the cost-share decisions of their household.
type nhiPersonAnswer struct {
	Record    nhi.PersonRecord `json:"record"`
	Documents []nhi.Document   `json:"documents"`
	Decisions []nhi.Decision   `json:"cost_share"`
}

func (s *Server) apiNHIPerson(w http.ResponseWriter, r *http.Request) error {
	d, err := s.nhiPersonData(r, r.PathValue("code"), r.URL.Query().Get("as_of"), r.URL.Query().Get("known_at"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, nhiPersonAnswer{Record: d.Record, Documents: d.Documents, Decisions: d.Decisions})
	return nil
}

// nhiHouseholdAnswer is a household as of a date with its timeline and
// cost-share decisions.
type nhiHouseholdAnswer struct {
	Household nhi.HouseholdView `json:"household"`
	Decisions []nhi.Decision    `json:"cost_share"`
}

func (s *Server) apiNHIHousehold(w http.ResponseWriter, r *http.Request) error {
	d, err := s.nhiHouseholdData(r, r.URL.Query().Get("as_of"), r.URL.Query().Get("known_at"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, nhiHouseholdAnswer{Household: d.View, Decisions: d.Decisions})
	return nil
}

func (s *Server) apiNHIAcquire(w http.ResponseWriter, r *http.Request) error {
	var in nhi.AcquisitionInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	c, err := s.submitNHI(r, func(tenant string) (review.Proposal, error) {
		return s.biz.NHI.ProposeAcquisition(r.Context(), tenant, in)
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, c)
	return nil
}

func (s *Server) apiNHILoss(w http.ResponseWriter, r *http.Request) error {
	var in nhi.LossInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	c, err := s.submitNHI(r, func(tenant string) (review.Proposal, error) { return s.biz.NHI.ProposeLoss(r.Context(), tenant, in) })
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, c)
	return nil
}

func (s *Server) apiNHIHouseholdChange(w http.ResponseWriter, r *http.Request) error {
	var in nhi.HouseholdChangeInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	c, err := s.submitNHI(r, func(tenant string) (review.Proposal, error) {
		return s.biz.NHI.ProposeHouseholdChange(r.Context(), tenant, in)
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, c)
	return nil
}

func (s *Server) apiNHIIncome(w http.ResponseWriter, r *http.Request) error {
	var in nhi.IncomeInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	c, err := s.submitNHI(r, func(tenant string) (review.Proposal, error) { return s.biz.NHI.ProposeIncome(r.Context(), tenant, in) })
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, c)
	return nil
}

// costShareBody is the date a household's cost share is decided on.
type costShareBody struct {
	On string `json:"on"`
}

func (s *Server) apiNHICostShare(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "household")
	if err != nil {
		return err
	}
	var in costShareBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	d, err := s.biz.NHI.DetermineCostShare(r.Context(), sessionFrom(r.Context()).Tenant, id, in.On)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, d)
	return nil
}

// nhiDocumentsAnswer is a person's issuance history, the latest first.
type nhiDocumentsAnswer struct {
	Documents []nhi.Document `json:"documents"`
}

func (s *Server) apiNHIDocuments(w http.ResponseWriter, r *http.Request) error {
	tenant, code := sessionFrom(r.Context()).Tenant, r.PathValue("code")
	// Someone never insured here, or of another municipality, is not
	// found (a recorded probe), not a person without documents.
	if _, err := s.biz.NHI.Get(r.Context(), tenant, code, ""); err != nil {
		return err
	}
	docs, err := s.biz.NHI.Documents(r.Context(), tenant, code)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, nhiDocumentsAnswer{Documents: nonNil(docs)})
	return nil
}

func (s *Server) apiNHIIssue(w http.ResponseWriter, r *http.Request) error {
	var in nhi.DocumentInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	d, err := s.biz.NHI.IssueDocument(r.Context(), sessionFrom(r.Context()).Tenant, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, d)
	return nil
}

// returnBody is the day a document came back.
type returnBody struct {
	ReturnedOn string `json:"returned_on"`
}

func (s *Server) apiNHIReturn(w http.ResponseWriter, r *http.Request) error {
	var in returnBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	doc, err := s.personDocument(r, r.PathValue("code"))
	if err != nil {
		return err
	}
	tenant := sessionFrom(r.Context()).Tenant
	if err := s.biz.NHI.ReturnDocument(r.Context(), tenant, doc.ID, in.ReturnedOn); err != nil {
		return err
	}
	after, err := s.personDocument(r, r.PathValue("code"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, after)
	return nil
}

// asOfQuery is the date an API record is read as of.
var asOfQuery = []apiParam{{"as_of", "string", "the date the record is read as of (基準日), YYYY-MM-DD; today when empty"}}

// NHI eligibility, in the session's municipality (R-AC-6): nhi.read
// reads, nhi.write enters (a checker confirms eligibility entries,
// R-ACC-1), nhi.admin starts the yearly cost-share decision.
func (s *Server) nhiModule() webModule {
	read, write, admin := access.NHIRead, access.NHIWrite, access.NHIAdmin
	return webModule{
		name: "nhi",
		routes: []route{
			{pattern: "GET /nhi", gate: loggedIn, perm: read, where: currentTenant, h: s.nhiSearchPage},
			{pattern: "GET /nhi/acquire", gate: loggedIn, perm: write, where: currentTenant, h: s.nhiAcquirePage},
			{pattern: "POST /nhi/acquire", gate: loggedIn, perm: write, where: currentTenant, h: s.nhiAcquirePost},
			{pattern: "GET /nhi/households/new", gate: loggedIn, perm: write, where: currentTenant, h: s.nhiNewPage},
			{pattern: "POST /nhi/households/new", gate: loggedIn, perm: write, where: currentTenant, h: s.nhiNewPost},
			{pattern: "GET /nhi/persons/{code}", gate: loggedIn, perm: read, where: currentTenant, h: s.nhiPersonPage},
			{pattern: "POST /nhi/persons/{code}/loss", gate: loggedIn, perm: write, where: currentTenant, h: s.nhiLossPost},
			{pattern: "POST /nhi/persons/{code}/void", gate: loggedIn, perm: write, where: currentTenant, h: s.nhiVoidPost},
			{pattern: "POST /nhi/persons/{code}/income", gate: loggedIn, perm: write, where: currentTenant, h: s.nhiIncomePost},
			{pattern: "POST /nhi/persons/{code}/documents", gate: loggedIn, perm: write, where: currentTenant, h: s.nhiDocumentPost},
			{pattern: "POST /nhi/persons/{code}/documents/{id}/return", gate: loggedIn, perm: write, where: currentTenant, h: s.nhiReturnPost},
			{pattern: "GET /nhi/persons/{code}/documents/{id}/print", gate: loggedIn, perm: read, where: currentTenant, h: s.nhiPrintPage},
			{pattern: "GET /nhi/households/{id}", gate: loggedIn, perm: read, where: currentTenant, h: s.nhiHouseholdPage},
			{pattern: "POST /nhi/households/{id}/change", gate: loggedIn, perm: write, where: currentTenant, h: s.nhiHouseholdChangePost},
			{pattern: "POST /nhi/households/{id}/cost-share", gate: loggedIn, perm: write, where: currentTenant, h: s.nhiCostSharePost},
			{pattern: "GET /nhi/cost-share", gate: loggedIn, perm: admin, where: currentTenant, h: s.nhiRunsPage},
			{pattern: "POST /nhi/cost-share", gate: loggedIn, perm: admin, where: currentTenant, h: s.nhiRunsPost},
			{pattern: "GET /nhi/cost-share/runs/{id}", gate: loggedIn, perm: admin, where: currentTenant, h: s.nhiRunPage},

			{pattern: "GET /api/v1/nhi/persons", gate: loggedIn, perm: read, where: currentTenant, json: true, h: s.apiNHISearch,
				summary: "Find persons insured on a date by insured number, resident code, name kana, date of birth or household, a page at a time with the count of all found",
				query: append([]apiParam{{"number", "string", "the insured number: 番号, or 番号-枝番"}, {"resident_code", "string", "the resident code (宛名番号)"},
					{"kana", "string", "the start of the name in kana"}, {"birth_date", "string", "the date of birth, YYYY-MM-DD"},
					{"household", "integer", "the household's number"}, asOfQuery[0],
					{"known_at", "string", "search the record as known at the end of this day (記録時点), YYYY-MM-DD: only entries recorded, and not voided, by then count; now when empty"}}, pageQuery...),
				answer: nhiSearchAnswer{}},
			{pattern: "GET /api/v1/nhi/persons/{code}", gate: loggedIn, perm: read, where: currentTenant, json: true, h: s.apiNHIPerson,
				summary: "An insured person as of a date, optionally as known at a date (only what was recorded by its end): eligibility periods and events, households, documents, cost-share decisions (as known then too)",
				query:   append(slices.Clone(asOfQuery), apiParam{"known_at", "string", "read the record as known at the end of this day (記録時点), YYYY-MM-DD; everything recorded when empty"}),
				answer:  nhiPersonAnswer{}},
			{pattern: "GET /api/v1/nhi/households/{id}", gate: loggedIn, perm: read, where: currentTenant, json: true, h: s.apiNHIHousehold,
				summary: "An NHI household as of a date, optionally as known at a date (only what was recorded by its end): head, members, versions and moves, cost-share decisions",
				query:   append(slices.Clone(asOfQuery), apiParam{"known_at", "string", "read the household and its decisions as known at the end of this day (記録時点), YYYY-MM-DD; everything recorded when empty"}),
				answer:  nhiHouseholdAnswer{}},
			{pattern: "POST /api/v1/nhi/acquisitions", gate: loggedIn, perm: write, where: currentTenant, json: true, h: s.apiNHIAcquire,
				summary: "Enter an acquisition (資格取得), into an existing household or a new one with its head: it waits for a checker", body: nhi.AcquisitionInput{}, status: http.StatusAccepted, answer: review.Change{}},
			{pattern: "POST /api/v1/nhi/households", gate: loggedIn, perm: write, where: currentTenant, json: true, h: s.apiNHIHouseholdNew,
				summary: "Enter a new household with its head (who may be outside NHI) and its insured members, each with their acquisition and 枝番 — or, with household, several members joining an existing household: one entry that waits for a checker, and then acquires every member or none",
				body:    nhi.HouseholdInput{}, status: http.StatusAccepted, answer: review.Change{}},
			{pattern: "POST /api/v1/nhi/losses", gate: loggedIn, perm: write, where: currentTenant, json: true, h: s.apiNHILoss,
				summary: "Enter a loss (資格喪失): it waits for a checker", body: nhi.LossInput{}, status: http.StatusAccepted, answer: review.Change{}},
			{pattern: "POST /api/v1/nhi/voids", gate: loggedIn, perm: write, where: currentTenant, json: true, h: s.apiNHIVoid,
				summary: "Void (取消) an insured person's latest eligibility entry (acquisition or loss) with a reason, or correct it (訂正) by naming the right entry of the same kind: the corrected record is checked by the eligibility rules at once, and the void waits for a checker",
				body:    nhi.VoidInput{}, status: http.StatusAccepted, answer: review.Change{}},
			{pattern: "POST /api/v1/nhi/household-changes", gate: loggedIn, perm: write, where: currentTenant, json: true, h: s.apiNHIHouseholdChange,
				summary: "Enter a household change (世帯主変更・世帯分離・世帯合併): it waits for a checker", body: nhi.HouseholdChangeInput{}, status: http.StatusAccepted, answer: review.Change{}},
			{pattern: "POST /api/v1/nhi/incomes", gate: loggedIn, perm: write, where: currentTenant, json: true, h: s.apiNHIIncome,
				summary: "Enter an insured person's income of a year (課税所得, 収入, 旧ただし書所得), for the 70–74 cost share: it waits for a checker, and once confirmed the cost share decided on that year's income is decided again",
				body:    nhi.IncomeInput{}, status: http.StatusAccepted, answer: review.Change{}},
			{pattern: "POST /api/v1/nhi/households/{id}/cost-share", gate: loggedIn, perm: write, where: currentTenant, json: true, h: s.apiNHICostShare,
				summary: "Decide the household's 70–74 cost share (一部負担金の割合) on a date, with its basis", body: costShareBody{}, status: http.StatusCreated, answer: nhi.Decision{}},
			{pattern: "POST /api/v1/nhi/cost-share-runs", gate: loggedIn, perm: admin, where: currentTenant, json: true, h: s.apiNHIRunStart,
				summary: "Start the yearly 70–74 cost-share decision of a fiscal year (from 1 August) for the municipality: it runs in the background; one at a time",
				body:    runBody{}, status: http.StatusAccepted, answer: nhi.CostShareRun{}},
			{pattern: "GET /api/v1/nhi/cost-share-runs/{id}", gate: loggedIn, perm: admin, where: currentTenant, json: true, h: s.apiNHIRun,
				summary: "A run of the yearly cost-share decision: its progress, and its report once done", answer: nhi.CostShareRun{}},
			{pattern: "GET /api/v1/nhi/persons/{code}/documents", gate: loggedIn, perm: read, where: currentTenant, json: true, h: s.apiNHIDocuments,
				summary: "An insured person's qualification documents, the latest first, with what befell each", answer: nhiDocumentsAnswer{}},
			{pattern: "POST /api/v1/nhi/documents", gate: loggedIn, perm: write, where: currentTenant, json: true, h: s.apiNHIIssue,
				summary: "Issue a 資格確認書 or 資格情報のお知らせ (or record a 被保険者証 issued before 2 December 2024), or reissue one with its reason", body: nhi.DocumentInput{}, status: http.StatusCreated, answer: nhi.Document{}},
			{pattern: "POST /api/v1/nhi/persons/{code}/documents/{id}/return", gate: loggedIn, perm: write, where: currentTenant, json: true, h: s.apiNHIReturn,
				summary: "Record that a document was returned (返還)", body: returnBody{}, answer: nhi.Document{}},
		},
		menu: []navItem{
			{Key: "nav.nhi", Href: "/nhi", perm: read},
			{Key: "nav.nhi.runs", Href: "/nhi/cost-share", perm: admin, under: "nav.nhi"},
		},
		counters: []counter{
			{id: "nhi-birthday75", key: "home.nhi.birthday75", perm: write, where: currentTenant, // no page lists them yet
				count: func(r *http.Request, sess *identity.Session) (int, error) {
					return s.biz.NHI.CountBirthday75Within(r.Context(), sess.Tenant, 30)
				}},
		},
	}
}

// nhiSubject is the audit subject type of an insured person, as the nhi
// service names the subject of its changes.
const nhiSubject = "nhi_insured"

// nhiMessages are the strings of the NHI screens.
var nhiMessages = messages{
	"review.nhi_person":             {"国保の資格の記録を開く", "Open the NHI record"},
	"nav.nhi":                       {"国民健康保険", "National Health Insurance"},
	"nav.nhi.runs":                  {"負担割合の年次判定", "Yearly cost share"},
	"nhi.runs.title":                {"一部負担金の割合の年次判定（70〜74歳）", "The yearly 70–74 cost-share decision"},
	"nhi.runs.help":                 {"年度の8月1日時点で70〜74歳の被保険者がいる世帯すべての負担割合を、前年の所得で判定します。もう一度実行すると、変わった世帯だけを記録します。コマンド bango nhi cost-share と同じ処理です。", "Decides the cost share of every household with a member aged 70 to 74 on 1 August of the fiscal year, on the income of the year before. Run again, it records only what changed. The same as the command bango nhi cost-share."},
	"nhi.runs.start":                {"年次判定を開始", "Start the yearly decision"},
	"nhi.runs.list":                 {"実行の記録", "Runs"},
	"nhi.runs.none":                 {"まだ実行していません。", "Not run yet."},
	"nhi.run.title":                 {"年次判定の実行", "A run of the yearly decision"},
	"nhi.run.heading":               {"%d年度の年次判定（実行 %d）", "The yearly decision of %d (run %d)"},
	"nhi.run.status":                {"状態", "Status"},
	"nhi.run.status.running":        {"実行中", "Running"},
	"nhi.run.status.done":           {"完了", "Done"},
	"nhi.run.status.failed":         {"中断（失敗）", "Stopped (failed)"},
	"nhi.run.refresh":               {"この画面は2秒ごとに更新されます", "this page refreshes every two seconds"},
	"nhi.run.progress":              {"進み具合", "Progress"},
	"nhi.run.count":                 {"%d / %d 世帯", "%d of %d households"},
	"nhi.run.started":               {"開始", "Started"},
	"nhi.run.finished":              {"終了", "Finished"},
	"nhi.run.failed":                {"処理が中断しました。もう一度開始すると、判定済みの世帯は記録し直さずに続きを判定します。", "The run stopped: start it again, and the households decided already are not recorded again."},
	"nhi.run.report":                {"%d年度（%s から）の結果", "The report of %d (from %s)"},
	"nhi.run.households":            {"70〜74歳の被保険者がいる世帯", "Households with a member aged 70–74"},
	"nhi.run.decided":               {"記録した判定", "Decisions recorded"},
	"nhi.run.changed":               {"うち以前の判定から変わったもの", "… of which changed an earlier decision"},
	"nhi.run.unchanged":             {"判定済みで変わらないもの", "Decided before, unchanged"},
	"nhi.run.refused":               {"判定できなかった世帯", "Households not decided"},
	"nhi.run.reason":                {"理由", "Reason"},
	"nhi.run.refused.none":          {"ありません。", "None."},
	"nhi.title":                     {"国保被保険者の検索", "Find insured persons"},
	"nhi.search.help":               {"被保険者番号（番号、または 番号-枝番）、宛名番号、カナ氏名の先頭、生年月日、世帯番号のどれか（いくつでも）で探せます。基準日に資格のある人を、カナ氏名で探したときはカナ氏名順に、それ以外は宛名番号順に表示します。", "Search by insured number (番号, or 番号-枝番), resident code, the start of the name in kana, date of birth or household number, any or several: the persons insured on the reference date are listed by the name in kana when searched by it, otherwise by resident code."},
	"nhi.order.kana":                {"カナ氏名順", "by name in kana"},
	"nhi.over":                      {"該当が多すぎます。カナ氏名を長く入力するか、生年月日や被保険者番号で絞り込んでください。", "Too many matched: type more of the name, or narrow it by date of birth or insured number."},
	"nhi.as_of.help":                {"基準日の時点の状態を表示します。空欄なら今日です。", "Shows the state on the reference date; today when empty."},
	"nhi.as_of.show":                {"この日の状態を表示", "Show as of this date"},
	"nhi.known_at.help":             {"記録時点を入れると、その日の終わりまでに記録された異動だけで表示します（遅れて届け出られた異動を記録前の状態で見る）。空欄なら現在までのすべての記録です。", "With a recorded-by date, only what was recorded by the end of that day counts (a late notification shows as it was before it was recorded); empty, everything recorded."},
	"nhi.known_at.caption":          {"（%s 時点の記録による）", "(as recorded by %s)"},
	"field.known_at":                {"記録時点", "As recorded by"},
	"nhi.none":                      {"基準日に資格のある該当者はいません。番号や氏名を短くするか、基準日を変えてください。", "Nobody insured on the reference date matched: type less of the number or name, or change the reference date."},
	"nhi.insured_number":            {"被保険者記号・番号（枝番）", "Insured number (記号・番号, 枝番)"},
	"nhi.person.title":              {"国保被保険者", "Insured person"},
	"nhi.person.as_of":              {"%s 時点", "As of %s"},
	"nhi.household.title":           {"国保世帯", "NHI household"},
	"nhi.household.as_of":           {"%s 時点の世帯", "The household as of %s"},
	"nhi.household.name":            {"世帯 %d（記号 %s）", "Household %d (記号 %s)"},
	"nhi.household.number":          {"世帯 %d", "household %d"},
	"nhi.household.exists":          {"成立", "Established"},
	"nhi.household.gone":            {"この日には存在しません", "Does not exist on this date"},
	"nhi.status":                    {"状態", "Status"},
	"nhi.insured":                   {"資格あり", "Insured"},
	"nhi.not_insured":               {"資格なし", "Not insured"},
	"nhi.head":                      {"世帯主", "Head of household"},
	"nhi.pseudo_head":               {"擬制世帯主（国保の被保険者ではありません）", "Pseudo head (not insured by NHI)"},
	"nhi.members":                   {"被保険者 %d 人", "%d insured members"},
	"nhi.timeline":                  {"世帯の履歴", "The household's history"},
	"nhi.version.establish":         {"世帯の成立", "Established"},
	"nhi.version.split":             {"世帯分離", "Split"},
	"nhi.version.head_change":       {"世帯主変更", "Change of head"},
	"nhi.version.merged":            {"世帯合併", "Merged"},
	"nhi.version.dissolve":          {"世帯の消滅", "Dissolved"},
	"nhi.move.joined":               {"加入", "Joined"},
	"nhi.move.left":                 {"脱退", "Left"},
	"nhi.elderly70":                 {"70〜74歳の負担割合の適用開始", "70–74 cost share applies from"},
	"nhi.birthday75":                {"75歳到達（後期高齢者医療へ移行）", "75th birthday (moves to 後期高齢者医療)"},
	"nhi.scheduled":                 {"（喪失を予定済み）", "(loss scheduled)"},
	"nhi.periods":                   {"資格の取得・喪失", "Acquisitions and losses"},
	"nhi.event":                     {"異動", "Event"},
	"nhi.event.acquire":             {"取得", "Acquired"},
	"nhi.event.loss":                {"喪失", "Lost"},
	"nhi.effective":                 {"異動日", "Effective"},
	"nhi.late":                      {"遡及", "Late notice"},
	"nhi.late.yes":                  {"遡及（届出期限後）", "Late (after the notice limit)"},
	"nhi.recorded":                  {"記録", "Recorded"},
	"nhi.by_job":                    {"（自動処理）", "(by the daily job)"},
	"nhi.none.events":               {"記録はありません。", "Nothing recorded."},
	"nhi.none.members":              {"この日の被保険者はいません。", "No insured member on this date."},
	"nhi.none.documents":            {"交付した書類はありません。", "No document issued."},
	"nhi.none.costshare":            {"負担割合の判定はありません。", "No cost share decided."},
	"nhi.documents":                 {"資格確認書等の交付履歴", "Qualification documents issued"},
	"nhi.doc.status":                {"状態", "Status"},
	"nhi.doc.actions":               {"操作", "Actions"},
	"nhi.doc.kind.certificate":      {"資格確認書", "資格確認書 (eligibility certificate)"},
	"nhi.doc.kind.notice":           {"資格情報のお知らせ", "資格情報のお知らせ (eligibility notice)"},
	"nhi.doc.kind.card":             {"被保険者証（2024年12月1日以前の交付）", "被保険者証 (issued by 1 December 2024)"},
	"nhi.doc.kind.elderly":          {"高齢受給者証（70〜74歳）", "高齢受給者証 (ages 70–74)"},
	"nhi.doc.note.elderly":          {"医療機関等で受診するときは、マイナ保険証または資格確認書とあわせてこの証を提示してください。一部負担金の割合は毎年8月に、世帯や所得が変わったときにも判定し直します。75歳の誕生日からは後期高齢者医療の被保険者となり、この証は使えません。", "Show this certificate with your My Number card or eligibility certificate at the medical institution. The cost share is decided again every August and whenever the household or income changes. From the 75th birthday you are insured by 後期高齢者医療 and this certificate is no longer valid."},
	"nhi.print.elderly":             {"国民健康保険高齢受給者証", "National Health Insurance elderly recipient certificate (高齢受給者証)"},
	"nhi.doc.valid_from":            {"発効期日", "Valid from"},
	"nhi.doc.ratio.undecided":       {"—", "—"},
	"nhi.doc.delivery.mail":         {"郵送", "By mail"},
	"nhi.doc.delivery.counter":      {"窓口交付", "At the counter"},
	"nhi.doc.reason.new":            {"新規", "New"},
	"nhi.doc.reason.renewal":        {"更新", "Renewal"},
	"nhi.doc.reason.lost":           {"再交付（紛失）", "Reissue (lost)"},
	"nhi.doc.reason.damaged":        {"再交付（汚損・破損）", "Reissue (damaged)"},
	"nhi.doc.reason.changed":        {"再交付（記載事項の変更）", "Reissue (details changed)"},
	"nhi.doc.reason.history":        {"交付の記録（過去の交付）", "Record of an earlier issue"},
	"nhi.doc.status.valid":          {"有効", "Valid"},
	"nhi.doc.status.expired":        {"期限切れ", "Expired"},
	"nhi.doc.status.returned":       {"返還済み", "Returned"},
	"nhi.doc.status.invalidated":    {"無効（資格喪失）", "Invalid (eligibility lost)"},
	"nhi.doc.status.replaced":       {"再交付により無効", "Replaced by a reissue"},
	"nhi.doc.replaces":              {"（#%d を置き換え）", "(replaces #%d)"},
	"nhi.doc.print":                 {"印刷用の表示", "Print view"},
	"nhi.doc.return":                {"返還を記録", "Record the return"},
	"nhi.doc.issue":                 {"資格確認書等の交付", "Issue a qualification document"},
	"nhi.doc.help":                  {"2024年12月2日以降、被保険者証は新たに交付しません。マイナ保険証を使わない人には資格確認書を、使う人には資格情報のお知らせを交付します。再交付は理由と置き換える書類を選びます。高齢受給者証（70〜74歳）と70〜74歳の人の資格確認書には、その時点で判定済みの世帯の負担割合を記載します（未判定なら世帯の画面で先に判定してください）。", "No 被保険者証 is issued from 2 December 2024: issue a 資格確認書 to those who do not use the My Number card as their insurance card and a 資格情報のお知らせ to those who do. A reissue names its reason and the document it replaces. A 高齢受給者証 (ages 70–74), and the 資格確認書 of a member aged 70–74, print the household's cost share decided then: decide it first on the household's page."},
	"nhi.doc.valid.help":            {"資格確認書は有効期限が必須です（交付日から5年以内、保険者が定めます）。お知らせには入力しません。", "A 資格確認書 needs its last valid day (at most five years from the issue, as the insurer sets); a notice has none."},
	"nhi.doc.issue.submit":          {"交付を記録", "Record the issue"},
	"nhi.doc.issued":                {"交付を記録しました。印刷用の表示から印刷できます。", "The issue is recorded: print it from its print view."},
	"nhi.doc.returned":              {"返還を記録しました。", "The return is recorded."},
	"nhi.doc.back":                  {"被保険者の画面に戻る", "Back to the insured person"},
	"nhi.doc.print.help":            {"印刷すると、本人に送付する様式だけが印刷されます。", "Printing prints only the document as the person receives it."},
	"nhi.doc.number":                {"書類番号 %d", "Document no. %d"},
	"nhi.doc.insurer":               {"保険者", "Insurer"},
	"nhi.doc.ratio.none":            {"—（70歳未満）", "— (under 70)"},
	"nhi.doc.note.certificate":      {"この資格確認書は、医療機関等の窓口で提示してください。記載事項に変更があったとき、または資格を喪失したときは、14日以内に届け出て返還してください。", "Show this certificate at the medical institution. Report any change of its details, or the loss of eligibility, within 14 days and return it."},
	"nhi.doc.note.notice":           {"医療機関等では、マイナ保険証（健康保険証として利用登録したマイナンバーカード）を提示してください。このお知らせだけでは受診できません。", "Show your My Number card registered as your insurance card at the medical institution: this notice alone is not enough."},
	"nhi.doc.note.card":             {"2024年12月1日以前に交付した被保険者証の記録です。", "The record of a 被保険者証 issued by 1 December 2024."},
	"nhi.print.certificate":         {"国民健康保険資格確認書", "National Health Insurance eligibility certificate (資格確認書)"},
	"nhi.print.notice":              {"資格情報のお知らせ（国民健康保険）", "National Health Insurance eligibility notice (資格情報のお知らせ)"},
	"nhi.print.card":                {"国民健康保険被保険者証（交付の記録）", "National Health Insurance card (record of issue)"},
	"nhi.costshare":                 {"一部負担金の割合（70〜74歳）", "Cost share (ages 70–74)"},
	"nhi.costshare.period":          {"適用期間", "Period"},
	"nhi.costshare.ratio":           {"一部負担金の割合", "Cost share"},
	"nhi.costshare.rule":            {"判定の根拠", "Basis"},
	"nhi.costshare.wari":            {"%d割", "%d0 %%"},
	"nhi.costshare.decide":          {"負担割合の判定", "Decide the cost share"},
	"nhi.costshare.cause":           {"判定の契機", "Why decided"},
	"nhi.costshare.cause.decision":  {"職員の判定", "A staff member's decision"},
	"nhi.costshare.cause.yearly":    {"年次判定（8月1日）", "The yearly decision (1 August)"},
	"nhi.costshare.cause.household": {"世帯の異動による再判定", "Decided again after a change of household"},
	"nhi.costshare.cause.income":    {"所得の登録・更正による再判定", "Decided again after an income was entered or corrected"},
	"nhi.costshare.decide.submit":   {"判定する", "Decide"},
	"nhi.costshare.decided":         {"負担割合を判定し、根拠とともに記録しました。", "The cost share is decided and recorded with its basis."},
	"nhi.submitted":                 {"確認待ちに登録しました。別の職員が確認すると反映されます。", "Sent for confirmation: it holds once another staff member confirms it."},
	"nhi.acquire.title":             {"資格取得の入力", "Enter an acquisition"},
	"nhi.acquire.help":              {"取得の届出を入力します。入力は確認待ちになり、別の職員が確認すると資格が記録されます。", "Enter a notified acquisition: it waits until another staff member confirms it, and holds then."},
	"nhi.acquire.household":         {"世帯", "Household"},
	"nhi.acquire.new.help":          {"新しい国保世帯の記号と世帯主の宛名番号です。世帯主が国保に加入しない場合（擬制世帯主）も世帯主として入力します。", "The new NHI household's 記号 and its head's resident code; a head outside NHI (擬制世帯主) is entered as the head too."},
	"nhi.acquire.into":              {"世帯 %d に加入します。", "Joins household %d."},
	"nhi.acquire.person":            {"被保険者", "Insured person"},
	"nhi.acquire.number.help":       {"初めて資格を取得する人は番号（10桁以内）と枝番（2桁）が必須です。以前に資格があった人は空欄で構いません。", "A person insured for the first time needs a 番号 (up to 10 digits) and a 2-digit 枝番; one insured before keeps theirs."},
	"nhi.acquire.notified.help":     {"届出が異動日から14日を過ぎていれば遡及として記録します。", "A notice more than 14 days after the event is recorded as late (遡及)."},
	"home.nhi.birthday75":           {"30日以内に75歳の誕生日を迎え、国保の資格を喪失する（後期高齢者医療へ移行する）被保険者が %d 人います", "%d insured persons turn 75 within 30 days and leave NHI for 後期高齢者医療"},
	"nhi.new.title":                 {"新しい国保世帯の入力", "Enter a new NHI household"},
	"nhi.new.help":                  {"世帯と、資格を取得する被保険者全員を一度に入力します。入力は確認待ちになり、別の職員が一度確認すると全員の資格が記録されます（一人でも誤りがあれば誰も記録されません）。", "Enter the household and every insured member acquiring at once: the entry waits until another staff member confirms it once, and then every member holds (or none, when one is wrong)."},
	"nhi.new.number.help":           {"世帯で共通の番号です。初めて資格を取得する人ごとに異なる枝番（2桁）が必須です。以前に資格があった人は番号を引き継ぎます。", "The 番号 the household's members share; each member insured for the first time needs a 2-digit 枝番 of their own. A person insured before keeps theirs."},
	"nhi.new.members":               {"被保険者", "Insured members"},
	"nhi.new.members.help":          {"資格を取得する人を一行に一人ずつ入力します。空の行は無視されます。世帯主が国保に加入しない場合（擬制世帯主）は、世帯主を行に入力しません。", "One person acquiring per row; empty rows are ignored. A head outside NHI (擬制世帯主) is not entered in a row."},
	"nhi.new.member":                {"被保険者 %d", "Member %d"},
	"nhi.new.link":                  {"新しい世帯と被保険者をまとめて入力する", "Enter a new household with its members"},
	"nhi.add_member":                {"被保険者の追加", "Add an insured member"},
	"nhi.add_member.link":           {"この世帯への資格取得を入力する", "Enter an acquisition into this household"},
	"nhi.add_members.link":          {"この世帯に複数の被保険者をまとめて加入させる", "Enter several members joining this household at once"},
	"nhi.new.into.title":            {"既存の国保世帯への被保険者の加入（まとめて入力）", "Several members joining an NHI household"},
	"nhi.new.into":                  {"世帯 %s に加入します。入力は確認待ちになり、別の職員が一度確認すると全員の資格が記録されます（一人でも誤りがあれば誰も記録されません）。", "They join household %s: the entry waits until another staff member confirms it once, and then every member holds (or none, when one is wrong)."},
	"nhi.loss.title":                {"資格喪失の入力", "Enter a loss"},
	"nhi.void.title":                {"資格の記録の取消・訂正", "Void or correct an entry"},
	"nhi.void.help":                 {"誤って記録した取得・喪失を取り消します（記録は消さず、取消として残ります）。最新の記録から順に取り消せます。訂正する場合は正しい日付と事由を入力してください。確認者の確認後に反映されます。", "Voids an acquisition or loss recorded in error (kept, marked void). The latest entry is voided first. To correct it, enter the right date and reason. It holds once a checker confirms it."},
	"nhi.void.submit":               {"取消・訂正を入力", "Enter the void or correction"},
	"field.void_event":              {"取り消す記録", "Entry voided"},
	"field.void_reason":             {"取消の理由", "Reason for the void"},
	"field.corrected_on":            {"訂正後の日付", "Corrected date"},
	"field.corrected_reason":        {"訂正後の事由", "Corrected reason"},
	"nhi.loss.help":                 {"資格がなくなる最初の日です（転出・社保加入の日、死亡の翌日など）。", "The first day without NHI (the day of moving out or of joining employee insurance, the day after death)."},
	"nhi.loss.new_head.help":        {"世帯主が死亡・転出し、ほかの被保険者が残る場合だけ、次の世帯主の宛名番号を入力します。", "Only when the head dies or moves away and insured members remain: the next head's resident code."},
	"nhi.change.title":              {"世帯の変更の入力", "Enter a household change"},
	"nhi.change.head":               {"世帯主変更", "Change of head"},
	"nhi.change.split":              {"世帯分離", "Split"},
	"nhi.change.merge":              {"世帯合併", "Merge"},
	"nhi.change.help":               {"世帯主変更は新しい世帯主、世帯分離は分かれる人と新しい世帯の記号と世帯主、世帯合併は合併先の世帯番号を入力します。", "A change of head names the new head; a split, those who leave, the new household's 記号 and its head; a merge, the household merged into."},
	"nhi.change.members.help":       {"宛名番号を読点または空白で区切って入力します。", "Resident codes, separated by commas or spaces."},
	"nhi.income.title":              {"所得の登録（負担割合の判定用）", "Record an income (for the cost share)"},
	"nhi.income.help":               {"70〜74歳の被保険者の、前年（1〜7月の判定は前々年）の所得を円で入力します。", "The income, in yen, of an insured person aged 70 to 74, for the year before (two years before for a decision from January to July)."},
	"nhi.income.submit":             {"登録する", "Record"},
	"nhi.income.recorded":           {"所得を確認待ちに登録しました。別の職員が確認すると記録され、その年の所得で判定した負担割合を判定し直します。", "The income is sent for confirmation: once another staff member confirms it, it is recorded and the cost share decided on that year's income is decided again."},
	"field.number":                  {"被保険者番号", "Insured number"},
	"field.resident_code":           {"宛名番号", "Resident code"},
	"field.kana":                    {"カナ氏名（先頭）", "Name in kana (start)"},
	"field.household":               {"世帯番号", "Household"},
	"field.as_of":                   {"基準日", "Reference date"},
	"field.new_kigo":                {"記号", "記号 (household symbol)"},
	"field.new_head":                {"世帯主の宛名番号", "Head's resident code"},
	"field.branch":                  {"枝番", "枝番 (branch)"},
	"field.acquired_on":             {"資格取得日", "Acquired on"},
	"field.notified_on":             {"届出日", "Notified on"},
	"field.lost_on":                 {"資格喪失日", "Lost on"},
	"field.loss_reason":             {"喪失事由", "Reason of the loss"},
	"field.income_year":             {"所得の年", "Year of the income"},
	"field.taxable_income":          {"課税所得（円）", "Taxable income (yen)"},
	"field.revenue":                 {"収入（円）", "Revenue (yen)"},
	"field.old_proviso_income":      {"旧ただし書所得（円）", "旧ただし書所得 (yen)"},
	"field.doc_kind":                {"書類", "Document"},
	"field.doc_issued_on":           {"交付日", "Issued on"},
	"field.doc_valid_until":         {"有効期限", "Valid until"},
	"field.doc_delivery":            {"交付方法", "Delivery"},
	"field.doc_delivered_on":        {"送付・交付日", "Delivered on"},
	"field.doc_reason":              {"交付理由", "Reason of issue"},
	"field.doc_replaces":            {"置き換える書類", "Document replaced"},
	"field.doc_resident_code":       {"宛名番号", "Resident code"},
	"field.document":                {"書類", "Document"},
	"field.returned_on":             {"返還日", "Returned on"},
	"field.change":                  {"変更の種類", "Change"},
	"field.effective_on":            {"異動日", "Effective on"},
	"field.members":                 {"分離する被保険者", "Members who leave"},
	"field.kigo":                    {"新しい世帯の記号", "New household's 記号"},
	"field.into":                    {"合併先の世帯番号", "Household merged into"},
	"field.decided_on":              {"判定日", "Decided on"},
	"field.decided_as_of":           {"判定日", "Decided on"},
	"field.decided_household":       {"世帯", "Household"},
}
