package linkage

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"bango/internal/errs"
	"bango/internal/mynumber"
	"bango/internal/wareki"
)

// Value is one field's content, checked against its type. Text is the
// decoded text without its padding (empty for dates); Int holds an amount
// or digits that fit; Date a date or 和暦 date; Number a My Number
// (printing as a mask).
type Value struct {
	Text   string
	Int    int64
	Date   time.Time
	Number mynumber.Number
	Empty  bool
}

// Record is one record that passed every check, handed to the caller's
// function. Values follow Def.Fields; the parser reuses the slice, so a
// caller that keeps a record keeps Clone().
type Record struct {
	Line   int
	Def    *RecordDef
	Values []Value
}

// Get returns the value of the field called name (the zero Value when the
// record has no such field).
func (r *Record) Get(name string) Value {
	if i := r.Def.Field(name); i >= 0 {
		return r.Values[i]
	}
	return Value{}
}

// Clone returns a copy of r that the parser will not overwrite.
func (r *Record) Clone() *Record {
	c := *r
	c.Values = append([]Value(nil), r.Values...)
	return &c
}

var (
	reasonRequired = errs.Message{JA: "必須項目が空です", EN: "is required but empty"}
	reasonDigits   = errs.Message{JA: "数字以外の文字が含まれています", EN: "holds a character that is not a digit"}
	reasonAmount   = errs.Message{JA: "金額として読めません", EN: "is not an amount"}
	reasonAlnum    = errs.Message{JA: "半角英数字・記号以外の文字が含まれています", EN: "holds a character that is not half-width alphanumeric"}
	reasonKana     = errs.Message{JA: "半角カナ以外の文字が含まれています", EN: "holds a character that is not half-width katakana"}
	reasonFull     = errs.Message{JA: "全角文字以外の文字が含まれています", EN: "holds a character that is not full-width"}
	reasonJIS      = errs.Message{JA: "JIS第1・第2水準（JIS X 0208）以外の文字が含まれています", EN: "holds a character outside JIS X 0208"}
	reasonCP932    = errs.Message{JA: "Shift_JIS（CP932）で表せない文字が含まれています", EN: "holds a character Shift_JIS (CP932) cannot represent"}
	reasonDate     = errs.Message{JA: "日付（西暦YYYYMMDD）として存在しない日です", EN: "is not a real date (YYYYMMDD)"}
	reasonWareki   = errs.Message{JA: "和暦の日付（元号コード＋YYMMDD）として存在しない日です", EN: "is not a real day of its era (era code + YYMMDD)"}
	reasonCode     = errs.Message{JA: "定義されていないコードです", EN: "is not a code of its list"}
	reasonCodeDate = errs.Message{JA: "その日付には使えないコードです", EN: "is not a valid code on the record's date"}
	reasonFiller   = errs.Message{JA: "未使用領域（空白）に値があります", EN: "holds something in a filler that must be blank"}
	reasonMyNumber = errs.Message{JA: "個人番号とみられる12桁の数字があります（この連携先とは個人番号をやり取りしません）", EN: "holds 12 digits with a valid My Number check digit; this partner never exchanges a My Number"}
	reasonNotMyNum = errs.Message{JA: "個人番号として正しくありません", EN: "is not a valid My Number"}
)

func tooLong(max int) errs.Message {
	return errs.Message{JA: fmt.Sprintf("%d文字を超えています", max), EN: fmt.Sprintf("is longer than %d characters", max)}
}

// trimPad removes trailing half-width and full-width spaces (faster than
// strings.TrimRight with a non-ASCII cutset, which decodes every rune).
func trimPad(s string) string {
	for {
		switch {
		case strings.HasSuffix(s, " "):
			s = s[:len(s)-1]
		case strings.HasSuffix(s, "　"):
			s = s[:len(s)-len("　")]
		default:
			return s
		}
	}
}

