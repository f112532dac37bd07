package nhi

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/review"
	"bango/internal/store"
)

// IncomeInput is one person's income of one year as typed into a form,
// in yen: the figures the 70–74 cost share is decided on.
type IncomeInput struct {
	ResidentCode     string `json:"resident_code"`
	IncomeYear       string `json:"income_year"`        // the calendar year of the income
	TaxableIncome    string `json:"taxable_income"`     // 住民税課税所得
	Revenue          string `json:"revenue"`            // 収入
	OldProvisoIncome string `json:"old_proviso_income"` // 旧ただし書所得
}

var msgYen = errs.Message{JA: "0以上の金額（円、数字）で入力してください", EN: "must be an amount of yen, 0 or more, in digits"}

func yenField(fe *errs.FieldErrors, field, value string) int64 {
	v := strings.NewReplacer(",", "", "，", "", "円", "").Replace(strings.TrimSpace(value))
	if v == "" {
		fe.Add(field, msgRequired)
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || n > 1_000_000_000_000 || !digits(v, 1, 13) {
		fe.Add(field, msgYen)
		return 0
	}
	return n
}

// income is a parsed IncomeInput, the payload of KindIncome.
type income struct {
	Code             string `json:"code"`
	IncomeYear       int    `json:"income_year"`
	TaxableIncome    int64  `json:"taxable_income"`
	Revenue          int64  `json:"revenue"`
	OldProvisoIncome int64  `json:"old_proviso_income"`
}

func (s *Service) parseIncome(in IncomeInput) (income, error) {
	var fe errs.FieldErrors
	v := income{Code: strings.TrimSpace(in.ResidentCode)}
	residentField(&fe, "resident_code", v.Code)
	year, err := strconv.Atoi(strings.TrimSpace(in.IncomeYear))
	if err != nil || year < 1990 || year >= s.today().Year() {
		fe.Add("income_year", errs.Message{JA: "1990年から昨年までの年（西暦4桁）です", EN: "must be a year from 1990 to last year"})
	}
	v.IncomeYear = year
	v.TaxableIncome = yenField(&fe, "taxable_income", in.TaxableIncome)
	v.Revenue = yenField(&fe, "revenue", in.Revenue)
	v.OldProvisoIncome = yenField(&fe, "old_proviso_income", in.OldProvisoIncome)
	return v, fe.Err()
}

// ProposeIncome checks a person's income of a year (R-NHI-3) and returns
// the maker's proposal: it holds once another staff member confirms it
// (ApplyIncome), and then the cost share decided on the income of that
// year is decided again. A resident of another municipality is not
// found; a refusal is an event.
func (s *Service) ProposeIncome(ctx context.Context, tenant string, in IncomeInput) (review.Proposal, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	const action = "nhi.income.propose"
	v, err := s.parseIncome(in)
	if err == nil {
		err = s.db.Read(ctx, func(q store.Querier) error {
			if err := store.TenantExists(ctx, q, tenant); err != nil {
				return err
			}
			_, err := lookupResident(ctx, q, tenant, v.Code)
			return err
		})
	}
	if err != nil {
		return review.Proposal{}, s.failed(ctx, tenant, action, subjectOf(strings.TrimSpace(in.ResidentCode)), err)
	}
	payload, err := json.Marshal(v)
	if err != nil {
		return review.Proposal{}, err
	}
	return review.Proposal{Kind: KindIncome, Subject: subjectOf(v.Code), Payload: payload,
		Summary: "国保の所得（負担割合の判定用）: 宛名番号 " + v.Code + " " + strconv.Itoa(v.IncomeYear) + "年 課税所得 " + strconv.FormatInt(v.TaxableIncome, 10) +
			"円・収入 " + strconv.FormatInt(v.Revenue, 10) + "円・旧ただし書所得 " + strconv.FormatInt(v.OldProvisoIncome, 10) + "円"}, nil
}

// ApplyIncome applies a confirmed KindIncome change inside the confirming
// transaction.
func (s *Service) ApplyIncome(ctx context.Context, tx *store.Tx, tenant string, payload []byte) error {
	var v income
	if err := openProposal(ctx, tx, tenant, payload, &v, "income"); err != nil {
		return err
	}
	return s.writeIncome(ctx, tx, tenant, v)
}

// RecordIncome keeps a person's income of a year at once, without a
// checker: the path of figures loaded in bulk from the municipal tax
// system (the demo data, a command-line load); a clerk's entry goes
// through ProposeIncome. A later entry for the same person and year is
// the one in force; the earlier stays as it was.
func (s *Service) RecordIncome(ctx context.Context, tenant string, in IncomeInput) error {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	const action = "nhi.income"
	v, err := s.parseIncome(in)
	if err == nil {
		err = s.db.Transact(ctx, func(tx *store.Tx) error {
			if err := lockTenant(ctx, tx, tenant); err != nil {
				return err
			}
			return s.writeIncome(ctx, tx, tenant, v)
		})
	}
	if err != nil {
		return s.failed(ctx, tenant, action, subjectOf(strings.TrimSpace(in.ResidentCode)), err)
	}
	return nil
}

// writeIncome writes income v with its event, and decides again the cost
// share of every household whose decision of the period on v's year used
// the person's figures, from the start of its first such decision.
func (s *Service) writeIncome(ctx context.Context, tx *store.Tx, tenant string, v income) error {
	if _, err := lookupResident(ctx, tx, tenant, v.Code); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO nhi_incomes (tenant_code, resident_code, income_year, taxable_income, revenue, old_proviso_income,
		recorded_at, recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, tenant, v.Code, v.IncomeYear, v.TaxableIncome, v.Revenue, v.OldProvisoIncome,
		s.now().UTC(), actorOf(ctx)); err != nil {
		return err
	}
	if err := audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: "nhi.income", Subject: subjectOf(v.Code), Outcome: audit.OK,
		Detail: "income_year=" + strconv.Itoa(v.IncomeYear)}); err != nil {
		return err
	}
	// The period decided on this year's income: 1 August of the next year
	// to 31 July of the one after.
	to := date(v.IncomeYear+2, time.July, 31)
	type first struct {
		hh   int64
		from time.Time
	}
	var used []first // by household, the first decision's start
	err := store.Each(func(row store.Scanner) error {
		var f first
		if err := row.Scan(&f.hh, &f.from); err != nil {
			return err
		}
		if len(used) == 0 || used[len(used)-1].hh != f.hh {
			used = append(used, first{f.hh, dateOnly(f.from)})
		}
		return nil
	})(tx.Query(ctx, `SELECT household_id, period_from FROM nhi_cost_share_decisions WHERE tenant_code = $1 AND period_to = $2 AND basis LIKE $3
		ORDER BY household_id, period_from`, tenant, dateArg(tx.Engine(), to), `%"resident_code":"`+v.Code+`"%`))
	if err != nil {
		return err
	}
	for _, f := range used {
		if err := s.redecide(ctx, tx, tenant, f.from, []int64{f.hh}, CauseIncome,
			"income of "+v.Code+" income_year="+strconv.Itoa(v.IncomeYear)); err != nil {
			return err
		}
	}
	return nil
}

