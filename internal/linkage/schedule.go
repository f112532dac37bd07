package linkage

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"time"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/store"
)

// Scheduled linkage jobs (R-LNK-1, R-NHI-8): each job is daily or monthly
// at a time of day in Japan; a municipality runs the jobs it has a
// schedule for (linkage_schedules). bango serve asks every minute which
// runs are due (RunDue); a run takes its job's lease in the database
// first, so that of several processes only one runs it, and keeps its
// history — started, ended, records, outcome, report — and its progress
// while it runs (linkage_runs). `bango linkage run JOB` runs one by hand.

// Periods of a job's schedule.
const (
	Daily   = "daily"
	Monthly = "monthly"
)

// Outcomes of a run.
const (
	RunRunning = "running"
	RunOK      = "ok"
	RunFailed  = "failed"
)

// leaseFor is how long a run's lease holds without being renewed (each
// progress renews it): a process that died leaves it to expire.
const leaseFor = 10 * time.Minute

// retryAfter is how long after a failed run the schedule tries again in
// the same period.
const retryAfter = 15 * time.Minute

// JobDef is a linkage job: its schedule and what it does for one
// municipality.
type JobDef struct {
	Name   string
	Title  errs.Message
	Period string // Daily or Monthly
	Day    int    // Monthly: the day of the month
	Hour   int    // the hour of the day in Japan from which it is due
	// Partner and insurer: what the schedule must name.
	NeedsPartner, NeedsInsurer bool
	run                        func(ctx context.Context, s *Service, sc Schedule, progress func(done, total int64)) (runResult, error)
}

type runResult struct {
	records int
	report  string
	fileJob int64
}

// Jobs are the linkage jobs bango knows.
func Jobs() []JobDef {
	return []JobDef{
		{Name: "nhi-eligibility-export", Title: errs.Message{JA: "資格継続情報の作成（日次）", EN: "eligibility-continuity file (daily)"},
			Period: Daily, Hour: 6, NeedsPartner: true, run: runEligibilityExport},
		{Name: "aggregation-open-work", Title: errs.Message{JA: "集約システム関連の未処理件数（月次）", EN: "aggregation work left open (monthly)"},
			Period: Monthly, Day: 1, Hour: 7, run: runOpenWork},
	}
}

// JobByName returns the job called name.
func JobByName(name string) (JobDef, error) {
	for _, j := range Jobs() {
		if j.Name == name {
			return j, nil
		}
	}
	var fe errs.FieldErrors
	fe.Add("job", errs.Message{JA: "ジョブ「" + name + "」はありません", EN: "there is no job " + name})
	return JobDef{}, fe.Err()
}

