// Package agent is the data-link agent (R-LNK-1): the one process on the
// dedicated data-link machine. It watches an outbox folder and pushes each
// complete file to bango over mutual TLS, fetches the files its partner
// may pull into an inbox folder, and keeps nothing readable once a
// transfer is confirmed. It holds no database and no key but its own
// client certificate's.
//
// A file found in the outbox is first sealed into the spool — encrypted
// with a key derived from the client key (HKDF-SHA256), in chunks of
// AES-256-GCM — and the plaintext in the outbox is overwritten and
// removed; the transfer is made from the spool. A failed transfer leaves
// only the sealed file, retried at the next pass, and after MaxAttempts it
// is discarded with an alert line. A pulled file is received into the
// spool sealed, checked against the SHA-256 bango announced, and only then
// written to the inbox (as NAME.part, renamed when whole) and acknowledged.
package agent

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is what the agent is given: where bango is, its own certificate,
// and its folders.
type Config struct {
	Server   string // https://host:port of bango's partner listener
	ServerCA string // bango's server CA (PEM): the only one trusted
	Cert     string // the partner certificate (PEM) bango issued
	Key      string // its key (PEM)
	Outbox   string // files to push, one folder a layout: OUTBOX/<layout>/<file>
	Inbox    string // files pulled, one folder a layout: INBOX/<layout>/<file>
	Spool    string // sealed files in transfer
	Pull     []string
	Insurer  string // the 保険者番号 an eligibility-continuity pull carries
	// MaxAttempts bounds the pushes of one sealed file; then it is
	// discarded with an alert line (default 20).
	MaxAttempts int
	Log         *slog.Logger
}

// Agent runs the passes.
type Agent struct {
	cfg    Config
	client *http.Client
	key    []byte           // the spool key, from the client key
	seen   map[string]stamp // outbox files seen at the last pass, by path
}

type stamp struct {
	size int64
	mod  time.Time
}

// New loads the certificate, key and server CA and derives the spool key.
func New(cfg Config) (*Agent, error) {
	if cfg.Server == "" || cfg.ServerCA == "" || cfg.Cert == "" || cfg.Key == "" || cfg.Spool == "" {
		return nil, errors.New("agent: --server, --server-ca, --cert, --key and --spool are required")
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 20
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	u, err := url.Parse(cfg.Server)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("agent: --server %q is not https://host:port", cfg.Server)
	}
	pair, err := tls.LoadX509KeyPair(cfg.Cert, cfg.Key)
	if err != nil {
		return nil, fmt.Errorf("agent: certificate %s / key %s: %w", cfg.Cert, cfg.Key, err)
	}
	caPEM, err := os.ReadFile(cfg.ServerCA)
	if err != nil {
		return nil, fmt.Errorf("agent: server CA: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("agent: server CA %s holds no certificate", cfg.ServerCA)
	}
	der, err := x509.MarshalPKCS8PrivateKey(pair.PrivateKey)
	if err != nil {
		return nil, err
	}
	key, err := hkdf.Key(sha256.New, der, nil, "bango linkage agent spool v1", 32)
	if err != nil {
		return nil, err
	}
	for _, d := range []string{cfg.Spool, cfg.Outbox, cfg.Inbox} {
		if d != "" {
			if err := os.MkdirAll(d, 0o700); err != nil {
				return nil, err
			}
		}
	}
	// The agent dials its server and nothing else (R-LNK-4): no proxy,
	// no redirect followed, any other address refused before a packet.
	server := u.Host
	if u.Port() == "" {
		server = net.JoinHostPort(u.Hostname(), "443")
	}
	dialer := &net.Dialer{Timeout: 30 * time.Second}
	tr := &http.Transport{TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots, Certificates: []tls.Certificate{pair}},
		Proxy: nil, ResponseHeaderTimeout: 5 * time.Minute,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if addr != server {
				return nil, fmt.Errorf("agent: %s is not the server %s, the only address the agent dials", addr, server)
			}
			return dialer.DialContext(ctx, network, addr)
		}}
	client := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &Agent{cfg: cfg, client: client, key: key, seen: map[string]stamp{}}, nil
}

