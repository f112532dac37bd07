package linkage

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"bango/internal/errs"
	"bango/internal/wareki"
)

// R-NHI-8: a file written by layout reads back record for record, with
// the header, the trailer's count, and a manifest whose SHA-256 is the
// file's.
func TestWriteReadRoundTrip(t *testing.T) {
	l, _ := Lookup("nhi-eligibility-continuity", 1)
	var out bytes.Buffer
	w, err := NewWriter(&out, l, Values{"insurer_no": "011002", "municipality": 11002, "file_type": "SKKZ",
		"created": wareki.Civil(2026, 12, 2), "period_from": wareki.Civil(2026, 12, 1), "period_to": wareki.Civil(2026, 12, 1)})
	if err != nil {
		t.Fatal(err)
	}
	people := []Values{
		{"event": "1", "insured_symbol": "札幌北", "insured_number": "A-123", "branch": 1, "household_no": 12345, "name_kana": "ｻｯﾎﾟﾛ ﾀﾛｳ",
			"birth": wareki.Civil(1989, 1, 7), "sex": "1", "head": "1", "acquired": wareki.Civil(2019, 5, 1), "acquire_reason": "04", "event_date": wareki.Civil(2026, 12, 1)},
		{"event": "2", "insured_number": "B-9", "branch": "02", "household_no": "77", "name_kana": "ﾔﾏﾀﾞ ﾊﾅｺ",
			"birth": wareki.Civil(1926, 12, 25), "sex": "2", "head": "2", "lost": wareki.Civil(2026, 11, 30), "lose_reason": "05", "event_date": wareki.Civil(2026, 12, 1)},
	}
	for _, p := range people {
		if err := w.Write("2", p); err != nil {
			t.Fatalf("Write: %v", err)
		}
	}
	man, err := w.Close(nil)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(out.Bytes())
	if man.SHA256 != hex.EncodeToString(sum[:]) || man.Bytes != int64(out.Len()) || man.Records != 2 || man.Layout != l.Name || man.Version != 1 {
		t.Errorf("manifest %+v does not describe the %d bytes written", man, out.Len())
	}
	var got []Values
	rep, err := Parse(bytes.NewReader(out.Bytes()), l, Options{}, func(r *Record) error {
		if r.Def.Role == Data {
			got = append(got, Values{"insured_symbol": r.Get("insured_symbol").Text, "household_no": r.Get("household_no").Text,
				"name_kana": r.Get("name_kana").Text, "birth": r.Get("birth").Date, "branch": r.Get("branch").Text})
		}
		return nil
	})
	if err != nil || !rep.OK() {
		t.Fatalf("the written file is refused: %v %v", err, rep.Err())
	}
	if rep.SHA256 != man.SHA256 {
		t.Error("the parser's SHA-256 differs from the manifest's")
	}
	want := []Values{
		{"insured_symbol": "札幌北", "household_no": "0000012345", "name_kana": "ｻｯﾎﾟﾛ ﾀﾛｳ", "birth": wareki.Civil(1989, 1, 7), "branch": "01"},
		{"insured_symbol": "", "household_no": "0000000077", "name_kana": "ﾔﾏﾀﾞ ﾊﾅｺ", "birth": wareki.Civil(1926, 12, 25), "branch": "02"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("read back (-want +got):\n%s", diff)
	}
	if !bytes.Contains(out.Bytes(), []byte("3640107")) || !bytes.Contains(out.Bytes(), []byte("3011225")) {
		t.Errorf("和暦 dates not written as era code + YYMMDD:\n%q", out.String())
	}
}

// The CSV writer quotes what needs it and fills the trailer's totals.
func TestWriteCSVTotals(t *testing.T) {
	l := testdataLayout(t, "payments.v1.json")
	var out bytes.Buffer
	w, err := NewWriter(&out, l, Values{"municipality": "011002", "created": wareki.Civil(2026, 12, 2)})
	if err != nil {
		t.Fatal(err)
	}
	for i, amt := range []int64{1200, -200, 5000} {
		if err := w.Write("D", Values{"payer": []string{"A,1", `B"2`, "C3"}[i], "amount": amt, "paid_on": wareki.Civil(2026, 12, 1), "channel": "CVS"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Close(Values{"total": 1}); err == nil {
		t.Error("Close let the caller set a total")
	}
	man, err := w.Close(nil)
	if err != nil {
		t.Fatal(err)
	}
	if man.Totals["amount"] != 6000 || man.Records != 3 {
		t.Errorf("manifest %+v", man)
	}
	if !strings.HasSuffix(out.String(), "T,3,6000\r\n") || !strings.Contains(out.String(), `D,"B""2",,-200,5081201,CVS,`) {
		t.Errorf("written:\n%s", out.String())
	}
	rep, _ := Parse(bytes.NewReader(out.Bytes()), l, Options{}, nil)
	if !rep.OK() || rep.Totals["amount"] != 6000 {
		t.Errorf("read back: %v, totals %v", rep.Err(), rep.Totals)
	}
}

// R-NHI-8, R-ACC-5: the writer refuses what the encoding cannot hold (no
// '?' in silence), a My Number for a partner that must never receive one,
// and anything its own parser would refuse; nothing of the refused value
// is in the error.
func TestWriteRefuses(t *testing.T) {
	l, _ := Lookup("resident-differences", 1)
	header := Values{"municipality": "011002", "created": wareki.Civil(2026, 12, 2), "period_from": wareki.Civil(2026, 12, 1), "period_to": wareki.Civil(2026, 12, 1)}
	person := func(change map[string]any) Values {
		v := Values{"change": "11", "resident_code": 1, "household_no": 1, "name": "髙橋　一郎", "name_kana": "ﾀｶﾊｼ ｲﾁﾛｳ",
			"birth": wareki.Civil(1977, 8, 16), "sex": "1", "relation": "01", "effective": wareki.Civil(2026, 12, 1)}
		for k, x := range change {
			v[k] = x
		}
		return v
	}
	for _, c := range []struct {
		name   string
		change map[string]any
		field  string
		reason errs.Message
	}{
		{"外字 (private use)", map[string]any{"name": "\ue000田"}, "name", reasonGaiji},
		{"outside CP932", map[string]any{"name": "𠮷田"}, "name", reasonCP932},
		{"outside JIS X 0208", map[string]any{"address": "①丁目"}, "address", reasonJIS},
		{"too long", map[string]any{"name_kana": strings.Repeat("ｱ", 41)}, "name_kana", errs.Message{JA: "40バイトに収まりません", EN: "does not fit in 40 bytes"}},
		{"a My Number", map[string]any{"name_kana": "123456789018"}, "name_kana", reasonMyNumber},
		{"undefined code", map[string]any{"sex": "9"}, "sex", reasonCode},
		{"required", map[string]any{"name": ""}, "name", reasonRequired},
		{"a date before 明治6年", map[string]any{"birth": wareki.Civil(1872, 12, 31)}, "birth", reasonWareki},
	} {
		var out bytes.Buffer
		w, err := NewWriter(&out, l, header)
		if err != nil {
			t.Fatal(err)
		}
		err = w.Write("2", person(c.change))
		fs := errs.Fields(err)
		if len(fs) != 1 || fs[0].Field != c.field || fs[0].Reason != c.reason || fs[0].Line != 2 {
			t.Errorf("%s: got %v, want %s: %s on line 2", c.name, err, c.field, c.reason.EN)
		}
		for _, x := range c.change {
			if s, ok := x.(string); ok && len(s) > 2 && strings.Contains(err.Error(), s) {
				t.Errorf("%s: the error repeats the value", c.name)
			}
		}
	}
	var out bytes.Buffer
	w, _ := NewWriter(&out, l, header)
	if err := w.Write("9", Values{}); err == nil {
		t.Error("Write of a trailer kind accepted")
	}
	if err := w.Write("2", Values{"nickname": "x"}); err == nil {
		t.Error("Write of an undeclared field accepted")
	}
}
