// Package standin is a certification authority that stands in for J-LIS
// behind the boundary of docs/jpki.md, so that issuance and revocation run
// end to end in tests and in the demo (`bango jpki-standin-ca`). It is a
// real X.509 CA with its own keys: a root, which is the trust anchor bango
// is configured with; an issuing CA under it that signs the card's
// certificates; and a TLS server certificate and a client certificate for
// bango under the root, for mutual TLS (R-LNK-3).
//
// It keeps what a CA keeps — the certificates it issued and revoked — in
// memory; the real J-LIS interface replaces it behind the same boundary.
package standin

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"bango/internal/durable"
	"bango/internal/jpki"
)

// Options change how the CA behaves.
type Options struct {
	// Lifetime of an issued certificate; 0 means five years (the card's
	// certificates last until the fifth birthday after issuance).
	Lifetime time.Duration
	Policy   jpki.KeyPolicy // zero means jpki.DefaultKeyPolicy
	Hosts    []string       // names and addresses of the server certificate, beside localhost
	// Signers is how many certificates the issuing key signs at once; 0
	// means one, as a CA's key held in one hardware security module signs
	// one after another.
	Signers int
	// CAKeys are the root's and the issuing CA's keys; nil ones are made
	// fresh (RSA 2048). Tests that start a CA for every test share one
	// pair from NewCAKeys: two RSA keys cost 0.1–0.3 s per CA, more
	// under the race detector.
	CAKeys [2]crypto.Signer
}

// NewCAKeys makes a root and an issuing key as New does, for
// Options.CAKeys.
func NewCAKeys() ([2]crypto.Signer, error) {
	var keys [2]crypto.Signer
	for i := range keys {
		k, err := newCAKey()
		if err != nil {
			return keys, err
		}
		keys[i] = k
	}
	return keys, nil
}

// CA is the stand-in certification authority.
type CA struct {
	root       *x509.Certificate
	rootKey    crypto.Signer
	issuing    *x509.Certificate
	issuingKey crypto.Signer
	server     tls.Certificate
	client     tls.Certificate
	lifetime   time.Duration
	policy     jpki.KeyPolicy
	now        func() time.Time

	served  atomic.Int64
	signers chan struct{} // a turn of the issuing key

	mu     sync.Mutex
	issued map[string]*Record // by serial, hexadecimal

	// For tests of bango's side of the boundary (SetDelay, SetTamper).
	delay          time.Duration
	tamper         func(jpki.IssueRequest, *jpki.IssueResponse)
	tamperExpiring func(*jpki.ExpiringResponse)
}

// SetDelay holds every answer back by d, for tests of a CA that does not
// answer in time.
func (ca *CA) SetDelay(d time.Duration) {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	ca.delay = d
}

// SetTamperExpiring has fn change every answer to POST /v1/expiring, for
// tests of a renewal list that does not match the request; nil stops it.
func (ca *CA) SetTamperExpiring(fn func(*jpki.ExpiringResponse)) {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	ca.tamperExpiring = fn
}

// SetLifetime changes the lifetime of the certificates issued from now on,
// for tests of the renewal list.
func (ca *CA) SetLifetime(d time.Duration) {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	ca.lifetime = d
}

// SetTamper has fn change every answer after signing, for tests of a CA
// whose answer does not match the request; nil stops it.
func (ca *CA) SetTamper(fn func(jpki.IssueRequest, *jpki.IssueResponse)) {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	ca.tamper = fn
}

// Record is what the CA keeps of a certificate it issued.
type Record struct {
	Serial       string
	Municipality string
	Resident     string // the resident code bango sent, never in the certificate
	Kind         jpki.Kind
	NotBefore    time.Time
	NotAfter     time.Time
	RevokedAt    time.Time
	Reason       string
	items        *jpki.Items // what a signature certificate carries
}

// Files are the stand-in's files in its folder.
type Files struct {
	Root, RootKey, Issuing, IssuingKey, Server, ServerKey, Client, ClientKey string
}

// FilesIn returns the files kept in dir.
func FilesIn(dir string) Files {
	j := func(n string) string { return filepath.Join(dir, n) }
	return Files{Root: j("root.crt"), RootKey: j("root.key"), Issuing: j("issuing.crt"), IssuingKey: j("issuing.key"),
		Server: j("server.crt"), ServerKey: j("server.key"), Client: j("bango-client.crt"), ClientKey: j("bango-client.key")}
}

