package pubmed_test

import (
	"strings"
	"testing"

	"bango/internal/pubmed"
	"bango/internal/store"
	"bango/internal/testutil"
)

// R-PUB-1: recipients decided elsewhere load set-based as approved
// applications with certificates whose caps follow from the table in
// force and record their basis; a row with a disease outside the master
// list, a person who does not exist or one already holding a certificate
// of the programme refuses the whole load naming its line and field,
// nothing written.
func TestLoadRecipients(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := testutil.As("setup")
		from := date(2026, 4, 1)
		good := []pubmed.Recipient{
			{ResidentCode: "700001", Programme: pubmed.Nanbyo, DiseaseCode: "6", Category: pubmed.General1, Institution: "新宿中央病院", HealthCentre: "新宿区保健所", From: from},
			{ResidentCode: "700002", Programme: pubmed.Nanbyo, DiseaseCode: "6", Category: pubmed.Upper, Flags: []string{pubmed.FlagHighLong}, Institution: "新宿中央病院", HealthCentre: "新宿区保健所", From: from},
		}
		bad := append([]pubmed.Recipient{}, good...)
		bad = append(bad, pubmed.Recipient{ResidentCode: "700003", Programme: pubmed.Nanbyo, DiseaseCode: "99999", Category: pubmed.General1, Institution: "x", HealthCentre: "y", From: from})
		if _, err := f.pub.LoadRecipients(ctx, shinjuku, bad); fieldsOf(err) != "recipients[3].disease_code" {
			t.Errorf("a disease outside the master list: %v", err)
		}
		bad[2] = pubmed.Recipient{ResidentCode: "799999", Programme: pubmed.Nanbyo, DiseaseCode: "6", Category: pubmed.General1, Institution: "x", HealthCentre: "y", From: from}
		if _, err := f.pub.LoadRecipients(ctx, shinjuku, bad); fieldsOf(err) != "recipients[3].resident_code" {
			t.Errorf("a person who does not exist: %v", err)
		}
		if n := rows(t, db); n != 0 {
			t.Fatalf("refused loads wrote %d rows", n)
		}
		n, err := f.pub.LoadRecipients(ctx, shinjuku, good)
		if err != nil || n != 2 {
			t.Fatalf("load: %d %v", n, err)
		}
		certs, err := f.pub.Certificates(ctx, shinjuku, "700002")
		if err != nil || len(certs) != 1 {
			t.Fatalf("certificates: %+v %v", certs, err)
		}
		c := certs[0]
		if c.CapYen != 20000 || c.Basis.TableVersion != "caps-2015-01" || c.Number != "10000002" || pubmed.Date(c.ValidUntil) != "2027-03-31" {
			t.Errorf("a loaded certificate: %+v", c)
		}
		if _, err := f.pub.LoadRecipients(ctx, shinjuku, good[:1]); !strings.Contains(fieldsOf(err), "recipients[1].resident_code") {
			t.Errorf("a person who holds a certificate of the programme already: %v", err)
		}
		// A decision afterwards numbers on from the loaded ones.
		app := f.apply(t, newApplication("700003"))
		d, err := f.decide(t, app.ID, pubmed.DecisionInput{Outcome: pubmed.Approve})
		if err != nil || d.Certificate.Number != "10000003" {
			t.Errorf("the next decision's number: %+v %v", d.Certificate, err)
		}
	})
}

// R-PUB-1: the renewal list names the certificates in force whose last
// day falls within the window, nearest first, leaving out those renewed
// or with a renewal awaiting its decision, by health centre; a wrong
// window is refused naming its field.
func TestRenewalList(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := testutil.As("clerk")
		// today is 2026-12-02: 700001's certificate ends 2027-01-31,
		// 700002's 2027-03-31, 700003's 2027-11-30.
		rs := []pubmed.Recipient{
			{ResidentCode: "700001", Programme: pubmed.Nanbyo, DiseaseCode: "6", Category: pubmed.General1, Institution: "a", HealthCentre: "新宿区保健所", From: date(2026, 2, 1)},
			{ResidentCode: "700002", Programme: pubmed.Nanbyo, DiseaseCode: "6", Category: pubmed.General1, Institution: "a", HealthCentre: "四谷保健センター", From: date(2026, 4, 1)},
			{ResidentCode: "700003", Programme: pubmed.Nanbyo, DiseaseCode: "6", Category: pubmed.General1, Institution: "a", HealthCentre: "新宿区保健所", From: date(2026, 12, 1)},
		}
		if _, err := f.pub.LoadRecipients(ctx, shinjuku, rs); err != nil {
			t.Fatal(err)
		}
		codes := func(l pubmed.RenewalList) string {
			var out []string
			for _, c := range l.Certificates {
				out = append(out, c.ResidentCode)
			}
			return strings.Join(out, ",")
		}
		l, err := f.pub.Renewals(ctx, shinjuku, "", "")
		if err != nil || codes(l) != "700001" || l.Total != 1 {
			t.Errorf("within 90 days: %q total %d %v", codes(l), l.Total, err)
		}
		if l, err = f.pub.Renewals(ctx, shinjuku, "", "120"); err != nil || codes(l) != "700001,700002" {
			t.Errorf("within 120 days: %q %v", codes(l), err)
		}
		if l, err = f.pub.Renewals(ctx, shinjuku, "四谷保健センター", "120"); err != nil || codes(l) != "700002" {
			t.Errorf("one health centre: %q %v", codes(l), err)
		}
		// A renewal awaiting its decision takes 700001 off the list.
		certs, _ := f.pub.Certificates(ctx, shinjuku, "700001")
		in := newApplication("700001")
		in.Kind, in.Certificate = pubmed.AppRenewal, certs[0].ID
		f.apply(t, in)
		if l, err = f.pub.Renewals(ctx, shinjuku, "", "120"); err != nil || codes(l) != "700002" {
			t.Errorf("after 700001's renewal was received: %q %v", codes(l), err)
		}
		for _, bad := range []string{"0", "400", "x"} {
			if _, err := f.pub.Renewals(ctx, shinjuku, "", bad); fieldsOf(err) != "days" {
				t.Errorf("days %q: %v", bad, err)
			}
		}
	})
}
