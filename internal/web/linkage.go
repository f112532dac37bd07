package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"bango/internal/access"
	"bango/internal/errs"
	"bango/internal/identity"
	"bango/internal/linkage"
	"bango/internal/review"
	"bango/internal/store"
)

// The NHI section's screens of the data linkage (issue 20; R-NHI-8,
// R-LNK-1): the household-continuity judgements the aggregation system
// sent, to confirm or correct; the reports it distributed, with who
// opened each; the insured who moved out or died by the resident-records
// differences; and the history of the linkage jobs and files. Partners'
// machines have their own routes (linkagepartner.go); these are staff's.

// linkageData is one of the linkage pages.
type linkageData struct {
	View        string // continuity, reports, report, moves, jobs
	Continuity  []linkage.Continuity
	Reports     []linkage.DistributedReport
	Report      linkage.DistributedReport
	Moves       []linkage.NHIMove
	MovesStatus string // the work list's filter: open, or "" for every move
	MovesNext   string // the cursor of the work list's next page
	Runs        []linkage.Run
	Files       []linkage.Job
	CanDecide   bool
	CanRun      bool
	Jobs        []linkage.JobDef
	RunsMore    bool
	FilesCursor string
	// The jobs page: the municipality's schedules, the one being edited,
	// and whether a run is going on (the page then asks again).
	Schedules []linkageSchedule
	Edit      *linkageSchedule
	Running   bool
	// The import page: the inbound routes a file may come by, and the
	// report of a file refused.
	Routes   []linkageRoute
	Rejected *linkage.Report
	Imported *linkage.Job
	// The insurer page: the numbers configured, the one in force today,
	// and a new one waiting for its checker.
	Insurers       []linkage.InsurerNumber
	InsurerInForce string
	InsurerWaiting *linkage.PendingInsurer
}

// linkageSchedule is a schedule with its job's title.
type linkageSchedule struct {
	linkage.Schedule
	Title string
	// Waiting is a change of its times filed and waiting for a second
	// person, if any: shown beside the times still in force.
	Waiting *linkage.PendingSchedule
}

// linkageRoute is one inbound partner and layout a file may come by.
type linkageRoute struct {
	Value, Partner, Layout, Title string
	Confirm                       bool
}

var linkageNotices = map[string]string{"decided": "linkage.decided", "done": "linkage.move.done", "filed": "linkage.schedule.filed",
	"started": "linkage.run.started", "applied": "linkage.import.applied", "held": "linkage.import.held",
	"insurer": "linkage.insurer.filed"}

func (s *Server) renderLinkage(w http.ResponseWriter, r *http.Request, status int, title string, d *linkageData, problem refusal, form map[string]string) error {
	p := s.newPage(r, title, sessionFrom(r.Context()))
	p.fill(r, d, problem, form, linkageNotices)
	return s.render(w, r, status, "linkage", p)
}

func (s *Server) linkageContinuityData(r *http.Request) (*linkageData, error) {
	sess := sessionFrom(r.Context())
	list, err := s.biz.Linkage.ContinuityWork(r.Context(), sess.Tenant, "")
	if err != nil {
		return nil, err
	}
	return &linkageData{View: "continuity", Continuity: list, CanDecide: rightsFrom(r.Context()).Has(access.NHIWrite, sess.Tenant)}, nil
}

func (s *Server) linkageContinuityPage(w http.ResponseWriter, r *http.Request) error {
	d, err := s.linkageContinuityData(r)
	if err != nil {
		return err
	}
	return s.renderLinkage(w, r, http.StatusOK, "linkage.continuity.title", d, refusal{}, nil)
}

func pathInts(r *http.Request) (int64, int, error) {
	job, err1 := strconv.ParseInt(r.PathValue("job"), 10, 64)
	line, err2 := strconv.Atoi(r.PathValue("line"))
	if err1 != nil || err2 != nil {
		return 0, 0, errs.E(errs.NotFound, "no such item %s/%s", r.PathValue("job"), r.PathValue("line"))
	}
	return job, line, nil
}

var linkageDecideFields = []string{"decision", "note"}

func (s *Server) linkageDecidePost(w http.ResponseWriter, r *http.Request) error {
	job, line, err := pathInts(r)
	if err != nil {
		return err
	}
	f, err := postedForm(r, linkageDecideFields...)
	if err != nil {
		return err
	}
	_, err = s.biz.Linkage.DecideContinuity(r.Context(), sessionFrom(r.Context()).Tenant, linkage.ContinuityDecision{Job: job, Line: line,
		Decision: f["decision"], Note: f["note"]})
	if err != nil {
		return formProblem(r, err, func(status int, msg refusal) error {
			d, err := s.linkageContinuityData(r)
			if err != nil {
				return err
			}
			f["item"] = r.PathValue("job") + "/" + r.PathValue("line")
			return s.renderLinkage(w, r, status, "linkage.continuity.title", d, msg, f)
		})
	}
	http.Redirect(w, r, "/linkage/continuity?done=decided", http.StatusSeeOther)
	return nil
}

func (s *Server) linkageReportsPage(w http.ResponseWriter, r *http.Request) error {
	list, err := s.biz.Linkage.Reports(r.Context(), sessionFrom(r.Context()).Tenant)
	if err != nil {
		return err
	}
	return s.renderLinkage(w, r, http.StatusOK, "linkage.reports.title", &linkageData{View: "reports", Reports: list}, refusal{}, nil)
}

func (s *Server) linkageReportPage(w http.ResponseWriter, r *http.Request) error {
	job, err := strconv.ParseInt(r.PathValue("job"), 10, 64)
	if err != nil {
		return errs.E(errs.NotFound, "no such report")
	}
	rep, err := s.biz.Linkage.OpenReport(r.Context(), sessionFrom(r.Context()).Tenant, job, r.PathValue("no"))
	if err != nil {
		return err
	}
	return s.renderLinkage(w, r, http.StatusOK, "linkage.report.title", &linkageData{View: "report", Report: rep}, refusal{}, nil)
}

