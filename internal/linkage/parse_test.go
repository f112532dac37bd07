package linkage

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"bango/internal/wareki"
)

// problem is a Problem as tests compare it: line, field and the English reason.
type problem struct {
	Line       int
	Field, Why string
	Pos        int
}

func problems(r *Report) []problem {
	var out []problem
	for _, p := range r.Problems {
		out = append(out, problem{p.Line, p.Field, p.Reason.EN, p.Pos})
	}
	return out
}

func parseFile(t *testing.T, l *Layout, path string) (*Report, []*Record) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []*Record
	rep, err := Parse(f, l, Options{}, func(r *Record) error { recs = append(recs, r.Clone()); return nil })
	if err != nil {
		t.Fatal(err)
	}
	return rep, recs
}

// R-NHI-8, R-ACC-5: the model of the aggregation system's eligibility
// file reads back; the bad sample is refused with every problem by line
// and field, and nothing of what the fields held.
func TestNHIEligibilitySamples(t *testing.T) {
	l, err := Lookup("nhi-eligibility-continuity", 1)
	if err != nil {
		t.Fatal(err)
	}
	rep, recs := parseFile(t, l, "testdata/nhi-eligibility-continuity.good.dat")
	if !rep.OK() {
		t.Fatalf("good sample refused: %v", rep.Err())
	}
	if rep.Records != 4 || rep.Lines != 6 || len(recs) != 6 {
		t.Fatalf("records %d, lines %d, handed %d; want 4, 6, 6", rep.Records, rep.Lines, len(recs))
	}
	first := recs[1]
	if got := first.Get("name_kana").Text; got != "ｻｯﾎﾟﾛ ﾀﾛｳ" {
		t.Errorf("name_kana = %q", got)
	}
	if got := first.Get("birth").Date; !got.Equal(wareki.Civil(1977, 8, 16)) {
		t.Errorf("birth = %v, want 1977-08-16 (昭和52年8月16日)", got)
	}
	if got := first.Get("insured_symbol").Text; got != "札幌" {
		t.Errorf("insured_symbol = %q", got)
	}
	if got := recs[2].Get("lost").Date; !got.Equal(wareki.Civil(2026, 12, 1)) {
		t.Errorf("lost = %v", got)
	}

	rep, _ = parseFile(t, l, "testdata/nhi-eligibility-continuity.bad.dat")
	want := []problem{
		{2, "name_kana", reasonMyNumber.EN, 0},
		{3, "birth", reasonWareki.EN, 0},
		{4, "lose_reason", reasonCodeDate.EN, 0},
		{5, "sex", reasonCode.EN, 0},
		{6, "(kind)", reasonUnknownKind.EN, 0},
		{7, "count", reasonCount.EN, 0},
	}
	if diff := cmp.Diff(want, problems(rep)); diff != "" {
		t.Errorf("bad sample problems (-want +got):\n%s", diff)
	}
	noPersonalData(t, rep, "ｻｯﾎﾟﾛ", "123456789018", "4310501", "1234568")
}

