package linkage_test

import (
	"bytes"
	"crypto/tls"
	"os"
	"testing"
	"time"

	"bango/internal/errs"
	"bango/internal/linkage"
	"bango/internal/store"
	"bango/internal/testutil"
	"bango/internal/tlsca"
)

// R-LNK-3: a partner's certificate is issued by the partners' CA and only
// its serial and fingerprint are kept; the certificate stands for its
// partner until revoked, and not at all for another partner or
// municipality; revoking ends it at the next look-up.
func TestPartnerCertificates(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.partner(t, shinjuku, false)
		ca, err := tlsca.EnsurePartnerCA(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		admin := testutil.As("cli:is-admin")
		if _, err := f.linkage.IssueCertificate(admin, shinjuku, "no-such-partner", ca); !errs.Is(err, errs.NotFound) {
			t.Fatalf("a certificate for a partner not configured: %v", err)
		}
		is, err := f.linkage.IssueCertificate(admin, shinjuku, partner, ca)
		if err != nil {
			t.Fatal(err)
		}
		pair, err := tls.X509KeyPair(is.CertPEM, is.KeyPEM)
		if err != nil {
			t.Fatal(err)
		}
		tenant, id, err := ca.PartnerOf(pair.Leaf, time.Now())
		if err != nil || tenant != shinjuku || id != partner {
			t.Fatalf("certificate names %s/%s: %v", tenant, id, err)
		}
		p, err := f.linkage.PartnerByCertificate(admin, shinjuku, partner, is.Fingerprint)
		if err != nil || p.ID != partner || p.Direction != linkage.Inbound {
			t.Fatalf("partner by certificate: %+v %v", p, err)
		}
		// Named as another partner or in another municipality: nobody.
		if _, err := f.linkage.PartnerByCertificate(admin, shinjuku, "aggregation", is.Fingerprint); !errs.Is(err, errs.Unauthenticated) {
			t.Fatalf("another partner: %v", err)
		}
		if _, err := f.linkage.PartnerByCertificate(admin, sapporo, partner, is.Fingerprint); !errs.Is(err, errs.Unauthenticated) {
			t.Fatalf("another municipality: %v", err)
		}
		certs, err := f.linkage.Certificates(admin, shinjuku, partner)
		if err != nil || len(certs) != 1 || certs[0].Serial != is.Serial || certs[0].RevokedAt != nil {
			t.Fatalf("certificates %+v %v", certs, err)
		}
		if n, err := f.linkage.RevokeCertificates(admin, shinjuku, partner, ""); err != nil || n != 1 {
			t.Fatalf("revoke: %d %v", n, err)
		}
		if _, err := f.linkage.PartnerByCertificate(admin, shinjuku, partner, is.Fingerprint); !errs.Is(err, errs.Unauthenticated) {
			t.Fatalf("a revoked certificate still admits: %v", err)
		}
		if _, err := f.linkage.RevokeCertificates(admin, shinjuku, partner, ""); !errs.Is(err, errs.NotFound) {
			t.Fatalf("revoking again: %v", err)
		}
		if got := outcomes(t, db, "linkage.partner.certificate"); got != "denied,ok" {
			t.Errorf("certificate events %s", got)
		}
		if got := outcomes(t, db, "linkage.partner.revoke"); got != "ok,denied" {
			t.Errorf("revoke events %s", got)
		}
	})
}

// R-LNK-1, R-ACC-5: a pushed file is imported through the sealed spool,
// which is gone when the import ends, whether the file was applied or
// rejected; a push of a layout the partner may not send is refused
// before anything is written.
func TestReceiveLeavesNothing(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.partner(t, shinjuku, false)
		spool := t.TempDir()
		t.Setenv("TMPDIR", spool)
		p, err := f.linkage.Partners(testutil.As("x"), shinjuku)
		if err != nil || len(p) != 1 {
			t.Fatal(p, err)
		}
		ctx := testutil.As("partner:" + shinjuku + "/" + partner)
		good := differences(t, shinjuku, newcomers(1, 20))
		job, _, err := f.linkage.Receive(ctx, p[0], layout, "IDO.DAT", bytes.NewReader(good))
		if err != nil || job.Outcome != linkage.Applied || job.Applied != 20 {
			t.Fatalf("push: %+v %v", job, err)
		}
		bad := bytes.Clone(good)
		bad[len(bad)-5] = 'X' // the trailer's count
		if _, _, err := f.linkage.Receive(ctx, p[0], layout, "IDO2.DAT", bytes.NewReader(bad)); !errs.Is(err, errs.Invalid) {
			t.Fatalf("a bad file: %v", err)
		}
		if _, _, err := f.linkage.Receive(ctx, p[0], "nhi-eligibility-continuity", "X.DAT", bytes.NewReader(good)); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("a layout not routed: %v", err)
		}
		left, _ := os.ReadDir(spool)
		if len(left) != 0 {
			t.Fatalf("the spool keeps %d files", len(left))
		}
		if got := outcomes(t, db, "linkage.purge"); got != "ok,ok" {
			t.Errorf("purge events %s", got)
		}
	})
}

// R-LNK-1, R-LNK-2: a pulled file stays in staging until the partner
// acknowledges it by its SHA-256 — a transfer cut short is handed again,
// the same file — then it is purged and the next pull is a new file; an
// inbound partner pulls nothing.
func TestPullUntilAcknowledged(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.partner(t, shinjuku, false)
		agg, err := f.linkage.AddPartner(testutil.As("is-admin"), linkage.Partner{Tenant: shinjuku, ID: "aggregation",
			Direction: linkage.Outbound, Layouts: []string{"nhi-eligibility-continuity"}})
		if err != nil {
			t.Fatal(err)
		}
		ctx := testutil.As("partner:" + shinjuku + "/aggregation")
		first, err := f.linkage.Pull(ctx, agg, "nhi-eligibility-continuity", "138016", f.nhi)
		if err != nil || len(first.Data) == 0 || first.Job.Outcome != linkage.Exported {
			t.Fatalf("pull: %+v %v", first.Job, err)
		}
		again, err := f.linkage.Pull(ctx, agg, "nhi-eligibility-continuity", "138016", f.nhi)
		if err != nil || again.Job.ID != first.Job.ID || !bytes.Equal(again.Data, first.Data) {
			t.Fatalf("a file not acknowledged is not handed again: %+v %v", again.Job, err)
		}
		if err := f.linkage.Acknowledge(ctx, agg, first.Job.ID, "00"); !errs.Is(err, errs.Conflict) {
			t.Fatalf("a wrong SHA-256 acknowledged: %v", err)
		}
		if err := f.linkage.Acknowledge(ctx, agg, first.Job.ID, first.Job.SHA256); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, "linkage_staging"); n != 0 {
			t.Fatalf("staging keeps %d rows after the acknowledgement", n)
		}
		next, err := f.linkage.Pull(ctx, agg, "nhi-eligibility-continuity", "138016", f.nhi)
		if err != nil || next.Job.ID == first.Job.ID {
			t.Fatalf("next pull: %+v %v", next.Job, err)
		}
		inbound, _ := f.linkage.Partners(testutil.As("x"), shinjuku)
		for _, p := range inbound {
			if p.ID == partner {
				if _, err := f.linkage.Pull(ctx, p, "nhi-eligibility-continuity", "138016", f.nhi); !errs.Is(err, errs.Forbidden) {
					t.Fatalf("an inbound partner pulled: %v", err)
				}
			}
		}
		if got := outcomes(t, db, "linkage.pull"); got != "ok,ok,ok,denied" {
			t.Errorf("pull events %s", got)
		}
	})
}
