package web

import (
	"context"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"net/http"
	"strings"
	"sync"
	"time"

	"bango/internal/access"
	"bango/internal/errs"
	"bango/internal/identity"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed assets
var assetFiles embed.FS

func assets() http.Handler {
	sub, err := fs.Sub(assetFiles, "assets")
	if err != nil {
		panic(err)
	}
	return http.StripPrefix("/static/", http.FileServer(http.FS(sub)))
}

// pageNames are the pages; each is parsed with the layout.
var pageNames = []string{"login", "second", "enrol", "lock", "password", "pin", "passkeys", "home", "grants", "pending", "patterns", "users", "terminals", "residents", "resident", "nhi", "nhiperson", "nhihousehold", "nhiacquire", "nhinew", "nhidoc", "nhiestimate", "nhiassessments", "nhinotice", "nhinotices", "nhirates", "nhirevenue", "nhiremissions", "nhiremission", "nhipensions", "nhibirths", "nhiruns", "nhirun", "pubmed", "pubmedapply", "pubmedapp", "pubmedcert", "pubmedprint", "pubmedcabinets", "pubmeddeletions", "pubmedrenewals", "pubmedregs", "pubmedregprint", "numbersetup", "numbersetupsetup", "jpki", "linkage", "partnerheld", "review", "reviewmine", "change", "exports", "exportpending", "audit", "report", "alerts", "periodreview", "error"}

func parsePages() map[string]*template.Template {
	pages := map[string]*template.Template{}
	for _, name := range pageNames {
		t := template.New(name).Funcs(template.FuncMap{"t": func(string) string { return "" }, "tf": func(string, ...any) string { return "" }, "when": func(time.Time) string { return "" },
			"day": func(time.Time) string { return "" }, "birth": func(time.Time) string { return "" }, "muni": func(string) string { return "" }, "alertDetail": func(string) string { return "" }, "action": func(string) string { return "" }, "outcome": func(string) string { return "" },
			"join": func(ss []string) string { return strings.Join(ss, ", ") }, "list": func(ss ...string) []string { return ss }})
		template.Must(t.ParseFS(templateFiles, "templates/layout.html", "templates/partials.html", "templates/"+name+".html"))
		pages[name] = t
	}
	return pages
}

// page is what every template sees.
type page struct {
	Lang, OtherLang, Title, Path string
	Session                      *identity.Session
	Full                         bool // logged in and unlocked: idle countdown, lock button, menu
	IdleSeconds                  int
	IdleText                     string
	Nav                          []navItem
	SubNav                       []navItem // the current module's pages, under the menu
	Error, Notice                string
	Problems                     []formField // the refused fields, for the error summary and each field
	ErrorAt                      string      // the form whose own place shows Error, instead of the top of the page
	Form                         map[string]string
	Expired                      bool
	Next                         string
	Message                      string
	QR                           template.URL // a data: URL of the TOTP QR code
	Secret                       string
	Passkeys                     []identity.Passkey
	StepUpNeeded                 bool // a sensitive act needs a fresh second factor first
	WebAuthn                     bool // WebAuthn is configured on this server
	Rights                       access.Rights
	Tenants                      []string // municipalities the user may switch to
	Data                         any      // the page's own content
}

func (s *Server) newPage(r *http.Request, title string, sess *identity.Session) *page {
	l := lang(r)
	p := &page{Lang: l, OtherLang: map[string]string{"ja": "en", "en": "ja"}[l], Title: title, Path: r.URL.Path, Session: sess, Form: map[string]string{}}
	p.WebAuthn = s.users != nil && s.users.WebAuthnEnabled()
	if sess != nil && sess.Stage == identity.StageActive && !sess.Locked {
		p.Full = true
		left := sess.IdleLeft(s.users.SessionPolicy(), time.Now())
		shown := int(left.Seconds())
		p.IdleText = fmt.Sprintf("%d:%02d", shown/60, shown%60)
		// The page reloads a second after the deadline: a reload before it
		// would count as activity and put the lock off for ever.
		p.IdleSeconds = int(math.Ceil(left.Seconds())) + 1
		rights := rightsFrom(r.Context())
		p.Rights = rights
		var subs []navItem
		for _, n := range s.menu {
			if n.perm != "" && !rights.Anywhere(n.perm) {
				continue
			}
			n.Current = n.Href == r.URL.Path
			if n.under != "" {
				subs = append(subs, n)
				continue
			}
			p.Nav = append(p.Nav, n)
		}
		p.SubNav = subMenu(p.Nav, subs, r.URL.Path)
		p.Tenants = rights.AllTenants()
	}
	return p
}

// subMenu is the pages listed under the main menu's entry whose module is
// open: the entry's own page, a page under it, or a page below the
// entry's path (/nhi/persons/… under /nhi); nil on other pages.
func subMenu(top, subs []navItem, path string) []navItem {
	for _, t := range top {
		var mine []navItem
		open := t.Current || strings.HasPrefix(path, t.Href+"/")
		for _, n := range subs {
			if n.under == t.Key {
				mine = append(mine, n)
				open = open || n.Current
			}
		}
		if open && len(mine) > 0 {
			return append([]navItem{t}, mine...)
		}
	}
	return nil
}

// fill sets what a form page shows: its data, the problem to fix (if
// any), the form as the person sent it (nil: as it was), and the notice
// of what was just done, read from ?done= through notices (done value →
// message key), so that only known messages show.
func (p *page) fill(r *http.Request, data any, problem refusal, form map[string]string, notices map[string]string) {
	p.Data = data
	p.refuse(problem)
	if form != nil {
		p.Form = form
	}
	if key, ok := notices[r.URL.Query().Get("done")]; ok {
		p.Notice = tr(p.Lang, key)
	}
}

// refuse shows problem on the page: its sentence at the top, and its
// fields in the error summary and beside each field.
func (p *page) refuse(problem refusal) {
	p.Error, p.Problems, p.ErrorAt = problem.Text, problem.Fields, problem.At
}

// municipalityName shows a municipality by its name with the code beside
// it (新宿区（131041）), all municipalities for "", and the code alone for
// one not registered. The names are read once per page, when first used.
func (s *Server) municipalityName(r *http.Request, lang string) func(code string) string {
	names := sync.OnceValue(func() map[string]string {
		m := map[string]string{}
		ts, err := s.biz.Tenants.List(r.Context())
		if err != nil {
			s.log.WarnContext(r.Context(), "municipality names unreadable; codes shown", "err", err)
		}
		for _, t := range ts {
			m[t.Code] = t.Name
		}
		return m
	})
	return func(code string) string {
		if code == "" {
			return tr(lang, "home.all")
		}
		name, ok := names()[code]
		switch {
		case !ok:
			return code
		case lang == "en":
			return name + " (" + code + ")"
		}
		return name + "（" + code + "）"
	}
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) error {
	t, ok := s.pages[name]
	if !ok {
		return errs.E(errs.Internal, "web: no page %q", name)
	}
	t, err := t.Clone()
	if err != nil {
		return err
	}
	t.Funcs(template.FuncMap{
		"t":           func(key string) string { return tr(p.Lang, key) },
		"tf":          func(key string, args ...any) string { return fmt.Sprintf(tr(p.Lang, key), args...) },
		"when":        func(t time.Time) string { return when(p.Lang, t) },
		"day":         func(t time.Time) string { return day(p.Lang, t) },
		"birth":       func(t time.Time) string { return birth(p.Lang, t, time.Now()) },
		"muni":        s.municipalityName(r, p.Lang),
		"alertDetail": func(detail string) string { return alertDetail(p.Lang, detail) },
		"action":      func(key string) string { return actionLabel(p.Lang, key) },
		"outcome":     func(key string) string { return outcomeLabel(p.Lang, key) },
	})
	for i, f := range p.Problems { // a field named alike on several forms: its label on this one
		if key := "field." + name + "." + f.Field; catalogue[key] != [2]string{} {
			p.Problems[i].Label = tr(p.Lang, key)
		}
	}
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, "layout", p); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err = w.Write([]byte(b.String()))
	return err
}

