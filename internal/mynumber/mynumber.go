// Package mynumber holds the My Number (個人番号) type. A Number can only be
// made by parsing, which checks the check digit (R-ACC-2), and it prints as a
// mask in every formatting path — fmt verbs, JSON, text marshalling and slog —
// so that a Number passed carelessly to a log or a template leaks nothing.
// The digits are reached through one method, Digits, whose callers a test
// limits to the packages that must seal or compare the number.
package mynumber

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"unicode/utf8"

	"bango/internal/errs"
)

// Mask is what a Number prints as, wherever it is printed.
const Mask = "************"

// Len is the number of digits in a My Number, the check digit included.
const Len = 12

// Number is a My Number whose check digit has been verified. The zero value
// holds no number. The value is held XORed with a random per-process pad:
// fmt prints a struct's unexported fields by reflection, without calling
// their methods, and must find nothing there that reads as the digits.
type Number struct {
	v uint64
}

// pad has its top bit clear, and a held value has its top bit set before the
// XOR, so a held Number is never 0, the zero value.
var pad = func() uint64 {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("mynumber: no randomness: " + err.Error())
	}
	return binary.LittleEndian.Uint64(b[:]) >> 1
}()

const held = 1 << 63

// ParseError says why a text is not a My Number. Its reason never repeats
// the input.
type ParseError struct{ Reason errs.Message }

func (e *ParseError) Error() string { return "my number: " + e.Reason.EN }

var (
	errEmpty    = &ParseError{errs.Message{JA: "入力されていません", EN: "is empty"}}
	errDigits   = &ParseError{errs.Message{JA: "数字以外の文字が含まれています", EN: "contains a character that is not a digit"}}
	errCheckSum = &ParseError{errs.Message{JA: "検査用数字（12桁目）が一致しません", EN: "check digit (12th digit) does not match"}}
)

func lengthError(n int) *ParseError {
	return &ParseError{errs.Message{
		JA: fmt.Sprintf("12桁で入力してください（%d桁です）", n),
		EN: fmt.Sprintf("must be 12 digits, got %d", n),
	}}
}

// Parse reads a My Number as a person types it: ASCII or full-width digits,
// optionally grouped with spaces or hyphens.
func Parse(text string) (Number, error) {
	if len(text) == Len && isDigits(text) {
		return fromDigits(text) // the common case: no copy
	}
	var b strings.Builder
	b.Grow(Len)
	for _, r := range text {
		switch d := digitOf(r); {
		case d >= 0:
			b.WriteByte(byte('0' + d))
		case isGrouping(r):
		default:
			return Number{}, errDigits
		}
	}
	s := b.String()
	switch {
	case len(s) == 0:
		return Number{}, errEmpty
	case len(s) != Len:
		return Number{}, lengthError(len(s))
	}
	return fromDigits(s)
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// fromDigits makes a Number of 12 ASCII digits after checking the check digit.
func fromDigits(s string) (Number, error) {
	if CheckDigit(s[:Len-1]) != s[Len-1] {
		return Number{}, errCheckSum
	}
	v, _ := strconv.ParseUint(s, 10, 64)
	return Number{(v | held) ^ pad}, nil
}

// CheckDigit computes the check digit of the first 11 digits of a My Number
// with the formula of 総務省令第85号 第5条: P_n is the n-th digit counted from
// the right, Q_n is n+1 for n ≤ 6 and n−5 for n ≥ 7; the check digit is
// 11 − (ΣP_n·Q_n mod 11), or 0 when that remainder is 0 or 1.
// It panics if first11 is not 11 ASCII digits.
func CheckDigit(first11 string) byte {
	if len(first11) != Len-1 {
		panic("mynumber: CheckDigit needs 11 digits")
	}
	sum := 0
	for n := 1; n <= 11; n++ {
		c := first11[len(first11)-n]
		if c < '0' || c > '9' {
			panic("mynumber: CheckDigit needs 11 digits")
		}
		q := n + 1
		if n >= 7 {
			q = n - 5
		}
		sum += int(c-'0') * q
	}
	r := sum % 11
	if r <= 1 {
		return '0'
	}
	return byte('0' + 11 - r)
}

// IsZero reports whether n holds no number.
func (n Number) IsZero() bool { return n.v == 0 }

// Digits returns the 12 digits. It is the only way to them: callers are
// limited (see TestDigitsCallers) to sealing, blind indexing and reveal.
func (n Number) Digits() string {
	if n.v == 0 {
		return ""
	}
	s := strconv.FormatUint((n.v^pad)&^held, 10)
	return strings.Repeat("0", Len-len(s)) + s
}

// Equal reports whether n and m hold the same number (== works as well).
func (n Number) Equal(m Number) bool { return n == m }

func (n Number) mask() string {
	if n.v == 0 {
		return ""
	}
	return Mask
}

func (n Number) String() string   { return n.mask() }
func (n Number) GoString() string { return "mynumber.Number(" + Mask + ")" }

// Format prints the mask for every verb, so %d or %x cannot bypass String.
func (n Number) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, n.GoString())
		return
	}
	fmt.Fprint(f, n.mask())
}

