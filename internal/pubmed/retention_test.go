package pubmed_test

import (
	"os"
	"testing"
	"time"

	"bango/internal/mnhold"
	"bango/internal/pubmed"
	"bango/internal/resident"
	"bango/internal/store"
	"bango/internal/testutil"
)

// R-STO-2: the retention period is the municipality's own rule from its
// effective date, else the business's default: in Shinjuku, with its own
// ten-year rule from 2027-06-01, a certificate that ended on 2027-05-31
// keeps the default five years and one that ended on 2027-06-01 takes ten;
// with a rule of another municipality only, Shinjuku keeps the default and
// the run moves the hold back to it. The hold records the rule, and
// setting it is an event naming the rule's version, file and period.
func TestRetentionPerMunicipality(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		clerk := testutil.As("clerk")
		f.now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
		for i, c := range []struct{ code, until string }{{"700001", "2027-05-31"}, {"700002", "2027-06-01"}} {
			in := newApplication(c.code)
			in.MyNumber, in.IdentityMethod = validNumber([]string{"48291037561", "59302148672"}[i]), resident.VerifiedByMyNumberCard
			p, err := f.pub.ProposeApplication(clerk, shinjuku, in)
			if err != nil {
				t.Fatal(err)
			}
			ch, err := f.review.Submit(clerk, f.User(t, "clerk"), shinjuku, p)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.review.Confirm(testutil.As("checker"), f.User(t, "checker"), shinjuku, ch.ID, f.index(t, in.MyNumber)); err != nil {
				t.Fatal(err)
			}
			page, _ := f.pub.Applications(clerk, shinjuku, pubmed.ApplicationQuery{ResidentCode: c.code}, "", 1)
			if _, err := f.decide(t, page.Items[0].ID, pubmed.DecisionInput{Outcome: pubmed.Approve, ValidUntil: c.until}); err != nil {
				t.Fatal(err)
			}
		}
		sub := os.DirFS("../mnhold/data") // the shipped default rules
		rules := func(code string) *mnhold.Retention {
			t.Helper()
			r, err := mnhold.LoadRetention(sub, mapFS(map[string]string{"retention-pubmed-" + code + "-2027-06.json": `{"version": "retention-pubmed-` + code +
				`-2027-06", "business": "pubmed", "municipality": "` + code + `", "effective_from": "2027-06-01", "years": 10, "source": "a test rule"}`}))
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		held := func(code string) (string, string) {
			t.Helper()
			var until time.Time
			var rule string
			if err := db.ReadRow(testutil.AllTenants(), `SELECT needed_until, retention_rule FROM mynumber_holds WHERE tenant_code = $1 AND resident_code = $2
				AND business = 'pubmed'`, shinjuku, code).Scan(&until, &rule); err != nil {
				t.Fatal(err)
			}
			return pubmed.Date(until), rule
		}
		check := func(when string, want map[string][2]string) {
			t.Helper()
			for code, w := range want {
				if until, rule := held(code); until != w[0] || rule != w[1] {
					t.Errorf("%s, %s: needed until %s by %q, want %s by %q", when, code, until, rule, w[0], w[1])
				}
			}
		}

		f.pub.SetRetention(rules(shinjuku))
		if rule, _ := f.pub.RetentionRule(sapporo); rule.Version != "retention-pubmed-2015-01" {
			t.Errorf("Sapporo's rule today: %+v", rule)
		}
		r, err := f.pub.Retain(testutil.As("system:jobs"), shinjuku, date(2027, 7, 1))
		if err != nil {
			t.Fatal(err)
		}
		if r.Ending != 2 || r.Set["retention-pubmed-2015-01"] != 1 || r.Set["retention-pubmed-131041-2027-06"] != 1 {
			t.Errorf("run with Shinjuku's own rule: %+v", r)
		}
		check("Shinjuku's own rule from 2027-06-01", map[string][2]string{
			"700001": {"2032-05-31", "retention-pubmed-2015-01"},        // ended the day before: the default
			"700002": {"2037-06-01", "retention-pubmed-131041-2027-06"}, // ended on its day: ten years
		})
		if n := testutil.CountEvents(t, db, `action = 'mynumber.hold.retention' AND subject_id = '700002' AND detail LIKE
			'%need_ended=2027-06-01 needed_until=2037-06-01 rule=retention-pubmed-131041-2027-06 file=retention-pubmed-131041-2027-06.json municipality=131041 effective_from=2027-06-01 years=10'`); n != 1 {
			t.Errorf("%d events naming Shinjuku's rule, want 1", n)
		}
		// A later run with nothing changed sets nothing again.
		if r, err = f.pub.Retain(testutil.As("system:jobs"), shinjuku, date(2027, 8, 1)); err != nil || len(r.Set) != 0 {
			t.Errorf("a run with nothing changed: %+v %v", r, err)
		}

		// Only another municipality has its own rule: Shinjuku keeps the
		// default on both sides of that rule's day.
		f.pub.SetRetention(rules(sapporo))
		if r, err = f.pub.Retain(testutil.As("system:jobs"), shinjuku, date(2027, 9, 1)); err != nil || r.Set["retention-pubmed-2015-01"] != 1 || len(r.Set) != 1 {
			t.Errorf("run with Sapporo's rule: %+v %v", r, err)
		}
		check("Sapporo's own rule only", map[string][2]string{
			"700001": {"2032-05-31", "retention-pubmed-2015-01"},
			"700002": {"2032-06-01", "retention-pubmed-2015-01"},
		})
	})
}
