package web

import (
	"net/http"
	"slices"
	"strings"

	"bango/internal/access"
	"bango/internal/errs"
	"bango/internal/identity"
	"bango/internal/review"
)

// The rights pages (R-AC-2, R-AC-3): section heads apply, IS
// administrators approve, patterns are edited by those who may.

type grantsData struct {
	Members []identity.User // staff the applicant may apply for
	// Activation is a code just issued, shown once: for whom, and the code.
	ActivationFor, ActivationCode string
	Patterns                      []access.Pattern // patterns the applicant may apply for
	Tenants                       []string         // municipalities where the applicant holds grant.apply
	Grants                        []access.Grant   // a page of those staff's grants
	Next                          string           // the cursor of the next page
	Pager                         pager
}

func (s *Server) grantsData(r *http.Request) (*grantsData, error) {
	sess, rights := sessionFrom(r.Context()), rightsFrom(r.Context())
	d := &grantsData{}
	tenants, all := rights.Tenants(access.GrantApply)
	users, err := s.users.List(r.Context())
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		if u.Status != identity.Active || u.ID == sess.User.ID {
			continue
		}
		inScope := u.Tenant == "" || slices.Contains(tenants, u.Tenant)
		if all || (inScope && u.Department == sess.User.Department && u.Section == sess.User.Section) {
			d.Members = append(d.Members, u)
		}
	}
	patterns, err := s.access.Patterns(r.Context())
	if err != nil {
		return nil, err
	}
	for _, p := range patterns {
		if p.Scope == access.ScopeTenant || all {
			d.Patterns = append(d.Patterns, p)
		}
	}
	if all {
		ts, err := s.tenantCodes(r)
		if err != nil {
			return nil, err
		}
		tenants = ts
	}
	d.Tenants = tenants
	cursor, limit := pageAsked(r, "cursor")
	grants, err := s.access.Grants(r.Context(), access.GrantFilter{ActingFor: &sess.User, Cursor: cursor, Limit: limit})
	if err != nil {
		return nil, err
	}
	d.Grants, d.Next, d.Pager = grants.Items, grants.Next, pagerOf(r, grants, "/grants", "cursor")
	return d, nil
}

// tenantCodes lists every registered municipality.
func (s *Server) tenantCodes(r *http.Request) ([]string, error) {
	ts, err := s.biz.Tenants.List(r.Context())
	if err != nil {
		return nil, err
	}
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Code
	}
	return out, nil
}

func (s *Server) grantsPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderGrants(w, r, http.StatusOK, refusal{}, nil)
}

func (s *Server) renderGrants(w http.ResponseWriter, r *http.Request, status int, problem refusal, form map[string]string) error {
	p := s.newPage(r, "grants.title", sessionFrom(r.Context()))
	d, err := s.grantsData(r)
	if err != nil {
		return err
	}
	p.fill(r, d, problem, form, map[string]string{"applied": "grants.applied", "revoked": "grants.revoked"})
	return s.render(w, r, status, "grants", p)
}

func (s *Server) applyGrant(w http.ResponseWriter, r *http.Request) error {
	sess := sessionFrom(r.Context())
	lang := lang(r)
	f, err := formValues(r, "login_id", "pattern", "tenant", "from", "until", "reason", "acknowledge")
	var app access.Application
	if err == nil {
		app = access.Application{LoginID: f["login_id"], Pattern: f["pattern"], Tenant: f["tenant"], Reason: f["reason"]}
		app.From, err = parseDay("from", f["from"])
	}
	if err == nil {
		app.Until, err = parseDay("until", f["until"])
	}
	var grantee identity.User
	if err == nil {
		grantee, err = s.users.Get(r.Context(), app.LoginID)
		if errs.Is(err, errs.NotFound) {
			var fe errs.FieldErrors
			fe.Add("login_id", errs.Message{JA: "その職員はいません", EN: "no such staff member"})
			err = fe.Err()
		}
	}
	if err == nil {
		err = s.dutiesWarning(r, grantee, &app, f["acknowledge"] == "yes")
	}
	if err == nil {
		_, err = s.access.Apply(r.Context(), sess.User, grantee, app)
	}
	if err != nil {
		msg, ok := problemText(lang, err)
		if !ok {
			return err
		}
		return s.renderGrants(w, r, problemStatus(err), msg, f)
	}
	http.Redirect(w, r, "/grants?done=applied", http.StatusSeeOther)
	return nil
}