func (s *Server) linkageMovesPage(w http.ResponseWriter, r *http.Request) error {
	sess := sessionFrom(r.Context())
	q := r.URL.Query()
	page, err := s.biz.Linkage.NHIMoves(r.Context(), sess.Tenant, q.Get("status"), q.Get("cursor"), 100)
	if err != nil {
		return err
	}
	return s.renderLinkage(w, r, http.StatusOK, "linkage.moves.title", &linkageData{View: "moves", Moves: page.Items,
		MovesStatus: q.Get("status"), MovesNext: page.Next, CanDecide: rightsFrom(r.Context()).Has(access.NHIWrite, sess.Tenant)}, refusal{}, nil)
}

func (s *Server) linkageMoveDonePost(w http.ResponseWriter, r *http.Request) error {
	job, line, err := pathInts(r)
	if err != nil {
		return err
	}
	if _, err := postedForm(r); err != nil {
		return err
	}
	if err := s.biz.Linkage.DoneNHIMove(r.Context(), sessionFrom(r.Context()).Tenant, job, line); err != nil {
		return err
	}
	http.Redirect(w, r, "/linkage/moves?done=done", http.StatusSeeOther)
	return nil
}

// linkageJobsPage is the municipality's schedules (each with "run now"
// and a change of its times, filed for a second person), the history of
// the jobs' runs with the progress of those running — the page asks again
// every two seconds while one runs — and the files exchanged.
func (s *Server) linkageJobsPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderLinkageJobs(w, r, http.StatusOK, refusal{}, nil)
}

func (s *Server) renderLinkageJobs(w http.ResponseWriter, r *http.Request, status int, problem refusal, form map[string]string) error {
	sess := sessionFrom(r.Context())
	scheds, err := s.biz.Linkage.Schedules(r.Context(), sess.Tenant)
	if err != nil {
		return err
	}
	runs, err := s.biz.Linkage.Runs(r.Context(), sess.Tenant, "", 50)
	if err != nil {
		return err
	}
	files, err := s.biz.Linkage.History(r.Context(), sess.Tenant, r.URL.Query().Get("cursor"), 50)
	if err != nil {
		return err
	}
	waiting, err := s.biz.Linkage.PendingSchedules(r.Context(), sess.Tenant)
	if err != nil {
		return err
	}
	d := &linkageData{View: "jobs", Runs: runs.Items, Files: files.Items, RunsMore: runs.More, FilesCursor: files.Next, Jobs: linkage.Jobs()}
	edit := r.URL.Query().Get("edit")
	if form != nil {
		edit = form["job"]
	}
	for _, sc := range scheds {
		ls := linkageSchedule{Schedule: sc, Title: sc.Job}
		if p, ok := waiting[sc.Job]; ok {
			ls.Waiting = &p
		}
		if j, err := linkage.JobByName(sc.Job); err == nil {
			ls.Title = j.Title.In(lang(r))
		}
		d.Schedules = append(d.Schedules, ls)
		if sc.Job == edit {
			d.Edit = &d.Schedules[len(d.Schedules)-1]
		}
	}
	if d.Edit != nil && form == nil {
		form = map[string]string{"job": d.Edit.Job, "period": d.Edit.Period, "day": strconv.Itoa(d.Edit.Day), "hour": strconv.Itoa(d.Edit.Hour),
			"enabled": boolOn(d.Edit.Enabled)}
	}
	for _, run := range runs.Items {
		if run.Outcome == linkage.RunRunning {
			d.Running = true
		}
	}
	if d.Running && status == http.StatusOK && d.Edit == nil {
		// The refresh names the page without the run's #fragment: a
		// refresh to the same address with a fragment is a jump within the
		// page, which Chromium does without loading it again. The notice
		// of the start is said once, not on every refresh.
		again := *r.URL
		q := again.Query()
		q.Del("done")
		again.RawQuery, again.Fragment = q.Encode(), ""
		w.Header().Set("Refresh", "2; url="+again.RequestURI())
	}
	return s.renderLinkage(w, r, status, "linkage.jobs.title", d, problem, form)
}

func boolOn(b bool) string {
	if b {
		return "on"
	}
	return ""
}

// linkageRunPost starts a job now; the jobs page shows its progress.
func (s *Server) linkageRunPost(w http.ResponseWriter, r *http.Request) error {
	if _, err := postedForm(r); err != nil {
		return err
	}
	run, err := s.biz.Linkage.StartJob(r.Context(), sessionFrom(r.Context()).Tenant, r.PathValue("job"), "manual")
	if err != nil {
		return formProblem(r, err, func(status int, msg refusal) error { return s.renderLinkageJobs(w, r, status, msg, nil) })
	}
	http.Redirect(w, r, "/linkage/jobs?done=started#run-"+strconv.FormatInt(run.ID, 10), http.StatusSeeOther)
	return nil
}

var linkageScheduleFields = []string{"period", "day", "hour", "enabled"}

// scheduleChange reads a change of a job's times as posted.
func scheduleChange(job string, f map[string]string) (linkage.ScheduleChange, error) {
	ch := linkage.ScheduleChange{Job: job, Period: f["period"], Enabled: f["enabled"] != ""}
	var fe errs.FieldErrors
	num := func(field string, to *int, msg errs.Message) {
		n, err := strconv.Atoi(f[field])
		if err != nil {
			fe.Add(field, msg)
		}
		*to = n
	}
	num("hour", &ch.Hour, errs.Message{JA: "時は0から23までの数字です（日本時間）", EN: "the hour is 0 to 23 (Japan time)"})
	if ch.Period == linkage.Monthly {
		num("day", &ch.Day, errs.Message{JA: "日は1から28までの数字です（どの月にもある日）", EN: "the day is 1 to 28 (a day every month has)"})
	}
	return ch, fe.Err()
}

