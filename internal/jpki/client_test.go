package jpki_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"bango/internal/errs"
	"bango/internal/jpki"
	"bango/internal/jpki/standin"
)

// applicant is the person of the client tests.
var applicant = jpki.Items{Name: "山田　花子", Alias: "ヤマダ　ハナ", Address: "東京都新宿区西新宿二丁目8番1号", BirthDate: "1985-07-14", Sex: "2"}

// startCA serves a fresh stand-in CA over mutual TLS for the test.
func startCA(t *testing.T) (*standin.CA, *httptest.Server) {
	t.Helper()
	ca, err := standin.New(standin.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(ca.Handler())
	srv.TLS = ca.TLSConfig()
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return ca, srv
}

func client(t *testing.T, cfg jpki.ClientConfig) *jpki.Client {
	t.Helper()
	c, err := jpki.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The card's keys are RSA 2048; making one takes a while, so the tests
// share a few.
var (
	keysOnce sync.Once
	keys     [3]*rsa.PrivateKey
)

func cardKey(t testing.TB, i int) *rsa.PrivateKey {
	t.Helper()
	keysOnce.Do(func() {
		for i := range keys {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			keys[i] = k
		}
	})
	return keys[i]
}

// csrOf is a PKCS#10 request signed by key, as the card makes one.
func csrOf(t testing.TB, key crypto.Signer) []byte {
	t.Helper()
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{}, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func parsed(t testing.TB, der []byte) *x509.CertificateRequest {
	t.Helper()
	csr, err := jpki.ParseRequest(der, jpki.DefaultKeyPolicy, "csr")
	if err != nil {
		t.Fatalf("a card's request is refused: %v", err)
	}
	return csr
}

func request(id string, kind jpki.Kind, der []byte) jpki.IssueRequest {
	req := jpki.IssueRequest{RequestID: id, Municipality: "131041", Resident: "100001", Kind: kind, ApplicationDate: "2026-12-02", CSR: der}
	if kind == jpki.Signature {
		it := applicant
		req.Applicant = &it
	}
	return req
}

// R-JPKI-1, R-LNK-3: both certificates are issued end to end over mutual
// TLS; each verifies against the CA and carries the request's items
// (signature) or none (authentication).
func TestIssueBothOverMutualTLS(t *testing.T) {
	ca, srv := startCA(t)
	c := client(t, ca.ClientConfig(srv.URL))
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(ca.Root())
	inter.AddCert(ca.Issuing())
	for i, kind := range jpki.Kinds {
		der := csrOf(t, cardKey(t, i))
		got, err := c.Issue(context.Background(), request("w-"+string(kind), kind, der), parsed(t, der))
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		cert := got.Certificate
		if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
			t.Errorf("%s: does not verify against the CA: %v", kind, err)
		}
		if !cert.PublicKey.(*rsa.PublicKey).Equal(cardKey(t, i).Public()) {
			t.Errorf("%s: another key", kind)
		}
		var items *jpki.Items
		for _, ext := range cert.Extensions {
			if ext.Id.Equal(jpki.OIDItems) {
				it, err := jpki.UnmarshalItems(ext.Value)
				if err != nil {
					t.Fatal(err)
				}
				items = &it
			}
		}
		switch kind {
		case jpki.Signature:
			if items == nil || *items != applicant {
				t.Errorf("signature certificate carries %+v, want %+v", items, applicant)
			}
		case jpki.Authentication:
			if items != nil || bytes.Contains(cert.Raw, []byte(applicant.Name)) || bytes.Contains(cert.Raw, []byte(applicant.Address)) {
				t.Errorf("authentication certificate carries personal items: %+v", items)
			}
		}
		if r, ok := ca.Lookup(cert.SerialNumber.Text(16)); !ok || r.Kind != kind {
			t.Errorf("%s: the CA keeps %+v", kind, r)
		}
	}
}

// R-JPKI-1: a forged request (its signature altered), a mismatched one
// (one key's signature over another key's request) and a key the CA does
// not accept are refused before anything is sent, naming the field.
func TestRequestCheckedBeforeSending(t *testing.T) {
	good := csrOf(t, cardKey(t, 0))
	forged := bytes.Clone(good)
	forged[len(forged)-5] ^= 0xff // inside the signature
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{
		"forged":      forged,
		"mismatched":  splice(t, csrOf(t, cardKey(t, 1)), good),
		"rsa 1024":    csrOf(t, small),
		"ecdsa p-256": csrOf(t, ec),
		"not pkcs#10": []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
		"garbage":     []byte("not a request"),
	}
	for name, der := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := jpki.ParseRequest(der, jpki.DefaultKeyPolicy, "csr_signature")
			if !errs.Is(err, errs.Invalid) || len(errs.Fields(err)) != 1 || errs.Fields(err)[0].Field != "csr_signature" {
				t.Fatalf("got %v, want a refusal of the field csr_signature", err)
			}
			if f := errs.Fields(err)[0].Reason; f.JA == "" || f.EN == "" {
				t.Errorf("the refusal is not in both languages: %+v", f)
			}
		})
	}
}

