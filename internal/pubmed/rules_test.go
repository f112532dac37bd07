package pubmed_test

import (
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"bango/internal/pubmed"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// R-PUB-1: the monthly cap of every programme, income category and flag,
// read from the table version in force, with the version and figures
// recorded (the figures of issue 21 and docs/domain-facts.md).
func TestDetermineCapEveryCategory(t *testing.T) {
	r, err := pubmed.DefaultRules()
	if err != nil {
		t.Fatal(err)
	}
	on := day("2026-12-02")
	// general / reduced (高額かつ長期 or 重症) / ventilator, yen a month.
	want := map[string]map[string][3]int64{
		pubmed.Nanbyo: {
			pubmed.Welfare: {0, 0, 0}, pubmed.Low1: {2500, 2500, 1000}, pubmed.Low2: {5000, 5000, 1000},
			pubmed.General1: {10000, 5000, 1000}, pubmed.General2: {20000, 10000, 1000}, pubmed.Upper: {30000, 20000, 1000},
		},
		pubmed.Shoman: {
			pubmed.Welfare: {0, 0, 0}, pubmed.Low1: {1250, 1250, 500}, pubmed.Low2: {2500, 2500, 500},
			pubmed.General1: {5000, 2500, 500}, pubmed.General2: {10000, 5000, 500}, pubmed.Upper: {15000, 10000, 500},
		},
	}
	reducedFlags := map[string][]string{pubmed.Nanbyo: {pubmed.FlagHighLong}, pubmed.Shoman: {pubmed.FlagSevere, pubmed.FlagHighLong}}
	n := 0
	for _, prog := range pubmed.Programmes {
		for _, cat := range pubmed.Categories {
			w := want[prog][cat]
			cases := []struct {
				flags  []string
				column string
				yen    int64
			}{
				{nil, pubmed.ColumnGeneral, w[0]},
				{[]string{pubmed.FlagVentilator}, pubmed.ColumnVentilator, w[2]},
			}
			for _, f := range reducedFlags[prog] {
				cases = append(cases,
					struct {
						flags  []string
						column string
						yen    int64
					}{[]string{f}, pubmed.ColumnReduced, w[1]},
					// 人工呼吸器等装着 is the lowest column whatever else is set.
					struct {
						flags  []string
						column string
						yen    int64
					}{[]string{f, pubmed.FlagVentilator}, pubmed.ColumnVentilator, w[2]})
			}
			for _, c := range cases {
				got, err := r.DetermineCap(prog, cat, c.flags, on)
				if err != nil {
					t.Fatalf("%s %s %v: %v", prog, cat, c.flags, err)
				}
				if got.Yen != c.yen || got.Column != c.column {
					t.Errorf("%s %s %v: %d yen (%s), want %d (%s)", prog, cat, c.flags, got.Yen, got.Column, c.yen, c.column)
				}
				if got.TableVersion != "caps-2015-01" || got.TableFrom != "2015-01-01" || got.TableSource == "" {
					t.Errorf("%s %s %v: basis %q from %q", prog, cat, c.flags, got.TableVersion, got.TableFrom)
				}
				if d := cmp.Diff(pubmed.Figures{General: w[0], Reduced: w[1], Ventilator: w[2]}, got.TableFigures); d != "" {
					t.Errorf("%s %s: recorded figures (-want +got):\n%s", prog, cat, d)
				}
				n++
			}
		}
	}
	if n != 2*6*4+6*2 {
		t.Errorf("%d cases checked", n)
	}
}

// R-PUB-1: a flag the programme does not have, or an unknown programme or
// category, is refused naming the field.
func TestDetermineCapRefuses(t *testing.T) {
	r, err := pubmed.DefaultRules()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		prog, cat string
		flags     []string
		field     string
	}{
		{pubmed.Nanbyo, pubmed.Upper, []string{pubmed.FlagSevere}, "flags"}, // 重症 is 小児慢性's
		{pubmed.Nanbyo, pubmed.Upper, []string{"x"}, "flags"},
		{pubmed.Ryoiku, pubmed.Upper, nil, "programme"}, // no rule table of 療育医療 (TestRyoikuRefusedNamingTheMissingTable)
		{"other", pubmed.Upper, nil, "programme"},
		{pubmed.Shoman, "middle", nil, "category"},
	} {
		_, err := r.DetermineCap(c.prog, c.cat, c.flags, day("2026-01-01"))
		if got := fieldsOf(err); got != c.field {
			t.Errorf("%s %s %v: %s, want %s", c.prog, c.cat, c.flags, got, c.field)
		}
	}
	if _, err := r.DetermineCap(pubmed.Nanbyo, pubmed.Upper, nil, day("2014-12-31")); fieldsOf(err) != "valid_from" {
		t.Errorf("before the first table: %v", err)
	}
}

