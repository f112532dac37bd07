package jpki

import (
	"bytes"
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"bango/internal/errs"
)

// ClientConfig is where the CA is and how bango knows it: its address,
// the trust anchor that its TLS certificate and every certificate it
// issues must chain to, and bango's own client certificate for mutual TLS
// (R-LNK-3).
type ClientConfig struct {
	URL     string            // https://host:port
	Anchor  *x509.Certificate // the CA's root
	Client  tls.Certificate   // bango's certificate and key
	Timeout time.Duration     // for one request; 0 means 30 s
	Policy  KeyPolicy         // zero means DefaultKeyPolicy
	// Dial, when set, opens every connection to the CA: bango serve's
	// egress dialer, which allows only the configured addresses (R-LNK-4).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// LoadClientConfig reads the anchor and the client certificate and key
// from PEM files.
func LoadClientConfig(rawURL, anchorFile, certFile, keyFile string, timeout time.Duration) (ClientConfig, error) {
	anchorPEM, err := os.ReadFile(anchorFile)
	if err != nil {
		return ClientConfig{}, fmt.Errorf("jpki: read the CA's trust anchor: %w", err)
	}
	b, _ := pem.Decode(anchorPEM)
	if b == nil || b.Type != "CERTIFICATE" {
		return ClientConfig{}, fmt.Errorf("jpki: trust anchor %s holds no PEM CERTIFICATE", anchorFile)
	}
	anchor, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		return ClientConfig{}, fmt.Errorf("jpki: trust anchor %s: %w", anchorFile, err)
	}
	client, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return ClientConfig{}, fmt.Errorf("jpki: client certificate for the CA: %w", err)
	}
	return ClientConfig{URL: rawURL, Anchor: anchor, Client: client, Timeout: timeout}, nil
}

// Client talks to the certification authority.
type Client struct {
	base   *url.URL
	anchor *x509.CertPool
	http   *http.Client
	policy KeyPolicy
	now    func() time.Time
}

// NewClient returns a client for cfg. Only https is accepted: the CA is
// reached over mutual TLS and nothing else.
func NewClient(cfg ClientConfig) (*Client, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("jpki: the CA's address %q is not an https:// URL", cfg.URL)
	}
	if cfg.Anchor == nil {
		return nil, errors.New("jpki: no trust anchor for the CA")
	}
	if len(cfg.Client.Certificate) == 0 {
		return nil, errors.New("jpki: no client certificate for the CA (mutual TLS)")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	if len(cfg.Policy.RSABits) == 0 {
		cfg.Policy = DefaultKeyPolicy
	}
	pool := x509.NewCertPool()
	pool.AddCert(cfg.Anchor)
	tr := &http.Transport{
		TLSClientConfig: &tls.Config{
			RootCAs:      pool,
			Certificates: []tls.Certificate{cfg.Client},
			MinVersion:   tls.VersionTLS13,
		},
		ForceAttemptHTTP2:   true,
		MaxIdleConnsPerHost: 16,
		Proxy:               nil, // the CA is on the dedicated line, never through a proxy (R-LNK-4)
		DialContext:         cfg.Dial,
	}
	return &Client{base: u, anchor: pool, policy: cfg.Policy, now: time.Now,
		http: &http.Client{Transport: tr, Timeout: cfg.Timeout}}, nil
}

// Policy is the key policy requests are checked against.
func (c *Client) Policy() KeyPolicy { return c.policy }

// Why an exchange with the CA ended without a certificate, as the audit
// event's outcome detail says it.
const (
	FailRefused     = "refused"     // the CA answered with a refusal
	FailTimeout     = "timeout"     // no answer in time
	FailUnreachable = "unreachable" // no connection, or the TLS handshake failed
	FailBadAnswer   = "bad_answer"  // an answer that does not match the request, or does not chain to the anchor
)

// CAError is an exchange with the CA that ended without what was asked.
type CAError struct {
	Why     string   // one of the Fail… words
	Refusal *Refusal // the CA's refusal, for FailRefused
	Err     error
}

