package linkage

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The fuzz targets feed arbitrary bytes to every parser: none may panic,
// and each must either accept the file or report why not, by line, within
// the file (R-ACC-5). Their seed corpus of malformed files is in
// testdata/fuzz/<target>; the good and bad samples are added here.

func addSamples(f *testing.F, glob string) {
	names, _ := filepath.Glob(glob)
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

func checkReport(t *testing.T, rep *Report, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("Parse of bytes failed: %v", err)
	}
	if rep.OK() != (rep.Total == 0) || rep.OK() != (rep.Err() == nil) || len(rep.Problems) > rep.Total {
		t.Fatalf("report disagrees with itself: total %d, listed %d", rep.Total, len(rep.Problems))
	}
	for _, p := range rep.Problems {
		if p.Line < 0 || p.Line > rep.Lines || p.Reason.JA == "" || p.Reason.EN == "" {
			t.Fatalf("problem %+v outside the file's %d lines or without a reason", p, rep.Lines)
		}
	}
}

func fuzzParse(f *testing.F, l *Layout) {
	f.Fuzz(func(t *testing.T, b []byte) {
		handed := 0
		rep, err := Parse(bytes.NewReader(b), l, Options{MaxProblems: 50}, func(r *Record) error {
			if len(r.Values) != len(r.Def.Fields) {
				t.Fatalf("record of %d values for %d fields", len(r.Values), len(r.Def.Fields))
			}
			handed++
			return nil
		})
		checkReport(t, rep, err)
		if rep.OK() && handed != rep.Lines {
			t.Fatalf("a good file of %d lines handed on %d records", rep.Lines, handed)
		}
	})
}

func FuzzParseFixed(f *testing.F) {
	l, err := Lookup("nhi-eligibility-continuity", 1)
	if err != nil {
		f.Fatal(err)
	}
	addSamples(f, "testdata/nhi-eligibility-continuity.*.dat")
	fuzzParse(f, l)
}

func FuzzParseResident(f *testing.F) {
	l, err := Lookup("resident-differences", 1)
	if err != nil {
		f.Fatal(err)
	}
	addSamples(f, "testdata/resident-differences.*.dat")
	fuzzParse(f, l)
}

func FuzzParseBlocks(f *testing.F) {
	l := mustLayout(f, strings.Replace(dateLayout, `"line_end": "crlf"`, `"line_end": "none"`, 1))
	f.Add([]byte("25081201        24310430        "))
	fuzzParse(f, l)
}

func FuzzParseCSV(f *testing.F) {
	l := testdataLayout(f, "payments.v1.json")
	f.Add([]byte("H,011002,20261202\r\nD,\"A,1\",ｱ,100,5081201,CVS,\r\nT,1,100\r\n"))
	fuzzParse(f, l)
}

// FuzzWareki: a 和暦 field either names a real day, which writes back as
// the same seven digits, or is refused.
func FuzzWareki(f *testing.F) {
	l := mustLayout(f, dateLayout)
	for _, s := range []string{"4310430", "4310501", "5010501", "3640108", "1060101", "9999999", "0000000"} {
		f.Add(s)
	}
	d := l.Records[0]
	f.Fuzz(func(t *testing.T, s string) {
		var v Value
		_, ok := l.checkValue(d.Fields[0], []byte(s), s, &v)
		if !ok || v.Empty {
			return
		}
		b, reason := l.format(d.Fields[0], v.Date)
		if reason != nil || string(b) != s {
			t.Fatalf("%q read as %v writes back as %q (%v)", s, v.Date, b, reason)
		}
	})
}

// FuzzLayout: any JSON either loads as a layout that parses a file without
// panicking, or is refused with a LayoutError.
func FuzzLayout(f *testing.F) {
	for _, n := range []string{"layouts/nhi-eligibility-continuity.v1.json", "testdata/layouts/payments.v1.json"} {
		b, err := os.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(dateLayout))
	f.Fuzz(func(t *testing.T, js []byte) {
		l, err := Load(bytes.NewReader(js), "fuzz")
		if err != nil {
			if _, ok := err.(*LayoutError); !ok {
				t.Fatalf("error %T is not a LayoutError", err)
			}
			return
		}
		rep, err := Parse(strings.NewReader("1,2\r\n2,3\r\n9\r\n"), l, Options{}, nil)
		checkReport(t, rep, err)
	})
}
