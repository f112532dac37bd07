package assess

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"bango/internal/audit"
	"bango/internal/civil"
	"bango/internal/errs"
	"bango/internal/mynumber"
	"bango/internal/nhi/premium"
	"bango/internal/review"
	"bango/internal/store"
)

// A decided 減免 withdrawn (取消) or corrected (訂正) (R-NHI-4, R-ACC-1): a
// clerk enters the change with the reason for it; it waits in the review
// queue (kind nhi.remission.change) and holds once another staff member
// confirms it. The confirmation marks the decision ended — never deleted
// or rewritten — and, for a correction, records the corrected decision in
// its place (the rule of its reason in force on the day the application
// was first received), then re-assesses the household in the same
// transaction: the assessment before is kept and the new one shows the
// difference. A decision already withdrawn or corrected cannot be changed
// again (its correction can).

// KindRemissionChange is the maker–checker kind of a withdrawal or
// correction of a decided 減免.
const KindRemissionChange = "nhi.remission.change"

// The changes of a decided 減免.
const (
	RemissionWithdraw = "withdraw" // 取消: the decision no longer holds
	RemissionCorrect  = "correct"  // 訂正: the decision holds with other figures
)

// The states of a decided 減免 (RemissionDecision.Status).
const (
	RemissionInForce   = "in_force"
	RemissionWithdrawn = "withdrawn"
	RemissionCorrected = "corrected"
)

// RemissionChangeInput is a withdrawal or correction of decided 減免
// Remission as a clerk enters it. A correction gives the decision's
// reason, months and note as they should be (each as decided when left
// empty); a withdrawal gives only Why.
type RemissionChangeInput struct {
	Remission int64  `json:"remission"`
	Action    string `json:"action"` // RemissionWithdraw or RemissionCorrect
	Why       string `json:"why"`    // the reason for the change (required)
	Reason    string `json:"reason,omitempty"`
	FromMonth string `json:"from_month,omitempty"`
	ToMonth   string `json:"to_month,omitempty"`
	Note      string `json:"note,omitempty"`
}

// remissionChangePayload is the change as the checker confirms it: the
// decision as it was (refused at confirmation if it changed meanwhile)
// and, for a correction, the rule the corrected decision is decided by.
type remissionChangePayload struct {
	RemissionChangeInput
	Household  int64                 `json:"household"`
	FiscalYear int                   `json:"fiscal_year"`
	Rule       premium.RemissionRule `json:"rule,omitzero"`
	RateTable  int64                 `json:"rate_table,omitempty"`
	EnteredBy  string                `json:"entered_by"`
}

var (
	msgNoRemission   = errs.Message{JA: "この番号の減免の決定はありません", EN: "no decided 減免 has this number"}
	msgRemissionDone = func(status string) errs.Message {
		if status == RemissionWithdrawn {
			return errs.Message{JA: "この減免はすでに取り消されています", EN: "this 減免 is already withdrawn"}
		}
		return errs.Message{JA: "この減免はすでに訂正されています（訂正後の決定を変更してください）", EN: "this 減免 is already corrected: change the corrected decision instead"}
	}
	msgChangeAction = errs.Message{JA: "取消（withdraw）か訂正（correct）を選んでください", EN: "must be withdraw or correct"}
	msgNoCorrection = errs.Message{JA: "訂正する内容がありません（事由・月・備考のどれかを変えてください）", EN: "changes nothing: give another reason, other months or another note"}
	msgWhyLong      = errs.Message{JA: "500文字以内です", EN: "must be at most 500 characters"}
)