// Thresholds are the cost-share figures of one rule version, as data
// (nhi_cost_share_rules) with the date they hold from.
type Thresholds struct {
	Version            string    `json:"version"`
	EffectiveFrom      time.Time `json:"effective_from"`
	TaxableIncomeMin   int64     `json:"taxable_income_min"`
	RevenueSingleMax   int64     `json:"revenue_single_max"`
	RevenueMultiMax    int64     `json:"revenue_multi_max"`
	FormerMemberYears  int       `json:"former_member_years"`
	OldProvisoMax      int64     `json:"old_proviso_max"`
	OldProvisoBornFrom time.Time `json:"old_proviso_born_from"`
	Source             string    `json:"source"`
}

func loadThresholds(ctx context.Context, q store.Querier, e store.Engine, on time.Time) (Thresholds, error) {
	var t Thresholds
	err := q.QueryRow(ctx, `SELECT version, effective_from, taxable_income_min, revenue_single_max, revenue_multi_max, former_member_years,
		old_proviso_max, old_proviso_born_from, source FROM nhi_cost_share_rules WHERE effective_from <= $1 ORDER BY effective_from DESC LIMIT 1`,
		dateArg(e, on)).Scan(&t.Version, &t.EffectiveFrom, &t.TaxableIncomeMin, &t.RevenueSingleMax, &t.RevenueMultiMax, &t.FormerMemberYears,
		&t.OldProvisoMax, &t.OldProvisoBornFrom, &t.Source)
	t.EffectiveFrom, t.OldProvisoBornFrom = dateOnly(t.EffectiveFrom), dateOnly(t.OldProvisoBornFrom)
	return t, store.ScanErr(err, "70–74 cost-share rule in force on "+Date(on))
}

// Figures are one person's income figures a decision used.
type Figures struct {
	ResidentCode     string    `json:"resident_code"`
	BirthDate        time.Time `json:"birth_date"`
	TaxableIncome    int64     `json:"taxable_income"`
	Revenue          int64     `json:"revenue"`
	OldProvisoIncome int64     `json:"old_proviso_income"`
}

// Basis is what decided a ratio: the rule version's thresholds, the
// figures of each 70–74 member (and of former members who left for 後期高齢者
// 医療 within the years the rule counts), and the totals compared.
type Basis struct {
	IncomeYear       int        `json:"income_year"`
	Members          []Figures  `json:"members"`
	Former           []Figures  `json:"former,omitempty"`
	MaxTaxableIncome int64      `json:"max_taxable_income"`
	RevenueTotal     int64      `json:"revenue_total"` // the figure compared with the revenue threshold
	OldProvisoTotal  int64      `json:"old_proviso_total"`
	Thresholds       Thresholds `json:"thresholds"`
}

