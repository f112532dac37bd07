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
		d, err := f.pub.Decide(ctx, shinjuku, app.ID, pubmed.DecisionInput{Outcome: pubmed.Approve})
		if err != nil || d.Certificate.Number != "10000003" {
			t.Errorf("the next decision's number: %+v %v", d.Certificate, err)
		}
	})
}
