package linkage

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/mynumber"
	"bango/internal/store"
)

// The NHI aggregation system's inbound files (国保情報集約システム,
// R-NHI-8): the monthly high-cost counts, the distributed reports and the
// household-continuity judgements. Their layouts are models kept as data
// (layouts/nhi-*.v1.json); each file is checked whole and applied in one
// transaction like every other inbound file (import.go).

var (
	reasonMonth          = errs.Message{JA: "年月（YYYYMM）として正しくありません", EN: "is not a month (YYYYMM)"}
	reasonUnknownInsured = errs.Message{JA: "この被保険者証番号・枝番の被保険者はこの市区町村の国保に登録されていません", EN: "no insured person of this municipality's NHI has this insured number and branch"}
	reasonJudgedFuture   = errs.Message{JA: "判定年月日が作成年月日より後です", EN: "the judgement is dated after the file was made"}
)

// aggregationHeader checks what every aggregation file's header says: the
// municipality is this one.
func aggregationHeader(tenant string, r *Record, add func(string, errs.Message)) {
	if r.Def.Role == Header && r.Get("municipality").Text != tenant {
		add("municipality", reasonOtherMunicipality)
	}
}

func validMonth(s string) bool {
	if len(s) != 6 {
		return false
	}
	y, err1 := strconv.Atoi(s[:4])
	m, err2 := strconv.Atoi(s[4:])
	return err1 == nil && err2 == nil && y >= 1900 && m >= 1 && m <= 12
}

// insuredRelevance names every record of job in table whose insured
// number and branch are no insured person of tenant's NHI.
func insuredRelevance(ctx context.Context, tx *store.Tx, table, tenant string, job int64, add func(int, string, errs.Message)) error {
	return store.Each(func(row store.Scanner) error {
		var line int
		if err := row.Scan(&line); err != nil {
			return err
		}
		add(line, "insured_number", reasonUnknownInsured)
		return nil
	})(tx.Query(ctx, `SELECT d.line FROM `+table+` d WHERE d.tenant_code = $1 AND d.job_id = $2
		AND NOT EXISTS (SELECT 1 FROM nhi_insured i WHERE i.tenant_code = d.tenant_code AND i.number = d.insured_number AND i.branch = d.branch)
		ORDER BY d.line`, tenant, job))
}

// resolveInsured fills the resident code of every record of job from the
// NHI module's insured numbers, so that the benefits module finds them by
// person.
func resolveInsured(ctx context.Context, tx *store.Tx, table, tenant string, job int64) error {
	_, err := tx.Exec(ctx, `UPDATE `+table+` SET resident_code = (SELECT i.resident_code FROM nhi_insured i
		WHERE i.tenant_code = `+table+`.tenant_code AND i.number = `+table+`.insured_number AND i.branch = `+table+`.branch)
		WHERE tenant_code = $1 AND job_id = $2`, tenant, job)
	return err
}

// highCostCount is 高額該当回数情報 (monthly), kept per insured person in
// linkage_nhi_high_cost.
type highCostCount struct{}

func (highCostCount) checker(tenant string) func(r *Record, add func(string, errs.Message)) {
	return func(r *Record, add func(string, errs.Message)) {
		aggregationHeader(tenant, r, add)
		switch r.Def.Role {
		case Header:
			if !validMonth(r.Get("target_month").Text) {
				add("target_month", reasonMonth)
			}
		case Data:
			if !validMonth(r.Get("care_month").Text) {
				add("care_month", reasonMonth)
			}
		}
	}
}

func (highCostCount) table() string { return "linkage_nhi_high_cost" }

func (highCostCount) columns() []string {
	return []string{"insured_symbol", "insured_number", "branch", "care_month", "hits"}
}

func (highCostCount) row(_ store.Engine, r *Record) []any {
	return []any{r.Get("insured_symbol").Text, r.Get("insured_number").Text, r.Get("branch").Text, r.Get("care_month").Text,
		r.Get("hits").Int}
}

