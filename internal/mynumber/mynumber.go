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
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= '０' && r <= '９':
			b.WriteRune('0' + (r - '０'))
		case r == ' ' || r == '-' || r == '　' || r == '－' || r == '‐':
			// grouping as printed on the card or typed by habit
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
