package csvsafe

import "testing"

// R-AC-5: exported cells cannot smuggle formulas into a spreadsheet.
func TestCell(t *testing.T) {
	for in, want := range map[string]string{
		"=HYPERLINK(\"http://x\")": "'=HYPERLINK(\"http://x\")",
		"+1":                       "'+1",
		"-1+2":                     "'-1+2",
		"@SUM":                     "'@SUM",
		"\tx":                      "'\tx",
		" =1+1":                    "' =1+1",
		"　=1+1":                    "'　=1+1",
		"＝1+1":                     "'＝1+1",
		"＠SUM(A1)":                 "'＠SUM(A1)",
		"\n=1":                     "'\n=1",
		"山田　太郎":                    "山田　太郎",
		"100001":                   "100001",
		"":                         "",
	} {
		if got := Cell(in); got != want {
			t.Errorf("Cell(%q) = %q, want %q", in, got, want)
		}
	}
}
