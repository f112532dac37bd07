package testutil

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// Mail is a message an SMTPServer received.
type Mail struct {
	From string
	To   []string
	Data string // headers and body as sent
	TLS  bool   // delivered after STARTTLS
}

// SMTPServer is a small in-process SMTP server for tests: EHLO, STARTTLS
// (when offered), MAIL, RCPT, DATA, RSET, NOOP, QUIT.
type SMTPServer struct {
	Addr      string
	Host      string
	Port      int
	ClientTLS *tls.Config // trusts the server's certificate
	ln        net.Listener
	tlsConf   *tls.Config
	starttls  bool
	mu        sync.Mutex
	mails     []Mail
}

// NewSMTPServer listens on 127.0.0.1; with starttls it offers STARTTLS
// with a certificate of its own, which ClientTLS trusts.
func NewSMTPServer(t *testing.T, starttls bool) *SMTPServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	s := &SMTPServer{Addr: ln.Addr().String(), Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, ln: ln, starttls: starttls,
		tlsConf:   &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
		ClientTLS: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}}
	go s.serve()
	t.Cleanup(func() { ln.Close() })
	return s
}

// Close stops the server, as a mail server that is down.
func (s *SMTPServer) Close() { s.ln.Close() }

// Mails returns what the server received.
func (s *SMTPServer) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mails...)
}

func (s *SMTPServer) serve() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		go s.session(c)
	}
}

func (s *SMTPServer) session(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	r, w := bufio.NewReader(c), bufio.NewWriter(c)
	say := func(line string) { w.WriteString(line + "\r\n"); w.Flush() }
	say("220 test ESMTP")
	var m Mail
	secure := false
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		switch verb {
		case "EHLO", "HELO":
			if s.starttls && !secure {
				say("250-test")
				say("250 STARTTLS")
			} else {
				say("250 test")
			}
		case "STARTTLS":
			if !s.starttls || secure {
				say("502 not now")
				continue
			}
			say("220 go ahead")
			tc := tls.Server(c, s.tlsConf)
			if err := tc.Handshake(); err != nil {
				return
			}
			c, secure = tc, true
			r, w = bufio.NewReader(tc), bufio.NewWriter(tc)
		case "MAIL":
			m = Mail{From: strings.Trim(strings.TrimPrefix(line[5:], "FROM:"), "<> "), TLS: secure}
			say("250 ok")
		case "RCPT":
			m.To = append(m.To, strings.Trim(strings.TrimPrefix(line[5:], "TO:"), "<> "))
			say("250 ok")
		case "DATA":
			say("354 go on")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(strings.TrimPrefix(l, "."))
			}
			m.Data = b.String()
			s.mu.Lock()
			s.mails = append(s.mails, m)
			s.mu.Unlock()
			say("250 queued")
		case "RSET", "NOOP":
			say("250 ok")
		case "QUIT":
			say("221 bye")
			return
		default:
			say("502 unknown")
		}
	}
}
