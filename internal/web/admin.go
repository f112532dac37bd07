package web

import (
	"net/http"

	"bango/internal/access"
	"bango/internal/errs"
	"bango/internal/identity"
	"bango/internal/review"
	"bango/internal/terminal"
)

// The IS department's pages: staff accounts (R-AC-1, R-AUTH-2) and
// designated terminals (R-AUTH-5). Every change is audited by the
// services themselves.

type usersData struct {
	Users   []identity.User
	Tenants []string
	// OneTime is a new one-time password to hand to its owner, shown once.
	OneTime, OneTimeFor string
}

func (s *Server) usersPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderUsers(w, r, http.StatusOK, refusal{}, nil, usersData{})
}

func (s *Server) renderUsers(w http.ResponseWriter, r *http.Request, status int, problem refusal, form map[string]string, d usersData) error {
	p := s.newPage(r, "users.title", sessionFrom(r.Context()))
	var err error
	if d.Users, err = s.users.List(r.Context()); err != nil {
		return err
	}
	if d.Tenants, err = s.tenantCodes(r); err != nil {
		return err
	}
	p.fill(r, d, problem, form, map[string]string{"transferred": "users.transferred", "retired": "users.retired"})
	return s.render(w, r, status, "users", p)
}

// userProblem renders the users page with what the user can fix, or
// returns a server failure.
func (s *Server) userProblem(w http.ResponseWriter, r *http.Request, err error, form map[string]string) error {
	msg, ok := problemText(lang(r), err)
	if !ok {
		return err
	}
	return s.renderUsers(w, r, problemStatus(err), msg, form, usersData{})
}

func (s *Server) addUser(w http.ResponseWriter, r *http.Request) error {
	f, err := formValues(r, "login_id", "name", "tenant", "department", "section")
	if err != nil {
		return s.userProblem(w, r, err, nil)
	}
	u, temp, err := s.users.Create(r.Context(), identity.NewUser{LoginID: f["login_id"], Name: f["name"], Tenant: f["tenant"],
		Department: f["department"], Section: f["section"]})
	if err != nil {
		return s.userProblem(w, r, err, f)
	}
	// Shown once, in this response only: the password is not kept anywhere
	// but as its hash, and must be changed at first login.
	return s.renderUsers(w, r, http.StatusOK, refusal{}, nil, usersData{OneTime: temp, OneTimeFor: u.LoginID})
}

func (s *Server) resetUser(w http.ResponseWriter, r *http.Request) error {
	login := r.PathValue("login")
	temp, err := s.users.ResetPassword(r.Context(), login)
	if err != nil {
		return s.userProblem(w, r, err, nil)
	}
	return s.renderUsers(w, r, http.StatusOK, refusal{}, nil, usersData{OneTime: temp, OneTimeFor: login})
}

func (s *Server) transferUser(w http.ResponseWriter, r *http.Request) error {
	f, err := formValues(r, "tenant", "department", "section")
	if err == nil {
		err = s.users.Transfer(r.Context(), r.PathValue("login"), identity.NewUser{Tenant: f["tenant"], Department: f["department"], Section: f["section"]})
	}
	if err != nil {
		return s.userProblem(w, r, err, nil)
	}
	http.Redirect(w, r, "/admin/users?done=transferred", http.StatusSeeOther)
	return nil
}

func (s *Server) retireUser(w http.ResponseWriter, r *http.Request) error {
	f, err := formValues(r, "confirm")
	if err == nil && f["confirm"] != r.PathValue("login") {
		var fe errs.FieldErrors
		fe.Add("confirm", errs.Message{JA: "確認のため、退職させる職員のログインIDを入力してください", EN: "type the login ID of the staff member to confirm"})
		err = fe.Err()
	}
	if err == nil {
		err = s.users.Retire(r.Context(), r.PathValue("login"))
	}
	if err != nil {
		return s.userProblem(w, r, err, nil)
	}
	http.Redirect(w, r, "/admin/users?done=retired", http.StatusSeeOther)
	return nil
}

type terminalsData struct {
	Terminals []terminal.Terminal
	Tenants   []string
	Enforced  bool
}

func (s *Server) terminalsPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderTerminals(w, r, http.StatusOK, refusal{}, nil)
}

func (s *Server) renderTerminals(w http.ResponseWriter, r *http.Request, status int, problem refusal, form map[string]string) error {
	if s.terminals == nil {
		return errs.E(errs.Unavailable, "the terminal registry is not configured on this server")
	}
	p := s.newPage(r, "terminals.title", sessionFrom(r.Context()))
	d := terminalsData{Enforced: s.enforce}
	var err error
	if d.Terminals, err = s.terminals.List(r.Context()); err != nil {
		return err
	}
	if d.Tenants, err = s.tenantCodes(r); err != nil {
		return err
	}
	p.fill(r, d, problem, form, map[string]string{"added": "terminals.added", "disabled": "terminals.disabled"})
	return s.render(w, r, status, "terminals", p)
}

