package linkage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/identity"
	"bango/internal/review"
	"bango/internal/store"
)

// ImportRequest is one inbound file to import.
type ImportRequest struct {
	Tenant   string
	Partner  string
	Layout   string // a layout's name
	Version  int    // the layout's version; 0 for the newest
	FileName string // as the history shows it
	// Open opens the file; it is read twice — checked whole, then applied —
	// and the second read must give the same bytes (by SHA-256).
	Open func() (io.ReadCloser, error)
	// Maker is the staff member who files an import the partner's
	// configuration holds for confirmation; its checker is someone else.
	Maker *identity.User
	// ByPartner: the partner's own machine pushed the file (Receive). A
	// held file then waits, with the partner as its maker, in the queue of
	// partner files a staff checker confirms (held.go); no staff maker.
	ByPartner bool
	// Progress, when set, is told how many bytes each pass has read
	// ("check", then "apply").
	Progress func(pass string, done int64)
	// Phases, when set, is told how long each phase of an applied import
	// took: "check" (the whole file read and checked), "write" (read
	// again and copied into the layout's table), "relevance" (the checks
	// against the database) and "apply" (the layout's own changes, such
	// as the register's). bango bench linkage reports them.
	Phases func(phase string, took time.Duration)
}

// phase tells req.Phases how long the phase that began at start took.
func (req ImportRequest) phase(name string, start time.Time) {
	if req.Phases != nil {
		req.Phases(name, time.Since(start))
	}
}

const chunkSize = 1 << 20 // bytes of a held file per staging row

// jst is the zone a history's times are told in.
var jst = time.FixedZone("JST", 9*60*60)

var (
	errFileChanged = errs.Tell(errs.Conflict, errs.Message{
		JA: "ファイルが検査の後に変わりました。何も取り込んでいません。ファイルの受信が終わってから、もう一度取り込んでください。",
		EN: "The file changed after it was checked; nothing was applied. Import it again once it has been received completely.",
	}, "the file changed between the check and the apply")
	errNoMaker = errs.Tell(errs.Invalid, errs.Message{
		JA: "この連携先のファイルは別の職員の確認を経て取り込みます。取込を申請する職員を指定してください。",
		EN: "This partner's files are applied once a second person confirms them: name the staff member who files the import.",
	}, "a held import needs its maker")
	errStopped = errors.New("linkage: apply stopped")
)

// Import checks an inbound file whole — every record against its layout,
// the header and trailer, then the municipality's own checks — and only
// when nothing is wrong applies it in one transaction, or holds it for a
// second person's confirmation when the partner's configuration says so.
// A file with any problem is rejected whole with its report (lines,
// fields, reasons; never a field's content), and nothing is applied
// (R-ACC-5). A file applied or held before — the same SHA-256 from the
// same partner for the same layout — is refused as a replay naming the
// earlier job. A partner, layout or direction not configured is refused
// (R-LNK-4). Every outcome is a job in the history and an audit event.
// The report comes back with the job whether the file was applied or not.
func (s *Service) Import(ctx context.Context, req ImportRequest) (Job, *Report, error) {
	ctx = store.WithScope(ctx, req.Tenant)
	const action = "linkage.import"
	subject := audit.Subject{Type: "linkage_partner", ID: req.Partner}
	p, l, err := s.route(ctx, req.Tenant, req.Partner, req.Layout, req.Version, Inbound)
	in := s.inbound[req.Layout]
	if err == nil && in == nil {
		err = errNoRoute(req.Tenant, req.Partner, req.Layout, Inbound)
	}
	if err == nil && p.Confirm && req.Maker == nil && !req.ByPartner {
		err = errNoMaker
	}
	if err == nil && p.Confirm && !req.ByPartner && s.reviews == nil {
		err = errs.E(errs.Internal, "linkage: partner %s holds its files for confirmation, but no review engine was given", p.ID)
	}
	if err != nil {
		return Job{}, nil, audit.Refused(ctx, s.db, req.Tenant, action, subject, err)
	}
	job := Job{Tenant: req.Tenant, Partner: req.Partner, Layout: l.Name, Version: l.Version, Direction: Inbound, FileName: req.FileName,
		StartedBy: actorOf(ctx), StartedAt: s.now().UTC()}
	checkStart := time.Now()
	rep, err := s.check(req, l, in)
	req.phase("check", checkStart)
	if err != nil {
		return Job{}, nil, err
	}
	job.SHA256, job.Bytes, job.Records = rep.SHA256, rep.Bytes, rep.Records
	if !rep.OK() {
		job, err = s.reject(ctx, job, rep)
		return job, rep, err
	}
	earlier, found, err := s.earlier(ctx, job)
	if err != nil {
		return Job{}, rep, err
	}
	if found {
		job, err = s.replay(ctx, job, earlier)
		return job, rep, err
	}
	if p.Confirm {
		job, err = s.hold(ctx, req, job, l)
		return job, rep, err
	}
	return s.applyNow(ctx, req, job, l, in, rep)
}