// linkageSchedulePost files a change of a job's schedule for a second
// person's confirmation (linkage.KindSchedule).
func (s *Server) linkageSchedulePost(w http.ResponseWriter, r *http.Request) error {
	f, err := postedForm(r, linkageScheduleFields...)
	if err != nil {
		return err
	}
	sess := sessionFrom(r.Context())
	job := r.PathValue("job")
	ch, err := scheduleChange(job, f)
	if err == nil {
		_, err = s.biz.Linkage.ProposeSchedule(r.Context(), sess.User, sess.Tenant, ch)
	}
	if err != nil {
		f["job"] = job
		return formProblem(r, err, func(status int, msg refusal) error { return s.renderLinkageJobs(w, r, status, msg, f) })
	}
	http.Redirect(w, r, "/linkage/jobs?done=filed", http.StatusSeeOther)
	return nil
}

// maxLinkageUpload is the largest file a linkage operator uploads on the
// import page; bigger files come by the partner's line or the command.
const maxLinkageUpload = 256 << 20

// linkageRoutes are the inbound partners and layouts configured for the
// session's municipality: there is no default route (R-LNK-4).
func (s *Server) linkageRoutes(r *http.Request) ([]linkageRoute, error) {
	partners, err := s.biz.Linkage.Partners(r.Context(), sessionFrom(r.Context()).Tenant)
	if err != nil {
		return nil, err
	}
	var out []linkageRoute
	for _, p := range partners {
		if p.Direction != linkage.Inbound || !p.Active {
			continue
		}
		for _, l := range p.Layouts {
			title := l
			if lay, err := linkage.Lookup(l, 0); err == nil {
				title = lay.Title.In(lang(r))
			}
			out = append(out, linkageRoute{Value: p.ID + "/" + l, Partner: p.ID, Layout: l, Title: title, Confirm: p.Confirm})
		}
	}
	return out, nil
}

func (s *Server) renderLinkageImport(w http.ResponseWriter, r *http.Request, status int, rep *linkage.Report, problem refusal, form map[string]string) error {
	routes, err := s.linkageRoutes(r)
	if err != nil {
		return err
	}
	d := &linkageData{View: "import", Routes: routes, Rejected: rep}
	if id, err := strconv.ParseInt(r.URL.Query().Get("job"), 10, 64); err == nil && rep == nil {
		job, err := s.biz.Linkage.Job(r.Context(), sessionFrom(r.Context()).Tenant, id)
		if err != nil {
			return err
		}
		d.Imported = &job
	}
	return s.renderLinkage(w, r, status, "linkage.import.title", d, problem, form)
}

func (s *Server) linkageImportPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderLinkageImport(w, r, http.StatusOK, nil, refusal{}, nil)
}

// linkageImportPost imports an uploaded file exactly as `bango linkage
// import` does: checked whole first, any problem rejects it with its
// report (line, field, reason) and nothing is applied (R-ACC-5); a good
// one is applied in one transaction, or held for a second person when its
// partner is configured so (the operator is the maker).
func (s *Server) linkageImportPost(w http.ResponseWriter, r *http.Request) error {
	sess := sessionFrom(r.Context())
	up, upErr := takeUpload(r) // first: the form's fields may follow the file
	if up != nil {
		defer up.spool.Destroy()
	}
	form := map[string]string{"route": r.PostFormValue("route")}
	rerender := func(rep *linkage.Report) func(int, refusal) error {
		return func(status int, msg refusal) error { return s.renderLinkageImport(w, r, status, rep, msg, form) }
	}
	partner, layout, ok := strings.Cut(form["route"], "/")
	if !ok || partner == "" || layout == "" {
		fe := &errs.FieldErrors{}
		fe.Add("route", errs.Message{JA: "連携先とレイアウトを選んでください", EN: "choose the partner and layout"})
		return formProblem(r, fe.Err(), rerender(nil))
	}
	if upErr != nil {
		return formProblem(r, upErr, rerender(nil))
	}
	name, open := up.name, up.spool.Open
	u := sess.User
	job, rep, err := s.biz.Linkage.Import(r.Context(), linkage.ImportRequest{Tenant: sess.Tenant, Partner: partner, Layout: layout, FileName: name,
		Open: open, Maker: &u})
	if err != nil {
		return formProblem(r, err, rerender(rep))
	}
	done := "applied"
	if job.Outcome == linkage.Pending {
		done = "held"
	}
	http.Redirect(w, r, "/linkage/import?done="+done+"&job="+strconv.FormatInt(job.ID, 10), http.StatusSeeOther)
	return nil
}

// linkageInsurerPage is the municipality's 保険者番号: the numbers with
// the day each is in force from, the one in force today, a new one
// waiting for its checker, and the form to file a new one
// (linkage.KindInsurer: in force only once another person confirms it).
func (s *Server) linkageInsurerPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderLinkageInsurer(w, r, http.StatusOK, refusal{}, nil)
}

func (s *Server) linkageInsurerData(r *http.Request) (*linkageData, error) {
	tenant := sessionFrom(r.Context()).Tenant
	list, err := s.biz.Linkage.InsurerNumbers(r.Context(), tenant)
	if err != nil {
		return nil, err
	}
	waiting, err := s.biz.Linkage.PendingInsurerNumber(r.Context(), tenant)
	if err != nil {
		return nil, err
	}
	d := &linkageData{View: "insurer", Insurers: list, InsurerWaiting: waiting}
	// None in force is said on the page (and refused by the runs); any
	// other failure is the page's.
	switch n, err := s.biz.Linkage.InsurerNumberOn(r.Context(), tenant, time.Now().In(jst)); {
	case err == nil:
		d.InsurerInForce = n
	case !errs.Is(err, errs.Invalid):
		return nil, err
	}
	return d, nil
}

func (s *Server) renderLinkageInsurer(w http.ResponseWriter, r *http.Request, status int, problem refusal, form map[string]string) error {
	d, err := s.linkageInsurerData(r)
	if err != nil {
		return err
	}
	return s.renderLinkage(w, r, status, "linkage.insurer.title", d, problem, form)
}

