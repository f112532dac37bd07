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
	"bango/internal/nhi"
	"bango/internal/nhi/premium"
	"bango/internal/review"
	"bango/internal/store"
)

// 減免 on application (R-NHI-4): a clerk enters a household's application
// (the reason, the months of the fiscal year it covers); it waits in the
// review queue (kind nhi.remission) and holds once another staff member
// confirms it. The confirmation records the decision with the rule it was
// decided by — the rate table's rule of that reason in force on the day the
// application was received — and re-assesses the household in the same
// transaction: the assessment before is kept, the new one shows the
// difference. Every later run of the year keeps the decided remissions.

// KindRemission is the maker–checker kind of a 減免 application.
const KindRemission = "nhi.remission"

// RemissionInput is a 減免 application as a clerk enters it.
type RemissionInput struct {
	Household  int64  `json:"household"`
	FiscalYear int    `json:"fiscal_year"`
	Reason     string `json:"reason"`     // a rule's code in the rate table in force
	FromMonth  string `json:"from_month"` // YYYY-MM, in the fiscal year
	ToMonth    string `json:"to_month"`   // YYYY-MM, in the fiscal year
	Note       string `json:"note"`       // what was shown (a certificate of damage, …); never a My Number
}

// remissionPayload is the application as the checker confirms it.
type remissionPayload struct {
	RemissionInput
	Rule       premium.RemissionRule `json:"rule"`
	RateTable  int64                 `json:"rate_table"`
	ReceivedOn string                `json:"received_on"`
	EnteredBy  string                `json:"entered_by"`
}

// RemissionDecision is a confirmed 減免 and the re-assessment it gave.
type RemissionDecision struct {
	ID         int64                 `json:"id"`
	FiscalYear int                   `json:"fiscal_year"`
	Household  int64                 `json:"household"`
	Rule       premium.RemissionRule `json:"rule"`
	RateTable  int64                 `json:"rate_table"`
	FromMonth  string                `json:"from_month"`
	ToMonth    string                `json:"to_month"`
	Note       string                `json:"note"`
	ReceivedOn string                `json:"received_on"`
	EnteredBy  string                `json:"entered_by"`
	DecidedAt  time.Time             `json:"decided_at"`
	DecidedBy  string                `json:"decided_by"`
	Assessment int64                 `json:"assessment"` // the re-assessment it gave
	Total      int64                 `json:"total"`      // that re-assessment's total
	Difference int64                 `json:"difference"` // and its difference from the assessment before
	// Status is RemissionInForce, RemissionWithdrawn or RemissionCorrected;
	// Ended says by whom, when, why and with what re-assessment.
	Status   string        `json:"status"`
	Ended    *RemissionEnd `json:"ended,omitempty"`
	Corrects int64         `json:"corrects,omitempty"` // the decision this one corrected
	place    int64         // where it applies among the household's remissions
}

// RemissionEnd is the withdrawal or correction of a decided 減免.
type RemissionEnd struct {
	At          time.Time `json:"at"`
	EnteredBy   string    `json:"entered_by"` // the clerk who entered the change
	By          string    `json:"by"`         // the checker who confirmed it
	Why         string    `json:"why"`
	CorrectedBy int64     `json:"corrected_by,omitempty"` // the decision in its place (a correction)
	Assessment  int64     `json:"assessment,omitempty"`   // the re-assessment a withdrawal gave
	Total       int64     `json:"total,omitempty"`
	Difference  int64     `json:"difference,omitempty"`
}

var (
	msgNoHousehold  = errs.Message{JA: "この世帯番号の国保世帯はありません", EN: "no NHI household has this number"}
	msgNotAssessed  = errs.Message{JA: "この世帯はこの年度にまだ賦課されていません（先に賦課してください）", EN: "the household is not assessed for this fiscal year yet: assess it first"}
	msgNoteLong     = errs.Message{JA: "1000文字以内です", EN: "must be at most 1000 characters"}
	msgNoInsuredFY  = errs.Message{JA: "この世帯にはこの年度の国保の被保険者がいません", EN: "the household has no member insured by NHI in this fiscal year"}
	msgReasonRefuse = func(codes []string, on string) errs.Message {
		if len(codes) == 0 {
			return errs.Message{JA: "料率表に減免の事由がありません（" + on + " 現在）", EN: "the rate table in force has no reason for 減免 on " + on}
		}
		return errs.Message{JA: on + " に有効な減免の事由ではありません（" + strings.Join(codes, "、") + "）", EN: "is not a reason for 減免 in force on " + on + " (" + strings.Join(codes, ", ") + ")"}
	}
)

