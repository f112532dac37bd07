package tlsca

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

const extraHost = "bango.example.lg.jp"

func ensure(t *testing.T, dir string, hosts ...string) *Result {
	t.Helper()
	res, err := Ensure(dir, hosts)
	if err != nil {
		t.Fatalf("Ensure(%q, %q): %v", dir, hosts, err)
	}
	return res
}

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("%s: no CERTIFICATE block", path)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return cert
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func caPool(t *testing.T, files Files) *x509.CertPool {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(readCert(t, files.CACert))
	return pool
}

func TestEnsureCreatesThenReuses(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	first := ensure(t, dir, extraHost)
	if !first.CACreated || !first.ServerCreated {
		t.Fatalf("first call: CACreated=%v ServerCreated=%v, want both true", first.CACreated, first.ServerCreated)
	}
	if first.Files != FilesIn(dir) {
		t.Errorf("Files = %+v, want %+v", first.Files, FilesIn(dir))
	}

	if runtime.GOOS != "windows" {
		modes := []struct {
			path string
			want fs.FileMode
		}{
			{dir, 0o700},
			{first.Files.CACert, 0o644},
			{first.Files.CAKey, 0o600},
			{first.Files.ServerCert, 0o644},
			{first.Files.ServerKey, 0o600},
		}
		for _, m := range modes {
			fi, err := os.Stat(m.path)
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode().Perm(); got != m.want {
				t.Errorf("%s: mode %04o, want %04o", m.path, got, m.want)
			}
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 4 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("dir holds %q, want exactly the 4 files (no temporaries left)", names)
	}

	second := ensure(t, dir, extraHost)
	if second.CACreated || second.ServerCreated {
		t.Errorf("second call: CACreated=%v ServerCreated=%v, want both false", second.CACreated, second.ServerCreated)
	}
	if second.CAFingerprint != first.CAFingerprint {
		t.Errorf("fingerprint changed: %s -> %s", first.CAFingerprint, second.CAFingerprint)
	}
	if !bytes.Equal(second.Certificate.Certificate[0], first.Certificate.Certificate[0]) {
		t.Error("server certificate changed on second call")
	}
}

func TestCertificateContents(t *testing.T) {
	dir := t.TempDir()
	res := ensure(t, dir, extraHost, "192.0.2.10")
	ca := readCert(t, res.Files.CACert)

	host, _ := os.Hostname()
	if host == "" {
		host = "unknown host"
	}
	if want := "bango local CA (" + host + ")"; ca.Subject.CommonName != want {
		t.Errorf("CA CommonName = %q, want %q", ca.Subject.CommonName, want)
	}
	if !ca.IsCA || !ca.BasicConstraintsValid || ca.MaxPathLen != 0 || !ca.MaxPathLenZero {
		t.Errorf("CA constraints: IsCA=%v valid=%v MaxPathLen=%d zero=%v", ca.IsCA, ca.BasicConstraintsValid, ca.MaxPathLen, ca.MaxPathLenZero)
	}
	if want := x509.KeyUsageCertSign | x509.KeyUsageCRLSign; ca.KeyUsage != want {
		t.Errorf("CA KeyUsage = %v, want %v", ca.KeyUsage, want)
	}
	if len(ca.ExtKeyUsage) != 1 || ca.ExtKeyUsage[0] != x509.ExtKeyUsageServerAuth {
		t.Errorf("CA ExtKeyUsage = %v, want [ServerAuth]: the CA vouches for TLS servers only", ca.ExtKeyUsage)
	}
	if ca.SerialNumber.Sign() <= 0 || ca.SerialNumber.BitLen() > 128 {
		t.Errorf("CA serial %v is not a positive 128-bit number", ca.SerialNumber)
	}

	leaf := res.Certificate.Leaf
	if leaf == nil {
		t.Fatal("Result.Certificate.Leaf is nil")
	}
	if len(res.Certificate.Certificate) != 2 || !bytes.Equal(res.Certificate.Certificate[1], ca.Raw) {
		t.Errorf("chain has %d certificates, want leaf + CA", len(res.Certificate.Certificate))
	}
	if len(leaf.ExtKeyUsage) != 1 || leaf.ExtKeyUsage[0] != x509.ExtKeyUsageServerAuth {
		t.Errorf("server ExtKeyUsage = %v, want [ServerAuth]", leaf.ExtKeyUsage)
	}
	if got, want := strings.Join(leaf.DNSNames, ","), "localhost,"+extraHost; got != want {
		t.Errorf("server DNSNames = %s, want %s", got, want)
	}
	var ips []string
	for _, ip := range leaf.IPAddresses {
		ips = append(ips, ip.String())
	}
	if got, want := strings.Join(ips, ","), "127.0.0.1,::1,192.0.2.10"; got != want {
		t.Errorf("server IPs = %s, want %s", got, want)
	}
	if d := leaf.NotAfter.Sub(time.Now().Add(397 * 24 * time.Hour)); d < -time.Minute || d > time.Minute {
		t.Errorf("server NotAfter = %v, want about 397 days from now", leaf.NotAfter)
	}

	for _, path := range []string{res.Files.CAKey, res.Files.ServerKey} {
		block, _ := pem.Decode(readFile(t, path))
		if block == nil || block.Type != "PRIVATE KEY" {
			t.Errorf("%s: want a PKCS#8 PRIVATE KEY block", path)
			continue
		}
		key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		if ec, ok := key.(*ecdsa.PrivateKey); !ok || ec.Curve != elliptic.P256() {
			t.Errorf("%s: key is %T, want ECDSA P-256", path, key)
		}
	}
}

func TestServerCertVerifies(t *testing.T) {
	dir := t.TempDir()
	res := ensure(t, dir, extraHost)
	pool := caPool(t, res.Files)

	tests := []struct {
		name string
		ok   bool
	}{
		{"localhost", true},
		{"127.0.0.1", true},
		{"::1", true},
		{extraHost, true},
		{"other.example.lg.jp", false},
		{"192.0.2.99", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := res.Certificate.Leaf.Verify(x509.VerifyOptions{
				DNSName:   tt.name,
				Roots:     pool,
				KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
			})
			if (err == nil) != tt.ok {
				t.Errorf("Verify(%s) error = %v, want ok=%v", tt.name, err, tt.ok)
			}
		})
	}
}