// splice is the request info of info's request with the signature of
// sig's: a request whose signature was made by another key.
func splice(t *testing.T, info, sig []byte) []byte {
	t.Helper()
	type outer struct {
		Info asn1.RawValue
		Alg  pkix.AlgorithmIdentifier
		Sig  asn1.BitString
	}
	var a, b outer
	if _, err := asn1.Unmarshal(info, &a); err != nil {
		t.Fatal(err)
	}
	if _, err := asn1.Unmarshal(sig, &b); err != nil {
		t.Fatal(err)
	}
	a.Sig = b.Sig
	der, err := asn1.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// R-LNK-3: a CA whose TLS certificate, or whose issued certificate, does
// not chain to the configured trust anchor is refused.
func TestAnchor(t *testing.T) {
	ca, srv := startCA(t)
	other, err := standin.New(standin.Options{})
	if err != nil {
		t.Fatal(err)
	}
	der := csrOf(t, cardKey(t, 0))

	cfg := ca.ClientConfig(srv.URL)
	cfg.Anchor = other.Root()
	_, err = client(t, cfg).Issue(context.Background(), request("w1", jpki.Signature, der), parsed(t, der))
	wantFail(t, err, jpki.FailUnreachable)

	// The connection is good, but the certificate comes from another CA.
	ca.SetTamper(func(req jpki.IssueRequest, resp *jpki.IssueResponse) {
		r, refusal := other.Sign(req)
		if refusal != nil {
			t.Errorf("the other CA refuses: %+v", refusal)
		}
		*resp = r
	})
	_, err = client(t, ca.ClientConfig(srv.URL)).Issue(context.Background(), request("w2", jpki.Signature, der), parsed(t, der))
	wantFail(t, err, jpki.FailBadAnswer)
}

// R-LNK-3: without bango's client certificate the CA does not answer.
func TestMutualTLSRequired(t *testing.T) {
	ca, srv := startCA(t)
	other, err := standin.New(standin.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := ca.ClientConfig(srv.URL)
	cfg.Client = other.ClientCertificate() // a client certificate the CA did not make
	der := csrOf(t, cardKey(t, 0))
	_, err = client(t, cfg).Issue(context.Background(), request("w1", jpki.Signature, der), parsed(t, der))
	wantFail(t, err, jpki.FailUnreachable)
	if n := ca.Served(); n != 0 {
		t.Errorf("the CA served %d requests of an unknown client", n)
	}
	if _, err := jpki.NewClient(jpki.ClientConfig{URL: "http://127.0.0.1:1", Anchor: ca.Root(), Client: ca.ClientCertificate()}); err == nil {
		t.Error("a client over plain http was made")
	}
}

// An answer that does not match the request is refused: another request,
// other items, another key, the other kind.
func TestAnswerMustMatchRequest(t *testing.T) {
	ca, srv := startCA(t)
	c := client(t, ca.ClientConfig(srv.URL))
	der := csrOf(t, cardKey(t, 0))
	otherKey := csrOf(t, cardKey(t, 1))
	cases := map[string]func(jpki.IssueRequest, *jpki.IssueResponse){
		"request id": func(req jpki.IssueRequest, resp *jpki.IssueResponse) { resp.RequestID = "someone-else" },
		"items": func(req jpki.IssueRequest, resp *jpki.IssueResponse) {
			it := *req.Applicant
			it.Address = "東京都新宿区歌舞伎町一丁目4番1号"
			req.Applicant = &it
			*resp, _ = ca.Sign(req)
		},
		"key": func(req jpki.IssueRequest, resp *jpki.IssueResponse) {
			req.CSR = otherKey
			*resp, _ = ca.Sign(req)
		},
		"kind": func(req jpki.IssueRequest, resp *jpki.IssueResponse) {
			req.Kind, req.Applicant = jpki.Authentication, nil
			*resp, _ = ca.Sign(req)
		},
		"garbage": func(req jpki.IssueRequest, resp *jpki.IssueResponse) { resp.Certificate = []byte("x") },
	}
	for name, tamper := range cases {
		t.Run(name, func(t *testing.T) {
			ca.SetTamper(tamper)
			_, err := c.Issue(context.Background(), request("w-"+name, jpki.Signature, der), parsed(t, der))
			wantFail(t, err, jpki.FailBadAnswer)
		})
	}
}

// The CA's refusal and a CA that does not answer in time are told apart.
func TestRefusalAndTimeout(t *testing.T) {
	ca, srv := startCA(t)
	c := client(t, ca.ClientConfig(srv.URL))
	der := csrOf(t, cardKey(t, 0))
	req := request("w1", jpki.Signature, der)
	req.Applicant.Address = ""
	_, err := c.Issue(context.Background(), req, parsed(t, der))
	wantFail(t, err, jpki.FailRefused)
	if told, ok := errs.Told(err.(*jpki.CAError).Told(), "ja"); !ok || told == "" {
		t.Errorf("a refusal tells staff nothing: %v", err)
	}

	ca.SetDelay(time.Minute)
	cfg := ca.ClientConfig(srv.URL)
	cfg.Timeout = 100 * time.Millisecond
	_, err = client(t, cfg).Issue(context.Background(), request("w2", jpki.Signature, der), parsed(t, der))
	wantFail(t, err, jpki.FailTimeout)
}

// Revocation goes through the same boundary; a serial the CA did not
// issue for the municipality is refused.
func TestRevoke(t *testing.T) {
	ca, srv := startCA(t)
	c := client(t, ca.ClientConfig(srv.URL))
	der := csrOf(t, cardKey(t, 0))
	got, err := c.Issue(context.Background(), request("w1", jpki.Signature, der), parsed(t, der))
	if err != nil {
		t.Fatal(err)
	}
	serial := got.Certificate.SerialNumber.Text(16)
	_, err = c.Revoke(context.Background(), jpki.RevokeRequest{RequestID: "r1", Municipality: "011002", Serial: serial, Reason: jpki.RevokeLost})
	wantFail(t, err, jpki.FailRefused)
	resp, err := c.Revoke(context.Background(), jpki.RevokeRequest{RequestID: "r2", Municipality: "131041", Serial: serial, Reason: jpki.RevokeChanged})
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := ca.Lookup(serial); r.RevokedAt.IsZero() || !r.RevokedAt.Equal(resp.RevokedAt) || r.Reason != jpki.RevokeChanged {
		t.Errorf("the CA keeps %+v after revocation %+v", r, resp)
	}
}

func wantFail(t *testing.T, err error, why string) {
	t.Helper()
	var ce *jpki.CAError
	if !errors.As(err, &ce) || ce.Why != why {
		t.Fatalf("got %v, want a CA error %q", err, why)
	}
}