// R-PUB-1: when a new table version holds from 2027-04-01, a cap decided
// on 2027-03-31 reads the old figures and one decided on 2027-04-01 the
// new, for every programme, category and column, each naming its version.
func TestDetermineCapAtTableBoundary(t *testing.T) {
	r := laterRules(t)
	for _, prog := range pubmed.Programmes {
		for _, cat := range pubmed.Categories {
			for _, flags := range [][]string{nil, {pubmed.FlagHighLong}, {pubmed.FlagVentilator}} {
				before, err := r.DetermineCap(prog, cat, flags, day("2027-03-31"))
				if err != nil {
					t.Fatal(err)
				}
				after, err := r.DetermineCap(prog, cat, flags, day("2027-04-01"))
				if err != nil {
					t.Fatal(err)
				}
				if before.TableVersion != "caps-2015-01" || after.TableVersion != "caps-2027-04-test" {
					t.Errorf("%s %s %v: versions %s / %s", prog, cat, flags, before.TableVersion, after.TableVersion)
				}
				// The test table raises every non-zero cap by a fifth.
				if after.Yen != before.Yen*6/5 || (cat != pubmed.Welfare && after.Yen == before.Yen) {
					t.Errorf("%s %s %v: %d yen on 2027-03-31, %d on 2027-04-01", prog, cat, flags, before.Yen, after.Yen)
				}
			}
		}
	}
}

// The disease master: a disease is designated from its first day to its
// last, by the latest version file.
func TestDiseaseMaster(t *testing.T) {
	r := laterRules(t)
	if r.DiseaseVersion != "diseases-2027-04" {
		t.Errorf("version %s", r.DiseaseVersion)
	}
	added, ok := r.Disease(pubmed.Nanbyo, "900")
	if !ok {
		t.Fatal("disease 900 not in the later master")
	}
	ended, _ := r.Disease(pubmed.Nanbyo, "901")
	for _, c := range []struct {
		d    pubmed.Disease
		on   string
		want bool
	}{
		{added, "2027-03-31", false}, {added, "2027-04-01", true},
		{ended, "2027-03-31", true}, {ended, "2027-04-01", false},
	} {
		if got := c.d.DesignatedOn(day(c.on)); got != c.want {
			t.Errorf("%s on %s: designated %v, want %v", c.d.Code, c.on, got, c.want)
		}
	}
	if _, ok := r.Disease(pubmed.Shoman, "1"); ok {
		t.Error("a 指定難病 code found under 小児慢性特定疾病")
	}
}

// A table or master file that does not read whole is refused at load.
func TestLoadRulesRefusesBrokenFiles(t *testing.T) {
	for name, files := range map[string]map[string]string{
		"a category missing": {"caps-x.json": `{"version":"x","effective_from":"2015-01-01","source":"s","programmes":{"nanbyo":{"caps":{}},"shoman":{"caps":{}}}}`,
			"diseases-x.csv": "code,programme,name,effective_from,effective_until\n"},
		"a wrong header": {"caps-2015-01.json": mustRead(t, "data/caps-2015-01.json"), "diseases-x.csv": "code,name\n"},
		"a bad date":     {"caps-2015-01.json": mustRead(t, "data/caps-2015-01.json"), "diseases-x.csv": "code,programme,name,effective_from,effective_until\n1,nanbyo,x,2015-13-01,\n"},
		"a programme":    {"caps-2015-01.json": mustRead(t, "data/caps-2015-01.json"), "diseases-x.csv": "code,programme,name,effective_from,effective_until\n1,ryoiku,x,2015-01-01,\n"},
	} {
		if _, err := pubmed.LoadRules(mapFS(files)); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
}

func laterRules(t *testing.T) *pubmed.Rules {
	t.Helper()
	r, err := pubmed.LoadRules(os.DirFS("data"), os.DirFS("testdata/later"))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func mustRead(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