func (h highCostCount) relevance(ctx context.Context, tx *store.Tx, tenant string, job int64, add func(int, string, errs.Message)) error {
	return insuredRelevance(ctx, tx, h.table(), tenant, job, add)
}

func (h highCostCount) apply(ctx context.Context, tx *store.Tx, tenant string, job int64) error {
	return resolveInsured(ctx, tx, h.table(), tenant, job)
}

// distributedReports is 帳票: the reports the aggregation system
// distributes, one row a line, kept for the NHI section.
type distributedReports struct{}

func (distributedReports) checker(tenant string) func(r *Record, add func(string, errs.Message)) {
	return func(r *Record, add func(string, errs.Message)) { aggregationHeader(tenant, r, add) }
}

func (distributedReports) table() string { return "linkage_nhi_report_lines" }

func (distributedReports) columns() []string {
	return []string{"report_no", "report_code", "report_title", "created", "line_no", "body"}
}

func (distributedReports) row(e store.Engine, r *Record) []any {
	return []any{r.Get("report_no").Text, r.Get("report_code").Text, r.Get("report_title").Text, dateValue(e, r.Get("report_created").Date),
		r.Get("line_no").Int, r.Get("body").Text}
}

func (distributedReports) relevance(context.Context, *store.Tx, string, int64, func(int, string, errs.Message)) error {
	return nil // a report concerns the municipality, no one person
}

// householdContinuity is 世帯継続性判定: each judgement becomes a work
// item NHI staff confirm or correct (linkage_nhi_continuity).
type householdContinuity struct{}

func (householdContinuity) checker(tenant string) func(r *Record, add func(string, errs.Message)) {
	var created time.Time
	return func(r *Record, add func(string, errs.Message)) {
		aggregationHeader(tenant, r, add)
		switch r.Def.Role {
		case Header:
			created = r.Get("created").Date
		case Data:
			if !created.IsZero() && r.Get("judged_on").Date.After(created) {
				add("judged_on", reasonJudgedFuture)
			}
		}
	}
}

func (householdContinuity) table() string { return "linkage_nhi_continuity" }

func (householdContinuity) columns() []string {
	return []string{"judgement_no", "insured_symbol", "insured_number", "branch", "household_no", "name_kana", "birth_date", "sex",
		"judged_on", "reason", "judgement"}
}

func (householdContinuity) row(e store.Engine, r *Record) []any {
	return []any{r.Get("judgement_no").Text, r.Get("insured_symbol").Text, r.Get("insured_number").Text, r.Get("branch").Text,
		r.Get("household_no").Text, r.Get("name_kana").Text, dateValue(e, r.Get("birth").Date), r.Get("sex").Text,
		dateValue(e, r.Get("judged_on").Date), r.Get("reason").Text, r.Get("judgement").Text}
}

func (h householdContinuity) relevance(ctx context.Context, tx *store.Tx, tenant string, job int64, add func(int, string, errs.Message)) error {
	return insuredRelevance(ctx, tx, h.table(), tenant, job, add)
}

func (h householdContinuity) apply(ctx context.Context, tx *store.Tx, tenant string, job int64) error {
	return resolveInsured(ctx, tx, h.table(), tenant, job)
}

// HighCost is one month's high-cost count of an insured person as the
// aggregation system sent it.
type HighCost struct {
	Job       int64  `json:"job"`
	CareMonth string `json:"care_month"` // YYYYMM
	Hits      int    `json:"hits"`       // times the household reached the limit in the 12 months up to it
	Number    string `json:"insured_number"`
	Branch    string `json:"branch"`
	// ManyTimes (多数回該当): the count reached the threshold of the rule
	// of the month (manytimes.go): the lower cap applies to this month.
	ManyTimes bool   `json:"many_times"`
	Rule      string `json:"rule,omitempty"`      // the rule version the flag used
	Threshold int    `json:"threshold,omitempty"` // and its threshold
}

