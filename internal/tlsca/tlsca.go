// Package tlsca keeps the local certificate authority and server certificate
// that bango serves HTTPS with when no certificate has been configured.
//
// Internal host names cannot get a certificate from a public CA, so on first
// start bango makes its own CA in its data folder. The IS department installs
// that CA once on each terminal, checking it against the fingerprint bango
// prints. Terminals trust only the CA, so the server certificate can be
// re-issued (new host names, renewal) without touching the terminals again;
// that is why the CA is never replaced automatically.
package tlsca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

const (
	caYears = 10
	// 397 days stays under the 398-day ceiling browsers put on server
	// certificates, so no client policy rejects it as too long-lived.
	serverLifetime = 397 * 24 * time.Hour
	// Renewing a month early leaves time to notice a failed renewal before
	// terminals start refusing the connection.
	renewBefore = 30 * 24 * time.Hour
	// Back-dating tolerates terminals whose clocks run a little behind the
	// server's; otherwise a fresh certificate would look "not yet valid".
	backdate = time.Hour

	keyMode  fs.FileMode = 0o600
	certMode fs.FileMode = 0o644
	dirMode  fs.FileMode = 0o700
)

// Files holds the paths of the files kept in a data folder.
type Files struct{ CACert, CAKey, ServerCert, ServerKey string }

// FilesIn returns the paths Ensure uses inside dir.
func FilesIn(dir string) Files {
	return Files{
		CACert:     filepath.Join(dir, "ca.crt"),
		CAKey:      filepath.Join(dir, "ca.key"),
		ServerCert: filepath.Join(dir, "server.crt"),
		ServerKey:  filepath.Join(dir, "server.key"),
	}
}

// Result is what Ensure loaded or created.
type Result struct {
	Files Files
	// Certificate is the server chain (leaf + CA) and key, ready for
	// tls.Config.Certificates.
	Certificate tls.Certificate
	// CAFingerprint is Fingerprint of the CA certificate, for the IS
	// department to compare when installing the CA on terminals.
	CAFingerprint string
	// CACreated reports whether this call created the CA; if so, terminals
	// must be given the new CA.
	CACreated bool
	// ServerCreated reports whether this call issued a new server certificate.
	ServerCreated bool
}

// Fingerprint formats the SHA-256 of der as uppercase hex pairs joined by
// ':', the same form as `openssl x509 -fingerprint -sha256`, so it can be
// compared by eye with what the terminal's certificate viewer shows.
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	pairs := make([]string, len(sum))
	for i, b := range sum {
		pairs[i] = strings.ToUpper(hex.EncodeToString([]byte{b}))
	}
	return strings.Join(pairs, ":")
}

// Ensure loads the CA and server certificate from dir, creating what is
// missing (dir is created with mode 0700).
//
// The server certificate is re-issued, keeping the CA, when it is missing or
// unreadable, does not cover every requested host (plus localhost, 127.0.0.1
// and ::1), expires within 30 days, or was not signed by the CA on disk.
//
// A CA that is only half present (certificate without key or the reverse),
// unreadable or expired is an error rather than replaced, because replacing
// it would silently break every terminal that trusts the old one. A key file
// with permissions wider than 0600 is also an error: it may already have
// leaked, and fixing the mode would hide that.
func Ensure(dir string, hosts []string) (*Result, error) {
	if dir == "" {
		return nil, errors.New("tlsca: no data directory given")
	}
	dnsNames, ips, err := splitHosts(hosts)
	if err != nil {
		return nil, err
	}
	files := FilesIn(dir)
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return nil, fmt.Errorf("tlsca: create data directory %s: %w", dir, err)
	}
	for _, p := range []string{files.CAKey, files.ServerKey} {
		if err := checkKeyMode(p); err != nil {
			return nil, err
		}
	}

	now := time.Now()
	res := &Result{Files: files}

	ca, caKey, err := loadCA(files)
	if errors.Is(err, errNoCA) {
		ca, caKey, err = createCA(files, now)
		res.CACreated = true
	}
	if err != nil {
		return nil, err
	}
	if now.After(ca.NotAfter) {
		return nil, fmt.Errorf("tlsca: CA certificate %s expired on %s; remove %s and %s to make a new CA, then install it on the terminals again",
			files.CACert, ca.NotAfter.Format(time.DateOnly), files.CACert, files.CAKey)
	}
	res.CAFingerprint = Fingerprint(ca.Raw)

	cert, ok, err := loadServer(files, ca, dnsNames, ips, now)
	if err != nil {
		return nil, err
	}
	if !ok {
		cert, err = createServer(files, ca, caKey, dnsNames, ips, now)
		if err != nil {
			return nil, err
		}
		res.ServerCreated = true
	}
	res.Certificate = cert
	return res, nil
}