// New makes a CA with fresh keys, kept in memory only.
func New(opts Options) (*CA, error) {
	ca := &CA{issued: map[string]*Record{}, now: time.Now}
	ca.setOptions(opts)
	now := ca.now()
	var err error
	if ca.rootKey = opts.CAKeys[0]; ca.rootKey == nil {
		if ca.rootKey, err = newCAKey(); err != nil {
			return nil, err
		}
	}
	if ca.root, err = sign(&x509.Certificate{
		Subject:   pkix.Name{CommonName: "bango JPKI stand-in root CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(20, 0, 0),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}, nil, ca.rootKey.Public(), ca.rootKey); err != nil {
		return nil, err
	}
	if ca.issuingKey = opts.CAKeys[1]; ca.issuingKey == nil {
		if ca.issuingKey, err = newCAKey(); err != nil {
			return nil, err
		}
	}
	if ca.issuing, err = sign(&x509.Certificate{
		Subject:   pkix.Name{CommonName: "bango JPKI stand-in issuing CA (署名用・利用者証明用)"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(15, 0, 0),
		IsCA: true, BasicConstraintsValid: true, MaxPathLenZero: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}, ca.root, ca.issuingKey.Public(), ca.rootKey); err != nil {
		return nil, err
	}
	dns, ips := hosts(opts.Hosts)
	if ca.server, err = ca.leaf(pkix.Name{CommonName: "bango JPKI stand-in CA endpoint"}, x509.ExtKeyUsageServerAuth, dns, ips); err != nil {
		return nil, err
	}
	if ca.client, err = ca.leaf(pkix.Name{CommonName: "bango (municipal window)"}, x509.ExtKeyUsageClientAuth, nil, nil); err != nil {
		return nil, err
	}
	return ca, nil
}

func (ca *CA) setOptions(opts Options) {
	ca.lifetime = opts.Lifetime
	if ca.lifetime == 0 {
		ca.lifetime = 5 * 365 * 24 * time.Hour
	}
	ca.policy = opts.Policy
	if len(ca.policy.RSABits) == 0 {
		ca.policy = jpki.DefaultKeyPolicy
	}
	ca.signers = make(chan struct{}, max(opts.Signers, 1))
}

// Ensure loads the CA kept in dir, making it (mode 0700, keys 0600) when
// dir holds none.
func Ensure(dir string, opts Options) (ca *CA, created bool, err error) {
	f := FilesIn(dir)
	if _, err := os.Stat(f.Root); errors.Is(err, fs.ErrNotExist) {
		ca, err := New(opts)
		if err != nil {
			return nil, false, err
		}
		return ca, true, ca.Save(dir)
	}
	ca = &CA{issued: map[string]*Record{}, now: time.Now}
	ca.setOptions(opts)
	if ca.root, ca.rootKey, err = loadPair(f.Root, f.RootKey); err != nil {
		return nil, false, err
	}
	if ca.issuing, ca.issuingKey, err = loadPair(f.Issuing, f.IssuingKey); err != nil {
		return nil, false, err
	}
	if ca.server, err = tls.LoadX509KeyPair(f.Server, f.ServerKey); err != nil {
		return nil, false, fmt.Errorf("standin: %w", err)
	}
	if ca.client, err = tls.LoadX509KeyPair(f.Client, f.ClientKey); err != nil {
		return nil, false, fmt.Errorf("standin: %w", err)
	}
	return ca, false, nil
}

// Save writes the CA's certificates and keys into dir.
func (ca *CA) Save(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f := FilesIn(dir)
	writes := []struct {
		path string
		cert []byte
		key  crypto.Signer
	}{
		{f.Root, ca.root.Raw, nil}, {f.RootKey, nil, ca.rootKey},
		{f.Issuing, ca.issuing.Raw, nil}, {f.IssuingKey, nil, ca.issuingKey},
		{f.Server, ca.server.Certificate[0], nil}, {f.ServerKey, nil, ca.server.PrivateKey.(crypto.Signer)},
		{f.Client, ca.client.Certificate[0], nil}, {f.ClientKey, nil, ca.client.PrivateKey.(crypto.Signer)},
	}
	for _, w := range writes {
		if w.key != nil {
			der, err := x509.MarshalPKCS8PrivateKey(w.key)
			if err != nil {
				return err
			}
			if err := durable.WriteFile(w.path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
				return err
			}
			continue
		}
		if err := durable.WriteFile(w.path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: w.cert}), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Root is the trust anchor bango is configured with.
func (ca *CA) Root() *x509.Certificate { return ca.root }

// Issuing is the CA certificate that signs the card's certificates.
func (ca *CA) Issuing() *x509.Certificate { return ca.issuing }

// ClientCertificate is bango's certificate for mutual TLS.
func (ca *CA) ClientCertificate() tls.Certificate { return ca.client }

// Served counts the requests that reached the CA's handlers.
func (ca *CA) Served() int64 { return ca.served.Load() }

// Lookup returns what the CA keeps of the certificate serial.
func (ca *CA) Lookup(serial string) (Record, bool) {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	r, ok := ca.issued[strings.ToLower(serial)]
	if !ok {
		return Record{}, false
	}
	return *r, true
}

// TLSConfig is the server side of mutual TLS: the CA's server
// certificate, and only clients with a certificate from its root.
func (ca *CA) TLSConfig() *tls.Config {
	pool := x509.NewCertPool()
	pool.AddCert(ca.root)
	return &tls.Config{
		Certificates: []tls.Certificate{ca.server},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
		MinVersion:   tls.VersionTLS13,
	}
}

// Handler serves the boundary's messages.
func (ca *CA) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/certificates", message(ca, ca.Sign, func(req jpki.IssueRequest, resp *jpki.IssueResponse) {
		ca.mu.Lock()
		tamper := ca.tamper
		ca.mu.Unlock()
		if tamper != nil {
			tamper(req, resp)
		}
	}))
	mux.HandleFunc("POST /v1/expiring", message(ca, ca.Expiring, func(_ jpki.ExpiringRequest, resp *jpki.ExpiringResponse) {
		ca.mu.Lock()
		tamper := ca.tamperExpiring
		ca.mu.Unlock()
		if tamper != nil {
			tamper(resp)
		}
	}))
	mux.HandleFunc("POST /v1/items-changed", message(ca, ca.ItemsChanged, nil))
	mux.HandleFunc("POST /v1/residents-left", message(ca, ca.ResidentsLeft, nil))
	mux.HandleFunc("POST /v1/revocations", message(ca, ca.Revoke, nil))
	return mux
}