// TestReissue checks every reason to make a new server certificate, and that
// none of them touches the CA that terminals already trust. (A new host the
// CA does not cover is TestHostnamesOutsideCA.)
func TestReissue(t *testing.T) {
	tests := []struct {
		name  string
		hosts []string // hosts for the second Ensure call
		spoil func(t *testing.T, files Files)
	}{
		{
			name:  "expires within 30 days",
			hosts: []string{extraHost},
			spoil: func(t *testing.T, files Files) {
				ca, caKey, err := loadCA(files)
				if err != nil {
					t.Fatal(err)
				}
				dnsNames, ips, err := splitHosts([]string{extraHost})
				if err != nil {
					t.Fatal(err)
				}
				now := time.Now()
				leaf, key, err := issueServer(ca, caKey, dnsNames, ips, now.Add(-time.Hour), now.Add(29*24*time.Hour))
				if err != nil {
					t.Fatal(err)
				}
				keyPEM, err := encodeKey(key)
				if err != nil {
					t.Fatal(err)
				}
				writeTestFile(t, files.ServerKey, keyPEM, 0o600)
				writeTestFile(t, files.ServerCert, encodeCert(leaf.Raw), 0o644)
			},
		},
		{
			name:  "signed by another CA",
			hosts: []string{extraHost},
			spoil: func(t *testing.T, files Files) {
				other := ensure(t, t.TempDir(), extraHost)
				writeTestFile(t, files.ServerCert, readFile(t, other.Files.ServerCert), 0o644)
				writeTestFile(t, files.ServerKey, readFile(t, other.Files.ServerKey), 0o600)
			},
		},
		{
			name:  "server cert missing",
			hosts: []string{extraHost},
			spoil: func(t *testing.T, files Files) {
				if err := os.Remove(files.ServerCert); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name:  "server key missing",
			hosts: []string{extraHost},
			spoil: func(t *testing.T, files Files) {
				if err := os.Remove(files.ServerKey); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name:  "server key does not match",
			hosts: []string{extraHost},
			spoil: func(t *testing.T, files Files) {
				key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
				if err != nil {
					t.Fatal(err)
				}
				keyPEM, err := encodeKey(key)
				if err != nil {
					t.Fatal(err)
				}
				writeTestFile(t, files.ServerKey, keyPEM, 0o600)
			},
		},
		{
			name:  "server cert corrupt",
			hosts: []string{extraHost},
			spoil: func(t *testing.T, files Files) {
				writeTestFile(t, files.ServerCert, []byte("not a certificate\n"), 0o644)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			first := ensure(t, dir, extraHost)
			caBefore := readFile(t, first.Files.CACert)
			caKeyBefore := readFile(t, first.Files.CAKey)
			if tt.spoil != nil {
				tt.spoil(t, first.Files)
			}

			second := ensure(t, dir, tt.hosts...)
			if second.CACreated || !second.ServerCreated {
				t.Errorf("CACreated=%v ServerCreated=%v, want false, true", second.CACreated, second.ServerCreated)
			}
			if second.CAFingerprint != first.CAFingerprint {
				t.Errorf("CA fingerprint changed: %s -> %s", first.CAFingerprint, second.CAFingerprint)
			}
			if !bytes.Equal(readFile(t, first.Files.CACert), caBefore) || !bytes.Equal(readFile(t, first.Files.CAKey), caKeyBefore) {
				t.Error("CA files were rewritten")
			}
			pool := caPool(t, second.Files)
			for _, h := range append([]string{"localhost", "127.0.0.1"}, tt.hosts...) {
				if _, err := second.Certificate.Leaf.Verify(x509.VerifyOptions{DNSName: h, Roots: pool}); err != nil {
					t.Errorf("new server cert does not verify for %s: %v", h, err)
				}
			}
			if !bytes.Equal(readCert(t, second.Files.ServerCert).Raw, second.Certificate.Leaf.Raw) {
				t.Error("server.crt on disk differs from the returned certificate")
			}

			third := ensure(t, dir, tt.hosts...)
			if third.ServerCreated {
				t.Error("re-issued certificate was not reused by the next call")
			}
		})
	}
}

func writeTestFile(t *testing.T, path string, data []byte, mode fs.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, data, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func TestTLSHandshake(t *testing.T) {
	dir := t.TempDir()
	res := ensure(t, dir, extraHost)

	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "bango ok")
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{res.Certificate}}
	srv.StartTLS()
	defer srv.Close()

	tests := []struct {
		serverName string // "" uses the URL's host, 127.0.0.1
		ok         bool
	}{
		{"", true},
		{"localhost", true},
		{extraHost, true},
		{"other.example.lg.jp", false},
	}
	for _, tt := range tests {
		t.Run("name="+tt.serverName, func(t *testing.T) {
			// Trust only the CA: srv.Client() would trust the leaf directly
			// and prove nothing about the chain.
			client := &http.Client{Transport: &http.Transport{
				TLSClientConfig: &tls.Config{RootCAs: caPool(t, res.Files), ServerName: tt.serverName},
			}}
			defer client.CloseIdleConnections()
			resp, err := client.Get(srv.URL)
			if !tt.ok {
				if err == nil {
					resp.Body.Close()
					t.Fatal("GET succeeded for a name the certificate does not cover")
				}
				return
			}
			if err != nil {
				t.Fatalf("GET %s: %v", srv.URL, err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusOK || string(body) != "bango ok" {
				t.Errorf("got %d %q, want 200 \"bango ok\"", resp.StatusCode, body)
			}
		})
	}
}

func TestKeyFileTooOpen(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix permission bits are not meaningful on Windows")
	}
	tests := []struct {
		file string
		mode fs.FileMode
	}{
		{"ca.key", 0o644},
		{"ca.key", 0o640},
		{"server.key", 0o644},
		{"server.key", 0o604},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s_%04o", tt.file, tt.mode), func(t *testing.T) {
			dir := t.TempDir()
			ensure(t, dir)
			path := filepath.Join(dir, tt.file)
			if err := os.Chmod(path, tt.mode); err != nil {
				t.Fatal(err)
			}
			_, err := Ensure(dir, nil)
			if err == nil {
				t.Fatalf("Ensure succeeded with %s at mode %04o", path, tt.mode)
			}
			if msg := err.Error(); !strings.Contains(msg, path) || !strings.Contains(msg, fmt.Sprintf("%04o", tt.mode)) {
				t.Errorf("error %q does not name %s and mode %04o", msg, path, tt.mode)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != tt.mode {
				t.Errorf("mode of %s silently changed to %04o", path, fi.Mode().Perm())
			}
		})
	}
}

// TestHalfCA: a CA with one file missing must not be replaced, since a new
// CA would break every terminal that trusts the old one. (A CA certificate
// without its key is a key kept offline: TestCAKeyOffline.)
func TestHalfCA(t *testing.T) {
	tests := []struct {
		remove, keep string
		spoil        string // also removed, so that the CA key would be needed
	}{
		{"ca.key", "ca.crt", "server.crt"},
		{"ca.crt", "ca.key", ""},
	}
	for _, tt := range tests {
		t.Run("without "+tt.remove, func(t *testing.T) {
			dir := t.TempDir()
			ensure(t, dir)
			kept := readFile(t, filepath.Join(dir, tt.keep))
			if err := os.Remove(filepath.Join(dir, tt.remove)); err != nil {
				t.Fatal(err)
			}
			if tt.spoil != "" {
				if err := os.Remove(filepath.Join(dir, tt.spoil)); err != nil {
					t.Fatal(err)
				}
			}
			_, err := Ensure(dir, nil)
			if err == nil {
				t.Fatal("Ensure succeeded with half a CA")
			}
			if !strings.Contains(err.Error(), filepath.Join(dir, tt.remove)) {
				t.Errorf("error %q does not name the missing file", err)
			}
			if !bytes.Equal(readFile(t, filepath.Join(dir, tt.keep)), kept) {
				t.Errorf("%s was rewritten", tt.keep)
			}
			if _, err := os.Stat(filepath.Join(dir, tt.remove)); err == nil {
				t.Errorf("%s was recreated", tt.remove)
			}
		})
	}
}

func TestBadHosts(t *testing.T) {
	tests := []struct {
		host string
		ok   bool
	}{
		{"bango.example.lg.jp", true},
		{"BANGO.example.lg.jp.", true},
		{"[::1]", true},
		{"  ", true},
		{"bango.example.lg.jp:8443", false},
		{"https://bango.example.lg.jp", false},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			_, err := Ensure(t.TempDir(), []string{tt.host})
			if (err == nil) != tt.ok {
				t.Errorf("Ensure(%q) error = %v, want ok=%v", tt.host, err, tt.ok)
			}
		})
	}
}

