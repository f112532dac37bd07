// Package linkage exchanges files with the systems bango is linked to (the
// NHI aggregation system, the resident-records system, later banks and
// convenience stores): layouts declared as data, a streaming parser that
// checks every record of a file against its layout and reports every
// problem by line and field without repeating what the field held, and a
// writer that produces a file its own parser accepts, with a manifest
// (R-ACC-5, R-NHI-8, R-LNK-1…4). docs/linkage.md describes the layout
// format.
package linkage

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"sync"
	"time"

	"bango/internal/errs"
)

// Layout declares one file: its encoding, its form (fixed width or CSV),
// and every record it may hold. Nothing outside the layout is received.
type Layout struct {
	Name      string       `json:"name"`
	Version   int          `json:"version"`
	Title     errs.Message `json:"title"`
	Note      string       `json:"note,omitempty"`
	Partner   string       `json:"partner"`
	Direction string       `json:"direction"` // inbound (to bango) or outbound
	Format    string       `json:"format"`    // fixed or csv
	Encoding  string       `json:"encoding"`  // shift_jis (CP932) or utf-8
	// RecordLength is the bytes of every fixed-width record, line end excluded.
	RecordLength int `json:"record_length,omitempty"`
	// LineEnd ends each record: crlf, lf, or none (records back to back,
	// fixed width only).
	LineEnd string `json:"line_end"`
	// Kind is where every record carries its record kind.
	Kind Position `json:"kind"`
	// MyNumberForbidden marks a partner that must never receive or send a
	// My Number: no mynumber field may be declared, and a field holding 12
	// digits with a valid check digit is refused.
	MyNumberForbidden bool              `json:"mynumber_forbidden"`
	Records           []*RecordDef      `json:"records"`
	Codes             map[string][]Code `json:"codes,omitempty"`

	byKind   map[string]*RecordDef
	header   *RecordDef
	trailer  *RecordDef
	sjis     bool
	lineEnd  []byte
	maxField int
}

// Position places a field: Start and Width in bytes (1-based) in a
// fixed-width record, or Column (1-based) in a CSV record.
type Position struct {
	Start  int `json:"start,omitempty"`
	Width  int `json:"width,omitempty"`
	Column int `json:"column,omitempty"`
}

// Record roles.
const (
	Header  = "header"
	Data    = "data"
	Trailer = "trailer"
)

// RecordDef is one kind of record.
type RecordDef struct {
	Kind   string       `json:"kind"`
	Role   string       `json:"role"` // header, data or trailer
	Name   string       `json:"name"`
	Title  errs.Message `json:"title"`
	Fields []*Field     `json:"fields"`
	// Count names the trailer field that holds the number of data records.
	Count string `json:"count,omitempty"`
	// Totals maps a trailer field to the amount field of the data records
	// it must equal the sum of.
	Totals map[string]string `json:"totals,omitempty"`

	index map[string]int
}

// Field types.
const (
	TypeDigits   = "digits"   // 0-9
	TypeAlnum    = "alnum"    // printable ASCII
	TypeKana     = "kana"     // half-width katakana, space, A-Z, 0-9 and ()-./
	TypeText     = "text"     // full-width text: JIS X 0208, or CP932 when Charset says so
	TypeDate     = "date"     // 西暦 YYYYMMDD
	TypeWareki   = "wareki"   // 元号 code 1-5 + YYMMDD
	TypeCode     = "code"     // a code of the list named by List
	TypeAmount   = "amount"   // an integer amount in yen, optionally signed
	TypeFiller   = "filler"   // spaces only
	TypeMyNumber = "mynumber" // a My Number, check digit verified
)

// Field is one item of a record.
type Field struct {
	Name  string       `json:"name"`
	Title errs.Message `json:"title"`
	Position
	Type     string `json:"type"`
	Required bool   `json:"required,omitempty"`
	// Max is the most characters a CSV field may hold (0: no limit but
	// the line's).
	Max int `json:"max,omitempty"`
	// List names the code list of a code field.
	List string `json:"list,omitempty"`
	// CodeDate names the date field of the same record on which a code
	// must be valid.
	CodeDate string `json:"code_date,omitempty"`
	// Charset of a text field: jisx0208 (the default) or cp932, which also
	// admits the NEC and IBM extensions (髙, 﨑, ①).
	Charset string `json:"charset,omitempty"`
	// Signed lets an amount carry a leading - or +.
	Signed bool `json:"signed,omitempty"`

	codes   map[string]*Code
	dateIdx int
}