func (s *Server) addTerminal(w http.ResponseWriter, r *http.Request) error {
	if s.terminals == nil {
		return errs.E(errs.Unavailable, "the terminal registry is not configured on this server")
	}
	f, err := formValues(r, "name", "tenant", "section", "cidrs", "cert_fingerprint")
	if err == nil {
		t := terminal.Terminal{Name: f["name"], Tenant: f["tenant"], Section: f["section"], CertFingerprint: f["cert_fingerprint"]}
		if t.Prefixes, err = terminal.ParsePrefixes(f["cidrs"]); err == nil { // else a field error on cidrs, naming the bad part
			_, err = s.terminals.Add(r.Context(), t)
		}
	}
	if err != nil {
		msg, ok := problemText(lang(r), err)
		if !ok {
			return err
		}
		return s.renderTerminals(w, r, problemStatus(err), msg, f)
	}
	http.Redirect(w, r, "/admin/terminals?done=added", http.StatusSeeOther)
	return nil
}

func (s *Server) disableTerminal(w http.ResponseWriter, r *http.Request) error {
	if s.terminals == nil {
		return errs.E(errs.Unavailable, "the terminal registry is not configured on this server")
	}
	if err := s.terminals.Disable(r.Context(), r.PathValue("name")); err != nil {
		msg, ok := problemText(lang(r), err)
		if !ok {
			return err
		}
		return s.renderTerminals(w, r, problemStatus(err), msg, nil)
	}
	http.Redirect(w, r, "/admin/terminals?done=disabled", http.StatusSeeOther)
	return nil
}

// Staff accounts, designated terminals and patterns (IS department). A
// pattern change holds only when an approver of rights other than its
// author confirms it (R-AC-3).
func (s *Server) adminModule() webModule {
	return webModule{
		name: "admin",
		routes: []route{
			{pattern: "GET /admin/patterns", gate: loggedIn, perm: access.PatternAdmin, where: systemWide, h: s.patternsPage},
			{pattern: "POST /admin/patterns", gate: loggedIn, perm: access.PatternAdmin, where: systemWide, h: s.savePattern},
			{pattern: "POST /admin/pattern-changes/{id}/confirm", gate: loggedIn, perm: access.GrantApprove, where: systemWide, h: s.decidePatternChange},
			{pattern: "POST /admin/pattern-changes/{id}/reject", gate: loggedIn, perm: access.GrantApprove, where: systemWide, h: s.decidePatternChange},
			{pattern: "GET /api/v1/patterns", gate: loggedIn, perm: access.PatternAdmin, where: systemWide, json: true, h: s.apiPatterns,
				summary: "The access patterns and the catalogue of permissions", answer: patternsAnswer{}},
			{pattern: "POST /api/v1/patterns", gate: loggedIn, perm: access.PatternAdmin, where: systemWide, json: true, h: s.apiSavePattern,
				summary: "Add or change a pattern: it holds once an approver of rights other than its author confirms it", body: patternBody{}, status: http.StatusAccepted, answer: review.Change{}},
			{pattern: "GET /api/v1/pattern-changes", gate: loggedIn, perm: access.GrantApprove, where: systemWide, json: true, h: s.apiPatternChanges,
				summary: "Pattern changes awaiting confirmation", query: pageQuery, answer: changesAnswer{}},
			{pattern: "POST /api/v1/pattern-changes/{id}/confirm", gate: loggedIn, perm: access.GrantApprove, where: systemWide, json: true, h: s.apiDecidePatternChange(true),
				summary: "Confirm another's pattern change", body: noteBody{}, answer: review.Change{}},
			{pattern: "POST /api/v1/pattern-changes/{id}/reject", gate: loggedIn, perm: access.GrantApprove, where: systemWide, json: true, h: s.apiDecidePatternChange(false),
				summary: "Reject a pattern change, with a note", body: noteBody{}, answer: review.Change{}},
			{pattern: "GET /admin/users", gate: loggedIn, perm: access.UserAdmin, where: systemWide, h: s.usersPage},
			{pattern: "POST /admin/users", gate: loggedIn, perm: access.UserAdmin, where: systemWide, h: s.addUser},
			{pattern: "POST /admin/users/{login}/reset", gate: loggedIn, perm: access.UserAdmin, where: systemWide, h: s.resetUser},
			{pattern: "POST /admin/users/{login}/transfer", gate: loggedIn, perm: access.UserAdmin, where: systemWide, h: s.transferUser},
			{pattern: "POST /admin/users/{login}/retire", gate: loggedIn, perm: access.UserAdmin, where: systemWide, h: s.retireUser},
			{pattern: "GET /admin/terminals", gate: loggedIn, perm: access.TerminalAdmin, where: systemWide, h: s.terminalsPage},
			{pattern: "POST /admin/terminals", gate: loggedIn, perm: access.TerminalAdmin, where: systemWide, h: s.addTerminal},
			{pattern: "POST /admin/terminals/{name}/disable", gate: loggedIn, perm: access.TerminalAdmin, where: systemWide, h: s.disableTerminal},
		},
		menu: []navItem{
			{Key: "nav.users", Href: "/admin/users", perm: access.UserAdmin},
			{Key: "nav.terminals", Href: "/admin/terminals", perm: access.TerminalAdmin},
			{Key: "nav.patterns", Href: "/admin/patterns", perm: access.PatternAdmin},
		},
	}
}

