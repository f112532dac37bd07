// Package cleantext decides whether text from outside may enter bango:
// valid UTF-8, no NUL, and no control characters except tab and line
// breaks in fields that hold several lines. It is checked once, where the
// text arrives, so that no database sees what it cannot store and no log
// or screen shows what it cannot display.
package cleantext

import (
	"unicode/utf8"

	"bango/internal/errs"
)

// Reason is what a person is told about a field that fails Valid.
var Reason = errs.Message{
	JA: "使用できない文字（制御文字または不正な文字コード）が含まれています",
	EN: "contains characters that cannot be used (control characters or invalid encoding)",
}

// Valid reports whether s may enter bango. multiline allows tab, CR and
// LF (notes, reasons); a single-line field allows none of them.
func Valid(s string, multiline bool) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			if !multiline {
				return false
			}
		case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
			return false
		}
	}
	return true
}

// Shown is s as it may appear in a log or an audit record: s itself when
// it is valid single-line text, otherwise a placeholder, never the bytes.
func Shown(s string) string {
	if Valid(s, false) {
		return s
	}
	return "[unreadable text]"
}