func TestFingerprint(t *testing.T) {
	dir := t.TempDir()
	res := ensure(t, dir)
	caDER := readCert(t, res.Files.CACert).Raw

	// Independent formatting: one "%02X" per byte of the digest.
	independent := func(der []byte) string {
		sum := sha256.Sum256(der)
		parts := make([]string, len(sum))
		for i, b := range sum {
			parts[i] = fmt.Sprintf("%02X", b)
		}
		return strings.Join(parts, ":")
	}

	tests := []struct {
		name string
		der  []byte
		want string
	}{
		// sha256 of the empty input, a published test vector.
		{"empty", nil, "E3:B0:C4:42:98:FC:1C:14:9A:FB:F4:C8:99:6F:B9:24:27:AE:41:E4:64:9B:93:4C:A4:95:99:1B:78:52:B8:55"},
		{"CA", caDER, independent(caDER)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Fingerprint(tt.der); got != tt.want {
				t.Errorf("Fingerprint = %s, want %s", got, tt.want)
			}
		})
	}
	if res.CAFingerprint != independent(caDER) {
		t.Errorf("Result.CAFingerprint = %s, want %s", res.CAFingerprint, independent(caDER))
	}
}

// Guard against the serial helper ever producing more than 128 bits.
func TestRandomSerialRange(t *testing.T) {
	limit := new(big.Int).Lsh(big.NewInt(1), 128)
	for range 100 {
		n, err := randomSerial()
		if err != nil {
			t.Fatal(err)
		}
		if n.Sign() < 0 || n.Cmp(limit) >= 0 {
			t.Fatalf("serial %v out of range", n)
		}
	}
}