func (e *CAError) Error() string {
	if e.Refusal != nil {
		return "jpki: the CA refused: " + e.Refusal.Code + ": " + e.Refusal.EN
	}
	return "jpki: " + e.Why + ": " + e.Err.Error()
}

func (e *CAError) Unwrap() error { return e.Err }

// Told is the staff sentence and kind of e.
func (e *CAError) Told() error {
	switch e.Why {
	case FailRefused:
		return errs.Tell(errs.Conflict, errs.Message{
			JA: "認証局が発行を受け付けませんでした：" + e.Refusal.JA + "。入力内容は保持していません",
			EN: "The certification authority refused: " + e.Refusal.EN + ". Nothing was kept"}, "%v", e)
	case FailTimeout:
		return errs.Tell(errs.Unavailable, errs.Message{
			JA: "認証局から時間内に応答がありませんでした。入力内容は保持していません。時間をおいて最初からやり直してください",
			EN: "The certification authority did not answer in time. Nothing was kept; start again later"}, "%v", e)
	case FailUnreachable:
		return errs.Tell(errs.Unavailable, errs.Message{
			JA: "認証局に接続できませんでした（回線または証明書の設定）。入力内容は保持していません。情報システム部門に連絡してください",
			EN: "The certification authority could not be reached (line or certificate settings). Nothing was kept; call the IS department"}, "%v", e)
	}
	return errs.Tell(errs.Unavailable, errs.Message{
		JA: "認証局の応答が要求と一致しないため受け取りませんでした。入力内容は保持していません。情報システム部門に連絡してください",
		EN: "The certification authority's answer does not match the request and was not accepted. Nothing was kept; call the IS department"}, "%v", e)
}

// Issued is a certificate the CA issued and bango checked.
type Issued struct {
	Kind        Kind
	Certificate *x509.Certificate
	Chain       []*x509.Certificate
}

// Issue sends one issuance request and checks the answer against it: the
// certificate chains to the anchor, is for the requested kind, holds the
// requested key, and carries exactly the requested items (signature) or
// none (authentication). csr must have been checked by ParseRequest.
func (c *Client) Issue(ctx context.Context, req IssueRequest, csr *x509.CertificateRequest) (*Issued, error) {
	var resp IssueResponse
	if err := c.post(ctx, "/v1/certificates", req.RequestID, req, &resp); err != nil {
		return nil, err
	}
	bad := func(format string, args ...any) error {
		return &CAError{Why: FailBadAnswer, Err: fmt.Errorf(format, args...)}
	}
	if resp.RequestID != req.RequestID {
		return nil, bad("the answer is for request %q, not %q", resp.RequestID, req.RequestID)
	}
	cert, err := x509.ParseCertificate(resp.Certificate)
	if err != nil {
		return nil, bad("the certificate does not parse: %v", err)
	}
	inter := x509.NewCertPool()
	var chain []*x509.Certificate
	for i, der := range resp.Chain {
		ca, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, bad("chain certificate %d does not parse: %v", i, err)
		}
		inter.AddCert(ca)
		chain = append(chain, ca)
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: c.anchor, Intermediates: inter, CurrentTime: c.now(),
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return nil, bad("the certificate does not chain to the configured trust anchor: %v", err)
	}
	if pub, ok := cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool }); !ok || !pub.Equal(csr.PublicKey) {
		return nil, bad("the certificate holds another public key than the request")
	}
	if err := CheckCertificate(cert, req.Kind, req.Applicant); err != nil {
		return nil, bad("%v", err)
	}
	return &Issued{Kind: req.Kind, Certificate: cert, Chain: chain}, nil
}

