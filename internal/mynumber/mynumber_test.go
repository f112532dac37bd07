package mynumber

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// Valid numbers computed by hand from the statutory formula.
const (
	valid1 = "123456789018"
	valid2 = "983205673214"
)

// R-ACC-2: input errors are detected, each with its own reason.
func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    string // digits, or "" when an error is expected
		errWant string // substring of the English reason
	}{
		{in: valid1, want: valid1},
		{in: valid2, want: valid2},
		{in: "1234-5678-9018", want: valid1},
		{in: "1234 5678 9018", want: valid1},
		{in: "１２３４５６７８９０１８", want: valid1},
		{in: "", errWant: "is empty"},
		{in: "12345678901", errWant: "must be 12 digits, got 11"},
		{in: "1234567890180", errWant: "must be 12 digits, got 13"},
		{in: "12345678901a", errWant: "not a digit"},
		{in: "123456789012", errWant: "check digit"},
		{in: "123456789010", errWant: "check digit"},
	}
	for _, tt := range tests {
		n, err := Parse(tt.in)
		if tt.errWant != "" {
			var pe *ParseError
			if !errors.As(err, &pe) || !strings.Contains(pe.Reason.EN, tt.errWant) || pe.Reason.JA == "" {
				t.Errorf("Parse(%q) error = %v, want reason containing %q with a Japanese text", tt.in, err, tt.errWant)
			}
			if err != nil && tt.in != "" && strings.Contains(err.Error(), tt.in) {
				t.Errorf("Parse(%q) error repeats the input: %v", tt.in, err)
			}
			continue
		}
		if err != nil || n.Digits() != tt.want {
			t.Errorf("Parse(%q) = %q, %v; want %q", tt.in, n.Digits(), err, tt.want)
		}
	}
}

// R-ACC-2: every single-digit typo in a valid number is caught.
func TestCheckDigitCatchesEverySingleDigitError(t *testing.T) {
	for pos := 0; pos < Len; pos++ {
		for d := byte('0'); d <= '9'; d++ {
			b := []byte(valid2)
			if b[pos] == d {
				continue
			}
			b[pos] = d
			if _, err := Parse(string(b)); err == nil {
				t.Errorf("typo at position %d (%q) was accepted", pos+1, b)
			}
		}
	}
}

func TestCheckDigitAgainstAllRemainders(t *testing.T) {
	// Sweep enough 11-digit prefixes to hit remainders 0 and 1, where the
	// check digit is 0 by rule, and confirm round-trips through Parse.
	zeros := 0
	for i := 0; i < 2000; i++ {
		p := fmt.Sprintf("%011d", i*7919)
		c := CheckDigit(p)
		if c == '0' {
			zeros++
		}
		if _, err := Parse(p + string(c)); err != nil {
			t.Fatalf("Parse(%s%c): %v", p, c, err)
		}
	}
	if zeros == 0 {
		t.Fatal("no prefix produced check digit 0; the sweep is too narrow")
	}
}

type holder struct {
	Exported Number
	hidden   Number
	Ptr      *Number
}

// R-AC-4: the number never appears when formatted, marshalled or logged.
func TestRedactedEverywhere(t *testing.T) {
	n, err := Parse(valid1)
	if err != nil {
		t.Fatal(err)
	}
	h := holder{Exported: n, hidden: n, Ptr: &n}
	var outputs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%d", "%x", "%X", "%10s", "%T"} {
		outputs = append(outputs, fmt.Sprintf(verb, n), fmt.Sprintf(verb, &n), fmt.Sprintf(verb, h), fmt.Sprintf(verb, &h), fmt.Sprintf(verb, []Number{n}), fmt.Sprintf(verb, map[string]Number{"k": n}))
	}
	outputs = append(outputs, fmt.Sprint(n), fmt.Sprintln(n, h), n.String(), n.GoString())
	j, _ := json.Marshal(h)
	outputs = append(outputs, string(j))
	x, _ := xml.Marshal(h)
	outputs = append(outputs, string(x))
	tx, _ := n.MarshalText()
	outputs = append(outputs, string(tx))
	for _, newHandler := range []func(*bytes.Buffer) slog.Handler{
		func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
		func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
	} {
		var buf bytes.Buffer
		log := slog.New(newHandler(&buf))
		log.Info("resident", "mynumber", n, "holder", h, slog.Any("ptr", &n), slog.Group("g", "n", n))
		outputs = append(outputs, buf.String())
	}
	for _, out := range outputs {
		if strings.Contains(out, valid1) || strings.Contains(out, "*9018") {
			t.Errorf("digits leaked: %s", out)
		}
	}
	if !strings.Contains(string(j), Mask) {
		t.Errorf("JSON lacks the mask: %s", j)
	}
}

func TestUnmarshalJSON(t *testing.T) {
	var v struct{ N Number }
	if err := json.Unmarshal([]byte(`{"N":"1234-5678-9018"}`), &v); err != nil || v.N.Digits() != valid1 {
		t.Fatalf("got %v, %v", v.N.Digits(), err)
	}
	if err := json.Unmarshal([]byte(`{"N":"123456789012"}`), &v); err == nil {
		t.Fatal("a wrong check digit was accepted from JSON")
	}
	if err := json.Unmarshal([]byte(`{"N":123456789018}`), &v); err == nil {
		t.Fatal("a JSON number was accepted")
	}
}

func TestZero(t *testing.T) {
	var n Number
	if !n.IsZero() || n.String() != "" || n.Digits() != "" {
		t.Fatal("zero Number must be empty")
	}
	a, _ := Parse(valid1)
	b, _ := Parse("1234-5678-9018")
	c, _ := Parse("000000000019")
	if c.Digits() != "000000000019" {
		t.Fatalf("leading zeros lost: %s", c.Digits())
	}
	if !a.Equal(b) || a.Equal(n) || a.Equal(c) {
		t.Fatal("Equal compares digits")
	}
}

// R-AC-4: a My Number written into free text is masked wherever it is
// written as staff would write it; digits that are not one on their own
// are left as they are.
func TestRedact(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"証拠書類と不一致", "証拠書類と不一致"},
		{valid1, Mask},
		{"番号" + valid1 + "は誤り", "番号" + Mask + "は誤り"},
		{"1234-5678-9018 と 9832 0567 3214", Mask + " と " + Mask},
		{"１２３４５６７８９０１８を確認", Mask + "を確認"},
		{"1234　5678　9018", Mask},
		{"reason=" + valid1 + " change=3", "reason=" + Mask + " change=3"},
		{"123456789019", "123456789019"},                           // check digit wrong: not a My Number
		{"0" + valid1, "0" + valid1},                               // thirteen digits
		{valid1 + "5", valid1 + "5"},                               // thirteen digits
		{"serial=3a" + valid1 + "bc", "serial=3a" + valid1 + "bc"}, // inside a hexadecimal word
		{"1234--5678-9018", "1234--5678-9018"},                     // a doubled separator ends the group
		{"12345678901", "12345678901"},                             // eleven digits
		{"電話 03-1234-5678、番号 " + valid2 + "。", "電話 03-1234-5678、番号 " + Mask + "。"},
	} {
		got, found := Redact(tc.in)
		if got != tc.want || found != (tc.in != tc.want) {
			t.Errorf("Redact(%q) = %q, %v; want %q", tc.in, got, found, tc.want)
		}
	}
}
