package pubmed_test

import (
	"strings"
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
			if _, err := f.pub.ProposeRegistration(clerk, shinjuku, in); fieldsOf(err) != c.want {
				t.Errorf("%s: %s, want %s (%v)", c.name, fieldsOf(err), c.want, err)
			}
		}
		if n := count(); n != 0 || f.pending(t) != 0 {
			t.Fatalf("refusals wrote %d registrations and queued %d changes", n, f.pending(t))
		}
		g, err := f.register(t, base)
		if err != nil {
			t.Fatal(err)
		}
		if g.Number != "30000001" || pubmed.Date(g.ValidFrom) != "2026-11-25" || !g.EndedOn.IsZero() || g.IssuedBy != "clerk" || g.CheckedBy != "checker" || g.DiseaseName == "" {
			t.Errorf("issued: %+v", g)
		}
		if _, err := f.pub.ProposeRegistration(clerk, shinjuku, base); fieldsOf(err) != "resident_code" {
			t.Errorf("a second registration in force: %v", err)
		}
		mild := pubmed.RegistrationInput{ResidentCode: "700003", DiseaseCode: "6", Basis: pubmed.RegMild, Evidence: "臨床調査個人票", HealthCentre: "新宿区保健所", ReceivedOn: "2026-12-02"}
		g2, err := f.register(t, mild)
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
			testutil.CountEvents(t, db, "action = 'pubmed.registration.propose' AND outcome <> 'ok'") < 10 ||
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
		g, err := f.register(t, mild)
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
			if _, err := f.pub.ProposeRegistrationEnd(clerk, shinjuku, g.ID, c.in); fieldsOf(err) != c.want {
				t.Errorf("%s: %s, want %s (%v)", c.name, fieldsOf(err), c.want, err)
			}
		}
		if got, _ := f.pub.Registration(clerk, shinjuku, g.ID); !got.EndedOn.IsZero() || got.EndReason != "" {
			t.Fatalf("a refused end was written: %+v", got)
		}
		if f.pending(t) != 0 {
			t.Fatal("a refused end was queued")
		}
		if _, err := f.pub.ProposeRegistrationEnd(testutil.As("sapporo"), sapporo, g.ID, pubmed.RegistrationEndInput{EndedOn: "2026-11-30", Reason: pubmed.RegEndDeath}); !errs.Is(err, errs.NotFound) {
			t.Errorf("Sapporo ends Shinjuku's registration: %v", err)
		}
		if err := f.endRegistration(t, g.ID, pubmed.RegistrationEndInput{EndedOn: "2026-11-30", Reason: pubmed.RegEndMoved}); err != nil {
			t.Fatalf("end: %v", err)
		}
		if got, _ := f.pub.Registration(clerk, shinjuku, g.ID); pubmed.Date(got.EndedOn) != "2026-11-30" || got.EndReason != pubmed.RegEndMoved ||
			got.EndedBy != "clerk" || got.EndCheckedBy != "checker" {
			t.Errorf("stored: %+v", got)
		}
		if _, err := f.pub.ProposeRegistrationEnd(clerk, shinjuku, g.ID, pubmed.RegistrationEndInput{EndedOn: "2026-12-01", Reason: pubmed.RegEndReturned}); fieldsOf(err) != "ended_on" {
			t.Errorf("ended twice: %v", err)
		}
		mild.ReceivedOn = "2026-12-02"
		if g2, err := f.register(t, mild); err != nil || g2.Number != "30000002" {
			t.Errorf("a new registration after the end: %+v %v", g2, err)
		}
		if testutil.CountEvents(t, db, "action = 'pubmed.registration.end' AND outcome = 'ok'") != 1 ||
			testutil.CountEvents(t, db, "action = 'pubmed.registration.end_propose' AND outcome <> 'ok'") != 6 {
			t.Error("end and refusal events")
		}
	})
}