// Schedule is a municipality's schedule of one job.
type Schedule struct {
	Tenant  string `json:"tenant"`
	Job     string `json:"job"`
	Partner string `json:"partner,omitempty"`
	Insurer string `json:"insurer,omitempty"`
	// When it runs, in Japan: Period daily or monthly, Day the day of
	// the month (monthly, 1–28), Hour the hour from which it is due.
	// Read back, they are the job's defaults when none were set.
	Period    string    `json:"period"`
	Day       int       `json:"day,omitempty"`
	Hour      int       `json:"hour"`
	Enabled   bool      `json:"enabled"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
}

var insurerNo = func(s string) bool {
	if len(s) != 6 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// SetSchedule configures (or replaces) tenant's schedule of a job.
func (s *Service) SetSchedule(ctx context.Context, sc Schedule) (Schedule, error) {
	ctx = store.WithScope(ctx, sc.Tenant)
	const action = "linkage.schedule.set"
	subject := audit.Subject{Type: "linkage_schedule", ID: sc.Job}
	sc, err := s.checkSchedule(ctx, sc)
	if err != nil {
		return Schedule{}, audit.Refused(ctx, s.db, sc.Tenant, action, subject, err)
	}
	sc.CreatedAt, sc.CreatedBy = s.now().UTC(), actorOf(ctx)
	err = s.db.TransactIn(ctx, sc.Tenant, func(tx *store.Tx) error {
		return writeSchedule(ctx, tx, sc, "")
	})
	if err != nil {
		return Schedule{}, audit.Refused(ctx, s.db, sc.Tenant, action, subject, err)
	}
	return s.schedule(ctx, sc.Tenant, sc.Job)
}

// checkSchedule checks sc against its job and the municipality's
// partners; the times left empty are the job's defaults.
func (s *Service) checkSchedule(ctx context.Context, sc Schedule) (Schedule, error) {
	j, err := JobByName(sc.Job)
	if err != nil {
		return sc, err
	}
	var fe errs.FieldErrors
	if j.NeedsPartner && sc.Partner == "" {
		fe.Add("partner", errs.Message{JA: "このジョブには連携先の指定が必要です", EN: "this job needs its partner"})
	}
	// The file's 保険者番号 is the municipality's configured one
	// (insurer.go); a number kept with a schedule must be a number.
	if (j.NeedsInsurer || sc.Insurer != "") && !insurerNo(sc.Insurer) {
		fe.Add("insurer", errs.Message{JA: "保険者番号は6桁の数字です", EN: "the insurer number is six digits"})
	}
	switch sc.Period {
	case "":
		sc.Day, sc.Hour = 0, -1
	case Daily:
		sc.Day = 0
	case Monthly:
		if sc.Day < 1 || sc.Day > 28 {
			fe.Add("day", errs.Message{JA: "日は1から28までの数字です（どの月にもある日）", EN: "the day is 1 to 28 (a day every month has)"})
		}
	default:
		fe.Add("period", errs.Message{JA: "周期は「毎日」か「毎月」です", EN: "the period is daily or monthly"})
	}
	if sc.Period != "" && (sc.Hour < 0 || sc.Hour > 23) {
		fe.Add("hour", errs.Message{JA: "時は0から23までの数字です（日本時間）", EN: "the hour is 0 to 23 (Japan time)"})
	}
	if err := fe.Err(); err != nil {
		return sc, err
	}
	if j.NeedsPartner {
		if _, _, err := s.route(ctx, sc.Tenant, sc.Partner, "nhi-eligibility-continuity", 0, Outbound); err != nil {
			return sc, err
		}
	}
	return sc, nil
}

// writeSchedule stores sc (checked) in tx with its audit event; via
// names the review change that confirmed it, if any.
func writeSchedule(ctx context.Context, tx *store.Tx, sc Schedule, via string) error {
	if err := store.TenantExists(ctx, tx, sc.Tenant); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO linkage_schedules (tenant_code, job, partner, insurer, enabled, created_at, created_by, period, day_of_month, hour)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (tenant_code, job) DO UPDATE
		SET partner = excluded.partner, insurer = excluded.insurer, enabled = excluded.enabled, created_at = excluded.created_at, created_by = excluded.created_by,
		period = excluded.period, day_of_month = excluded.day_of_month, hour = excluded.hour`,
		sc.Tenant, sc.Job, sc.Partner, sc.Insurer, sc.Enabled, sc.CreatedAt, sc.CreatedBy, sc.Period, sc.Day, sc.Hour); err != nil {
		return err
	}
	detail := "partner=" + sc.Partner + " enabled=" + boolWord(sc.Enabled) + " when=" + sc.when()
	if via != "" {
		detail += " via=" + via
	}
	return audit.Record(ctx, tx, audit.Event{Tenant: sc.Tenant, Action: "linkage.schedule.set", Subject: audit.Subject{Type: "linkage_schedule", ID: sc.Job},
		Outcome: audit.OK, Detail: detail})
}

// when is sc's times as the audit detail words them: daily@6, monthly/1@7, default.
func (sc Schedule) when() string {
	switch sc.Period {
	case Daily:
		return Daily + "@" + strconv.Itoa(sc.Hour)
	case Monthly:
		return Monthly + "/" + strconv.Itoa(sc.Day) + "@" + strconv.Itoa(sc.Hour)
	}
	return "default"
}

// schedule returns tenant's schedule of job.
func (s *Service) schedule(ctx context.Context, tenant, job string) (Schedule, error) {
	var sc Schedule
	err := s.db.ReadIn(store.WithScope(ctx, tenant), tenant, func(q store.Querier) error {
		var err error
		sc, err = scanSchedule(q.QueryRow(ctx, selectSchedule+` WHERE tenant_code = $1 AND job = $2`, tenant, job))
		if err = store.ScanErr(err, "schedule"); errs.Is(err, errs.NotFound) {
			return errNoSchedule(job, tenant)
		}
		return err
	})
	return sc, err
}

