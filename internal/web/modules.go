package web

import (
	"net/http"

	"bango/internal/access"
	"bango/internal/identity"
)

// A webModule is one business area's share of the web layer, declared in its
// own file group and collected by the server: its routes (pages and API),
// its menu entries and its home-page counters. The NHI, public-expense,
// linkage and JPKI screens each add one here, with its strings to the
// catalogue below; nothing else lists them.
type webModule struct {
	name     string
	routes   []route
	menu     []navItem
	counters []counter
}

// collectModules is every module, in menu order.
func (s *Server) collectModules() []webModule {
	return []webModule{s.systemModule(), s.accountModule(), s.residentModule(), s.nhiModule(), s.nhiAssessModule(), s.pubmedModule(), s.numbersetupModule(), s.jpkiModule(), s.reviewModule(), s.exportModule(),
		s.auditModule(), s.accessModule(), s.adminModule(), s.linkageModule(), s.linkageHeldModule(), s.linkagePartnerModule()}
}

// catalogue is every string the UI shows: the layout's and each module's,
// kept in the module's file group.
var catalogue = joinMessages(commonMessages, fieldMessages, alertMessages, accountMessages, residentMessages, nhiMessages, nhiAssessMessages, nhiRemissionChangeMessages, nhiPensionMessages, pubmedMessages, numbersetupMessages, jpkiMessages, reviewMessages, exportMessages,
	auditMessages, accessMessages, adminMessages, eventMessages, reportMessages, linkageMessages, linkageHeldMessages)

// navItem is a menu entry; it shows only to holders of perm.
type navItem struct {
	Key, Href string
	Current   bool
	perm      access.Permission // "" for everyone logged in
	last      bool              // one's own account: after the modules' entries
	// under is the Key of the module's entry this page belongs under: it
	// is listed in the module's own menu below the main one, shown on the
	// module's pages, so that the main menu keeps one row.
	under string
}

// menu is the modules' entries in order, one's own account last.
func menu(mods []webModule) []navItem {
	var first, last []navItem
	for _, m := range mods {
		for _, n := range m.menu {
			if n.last {
				last = append(last, n)
			} else {
				first = append(first, n)
			}
		}
	}
	return append(first, last...)
}

// counter is a number on the home page: what waits for the person, counted
// in the database (a list cut at a page would under-count a busy day). It
// shows to holders of perm where it says, when it is not zero.
type counter struct {
	id, key, href string // key: a message taking the count; href "" when no page of the person's lists them
	perm          access.Permission
	where         where
	count         func(r *http.Request, sess *identity.Session) (int, error)
}

// holds reports whether rights let the session see c.
func (c counter) holds(rights access.Rights, sess *identity.Session) bool {
	switch c.where {
	case currentTenant:
		return rights.Has(c.perm, sess.Tenant)
	case systemWide:
		return rights.Has(c.perm, "")
	}
	return rights.Anywhere(c.perm)
}
