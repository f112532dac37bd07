package tlsca

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
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
	if d := ca.NotAfter.Sub(time.Now().AddDate(10, 0, 0)); d < -time.Minute || d > time.Minute {
		t.Errorf("CA NotAfter = %v, want about 10 years from now", ca.NotAfter)
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
// none of them touches the CA that terminals already trust.
func TestReissue(t *testing.T) {
	tests := []struct {
		name  string
		hosts []string // hosts for the second Ensure call
		spoil func(t *testing.T, files Files)
	}{
		{
			name:  "new host",
			hosts: []string{extraHost, "new.example.lg.jp"},
		},
		{
			name:  "new IP",
			hosts: []string{extraHost, "192.0.2.20"},
		},
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
// CA would break every terminal that trusts the old one.
func TestHalfCA(t *testing.T) {
	tests := []struct {
		remove, keep string
	}{
		{"ca.key", "ca.crt"},
		{"ca.crt", "ca.key"},
	}
	for _, tt := range tests {
		t.Run("without "+tt.remove, func(t *testing.T) {
			dir := t.TempDir()
			ensure(t, dir)
			kept := readFile(t, filepath.Join(dir, tt.keep))
			if err := os.Remove(filepath.Join(dir, tt.remove)); err != nil {
				t.Fatal(err)
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