func errNoSchedule(job, tenant string) error {
	return errs.Tell(errs.NotFound, errs.Message{
		JA: "この市区町村にはこのジョブの設定がありません。情報システム担当に設定を依頼してください。",
		EN: "This municipality has no schedule of this job: ask the IS department to configure it.",
	}, "no schedule of %s for %s", job, tenant)
}

const selectSchedule = `SELECT tenant_code, job, partner, insurer, enabled, created_at, created_by, period, day_of_month, hour FROM linkage_schedules`

// scanSchedule reads a schedule; times never set read as the job's
// defaults.
func scanSchedule(row store.Scanner) (Schedule, error) {
	var sc Schedule
	err := row.Scan(&sc.Tenant, &sc.Job, &sc.Partner, &sc.Insurer, &sc.Enabled, &sc.CreatedAt, &sc.CreatedBy, &sc.Period, &sc.Day, &sc.Hour)
	if err == nil && sc.Period == "" {
		if j, jerr := JobByName(sc.Job); jerr == nil {
			sc.Period, sc.Day, sc.Hour = j.Period, j.Day, j.Hour
		}
	}
	return sc, err
}

// Schedules lists tenant's schedules.
func (s *Service) Schedules(ctx context.Context, tenant string) ([]Schedule, error) {
	var out []Schedule
	err := s.db.ReadIn(store.WithScope(ctx, tenant), tenant, func(q store.Querier) (err error) {
		out, err = store.Rows(scanSchedule)(q.Query(ctx, selectSchedule+` WHERE tenant_code = $1 ORDER BY job`, tenant))
		return err
	})
	return out, err
}

// Run is one run of a linkage job.
type Run struct {
	ID        int64     `json:"id"`
	Tenant    string    `json:"tenant"`
	Job       string    `json:"job"`
	Period    string    `json:"period"`
	How       string    `json:"started_how"` // schedule or manual
	StartedBy string    `json:"started_by"`
	StartedAt time.Time `json:"started_at"`
	EndedAt   time.Time `json:"ended_at,omitzero"`
	Outcome   string    `json:"outcome"`
	Records   int       `json:"records"`
	Done      int64     `json:"done"`
	Total     int64     `json:"total"`
	FileJob   int64     `json:"file_job,omitempty"`
	Report    string    `json:"report,omitempty"`
}

const selectRun = `SELECT id, tenant_code, job, period, started_how, started_by, started_at, ended_at, outcome, records, done, total, file_job, report FROM linkage_runs`

func scanRun(row store.Scanner) (Run, error) {
	var r Run
	var ended sql.NullTime
	var file sql.NullInt64
	err := row.Scan(&r.ID, &r.Tenant, &r.Job, &r.Period, &r.How, &r.StartedBy, &r.StartedAt, &ended, &r.Outcome, &r.Records, &r.Done, &r.Total, &file, &r.Report)
	r.EndedAt, r.FileJob = ended.Time, file.Int64
	return r, err
}

// period is the day or month sc's job runs for at now, and whether it
// is due yet.
func (sc Schedule) period(now time.Time) (string, bool) {
	t := now.In(jst)
	if sc.Period == Monthly {
		return t.Format("2006-01"), t.Day() > sc.Day || t.Day() == sc.Day && t.Hour() >= sc.Hour
	}
	return t.Format(time.DateOnly), t.Hour() >= sc.Hour
}

// errLeaseHeld is a run refused because another process runs the job.
func errLeaseHeld(job, holder string) error {
	return errs.Tell(errs.Conflict, errs.Message{
		JA: "このジョブはいま別の処理で実行中です。終わってから、もう一度実行してください。",
		EN: "This job is running elsewhere right now: run it again once that run has ended.",
	}, "job %s is held by %s", job, holder)
}

// RunJob runs job for tenant now, started by hand ("manual") or by the
// schedule; progress, when set, is told how far it is. Its run is
// recorded whatever the outcome; a job another process is running is
// refused. The returned run is the finished one.
func (s *Service) RunJob(ctx context.Context, tenant, job, how string, progress func(done, total int64)) (Run, error) {
	st, err := s.startRun(ctx, tenant, job, how)
	if err != nil {
		return Run{}, err
	}
	return s.finishRun(st, progress)
}