// The rules that decide a ratio, as recorded.
const (
	RuleTaxableUnder      = "taxable_income_under"       // 2割: no 70–74 member has 課税所得 at the threshold
	RuleOldProviso        = "old_proviso_total_at_most"  // 2割 without application: 旧ただし書所得 total
	RuleRevenueSingle     = "revenue_single_under"       // 2割: one member's 収入 under the single threshold
	RuleRevenueMulti      = "revenue_multi_under"        // 2割: two or more members' 収入 under the multi threshold
	RuleRevenueWithFormer = "revenue_with_former_under"  // 2割: one member with a former member, 収入 under the multi threshold
	RuleTaxableAtOrAbove  = "taxable_income_at_or_above" // 3割 (現役並み所得)
)

// decide applies thresholds t to the figures of a household's 70–74
// members and former members: the ratio (2 or 3 割), the rule that
// decided it and the basis.
func decide(t Thresholds, members, former []Figures) (int, string, Basis) {
	b := Basis{Members: members, Former: former, Thresholds: t}
	bornAfter := false
	for _, m := range members {
		b.MaxTaxableIncome = max(b.MaxTaxableIncome, m.TaxableIncome)
		b.RevenueTotal += m.Revenue
		b.OldProvisoTotal += m.OldProvisoIncome
		if !m.BirthDate.Before(t.OldProvisoBornFrom) {
			bornAfter = true
		}
	}
	switch {
	case b.MaxTaxableIncome < t.TaxableIncomeMin:
		return 2, RuleTaxableUnder, b
	case bornAfter && b.OldProvisoTotal <= t.OldProvisoMax:
		return 2, RuleOldProviso, b
	case len(members) >= 2 && b.RevenueTotal < t.RevenueMultiMax:
		return 2, RuleRevenueMulti, b
	case len(members) == 1 && b.RevenueTotal < t.RevenueSingleMax:
		return 2, RuleRevenueSingle, b
	case len(members) == 1 && len(former) > 0:
		total := b.RevenueTotal
		for _, f := range former {
			total += f.Revenue
		}
		if total < t.RevenueMultiMax {
			b.RevenueTotal = total
			return 2, RuleRevenueWithFormer, b
		}
	}
	return 3, RuleTaxableAtOrAbove, b
}

// Decision is a recorded 70–74 cost-share decision of a household.
type Decision struct {
	ID          int64     `json:"id"`
	Household   int64     `json:"household"`
	PeriodFrom  time.Time `json:"period_from"`
	PeriodTo    time.Time `json:"period_to"` // the 31 July that ends the period
	Ratio       int       `json:"ratio"`     // 2 or 3 (割)
	Rule        string    `json:"rule"`
	RuleVersion string    `json:"rule_version"`
	Basis       Basis     `json:"basis"`
	DecidedAt   time.Time `json:"decided_at"`
	DecidedBy   string    `json:"decided_by"`
	// Why it was decided: CauseDecision (a clerk's), CauseYearly (the
	// decision of 1 August), CauseHousehold or CauseIncome (the re-decision
	// that follows a confirmed change, from the day it takes effect), and
	// which change.
	Cause       string `json:"cause"`
	CauseDetail string `json:"cause_detail,omitempty"`
}

// Why a cost-share decision was made.
const (
	CauseDecision  = "decision"
	CauseYearly    = "yearly"
	CauseHousehold = "household"
	CauseIncome    = "income"
)

// period is the cost-share period a decision on on belongs to: from on to
// the next 31 July, on the income of the calendar year before the
// August that begins it (decided each 1 August, and again on a change).
func period(on time.Time) (to time.Time, incomeYear int) {
	y := on.Year()
	if on.Month() < time.August {
		y--
	}
	return date(y+1, time.July, 31), y - 1
}

var msgNoElderly = errs.Message{JA: "この日に70〜74歳の被保険者がいない世帯です", EN: "has no insured member aged 70 to 74 on this date"}

// DetermineCostShare decides the cost share of household id's 70–74
// members from on (YYYY-MM-DD) to the end of July, records the decision
// with its basis, and returns it (R-NHI-3). Each member decided for has
// the decision as an event.
func (s *Service) DetermineCostShare(ctx context.Context, tenant string, id int64, on string) (Decision, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	const action = "nhi.cost_share"
	hsub := audit.Subject{Type: "nhi_household", ID: strconv.FormatInt(id, 10)}
	var fe errs.FieldErrors
	var from time.Time
	if !dateField(&fe, "on", on, &from) {
		return Decision{}, s.failed(ctx, tenant, action, hsub, fe.Err())
	}
	var d Decision
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		ds, err := s.decideBatch(ctx, tx, tenant, from, []int64{id}, false, CauseDecision, "")
		if err != nil {
			return err
		}
		if ds[0].err != nil {
			return ds[0].err
		}
		d = ds[0].Decision
		return nil
	})
	if err != nil {
		return Decision{}, s.failed(ctx, tenant, action, hsub, err)
	}
	return d, nil
}