// CheckCertificate checks that cert is a certificate of kind carrying
// exactly items (a signature certificate) or no personal item (an
// authentication certificate, items nil).
func CheckCertificate(cert *x509.Certificate, kind Kind, items *Items) error {
	want := OIDPolicySignature
	if kind == Authentication {
		want = OIDPolicyAuthentication
	}
	if !slices.ContainsFunc(cert.Policies, func(o x509.OID) bool { return o.EqualASN1OID(want) }) {
		return fmt.Errorf("the certificate is not of the %s kind", kind)
	}
	var got *Items
	for _, ext := range cert.Extensions {
		if ext.Id.Equal(OIDItems) {
			it, err := UnmarshalItems(ext.Value)
			if err != nil {
				return fmt.Errorf("the items do not parse: %v", err)
			}
			got = &it
		}
	}
	switch {
	case kind == Authentication && (got != nil || len(cert.DNSNames)+len(cert.EmailAddresses)+len(cert.URIs) > 0 ||
		len(cert.Subject.Names) > 1 || cert.Subject.CommonName != cert.SerialNumber.Text(16)):
		return errors.New("the authentication certificate carries personal items")
	case kind == Signature && got == nil:
		return errors.New("the signature certificate carries no items")
	case kind == Signature && *got != *items:
		return errors.New("the signature certificate carries other items than were sent")
	}
	return nil
}

// Revoke asks the CA to revoke the certificate with serial (hexadecimal).
func (c *Client) Revoke(ctx context.Context, req RevokeRequest) (RevokeResponse, error) {
	var resp RevokeResponse
	if err := c.post(ctx, "/v1/revocations", req.RequestID, req, &resp); err != nil {
		return RevokeResponse{}, err
	}
	if resp.RequestID != req.RequestID || !strings.EqualFold(resp.Serial, req.Serial) {
		return RevokeResponse{}, &CAError{Why: FailBadAnswer, Err: fmt.Errorf("the answer is for request %q serial %s, not %q serial %s",
			resp.RequestID, resp.Serial, req.RequestID, req.Serial)}
	}
	return resp, nil
}

// Expiring asks the CA for the municipality's certificates that expire
// before the day req.Before, and checks the answer: it is for this
// request, and each certificate is of a known kind, names a resident and
// expires before that day.
func (c *Client) Expiring(ctx context.Context, req ExpiringRequest) (ExpiringResponse, error) {
	var resp ExpiringResponse
	if err := c.post(ctx, "/v1/expiring", req.RequestID, req, &resp); err != nil {
		return ExpiringResponse{}, err
	}
	bad := func(format string, args ...any) (ExpiringResponse, error) {
		return ExpiringResponse{}, &CAError{Why: FailBadAnswer, Err: fmt.Errorf(format, args...)}
	}
	if resp.RequestID != req.RequestID {
		return bad("the answer is for request %q, not %q", resp.RequestID, req.RequestID)
	}
	before, err := time.ParseInLocation(time.DateOnly, req.Before, jst)
	if err != nil {
		return ExpiringResponse{}, err
	}
	for i, e := range resp.Certificates {
		switch {
		case !serialHex.MatchString(strings.ToLower(e.Serial)):
			return bad("certificate %d: serial %q is not hexadecimal", i, e.Serial)
		case !e.Kind.Valid():
			return bad("certificate %d: unknown kind %q", i, e.Kind)
		case e.Resident == "":
			return bad("certificate %d names no resident", i)
		case !e.NotAfter.Before(before):
			return bad("certificate %d expires %s, not before %s", i, e.NotAfter.Format(time.RFC3339), req.Before)
		}
	}
	return resp, nil
}

// ItemsChanged sends the current items of residents whose register entry
// changed, and checks the answer: it is for this request, and each
// certificate revoked has a hexadecimal serial and is of a resident sent.
func (c *Client) ItemsChanged(ctx context.Context, req ItemsChangedRequest) (ItemsChangedResponse, error) {
	var resp ItemsChangedResponse
	if err := c.post(ctx, "/v1/items-changed", req.RequestID, req, &resp); err != nil {
		return ItemsChangedResponse{}, err
	}
	bad := func(format string, args ...any) (ItemsChangedResponse, error) {
		return ItemsChangedResponse{}, &CAError{Why: FailBadAnswer, Err: fmt.Errorf(format, args...)}
	}
	if resp.RequestID != req.RequestID {
		return bad("the answer is for request %q, not %q", resp.RequestID, req.RequestID)
	}
	sent := make(map[string]bool, len(req.Residents))
	for _, r := range req.Residents {
		sent[r.Resident] = true
	}
	for i, r := range resp.Revoked {
		switch {
		case !serialHex.MatchString(strings.ToLower(r.Serial)):
			return bad("revocation %d: serial %q is not hexadecimal", i, r.Serial)
		case !sent[r.Resident]:
			return bad("revocation %d: resident %q was not sent", i, r.Resident)
		case r.RevokedAt.IsZero():
			return bad("revocation %d: no time", i)
		}
	}
	return resp, nil
}