// ProposeRemissionChange checks a withdrawal or correction of one of
// tenant's decided 減免 and returns the maker's proposal: it holds once
// another staff member confirms it (ApplyRemissionChange). A wrong change
// is refused naming every wrong field, and nothing is written but the
// refusal's event.
func (s *Service) ProposeRemissionChange(ctx context.Context, tenant string, in RemissionChangeInput) (review.Proposal, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	const action = "nhi.remission.change.propose"
	subject := audit.Subject{Type: "nhi_remission", ID: strconv.FormatInt(in.Remission, 10)}
	in.Action, in.Why = strings.TrimSpace(in.Action), strings.TrimSpace(in.Why)
	in.Reason, in.Note = strings.TrimSpace(in.Reason), strings.TrimSpace(in.Note)
	in.FromMonth, in.ToMonth = strings.TrimSpace(in.FromMonth), strings.TrimSpace(in.ToMonth)
	var fe errs.FieldErrors
	if in.Remission <= 0 {
		fe.Add("remission", msgRequired)
	}
	switch in.Action {
	case RemissionWithdraw:
		for _, f := range []struct{ name, v string }{{"reason", in.Reason}, {"from_month", in.FromMonth}, {"to_month", in.ToMonth}, {"note", in.Note}} {
			if f.v != "" {
				fe.Add(f.name, errs.Message{JA: "取消では入力しません", EN: "is not given for a withdrawal"})
			}
		}
	case RemissionCorrect:
	default:
		fe.Add("action", msgChangeAction)
	}
	switch n := len([]rune(in.Why)); {
	case n == 0:
		fe.Add("why", msgRequired)
	case n > 500:
		fe.Add("why", msgWhyLong)
	case mynumber.Holds(in.Why):
		fe.Add("why", mynumber.InFreeText)
	}
	if len([]rune(in.Note)) > 1000 {
		fe.Add("note", msgNoteLong)
	} else if mynumber.Holds(in.Note) {
		fe.Add("note", mynumber.InFreeText)
	}
	if err := fe.Err(); err != nil {
		return review.Proposal{}, s.failed(ctx, tenant, action, subject, err)
	}
	p := remissionChangePayload{RemissionChangeInput: in, EnteredBy: actorOf(ctx)}
	var d RemissionDecision
	err := s.db.Read(ctx, func(q store.Querier) error {
		if err := store.TenantExists(ctx, q, tenant); err != nil {
			return err
		}
		var err error
		if d, err = remissionIn(ctx, q, tenant, in.Remission); err != nil {
			return err
		}
		p.Household, p.FiscalYear = d.Household, d.FiscalYear
		if in.Action == RemissionWithdraw {
			return nil
		}
		p.Reason = cmpOr(in.Reason, d.Rule.Code)
		p.FromMonth, p.ToMonth = cmpOr(in.FromMonth, d.FromMonth), cmpOr(in.ToMonth, d.ToMonth)
		if in.Note == "" {
			p.Note = d.Note
		}
		if _, err := premium.RemissionMonths(d.FiscalYear, p.FromMonth, p.ToMonth); err != nil {
			return err
		}
		rates, err := ratesInForce(ctx, q, tenant, d.FiscalYear)
		if err != nil {
			return err
		}
		// The application is the same: its reason is judged by the rule in
		// force on the day it was first received.
		rule, ok := rates.Table.RemissionRuleOn(p.Reason, d.ReceivedOn)
		if !ok {
			fe.Add("reason", msgReasonRefuse(rates.Table.RemissionCodes(), d.ReceivedOn))
			return fe.Err()
		}
		if rule == d.Rule && p.FromMonth == d.FromMonth && p.ToMonth == d.ToMonth && p.Note == d.Note {
			fe.Add("reason", msgNoCorrection)
			return fe.Err()
		}
		p.Rule, p.RateTable = rule, rates.ID
		return nil
	})
	if err != nil {
		return review.Proposal{}, s.failed(ctx, tenant, action, subject, err)
	}
	payload, err := json.Marshal(p)
	if err != nil {
		return review.Proposal{}, err
	}
	summary := fmt.Sprintf("%d年度 国保世帯 %d の減免（第%d号：%s、%s〜%s）の取消。理由：%s", d.FiscalYear, d.Household, d.ID, d.Rule.NameJA,
		d.FromMonth, d.ToMonth, in.Why)
	if in.Action == RemissionCorrect {
		summary = fmt.Sprintf("%d年度 国保世帯 %d の減免（第%d号：%s、%s〜%s）の訂正 → %s：%sの%d%%、%s〜%s。理由：%s", d.FiscalYear, d.Household, d.ID,
			d.Rule.NameJA, d.FromMonth, d.ToMonth, p.Rule.NameJA, basisJA(p.Rule.Basis), p.Rule.Percent, p.FromMonth, p.ToMonth, in.Why)
	}
	// One change of a decision waits at a time (the review engine refuses a
	// second of the same kind and subject).
	return review.Proposal{Kind: KindRemissionChange, Subject: subject, Payload: payload, Summary: summary}, nil
}

