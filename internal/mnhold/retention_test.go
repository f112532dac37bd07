package mnhold_test

import (
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
	rule, ok := r.For("pubmed", day("2027-11-19"))
	if !ok || rule.Years != 5 || rule.Version != "retention-pubmed-2015-01" || rule.Source == "" ||
		rule.NeededUntil(day("2027-11-19")).Format(time.DateOnly) != "2032-11-19" {
		t.Errorf("shipped pubmed rule: %+v %v", rule, ok)
	}
	if _, ok := r.For("nhi", day("2027-01-01")); ok {
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
		rule, ok := r.For("pubmed", day(c.ended))
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
