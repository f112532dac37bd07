// Package monitor watches the database's connections and writes the
// status report that is mailed every half hour (R-AUD-3). On PostgreSQL it
// samples pg_stat_activity and compares each connection with an allowlist
// kept in bango: an unknown connection is an audit event and an alert. On
// SQLite nothing else can connect; the report gives the file's size, last
// change and integrity check instead. The report carries the audit log's
// latest signed checkpoint, so the mail is also an outside copy of the
// log's head.
package monitor

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"bango/internal/alert"
	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/store"
)

// Allowed is one allowlist entry; an empty field matches anything, CIDR
// "local" matches connections over the server's socket.
type Allowed struct {
	ID          int64     `json:"id"`
	Role        string    `json:"role"`
	Application string    `json:"application"`
	CIDR        string    `json:"cidr"`
	Note        string    `json:"note,omitempty"`
	CreatedBy   string    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
}

func (a Allowed) matches(c Connection) bool {
	if a.Role != "" && a.Role != c.Role {
		return false
	}
	if a.Application != "" && a.Application != c.Application {
		return false
	}
	switch a.CIDR {
	case "":
		return true
	case "local":
		return c.Address == "local"
	}
	p, err := netip.ParsePrefix(a.CIDR)
	addr, aerr := netip.ParseAddr(c.Address)
	return err == nil && aerr == nil && p.Contains(addr.Unmap())
}

// Connection is one connection seen in a sample.
type Connection struct {
	Role        string `json:"role"`
	Application string `json:"application"`
	Address     string `json:"address"` // "local" for a socket; "hidden" when the role may not see it
	Known       bool   `json:"known"`
}

func (c Connection) String() string {
	return fmt.Sprintf("role=%s application=%s address=%s", c.Role, c.Application, c.Address)
}

// Monitor samples connections and writes reports.
type Monitor struct {
	db     *store.DB
	alerts *alert.Service
	file   string // the SQLite database file, for the report
	now    func() time.Time
}

// New returns a Monitor; sqliteFile is the database file on SQLite.
func New(db *store.DB, alerts *alert.Service, sqliteFile string) *Monitor {
	return &Monitor{db: db, alerts: alerts, file: sqliteFile, now: func() time.Time { return time.Now().UTC() }}
}

var systemActor = audit.Actor{User: "system:monitor"}

// Allow adds an allowlist entry; the change is audited.
func (m *Monitor) Allow(ctx context.Context, a Allowed) (Allowed, error) {
	a.Role, a.Application, a.CIDR = strings.TrimSpace(a.Role), strings.TrimSpace(a.Application), strings.TrimSpace(a.CIDR)
	if a.CIDR != "" && a.CIDR != "local" {
		p, err := netip.ParsePrefix(a.CIDR)
		if err != nil {
			if addr, aerr := netip.ParseAddr(a.CIDR); aerr == nil {
				p = netip.PrefixFrom(addr, addr.BitLen())
			} else {
				var fe errs.FieldErrors
				fe.Add("cidr", errs.Message{JA: "IPアドレスまたはCIDRではありません", EN: "is not an IP address or CIDR"})
				return a, fe.Err()
			}
		}
		a.CIDR = p.Masked().String()
	}
	if a.Role == "" && a.Application == "" && a.CIDR == "" {
		var fe errs.FieldErrors
		fe.Add("role", errs.Message{JA: "何も指定しない許可はできません", EN: "an entry must restrict something"})
		return a, fe.Err()
	}
	if actor, ok := audit.ActorFrom(ctx); ok {
		a.CreatedBy = actor.User
	}
	a.CreatedAt = m.now()
	err := m.db.Transact(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO db_allowlist (role_name, application_name, client_cidr, note, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, a.Role, a.Application, a.CIDR, a.Note, a.CreatedBy, a.CreatedAt).Scan(&a.ID); err != nil {
			return store.Translate(err)
		}
		return audit.Record(ctx, tx, audit.Event{Action: "db.allowlist.add", Subject: audit.Subject{Type: "db_allowlist", ID: strconv.FormatInt(a.ID, 10)},
			Outcome: audit.OK, Detail: "role=" + a.Role + " application=" + a.Application + " cidr=" + a.CIDR})
	})
	return a, err
}