// ProposeRemission checks a 減免 application of tenant and returns the
// maker's proposal: it holds once another staff member confirms it
// (ApplyRemission). A wrong application is refused naming every wrong
// field, and nothing is written but the refusal's event.
func (s *Service) ProposeRemission(ctx context.Context, tenant string, in RemissionInput) (review.Proposal, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	const action = "nhi.remission.propose"
	subject := householdSubject(in.Household)
	in.Reason, in.Note = strings.TrimSpace(in.Reason), strings.TrimSpace(in.Note)
	var fe errs.FieldErrors
	s.fiscalYearField(&fe, in.FiscalYear)
	if in.Household <= 0 {
		fe.Add("household", msgRequired)
	}
	if in.Reason == "" {
		fe.Add("reason", msgRequired)
	}
	if len([]rune(in.Note)) > 1000 {
		fe.Add("note", msgNoteLong)
	} else if mynumber.Holds(in.Note) {
		fe.Add("note", mynumber.InFreeText)
	}
	if err := fe.Err(); err != nil {
		return review.Proposal{}, s.failed(ctx, tenant, action, subject, err)
	}
	if _, err := premium.RemissionMonths(in.FiscalYear, in.FromMonth, in.ToMonth); err != nil {
		return review.Proposal{}, s.failed(ctx, tenant, action, subject, err)
	}
	today := civil.Format(civil.Today(s.now()))
	p := remissionPayload{RemissionInput: in, ReceivedOn: today, EnteredBy: actorOf(ctx)}
	err := s.db.Read(ctx, func(q store.Querier) error {
		if err := store.TenantExists(ctx, q, tenant); err != nil {
			return err
		}
		if err := householdAssessed(ctx, q, tenant, in.FiscalYear, in.Household); err != nil {
			return err
		}
		rates, err := ratesInForce(ctx, q, tenant, in.FiscalYear)
		if err != nil {
			return err
		}
		rule, ok := rates.Table.RemissionRuleOn(in.Reason, today)
		if !ok {
			fe.Add("reason", msgReasonRefuse(rates.Table.RemissionCodes(), today))
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
	basis := "保険料"
	if p.Rule.Basis == premium.RemitIncome {
		basis = "所得割"
	}
	return review.Proposal{Kind: KindRemission, Subject: subject, Payload: payload,
		Summary: fmt.Sprintf("%d年度 国保世帯 %d の保険料の減免（%s：%sの%d%%、%s〜%s、%s 受付）", in.FiscalYear, in.Household, p.Rule.NameJA, basis,
			p.Rule.Percent, in.FromMonth, in.ToMonth, today)}, nil
}

// householdAssessed refuses a household that is not tenant's or has no
// assessment of fiscal year fy.
func householdAssessed(ctx context.Context, q store.Querier, tenant string, fy int, hh int64) error {
	var fe errs.FieldErrors
	var n int
	if err := q.QueryRow(ctx, `SELECT count(*) FROM nhi_households WHERE tenant_code = $1 AND id = $2`, tenant, hh).Scan(&n); err != nil {
		return store.Translate(err)
	}
	if n == 0 {
		fe.Add("household", msgNoHousehold)
		fe.Kind = errs.NotFound
		return fe.Err()
	}
	if err := q.QueryRow(ctx, `SELECT count(*) FROM nhi_assessments WHERE tenant_code = $1 AND fiscal_year = $2 AND household_id = $3`, tenant, fy, hh).Scan(&n); err != nil {
		return store.Translate(err)
	}
	if n == 0 {
		fe.Add("household", msgNotAssessed)
		return fe.Err()
	}
	return nil
}

// ApplyRemission applies a confirmed 減免 inside the confirming
// transaction: the decision is recorded with its rule, and the household
// is re-assessed with it (the assessment before kept).
func (s *Service) ApplyRemission(ctx context.Context, tx *store.Tx, tenant string, payload []byte) error {
	const action = "nhi.remission"
	var p remissionPayload
	if err := json.Unmarshal(payload, &p); err != nil {
		return errs.Wrap(errs.Internal, err, "remission proposal")
	}
	if _, err := premium.RemissionMonths(p.FiscalYear, p.FromMonth, p.ToMonth); err != nil {
		return err
	}
	if err := householdAssessed(ctx, tx, tenant, p.FiscalYear, p.Household); err != nil {
		return err
	}
	rule, err := json.Marshal(p.Rule)
	if err != nil {
		return err
	}
	received, err := time.Parse(time.DateOnly, p.ReceivedOn)
	if err != nil {
		return errs.Wrap(errs.Internal, err, "remission proposal received_on")
	}
	now, by := s.now().UTC(), actorOf(ctx)
	var id int64
	if err := tx.QueryRow(ctx, `INSERT INTO nhi_remissions (tenant_code, fiscal_year, household_id, reason_code, rule, rate_table_id, from_month, to_month,
		note, received_on, entered_by, decided_at, decided_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
		tenant, p.FiscalYear, p.Household, p.Rule.Code, string(rule), p.RateTable, p.FromMonth, p.ToMonth, p.Note,
		store.DateArg(tx.Engine(), received), p.EnteredBy, now, by).Scan(&id); err != nil {
		return store.Translate(err)
	}
	a, err := s.reassess(ctx, tx, tenant, p.FiscalYear, p.Household)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE nhi_remissions SET assessment_id = $1 WHERE tenant_code = $2 AND id = $3`, a.id, tenant, id); err != nil {
		return store.Translate(err)
	}
	return audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: action, Subject: householdSubject(p.Household), Outcome: audit.OK,
		Detail: "fiscal_year=" + strconv.Itoa(p.FiscalYear) + " remission=" + strconv.FormatInt(id, 10) + " reason=" + p.Rule.Code +
			" rule_from=" + p.Rule.From + " rate_table=" + strconv.FormatInt(p.RateTable, 10) + " percent=" + strconv.Itoa(p.Rule.Percent) +
			" basis=" + p.Rule.Basis + " months=" + p.FromMonth + ".." + p.ToMonth + " assessment=" + strconv.FormatInt(a.id, 10) +
			" previous=" + strconv.FormatInt(a.previous, 10) + " total=" + strconv.FormatInt(a.total, 10) + " difference=" + strconv.FormatInt(a.total-a.previous, 10)})
}

type reassessed struct {
	id, previous, total int64
}

// reassess assesses household hh of fiscal year fy again inside tx, from
// everything recorded (eligibility, revenue, the rate table in force, the
// decided remissions), as the yearly run would: a new assessment when the
// figures changed, the one before kept.
func (s *Service) reassess(ctx context.Context, tx *store.Tx, tenant string, fy int, hh int64) (reassessed, error) {
	var out reassessed
	rules, err := premium.LoadRules(fy)
	if err != nil {
		return out, err
	}
	rates, err := ratesInForce(ctx, tx, tenant, fy)
	if err != nil {
		return out, err
	}
	years, err := nhi.HouseholdsOfYear(ctx, tx, tx.Engine(), tenant, fy, hh)
	if err != nil {
		return out, err
	}
	if len(years) == 0 {
		var fe errs.FieldErrors
		fe.Add("household", msgNoInsuredFY)
		return out, fe.Err()
	}
	y := years[0]
	codes := []string{y.Head}
	for _, m := range y.Members {
		codes = append(codes, m.ResidentCode)
	}
	ex, err := readExtras(ctx, tx, tx.Engine(), tenant, fy, hh)
	if err != nil {
		return out, err
	}
	codes = append(codes, ex.codes(hh)...)
	rev := map[string]revenue{}
	if err := readRevenuesOf(ctx, tx, tenant, rules.IncomeYear, codes, rev); err != nil {
		return out, err
	}
	before := map[int64]latest{}
	if err := readLatest(ctx, tx, tenant, fy, hh, before); err != nil {
		return out, err
	}
	row, ref, _, err := s.compute(fy, y, rates, rules, rev, before[hh], ex)
	switch {
	case err != nil:
		return out, err
	case ref != nil:
		return out, errs.E(errs.Invalid, "household %d cannot be assessed: %s", hh, ref.ReasonEN)
	case row == nil:
		var id int64
		err := tx.QueryRow(ctx, `SELECT id FROM nhi_assessments WHERE tenant_code = $1 AND fiscal_year = $2 AND household_id = $3 AND seq = $4`,
			tenant, fy, hh, before[hh].seq).Scan(&id)
		return reassessed{id: id, previous: before[hh].total, total: before[hh].total}, store.Translate(err)
	}
	if err := insertAssessments(ctx, tx, tenant, fy, s.now().UTC(), actorOf(ctx), []assessmentRow{*row}); err != nil {
		return out, err
	}
	out = reassessed{previous: row.previous.Int64, total: row.total}
	err = tx.QueryRow(ctx, `SELECT id FROM nhi_assessments WHERE tenant_code = $1 AND fiscal_year = $2 AND household_id = $3 AND seq = $4`,
		tenant, fy, hh, row.seq).Scan(&out.id)
	return out, store.Translate(err)
}

// readRevenuesOf fills rev with the revenue in force of income year y of
// the persons codes.
func readRevenuesOf(ctx context.Context, q store.Querier, tenant string, y int, codes []string, rev map[string]revenue) error {
	args := []any{tenant, y}
	in := ""
	for i, c := range codes {
		if c == "" {
			continue
		}
		if i > 0 && in != "" {
			in += ", "
		}
		args = append(args, c)
		in += "$" + strconv.Itoa(len(args))
	}
	if in == "" {
		return nil
	}
	return store.Each(func(row store.Scanner) error {
		var code string
		var r revenue
		if err := row.Scan(&code, &r.salary, &r.pension, &r.other); err != nil {
			return err
		}
		rev[code] = r
		return nil
	})(q.Query(ctx, `SELECT resident_code, salary_revenue, pension_revenue, other_income FROM nhi_revenues
		WHERE tenant_code = $1 AND income_year = $2 AND resident_code IN (`+in+`) ORDER BY resident_code, id`, args...))
}

// readRemissions fills m with the decided remissions of fiscal year fy of
// each household of tenant (only hh when not 0), in the order decided.
func readRemissions(ctx context.Context, q store.Querier, tenant string, fy int, hh int64, m map[int64][]premium.Remission) error {
	return store.Each(func(row store.Scanner) error {
		var h int64
		var r premium.Remission
		var rule string
		if err := row.Scan(&r.Application, &h, &rule, &r.FromMonth, &r.ToMonth); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(rule), &r.Rule); err != nil {
			return errs.Wrap(errs.Internal, err, "remission %d rule", r.Application)
		}
		m[h] = append(m[h], r)
		return nil
	})(q.Query(ctx, `SELECT id, household_id, rule, from_month, to_month FROM nhi_remissions
		WHERE tenant_code = $1 AND fiscal_year = $2 AND ($3 = 0 OR household_id = $3) AND ended_kind IS NULL
		ORDER BY household_id, COALESCE(place, id), id`, tenant, fy, hh))
}