// R-ACC-5: the resident-records differences read back with kanji names
// in CP932 (髙, 﨑) and half-width kana; the bad sample's 外字, character
// outside JIS X 0208, full-width kana and impossible 令和 date are each
// refused, and a last record cut short is reported.
func TestResidentDifferencesSamples(t *testing.T) {
	l, err := Lookup("resident-differences", 0)
	if err != nil {
		t.Fatal(err)
	}
	rep, recs := parseFile(t, l, "testdata/resident-differences.good.dat")
	if !rep.OK() {
		t.Fatalf("good sample refused: %v", rep.Err())
	}
	if len(recs) != 6 {
		t.Fatalf("%d records handed on, want 6", len(recs))
	}
	for i, want := range []struct{ change, name, kana string }{
		{"11", "髙橋　一郎", "ﾀｶﾊｼ ｲﾁﾛｳ"}, {"32", "山﨑　花子", "ﾔﾏｻﾞｷ ﾊﾅｺ"}, {"31", "佐藤　次郎", "ｻﾄｳ ｼﾞﾛｳ"}, {"21", "鈴木　令子", "ｽｽﾞｷ ﾚｲｺ"},
	} {
		r := recs[i+1]
		if got := [3]string{r.Get("change").Text, r.Get("name").Text, r.Get("name_kana").Text}; got != [3]string{want.change, want.name, want.kana} {
			t.Errorf("record %d = %q, want %+v", i+1, got, want)
		}
	}
	if got := recs[2].Get("birth").Date; !got.Equal(wareki.Civil(1912, 7, 29)) {
		t.Errorf("明治45年7月29日 read as %v", got)
	}
	if got := recs[4].Get("effective").Date; !got.Equal(wareki.Civil(2019, 4, 30)) {
		t.Errorf("平成31年4月30日 read as %v", got)
	}

	rep, _ = parseFile(t, l, "testdata/resident-differences.bad.dat")
	want := []problem{
		{2, "name", at(reasonGaiji, 34).EN, 34},
		{3, "address", reasonJIS.EN, 0},
		{4, "name_kana", reasonKana.EN, 0},
		{5, "effective", reasonWareki.EN, 0},
		{6, "", reasonTruncated.EN, 0},
		{6, "", reasonNoTrailer.EN, 0},
	}
	if diff := cmp.Diff(want, problems(rep)); diff != "" {
		t.Errorf("bad sample problems (-want +got):\n%s", diff)
	}
	noPersonalData(t, rep, "太郎", "ｻﾄｳ", "サトウ", "①", "5010430")
}

// noPersonalData fails when the report, in either language or as JSON,
// holds any of the given field contents.
func noPersonalData(t *testing.T, rep *Report, contents ...string) {
	t.Helper()
	js, _ := json.Marshal(rep)
	err := rep.Err()
	text := string(js) + err.Error() + fmt.Sprint(err)
	for _, c := range contents {
		if strings.Contains(text, c) {
			t.Errorf("the report holds %q, a field's content", c)
		}
	}
}

const charLayout = `{"name": "chars", "version": 1, "title": {"ja": "文字", "en": "characters"}, "partner": "p",
 "direction": "inbound", "format": "fixed", "encoding": "ENC", "record_length": 19, "line_end": "lf",
 "kind": {"start": 1, "width": 1},
 "records": [{"kind": "2", "role": "data", "name": "rec", "fields": [
  {"name": "jis", "start": 2, "width": 6, "type": "text"},
  {"name": "cp932", "start": 8, "width": 6, "type": "text", "charset": "cp932"},
  {"name": "kana", "start": 14, "width": 6, "type": "kana"}]}]}`

