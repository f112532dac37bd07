package assess

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/nhi"
	"bango/internal/nhi/premium"
	"bango/internal/store"
)

// Refusal is a household a run could not assess, with the reason.
type Refusal struct {
	Household int64    `json:"household"`
	Fields    []string `json:"fields"`
	Reason    string   `json:"reason"` // in Japanese, as the field errors say
	ReasonEN  string   `json:"reason_en"`
}

// Report is what an assessment run did.
type Report struct {
	FiscalYear   int       `json:"fiscal_year"`
	RateTable    int64     `json:"rate_table"`
	RatesVersion string    `json:"rates_version"`
	RulesVersion string    `json:"rules_version"`
	IncomeTable  string    `json:"income_table_version"`
	Households   int       `json:"households"` // with an insured member in the year
	Assessed     int       `json:"assessed"`   // assessed for the first time
	Reassessed   int       `json:"reassessed"` // whose figures changed: a new assessment, the old one kept
	Unchanged    int       `json:"unchanged"`  // as assessed before
	Refused      []Refusal `json:"refused"`
	// Undeclared are the households assessed with a member whose revenue is
	// not recorded (未申告: no revenue taken, no reduction), with the reason.
	Undeclared []Refusal `json:"undeclared"`
	Total      int64     `json:"total"`    // the premiums in force of the households assessed, yen
	Increase   int64     `json:"increase"` // of the re-assessments, yen
	Decrease   int64     `json:"decrease"`
}

// batch is how many households one transaction writes, in two statements
// (the assessments, their audit events): a year's hundreds of thousands do
// not each wait for a commit or a round trip, and a run stopped midway
// keeps what it committed and goes on from there when run again.
const batch = 500

// basis is what one household is assessed on: the rate table, the rules
// and the household as the premium engine takes it.
type basis struct {
	RateTable   int64             `json:"rate_table"`
	Rules       string            `json:"rules"`
	IncomeTable string            `json:"income_table"`
	Household   premium.Household `json:"household"`
	// Remissions are the household's decided 減免 of the year (none: the
	// digest is as before there were any).
	Remissions []premium.Remission `json:"remissions,omitempty"`
}

func (b basis) digest() (string, []byte) {
	in, _ := json.Marshal(b.Household)
	all, _ := json.Marshal(b)
	sum := sha256.Sum256(all)
	return hex.EncodeToString(sum[:]), in
}

type revenue struct{ salary, pension, other int64 }

type latest struct {
	seq   int
	total int64
	dig   string
}

var msgNoRevenue = func(codes []string) errs.Message {
	return errs.Message{JA: "所得（収入）の申告がありません（" + strings.Join(codes, "、") + "）。未申告として軽減なしで賦課しました。収入を登録すると次の賦課で賦課し直します",
		EN: "no revenue is recorded for " + strings.Join(codes, ", ") + ": assessed as undeclared (未申告), without reduction; record it and the next run re-assesses the household"}
}

// household turns an eligibility year of a household into the premium
// engine's household: each insured member with the months in it, the
// head (insured or not: 擬制世帯主), and everyone's revenue of the income
// year. A member or head without revenue is undeclared (未申告): assessed
// without revenue and without reduction, and named in missing; one born
// after the income year had none to declare.
func household(fy int, y nhi.YearHousehold, rev map[string]revenue) (h premium.Household, missing []string) {
	start := time.Date(fy, time.April, 1, 0, 0, 0, 0, time.UTC)
	incomeYearEnd := nhi.Date(time.Date(fy-1, time.December, 31, 0, 0, 0, 0, time.UTC))
	add := func(m premium.Member) {
		r, ok := rev[m.ID]
		if !ok && m.BirthDate <= incomeYearEnd {
			missing = append(missing, m.ID)
			m.Undeclared = true
		}
		m.SalaryRevenue, m.PensionRevenue, m.OtherIncome = r.salary, r.pension, r.other
		h.Members = append(h.Members, m)
	}
	headIn := false
	for _, m := range y.Members {
		pm := premium.Member{ID: m.ResidentCode, Head: m.ResidentCode == y.Head, Insured: true, BirthDate: nhi.Date(m.BirthDate)}
		if m.From.After(start) {
			pm.AcquiredOn = nhi.Date(m.From)
		}
		pm.LostOn = nhi.Date(m.Until)
		headIn = headIn || pm.Head
		add(pm)
	}
	if !headIn && y.Head != "" {
		add(premium.Member{ID: y.Head, Head: true, BirthDate: nhi.Date(y.HeadBirth)})
	}
	return h, missing
}

