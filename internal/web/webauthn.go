package web

import (
	"encoding/json"
	"io"
	"net/http"

	"bango/internal/errs"
	"bango/internal/identity"
)

// The WebAuthn ceremonies. Each is two JSON calls from app.js: begin returns
// the options for navigator.credentials, finish takes the browser's answer.
// The pages carry the CSRF token, which app.js sends as X-CSRF-Token.

func (s *Server) passkeysPage(w http.ResponseWriter, r *http.Request) error {
	sess := sessionFrom(r.Context())
	p := s.newPage(r, "passkeys.title", sess)
	keys, err := s.users.Passkeys(r.Context(), sess.User.LoginID)
	if err != nil {
		return err
	}
	p.Passkeys = keys
	p.StepUpNeeded = !s.users.SecondFactorRecent(*sess)
	switch r.URL.Query().Get("done") {
	case "added":
		p.Notice = tr(p.Lang, "passkeys.added")
	case "removed":
		p.Notice = tr(p.Lang, "passkeys.removed")
	}
	return s.render(w, r, http.StatusOK, "passkeys", p)
}

func (s *Server) passkeyRegisterBegin(w http.ResponseWriter, r *http.Request) error {
	c, err := s.users.BeginPasskeyRegistration(r.Context(), *sessionFrom(r.Context()))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

// registration is what app.js posts to finish a registration.
type registration struct {
	Name       string          `json:"name"`
	Credential json.RawMessage `json:"credential"`
}

func (s *Server) passkeyRegisterFinish(w http.ResponseWriter, r *http.Request) error {
	body, err := readJSON(r)
	if err != nil {
		return err
	}
	var reg registration
	if err := json.Unmarshal(body, &reg); err != nil {
		return errs.E(errs.Invalid, "the request body is not the expected JSON: %v", err)
	}
	if _, err := s.users.FinishPasskeyRegistration(r.Context(), *sessionFrom(r.Context()), reg.Name, reg.Credential); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"next": "/passkeys?done=added"})
	return nil
}

func (s *Server) passkeyRemove(w http.ResponseWriter, r *http.Request) error {
	f, err := formValues(r, "ref")
	if err != nil {
		return err
	}
	if err := s.users.RemovePasskey(r.Context(), *sessionFrom(r.Context()), f["ref"]); err != nil {
		if !errs.Is(err, errs.Forbidden) {
			return err
		}
		sess := sessionFrom(r.Context())
		p := s.newPage(r, "passkeys.title", sess)
		if p.Data, err = s.users.Passkeys(r.Context(), sess.User.LoginID); err != nil {
			return err
		}
		p.Passkeys, p.StepUpNeeded, p.Error = p.Data.([]identity.Passkey), true, tr(p.Lang, "passkeys.stepup")
		return s.render(w, r, http.StatusForbidden, "passkeys", p)
	}
	http.Redirect(w, r, "/passkeys?done=removed", http.StatusSeeOther)
	return nil
}

// passkeyChallenge begins a WebAuthn check: at login and at the lock screen.
func (s *Server) passkeyChallenge(w http.ResponseWriter, r *http.Request) error {
	a, err := s.users.BeginPasskeyLogin(r.Context(), *sessionFrom(r.Context()))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

// passkeyLogin finishes the second step of a login with WebAuthn.
func (s *Server) passkeyLogin(w http.ResponseWriter, r *http.Request) error {
	sess := sessionFrom(r.Context())
	body, err := readJSON(r)
	if err != nil {
		return err
	}
	if err := s.users.CheckPasskey(r.Context(), *sess, body); err != nil {
		if identity.ErrLogin(err) {
			s.metrics.Login("second_factor_refused")
		}
		return err
	}
	next, err := s.completeLogin(w, r, sess)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"next": next})
	return nil
}

// passkeyUnlock reopens a locked session with WebAuthn.
func (s *Server) passkeyUnlock(w http.ResponseWriter, r *http.Request) error {
	body, err := readJSON(r)
	if err != nil {
		return err
	}
	if err := s.users.UnlockWithPasskey(r.Context(), *sessionFrom(r.Context()), body); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"next": localPath(r.URL.Query().Get("next"))})
	return nil
}

// readJSON reads a JSON request body, refusing any other content type (so
// that a plain HTML form from elsewhere cannot post here) and an oversized
// body (limitBody caps it).
func readJSON(r *http.Request) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		return nil, errs.E(errs.Invalid, "expected Content-Type application/json, got %q", ct)
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, errs.E(errs.Invalid, "the request body could not be read: %v", err)
	}
	return b, nil
}
