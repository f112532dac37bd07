package nhi_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"bango/internal/nhi"
	"bango/internal/store"
	"bango/internal/testutil"
)

// R-NHI-2: since 2 December 2024 a 資格確認書 (valid at most five years)
// or a 資格情報のお知らせ is issued, never a new 被保険者証, which is kept as
// history; a reissue names its reason and the document it replaces; a
// return and the loss of eligibility end a document; the whole issuance
// history reads back with each document's status.
func TestDocuments(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.person(t, shinjuku, "800001", "ナカムラ　ケン", "1980-01-01")
		f.person(t, shinjuku, "800002", "ナカムラ　ユミ", "1981-01-01")
		f.person(t, sapporo, "900001", "サッポロ　タロウ", "1980-01-01")
		f.newHousehold(t, "800001", "800001", "2024-04-01", "8001")
		clerk := testutil.As("clerk")
		issue := func(in nhi.DocumentInput) (nhi.Document, string) {
			t.Helper()
			d, err := f.nhi.IssueDocument(clerk, shinjuku, in)
			return d, fields(err)
		}
		card, got := issue(nhi.DocumentInput{ResidentCode: "800001", Kind: nhi.DocCard, IssuedOn: "2024-04-05", ValidUntil: "2025-07-31",
			Delivery: nhi.DeliveryCounter, Reason: nhi.IssueHistory})
		if got != "ok" || card.Status != "expired" || card.KindName != "被保険者証" || card.InsuredNumber != "新宿・8001（01）" {
			t.Fatalf("a card issued before, as history: %s %+v", got, card)
		}
		cert, got := issue(nhi.DocumentInput{ResidentCode: "800001", Kind: nhi.DocCertificate, IssuedOn: "2026-11-01", ValidUntil: "2031-11-01",
			Delivery: nhi.DeliveryMail, DeliveredOn: "2026-11-05", Reason: nhi.IssueNew})
		if got != "ok" || cert.Status != "valid" || cert.KindName != "資格確認書" || !cert.DeliveredOn.Equal(day("2026-11-05")) {
			t.Fatalf("a 資格確認書: %s %+v", got, cert)
		}
		notice, got := issue(nhi.DocumentInput{ResidentCode: "800001", Kind: nhi.DocNotice, IssuedOn: "2026-11-01", Delivery: nhi.DeliveryMail, Reason: nhi.IssueNew})
		if got != "ok" || notice.Status != "valid" || !notice.ValidUntil.IsZero() {
			t.Fatalf("a 資格情報のお知らせ: %s %+v", got, notice)
		}
		before := rows(t, db)
		for _, tc := range []struct {
			name string
			in   nhi.DocumentInput
			want string
		}{
			{"a new 被保険者証 after 1 December 2024", nhi.DocumentInput{ResidentCode: "800001", Kind: nhi.DocCard, IssuedOn: "2024-12-10", ValidUntil: "2025-12-01",
				Delivery: nhi.DeliveryMail, Reason: nhi.IssueHistory}, "kind"},
			{"a 被保険者証 not as history", nhi.DocumentInput{ResidentCode: "800001", Kind: nhi.DocCard, IssuedOn: "2024-04-05", ValidUntil: "2025-07-31",
				Delivery: nhi.DeliveryMail, Reason: nhi.IssueNew}, "reason,kind"}, // and the card recorded is valid then
			{"a 資格確認書 valid for more than five years", nhi.DocumentInput{ResidentCode: "800001", Kind: nhi.DocCertificate, IssuedOn: "2026-11-01",
				ValidUntil: "2031-11-02", Delivery: nhi.DeliveryMail, Reason: nhi.IssueRenewal}, "valid_until"},
			{"a 資格確認書 without validity", nhi.DocumentInput{ResidentCode: "800001", Kind: nhi.DocCertificate, IssuedOn: "2026-11-01",
				Delivery: nhi.DeliveryMail, Reason: nhi.IssueRenewal}, "valid_until"},
			{"a second new 資格確認書", nhi.DocumentInput{ResidentCode: "800001", Kind: nhi.DocCertificate, IssuedOn: "2026-11-20", ValidUntil: "2027-11-20",
				Delivery: nhi.DeliveryCounter, Reason: nhi.IssueNew}, "kind"},
			{"a reissue replacing nothing", nhi.DocumentInput{ResidentCode: "800001", Kind: nhi.DocCertificate, IssuedOn: "2026-11-20", ValidUntil: "2027-11-20",
				Delivery: nhi.DeliveryCounter, Reason: nhi.IssueLost}, "replaces"},
			{"a reissue replacing another kind", nhi.DocumentInput{ResidentCode: "800001", Kind: nhi.DocCertificate, IssuedOn: "2026-11-20", ValidUntil: "2027-11-20",
				Delivery: nhi.DeliveryCounter, Reason: nhi.IssueLost, Replaces: notice.ID}, "replaces"},
			{"a notice with a validity", nhi.DocumentInput{ResidentCode: "800001", Kind: nhi.DocNotice, IssuedOn: "2026-11-20", ValidUntil: "2027-11-20",
				Delivery: nhi.DeliveryMail, Reason: nhi.IssueChanged, Replaces: notice.ID}, "valid_until"},
			{"a 資格確認書 before there were any, before the acquisition", nhi.DocumentInput{ResidentCode: "800001", Kind: nhi.DocCertificate, IssuedOn: "2024-03-01",
				ValidUntil: "2025-03-01", Delivery: nhi.DeliveryMail, Reason: nhi.IssueNew}, "kind,issued_on"},
			{"issued in the future, delivered before", nhi.DocumentInput{ResidentCode: "800001", Kind: nhi.DocNotice, IssuedOn: "2026-12-03", DeliveredOn: "2026-12-01",
				Delivery: nhi.DeliveryMail, Reason: nhi.IssueChanged, Replaces: notice.ID}, "issued_on,delivered_on"},
			{"an unknown kind and delivery", nhi.DocumentInput{ResidentCode: "800001", Kind: "保険証", IssuedOn: "2026-11-20", Delivery: "fax", Reason: nhi.IssueNew}, "delivery"},
			{"someone never insured", nhi.DocumentInput{ResidentCode: "800002", Kind: nhi.DocNotice, IssuedOn: "2026-11-20", Delivery: nhi.DeliveryMail, Reason: nhi.IssueNew}, "resident_code"},
			{"a resident of another municipality", nhi.DocumentInput{ResidentCode: "900001", Kind: nhi.DocNotice, IssuedOn: "2026-11-20", Delivery: nhi.DeliveryMail, Reason: nhi.IssueNew}, "not found"},
		} {
			if _, got := issue(tc.in); got != tc.want {
				t.Errorf("%s: fields %s, want %s", tc.name, got, tc.want)
			}
		}
		if rows(t, db) != before {
			t.Error("a refused issue wrote rows")
		}
		// Reissued after a loss: the old one is replaced on the day.
		re, got := issue(nhi.DocumentInput{ResidentCode: "800001", Kind: nhi.DocCertificate, IssuedOn: "2026-11-25", ValidUntil: "2031-11-25",
			Delivery: nhi.DeliveryCounter, DeliveredOn: "2026-11-25", Reason: nhi.IssueLost, Replaces: cert.ID})
		if got != "ok" || re.Replaces != cert.ID {
			t.Fatalf("a reissue: %s %+v", got, re)
		}
		if err := f.nhi.ReturnDocument(clerk, shinjuku, notice.ID, "2026-11-10"); err != nil {
			t.Fatal(err)
		}
		if err := f.nhi.ReturnDocument(clerk, shinjuku, notice.ID, "2026-11-11"); fields(err) != "document" {
			t.Errorf("a document returned twice: %v", err)
		}
		if err := f.nhi.ReturnDocument(testutil.As("sapporo"), sapporo, re.ID, "2026-11-11"); fields(err) != "not found" {
			t.Errorf("a return from another municipality: %v", err)
		}
		// The loss of eligibility invalidates what is still in force.
		p, err := f.nhi.ProposeLoss(clerk, shinjuku, nhi.LossInput{ResidentCode: "800001", LostOn: "2026-12-01", Reason: nhi.LossJoinedEmployee, NotifiedOn: "2026-12-02"})
		f.enter(t, p, err)
		docs, err := f.nhi.Documents(clerk, shinjuku, "800001")
		if err != nil {
			t.Fatal(err)
		}
		var history []string
		for _, d := range docs {
			line := d.Kind + " " + d.Reason + " " + d.Status
			for _, ev := range d.Events {
				line += " " + ev.Event + "@" + nhi.Date(ev.EffectiveOn)
			}
			history = append(history, line)
		}
		want := []string{
			"certificate lost invalidated invalidated@2026-12-01",
			"notice new returned returned@2026-11-10",
			"certificate new replaced replaced@2026-11-25",
			"card history expired",
		}
		if diff := cmp.Diff(want, history); diff != "" {
			t.Errorf("the issuance history (-want +got):\n%s", diff)
		}
		if n := testutil.CountEvents(t, db, `action = 'nhi.document.issue' AND outcome = 'ok' AND subject_id = '800001'`); n != 4 {
			t.Errorf("%d issues recorded, want 4", n)
		}
		if n := testutil.CountEvents(t, db, `action = 'nhi.document.issue' AND outcome <> 'ok'`); n != 13 {
			t.Errorf("%d refused issues recorded, want 13", n)
		}
	})
}

// R-NHI-2: two clerks issuing a new 資格確認書 to one person at the same
// moment: one is issued, the other refused, never two in force at once.
func TestDocumentsAtOnce(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		for i := range 5 {
			code := "81000" + itoa(int64(i))
			f.person(t, shinjuku, code, "ドウジ", "1980-01-01")
			f.newHousehold(t, code, code, "2024-04-01", "81"+itoa(int64(i)))
			results := make(chan error, 2)
			for range 2 {
				go func() {
					_, err := f.nhi.IssueDocument(testutil.As("clerk"), shinjuku, nhi.DocumentInput{ResidentCode: code, Kind: nhi.DocCertificate,
						IssuedOn: "2026-11-01", ValidUntil: "2027-11-01", Delivery: nhi.DeliveryMail, Reason: nhi.IssueNew})
					results <- err
				}()
			}
			got := []string{fields(<-results), fields(<-results)}
			if !cmp.Equal(got, []string{"ok", "kind"}) && !cmp.Equal(got, []string{"kind", "ok"}) {
				t.Errorf("%s: two issues at once: %v", code, got)
			}
		}
	})
}