// check reads the file once: the layout's checks, then the municipality's.
func (s *Service) check(req ImportRequest, l *Layout, in inbound) (*Report, error) {
	rc, err := req.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var extra []Problem
	more := 0
	chk := in.checker(req.Tenant)
	rep, err := Parse(counted(rc, req.Progress, "check"), l, Options{MaxBytes: s.maxBytes}, func(r *Record) error {
		chk(r, func(field string, why errs.Message) {
			if len(extra) < 1000 {
				extra = append(extra, Problem{Line: r.Line, Record: r.Def.Name, Field: field, Reason: why})
			} else {
				more++
			}
		})
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, p := range extra {
		rep.add(p)
	}
	rep.Total += more
	sortProblems(rep)
	return rep, nil
}

func sortProblems(rep *Report) {
	slices.SortStableFunc(rep.Problems, func(a, b Problem) int { return a.Line - b.Line })
}

// reject records a file that failed a check, with its problems.
func (s *Service) reject(ctx context.Context, job Job, rep *Report) (Job, error) {
	job.Outcome, job.Problems, job.ProblemCount, job.EndedAt = Rejected, rep.Problems, rep.Total, s.now().UTC()
	err := s.db.TransactIn(ctx, job.Tenant, func(tx *store.Tx) (err error) {
		if job, err = insertJob(ctx, tx, job); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: job.Tenant, Action: "linkage.import", Subject: jobSubject(job.ID), Outcome: audit.Failed,
			Detail: "partner=" + job.Partner + " layout=" + job.Layout + " outcome=rejected problems=" + strconv.Itoa(rep.Total) + " sha256=" + job.SHA256})
	})
	if err != nil {
		return Job{}, err
	}
	return job, rep.Err()
}

func jobSubject(id int64) audit.Subject {
	return audit.Subject{Type: "linkage_job", ID: strconv.FormatInt(id, 10)}
}

// earlier finds the job that applied or holds the same file. A job left
// pending without a review change is what a crash between staging the
// file and filing it left: it is ended and purged, and the file may come
// again.
func (s *Service) earlier(ctx context.Context, job Job) (Job, bool, error) {
	var j Job
	err := s.db.ReadIn(ctx, job.Tenant, func(q store.Querier) error {
		var err error
		j, err = scanJob(q.QueryRow(ctx, selectJob+` WHERE tenant_code = $1 AND partner = $2 AND layout = $3 AND sha256 = $4
			AND outcome IN ('applied', 'pending')`, job.Tenant, job.Partner, job.Layout, job.SHA256))
		return store.ScanErr(err, "linkage job")
	})
	if errs.Is(err, errs.NotFound) {
		return Job{}, false, nil
	}
	if err != nil {
		return Job{}, false, err
	}
	if j.Outcome == Pending && j.ReviewChange == 0 && !heldForPartner(j) {
		if err := s.end(ctx, j, Declined, "system:orphan"); err != nil {
			return Job{}, false, err
		}
		return Job{}, false, nil
	}
	return j, true, nil
}

func errReplay(earlier Job) error {
	when := earlier.StartedAt.In(jst).Format("2006-01-02 15:04")
	return errs.Tell(errs.Conflict, errs.Message{
		JA: fmt.Sprintf("このファイルは第%d号の取込（%s）ですでに取り込まれています。同じファイルを二度取り込むことはできません。", earlier.ID, when),
		EN: fmt.Sprintf("This file was already imported as job %d (%s): the same file is never applied twice.", earlier.ID, when),
	}, "replay of job %d: sha256 %s", earlier.ID, earlier.SHA256)
}

// replay records a refused replay, naming the earlier job.
func (s *Service) replay(ctx context.Context, job Job, earlier Job) (Job, error) {
	job.Outcome, job.Earlier, job.EndedAt = Replay, earlier.ID, s.now().UTC()
	err := s.db.TransactIn(ctx, job.Tenant, func(tx *store.Tx) (err error) {
		if job, err = insertJob(ctx, tx, job); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: job.Tenant, Action: "linkage.import", Subject: jobSubject(job.ID), Outcome: audit.Denied,
			Detail: "partner=" + job.Partner + " layout=" + job.Layout + " outcome=replay earlier=" + strconv.FormatInt(earlier.ID, 10) + " sha256=" + job.SHA256})
	})
	if err != nil {
		return Job{}, err
	}
	return job, errReplay(earlier)
}

