package web

import (
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"

	"rsc.io/qr"

	"bango/internal/audit"
	"bango/internal/cleantext"
	"bango/internal/errs"
	"bango/internal/identity"
)

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.terminalOf(r); err != nil {
		return err
	}
	if sess, err := s.loadSession(r); err == nil && sess.Stage == identity.StageActive {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	return s.render(w, r, http.StatusOK, "login", s.newPage(r, "login.title", nil))
}

// login is the password step.
func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	term, err := s.terminalOf(r)
	if err != nil {
		return err
	}
	// Every attempt may cost a hash and an audit event: the address's
	// limit is spent before either, the login ID's before the hash.
	if err := s.limitAnonymous(r, "login"); err != nil {
		return err
	}
	p := s.newPage(r, "login.title", nil)
	if bad := badInputOf(r.Context()); bad != nil {
		// Unreadable input is still a failed login: counted against the
		// account the login ID names, and audited.
		id := r.PostFormValue("login_id")
		if err := s.limitLoginID(r, id); err != nil {
			return err
		}
		ctx := audit.WithActor(r.Context(), audit.Actor{User: cleantext.Shown(id), Terminal: term, Address: s.clientAddress(r)})
		if id == "" {
			s.refused(r.WithContext(ctx), "unreadable_login_form", bad)
		} else if _, err := s.users.CheckPassword(ctx, id, r.PostFormValue("password")); err != nil && !identity.ErrLogin(err) {
			return err
		}
		s.metrics.Login("password_refused")
		problem, _ := problemText(p.Lang, bad)
		p.refuse(problem)
		if cleantext.Valid(id, false) {
			p.Form["login_id"] = id
		}
		return s.render(w, r, http.StatusBadRequest, "login", p)
	}
	f, err := formValues(r, "login_id", "password")
	ctx := audit.WithActor(r.Context(), audit.Actor{User: "anonymous", Address: s.clientAddress(r)})
	if err != nil {
		s.refused(r.WithContext(ctx), "oversized_field", err)
		p.refuseFor(err)
		return s.render(w, r, http.StatusBadRequest, "login", p)
	}
	if f["login_id"] == "" || f["password"] == "" {
		var missing errs.FieldErrors
		for _, name := range []string{"login_id", "password"} {
			if f[name] == "" {
				missing.Add(name, required)
			}
		}
		p.refuseFor(missing.Err())
		p.Form["login_id"] = f["login_id"]
		return s.render(w, r, http.StatusBadRequest, "login", p)
	}
	if err := s.limitLoginID(r, f["login_id"]); err != nil {
		return err
	}
	ctx = audit.WithActor(r.Context(), audit.Actor{User: f["login_id"], Terminal: term, Address: s.clientAddress(r)})
	u, err := s.users.CheckPassword(ctx, f["login_id"], f["password"])
	if err != nil {
		if !identity.ErrLogin(err) {
			return err
		}
		s.metrics.Login("password_refused")
		p.refuseFor(err)
		p.Form["login_id"] = f["login_id"]
		return s.render(w, r, http.StatusUnauthorized, "login", p)
	}
	s.metrics.Login("password_accepted")
	token, _, err := s.users.StartSession(ctx, u, identity.StagePassword, s.clientAddress(r), term, "")
	if err != nil {
		return err
	}
	setSessionCookie(w, token)
	http.Redirect(w, r, "/login/second", http.StatusSeeOther)
	return nil
}

func (s *Server) secondForm(w http.ResponseWriter, r *http.Request) error {
	sess := sessionFrom(r.Context())
	if identity.NeedsEnrolment(sess.User) {
		http.Redirect(w, r, "/login/enroll", http.StatusSeeOther)
		return nil
	}
	return s.render(w, r, http.StatusOK, "second", s.newPage(r, "second.title", sess))
}