func basisJA(b string) string {
	if b == premium.RemitIncome {
		return "所得割"
	}
	return "保険料"
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// remissionIn reads tenant's decision id, refusing one that is not found
// or no longer in force, naming the field remission.
func remissionIn(ctx context.Context, q store.Querier, tenant string, id int64) (RemissionDecision, error) {
	var fe errs.FieldErrors
	ds, err := readRemissionDecisions(ctx, q, `WHERE r.tenant_code = $1 AND r.id = $2`, tenant, id)
	switch {
	case err != nil:
		return RemissionDecision{}, err
	case len(ds) == 0:
		fe.Add("remission", msgNoRemission)
		fe.Kind = errs.NotFound
		return RemissionDecision{}, fe.Err()
	case ds[0].Status != RemissionInForce:
		fe.Add("remission", msgRemissionDone(ds[0].Status))
		fe.Kind = errs.Conflict
		return ds[0], fe.Err()
	}
	return ds[0], nil
}

// ApplyRemissionChange applies a confirmed withdrawal or correction inside
// the confirming transaction: the decision is marked ended (refused if it
// was changed meanwhile), a correction's decision recorded in its place,
// and the household re-assessed (the assessment before kept).
func (s *Service) ApplyRemissionChange(ctx context.Context, tx *store.Tx, tenant string, payload []byte) error {
	var p remissionChangePayload
	if err := json.Unmarshal(payload, &p); err != nil {
		return errs.Wrap(errs.Internal, err, "remission change proposal")
	}
	d, err := remissionIn(ctx, tx, tenant, p.Remission)
	if err != nil {
		return err
	}
	if d.Household != p.Household || d.FiscalYear != p.FiscalYear {
		return errs.E(errs.Conflict, "remission %d changed since the change was entered", p.Remission)
	}
	now, by := s.now().UTC(), actorOf(ctx)
	kind, action := RemissionWithdrawn, "nhi.remission.withdraw"
	if p.Action == RemissionCorrect {
		kind, action = RemissionCorrected, "nhi.remission.correct"
	}
	res, err := tx.Exec(ctx, `UPDATE nhi_remissions SET ended_kind = $1, ended_at = $2, ended_entered_by = $3, ended_by = $4, ended_why = $5
		WHERE tenant_code = $6 AND id = $7 AND ended_kind IS NULL`, kind, now, p.EnteredBy, by, p.Why, tenant, p.Remission)
	if err != nil {
		return store.Translate(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errs.E(errs.Conflict, "remission %d was withdrawn or corrected meanwhile", p.Remission)
	}
	var newID int64
	detail := ""
	if p.Action == RemissionCorrect {
		if _, err := premium.RemissionMonths(p.FiscalYear, p.FromMonth, p.ToMonth); err != nil {
			return err
		}
		rule, err := json.Marshal(p.Rule)
		if err != nil {
			return err
		}
		received, err := time.Parse(time.DateOnly, d.ReceivedOn)
		if err != nil {
			return errs.Wrap(errs.Internal, err, "remission %d received_on", d.ID)
		}
		if err := tx.QueryRow(ctx, `INSERT INTO nhi_remissions (tenant_code, fiscal_year, household_id, reason_code, rule, rate_table_id, from_month, to_month,
			note, received_on, entered_by, decided_at, decided_by, corrects, place) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id`,
			tenant, p.FiscalYear, p.Household, p.Rule.Code, string(rule), p.RateTable, p.FromMonth, p.ToMonth, p.Note,
			store.DateArg(tx.Engine(), received), p.EnteredBy, now, by, d.ID, d.place).Scan(&newID); err != nil {
			return store.Translate(err)
		}
		if _, err := tx.Exec(ctx, `UPDATE nhi_remissions SET replaced_by = $1 WHERE tenant_code = $2 AND id = $3`, newID, tenant, d.ID); err != nil {
			return store.Translate(err)
		}
		detail = " corrected_by=" + strconv.FormatInt(newID, 10) + " reason=" + p.Rule.Code + " rule_from=" + p.Rule.From + " percent=" + strconv.Itoa(p.Rule.Percent) +
			" basis=" + p.Rule.Basis + " months=" + p.FromMonth + ".." + p.ToMonth
	}
	a, err := s.reassess(ctx, tx, tenant, p.FiscalYear, p.Household)
	if err != nil {
		return err
	}
	if newID != 0 {
		_, err = tx.Exec(ctx, `UPDATE nhi_remissions SET assessment_id = $1 WHERE tenant_code = $2 AND id = $3`, a.id, tenant, newID)
	} else {
		_, err = tx.Exec(ctx, `UPDATE nhi_remissions SET end_assessment_id = $1 WHERE tenant_code = $2 AND id = $3`, a.id, tenant, d.ID)
	}
	if err != nil {
		return store.Translate(err)
	}
	return audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: action, Subject: householdSubject(p.Household), Outcome: audit.OK,
		Detail: "fiscal_year=" + strconv.Itoa(p.FiscalYear) + " remission=" + strconv.FormatInt(d.ID, 10) + " was=" + d.Rule.Code + ":" + d.FromMonth + ".." + d.ToMonth +
			detail + " entered_by=" + p.EnteredBy + " assessment=" + strconv.FormatInt(a.id, 10) + " previous=" + strconv.FormatInt(a.previous, 10) +
			" total=" + strconv.FormatInt(a.total, 10) + " difference=" + strconv.FormatInt(a.total-a.previous, 10)})
}