// HighCostCounts returns the high-cost counts received for resident code
// of tenant, the latest file's count of each month of care, the newest
// month first, for the benefits module (多数回該当). Reading them is
// recorded.
func (s *Service) HighCostCounts(ctx context.Context, tenant, code string) ([]HighCost, error) {
	ctx = store.WithScope(ctx, tenant)
	var out []HighCost
	err := s.db.ReadIn(ctx, tenant, func(q store.Querier) (err error) {
		out, err = store.Rows(func(row store.Scanner) (HighCost, error) {
			var h HighCost
			err := row.Scan(&h.Job, &h.CareMonth, &h.Hits, &h.Number, &h.Branch)
			flagManyTimes(&h)
			return h, err
		})(q.Query(ctx, `SELECT h.job_id, h.care_month, h.hits, h.insured_number, h.branch FROM linkage_nhi_high_cost h
			WHERE h.tenant_code = $1 AND h.resident_code = $2
			AND h.job_id = (SELECT max(x.job_id) FROM linkage_nhi_high_cost x WHERE x.tenant_code = h.tenant_code
			  AND x.resident_code = h.resident_code AND x.care_month = h.care_month)
			ORDER BY h.care_month DESC, h.line`, tenant, code))
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: "linkage.highcost.read",
		Subject: audit.Subject{Type: "resident", ID: code}, Outcome: audit.OK, Detail: "months=" + strconv.Itoa(len(out)) + " many_times=" + strconv.Itoa(manyTimesMonths(out))})
}

// ReportOpen is one opening of a distributed report.
type ReportOpen struct {
	By string    `json:"by"`
	At time.Time `json:"at"`
}

// DistributedReport is a report the aggregation system distributed.
type DistributedReport struct {
	Job      int64        `json:"job"`
	No       string       `json:"report_no"`
	Code     string       `json:"report_code"`
	Title    string       `json:"title"`
	Created  time.Time    `json:"created"`
	Lines    int          `json:"lines"`
	Received time.Time    `json:"received"`
	Opens    []ReportOpen `json:"opens"`
	Body     []string     `json:"body,omitempty"` // when opened
}