// LogValue keeps slog from printing the digits.
func (n Number) LogValue() slog.Value { return slog.StringValue(n.mask()) }

// MarshalText and MarshalJSON print the mask: an API response never carries
// the digits by accident. A reveal sends them explicitly as a string.
func (n Number) MarshalText() ([]byte, error) { return []byte(n.mask()), nil }

func (n Number) MarshalJSON() ([]byte, error) { return []byte(`"` + n.mask() + `"`), nil }

// UnmarshalText parses digits, so that a Number can be read from a request.
func (n *Number) UnmarshalText(b []byte) error {
	v, err := Parse(string(b))
	if err != nil {
		return err
	}
	*n = v
	return nil
}

// UnmarshalJSON parses a JSON string of digits.
func (n *Number) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return &ParseError{errs.Message{JA: "文字列で指定してください", EN: "must be a JSON string"}}
	}
	return n.UnmarshalText([]byte(s[1 : len(s)-1]))
}

// Redact returns s with every My Number written in it replaced by Mask,
// and whether it replaced any: twelve digits (ASCII or full-width, in runs
// joined by one separator each as Parse accepts: 1234-5678-9018) whose
// check digit holds, the runs whole and not part of a word of ASCII
// letters and digits (a hexadecimal serial). Free text — a reason, a note,
// an audit event's detail — is where a number typed by habit would
// otherwise be kept in full (R-AC-4).
func Redact(s string) (string, bool) {
	if !mayHoldNumber(s) {
		return s, false
	}
	runs := digitRuns(s)
	var out strings.Builder
	last := 0 // s[last:] not yet copied
	for k := 0; k < len(runs); k++ {
		if wordByteBefore(s, runs[k].start) {
			continue
		}
		digits := ""
		for m := k; m < len(runs) && len(digits) < Len; m++ {
			if m > k && !runs[m].joined {
				break
			}
			digits += runs[m].digits
			if len(digits) == Len && !wordByteAt(s, runs[m].end) && CheckDigit(digits[:Len-1]) == digits[Len-1] {
				out.WriteString(s[last:runs[k].start])
				out.WriteString(Mask)
				last, k = runs[m].end, m
				break
			}
		}
	}
	if last == 0 {
		return s, false
	}
	out.WriteString(s[last:])
	return out.String(), true
}

// digitRun is a run of digits in a text: where it is, its digits in
// ASCII, and whether one separator alone joins it to the run before.
type digitRun struct {
	start, end int
	digits     string
	joined     bool
}

func digitRuns(s string) []digitRun {
	var runs []digitRun
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if digitOf(r) < 0 {
			i += size
			continue
		}
		run := digitRun{start: i}
		if n := len(runs); n > 0 {
			prev := runs[n-1].end
			sep, size := utf8.DecodeRuneInString(s[prev:])
			run.joined = isGrouping(sep) && prev+size == i
		}
		var b strings.Builder
		for ; i < len(s); i += size {
			r, size = utf8.DecodeRuneInString(s[i:])
			d := digitOf(r)
			if d < 0 {
				break
			}
			b.WriteByte(byte('0' + d))
		}
		run.end, run.digits = i, b.String()
		runs = append(runs, run)
	}
	return runs
}

// mayHoldNumber is Redact's quick test: twelve digits at least.
func mayHoldNumber(s string) bool {
	n := 0
	for _, r := range s {
		if digitOf(r) >= 0 {
			if n++; n >= Len {
				return true
			}
		}
	}
	return false
}

// digitOf is the value of r as a digit a person types, ASCII or
// full-width, or -1.
func digitOf(r rune) int {
	switch {
	case r >= '0' && r <= '9':
		return int(r - '0')
	case r >= '０' && r <= '９':
		return int(r - '０')
	}
	return -1
}

// isGrouping reports a separator people group a number's digits with, as
// printed on the card or typed by habit.
func isGrouping(r rune) bool {
	return r == ' ' || r == '-' || r == '　' || r == '－' || r == '‐'
}

// wordByteAt and wordByteBefore report an ASCII letter or digit at s[i],
// or just before it: a run of digits inside such a word is not a number
// written on its own.
func wordByteAt(s string, i int) bool {
	if i >= len(s) {
		return false
	}
	c := s[i]
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func wordByteBefore(s string, i int) bool { return i > 0 && wordByteAt(s, i-1) }

// InFreeText refuses free text (a reason, a note, a comment) that holds a
// My Number: whoever reads it — the maker, an approver, a queue — never
// sees a number after entry (R-AC-4).
var InFreeText = errs.Message{JA: "個人番号を書かないでください（番号は入力した後は表示しない決まりです）",
	EN: "do not write a My Number here: a number is never shown after entry"}

// Holds reports whether text holds a My Number, as Redact finds one.
func Holds(text string) bool {
	_, found := Redact(text)
	return found
}
