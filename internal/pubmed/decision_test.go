package pubmed_test

import (
	"strings"
	"testing"

	"bango/internal/errs"
	"bango/internal/pubmed"
	"bango/internal/store"
	"bango/internal/testutil"
)

// R-ACC-1, R-PUB-1: the decision itself is maker–checker: a clerk's
// approval is tried at once (a wrong field is refused then, nothing
// queued) and held until a different staff member confirms it; only then
// is the certificate issued, and the event names both. A second decision
// on the same application cannot be queued while one waits.
func TestDecisionMakerChecker(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		clerk := testutil.As("clerk")
		app := f.apply(t, newApplication("700001"))
		if _, err := f.pub.ProposeDecision(clerk, shinjuku, app.ID, pubmed.DecisionInput{Outcome: pubmed.Approve, ValidUntil: "2028-11-20"}); fieldsOf(err) != "valid_until" {
			t.Errorf("a validity over a year: %v", err)
		}
		p, err := f.pub.ProposeDecision(clerk, shinjuku, app.ID, pubmed.DecisionInput{Outcome: pubmed.Approve})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(p.Summary, "認定: 受給者証 10000001、有効期間 2026-11-20〜2027-11-19、階層区分 一般所得Ⅰ、自己負担上限額 月 10,000円") {
			t.Errorf("summary: %q", p.Summary)
		}
		c, err := f.review.Submit(clerk, f.User(t, "clerk"), shinjuku, p)
		if err != nil {
			t.Fatal(err)
		}
		// Held: no certificate, still awaiting; no second decision queued.
		if d := f.decision(t, app.ID); d.Certificate != nil || d.Application.Status != pubmed.StatusReceived {
			t.Fatalf("an unconfirmed decision took effect: %+v", d)
		}
		p2, err := f.pub.ProposeDecision(clerk, shinjuku, app.ID, pubmed.DecisionInput{Outcome: pubmed.Reject, Reason: "重複"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.review.Submit(clerk, f.User(t, "clerk"), shinjuku, p2); !errs.Is(err, errs.Conflict) {
			t.Errorf("a second decision queued while one waits: %v", err)
		}
		// The clerk cannot confirm their own decision.
		if _, err := f.review.Confirm(clerk, f.User(t, "clerk"), shinjuku, c.ID, nil); err == nil {
			t.Fatal("the clerk confirmed their own decision")
		}
		if _, err := f.review.Confirm(testutil.As("checker"), f.User(t, "checker"), shinjuku, c.ID, nil); err != nil {
			t.Fatal(err)
		}
		d := f.decision(t, app.ID)
		if d.Certificate == nil || d.Certificate.Number != "10000001" || d.Application.Status != pubmed.StatusApproved || d.Application.DecidedBy != "clerk" {
			t.Fatalf("after confirmation: %+v", d)
		}
		if testutil.CountEvents(t, db, "action = 'pubmed.application.decide' AND outcome = 'ok' AND detail LIKE '%maker=clerk checker=checker%'") != 1 {
			t.Error("the decision event does not name the maker and the checker")
		}
		// A decided application takes no further decision.
		if _, err := f.pub.ProposeDecision(clerk, shinjuku, app.ID, pubmed.DecisionInput{Outcome: pubmed.Reject, Reason: "x"}); fieldsOf(err) != "outcome" {
			t.Errorf("a decided application: %v", err)
		}
		if testutil.CountEvents(t, db, "action = 'pubmed.decision.propose' AND outcome <> 'ok'") < 2 {
			t.Error("refused proposals not recorded")
		}
	})
}