// enrolForm shows a first-time user the QR code of their new TOTP secret.
func (s *Server) enrolForm(w http.ResponseWriter, r *http.Request) error {
	sess := sessionFrom(r.Context())
	if !identity.NeedsEnrolment(sess.User) {
		http.Redirect(w, r, "/login/second", http.StatusSeeOther)
		return nil
	}
	p := s.newPage(r, "enrol.title", sess)
	key, isNew, err := s.users.PendingTOTP(r.Context(), sess.User.LoginID)
	if err != nil {
		return err
	}
	if isNew {
		code, err := qr.Encode(key.URI, qr.M)
		if err != nil {
			return err
		}
		p.QR = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(code.PNG()))
		p.Secret = key.Secret
	}
	return s.render(w, r, http.StatusOK, "enrol", p)
}

// enrol confirms the app's code, sets the PIN, and completes the login.
func (s *Server) enrol(w http.ResponseWriter, r *http.Request) error {
	sess := sessionFrom(r.Context())
	if !identity.NeedsEnrolment(sess.User) {
		http.Redirect(w, r, "/login/second", http.StatusSeeOther)
		return nil
	}
	f, err := formValues(r, "activation", "code", "pin", "pin_again")
	if err == nil {
		err = s.users.ConfirmEnrolment(r.Context(), sess.User.LoginID, f["activation"], f["code"], f["pin"], f["pin_again"])
	}
	if err != nil {
		if !identity.ErrLogin(err) && errs.Fields(err) == nil && !errs.Is(err, errs.Invalid) {
			return err
		}
		if identity.ErrLogin(err) {
			s.metrics.Login("second_factor_refused")
		}
		s.enrolForm(w, r) // shows the same QR code again
		return nil
	}
	return s.finishLogin(w, r, sess)
}

// second is the second-factor step; success opens a new session.
func (s *Server) second(w http.ResponseWriter, r *http.Request) error {
	sess := sessionFrom(r.Context())
	p := s.newPage(r, "second.title", sess)
	f, err := formValues(r, "code", "pin")
	if err != nil {
		s.refused(r, "oversized_field", err)
		p.refuseFor(err)
		return s.render(w, r, http.StatusBadRequest, "second", p)
	}
	if _, err := s.users.CheckSecondFactor(r.Context(), sess.User.LoginID, f["code"], f["pin"]); err != nil {
		if !identity.ErrLogin(err) {
			return err
		}
		s.metrics.Login("second_factor_refused")
		p.refuseFor(err)
		return s.render(w, r, http.StatusUnauthorized, "second", p)
	}
	return s.finishLogin(w, r, sess)
}