// Run makes a pass every interval until ctx ends.
func (a *Agent) Run(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		a.Pass(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Pass seals the outbox's complete files, pushes what the spool holds,
// and pulls what the partner may pull. Failures are logged; the sealed
// files stay for the next pass.
func (a *Agent) Pass(ctx context.Context) {
	a.Push(ctx)
	for _, l := range a.cfg.Pull {
		if err := a.pull(ctx, l); err != nil {
			a.cfg.Log.Error("pull failed", "layout", l, "err", err)
		}
	}
}

// Push is a pass without the pulls: it seals the outbox's complete files
// and pushes what the spool holds.
func (a *Agent) Push(ctx context.Context) {
	if a.cfg.Outbox != "" {
		if err := a.sealOutbox(); err != nil {
			a.cfg.Log.Error("outbox not read", "err", err)
		}
	}
	a.pushSpool(ctx)
}

// sealOutbox moves every complete outbox file into the spool, sealed. A
// file is complete when its size and time are the same at two passes in a
// row and its name does not say it is being written (.part, .tmp, a
// leading dot).
func (a *Agent) sealOutbox() error {
	layouts, err := os.ReadDir(a.cfg.Outbox)
	if err != nil {
		return err
	}
	now := map[string]stamp{}
	for _, ld := range layouts {
		if !ld.IsDir() || !plainName(ld.Name()) {
			continue
		}
		files, err := os.ReadDir(filepath.Join(a.cfg.Outbox, ld.Name()))
		if err != nil {
			return err
		}
		for _, fe := range files {
			name := fe.Name()
			if !fe.Type().IsRegular() || !plainName(name) || strings.HasSuffix(name, ".part") || strings.HasSuffix(name, ".tmp") {
				continue
			}
			p := filepath.Join(a.cfg.Outbox, ld.Name(), name)
			fi, err := fe.Info()
			if err != nil {
				continue
			}
			st := stamp{fi.Size(), fi.ModTime()}
			if prev, ok := a.seen[p]; !ok || prev != st {
				now[p] = st
				continue
			}
			if err := a.seal(p, ld.Name(), name); err != nil {
				a.cfg.Log.Error("file not sealed", "file", p, "err", err)
				now[p] = st
			}
		}
	}
	a.seen = now
	return nil
}

func plainName(n string) bool {
	return n != "" && !strings.HasPrefix(n, ".") && !strings.ContainsAny(n, "/\\")
}

// A spool file is named <attempts>~<layout>~<file>.sealed.
func spoolName(attempts int, layout, name string) string {
	return strconv.Itoa(attempts) + "~" + layout + "~" + name + ".sealed"
}

func parseSpoolName(n string) (attempts int, layout, name string, ok bool) {
	n, ok = strings.CutSuffix(n, ".sealed")
	if !ok {
		return 0, "", "", false
	}
	parts := strings.SplitN(n, "~", 3)
	if len(parts) != 3 {
		return 0, "", "", false
	}
	attempts, err := strconv.Atoi(parts[0])
	return attempts, parts[1], parts[2], err == nil
}

// seal encrypts the outbox file into the spool and wipes the plaintext.
func (a *Agent) seal(path, layout, name string) error {
	in, err := os.Open(path)
	if err != nil {
		return err
	}
	defer in.Close()
	dst := filepath.Join(a.cfg.Spool, spoolName(0, layout, name))
	tmp := dst + ".part"
	out, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if err := sealStream(a.key, out, in); err != nil {
		out.Close()
		os.Remove(tmp)
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		os.Remove(tmp)
		return err
	}
	out.Close()
	if err := os.Rename(tmp, dst); err != nil {
		os.Remove(tmp)
		return err
	}
	in.Close()
	return wipe(path)
}

// wipe overwrites a file with zeros and removes it.
func wipe(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	if err == nil {
		zero := make([]byte, 64<<10)
		for left := fi.Size(); left > 0; {
			n := min(left, int64(len(zero)))
			if _, err = f.Write(zero[:n]); err != nil {
				break
			}
			left -= n
		}
		f.Sync()
	}
	f.Close()
	return os.Remove(path)
}

// pushSpool pushes every sealed outbound file; a confirmed one is wiped,
// a failed one stays sealed with its attempts counted, or is discarded
// with an alert after MaxAttempts.
func (a *Agent) pushSpool(ctx context.Context) {
	entries, err := os.ReadDir(a.cfg.Spool)
	if err != nil {
		a.cfg.Log.Error("spool not read", "err", err)
		return
	}
	for _, e := range entries {
		attempts, layout, name, ok := parseSpoolName(e.Name())
		if !ok {
			continue
		}
		p := filepath.Join(a.cfg.Spool, e.Name())
		err := a.push(ctx, p, layout, name)
		if err == nil {
			if err := wipe(p); err != nil {
				a.cfg.Log.Error("sealed file not removed", "file", p, "err", err)
			}
			a.cfg.Log.Info("pushed", "layout", layout, "file", name)
			continue
		}
		attempts++
		if attempts >= a.cfg.MaxAttempts || errors.Is(err, errRefused) {
			a.cfg.Log.Error("ALERT: linkage file discarded undelivered", "layout", layout, "file", name, "attempts", attempts, "err", err)
			wipe(p)
			continue
		}
		a.cfg.Log.Warn("push failed; kept sealed for the next pass", "layout", layout, "file", name, "attempts", attempts, "err", err)
		os.Rename(p, filepath.Join(a.cfg.Spool, spoolName(attempts, layout, name)))
	}
}

// errRefused is bango's answer that a file will never be taken (4xx):
// retrying the same bytes cannot help.
var errRefused = errors.New("refused by bango")

func (a *Agent) push(ctx context.Context, sealed, layout, name string) error {
	f, err := os.Open(sealed)
	if err != nil {
		return err
	}
	defer f.Close()
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(openStream(a.key, pw, f)) }()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.cfg.Server+"/linkage/v1/files/"+url.PathEscape(layout)+"?name="+url.QueryEscape(name), pr)
	if err != nil {
		pr.Close()
		return err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	res, err := a.client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	switch {
	case res.StatusCode == http.StatusCreated || res.StatusCode == http.StatusAccepted:
		return nil
	case res.StatusCode >= 400 && res.StatusCode < 500 && res.StatusCode != http.StatusUnauthorized && res.StatusCode != http.StatusTooManyRequests:
		return fmt.Errorf("%w: %d %s", errRefused, res.StatusCode, bytes.TrimSpace(body))
	}
	return fmt.Errorf("bango answered %d: %s", res.StatusCode, bytes.TrimSpace(body))
}

// pull fetches the next file of layout into the inbox: received sealed,
// checked against its SHA-256, opened into the inbox, then acknowledged.
func (a *Agent) pull(ctx context.Context, layout string) error {
	if a.cfg.Inbox == "" {
		return errors.New("no inbox")
	}
	u := a.cfg.Server + "/linkage/v1/files/" + url.PathEscape(layout)
	if a.cfg.Insurer != "" {
		u += "?insurer=" + url.QueryEscape(a.cfg.Insurer)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	res, err := a.client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
		return fmt.Errorf("bango answered %d: %s", res.StatusCode, bytes.TrimSpace(b))
	}
	job, want := res.Header.Get("X-Linkage-Job"), res.Header.Get("X-Linkage-SHA256")
	name := fileName(res.Header.Get("Content-Disposition"), "job-"+job+".dat")
	if _, err := strconv.ParseInt(job, 10, 64); err != nil || want == "" || !plainName(name) {
		return errors.New("bango's answer names no job, SHA-256 or file")
	}
	sealed := filepath.Join(a.cfg.Spool, "in~"+layout+"~"+job+".sealed.part")
	out, err := os.OpenFile(sealed, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer wipe(sealed)
	h := sha256.New()
	err = sealStream(a.key, out, io.TeeReader(res.Body, h))
	out.Close()
	if err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("the file of job %s arrived with SHA-256 %s, not %s: discarded", job, got, want)
	}
	dir := filepath.Join(a.cfg.Inbox, layout)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	part := filepath.Join(dir, "."+name+".part")
	in, err := os.Open(sealed)
	if err != nil {
		return err
	}
	dst, err := os.OpenFile(part, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err == nil {
		err = openStream(a.key, dst, in)
		if err == nil {
			err = dst.Sync()
		}
		dst.Close()
	}
	in.Close()
	if err == nil {
		err = os.Rename(part, filepath.Join(dir, name))
	}
	if err != nil {
		os.Remove(part)
		return err
	}
	body, _ := json.Marshal(map[string]string{"sha256": want})
	ack, err := http.NewRequestWithContext(ctx, http.MethodPost, a.cfg.Server+"/linkage/v1/files/"+url.PathEscape(layout)+"/"+job+"/ack", bytes.NewReader(body))
	if err != nil {
		return err
	}
	ack.Header.Set("Content-Type", "application/json")
	ares, err := a.client.Do(ack)
	if err != nil {
		return err
	}
	ares.Body.Close()
	if ares.StatusCode != http.StatusNoContent {
		return fmt.Errorf("acknowledgement of job %s answered %d", job, ares.StatusCode)
	}
	a.cfg.Log.Info("pulled", "layout", layout, "file", name, "job", job)
	return nil
}

func fileName(disposition, def string) string {
	_, v, ok := strings.Cut(disposition, `filename="`)
	if !ok {
		return def
	}
	v, _, _ = strings.Cut(v, `"`)
	if v = filepath.Base(v); plainName(v) {
		return v
	}
	return def
}

// The sealed form: a 12-byte random nonce prefix, then chunks of up to
// 64 KiB, each as a 4-byte big-endian length and its AES-256-GCM sealing
// with nonce = prefix XOR chunk number and the additional data saying
// whether it is the last chunk — so that a cut or reordered file fails to
// open instead of opening short.
const sealChunk = 64 << 10

func sealStream(key []byte, w io.Writer, r io.Reader) error {
	aead, err := gcm(key)
	if err != nil {
		return err
	}
	prefix := make([]byte, aead.NonceSize())
	rand.Read(prefix)
	if _, err := w.Write(prefix); err != nil {
		return err
	}
	buf := make([]byte, sealChunk)
	next := make([]byte, sealChunk)
	n, err := io.ReadFull(r, buf)
	for i := uint64(0); ; i++ {
		if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
			return err
		}
		var m int
		var nerr error
		last := err != nil
		if !last {
			m, nerr = io.ReadFull(r, next)
			last = m == 0 && (nerr == io.EOF || nerr == io.ErrUnexpectedEOF)
		}
		ct := aead.Seal(nil, nonce(prefix, i), buf[:n], additional(last))
		var size [4]byte
		binary.BigEndian.PutUint32(size[:], uint32(len(ct)))
		if _, err := w.Write(size[:]); err != nil {
			return err
		}
		if _, err := w.Write(ct); err != nil {
			return err
		}
		if last {
			return nil
		}
		buf, next = next, buf
		n, err = m, nerr
	}
}

func openStream(key []byte, w io.Writer, r io.Reader) error {
	aead, err := gcm(key)
	if err != nil {
		return err
	}
	prefix := make([]byte, aead.NonceSize())
	if _, err := io.ReadFull(r, prefix); err != nil {
		return errors.New("sealed file cut short")
	}
	var size [4]byte
	for i := uint64(0); ; i++ {
		if _, err := io.ReadFull(r, size[:]); err != nil {
			return errors.New("sealed file cut short")
		}
		n := binary.BigEndian.Uint32(size[:])
		if n > sealChunk+uint32(aead.Overhead()) {
			return errors.New("sealed file damaged")
		}
		ct := make([]byte, n)
		if _, err := io.ReadFull(r, ct); err != nil {
			return errors.New("sealed file cut short")
		}
		pt, err := aead.Open(nil, nonce(prefix, i), ct, additional(false))
		last := false
		if err != nil {
			if pt, err = aead.Open(nil, nonce(prefix, i), ct, additional(true)); err != nil {
				return errors.New("sealed file damaged or sealed with another key")
			}
			last = true
		}
		if _, err := w.Write(pt); err != nil {
			return err
		}
		if last {
			return nil
		}
	}
}

func gcm(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

func nonce(prefix []byte, i uint64) []byte {
	n := bytes.Clone(prefix)
	var c [8]byte
	binary.BigEndian.PutUint64(c[:], i)
	for j := range c {
		n[len(n)-8+j] ^= c[j]
	}
	return n
}

func additional(last bool) []byte {
	if last {
		return []byte("last")
	}
	return []byte("more")
}
