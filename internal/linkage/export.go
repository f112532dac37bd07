package linkage

import (
	"context"
	"errors"
	"io"
	"strconv"
	"time"

	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/nhi"
	"bango/internal/store"
)

// EligibilitySource is where the eligibility-continuity file's records
// come from: the NHI module's acquisitions and losses after the last one
// sent (nhi.Service).
type EligibilitySource interface {
	EligibilityChangesAfter(ctx context.Context, tenant string, after int64, fn func(nhi.EligibilityChange) error) error
}

// ExportRequest is one outbound eligibility-continuity file to produce.
type ExportRequest struct {
	Tenant  string
	Partner string
	Layout  string // nhi-eligibility-continuity
	// Insurer is the 保険者番号 the caller expects, or "": the file
	// carries the municipality's number in force today (insurer.go), and
	// a different number given here refuses the export.
	Insurer  string
	FileName string // as the history shows it
	Out      io.Writer
}

// eligibilityReasons turn the NHI module's reasons into the codes of each
// version of the eligibility-continuity layout; a reason without a code
// of its own is その他 (99).
var eligibilityReasons = map[int]map[string]string{
	1: {
		"acquire/" + nhi.AcquireMoveIn: "01", "acquire/" + nhi.AcquireLeftEmployee: "02", "acquire/" + nhi.AcquireWelfareEnded: "03",
		"acquire/" + nhi.AcquireBirth: "04",
		"loss/" + nhi.LossMoveOut:     "01", "loss/" + nhi.LossJoinedEmployee: "02", "loss/" + nhi.LossWelfareStarted: "03",
		"loss/" + nhi.LossDeath: "04", "loss/" + nhi.LossLateElderly: "05",
	},
}

// halfKana is kana as a half-width field holds it: ガ as ｶﾞ, the
// full-width space as a space.
func halfKana(s string) string { return width.Narrow.String(norm.NFD.String(s)) }