// Reports lists tenant's distributed reports, the newest file first, with
// who opened each and when. Listing them is recorded.
func (s *Service) Reports(ctx context.Context, tenant string) ([]DistributedReport, error) {
	ctx = store.WithScope(ctx, tenant)
	var out []DistributedReport
	err := s.db.ReadIn(ctx, tenant, func(q store.Querier) (err error) {
		out, err = store.Rows(func(row store.Scanner) (DistributedReport, error) {
			var r DistributedReport
			err := row.Scan(&r.Job, &r.No, &r.Code, &r.Title, &r.Created, &r.Lines, &r.Received)
			r.Created = r.Created.UTC()
			return r, err
		})(q.Query(ctx, `SELECT l.job_id, l.report_no, l.report_code, l.report_title, l.created, count(*), j.started_at
			FROM linkage_nhi_report_lines l JOIN linkage_jobs j ON j.id = l.job_id AND j.tenant_code = l.tenant_code
			WHERE l.tenant_code = $1 GROUP BY l.job_id, l.report_no, l.report_code, l.report_title, l.created, j.started_at
			ORDER BY l.job_id DESC, l.report_no`, tenant))
		if err != nil {
			return err
		}
		for i := range out {
			if out[i].Opens, err = reportOpens(ctx, q, tenant, out[i].Job, out[i].No); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: "linkage.reports.list",
		Subject: audit.Subject{Type: "linkage_reports", ID: tenant}, Outcome: audit.OK, Detail: "shown=" + strconv.Itoa(len(out))})
}

func reportOpens(ctx context.Context, q store.Querier, tenant string, job int64, no string) ([]ReportOpen, error) {
	out, err := store.Rows(func(row store.Scanner) (ReportOpen, error) {
		var o ReportOpen
		return o, row.Scan(&o.By, &o.At)
	})(q.Query(ctx, `SELECT opened_by, opened_at FROM linkage_nhi_report_opens WHERE tenant_code = $1 AND job_id = $2 AND report_no = $3
		ORDER BY id`, tenant, job, no))
	if out == nil {
		out = []ReportOpen{} // none yet: an empty list, not null
	}
	return out, err
}

// OpenReport returns a distributed report with its lines and records who
// opened it: in the report's list of openings and as an audit event.
func (s *Service) OpenReport(ctx context.Context, tenant string, job int64, no string) (DistributedReport, error) {
	ctx = store.WithScope(ctx, tenant)
	subject := audit.Subject{Type: "linkage_report", ID: strconv.FormatInt(job, 10) + "/" + no}
	var r DistributedReport
	err := s.db.TransactIn(ctx, tenant, func(tx *store.Tx) error {
		var lines []string
		err := store.Each(func(row store.Scanner) error {
			var body string
			if err := row.Scan(&r.Code, &r.Title, &r.Created, &body); err != nil {
				return err
			}
			lines = append(lines, body)
			return nil
		})(tx.Query(ctx, `SELECT report_code, report_title, created, body FROM linkage_nhi_report_lines
			WHERE tenant_code = $1 AND job_id = $2 AND report_no = $3 ORDER BY line_no, line`, tenant, job, no))
		if err != nil {
			return err
		}
		if len(lines) == 0 {
			return errs.Tell(errs.NotFound, errs.Message{JA: "この帳票はありません", EN: "there is no such report"}, "report %d/%s", job, no)
		}
		r.Job, r.No, r.Body, r.Lines, r.Created = job, no, lines, len(lines), r.Created.UTC()
		if _, err := tx.Exec(ctx, `INSERT INTO linkage_nhi_report_opens (tenant_code, job_id, report_no, opened_by, opened_at) VALUES ($1, $2, $3, $4, $5)`,
			tenant, job, no, actorOf(ctx), s.now().UTC()); err != nil {
			return err
		}
		if r.Opens, err = reportOpens(ctx, tx, tenant, job, no); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: "linkage.report.open", Subject: subject, Outcome: audit.OK,
			Detail: "lines=" + strconv.Itoa(len(lines))})
	})
	if err != nil {
		return DistributedReport{}, audit.Refused(ctx, s.db, tenant, "linkage.report.open", subject, err)
	}
	return r, nil
}

// Statuses of a continuity judgement on the work list.
const (
	ContinuityOpen      = "open"      // received, waiting for NHI staff
	ContinuityConfirmed = "confirmed" // staff agree with the judgement
	ContinuityCorrected = "corrected" // staff decided otherwise
)

// Continuity is one household-continuity judgement (世帯継続性判定) on the
// NHI section's work list.
type Continuity struct {
	Job          int64     `json:"job"`
	Line         int       `json:"line"`
	JudgementNo  string    `json:"judgement_no"`
	Symbol       string    `json:"insured_symbol"`
	Number       string    `json:"insured_number"`
	Branch       string    `json:"branch"`
	ResidentCode string    `json:"resident_code"`
	HouseholdNo  string    `json:"household_no"`
	NameKana     string    `json:"name_kana"`
	Birth        time.Time `json:"birth_date"`
	Sex          string    `json:"sex"`
	JudgedOn     time.Time `json:"judged_on"`
	Reason       string    `json:"reason"`
	Judgement    string    `json:"judgement"` // 1 継続, 2 非継続, as received
	Status       string    `json:"status"`
	Decision     string    `json:"decision,omitempty"` // what staff decided
	Note         string    `json:"note,omitempty"`
	DecidedBy    string    `json:"decided_by,omitempty"`
	DecidedAt    time.Time `json:"decided_at,omitzero"`
	SentJob      int64     `json:"sent_job,omitempty"` // the outbound file that carried the decision
}

