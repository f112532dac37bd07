package linkage

import (
	"os"
	"strings"
	"testing"
)

func mustLayout(t testing.TB, js string) *Layout {
	t.Helper()
	l, err := Load(strings.NewReader(js), "test")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return l
}

func testdataLayout(t testing.TB, file string) *Layout {
	t.Helper()
	f, err := os.Open("testdata/layouts/" + file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	l, err := Load(f, file)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// The shipped layouts load and keep the My Number away from the
// aggregation system (R-NHI-8).
func TestBuiltinLayouts(t *testing.T) {
	ls, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, l := range ls {
		names[l.Name] = true
	}
	for _, want := range []string{"nhi-eligibility-continuity", "resident-differences"} {
		if !names[want] {
			t.Errorf("no builtin layout %s (have %v)", want, names)
		}
	}
	l, err := Lookup("nhi-eligibility-continuity", 0)
	if err != nil {
		t.Fatal(err)
	}
	if !l.MyNumberForbidden || l.Direction != "outbound" || l.Encoding != "shift_jis" {
		t.Errorf("nhi-eligibility-continuity: forbidden %v, direction %s, encoding %s", l.MyNumberForbidden, l.Direction, l.Encoding)
	}
	if _, err := Lookup("nhi-eligibility-continuity", 99); err == nil {
		t.Error("Lookup of a version that does not exist succeeded")
	}
	if _, err := Lookup("no-such-layout", 0); err == nil {
		t.Error("Lookup of a layout that does not exist succeeded")
	}
}

const baseFixed = `{"name": "t", "version": 1, "title": {"ja": "試験", "en": "test"}, "partner": "p",
 "direction": "inbound", "format": "fixed", "encoding": "shift_jis", "record_length": 10, "line_end": "crlf",
 "kind": {"start": 1, "width": 1}, "mynumber_forbidden": true,
 "records": [{"kind": "2", "role": "data", "name": "rec", "fields": [FIELDS]}],
 "codes": {"yn": [{"code": "Y"}, {"code": "N"}]}}`

func fixedWith(fields string) string { return strings.Replace(baseFixed, "FIELDS", fields, 1) }

// A wrong layout is refused when loaded, naming the layout, record and
// field (R-ACC-5: what is received is defined exactly).
func TestLayoutErrors(t *testing.T) {
	ok := `{"name": "a", "start": 2, "width": 9, "type": "digits"}`
	if _, err := Load(strings.NewReader(fixedWith(ok)), "t"); err != nil {
		t.Fatalf("the base layout is refused: %v", err)
	}
	for _, c := range []struct{ name, js, want string }{
		{"unknown JSON field", fixedWith(`{"name": "a", "start": 2, "width": 9, "type": "digits", "colour": "red"}`), `unknown field "colour"`},
		{"unknown type", fixedWith(`{"name": "a", "start": 2, "width": 9, "type": "number"}`), `layout t, record rec, field a: unknown type "number"`},
		{"overlap", fixedWith(`{"name": "a", "start": 2, "width": 5, "type": "digits"}, {"name": "b", "start": 6, "width": 5, "type": "digits"}`), "record rec, field b: overlaps"},
		{"gap", fixedWith(`{"name": "a", "start": 2, "width": 3, "type": "digits"}, {"name": "b", "start": 6, "width": 5, "type": "digits"}`), "record rec, field b: leaves a gap from 5 to 5"},
		{"short", fixedWith(`{"name": "a", "start": 2, "width": 3, "type": "digits"}`), "record rec: fields end at 4, not at 10"},
		{"overlaps the kind", fixedWith(`{"name": "a", "start": 1, "width": 10, "type": "digits"}`), "field a: overlaps"},
		{"outside", fixedWith(`{"name": "a", "start": 2, "width": 10, "type": "digits"}`), "outside the 10-byte record"},
		{"twice", fixedWith(`{"name": "a", "start": 2, "width": 4, "type": "digits"}, {"name": "a", "start": 6, "width": 5, "type": "digits"}`), "field a: declared twice"},
		{"My Number to a forbidden partner", fixedWith(`{"name": "a", "start": 2, "width": 9, "type": "mynumber"}`), "field a: this partner must never receive a My Number"},
		{"unknown list", fixedWith(`{"name": "a", "start": 2, "width": 9, "type": "code", "list": "none"}`), `field a: code list "none" is not declared`},
		{"code width", fixedWith(`{"name": "a", "start": 2, "width": 9, "type": "code", "list": "yn"}`), "not 9 bytes wide"},
		{"date width", fixedWith(`{"name": "a", "start": 2, "width": 9, "type": "wareki"}`), "a 和暦 date is 7 bytes"},
		{"charset", fixedWith(`{"name": "a", "start": 2, "width": 9, "type": "text", "charset": "euc"}`), `charset "euc"`},
		{"code_date", fixedWith(`{"name": "a", "start": 2, "width": 1, "type": "code", "list": "yn", "code_date": "b"}, {"name": "b", "start": 3, "width": 8, "type": "digits"}`), `code_date "b" is not a date field`},
		{"encoding", strings.Replace(fixedWith(ok), "shift_jis", "euc-jp", 1), `encoding "euc-jp"`},
		{"trailing JSON", fixedWith(ok) + "{}", "more than one JSON value"},
	} {
		_, err := Load(strings.NewReader(c.js), "t")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
	}
}
