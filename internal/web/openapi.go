package web

import (
	"encoding"
	"encoding/json"
	"fmt"
	"net/http"
	"path"
	"reflect"
	"regexp"
	"strings"
	"time"
)

// The API's description (issue 17): an OpenAPI 3.1 document of every
// /api/v1 route, served at /api/v1/openapi.json. It is generated from the
// route table (each API route declares its summary, query, body and
// answer beside its handler) and from the Go types of those bodies and
// answers, read the way encoding/json reads them, so that it cannot drift
// from what the handlers decode and write. TestOpenAPI holds the document
// and the route table together both ways and sends every body's sample to
// the strict decoder.

// apiParam is a query parameter an API route reads, as its description
// gives it.
type apiParam struct {
	name  string
	typ   string // JSON Schema type: string or integer
	about string
}

// pageQuery are the query parameters of a list read a page at a time.
var pageQuery = []apiParam{
	{"cursor", "string", "where the page starts: the next of the page before; empty for the first"},
	{"limit", "integer", "items a page, 1 to 200 (50 by default)"},
}

// pathAbout describes the path parameters of API routes.
var pathAbout = map[string]string{
	"id":    "the record's number",
	"code":  "the resident code (宛名番号)",
	"login": "the staff member's login ID",
}

// apiDocument is an OpenAPI 3.1 document, as much of it as bango says.
type apiDocument struct {
	OpenAPI    string                           `json:"openapi"`
	Info       apiInfo                          `json:"info"`
	Paths      map[string]map[string]*operation `json:"paths"`
	Components components                       `json:"components"`
}

type apiInfo struct {
	Title       string `json:"title"`
	Version     string `json:"version"`
	Description string `json:"description"`
}

type components struct {
	Schemas         map[string]*schema        `json:"schemas"`
	Responses       map[string]*response      `json:"responses"`
	SecuritySchemes map[string]securityScheme `json:"securitySchemes"`
}

type securityScheme struct {
	Type        string `json:"type"`
	In          string `json:"in"`
	Name        string `json:"name"`
	Description string `json:"description"`
}

type operation struct {
	OperationID string                `json:"operationId"`
	Summary     string                `json:"summary"`
	Tags        []string              `json:"tags"`
	Security    []map[string][]string `json:"security"` // [] for a public route
	Parameters  []parameter           `json:"parameters,omitempty"`
	RequestBody *requestBody          `json:"requestBody,omitempty"`
	Responses   map[string]*response  `json:"responses"`
}

type parameter struct {
	Name        string  `json:"name"`
	In          string  `json:"in"`
	Required    bool    `json:"required"`
	Description string  `json:"description,omitempty"`
	Schema      *schema `json:"schema"`
}

type requestBody struct {
	Required bool                  `json:"required"`
	Content  map[string]apiContent `json:"content"`
}

type apiContent struct {
	Schema *schema `json:"schema"`
}

type response struct {
	Ref         string                `json:"$ref,omitempty"`
	Description string                `json:"description,omitempty"`
	Content     map[string]apiContent `json:"content,omitempty"`
}

// openAPI describes every /api/v1 route of the server.
func (s *Server) openAPI() (*apiDocument, error) {
	g := newSchemas()
	doc := &apiDocument{
		OpenAPI: "3.1.0",
		Info: apiInfo{Title: "bango", Version: s.version, Description: "The JSON API of bango: what the pages offer, under the same session, " +
			"CSRF token, permission checks and audit. Lists come a page at a time: the items under the list's key and next, " +
			"sent back as ?cursor= (\"\" after the last). Errors are RFC 9457 problem details (application/problem+json) " +
			"naming each wrong field in Japanese and English."},
		Paths: map[string]map[string]*operation{},
	}
	problemRef := g.of(reflect.TypeFor[problem]())
	g.defs[strings.TrimPrefix(problemRef.Ref, schemaRef)].Description = problemAbout()
	doc.Components = components{
		Schemas: g.defs,
		Responses: map[string]*response{"problem": {Description: "an error, as problem details (RFC 9457)",
			Content: map[string]apiContent{problemJSON: {Schema: problemRef}}}},
		SecuritySchemes: map[string]securityScheme{
			"session": {Type: "apiKey", In: "cookie", Name: cookieName, Description: "the session of a staff member logged in with both factors, as the pages use it"},
			"csrf":    {Type: "apiKey", In: "header", Name: "X-CSRF-Token", Description: "the session's CSRF token, on every POST"},
		},
	}
	for _, m := range s.modules {
		for _, rt := range m.routes {
			method, p, _ := strings.Cut(rt.pattern, " ")
			if !strings.HasPrefix(p, apiPrefix) {
				continue
			}
			op, err := describe(g, m.name, method, p, rt)
			if err != nil {
				return nil, fmt.Errorf("openapi: %s: %w", rt.pattern, err)
			}
			if doc.Paths[p] == nil {
				doc.Paths[p] = map[string]*operation{}
			}
			doc.Paths[p][strings.ToLower(method)] = op
		}
	}
	return doc, nil
}