// ResidentsLeft sends the residents who left the register, and checks the
// answer: it is for this request, and each certificate revoked has a
// hexadecimal serial, is of a resident sent, and is a signature
// certificate unless its resident died.
func (c *Client) ResidentsLeft(ctx context.Context, req ResidentsLeftRequest) (ResidentsLeftResponse, error) {
	var resp ResidentsLeftResponse
	if err := c.post(ctx, "/v1/residents-left", req.RequestID, req, &resp); err != nil {
		return ResidentsLeftResponse{}, err
	}
	bad := func(format string, args ...any) (ResidentsLeftResponse, error) {
		return ResidentsLeftResponse{}, &CAError{Why: FailBadAnswer, Err: fmt.Errorf(format, args...)}
	}
	if resp.RequestID != req.RequestID {
		return bad("the answer is for request %q, not %q", resp.RequestID, req.RequestID)
	}
	sent := make(map[string]string, len(req.Residents))
	for _, r := range req.Residents {
		sent[r.Resident] = r.Kind
	}
	for i, r := range resp.Revoked {
		kind, ok := sent[r.Resident]
		switch {
		case !serialHex.MatchString(strings.ToLower(r.Serial)):
			return bad("revocation %d: serial %q is not hexadecimal", i, r.Serial)
		case !ok:
			return bad("revocation %d: resident %q was not sent", i, r.Resident)
		case r.Kind != Signature && r.Kind != Authentication:
			return bad("revocation %d: kind %q", i, r.Kind)
		case r.Kind == Authentication && kind != RevokeDeceased:
			return bad("revocation %d: the authentication certificate of a resident who moved out", i)
		case r.RevokedAt.IsZero():
			return bad("revocation %d: no time", i)
		}
	}
	return resp, nil
}

// maxAnswer bounds what is read from the CA: a certificate and its chain
// are a few kilobytes.
const maxAnswer = 1 << 20

func (c *Client) post(ctx context.Context, path, requestID string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base.JoinPath(path).String(), bytes.NewReader(body))
	if err != nil {
		return err
	}
	hreq.Header.Set("Content-Type", "application/json")
	res, err := c.http.Do(hreq)
	if err != nil {
		return &CAError{Why: failOf(err), Err: err}
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, maxAnswer))
	if err != nil {
		return &CAError{Why: failOf(err), Err: err}
	}
	if res.StatusCode >= 400 && res.StatusCode < 500 {
		var r Refusal
		if json.Unmarshal(data, &r) != nil || r.Code == "" || r.JA == "" {
			return &CAError{Why: FailBadAnswer, Err: fmt.Errorf("status %d without a refusal", res.StatusCode)}
		}
		if r.RequestID != requestID {
			return &CAError{Why: FailBadAnswer, Err: fmt.Errorf("a refusal of request %q, not %q", r.RequestID, requestID)}
		}
		return &CAError{Why: FailRefused, Refusal: &r, Err: errors.New(r.Code)}
	}
	if res.StatusCode != http.StatusOK {
		return &CAError{Why: FailUnreachable, Err: fmt.Errorf("status %d", res.StatusCode)}
	}
	if err := json.Unmarshal(data, out); err != nil {
		return &CAError{Why: FailBadAnswer, Err: fmt.Errorf("the answer does not parse: %v", err)}
	}
	return nil
}

func failOf(err error) string {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return FailTimeout
	}
	return FailUnreachable
}
