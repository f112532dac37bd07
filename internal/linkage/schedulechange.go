package linkage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/identity"
	"bango/internal/review"
	"bango/internal/store"
)

// KindSchedule is the maker–checker kind of a change to when a linkage
// job runs, or whether it runs at all.
//
// A schedule is a control: it decides when files of personal data leave
// for a partner (the daily eligibility-continuity file) and when the open
// work is counted. Stopping it, or moving it, quietly stops or delays what
// the municipality must send, so a change made by a linkage operator is
// filed for a second person (review.confirm in the municipality, never the
// operator) and takes effect only when confirmed — the separation of
// duties an auditor expects of a change to a production batch. Running a
// job now does not: it does only what the confirmed schedule already says,
// one runner at a time, and is recorded. `bango linkage schedule set` on
// the server stays direct: it is the IS department's setup with access to
// the server itself, and is recorded the same way.
const KindSchedule = "linkage.schedule"

// ScheduleChange is the times a linkage operator asks for.
type ScheduleChange struct {
	Job     string `json:"job"`
	Period  string `json:"period"` // daily or monthly
	Day     int    `json:"day"`    // monthly: 1–28
	Hour    int    `json:"hour"`   // 0–23, Japan time
	Enabled bool   `json:"enabled"`
}

// ProposeSchedule files tenant's change of a job's schedule for a second
// person's confirmation: the partner and insurer stay as configured, the
// times and whether it runs become ch once confirmed. A change that would
// change nothing, or that the job refuses, is refused at once.
func (s *Service) ProposeSchedule(ctx context.Context, maker identity.User, tenant string, ch ScheduleChange) (review.Change, error) {
	ctx = store.WithScope(ctx, tenant)
	subject := audit.Subject{Type: "linkage_schedule", ID: ch.Job}
	const action = "linkage.schedule.propose"
	if s.reviews == nil {
		return review.Change{}, errs.E(errs.Internal, "linkage: a schedule change needs the review engine")
	}
	cur, err := s.schedule(ctx, tenant, ch.Job)
	var next Schedule
	if err == nil {
		next = cur
		next.Period, next.Day, next.Hour, next.Enabled = ch.Period, ch.Day, ch.Hour, ch.Enabled
		next, err = s.checkSchedule(ctx, next)
	}
	if err == nil && next.Period == cur.Period && next.Day == cur.Day && next.Hour == cur.Hour && next.Enabled == cur.Enabled {
		err = errs.Tell(errs.Invalid, errs.Message{JA: "いまの設定と同じです。変える項目を選んでください。", EN: "That is the schedule already: change something first."},
			"schedule of %s unchanged", ch.Job)
	}
	if err != nil {
		return review.Change{}, audit.Refused(ctx, s.db, tenant, action, subject, err)
	}
	payload, _ := json.Marshal(next)
	return s.reviews.Submit(ctx, maker, tenant, review.Proposal{Kind: KindSchedule, Subject: subject,
		Summary: fmt.Sprintf("連携ジョブ %s のスケジュール: %s → %s", ch.Job, cur.words(), next.words()), Payload: payload})
}

// words is sc's times as the review queue shows them.
func (sc Schedule) words() string {
	w := fmt.Sprintf("毎日 %d時", sc.Hour)
	if sc.Period == Monthly {
		w = fmt.Sprintf("毎月%d日 %d時", sc.Day, sc.Hour)
	}
	if !sc.Enabled {
		w += "（停止）"
	}
	return w
}

// applySchedule applies a confirmed schedule change inside the
// confirming transaction: checked again against the job, and only if the
// schedule is still the one the change was made from (its partner and
// insurer unchanged since).
func (s *Service) applySchedule(ctx context.Context, tx *store.Tx, tenant string, payload []byte) error {
	var sc Schedule
	if err := json.Unmarshal(payload, &sc); err != nil {
		return errs.Wrap(errs.Internal, err, "linkage: schedule change payload")
	}
	if sc.Tenant != tenant {
		return errs.E(errs.Internal, "linkage: a schedule change of %s confirmed in %s", sc.Tenant, tenant)
	}
	cur, err := scanSchedule(tx.QueryRow(ctx, selectSchedule+` WHERE tenant_code = $1 AND job = $2`, tenant, sc.Job))
	if err = store.ScanErr(err, "schedule"); err != nil {
		return err
	}
	if cur.Partner != sc.Partner || cur.Insurer != sc.Insurer {
		return errs.Tell(errs.Conflict, errs.Message{
			JA: "この変更の申請後に連携先の設定が変わりました。差し戻して、もう一度申請してもらってください。",
			EN: "The job's partner settings changed after this was filed: reject it and have it filed again.",
		}, "schedule of %s changed since filed", sc.Job)
	}
	j, err := JobByName(sc.Job)
	if err != nil {
		return err
	}
	if sc.Period == "" || (sc.Period == Monthly && (sc.Day < 1 || sc.Day > 28)) || sc.Hour < 0 || sc.Hour > 23 {
		return errs.E(errs.Invalid, "linkage: schedule change of %s has times %s", j.Name, sc.when())
	}
	sc.CreatedAt, sc.CreatedBy = s.now().UTC(), actorOf(ctx)
	return writeSchedule(ctx, tx, sc, "review")
}

// PendingSchedule is a change of a job's times filed and waiting for its
// checker: the review change, what it changes from and to, who filed it
// and when.
type PendingSchedule struct {
	Change  int64     `json:"change"`
	Job     string    `json:"job"`
	Summary string    `json:"summary"`
	Maker   string    `json:"maker"`
	MadeAt  time.Time `json:"made_at"`
}

// PendingSchedules lists tenant's schedule changes waiting for a second
// person, by job (one at most per job), so that the jobs page shows them
// beside the times still in force.
func (s *Service) PendingSchedules(ctx context.Context, tenant string) (map[string]PendingSchedule, error) {
	list, err := s.pendingChanges(ctx, tenant, KindSchedule, "linkage_schedule")
	out := map[string]PendingSchedule{}
	for _, p := range list {
		out[p.Job] = p
	}
	return out, err
}

// pendingChanges lists tenant's review changes of kind on subjects of
// subjectType still waiting for their checker, oldest first: the change,
// its subject (in Job), summary, maker and when it was made.
func (s *Service) pendingChanges(ctx context.Context, tenant, kind, subjectType string) ([]PendingSchedule, error) {
	ctx = store.WithScope(ctx, tenant)
	var out []PendingSchedule
	err := s.db.ReadIn(ctx, tenant, func(q store.Querier) (err error) {
		out, err = store.Rows(func(row store.Scanner) (p PendingSchedule, err error) {
			err = row.Scan(&p.Change, &p.Job, &p.Summary, &p.Maker, &p.MadeAt)
			p.MadeAt = p.MadeAt.UTC()
			return p, err
		})(q.Query(ctx, `SELECT c.id, c.subject_id, c.summary, u.login_id, c.made_at FROM review_changes c JOIN staff_users u ON u.id = c.maker_id
			WHERE c.tenant_code = $1 AND c.kind = $2 AND c.subject_type = $3 AND c.status = 'pending' ORDER BY c.id`, tenant, kind, subjectType))
		return err
	})
	return out, err
}
