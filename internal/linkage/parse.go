package linkage

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"time"

	"bango/internal/errs"
	"bango/internal/wareki"
)

// Options bound a parse.
type Options struct {
	// MaxProblems is how many problems the report lists (1,000 when 0);
	// every problem is still counted.
	MaxProblems int
	// MaxBytes refuses a file larger than this (no limit when 0).
	MaxBytes int64
}

// Problem is one thing wrong with a file: where and why, never what the
// field held (a report carries no personal data).
type Problem struct {
	Line   int          `json:"line"`             // the record's line, 0 for the file as a whole
	Record string       `json:"record,omitempty"` // the record's name, when its kind is known
	Field  string       `json:"field,omitempty"`
	Pos    int          `json:"pos,omitempty"` // the byte in the line (1-based) of a refused character
	Reason errs.Message `json:"reason"`
}

// Report is what a parse found.
type Report struct {
	Layout   string           `json:"layout"`
	Version  int              `json:"version"`
	Lines    int              `json:"lines"`   // records read, header and trailer included
	Records  int              `json:"records"` // data records read, good or bad
	Totals   map[string]int64 `json:"totals"`  // sums of the amount fields the trailer totals, over good data records
	Bytes    int64            `json:"bytes"`
	SHA256   string           `json:"sha256"` // of every byte read; empty when the file was cut at MaxBytes
	Problems []Problem        `json:"problems"`
	Total    int              `json:"problem_count"` // every problem, listed or not
	max      int
}

// OK reports whether the file may be applied: no problem at all.
func (r *Report) OK() bool { return r.Total == 0 }

func (r *Report) add(p Problem) {
	r.Total++
	if len(r.Problems) < r.max {
		r.Problems = append(r.Problems, p)
	}
}

// Err is the report's problems as field errors (line, field, reason), or
// nil when the file is good.
func (r *Report) Err() error {
	if r.OK() {
		return nil
	}
	fe := &errs.FieldErrors{}
	for _, p := range r.Problems {
		field := p.Field
		if field == "" {
			field = p.Record
		}
		if field == "" {
			field = "file"
		}
		fe.AddAt(p.Line, field, p.Reason)
	}
	if r.Total > len(r.Problems) {
		fe.Add("file", errs.Message{
			JA: fmt.Sprintf("ほかに%d件の問題があります（全%d件）", r.Total-len(r.Problems), r.Total),
			EN: fmt.Sprintf("and %d more problems (%d in all)", r.Total-len(r.Problems), r.Total),
		})
	}
	return fe
}

func at(m errs.Message, pos int) errs.Message {
	return errs.Message{JA: fmt.Sprintf("%s（%dバイト目）", m.JA, pos), EN: fmt.Sprintf("%s (byte %d)", m.EN, pos)}
}

var (
	reasonEmpty       = errs.Message{JA: "ファイルが空です", EN: "the file is empty"}
	reasonUnknownKind = errs.Message{JA: "定義されていないレコード種別です", EN: "is not a record kind of the layout"}
	reasonNoHeader    = errs.Message{JA: "先頭がヘッダーレコードではありません", EN: "the first record is not the header"}
	reasonHeaderAgain = errs.Message{JA: "ヘッダーレコードが先頭以外にあります", EN: "a header record after the first line"}
	reasonNoTrailer   = errs.Message{JA: "トレーラーレコードがありません", EN: "the file has no trailer record"}
	reasonAfterTrail  = errs.Message{JA: "トレーラーレコードの後にレコードがあります", EN: "a record after the trailer"}
	reasonTruncated   = errs.Message{JA: "最終レコードが途中で切れています", EN: "the last record is cut short"}
	reasonLineEnd     = errs.Message{JA: "改行コードが定義と違います", EN: "the line does not end as the layout says"}
	reasonCount       = errs.Message{JA: "件数がデータレコードの数と一致しません", EN: "does not match the number of data records"}
	reasonTotal       = errs.Message{JA: "合計がデータレコードの合計と一致しません", EN: "does not match the sum over the data records"}
)

