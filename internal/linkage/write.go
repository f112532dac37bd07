package linkage

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"bango/internal/errs"
	"bango/internal/wareki"
)

// Manifest describes a produced file, to travel beside it.
type Manifest struct {
	Layout  string           `json:"layout"`
	Version int              `json:"version"`
	Records int              `json:"records"` // data records
	Totals  map[string]int64 `json:"totals"`
	Bytes   int64            `json:"bytes"`
	SHA256  string           `json:"sha256"`
}

// Writer produces a file of a layout: the header when it is made, data
// records one by one, the trailer with its count and totals at Close.
// Every record it writes is checked by the same rules the parser applies,
// so it never produces a file bango itself would refuse — a character
// the encoding cannot hold fails the record instead of becoming '?'.
type Writer struct {
	l     *Layout
	w     *bufio.Writer
	h     hash.Hash
	n     int64
	count int
	line  int
	tot   map[string]int64
	p     *parser
	buf   []byte
	err   error
}

// Values are a record's fields by name: string for text and codes, int or
// int64 for digits and amounts (strings of digits too), time.Time for
// dates. A field left out is empty.
type Values map[string]any

// NewWriter writes the header of layout l (when it declares one) with
// header's values to w.
func NewWriter(w io.Writer, l *Layout, header Values) (*Writer, error) {
	for _, d := range l.Records {
		for _, f := range d.Fields {
			if f.Type == TypeMyNumber {
				return nil, errs.E(errs.Invalid, "linkage: layout %s declares a My Number, which is written only through the vault", l.Name)
			}
		}
	}
	wr := &Writer{l: l, w: bufio.NewWriterSize(w, 64<<10), h: sha256.New(), tot: map[string]int64{}}
	wr.p = &parser{l: l, rep: &Report{max: 100, Totals: map[string]int64{}}, scratch: make([]byte, 0, 256)}
	if t := l.trailer; t != nil {
		for _, of := range t.Totals {
			wr.tot[of] = 0
		}
	}
	if l.header != nil {
		if err := wr.record(l.header, header); err != nil {
			return nil, err
		}
	}
	return wr, nil
}

// Write adds one data record of kind.
func (wr *Writer) Write(kind string, v Values) error {
	d := wr.l.byKind[kind]
	if d == nil || d.Role != Data {
		return errs.E(errs.Invalid, "linkage: layout %s has no data record of kind %q", wr.l.Name, kind)
	}
	if err := wr.record(d, v); err != nil {
		return err
	}
	wr.count++
	for of := range wr.tot {
		if x, ok := v[of]; ok {
			n, _ := toInt(x)
			wr.tot[of] += n
		}
	}
	return nil
}

// Close writes the trailer — its count and totals filled in here, other
// fields from trailer — flushes, and returns the manifest.
func (wr *Writer) Close(trailer Values) (*Manifest, error) {
	if wr.err != nil {
		return nil, wr.err
	}
	if t := wr.l.trailer; t != nil {
		v := Values{}
		for k, x := range trailer {
			if k == t.Count || t.Totals[k] != "" {
				return nil, errs.E(errs.Invalid, "linkage: the trailer's %s is counted by the writer", k)
			}
			v[k] = x
		}
		if t.Count != "" {
			v[t.Count] = wr.count
		}
		for tf, of := range t.Totals {
			v[tf] = wr.tot[of]
		}
		if err := wr.record(t, v); err != nil {
			return nil, err
		}
	}
	if err := wr.w.Flush(); err != nil {
		return nil, err
	}
	return &Manifest{Layout: wr.l.Name, Version: wr.l.Version, Records: wr.count, Totals: wr.tot, Bytes: wr.n, SHA256: hex.EncodeToString(wr.h.Sum(nil))}, nil
}

// record formats, checks and writes one record.
func (wr *Writer) record(d *RecordDef, v Values) error {
	if wr.err != nil {
		return wr.err
	}
	for k := range v {
		if d.Field(k) < 0 {
			return errs.E(errs.Invalid, "linkage: record %s of %s has no field %q", d.Name, wr.l.Name, k)
		}
	}
	wr.line++
	fe := &errs.FieldErrors{}
	out := wr.buf[:0]
	l := wr.l
	if l.Format == "fixed" {
		for range l.RecordLength {
			out = append(out, ' ')
		}
		copy(out[l.Kind.Start-1:], d.Kind)
		for _, f := range d.Fields {
			b, reason := l.format(f, v[f.Name])
			if reason != nil {
				fe.AddAt(wr.line, f.Name, *reason)
				continue
			}
			copy(out[f.Start-1:f.Start-1+f.Width], b)
		}
	} else {
		cols := make([][]byte, len(d.Fields)+1)
		cols[l.Kind.Column-1] = []byte(d.Kind)
		for _, f := range d.Fields {
			b, reason := l.format(f, v[f.Name])
			if reason != nil {
				fe.AddAt(wr.line, f.Name, *reason)
				continue
			}
			cols[f.Column-1] = b
		}
		for i, c := range cols {
			if i > 0 {
				out = append(out, ',')
			}
			out = appendCSV(out, c)
		}
	}
	if err := fe.Err(); err != nil {
		return err
	}
	// The record must pass the parser's own checks.
	p := wr.p
	p.rep.Problems, p.rep.Total, p.rep.Lines = nil, 0, wr.line
	if l.Format == "fixed" {
		_ = p.fixedRecord(out)
	} else {
		_ = p.csvRecord(out)
	}
	for _, pr := range p.rep.Problems {
		fe.AddAt(wr.line, pr.Field, pr.Reason)
	}
	if err := fe.Err(); err != nil {
		return err
	}
	out = append(out, l.lineEnd...)
	wr.buf = out
	n, err := wr.w.Write(out)
	wr.h.Write(out[:n])
	wr.n += int64(n)
	if err != nil {
		wr.err = err
	}
	return err
}

