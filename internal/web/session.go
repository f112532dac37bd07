package web

import (
	"context"
	"crypto/subtle"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"bango/internal/access"
	"bango/internal/audit"
	"bango/internal/cleantext"
	"bango/internal/errs"
	"bango/internal/identity"
	"bango/internal/terminal"
)

// cookieName has the __Host- prefix: the browser keeps it only if it is
// Secure, has Path=/ and no Domain, so no other site can set or read it.
const cookieName = "__Host-bango"

func setSessionCookie(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: token, Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
}

func clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode, MaxAge: -1})
}

// clientAddress is the address of the client. Behind a trusted proxy it is
// the right-most address in X-Forwarded-For that is not itself a trusted
// proxy; from anyone else the header is ignored, since a client can write
// whatever it likes there.
func (s *Server) clientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if !s.trusted(host) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		if hop == "" {
			continue
		}
		if _, err := netip.ParseAddr(hop); err != nil {
			return host // a malformed chain: trust only the proxy itself
		}
		if !s.trusted(hop) {
			return hop
		}
	}
	return host
}

func (s *Server) trusted(addr string) bool {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return false
	}
	for _, p := range s.proxies {
		if p.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}

type sessionKey struct{}

func sessionFrom(ctx context.Context) *identity.Session {
	s, _ := ctx.Value(sessionKey{}).(*identity.Session)
	return s
}

// loadSession reads the session of the request's cookie, if any.
func (s *Server) loadSession(r *http.Request) (*identity.Session, error) {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return nil, identity.ErrNoSession
	}
	sess, err := s.users.Session(r.Context(), c.Value)
	if err != nil {
		return nil, err
	}
	return &sess, nil
}

var errCSRF = errs.E(errs.Forbidden, "the form's token does not match the session")

// checkCSRF compares the form's token with the session's on every
// state-changing request; the browser's cross-origin protection is the
// first wall, this the second.
// A form with a file is read as a stream up to its file (upload.go); the
// request returned carries the rest.
func checkCSRF(r *http.Request, sess *identity.Session) (*http.Request, error) {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return r, nil
	}
	token := r.Header.Get("X-CSRF-Token") // the JSON endpoints' page scripts send it here
	if token == "" && mediaType(r) == "multipart/form-data" {
		var err error
		if r, err = readFormHead(r); err != nil {
			return r, err
		}
	}
	if token == "" {
		token = r.PostFormValue("csrf")
	}
	if subtle.ConstantTimeCompare([]byte(token), []byte(sess.CSRF)) != 1 {
		return r, errCSRF
	}
	return r, nil
}

var errTerminal = errs.E(errs.Forbidden, "this terminal is not registered")

// terminalOf names the registered terminal the request comes from: by its
// address and, when its certificate is pinned, its client certificate.
// With enforcement on, a request from anywhere else is refused and audited.
func (s *Server) terminalOf(r *http.Request) (string, error) {
	if s.terminals == nil {
		return "", nil
	}
	addr, err := netip.ParseAddr(s.clientAddress(r))
	fp := ""
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		fp = terminal.Fingerprint(r.TLS.PeerCertificates[0])
	}
	var t terminal.Terminal
	found := false
	if err == nil {
		if t, found, err = s.terminals.Match(r.Context(), addr, fp); err != nil {
			return "", err
		}
	}
	if !found && s.enforce {
		if err := s.limitAnonymous(r, "unregistered_terminal"); err != nil {
			return "", err
		}
		s.refused(r, "unregistered_terminal address="+s.clientAddress(r), errTerminal)
		return "", errTerminal
	}
	return t.Name, nil
}

var (
	errWrongStage = errs.E(errs.Forbidden, "this step is not open to the session now")
	errLockedAPI  = errs.E(errs.Locked, "the session is locked: unlock it first")
	errExpiredAPI = errs.E(errs.Forbidden, "the password has expired: change it first")
)

type rightsKey struct{}

func rightsFrom(ctx context.Context) access.Rights {
	r, _ := ctx.Value(rightsKey{}).(access.Rights)
	return r
}