// dutiesWarning refuses, until the applicant ticks that they mean it, an
// application that would give one person both powers of a pair kept apart
// (access.DutiesApart: entering My Numbers and revealing them). Once
// ticked, the reason says so, for the approver and the audit log.
func (s *Server) dutiesWarning(r *http.Request, grantee identity.User, app *access.Application, acknowledged bool) error {
	pairs, err := s.access.JoinedDuties(r.Context(), grantee, app.Pattern, app.Tenant)
	if errs.Is(err, errs.NotFound) {
		return nil // Apply names the unknown pattern
	}
	if err != nil || len(pairs) == 0 {
		return err
	}
	if acknowledged {
		if app.Reason != "" { // an empty reason stays empty, for Apply to refuse
			app.Reason += "［入力・表示の兼務を承知］"
		}
		return nil
	}
	var fe errs.FieldErrors
	fe.Add("acknowledge", errs.Message{
		JA: "この申請が承認されると、" + grantee.Name + "さんは個人番号の「入力」と「表示」の両方の権限を持ちます。入力した番号を本人が確認できてしまうため、通常は別の職員に分けます。やむを得ない場合は、理由に事情を書き、「承知のうえで申請する」にチェックしてください。",
		EN: "Once approved, " + grantee.Name + " would both enter and reveal My Numbers. These are normally kept with different people. If it cannot be helped, give the reason and tick \"I apply knowing this\".",
	})
	return fe.Err()
}

// pendingData is the approver's page: applications for rights and
// changes of patterns, each waiting for a second person.
type pendingData struct {
	Grants                   []access.Grant
	Patterns                 []review.Change
	GrantPager, PatternPager pager
}

func (s *Server) pendingGrants(w http.ResponseWriter, r *http.Request) error {
	return s.renderPending(w, r, http.StatusOK, refusal{})
}

func (s *Server) renderPending(w http.ResponseWriter, r *http.Request, status int, problem refusal) error {
	p := s.newPage(r, "pending.title", sessionFrom(r.Context()))
	grants, err := s.access.Grants(r.Context(), access.GrantFilter{Status: access.Pending, Cursor: r.URL.Query().Get("cursor")})
	if err != nil {
		return err
	}
	changes, err := s.patternChanges(r, r.URL.Query().Get("changes_cursor"), 0)
	if err != nil {
		return err
	}
	p.fill(r, pendingData{Grants: grants.Items, Patterns: changes.Items,
		GrantPager: pagerOf(r, grants, "/grants/pending", "cursor"), PatternPager: pagerOf(r, changes, "/grants/pending", "changes_cursor")}, problem, nil,
		map[string]string{"approved": "pending.approved", "rejected": "pending.rejected", "pattern_confirmed": "pending.pattern_confirmed", "pattern_rejected": "pending.pattern_rejected"})
	return s.render(w, r, status, "pending", p)
}

// decideGrant approves or rejects, by the last part of the path.
func (s *Server) decideGrant(w http.ResponseWriter, r *http.Request) error {
	sess := sessionFrom(r.Context())
	id, err := pathID(r, "grant")
	if err != nil {
		return err
	}
	f, err := formValues(r, "note")
	if err != nil {
		return err
	}
	decide, done := s.access.Approve, "approved"
	if strings.HasSuffix(r.URL.Path, "/reject") {
		decide, done = s.access.Reject, "rejected"
	}
	if _, err := decide(r.Context(), sess.User, id, f["note"]); err != nil {
		msg, ok := problemText(lang(r), err)
		if !ok {
			return err
		}
		return s.renderPending(w, r, problemStatus(err), msg)
	}
	http.Redirect(w, r, "/grants/pending?done="+done, http.StatusSeeOther)
	return nil
}

func (s *Server) revokeGrant(w http.ResponseWriter, r *http.Request) error {
	sess := sessionFrom(r.Context())
	id, err := pathID(r, "grant")
	if err != nil {
		return err
	}
	f, err := formValues(r, "reason")
	if err != nil {
		return err
	}
	if _, err := s.access.Revoke(r.Context(), sess.User, id, f["reason"]); err != nil {
		msg, ok := problemText(lang(r), err)
		if !ok {
			return err
		}
		return s.renderGrants(w, r, problemStatus(err), msg, nil)
	}
	http.Redirect(w, r, "/grants?done=revoked", http.StatusSeeOther)
	return nil
}

