package web

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"bango/internal/access"
	"bango/internal/errs"
	"bango/internal/testutil/testkit"
)

// Issue 17: the API's description. The document served at
// /api/v1/openapi.json is OpenAPI 3.1.0, describes every /api/v1 route of
// the route table with its method and nothing else, and every $ref in it
// resolves; each request body's schema, filled with sample values, is
// taken by the strict decoder into the handler's type (and keeps every
// value), at the route itself too, and a body with one property more is
// refused; every answer of the API matches its description: the answer's
// schema, or problem details (RFC 9457) for an error. On both engines.
func TestOpenAPI(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		var every []string
		for _, p := range access.DefaultPatterns {
			every = append(every, p.Code)
		}
		u := f.kit.Staff(t, testkit.Staff{Login: "all.rights", Name: "試験　全権", Tenant: testkit.Shinjuku, Section: "試験課", Patterns: every})
		testkit.Resident(t, f.residents, testkit.Shinjuku, testkit.Person("100001", ""))
		c, csrf := f.session(t, u)

		// The document as a client reads it.
		res, _ := f.send(t, f.client(t), "", "GET", "/api/v1/openapi.json", "")
		if res.StatusCode != http.StatusUnauthorized || res.Header.Get("Content-Type") != problemJSON {
			t.Fatalf("the description without a session: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
		}
		res, raw := f.send(t, c, "", "GET", "/api/v1/openapi.json", "")
		var doc apiDocument
		if err := json.Unmarshal(raw, &doc); err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("GET /api/v1/openapi.json: %d %v\n%s", res.StatusCode, err, raw)
		}
		if doc.OpenAPI != "3.1.0" {
			t.Fatalf("openapi = %q, want 3.1.0", doc.OpenAPI)
		}
		if bad := danglingRefs(&doc, raw); len(bad) > 0 {
			t.Fatalf("$ref to nothing: %v", bad)
		}

		// Both ways: the route table's API routes and the operations.
		var table, described []string
		apiRoutes := map[string]route{}
		for _, rt := range f.server.routes() {
			if _, p, _ := strings.Cut(rt.pattern, " "); strings.HasPrefix(p, apiPrefix) {
				table = append(table, rt.pattern)
				apiRoutes[rt.pattern] = rt
			}
		}
		ids := map[string]bool{}
		for p, ops := range doc.Paths {
			for m, op := range ops {
				described = append(described, strings.ToUpper(m)+" "+p)
				if op.Summary == "" || ids[op.OperationID] || op.Responses["4XX"] == nil || op.Responses["5XX"] == nil {
					t.Errorf("%s %s: summary %q, operationId %q (twice: %v), error responses %v", m, p, op.Summary, op.OperationID, ids[op.OperationID], op.Responses)
				}
				ids[op.OperationID] = true
			}
		}
		slices.Sort(table)
		slices.Sort(described)
		if d := cmp.Diff(table, described); d != "" {
			t.Fatalf("routes (-table +described):\n%s", d)
		}

		v := &validator{doc: &doc}
		for _, pattern := range table {
			rt := apiRoutes[pattern]
			method, p, _ := strings.Cut(pattern, " ")
			op := doc.Paths[p][strings.ToLower(method)]
			_, path := requestOf(pattern)
			if rt.body == nil {
				if op.RequestBody != nil {
					t.Errorf("%s: described with a body it does not read", pattern)
				}
				if pattern == "GET /api/v1/residents" {
					path += "?q=100001"
				}
				if method == http.MethodGet {
					v.answer(t, f, c, csrf, op, pattern, method, path, "")
				}
				continue
			}
			if op.RequestBody == nil || !op.RequestBody.Required || op.RequestBody.Content["application/json"].Schema == nil {
				t.Errorf("%s: its body is not described", pattern)
				continue
			}
			s := op.RequestBody.Content["application/json"].Schema
			for _, all := range []bool{false, true} {
				sample := v.sample(s, all).(map[string]any)
				in := reflect.New(reflect.TypeOf(rt.body))
				if err := decodeJSON(jsonRequest(t, sample), in.Interface()); err != nil {
					t.Errorf("%s: the strict decoder refuses the described body %s: %v", pattern, toJSON(sample), err)
					continue
				}
				if all {
					var back map[string]any
					json.Unmarshal([]byte(toJSON(in.Interface())), &back)
					if d := cmp.Diff(sample, back); d != "" {
						t.Errorf("%s: the decoded body loses or changes described properties (-sent +decoded):\n%s", pattern, d)
					}
				}
				extra := maps.Clone(sample)
				extra["undescribed"] = "x"
				if err := decodeJSON(jsonRequest(t, extra), reflect.New(reflect.TypeOf(rt.body)).Interface()); !errs.Is(err, errs.Invalid) {
					t.Errorf("%s: the strict decoder takes an undescribed property: %v", pattern, err)
				}
				// At the route: the handler decodes what is described, and
				// refuses one property more.
				if p := v.answer(t, f, c, csrf, op, pattern, method, path, toJSON(sample)); p != nil && strings.HasPrefix(p.Message, "the request body") {
					t.Errorf("%s: the handler refuses the described body %s: %s", pattern, toJSON(sample), p.Message)
				}
				if p := v.answer(t, f, c, csrf, op, pattern, method, path, toJSON(extra)); p == nil || p.Status != http.StatusBadRequest || !strings.Contains(p.Message, "unknown field") {
					t.Errorf("%s: the handler does not refuse an undescribed property: %+v", pattern, p)
				}
			}
		}
		if !v.checked {
			t.Fatal("no answer was checked")
		}

		// A POST body's pattern is a pattern as GET answers it.
		g := newSchemas()
		bodyOf, patternOf := g.of(reflect.TypeFor[patternBody]()), g.of(reflect.TypeFor[access.Pattern]())
		if a, b := slices.Sorted(maps.Keys(g.defs[strings.TrimPrefix(bodyOf.Ref, schemaRef)].Properties)), slices.Sorted(maps.Keys(g.defs[strings.TrimPrefix(patternOf.Ref, schemaRef)].Properties)); !slices.Equal(a, b) {
			t.Errorf("patternBody has %v, access.Pattern %v", a, b)
		}
	})
}

