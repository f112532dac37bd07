package agent

import (
	"bytes"
	"crypto/rand"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"bango/internal/tlsca"
)

// R-LNK-1: what the agent keeps on disk in transfer is sealed: it opens
// only with the key and whole — a file cut at a chunk boundary or with a
// byte changed does not open, and the plaintext appears nowhere in it.
func TestSealedSpool(t *testing.T) {
	key := make([]byte, 32)
	rand.Read(key)
	for _, n := range []int{0, 1, sealChunk - 1, sealChunk, sealChunk + 1, 3*sealChunk + 17} {
		plain := bytes.Repeat([]byte("ﾀｶﾊｼ ｲﾁﾛｳ 131041 "), n/20+1)[:n]
		var sealed bytes.Buffer
		if err := sealStream(key, &sealed, bytes.NewReader(plain)); err != nil {
			t.Fatal(err)
		}
		if n > 20 && bytes.Contains(sealed.Bytes(), plain[:20]) {
			t.Fatalf("%d bytes: plaintext in the sealed file", n)
		}
		var opened bytes.Buffer
		if err := openStream(key, &opened, bytes.NewReader(sealed.Bytes())); err != nil || !bytes.Equal(opened.Bytes(), plain) {
			t.Fatalf("%d bytes: round trip %v", n, err)
		}
		if n > sealChunk {
			cut := sealed.Bytes()[:12+4+sealChunk+16] // the first chunk alone
			if err := openStream(key, &bytes.Buffer{}, bytes.NewReader(cut)); err == nil {
				t.Fatalf("%d bytes: a file cut after its first chunk opened", n)
			}
		}
		bad := bytes.Clone(sealed.Bytes())
		bad[len(bad)-1] ^= 1
		if err := openStream(key, &bytes.Buffer{}, bytes.NewReader(bad)); err == nil {
			t.Fatalf("%d bytes: a changed byte opened", n)
		}
		other := make([]byte, 32)
		rand.Read(other)
		if err := openStream(other, &bytes.Buffer{}, bytes.NewReader(sealed.Bytes())); err == nil {
			t.Fatalf("%d bytes: opened with another key", n)
		}
	}
}

// R-LNK-4: the agent dials its server and no other address.
func TestAgentDialsOnlyItsServer(t *testing.T) {
	dir := t.TempDir()
	ca, err := tlsca.EnsurePartnerCA(filepath.Join(dir, "pki"))
	if err != nil {
		t.Fatal(err)
	}
	is, err := ca.Issue("131041", "resident-records", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a, err := New(Config{Server: "https://127.0.0.1:9", ServerCA: write("ca.crt", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw})),
		Cert: write("p.crt", is.CertPEM), Key: write("p.key", is.KeyPEM), Spool: filepath.Join(dir, "spool")})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"https://127.0.0.2:9/", "https://192.0.2.1/", "https://localhost:9/"} {
		_, err := a.client.Get(u)
		if err == nil || !strings.Contains(err.Error(), "the only address the agent dials") {
			t.Errorf("%s: %v", u, err)
		}
	}
}