// message serves one of the boundary's messages: the request read
// strictly, do's refusal answered 422, its answer 200 after the tests'
// tampering hook (nil: none).
func message[Req, Resp any](ca *CA, do func(Req) (Resp, *jpki.Refusal), after func(Req, *Resp)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req Req
		if !ca.read(w, r, &req) {
			return
		}
		resp, refusal := do(req)
		if refusal != nil {
			answer(w, http.StatusUnprocessableEntity, refusal)
			return
		}
		if after != nil {
			after(req, &resp)
		}
		answer(w, http.StatusOK, resp)
	}
}

func (ca *CA) read(w http.ResponseWriter, r *http.Request, into any) bool {
	ca.served.Add(1)
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		answer(w, http.StatusBadRequest, jpki.Refusal{Code: jpki.RefusedMalformed,
			JA: "要求電文を読み取れません", EN: "the request message cannot be read: " + err.Error()})
		return false
	}
	// Reading to the end lets the server notice a client that hangs up.
	io.Copy(io.Discard, r.Body)
	ca.mu.Lock()
	delay := ca.delay
	ca.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return false
		}
	}
	return true
}

func answer(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

var (
	municipality = regexp.MustCompile(`^[0-9]{6}$`)
	residentCode = regexp.MustCompile(`^[0-9A-Za-z]{1,20}$`)
	sexes        = map[string]bool{"1": true, "2": true}
)

// Sign checks an issuance request and signs its certificate: the work of
// the CA alone, which `bango bench jpki` takes as the floor.
func (ca *CA) Sign(req jpki.IssueRequest) (jpki.IssueResponse, *jpki.Refusal) {
	refuse := func(code, ja, en string) (jpki.IssueResponse, *jpki.Refusal) {
		return jpki.IssueResponse{}, &jpki.Refusal{RequestID: req.RequestID, Code: code, JA: ja, EN: en}
	}
	if req.RequestID == "" || !municipality.MatchString(req.Municipality) {
		return refuse(jpki.RefusedMalformed, "要求番号または団体コードがありません", "request_id or municipality missing")
	}
	if !residentCode.MatchString(req.Resident) {
		return refuse(jpki.RefusedMalformed, "申請者の宛名番号がありません", "resident missing or malformed")
	}
	if _, err := time.Parse(time.DateOnly, req.ApplicationDate); err != nil {
		return refuse(jpki.RefusedMalformed, "申請日が日付ではありません", "application_date is not a date")
	}
	switch {
	case !req.Kind.Valid():
		return refuse(jpki.RefusedKind, "証明書の種類が不明です", "unknown kind")
	case req.Kind == jpki.Authentication && req.Applicant != nil:
		return refuse(jpki.RefusedKind, "利用者証明用電子証明書に個人の情報は記載しません", "an authentication certificate carries no personal item")
	case req.Kind == jpki.Signature && !validItems(req.Applicant):
		return refuse(jpki.RefusedItems, "署名用電子証明書の記載事項（氏名・住所・生年月日・性別）が不足または不正です", "the applicant's items are missing or malformed")
	}
	csr, err := x509.ParseCertificateRequest(req.CSR)
	if err != nil || csr.CheckSignature() != nil {
		return refuse(jpki.RefusedCSR, "証明書発行要求の署名を検証できません", "the certificate request does not verify")
	}
	if err := ca.policy.Check(csr.PublicKey); err != nil {
		return refuse(jpki.RefusedCSR, "受け付けない鍵の種類または長さです", err.Error())
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return refuse(jpki.RefusedMalformed, "内部エラー", err.Error())
	}
	serial.SetBit(serial, 126, 1) // a fixed length, so that the serial is always 32 hex digits
	now := ca.now().Truncate(time.Second)
	ca.mu.Lock()
	lifetime := ca.lifetime
	ca.mu.Unlock()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: serial.Text(16)},
		NotBefore:             now,
		NotAfter:              now.Add(lifetime),
		BasicConstraintsValid: true,
	}
	if req.Kind == jpki.Signature {
		items, err := jpki.MarshalItems(*req.Applicant)
		if err != nil {
			return refuse(jpki.RefusedItems, "記載事項を符号化できません", err.Error())
		}
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment
		tmpl.Policies = []x509.OID{mustOID(jpki.OIDPolicySignature)}
		tmpl.ExtraExtensions = []pkix.Extension{{Id: jpki.OIDItems, Value: items}}
	} else {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
		tmpl.Policies = []x509.OID{mustOID(jpki.OIDPolicyAuthentication)}
	}
	ca.signers <- struct{}{}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.issuing, csr.PublicKey, ca.issuingKey)
	<-ca.signers
	if err != nil {
		return refuse(jpki.RefusedCSR, "証明書を作成できません", err.Error())
	}
	ca.mu.Lock()
	ca.issued[serial.Text(16)] = &Record{Serial: serial.Text(16), Municipality: req.Municipality, Resident: req.Resident, Kind: req.Kind,
		NotBefore: tmpl.NotBefore, NotAfter: tmpl.NotAfter}
	if req.Kind == jpki.Signature {
		it := *req.Applicant
		ca.issued[serial.Text(16)].items = &it
	}
	ca.mu.Unlock()
	return jpki.IssueResponse{RequestID: req.RequestID, Certificate: der, Chain: [][]byte{ca.issuing.Raw}}, nil
}

