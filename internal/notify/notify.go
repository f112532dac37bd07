// Package notify sends mail: the status reports of the monitor (R-AUD-3).
// Mail goes through an outbox in the database and is retried with backoff,
// so that a mail server that is down never blocks the business; what keeps
// failing is shown to the IS administrator.
package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math"
	"mime"
	"net"
	"net/smtp"
	"strconv"
	"strings"
	"time"

	"bango/internal/errs"
	"bango/internal/store"
)

// SMTP is a mail server and the report's envelope.
type SMTP struct {
	Host     string
	Port     int
	From     string
	Username string // with Password, sent only over TLS
	Password string
	// TLS verifies the server's certificate for STARTTLS; nil: the system's
	// roots and Host as the name.
	TLS     *tls.Config
	Timeout time.Duration
	// RequireTLS refuses to send when the server offers no STARTTLS (or an
	// attacker on the way stripped it): the report holds the log's head.
	RequireTLS bool
	// Dial, when set, opens the connection: bango serve's egress dialer,
	// which allows only the configured addresses (R-LNK-4).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Send delivers one message to recipients. STARTTLS is used whenever the
// server offers it; credentials are never sent without it.
func (c SMTP) Send(ctx context.Context, recipients []string, subject, body string) error {
	timeout := c.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	addr := net.JoinHostPort(c.Host, strconv.Itoa(c.Port))
	dial := c.Dial
	if dial == nil {
		dial = (&net.Dialer{Timeout: timeout}).DialContext
	}
	dctx, cancel := context.WithTimeout(ctx, timeout)
	conn, err := dial(dctx, "tcp", addr)
	cancel()
	if err != nil {
		return fmt.Errorf("smtp %s: %w", addr, err)
	}
	conn.SetDeadline(time.Now().Add(timeout))
	cl, err := smtp.NewClient(conn, c.Host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("smtp %s: %w", addr, err)
	}
	defer cl.Close()
	if err := cl.Hello("bango"); err != nil {
		return fmt.Errorf("smtp %s: EHLO: %w", addr, err)
	}
	secure := false
	if ok, _ := cl.Extension("STARTTLS"); ok {
		cfg := c.TLS
		if cfg == nil {
			cfg = &tls.Config{ServerName: c.Host, MinVersion: tls.VersionTLS12}
		}
		if err := cl.StartTLS(cfg); err != nil {
			return fmt.Errorf("smtp %s: STARTTLS: %w", addr, err)
		}
		secure = true
	}
	if c.RequireTLS && !secure {
		return fmt.Errorf("smtp %s: the server offers no STARTTLS and smtp-require-tls is set", addr)
	}
	if c.Username != "" {
		if !secure {
			return fmt.Errorf("smtp %s: the server offers no STARTTLS; credentials are not sent in the clear", addr)
		}
		if err := cl.Auth(smtp.PlainAuth("", c.Username, c.Password, c.Host)); err != nil {
			return fmt.Errorf("smtp %s: AUTH: %w", addr, err)
		}
	}
	if err := cl.Mail(c.From); err != nil {
		return fmt.Errorf("smtp %s: MAIL FROM: %w", addr, err)
	}
	for _, r := range recipients {
		if err := cl.Rcpt(r); err != nil {
			return fmt.Errorf("smtp %s: RCPT TO %s: %w", addr, r, err)
		}
	}
	w, err := cl.Data()
	if err != nil {
		return fmt.Errorf("smtp %s: DATA: %w", addr, err)
	}
	if _, err := w.Write(message(c.From, recipients, subject, body)); err != nil {
		return fmt.Errorf("smtp %s: DATA: %w", addr, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp %s: DATA: %w", addr, err)
	}
	return cl.Quit()
}

// message is a UTF-8 plain-text mail: the subject as an encoded word, the
// body in base64 (Japanese text, lines of any length).
func message(from string, to []string, subject, body string) []byte {
	id := make([]byte, 12)
	rand.Read(id)
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s@bango>\r\nMIME-Version: 1.0\r\n",
		from, strings.Join(to, ", "), mime.BEncoding.Encode("UTF-8", subject), time.Now().Format(time.RFC1123Z), hex.EncodeToString(id))
	b.WriteString("Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	enc := base64.StdEncoding.EncodeToString([]byte(body))
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return b.Bytes()
}

// Sender sends one message.
type Sender interface {
	Send(ctx context.Context, recipients []string, subject, body string) error
}

// Outbox keeps mail until it is sent.
type Outbox struct {
	db  *store.DB
	now func() time.Time
}

// NewOutbox returns an Outbox.
func NewOutbox(db *store.DB) *Outbox {
	return &Outbox{db: db, now: func() time.Time { return time.Now().UTC() }}
}

// SetClock replaces the clock, for tests of the backoff.
func (o *Outbox) SetClock(now func() time.Time) { o.now = now }

// Mail is a message in the outbox.
type Mail struct {
	ID          int64     `json:"id"`
	Created     time.Time `json:"created"`
	Recipients  []string  `json:"recipients"`
	Subject     string    `json:"subject"`
	Attempts    int       `json:"attempts"`
	NextAttempt time.Time `json:"next_attempt"`
	LastError   string    `json:"last_error,omitempty"`
	Sent        time.Time `json:"sent,omitzero"`
	body        string
}

// Enqueue adds a message, due at once.
func (o *Outbox) Enqueue(ctx context.Context, recipients []string, subject, body string) (int64, error) {
	if len(recipients) == 0 {
		return 0, errs.E(errs.Invalid, "mail without recipients")
	}
	var id int64
	now := o.now()
	err := o.db.QueryRow(ctx, `INSERT INTO mail_outbox (created_at, recipients, subject, body, next_attempt) VALUES ($1, $2, $3, $4, $1) RETURNING id`,
		now, strings.Join(recipients, ","), subject, body).Scan(&id)
	return id, store.Translate(err)
}

// claimFor is how long a delivering process holds a message.
const claimFor = 5 * time.Minute

// backoff is the wait after the n-th failed attempt: 1, 2, 4 … minutes, at
// most an hour.
func backoff(n int) time.Duration {
	d := time.Minute << min(n-1, 6)
	return min(d, time.Hour)
}

// Deliver sends the due messages through s and returns how many were sent.
// A failure is recorded with the next attempt's time; it never stops the
// others.
func (o *Outbox) Deliver(ctx context.Context, s Sender) (int, error) {
	due, err := o.list(ctx, `WHERE sent_at IS NULL AND next_attempt <= $1 ORDER BY id LIMIT 20`, o.now())
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, m := range due {
		// Claim the message first: another process delivering at the same
		// time skips it instead of sending it twice.
		res, err := o.db.Exec(ctx, `UPDATE mail_outbox SET next_attempt = $1 WHERE id = $2 AND sent_at IS NULL AND next_attempt = $3`,
			o.now().Add(claimFor), m.ID, m.NextAttempt)
		if err != nil {
			return sent, store.Translate(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			continue
		}
		err = s.Send(ctx, m.Recipients, m.Subject, m.body)
		now := o.now()
		if err != nil {
			msg := err.Error()
			if len(msg) > 500 {
				msg = msg[:500]
			}
			if _, uerr := o.db.Exec(ctx, `UPDATE mail_outbox SET attempts = attempts + 1, last_error = $1, next_attempt = $2 WHERE id = $3`,
				msg, now.Add(backoff(m.Attempts+1)), m.ID); uerr != nil {
				return sent, store.Translate(uerr)
			}
			continue
		}
		if _, err := o.db.Exec(ctx, `UPDATE mail_outbox SET attempts = attempts + 1, last_error = '', sent_at = $1 WHERE id = $2`, now, m.ID); err != nil {
			return sent, store.Translate(err)
		}
		sent++
	}
	return sent, nil
}

// Failing returns one page of the unsent messages that have failed at
// least once, newest first: cursor is a page's Next ("" for the newest),
// limit is clamped by store.Limit.
func (o *Outbox) Failing(ctx context.Context, cursor string, limit int) (store.Page[Mail], error) {
	before := int64(math.MaxInt64)
	if _, err := store.DecodeCursor(cursor, "failing_mail", &before); err != nil {
		return store.Page[Mail]{}, err
	}
	limit = store.Limit(limit)
	failing, err := o.list(ctx, `WHERE sent_at IS NULL AND attempts > 0 AND id < $1 ORDER BY id DESC LIMIT $2`, before, limit+1)
	if err != nil {
		return store.Page[Mail]{}, err
	}
	return store.PageOf(failing, limit, "failing_mail", func(m Mail) []any { return []any{m.ID} }), nil
}

// Depth is how many messages are not sent yet (due or waiting to be
// retried), for monitoring.
func (o *Outbox) Depth(ctx context.Context) (int64, error) {
	var n int64
	err := o.db.QueryRow(ctx, `SELECT count(*) FROM mail_outbox WHERE sent_at IS NULL`).Scan(&n)
	return n, store.Translate(err)
}

// Recent lists the latest messages.
func (o *Outbox) Recent(ctx context.Context, n int) ([]Mail, error) {
	return o.list(ctx, `ORDER BY id DESC LIMIT $1`, n)
}

func (o *Outbox) list(ctx context.Context, where string, args ...any) ([]Mail, error) {
	return store.Rows(scanMail)(o.db.Query(ctx, `SELECT id, created_at, recipients, subject, body, attempts, next_attempt, last_error, sent_at FROM mail_outbox `+where, args...))
}

func scanMail(row store.Scanner) (Mail, error) {
	var m Mail
	var to string
	var sent sql.NullTime
	err := row.Scan(&m.ID, &m.Created, &to, &m.Subject, &m.body, &m.Attempts, &m.NextAttempt, &m.LastError, &sent)
	m.Recipients, m.Sent = strings.Split(to, ","), sent.Time.UTC()
	m.Created = m.Created.UTC()
	return m, err
}

// LastWith returns when the newest message whose subject starts with
// prefix was queued (zero if none): where the next report begins.
func (o *Outbox) LastWith(ctx context.Context, q store.Querier, prefix string) (time.Time, error) {
	var t sql.NullTime
	err := q.QueryRow(ctx, `SELECT MAX(created_at) FROM mail_outbox WHERE subject LIKE $1`, prefix+"%").Scan(&t)
	return t.Time.UTC(), store.Translate(err)
}

// Forget removes mail sent before before.
func (o *Outbox) Forget(ctx context.Context, before time.Time) (int64, error) {
	res, err := o.db.Exec(ctx, `DELETE FROM mail_outbox WHERE sent_at IS NOT NULL AND sent_at < $1`, before.UTC())
	if err != nil {
		return 0, store.Translate(err)
	}
	return res.RowsAffected()
}