func reasonLength(want, got int) errs.Message {
	return errs.Message{JA: fmt.Sprintf("レコード長が%dバイトではありません（%dバイトです）", want, got), EN: fmt.Sprintf("the record is %d bytes, not %d", got, want)}
}

func reasonColumns(want, got int) errs.Message {
	return errs.Message{JA: fmt.Sprintf("項目数が%dではありません（%d項目です）", want, got), EN: fmt.Sprintf("has %d columns, not %d", got, want)}
}

func reasonTooBig(n int64) errs.Message {
	return errs.Message{JA: fmt.Sprintf("ファイルが上限の%dバイトを超えています", n), EN: fmt.Sprintf("the file is over the limit of %d bytes", n)}
}

// parser holds what one parse reuses from record to record, so that memory
// stays flat whatever the file's size.
type parser struct {
	l       *Layout
	rep     *Report
	fn      func(*Record) error
	rec     Record
	scratch []byte
	colRaw  [][]byte

	trailerSeen bool
	dataBad     bool
	count       int
	trailer     *Record
}

// countingHash sums and counts what passes through it.
type countingHash struct {
	r     io.Reader
	h     hash.Hash
	n     int64
	limit int64
	over  bool
}

func (c *countingHash) Read(p []byte) (int, error) {
	if c.limit > 0 && c.n+int64(len(p)) > c.limit+1 {
		p = p[:c.limit+1-c.n]
	}
	n, err := c.r.Read(p)
	c.h.Write(p[:n])
	c.n += int64(n)
	if c.limit > 0 && c.n > c.limit {
		c.over = true
		return n, errTooBig
	}
	return n, err
}

var errTooBig = errors.New("linkage: file over the size limit")

// Parse reads a file of layout l from r one record at a time, checks each
// record against the layout, hands each good record to fn (which may be
// nil) and returns what it found. The whole file is read and checked even
// after a problem, so that the report lists every problem at once; a
// caller applies nothing unless the report is OK (R-ACC-5). The error is
// for reading r or an error of fn, which stops the parse.
func Parse(r io.Reader, l *Layout, opt Options, fn func(*Record) error) (*Report, error) {
	if opt.MaxProblems <= 0 {
		opt.MaxProblems = 1000
	}
	rep := &Report{Layout: l.Name, Version: l.Version, Totals: map[string]int64{}, max: opt.MaxProblems}
	if t := l.trailer; t != nil {
		for _, of := range t.Totals {
			rep.Totals[of] = 0
		}
	}
	src := &countingHash{r: r, h: sha256.New(), limit: opt.MaxBytes}
	p := &parser{l: l, rep: rep, fn: fn, scratch: make([]byte, 0, 256)}
	br := bufio.NewReaderSize(src, 64<<10)
	var err error
	switch {
	case l.Format == "csv":
		err = p.lines(br, p.csvRecord)
	case l.lineEnd == nil:
		err = p.blocks(br)
	default:
		err = p.lines(br, p.fixedRecord)
	}
	rep.Bytes = src.n
	if src.over {
		rep.add(Problem{Reason: reasonTooBig(opt.MaxBytes)})
		return rep, nil
	}
	if err != nil {
		return rep, err
	}
	rep.SHA256 = hex.EncodeToString(src.h.Sum(nil))
	p.finish()
	return rep, nil
}

