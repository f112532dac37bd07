package tlsca

import (
	"crypto/tls"
	"os"
	"strings"
	"testing"
	"time"
)

// R-LNK-3: a partner's client certificate verifies against the partners'
// CA and names its tenant and partner; the server CA's own certificate
// and a certificate of another partners' CA do not; the CA kept offline
// still verifies but cannot issue.
func TestPartnerCA(t *testing.T) {
	dir := t.TempDir()
	ca, err := EnsurePartnerCA(dir)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	is, err := ca.Issue("131041", "aggregation", now)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(is.CertPEM, is.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	tenant, partner, err := ca.PartnerOf(pair.Leaf, now)
	if err != nil || tenant != "131041" || partner != "aggregation" {
		t.Fatalf("PartnerOf = %q %q %v", tenant, partner, err)
	}
	if is.Fingerprint != Fingerprint(pair.Leaf.Raw) || is.Serial == "" {
		t.Fatalf("issued fingerprint/serial %q %q", is.Fingerprint, is.Serial)
	}
	if _, _, err := ca.PartnerOf(pair.Leaf, is.NotAfter.Add(time.Hour)); err == nil {
		t.Fatal("an expired partner certificate verified")
	}
	// The server CA (terminals' trust) is another CA: its server
	// certificate is no partner.
	srv, err := Ensure(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := ca.PartnerOf(srv.Certificate.Leaf, now); err == nil {
		t.Fatal("the server certificate passed as a partner")
	}
	other, err := EnsurePartnerCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	is2, _ := other.Issue("131041", "aggregation", now)
	leaf2, _ := ParseCertPEM(is2.CertPEM)
	if _, _, err := ca.PartnerOf(leaf2, now); err == nil {
		t.Fatal("a certificate of another CA passed")
	}
	// Loading again keeps the CA; offline key: verify only.
	again, err := EnsurePartnerCA(dir)
	if err != nil || again.Fingerprint != ca.Fingerprint {
		t.Fatalf("reload: %v", err)
	}
	if err := removeFile(ca.Files.CAKey); err != nil {
		t.Fatal(err)
	}
	offline, err := EnsurePartnerCA(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := offline.PartnerOf(pair.Leaf, now); err != nil {
		t.Fatalf("offline CA does not verify: %v", err)
	}
	if _, err := offline.Issue("131041", "x", now); err == nil || !strings.Contains(err.Error(), "not here") {
		t.Fatalf("offline CA issued: %v", err)
	}
	if _, err := ca.Issue("131041", "a,b", now); err == nil {
		t.Fatal("a partner ID with a comma was issued")
	}
}

func removeFile(p string) error { return os.Remove(p) }