var errUnsupported = errs.Message{JA: "この項目に書けない値です", EN: "is a value this field cannot hold"}

// format renders x as the bytes of field f in the layout's encoding,
// padded to its width for fixed-width layouts.
func (l *Layout) format(f *Field, x any) ([]byte, *errs.Message) {
	var s string
	switch f.Type {
	case TypeFiller:
		if x != nil {
			return nil, &reasonFiller
		}
	case TypeDigits, TypeAmount:
		if x == nil {
			break
		}
		if str, ok := x.(string); ok && f.Type == TypeDigits {
			s = str // digits as given keep their leading zeros
			if l.Format == "fixed" && allDigits(s) && len(s) < f.Width {
				s = strings.Repeat("0", f.Width-len(s)) + s
			}
			break
		}
		n, ok := toInt(x)
		if !ok {
			return nil, &errUnsupported
		}
		s = strconv.FormatInt(n, 10)
		if l.Format == "fixed" {
			sign := ""
			if n < 0 {
				sign, s = "-", s[1:]
			}
			if len(s)+len(sign) < f.Width {
				s = strings.Repeat("0", f.Width-len(s)-len(sign)) + s
			}
			s = sign + s
		}
	case TypeDate, TypeWareki:
		if x == nil {
			break
		}
		t, ok := x.(time.Time)
		if !ok {
			return nil, &errUnsupported
		}
		if t.IsZero() {
			break
		}
		if f.Type == TypeDate {
			s = t.Format("20060102")
		} else {
			e, y, ok := wareki.Of(t)
			if !ok {
				return nil, &reasonWareki
			}
			s = fmt.Sprintf("%d%02d%02d%02d", e.Code, y, int(t.Month()), t.Day())
		}
	default:
		if x == nil {
			break
		}
		str, ok := x.(string)
		if !ok {
			return nil, &errUnsupported
		}
		s = str
	}
	b, reason := l.encode(s)
	if reason != nil {
		return nil, reason
	}
	if l.Format == "fixed" {
		if len(b) > f.Width {
			m := errs.Message{JA: fmt.Sprintf("%dバイトに収まりません", f.Width), EN: fmt.Sprintf("does not fit in %d bytes", f.Width)}
			return nil, &m
		}
		pad := " "
		if f.Type == TypeText && l.sjis && (f.Width-len(b))%2 == 0 {
			pad = "\x81\x40" // a full-width space
		} else if f.Type == TypeText && !l.sjis && (f.Width-len(b))%3 == 0 {
			pad = "　"
		}
		for len(b) < f.Width {
			b = append(b, pad...)
		}
	}
	return b, nil
}

// encode renders s in the layout's encoding, refusing what it cannot hold.
func (l *Layout) encode(s string) ([]byte, *errs.Message) {
	if !utf8.ValidString(s) {
		return nil, &reasonInvalid
	}
	for _, r := range s {
		if isPrivateUse(r) {
			return nil, &reasonGaiji
		}
	}
	if !l.sjis {
		return []byte(s), nil
	}
	out := make([]byte, 0, len(s))
	for _, r := range s {
		b, ok := encodeSJIS(r)
		if !ok {
			return nil, &reasonCP932
		}
		out = append(out, b...)
	}
	return out, nil
}

func toInt(x any) (int64, bool) {
	switch n := x.(type) {
	case int:
		return int64(n), true
	case int64:
		return n, true
	case string:
		v, err := strconv.ParseInt(n, 10, 64)
		return v, err == nil
	}
	return 0, false
}

func appendCSV(out, c []byte) []byte {
	if !strings.ContainsAny(string(c), `",`) {
		return append(out, c...)
	}
	out = append(out, '"')
	for _, b := range c {
		if b == '"' {
			out = append(out, '"')
		}
		out = append(out, b)
	}
	return append(out, '"')
}
