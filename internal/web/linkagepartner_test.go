package web

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"bango/internal/linkage"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
	"bango/internal/tlsca"
	"bango/internal/wareki"
)

// partnerNet is the partner listener of a fixture's database, over mutual
// TLS, with the partners' CA, one push-only partner and one pull-only.
type partnerNet struct {
	srv            *httptest.Server
	linkage        *linkage.Service
	ca             *tlsca.PartnerCA
	pusher, puller tlsca.Issued
}

func newPartnerNet(t *testing.T, f *webFixture) *partnerNet {
	t.Helper()
	ca, err := tlsca.EnsurePartnerCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	n := &partnerNet{linkage: linkage.NewService(f.db, f.review), ca: ca}
	admin := testutil.As("cli:is-admin")
	for _, p := range []linkage.Partner{
		{Tenant: testkit.Shinjuku, ID: "resident-records", Direction: linkage.Inbound, Layouts: []string{"resident-differences"}},
		{Tenant: testkit.Shinjuku, ID: "aggregation", Direction: linkage.Outbound, Layouts: []string{"nhi-eligibility-continuity"}},
	} {
		if _, err := n.linkage.AddPartner(admin, p); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := n.linkage.SetInsurerNumber(admin, testkit.Shinjuku, "138016", time.Date(2000, 4, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	if n.pusher, err = n.linkage.IssueCertificate(admin, testkit.Shinjuku, "resident-records", ca); err != nil {
		t.Fatal(err)
	}
	if n.puller, err = n.linkage.IssueCertificate(admin, testkit.Shinjuku, "aggregation", ca); err != nil {
		t.Fatal(err)
	}
	s := New(Deps{DB: f.db, Users: f.users, Access: f.access, Log: testkit.Quiet, Version: "test", Limits: unlimited,
		Partners: PartnerDeps{Linkage: n.linkage, CA: ca, Eligibility: f.nhi}})
	s.SetReady(true)
	n.srv = httptest.NewUnstartedServer(s.PartnerHandler())
	// Any certificate is taken at the handshake here, so that the gate's
	// own checks are what refuses one of another CA.
	n.srv.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert}
	n.srv.StartTLS()
	t.Cleanup(n.srv.Close)
	return n
}

func (n *partnerNet) client(t *testing.T, is tlsca.Issued) *http.Client {
	t.Helper()
	pair, err := tls.X509KeyPair(is.CertPEM, is.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true, Certificates: []tls.Certificate{pair}}}}
}

func (n *partnerNet) do(t *testing.T, c *http.Client, method, path string, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, n.srv.URL+path, bytes.NewReader(body))
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/octet-stream")
		if strings.HasSuffix(path, "/ack") {
			req.Header.Set("Content-Type", "application/json")
		}
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if ct := res.Header.Get("Content-Type"); strings.HasPrefix(ct, "text/html") {
		t.Errorf("%s %s answered HTML", method, path)
	}
	return res, b
}