// splitHosts turns the configured hosts into the SANs the server certificate
// must carry. Loopback names are always included so the server can be reached
// from its own machine during setup.
func splitHosts(hosts []string) ([]string, []net.IP, error) {
	dnsNames := []string{"localhost"}
	ips := []net.IP{net.IPv4(127, 0, 0, 1).To4(), net.IPv6loopback}
	for _, h := range hosts {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		// Accept "[::1]" as people copy it from URLs.
		if ip := net.ParseIP(strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")); ip != nil {
			if v4 := ip.To4(); v4 != nil {
				ip = v4
			}
			if !slices.ContainsFunc(ips, ip.Equal) {
				ips = append(ips, ip)
			}
			continue
		}
		name := strings.ToLower(strings.TrimSuffix(h, "."))
		// A colon here is almost always "host:port"; putting that in a SAN
		// would give a certificate no client accepts.
		if name == "" || strings.ContainsAny(name, ":/ \t") {
			return nil, nil, fmt.Errorf("tlsca: host %q is neither an IP address nor a DNS name (give the name without port or scheme)", h)
		}
		if !slices.Contains(dnsNames, name) {
			dnsNames = append(dnsNames, name)
		}
	}
	return dnsNames, ips, nil
}

func checkKeyMode(path string) error {
	// Windows reports only a read-only bit as the mode, so every file would
	// look world-readable there; access is governed by ACLs instead.
	if runtime.GOOS == "windows" {
		return nil
	}
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("tlsca: check permissions of key file %s: %w", path, err)
	}
	if mode := fi.Mode().Perm(); mode&0o077 != 0 {
		return fmt.Errorf("tlsca: key file %s has mode %04o, readable by other users: the key may have leaked; check who could read it, then chmod 600 %s",
			path, mode, path)
	}
	return nil
}

var errNoCA = errors.New("no CA")

// loadCA returns errNoCA only when neither CA file exists, which is the one
// case where making a new CA cannot break terminals that trust an old one.
func loadCA(files Files) (*x509.Certificate, crypto.Signer, error) {
	certPEM, certErr := os.ReadFile(files.CACert)
	keyPEM, keyErr := os.ReadFile(files.CAKey)
	certMissing := errors.Is(certErr, fs.ErrNotExist)
	keyMissing := errors.Is(keyErr, fs.ErrNotExist)
	switch {
	case certMissing && keyMissing:
		return nil, nil, errNoCA
	case certMissing:
		return nil, nil, fmt.Errorf("tlsca: CA key %s exists but CA certificate %s is missing; restore it, or remove %s to make a new CA (terminals must then trust the new one): %w",
			files.CAKey, files.CACert, files.CAKey, certErr)
	case keyMissing:
		return nil, nil, fmt.Errorf("tlsca: CA certificate %s exists but CA key %s is missing; restore it, or remove %s to make a new CA (terminals must then trust the new one): %w",
			files.CACert, files.CAKey, files.CACert, keyErr)
	case certErr != nil:
		return nil, nil, fmt.Errorf("tlsca: read CA certificate %s: %w", files.CACert, certErr)
	case keyErr != nil:
		return nil, nil, fmt.Errorf("tlsca: read CA key %s: %w", files.CAKey, keyErr)
	}

	ca, err := parseCert(certPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("tlsca: CA certificate %s: %w", files.CACert, err)
	}
	if !ca.IsCA || ca.KeyUsage&x509.KeyUsageCertSign == 0 {
		return nil, nil, fmt.Errorf("tlsca: CA certificate %s (%s) is not a CA certificate", files.CACert, ca.Subject)
	}
	key, err := parseKey(keyPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("tlsca: CA key %s: %w", files.CAKey, err)
	}
	if !samePublicKey(ca.PublicKey, key.Public()) {
		return nil, nil, fmt.Errorf("tlsca: CA key %s does not belong to CA certificate %s", files.CAKey, files.CACert)
	}
	return ca, key, nil
}