// Allowlist lists the entries.
func (m *Monitor) Allowlist(ctx context.Context) ([]Allowed, error) {
	return store.Rows(scanAllowed)(m.db.Query(ctx, `SELECT id, role_name, application_name, client_cidr, note, created_by, created_at FROM db_allowlist ORDER BY id`))
}

func scanAllowed(row store.Scanner) (Allowed, error) {
	var a Allowed
	err := row.Scan(&a.ID, &a.Role, &a.Application, &a.CIDR, &a.Note, &a.CreatedBy, &a.CreatedAt)
	return a, err
}

// Sample reads the database's current client connections (PostgreSQL),
// keeps them for the report, and records each unknown one as an event and
// an alert (once an hour per connection). An empty allowlist is first
// filled with bango's own connections as seen now, and that is audited.
func (m *Monitor) Sample(ctx context.Context) ([]Connection, error) {
	if m.db.Engine() != store.Postgres {
		return nil, nil
	}
	ctx = audit.WithActor(ctx, systemActor)
	allow, err := m.Allowlist(ctx)
	if err != nil {
		return nil, err
	}
	if len(allow) == 0 {
		var role, addr string
		if err := m.db.QueryRow(ctx, `SELECT current_user, COALESCE(host(inet_client_addr()), '')`).Scan(&role, &addr); err != nil {
			return nil, store.Translate(err)
		}
		if addr == "" {
			addr = "local" // bango connects over a socket: trust only socket connections
		}
		a, err := m.Allow(ctx, Allowed{Role: role, Application: store.ApplicationName, CIDR: addr, Note: "bango itself, trusted at the first sample"})
		if err != nil {
			return nil, err
		}
		allow = append(allow, a)
	}
	seen, err := store.Rows(func(row store.Scanner) (Connection, error) {
		var c Connection
		err := row.Scan(&c.Role, &c.Application, &c.Address)
		for _, a := range allow {
			if a.matches(c) {
				c.Known = true
				break
			}
		}
		return c, err
	})(m.db.Query(ctx, `SELECT COALESCE(usename, ''), COALESCE(application_name, ''),
		CASE WHEN client_addr IS NOT NULL THEN host(client_addr) WHEN client_port = -1 THEN 'local' ELSE 'hidden' END
		FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend'`))
	if err != nil {
		return nil, err
	}
	now := m.now()
	for _, c := range seen {
		if _, err := m.db.Exec(ctx, `INSERT INTO db_connection_samples (sampled_at, role_name, application_name, client_addr, known) VALUES ($1, $2, $3, $4, $5)`,
			now, c.Role, c.Application, c.Address, c.Known); err != nil {
			return seen, store.Translate(err)
		}
		if c.Known {
			continue
		}
		// An alert of no municipality: written in the system's own scope.
		raised, err := m.alerts.RaiseOnce(store.WithScope(ctx, ""), alert.Alert{Rule: alert.RuleUnknownDBConn, Subject: c.String(), Detail: "sampled=" + now.Format(time.RFC3339)},
			c.String()+"|"+now.Truncate(time.Hour).Format(time.RFC3339))
		if err != nil {
			return seen, err
		}
		if raised > 0 {
			if err := audit.RecordAlone(ctx, m.db, audit.Event{Action: "db.unknown_connection", Subject: audit.Subject{Type: "db_connection", ID: c.String()},
				Outcome: audit.Denied, Detail: "not in the allowlist"}); err != nil {
				return seen, err
			}
		}
	}
	return seen, nil
}