// issueActivation gives a member of one's section who waits for a first
// enrolment the activation code to hand over; shown this once.
func (s *Server) issueActivation(w http.ResponseWriter, r *http.Request) error {
	code, err := s.activation(r, r.PathValue("login"))
	if err != nil {
		msg, ok := problemText(lang(r), err)
		if !ok {
			return err
		}
		return s.renderGrants(w, r, problemStatus(err), msg, nil)
	}
	p := s.newPage(r, "grants.title", sessionFrom(r.Context()))
	d, err := s.grantsData(r)
	if err != nil {
		return err
	}
	d.ActivationFor, d.ActivationCode = r.PathValue("login"), code
	p.Data = d
	return s.render(w, r, http.StatusOK, "grants", p)
}

func (s *Server) activation(r *http.Request, login string) (string, error) {
	acc := s.access
	return s.users.IssueActivation(r.Context(), sessionFrom(r.Context()).User, login, func(issuer, user identity.User) error {
		return acc.MayActFor(r.Context(), issuer, user)
	})
}

// Rights (R-AC-2, R-AC-3): a section head applies, the IS department
// approves; a first enrolment after an administrator-set password needs
// an activation code from someone else (issue 15).
func (s *Server) accessModule() webModule {
	return webModule{
		name: "access",
		routes: []route{
			{pattern: "GET /grants", gate: loggedIn, perm: access.GrantApply, h: s.grantsPage},
			{pattern: "POST /grants", gate: loggedIn, perm: access.GrantApply, h: s.applyGrant},
			{pattern: "GET /grants/pending", gate: loggedIn, perm: access.GrantApprove, where: systemWide, h: s.pendingGrants},
			{pattern: "POST /grants/{id}/approve", gate: loggedIn, perm: access.GrantApprove, where: systemWide, h: s.decideGrant},
			{pattern: "POST /grants/{id}/reject", gate: loggedIn, perm: access.GrantApprove, where: systemWide, h: s.decideGrant},
			{pattern: "POST /grants/{id}/revoke", gate: loggedIn, perm: access.GrantApply, h: s.revokeGrant},
			{pattern: "POST /staff/activation/{login}", gate: loggedIn, perm: access.GrantApply, h: s.issueActivation},
			{pattern: "GET /api/v1/grants", gate: loggedIn, perm: access.GrantApply, json: true, h: s.apiGrants,
				summary: "The grants of one's section, newest first, and whom and what one may apply for", query: pageQuery, answer: grantsAnswer{}},
			{pattern: "POST /api/v1/grants", gate: loggedIn, perm: access.GrantApply, json: true, h: s.apiApply,
				summary: "Apply for a pattern for a member of one's section: it holds once approved", body: application{}, status: http.StatusCreated, answer: access.Grant{}},
			{pattern: "POST /api/v1/grants/{id}/revoke", gate: loggedIn, perm: access.GrantApply, json: true, h: s.apiGrantAction("revoke"),
				summary: "Revoke a grant, with the reason (note)", body: noteBody{}, answer: access.Grant{}},
			{pattern: "POST /api/v1/users/{login}/activation", gate: loggedIn, perm: access.GrantApply, json: true, h: s.apiIssueActivation,
				summary: "Issue a member's activation code for their first enrolment, shown once", body: activationBody{}, answer: activationAnswer{}},
			{pattern: "GET /api/v1/grants/pending", gate: loggedIn, perm: access.GrantApprove, where: systemWide, json: true, h: s.apiPendingGrants,
				summary: "Applications awaiting a decision, newest first", query: pageQuery, answer: pendingGrantsAnswer{}},
			{pattern: "POST /api/v1/grants/{id}/approve", gate: loggedIn, perm: access.GrantApprove, where: systemWide, json: true, h: s.apiGrantAction("approve"),
				summary: "Approve another's application", body: noteBody{}, answer: access.Grant{}},
			{pattern: "POST /api/v1/grants/{id}/reject", gate: loggedIn, perm: access.GrantApprove, where: systemWide, json: true, h: s.apiGrantAction("reject"),
				summary: "Reject an application, with a note", body: noteBody{}, answer: access.Grant{}},
		},
		menu: []navItem{
			{Key: "nav.grants", Href: "/grants", perm: access.GrantApply},
			{Key: "nav.pending", Href: "/grants/pending", perm: access.GrantApprove},
		},
		counters: []counter{
			{id: "pending-approvals", key: "home.pending", href: "/grants/pending", perm: access.GrantApprove, where: systemWide,
				count: func(r *http.Request, sess *identity.Session) (int, error) {
					return s.access.CountAwaiting(r.Context(), sess.User)
				}},
			{id: "my-applications", key: "home.applied", href: "/grants", perm: access.GrantApply, where: anywhere,
				count: func(r *http.Request, sess *identity.Session) (int, error) {
					return s.access.CountApplied(r.Context(), sess.User)
				}},
		},
	}
}