// R-LNK-3: the CA carries critical name constraints that permit exactly the
// configured names and addresses, with localhost and the loopback addresses.
func TestCANameConstraints(t *testing.T) {
	res := ensure(t, t.TempDir(), extraHost, "192.0.2.10", "2001:db8::10")
	ca := readCert(t, res.Files.CACert)

	if !ca.PermittedDNSDomainsCritical {
		t.Error("name constraints are not marked critical")
	}
	critical := false
	for _, ext := range ca.Extensions {
		if ext.Id.Equal([]int{2, 5, 29, 30}) { // id-ce-nameConstraints
			critical = ext.Critical
		}
	}
	if !critical {
		t.Error("the nameConstraints extension is missing or not critical in the DER")
	}
	if got, want := strings.Join(ca.PermittedDNSDomains, ","), "localhost,"+extraHost; got != want {
		t.Errorf("permitted DNS = %s, want %s", got, want)
	}
	var ranges []string
	for _, r := range ca.PermittedIPRanges {
		ranges = append(ranges, r.String())
	}
	if got, want := strings.Join(ranges, ","), "127.0.0.1/32,::1/128,192.0.2.10/32,2001:db8::10/128"; got != want {
		t.Errorf("permitted IP ranges = %s, want %s", got, want)
	}
	if len(ca.ExcludedDNSDomains)+len(ca.ExcludedIPRanges) != 0 {
		t.Errorf("unexpected exclusions: %v %v", ca.ExcludedDNSDomains, ca.ExcludedIPRanges)
	}
}

