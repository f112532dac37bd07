package web

import (
	"net/http"
	"net/url"
	"strconv"

	"bango/internal/store"
)

// Lists a page at a time (issue 16): a handler reads the cursor from the
// query, asks its service for one store.Page, and the page shows it with
// {{template "pager" …}} under the list; the API answers the page's items
// under the list's own key and "next", the cursor to send back as
// ?cursor= for the page after (the empty string at the end).

// pager is the line under a paged list: that more exist, and the link to
// them.
type pager struct {
	ID   string // the link's id
	Href string // the next page; "" for a list cut without one
	More bool   // more exist than are shown
	Link string // catalogue key of the link's text
}

// pagerOf is the pager of p, shown at path: its link keeps the query of r
// (filters, other lists' cursors) and sets param to p's cursor.
func pagerOf[T any](r *http.Request, p store.Page[T], path, param string) pager {
	pg := pager{ID: "next-" + param, More: p.More, Link: "pager.next"}
	if p.Next != "" {
		q := url.Values{}
		for k, v := range r.URL.Query() {
			if k != "done" {
				q[k] = v
			}
		}
		q.Set(param, p.Next)
		pg.Href = path + "?" + q.Encode()
	}
	return pg
}

// pageAsked is the cursor and page size a list request asks for: the
// query's param (cursor by default) and limit, which the service clamps.
func pageAsked(r *http.Request, param string) (cursor string, limit int) {
	limit, _ = strconv.Atoi(r.URL.Query().Get("limit"))
	return r.URL.Query().Get(param), limit
}