func validItems(it *jpki.Items) bool {
	if it == nil || strings.TrimSpace(it.Name) == "" || strings.TrimSpace(it.Address) == "" || !sexes[it.Sex] {
		return false
	}
	_, err := time.Parse(time.DateOnly, it.BirthDate)
	return err == nil
}

// Expiring lists the municipality's certificates that are valid now, not
// revoked, and expire before the start of the day req.Before in Japan,
// soonest first.
func (ca *CA) Expiring(req jpki.ExpiringRequest) (jpki.ExpiringResponse, *jpki.Refusal) {
	refuse := func(ja, en string) (jpki.ExpiringResponse, *jpki.Refusal) {
		return jpki.ExpiringResponse{}, &jpki.Refusal{RequestID: req.RequestID, Code: jpki.RefusedMalformed, JA: ja, EN: en}
	}
	if req.RequestID == "" || !municipality.MatchString(req.Municipality) {
		return refuse("要求番号または団体コードがありません", "request_id or municipality missing")
	}
	before, err := time.ParseInLocation(time.DateOnly, req.Before, jst)
	if err != nil {
		return refuse("期限の日付が日付ではありません", "before is not a date")
	}
	now := ca.now()
	resp := jpki.ExpiringResponse{RequestID: req.RequestID, Certificates: []jpki.Expiring{}}
	ca.mu.Lock()
	for _, r := range ca.issued {
		if r.Municipality == req.Municipality && r.RevokedAt.IsZero() && r.NotAfter.After(now) && r.NotAfter.Before(before) {
			resp.Certificates = append(resp.Certificates, jpki.Expiring{Serial: r.Serial, Kind: r.Kind, NotAfter: r.NotAfter.UTC(), Resident: r.Resident})
		}
	}
	ca.mu.Unlock()
	slices.SortFunc(resp.Certificates, func(a, b jpki.Expiring) int {
		if c := a.NotAfter.Compare(b.NotAfter); c != 0 {
			return c
		}
		return strings.Compare(a.Serial, b.Serial)
	})
	return resp, nil
}

