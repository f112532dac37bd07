package pubmed_test

import (
	"os"
	"strings"
	"testing"

	"bango/internal/errs"
	"bango/internal/pubmed"
	"bango/internal/store"
	"bango/internal/testutil"
)

// switches is a prefecture (Osaka, 270008) that runs 療育医療 from
// 2020-04-01 and stops on 2023-04-01, and Shinjuku (131041) that runs it
// from 2026-04-01: test data of the switch, not a claim about either.
var switches = map[string]string{
	"programme-ryoiku-270008-2020-04.json": `{"version": "programme-ryoiku-270008-2020-04", "programme": "ryoiku", "municipality": "270008", "effective_from": "2020-04-01", "runs": true, "source": "test"}`,
	"programme-ryoiku-270008-2023-04.json": `{"version": "programme-ryoiku-270008-2023-04", "programme": "ryoiku", "municipality": "270008", "effective_from": "2023-04-01", "runs": false, "source": "test"}`,
	"programme-ryoiku-131041-2026-04.json": `{"version": "programme-ryoiku-131041-2026-04", "programme": "ryoiku", "municipality": "131041", "effective_from": "2026-04-01", "runs": true, "source": "test"}`,
}

// R-PUB-1: whether a prefecture or municipality runs 療育医療 is data with
// an effective date, per municipality: on each side of a switch's day;
// another municipality without a switch does not run it; 指定難病 and
// 小児慢性特定疾病 run everywhere; the form offers what runs. A switch of a
// programme that runs everywhere, a municipality that is not a code, and
// two switches of a day are refused with the file's name.
func TestProgrammeSwitch(t *testing.T) {
	r, err := pubmed.LoadRules(os.DirFS("data"), mapFS(switches))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		programme, municipality, on string
		runs                        bool
	}{
		{pubmed.Ryoiku, "270008", "2020-03-31", false},
		{pubmed.Ryoiku, "270008", "2020-04-01", true},
		{pubmed.Ryoiku, "270008", "2023-03-31", true},
		{pubmed.Ryoiku, "270008", "2023-04-01", false},
		{pubmed.Ryoiku, "131041", "2026-03-31", false},
		{pubmed.Ryoiku, "131041", "2026-04-01", true},
		{pubmed.Ryoiku, "011002", "2026-04-01", false},
		{pubmed.Nanbyo, "011002", "2026-04-01", true},
		{pubmed.Shoman, "270008", "2023-04-01", true},
	} {
		if _, runs := r.Runs(c.programme, c.municipality, day(c.on)); runs != c.runs {
			t.Errorf("%s in %s on %s: runs %v, want %v", c.programme, c.municipality, c.on, runs, c.runs)
		}
	}
	if got := r.Offered("270008", day("2021-01-01")); strings.Join(got, ",") != "nanbyo,shoman,ryoiku" {
		t.Errorf("offered while it runs: %v", got)
	}
	if got := r.Offered("270008", day("2023-04-01")); strings.Join(got, ",") != "nanbyo,shoman" {
		t.Errorf("offered after it stopped: %v", got)
	}
	if d, err := pubmed.DefaultRules(); err != nil || strings.Join(d.Offered("270008", day("2026-12-01")), ",") != "nanbyo,shoman" {
		t.Errorf("the shipped data switches 療育医療 on somewhere: %v", err)
	}
	for name, file := range map[string]string{
		"programme-nanbyo-270008.json":   `{"version": "x", "programme": "nanbyo", "municipality": "270008", "effective_from": "2020-04-01", "runs": false, "source": "s"}`,
		"programme-ryoiku-osaka.json":    `{"version": "x", "programme": "ryoiku", "municipality": "osaka", "effective_from": "2020-04-01", "runs": true, "source": "s"}`,
		"programme-ryoiku-270008-b.json": `{"version": "b", "programme": "ryoiku", "municipality": "270008", "effective_from": "2020-04-01", "runs": true, "source": "s"}`,
		"programme-ryoiku-270008-c.json": `{"version": "c", "programme": "ryoiku", "municipality": "270008", "effective_from": "2021-04-01", "runs": true, "extra": 1, "source": "s"}`,
	} {
		if _, err := pubmed.LoadRules(os.DirFS("data"), mapFS(switches), mapFS(map[string]string{name: file})); err == nil {
			t.Errorf("%s was loaded", name)
		}
	}
}