var errorMessage = map[errs.Kind]string{
	errs.Forbidden: "error.forbidden", errs.NotFound: "error.notfound", errs.Invalid: "error.invalid",
}

// viewer is r with the session and rights of a person logged in and
// unlocked, for an error page that keeps their header and menu; r as it is
// for anyone else.
func (s *Server) viewer(r *http.Request) *http.Request {
	sess, err := s.loadSession(r)
	if err != nil || sess.Stage != identity.StageActive || sess.Locked {
		return r
	}
	rights, err := s.access.RightsOf(r.Context(), sess.User.ID)
	if err != nil {
		return r
	}
	ctx := context.WithValue(context.WithValue(r.Context(), sessionKey{}, sess), rightsKey{}, rights)
	return r.WithContext(ctx)
}

// pageHandler adapts a page handler: an error becomes an error page with
// the status of its kind; internal errors are logged, never shown.
func (s *Server) pageHandler(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		kind := errs.KindOf(err)
		if kind == errs.Internal {
			s.log.ErrorContext(r.Context(), "page failed", "path", r.URL.Path, "err", err)
		}
		msg, ok := errorMessage[kind]
		if !ok {
			msg = "error.internal"
		}
		switch err {
		case errCSRF:
			msg = "error.csrf"
		case errTerminal:
			msg = "error.terminal"
		}
		// A refusal or a wrong address keeps the person's header and menu:
		// no dead end.
		view := r
		if kind == errs.Forbidden || kind == errs.NotFound {
			view = s.viewer(r)
		}
		p := s.newPage(view, "error.title", sessionFrom(view.Context()))
		p.Message = msg
		if said, ok := errs.Told(err, p.Lang); ok && kind != errs.Internal && kind != errs.NotFound {
			p.Data = said // the refusal's own sentence: which right is missing, and whom to ask
		}
		if rerr := s.render(w, r, statusOf[kind], "error", p); rerr != nil {
			http.Error(w, http.StatusText(statusOf[kind]), statusOf[kind])
		}
	})
}