func createCA(files Files, now time.Time) (*x509.Certificate, crypto.Signer, error) {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown host"
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("tlsca: generate CA key: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		// The host name tells apart the CAs of several bango servers in a
		// terminal's certificate store.
		Subject:               pkix.Name{CommonName: "bango local CA (" + host + ")"},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.AddDate(caYears, 0, 0),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		// MaxPathLen 0 means the CA can sign only end-entity certificates,
		// limiting what a stolen CA key could be used for.
		MaxPathLen:     0,
		MaxPathLenZero: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, nil, fmt.Errorf("tlsca: create CA certificate: %w", err)
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("tlsca: parse new CA certificate: %w", err)
	}
	keyPEM, err := encodeKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("tlsca: encode CA key: %w", err)
	}
	// Key first: a crash in between leaves a key without a certificate,
	// which loadCA reports instead of quietly making a second CA.
	if err := writeFileAtomic(files.CAKey, keyPEM, keyMode); err != nil {
		return nil, nil, fmt.Errorf("tlsca: write CA key: %w", err)
	}
	if err := writeFileAtomic(files.CACert, encodeCert(der), certMode); err != nil {
		return nil, nil, fmt.Errorf("tlsca: write CA certificate: %w", err)
	}
	return ca, key, nil
}

// loadServer returns ok=false when the server certificate should be
// re-issued. Damaged or stale server files are not errors: they hold nothing
// that cannot be made again from the CA.
func loadServer(files Files, ca *x509.Certificate, dnsNames []string, ips []net.IP, now time.Time) (tls.Certificate, bool, error) {
	certPEM, err := os.ReadFile(files.ServerCert)
	if errors.Is(err, fs.ErrNotExist) {
		return tls.Certificate{}, false, nil
	}
	if err != nil {
		return tls.Certificate{}, false, fmt.Errorf("tlsca: read server certificate %s: %w", files.ServerCert, err)
	}
	keyPEM, err := os.ReadFile(files.ServerKey)
	if errors.Is(err, fs.ErrNotExist) {
		return tls.Certificate{}, false, nil
	}
	if err != nil {
		return tls.Certificate{}, false, fmt.Errorf("tlsca: read server key %s: %w", files.ServerKey, err)
	}
	leaf, err := parseCert(certPEM)
	if err != nil {
		return tls.Certificate{}, false, nil
	}
	key, err := parseKey(keyPEM)
	if err != nil || !samePublicKey(leaf.PublicKey, key.Public()) {
		return tls.Certificate{}, false, nil
	}
	if !usable(leaf, ca, dnsNames, ips, now) {
		return tls.Certificate{}, false, nil
	}
	return chain(leaf, ca, key), true, nil
}

// usable reports whether leaf can keep being served.
func usable(leaf, ca *x509.Certificate, dnsNames []string, ips []net.IP, now time.Time) bool {
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	// Verify rather than only CheckSignatureFrom: it also checks validity
	// dates and the server-auth usage, exactly as a terminal would.
	if _, err := leaf.Verify(x509.VerifyOptions{
		Roots:       roots,
		CurrentTime: now,
		KeyUsages:   []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}); err != nil {
		return false
	}
	if leaf.NotAfter.Sub(now) < renewBefore {
		return false
	}
	for _, n := range dnsNames {
		if !slices.ContainsFunc(leaf.DNSNames, func(have string) bool { return strings.EqualFold(have, n) }) {
			return false
		}
	}
	for _, ip := range ips {
		if !slices.ContainsFunc(leaf.IPAddresses, ip.Equal) {
			return false
		}
	}
	return true
}