// costShareBatch is how many households one transaction of the yearly
// decision decides.
const costShareBatch = 100

// CostShareReport is what a yearly redetermination did.
type CostShareReport struct {
	FiscalYear int       `json:"fiscal_year"` // the period starts on 1 August of this year
	From       time.Time `json:"from"`
	Households int       `json:"households"` // with a member aged 70–74 on From
	Decided    int       `json:"decided"`    // decisions recorded
	Changed    int       `json:"changed"`    // … of which replace a different decision of the period made before
	Unchanged  int       `json:"unchanged"`  // decided alike before for the period: not recorded again
	Ratio2     int       `json:"ratio2"`     // households at 2割 (decided or unchanged)
	Ratio3     int       `json:"ratio3"`
	Refused    []Refusal `json:"refused"` // households that could not be decided, and why
}

// Refusal is a household a redetermination could not decide.
type Refusal struct {
	Household int64    `json:"household"`
	Fields    []string `json:"fields"`
	Reason    string   `json:"reason"` // in Japanese, as the field errors say
}

// RedetermineCostShares decides, for 1 August of fiscalYear, the cost
// share of every household of tenant with an insured member aged 70–74
// then (R-NHI-3, the yearly decision), a hundred to a transaction. Run
// again, it records only what changed; a household whose figures are
// missing is listed with the reason and the others go on. The run is an
// event of its own beside each decision's.
func (s *Service) RedetermineCostShares(ctx context.Context, tenant string, fiscalYear int) (CostShareReport, error) {
	return s.RedetermineCostSharesProgress(ctx, tenant, fiscalYear, nil)
}

// RedetermineCostSharesProgress is RedetermineCostShares telling progress,
// when not nil, how many candidate households it has gone through of how
// many, after each (a command's progress bar).
func (s *Service) RedetermineCostSharesProgress(ctx context.Context, tenant string, fiscalYear int, progress func(done, total int)) (CostShareReport, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	const action = "nhi.cost_share.batch"
	r := CostShareReport{FiscalYear: fiscalYear, From: date(fiscalYear, time.August, 1), Refused: []Refusal{}}
	if fiscalYear < 2015 || fiscalYear > s.today().Year()+1 {
		var fe errs.FieldErrors
		fe.Add("fiscal_year", errs.Message{JA: "2015年度から来年度までの年度（西暦4桁）です", EN: "must be a fiscal year from 2015 to next year"})
		return r, s.failed(ctx, tenant, action, audit.Subject{Type: "query"}, fe.Err())
	}
	e := s.db.Engine()
	on := r.From
	// Candidates: households of members born in the years that can be
	// 70–74 on the date; determine checks each exactly.
	var households []int64
	err := s.db.Read(ctx, func(q store.Querier) (err error) {
		households, err = store.Rows(func(row store.Scanner) (int64, error) {
			var id int64
			return id, row.Scan(&id)
		})(q.Query(ctx, `SELECT DISTINCT COALESCE(`+householdOnSQL+`, 0) AS hh FROM nhi_insured i JOIN residents r ON r.tenant_code = i.tenant_code AND r.code = i.resident_code
			WHERE i.tenant_code = $1 AND r.birth_date > $3 AND r.birth_date <= $4
			AND (SELECT e.kind FROM nhi_eligibility_events e WHERE e.tenant_code = i.tenant_code AND e.resident_code = i.resident_code
				AND e.effective_date <= $2 AND e.voided_at IS NULL ORDER BY e.effective_date DESC, e.id DESC LIMIT 1) = 'acquire'
			ORDER BY hh`, tenant, dateArg(e, on), dateArg(e, on.AddDate(-76, 0, 0)), dateArg(e, on.AddDate(-69, 0, 0))))
		return err
	})
	if err != nil {
		return r, err
	}
	// Each batch reads the decisions in force of its households by their
	// index (household, period). PostgreSQL plans that read from the
	// table's statistics, which the run itself outdates: tens of
	// thousands of decisions written where the statistics knew none make
	// it read every decision of the municipality since the date for each
	// batch (the run took 62 s at 300,000 insured, where a read by
	// household takes a millisecond). So the statistics are refreshed
	// before the run and whenever the run has written four times as many
	// decisions as at the last refresh.
	if err := s.analyzeDecisions(ctx); err != nil {
		return r, err
	}
	written, analyzeAt := 0, 1000
	// The households are decided in transactions of costShareBatch each, so
	// that a year's tens of thousands do not each wait for a commit, and
	// each batch's facts are read a few statements for them all; a refusal
	// writes nothing and the others of its batch go on.
	for lo := 0; lo < len(households); lo += costShareBatch {
		if progress != nil {
			progress(lo, len(households))
		}
		part := households[lo:min(lo+costShareBatch, len(households))]
		if part[0] == 0 { // persons without a household on the date
			part = part[1:]
		}
		if len(part) == 0 {
			continue
		}
		var outs []decided
		err := s.db.Transact(ctx, func(tx *store.Tx) (err error) {
			outs, err = s.decideBatch(ctx, tx, tenant, on, part, true, CauseYearly, "fiscal_year="+strconv.Itoa(fiscalYear))
			return err
		})
		if err != nil {
			return r, s.failed(ctx, tenant, action, audit.Subject{Type: "nhi_household", ID: strconv.FormatInt(part[0], 10)}, err)
		}
		for _, o := range outs {
			if o.recorded {
				written++
			}
		}
		if written >= analyzeAt {
			if err := s.analyzeDecisions(ctx); err != nil {
				return r, err
			}
			analyzeAt = 4 * written
		}
		for _, o := range outs {
			if fs := errs.Fields(o.err); len(fs) == 1 && fs[0].Field == "household" && fs[0].Reason == msgNoElderly {
				continue // a candidate none of whose members is 70–74 on the date
			} else if len(fs) > 0 {
				ref := Refusal{Household: o.Household}
				for _, f := range fs {
					ref.Fields = append(ref.Fields, f.Field)
					ref.Reason += f.Reason.JA + "。"
				}
				r.Households++
				r.Refused = append(r.Refused, ref)
				continue
			}
			r.Households++
			if o.recorded {
				r.Decided++
				if o.changed {
					r.Changed++
				}
			} else {
				r.Unchanged++
			}
			if o.Ratio == 2 {
				r.Ratio2++
			} else {
				r.Ratio3++
			}
		}
	}
	if progress != nil {
		progress(len(households), len(households))
	}
	detail := "fiscal_year=" + strconv.Itoa(fiscalYear) + " households=" + strconv.Itoa(r.Households) + " decided=" + strconv.Itoa(r.Decided) +
		" changed=" + strconv.Itoa(r.Changed) +
		" unchanged=" + strconv.Itoa(r.Unchanged) + " refused=" + strconv.Itoa(len(r.Refused))
	if err := audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: action, Subject: audit.Subject{Type: "query"}, Outcome: audit.OK, Detail: detail}); err != nil {
		return r, err
	}
	return r, nil
}