// R-LNK-3: a certificate for any other site, even one made with the CA's
// own key, fails verification by crypto/x509 — what a stolen CA key could
// still do to a terminal trusting the CA is limited to the server's names.
func TestForeignNameRefused(t *testing.T) {
	dir := t.TempDir()
	res := ensure(t, dir, extraHost, "192.0.2.10")
	ca, caKey, err := loadCA(res.Files)
	if err != nil {
		t.Fatal(err)
	}
	pool := caPool(t, res.Files)
	now := time.Now()

	tests := []struct {
		name     string
		dnsNames []string
		ips      []string
		verifyAs string
		ok       bool
	}{
		{"own name", []string{extraHost}, nil, extraHost, true},
		{"own address", []string{"localhost"}, []string{"192.0.2.10"}, "192.0.2.10", true},
		// A DNS constraint covers the names under it (RFC 5280); they are
		// the server's own subdomains.
		{"under own name", []string{"www." + extraHost}, nil, "www." + extraHost, true},
		{"other site", []string{"www.example.com"}, nil, "www.example.com", false},
		{"sibling name", []string{"other.example.lg.jp"}, nil, "other.example.lg.jp", false},
		{"parent name", []string{"example.lg.jp"}, nil, "example.lg.jp", false},
		{"name ending like ours", []string{"evil" + extraHost}, nil, "evil" + extraHost, false},
		{"other address", []string{"localhost"}, []string{"192.0.2.11"}, "192.0.2.11", false},
		{"other IPv6 address", []string{"localhost"}, []string{"2001:db8::1"}, "2001:db8::1", false},
		// One foreign name spoils the certificate for its good names too.
		{"own and other site", []string{extraHost, "www.example.com"}, nil, extraHost, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ips []net.IP
			for _, s := range tt.ips {
				ips = append(ips, net.ParseIP(s))
			}
			leaf, _, err := issueServer(ca, caKey, tt.dnsNames, ips, now.Add(-time.Hour), now.Add(24*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			_, err = leaf.Verify(x509.VerifyOptions{DNSName: tt.verifyAs, Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
			if tt.ok {
				if err != nil {
					t.Fatalf("Verify(%s): %v", tt.verifyAs, err)
				}
				return
			}
			var invalid x509.CertificateInvalidError
			if !errors.As(err, &invalid) || invalid.Reason != x509.CANotAuthorizedForThisName {
				t.Fatalf("Verify(%s) error = %v, want CANotAuthorizedForThisName", tt.verifyAs, err)
			}
			// notPermitted, which Ensure uses to refuse such hosts, agrees
			// with crypto/x509.
			if len(notPermitted(ca, tt.dnsNames, ips)) == 0 {
				t.Errorf("notPermitted(%v %v) found nothing, but crypto/x509 refuses", tt.dnsNames, tt.ips)
			}
		})
	}

	// A client certificate (not server auth) is refused too: the CA
	// vouches for TLS servers only.
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), DNSNames: []string{extraHost},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	client, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err == nil {
		t.Error("a client-auth certificate from the CA verified")
	}
}

// R-LNK-3: the CA lives two years, the server certificate at most 397 days
// and never beyond the CA.
func TestLifetimes(t *testing.T) {
	res := ensure(t, t.TempDir(), extraHost)
	ca := readCert(t, res.Files.CACert)
	leaf := res.Certificate.Leaf
	now := time.Now()
	if d := ca.NotAfter.Sub(now.AddDate(2, 0, 0)); d < -time.Minute || d > time.Minute {
		t.Errorf("CA NotAfter = %v, want about 2 years from now", ca.NotAfter)
	}
	if life := leaf.NotAfter.Sub(leaf.NotBefore); life > 397*24*time.Hour+backdate {
		t.Errorf("server certificate lives %v, want at most 397 days", life)
	}
	if leaf.NotAfter.After(ca.NotAfter) {
		t.Errorf("server certificate (until %v) outlives its CA (until %v)", leaf.NotAfter, ca.NotAfter)
	}

	// Near the CA's end, the server certificate is cut to the CA's life and
	// the operator is warned to roll the CA.
	dir := t.TempDir()
	writeCA(t, dir, caTemplate(now.Add(-700*24*time.Hour), now.Add(40*24*time.Hour), []string{"localhost"}))
	res = ensure(t, dir)
	if !res.ServerCreated || !res.Certificate.Leaf.NotAfter.Equal(readCert(t, res.Files.CACert).NotAfter) {
		t.Errorf("server certificate until %v, want cut to the CA's end", res.Certificate.Leaf.NotAfter)
	}
	if !warned(res, "expires on") {
		t.Errorf("no warning about the CA's expiry: %q", res.Warnings)
	}
}

// R-LNK-3: a host name added after the CA was made is outside its
// constraints; bango refuses to start rather than serve a certificate every
// terminal refuses, or replace the CA the terminals trust.
func TestHostnamesOutsideCA(t *testing.T) {
	tests := []struct {
		host, named string
	}{
		{"new.example.lg.jp", "new.example.lg.jp"},
		{"192.0.2.20", "192.0.2.20"},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			dir := t.TempDir()
			first := ensure(t, dir, extraHost)
			before := map[string][]byte{}
			for _, p := range []string{first.Files.CACert, first.Files.CAKey, first.Files.ServerCert, first.Files.ServerKey} {
				before[p] = readFile(t, p)
			}
			_, err := Ensure(dir, []string{extraHost, tt.host})
			if err == nil {
				t.Fatal("Ensure succeeded for a host outside the CA's name constraints")
			}
			for _, want := range []string{tt.named, "hostnames", first.Files.CACert, "new CA"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			for p, data := range before {
				if !bytes.Equal(readFile(t, p), data) {
					t.Errorf("%s was rewritten", p)
				}
			}
			// Going back to the names the CA covers starts as before.
			if res := ensure(t, dir, extraHost); res.ServerCreated || res.CACreated {
				t.Errorf("after reverting: CACreated=%v ServerCreated=%v", res.CACreated, res.ServerCreated)
			}
		})
	}
}

// A CA made by an older bango has no name constraints: it keeps working
// (replacing it would break every terminal), new hosts are still served,
// and the operator is told to roll it.
func TestUnconstrainedCA(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	writeCA(t, dir, caTemplate(now.Add(-time.Hour), now.AddDate(10, 0, 0), nil))
	caBefore := readFile(t, filepath.Join(dir, "ca.crt"))

	res := ensure(t, dir, extraHost, "new.example.lg.jp")
	if res.CACreated || !res.ServerCreated {
		t.Errorf("CACreated=%v ServerCreated=%v, want false, true", res.CACreated, res.ServerCreated)
	}
	if !bytes.Equal(readFile(t, res.Files.CACert), caBefore) {
		t.Error("the old CA was replaced")
	}
	if !warned(res, "no name constraints") || !warned(res, res.Files.CACert) {
		t.Errorf("warnings %q do not say that the CA %s has no name constraints", res.Warnings, res.Files.CACert)
	}
	if _, err := res.Certificate.Leaf.Verify(x509.VerifyOptions{DNSName: "new.example.lg.jp", Roots: caPool(t, res.Files)}); err != nil {
		t.Errorf("server certificate under the old CA: %v", err)
	}

	// A fresh CA draws no warning.
	if res := ensure(t, t.TempDir(), extraHost); len(res.Warnings) != 0 {
		t.Errorf("warnings for a fresh CA: %q", res.Warnings)
	}
}

// The CA key may be kept offline: bango serves the certificate it issued,
// says when the key is needed back, and asks for it when it must sign.
func TestCAKeyOffline(t *testing.T) {
	dir := t.TempDir()
	first := ensure(t, dir, extraHost)
	offline := readFile(t, first.Files.CAKey)
	if err := os.Remove(first.Files.CAKey); err != nil {
		t.Fatal(err)
	}

	res := ensure(t, dir, extraHost)
	if !res.CAKeyOffline || res.ServerCreated || res.CACreated {
		t.Errorf("CAKeyOffline=%v ServerCreated=%v CACreated=%v, want true, false, false", res.CAKeyOffline, res.ServerCreated, res.CACreated)
	}
	if !bytes.Equal(res.Certificate.Leaf.Raw, first.Certificate.Leaf.Raw) {
		t.Error("a different server certificate is served")
	}
	if !warned(res, first.Files.CAKey) || !warned(res, res.Certificate.Leaf.NotAfter.Format(time.DateOnly)) {
		t.Errorf("warnings %q do not name the CA key and the certificate's end", res.Warnings)
	}
	if _, err := os.Stat(first.Files.CAKey); err == nil {
		t.Error("a CA key was recreated")
	}

	// A new certificate is needed: the key must come back.
	if err := os.Remove(first.Files.ServerCert); err != nil {
		t.Fatal(err)
	}
	_, err := Ensure(dir, []string{extraHost})
	if err == nil || !strings.Contains(err.Error(), first.Files.CAKey) || !strings.Contains(err.Error(), "re-issued") {
		t.Fatalf("Ensure without CA key and server certificate: %v, want an error asking for %s", err, first.Files.CAKey)
	}
	writeTestFile(t, first.Files.CAKey, offline, 0o600)
	res = ensure(t, dir, extraHost)
	if !res.ServerCreated || res.CAKeyOffline || res.CAFingerprint != first.CAFingerprint {
		t.Errorf("with the key back: ServerCreated=%v CAKeyOffline=%v fingerprint kept=%v", res.ServerCreated, res.CAKeyOffline, res.CAFingerprint == first.CAFingerprint)
	}
}

func warned(res *Result, substr string) bool {
	return slices.ContainsFunc(res.Warnings, func(w string) bool { return strings.Contains(w, substr) })
}

// caTemplate is a self-signed CA as bango makes it, with the given life and
// DNS constraints (none: as bango made it before it constrained its CA).
func caTemplate(notBefore, notAfter time.Time, dnsNames []string) *x509.Certificate {
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "bango local CA (test)"},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		MaxPathLenZero:        true,
	}
	if dnsNames != nil {
		tmpl.PermittedDNSDomainsCritical = true
		tmpl.PermittedDNSDomains = dnsNames
		tmpl.PermittedIPRanges = ipRanges([]net.IP{net.IPv4(127, 0, 0, 1).To4(), net.IPv6loopback})
	}
	return tmpl
}

// writeCA makes a CA from tmpl in dir, as if an earlier start had.
func writeCA(t *testing.T, dir string, tmpl *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err := encodeKey(key)
	if err != nil {
		t.Fatal(err)
	}
	writeTestFile(t, filepath.Join(dir, "ca.key"), keyPEM, 0o600)
	writeTestFile(t, filepath.Join(dir, "ca.crt"), encodeCert(der), 0o644)
}
