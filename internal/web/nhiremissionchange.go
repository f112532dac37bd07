package web

import (
	"fmt"
	"net/http"

	"bango/internal/access"
	"bango/internal/nhi/assess"
	"bango/internal/review"
)

// A decided 減免 withdrawn (取消) or corrected (訂正) (issue 19; R-NHI-4,
// R-ACC-1): the decision's page shows what became of it and, to holders of
// nhi.write, the form of a change; the change waits in the review queue
// (kind nhi.remission.change) and the checker's confirmation re-assesses
// the household.

// remissionChangeFields are the change form's inputs
// (assess.RemissionChangeInput without the decision, which is the path's).
var remissionChangeFields = []string{"action", "why", "reason", "from_month", "to_month", "note"}

var remissionChangeNotices = map[string]string{"submitted": "nhi.remission.change.submitted"}

type nhiRemissionData struct {
	D       assess.RemissionDecision
	Percent string
	Reasons []remissionReason
	CanEdit bool // nhi.write in the session's municipality, and the decision in force
	// The re-assessments the decision and its end gave, in yen.
	Total, Difference, EndTotal, EndDifference string
}

func (s *Server) nhiRemissionPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderNHIRemission(w, r, http.StatusOK, refusal{}, nil)
}

func (s *Server) renderNHIRemission(w http.ResponseWriter, r *http.Request, status int, problem refusal, f map[string]string) error {
	id, err := pathID(r, "remission")
	if err != nil {
		return err
	}
	sess := sessionFrom(r.Context())
	d, err := s.biz.Assess.Remission(r.Context(), sess.Tenant, id)
	if err != nil {
		return err
	}
	p := s.newPage(r, "nhi.remission.one.title", sess)
	data := nhiRemissionData{D: d, Percent: fmt.Sprintf("%d%%", d.Rule.Percent),
		CanEdit: d.Status == assess.RemissionInForce && p.Rights.Has(access.NHIWrite, sess.Tenant)}
	if d.Assessment != 0 {
		data.Total, data.Difference = yen(d.Total), signedYen(d.Difference)
	}
	if d.Ended != nil && d.Ended.Assessment != 0 {
		data.EndTotal, data.EndDifference = yen(d.Ended.Total), signedYen(d.Ended.Difference)
	}
	if data.CanEdit {
		vs, err := s.biz.Assess.RateTables(r.Context(), sess.Tenant, d.FiscalYear)
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, v := range vs {
			for _, rule := range v.Table.Remissions {
				if v.InForce && !seen[rule.Code] {
					seen[rule.Code] = true
					data.Reasons = append(data.Reasons, remissionReason{Code: rule.Code, Name: rule.NameJA})
				}
			}
		}
	}
	if f == nil {
		f = map[string]string{"action": assess.RemissionCorrect, "reason": d.Rule.Code, "from_month": d.FromMonth, "to_month": d.ToMonth, "note": d.Note}
	}
	p.fill(r, data, problem, f, remissionChangeNotices)
	return s.render(w, r, status, "nhiremission", p)
}

// remissionChangeOf is the form as the service takes it: a withdrawal
// sends none of the correction's inputs (the form shows them for either).
func remissionChangeOf(id int64, f map[string]string) assess.RemissionChangeInput {
	in := assess.RemissionChangeInput{Remission: id, Action: f["action"], Why: f["why"]}
	if in.Action != assess.RemissionWithdraw {
		in.Reason, in.FromMonth, in.ToMonth, in.Note = f["reason"], f["from_month"], f["to_month"], f["note"]
	}
	return in
}

func (s *Server) nhiRemissionChangePost(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "remission")
	if err != nil {
		return err
	}
	f, err := postedForm(r, remissionChangeFields...)
	if err != nil {
		return err
	}
	in := remissionChangeOf(id, f)
	if _, err := s.submitNHI(r, func(tenant string) (review.Proposal, error) {
		return s.biz.Assess.ProposeRemissionChange(r.Context(), tenant, in)
	}); err != nil {
		return formProblem(r, err, func(status int, msg refusal) error { return s.renderNHIRemission(w, r, status, msg, f) })
	}
	http.Redirect(w, r, fmt.Sprintf("/nhi/remissions/%d?done=submitted", id), http.StatusSeeOther)
	return nil
}

