package pubmed_test

import (
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"bango/internal/errs"
	"bango/internal/pubmed"
	"bango/internal/store"
	"bango/internal/testutil"
)

// R-PUB-1, R-ACC-1: a new application entered by a clerk holds only once
// a different staff member confirms it; approved, it issues a certificate
// for one year with the cap of its category read from the table in force,
// recording the version and figures; renewal keeps the number from the
// day after, a change ends the old certificate the day before, a
// cancellation ends it; a rejection records its reason.
func TestApplicationToCertificate(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		clerk := testutil.As("clerk")
		// The clerk cannot confirm their own entry (R-ACC-1).
		p, err := f.pub.ProposeApplication(clerk, shinjuku, newApplication("700001"))
		if err != nil {
			t.Fatal(err)
		}
		c, err := f.review.Submit(clerk, f.User(t, "clerk"), shinjuku, p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.review.Confirm(clerk, f.User(t, "clerk"), shinjuku, c.ID, nil); err == nil {
			t.Fatal("the clerk confirmed their own application")
		}
		if n := rows(t, db); n != 0 {
			t.Fatalf("an unconfirmed application wrote %d rows", n)
		}
		if _, err := f.review.Confirm(testutil.As("checker"), f.User(t, "checker"), shinjuku, c.ID, nil); err != nil {
			t.Fatal(err)
		}
		page, err := f.pub.Applications(clerk, shinjuku, pubmed.ApplicationQuery{HealthCentre: "新宿区保健所", Status: pubmed.StatusReceived}, "", 10)
		if err != nil || len(page.Items) != 1 {
			t.Fatalf("the health centre's list: %+v %v", page, err)
		}
		app := page.Items[0]
		if app.ConfirmedBy != "checker" || app.Status != pubmed.StatusReceived {
			t.Errorf("confirmed application: %+v", app)
		}
		if n, _ := f.pub.CountAwaitingDecision(clerk, shinjuku); n != 1 {
			t.Errorf("awaiting decision: %d", n)
		}
		d, err := f.decide(t, app.ID, pubmed.DecisionInput{Outcome: pubmed.Approve})
		if err != nil {
			t.Fatal(err)
		}
		cert := d.Certificate
		if cert == nil || cert.Number != "10000001" || cert.CapYen != 10000 || pubmed.Date(cert.ValidFrom) != "2026-11-20" || pubmed.Date(cert.ValidUntil) != "2027-11-19" {
			t.Fatalf("certificate: %+v", cert)
		}
		if cert.Basis.TableVersion != "caps-2015-01" || cert.Basis.TableFigures != (pubmed.Figures{General: 10000, Reduced: 5000, Ventilator: 1000}) ||
			cert.DiseaseName != "パーキンソン病" || cert.DiseaseVersion != "diseases-2025-04" {
			t.Errorf("basis: %+v %s %s", cert.Basis, cert.DiseaseName, cert.DiseaseVersion)
		}
		if _, err := f.decide(t, app.ID, pubmed.DecisionInput{Outcome: pubmed.Approve}); fieldsOf(err) != "outcome" {
			t.Errorf("decided twice: %v", err)
		}

		// A change from 2027-01-01: 高額かつ長期 lowers the cap, same number.
		ch := newApplication("700001")
		ch.Kind, ch.Certificate, ch.EffectiveOn, ch.Flags, ch.ReceivedOn = pubmed.AppChange, cert.ID, "2027-01-01", []string{pubmed.FlagHighLong}, "2026-12-01"
		app2 := f.apply(t, ch)
		d2, err := f.decide(t, app2.ID, pubmed.DecisionInput{Outcome: pubmed.Approve})
		if err != nil {
			t.Fatal(err)
		}
		if d2.Certificate.Number != cert.Number || d2.Certificate.CapYen != 5000 || d2.Certificate.Basis.Column != pubmed.ColumnReduced ||
			pubmed.Date(d2.Certificate.ValidUntil) != "2027-11-19" || d2.Certificate.Replaces != cert.ID {
			t.Errorf("changed certificate: %+v", d2.Certificate)
		}
		old, err := f.pub.Certificate(clerk, shinjuku, cert.ID)
		if err != nil || pubmed.Date(old.EndedOn) != "2026-12-31" || old.EndReason != "change" {
			t.Errorf("the changed certificate: ended %s (%s) %v", pubmed.Date(old.EndedOn), old.EndReason, err)
		}

		// Renewal: from the day after, one year, same number.
		rn := newApplication("700001")
		rn.Kind, rn.Certificate, rn.Flags, rn.ReceivedOn = pubmed.AppRenewal, d2.Certificate.ID, []string{pubmed.FlagHighLong}, "2026-12-02"
		app3 := f.apply(t, rn)
		if _, err := f.decide(t, app3.ID, pubmed.DecisionInput{Outcome: pubmed.Approve, ValidUntil: "2028-11-20"}); fieldsOf(err) != "valid_until" {
			t.Errorf("a validity over a year: %v", err)
		}
		d3, err := f.decide(t, app3.ID, pubmed.DecisionInput{Outcome: pubmed.Approve})
		if err != nil {
			t.Fatal(err)
		}
		if pubmed.Date(d3.Certificate.ValidFrom) != "2027-11-20" || pubmed.Date(d3.Certificate.ValidUntil) != "2028-11-19" || d3.Certificate.Number != cert.Number {
			t.Errorf("renewed: %+v", d3.Certificate)
		}

		// Cancellation of the renewed certificate before it starts? No: of the current one.
		cn := pubmed.ApplicationInput{Kind: pubmed.AppCancel, ResidentCode: "700001", Programme: pubmed.Nanbyo, DiseaseCode: "6",
			HealthCentre: "新宿区保健所", ReceivedOn: "2026-12-02", Certificate: d2.Certificate.ID, EffectiveOn: "2027-03-01"}
		app4 := f.apply(t, cn)
		if _, err := f.decide(t, app4.ID, pubmed.DecisionInput{Outcome: pubmed.Approve}); err != nil {
			t.Fatal(err)
		}
		ended, _ := f.pub.Certificate(clerk, shinjuku, d2.Certificate.ID)
		if pubmed.Date(ended.EndedOn) != "2027-02-28" || ended.EndReason != "cancel" || ended.ValidOn(time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("cancelled: %+v", ended)
		}

		// Rejection with its reason; none without.
		app5 := f.apply(t, newApplication("700002"))
		if _, err := f.decide(t, app5.ID, pubmed.DecisionInput{Outcome: pubmed.Reject, Reason: "123456789018は対象外"}); fieldsOf(err) != "reason" { // R-AC-4
			t.Fatalf("a reason holding a My Number: %v", err)
		}
		if _, err := f.decide(t, app5.ID, pubmed.DecisionInput{Outcome: pubmed.Reject}); fieldsOf(err) != "reason" {
			t.Errorf("a rejection without reason: %v", err)
		}
		d5, err := f.decide(t, app5.ID, pubmed.DecisionInput{Outcome: pubmed.Reject, Reason: "重症度分類を満たさない"})
		if err != nil || d5.Certificate != nil || d5.Application.Status != pubmed.StatusRejected || d5.Application.RejectReason != "重症度分類を満たさない" {
			t.Errorf("rejected: %+v %v", d5, err)
		}
		certs, err := f.pub.Certificates(clerk, shinjuku, "700001")
		if err != nil || len(certs) != 3 {
			t.Errorf("700001's certificates: %d %v", len(certs), err)
		}
		got := testutil.Outcomes(t, db, "pubmed.application.decide")
		if len(got) < 5 || testutil.CountEvents(t, db, "action = 'pubmed.application.receive' AND outcome = 'ok'") != 5 {
			t.Errorf("decision events: %q", got)
		}
	})
}