var linkageInsurerFields = []string{"insurer", "from"}

// linkageInsurerPost files a new insurer number for a second person.
func (s *Server) linkageInsurerPost(w http.ResponseWriter, r *http.Request) error {
	f, err := postedForm(r, linkageInsurerFields...)
	if err != nil {
		return err
	}
	sess := sessionFrom(r.Context())
	if _, err := s.biz.Linkage.ProposeInsurerNumber(r.Context(), sess.User, sess.Tenant, linkage.InsurerChange{Number: f["insurer"], From: f["from"]}); err != nil {
		return formProblem(r, err, func(status int, msg refusal) error { return s.renderLinkageInsurer(w, r, status, msg, f) })
	}
	http.Redirect(w, r, "/linkage/insurer?done=insurer", http.StatusSeeOther)
	return nil
}

// linkageInsurerAnswer is the municipality's insurer numbers as the API
// answers them.
type linkageInsurerAnswer struct {
	Items   []linkage.InsurerNumber `json:"items"`
	InForce string                  `json:"in_force,omitempty"` // the number in force today (JST), if any
	Waiting *linkage.PendingInsurer `json:"waiting,omitempty"`  // a new number filed, waiting for its checker
}

func (s *Server) apiLinkageInsurer(w http.ResponseWriter, r *http.Request) error {
	d, err := s.linkageInsurerData(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, linkageInsurerAnswer{Items: nonNil(d.Insurers), InForce: d.InsurerInForce, Waiting: d.InsurerWaiting})
	return nil
}

func (s *Server) apiLinkageInsurerPropose(w http.ResponseWriter, r *http.Request) error {
	var in linkage.InsurerChange
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	sess := sessionFrom(r.Context())
	c, err := s.biz.Linkage.ProposeInsurerNumber(r.Context(), sess.User, sess.Tenant, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, c)
	return nil
}

// linkageScheduleBody is a change of a job's times, filed for a second
// person's confirmation.
type linkageScheduleBody struct {
	Period  string `json:"period"` // daily or monthly
	Day     int    `json:"day"`    // monthly: 1–28
	Hour    int    `json:"hour"`   // 0–23, Japan time
	Enabled bool   `json:"enabled"`
}

func (s *Server) apiLinkageSchedules(w http.ResponseWriter, r *http.Request) error {
	list, err := s.biz.Linkage.Schedules(r.Context(), sessionFrom(r.Context()).Tenant)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(list))
	return nil
}

func (s *Server) apiLinkageSchedule(w http.ResponseWriter, r *http.Request) error {
	var in linkageScheduleBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	sess := sessionFrom(r.Context())
	c, err := s.biz.Linkage.ProposeSchedule(r.Context(), sess.User, sess.Tenant, linkage.ScheduleChange{Job: r.PathValue("job"),
		Period: in.Period, Day: in.Day, Hour: in.Hour, Enabled: in.Enabled})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, c)
	return nil
}

func (s *Server) apiLinkageRunStart(w http.ResponseWriter, r *http.Request) error {
	run, err := s.biz.Linkage.StartJob(r.Context(), sessionFrom(r.Context()).Tenant, r.PathValue("job"), "manual")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, run)
	return nil
}

func (s *Server) apiLinkageRun(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "run")
	if err != nil {
		return err
	}
	run, err := s.biz.Linkage.RunByID(r.Context(), sessionFrom(r.Context()).Tenant, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, run)
	return nil
}

func (s *Server) apiLinkageContinuity(w http.ResponseWriter, r *http.Request) error {
	list, err := s.biz.Linkage.ContinuityWork(r.Context(), sessionFrom(r.Context()).Tenant, r.URL.Query().Get("status"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(list))
	return nil
}

// linkageList is a list the API answers.
type linkageList[T any] struct {
	Items []T `json:"items"`
}

// listOf answers list, empty rather than null.
func listOf[T any](list []T) linkageList[T] {
	if list == nil {
		list = []T{}
	}
	return linkageList[T]{Items: list}
}

// linkageDecideBody is a decision on a household-continuity judgement.
type linkageDecideBody struct {
	Job      int64  `json:"job"`
	Line     int    `json:"line"`
	Decision string `json:"decision"` // 1 継続, 2 非継続
	Note     string `json:"note"`     // required when it corrects the judgement
}

func (s *Server) apiLinkageDecide(w http.ResponseWriter, r *http.Request) error {
	var in linkageDecideBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	c, err := s.biz.Linkage.DecideContinuity(r.Context(), sessionFrom(r.Context()).Tenant, linkage.ContinuityDecision{Job: in.Job, Line: in.Line,
		Decision: in.Decision, Note: in.Note})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) apiLinkageReports(w http.ResponseWriter, r *http.Request) error {
	list, err := s.biz.Linkage.Reports(r.Context(), sessionFrom(r.Context()).Tenant)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(list))
	return nil
}