// readRemissionDecisions reads the decisions of where (tenant and more,
// numbered from $1), the latest first, with what each gave.
func readRemissionDecisions(ctx context.Context, q store.Querier, where string, args ...any) ([]RemissionDecision, error) {
	return store.Rows(func(row store.Scanner) (RemissionDecision, error) {
		var d RemissionDecision
		var rule string
		var received time.Time
		var a, endA, replaced, corrects, place, total, diff, endTotal, endDiff *int64
		var kind, endedBy, endedEntered, why *string
		var endedAt *time.Time
		err := row.Scan(&d.ID, &d.FiscalYear, &d.Household, &rule, &d.RateTable, &d.FromMonth, &d.ToMonth, &d.Note, &received, &d.EnteredBy,
			&d.DecidedAt, &d.DecidedBy, &a, &kind, &endedAt, &endedEntered, &endedBy, &why, &endA, &replaced, &corrects, &place,
			&total, &diff, &endTotal, &endDiff)
		if err != nil {
			return d, err
		}
		d.Status = RemissionInForce
		d.place = d.ID
		if place != nil {
			d.place = *place
		}
		if a != nil {
			d.Assessment = *a
			d.Total, d.Difference = val(total), val(diff)
		}
		if kind != nil {
			d.Status = *kind
			d.Ended = &RemissionEnd{At: endedAt.UTC(), EnteredBy: val(endedEntered), By: val(endedBy), Why: val(why), CorrectedBy: val(replaced),
				Assessment: val(endA)}
			if endA != nil {
				d.Ended.Total, d.Ended.Difference = val(endTotal), val(endDiff)
			}
		}
		d.Corrects = val(corrects)
		d.DecidedAt = d.DecidedAt.UTC()
		d.ReceivedOn = civil.Format(civil.DateOf(received))
		if err := json.Unmarshal([]byte(rule), &d.Rule); err != nil {
			return d, errs.Wrap(errs.Internal, err, "remission %d rule", d.ID)
		}
		return d, nil
	})(q.Query(ctx, `SELECT r.id, r.fiscal_year, r.household_id, r.rule, r.rate_table_id, r.from_month, r.to_month, r.note, r.received_on, r.entered_by,
		r.decided_at, r.decided_by, r.assessment_id, r.ended_kind, r.ended_at, r.ended_entered_by, r.ended_by, r.ended_why, r.end_assessment_id,
		r.replaced_by, r.corrects, r.place, a.total, a.difference, e.total, e.difference
		FROM nhi_remissions r LEFT JOIN nhi_assessments a ON a.id = r.assessment_id LEFT JOIN nhi_assessments e ON e.id = r.end_assessment_id
		`+where+` ORDER BY r.id DESC LIMIT 500`, args...))
}

func val[T any](p *T) T {
	var z T
	if p == nil {
		return z
	}
	return *p
}

// Remission reads tenant's decided 減免 id with what became of it.
// Reading it is an event.
func (s *Service) Remission(ctx context.Context, tenant string, id int64) (RemissionDecision, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	const action = "nhi.remission.read"
	subject := audit.Subject{Type: "nhi_remission", ID: strconv.FormatInt(id, 10)}
	var ds []RemissionDecision
	err := s.db.Read(ctx, func(q store.Querier) (err error) {
		if err := store.TenantExists(ctx, q, tenant); err != nil {
			return err
		}
		ds, err = readRemissionDecisions(ctx, q, `WHERE r.tenant_code = $1 AND r.id = $2`, tenant, id)
		if err == nil && len(ds) == 0 {
			err = errs.Tell(errs.NotFound, msgNoRemission, "no remission %d in %s", id, tenant)
		}
		return err
	})
	if err != nil {
		return RemissionDecision{}, s.failed(ctx, tenant, action, subject, err)
	}
	d := ds[0]
	if err := audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: action, Subject: subject, Outcome: audit.OK,
		Detail: "fiscal_year=" + strconv.Itoa(d.FiscalYear) + " household=" + strconv.FormatInt(d.Household, 10) + " status=" + d.Status}); err != nil {
		return RemissionDecision{}, err
	}
	return d, nil
}
