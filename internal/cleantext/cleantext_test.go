package cleantext

import "testing"

func TestValid(t *testing.T) {
	tests := []struct {
		in        string
		one, many bool
	}{
		{"山田　太郎", true, true},
		{"ヤマダ", true, true},
		{"", true, true},
		{"a\x00b", false, false},
		{"\xff\xfe\xfd", false, false},
		{"a\tb", false, true},
		{"line\r\nline", false, true},
		{"bell\x07", false, false},
		{"del\x7f", false, false},
		{"c1\u0085", false, false},
		{"\u2028", true, true},
	}
	for _, tt := range tests {
		if got := Valid(tt.in, false); got != tt.one {
			t.Errorf("Valid(%q, single line) = %v", tt.in, got)
		}
		if got := Valid(tt.in, true); got != tt.many {
			t.Errorf("Valid(%q, multi-line) = %v", tt.in, got)
		}
	}
	if Shown("a\x00") != "[unreadable text]" || Shown("clerk.sapporo") != "clerk.sapporo" {
		t.Error("Shown must replace unreadable text and keep readable text")
	}
}

func FuzzValid(f *testing.F) {
	for _, s := range []string{"山田", "a\x00", "\xff", "a\tb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if Valid(s, false) && !Valid(s, true) {
			t.Fatalf("%q is valid on one line but not on several", s)
		}
	})
}
