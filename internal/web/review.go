package web

import (
	"context"
	"net/http"
	"time"

	"bango/internal/access"
	"bango/internal/identity"
	"bango/internal/linkage"
	"bango/internal/mynumber"
	"bango/internal/nhi"
	"bango/internal/resident"
	"bango/internal/review"
)

// The checker's pages: the queue of entries waiting for a second person,
// and each entry keyed again blind (R-ACC-1).

// reviewQueueData is a page of the checker's queue.
type reviewQueueData struct {
	Changes []checkedChange
	Pager   pager
	// Held is the partners' files waiting for a checker (the linkage
	// queue of partner files, which has no staff maker and so is not a
	// review change), listed beside the changes with a link to decide.
	Held []linkage.Job
}

// checkedChange is a change as the checker sees it: with what to compare
// with the paper (the resident's name, birth date and address, never the
// number) when its subject is a resident.
type checkedChange struct {
	review.Change
	Resident *resident.Resident
	// NHIPerson is the insured person an NHI change is about, to open
	// their record; "" when there is none yet (a first acquisition).
	NHIPerson string
}

// forCheck attaches each resident-subject change's resident, read in one
// transaction that records every read.
func (s *Server) forCheck(r *http.Request, tenant string, changes []review.Change) ([]checkedChange, error) {
	var codes []string
	for _, c := range changes {
		if c.SubjectType == "resident" || c.SubjectType == nhiSubject {
			codes = append(codes, c.Subject)
		}
	}
	found, err := s.biz.Residents.Shown(r.Context(), tenant, codes, "check")
	if err != nil {
		return nil, err
	}
	out := make([]checkedChange, len(changes))
	for i, c := range changes {
		out[i].Change = c
		if res, ok := found[c.Subject]; ok && (c.SubjectType == "resident" || c.SubjectType == nhiSubject) {
			out[i].Resident = &res
		}
		if c.SubjectType == nhiSubject && c.Kind != nhi.KindAcquire && c.Kind != nhi.KindEstablish {
			out[i].NHIPerson = c.Subject
		}
	}
	return out, nil
}

func (s *Server) reviewQueue(w http.ResponseWriter, r *http.Request) error {
	sess := sessionFrom(r.Context())
	p := s.newPage(r, "review.title", sess)
	dept, sec := sess.User.Department, sess.User.Section
	if r.URL.Query().Get("all") == "1" {
		dept, sec = "", ""
	}
	q, err := s.biz.Review.Queue(r.Context(), sess.Tenant, dept, sec, r.URL.Query().Get("cursor"), 0)
	if err != nil {
		return err
	}
	changes, err := s.forCheck(r, sess.Tenant, q.Items)
	if err != nil {
		return err
	}
	held, err := s.biz.Linkage.PartnerHeld(r.Context(), sess.Tenant)
	if err != nil {
		return err
	}
	p.Data = reviewQueueData{Changes: changes, Pager: pagerOf(r, q, "/review", "cursor"), Held: held}
	switch r.URL.Query().Get("done") {
	case "confirmed":
		p.Notice = tr(p.Lang, "review.confirmed")
	case "rejected":
		p.Notice = tr(p.Lang, "review.rejected")
	}
	return s.render(w, r, http.StatusOK, "review", p)
}

func (s *Server) reviewPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderChange(w, r, http.StatusOK, refusal{})
}

func (s *Server) renderChange(w http.ResponseWriter, r *http.Request, status int, problem refusal) error {
	id, err := pathID(r, "change")
	if err != nil {
		return err
	}
	sess := sessionFrom(r.Context())
	c, err := s.biz.Review.Get(r.Context(), sess.Tenant, id)
	if err != nil {
		return err
	}
	checked, err := s.forCheck(r, sess.Tenant, []review.Change{c})
	if err != nil {
		return err
	}
	p := s.newPage(r, "change.title", sess)
	p.Data = checked[0]
	p.refuse(problem)
	return s.render(w, r, status, "change", p)
}

// confirmChange is the checker's step: every double-entry field is keyed
// again and compared by blind index.
func (s *Server) confirmChange(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "change")
	if err != nil {
		return err
	}
	f, err := formValues(r, "mynumber")
	if err == nil {
		_, err = s.confirm(r, id, f["mynumber"])
	}
	if err != nil {
		return formProblem(r, err, func(status int, msg refusal) error { return s.renderChange(w, r, status, msg) })
	}
	http.Redirect(w, r, "/review?done=confirmed", http.StatusSeeOther)
	return nil
}

