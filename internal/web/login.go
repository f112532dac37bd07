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
		p.Error, _ = problemText(p.Lang, bad)
		if cleantext.Valid(id, false) {
			p.Form["login_id"] = id
		}
		return s.render(w, r, http.StatusBadRequest, "login", p)
	}
	f, err := formValues(r, "login_id", "password")
	ctx := audit.WithActor(r.Context(), audit.Actor{User: "anonymous", Address: s.clientAddress(r)})
	if err != nil {
		s.refused(r.WithContext(ctx), "oversized_field", err)
		p.Error = errs.Fields(err)[0].Field + ": " + errs.Fields(err)[0].Reason.In(p.Lang)
		return s.render(w, r, http.StatusBadRequest, "login", p)
	}
	if f["login_id"] == "" || f["password"] == "" {
		p.Error = tr(p.Lang, "login.missing")
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
		p.Error = err.Error()
		p.Form["login_id"] = f["login_id"]
		return s.render(w, r, http.StatusUnauthorized, "login", p)
	}
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
		p.Error = errs.Fields(err)[0].Field + ": " + errs.Fields(err)[0].Reason.In(p.Lang)
		return s.render(w, r, http.StatusBadRequest, "second", p)
	}
	if _, err := s.users.CheckSecondFactor(r.Context(), sess.User.LoginID, f["code"], f["pin"]); err != nil {
		if !identity.ErrLogin(err) {
			return err
		}
		p.Error = err.Error()
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
		p.Error = err.Error()
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
		p.Error = tr(p.Lang, "password.mismatch")
		return s.render(w, r, http.StatusBadRequest, "password", p)
	}
	if err == nil {
		err = s.users.ChangeOwnPassword(r.Context(), *sess, f["current"], f["new"])
	}
	if err != nil {
		switch {
		case errs.Fields(err) != nil:
			p.Error = errs.Fields(err)[0].Reason.In(p.Lang)
		case errs.Is(err, errs.Unauthenticated):
			p.Error = err.Error()
		default:
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
	case errs.Fields(err) != nil:
		p.Error = errs.Fields(err)[0].Reason.In(p.Lang)
	case identity.ErrLogin(err) || errs.Is(err, errs.Forbidden):
		p.Error = err.Error()
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
			{pattern: "GET /api/v1/me", gate: loggedIn, json: true, h: s.apiMe},
			{pattern: "POST /api/v1/scope", gate: loggedIn, json: true, h: s.apiScope},
		},
		menu: []navItem{
			{Key: "nav.home", Href: "/"},
			{Key: "nav.password", Href: "/password", last: true},
			{Key: "nav.pin", Href: "/pin", last: true},
			{Key: "nav.passkeys", Href: "/passkeys", last: true},
		},
	}
}