// R-PUB-1: the sources give no co-payment figures or income rules of
// 療育医療, so none are invented: its determination is refused on the
// programme field naming the rule table that is missing; a cap table with
// a 療育医療 part is not loaded either.
func TestRyoikuRefusedNamingTheMissingTable(t *testing.T) {
	r, err := pubmed.LoadRules(os.DirFS("data"), mapFS(switches))
	if err != nil {
		t.Fatal(err)
	}
	for _, cat := range pubmed.Categories {
		for _, flags := range [][]string{nil, {pubmed.FlagSevere}, {pubmed.FlagVentilator}} {
			_, err := r.DetermineCap(pubmed.Ryoiku, cat, flags, day("2026-12-01"))
			fs := errs.Fields(err)
			if len(fs) != 1 || fs[0].Field != "programme" || !strings.Contains(fs[0].Reason.JA, "療育医療の自己負担上限額の規則の表がありません") ||
				!strings.Contains(fs[0].Reason.JA, "caps-2015-01 に programmes.ryoiku がなく") || !strings.Contains(fs[0].Reason.EN, "data/tiers-ryoiku-*.json") {
				t.Errorf("%s %v: %v", cat, flags, err)
			}
		}
	}
	withRyoiku := strings.Replace(mustRead(t, "data/caps-2015-01.json"), `"shoman": {`, `"ryoiku": {"reduced_flags": [], "caps": {}}, "shoman": {`, 1)
	if _, err := pubmed.LoadRules(mapFS(map[string]string{"caps-2015-01.json": withRyoiku, "diseases-x.csv": mustRead(t, "data/diseases-2025-04.csv")})); err == nil {
		t.Error("a cap table with a 療育医療 part was loaded")
	}
}

// R-PUB-1: an application for 療育医療 is refused on the programme field
// and nothing is queued: where the municipality does not run it, saying
// so; where it runs (its switch from its day), naming the missing rule
// table. Refusals are events.
func TestRyoikuApplication(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		clerk := testutil.As("clerk")
		in := newApplication("700001")
		in.Programme, in.DiseaseCode = pubmed.Ryoiku, "結核"
		reason := func(err error) string {
			t.Helper()
			fs := errs.Fields(err)
			if len(fs) != 1 || fs[0].Field != "programme" {
				t.Fatalf("refusal: %v", err)
			}
			return fs[0].Reason.JA
		}
		if _, err := f.pub.ProposeApplication(clerk, shinjuku, in); !strings.Contains(reason(err), "この団体では受付日に療育医療を実施していません") {
			t.Errorf("not run in Shinjuku: %v", err)
		}
		r, err := pubmed.LoadRules(os.DirFS("data"), mapFS(switches))
		if err != nil {
			t.Fatal(err)
		}
		f.pub.SetRules(r)
		if _, err := f.pub.ProposeApplication(clerk, shinjuku, in); !strings.Contains(reason(err), "療育医療の自己負担上限額の規則の表がありません") {
			t.Errorf("run in Shinjuku: %v", err)
		}
		in.ReceivedOn = "2026-03-31" // the day before Shinjuku's switch
		if _, err := f.pub.ProposeApplication(clerk, shinjuku, in); !strings.Contains(reason(err), "実施していません") {
			t.Errorf("the day before the switch: %v", err)
		}
		if f.pending(t) != 0 || rows(t, db) != 0 {
			t.Error("a refused 療育医療 application was queued or written")
		}
		if testutil.CountEvents(t, db, "action = 'pubmed.application.propose' AND outcome <> 'ok'") != 3 {
			t.Error("refusals not recorded")
		}
	})
}