func jsonRequest(t *testing.T, v any) *http.Request {
	t.Helper()
	r := httptest.NewRequest("POST", "/api/v1/x", strings.NewReader(toJSON(v)))
	r.Header.Set("Content-Type", "application/json")
	return r
}

// danglingRefs are the $refs of the served document that name nothing in
// its components.
func danglingRefs(doc *apiDocument, raw []byte) []string {
	var bad []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				kind, name, _ := strings.Cut(strings.TrimPrefix(ref, "#/components/"), "/")
				if (kind != "schemas" || doc.Components.Schemas[name] == nil) && (kind != "responses" || doc.Components.Responses[name] == nil) {
					bad = append(bad, ref)
				}
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	var all any
	json.Unmarshal(raw, &all)
	walk(all)
	return bad
}

// validator checks JSON values against the document's schemas and makes
// samples of them.
type validator struct {
	doc     *apiDocument
	checked bool // an answer's schema was checked
}

func (v *validator) resolve(s *schema) *schema {
	for s != nil && s.Ref != "" {
		s = v.doc.Components.Schemas[strings.TrimPrefix(s.Ref, schemaRef)]
	}
	return s
}

// schemaOf reads additionalProperties as the served document holds it.
func schemaOf(x any) (*schema, bool) {
	m, ok := x.(map[string]any)
	if !ok {
		return nil, false
	}
	var s schema
	json.Unmarshal([]byte(toJSON(m)), &s)
	return &s, true
}

// sample is a value of s: every required property, or every property.
func (v *validator) sample(s *schema, all bool) any {
	s = v.resolve(s)
	switch s.Type {
	case "string":
		if s.Format == "date-time" {
			return "2025-04-01T09:00:00+09:00"
		}
		return "x"
	case "integer":
		return 1.0
	case "number":
		return 1.5
	case "boolean":
		return true
	case "array":
		return []any{v.sample(s.Items, all)}
	case "object":
		out := map[string]any{}
		for name, p := range s.Properties {
			if all || slices.Contains(s.Required, name) {
				out[name] = v.sample(p, all)
			}
		}
		if ap, ok := schemaOf(s.AdditionalProperties); ok {
			out["key"] = v.sample(ap, all)
		}
		return out
	}
	return "x"
}

