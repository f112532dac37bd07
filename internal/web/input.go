package web

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"bango/internal/cleantext"
	"bango/internal/errs"
)

// Every text that enters bango is checked once, here, before any handler
// runs (issue 14 C): path parameters, query fields, form fields and JSON
// strings must be valid UTF-8 without NUL or control characters (tab and
// line breaks only in the fields that hold several lines). A request that
// fails is answered 400 naming the field; no database sees it.

// multiline are the fields that may hold line breaks: free-text reasons
// and notes, and the card's certificate requests in PEM (JPKI).
var multiline = map[string]bool{"note": true, "reason": true, "comment": true, "csr_signature": true, "csr_authentication": true}

var wildcard = regexp.MustCompile(`\{([a-zA-Z_]+)(?:\.\.\.)?\}`)

// pathParams are the names of the wildcards in a route pattern.
func pathParams(pattern string) []string {
	var out []string
	for _, m := range wildcard.FindAllStringSubmatch(pattern, -1) {
		out = append(out, m[1])
	}
	return out
}

// checkInput checks the path parameters, the query, and a form or JSON
// body of r (a JSON body is read here and handed on unchanged).
func checkInput(rt route, r *http.Request) error {
	var fe errs.FieldErrors
	for _, name := range pathParams(rt.pattern) {
		if !cleantext.Valid(r.PathValue(name), false) {
			fe.Add(name, cleantext.Reason)
		}
	}
	if !cleantext.Valid(r.URL.Path, false) {
		fe.Add("path", cleantext.Reason)
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		fe.Add("query", errs.Message{JA: "URLの問い合わせ部分が読めません", EN: "the query string cannot be read"})
	}
	checkValues(&fe, q, false)
	if r.Method == http.MethodPost && mediaType(r) == "application/json" {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			fe.Add("body", errs.Message{JA: "本文が読めません（大きすぎます）", EN: "the body cannot be read (too large)"})
		} else if err := checkJSON(b); err != nil {
			fe.List = append(fe.List, errs.Fields(err)...)
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
	}
	if r.Method == http.MethodPost && mediaType(r) == "application/x-www-form-urlencoded" {
		if err := r.ParseForm(); err != nil {
			fe.Add("form", errs.Message{JA: "フォームが読めません（大きすぎるか、形式が違います）", EN: "the form cannot be read (too large or malformed)"})
		} else {
			checkValues(&fe, r.PostForm, true)
		}
	}
	return fe.Err()
}

func mediaType(r *http.Request) string {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return ct
}

// checkValues adds a problem for each field of v that is not clean text;
// a field whose name itself is unreadable is named by position.
func checkValues(fe *errs.FieldErrors, v url.Values, form bool) {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		name := k
		if !cleantext.Valid(k, false) {
			name = "field " + strconv.Itoa(i+1)
			fe.Add(name, cleantext.Reason)
			continue
		}
		for _, val := range v[k] {
			if !cleantext.Valid(val, form && multiline[k]) {
				fe.Add(name, cleantext.Reason)
				break
			}
		}
	}
}

// checkJSON checks every string of a JSON body, keys included, and names
// the first bad one by its path (tenant, credential.response.id, items[2]).
func checkJSON(body []byte) error {
	broken := !utf8.Valid(body)
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		if broken {
			return badField("body")
		}
		return nil // the strict decoder says what is wrong with it
	}
	// Invalid UTF-8 decodes to U+FFFD: in a body that held some, the
	// first string with one is where it was.
	if path, ok := badString(v, "", broken); ok || broken {
		return badField(cmp.Or(path, "body"))
	}
	return nil
}

func badString(v any, path string, broken bool) (string, bool) {
	switch x := v.(type) {
	case string:
		last := path[strings.LastIndexByte(path, '.')+1:]
		return path, !cleantext.Valid(x, multiline[last]) || broken && strings.ContainsRune(x, utf8.RuneError)
	case []any:
		for i, e := range x {
			if p, bad := badString(e, path+"["+strconv.Itoa(i)+"]", broken); bad {
				return p, true
			}
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if !cleantext.Valid(k, false) || broken && strings.ContainsRune(k, utf8.RuneError) {
				return cmp.Or(path, "body"), true
			}
			p := k
			if path != "" {
				p = path + "." + k
			}
			if p, bad := badString(x[k], p, broken); bad {
				return p, true
			}
		}
	}
	return "", false
}

func badField(name string) error {
	var fe errs.FieldErrors
	fe.Add(name, cleantext.Reason)
	return fe.Err()
}

type badInputKey struct{}

// badInputOf is the input problem of a route that hears its own bad input
// (the login, where a bad field still counts as a failed login).
func badInputOf(ctx context.Context) error {
	err, _ := ctx.Value(badInputKey{}).(error)
	return err
}