// StartJob starts job for tenant now and returns its run at once, while
// it goes on in the background; its progress and outcome are read with
// RunByID. A job another process is running is refused.
func (s *Service) StartJob(ctx context.Context, tenant, job, how string) (Run, error) {
	st, err := s.startRun(ctx, tenant, job, how)
	if err != nil {
		return Run{}, err
	}
	st.ctx = context.WithoutCancel(st.ctx) // the run outlives the request that started it
	r := st.run
	go s.finishRun(st, nil) //nolint:errcheck // its outcome is the run's row
	return r, nil
}

// started is a run begun: its lease taken and its row written.
type started struct {
	ctx    context.Context
	j      JobDef
	sc     Schedule
	holder string
	run    Run
}

// startRun checks job's schedule, takes its lease and records the run.
func (s *Service) startRun(ctx context.Context, tenant, job, how string) (*started, error) {
	ctx = store.WithScope(ctx, tenant)
	subject := audit.Subject{Type: "linkage_run", ID: job}
	j, err := JobByName(job)
	var sc Schedule
	if err == nil {
		sc, err = s.schedule(ctx, tenant, job)
	}
	if err != nil {
		return nil, audit.Refused(ctx, s.db, tenant, "linkage.run", subject, err)
	}
	holder := leaseHolder()
	if err := s.takeLease(ctx, tenant, job, holder); err != nil {
		return nil, audit.Refused(ctx, s.db, tenant, "linkage.run", subject, err)
	}
	now := s.now()
	period, _ := sc.period(now)
	r := Run{Tenant: tenant, Job: job, Period: period, How: how, StartedBy: actorOf(ctx), StartedAt: now.UTC(), Outcome: RunRunning}
	err = s.db.TransactIn(ctx, tenant, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO linkage_runs (tenant_code, job, period, started_how, started_by, started_at, outcome)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, tenant, job, period, how, r.StartedBy, r.StartedAt, RunRunning).Scan(&r.ID)
	})
	if err != nil {
		s.releaseLease(ctx, tenant, job, holder)
		return nil, err
	}
	return &started{ctx: ctx, j: j, sc: sc, holder: holder, run: r}, nil
}

// finishRun does the work of a run started, records its outcome and
// lets its lease go.
func (s *Service) finishRun(st *started, progress func(done, total int64)) (Run, error) {
	ctx, j, sc, holder, r := st.ctx, st.j, st.sc, st.holder, st.run
	tenant, job, how, period := r.Tenant, r.Job, r.How, r.Period
	defer s.releaseLease(ctx, tenant, job, holder)
	last := time.Time{}
	tell := func(done, total int64) {
		if progress != nil {
			progress(done, total)
		}
		if time.Since(last) < time.Second && done < total {
			return
		}
		last = time.Now()
		_ = s.db.TransactIn(ctx, tenant, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, `UPDATE linkage_runs SET done = $1, total = $2 WHERE id = $3 AND tenant_code = $4`, done, total, r.ID, tenant); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `UPDATE linkage_leases SET expires_at = $1 WHERE tenant_code = $2 AND job = $3 AND holder = $4`,
				s.now().Add(leaseFor).UTC(), tenant, job, holder)
			return err
		})
	}
	res, runErr := j.run(ctx, s, sc, tell)
	r.EndedAt, r.Records, r.FileJob, r.Report, r.Outcome = s.now().UTC(), res.records, res.fileJob, res.report, RunOK
	outcome := audit.OK
	if runErr != nil {
		r.Outcome, outcome = RunFailed, audit.Failed
		if m, ok := errs.Told(runErr, "ja"); ok {
			r.Report = m
		} else {
			r.Report = errs.Public(runErr)
		}
	}
	var fileJob any
	if r.FileJob != 0 {
		fileJob = r.FileJob
	}
	err := s.db.TransactIn(ctx, tenant, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE linkage_runs SET ended_at = $1, outcome = $2, records = $3, file_job = $4, report = $5,
			done = CASE WHEN total = 0 THEN $8 ELSE total END WHERE id = $6 AND tenant_code = $7`,
			r.EndedAt, r.Outcome, r.Records, fileJob, r.Report, r.ID, tenant, int64(r.Records)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: "linkage.run", Subject: audit.Subject{Type: "linkage_run", ID: strconv.FormatInt(r.ID, 10)},
			Outcome: outcome, Detail: "job=" + job + " how=" + how + " period=" + period + " outcome=" + r.Outcome + " records=" + strconv.Itoa(r.Records)})
	})
	if err != nil {
		return Run{}, err
	}
	if runErr != nil {
		return r, runErr
	}
	return s.RunByID(ctx, tenant, r.ID)
}

// RunByID returns tenant's run id.
func (s *Service) RunByID(ctx context.Context, tenant string, id int64) (Run, error) {
	var r Run
	err := s.db.ReadIn(store.WithScope(ctx, tenant), tenant, func(q store.Querier) error {
		var err error
		r, err = scanRun(q.QueryRow(ctx, selectRun+` WHERE tenant_code = $1 AND id = $2`, tenant, id))
		return store.ScanErr(err, "linkage run")
	})
	return r, err
}

func leaseHolder() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// takeLease makes holder the one runner of tenant's job: a new lease, or
// one whose holder let it expire. Another holder's live lease refuses.
func (s *Service) takeLease(ctx context.Context, tenant, job, holder string) error {
	now := s.now().UTC()
	return s.db.TransactIn(ctx, tenant, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `INSERT INTO linkage_leases (tenant_code, job, holder, expires_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (tenant_code, job) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
			WHERE linkage_leases.expires_at < $5`, tenant, job, holder, now.Add(leaseFor), now)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return nil
		}
		var other string
		if err := tx.QueryRow(ctx, `SELECT holder FROM linkage_leases WHERE tenant_code = $1 AND job = $2`, tenant, job).Scan(&other); err != nil {
			return store.Translate(err)
		}
		return errLeaseHeld(job, other)
	})
}

func (s *Service) releaseLease(ctx context.Context, tenant, job, holder string) {
	_ = s.db.TransactIn(ctx, tenant, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM linkage_leases WHERE tenant_code = $1 AND job = $2 AND holder = $3`, tenant, job, holder)
		return err
	})
}