// Code is one value of a code list, valid from From to To (inclusive,
// YYYY-MM-DD, either may be empty).
type Code struct {
	Code  string       `json:"code"`
	Title errs.Message `json:"title"`
	From  string       `json:"from,omitempty"`
	To    string       `json:"to,omitempty"`

	from, to time.Time
}

func (c *Code) validOn(t time.Time) bool {
	return (c.from.IsZero() || !t.Before(c.from)) && (c.to.IsZero() || !t.After(c.to))
}

// Record returns the definition of record kind, or nil.
func (l *Layout) Record(kind string) *RecordDef { return l.byKind[kind] }

// Field returns the index of the field called name in d, or -1.
func (d *RecordDef) Field(name string) int {
	if i, ok := d.index[name]; ok {
		return i
	}
	return -1
}

// LayoutError says what is wrong in a layout definition.
type LayoutError struct {
	Layout, Record, Field, Problem string
}

func (e *LayoutError) Error() string {
	s := "layout " + e.Layout
	if e.Record != "" {
		s += ", record " + e.Record
	}
	if e.Field != "" {
		s += ", field " + e.Field
	}
	return s + ": " + e.Problem
}

// Load reads and validates one layout definition; name is where it came
// from, for the error.
func Load(r io.Reader, name string) (*Layout, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	l := new(Layout)
	if err := dec.Decode(l); err != nil {
		return nil, &LayoutError{Layout: name, Problem: err.Error()}
	}
	if dec.More() {
		return nil, &LayoutError{Layout: name, Problem: "more than one JSON value"}
	}
	if l.Name == "" {
		l.Name = name
	}
	if err := l.validate(); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *Layout) validate() error {
	bad := func(rec, field, format string, args ...any) error {
		return &LayoutError{Layout: l.Name, Record: rec, Field: field, Problem: fmt.Sprintf(format, args...)}
	}
	if l.Version < 1 {
		return bad("", "", "version must be 1 or more")
	}
	if l.Title.JA == "" || l.Title.EN == "" {
		return bad("", "", "title needs ja and en")
	}
	if l.Direction != "inbound" && l.Direction != "outbound" {
		return bad("", "", "direction %q is neither inbound nor outbound", l.Direction)
	}
	switch l.Encoding {
	case "shift_jis":
		l.sjis = true
	case "utf-8":
	default:
		return bad("", "", "encoding %q is neither shift_jis nor utf-8", l.Encoding)
	}
	switch l.LineEnd {
	case "crlf":
		l.lineEnd = []byte("\r\n")
	case "lf":
		l.lineEnd = []byte("\n")
	case "none":
		if l.Format != "fixed" {
			return bad("", "", "line_end none needs fixed-width records")
		}
	default:
		return bad("", "", "line_end %q is not crlf, lf or none", l.LineEnd)
	}
	switch l.Format {
	case "fixed":
		if l.RecordLength < 1 {
			return bad("", "", "a fixed-width layout needs record_length")
		}
		if l.Kind.Start < 1 || l.Kind.Width < 1 || l.Kind.Column != 0 || l.Kind.Start+l.Kind.Width-1 > l.RecordLength {
			return bad("", "", "kind needs start and width inside the record")
		}
	case "csv":
		if l.RecordLength != 0 {
			return bad("", "", "record_length is for fixed-width layouts")
		}
		if l.Kind.Column < 1 || l.Kind.Start != 0 || l.Kind.Width != 0 {
			return bad("", "", "kind needs a column")
		}
	default:
		return bad("", "", "format %q is neither fixed nor csv", l.Format)
	}
	for list, codes := range l.Codes {
		seen := map[string]bool{}
		for i := range codes {
			c := &codes[i]
			if c.Code == "" || seen[c.Code] {
				return bad("", "", "code list %s: empty or repeated code %q", list, c.Code)
			}
			seen[c.Code] = true
			var err error
			if c.From != "" {
				if c.from, err = time.Parse(time.DateOnly, c.From); err != nil {
					return bad("", "", "code list %s, code %s: from %q is not YYYY-MM-DD", list, c.Code, c.From)
				}
			}
			if c.To != "" {
				if c.to, err = time.Parse(time.DateOnly, c.To); err != nil {
					return bad("", "", "code list %s, code %s: to %q is not YYYY-MM-DD", list, c.Code, c.To)
				}
			}
		}
	}
	if len(l.Records) == 0 {
		return bad("", "", "no records")
	}
	l.byKind = map[string]*RecordDef{}
	for i, d := range l.Records {
		if d.Name == "" {
			return bad(fmt.Sprint("#", i+1), "", "record without a name")
		}
		if l.Format == "fixed" && len(d.Kind) != l.Kind.Width {
			return bad(d.Name, "", "kind %q is not %d bytes wide", d.Kind, l.Kind.Width)
		}
		if d.Kind == "" || !isPrintableASCII(d.Kind) {
			return bad(d.Name, "", "kind %q must be printable ASCII", d.Kind)
		}
		if _, dup := l.byKind[d.Kind]; dup {
			return bad(d.Name, "", "kind %q declared twice", d.Kind)
		}
		l.byKind[d.Kind] = d
		switch d.Role {
		case Header:
			if l.header != nil || i != 0 {
				return bad(d.Name, "", "the header must be the first record declared, and only one")
			}
			l.header = d
		case Trailer:
			if l.trailer != nil {
				return bad(d.Name, "", "only one trailer")
			}
			l.trailer = d
		case Data:
		default:
			return bad(d.Name, "", "role %q is not header, data or trailer", d.Role)
		}
		if err := l.validateFields(d); err != nil {
			return err
		}
		if (d.Count != "" || len(d.Totals) > 0) && d.Role != Trailer {
			return bad(d.Name, "", "only the trailer declares count and totals")
		}
	}
	if t := l.trailer; t != nil {
		if t.Count != "" {
			i := t.Field(t.Count)
			if i < 0 || t.Fields[i].Type != TypeDigits {
				return bad(t.Name, t.Count, "the count must be a digits field of the trailer")
			}
		}
		for tf, of := range t.Totals {
			i := t.Field(tf)
			if i < 0 || t.Fields[i].Type != TypeAmount {
				return bad(t.Name, tf, "a total must be an amount field of the trailer")
			}
			found := false
			for _, d := range l.Records {
				if j := d.Field(of); d.Role == Data && j >= 0 {
					if d.Fields[j].Type != TypeAmount {
						return bad(d.Name, of, "a summed field must be an amount")
					}
					found = true
				}
			}
			if !found {
				return bad(t.Name, tf, "sums %q, which no data record declares", of)
			}
		}
	}
	return nil
}