// confirm confirms change id with the re-keyed My Number (if the change
// has one to key again).
func (s *Server) confirm(r *http.Request, id int64, number string) (review.Change, error) {
	sess := sessionFrom(r.Context())
	reentered := map[string][]byte{}
	if number != "" {
		n, err := mynumber.Parse(number)
		if err != nil {
			return review.Change{}, numberFieldError(err)
		}
		if reentered["mynumber"], err = s.biz.Residents.MyNumberIndex(r.Context(), sess.Tenant, n); err != nil {
			return review.Change{}, err
		}
	}
	return s.biz.Review.Confirm(r.Context(), sess.User, sess.Tenant, id, reentered)
}

func (s *Server) rejectChange(w http.ResponseWriter, r *http.Request) error {
	return s.endChange(w, r, s.biz.Review.Reject, s.renderChange, "/review?done=rejected")
}

// endChange is the form that ends change {id} unapplied with a reason
// through end (the engine's Reject or Withdraw): a refusal shows the page
// again through rerender, success goes to done.
func (s *Server) endChange(w http.ResponseWriter, r *http.Request, end func(context.Context, identity.User, string, int64, string) (review.Change, error),
	rerender func(http.ResponseWriter, *http.Request, int, refusal) error, done string) error {
	id, err := pathID(r, "change")
	if err != nil {
		return err
	}
	sess := sessionFrom(r.Context())
	f, err := formValues(r, "reason")
	if err == nil {
		_, err = end(r.Context(), sess.User, sess.Tenant, id, f["reason"])
	}
	if err != nil {
		return formProblem(r, err, func(status int, msg refusal) error { return rerender(w, r, status, msg) })
	}
	http.Redirect(w, r, done, http.StatusSeeOther)
	return nil
}

// The checker's queue: entries of the section awaiting a second person
// (R-ACC-1).
func (s *Server) reviewModule() webModule {
	return webModule{
		name: "review",
		routes: []route{
			{pattern: "GET /review", gate: loggedIn, perm: access.ReviewConfirm, where: currentTenant, h: s.reviewQueue},
			{pattern: "GET /review/{id}", gate: loggedIn, perm: access.ReviewConfirm, where: currentTenant, h: s.reviewPage},
			{pattern: "POST /review/{id}/confirm", gate: loggedIn, perm: access.ReviewConfirm, where: currentTenant, h: s.confirmChange},
			{pattern: "POST /review/{id}/reject", gate: loggedIn, perm: access.ReviewConfirm, where: currentTenant, h: s.rejectChange},
			{pattern: "GET /api/v1/review", gate: loggedIn, perm: access.ReviewConfirm, where: currentTenant, json: true, h: s.apiReviewQueue,
				summary: "The changes of one's section awaiting confirmation, oldest first", query: append([]apiParam{{"all", "string", "1: the changes of every section, not only one's own"}}, pageQuery...), answer: changesAnswer{}},
			{pattern: "GET /api/v1/review/{id}", gate: loggedIn, perm: access.ReviewConfirm, where: currentTenant, json: true, h: s.apiChange,
				summary: "A change awaiting confirmation", answer: review.Change{}},
			{pattern: "POST /api/v1/review/{id}/confirm", gate: loggedIn, perm: access.ReviewConfirm, where: currentTenant, json: true, h: s.apiConfirm,
				summary: "Confirm another's change; a My Number is typed again from the evidence (mynumber)", body: confirmBody{}, answer: review.Change{}},
			{pattern: "POST /api/v1/review/{id}/reject", gate: loggedIn, perm: access.ReviewConfirm, where: currentTenant, json: true, h: s.apiReject,
				summary: "Reject another's change, with the reason", body: rejectBody{}, answer: review.Change{}},
			// The maker's own entries: any staff member sees and withdraws
			// only their own (the engine checks the maker), so no
			// permission beyond the session is asked.
			{pattern: "GET /review/mine", gate: loggedIn, where: currentTenant, h: s.reviewMine},
			{pattern: "POST /review/{id}/withdraw", gate: loggedIn, where: currentTenant, h: s.withdrawChange},
			{pattern: "GET /api/v1/review/mine", gate: loggedIn, where: currentTenant, json: true, h: s.apiReviewMine,
				summary: "One's own changes in the municipality, newest first, with what became of each (a rejection's reason)", query: pageQuery, answer: changesAnswer{}},
			{pattern: "POST /api/v1/review/{id}/withdraw", gate: loggedIn, where: currentTenant, json: true, h: s.apiWithdraw,
				summary: "Withdraw one's own change while it awaits confirmation; nothing is applied", body: withdrawBody{}, answer: review.Change{}},
		},
		menu: []navItem{
			{Key: "nav.review", Href: "/review", perm: access.ReviewConfirm},
			{Key: "nav.mine", Href: "/review/mine", perm: access.MyNumberEnter, last: true},
		},
		counters: []counter{
			{id: "review-queue", key: "home.review", href: "/review", perm: access.ReviewConfirm, where: currentTenant,
				count: func(r *http.Request, sess *identity.Session) (int, error) {
					return s.biz.Review.CountQueue(r.Context(), sess.Tenant, sess.User.Department, sess.User.Section)
				}},
			{id: "my-entries", key: "home.mine", href: "/review/mine", perm: access.MyNumberEnter, where: currentTenant,
				count: func(r *http.Request, sess *identity.Session) (int, error) {
					return s.biz.Review.CountMine(r.Context(), sess.Tenant, sess.User.ID)
				}},
			{id: "my-rejected", key: "home.mine.rejected", href: "/review/mine", perm: access.MyNumberEnter, where: currentTenant,
				count: func(r *http.Request, sess *identity.Session) (int, error) {
					return s.biz.Review.CountRejectedMine(r.Context(), sess.Tenant, sess.User.ID, time.Now().Add(-rejectedShownFor))
				}},
		},
	}
}

