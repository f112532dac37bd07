// Package csvsafe keeps CSV cells from being read as formulas by
// spreadsheet software (CSV injection): staff open exports in Excel, and a
// cell such as =HYPERLINK(…) typed into a login box must stay text.
package csvsafe

// Cell returns v, with a leading apostrophe when it would otherwise start
// a formula (=, +, -, @, tab or carriage return).
func Cell(v string) string {
	if v == "" {
		return v
	}
	switch v[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + v
	}
	return v
}