// adminMessages are the strings of staff, terminals and patterns.
var adminMessages = messages{
	"nav.users":             {"職員管理", "Staff"},
	"nav.terminals":         {"指定端末", "Terminals"},
	"nav.patterns":          {"権限パターン", "Patterns"},
	"patterns.title":        {"権限パターン", "Access patterns"},
	"patterns.help":         {"権限は所属・業務ごとのパターンとして付与します。パターンを変えると、付与済みの職員の権限も次の操作から変わります。", "Rights are granted as patterns by affiliation and job. A change applies to everyone holding the pattern from their next request."},
	"patterns.list":         {"パターン一覧", "Patterns"},
	"patterns.code":         {"コード", "Code"},
	"patterns.name":         {"名称", "Name"},
	"patterns.affiliation":  {"所属", "Affiliation"},
	"patterns.job":          {"業務", "Job"},
	"patterns.scope":        {"範囲", "Scope"},
	"patterns.permissions":  {"権限", "Permissions"},
	"patterns.edit":         {"パターンの追加・変更", "Add or change a pattern"},
	"patterns.edit.help":    {"既存のコードを入力すると、そのパターンを変更します（範囲は変わりません）。変更は、作成者以外の権限承認者が承認してから反映されます。", "Giving an existing code changes that pattern (its scope stays). A change applies once an approver of rights other than its author confirms it."},
	"patterns.save":         {"保存する", "Save"},
	"patterns.change.link":  {"変更する", "Change"},
	"patterns.submitted":    {"変更を申請しました。権限の承認者（作成者以外）が承認すると反映されます。", "The change is submitted. It applies once an approver of rights other than you confirms it."},
	"patterns.pending":      {"承認待ちのパターン変更", "Pattern changes awaiting approval"},
	"patterns.pending.none": {"承認待ちのパターン変更はありません。", "No pattern change is waiting."},
	"patterns.change":       {"変更内容（追加・削除される権限）", "Change (permissions added and removed)"},
	"users.title":           {"職員管理", "Staff accounts"},
	"users.list":            {"職員一覧", "Staff"},
	"users.name":            {"氏名", "Name"},
	"users.department":      {"部", "Department"},
	"users.factors":         {"認証要素", "Factors"},
	"users.actions":         {"操作", "Actions"},
	"users.reset":           {"パスワード再発行", "Reset password"},
	"users.transfer":        {"異動", "Transfer"},
	"users.transfer.submit": {"異動させる（認証要素と権限を削除）", "Transfer (removes factors and rights)"},
	"users.transferred":     {"異動を登録しました。認証要素と権限は削除されました。", "Transferred. Second factors and rights were removed."},
	"users.retire":          {"退職", "Retire"},
	"users.retire.confirm":  {"確認のためログインIDを入力", "Type the login ID to confirm"},
	"users.retire.submit":   {"退職させる", "Retire"},
	"users.retired":         {"退職を登録しました。", "Retired."},
	"users.add":             {"職員の追加", "Add a staff member"},
	"users.add.submit":      {"追加する", "Add"},
	"users.onetime":         {"%s の一時パスワードです。この画面でしか表示されません。本人に安全な方法で伝えてください。", "The one-time password of %s. It is shown only here: hand it over safely."},
	"users.onetime.help":    {"初回ログインで変更が必要です。", "It must be changed at first login."},
	"user.active":           {"在職", "Active"},
	"user.retired":          {"退職", "Retired"},
	"terminals.title":       {"指定端末", "Designated terminals"},
	"terminals.enforced":    {"指定端末以外からの接続は拒否されています。", "Connections from anything but a designated terminal are refused."},
	"terminals.notenforced": {"指定端末の制限は無効です（enforce-terminals を設定してください）。", "Terminal enforcement is off (set enforce-terminals)."},
	"terminals.list":        {"端末一覧", "Terminals"},
	"terminals.name":        {"端末名", "Name"},
	"terminals.cidrs":       {"許可するアドレス（CIDR）", "Allowed addresses (CIDR)"},
	"terminals.cert":        {"クライアント証明書 SHA-256", "Client certificate SHA-256"},
	"terminals.active":      {"有効", "Active"},
	"terminals.inactive":    {"無効", "Disabled"},
	"terminals.disable":     {"無効にする", "Disable"},
	"terminals.none":        {"登録された端末はありません。", "No terminal is registered."},
	"terminals.add":         {"端末の登録", "Register a terminal"},
	"terminals.add.submit":  {"登録する", "Register"},
	"terminals.added":       {"登録しました。", "Registered."},
	"terminals.disabled":    {"無効にしました。", "Disabled."},
}