func (l *Layout) validateFields(d *RecordDef) error {
	bad := func(field, format string, args ...any) error {
		return &LayoutError{Layout: l.Name, Record: d.Name, Field: field, Problem: fmt.Sprintf(format, args...)}
	}
	d.index = map[string]int{}
	for i, f := range d.Fields {
		if f.Name == "" {
			return bad(fmt.Sprint("#", i+1), "field without a name")
		}
		if _, dup := d.index[f.Name]; dup {
			return bad(f.Name, "declared twice")
		}
		d.index[f.Name] = i
		f.dateIdx = -1
		switch f.Type {
		case TypeDigits, TypeAlnum, TypeKana, TypeAmount, TypeFiller:
		case TypeText:
			if f.Charset != "" && f.Charset != "jisx0208" && f.Charset != "cp932" {
				return bad(f.Name, "charset %q is neither jisx0208 nor cp932", f.Charset)
			}
		case TypeDate:
			if l.Format == "fixed" && f.Width != 8 {
				return bad(f.Name, "a 西暦 date is 8 bytes (YYYYMMDD)")
			}
		case TypeWareki:
			if l.Format == "fixed" && f.Width != 7 {
				return bad(f.Name, "a 和暦 date is 7 bytes (era code + YYMMDD)")
			}
		case TypeCode:
			codes, ok := l.Codes[f.List]
			if !ok {
				return bad(f.Name, "code list %q is not declared", f.List)
			}
			f.codes = map[string]*Code{}
			for j := range codes {
				if l.Format == "fixed" && len(codes[j].Code) != f.Width {
					return bad(f.Name, "code %q of list %s is not %d bytes wide", codes[j].Code, f.List, f.Width)
				}
				f.codes[codes[j].Code] = &codes[j]
			}
		case TypeMyNumber:
			if l.MyNumberForbidden {
				return bad(f.Name, "this partner must never receive a My Number (mynumber_forbidden)")
			}
			if l.Format == "fixed" && f.Width != 12 {
				return bad(f.Name, "a My Number is 12 bytes")
			}
		default:
			return bad(f.Name, "unknown type %q", f.Type)
		}
		if f.Type != TypeCode && (f.List != "" || f.CodeDate != "") {
			return bad(f.Name, "list and code_date are for code fields")
		}
		if f.Type != TypeText && f.Charset != "" {
			return bad(f.Name, "charset is for text fields")
		}
		if f.Type != TypeAmount && f.Signed {
			return bad(f.Name, "signed is for amount fields")
		}
		if f.Type == TypeFiller && f.Required {
			return bad(f.Name, "a filler holds nothing and cannot be required")
		}
		if l.Format == "fixed" {
			if f.Column != 0 || f.Max != 0 {
				return bad(f.Name, "a fixed-width field has start and width, not column or max")
			}
			if f.Start < 1 || f.Width < 1 || f.Start+f.Width-1 > l.RecordLength {
				return bad(f.Name, "start %d width %d is outside the %d-byte record", f.Start, f.Width, l.RecordLength)
			}
			if f.Width > l.maxField {
				l.maxField = f.Width
			}
		} else if f.Start != 0 || f.Width != 0 || f.Column < 1 {
			return bad(f.Name, "a CSV field has a column, not start and width")
		}
	}
	for _, f := range d.Fields {
		if f.CodeDate != "" {
			j, ok := d.index[f.CodeDate]
			if !ok || (d.Fields[j].Type != TypeDate && d.Fields[j].Type != TypeWareki) {
				return bad(f.Name, "code_date %q is not a date field of this record", f.CodeDate)
			}
			f.dateIdx = j
		}
	}
	return l.checkTiling(d)
}