var (
	notWord = regexp.MustCompile(`[^a-zA-Z0-9]+`)
	notName = regexp.MustCompile(`[^a-zA-Z0-9._-]+`) // what a component's name may not hold
)

// describe is the operation of one API route.
func describe(g *schemas, module, method, p string, rt route) (*operation, error) {
	if rt.summary == "" {
		return nil, fmt.Errorf("no summary")
	}
	op := &operation{
		OperationID: strings.Trim(notWord.ReplaceAllString(strings.ToLower(method)+"_"+strings.TrimPrefix(p, apiPrefix), "_"), "_"),
		Summary:     rt.summary,
		Tags:        []string{module},
		Security:    []map[string][]string{},
		Responses: map[string]*response{
			"4XX": {Ref: "#/components/responses/problem"},
			"5XX": {Ref: "#/components/responses/problem"},
		},
	}
	switch {
	case rt.gate == public:
	case method == http.MethodGet:
		op.Security = append(op.Security, map[string][]string{"session": {}})
	default:
		op.Security = append(op.Security, map[string][]string{"session": {}, "csrf": {}})
	}
	for _, name := range pathParams(rt.pattern) {
		ps := &schema{Type: "string"}
		if name == "id" {
			ps = &schema{Type: "integer", Format: "int64"}
		}
		op.Parameters = append(op.Parameters, parameter{Name: name, In: "path", Required: true, Description: pathAbout[name], Schema: ps})
	}
	for _, q := range rt.query {
		op.Parameters = append(op.Parameters, parameter{Name: q.name, In: "query", Description: q.about, Schema: &schema{Type: q.typ}})
	}
	if rt.body != nil {
		op.RequestBody = &requestBody{Required: true, Content: map[string]apiContent{"application/json": {Schema: g.of(reflect.TypeOf(rt.body))}}}
	}
	status := rt.status
	if status == 0 {
		status = http.StatusOK
	}
	ok := &response{Description: http.StatusText(status)}
	switch {
	case rt.answer != nil:
		ok.Content = map[string]apiContent{"application/json": {Schema: g.of(reflect.TypeOf(rt.answer))}}
	case rt.media != "":
		ok.Content = map[string]apiContent{rt.media: {Schema: &schema{Type: "string"}}}
	default:
		return nil, fmt.Errorf("neither answer nor media declared")
	}
	op.Responses[fmt.Sprint(status)] = ok
	return op, nil
}

func problemAbout() string {
	var b strings.Builder
	b.WriteString("An error (RFC 9457). type is one of ")
	for i, p := range problemTypes {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s (%s)", problemType(p.kind), p.title)
	}
	b.WriteString(". errors names each wrong field with its reason in Japanese and English. " +
		"error, message and fields are the members bango answered before problem details, kept for the clients that read them.")
	return b.String()
}

// apiDescription serves the description.
func (s *Server) apiDescription(w http.ResponseWriter, r *http.Request) error {
	doc, err := s.openAPI()
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, doc)
	return nil
}

// schema is a JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1), as
// much of it as the API's types need.
type schema struct {
	Ref                  string             `json:"$ref,omitempty"`
	Type                 string             `json:"type,omitempty"`
	Format               string             `json:"format,omitempty"`
	ContentEncoding      string             `json:"contentEncoding,omitempty"`
	Description          string             `json:"description,omitempty"`
	Properties           map[string]*schema `json:"properties,omitempty"`
	Required             []string           `json:"required,omitempty"`
	AdditionalProperties any                `json:"additionalProperties,omitempty"` // false, or the schema of a map's values
	Items                *schema            `json:"items,omitempty"`
}

const schemaRef = "#/components/schemas/"

