package web

import (
	"net/http"
	"strconv"

	"bango/internal/access"
	"bango/internal/errs"
	"bango/internal/identity"
	"bango/internal/linkage"
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
	Runs        []linkage.Run
	Files       []linkage.Job
	CanDecide   bool
	CanRun      bool
	Jobs        []linkage.JobDef
	RunsMore    bool
	FilesCursor string
}

var linkageNotices = map[string]string{"decided": "linkage.decided", "done": "linkage.move.done"}

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
	list, err := s.biz.Linkage.NHIMoves(r.Context(), sess.Tenant, "")
	if err != nil {
		return err
	}
	return s.renderLinkage(w, r, http.StatusOK, "linkage.moves.title", &linkageData{View: "moves", Moves: list,
		CanDecide: rightsFrom(r.Context()).Has(access.NHIWrite, sess.Tenant)}, refusal{}, nil)
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

// linkageJobsPage is the history of the linkage jobs' runs (with the
// progress of those running) and of the files exchanged.
func (s *Server) linkageJobsPage(w http.ResponseWriter, r *http.Request) error {
	sess := sessionFrom(r.Context())
	runs, err := s.biz.Linkage.Runs(r.Context(), sess.Tenant, "", 50)
	if err != nil {
		return err
	}
	files, err := s.biz.Linkage.History(r.Context(), sess.Tenant, r.URL.Query().Get("cursor"), 50)
	if err != nil {
		return err
	}
	return s.renderLinkage(w, r, http.StatusOK, "linkage.jobs.title", &linkageData{View: "jobs", Runs: runs.Items, Files: files.Items,
		RunsMore: runs.More, FilesCursor: files.Next, Jobs: linkage.Jobs()}, refusal{}, nil)
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
	list, err := s.biz.Linkage.NHIMoves(r.Context(), sessionFrom(r.Context()).Tenant, r.URL.Query().Get("status"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(list))
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
				query:   []apiParam{{"status", "string", "open: not yet dealt with; absent: all"}}, answer: linkageList[linkage.NHIMove]{}},
			{pattern: "POST /api/v1/linkage/moves/{job}/{line}/done", gate: loggedIn, perm: write, where: currentTenant, json: true, h: s.apiLinkageMoveDone,
				summary: "Mark a move on the NHI work list as dealt with", answer: linkageMoveAnswer{}},
			{pattern: "GET /api/v1/linkage/highcost/{code}", gate: loggedIn, perm: read, where: currentTenant, json: true, h: s.apiLinkageHighCost,
				summary: "The high-cost counts (高額該当回数) the aggregation system sent for a resident, the newest month of care first", answer: linkageList[linkage.HighCost]{}},
			{pattern: "GET /api/v1/linkage/runs", gate: loggedIn, perm: run, where: currentTenant, json: true, h: s.apiLinkageRuns,
				summary: "The linkage jobs' runs, newest first: started, ended, records, outcome, report, and the progress of a running one",
				query:   cursor, answer: store.Page[linkage.Run]{}},
			{pattern: "GET /api/v1/linkage/files", gate: loggedIn, perm: run, where: currentTenant, json: true, h: s.apiLinkageFiles,
				summary: "The files imported and exported, newest first, with their outcome and report", query: cursor, answer: store.Page[linkage.Job]{}},
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
	"linkage.col.resident":             {"宛名番号", "Resident code"},
	"linkage.col.kind":                 {"異動", "Move"},
	"linkage.col.effective":            {"異動日", "Effective"},
	"linkage.kind.moved_out":           {"転出", "moved out"},
	"linkage.kind.deceased":            {"死亡", "died"},
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
}