// ExportEligibility writes the eligibility-continuity file (資格継続情報)
// for a partner configured to receive it: every acquisition and loss
// recorded since the last file, with header, trailer and manifest, and
// no My Number (the layout forbids one, R-NHI-8). A record the layout
// cannot hold fails the export with the line and field named; then the
// caller discards what was written. Each export is a job in the history
// and an audit event.
func (s *Service) ExportEligibility(ctx context.Context, req ExportRequest, src EligibilitySource) (Job, *Manifest, error) {
	ctx = store.WithScope(ctx, req.Tenant)
	const action = "linkage.export"
	subject := audit.Subject{Type: "linkage_partner", ID: req.Partner}
	_, l, err := s.route(ctx, req.Tenant, req.Partner, req.Layout, 0, Outbound)
	if err == nil && l.Name != "nhi-eligibility-continuity" {
		err = errNoRoute(req.Tenant, req.Partner, req.Layout, Outbound)
	}
	if err != nil {
		return Job{}, nil, audit.Refused(ctx, s.db, req.Tenant, action, subject, err)
	}
	now := s.now()
	today := civil(now.In(jst))
	insurer, err := s.InsurerNumberOn(ctx, req.Tenant, today)
	if err == nil && req.Insurer != "" && req.Insurer != insurer {
		err = errs.Tell(errs.Conflict, errs.Message{
			JA: "指定の保険者番号 " + req.Insurer + " は、この市区町村に設定された保険者番号と異なります。ファイルは作成していません。",
			EN: "The insurer number " + req.Insurer + " given is not the one configured for this municipality. No file was made.",
		}, "insurer %s given, %s configured for %s", req.Insurer, insurer, req.Tenant)
	}
	if err != nil {
		return Job{}, nil, audit.Refused(ctx, s.db, req.Tenant, action, subject, err)
	}
	last, err := s.lastExport(ctx, req.Tenant, req.Partner, l.Name)
	if err != nil {
		return Job{}, nil, err
	}
	from := today
	if last.ID != 0 {
		from = civil(last.StartedAt.In(jst))
	}
	job := Job{Tenant: req.Tenant, Partner: req.Partner, Layout: l.Name, Version: l.Version, Direction: Outbound, FileName: req.FileName,
		StartedBy: actorOf(ctx), StartedAt: now.UTC(), Through: last.Through}
	w, err := NewWriter(req.Out, l, Values{"insurer_no": insurer, "municipality": req.Tenant, "file_type": "SKKZ",
		"created": today, "period_from": from, "period_to": today})
	if err != nil {
		return s.failedExport(ctx, job, err)
	}
	codes := eligibilityReasons[l.Version]
	err = src.EligibilityChangesAfter(ctx, req.Tenant, last.Through, func(c nhi.EligibilityChange) error {
		v := Values{"insured_symbol": width.Widen.String(c.Kigo), "insured_number": c.Number, "branch": c.Branch,
			"household_no": c.Household, "name_kana": halfKana(c.NameKana), "birth": c.Birth, "sex": c.Sex, "head": "2", "event_date": c.Effective}
		if c.Head {
			v["head"] = "1"
		}
		code := codes[c.Kind+"/"+c.Reason]
		if code == "" {
			code = "99"
		}
		if c.Kind == "acquire" {
			v["event"], v["acquired"], v["acquire_reason"] = "1", c.Effective, code
		} else {
			v["event"], v["lost"], v["lose_reason"] = "2", c.Effective, code
		}
		if err := w.Write("2", v); err != nil {
			return err
		}
		job.Through = c.Event
		return nil
	})
	if err != nil {
		return s.failedExport(ctx, job, err)
	}
	// The household-continuity decisions not yet sent back (event 4).
	var decided []Continuity
	if err := s.db.ReadIn(ctx, req.Tenant, func(q store.Querier) (err error) {
		decided, err = continuityToSend(ctx, q, req.Tenant)
		return err
	}); err != nil {
		return Job{}, nil, err
	}
	for _, c := range decided {
		if err := w.Write("2", continuityValues(c)); err != nil {
			return s.failedExport(ctx, job, err)
		}
	}
	m, err := w.Close(nil)
	if err != nil {
		return s.failedExport(ctx, job, err)
	}
	job.Outcome, job.Records, job.Bytes, job.SHA256, job.EndedAt = Exported, m.Records, m.Bytes, m.SHA256, s.now().UTC()
	err = s.db.TransactIn(ctx, req.Tenant, func(tx *store.Tx) (err error) {
		if job, err = insertJob(ctx, tx, job); err != nil {
			return err
		}
		if err := markContinuitySent(ctx, tx, req.Tenant, decided, job.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: req.Tenant, Action: action, Subject: jobSubject(job.ID), Outcome: audit.OK,
			Detail: "partner=" + job.Partner + " layout=" + job.Layout + " records=" + strconv.Itoa(m.Records) + " continuity=" + strconv.Itoa(len(decided)) + " through_event=" +
				strconv.FormatInt(job.Through, 10) + " sha256=" + m.SHA256})
	})
	if err != nil {
		return Job{}, nil, err
	}
	return job, m, nil
}

func civil(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// failedExport records an export that could not be written: a record the
// layout cannot hold is named by line and field.
func (s *Service) failedExport(ctx context.Context, job Job, cause error) (Job, *Manifest, error) {
	var fe *errs.FieldErrors
	if !errors.As(cause, &fe) {
		return Job{}, nil, cause
	}
	job.Outcome, job.EndedAt = Rejected, s.now().UTC()
	for _, f := range fe.List {
		job.Problems = append(job.Problems, Problem{Line: f.Line, Field: f.Field, Reason: f.Reason})
	}
	job.ProblemCount = len(job.Problems)
	err := s.db.TransactIn(ctx, job.Tenant, func(tx *store.Tx) (err error) {
		if job, err = insertJob(ctx, tx, job); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: job.Tenant, Action: "linkage.export", Subject: jobSubject(job.ID), Outcome: audit.Failed,
			Detail: "partner=" + job.Partner + " layout=" + job.Layout + " outcome=rejected problems=" + strconv.Itoa(job.ProblemCount)})
	})
	if err != nil {
		return Job{}, nil, err
	}
	return job, nil, cause
}

// lastExport is the partner's latest file of layout, or a zero Job.
func (s *Service) lastExport(ctx context.Context, tenant, partner, layout string) (Job, error) {
	var j Job
	err := s.db.ReadIn(ctx, tenant, func(q store.Querier) error {
		var err error
		j, err = scanJob(q.QueryRow(ctx, selectJob+` WHERE tenant_code = $1 AND partner = $2 AND layout = $3 AND outcome = 'exported'
			ORDER BY id DESC LIMIT 1`, tenant, partner, layout))
		return store.ScanErr(err, "linkage job")
	})
	if errs.Is(err, errs.NotFound) {
		return Job{}, nil
	}
	return j, err
}
