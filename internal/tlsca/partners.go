package tlsca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"bango/internal/durable"
)

// The partners' CA is a CA of its own, apart from the one terminals trust
// for the server (R-LNK-3): it signs only TLS client certificates, one per
// linkage partner, so that neither CA's key can stand in for the other —
// a terminal never trusts a partner's certificate as a server, and a
// certificate of the server CA never lets a machine in as a partner.
const (
	partnerCAYears = 5
	// A partner certificate lives a year: long enough not to stop a daily
	// exchange by surprise, short enough that a lost data-link machine's
	// certificate dies by itself even if nobody revokes it.
	partnerLifetime = 365 * 24 * time.Hour
	// partnerOU marks the subject of a partner certificate; the tenant is
	// the other organizational unit and the partner ID the common name.
	partnerOU = "bango linkage partner"
)

// PartnerFiles holds the paths of the partners' CA inside a data folder.
type PartnerFiles struct{ CACert, CAKey string }

// PartnerFilesIn returns the paths EnsurePartnerCA uses inside dir.
func PartnerFilesIn(dir string) PartnerFiles {
	return PartnerFiles{CACert: filepath.Join(dir, "partners-ca.crt"), CAKey: filepath.Join(dir, "partners-ca.key")}
}

// PartnerCA verifies partners' client certificates and, with its key at
// hand, issues them.
type PartnerCA struct {
	Files       PartnerFiles
	Cert        *x509.Certificate
	Fingerprint string
	key         crypto.Signer // nil when kept offline: verify only
}

// EnsurePartnerCA loads the partners' CA from dir, making it on first use.
// A certificate without its key is a CA kept offline: it verifies, and
// Issue asks for the key. A key without its certificate, or a key file
// readable by others, is an error, as for the server CA.
func EnsurePartnerCA(dir string) (*PartnerCA, error) {
	if dir == "" {
		return nil, errors.New("tlsca: no data directory given")
	}
	files := PartnerFilesIn(dir)
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return nil, fmt.Errorf("tlsca: create data directory %s: %w", dir, err)
	}
	if err := checkKeyMode(files.CAKey); err != nil {
		return nil, err
	}
	ca, key, err := loadCA(Files{CACert: files.CACert, CAKey: files.CAKey})
	if errors.Is(err, errNoCA) {
		ca, key, err = createPartnerCA(files, time.Now())
	}
	if err != nil {
		return nil, err
	}
	if !isPartnerCA(ca) {
		return nil, fmt.Errorf("tlsca: %s is not a partners' CA (it must sign client certificates only)", files.CACert)
	}
	if time.Now().After(ca.NotAfter) {
		return nil, fmt.Errorf("tlsca: the partners' CA %s expired on %s: make a new one and issue every partner a new certificate", files.CACert, ca.NotAfter.Format(time.DateOnly))
	}
	return &PartnerCA{Files: files, Cert: ca, Fingerprint: Fingerprint(ca.Raw), key: key}, nil
}

func isPartnerCA(ca *x509.Certificate) bool {
	return len(ca.ExtKeyUsage) == 1 && ca.ExtKeyUsage[0] == x509.ExtKeyUsageClientAuth
}

func createPartnerCA(files PartnerFiles, now time.Time) (*x509.Certificate, crypto.Signer, error) {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown host"
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("tlsca: generate partners' CA key: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "bango linkage partners CA (" + host + ")"},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.AddDate(partnerCAYears, 0, 0),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		MaxPathLen:            0,
		MaxPathLenZero:        true,
		// Client certificates only: verifiers carry a CA's extended key
		// usage down to what it signs.
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, nil, fmt.Errorf("tlsca: create partners' CA certificate: %w", err)
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err := encodeKey(key)
	if err != nil {
		return nil, nil, err
	}
	if err := durable.WriteFile(files.CAKey, keyPEM, keyMode); err != nil {
		return nil, nil, fmt.Errorf("tlsca: write partners' CA key: %w", err)
	}
	if err := durable.WriteFile(files.CACert, encodeCert(der), certMode); err != nil {
		return nil, nil, fmt.Errorf("tlsca: write partners' CA certificate: %w", err)
	}
	return ca, key, nil
}

// Issued is a partner's new certificate and key, in PEM, handed out once:
// bango keeps only Serial and Fingerprint.
type Issued struct {
	CertPEM, KeyPEM []byte
	Serial          string
	Fingerprint     string
	NotAfter        time.Time
}

// Issue signs a client certificate for partner of tenant with a fresh key.
func (ca *PartnerCA) Issue(tenant, partner string, now time.Time) (Issued, error) {
	if ca.key == nil {
		return Issued{}, fmt.Errorf("tlsca: the partners' CA key %s is not here (kept offline?): put it back to issue a partner certificate", ca.Files.CAKey)
	}
	if tenant == "" || partner == "" || strings.ContainsAny(tenant+partner, ",=+<>#;\"\\") {
		return Issued{}, fmt.Errorf("tlsca: a partner certificate needs a plain tenant code and partner ID")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Issued{}, fmt.Errorf("tlsca: generate partner key: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return Issued{}, err
	}
	notAfter := now.Add(partnerLifetime)
	if notAfter.After(ca.Cert.NotAfter) {
		notAfter = ca.Cert.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: partner, OrganizationalUnit: []string{partnerOU, tenant}},
		NotBefore:             now.Add(-backdate),
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.key)
	if err != nil {
		return Issued{}, fmt.Errorf("tlsca: create partner certificate: %w", err)
	}
	keyPEM, err := encodeKey(key)
	if err != nil {
		return Issued{}, err
	}
	return Issued{CertPEM: encodeCert(der), KeyPEM: keyPEM, Serial: strings.ToUpper(serial.Text(16)), Fingerprint: Fingerprint(der), NotAfter: notAfter}, nil
}

// Pool is the partners' CA as the pool a listener verifies clients with.
func (ca *PartnerCA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

// PartnerOf verifies a client certificate against the partners' CA (dates,
// client usage, signature) and returns the tenant and partner it names.
// Whether it is still in force — not revoked, the partner active — is the
// linkage service's to say, from its fingerprint.
func (ca *PartnerCA) PartnerOf(cert *x509.Certificate, now time.Time) (tenant, partner string, err error) {
	if cert == nil {
		return "", "", errors.New("no client certificate")
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: ca.Pool(), CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		return "", "", fmt.Errorf("client certificate does not verify against the partners' CA: %w", err)
	}
	// The two units of one name may come back in either order.
	ou := cert.Subject.OrganizationalUnit
	if len(ou) == 2 && ou[1] == partnerOU {
		ou = []string{ou[1], ou[0]}
	}
	if len(ou) != 2 || ou[0] != partnerOU || ou[1] == "" || cert.Subject.CommonName == "" {
		return "", "", errors.New("client certificate is not a partner certificate")
	}
	return ou[1], cert.Subject.CommonName, nil
}

// ParseCertPEM reads one PEM certificate (a partner's, or the server CA a
// data-link agent trusts).
func ParseCertPEM(data []byte) (*x509.Certificate, error) { return parseCert(data) }