// analyzeDecisions refreshes PostgreSQL's statistics of the cost-share
// decisions (see RedetermineCostSharesProgress). SQLite plans without
// them. A role that does not own the table gets a warning, not an error,
// and the run goes on as before.
func (s *Service) analyzeDecisions(ctx context.Context) error {
	if s.db.Engine() != store.Postgres {
		return nil
	}
	_, err := s.db.Exec(ctx, `ANALYZE nhi_cost_share_decisions`)
	return err
}

// decided is one household's outcome in decideBatch.
type decided struct {
	Decision
	err      error // a refusal (field errors): nothing recorded
	recorded bool  // recorded now (false: alike the latest of the period)
	changed  bool  // … replacing a different decision of the period
}

// decideBatch decides households as of on inside tx and records each
// decision with an event of each 70–74 member decided for, reading the
// households' members, residents, incomes and former members a few
// statements for them all rather than one household at a time. With
// skipSame, a decision alike the latest recorded for the same household
// and period (ratio, rule, version, figures) is not recorded again. A
// household that cannot be decided has its refusal in its outcome and
// writes nothing; any other error ends the batch.
func (s *Service) decideBatch(ctx context.Context, tx *store.Tx, tenant string, on time.Time, households []int64, skipSame bool, cause, causeDetail string) ([]decided, error) {
	if err := lockTenant(ctx, tx, tenant); err != nil {
		return nil, err
	}
	if err := store.TenantExists(ctx, tx, tenant); err != nil {
		return nil, err
	}
	e := tx.Engine()
	t, err := loadThresholds(ctx, tx, e, on)
	if err != nil {
		return nil, err
	}
	to, incomeYear := period(on)
	f, err := loadCostShareFacts(ctx, tx, e, tenant, households, on, on.AddDate(-t.FormerMemberYears, 0, 0), incomeYear, skipSame)
	if err != nil {
		return nil, err
	}
	out := make([]decided, len(households))
	now, by := s.now().UTC().Truncate(time.Microsecond), actorOf(ctx)
	var rows []any
	var events []audit.Event
	var reissue []decidedHousehold
	for i, hh := range households {
		o := &out[i]
		o.Household, o.PeriodFrom, o.PeriodTo = hh, on, to
		codes, err := f.decide(t, &o.Decision, incomeYear)
		if len(errs.Fields(err)) > 0 {
			o.err = err
			continue
		} else if err != nil {
			return nil, err
		}
		basis, err := json.Marshal(o.Basis)
		if err != nil {
			return nil, err
		}
		if last, ok := f.last[hh]; skipSame && ok {
			if last.ratio == o.Ratio && last.rule == o.Rule && last.version == o.RuleVersion && last.basis == string(basis) {
				continue
			}
			o.changed = true
		}
		o.recorded, o.DecidedAt, o.DecidedBy, o.Cause, o.CauseDetail = true, now, by, cause, causeDetail
		rows = append(rows, []any{tenant, hh, dateArg(e, on), dateArg(e, to), o.Ratio, o.Rule, o.RuleVersion, string(basis), now, by, cause, causeDetail})
		reissue = append(reissue, decidedHousehold{household: hh, ratio: o.Ratio, codes: codes})
		detail := "household=" + strconv.FormatInt(hh, 10) + " ratio=" + strconv.Itoa(o.Ratio) + " rule=" + o.Rule + " rule_version=" + o.RuleVersion +
			" period=" + Date(on) + ".." + Date(to) + " income_year=" + strconv.Itoa(incomeYear) + " cause=" + cause
		if causeDetail != "" {
			detail += " (" + causeDetail + ")"
		}
		for _, c := range codes {
			events = append(events, audit.Event{Tenant: tenant, Action: "nhi.cost_share", Subject: subjectOf(c), Outcome: audit.OK, Detail: detail})
		}
	}
	// Each decision's ID comes back from its insert: the reissue names it,
	// and DetermineCostShare returns it.
	ids := map[int64]int64{}
	if err := insertRows(ctx, tx, `INSERT INTO nhi_cost_share_decisions (tenant_code, household_id, period_from, period_to, ratio, rule, rule_version,
		basis, decided_at, decided_by, cause, cause_detail) VALUES `, ` RETURNING household_id, id`, rows, func(row store.Scanner) error {
		var hh, id int64
		err := row.Scan(&hh, &id)
		ids[hh] = id
		return err
	}); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].recorded {
			out[i].ID = ids[out[i].Household]
		}
	}
	for i := range reissue {
		reissue[i].decision = ids[reissue[i].household]
	}
	if err := audit.RecordMany(ctx, tx, events...); err != nil {
		return nil, err
	}
	// A ratio changed on a document in force is reissued (reissue.go).
	return out, s.reissueForDecisions(ctx, tx, tenant, on, reissue)
}