// Bad input (issue 21): a disease outside the master list or dated
// outside its effective period, an unknown kind, a certificate of
// another person, no institution; each names its field and writes
// nothing. Another municipality's application is not found (R-AC-6).
func TestApplicationRefusals(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		clerk := testutil.As("clerk")
		app := f.apply(t, newApplication("700001"))
		d, err := f.decide(t, app.ID, pubmed.DecisionInput{Outcome: pubmed.Approve})
		if err != nil {
			t.Fatal(err)
		}
		mod := func(fn func(*pubmed.ApplicationInput)) pubmed.ApplicationInput {
			in := newApplication("700002")
			fn(&in)
			return in
		}
		for _, c := range []struct {
			name string
			in   pubmed.ApplicationInput
			want string
		}{
			{"a disease outside the master list", mod(func(in *pubmed.ApplicationInput) { in.DiseaseCode = "9999" }), "disease_code"},
			{"a 指定難病 code for 小児慢性", mod(func(in *pubmed.ApplicationInput) { in.Programme = pubmed.Shoman }), "disease_code"},
			{"an unknown kind", mod(func(in *pubmed.ApplicationInput) { in.Kind = "transfer" }), "kind"},
			{"重症 for 指定難病", mod(func(in *pubmed.ApplicationInput) { in.Flags = []string{pubmed.FlagSevere} }), "flags"},
			{"no institution", mod(func(in *pubmed.ApplicationInput) { in.Institutions = nil }), "institutions"},
			{"a bad date", mod(func(in *pubmed.ApplicationInput) { in.ReceivedOn = "2026-02-30" }), "received_on"},
			{"a future date", mod(func(in *pubmed.ApplicationInput) { in.ReceivedOn = "2026-12-03" }), "received_on"},
			{"no such resident", mod(func(in *pubmed.ApplicationInput) { in.ResidentCode = "799999" }), "resident_code"},
			{"another resident's certificate", mod(func(in *pubmed.ApplicationInput) { in.Kind, in.Certificate = pubmed.AppRenewal, d.Certificate.ID }), "certificate"},
			{"a second certificate", newApplication("700001"), "kind"},
			{"a change without its first day", pubmed.ApplicationInput{Kind: pubmed.AppChange, ResidentCode: "700001", Programme: pubmed.Nanbyo, DiseaseCode: "6",
				TaxStatus: pubmed.TaxExempt, AnnualIncome: yen(500000), Institutions: []string{"新宿中央病院"}, HealthCentre: "新宿区保健所", ReceivedOn: "2026-12-01", Certificate: d.Certificate.ID}, "effective_on"},
		} {
			before := rows(t, db)
			_, err := f.pub.ProposeApplication(clerk, shinjuku, c.in)
			if got := fieldsOf(err); got != c.want {
				t.Errorf("%s: %s, want %s (%v)", c.name, got, c.want, err)
			}
			if rows(t, db) != before {
				t.Errorf("%s: rows written", c.name)
			}
		}
		if _, err := f.pub.Application(testutil.As("sapporo"), sapporo, app.ID); !isKind(err, errs.NotFound) {
			t.Errorf("Sapporo reads Shinjuku's application: %v", err)
		}
		if _, err := f.pub.ProposeDecision(testutil.As("sapporo"), sapporo, app.ID, pubmed.DecisionInput{Outcome: pubmed.Reject, Reason: "x"}); !isKind(err, errs.NotFound) {
			t.Errorf("Sapporo decides Shinjuku's application: %v", err)
		}
		if testutil.CountEvents(t, db, "action = 'pubmed.application.propose' AND outcome = 'error'") < 10 {
			t.Error("refusals not recorded")
		}
	})
}