// replayOr turns the unique index's conflict — another import of the same
// file won meanwhile — into a recorded replay.
func (s *Service) replayOr(ctx context.Context, job Job, err error) (Job, error) {
	if !errs.Is(err, errs.Conflict) || errors.Is(err, errFileChanged) {
		return Job{}, err
	}
	earlier, found, ferr := s.earlier(ctx, job)
	if ferr != nil || !found {
		return Job{}, err
	}
	return s.replay(ctx, job, earlier)
}

// relevanceErr carries the problems the applying transaction found, which
// rolled it back.
type relevanceErr struct{ rep *Report }

func (e *relevanceErr) Error() string { return "linkage: records do not fit the database" }

// applyNow applies a checked file in one transaction: the job, every
// record, the municipality's checks against the database and the audit
// event commit together or not at all, so a crash leaves nothing and a
// rerun applies the file once.
func (s *Service) applyNow(ctx context.Context, req ImportRequest, job Job, l *Layout, in inbound, rep *Report) (Job, *Report, error) {
	job.Outcome = Applied
	err := s.db.TransactOnce(ctx, func(tx *store.Tx) error {
		var err error
		if job, err = insertJob(ctx, tx, job); err != nil {
			return err
		}
		rc, err := req.Open()
		if err != nil {
			return err
		}
		defer rc.Close()
		start := time.Now()
		n, err := s.write(ctx, tx, job, l, in, counted(rc, req.Progress, "apply"), rep.SHA256)
		if err != nil {
			return err
		}
		req.phase("write", start)
		start = time.Now()
		if rel, err := s.relevance(ctx, tx, job, in); err != nil || rel.rep.Total > 0 {
			return errors.Join(err, rel)
		}
		req.phase("relevance", start)
		start = time.Now()
		if a, ok := in.(applier); ok {
			if err := a.apply(ctx, tx, job.Tenant, job.ID); err != nil {
				return err
			}
		}
		req.phase("apply", start)
		job.Applied, job.EndedAt = n, s.now().UTC()
		if _, err := tx.Exec(ctx, `UPDATE linkage_jobs SET applied = $1, ended_at = $2 WHERE id = $3`, n, job.EndedAt, job.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: job.Tenant, Action: "linkage.import", Subject: jobSubject(job.ID), Outcome: audit.OK,
			Detail: "partner=" + job.Partner + " layout=" + job.Layout + " outcome=applied records=" + strconv.Itoa(n) + " sha256=" + job.SHA256})
	})
	var re *relevanceErr
	if errors.As(err, &re) && re != nil && re.rep.Total > 0 {
		job.ID, job.Applied = 0, 0
		job, err = s.reject(ctx, job, re.rep)
		return job, re.rep, err
	}
	if err != nil {
		job.ID = 0
		job, err = s.replayOr(ctx, job, err)
		return job, rep, err
	}
	return job, rep, nil
}

// relevance runs the layout's checks against the database.
func (s *Service) relevance(ctx context.Context, tx *store.Tx, job Job, in inbound) (*relevanceErr, error) {
	rep := &Report{Layout: job.Layout, Version: job.Version, Records: job.Records, SHA256: job.SHA256, Bytes: job.Bytes, max: 1000}
	err := in.relevance(ctx, tx, job.Tenant, job.ID, func(line int, field string, why errs.Message) {
		rep.add(Problem{Line: line, Record: "data", Field: field, Reason: why})
	})
	return &relevanceErr{rep: rep}, err
}

// write parses the file again and writes its data records as rows of the
// layout's table, in batches handed from the parsing goroutine to the
// transaction's. The bytes must be those checked: a different SHA-256, or
// a record that no longer passes, fails the transaction.
func (s *Service) write(ctx context.Context, tx *store.Tx, job Job, l *Layout, in inbound, r io.Reader, sum string) (int, error) {
	e := tx.Engine()
	cols := append([]string{"tenant_code", "job_id", "line"}, in.columns()...)
	n, err := CopyRecords(ctx, tx, in.table(), cols, Checked{R: r, Layout: l, Options: Options{MaxBytes: s.maxBytes}, SHA256: sum, Changed: errFileChanged},
		func(rec *Record) ([]any, error) {
			row := append(make([]any, 0, 3+len(in.columns())), job.Tenant, job.ID, rec.Line)
			return append(row, in.row(e, rec)...), nil
		})
	return int(n), err
}

// heldPayload is what the review change of a held import carries: the
// job, whose file waits in staging.
type heldPayload struct {
	Job    int64  `json:"job"`
	SHA256 string `json:"sha256"`
}