// schemas turns Go types into JSON Schemas as encoding/json reads and
// writes them: a property for each field by its json name, required
// unless omitempty or omitzero, no other property (the strict decoder
// refuses them); time.Time is a date-time string, a type with its own
// MarshalJSON is what its zero value marshals to. A named struct is
// described once, under components, and referred to.
type schemas struct {
	defs  map[string]*schema
	names map[string]reflect.Type
}

func newSchemas() *schemas {
	return &schemas{defs: map[string]*schema{}, names: map[string]reflect.Type{}}
}

var (
	timeType          = reflect.TypeFor[time.Time]()
	marshalerType     = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

func (g *schemas) of(t reflect.Type) *schema {
	switch {
	case t.Kind() == reflect.Pointer:
		return g.of(t.Elem())
	case t.Kind() == reflect.Interface:
		return &schema{} // any JSON value
	case t == timeType:
		return &schema{Type: "string", Format: "date-time"}
	case t.Implements(marshalerType) || reflect.PointerTo(t).Implements(marshalerType):
		return marshaled(t)
	case t.Implements(textMarshalerType) || reflect.PointerTo(t).Implements(textMarshalerType):
		return &schema{Type: "string"}
	}
	switch t.Kind() {
	case reflect.Bool:
		return &schema{Type: "boolean"}
	case reflect.Int, reflect.Int64, reflect.Uint, reflect.Uint64, reflect.Uintptr:
		return &schema{Type: "integer", Format: "int64"}
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Uint8, reflect.Uint16, reflect.Uint32:
		return &schema{Type: "integer", Format: "int32"}
	case reflect.Float32, reflect.Float64:
		return &schema{Type: "number"}
	case reflect.String:
		return &schema{Type: "string"}
	case reflect.Slice, reflect.Array:
		if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
			return &schema{Type: "string", ContentEncoding: "base64"}
		}
		return &schema{Type: "array", Items: g.of(t.Elem())}
	case reflect.Map:
		return &schema{Type: "object", AdditionalProperties: g.of(t.Elem())}
	case reflect.Struct:
		if t.Name() == "" {
			return g.object(t)
		}
		name := g.name(t)
		if _, done := g.defs[name]; !done {
			g.defs[name] = nil // described below; a type that holds itself refers to it
			g.defs[name] = g.object(t)
		}
		return &schema{Ref: schemaRef + name}
	}
	panic(fmt.Sprintf("openapi: %v has no JSON form", t))
}

// name is a struct's name under components: its package and its name.
func (g *schemas) name(t reflect.Type) string {
	name := notName.ReplaceAllString(path.Base(t.PkgPath())+"."+t.Name(), "_")
	if other, ok := g.names[name]; ok && other != t {
		panic(fmt.Sprintf("openapi: %v and %v would have one name %s", t, other, name))
	}
	g.names[name] = t
	return name
}

func (g *schemas) object(t reflect.Type) *schema {
	s := &schema{Type: "object", Properties: map[string]*schema{}, AdditionalProperties: false}
	g.fields(t, s)
	if len(s.Properties) == 0 {
		s.Properties = nil
	}
	return s
}

// fields adds the properties of t's fields to s, those of embedded
// structs too, as encoding/json does.
func (g *schemas) fields(t reflect.Type, s *schema) {
	for f := range t.Fields() {
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
			g.fields(ft, s)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		p := g.of(f.Type)
		if hasOption(opts, "string") && (p.Type == "integer" || p.Type == "number" || p.Type == "boolean") {
			p = &schema{Type: "string"}
		}
		s.Properties[name] = p
		if !hasOption(opts, "omitempty") && !hasOption(opts, "omitzero") {
			s.Required = append(s.Required, name)
		}
	}
}

func hasOption(opts, name string) bool {
	for o := range strings.SplitSeq(opts, ",") {
		if o == name {
			return true
		}
	}
	return false
}

// marshaled is the schema of a type with its own MarshalJSON: the JSON
// type of what its zero value marshals to.
func marshaled(t reflect.Type) *schema {
	v := reflect.New(t)
	m, ok := v.Elem().Interface().(json.Marshaler)
	if !ok {
		m = v.Interface().(json.Marshaler)
	}
	b, err := m.MarshalJSON()
	if err != nil || len(b) == 0 {
		return &schema{}
	}
	switch b[0] {
	case '"':
		return &schema{Type: "string"}
	case 't', 'f':
		return &schema{Type: "boolean"}
	case '[':
		return &schema{Type: "array"}
	case '{':
		return &schema{Type: "object"}
	case 'n':
		return &schema{}
	}
	return &schema{Type: "number"}
}