// Assess assesses every household of tenant with an insured member in
// fiscal year fy (R-NHI-4): from the eligibility of the year (internal/nhi),
// the members' revenue of the income year and the rate table in force, by
// the premium engine. A household assessed before on the same figures is
// left as it is; one whose household, revenue or rate table changed is
// re-assessed, the assessment before it kept and the difference recorded.
// A household that cannot be assessed (revenue missing) is listed with the
// reason and the others go on. progress, when not nil, is told how many
// households are done of how many after each batch.
func (s *Service) Assess(ctx context.Context, tenant string, fy int, progress func(done, total int)) (Report, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	const action = "nhi.assess.run"
	r := Report{FiscalYear: fy, Refused: []Refusal{}, Undeclared: []Refusal{}}
	subject := audit.Subject{Type: "nhi_assessment_run", ID: strconv.Itoa(fy)}
	var fe errs.FieldErrors
	s.fiscalYearField(&fe, fy)
	if err := fe.Err(); err != nil {
		return r, s.failed(ctx, tenant, action, subject, err)
	}
	rules, err := premium.LoadRules(fy)
	if err != nil {
		return r, s.failed(ctx, tenant, action, subject, err)
	}
	e := s.db.Engine()
	var (
		rates  RateVersion
		years  []nhi.YearHousehold
		rev    = map[string]revenue{}
		before = map[int64]latest{}
		ex     extras
	)
	err = s.db.Read(ctx, func(q store.Querier) (err error) {
		if err := store.TenantExists(ctx, q, tenant); err != nil {
			return err
		}
		if rates, err = ratesInForce(ctx, q, tenant, fy); err != nil {
			return err
		}
		if years, err = nhi.HouseholdsOfYear(ctx, q, e, tenant, fy, 0); err != nil {
			return err
		}
		if err := readRevenues(ctx, q, tenant, rules.IncomeYear, rev); err != nil {
			return err
		}
		if ex, err = readExtras(ctx, q, e, tenant, fy, 0); err != nil {
			return err
		}
		return readLatest(ctx, q, tenant, fy, 0, before)
	})
	if err != nil {
		return r, s.failed(ctx, tenant, action, subject, err)
	}
	r.RateTable, r.RatesVersion, r.RulesVersion, r.IncomeTable = rates.ID, rates.Version, rules.Version, rules.Income.Version
	r.Households = len(years)
	now, by := s.now().UTC(), actorOf(ctx)
	// The batches are written by a goroutine of their own, in order, while
	// the next ones are computed: the run takes about the longer of the two,
	// not their sum. A batch written is committed; a run stopped midway
	// goes on from there when run again.
	type job struct {
		rows []assessmentRow
		upto int // households done once it is written
	}
	jobs := make(chan job, 2)
	failed := make(chan struct{})
	written := make(chan error, 1)
	go func() {
		var werr error
		for j := range jobs {
			if werr != nil {
				continue
			}
			if len(j.rows) > 0 {
				if werr = s.db.Transact(ctx, func(tx *store.Tx) error { return insertAssessments(ctx, tx, tenant, fy, now, by, j.rows) }); werr != nil {
					close(failed)
					continue
				}
			}
			if progress != nil {
				progress(j.upto, len(years))
			}
		}
		written <- werr
	}()
	finish := func() error {
		close(jobs)
		return <-written
	}
	if progress != nil {
		progress(0, len(years))
	}
	for lo := 0; lo < len(years); lo += batch {
		part := years[lo:min(lo+batch, len(years))]
		var writes []assessmentRow
		for _, y := range part {
			row, ref, undeclared, err := s.compute(fy, y, rates, rules, rev, before[y.ID], ex)
			if undeclared != nil && ref == nil && err == nil {
				r.Undeclared = append(r.Undeclared, *undeclared)
			}
			switch {
			case ref != nil:
				r.Refused = append(r.Refused, *ref)
			case err != nil:
				if werr := finish(); werr != nil {
					err = werr
				}
				return r, s.failed(ctx, tenant, action, subject, err)
			case row == nil:
				r.Unchanged++
				r.Total += before[y.ID].total
			default:
				writes = append(writes, *row)
			}
		}
		select {
		case jobs <- job{rows: writes, upto: lo + len(part)}:
		case <-failed:
			return r, s.failed(ctx, tenant, action, subject, finish())
		}
		for _, w := range writes {
			r.Total += w.total
			if w.seq == 1 {
				r.Assessed++
				continue
			}
			r.Reassessed++
			if d := w.total - w.previous.Int64; d > 0 {
				r.Increase += d
			} else {
				r.Decrease -= d
			}
		}
	}
	if err := finish(); err != nil {
		return r, s.failed(ctx, tenant, action, subject, err)
	}
	detail := "fiscal_year=" + strconv.Itoa(fy) + " rate_table=" + strconv.FormatInt(rates.ID, 10) + " rules=" + rules.Version +
		" households=" + strconv.Itoa(r.Households) + " assessed=" + strconv.Itoa(r.Assessed) + " reassessed=" + strconv.Itoa(r.Reassessed) +
		" unchanged=" + strconv.Itoa(r.Unchanged) + " refused=" + strconv.Itoa(len(r.Refused)) + " undeclared=" + strconv.Itoa(len(r.Undeclared))
	if err := audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: action, Subject: subject, Outcome: audit.OK, Detail: detail}); err != nil {
		return r, err
	}
	return r, nil
}