// insertRows runs insert (… VALUES ) with rows, each a []any of the
// same length, many to a statement, each statement ending with
// returning (… RETURNING …) whose rows scan reads.
func insertRows(ctx context.Context, tx *store.Tx, insert, returning string, rows []any, scan func(store.Scanner) error) error {
	const perStatement = 500
	for len(rows) > 0 {
		n := min(len(rows), perStatement)
		var q strings.Builder
		q.WriteString(insert)
		var args []any
		for i, r := range rows[:n] {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteByte('(')
			for j, v := range r.([]any) {
				if j > 0 {
					q.WriteString(", ")
				}
				args = append(args, v)
				q.WriteString("$" + strconv.Itoa(len(args)))
			}
			q.WriteByte(')')
		}
		q.WriteString(returning)
		if err := store.Each(scan)(tx.Query(ctx, q.String(), args...)); err != nil {
			return store.Translate(err)
		}
		rows = rows[n:]
	}
	return nil
}

// costShareFacts is what the cost-share decisions of some households on
// one date read, each kind of row read once for them all.
type costShareFacts struct {
	on      time.Time
	exists  map[int64]bool     // established and not dissolved on the date
	members map[int64][]string // belonging on the date, by resident code
	former  map[int64][]string // left it for 後期高齢者医療 within the rule's years, by code and date
	births  map[string]time.Time
	incomes map[string]Figures // the income of the year in force, by resident
	last    map[int64]lastDecision
}

// lastDecision is the decision in force for a household on the date.
type lastDecision struct {
	ratio                int
	rule, version, basis string
}

