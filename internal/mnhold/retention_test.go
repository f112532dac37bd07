package mnhold_test

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"bango/internal/mnhold"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// R-STO-2: the retention period is data per business with an effective
// date: the shipped rule keeps public-expense numbers five years; a longer
// period from a later day applies to needs that end from that day, not to
// those that ended the day before; a business without a rule has none; a
// second rule of a business from the same day is refused.
func TestRetentionRules(t *testing.T) {
	r, err := mnhold.DefaultRetention()
	if err != nil {
		t.Fatal(err)
	}
	rule, ok := r.For("pubmed", "131041", day("2027-11-19"))
	if !ok || rule.Years != 5 || rule.Version != "retention-pubmed-2015-01" || rule.Source == "" ||
		rule.NeededUntil(day("2027-11-19")).Format(time.DateOnly) != "2032-11-19" || rule.File != "retention-pubmed-2015-01.json" ||
		rule.Basis() != "rule=retention-pubmed-2015-01 file=retention-pubmed-2015-01.json municipality=default effective_from=2015-01-01 years=5" {
		t.Errorf("shipped pubmed rule: %+v %v", rule, ok)
	}
	if _, ok := r.For("nhi", "131041", day("2027-01-01")); ok {
		t.Error("a business without a rule has one")
	}
	later := fstest.MapFS{"retention-pubmed-2030-04.json": {Data: []byte(`{"version": "retention-pubmed-2030-04", "business": "pubmed",
		"effective_from": "2030-04-01", "years": 7, "source": "a test rule"}`)}}
	sub, _ := mnhold.MnholdData()
	r, err = mnhold.LoadRetention(sub, later)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ ended, until, version string }{
		{"2030-03-31", "2035-03-31", "retention-pubmed-2015-01"},
		{"2030-04-01", "2037-04-01", "retention-pubmed-2030-04"},
	} {
		rule, ok := r.For("pubmed", "", day(c.ended))
		if !ok || rule.Version != c.version || rule.NeededUntil(day(c.ended)).Format(time.DateOnly) != c.until {
			t.Errorf("ended %s: %+v, want until %s by %s", c.ended, rule, c.until, c.version)
		}
	}
	same := fstest.MapFS{"retention-pubmed-x.json": {Data: []byte(`{"version": "x", "business": "pubmed", "effective_from": "2015-01-01", "years": 3, "source": "s"}`)}}
	if _, err := mnhold.LoadRetention(sub, same); err == nil {
		t.Error("two pubmed rules from the same day were loaded")
	}
	bad := fstest.MapFS{"retention-bad.json": {Data: []byte(`{"version": "x", "business": "pubmed", "effective_from": "2015-01-01", "years": 0, "source": "s"}`)}}
	if _, err := mnhold.LoadRetention(bad); err == nil {
		t.Error("a rule of 0 years was loaded")
	}
}

// R-STO-2: a municipality's own retention rule (its code in the file)
// overrides the business's default from its effective date: a need of
// that municipality ending the day before keeps the default, one ending
// on that day takes the municipality's period; another municipality keeps
// the default on both days; a municipality rule before its first day falls
// back to the default, not to nothing. A municipality that is not a
// six-digit code, or two rules of one municipality from the same day, are
// refused.
func TestRetentionPerMunicipality(t *testing.T) {
	own := fstest.MapFS{"retention-pubmed-131041-2027-04.json": {Data: []byte(`{"version": "retention-pubmed-131041-2027-04", "business": "pubmed",
		"municipality": "131041", "effective_from": "2027-04-01", "years": 10, "source": "新宿区文書管理規程（試験）"}`)}}
	sub, _ := mnhold.MnholdData()
	r, err := mnhold.LoadRetention(sub, own)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ municipality, ended, until, version, file string }{
		{"131041", "2027-03-31", "2032-03-31", "retention-pubmed-2015-01", "retention-pubmed-2015-01.json"},
		{"131041", "2027-04-01", "2037-04-01", "retention-pubmed-131041-2027-04", "retention-pubmed-131041-2027-04.json"},
		{"011002", "2027-03-31", "2032-03-31", "retention-pubmed-2015-01", "retention-pubmed-2015-01.json"},
		{"011002", "2027-04-01", "2032-04-01", "retention-pubmed-2015-01", "retention-pubmed-2015-01.json"},
		{"", "2027-04-01", "2032-04-01", "retention-pubmed-2015-01", "retention-pubmed-2015-01.json"},
	} {
		rule, ok := r.For("pubmed", c.municipality, day(c.ended))
		if !ok || rule.Version != c.version || rule.File != c.file || rule.NeededUntil(day(c.ended)).Format(time.DateOnly) != c.until {
			t.Errorf("%q ended %s: %+v, want until %s by %s", c.municipality, c.ended, rule, c.until, c.version)
		}
	}
	if rule, _ := r.For("pubmed", "131041", day("2027-04-01")); rule.Municipality != "131041" ||
		rule.Basis() != "rule=retention-pubmed-131041-2027-04 file=retention-pubmed-131041-2027-04.json municipality=131041 effective_from=2027-04-01 years=10" {
		t.Errorf("the municipality's rule as recorded: %q", rule.Basis())
	}
	// Without a default, a municipality's rule before its day is no rule.
	alone, err := mnhold.LoadRetention(fstest.MapFS{"retention-nhi-131041-2027-04.json": {Data: []byte(`{"version": "n", "business": "nhi",
		"municipality": "131041", "effective_from": "2027-04-01", "years": 7, "source": "s"}`)}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := alone.For("nhi", "131041", day("2027-03-31")); ok {
		t.Error("a rule before its effective date")
	}
	if rule, ok := alone.For("nhi", "131041", day("2027-04-01")); !ok || rule.Years != 7 {
		t.Errorf("the municipality's rule on its day: %+v %v", rule, ok)
	}
	if _, ok := alone.For("nhi", "011002", day("2027-04-01")); ok {
		t.Error("another municipality took 131041's rule")
	}
	bad := fstest.MapFS{"retention-pubmed-x.json": {Data: []byte(`{"version": "x", "business": "pubmed", "municipality": "Shinjuku", "effective_from": "2027-04-01", "years": 3, "source": "s"}`)}}
	if _, err := mnhold.LoadRetention(sub, bad); err == nil || !strings.Contains(err.Error(), "retention-pubmed-x.json") {
		t.Errorf("a municipality that is not a code: %v", err)
	}
	twice := fstest.MapFS{"retention-pubmed-131041-b.json": {Data: []byte(`{"version": "b", "business": "pubmed", "municipality": "131041", "effective_from": "2027-04-01", "years": 3, "source": "s"}`)}}
	if _, err := mnhold.LoadRetention(sub, own, twice); err == nil {
		t.Error("two rules of one municipality from the same day were loaded")
	}
}