// R-PUB-1: a disease is applied for only in its designated period, by the
// master list in force (a disease added from 2027-04-01 is refused on
// 2027-03-31, one that ended on 2027-03-31 is refused from 2027-04-01);
// a certificate's cap reads the table of its first day.
func TestApplicationAtMasterBoundary(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		r, err := pubmed.LoadRules(os.DirFS("data"), os.DirFS("testdata/later"))
		if err != nil {
			t.Fatal(err)
		}
		f.pub.SetRules(r)
		f.now = time.Date(2027, 4, 2, 12, 0, 0, 0, time.UTC)
		clerk := testutil.As("clerk")
		for _, c := range []struct {
			disease, on, want string
		}{
			{"900", "2027-03-31", "disease_code"}, {"900", "2027-04-01", "ok"},
			{"901", "2027-03-31", "ok"}, {"901", "2027-04-01", "disease_code"},
		} {
			in := newApplication("700003")
			in.DiseaseCode, in.ReceivedOn = c.disease, c.on
			_, err := f.pub.ProposeApplication(clerk, shinjuku, in)
			if got := fieldsOf(err); got != c.want {
				t.Errorf("disease %s received %s: %s, want %s", c.disease, c.on, got, c.want)
			}
		}
		in := newApplication("700003")
		in.ReceivedOn = "2027-03-31"
		app := f.apply(t, in)
		// Starting 2027-03-31: the old table; asked to start 2027-04-01: the new.
		for _, c := range []struct {
			from    string
			version string
			yen     int64
		}{{"2027-04-01", "caps-2027-04-test", 12000}} {
			d, err := f.decide(t, app.ID, pubmed.DecisionInput{Outcome: pubmed.Approve, ValidFrom: c.from})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]any{c.version, c.yen}, []any{d.Certificate.Basis.TableVersion, d.Certificate.CapYen}); diff != "" {
				t.Errorf("from %s: %s", c.from, diff)
			}
		}
		in2 := newApplication("700002")
		in2.ReceivedOn = "2027-03-31"
		d, err := f.decide(t, f.apply(t, in2).ID, pubmed.DecisionInput{Outcome: pubmed.Approve})
		if err != nil || d.Certificate.Basis.TableVersion != "caps-2015-01" || d.Certificate.CapYen != 10000 {
			t.Errorf("from 2027-03-31: %+v %v", d.Certificate, err)
		}
	})
}