// checkValue checks the decoded text s of field f and fills v; raw is the
// field's bytes in the file's encoding (Shift_JIS layouts check the
// JIS X 0208 repertoire on them). It returns the reason the field is
// wrong, or ok.
func (l *Layout) checkValue(f *Field, raw []byte, s string, v *Value) (errs.Message, bool) {
	*v = Value{}
	switch f.Type {
	case TypeFiller:
		if strings.Trim(s, " ") != "" {
			return reasonFiller, false
		}
		v.Empty = true
		return errs.Message{}, true
	case TypeDigits, TypeAmount, TypeDate, TypeWareki, TypeMyNumber:
		if strings.Trim(s, " ") == "" {
			s = ""
		}
	default:
		s = trimPad(s)
	}
	if l.Format == "csv" && f.Max > 0 && utf8.RuneCountInString(s) > f.Max {
		return tooLong(f.Max), false
	}
	v.Text = s
	if s == "" || (f.Type == TypeDate || f.Type == TypeWareki) && strings.Trim(s, "0") == "" {
		v.Empty = true
		if f.Required {
			return reasonRequired, false
		}
		return errs.Message{}, true
	}
	if l.MyNumberForbidden && looksLikeMyNumber(s) {
		return reasonMyNumber, false
	}
	switch f.Type {
	case TypeDigits:
		if !allDigits(s) {
			return reasonDigits, false
		}
		if len(s) <= 18 {
			v.Int, _ = strconv.ParseInt(s, 10, 64)
		}
	case TypeAmount:
		d := s
		if f.Signed && (d[0] == '-' || d[0] == '+') {
			d = d[1:]
		}
		if d == "" || !allDigits(d) || len(d) > 15 {
			return reasonAmount, false
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return reasonAmount, false
		}
		v.Int = n
	case TypeAlnum:
		for i := 0; i < len(s); i++ {
			if s[i] < 0x20 || s[i] > 0x7e {
				return reasonAlnum, false
			}
		}
	case TypeKana:
		for _, r := range s {
			if !isKanaChar(r) {
				return reasonKana, false
			}
		}
	case TypeText:
		return l.checkText(f, raw, s)
	case TypeDate:
		t, ok := parseYMD(s)
		if !ok {
			return reasonDate, false
		}
		v.Date, v.Text = t, ""
	case TypeWareki:
		if len(s) != 7 || !allDigits(s) {
			return reasonWareki, false
		}
		y, _ := strconv.Atoi(s[1:3])
		m, _ := strconv.Atoi(s[3:5])
		d, _ := strconv.Atoi(s[5:7])
		t, ok := wareki.Date(int(s[0]-'0'), y, m, d)
		if !ok {
			return reasonWareki, false
		}
		v.Date, v.Text = t, ""
	case TypeCode:
		if _, ok := f.codes[s]; !ok {
			return reasonCode, false
		}
	case TypeMyNumber:
		if len(s) != mynumber.Len || !allDigits(s) {
			return reasonNotMyNum, false
		}
		n, err := mynumber.Parse(s)
		if err != nil {
			return reasonNotMyNum, false
		}
		v.Number = n
		v.Text = mynumber.Mask
	}
	return errs.Message{}, true
}

func (l *Layout) checkText(f *Field, raw []byte, s string) (errs.Message, bool) {
	cp932 := f.Charset == "cp932"
	if l.sjis && l.Format == "fixed" {
		for i := 0; i < len(raw); i++ {
			c := raw[i]
			if !isLead(c) {
				if c == ' ' && strings.Trim(string(raw[i:]), " ") == "" {
					break // padding
				}
				return reasonFull, false
			}
			if !cp932 && !inJISX0208(c, raw[i+1]) {
				return reasonJIS, false
			}
			i++
		}
		return errs.Message{}, true
	}
	for _, r := range s {
		if r < 0x80 || r >= 0xff61 && r <= 0xff9f {
			return reasonFull, false
		}
		b, ok := encodeSJIS(r)
		switch {
		case !ok:
			return reasonCP932, false
		case len(b) != 2:
			return reasonFull, false
		}
		if !cp932 && !inJISX0208(b[0], b[1]) {
			return reasonJIS, false
		}
	}
	return errs.Message{}, true
}

func isKanaChar(r rune) bool {
	switch {
	case r >= 0xff61 && r <= 0xff9f, r == ' ', r >= '0' && r <= '9', r >= 'A' && r <= 'Z':
		return true
	}
	return strings.ContainsRune("()-./", r)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return len(s) > 0
}

func parseYMD(s string) (time.Time, bool) {
	if len(s) != 8 || !allDigits(s) {
		return time.Time{}, false
	}
	y, _ := strconv.Atoi(s[:4])
	m, _ := strconv.Atoi(s[4:6])
	d, _ := strconv.Atoi(s[6:])
	t := wareki.Civil(y, time.Month(m), d)
	if y < 1 || m < 1 || m > 12 || t.Month() != time.Month(m) || t.Day() != d {
		return time.Time{}, false
	}
	return t, true
}

// looksLikeMyNumber reports whether s, without spaces and hyphens, is 12
// digits (half or full width) whose last is the My Number check digit of
// the others.
func looksLikeMyNumber(s string) bool {
	if len(s) < mynumber.Len || len(s) > 3*mynumber.Len+24 {
		return false
	}
	var d [mynumber.Len]byte
	n := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
		case r >= '０' && r <= '９':
			r = '0' + r - '０'
		case r == ' ' || r == '-' || r == '　' || r == '－':
			continue
		default:
			return false
		}
		if n == mynumber.Len {
			return false
		}
		d[n] = byte(r)
		n++
	}
	return n == mynumber.Len && mynumber.CheckDigit(string(d[:11])) == d[11]
}