// hold stages a checked file and files it for confirmation: the job is
// pending, the file kept in staging until the job ends.
func (s *Service) hold(ctx context.Context, req ImportRequest, job Job, l *Layout) (Job, error) {
	job.Outcome = Pending
	err := s.db.TransactOnce(ctx, func(tx *store.Tx) error {
		var err error
		if job, err = insertJob(ctx, tx, job); err != nil {
			return err
		}
		rc, err := req.Open()
		if err != nil {
			return err
		}
		defer rc.Close()
		if err := stage(ctx, tx, job, counted(rc, req.Progress, "apply"), l, s.maxBytes); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: job.Tenant, Action: "linkage.import", Subject: jobSubject(job.ID), Outcome: audit.OK,
			Detail: "partner=" + job.Partner + " layout=" + job.Layout + " outcome=pending records=" + strconv.Itoa(job.Records) + " sha256=" + job.SHA256})
	})
	if err != nil {
		job.ID = 0
		return s.replayOr(ctx, job, err)
	}
	if req.Maker == nil { // pushed by the partner: it waits in the partners' queue
		return job, nil
	}
	payload, _ := json.Marshal(heldPayload{Job: job.ID, SHA256: job.SHA256})
	c, err := s.reviews.Submit(ctx, *req.Maker, job.Tenant, review.Proposal{Kind: KindImport, Subject: jobSubject(job.ID),
		Summary: fmt.Sprintf("%s %s v%d: %d件 (%s)", job.Partner, job.Layout, job.Version, job.Records, job.FileName), Payload: payload})
	if err != nil {
		if eerr := s.end(ctx, job, Declined, "system:unfiled"); eerr != nil {
			return Job{}, eerr
		}
		return Job{}, err
	}
	job.ReviewChange = c.ID
	err = s.db.TransactIn(ctx, job.Tenant, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE linkage_jobs SET review_change = $1 WHERE id = $2 AND tenant_code = $3`, c.ID, job.ID, job.Tenant)
		return err
	})
	return job, err
}

// stage copies the file into staging rows, checking that it is the file
// checked.
func stage(ctx context.Context, tx *store.Tx, job Job, r io.Reader, l *Layout, maxBytes int64) error {
	var buf bytes.Buffer
	seq := 0
	flush := func() error {
		if buf.Len() == 0 {
			return nil
		}
		_, err := tx.Exec(ctx, `INSERT INTO linkage_staging (tenant_code, job_id, seq, chunk) VALUES ($1, $2, $3, $4)`,
			job.Tenant, job.ID, seq, bytes.Clone(buf.Bytes()))
		seq++
		buf.Reset()
		return err
	}
	var werr error
	tee := io.TeeReader(r, writerFunc(func(p []byte) (int, error) {
		total := len(p)
		for len(p) > 0 && werr == nil {
			n := min(len(p), chunkSize-buf.Len())
			buf.Write(p[:n])
			p = p[n:]
			if buf.Len() == chunkSize {
				werr = flush()
			}
		}
		return total, werr
	}))
	rep, err := Parse(tee, l, Options{MaxBytes: maxBytes}, nil)
	if err != nil {
		return err
	}
	if werr != nil {
		return werr
	}
	if rep.SHA256 != job.SHA256 || !rep.OK() {
		return errFileChanged
	}
	return flush()
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// ApplyHeld applies a held file once a second person confirms it, inside
// the confirming transaction: the file is read from staging and checked
// against the database again, its records written, and the staging purged
// (R-LNK-1). A record that no longer fits fails the confirmation; the
// checker then rejects the change and the file is purged.
func (s *Service) ApplyHeld(ctx context.Context, tx *store.Tx, tenant string, payload []byte) error {
	var h heldPayload
	if err := json.Unmarshal(payload, &h); err != nil {
		return errs.Wrap(errs.Internal, err, "linkage: held import payload")
	}
	job, err := scanJob(tx.QueryRow(ctx, selectJob+` WHERE tenant_code = $1 AND id = $2`, tenant, h.Job))
	if err != nil {
		return store.ScanErr(err, "linkage job")
	}
	if job.Outcome != Pending {
		return errs.E(errs.Conflict, "linkage: job %d is %s, not pending", job.ID, job.Outcome)
	}
	l, err := Lookup(job.Layout, job.Version)
	if err != nil {
		return err
	}
	in := s.inbound[job.Layout]
	if in == nil {
		return errs.E(errs.Internal, "linkage: no applier for layout %s", job.Layout)
	}
	var file bytes.Buffer
	err = store.Each(func(row store.Scanner) error {
		var chunk []byte
		if err := row.Scan(&chunk); err != nil {
			return err
		}
		file.Write(chunk)
		return nil
	})(tx.Query(ctx, `SELECT chunk FROM linkage_staging WHERE tenant_code = $1 AND job_id = $2 ORDER BY seq`, tenant, job.ID))
	if err != nil {
		return err
	}
	n, err := s.write(ctx, tx, job, l, in, &file, job.SHA256)
	if err != nil {
		return err
	}
	if rel, err := s.relevance(ctx, tx, job, in); err != nil {
		return err
	} else if rel.rep.Total > 0 {
		return rel.rep.Err()
	}
	if a, ok := in.(applier); ok {
		if err := a.apply(ctx, tx, tenant, job.ID); err != nil {
			return err
		}
	}
	job.Applied = n
	by := actorOf(ctx)
	if _, err := tx.Exec(ctx, `UPDATE linkage_jobs SET outcome = 'applied', applied = $1, ended_at = $2, decided_by = $3 WHERE id = $4`,
		n, s.now().UTC(), by, job.ID); err != nil {
		return err
	}
	if err := purge(ctx, tx, job); err != nil {
		return err
	}
	return audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: "linkage.import", Subject: jobSubject(job.ID), Outcome: audit.OK,
		Detail: "partner=" + job.Partner + " layout=" + job.Layout + " outcome=applied records=" + strconv.Itoa(n) + " sha256=" + job.SHA256 +
			" change=" + strconv.FormatInt(job.ReviewChange, 10)})
}

// purge deletes what a job kept in staging and records the purge.
func purge(ctx context.Context, tx *store.Tx, job Job) error {
	res, err := tx.Exec(ctx, `DELETE FROM linkage_staging WHERE tenant_code = $1 AND job_id = $2`, job.Tenant, job.ID)
	if err != nil {
		return err
	}
	rows, _ := res.RowsAffected()
	return audit.Record(ctx, tx, audit.Event{Tenant: job.Tenant, Action: "linkage.purge", Subject: jobSubject(job.ID), Outcome: audit.OK,
		Detail: "staging_rows=" + strconv.FormatInt(rows, 10) + " sha256=" + job.SHA256})
}

// end ends a held job without applying it and purges its staging.
func (s *Service) end(ctx context.Context, job Job, outcome, by string) error {
	return s.db.TransactIn(ctx, job.Tenant, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE linkage_jobs SET outcome = $1, ended_at = $2, decided_by = $3 WHERE id = $4 AND tenant_code = $5 AND outcome = 'pending'`,
			outcome, s.now().UTC(), by, job.ID, job.Tenant)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // ended meanwhile
		}
		if err := audit.Record(ctx, tx, audit.Event{Tenant: job.Tenant, Action: "linkage.import", Subject: jobSubject(job.ID), Outcome: audit.Failed,
			Detail: "partner=" + job.Partner + " layout=" + job.Layout + " outcome=" + outcome + " by=" + by + " sha256=" + job.SHA256}); err != nil {
			return err
		}
		return purge(ctx, tx, job)
	})
}