// remissionChangeBody is a withdrawal or correction through the API: the
// decision is the path's.
type remissionChangeBody struct {
	Action    string `json:"action"` // withdraw or correct
	Why       string `json:"why"`
	Reason    string `json:"reason,omitempty"`
	FromMonth string `json:"from_month,omitempty"`
	ToMonth   string `json:"to_month,omitempty"`
	Note      string `json:"note,omitempty"`
}

func (s *Server) apiNHIRemission(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "remission")
	if err != nil {
		return err
	}
	d, err := s.biz.Assess.Remission(r.Context(), sessionFrom(r.Context()).Tenant, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) apiNHIRemissionChange(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "remission")
	if err != nil {
		return err
	}
	var b remissionChangeBody
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	in := assess.RemissionChangeInput{Remission: id, Action: b.Action, Why: b.Why, Reason: b.Reason, FromMonth: b.FromMonth, ToMonth: b.ToMonth, Note: b.Note}
	c, err := s.submitNHI(r, func(tenant string) (review.Proposal, error) {
		return s.biz.Assess.ProposeRemissionChange(r.Context(), tenant, in)
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, c)
	return nil
}

var nhiRemissionChangeMessages = messages{
	"nhi.remission.one.title":        {"国民健康保険料の減免の決定", "NHI premium remission decision"},
	"nhi.remission.one.heading":      {"減免の決定 第%d号", "Remission decision No. %d"},
	"nhi.remission.status":           {"状態", "Status"},
	"nhi.remission.status.in_force":  {"有効", "In force"},
	"nhi.remission.status.withdrawn": {"取消済み", "Withdrawn"},
	"nhi.remission.status.corrected": {"訂正済み（訂正後の決定が有効）", "Corrected (the corrected decision holds)"},
	"nhi.remission.corrects":         {"訂正前の決定", "Decision corrected"},
	"nhi.remission.corrected_by":     {"訂正後の決定", "Corrected decision"},
	"nhi.remission.reassessed":       {"賦課し直した年額（差額）", "Re-assessed yearly premium (difference)"},
	"nhi.remission.ended.withdrawn":  {"取消", "Withdrawal"},
	"nhi.remission.ended.corrected":  {"訂正", "Correction"},
	"nhi.remission.ended.entered":    {"入力", "Entered by"},
	"nhi.remission.ended.confirmed":  {"確認（決定）", "Confirmed by"},
	"nhi.remission.change":           {"減免の取消・訂正の入力", "Withdraw or correct this remission"},
	"nhi.remission.change.help":      {"取消か訂正かを選び、その理由を入力してください。訂正では、直した後の事由・月・備考を入力します（事由は最初の受付日に有効な規則で判断します）。別の職員が確認すると、この決定は取消済み・訂正済みとして残り、世帯をその場で賦課し直します（前の賦課は残り、差額を示します）。", "Choose withdrawal or correction and type why. For a correction, give the reason, months and note as they should be (the reason is judged by the rule in force on the day first received). Once another staff member confirms it, this decision is kept as withdrawn or corrected and the household is re-assessed at once (the assessment before is kept, with the difference)."},
	"nhi.remission.change.submitted": {"取消・訂正を確認待ちに登録しました。別の職員が確認すると、世帯を賦課し直します。", "The change waits for confirmation: once another staff member confirms it, the household is re-assessed."},
	"nhi.remission.action.correct":   {"訂正（事由・月・備考を直す）", "Correct (reason, months, note)"},
	"nhi.remission.action.withdraw":  {"取消（この減免をなかったものにする）", "Withdraw (the remission no longer holds)"},
	"nhi.remission.back":             {"減免の一覧へ", "All remissions"},
	"field.remission_why":            {"取消・訂正の理由", "Why it is withdrawn or corrected"},
	"field.remission_action":         {"取消か訂正か", "Withdraw or correct"},
	"field.nhiremission.reason":      {"減免の事由", "Reason for the remission"},
	"field.nhiremission.why":         {"取消・訂正の理由", "Why it is withdrawn or corrected"},
	"field.nhiremission.action":      {"取消か訂正か", "Withdraw or correct"},
	"field.nhiremission.note":        {"確認した書類・備考", "Documents seen, note"},
	"field.nhiremission.remission":   {"減免の決定", "Remission decision"},
}
