package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"bango/internal/jpki"
	"bango/internal/jpki/standin"
)

// R-JPKI-1, R-LNK-3: `bango jpki-standin-ca` makes its CA in its folder
// and serves the boundary over mutual TLS; bango configured with the
// printed anchor, client certificate and key issues a signature
// certificate carrying the items sent, which chains to that anchor; the
// CA's renewal list and revocation answer through the same boundary.
func TestJPKIStandinCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ca")
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	out, w := io.Pipe()
	ended := make(chan error, 1)
	go func() {
		ended <- runJPKIStandin(ctx, []string{"--dir", dir, "--listen", "127.0.0.1:0"}, w, io.Discard)
		w.Close()
	}()
	var url string
	lines := bufio.NewScanner(out)
	for url == "" && lines.Scan() {
		if rest, ok := strings.CutPrefix(lines.Text(), "stand-in JPKI CA on "); ok {
			url = strings.Fields(rest)[0]
		}
	}
	if url == "" {
		t.Fatalf("no address printed: %v", <-ended)
	}
	go io.Copy(io.Discard, out)
	f := standin.FilesIn(dir)
	cfg, err := jpki.LoadClientConfig(url, f.Root, f.Client, f.ClientKey, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c, err := jpki.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{}, key)
	if err != nil {
		t.Fatal(err)
	}
	csr, err := jpki.ParseRequest(der, c.Policy(), "csr_signature")
	if err != nil {
		t.Fatal(err)
	}
	items := jpki.Items{Name: "試験　花子", Address: "東京都新宿区西新宿二丁目8番1号", BirthDate: "1985-07-14", Sex: "2"}
	got, err := c.Issue(ctx, jpki.IssueRequest{RequestID: "r1", Municipality: "131041", Resident: "000000000101", Kind: jpki.Signature,
		Applicant: &items, ApplicationDate: time.Now().Format(time.DateOnly), CSR: der}, csr)
	if err != nil {
		t.Fatal(err)
	}
	if err := jpki.CheckCertificate(got.Certificate, jpki.Signature, &items); err != nil {
		t.Error(err)
	}
	serial := got.Certificate.SerialNumber.Text(16)
	list, err := c.Expiring(ctx, jpki.ExpiringRequest{RequestID: "r2", Municipality: "131041", Before: time.Now().AddDate(6, 0, 0).Format(time.DateOnly)})
	if err != nil || len(list.Certificates) != 1 || list.Certificates[0].Serial != serial {
		t.Errorf("expiring: %+v, %v", list, err)
	}
	moved := items
	moved.Address = "東京都新宿区西早稲田一丁目6番1号"
	rv, err := c.ItemsChanged(ctx, jpki.ItemsChangedRequest{RequestID: "r3", Municipality: "131041",
		Residents: []jpki.ResidentItems{{Resident: "000000000101", Items: moved}}})
	if err != nil || len(rv.Revoked) != 1 || rv.Revoked[0].Serial != serial {
		t.Errorf("items changed: %+v, %v", rv, err)
	}
	stop()
	if err := <-ended; err != nil {
		t.Errorf("the command ended with %v", err)
	}
}
