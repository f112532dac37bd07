package pubmed_test

import (
	"testing"

	"bango/internal/errs"
	"bango/internal/pubmed"
	"bango/internal/store"
	"bango/internal/testutil"
)

// R-PUB-1: a 登録者証 is issued to a 指定難病 patient who meets the
// diagnostic criteria — refused the subsidy for severity, mild, or a
// recipient — valid from the day received with no end; its grounds are
// checked against the data (a rejected application of this person and
// disease; a certificate in force), a second one in force is refused, and
// each refusal names its field and writes nothing; the person's history
// lists it; another municipality does not find it; issue, reads and
// refusals are events.
func TestRegistration(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		clerk := testutil.As("clerk")
		app := f.apply(t, newApplication("700001"))
		if _, err := f.decide(t, app.ID, pubmed.DecisionInput{Outcome: pubmed.Reject, Reason: "重症度分類を満たさない"}); err != nil {
			t.Fatal(err)
		}
		other := f.apply(t, newApplication("700002")) // awaiting its decision
		base := pubmed.RegistrationInput{ResidentCode: "700001", DiseaseCode: "6", Basis: pubmed.RegNotSevere, Evidence: "臨床調査個人票（令和8年11月）",
			Application: app.ID, HealthCentre: "新宿区保健所", ReceivedOn: "2026-11-25"}
		count := func() int {
			var n int
			if err := db.ReadRow(testutil.AllTenants(), `SELECT count(*) FROM pubmed_registrations`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		for _, c := range []struct {
			name string
			fn   func(*pubmed.RegistrationInput)
			want string
		}{
			{"a disease outside the 指定難病 list", func(in *pubmed.RegistrationInput) { in.DiseaseCode = "9999" }, "disease_code"},
			{"unknown grounds", func(in *pubmed.RegistrationInput) { in.Basis = "wish" }, "basis"},
			{"not severe without the application", func(in *pubmed.RegistrationInput) { in.Application = 0 }, "application"},
			{"another person's application", func(in *pubmed.RegistrationInput) { in.Application = other.ID }, "application"},
			{"an application not rejected", func(in *pubmed.RegistrationInput) { in.ResidentCode = "700002"; in.Application = other.ID }, "application"},
			{"recipient without a certificate", func(in *pubmed.RegistrationInput) { in.Basis, in.Application = pubmed.RegRecipient, 0 }, "basis"},
			{"no evidence", func(in *pubmed.RegistrationInput) { in.Evidence = "" }, "evidence"},
			{"a future day", func(in *pubmed.RegistrationInput) { in.ReceivedOn = "2026-12-03" }, "received_on"},
			{"no such resident", func(in *pubmed.RegistrationInput) {
				in.ResidentCode = "799999"
				in.Application = 0
				in.Basis = pubmed.RegMild
			}, "resident_code"},
		} {
			in := base
			c.fn(&in)
			if _, err := f.pub.IssueRegistration(clerk, shinjuku, in); fieldsOf(err) != c.want {
				t.Errorf("%s: %s, want %s (%v)", c.name, fieldsOf(err), c.want, err)
			}
		}
		if n := count(); n != 0 {
			t.Fatalf("refusals wrote %d registrations", n)
		}
		g, err := f.pub.IssueRegistration(clerk, shinjuku, base)
		if err != nil {
			t.Fatal(err)
		}
		if g.Number != "30000001" || pubmed.Date(g.ValidFrom) != "2026-11-25" || !g.EndedOn.IsZero() || g.IssuedBy != "clerk" || g.DiseaseName == "" {
			t.Errorf("issued: %+v", g)
		}
		if _, err := f.pub.IssueRegistration(clerk, shinjuku, base); fieldsOf(err) != "resident_code" {
			t.Errorf("a second registration in force: %v", err)
		}
		mild := pubmed.RegistrationInput{ResidentCode: "700003", DiseaseCode: "6", Basis: pubmed.RegMild, Evidence: "臨床調査個人票", HealthCentre: "新宿区保健所", ReceivedOn: "2026-12-02"}
		g2, err := f.pub.IssueRegistration(clerk, shinjuku, mild)
		if err != nil || g2.Number != "30000002" {
			t.Fatalf("a mild patient: %+v %v", g2, err)
		}
		hist, err := f.pub.Registrations(clerk, shinjuku, "700001")
		if err != nil || len(hist) != 1 || hist[0].ID != g.ID || hist[0].Application != app.ID || hist[0].Basis != pubmed.RegNotSevere {
			t.Errorf("history: %+v %v", hist, err)
		}
		if all, _ := f.pub.Registrations(clerk, shinjuku, ""); len(all) != 2 || all[0].ID != g2.ID {
			t.Errorf("the municipality's list: %+v", all)
		}
		if _, err := f.pub.Registration(testutil.As("sapporo"), sapporo, g.ID); !errs.Is(err, errs.NotFound) {
			t.Errorf("Sapporo reads Shinjuku's registration: %v", err)
		}
		if testutil.CountEvents(t, db, "action = 'pubmed.registration.issue' AND outcome = 'ok'") != 2 ||
			testutil.CountEvents(t, db, "action = 'pubmed.registration.issue' AND outcome <> 'ok'") < 10 ||
			testutil.CountEvents(t, db, "action = 'pubmed.registration.read' AND outcome <> 'ok'") != 1 {
			t.Error("issue and refusal events")
		}
	})
}