// sessionGate checks, in order: terminal, session, stage, lock, password
// expiry, CSRF, and the route's permission (read from the live grants at
// every request, so an ended grant ends the right at once). A route
// answering JSON gets errors instead of redirects.
func (s *Server) sessionGate(rt route, h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		redirect := func(to string, apiErr error) error {
			if rt.json {
				return apiErr
			}
			http.Redirect(w, r, to, http.StatusSeeOther)
			return nil
		}
		term, err := s.terminalOf(r)
		if err != nil {
			return err
		}
		sess, err := s.loadSession(r)
		if err != nil {
			if errs.Is(err, errs.Unauthenticated) {
				clearSessionCookie(w)
				return redirect("/login", err)
			}
			return err
		}
		infoOf(r.Context()).user = sess.User.LoginID
		if s.enforce && term != sess.Terminal {
			// A session stays on the terminal it logged in from.
			s.refused(r, "session_terminal_changed from="+sess.Terminal+" to="+term, errTerminal)
			return errTerminal
		}
		ctx := audit.WithActor(r.Context(), sess.Actor())
		r = r.WithContext(context.WithValue(ctx, sessionKey{}, sess))
		switch rt.gate {
		case passwordStage:
			if sess.Stage != identity.StagePassword {
				return redirect("/", errWrongStage)
			}
		case loggedIn:
			if sess.Stage != identity.StageActive {
				return redirect("/login/second", errWrongStage)
			}
			if sess.Locked {
				next := "/"
				if r.Method == http.MethodGet {
					next = r.URL.RequestURI()
				}
				return redirect("/lock?next="+url.QueryEscape(next), errLockedAPI)
			}
			if s.users.PasswordExpired(sess.User) {
				return redirect("/password", errExpiredAPI)
			}
		case anySession:
			if sess.Stage != identity.StageActive && r.URL.Path != "/logout" {
				return redirect("/login/second", errWrongStage)
			}
		}
		if r, err = checkCSRF(r, sess); err != nil {
			if errs.Is(err, errs.Invalid) {
				return err // an unreadable form: no token to compare
			}
			s.refused(r, "csrf", err)
			return err
		}
		if rt.gate == loggedIn {
			rights, err := s.rightsOf(r, sess)
			if err != nil {
				return err
			}
			r = r.WithContext(context.WithValue(r.Context(), rightsKey{}, rights))
			if rt.perm != "" && !allowed(rights, rt, sess.Tenant) {
				err := errs.Tell(errs.Forbidden, access.Lacking(rt.perm), "you do not hold %s for this", rt.perm)
				s.refused(r, "permission perm="+string(rt.perm)+" tenant="+sess.Tenant, err)
				return err
			}
		}
		return h(w, r)
	}
}

func allowed(rights access.Rights, rt route, tenant string) bool {
	switch rt.where {
	case systemWide:
		return rights.Has(rt.perm, "")
	case currentTenant:
		return rights.Has(rt.perm, tenant)
	default:
		return rights.Anywhere(rt.perm)
	}
}

// rightsOf reads the user's live rights and keeps the session's
// municipality among those they hold rights for: the home municipality if
// possible, else the first; a municipality whose grants ended is left.
func (s *Server) rightsOf(r *http.Request, sess *identity.Session) (access.Rights, error) {
	rights, err := s.access.RightsOf(r.Context(), sess.User.ID)
	if err != nil {
		return rights, err
	}
	tenants := rights.AllTenants()
	want := sess.Tenant
	if !slices.Contains(tenants, want) {
		want = ""
		if slices.Contains(tenants, sess.User.Tenant) {
			want = sess.User.Tenant
		} else if len(tenants) > 0 {
			want = tenants[0]
		}
	}
	if want != sess.Tenant {
		if err := s.users.SetSessionTenant(r.Context(), *sess, want); err != nil {
			return rights, err
		}
		sess.Tenant = want
	}
	return rights, nil
}

// refused records a refused request as an audit event, and counts it.
func (s *Server) refused(r *http.Request, why string, err error) {
	s.metrics.Refused(refusalReason(why))
	ctx := r.Context()
	if _, ok := audit.ActorFrom(ctx); !ok {
		ctx = audit.WithActor(ctx, audit.Actor{User: "anonymous", Address: s.clientAddress(r)})
	}
	ev := audit.Event{Action: "request.refused", Subject: audit.Subject{Type: "path", ID: r.URL.Path}, Outcome: audit.Denied,
		Detail: "reason=" + why + " method=" + r.Method}
	if aerr := audit.RecordAlone(ctx, s.db, ev); aerr != nil {
		s.log.ErrorContext(ctx, "audit event for a refused request not written", "err", aerr, "cause", err)
	}
}

// maxField bounds each form field: nothing a person types here is longer.
const maxField = 256

// formValues reads the named fields, refusing an oversized one with the
// field's name.
func formValues(r *http.Request, names ...string) (map[string]string, error) {
	out := map[string]string{}
	var fe errs.FieldErrors
	for _, n := range names {
		v := r.PostFormValue(n)
		if len(v) > maxField || !utf8.ValidString(v) {
			fe.Add(n, errs.Message{JA: "長すぎるか、不正な文字が含まれています", EN: "is too long or not valid text"})
			continue
		}
		out[n] = strings.TrimSpace(v)
	}
	return out, fe.Err()
}

// localPath accepts only a path on this site as a place to return to;
// anything else is "/". Browsers drop tabs and line breaks from a URL and
// read a backslash as a slash, so "/\t/evil.example" or "/\\evil.example"
// would take the user to another host: a next with a control character,
// a backslash or a space is refused outright, and what is returned is
// rebuilt from the parsed path and query, never the text as given.
func localPath(next string) string {
	if next == "" || !cleantext.Valid(next, false) || strings.ContainsAny(next, "\\ ") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" ||
		!strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") || strings.HasPrefix(next, "//") {
		return "/"
	}
	out := u.EscapedPath()
	if u.RawQuery != "" {
		out += "?" + u.RawQuery
	}
	return out
}
