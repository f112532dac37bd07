package linkage

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"bango/internal/wareki"
)

// R-NHI-8, R-ACC-5, R-LNK-1: the aggregation system's inbound layouts (and
// the resident-records system's full file for an initial load) are models
// kept as data, each for the partner that must never exchange a My
// Number: none declares a mynumber field, and a good and a bad sample
// file of each read as the layout says — the bad one's every problem
// named by line and field, with no field's content in the report.
func TestAggregationInboundSamples(t *testing.T) {
	cases := []struct {
		layout  string
		partner string
		records int
		check   func(t *testing.T, recs []*Record)
		bad     []problem
		secrets []string
	}{
		{
			layout: "nhi-high-cost-count", records: 3,
			check: func(t *testing.T, recs []*Record) {
				r := recs[1]
				if got := [4]string{r.Get("insured_symbol").Text, r.Get("insured_number").Text, r.Get("branch").Text, r.Get("care_month").Text}; got != [4]string{"新宿", "7001", "01", "202610"} {
					t.Errorf("first record %q", got)
				}
				if r.Get("hits").Int != 3 || recs[3].Get("hits").Int != 4 {
					t.Errorf("hits %d, %d; want 3, 4", r.Get("hits").Int, recs[3].Get("hits").Int)
				}
			},
			bad: []problem{
				{3, "hits", reasonDigits.EN, 0},
				{4, "insured_number", reasonAlnum.EN, 0},
				{5, "(kind)", reasonUnknownKind.EN, 0},
				{6, "count", reasonCount.EN, 0},
			},
			secrets: []string{"x1", "ｼﾝｼﾞｭｸ"},
		},
		{
			layout: "nhi-distributed-reports", records: 3,
			check: func(t *testing.T, recs []*Record) {
				if got := recs[2].Get("body").Text; !strings.Contains(got, "取得日不一致") {
					t.Errorf("body %q", got)
				}
				if got := recs[3].Get("report_title").Text; got != "受付エラーリスト" {
					t.Errorf("title %q", got)
				}
			},
			bad: []problem{
				{2, "body", reasonMyNumber.EN, 0},
				{3, "report_code", reasonCode.EN, 0},
				{4, "report_created", reasonDate.EN, 0},
				{5, "body", at(reasonGaiji, 73).EN, 73},
			},
			secrets: []string{"１２３４", "123456789018", "0007", "20261131"},
		},
		{
			layout: "nhi-household-continuity", records: 2,
			check: func(t *testing.T, recs []*Record) {
				r := recs[1]
				if got := r.Get("name_kana").Text; got != "ﾔﾏﾀﾞ ﾀﾛｳ" {
					t.Errorf("name_kana %q", got)
				}
				if got := r.Get("birth").Date; !got.Equal(wareki.Civil(1980, 4, 1)) {
					t.Errorf("birth %v, want 1980-04-01 (昭和55年4月1日)", got)
				}
				if recs[2].Get("judgement").Text != "2" || recs[2].Get("reason").Text != "03" {
					t.Errorf("second judgement %q reason %q", recs[2].Get("judgement").Text, recs[2].Get("reason").Text)
				}
			},
			bad: []problem{
				{2, "judgement_no", reasonMyNumber.EN, 0},
				{3, "birth", reasonWareki.EN, 0},
				{4, "reason", reasonCode.EN, 0},
				{5, "", reasonTruncated.EN, 0},
				{5, "", reasonNoTrailer.EN, 0},
			},
			secrets: []string{"123456789018", "4310501", "ｽｽﾞｷ"},
		},
		{
			layout: "resident-initial-load", records: 3, partner: "resident-records",
			check: func(t *testing.T, recs []*Record) {
				if got := recs[3].Get("name").Text + "/" + recs[3].Get("name_kana").Text; got != "山﨑　次郎/ﾔﾏｻﾞｷ ｼﾞﾛｳ" {
					t.Errorf("third resident %q", got)
				}
				if got := recs[3].Get("birth").Date; !got.Equal(wareki.Civil(2019, 5, 1)) {
					t.Errorf("令和元年5月1日 read as %v", got)
				}
			},
			bad: []problem{
				{2, "name_kana", reasonKana.EN, 0},
				{3, "birth", reasonWareki.EN, 0},
				{4, "sex", reasonCode.EN, 0},
				{5, "relation", reasonCode.EN, 0},
				{6, "count", reasonCount.EN, 0},
			},
			secrets: []string{"タカハシ", "4310501", "ﾔﾏｻﾞｷ"},
		},
	}
	for _, c := range cases {
		t.Run(c.layout, func(t *testing.T) {
			l, err := Lookup(c.layout, 1)
			if err != nil {
				t.Fatal(err)
			}
			if c.partner == "" {
				c.partner = "nhi-aggregation"
			}
			if !l.MyNumberForbidden || l.Direction != Inbound || l.Partner != c.partner {
				t.Fatalf("layout %s: forbidden %v direction %s partner %s", l.Name, l.MyNumberForbidden, l.Direction, l.Partner)
			}
			if !strings.Contains(l.Note, "モデル") {
				t.Errorf("layout %s is not marked as a model", l.Name)
			}
			rep, recs := parseFile(t, l, "testdata/"+c.layout+".good.dat")
			if !rep.OK() || rep.Records != c.records {
				t.Fatalf("good sample: records %d (want %d): %v", rep.Records, c.records, rep.Err())
			}
			c.check(t, recs)
			rep, _ = parseFile(t, l, "testdata/"+c.layout+".bad.dat")
			if diff := cmp.Diff(c.bad, problems(rep)); diff != "" {
				t.Errorf("bad sample problems (-want +got):\n%s", diff)
			}
			noPersonalData(t, rep, c.secrets...)
		})
	}
}

// R-NHI-8: a layout for the aggregation partner that declares a My Number
// field does not load.
func TestAggregationLayoutRefusesMyNumberField(t *testing.T) {
	l, err := Lookup("nhi-household-continuity", 1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := builtinFS.ReadFile("layouts/nhi-household-continuity.v1.json")
	if err != nil {
		t.Fatal(err)
	}
	src := strings.Replace(string(b), `"width": 12,
     "type": "alnum"`, `"width": 12,
     "type": "mynumber"`, 1)
	if src == string(b) || !strings.Contains(src, `"type": "mynumber"`) {
		t.Fatal("the test did not manage to declare a mynumber field")
	}
	_, err = Load(strings.NewReader(src), "nhi-household-continuity.v1.json")
	if err == nil || !strings.Contains(err.Error(), "judgement_no") || !strings.Contains(err.Error(), "mynumber_forbidden") {
		t.Fatalf("a My Number field in %s loaded: %v", l.Name, err)
	}
}