// Report is the status report of the period since since: subject and
// plain-text body (Japanese, with English labels).
func (m *Monitor) Report(ctx context.Context, since time.Time) (string, string, error) {
	now := m.now()
	var b strings.Builder
	jst := time.FixedZone("JST", 9*3600)
	fmt.Fprintf(&b, "bango 状態報告 / status report\n期間 / period: %s – %s (JST)\n\n", since.In(jst).Format("2006-01-02 15:04"), now.In(jst).Format("2006-01-02 15:04"))
	unknown := 0
	if m.db.Engine() == store.Postgres {
		counts := map[Connection]int{}
		err := store.Each(func(row store.Scanner) error {
			var c Connection
			var n int
			if err := row.Scan(&c.Role, &c.Application, &c.Address, &c.Known, &n); err != nil {
				return err
			}
			counts[c] += n
			return nil
		})(m.db.Query(ctx, `SELECT role_name, application_name, client_addr, known, count(*) FROM db_connection_samples
			WHERE sampled_at >= $1 GROUP BY role_name, application_name, client_addr, known`, since))
		if err != nil {
			return "", "", err
		}
		conns := make([]Connection, 0, len(counts))
		for c := range counts {
			conns = append(conns, c)
		}
		sort.Slice(conns, func(i, j int) bool { return conns[i].String() < conns[j].String() })
		fmt.Fprintf(&b, "データベース / database: PostgreSQL\n接続 / connections seen (samples):\n")
		for _, c := range conns {
			mark := "既知 known"
			if !c.Known {
				mark = "不明 UNKNOWN"
				unknown++
			}
			fmt.Fprintf(&b, "  [%s] %s  ×%d\n", mark, c, counts[c])
		}
		if len(conns) == 0 {
			b.WriteString("  (no samples in this period)\n")
		}
		fmt.Fprintf(&b, "不明な接続 / unknown connections: %d\n", unknown)
		if strings.Contains(b.String(), "address=hidden") {
			b.WriteString("  (some addresses are hidden: grant pg_read_all_stats to bango's role)\n")
		}
	} else {
		fmt.Fprintf(&b, "データベース / database: SQLite (組み込み / embedded: no other process connects over the network)\n")
		if st, err := os.Stat(m.file); err == nil {
			last := st.ModTime()
			if wal, err := os.Stat(m.file + "-wal"); err == nil && wal.ModTime().After(last) {
				last = wal.ModTime()
			}
			fmt.Fprintf(&b, "ファイル / file: %s\nサイズ / size: %d bytes\n最終更新 / last change: %s\n", m.file, st.Size(), last.In(jst).Format("2006-01-02 15:04:05"))
		} else {
			fmt.Fprintf(&b, "ファイル / file: %s (not readable: %v)\n", m.file, err)
		}
		var check string
		if err := m.db.QueryRow(ctx, `PRAGMA quick_check`).Scan(&check); err != nil {
			check = "failed: " + err.Error()
		}
		fmt.Fprintf(&b, "整合性検査 / PRAGMA quick_check: %s\n", check)
	}
	open, openCount, err := m.alerts.Open(ctx, 20)
	if err != nil {
		return "", "", err
	}
	fmt.Fprintf(&b, "\n未対応の警告 / open alerts: %d\n", openCount)
	for _, a := range open.Items {
		fmt.Fprintf(&b, "  %s %s %s %s %s\n", a.RaisedAt.In(jst).Format("01-02 15:04"), a.Tenant, a.Rule, a.Subject, a.Detail)
	}
	if more := openCount - len(open.Items); more > 0 {
		fmt.Fprintf(&b, "  … %d more\n", more)
	}
	head, err := audit.Status(ctx, m.db)
	if err != nil {
		return "", "", err
	}
	fmt.Fprintf(&b, "\n監査ログ / audit log: %d events placed, %d pending\n最新の署名付きチェックポイント / latest signed checkpoint:\n", head.Size, head.Pending)
	if head.Checkpoint != "" {
		b.WriteString(head.Checkpoint)
	} else {
		b.WriteString("  (none yet)\n")
	}
	subject := "bango 状態報告"
	if unknown > 0 || openCount > 0 {
		subject = fmt.Sprintf("bango 状態報告: 不明な接続 %d / 警告 %d", unknown, openCount)
	}
	return subject, b.String(), nil
}

// Forget removes connection samples older than before: the reports that
// summarised them were mailed long ago.
func (m *Monitor) Forget(ctx context.Context, before time.Time) (int64, error) {
	res, err := m.db.Exec(ctx, `DELETE FROM db_connection_samples WHERE sampled_at < $1`, before.UTC())
	if err != nil {
		return 0, store.Translate(err)
	}
	return res.RowsAffected()
}