// Remissions lists the decided 減免 of tenant's fiscal year fy (every year
// when 0), of household hh only when not 0, the latest first. Reading them
// is an event.
func (s *Service) Remissions(ctx context.Context, tenant string, fy int, hh int64) ([]RemissionDecision, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	const action = "nhi.remission.read"
	subject := audit.Subject{Type: "nhi_remissions", ID: strconv.Itoa(fy)}
	if hh != 0 {
		subject = householdSubject(hh)
	}
	var out []RemissionDecision
	err := s.db.Read(ctx, func(q store.Querier) (err error) {
		if err := store.TenantExists(ctx, q, tenant); err != nil {
			return err
		}
		out, err = readRemissionDecisions(ctx, q, `WHERE r.tenant_code = $1 AND ($2 = 0 OR r.fiscal_year = $2) AND ($3 = 0 OR r.household_id = $3)`, tenant, fy, hh)
		return err
	})
	if err != nil {
		return nil, s.failed(ctx, tenant, action, subject, err)
	}
	if out == nil {
		out = []RemissionDecision{}
	}
	if err := audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: action, Subject: subject, Outcome: audit.OK,
		Detail: "fiscal_year=" + strconv.Itoa(fy) + " household=" + strconv.FormatInt(hh, 10) + " remissions=" + strconv.Itoa(len(out))}); err != nil {
		return nil, err
	}
	return out, nil
}