// compute assesses one household: nil row when its figures are those of
// its latest assessment, a refusal when it cannot be assessed, and the
// note of its members assessed as undeclared (未申告), if any.
func (s *Service) compute(fy int, y nhi.YearHousehold, rates RateVersion, rules premium.Rules, rev map[string]revenue, prev latest, ex extras) (*assessmentRow, *Refusal, *Refusal, error) {
	note := func(fs []errs.FieldError) *Refusal {
		ref := &Refusal{Household: y.ID}
		for _, f := range fs {
			ref.Fields = append(ref.Fields, f.Field)
			ref.Reason += f.Reason.JA + "。"
			ref.ReasonEN += f.Field + ": " + f.Reason.EN + ". "
		}
		ref.ReasonEN = strings.TrimSpace(ref.ReasonEN)
		return ref
	}
	h, missing := household(fy, y, rev)
	missing = ex.apply(fy, y, &h, rev, rules, missing)
	var undeclared *Refusal
	if len(missing) > 0 {
		undeclared = note([]errs.FieldError{{Field: "revenue", Reason: msgNoRevenue(missing)}})
	}
	b := basis{RateTable: rates.ID, Rules: rules.Version, IncomeTable: rules.Income.Version, Household: h, Remissions: ex.remissions[y.ID]}
	dig, in := b.digest()
	if prev.seq > 0 && prev.dig == dig {
		return nil, nil, undeclared, nil
	}
	res, err := premium.Estimate(fy, h, rates.Table, rules)
	if err == nil {
		err = premium.Remit(fy, &res, b.Remissions, rates.Table, rules)
	}
	if err != nil {
		if fs := errs.Fields(err); len(fs) > 0 {
			return nil, note(fs), nil, nil
		}
		return nil, nil, nil, err
	}
	out, err := json.Marshal(res)
	if err != nil {
		return nil, nil, nil, err
	}
	row := &assessmentRow{household: y.ID, seq: prev.seq + 1, rates: rates, rules: rules.Version, income: rules.Income.Version,
		digest: dig, input: in, result: out, total: res.Total}
	if prev.seq > 0 {
		row.previous = sql.NullInt64{Int64: prev.total, Valid: true}
	}
	return row, nil, undeclared, nil
}

type assessmentRow struct {
	household     int64
	seq           int
	rates         RateVersion
	rules, income string
	digest        string
	input, result []byte
	total         int64
	previous      sql.NullInt64
}

// assessmentColumnsIn are the columns an assessment is written with, 16
// parameters a row.
const assessmentColumnsIn = `tenant_code, fiscal_year, household_id, seq, rate_table_id, rates_version, rules_version,
	income_table_version, input_digest, input, result, total, previous_total, difference, assessed_at, assessed_by`