// jst is the time zone of the municipalities' days.
var jst = time.FixedZone("JST", 9*60*60)

// Revoke revokes a certificate the CA issued for the same municipality.
func (ca *CA) Revoke(req jpki.RevokeRequest) (jpki.RevokeResponse, *jpki.Refusal) {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	r, ok := ca.issued[strings.ToLower(req.Serial)]
	if !ok || r.Municipality != req.Municipality {
		return jpki.RevokeResponse{}, &jpki.Refusal{RequestID: req.RequestID, Code: jpki.RefusedUnknown,
			JA: "この団体が発行した証明書ではありません", EN: "no certificate with that serial was issued for the municipality"}
	}
	switch req.Reason {
	case jpki.RevokeLost, jpki.RevokeChanged, jpki.RevokeOther:
	default:
		return jpki.RevokeResponse{}, &jpki.Refusal{RequestID: req.RequestID, Code: jpki.RefusedMalformed,
			JA: "失効の理由が不明です", EN: "unknown reason"}
	}
	if r.RevokedAt.IsZero() {
		r.RevokedAt, r.Reason = ca.now().UTC().Truncate(time.Second), req.Reason
	}
	return jpki.RevokeResponse{RequestID: req.RequestID, Serial: r.Serial, RevokedAt: r.RevokedAt}, nil
}

// ItemsChanged revokes, for each resident sent, every valid signature
// certificate the CA issued for the municipality whose items differ from
// the ones sent (reason items_changed), as J-LIS does when a municipality's
// register reports a change of the basic four items or the alias.
func (ca *CA) ItemsChanged(req jpki.ItemsChangedRequest) (jpki.ItemsChangedResponse, *jpki.Refusal) {
	if req.RequestID == "" || !municipality.MatchString(req.Municipality) {
		return jpki.ItemsChangedResponse{}, &jpki.Refusal{RequestID: req.RequestID, Code: jpki.RefusedMalformed,
			JA: "要求番号または団体コードがありません", EN: "request_id or municipality missing"}
	}
	now := map[string]jpki.Items{}
	for _, r := range req.Residents {
		if r.Resident == "" || !validItems(&r.Items) {
			return jpki.ItemsChangedResponse{}, &jpki.Refusal{RequestID: req.RequestID, Code: jpki.RefusedItems,
				JA: "住民の本人確認情報が不完全です", EN: "a resident or its items are missing or malformed"}
		}
		now[r.Resident] = r.Items
	}
	resp := jpki.ItemsChangedResponse{RequestID: req.RequestID, Revoked: []jpki.Revoked{}}
	at := ca.now().UTC().Truncate(time.Second)
	ca.mu.Lock()
	for _, r := range ca.issued {
		it, sent := now[r.Resident]
		if !sent || r.Municipality != req.Municipality || r.Kind != jpki.Signature || !r.RevokedAt.IsZero() ||
			!r.NotAfter.After(at) || r.items == nil || *r.items == it {
			continue
		}
		r.RevokedAt, r.Reason = at, jpki.RevokeChanged
		resp.Revoked = append(resp.Revoked, jpki.Revoked{Serial: r.Serial, Resident: r.Resident, RevokedAt: at})
	}
	ca.mu.Unlock()
	slices.SortFunc(resp.Revoked, func(a, b jpki.Revoked) int {
		return strings.Compare(a.Resident+" "+a.Serial, b.Resident+" "+b.Serial)
	})
	return resp, nil
}

