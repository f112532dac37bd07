// Package tlsca keeps the local certificate authority and server certificate
// that bango serves HTTPS with when no certificate has been configured
// (R-LNK-3).
//
// Internal host names cannot get a certificate from a public CA, so on first
// start bango makes its own CA in its data folder. The IS department installs
// that CA once on each terminal, checking it against the fingerprint bango
// prints. Terminals trust only the CA, so the server certificate can be
// re-issued (renewal, a new key) without touching the terminals again;
// that is why the CA is never replaced automatically.
//
// A CA that terminals trust could vouch for any site, so the CA is limited
// to what bango needs: critical name constraints permit only the server's
// own names and addresses (a certificate for another site, even signed with
// a stolen CA key, fails verification), it may sign only TLS server
// certificates, and it lives two years. Once the server certificate is
// issued, the CA key can be kept offline; it is needed again only to renew.
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

	"bango/internal/durable"
)

const (
	// Two years bounds how long a CA made with a leaked key or for names no
	// longer in use stays trusted, while leaving the terminals untouched
	// for one server-certificate renewal at least.
	caYears = 2
	// Warn this long before the CA expires: installing a new CA on every
	// terminal takes the IS department a while.
	caWarnBefore = 90 * 24 * time.Hour
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
	// CAKeyOffline reports that the CA key was not in the data folder; the
	// server certificate on disk was still good, so none was needed.
	CAKeyOffline bool
	// Warnings are for the operator's log: a CA without name constraints
	// (made by an older bango), a CA close to expiry, a CA key kept offline
	// and when it is needed back.
	Warnings []string
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
// missing (dir is created with mode 0700). A new CA is constrained to the
// requested hosts plus localhost, 127.0.0.1 and ::1.
//
// The server certificate is re-issued, keeping the CA, when it is missing or
// unreadable, does not cover every requested host, expires within 30 days,
// or was not signed by the CA on disk.
//
// A host the CA's name constraints do not permit is an error: a certificate
// for it would be refused by every terminal, and only a new CA, installed
// on the terminals again, can cover it. That is the IS department's
// decision to make, so Ensure never replaces the CA itself.
//
// A CA certificate without its key is accepted while the server certificate
// needs nothing re-issued (the key is kept offline); re-issuing then is an
// error that asks for the key. A CA key without its certificate, an
// unreadable or expired CA is an error rather than replaced, because
// replacing it would silently break every terminal that trusts the old one.
// A key file with permissions wider than 0600 is also an error: it may
// already have leaked, and fixing the mode would hide that.
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
		ca, caKey, err = createCA(files, dnsNames, ips, now)
		res.CACreated = true
	}
	if err != nil {
		return nil, err
	}
	if now.After(ca.NotAfter) {
		return nil, fmt.Errorf("tlsca: CA certificate %s expired on %s; make a new CA and install it on the terminals (README, HTTPS: rolling the local CA)",
			files.CACert, ca.NotAfter.Format(time.DateOnly))
	}
	res.CAFingerprint = Fingerprint(ca.Raw)
	if outside := notPermitted(ca, dnsNames, ips); len(outside) > 0 {
		return nil, fmt.Errorf("tlsca: hostnames %s are outside the names the local CA %s may certify (%s), so terminals would refuse a certificate for them; "+
			"remove them from the hostnames setting, or make a new CA for the new names and install it on the terminals (README, HTTPS: rolling the local CA)",
			strings.Join(outside, ", "), files.CACert, strings.Join(permittedNames(ca), ", "))
	}
	if !constrained(ca) {
		res.Warnings = append(res.Warnings, fmt.Sprintf("the local CA %s has no name constraints (made by an older bango; valid until %s): "+
			"a terminal that trusts it accepts a certificate for any site made with its key. Make a new, constrained CA and install it on the terminals in its place (README, HTTPS: rolling the local CA)",
			files.CACert, ca.NotAfter.Format(time.DateOnly)))
	}
	if left := ca.NotAfter.Sub(now); left < caWarnBefore {
		res.Warnings = append(res.Warnings, fmt.Sprintf("the local CA %s expires on %s: make a new CA and install it on the terminals before then (README, HTTPS: rolling the local CA)",
			files.CACert, ca.NotAfter.Format(time.DateOnly)))
	}

	cert, stale, err := loadServer(files, ca, dnsNames, ips, now)
	if err != nil {
		return nil, err
	}
	if stale != "" {
		if caKey == nil {
			return nil, fmt.Errorf("tlsca: the server certificate %s must be re-issued (%s), but the CA key %s is not here; put the CA key back (it may be kept offline, see README, HTTPS) for one start, then move it away again",
				files.ServerCert, stale, files.CAKey)
		}
		cert, err = createServer(files, ca, caKey, dnsNames, ips, now)
		if err != nil {
			return nil, err
		}
		res.ServerCreated = true
	}
	if caKey == nil {
		res.CAKeyOffline = true
		renew := cert.Leaf.NotAfter.Add(-renewBefore)
		res.Warnings = append(res.Warnings, fmt.Sprintf("the CA key %s is not in the data folder (kept offline?); the server certificate is valid until %s. "+
			"Between %s and then, start bango once with the key in place so that it renews the certificate",
			files.CAKey, cert.Leaf.NotAfter.Format(time.DateOnly), renew.Format(time.DateOnly)))
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

// constrained reports whether ca limits both name forms a TLS server is
// known by.
func constrained(ca *x509.Certificate) bool {
	return len(ca.PermittedDNSDomains) > 0 && len(ca.PermittedIPRanges) > 0
}

// notPermitted lists the hosts ca's name constraints do not allow, matching
// as crypto/x509 and browsers do: a DNS constraint permits the name and
// every name under it; an IP constraint is a range.
func notPermitted(ca *x509.Certificate, dnsNames []string, ips []net.IP) []string {
	var out []string
	for _, n := range dnsNames {
		ok := len(ca.PermittedDNSDomains) == 0 || slices.ContainsFunc(ca.PermittedDNSDomains, func(c string) bool { return domainWithin(n, c) })
		if !ok || slices.ContainsFunc(ca.ExcludedDNSDomains, func(c string) bool { return domainWithin(n, c) }) {
			out = append(out, n)
		}
	}
	for _, ip := range ips {
		ok := len(ca.PermittedIPRanges) == 0 || slices.ContainsFunc(ca.PermittedIPRanges, func(r *net.IPNet) bool { return r.Contains(ip) })
		if !ok || slices.ContainsFunc(ca.ExcludedIPRanges, func(r *net.IPNet) bool { return r.Contains(ip) }) {
			out = append(out, ip.String())
		}
	}
	return out
}

// domainWithin reports whether name falls under the DNS constraint c (RFC
// 5280 4.2.1.10): c itself or a name under it; ".c" only names under it.
func domainWithin(name, c string) bool {
	name, c = strings.ToLower(name), strings.ToLower(c)
	switch {
	case c == "":
		return true
	case strings.HasPrefix(c, "."):
		return strings.HasSuffix(name, c)
	default:
		return name == c || strings.HasSuffix(name, "."+c)
	}
}

// permittedNames describes ca's constraints for messages.
func permittedNames(ca *x509.Certificate) []string {
	out := slices.Clone(ca.PermittedDNSDomains)
	for _, r := range ca.PermittedIPRanges {
		out = append(out, r.String())
	}
	return out
}

// ipRanges turns the server's addresses into single-address constraints.
func ipRanges(ips []net.IP) []*net.IPNet {
	out := make([]*net.IPNet, 0, len(ips))
	for _, ip := range ips {
		if v4 := ip.To4(); v4 != nil {
			out = append(out, &net.IPNet{IP: v4, Mask: net.CIDRMask(32, 32)})
		} else {
			out = append(out, &net.IPNet{IP: ip.To16(), Mask: net.CIDRMask(128, 128)})
		}
	}
	return out
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
// A certificate without its key is a CA whose key is kept offline: the key
// is nil, and Ensure asks for it only when it must sign.
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
	case certErr != nil:
		return nil, nil, fmt.Errorf("tlsca: read CA certificate %s: %w", files.CACert, certErr)
	case keyErr != nil && !keyMissing:
		return nil, nil, fmt.Errorf("tlsca: read CA key %s: %w", files.CAKey, keyErr)
	}

	ca, err := parseCert(certPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("tlsca: CA certificate %s: %w", files.CACert, err)
	}
	if !ca.IsCA || ca.KeyUsage&x509.KeyUsageCertSign == 0 {
		return nil, nil, fmt.Errorf("tlsca: CA certificate %s (%s) is not a CA certificate", files.CACert, ca.Subject)
	}
	if keyMissing {
		return ca, nil, nil
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

func createCA(files Files, dnsNames []string, ips []net.IP, now time.Time) (*x509.Certificate, crypto.Signer, error) {
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
		// Verifiers apply a CA's extended key usage to what it signs: this
		// CA vouches for TLS servers only, not for code or mail.
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		// Only the server's own names and addresses; with a permitted
		// subtree for each form, every other DNS name and IP address is
		// outside. Critical, so a verifier that cannot apply the
		// constraints refuses the CA instead of ignoring them.
		PermittedDNSDomainsCritical: true,
		PermittedDNSDomains:         slices.Clone(dnsNames),
		PermittedIPRanges:           ipRanges(ips),
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
	if err := durable.WriteFile(files.CAKey, keyPEM, keyMode); err != nil {
		return nil, nil, fmt.Errorf("tlsca: write CA key: %w", err)
	}
	if err := durable.WriteFile(files.CACert, encodeCert(der), certMode); err != nil {
		return nil, nil, fmt.Errorf("tlsca: write CA certificate: %w", err)
	}
	return ca, key, nil
}

// loadServer returns why the server certificate should be re-issued, or ""
// when it can keep being served. Damaged or stale server files are not
// errors: they hold nothing that cannot be made again from the CA.
func loadServer(files Files, ca *x509.Certificate, dnsNames []string, ips []net.IP, now time.Time) (tls.Certificate, string, error) {
	certPEM, err := os.ReadFile(files.ServerCert)
	if errors.Is(err, fs.ErrNotExist) {
		return tls.Certificate{}, "it is missing", nil
	}
	if err != nil {
		return tls.Certificate{}, "", fmt.Errorf("tlsca: read server certificate %s: %w", files.ServerCert, err)
	}
	keyPEM, err := os.ReadFile(files.ServerKey)
	if errors.Is(err, fs.ErrNotExist) {
		return tls.Certificate{}, "its key is missing", nil
	}
	if err != nil {
		return tls.Certificate{}, "", fmt.Errorf("tlsca: read server key %s: %w", files.ServerKey, err)
	}
	leaf, err := parseCert(certPEM)
	if err != nil {
		return tls.Certificate{}, "it is unreadable", nil
	}
	key, err := parseKey(keyPEM)
	if err != nil || !samePublicKey(leaf.PublicKey, key.Public()) {
		return tls.Certificate{}, "its key does not match", nil
	}
	if why := unusable(leaf, ca, dnsNames, ips, now); why != "" {
		return tls.Certificate{}, why, nil
	}
	return chain(leaf, ca, key), "", nil
}

// verify checks leaf as a terminal would: rather than only
// CheckSignatureFrom, Verify also checks validity dates, the server-auth
// usage and the CA's name constraints against every name leaf carries.
func verify(leaf, ca *x509.Certificate, now time.Time) error {
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	_, err := leaf.Verify(x509.VerifyOptions{
		Roots:       roots,
		CurrentTime: now,
		KeyUsages:   []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	return err
}

// unusable says why leaf cannot keep being served, or "".
func unusable(leaf, ca *x509.Certificate, dnsNames []string, ips []net.IP, now time.Time) string {
	if err := verify(leaf, ca, now); err != nil {
		return "it does not verify against the CA: " + err.Error()
	}
	if leaf.NotAfter.Sub(now) < renewBefore {
		return "it expires on " + leaf.NotAfter.Format(time.DateOnly)
	}
	for _, n := range dnsNames {
		if !slices.ContainsFunc(leaf.DNSNames, func(have string) bool { return strings.EqualFold(have, n) }) {
			return "it does not name " + n
		}
	}
	for _, ip := range ips {
		if !slices.ContainsFunc(leaf.IPAddresses, ip.Equal) {
			return "it does not name " + ip.String()
		}
	}
	return ""
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
	// Ensure checked the names against the CA's constraints; verifying as a
	// terminal would makes sure a certificate no client accepts is never
	// written, whatever the CA on disk holds.
	if err := verify(leaf, ca, now); err != nil {
		return tls.Certificate{}, fmt.Errorf("tlsca: new server certificate does not verify against CA %s: %w", files.CACert, err)
	}
	keyPEM, err := encodeKey(key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tlsca: encode server key: %w", err)
	}
	// Key first: a crash in between leaves a key that does not match the old
	// certificate, which the next start detects and re-issues.
	if err := durable.WriteFile(files.ServerKey, keyPEM, keyMode); err != nil {
		return tls.Certificate{}, fmt.Errorf("tlsca: write server key: %w", err)
	}
	if err := durable.WriteFile(files.ServerCert, encodeCert(leaf.Raw), certMode); err != nil {
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