// PurgeDeclined ends every held job whose review change a checker
// rejected (or its maker withdrew) and purges its staging; it returns how
// many it ended.
func (s *Service) PurgeDeclined(ctx context.Context) (int, error) {
	all := store.WithScope(ctx, store.AllTenants) // system work over every municipality
	var held []Job
	err := s.db.Read(all, func(q store.Querier) (err error) {
		held, err = store.Rows(scanJob)(q.Query(all, selectJob+` WHERE outcome = 'pending' AND review_change IS NOT NULL ORDER BY id`))
		return err
	})
	if err != nil {
		return 0, err
	}
	ended := 0
	for _, j := range held {
		c, err := s.reviews.Get(ctx, j.Tenant, j.ReviewChange)
		if err != nil {
			return ended, err
		}
		if c.Status != review.Rejected && c.Status != review.Withdrawn {
			continue
		}
		by := c.Checker
		if by == "" {
			by = c.Maker
		}
		if err := s.end(store.WithScope(ctx, j.Tenant), j, Declined, by); err != nil {
			return ended, err
		}
		ended++
	}
	return ended, nil
}

// counted tells progress how many bytes r has given.
func counted(r io.Reader, progress func(string, int64), pass string) io.Reader {
	if progress == nil {
		return r
	}
	return &progressReader{r: r, fn: progress, pass: pass}
}

type progressReader struct {
	r    io.Reader
	fn   func(string, int64)
	pass string
	n    int64
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n += int64(n)
	p.fn(p.pass, p.n)
	return n, err
}