// RunDue runs every scheduled job that is due and has not run (or has
// failed more than a quarter of an hour ago) for its period, across every
// municipality; it returns the runs it made. bango serve calls it every
// minute.
func (s *Service) RunDue(ctx context.Context) ([]Run, error) {
	all := store.WithScope(ctx, store.AllTenants) // system work over every municipality
	var scheds []Schedule
	err := s.db.Read(all, func(q store.Querier) (err error) {
		scheds, err = store.Rows(scanSchedule)(q.Query(all, selectSchedule+` WHERE enabled ORDER BY tenant_code, job`))
		return err
	})
	if err != nil {
		return nil, err
	}
	now := s.now()
	var out []Run
	var errList []error
	for _, sc := range scheds {
		if _, err := JobByName(sc.Job); err != nil {
			continue // a job this version no longer has
		}
		period, due := sc.period(now)
		if !due {
			continue
		}
		skip := false
		err = s.db.ReadIn(store.WithScope(ctx, sc.Tenant), sc.Tenant, func(q store.Querier) error {
			return q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM linkage_runs WHERE tenant_code = $1 AND job = $2 AND period = $3
				AND (outcome IN ('ok', 'running') OR ended_at > $4))`, sc.Tenant, sc.Job, period, now.Add(-retryAfter).UTC()).Scan(&skip)
		})
		if err != nil {
			return out, err
		}
		if skip {
			continue
		}
		r, err := s.RunJob(ctx, sc.Tenant, sc.Job, "schedule", nil)
		if errs.Is(err, errs.Conflict) {
			continue // another process runs it
		}
		if err != nil {
			errList = append(errList, fmt.Errorf("linkage job %s of %s: %w", sc.Job, sc.Tenant, err))
		}
		if r.ID != 0 {
			out = append(out, r)
		}
	}
	if len(errList) > 0 {
		return out, errList[0]
	}
	return out, nil
}

// Runs lists tenant's runs, the newest first, a page at a time. Reading
// them is recorded.
func (s *Service) Runs(ctx context.Context, tenant, cursor string, limit int) (store.Page[Run], error) {
	ctx = store.WithScope(ctx, tenant)
	q := selectRun + ` WHERE tenant_code = $1`
	args := []any{tenant}
	var before int64
	if ok, err := store.DecodeCursor(cursor, "linkage-runs", &before); err != nil {
		return store.Page[Run]{}, err
	} else if ok {
		args = append(args, before)
		q += ` AND id < $2`
	}
	limit = store.Limit(limit)
	args = append(args, limit+1)
	var out []Run
	err := s.db.ReadIn(ctx, tenant, func(db store.Querier) (err error) {
		out, err = store.Rows(scanRun)(db.Query(ctx, q+` ORDER BY id DESC LIMIT $`+strconv.Itoa(len(args)), args...))
		return err
	})
	if err != nil {
		return store.Page[Run]{}, err
	}
	if err := audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: "linkage.runs", Subject: audit.Subject{Type: "linkage_runs", ID: tenant},
		Outcome: audit.OK, Detail: "shown=" + strconv.Itoa(min(len(out), limit))}); err != nil {
		return store.Page[Run]{}, err
	}
	return store.PageOf(out, limit, "linkage-runs", func(r Run) []any { return []any{r.ID} }), nil
}

// runEligibilityExport produces the day's eligibility-continuity file for
// the schedule's partner and keeps it in staging until the partner pulls
// and acknowledges it (partnernet.go); a file produced before and not yet
// pulled is not produced again.
func runEligibilityExport(ctx context.Context, s *Service, sc Schedule, progress func(done, total int64)) (runResult, error) {
	if s.eligibility == nil {
		return runResult{}, errs.E(errs.Internal, "linkage: no eligibility source was given to the service")
	}
	p, err := s.partner(ctx, sc.Tenant, sc.Partner)
	if err != nil {
		return runResult{}, err
	}
	if got, ok, err := s.undelivered(ctx, p, "nhi-eligibility-continuity"); err != nil {
		return runResult{}, err
	} else if ok {
		return runResult{fileJob: got.Job.ID, report: fmt.Sprintf("前回のファイル（第%d号）が未受信のため、新しいファイルは作成していません", got.Job.ID)}, nil
	}
	var buf bytes.Buffer
	name := "SKKZ_" + s.now().In(jst).Format("20060102150405") + ".DAT"
	job, m, err := s.ExportEligibility(ctx, ExportRequest{Tenant: sc.Tenant, Partner: sc.Partner, Layout: "nhi-eligibility-continuity",
		FileName: name, Out: &buf}, s.eligibility)
	if err != nil {
		return runResult{fileJob: job.ID}, err
	}
	err = s.db.TransactIn(ctx, sc.Tenant, func(tx *store.Tx) error {
		data := buf.Bytes()
		for seq := 0; seq == 0 || len(data) > 0; seq++ {
			n := min(len(data), chunkSize)
			if _, err := tx.Exec(ctx, `INSERT INTO linkage_staging (tenant_code, job_id, seq, chunk) VALUES ($1, $2, $3, $4)`,
				sc.Tenant, job.ID, seq, bytes.Clone(data[:n])); err != nil {
				return err
			}
			data = data[n:]
		}
		return nil
	})
	if err != nil {
		return runResult{}, err
	}
	progress(int64(m.Records), int64(m.Records))
	return runResult{records: m.Records, fileJob: job.ID, report: fmt.Sprintf("%s: %d件、連携先の受信待ち", name, m.Records)}, nil
}

// runOpenWork counts what the aggregation exchange left for NHI staff:
// judgements waiting for a decision and moves not yet dealt with.
func runOpenWork(ctx context.Context, s *Service, sc Schedule, progress func(done, total int64)) (runResult, error) {
	var judgements, moves int
	err := s.db.ReadIn(ctx, sc.Tenant, func(q store.Querier) error {
		if err := q.QueryRow(ctx, `SELECT count(*) FROM linkage_nhi_continuity WHERE tenant_code = $1 AND status = 'open'`, sc.Tenant).Scan(&judgements); err != nil {
			return err
		}
		return q.QueryRow(ctx, `SELECT count(*) FROM linkage_nhi_moves WHERE tenant_code = $1 AND status = 'open'`, sc.Tenant).Scan(&moves)
	})
	if err != nil {
		return runResult{}, store.Translate(err)
	}
	progress(2, 2)
	return runResult{records: judgements + moves, report: fmt.Sprintf("世帯継続性判定の未確認 %d件、資格喪失の確認待ち（転出・死亡） %d件", judgements, moves)}, nil
}

// SetEligibilitySource gives the service the NHI module, which the
// scheduled eligibility-continuity file is read from.
func (s *Service) SetEligibilitySource(src EligibilitySource) { s.eligibility = src }

// JobNames lists the names of the linkage jobs.
func JobNames() []string {
	var out []string
	for _, j := range Jobs() {
		out = append(out, j.Name)
	}
	slices.Sort(out)
	return out
}