// R-PUB-1: a 登録者証 ends on its last day for a reason (returned, moved
// away, death): an unknown reason, a day in the future or before its first
// day, and a certificate ended already are refused naming the field with
// nothing written; another municipality does not find it; once ended the
// person may be issued a new one; the end and its refusals are events.
func TestEndRegistration(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		clerk := testutil.As("clerk")
		mild := pubmed.RegistrationInput{ResidentCode: "700003", DiseaseCode: "6", Basis: pubmed.RegMild, Evidence: "臨床調査個人票", HealthCentre: "新宿区保健所", ReceivedOn: "2026-11-20"}
		g, err := f.pub.IssueRegistration(clerk, shinjuku, mild)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name string
			in   pubmed.RegistrationEndInput
			want string
		}{
			{"an unknown reason", pubmed.RegistrationEndInput{EndedOn: "2026-11-30", Reason: "lost"}, "reason"},
			{"no day", pubmed.RegistrationEndInput{Reason: pubmed.RegEndReturned}, "ended_on"},
			{"a day in the future", pubmed.RegistrationEndInput{EndedOn: "2026-12-03", Reason: pubmed.RegEndReturned}, "ended_on"},
			{"before its first day", pubmed.RegistrationEndInput{EndedOn: "2026-11-19", Reason: pubmed.RegEndMoved}, "ended_on"},
		} {
			if _, err := f.pub.EndRegistration(clerk, shinjuku, g.ID, c.in); fieldsOf(err) != c.want {
				t.Errorf("%s: %s, want %s (%v)", c.name, fieldsOf(err), c.want, err)
			}
		}
		if got, _ := f.pub.Registration(clerk, shinjuku, g.ID); !got.EndedOn.IsZero() || got.EndReason != "" {
			t.Fatalf("a refused end was written: %+v", got)
		}
		if _, err := f.pub.EndRegistration(testutil.As("sapporo"), sapporo, g.ID, pubmed.RegistrationEndInput{EndedOn: "2026-11-30", Reason: pubmed.RegEndDeath}); !errs.Is(err, errs.NotFound) {
			t.Errorf("Sapporo ends Shinjuku's registration: %v", err)
		}
		ended, err := f.pub.EndRegistration(clerk, shinjuku, g.ID, pubmed.RegistrationEndInput{EndedOn: "2026-11-30", Reason: pubmed.RegEndMoved})
		if err != nil || pubmed.Date(ended.EndedOn) != "2026-11-30" || ended.EndReason != pubmed.RegEndMoved {
			t.Fatalf("end: %+v %v", ended, err)
		}
		if got, _ := f.pub.Registration(clerk, shinjuku, g.ID); pubmed.Date(got.EndedOn) != "2026-11-30" || got.EndReason != pubmed.RegEndMoved {
			t.Errorf("stored: %+v", got)
		}
		if _, err := f.pub.EndRegistration(clerk, shinjuku, g.ID, pubmed.RegistrationEndInput{EndedOn: "2026-12-01", Reason: pubmed.RegEndReturned}); fieldsOf(err) != "ended_on" {
			t.Errorf("ended twice: %v", err)
		}
		mild.ReceivedOn = "2026-12-02"
		if g2, err := f.pub.IssueRegistration(clerk, shinjuku, mild); err != nil || g2.Number != "30000002" {
			t.Errorf("a new registration after the end: %+v %v", g2, err)
		}
		if testutil.CountEvents(t, db, "action = 'pubmed.registration.end' AND outcome = 'ok'") != 1 ||
			testutil.CountEvents(t, db, "action = 'pubmed.registration.end' AND outcome <> 'ok'") != 6 {
			t.Error("end and refusal events")
		}
	})
}