// insertAssessments writes rows in tx, a statement for all of them (a
// batch of a yearly run is one round trip, not one per household), and
// their audit events a statement more.
func insertAssessments(ctx context.Context, tx *store.Tx, tenant string, fy int, now time.Time, by string, rows []assessmentRow) error {
	// SQLite looks up each numbered parameter of a statement in a list of
	// those before it, so that a statement of thousands costs their square:
	// there, where a statement costs no round trip, they go a few at a time.
	per := len(rows)
	if tx.Engine() == store.SQLite {
		per = 20
	}
	for len(rows) > 0 {
		n := min(per, len(rows))
		if err := insertAssessmentRows(ctx, tx, tenant, fy, now, by, rows[:n]); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

func insertAssessmentRows(ctx context.Context, tx *store.Tx, tenant string, fy int, now time.Time, by string, rows []assessmentRow) error {
	var q strings.Builder
	q.WriteString(`INSERT INTO nhi_assessments (` + assessmentColumnsIn + `) VALUES `)
	args := make([]any, 0, 16*len(rows))
	for i, w := range rows {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteByte('(')
		for j := range 16 {
			if j > 0 {
				q.WriteString(", ")
			}
			q.WriteString("$" + strconv.Itoa(len(args)+j+1))
		}
		q.WriteByte(')')
		args = append(args, tenant, fy, w.household, w.seq, w.rates.ID, w.rates.Version, w.rules, w.income, w.digest, string(w.input), string(w.result),
			w.total, w.previous, w.total-w.previous.Int64, now, by)
	}
	q.WriteString(` RETURNING id, household_id`)
	ids := make(map[int64]int64, len(rows)) // household → its new assessment
	err := store.Each(func(row store.Scanner) error {
		var id, hh int64
		if err := row.Scan(&id, &hh); err != nil {
			return err
		}
		ids[hh] = id
		return nil
	})(tx.Query(ctx, q.String(), args...))
	if err != nil {
		return store.Translate(err)
	}
	events := make([]audit.Event, len(rows))
	for i, w := range rows {
		diff := w.total - w.previous.Int64
		detail := "fiscal_year=" + strconv.Itoa(fy) + " assessment=" + strconv.FormatInt(ids[w.household], 10) + " seq=" + strconv.Itoa(w.seq) +
			" rates=" + w.rates.Version + " rules=" + w.rules + " income_table=" + w.income + " total=" + strconv.FormatInt(w.total, 10)
		if w.previous.Valid {
			detail += " previous=" + strconv.FormatInt(w.previous.Int64, 10) + " difference=" + strconv.FormatInt(diff, 10)
		}
		events[i] = audit.Event{Tenant: tenant, Action: "nhi.assess", Subject: householdSubject(w.household), Outcome: audit.OK, Detail: detail}
	}
	return audit.RecordMany(ctx, tx, events...)
}

func householdSubject(hh int64) audit.Subject {
	return audit.Subject{Type: "nhi_household", ID: strconv.FormatInt(hh, 10)}
}

// readRevenues fills rev with the revenue in force of income year y of
// every person of tenant: the latest entry of each.
func readRevenues(ctx context.Context, q store.Querier, tenant string, y int, rev map[string]revenue) error {
	return store.Each(func(row store.Scanner) error {
		var code string
		var r revenue
		if err := row.Scan(&code, &r.salary, &r.pension, &r.other); err != nil {
			return err
		}
		rev[code] = r // in id order: the latest stays
		return nil
	})(q.Query(ctx, `SELECT resident_code, salary_revenue, pension_revenue, other_income FROM nhi_revenues
		WHERE tenant_code = $1 AND income_year = $2 ORDER BY resident_code, id`, tenant, y))
}

// readLatest fills m with the latest assessment of fiscal year fy of each
// household of tenant (only household hh when not 0).
func readLatest(ctx context.Context, q store.Querier, tenant string, fy int, hh int64, m map[int64]latest) error {
	return store.Each(func(row store.Scanner) error {
		var id int64
		var l latest
		if err := row.Scan(&id, &l.seq, &l.total, &l.dig); err != nil {
			return err
		}
		m[id] = l // in seq order: the latest stays
		return nil
	})(q.Query(ctx, `SELECT household_id, seq, total, input_digest FROM nhi_assessments
		WHERE tenant_code = $1 AND fiscal_year = $2 AND ($3 = 0 OR household_id = $3) ORDER BY household_id, seq`, tenant, fy, hh))
}