const selectContinuity = `SELECT job_id, line, judgement_no, insured_symbol, insured_number, branch, resident_code, household_no, name_kana,
	birth_date, sex, judged_on, reason, judgement, status, decision, note, decided_by, decided_at, sent_job FROM linkage_nhi_continuity`

func scanContinuity(row store.Scanner) (Continuity, error) {
	var c Continuity
	var at sql.NullTime
	var sent sql.NullInt64
	err := row.Scan(&c.Job, &c.Line, &c.JudgementNo, &c.Symbol, &c.Number, &c.Branch, &c.ResidentCode, &c.HouseholdNo, &c.NameKana,
		&c.Birth, &c.Sex, &c.JudgedOn, &c.Reason, &c.Judgement, &c.Status, &c.Decision, &c.Note, &c.DecidedBy, &at, &sent)
	c.Birth, c.JudgedOn, c.DecidedAt, c.SentJob = c.Birth.UTC(), c.JudgedOn.UTC(), at.Time, sent.Int64
	return c, err
}

// ContinuityWork lists tenant's household-continuity judgements: status
// "open" for those waiting, "decided" for those decided and not yet sent,
// "" for all, oldest first. Listing them is recorded.
func (s *Service) ContinuityWork(ctx context.Context, tenant, status string) ([]Continuity, error) {
	ctx = store.WithScope(ctx, tenant)
	q := selectContinuity + ` WHERE tenant_code = $1`
	switch status {
	case "":
	case ContinuityOpen:
		q += ` AND status = 'open'`
	case "decided":
		q += ` AND status <> 'open' AND sent_job IS NULL`
	default:
		var fe errs.FieldErrors
		fe.Add("status", errs.Message{JA: "状態は open、decided のどちらかです", EN: "the status is open or decided"})
		return nil, fe.Err()
	}
	var out []Continuity
	err := s.db.ReadIn(ctx, tenant, func(db store.Querier) (err error) {
		out, err = store.Rows(scanContinuity)(db.Query(ctx, q+` ORDER BY job_id, line`, tenant))
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: "linkage.continuity.list",
		Subject: audit.Subject{Type: "linkage_continuity", ID: tenant}, Outcome: audit.OK, Detail: "status=" + status + " shown=" + strconv.Itoa(len(out))})
}

// ContinuityDecision is what NHI staff decide of one judgement: the
// continuity they find (1 継続, 2 非継続) and, when it differs from the
// judgement received, why.
type ContinuityDecision struct {
	Job      int64
	Line     int
	Decision string
	Note     string
}