func createServer(files Files, ca *x509.Certificate, caKey crypto.Signer, dnsNames []string, ips []net.IP, now time.Time) (tls.Certificate, error) {
	notAfter := now.Add(serverLifetime)
	// A certificate outliving its CA would only fail verification later
	// with a more confusing error.
	if notAfter.After(ca.NotAfter) {
		notAfter = ca.NotAfter
	}
	leaf, key, err := issueServer(ca, caKey, dnsNames, ips, now.Add(-backdate), notAfter)
	if err != nil {
		return tls.Certificate{}, err
	}
	keyPEM, err := encodeKey(key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tlsca: encode server key: %w", err)
	}
	// Key first: a crash in between leaves a key that does not match the old
	// certificate, which the next start detects and re-issues.
	if err := writeFileAtomic(files.ServerKey, keyPEM, keyMode); err != nil {
		return tls.Certificate{}, fmt.Errorf("tlsca: write server key: %w", err)
	}
	if err := writeFileAtomic(files.ServerCert, encodeCert(leaf.Raw), certMode); err != nil {
		return tls.Certificate{}, fmt.Errorf("tlsca: write server certificate: %w", err)
	}
	return chain(leaf, ca, key), nil
}

// issueServer makes a server certificate signed by ca. A fresh key is made
// each time so that re-issuing also rotates the key.
func issueServer(ca *x509.Certificate, caKey crypto.Signer, dnsNames []string, ips []net.IP, notBefore, notAfter time.Time) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("tlsca: generate server key: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: commonName(dnsNames)},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              dnsNames,
		IPAddresses:           ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), caKey)
	if err != nil {
		return nil, nil, fmt.Errorf("tlsca: create server certificate for %s: %w", strings.Join(dnsNames, ", "), err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("tlsca: parse new server certificate: %w", err)
	}
	return leaf, key, nil
}

// commonName is only for people reading the certificate (clients match on
// the SANs), so it names the first configured host rather than "localhost".
func commonName(dnsNames []string) string {
	if len(dnsNames) > 1 {
		return dnsNames[1]
	}
	return dnsNames[0]
}

// chain also sends the CA so that someone inspecting the connection (browser
// certificate viewer, openssl s_client) can compare its fingerprint without
// access to the server's data folder.
func chain(leaf, ca *x509.Certificate, key crypto.Signer) tls.Certificate {
	return tls.Certificate{
		Certificate: [][]byte{leaf.Raw, ca.Raw},
		PrivateKey:  key,
		Leaf:        leaf,
	}
}

func randomSerial() (*big.Int, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("tlsca: generate serial number: %w", err)
	}
	return n, nil
}

func encodeCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// encodeKey writes PKCS#8 ("PRIVATE KEY"), the form most tools read.
func encodeKey(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

func parseCert(data []byte) (*x509.Certificate, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("no PEM CERTIFICATE block found")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse certificate: %w", err)
	}
	return cert, nil
}

// parseKey also reads SEC 1 ("EC PRIVATE KEY"), which an administrator
// restoring a key made with openssl is likely to have.
func parseKey(data []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block found")
	}
	var key any
	var err error
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("unexpected PEM block %q, want PRIVATE KEY", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("parse private key: %w", err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("private key of type %T cannot sign", key)
	}
	return signer, nil
}

func samePublicKey(a, b crypto.PublicKey) bool {
	ka, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && ka.Equal(b)
}

// writeFileAtomic replaces path in one step so that a crash or full disk
// never leaves a truncated key or certificate behind, and so that the key is
// never readable by others even for a moment (the temporary file starts as
// 0600 and is chmodded before any data is written).
func writeFileAtomic(path string, data []byte, mode fs.FileMode) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	// Chmod sets the exact mode regardless of the umask.
	if err := f.Chmod(mode); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
