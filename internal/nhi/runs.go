package nhi

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"time"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/store"
)

// CostShareRun is one run of the yearly 70–74 cost-share decision
// (R-NHI-3), started from the screen or by `bango nhi cost-share`: how far
// it has gone and, once done, its report.
type CostShareRun struct {
	ID         int64            `json:"id"`
	FiscalYear int              `json:"fiscal_year"`
	Status     string           `json:"status"` // running, done, failed
	Done       int              `json:"done"`   // candidate households gone through
	Total      int              `json:"total"`
	Report     *CostShareReport `json:"report,omitempty"`
	Error      string           `json:"error,omitempty"`
	StartedAt  time.Time        `json:"started_at"`
	StartedBy  string           `json:"started_by"`
	UpdatedAt  time.Time        `json:"updated_at"`
	FinishedAt time.Time        `json:"finished_at,omitzero"`
}

// Percent is how far the run has gone, 0 to 100.
func (r CostShareRun) Percent() int {
	if r.Status == "done" {
		return 100
	}
	if r.Total == 0 {
		return 0
	}
	return r.Done * 100 / r.Total
}

// staleRun is how long a run may go without progress before it is taken
// for stopped (its server ended): a batch of a hundred households takes
// seconds.
const staleRun = 10 * time.Minute

var msgRunning = errs.Message{JA: "この市区町村の年次判定は実行中です。終わってから開始してください", EN: "a yearly decision of this municipality is running: start another once it ends"}

// StartCostShareRun starts the yearly decision of fiscalYear for tenant in
// the background and returns its run at once; CostShareRun tells its
// progress. One run of a municipality at a time; the start is an event.
func (s *Service) StartCostShareRun(ctx context.Context, tenant string, fiscalYear int) (CostShareRun, error) {
	id, err := s.openRun(ctx, tenant, fiscalYear)
	if err != nil {
		return CostShareRun{}, err
	}
	bg := context.WithoutCancel(ctx) // the run outlives the request that started it
	go func() {
		if _, err := s.finishRun(bg, tenant, fiscalYear, id, nil); err != nil {
			s.log.ErrorContext(bg, "nhi: yearly cost-share run", "tenant", tenant, "run", id, "err", err)
		}
	}()
	return s.CostShareRun(ctx, tenant, id)
}

// RunCostShare runs the yearly decision of fiscalYear for tenant as a
// recorded run, telling progress as RedetermineCostSharesProgress does,
// and returns the run with its report (the command's path).
func (s *Service) RunCostShare(ctx context.Context, tenant string, fiscalYear int, progress func(done, total int)) (CostShareRun, error) {
	id, err := s.openRun(ctx, tenant, fiscalYear)
	if err != nil {
		return CostShareRun{}, err
	}
	if _, err := s.finishRun(ctx, tenant, fiscalYear, id, progress); err != nil {
		return CostShareRun{}, err
	}
	return s.CostShareRun(ctx, tenant, id)
}

// openRun records a run as running, refusing a wrong year or a second
// run of the municipality at once.
func (s *Service) openRun(ctx context.Context, tenant string, fiscalYear int) (int64, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	const action = "nhi.cost_share.run"
	subject := audit.Subject{Type: "nhi_cost_share_run", ID: strconv.Itoa(fiscalYear)}
	var fe errs.FieldErrors
	if fiscalYear < 2015 || fiscalYear > s.today().Year()+1 {
		fe.Add("fiscal_year", errs.Message{JA: "2015年度から来年度までの年度（西暦4桁）です", EN: "must be a fiscal year from 2015 to next year"})
		return 0, s.failed(ctx, tenant, action, subject, fe.Err())
	}
	now := s.now().UTC()
	var id int64
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		if err := lockTenant(ctx, tx, tenant); err != nil {
			return err
		}
		if err := store.TenantExists(ctx, tx, tenant); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM nhi_cost_share_runs WHERE tenant_code = $1 AND status = 'running' AND updated_at > $2`,
			tenant, now.Add(-staleRun)).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			fe := errs.FieldErrors{Kind: errs.Conflict}
			fe.Add("fiscal_year", msgRunning)
			return fe.Err()
		}
		if _, err := tx.Exec(ctx, `UPDATE nhi_cost_share_runs SET status = 'failed', error = 'stopped', finished_at = $2
			WHERE tenant_code = $1 AND status = 'running'`, tenant, now); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO nhi_cost_share_runs (tenant_code, fiscal_year, status, started_at, started_by, updated_at)
			VALUES ($1, $2, 'running', $3, $4, $3) RETURNING id`, tenant, fiscalYear, now, actorOf(ctx)).Scan(&id); err != nil {
			return store.Translate(err)
		}
		subject.ID = strconv.FormatInt(id, 10)
		return audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: action, Subject: subject, Outcome: audit.OK,
			Detail: "fiscal_year=" + strconv.Itoa(fiscalYear) + " started"})
	})
	if err != nil {
		return 0, s.failed(ctx, tenant, action, subject, err)
	}
	return id, nil
}