// R-ACC-5: every character is decoded or refused with its byte position —
// 外字, broken Shift_JIS, codes the table lacks, controls — and never
// becomes '?' or U+FFFD in silence.
func TestShiftJISCharacters(t *testing.T) {
	l := mustLayout(t, strings.Replace(charLayout, "ENC", "shift_jis", 1))
	sj := func(s string) string {
		b, reason := l.encode(s)
		if reason != nil {
			t.Fatalf("encode %q: %s", s, reason.EN)
		}
		return string(b)
	}
	line := func(jis, cp, kana string) string { return "2" + jis + cp + kana + "\n" }
	for _, c := range []struct {
		name, in string
		want     []problem
		values   [3]string
	}{
		{"good", line(sj("日本語"), sj("髙﨑")+"  ", sj("ﾃｽﾄ   ")), nil, [3]string{"日本語", "髙﨑", "ﾃｽﾄ"}},
		{"full-width space padding", line(sj("山　　"), sj("①　　"), "      "), nil, [3]string{"山", "①", ""}},
		{"外字 in the JIS field", line("\xf0\x40"+sj("山山"), sj("山山山"), "      "), []problem{{1, "jis", at(reasonGaiji, 2).EN, 2}}, [3]string{}},
		{"外字 in the second character", line(sj("山山")+"\xf9\xfc", sj("山山山"), "      "), []problem{{1, "jis", at(reasonGaiji, 6).EN, 6}}, [3]string{}},
		{"broken Shift_JIS", line(sj("山")+"\x81\x20"+sj("山"), sj("山山山"), "      "), []problem{{1, "jis", at(reasonInvalid, 4).EN, 4}}, [3]string{}},
		{"a lone 0x80", line(sj("山山山"), sj("山山")+"\x80 ", "      "), []problem{{1, "cp932", at(reasonInvalid, 12).EN, 12}}, [3]string{}},
		{"a code the table lacks", line(sj("山山山"), sj("山")+"\x85\x40"+sj("山"), "      "), []problem{{1, "cp932", at(reasonUnmap, 10).EN, 10}}, [3]string{}},
		{"a character across two fields", line(sj("山山")+" \x93", "\xfa "+sj("山山"), "      "), []problem{{1, "jis", at(reasonSplit, 7).EN, 7}, {1, "cp932", at(reasonInvalid, 8).EN, 8}}, [3]string{}},
		{"a control character", line(sj("山山山"), sj("山山山"), sj("ｱ\tｲ   ")), []problem{{1, "kana", at(reasonControl, 15).EN, 15}}, [3]string{}},
		{"NEC special character outside JIS X 0208", line(sj("①山山"), sj("山山山"), "      "), []problem{{1, "jis", reasonJIS.EN, 0}}, [3]string{}},
		{"IBM extension outside JIS X 0208", line(sj("髙山山"), sj("山山山"), "      "), []problem{{1, "jis", reasonJIS.EN, 0}}, [3]string{}},
		{"half-width in a full-width field", line(sj("山")+"ab"+sj("山"), sj("山山山"), "      "), []problem{{1, "jis", reasonFull.EN, 0}}, [3]string{}},
		{"full-width kana in a half-width kana field", line(sj("山山山"), sj("山山山"), sj("テスト")), []problem{{1, "kana", reasonKana.EN, 0}}, [3]string{}},
		{"lower case in a kana field", line(sj("山山山"), sj("山山山"), sj("ﾃｽﾄabc")), []problem{{1, "kana", reasonKana.EN, 0}}, [3]string{}},
	} {
		var got [3]string
		rep, err := Parse(strings.NewReader(c.in), l, Options{}, func(r *Record) error {
			got = [3]string{r.Values[0].Text, r.Values[1].Text, r.Values[2].Text}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(c.want, problems(rep)); diff != "" {
			t.Errorf("%s: problems (-want +got):\n%s", c.name, diff)
		}
		if got != c.values {
			t.Errorf("%s: values %q, want %q", c.name, got, c.values)
		}
	}

	// The same checks on a UTF-8 file: invalid bytes and private-use
	// characters (外字 in UTF-8) are refused.
	u := mustLayout(t, strings.NewReplacer("ENC", "utf-8", `"record_length": 19`, `"record_length": 28`,
		`"start": 2, "width": 6`, `"start": 2, "width": 9`, `"start": 8, "width": 6`, `"start": 11, "width": 9`,
		`"start": 14, "width": 6`, `"start": 20, "width": 9`).Replace(charLayout))
	for _, c := range []struct {
		name, in string
		want     []problem
	}{
		{"good", "2日本語髙﨑   ｱｲｳ\n", nil},
		{"private use", "2\ue000本語髙﨑   ｱｲｳ\n", []problem{{1, "jis", at(reasonGaiji, 2).EN, 2}}},
		{"invalid UTF-8", "2日本語髙\xff\xfe\xfd   ｱｲｳ\n", []problem{{1, "cp932", at(reasonInvalid, 14).EN, 14}}},
		{"outside CP932", "2日本語😀  \u3000ｱｲｳ\n", []problem{{1, "cp932", reasonCP932.EN, 0}}},
		{"outside JIS X 0208", "2①本語髙﨑   ｱｲｳ\n", []problem{{1, "jis", reasonJIS.EN, 0}}},
	} {
		rep, err := Parse(strings.NewReader(c.in), u, Options{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(c.want, problems(rep)); diff != "" {
			t.Errorf("UTF-8 %s: problems (-want +got):\n%s", c.name, diff)
		}
	}
}

const dateLayout = `{"name": "dates", "version": 1, "title": {"ja": "日付", "en": "dates"}, "partner": "p",
 "direction": "inbound", "format": "fixed", "encoding": "shift_jis", "record_length": 16, "line_end": "crlf",
 "kind": {"start": 1, "width": 1},
 "records": [{"kind": "2", "role": "data", "name": "rec", "fields": [
  {"name": "wareki", "start": 2, "width": 7, "type": "wareki"},
  {"name": "seireki", "start": 9, "width": 8, "type": "date"}]}]}`

// R-ACC-5: a 和暦 date is a day of its era — each era's first and last
// day pass and the day beyond either is refused (平成31年4月30日 exists,
// 平成31年5月1日 does not; 令和元年5月1日 does).
func TestWarekiDates(t *testing.T) {
	l := mustLayout(t, dateLayout)
	for _, c := range []struct {
		wareki  string
		want    time.Time // zero: refused
		seireki string
	}{
		{"1060101", wareki.Civil(1873, 1, 1), "18730101"},
		{"1051231", time.Time{}, ""},
		{"1450729", wareki.Civil(1912, 7, 29), "19120729"},
		{"1450730", time.Time{}, ""},
		{"2010729", time.Time{}, ""},
		{"2010730", wareki.Civil(1912, 7, 30), "19120730"},
		{"2151224", wareki.Civil(1926, 12, 24), "19261224"},
		{"2151225", time.Time{}, ""},
		{"3011224", time.Time{}, ""},
		{"3011225", wareki.Civil(1926, 12, 25), "19261225"},
		{"3640107", wareki.Civil(1989, 1, 7), "19890107"},
		{"3640108", time.Time{}, ""},
		{"4010107", time.Time{}, ""},
		{"4010108", wareki.Civil(1989, 1, 8), "19890108"},
		{"4310430", wareki.Civil(2019, 4, 30), "20190430"},
		{"4310501", time.Time{}, ""},
		{"5010430", time.Time{}, ""},
		{"5010501", wareki.Civil(2019, 5, 1), "20190501"},
		{"5020229", wareki.Civil(2020, 2, 29), "20200229"},
		{"5030229", time.Time{}, ""},
		{"6010101", time.Time{}, ""},
		{"0010101", time.Time{}, ""},
		{"5001201", time.Time{}, ""},
		{"50812 1", time.Time{}, ""},
	} {
		in := "2" + c.wareki + fmt.Sprintf("%-8s", c.seireki) + "\r\n"
		var got time.Time
		rep, err := Parse(strings.NewReader(in), l, Options{}, func(r *Record) error { got = r.Values[0].Date; return nil })
		if err != nil {
			t.Fatal(err)
		}
		if c.want.IsZero() {
			if rep.OK() || rep.Problems[0].Field != "wareki" {
				t.Errorf("%s accepted as %v", c.wareki, got)
			}
			continue
		}
		if !rep.OK() || !got.Equal(c.want) {
			t.Errorf("%s: %v, problems %v; want %v", c.wareki, got, rep.Err(), c.want)
		}
	}
	for _, bad := range []string{"20190229", "20191301", "2019043 ", "00000101"} {
		rep, _ := Parse(strings.NewReader("2       "+bad+"\r\n"), l, Options{}, nil)
		if rep.OK() {
			t.Errorf("西暦 %s accepted", bad)
		}
	}
	// Zeros or blanks are an empty optional date.
	for _, empty := range []string{"0000000" + "00000000", "       " + "        "} {
		rep, _ := Parse(strings.NewReader("2"+empty+"\r\n"), l, Options{}, nil)
		if !rep.OK() {
			t.Errorf("empty dates %q refused: %v", empty, rep.Err())
		}
	}
}

func sjisLines(t *testing.T, l *Layout, lines ...string) string {
	t.Helper()
	var b strings.Builder
	for _, s := range lines {
		e, reason := l.encode(s)
		if reason != nil {
			t.Fatalf("encode %q: %s", s, reason.EN)
		}
		b.Write(e)
		b.WriteString("\r\n")
	}
	return b.String()
}

// R-ACC-5: a CSV file is checked the same way — an extra column, an
// undefined record kind, a code used outside its validity dates, a total
// that does not add up are each refused.
func TestParseCSV(t *testing.T) {
	l := testdataLayout(t, "payments.v1.json")
	good := sjisLines(t, l,
		"H,011002,20261202",
		`D,"A,001",ﾔﾏﾀﾞ ﾀﾛｳ,12000,5081201,CVS,"窓口再発行"`,
		`D,A-002,,-500,5081201,QR,`,
		`D,"A""3",ｽｽﾞｷ,3500,4310430,PO,`,
		"T,3,15000")
	var payers []string
	rep, err := Parse(strings.NewReader(good), l, Options{}, func(r *Record) error {
		if r.Def.Role == Data {
			payers = append(payers, r.Get("payer").Text+"/"+r.Get("note").Text)
		}
		return nil
	})
	if err != nil || !rep.OK() {
		t.Fatalf("good CSV refused: %v %v", err, rep.Err())
	}
	if diff := cmp.Diff([]string{"A,001/窓口再発行", "A-002/", `A"3/`}, payers); diff != "" {
		t.Errorf("payers (-want +got):\n%s", diff)
	}
	if rep.Totals["amount"] != 15000 || rep.Records != 3 {
		t.Errorf("totals %v, records %d", rep.Totals, rep.Records)
	}

	bad := sjisLines(t, l,
		"H,011002,20261202",
		"D,A-001,ﾔﾏﾀﾞ,100,5081201,CVS,,extra",
		"D,A-002,,100,4310430,QR,",
		"D,A-003,,100,5081201,PO,",
		"X,1",
		`D,"A-004,,100,5081201,CVS,`,
		"D,A-005,,1O0,5081201,CVS,",
		"D,A-006,,100,5081201,CVS,ちょうど十文字を超える備考",
		"T,7,700")
	rep, err = Parse(strings.NewReader(bad), l, Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []problem{
		{2, "", reasonColumns(7, 8).EN, 0},
		{3, "channel", reasonCodeDate.EN, 0},
		{4, "channel", reasonCodeDate.EN, 0},
		{5, "(kind)", reasonUnknownKind.EN, 0},
		{6, "", reasonInvalid.EN, 0},
		{7, "amount", reasonAmount.EN, 0},
		{8, "note", tooLong(10).EN, 0},
		{9, "count", reasonCount.EN, 0},
	}
	if diff := cmp.Diff(want, problems(rep)); diff != "" {
		t.Errorf("bad CSV problems (-want +got):\n%s", diff)
	}

	// Totals are compared when every data record is good.
	rep, _ = Parse(strings.NewReader(sjisLines(t, l, "H,011002,20261202", "D,A,,100,5081201,CVS,", "T,1,101")), l, Options{}, nil)
	if diff := cmp.Diff([]problem{{3, "total", reasonTotal.EN, 0}}, problems(rep)); diff != "" {
		t.Errorf("total (-want +got):\n%s", diff)
	}
	// 外字 in a CSV column is reported at its byte in the line.
	rep, _ = Parse(strings.NewReader("H,011002,20261202\r\nD,A,,100,5081201,CVS,\xf0\x40\r\nT,1,100\r\n"), l, Options{}, nil)
	if diff := cmp.Diff([]problem{{2, "note", at(reasonGaiji, 22).EN, 22}}, problems(rep)); diff != "" {
		t.Errorf("外字 in CSV (-want +got):\n%s", diff)
	}
}

// R-ACC-5: the file as a whole — header first, trailer last, nothing after
// it, an empty file, a record of the wrong length, a line end the layout
// does not declare, the size limit, and the bound on listed problems.
func TestFileStructure(t *testing.T) {
	l, _ := Lookup("nhi-eligibility-continuity", 1)
	good, err := os.ReadFile("testdata/nhi-eligibility-continuity.good.dat")
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(good, []byte("\r\n"))[:6]
	join := func(ls ...[]byte) string { return string(bytes.Join(ls, nil)) }
	short := append(append([]byte{}, lines[1][:50]...), '\r', '\n')
	lfOnly := append(append([]byte{}, lines[1][:120]...), '\n')
	for _, c := range []struct {
		name, in string
		want     []problem
	}{
		{"empty", "", []problem{{0, "", reasonEmpty.EN, 0}}},
		{"no header", join(lines[1], lines[5][:0], []byte("9"+strings.Repeat("0", 6)+"1"+strings.Repeat(" ", 112)+"\r\n")), []problem{{1, "", reasonNoHeader.EN, 0}}},
		{"header twice", join(lines[0], lines[0], lines[1], lines[2], lines[3], lines[4], lines[5]), []problem{{2, "", reasonHeaderAgain.EN, 0}}},
		{"after the trailer", join(lines[0], lines[1], lines[2], lines[3], lines[4], lines[5], lines[1]), []problem{{7, "", reasonAfterTrail.EN, 0}, {6, "count", reasonCount.EN, 0}}},
		{"no trailer", join(lines[0], lines[1]), []problem{{2, "", reasonNoTrailer.EN, 0}}},
		{"short record", join(lines[0], short, lines[2], lines[3], lines[4], lines[5]), []problem{{2, "", reasonLength(120, 50).EN, 0}}},
		{"LF instead of CRLF", join(lines[0], lfOnly, lines[2], lines[3], lines[4], lines[5]), []problem{{2, "", reasonLineEnd.EN, 0}}},
		{"long record", join(lines[0], bytes.Repeat([]byte("2"), 70000), []byte("\r\n"), lines[2], lines[3], lines[4], lines[5]), []problem{{2, "", reasonLength(120, 70000).EN, 0}}},
	} {
		rep, err := Parse(strings.NewReader(c.in), l, Options{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(c.want, problems(rep)); diff != "" {
			t.Errorf("%s: problems (-want +got):\n%s", c.name, diff)
		}
	}

	rep, _ := Parse(bytes.NewReader(good), l, Options{MaxBytes: 500}, nil)
	if rep.OK() || rep.Problems[len(rep.Problems)-1].Reason != reasonTooBig(500) || rep.SHA256 != "" {
		t.Errorf("a file over the limit: %+v", rep.Problems)
	}
	rep, _ = Parse(bytes.NewReader(good), l, Options{MaxBytes: int64(len(good))}, nil)
	if !rep.OK() || rep.Bytes != int64(len(good)) || rep.SHA256 == "" {
		t.Errorf("a file exactly at the limit: %v", rep.Err())
	}

	var many bytes.Buffer
	many.Write(lines[0])
	for range 2500 {
		many.WriteString("X" + strings.Repeat(" ", 119) + "\r\n")
	}
	rep, _ = Parse(&many, l, Options{}, nil)
	if len(rep.Problems) != 1000 || rep.Total != 2501 {
		t.Errorf("listed %d of %d problems; want 1000 of 2501", len(rep.Problems), rep.Total)
	}
	if !strings.Contains(rep.Err().Error(), "and 1501 more problems (2501 in all)") {
		t.Errorf("the error does not say how many more: %.200s…", rep.Err())
	}
	if fs := rep.Err(); fs == nil {
		t.Error("no error")
	}
}

// Records that follow each other without line ends: a last record cut
// short is reported.
func TestNoLineEnds(t *testing.T) {
	l := mustLayout(t, strings.Replace(strings.Replace(dateLayout, `"line_end": "crlf"`, `"line_end": "none"`, 1), "ENC", "shift_jis", 1))
	rep, _ := Parse(strings.NewReader("25081201        "+"24310430        "+"25081"), l, Options{}, nil)
	if diff := cmp.Diff([]problem{{3, "", reasonTruncated.EN, 0}}, problems(rep)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if rep.Records != 3 || rep.Lines != 3 {
		t.Errorf("records %d lines %d", rep.Records, rep.Lines)
	}
}