func (s *Server) apiLinkageReport(w http.ResponseWriter, r *http.Request) error {
	job, err := strconv.ParseInt(r.PathValue("job"), 10, 64)
	if err != nil {
		return errs.E(errs.NotFound, "no such report")
	}
	rep, err := s.biz.Linkage.OpenReport(r.Context(), sessionFrom(r.Context()).Tenant, job, r.PathValue("no"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

func (s *Server) apiLinkageMoves(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit := 0
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			var fe errs.FieldErrors
			fe.Add("limit", errs.Message{JA: "件数は1以上の整数です", EN: "the limit is a whole number of at least 1"})
			return fe.Err()
		}
		limit = n
	}
	page, err := s.biz.Linkage.NHIMoves(r.Context(), sessionFrom(r.Context()).Tenant, q.Get("status"), q.Get("cursor"), limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// linkageMoveAnswer is the API's answer to a move dealt with.
type linkageMoveAnswer struct {
	Job  int64 `json:"job"`
	Line int   `json:"line"`
	Done bool  `json:"done"`
}

func (s *Server) apiLinkageMoveDone(w http.ResponseWriter, r *http.Request) error {
	job, line, err := pathInts(r)
	if err != nil {
		return err
	}
	if err := s.biz.Linkage.DoneNHIMove(r.Context(), sessionFrom(r.Context()).Tenant, job, line); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, linkageMoveAnswer{Job: job, Line: line, Done: true})
	return nil
}

func (s *Server) apiLinkageHighCost(w http.ResponseWriter, r *http.Request) error {
	list, err := s.biz.Linkage.HighCostCounts(r.Context(), sessionFrom(r.Context()).Tenant, r.PathValue("code"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(list))
	return nil
}

func (s *Server) apiLinkageRuns(w http.ResponseWriter, r *http.Request) error {
	page, err := s.biz.Linkage.Runs(r.Context(), sessionFrom(r.Context()).Tenant, r.URL.Query().Get("cursor"), 50)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (s *Server) apiLinkageFiles(w http.ResponseWriter, r *http.Request) error {
	page, err := s.biz.Linkage.History(r.Context(), sessionFrom(r.Context()).Tenant, r.URL.Query().Get("cursor"), 50)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (s *Server) linkageModule() webModule {
	read, write, run := access.NHIRead, access.NHIWrite, access.LinkageRun
	cursor := []apiParam{{"cursor", "string", "the page to start at (the next cursor of the page before)"}}
	return webModule{
		name: "linkage",
		routes: []route{
			{pattern: "GET /linkage/continuity", gate: loggedIn, perm: read, where: currentTenant, h: s.linkageContinuityPage},
			{pattern: "POST /linkage/continuity/{job}/{line}", gate: loggedIn, perm: write, where: currentTenant, h: s.linkageDecidePost},
			{pattern: "GET /linkage/reports", gate: loggedIn, perm: read, where: currentTenant, h: s.linkageReportsPage},
			{pattern: "GET /linkage/reports/{job}/{no}", gate: loggedIn, perm: read, where: currentTenant, h: s.linkageReportPage},
			{pattern: "GET /linkage/moves", gate: loggedIn, perm: read, where: currentTenant, h: s.linkageMovesPage},
			{pattern: "POST /linkage/moves/{job}/{line}/done", gate: loggedIn, perm: write, where: currentTenant, h: s.linkageMoveDonePost},
			{pattern: "GET /linkage/jobs", gate: loggedIn, perm: run, where: currentTenant, h: s.linkageJobsPage},
			{pattern: "POST /linkage/jobs/{job}/run", gate: loggedIn, perm: run, where: currentTenant, h: s.linkageRunPost},
			{pattern: "POST /linkage/jobs/{job}/schedule", gate: loggedIn, perm: run, where: currentTenant, h: s.linkageSchedulePost},
			{pattern: "GET /linkage/import", gate: loggedIn, perm: run, where: currentTenant, h: s.linkageImportPage},
			{pattern: "GET /linkage/insurer", gate: loggedIn, perm: run, where: currentTenant, h: s.linkageInsurerPage},
			{pattern: "POST /linkage/insurer", gate: loggedIn, perm: run, where: currentTenant, h: s.linkageInsurerPost},
			{pattern: "POST /linkage/import", gate: loggedIn, perm: run, where: currentTenant, h: s.linkageImportPost},
			{pattern: "GET /api/v1/linkage/continuity", gate: loggedIn, perm: read, where: currentTenant, json: true, h: s.apiLinkageContinuity,
				summary: "The household-continuity judgements (世帯継続性判定) the NHI aggregation system sent, with staff's decisions",
				query:   []apiParam{{"status", "string", "open: waiting; decided: decided and not yet sent back; absent: all"}}, answer: linkageList[linkage.Continuity]{}},
			{pattern: "POST /api/v1/linkage/continuity/decide", gate: loggedIn, perm: write, where: currentTenant, json: true, h: s.apiLinkageDecide,
				summary: "Confirm or correct a household-continuity judgement; the decision goes back in the next eligibility-continuity file",
				body:    linkageDecideBody{}, answer: linkage.Continuity{}},
			{pattern: "GET /api/v1/linkage/reports", gate: loggedIn, perm: read, where: currentTenant, json: true, h: s.apiLinkageReports,
				summary: "The reports (帳票) the NHI aggregation system distributed, with who opened each", answer: linkageList[linkage.DistributedReport]{}},
			{pattern: "GET /api/v1/linkage/reports/{job}/{no}", gate: loggedIn, perm: read, where: currentTenant, json: true, h: s.apiLinkageReport,
				summary: "Open a distributed report: its lines; the opening is recorded", answer: linkage.DistributedReport{}},
			{pattern: "GET /api/v1/linkage/moves", gate: loggedIn, perm: read, where: currentTenant, json: true, h: s.apiLinkageMoves,
				summary: "The NHI insured who moved out or died by the resident-records differences, for the loss to be recorded",
				query: []apiParam{{"status", "string", "open: not yet dealt with; absent: all"}, cursor[0],
					{"limit", "integer", "moves a page, 50 unless given, 200 at most"}}, answer: store.Page[linkage.NHIMove]{}},
			{pattern: "POST /api/v1/linkage/moves/{job}/{line}/done", gate: loggedIn, perm: write, where: currentTenant, json: true, h: s.apiLinkageMoveDone,
				summary: "Mark a move on the NHI work list as dealt with", answer: linkageMoveAnswer{}},
			{pattern: "GET /api/v1/linkage/highcost/{code}", gate: loggedIn, perm: read, where: currentTenant, json: true, h: s.apiLinkageHighCost,
				summary: "The high-cost counts (高額該当回数) the aggregation system sent for a resident, the newest month of care first", answer: linkageList[linkage.HighCost]{}},
			{pattern: "GET /api/v1/linkage/runs", gate: loggedIn, perm: run, where: currentTenant, json: true, h: s.apiLinkageRuns,
				summary: "The linkage jobs' runs, newest first: started, ended, records, outcome, report, and the progress of a running one",
				query:   cursor, answer: store.Page[linkage.Run]{}},
			{pattern: "GET /api/v1/linkage/files", gate: loggedIn, perm: run, where: currentTenant, json: true, h: s.apiLinkageFiles,
				summary: "The files imported and exported, newest first, with their outcome and report", query: cursor, answer: store.Page[linkage.Job]{}},
			{pattern: "GET /api/v1/linkage/runs/{id}", gate: loggedIn, perm: run, where: currentTenant, json: true, h: s.apiLinkageRun,
				summary: "One run of a linkage job: its progress (done of total) while it runs, then its outcome and report", answer: linkage.Run{}},
			{pattern: "POST /api/v1/linkage/jobs/{job}/run", gate: loggedIn, perm: run, where: currentTenant, json: true, h: s.apiLinkageRunStart,
				summary: "Run a linkage job now, as its schedule would; 202 with the run, whose progress GET /api/v1/linkage/runs/{id} answers",
				answer:  linkage.Run{}},
			{pattern: "GET /api/v1/linkage/schedules", gate: loggedIn, perm: run, where: currentTenant, json: true, h: s.apiLinkageSchedules,
				summary: "The municipality's schedules of the linkage jobs: when each runs (daily or monthly, day, hour in Japan) and whether it runs",
				answer:  linkageList[linkage.Schedule]{}},
			{pattern: "POST /api/v1/linkage/jobs/{job}/schedule", gate: loggedIn, perm: run, where: currentTenant, json: true, h: s.apiLinkageSchedule,
				summary: "File a change of when a linkage job runs, or whether it runs; it takes effect once another person confirms it in the review queue (202 with the change)",
				body:    linkageScheduleBody{}, answer: review.Change{}},
			{pattern: "GET /api/v1/linkage/insurer", gate: loggedIn, perm: run, where: currentTenant, json: true, h: s.apiLinkageInsurer,
				summary: "The municipality's NHI insurer numbers (保険者番号), each with the day it is in force from, the one in force today, and a new one waiting for its checker",
				answer:  linkageInsurerAnswer{}},
			{pattern: "POST /api/v1/linkage/insurer", gate: loggedIn, perm: run, where: currentTenant, json: true, h: s.apiLinkageInsurerPropose,
				summary: "File a new insurer number from a day (YYYY-MM-DD); it is in force once another person confirms it in the review queue (202 with the change)",
				body:    linkage.InsurerChange{}, answer: review.Change{}},
		},
		menu: []navItem{{Key: "nav.linkage", Href: "/linkage/continuity", perm: read}, {Key: "nav.linkage.jobs", Href: "/linkage/jobs", perm: run, under: "nav.linkage"}},
		counters: []counter{
			{id: "linkage-continuity", key: "home.linkage.continuity", href: "/linkage/continuity", perm: write, where: currentTenant,
				count: func(r *http.Request, sess *identity.Session) (int, error) {
					list, err := s.biz.Linkage.ContinuityWork(r.Context(), sess.Tenant, linkage.ContinuityOpen)
					return len(list), err
				}},
		},
	}
}

// linkageMessages are the strings of the linkage screens.
var linkageMessages = messages{
	// The words of what the NHI aggregation exchange, the resident-records
	// differences and the linkage jobs record (R-AUD-4).
	"action.linkage.continuity.list":   {"世帯継続性判定の一覧の閲覧", "Viewing of household-continuity judgements"},
	"action.linkage.continuity.decide": {"世帯継続性判定の確認・訂正", "Household-continuity judgement confirmed or corrected"},
	"action.linkage.reports.list":      {"配信帳票の一覧の閲覧", "Viewing of the list of distributed reports"},
	"action.linkage.report.open":       {"配信帳票の表示", "Distributed report opened"},
	"action.linkage.highcost.read":     {"高額該当回数の閲覧", "Viewing of high-cost counts"},
	"action.linkage.moves.list":        {"転出・死亡の確認一覧の閲覧", "Viewing of the moves to act on"},
	"action.linkage.moves.done":        {"転出・死亡の処理済み登録", "Move marked as dealt with"},
	"action.linkage.residents.apply":   {"住民記録の異動の反映", "Resident-records changes applied"},
	"action.resident.departure.read":   {"住民の転出・死亡の状態の閲覧", "Viewing of a resident's departure"},
	"action.linkage.schedule.set":      {"連携ジョブのスケジュール設定", "Linkage job schedule configured"},
	"action.linkage.run":               {"連携ジョブの実行", "Linkage job run"},
	"action.linkage.runs":              {"連携ジョブの実行履歴の閲覧", "Viewing of the linkage job runs"},
	"nav.linkage":                      {"集約システム連携", "Aggregation exchange"},
	"nav.linkage.jobs":                 {"連携ジョブ", "Linkage jobs"},
	"home.linkage.continuity":          {"世帯継続性判定の確認待ち %d 件", "%d household-continuity judgements to confirm"},
	"linkage.continuity.title":         {"世帯継続性判定の確認", "Household-continuity judgements"},
	"linkage.reports.title":            {"配信帳票", "Distributed reports"},
	"linkage.report.title":             {"配信帳票の表示", "Distributed report"},
	"linkage.moves.title":              {"転出・死亡による資格喪失の確認", "Moves out and deaths to act on"},
	"linkage.jobs.title":               {"連携ジョブと送受信の履歴", "Linkage jobs and files"},
	"linkage.tabs":                     {"集約システム連携の画面", "Aggregation exchange screens"},
	"linkage.decided":                  {"判定の確認結果を登録しました。次の資格継続情報で送信します。", "The decision is recorded; it goes back in the next eligibility-continuity file."},
	"linkage.move.done":                {"処理済みにしました。", "Marked as dealt with."},
	"linkage.continuity.help":          {"集約システムの判定を確かめ、正しければ「確認」、違えば判定を選び理由を入力して「訂正」してください。結果は次の資格継続情報ファイルで送り返します。", "Check each judgement: confirm it, or choose the other one and say why to correct it. The decisions go back in the next eligibility-continuity file."},
	"linkage.continuity.none":          {"判定はありません。", "There are no judgements."},
	"linkage.col.judgement_no":         {"判定番号", "Judgement"},
	"linkage.col.insured":              {"記号・番号・枝番", "Insured number"},
	"linkage.col.name_kana":            {"カナ氏名", "Name (kana)"},
	"linkage.col.judged_on":            {"判定日", "Judged on"},
	"linkage.col.reason":               {"契機", "Prompted by"},
	"linkage.col.judgement":            {"判定", "Judgement"},
	"linkage.col.status":               {"状態", "Status"},
	"linkage.col.decide":               {"確認・訂正", "Confirm or correct"},
	"linkage.judgement.1":              {"継続", "continuous"},
	"linkage.judgement.2":              {"非継続", "not continuous"},
	"linkage.reason.01":                {"世帯分離", "household split"},
	"linkage.reason.02":                {"世帯合併", "households merged"},
	"linkage.reason.03":                {"世帯主変更", "head changed"},
	"linkage.reason.04":                {"住所異動（市町村内）", "move within the municipality"},
	"linkage.reason.05":                {"県内転居", "move within the prefecture"},
	"linkage.reason.99":                {"その他", "other"},
	"linkage.status.open":              {"確認待ち", "waiting"},
	"linkage.status.confirmed":         {"確認済み", "confirmed"},
	"linkage.status.corrected":         {"訂正済み", "corrected"},
	"linkage.status.sent":              {"送信済み（第%d号）", "sent (file %d)"},
	"linkage.decide":                   {"登録", "Record"},
	"field.decision":                   {"確認結果", "Decision"},
	"field.linkage.note":               {"訂正の理由", "Why it is corrected"},
	"linkage.reports.none":             {"配信帳票はありません。", "There are no distributed reports."},
	"linkage.col.report":               {"帳票", "Report"},
	"linkage.col.created":              {"作成日", "Made on"},
	"linkage.col.lines":                {"行数", "Lines"},
	"linkage.col.received":             {"受信", "Received"},
	"linkage.col.opened":               {"表示した職員", "Opened by"},
	"linkage.report.opened_by":         {"この帳票を表示した職員（表示は記録されます）", "Staff who opened this report (every opening is recorded)"},
	"linkage.moves.help":               {"住民記録の異動分で転出・死亡となった国保の被保険者です。資格喪失を登録したら「処理済み」にしてください。", "NHI insured persons the resident-records differences say moved out or died. Record the loss, then mark them dealt with."},
	"linkage.moves.none":               {"確認待ちの異動はありません。", "There are no moves to act on."},
	"linkage.moves.filter":             {"表示する異動", "Moves shown"},
	"linkage.moves.all":                {"すべて", "All"},
	"linkage.moves.open":               {"確認待ちのみ", "To act on only"},
	"linkage.moves.next":               {"次の100件", "Next 100"},
	"linkage.col.resident":             {"宛名番号", "Resident code"},
	"linkage.col.kind":                 {"異動", "Move"},
	"linkage.col.effective":            {"異動日", "Effective"},
	"linkage.kind.moved_out":           {"転出", "moved out"},
	"linkage.kind.deceased":            {"死亡", "died"},
	"linkage.schedule.waiting":         {"変更申請中（第%d号、%sが%sに申請、確認待ち）: %s", "Change waiting for a checker (no. %d, filed by %s on %s): %s"},
	"linkage.kind.returned":            {"再転入（国保の再加入を確認）", "came back (check the NHI acquisition)"},
	"linkage.col.entry":                {"国保の登録", "NHI entry"},
	"linkage.entry.loss":               {"資格喪失", "loss"},
	"linkage.entry.acquire":            {"資格取得", "acquisition"},
	"linkage.entry.none":               {"未登録", "none yet"},
	"linkage.move.status.open":         {"確認待ち", "to act on"},
	"linkage.move.status.done":         {"処理済み", "dealt with"},
	"linkage.move.mark":                {"処理済みにする", "Mark as dealt with"},
	"linkage.runs":                     {"ジョブの実行履歴", "Job runs"},
	"linkage.runs.none":                {"実行されたジョブはありません。", "No job has run."},
	"linkage.col.job":                  {"ジョブ", "Job"},
	"linkage.col.started":              {"開始", "Started"},
	"linkage.col.ended":                {"終了", "Ended"},
	"linkage.col.records":              {"件数", "Records"},
	"linkage.col.outcome":              {"結果", "Outcome"},
	"linkage.col.report_text":          {"報告", "Report"},
	"linkage.col.progress":             {"進捗", "Progress"},
	"linkage.run.running":              {"実行中", "running"},
	"linkage.run.ok":                   {"正常終了", "ended"},
	"linkage.run.failed":               {"異常終了", "failed"},
	"linkage.files":                    {"ファイルの送受信履歴", "Files exchanged"},
	"linkage.files.none":               {"送受信したファイルはありません。", "No file has been exchanged."},
	"linkage.col.partner":              {"連携先", "Partner"},
	"linkage.col.layout":               {"レイアウト", "Layout"},
	"linkage.col.direction":            {"方向", "Direction"},
	"linkage.direction.inbound":        {"受信", "received"},
	"linkage.direction.outbound":       {"送信", "sent"},
	"linkage.outcome.applied":          {"取込済み", "applied"},
	"linkage.outcome.pending":          {"確認待ち", "held"},
	"linkage.outcome.rejected":         {"全件拒否", "rejected whole"},
	"linkage.outcome.replay":           {"重複（拒否）", "replay (refused)"},
	"linkage.outcome.declined":         {"取消", "declined"},
	"linkage.outcome.exported":         {"作成済み", "produced"},
	"linkage.schedule":                 {"スケジュール", "Schedules"},
	"linkage.schedule.daily":           {"毎日 %d時（日本時間）から", "daily from %d:00 JST"},
	"linkage.schedule.monthly":         {"毎月%d日 %d時（日本時間）から", "monthly on day %d from %d:00 JST"},
	"linkage.more":                     {"さらに表示", "More"},
	"action.linkage.schedule.propose":  {"連携ジョブのスケジュール変更の申請", "Change of a linkage job's schedule filed"},
	"linkage.import.title":             {"連携ファイルの取込", "Import a linkage file"},
	"linkage.import.help":              {"受信した連携ファイルを取り込みます。ファイル全体を先に検査し、1件でも誤りがあれば何も取り込まず、行と項目と理由を示します。", "Import a file received from a partner. The whole file is checked first: if anything is wrong nothing is applied, and the lines, fields and reasons are listed."},
	"linkage.import.routes.none":       {"この市区町村には受信の連携先が設定されていません。情報システム担当に設定を依頼してください。", "This municipality has no inbound partner configured: ask the IS department."},
	"linkage.import.submit":            {"検査して取り込む", "Check and import"},
	"linkage.import.confirm":           {"（別の職員の確認後に反映）", "(applied once another person confirms)"},
	"linkage.import.rejected":          {"ファイルを拒否しました（誤り %d 件）。何も取り込んでいません。", "The file was rejected (%d problems). Nothing was applied."},
	"linkage.import.applied":           {"ファイルを検査し、すべて取り込みました。", "The file was checked and applied whole."},
	"linkage.import.held":              {"ファイルを検査し、確認待ちにしました。別の職員が確認すると反映されます。", "The file was checked and is held until another person confirms it."},
	"linkage.import.job":               {"取込 第%d号", "Import no. %d"},
	"linkage.col.line":                 {"行", "Line"},
	"linkage.col.field":                {"項目", "Field"},
	"linkage.col.problem":              {"理由", "Reason"},
	"linkage.col.file":                 {"ファイル", "File"},
	"linkage.col.applied":              {"反映件数", "Applied"},
	"linkage.col.when":                 {"実行時刻", "Runs"},
	"linkage.col.enabled":              {"実行", "Runs at all"},
	"linkage.enabled.yes":              {"実行する", "on"},
	"linkage.enabled.no":               {"停止中", "stopped"},
	"linkage.run.now":                  {"今すぐ実行", "Run now"},
	"linkage.run.started":              {"ジョブを開始しました。進捗は実行履歴に表示されます。", "The job has started: its progress shows in the runs below."},
	"linkage.run.refresh":              {"実行中のジョブがあるため、この画面は2秒ごとに更新されます。", "A job is running: this page refreshes every two seconds."},
	"linkage.schedule.edit":            {"時刻を変更", "Change times"},
	"linkage.schedule.edit.title":      {"「%s」の実行時刻の変更", "Change when %s runs"},
	"linkage.schedule.edit.help":       {"スケジュールの変更は統制の変更です。申請は別の職員（確認者）が確認キューで確認したときに反映されます。ご自身では確認できません。", "A schedule is a control: the change is filed and takes effect once another person confirms it in the review queue. You cannot confirm your own."},
	"linkage.schedule.file":            {"変更を申請する", "File the change"},
	"linkage.schedule.filed":           {"変更を申請しました。確認者が確認すると反映されます。", "The change is filed: it takes effect once a checker confirms it."},
	"linkage.schedule.none":            {"この市区町村にはジョブのスケジュールがありません。情報システム担当に設定を依頼してください。", "This municipality has no job schedules: ask the IS department."},
	"linkage.period.daily":             {"毎日", "Daily"},
	"linkage.period.monthly":           {"毎月", "Monthly"},
	"linkage.jobs.tabs":                {"データ連携の画面", "Data linkage screens"},
	"field.linkage.route":              {"連携先とレイアウト", "Partner and layout"},
	"field.linkage.period":             {"周期", "Period"},
	"field.linkage.day":                {"日（毎月のとき）", "Day (monthly)"},
	"field.linkage.hour":               {"時（日本時間）", "Hour (Japan time)"},
	"field.linkage.enabled":            {"実行する", "Runs"},
	"field.insurer":                    {"保険者番号", "Insurer number"},
	"action.linkage.insurer.propose":   {"保険者番号の変更の申請", "New insurer number filed"},
	"linkage.insurer.title":            {"保険者番号", "Insurer number"},
	"linkage.insurer.help":             {"資格継続情報ファイルには、作成した日に適用されている保険者番号が入ります。新しい番号は、別の職員（確認者）が確認キューで確認したときに設定されます。ご自身では確認できません。番号が設定済みのときは、適用開始日は今日以降の日付です（送信済みのファイルの番号を変えないため）。", "Every eligibility-continuity file carries the number in force on the day it is made. A new number is set once another person confirms it in the review queue; you cannot confirm your own. Once a number is configured, a new one is in force from today or a later day, so that files already sent keep theirs."},
	"linkage.insurer.none":             {"保険者番号が設定されていません。設定されるまで資格継続情報ファイルは作成されません。", "No insurer number is configured: no eligibility-continuity file is made until one is."},
	"linkage.insurer.in_force":         {"本日適用されている保険者番号: %s", "In force today: %s"},
	"linkage.insurer.not_in_force":     {"本日適用されている保険者番号はありません。", "No number is in force today."},
	"linkage.insurer.waiting":          {"変更申請中（第%d号、%sが%sに申請、確認待ち）: %s", "Waiting for a checker (no. %d, filed by %s on %s): %s"},
	"linkage.insurer.col.from":         {"適用開始日", "In force from"},
	"linkage.insurer.col.by":           {"設定", "Set by"},
	"linkage.insurer.new":              {"新しい保険者番号の申請", "File a new insurer number"},
	"linkage.insurer.file":             {"申請する", "File"},
	"linkage.insurer.filed":            {"保険者番号の変更を申請しました。確認者が確認すると設定されます。", "The new number is filed: it is set once a checker confirms it."},
}