// DecideContinuity records staff's decision on a judgement: the same as
// received confirms it, another corrects it (a note saying why is
// required). A decision already sent back cannot change; one not yet sent
// may be decided again. The decision goes back to the aggregation system
// in the next eligibility-continuity file.
func (s *Service) DecideContinuity(ctx context.Context, tenant string, d ContinuityDecision) (Continuity, error) {
	ctx = store.WithScope(ctx, tenant)
	const action = "linkage.continuity.decide"
	subject := audit.Subject{Type: "linkage_continuity", ID: strconv.FormatInt(d.Job, 10) + "/" + strconv.Itoa(d.Line)}
	d.Note = strings.TrimSpace(d.Note)
	var c Continuity
	err := s.db.TransactIn(ctx, tenant, func(tx *store.Tx) error {
		var err error
		c, err = scanContinuity(tx.QueryRow(ctx, selectContinuity+` WHERE tenant_code = $1 AND job_id = $2 AND line = $3`, tenant, d.Job, d.Line))
		if err != nil {
			return store.ScanErr(err, "continuity judgement")
		}
		var fe errs.FieldErrors
		if d.Decision != "1" && d.Decision != "2" {
			fe.Add("decision", errs.Message{JA: "判定は 1（継続）か 2（非継続）を選んでください", EN: "choose 1 (continuous) or 2 (not continuous)"})
		}
		if (d.Decision == "1" || d.Decision == "2") && d.Decision != c.Judgement && d.Note == "" {
			fe.Add("note", errs.Message{JA: "判定を訂正するときは理由を入力してください", EN: "say why when you correct the judgement"})
		}
		if len([]rune(d.Note)) > 200 {
			fe.Add("note", errs.Message{JA: "理由は200文字以内で入力してください", EN: "the note is at most 200 characters"})
		} else if mynumber.Holds(d.Note) {
			fe.Add("note", mynumber.InFreeText)
		}
		if c.SentJob != 0 {
			return errs.Tell(errs.Conflict, errs.Message{JA: "この判定の確認結果は送信済みのため変更できません", EN: "this decision was already sent back and cannot change"},
				"continuity %d/%d sent in job %d", d.Job, d.Line, c.SentJob)
		}
		if err := fe.Err(); err != nil {
			return err
		}
		c.Status, c.Decision, c.Note, c.DecidedBy, c.DecidedAt = ContinuityConfirmed, d.Decision, d.Note, actorOf(ctx), s.now().UTC()
		if d.Decision != c.Judgement {
			c.Status = ContinuityCorrected
		}
		if _, err := tx.Exec(ctx, `UPDATE linkage_nhi_continuity SET status = $1, decision = $2, note = $3, decided_by = $4, decided_at = $5
			WHERE tenant_code = $6 AND job_id = $7 AND line = $8 AND sent_job IS NULL`,
			c.Status, c.Decision, c.Note, c.DecidedBy, c.DecidedAt, tenant, d.Job, d.Line); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: action, Subject: subject, Outcome: audit.OK,
			Detail: "status=" + c.Status + " decision=" + c.Decision})
	})
	if err != nil {
		return Continuity{}, audit.Refused(ctx, s.db, tenant, action, subject, err)
	}
	return c, nil
}

// continuityToSend hands fn every decided judgement of tenant not yet
// sent back, oldest first.
func continuityToSend(ctx context.Context, q store.Querier, tenant string) ([]Continuity, error) {
	return store.Rows(scanContinuity)(q.Query(ctx, selectContinuity+` WHERE tenant_code = $1 AND status <> 'open' AND sent_job IS NULL
		ORDER BY decided_at, job_id, line`, tenant))
}

// markContinuitySent records that job carried the decisions sent.
func markContinuitySent(ctx context.Context, tx *store.Tx, tenant string, sent []Continuity, job int64) error {
	for _, c := range sent {
		if _, err := tx.Exec(ctx, `UPDATE linkage_nhi_continuity SET sent_job = $1 WHERE tenant_code = $2 AND job_id = $3 AND line = $4 AND sent_job IS NULL`,
			job, tenant, c.Job, c.Line); err != nil {
			return err
		}
	}
	return nil
}

// applier is an inbound layout that does more with its rows once they
// are written and found relevant, in the same transaction.
type applier interface {
	apply(ctx context.Context, tx *store.Tx, tenant string, job int64) error
}

// continuityValues is a decision as a record of the eligibility-continuity
// file (event 4: 世帯継続性判定の確定).
func continuityValues(c Continuity) Values {
	hh, _ := strconv.ParseInt(strings.TrimLeft(c.HouseholdNo, "0"), 10, 64)
	return Values{"event": "4", "insured_symbol": c.Symbol, "insured_number": c.Number, "branch": c.Branch, "household_no": hh,
		"name_kana": c.NameKana, "birth": c.Birth, "sex": c.Sex, "head": "1", "event_date": civil(c.DecidedAt.In(jst)),
		"continuity": c.Decision}
}

func manyTimesMonths(hs []HighCost) int {
	n := 0
	for _, h := range hs {
		if h.ManyTimes {
			n++
		}
	}
	return n
}
