package linkage

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"time"

	"bango/internal/audit"
	"bango/internal/store"
)

// Outcomes of a job.
const (
	Applied  = "applied"  // in the database
	Pending  = "pending"  // held for a second person's confirmation
	Rejected = "rejected" // a check failed: nothing applied
	Replay   = "replay"   // the same file was applied (or held) before
	Declined = "declined" // the checker rejected the held file
	Exported = "exported" // an outbound file produced
)

// Job is one import or export as the history shows it: who, when, the
// file's hash and counts, and what became of it. Its problems name lines
// and fields, never a field's content.
type Job struct {
	ID           int64     `json:"id"`
	Tenant       string    `json:"tenant"`
	Partner      string    `json:"partner"`
	Layout       string    `json:"layout"`
	Version      int       `json:"version"`
	Direction    string    `json:"direction"`
	FileName     string    `json:"file_name,omitempty"`
	SHA256       string    `json:"sha256"`
	Bytes        int64     `json:"bytes"`
	Records      int       `json:"records"`
	Applied      int       `json:"applied"`
	ProblemCount int       `json:"problem_count"`
	Problems     []Problem `json:"problems,omitempty"`
	Outcome      string    `json:"outcome"`
	Earlier      int64     `json:"earlier,omitempty"` // a replay: the job that applied the file
	Through      int64     `json:"through,omitempty"` // an export: the last source event it carries
	ReviewChange int64     `json:"review_change,omitempty"`
	StartedBy    string    `json:"started_by"`
	StartedAt    time.Time `json:"started_at"`
	EndedAt      time.Time `json:"ended_at,omitzero"`
	DecidedBy    string    `json:"decided_by,omitempty"`
}

// jobReport is what the report column keeps.
type jobReport struct {
	Problems []Problem `json:"problems,omitempty"`
	Earlier  int64     `json:"earlier,omitempty"`
	Through  int64     `json:"through,omitempty"`
}

const selectJob = `SELECT id, tenant_code, partner, layout, layout_version, direction, file_name, sha256, bytes, records, applied,
	problems, outcome, report, review_change, started_by, started_at, ended_at, decided_by FROM linkage_jobs`

func scanJob(row store.Scanner) (Job, error) {
	var j Job
	var report string
	var change sql.NullInt64
	var ended sql.NullTime
	err := row.Scan(&j.ID, &j.Tenant, &j.Partner, &j.Layout, &j.Version, &j.Direction, &j.FileName, &j.SHA256, &j.Bytes, &j.Records,
		&j.Applied, &j.ProblemCount, &j.Outcome, &report, &change, &j.StartedBy, &j.StartedAt, &ended, &j.DecidedBy)
	if err != nil {
		return j, err
	}
	j.ReviewChange, j.EndedAt = change.Int64, ended.Time
	if report != "" {
		var r jobReport
		if json.Unmarshal([]byte(report), &r) == nil {
			j.Problems, j.Earlier, j.Through = r.Problems, r.Earlier, r.Through
		}
	}
	return j, nil
}

// insertJob writes j and returns it with its ID.
func insertJob(ctx context.Context, tx *store.Tx, j Job) (Job, error) {
	report := ""
	if len(j.Problems) > 0 || j.Earlier != 0 || j.Through != 0 {
		b, _ := json.Marshal(jobReport{Problems: j.Problems, Earlier: j.Earlier, Through: j.Through})
		report = string(b)
	}
	var ended any
	if !j.EndedAt.IsZero() {
		ended = j.EndedAt
	}
	err := tx.QueryRow(ctx, `INSERT INTO linkage_jobs (tenant_code, partner, layout, layout_version, direction, file_name, sha256, bytes,
		records, applied, problems, outcome, report, started_by, started_at, ended_at, decided_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING id`,
		j.Tenant, j.Partner, j.Layout, j.Version, j.Direction, j.FileName, j.SHA256, j.Bytes, j.Records, j.Applied, j.ProblemCount,
		j.Outcome, report, j.StartedBy, j.StartedAt, ended, j.DecidedBy).Scan(&j.ID)
	return j, store.Translate(err)
}

// Job returns tenant's job id.
func (s *Service) Job(ctx context.Context, tenant string, id int64) (Job, error) {
	var j Job
	err := s.db.ReadIn(ctx, tenant, func(q store.Querier) error {
		var err error
		j, err = scanJob(q.QueryRow(ctx, selectJob+` WHERE tenant_code = $1 AND id = $2`, tenant, id))
		return store.ScanErr(err, "linkage job")
	})
	return j, err
}

// History lists tenant's imports and exports, the newest first, a page at
// a time. Reading it is recorded: it says who exchanged what with whom.
func (s *Service) History(ctx context.Context, tenant, cursor string, limit int) (store.Page[Job], error) {
	ctx = store.WithScope(ctx, tenant)
	q := selectJob + ` WHERE tenant_code = $1`
	args := []any{tenant}
	var before int64
	if ok, err := store.DecodeCursor(cursor, "linkage-jobs", &before); err != nil {
		return store.Page[Job]{}, err
	} else if ok {
		args = append(args, before)
		q += ` AND id < $2`
	}
	limit = store.Limit(limit)
	args = append(args, limit+1)
	var out []Job
	err := s.db.ReadIn(ctx, tenant, func(db store.Querier) (err error) {
		out, err = store.Rows(scanJob)(db.Query(ctx, q+` ORDER BY id DESC LIMIT $`+strconv.Itoa(len(args)), args...))
		return err
	})
	if err != nil {
		return store.Page[Job]{}, err
	}
	if err := audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: "linkage.history", Subject: audit.Subject{Type: "linkage_jobs", ID: tenant},
		Outcome: audit.OK, Detail: "shown=" + strconv.Itoa(min(len(out), limit))}); err != nil {
		return store.Page[Job]{}, err
	}
	return store.PageOf(out, limit, "linkage-jobs", func(j Job) []any { return []any{j.ID} }), nil
}