func residentFile(t *testing.T) []byte {
	t.Helper()
	l, err := linkage.Lookup("resident-differences", 1)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	w, err := linkage.NewWriter(&out, l, linkage.Values{"municipality": testkit.Shinjuku, "created": wareki.Civil(2026, 12, 2),
		"period_from": wareki.Civil(2026, 12, 1), "period_to": wareki.Civil(2026, 12, 1)})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := w.Write("2", linkage.Values{"change": "11", "resident_code": 700001 + i, "household_no": 7000, "name": "髙橋　一郎", "name_kana": "ﾀｶﾊｼ ｲﾁﾛｳ",
			"birth": wareki.Civil(1970, 1, 1+i), "sex": "1", "relation": "01", "postal": "1600023", "address": "東京都新宿区西新宿二丁目",
			"effective": wareki.Civil(2026, 12, 1)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Close(nil); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// R-LNK-2, R-LNK-3, R-ACC-5: over mutual TLS a push-only partner pushes
// a file that is imported, and its every attempt to read — a file, an
// acknowledgement, any staff page or API — is refused and recorded; the
// pull-only partner receives its file, acknowledged by SHA-256, and may
// not push; a revoked certificate is refused at its next request, on the
// same connection; a certificate of another CA and no certificate at all
// get nothing. No answer is HTML.
func TestPartnerRoutesOverMutualTLS(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		n := newPartnerNet(t, f)
		pusher, puller := n.client(t, n.pusher), n.client(t, n.puller)

		res, b := n.do(t, pusher, "POST", "/linkage/v1/files/resident-differences?name=IDO.DAT", residentFile(t))
		var pushed pushAnswer
		if res.StatusCode != http.StatusCreated || json.Unmarshal(b, &pushed) != nil || pushed.Outcome != linkage.Applied || pushed.Applied != 3 {
			t.Fatalf("push: %d %s", res.StatusCode, b)
		}
		before := testutil.CountEvents(t, f.db, `action IN ('linkage.partner.request', 'linkage.pull', 'request.refused') AND outcome = 'denied'`)
		reads := []struct{ method, path string }{
			{"GET", "/linkage/v1/files/resident-differences"},
			{"GET", "/linkage/v1/files/nhi-eligibility-continuity"},
			{"POST", "/linkage/v1/files/nhi-eligibility-continuity/1/ack"},
			{"GET", "/residents"},
			{"GET", "/api/v1/residents/100001"},
			{"GET", "/api/v1/audit/checkpoint"},
			{"GET", "/"},
		}
		for _, rd := range reads {
			var body []byte
			if rd.method == "POST" {
				body = []byte(`{"sha256": "00"}`)
			}
			res, b := n.do(t, pusher, rd.method, rd.path, body)
			if res.StatusCode < 400 || res.StatusCode >= 500 {
				t.Errorf("push-only partner read %s %s: %d %s", rd.method, rd.path, res.StatusCode, b)
			}
		}
		after := testutil.CountEvents(t, f.db, `action IN ('linkage.partner.request', 'linkage.pull', 'request.refused') AND outcome = 'denied'`)
		if after-before < len(reads) {
			t.Errorf("%d read attempts, %d refusals recorded", len(reads), after-before)
		}

		// The pull-only partner.
		res, b = n.do(t, puller, "GET", "/linkage/v1/files/nhi-eligibility-continuity?insurer=138016", nil)
		sum := sha256.Sum256(b)
		if res.StatusCode != http.StatusOK || res.Header.Get("X-Linkage-SHA256") != hex.EncodeToString(sum[:]) || !bytes.HasPrefix(b, []byte("1138016131041SKKZ")) {
			t.Fatalf("pull: %d %q %q", res.StatusCode, res.Header.Get("X-Linkage-SHA256"), b)
		}
		job := res.Header.Get("X-Linkage-Job")
		ack, _ := n.do(t, puller, "POST", "/linkage/v1/files/nhi-eligibility-continuity/"+job+"/ack", []byte(`{"sha256": "`+hex.EncodeToString(sum[:])+`"}`))
		if ack.StatusCode != http.StatusNoContent {
			t.Fatalf("ack: %d", ack.StatusCode)
		}
		if res, _ := n.do(t, puller, "POST", "/linkage/v1/files/resident-differences", residentFile(t)); res.StatusCode != http.StatusForbidden {
			t.Errorf("the pull-only partner pushed: %d", res.StatusCode)
		}

		// Revoked: refused at the next request on the same client.
		if _, err := n.linkage.RevokeCertificates(testutil.As("cli:is-admin"), testkit.Shinjuku, "resident-records", ""); err != nil {
			t.Fatal(err)
		}
		if res, _ := n.do(t, pusher, "POST", "/linkage/v1/files/resident-differences", residentFile(t)); res.StatusCode != http.StatusUnauthorized {
			t.Errorf("a revoked certificate: %d", res.StatusCode)
		}
		// Another CA's certificate naming the same partner.
		other, _ := tlsca.EnsurePartnerCA(t.TempDir())
		forged, _ := other.Issue(testkit.Shinjuku, "aggregation", time.Now())
		if res, _ := n.do(t, n.client(t, forged), "GET", "/linkage/v1/files/nhi-eligibility-continuity", nil); res.StatusCode != http.StatusUnauthorized {
			t.Errorf("another CA's certificate: %d", res.StatusCode)
		}
		bare := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
		if res, err := bare.Get(n.srv.URL + "/linkage/v1/files/nhi-eligibility-continuity"); err == nil {
			res.Body.Close()
			t.Errorf("no client certificate: %d", res.StatusCode)
		}
		// Every identified request is recorded.
		if n := testutil.CountEvents(t, f.db, `action = 'linkage.partner.request'`); n < 5 {
			t.Errorf("only %d partner requests recorded", n)
		}
		// The staff listener serves no partner route, even with a
		// partner's certificate.
		req, _ := http.NewRequest("GET", f.srv.URL+"/linkage/v1/files/nhi-eligibility-continuity", nil)
		if res, err := puller.Do(req); err != nil || res.StatusCode != http.StatusForbidden {
			t.Errorf("partner route on the staff listener: %v %v", res, err)
		}
	})
}