// lines reads records ended by the layout's line end.
func (p *parser) lines(br *bufio.Reader, record func(line []byte) error) error {
	var long []byte
	for {
		b, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			long = append(long, b...) // a record far longer than declared: still one line
			continue
		}
		if long != nil {
			b = append(long, b...)
			long = nil
		}
		if len(b) > 0 {
			p.rep.Lines++
			line := p.rep.Lines
			if err == io.EOF || !bytes.HasSuffix(b, p.l.lineEnd) {
				if err == io.EOF {
					p.rep.add(Problem{Line: line, Reason: reasonTruncated})
				} else {
					p.rep.add(Problem{Line: line, Reason: reasonLineEnd})
				}
				p.noteKind(b)
			} else if err := record(b[:len(b)-len(p.l.lineEnd)]); err != nil {
				return err
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// blocks reads fixed-width records that follow each other without line ends.
func (p *parser) blocks(br *bufio.Reader) error {
	buf := make([]byte, p.l.RecordLength)
	for {
		n, err := io.ReadFull(br, buf)
		if n > 0 {
			p.rep.Lines++
		}
		switch err {
		case nil:
			if err := p.fixedRecord(buf); err != nil {
				return err
			}
		case io.EOF:
			return nil
		case io.ErrUnexpectedEOF:
			p.rep.add(Problem{Line: p.rep.Lines, Reason: reasonTruncated})
			p.noteKind(buf[:n])
			return nil
		default:
			return err
		}
	}
}

// noteKind counts a record that failed before its fields were read, so
// that the trailer's count is not reported wrong because of it.
func (p *parser) noteKind(b []byte) {
	var kind string
	if p.l.Format == "fixed" {
		k := p.l.Kind
		if len(b) >= k.Start+k.Width-1 {
			kind = string(b[k.Start-1 : k.Start-1+k.Width])
		}
	} else if cols := splitCSV(b, nil); len(cols) >= p.l.Kind.Column {
		kind = string(cols[p.l.Kind.Column-1])
	}
	if d := p.l.byKind[kind]; d != nil && d.Role == Data {
		p.count++
		p.dataBad = true
	}
}

// sequence checks where a record of d may stand and counts data records.
func (p *parser) sequence(line int, d *RecordDef) {
	if p.trailerSeen {
		p.rep.add(Problem{Line: line, Record: d.Name, Reason: reasonAfterTrail})
	}
	if p.l.header != nil {
		if line == 1 && d.Role != Header {
			p.rep.add(Problem{Line: line, Record: d.Name, Reason: reasonNoHeader})
		}
		if line > 1 && d.Role == Header {
			p.rep.add(Problem{Line: line, Record: d.Name, Reason: reasonHeaderAgain})
		}
	}
	switch d.Role {
	case Trailer:
		p.trailerSeen = true
	case Data:
		p.count++
	}
}

func (p *parser) fixedRecord(b []byte) error {
	l, line := p.l, p.rep.Lines
	if len(b) != l.RecordLength {
		p.rep.add(Problem{Line: line, Reason: reasonLength(l.RecordLength, len(b))})
		p.noteKind(b)
		return nil
	}
	kind := b[l.Kind.Start-1 : l.Kind.Start-1+l.Kind.Width]
	d := l.byKind[string(kind)]
	if d == nil {
		p.rep.add(Problem{Line: line, Field: "(kind)", Reason: reasonUnknownKind})
		return nil
	}
	p.sequence(line, d)
	p.begin(line, d)
	ok := true
	for i, f := range d.Fields {
		raw := b[f.Start-1 : f.Start-1+f.Width]
		if fastValue(f, raw, &p.rec.Values[i]) {
			continue
		}
		s, pos, why, good := p.decode(raw)
		if !good {
			p.rep.add(Problem{Line: line, Record: d.Name, Field: f.Name, Pos: f.Start + pos, Reason: at(why, f.Start+pos)})
			ok = false
			continue
		}
		if why, good := l.checkValue(f, raw, s, &p.rec.Values[i]); !good {
			p.rep.add(Problem{Line: line, Record: d.Name, Field: f.Name, Reason: why})
			ok = false
		}
	}
	return p.end(d, ok)
}

func (p *parser) csvRecord(b []byte) error {
	l, line := p.l, p.rep.Lines
	if len(b) > 0 && b[len(b)-1] == '\r' && p.l.LineEnd == "lf" {
		p.rep.add(Problem{Line: line, Reason: reasonLineEnd})
		return nil
	}
	p.colRaw = splitCSV(b, p.colRaw[:0])
	if p.colRaw == nil {
		p.rep.add(Problem{Line: line, Reason: reasonInvalid})
		p.noteKind(b)
		return nil
	}
	if len(p.colRaw) < l.Kind.Column {
		p.rep.add(Problem{Line: line, Reason: reasonColumns(l.Kind.Column, len(p.colRaw))})
		return nil
	}
	d := l.byKind[string(p.colRaw[l.Kind.Column-1])]
	if d == nil {
		p.rep.add(Problem{Line: line, Field: "(kind)", Reason: reasonUnknownKind})
		return nil
	}
	p.sequence(line, d)
	if want := len(d.Fields) + 1; len(p.colRaw) != want {
		p.rep.add(Problem{Line: line, Record: d.Name, Reason: reasonColumns(want, len(p.colRaw))})
		if d.Role == Data {
			p.dataBad = true
		}
		return nil
	}
	p.begin(line, d)
	ok := true
	for i, f := range d.Fields {
		raw := p.colRaw[f.Column-1]
		s, pos, why, good := p.decode(raw)
		if !good {
			off := columnOffset(b, f.Column)
			p.rep.add(Problem{Line: line, Record: d.Name, Field: f.Name, Pos: off + 1 + pos, Reason: at(why, off+1+pos)})
			ok = false
			continue
		}
		if why, good := l.checkValue(f, raw, s, &p.rec.Values[i]); !good {
			p.rep.add(Problem{Line: line, Record: d.Name, Field: f.Name, Reason: why})
			ok = false
		}
	}
	return p.end(d, ok)
}

func (p *parser) begin(line int, d *RecordDef) {
	p.rec.Line, p.rec.Def = line, d
	if cap(p.rec.Values) < len(d.Fields) {
		p.rec.Values = make([]Value, len(d.Fields))
	}
	p.rec.Values = p.rec.Values[:len(d.Fields)]
}

// end checks what depends on several fields (a code valid on the record's
// date), adds the record to the totals and hands it on.
func (p *parser) end(d *RecordDef, ok bool) error {
	if ok {
		for i, f := range d.Fields {
			if f.dateIdx < 0 || p.rec.Values[i].Empty || p.rec.Values[f.dateIdx].Empty {
				continue
			}
			if c := f.codes[p.rec.Values[i].Text]; !c.validOn(p.rec.Values[f.dateIdx].Date) {
				p.rep.add(Problem{Line: p.rec.Line, Record: d.Name, Field: f.Name, Reason: reasonCodeDate})
				ok = false
			}
		}
	}
	switch {
	case !ok && d.Role == Data:
		p.dataBad = true
	case ok && d.Role == Data:
		for of := range p.rep.Totals {
			if j := d.Field(of); j >= 0 {
				p.rep.Totals[of] += p.rec.Values[j].Int
			}
		}
	case ok && d.Role == Trailer:
		p.trailer = p.rec.Clone()
	}
	if p.rec.Def.Role == Data {
		p.rep.Records = p.count
	}
	if ok && p.fn != nil {
		return p.fn(&p.rec)
	}
	return nil
}

// decode turns a field's bytes into text, or says which byte (0-based in
// raw) holds a character that cannot be read.
func (p *parser) decode(raw []byte) (s string, pos int, why errs.Message, ok bool) {
	scan := scanUTF8
	if p.l.sjis {
		scan = scanSJIS
	}
	bad, why, ascii := scan(raw)
	if bad >= 0 {
		return "", bad, why, false
	}
	if ascii || !p.l.sjis {
		return string(raw), 0, errs.Message{}, true
	}
	out, bad := decodeSJIS(p.scratch[:0], raw)
	p.scratch = out[:0]
	if bad >= 0 {
		return "", bad, reasonUnmap, false
	}
	return string(out), 0, errs.Message{}, true
}

// finish checks what only the whole file shows: that it held anything,
// that a trailer closed it, and the trailer's count and totals.
func (p *parser) finish() {
	l, rep := p.l, p.rep
	rep.Records = p.count
	if rep.Lines == 0 {
		rep.add(Problem{Reason: reasonEmpty})
		return
	}
	t := l.trailer
	if t == nil {
		return
	}
	if !p.trailerSeen {
		rep.add(Problem{Line: rep.Lines, Reason: reasonNoTrailer})
		return
	}
	if p.trailer == nil {
		return // the trailer itself was wrong, and reported
	}
	if t.Count != "" && p.trailer.Get(t.Count).Int != int64(p.count) {
		rep.add(Problem{Line: p.trailer.Line, Record: t.Name, Field: t.Count, Reason: reasonCount})
	}
	if p.dataBad {
		return // the totals cannot be compared while a data record is wrong
	}
	for tf, of := range t.Totals {
		if p.trailer.Get(tf).Int != rep.Totals[of] {
			rep.add(Problem{Line: p.trailer.Line, Record: t.Name, Field: tf, Reason: reasonTotal})
		}
	}
}

// splitCSV splits one line into its raw columns: commas separate them, a
// column in double quotes may hold commas and doubled quotes (but no line
// break: one record is one line). It appends to cols, or returns nil for a
// line whose quotes do not close. Shift_JIS trail bytes are never ',' or
// '"', so the split works on either encoding's bytes.
func splitCSV(b []byte, cols [][]byte) [][]byte {
	if cols == nil {
		cols = make([][]byte, 0, 16)
	}
	for {
		if len(b) > 0 && b[0] == '"' {
			var col []byte
			i := 1
			for {
				j := bytes.IndexByte(b[i:], '"')
				if j < 0 {
					return nil
				}
				col = append(col, b[i:i+j]...)
				i += j + 1
				if i < len(b) && b[i] == '"' {
					col = append(col, '"')
					i++
					continue
				}
				break
			}
			cols = append(cols, col)
			b = b[i:]
			if len(b) == 0 {
				return cols
			}
			if b[0] != ',' {
				return nil
			}
			b = b[1:]
			continue
		}
		j := bytes.IndexByte(b, ',')
		if j < 0 {
			return append(cols, b)
		}
		cols = append(cols, b[:j])
		b = b[j+1:]
	}
}

// columnOffset is the 0-based byte where column col (1-based) of line b
// starts, after its opening quote.
func columnOffset(b []byte, col int) int {
	quoted := false
	for i, c := range b {
		if col == 1 {
			if c == '"' && !quoted {
				return i + 1
			}
			return i
		}
		switch {
		case c == '"':
			quoted = !quoted
		case c == ',' && !quoted:
			col--
		}
	}
	return len(b)
}

// fastValue reads the common good cases of fillers, codes and dates
// straight from the bytes, without making a string; anything else, and
// every wrong value, goes the general way, which reports it.
func fastValue(f *Field, raw []byte, v *Value) bool {
	switch f.Type {
	case TypeFiller:
		for _, c := range raw {
			if c != ' ' {
				return false
			}
		}
		*v = Value{Empty: true}
		return true
	case TypeCode:
		t := bytes.TrimRight(raw, " ")
		if c, ok := f.codes[string(t)]; ok && len(t) > 0 {
			*v = Value{Text: c.Code}
			return true
		}
	case TypeDate, TypeWareki:
		n := 0
		for _, c := range raw {
			if c < '0' || c > '9' {
				return false
			}
			n = n*10 + int(c-'0')
		}
		var t time.Time
		var ok bool
		if f.Type == TypeDate {
			t, ok = fastYMD(n/10000, n/100%100, n%100)
		} else {
			t, ok = wareki.Date(n/1000000, n/10000%100, n/100%100, n%100)
		}
		if ok {
			*v = Value{Date: t}
			return true
		}
	}
	return false
}

func fastYMD(y, m, d int) (time.Time, bool) {
	if y < 1 || m < 1 || m > 12 || d < 1 {
		return time.Time{}, false
	}
	t := wareki.Civil(y, time.Month(m), d)
	return t, t.Day() == d && t.Month() == time.Month(m)
}