// conforms reports how x differs from s; nil when it conforms.
func (v *validator) conforms(s *schema, x any, at string) error {
	s = v.resolve(s)
	if s == nil {
		return fmt.Errorf("%s: no schema", at)
	}
	wrong := func() error { return fmt.Errorf("%s: %s is not %s %s", at, toJSON(x), s.Type, s.Format) }
	switch s.Type {
	case "string":
		str, ok := x.(string)
		if !ok {
			return wrong()
		}
		if s.Format == "date-time" {
			if _, err := time.Parse(time.RFC3339, str); err != nil {
				return wrong()
			}
		}
	case "integer":
		if n, ok := x.(float64); !ok || n != float64(int64(n)) {
			return wrong()
		}
	case "number":
		if _, ok := x.(float64); !ok {
			return wrong()
		}
	case "boolean":
		if _, ok := x.(bool); !ok {
			return wrong()
		}
	case "array":
		list, ok := x.([]any)
		if !ok {
			return wrong()
		}
		for i, e := range list {
			if err := v.conforms(s.Items, e, fmt.Sprintf("%s[%d]", at, i)); err != nil {
				return err
			}
		}
	case "object":
		m, ok := x.(map[string]any)
		if !ok {
			return wrong()
		}
		for _, name := range s.Required {
			if _, ok := m[name]; !ok {
				return fmt.Errorf("%s: no %s", at, name)
			}
		}
		ap, isSchema := schemaOf(s.AdditionalProperties)
		for name, e := range m {
			p, ok := s.Properties[name]
			switch {
			case ok:
			case isSchema:
				p = ap
			case s.AdditionalProperties == false:
				return fmt.Errorf("%s: undescribed %s", at, name)
			default:
				continue
			}
			if err := v.conforms(p, e, at+"."+name); err != nil {
				return err
			}
		}
	}
	return nil
}

// answer sends a request to an API route and checks its answer against
// the operation's description: its success answer or problem details.
// It returns the problem, if the answer is one.
func (v *validator) answer(t *testing.T, f *webFixture, c *http.Client, csrf string, op *operation, pattern, method, path, body string) *problem {
	t.Helper()
	res, raw := f.send(t, c, csrf, method, path, body)
	if res.StatusCode >= 500 {
		t.Errorf("%s: %d\n%s", pattern, res.StatusCode, raw)
		return nil
	}
	ctype := res.Header.Get("Content-Type")
	key := "4XX"
	if ok := op.Responses[fmt.Sprint(res.StatusCode)]; ok != nil {
		key = fmt.Sprint(res.StatusCode)
	} else if res.StatusCode < 400 {
		t.Errorf("%s: answers %d, not described", pattern, res.StatusCode)
		return nil
	}
	want := op.Responses[key]
	if want.Ref != "" {
		want = v.doc.Components.Responses[strings.TrimPrefix(want.Ref, "#/components/responses/")]
	}
	media := ""
	for m := range want.Content {
		if strings.HasPrefix(ctype, m) {
			media = m
		}
	}
	if media == "" {
		t.Errorf("%s: %d answers %s, described as %v", pattern, res.StatusCode, ctype, slices.Collect(maps.Keys(want.Content)))
		return nil
	}
	if want.Content[media].Schema.Type == "string" {
		return nil
	}
	var x any
	if err := json.Unmarshal(raw, &x); err != nil {
		t.Errorf("%s: %d answers no JSON: %v", pattern, res.StatusCode, err)
		return nil
	}
	if err := v.conforms(want.Content[media].Schema, x, "answer"); err != nil {
		t.Errorf("%s: %d: the answer is not as described: %v\n%s", pattern, res.StatusCode, err, raw)
	}
	if key == "4XX" {
		var p problem
		json.Unmarshal(raw, &p)
		return &p
	}
	v.checked = true
	t.Logf("%s: %d as described", pattern, res.StatusCode)
	return nil
}