func (s *Server) apiGrants(w http.ResponseWriter, r *http.Request) error {
	d, err := s.grantsData(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, grantsAnswer{Grants: nonNil(d.Grants), Next: d.Next, Members: nonNil(d.Members), Patterns: nonNil(d.Patterns), Tenants: nonNil(d.Tenants)})
	return nil
}

// grantsAnswer is a page of the grants of the applicant's section, and
// the staff, patterns and municipalities the applicant may apply for.
type grantsAnswer struct {
	Grants   []access.Grant   `json:"grants"`
	Next     string           `json:"next"`
	Members  []identity.User  `json:"members"`
	Patterns []access.Pattern `json:"patterns"`
	Tenants  []string         `json:"tenants"`
}

// pendingGrantsAnswer is a page of applications awaiting a decision.
type pendingGrantsAnswer struct {
	Grants []access.Grant `json:"grants"`
	Next   string         `json:"next"`
}

// application is a grant application as the API takes it: the tenant
// for a municipality's pattern; dates are YYYY-MM-DD in Japan time, from
// today and without end when left out.
type application struct {
	LoginID string `json:"login_id"`
	Pattern string `json:"pattern"`
	Tenant  string `json:"tenant,omitempty"`
	From    string `json:"from,omitempty"`
	Until   string `json:"until,omitempty"`
	Reason  string `json:"reason"`
}

func (s *Server) apiApply(w http.ResponseWriter, r *http.Request) error {
	var in application
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	app := access.Application{LoginID: in.LoginID, Pattern: in.Pattern, Tenant: in.Tenant, Reason: in.Reason}
	var err error
	if app.From, err = parseDay("from", in.From); err != nil {
		return err
	}
	if app.Until, err = parseDay("until", in.Until); err != nil {
		return err
	}
	grantee, err := s.users.Get(r.Context(), in.LoginID)
	if errs.Is(err, errs.NotFound) {
		var fe errs.FieldErrors
		fe.Add("login_id", errs.Message{JA: "その職員はいません", EN: "no such staff member"})
		return fe.Err()
	} else if err != nil {
		return err
	}
	g, err := s.access.Apply(r.Context(), sessionFrom(r.Context()).User, grantee, app)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, g)
	return nil
}

func (s *Server) apiPendingGrants(w http.ResponseWriter, r *http.Request) error {
	cursor, limit := pageAsked(r, "cursor")
	grants, err := s.access.Grants(r.Context(), access.GrantFilter{Status: access.Pending, Cursor: cursor, Limit: limit})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pendingGrantsAnswer{Grants: nonNil(grants.Items), Next: grants.Next})
	return nil
}

// apiGrantAction approves, rejects or revokes, by the path's last part.
func (s *Server) apiGrantAction(action string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "grant")
		if err != nil {
			return err
		}
		note, err := noteOf(r)
		if err != nil {
			return err
		}
		svc, user := s.access, sessionFrom(r.Context()).User
		var g access.Grant
		switch action {
		case "approve":
			g, err = svc.Approve(r.Context(), user, id, note)
		case "reject":
			g, err = svc.Reject(r.Context(), user, id, note)
		default:
			g, err = svc.Revoke(r.Context(), user, id, note)
		}
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, g)
		return nil
	}
}

// activationBody is empty: the path names the member.
type activationBody struct{}

type activationAnswer struct {
	LoginID        string `json:"login_id"`
	ActivationCode string `json:"activation_code"`
}

