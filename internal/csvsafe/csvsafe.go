// Package csvsafe keeps CSV cells from being read as formulas by
// spreadsheet software (CSV injection): staff open exports in Excel, and a
// cell such as =HYPERLINK(…) typed into a login box must stay text.
package csvsafe

import "unicode/utf8"

// Cell returns v, with a leading apostrophe when it would otherwise start
// a formula: =, +, -, @, their full-width forms (＝＋－＠, which
// spreadsheets read as the same), or white space before any of them (a
// space, a full-width space, tab, CR or LF).
func Cell(v string) string {
	r, _ := utf8.DecodeRuneInString(v)
	switch r {
	case '=', '+', '-', '@', '\t', '\r', '\n', ' ', '　', '＝', '＋', '－', '＠':
		return "'" + v
	}
	return v
}