func (s *Server) apiReviewQueue(w http.ResponseWriter, r *http.Request) error {
	sess := sessionFrom(r.Context())
	dept, sec := sess.User.Department, sess.User.Section
	if r.URL.Query().Get("all") == "1" {
		dept, sec = "", ""
	}
	cursor, limit := pageAsked(r, "cursor")
	q, err := s.biz.Review.Queue(r.Context(), sess.Tenant, dept, sec, cursor, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, changesAnswer{Changes: nonNil(q.Items), Next: q.Next})
	return nil
}

// changesAnswer is a page of changes: the review queue, the pattern
// changes.
type changesAnswer struct {
	Changes []review.Change `json:"changes"`
	Next    string          `json:"next"`
}

func (s *Server) apiChange(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "change")
	if err != nil {
		return err
	}
	c, err := s.biz.Review.Get(r.Context(), sessionFrom(r.Context()).Tenant, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

// confirmBody is what a checker types again from the evidence: the My
// Number of a My Number entry (blind double entry); nothing for other
// changes.
type confirmBody struct {
	MyNumber string `json:"mynumber,omitempty"`
}

func (s *Server) apiConfirm(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "change")
	if err != nil {
		return err
	}
	var in confirmBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	c, err := s.confirm(r, id, in.MyNumber)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

// rejectBody is why a change goes back to its maker.
type rejectBody struct {
	Reason string `json:"reason"`
}

func (s *Server) apiReject(w http.ResponseWriter, r *http.Request) error {
	return s.apiEnd(w, r, &rejectBody{}, s.biz.Review.Reject)
}

func (b *rejectBody) reason() string { return b.Reason }

// apiEnd ends change {id} unapplied with the reason in the body (in, a
// rejectBody or withdrawBody) through end (the engine's Reject or
// Withdraw), as the session's staff member, and answers the change.
func (s *Server) apiEnd(w http.ResponseWriter, r *http.Request, in interface{ reason() string },
	end func(context.Context, identity.User, string, int64, string) (review.Change, error)) error {
	id, err := pathID(r, "change")
	if err != nil {
		return err
	}
	if err := decodeJSON(r, in); err != nil {
		return err
	}
	sess := sessionFrom(r.Context())
	c, err := end(r.Context(), sess.User, sess.Tenant, id, in.reason())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

// rejectedShownFor is how long the maker's home page counts their
// entries a checker rejected: long enough to be seen after leave.
const rejectedShownFor = 14 * 24 * time.Hour

// myEntriesData is a page of the maker's own entries.
type myEntriesData struct {
	Changes []review.Change
	Pager   pager
}

func (s *Server) reviewMine(w http.ResponseWriter, r *http.Request) error {
	return s.renderMine(w, r, http.StatusOK, refusal{})
}

func (s *Server) renderMine(w http.ResponseWriter, r *http.Request, status int, problem refusal) error {
	sess := sessionFrom(r.Context())
	mine, err := s.biz.Review.Mine(r.Context(), sess.Tenant, sess.User, r.URL.Query().Get("cursor"), 0)
	if err != nil {
		return err
	}
	p := s.newPage(r, "mine.title", sess)
	p.fill(r, myEntriesData{Changes: mine.Items, Pager: pagerOf(r, mine, "/review/mine", "cursor")}, problem, nil,
		map[string]string{"withdrawn": "mine.withdrawn"})
	return s.render(w, r, status, "reviewmine", p)
}

// withdrawChange is the maker taking back their own entry still waiting.
func (s *Server) withdrawChange(w http.ResponseWriter, r *http.Request) error {
	return s.endChange(w, r, s.biz.Review.Withdraw, s.renderMine, "/review/mine?done=withdrawn")
}

func (s *Server) apiReviewMine(w http.ResponseWriter, r *http.Request) error {
	sess := sessionFrom(r.Context())
	cursor, limit := pageAsked(r, "cursor")
	mine, err := s.biz.Review.Mine(r.Context(), sess.Tenant, sess.User, cursor, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, changesAnswer{Changes: nonNil(mine.Items), Next: mine.Next})
	return nil
}

// withdrawBody is the maker's note of why they take an entry back.
type withdrawBody struct {
	Reason string `json:"reason,omitempty"`
}

func (b *withdrawBody) reason() string { return b.Reason }

func (s *Server) apiWithdraw(w http.ResponseWriter, r *http.Request) error {
	return s.apiEnd(w, r, &withdrawBody{}, s.biz.Review.Withdraw)
}

// reviewMessages are the strings of the checker's queue.
var reviewMessages = messages{
	"nav.review":            {"入力確認", "Review"},
	"review.title":          {"入力内容の確認", "Review entries"},
	"review.help":           {"所属の職員が入力し、確認を待っている変更です。自分が入力したものは確認できません。", "Changes entered in your section that await confirmation. You cannot confirm your own."},
	"review.all":            {"すべての所属を表示", "Show all sections"},
	"review.queue":          {"確認待ち", "Awaiting confirmation"},
	"review.summary":        {"内容", "Change"},
	"review.maker":          {"入力者", "Entered by"},
	"home.mine":             {"あなたの入力のうち、確認を待っているものが %d 件あります", "%d of your entries await a checker"},
	"home.mine.rejected":    {"あなたの入力のうち、この2週間に差し戻されたものが %d 件あります。理由を確かめてください", "%d of your entries were rejected in the last two weeks: see why"},
	"nav.mine":              {"自分の入力", "My entries"},
	"mine.title":            {"自分の入力", "My entries"},
	"mine.help":             {"あなたが入力し、別の職員の確認に回した変更です。確認待ちのものは取り下げられます。差し戻されたものは理由を確かめ、必要なら入力し直してください。", "Changes you entered for another staff member to check. You can withdraw one still waiting; for a rejected one, read the reason and enter it again if needed."},
	"mine.none":             {"入力した変更はありません。", "You have entered no changes."},
	"mine.status":           {"状態", "Status"},
	"mine.checker":          {"確認者", "Checked by"},
	"mine.decided":          {"決定日時", "Decided at"},
	"mine.reason":           {"理由・取下げ", "Reason / withdraw"},
	"mine.withdraw":         {"取り下げる", "Withdraw"},
	"mine.withdraw.reason":  {"取下げの理由（任意）", "Why (optional)"},
	"mine.withdrawn":        {"取り下げました。変更は反映されていません。", "Withdrawn. Nothing was applied."},
	"review.compare":        {"申請書と照合する内容（氏名・生年月日・住所）", "Compare with the paper (name, birth date, address)"},
	"review.made":           {"入力日時", "Entered at"},
	"review.none":           {"確認待ちの変更はありません。", "Nothing awaits confirmation."},
	"review.confirmed":      {"確認し、登録しました。", "Confirmed and applied."},
	"review.rejected":       {"差し戻しました。", "Rejected."},
	"change.title":          {"変更の確認", "Confirm a change"},
	"change.pending":        {"確認待ち", "Pending"},
	"change.confirmed":      {"確認済み", "Confirmed"},
	"change.rejected":       {"差戻し", "Rejected"},
	"change.withdrawn":      {"取下げ", "Withdrawn"},
	"change.mismatches":     {"不一致 %d 回", "%d mismatches"},
	"change.confirm":        {"確認する", "Confirm"},
	"change.blind":          {"証拠書類を見て、個人番号をもう一度入力してください。最初の入力は表示されません。", "Type the My Number again from the evidence document. The first entry is not shown."},
	"change.confirm.submit": {"一致を確認して登録", "Check and apply"},
	"change.reason":         {"差戻しの理由", "Reason for rejecting"},
	"change.reject":         {"差し戻す", "Reject"},
}