// R-ACC-1, R-PUB-1: issuing and ending a 登録者証 are maker–checker: the
// clerk's entry waits in the review queue with nothing issued (no number,
// no print view) and no second entry for the same person; the clerk cannot
// confirm their own; a checker's rejection issues nothing; a different
// staff member's confirmation issues it, numbered then, and its event
// names both. Ending goes the same way: nothing ends before confirmation,
// a rejection ends nothing, the confirmation ends it naming both.
func TestRegistrationMakerChecker(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		clerk, checker := testutil.As("clerk"), testutil.As("checker")
		issued := func() []pubmed.Registration {
			t.Helper()
			l, err := f.pub.Registrations(clerk, shinjuku, "700003")
			if err != nil {
				t.Fatal(err)
			}
			return l
		}
		mild := pubmed.RegistrationInput{ResidentCode: "700003", DiseaseCode: "6", Basis: pubmed.RegMild, Evidence: "臨床調査個人票", HealthCentre: "新宿区保健所", ReceivedOn: "2026-11-20"}
		p, err := f.pub.ProposeRegistration(clerk, shinjuku, mild)
		if err != nil {
			t.Fatal(err)
		}
		if p.Kind != pubmed.KindRegistration || !strings.Contains(p.Summary, "宛名番号 700003") || !strings.Contains(p.Summary, "期限の定めなし") {
			t.Errorf("proposal: %+v", p)
		}
		c, err := f.review.Submit(clerk, f.User(t, "clerk"), shinjuku, p)
		if err != nil {
			t.Fatal(err)
		}
		if l := issued(); len(l) != 0 {
			t.Fatalf("issued before confirmation: %+v", l)
		}
		if _, err := f.review.Submit(clerk, f.User(t, "clerk"), shinjuku, p); !errs.Is(err, errs.Conflict) {
			t.Errorf("a second issue for the same person queued: %v", err)
		}
		if _, err := f.review.Confirm(clerk, f.User(t, "clerk"), shinjuku, c.ID, nil); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("the clerk confirmed their own: %v", err)
		}
		if _, err := f.review.Reject(checker, f.User(t, "checker"), shinjuku, c.ID, "診断書の日付が違う"); err != nil {
			t.Fatal(err)
		}
		if l := issued(); len(l) != 0 {
			t.Fatalf("a rejected issue wrote %+v", l)
		}
		if testutil.CountEvents(t, db, "action = 'pubmed.registration.issue'") != 0 {
			t.Error("an issue event before any confirmation")
		}
		// Entered again and confirmed by the checker: issued, numbered now.
		if p, err = f.pub.ProposeRegistration(clerk, shinjuku, mild); err != nil {
			t.Fatal(err)
		}
		if c, err = f.review.Submit(clerk, f.User(t, "clerk"), shinjuku, p); err != nil {
			t.Fatal(err)
		}
		if _, err := f.review.Confirm(checker, f.User(t, "checker"), shinjuku, c.ID, nil); err != nil {
			t.Fatal(err)
		}
		l := issued()
		if len(l) != 1 || l[0].Number != "30000001" || l[0].IssuedBy != "clerk" || l[0].CheckedBy != "checker" {
			t.Fatalf("after confirmation: %+v", l)
		}
		if testutil.CountEvents(t, db, "action = 'pubmed.registration.issue' AND outcome = 'ok' AND detail LIKE '%number=30000001%maker=clerk checker=checker%'") != 1 {
			t.Error("the issue event does not name the maker and the checker")
		}
		id := l[0].ID

		// Ending: nothing ends before confirmation; a rejection ends nothing.
		end := pubmed.RegistrationEndInput{EndedOn: "2026-11-30", Reason: pubmed.RegEndReturned}
		pe, err := f.pub.ProposeRegistrationEnd(clerk, shinjuku, id, end)
		if err != nil {
			t.Fatal(err)
		}
		if pe.Kind != pubmed.KindRegistrationEnd || !strings.Contains(pe.Summary, "30000001") || !strings.Contains(pe.Summary, "2026-11-30") {
			t.Errorf("end proposal: %+v", pe)
		}
		ce, err := f.review.Submit(clerk, f.User(t, "clerk"), shinjuku, pe)
		if err != nil {
			t.Fatal(err)
		}
		if pending, err := f.review.PendingFor(clerk, shinjuku, pubmed.KindRegistrationEnd, pubmed.RegistrationSubject(id)); err != nil || !pending {
			t.Errorf("the end is not pending for the registration: %v %v", pending, err)
		}
		if l := issued(); !l[0].EndedOn.IsZero() {
			t.Fatalf("ended before confirmation: %+v", l[0])
		}
		if _, err := f.review.Confirm(clerk, f.User(t, "clerk"), shinjuku, ce.ID, nil); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("the clerk confirmed their own end: %v", err)
		}
		if _, err := f.review.Reject(checker, f.User(t, "checker"), shinjuku, ce.ID, "返還届が未着"); err != nil {
			t.Fatal(err)
		}
		if l := issued(); !l[0].EndedOn.IsZero() || l[0].EndReason != "" {
			t.Fatalf("a rejected end was written: %+v", l[0])
		}
		if pe, err = f.pub.ProposeRegistrationEnd(clerk, shinjuku, id, end); err != nil {
			t.Fatal(err)
		}
		if ce, err = f.review.Submit(clerk, f.User(t, "clerk"), shinjuku, pe); err != nil {
			t.Fatal(err)
		}
		if _, err := f.review.Confirm(checker, f.User(t, "checker"), shinjuku, ce.ID, nil); err != nil {
			t.Fatal(err)
		}
		if l := issued(); pubmed.Date(l[0].EndedOn) != "2026-11-30" || l[0].EndReason != pubmed.RegEndReturned || l[0].EndedBy != "clerk" || l[0].EndCheckedBy != "checker" {
			t.Fatalf("after the end's confirmation: %+v", l[0])
		}
		if testutil.CountEvents(t, db, "action = 'pubmed.registration.end' AND outcome = 'ok' AND detail LIKE '%maker=clerk checker=checker%'") != 1 {
			t.Error("the end event does not name the maker and the checker")
		}
	})
}