// loadCostShareFacts reads the facts of households on on: their versions,
// the memberships of everyone who ever belonged to them (who belongs on
// the date, and where a former member was the day before leaving), the
// losses to 後期高齢者医療 after formerFrom, those persons' birth dates and
// incomes of incomeYear, and, withLast, the decisions already recorded
// for the period.
func loadCostShareFacts(ctx context.Context, q store.Querier, e store.Engine, tenant string, households []int64, on, formerFrom time.Time, incomeYear int, withLast bool) (*costShareFacts, error) {
	f := &costShareFacts{on: on, exists: map[int64]bool{}, members: map[int64][]string{}, former: map[int64][]string{}, births: map[string]time.Time{},
		incomes: map[string]Figures{}, last: map[int64]lastDecision{}}
	// $1 is the municipality; each statement adds what else it compares
	// with (arg), the households too (set).
	in := map[int64]bool{}
	for _, hh := range households {
		in[hh] = true
	}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(1+len(args))
	}
	set := func() string {
		m := make([]string, len(households))
		for i, hh := range households {
			m[i] = arg(hh)
		}
		return "(" + strings.Join(m, ", ") + ")"
	}
	read := func(query string, scan func(store.Scanner) error) error {
		all := append([]any{tenant}, args...)
		args = nil
		return store.Each(scan)(q.Query(ctx, query, all...))
	}
	date := dateArg(e, on)
	// Everyone who ever belonged to one of the households, read first and
	// then named in each statement, so that each is read by its index
	// rather than joined to a subquery the planner may scan for.
	var everyone []string
	err := read(`SELECT DISTINCT resident_code FROM nhi_memberships WHERE tenant_code = $1 AND household_id IN `+set()+` AND voided_at IS NULL ORDER BY resident_code`,
		func(row store.Scanner) error {
			var c string
			err := row.Scan(&c)
			everyone = append(everyone, c)
			return err
		})
	if err != nil {
		return nil, err
	}
	if len(everyone) == 0 {
		everyone = []string{""}
	}
	ever := func() string {
		m := make([]string, len(everyone))
		for i, c := range everyone {
			m[i] = arg(c)
		}
		return "(" + strings.Join(m, ", ") + ")"
	}
	err = read(`SELECT household_id, head_resident_code FROM nhi_household_versions WHERE tenant_code = $1 AND household_id IN `+set()+`
		AND valid_from <= `+arg(date)+` AND voided_at IS NULL ORDER BY household_id, valid_from, id`, func(row store.Scanner) error {
		var hh int64
		var head string
		err := row.Scan(&hh, &head)
		f.exists[hh] = head != ""
		return err
	})
	if err != nil {
		return nil, err
	}
	// Each person's memberships up to the date, in order: the last is
	// where they belong on it.
	type membership struct {
		hh   int64
		from time.Time
	}
	var people []string
	history := map[string][]membership{}
	err = read(`SELECT m.resident_code, m.household_id, m.valid_from FROM nhi_memberships m WHERE m.tenant_code = $1 AND m.valid_from <= `+arg(date)+`
		AND m.resident_code IN `+ever()+` AND m.voided_at IS NULL ORDER BY m.resident_code, m.valid_from, m.id`, func(row store.Scanner) error {
		var code string
		var m membership
		var hh sql.NullInt64
		err := row.Scan(&code, &hh, &m.from)
		m.hh, m.from = hh.Int64, dateOnly(m.from)
		if _, ok := history[code]; !ok {
			people = append(people, code)
		}
		history[code] = append(history[code], m)
		return err
	})
	if err != nil {
		return nil, err
	}
	on1 := func(code string, d time.Time) int64 {
		var hh int64
		for _, m := range history[code] {
			if m.from.After(d) {
				break
			}
			hh = m.hh
		}
		return hh
	}
	for _, code := range people { // by resident code
		if hh := on1(code, on); in[hh] {
			f.members[hh] = append(f.members[hh], code)
		}
	}
	// Former members: left for 後期高齢者医療 after formerFrom and by the
	// date, from the household they belonged to the day before
	// (特定同一世帯所属者).
	err = read(`SELECT resident_code, effective_date FROM nhi_eligibility_events WHERE tenant_code = $1 AND kind = 'loss' AND reason = `+arg(LossLateElderly)+`
		AND effective_date > `+arg(dateArg(e, formerFrom))+` AND effective_date <= `+arg(date)+` AND resident_code IN `+ever()+` AND voided_at IS NULL
		ORDER BY resident_code, effective_date`, func(row store.Scanner) error {
		var code string
		var d time.Time
		if err := row.Scan(&code, &d); err != nil {
			return err
		}
		if hh := on1(code, dateOnly(d).AddDate(0, 0, -1)); in[hh] {
			f.former[hh] = append(f.former[hh], code)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = read(`SELECT code, birth_date FROM residents WHERE tenant_code = $1 AND code IN `+ever(), func(row store.Scanner) error {
		var code string
		var b time.Time
		err := row.Scan(&code, &b)
		f.births[code] = dateOnly(b)
		return err
	})
	if err != nil {
		return nil, err
	}
	err = read(`SELECT resident_code, taxable_income, revenue, old_proviso_income FROM nhi_incomes WHERE tenant_code = $1 AND income_year = `+arg(incomeYear)+`
		AND resident_code IN `+ever()+` ORDER BY resident_code, id`, func(row store.Scanner) error {
		var g Figures
		err := row.Scan(&g.ResidentCode, &g.TaxableIncome, &g.Revenue, &g.OldProvisoIncome)
		f.incomes[g.ResidentCode] = g // the latest entry is in force
		return err
	})
	if err != nil || !withLast {
		return f, err
	}
	// The decision in force on the date: of those whose period covers it,
	// the latest to start, and of those the latest recorded.
	err = read(`SELECT household_id, ratio, rule, rule_version, basis FROM nhi_cost_share_decisions WHERE tenant_code = $1 AND household_id IN `+set()+`
		AND period_from <= `+arg(date)+` AND period_to >= `+arg(date)+` ORDER BY household_id, period_from, id`, func(row store.Scanner) error {
		var hh int64
		var l lastDecision
		err := row.Scan(&hh, &l.ratio, &l.rule, &l.version, &l.basis)
		f.last[hh] = l
		return err
	})
	return f, err
}

// decide fills d (its household and period set) from the facts: the 70–74
// members decided for, or the field errors that refuse the household.
func (f *costShareFacts) decide(t Thresholds, d *Decision, incomeYear int) ([]string, error) {
	var fe errs.FieldErrors
	if !f.exists[d.Household] {
		fe.Add("household", msgHouseholdMissing)
		return nil, fe.Err()
	}
	figures := func(code string) (Figures, error) {
		birth, ok := f.births[code]
		if !ok {
			return Figures{}, errs.E(errs.NotFound, "resident %s not found", code)
		}
		g, ok := f.incomes[code]
		if !ok {
			y := strconv.Itoa(incomeYear)
			fe.Add("income", errs.Message{JA: "宛名番号 " + code + " の" + y + "年の所得が登録されていません",
				EN: "no income of " + y + " is entered for resident " + code})
		}
		g.ResidentCode, g.BirthDate = code, birth
		return g, nil
	}
	var elderly []string
	var members, former []Figures
	for _, c := range f.members[d.Household] {
		birth, ok := f.births[c]
		if !ok {
			return nil, errs.E(errs.NotFound, "resident %s not found", c)
		}
		if f.on.Before(Elderly70From(birth)) || !f.on.Before(Birthday75(birth)) {
			continue
		}
		g, err := figures(c)
		if err != nil {
			return nil, err
		}
		elderly, members = append(elderly, c), append(members, g)
	}
	if len(elderly) == 0 {
		fe.Add("household", msgNoElderly)
		return nil, fe.Err()
	}
	for _, c := range f.former[d.Household] {
		g, err := figures(c)
		if err != nil {
			return nil, err
		}
		former = append(former, g)
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	d.Ratio, d.Rule, d.Basis = decide(t, members, former)
	d.Basis.IncomeYear, d.RuleVersion = incomeYear, t.Version
	return elderly, nil
}

// CostShareDecisions lists the decisions recorded for household id, the
// latest first. Reading them is an event of the household.
func (s *Service) CostShareDecisions(ctx context.Context, tenant string, id int64) ([]Decision, error) {
	return s.CostShareDecisionsKnownAt(ctx, tenant, id, time.Time{})
}

// CostShareDecisionsKnownAt is CostShareDecisions as known at the end of
// the day known (in Japan; everything when zero): a decision recorded
// later — a re-decision after a late notification — is not listed, so
// the decision in force as known then is the first whose period holds the
// date.
func (s *Service) CostShareDecisionsKnownAt(ctx context.Context, tenant string, id int64, known time.Time) ([]Decision, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	var out []Decision
	err := s.db.Read(ctx, func(q store.Querier) (err error) {
		out, err = store.Rows(func(row store.Scanner) (Decision, error) {
			var d Decision
			var basis string
			err := row.Scan(&d.ID, &d.Household, &d.PeriodFrom, &d.PeriodTo, &d.Ratio, &d.Rule, &d.RuleVersion, &basis, &d.DecidedAt, &d.DecidedBy,
				&d.Cause, &d.CauseDetail)
			if err != nil {
				return d, err
			}
			d.PeriodFrom, d.PeriodTo, d.DecidedAt = dateOnly(d.PeriodFrom), dateOnly(d.PeriodTo), d.DecidedAt.UTC()
			return d, json.Unmarshal([]byte(basis), &d.Basis)
		})(q.Query(ctx, `SELECT id, household_id, period_from, period_to, ratio, rule, rule_version, basis, decided_at, decided_by, cause, cause_detail
			FROM nhi_cost_share_decisions WHERE tenant_code = $1 AND household_id = $2 ORDER BY id DESC`, tenant, id))
		return err
	})
	if err != nil {
		return nil, err
	}
	out = slices.DeleteFunc(out, func(d Decision) bool { return !knownBy(known, d.DecidedAt) })
	detail := "decisions=" + strconv.Itoa(len(out))
	if !known.IsZero() {
		detail += " known_at=" + Date(known)
	}
	if err := audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: "nhi.cost_share.read", Outcome: audit.OK,
		Subject: audit.Subject{Type: "nhi_household", ID: strconv.FormatInt(id, 10)}, Detail: detail}); err != nil {
		return nil, err
	}
	return out, nil
}