func (s *Server) apiIssueActivation(w http.ResponseWriter, r *http.Request) error {
	if err := decodeJSON(r, &activationBody{}); err != nil {
		return err
	}
	code, err := s.activation(r, r.PathValue("login"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, activationAnswer{LoginID: r.PathValue("login"), ActivationCode: code})
	return nil
}

// accessMessages are the strings of rights.
var accessMessages = messages{
	"nav.grants":                {"権限申請", "Rights"},
	"nav.pending":               {"権限承認", "Approvals"},
	"grants.title":              {"権限申請", "Apply for rights"},
	"grants.help":               {"所属職員に必要な最小限の権限パターンを申請します。情報システム部門が承認すると有効になり、終了日に自動で失効します。", "Apply for the least pattern a member of your section needs. It takes effect when the IS department approves, and ends by itself at its end date."},
	"grants.apply":              {"新しい申請", "New application"},
	"grants.member":             {"職員", "Staff member"},
	"grants.pattern":            {"権限パターン", "Pattern"},
	"grants.tenant":             {"団体", "Municipality"},
	"grants.tenant.none":        {"（なし・全体）", "(none: system-wide)"},
	"grants.from":               {"開始日（空欄は今から）", "From (empty: now)"},
	"grants.until":              {"終了日（空欄は期限なし）", "Until (empty: no end)"},
	"grants.reason":             {"申請理由", "Reason"},
	"grants.apply.submit":       {"申請する", "Apply"},
	"home.applied":              {"あなたが申請した権限のうち、承認を待っているものが %d 件あります", "%d of your applications for rights await approval"},
	"grants.acknowledge":        {"承知のうえで申請する（入力と表示の両方の権限を持つことになります）", "I apply knowing this (they will both enter and reveal My Numbers)"},
	"grants.applied":            {"申請しました。承認を待っています。", "Applied. Waiting for approval."},
	"grants.list":               {"所属職員の権限", "Rights of your section"},
	"grants.period":             {"期間", "Period"},
	"grants.status":             {"状態", "Status"},
	"grants.revoke":             {"取消し", "Revoke"},
	"grants.revoke.reason":      {"取消しの理由", "Reason for revoking"},
	"grants.revoked":            {"取り消しました。", "Revoked."},
	"grants.none":               {"権限はまだありません。", "No rights yet."},
	"status.pending":            {"承認待ち", "Pending"},
	"status.approved":           {"承認済み", "Approved"},
	"status.rejected":           {"却下", "Rejected"},
	"status.withdrawn":          {"取下げ", "Withdrawn"},
	"status.revoked":            {"取消し", "Revoked"},
	"activation.list":           {"初回登録を待つ職員（登録コードが必要）", "Staff awaiting their first enrolment (activation code needed)"},
	"activation.state":          {"状態", "State"},
	"activation.waiting":        {"登録コード発行済み（未使用）", "Code issued, not yet used"},
	"activation.none":           {"登録コード未発行", "No code issued"},
	"activation.issue":          {"登録コードを発行", "Issue activation code"},
	"activation.issued":         {"登録コードを発行しました（この画面でのみ表示）", "Activation code issued (shown only now)"},
	"activation.issued.help":    {"本人に直接手渡してください。72時間有効で、一度だけ使えます。管理者が設定した初期パスワードだけでは初回登録できません。", "Hand it to the member in person. It is valid for 72 hours and works once. The administrator's one-time password alone cannot complete a first enrolment."},
	"pending.title":             {"権限の承認", "Approve rights"},
	"pending.help":              {"申請者・対象職員とは別の人が承認します。自分が申請した、または自分が対象の申請は承認できません。", "Someone other than the applicant and the grantee approves. You cannot decide an application you made or that is for you."},
	"pending.list":              {"承認待ちの申請", "Applications awaiting a decision"},
	"pending.applicant":         {"申請者", "Applicant"},
	"pending.decide":            {"判断", "Decision"},
	"pending.note":              {"コメント（却下時は必須）", "Note (required to reject)"},
	"pending.approve":           {"承認", "Approve"},
	"pending.reject":            {"却下", "Reject"},
	"pending.approved":          {"承認しました。", "Approved."},
	"pending.rejected":          {"却下しました。", "Rejected."},
	"pending.none":              {"承認待ちの申請はありません。", "No application is waiting."},
	"pending.patterns":          {"権限パターンの変更（承認待ち）", "Pattern changes awaiting approval"},
	"pending.pattern_confirmed": {"パターンの変更を承認し、反映しました。", "The pattern change is approved and applied."},
	"pending.pattern_rejected":  {"パターンの変更を却下しました。", "The pattern change is rejected."},
	"scope.tenant":              {"団体ごと", "Per municipality"},
	"scope.system":              {"システム全体", "System-wide"},
}