// finishLogin replaces the password-stage session with a full one.
func (s *Server) finishLogin(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	next, err := s.completeLogin(w, r, sess)
	if err != nil {
		return err
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// completeLogin opens the full session, sets its cookie and says where the
// user goes next.
func (s *Server) completeLogin(w http.ResponseWriter, r *http.Request, sess *identity.Session) (string, error) {
	token, full, err := s.users.CompleteLogin(r.Context(), *sess)
	if err != nil {
		return "", err
	}
	s.metrics.Login("completed")
	setSessionCookie(w, token)
	if s.users.PasswordExpired(full.User) {
		return "/password", nil
	}
	return "/", nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	if err := s.users.Logout(r.Context(), *sessionFrom(r.Context())); err != nil {
		return err
	}
	clearSessionCookie(w)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

func (s *Server) lockForm(w http.ResponseWriter, r *http.Request) error {
	sess := sessionFrom(r.Context())
	if !sess.Locked {
		http.Redirect(w, r, localPath(r.URL.Query().Get("next")), http.StatusSeeOther)
		return nil
	}
	p := s.newPage(r, "lock.title", sess)
	p.Next = localPath(r.URL.Query().Get("next"))
	return s.render(w, r, http.StatusOK, "lock", p)
}

// lockNow locks the session at the user's request (leaving the desk).
func (s *Server) lockNow(w http.ResponseWriter, r *http.Request) error {
	if err := s.users.Lock(r.Context(), *sessionFrom(r.Context())); err != nil {
		return err
	}
	// next: the page that asked for a fresh second factor, to return to.
	http.Redirect(w, r, "/lock?next="+url.QueryEscape(localPath(r.PostFormValue("next"))), http.StatusSeeOther)
	return nil
}

// unlock reopens a locked session with the second factor and returns the
// user to where they were.
func (s *Server) unlock(w http.ResponseWriter, r *http.Request) error {
	sess := sessionFrom(r.Context())
	p := s.newPage(r, "lock.title", sess)
	f, err := formValues(r, "code", "pin", "next")
	if err != nil {
		s.refused(r, "oversized_field", err)
		return err
	}
	p.Next = localPath(f["next"])
	if err := s.users.Unlock(r.Context(), *sess, f["code"], f["pin"]); err != nil {
		if !identity.ErrLogin(err) {
			return err
		}
		p.refuseFor(err)
		return s.render(w, r, http.StatusUnauthorized, "lock", p)
	}
	http.Redirect(w, r, p.Next, http.StatusSeeOther)
	return nil
}

func (s *Server) passwordForm(w http.ResponseWriter, r *http.Request) error {
	sess := sessionFrom(r.Context())
	p := s.newPage(r, "password.title", sess)
	p.Expired = s.users.PasswordExpired(sess.User)
	return s.render(w, r, http.StatusOK, "password", p)
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) error {
	sess := sessionFrom(r.Context())
	p := s.newPage(r, "password.title", sess)
	p.Expired = s.users.PasswordExpired(sess.User)
	f, err := formValues(r, "current", "new", "confirm")
	if err == nil && f["new"] != f["confirm"] {
		var fe errs.FieldErrors
		fe.Add("confirm", errs.Message{JA: catalogue["password.mismatch"][0], EN: catalogue["password.mismatch"][1]})
		p.refuseFor(fe.Err())
		return s.render(w, r, http.StatusBadRequest, "password", p)
	}
	if err == nil {
		err = s.users.ChangeOwnPassword(r.Context(), *sess, f["current"], f["new"])
	}
	if err != nil {
		if errs.Fields(err) == nil && !errs.Is(err, errs.Unauthenticated) || !p.refuseFor(err) {
			return err
		}
		return s.render(w, r, http.StatusBadRequest, "password", p)
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

func (s *Server) pinForm(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, http.StatusOK, "pin", s.newPage(r, "pin.title", sessionFrom(r.Context())))
}

// changePIN sets a new PIN, proven by a fresh code from the app.
func (s *Server) changePIN(w http.ResponseWriter, r *http.Request) error {
	sess := sessionFrom(r.Context())
	p := s.newPage(r, "pin.title", sess)
	f, err := formValues(r, "code", "pin", "pin_again")
	if err == nil {
		err = s.users.ChangePIN(r.Context(), sess.User.LoginID, f["code"], f["pin"], f["pin_again"])
	}
	switch {
	case err == nil:
		p.Notice = tr(p.Lang, "pin.changed")
		return s.render(w, r, http.StatusOK, "pin", p)
	case errs.Fields(err) != nil || identity.ErrLogin(err) || errs.Is(err, errs.Forbidden):
		p.refuseFor(err)
	default:
		return err
	}
	return s.render(w, r, http.StatusBadRequest, "pin", p)
}

// Logging in (password, then the second factor), the lock screen, one's
// own password, PIN and passkeys, the municipality one works in, the
// language, and the home page.
func (s *Server) accountModule() webModule {
	return webModule{
		name: "account",
		routes: []route{
			{pattern: "GET /lang", h: s.setLang},
			{pattern: "GET /login", h: s.loginForm},
			{pattern: "POST /login", hearsBadInput: true, h: s.login},
			{pattern: "GET /login/second", gate: passwordStage, h: s.secondForm},
			{pattern: "POST /login/second", gate: passwordStage, h: s.second},
			{pattern: "GET /login/enroll", gate: passwordStage, h: s.enrolForm},
			{pattern: "POST /login/enroll", gate: passwordStage, h: s.enrol},
			{pattern: "POST /login/passkey/begin", gate: passwordStage, json: true, h: s.passkeyChallenge},
			{pattern: "POST /login/passkey/finish", gate: passwordStage, json: true, h: s.passkeyLogin},
			{pattern: "POST /logout", gate: anySession, h: s.logout},
			{pattern: "GET /lock", gate: anySession, h: s.lockForm},
			{pattern: "POST /lock", gate: anySession, h: s.unlock},
			{pattern: "POST /lock/passkey/begin", gate: anySession, json: true, h: s.passkeyChallenge},
			{pattern: "POST /lock/passkey/finish", gate: anySession, json: true, h: s.passkeyUnlock},
			{pattern: "GET /password", gate: anySession, h: s.passwordForm},
			{pattern: "POST /password", gate: anySession, h: s.changePassword},
			{pattern: "POST /lock/now", gate: loggedIn, h: s.lockNow},
			{pattern: "GET /pin", gate: loggedIn, h: s.pinForm},
			{pattern: "POST /pin", gate: loggedIn, h: s.changePIN},
			{pattern: "GET /passkeys", gate: loggedIn, h: s.passkeysPage},
			{pattern: "POST /passkeys/begin", gate: loggedIn, json: true, h: s.passkeyRegisterBegin},
			{pattern: "POST /passkeys/finish", gate: loggedIn, json: true, h: s.passkeyRegisterFinish},
			{pattern: "POST /passkeys/delete", gate: loggedIn, h: s.passkeyRemove},
			{pattern: "POST /scope", gate: loggedIn, h: s.switchScope},
			{pattern: "GET /{$}", gate: loggedIn, h: s.home},
			{pattern: "GET /api/v1/me", gate: loggedIn, json: true, h: s.apiMe,
				summary: "Who the caller is, where they work now and what they may do there", answer: me{}},
			{pattern: "POST /api/v1/scope", gate: loggedIn, json: true, h: s.apiScope,
				summary: "Work in another municipality where one holds rights", body: scopeBody{}, answer: scopeAnswer{}},
			{pattern: "GET /api/v1/openapi.json", gate: loggedIn, json: true, h: s.apiDescription,
				summary: "This description of the API (OpenAPI 3.1)", answer: apiDocument{}},
		},
		menu: []navItem{
			{Key: "nav.home", Href: "/"},
			{Key: "nav.password", Href: "/password", last: true},
			{Key: "nav.pin", Href: "/pin", last: true},
			{Key: "nav.passkeys", Href: "/passkeys", last: true},
		},
	}
}

// accountMessages are the strings of one's own session and account.
var accountMessages = messages{
	"login.title":            {"ログイン", "Log in"},
	"login.id":               {"ログインID", "Login ID"},
	"login.password":         {"パスワード", "Password"},
	"login.missing":          {"ログインIDとパスワードを入力してください。", "Enter your login ID and password."},
	"login.next":             {"次へ", "Next"},
	"login.notice":           {"この端末の操作はすべて記録されます。", "Everything done on this terminal is recorded."},
	"second.title":           {"二要素認証", "Second factor"},
	"second.code":            {"認証コード（6桁）", "Authentication code (6 digits)"},
	"second.code.help":       {"認証アプリに表示されている6桁の数字", "The 6 digits shown in your authenticator app"},
	"second.pin":             {"PIN", "PIN"},
	"second.submit":          {"ログイン", "Log in"},
	"second.cancel":          {"やり直す", "Start over"},
	"enrol.title":            {"二要素認証の設定", "Set up your second factor"},
	"enrol.help":             {"初回ログインです。スマートフォンの認証アプリでQRコードを読み取るか、下の文字列を入力し、表示された6桁の認証コードと、これから使うPINを入力してください。", "This is your first login. Scan the QR code with your authenticator app, or type the text below into it; then enter the 6-digit code it shows and the PIN you will use."},
	"enrol.qr.alt":           {"認証アプリ登録用のQRコード", "QR code for your authenticator app"},
	"enrol.secret":           {"手入力用:", "To type in:"},
	"enrol.given":            {"管理者から渡された認証アプリのコードを入力し、PINを決めてください。", "Enter the code from the authenticator your administrator set up, and choose your PIN."},
	"enrol.pin":              {"PIN（新しく決める）", "PIN (choose one)"},
	"enrol.pin.help":         {"4〜8桁の数字。同じ数字だけにはできません。", "4 to 8 digits, not one digit repeated."},
	"enrol.pin.again":        {"PIN（確認）", "PIN (again)"},
	"enrol.submit":           {"設定してログイン", "Set up and log in"},
	"passkeys.title":         {"生体認証（WebAuthn）", "Biometric login (WebAuthn)"},
	"passkeys.help":          {"指紋・顔・手のひらなどで本人確認する認証器を、パスワードの次の認証に使えます。生体情報は認証器の中にとどまり、サーバには公開鍵だけが保存されます。", "An authenticator that checks your fingerprint, face or palm can be your second factor after the password. The biometric data stays in the authenticator; the server keeps only a public key."},
	"passkeys.list":          {"登録済みの認証器", "Registered authenticators"},
	"passkeys.name":          {"名前", "Name"},
	"passkeys.name.default":  {"この端末の生体認証", "This terminal's biometrics"},
	"passkeys.created":       {"登録日時", "Registered"},
	"passkeys.used":          {"最終利用", "Last used"},
	"passkeys.remove":        {"削除", "Remove"},
	"passkeys.none":          {"登録されている認証器はありません。", "No authenticator is registered."},
	"passkeys.add":           {"認証器を登録する", "Register an authenticator"},
	"passkeys.add.button":    {"登録を始める", "Start registration"},
	"passkeys.added":         {"認証器を登録しました。", "The authenticator was registered."},
	"passkeys.removed":       {"認証器を削除しました。", "The authenticator was removed."},
	"passkeys.stepup":        {"登録の前に、二要素認証をもう一度行ってください（直近5分以内の認証が必要です）。", "Before registering, pass the second factor again (it must be within the last 5 minutes)."},
	"passkeys.stepup.button": {"画面をロックして再認証する", "Lock and re-authenticate"},
	"passkeys.disabled":      {"このサーバでは生体認証（WebAuthn）が設定されていません。情報システム担当にお問い合わせください。", "WebAuthn is not configured on this server. Ask the IS department."},
	"second.passkey":         {"生体認証でログイン", "Log in with biometrics"},
	"second.passkey.help":    {"登録済みの認証器（指紋・顔など）で本人確認します。", "Verify yourself with your registered authenticator (fingerprint, face, …)."},
	"second.or":              {"または、認証コードとPINを入力してください。", "Or enter your code and PIN."},
	"lock.passkey":           {"生体認証でロック解除", "Unlock with biometrics"},
	"webauthn.unsupported":   {"このブラウザは生体認証（WebAuthn）に対応していません。", "This browser does not support WebAuthn."},
	"nav.passkeys":           {"生体認証", "Biometrics"},
	"home.review":            {"確認待ちの入力が %d 件あります", "%d entries await your confirmation"},
	"home.exports":           {"承認待ちのデータ抽出申請が %d 件あります", "%d export requests await approval"},
	"home.ready":             {"承認され、ダウンロードできるファイルが %d 件あります（期限内に取得してください）", "%d approved files are ready for you to download before they expire"},
	"home.recent":            {"最近開いた宛名", "Records you opened recently"},
	"home.search":            {"宛名を検索", "Find a resident"},
	"home.search.label":      {"氏名（カナ・漢字）、生年月日（和暦可）、住所の一部、宛名番号", "Name (kana or kanji), date of birth (和暦 too), part of the address, or resident code"},
	"home.search.submit":     {"検索", "Search"},
	"home.alerts":            {"未対応の警告", "Open alerts"},
	"home.mailfailing":       {"送信できていない状態報告メールがあります（再試行中）", "Status report mail is failing (being retried)"},
	"home.mail.subject":      {"件名", "Subject"},
	"home.mail.attempts":     {"試行回数", "Attempts"},
	"home.mail.error":        {"直近のエラー", "Last error"},
	"home.mail.next":         {"次回の試行", "Next attempt"},
	"home.scope":             {"作業中の団体", "Working in"},
	"home.switch":            {"団体を切り替える", "Switch municipality"},
	"home.switch.submit":     {"切替", "Switch"},
	"home.rights":            {"あなたの権限", "Your rights"},
	"home.until":             {"%s まで", "until %s"},
	"home.pending":           {"承認待ちの権限申請が %d 件あります", "%d applications for rights await approval"},
	"enrol.activation":       {"登録コード（所属長から受け取ったもの）", "Activation code (from your section head)"},
	"enrol.activation.help":  {"初期パスワードを設定した管理者とは別の人（所属長）が発行したコードです。", "Issued by someone other than the administrator who set your one-time password (your section head)."},
	"pin.title":              {"PIN変更", "Change PIN"},
	"pin.submit":             {"PINを変更する", "Change PIN"},
	"pin.changed":            {"PINを変更しました。", "Your PIN was changed."},
	"nav.pin":                {"PIN変更", "PIN"},
	"lock.title":             {"画面ロック中", "Session locked"},
	"lock.help":              {"一定時間操作がなかったため、画面をロックしました。認証コードとPINを入力すると、作業に戻ります。", "The session was locked after a period without activity. Enter your code and PIN to return to your work."},
	"lock.help.user":         {"「画面ロック」ボタンで画面をロックしました。認証コードとPINを入力すると、作業に戻ります。", "You locked the session with the Lock button. Enter your code and PIN to return to your work."},
	"lock.submit":            {"ロック解除", "Unlock"},
	"lock.now":               {"画面ロック", "Lock"},
	"password.title":         {"パスワード変更", "Change password"},
	"password.expired":       {"パスワードの有効期限が切れているか、初回ログインです。新しいパスワードを設定するまで、他の操作はできません。", "Your password has expired or is a one-time password. Set a new one before doing anything else."},
	"password.current":       {"現在のパスワード", "Current password"},
	"password.new":           {"新しいパスワード", "New password"},
	"password.confirm":       {"新しいパスワード（確認）", "New password (again)"},
	"password.rules":         {"12文字以上。ログインIDや、よく使われる語句、直近5回のパスワードは使えません。", "At least 12 characters; not the login ID, a common word, or one of the last 5 passwords."},
	"password.submit":        {"変更する", "Change"},
	"password.mismatch":      {"確認用のパスワードが一致しません", "The two new passwords differ"},
	"password.changed":       {"パスワードを変更しました。", "Your password was changed."},
	"home.title":             {"ホーム", "Home"},
	"home.welcome":           {"%sさん、ようこそ。", "Welcome, %s."},
	"home.municipality":      {"所属団体", "Municipality"},
	"home.section":           {"所属", "Section"},
	"home.all":               {"（全団体）", "(all municipalities)"},
	"home.empty":             {"あなたに許可された業務はまだありません。所属長に権限の申請を依頼してください。", "No work is granted to you yet. Ask your section head to apply for your rights."},
	"nav.home":               {"ホーム", "Home"},
	"nav.sub":                {"この業務のページ", "Pages of this work"},
	"nav.password":           {"パスワード変更", "Password"},
}