// ResidentsLeft revokes, for each resident sent, every valid signature
// certificate the CA issued for the municipality of a resident who moved
// out, and every valid certificate of one who died, as J-LIS does when a
// municipality's register reports that a resident left it.
func (ca *CA) ResidentsLeft(req jpki.ResidentsLeftRequest) (jpki.ResidentsLeftResponse, *jpki.Refusal) {
	if req.RequestID == "" || !municipality.MatchString(req.Municipality) {
		return jpki.ResidentsLeftResponse{}, &jpki.Refusal{RequestID: req.RequestID, Code: jpki.RefusedMalformed,
			JA: "要求番号または団体コードがありません", EN: "request_id or municipality missing"}
	}
	left := map[string]string{}
	for _, r := range req.Residents {
		_, err := time.Parse(time.DateOnly, r.Effective)
		if r.Resident == "" || (r.Kind != jpki.RevokeMovedOut && r.Kind != jpki.RevokeDeceased) || err != nil {
			return jpki.ResidentsLeftResponse{}, &jpki.Refusal{RequestID: req.RequestID, Code: jpki.RefusedMalformed,
				JA: "住民コード、異動の種別または異動日がありません", EN: "a resident, its kind of departure or its date is missing or malformed"}
		}
		left[r.Resident] = r.Kind
	}
	resp := jpki.ResidentsLeftResponse{RequestID: req.RequestID, Revoked: []jpki.Revoked{}}
	at := ca.now().UTC().Truncate(time.Second)
	ca.mu.Lock()
	for _, r := range ca.issued {
		kind, sent := left[r.Resident]
		if !sent || r.Municipality != req.Municipality || !r.RevokedAt.IsZero() || !r.NotAfter.After(at) ||
			(kind == jpki.RevokeMovedOut && r.Kind != jpki.Signature) {
			continue
		}
		r.RevokedAt, r.Reason = at, kind
		resp.Revoked = append(resp.Revoked, jpki.Revoked{Serial: r.Serial, Resident: r.Resident, Kind: r.Kind, RevokedAt: at})
	}
	ca.mu.Unlock()
	slices.SortFunc(resp.Revoked, func(a, b jpki.Revoked) int {
		return strings.Compare(a.Resident+" "+a.Serial, b.Resident+" "+b.Serial)
	})
	return resp, nil
}

func (ca *CA) leaf(subject pkix.Name, usage x509.ExtKeyUsage, dns []string, ips []net.IP) (tls.Certificate, error) {
	key, err := newKey()
	if err != nil {
		return tls.Certificate{}, err
	}
	now := ca.now()
	cert, err := sign(&x509.Certificate{
		Subject: subject, NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(2, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage}, BasicConstraintsValid: true,
		DNSNames: dns, IPAddresses: ips,
	}, ca.root, key.Public(), ca.rootKey)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert}, nil
}

func hosts(extra []string) ([]string, []net.IP) {
	dns := []string{"localhost"}
	ips := []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	for _, h := range extra {
		if ip := net.ParseIP(h); ip != nil {
			ips = append(ips, ip)
		} else if h != "" {
			dns = append(dns, h)
		}
	}
	return dns, ips
}

// newKey makes a key of a TLS endpoint (the CA's server and bango's
// client certificate).
func newKey() (crypto.Signer, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) }

// newCAKey makes a key of the root and the issuing CA: RSA 2048, as the
// JPKI certification authority's own certificates are (sha256WithRSA), so
// that signing a card's certificate costs what it costs J-LIS.
func newCAKey() (crypto.Signer, error) { return rsa.GenerateKey(rand.Reader, 2048) }

func sign(tmpl, parent *x509.Certificate, pub crypto.PublicKey, key crypto.Signer) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	tmpl.SerialNumber = serial
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, key)
	if err != nil {
		return nil, fmt.Errorf("standin: sign %s: %w", tmpl.Subject.CommonName, err)
	}
	return x509.ParseCertificate(der)
}

func loadPair(certFile, keyFile string) (*x509.Certificate, crypto.Signer, error) {
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, nil, fmt.Errorf("standin: %w", err)
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return nil, nil, err
	}
	return cert, pair.PrivateKey.(crypto.Signer), nil
}

func mustOID(o asn1.ObjectIdentifier) x509.OID {
	ints := make([]uint64, len(o))
	for i, n := range o {
		ints[i] = uint64(n)
	}
	oid, err := x509.OIDFromInts(ints)
	if err != nil {
		panic(err)
	}
	return oid
}

// ClientConfig is the configuration bango needs to reach this CA at url:
// its root as the trust anchor and the client certificate it made.
func (ca *CA) ClientConfig(url string) jpki.ClientConfig {
	return jpki.ClientConfig{URL: url, Anchor: ca.root, Client: ca.client}
}