// finishRun runs the decision of run id, writing its progress after each
// batch and its report (or failure) at the end.
func (s *Service) finishRun(ctx context.Context, tenant string, fiscalYear int, id int64, progress func(done, total int)) (CostShareReport, error) {
	ctx = store.WithScope(ctx, tenant)
	write := func(query string, args ...any) error {
		return s.db.Transact(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, query, args...)
			return err
		})
	}
	r, err := s.RedetermineCostSharesProgress(ctx, tenant, fiscalYear, func(done, total int) {
		if werr := write(`UPDATE nhi_cost_share_runs SET done = $1, total = $2, updated_at = $3 WHERE tenant_code = $4 AND id = $5`,
			done, total, s.now().UTC(), tenant, id); werr != nil {
			s.log.ErrorContext(ctx, "nhi: run progress not written", "run", id, "err", werr)
		}
		if progress != nil {
			progress(done, total)
		}
	})
	now := s.now().UTC()
	if err != nil {
		if werr := write(`UPDATE nhi_cost_share_runs SET status = 'failed', error = $1, updated_at = $2, finished_at = $2 WHERE tenant_code = $3 AND id = $4`,
			audit.FailureDetail(err), now, tenant, id); werr != nil {
			return r, werr
		}
		return r, err
	}
	report, err := json.Marshal(r)
	if err != nil {
		return r, err
	}
	return r, write(`UPDATE nhi_cost_share_runs SET status = 'done', report = $1, updated_at = $2, finished_at = $2 WHERE tenant_code = $3 AND id = $4`,
		string(report), now, tenant, id)
}

const runColumns = `id, fiscal_year, status, done, total, report, error, started_at, started_by, updated_at, finished_at`

func scanRun(row store.Scanner) (CostShareRun, error) {
	var r CostShareRun
	var report string
	var finished sql.NullTime
	if err := row.Scan(&r.ID, &r.FiscalYear, &r.Status, &r.Done, &r.Total, &report, &r.Error, &r.StartedAt, &r.StartedBy, &r.UpdatedAt, &finished); err != nil {
		return r, err
	}
	r.StartedAt, r.UpdatedAt = r.StartedAt.UTC(), r.UpdatedAt.UTC()
	if finished.Valid {
		r.FinishedAt = finished.Time.UTC()
	}
	if report != "" {
		r.Report = &CostShareReport{}
		if err := json.Unmarshal([]byte(report), r.Report); err != nil {
			return r, err
		}
	}
	return r, nil
}

// CostShareRun reads run id of tenant; one of another municipality is
// not found. The read is an event.
func (s *Service) CostShareRun(ctx context.Context, tenant string, id int64) (CostShareRun, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	subject := audit.Subject{Type: "nhi_cost_share_run", ID: strconv.FormatInt(id, 10)}
	var r CostShareRun
	err := s.db.Read(ctx, func(q store.Querier) error {
		var err error
		r, err = scanRun(q.QueryRow(ctx, `SELECT `+runColumns+` FROM nhi_cost_share_runs WHERE tenant_code = $1 AND id = $2`, tenant, id))
		return store.ScanErr(err, "cost-share run "+strconv.FormatInt(id, 10))
	})
	if err != nil {
		return r, s.failed(ctx, tenant, "nhi.cost_share.run.read", subject, err)
	}
	return r, audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: "nhi.cost_share.run.read", Subject: subject, Outcome: audit.OK,
		Detail: "status=" + r.Status})
}

// CostShareRuns lists tenant's latest runs (at most 20), the latest first.
// The read is an event.
func (s *Service) CostShareRuns(ctx context.Context, tenant string) ([]CostShareRun, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	var out []CostShareRun
	err := s.db.Read(ctx, func(q store.Querier) (err error) {
		out, err = store.Rows(scanRun)(q.Query(ctx, `SELECT `+runColumns+` FROM nhi_cost_share_runs WHERE tenant_code = $1 ORDER BY id DESC LIMIT 20`, tenant))
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: "nhi.cost_share.run.read", Subject: audit.Subject{Type: "query"}, Outcome: audit.OK,
		Detail: "runs=" + strconv.Itoa(len(out))})
}