// checkTiling makes sure the record's fields and the kind cover every byte
// (fixed) or column (CSV) once: a gap would be an undeclared item.
func (l *Layout) checkTiling(d *RecordDef) error {
	type span struct {
		name       string
		start, end int // inclusive
	}
	spans := []span{{"(kind)", l.Kind.Start, l.Kind.Start + l.Kind.Width - 1}}
	last := l.RecordLength
	if l.Format == "csv" {
		spans[0] = span{"(kind)", l.Kind.Column, l.Kind.Column}
		last = 0
	}
	for _, f := range d.Fields {
		if l.Format == "csv" {
			spans = append(spans, span{f.Name, f.Column, f.Column})
			last = max(last, f.Column, l.Kind.Column)
		} else {
			spans = append(spans, span{f.Name, f.Start, f.Start + f.Width - 1})
		}
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	next := 1
	for _, s := range spans {
		switch {
		case s.start < next:
			return &LayoutError{Layout: l.Name, Record: d.Name, Field: s.name, Problem: fmt.Sprintf("overlaps the field before it at %d", s.start)}
		case s.start > next:
			return &LayoutError{Layout: l.Name, Record: d.Name, Field: s.name, Problem: fmt.Sprintf("leaves a gap from %d to %d that no field declares", next, s.start-1)}
		}
		next = s.end + 1
	}
	if next != last+1 {
		return &LayoutError{Layout: l.Name, Record: d.Name, Problem: fmt.Sprintf("fields end at %d, not at %d", next-1, last)}
	}
	return nil
}

func isPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

//go:embed layouts/*.json
var builtinFS embed.FS

var builtin = sync.OnceValues(func() (map[string][]*Layout, error) {
	return loadDir(builtinFS, "layouts")
})

func loadDir(fsys fs.FS, dir string) (map[string][]*Layout, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	out := map[string][]*Layout{}
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		l, err := Load(bytes.NewReader(b), path.Base(n))
		if err != nil {
			return nil, err
		}
		for _, o := range out[l.Name] {
			if o.Version == l.Version {
				return nil, &LayoutError{Layout: l.Name, Problem: fmt.Sprintf("version %d defined twice", l.Version)}
			}
		}
		out[l.Name] = append(out[l.Name], l)
	}
	for _, ls := range out {
		sort.Slice(ls, func(i, j int) bool { return ls[i].Version < ls[j].Version })
	}
	return out, nil
}

// Builtin returns every layout shipped with bango, by name and version.
func Builtin() ([]*Layout, error) {
	m, err := builtin()
	if err != nil {
		return nil, err
	}
	var out []*Layout
	for _, ls := range m {
		out = append(out, ls...)
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Name < out[j].Name || out[i].Name == out[j].Name && out[i].Version < out[j].Version
	})
	return out, nil
}

// Lookup returns the shipped layout name at version, or its newest version
// when version is 0.
func Lookup(name string, version int) (*Layout, error) {
	m, err := builtin()
	if err != nil {
		return nil, err
	}
	ls := m[name]
	if len(ls) == 0 {
		return nil, errs.E(errs.NotFound, "linkage: no layout %q", name)
	}
	if version == 0 {
		return ls[len(ls)-1], nil
	}
	for _, l := range ls {
		if l.Version == version {
			return l, nil
		}
	}
	return nil, errs.E(errs.NotFound, "linkage: no layout %q version %d", name, version)
}
