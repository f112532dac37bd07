// Package store opens bango's database — embedded SQLite or PostgreSQL — and
// gives the rest of the code one way to use either: migrations, transactions
// with retry, bulk copy, and driver errors translated into bango's error
// kinds. Each domain package keeps its own hand-written SQL (one file per
// entity) and runs it through a Tx from here; the differences between the
// engines live in this package only.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"bango/internal/errs"
)

// Engine names a database engine.
type Engine string

const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// DB is an open bango database.
type DB struct {
	sql    *sql.DB
	engine Engine
	where  string        // the URL with any password removed, for messages
	path   string        // SQLite: the database file
	writer chan struct{} // SQLite: the writer's turn (writer.go); nil on PostgreSQL
	watch  *txWatch      // tests: goroutines inside a transaction (writer.go)
}

// Open connects to the database at dbURL: "postgres://…" (or "postgresql://…")
// for PostgreSQL; "sqlite:PATH", "file:PATH" or a plain path for SQLite. The
// SQLite file's folder is created if missing.
func Open(ctx context.Context, dbURL string) (*DB, error) {
	engine, dsn, err := parseURL(dbURL)
	if err != nil {
		return nil, err
	}
	var sdb *sql.DB
	switch engine {
	case Postgres:
		// The monitor recognises bango's own connections by name.
		sdb, err = sql.Open("pgx", withDefaultParam(dsn, "application_name", ApplicationName))
		if err == nil {
			sdb.SetMaxOpenConns(16)
			sdb.SetMaxIdleConns(16)
			sdb.SetConnMaxIdleTime(5 * time.Minute)
		}
	case SQLite:
		sdb, err = sql.Open("sqlite", dsn)
		if err == nil {
			// One writer at a time is SQLite's rule: writers take turns in
			// the process (writeTurn) before they take a connection, and
			// BEGIN IMMEDIATE (the DSN's _txlock) waits on busy_timeout only
			// for other processes.
			sdb.SetMaxOpenConns(sqlitePool)
			sdb.SetMaxIdleConns(sqlitePool)
		}
	}
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, err, "store: open %s", Redact(dbURL))
	}
	db := &DB{sql: sdb, engine: engine, where: Redact(dbURL)}
	if engine == SQLite {
		db.writer = make(chan struct{}, 1)
		db.path = sqliteFile(dbURL)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sdb.PingContext(pingCtx); err != nil {
		sdb.Close()
		return nil, errs.Wrap(errs.Unavailable, err, "store: cannot reach %s", db.where)
	}
	if engine == SQLite {
		if err := warm(pingCtx, sdb, sqlitePool); err != nil {
			sdb.Close()
			return nil, errs.Wrap(errs.Unavailable, err, "store: cannot open connections to %s", db.where)
		}
	}
	return db, nil
}

// sqlitePool is how many connections bango keeps open to a SQLite file.
const sqlitePool = 8

// warm opens n connections at once and leaves them idle in the pool, which
// keeps them (no idle timeout on SQLite). Opened on demand instead, the pool
// grows when the first burst of requests arrives, and each new connection
// waits inside the driver while the others work: under 100 sessions every
// session stalled for seconds once (issue 14 I).
func warm(ctx context.Context, sdb *sql.DB, n int) error {
	conns := make([]*sql.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range n {
		c, err := sdb.Conn(ctx)
		if err != nil {
			return err
		}
		// A statement, so that the pragmas of the DSN have run.
		if err := c.PingContext(ctx); err != nil {
			c.Close()
			return err
		}
		conns = append(conns, c)
	}
	return nil
}

func parseURL(dbURL string) (Engine, string, error) {
	switch {
	case dbURL == "":
		return "", "", errs.E(errs.Invalid, "store: no database URL")
	case strings.HasPrefix(dbURL, "postgres://"), strings.HasPrefix(dbURL, "postgresql://"):
		if _, err := url.Parse(dbURL); err != nil {
			return "", "", errs.E(errs.Invalid, "store: database URL %s is not a valid URL", Redact(dbURL))
		}
		return Postgres, dbURL, nil
	}
	path := sqliteFile(dbURL)
	if i := strings.IndexByte(path, '?'); i >= 0 {
		return "", "", errs.E(errs.Invalid, "store: SQLite URL %q: options are set by bango, remove %q", dbURL, path[i:])
	}
	if strings.Contains(path, "://") {
		return "", "", errs.E(errs.Invalid, "store: database URL %s: unknown scheme (use postgres:// or a SQLite file path)", Redact(dbURL))
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", "", errs.Wrap(errs.Unavailable, err, "store: create folder for %s", path)
		}
	}
	// The file holds personal data: make it private before SQLite creates
	// it with the umask's mode (its WAL and shared-memory files copy the
	// database file's mode).
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		f.Close()
	} else if !errors.Is(err, fs.ErrExist) {
		return "", "", errs.Wrap(errs.Unavailable, err, "store: create %s", path)
	}
	// WAL lets readers run beside the one writer; synchronous=FULL makes a
	// commit durable, which the audit log's promise depends on. No memory
	// map: SQLite unmaps the whole file in every other connection at each
	// commit, and with searches running beside the audit log's commits the
	// unmapping and the page faults after it cost each search three times
	// its work (issue 14 I); pages are read into the page cache instead
	// (pagecache.go).
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "busy_timeout(10000)", "foreign_keys(1)", "synchronous(FULL)", "cache_size(-131072)", "mmap_size(0)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	q.Set("_time_format", "sqlite")
	return SQLite, "file:" + uriPath.Replace(path) + "?" + q.Encode(), nil
}

// sqliteFile is the file a SQLite URL names ("sqlite:PATH", "file:PATH" or
// PATH).
func sqliteFile(dbURL string) string {
	return strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(dbURL, "sqlite:"), "file:"), "//")
}

// uriPath escapes what a file: URI would read as other than the path: a
// '#' starts a fragment and '%' an escape ('?' is refused above).
var uriPath = strings.NewReplacer("%", "%25", "#", "%23")

// Redact removes a password from a database URL.
func Redact(dbURL string) string {
	u, err := url.Parse(dbURL)
	if err != nil || u.User == nil {
		return dbURL
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "REDACTED")
	}
	return u.String()
}

// Engine reports which engine db runs on.
func (db *DB) Engine() Engine { return db.engine }

// Where is the redacted URL, for messages and health checks.
func (db *DB) Where() string { return db.where }

// Close closes the connection pool.
func (db *DB) Close() error { return db.sql.Close() }

// Ping checks the connection.
func (db *DB) Ping(ctx context.Context) error { return db.sql.PingContext(ctx) }

// SQL exposes the pool for the few callers that must go around Tx (the
// bench baseline, health checks). Domain code uses Transact, Exec and
// Query: a write straight on the pool does not take SQLite's writer turn.
func (db *DB) SQL() *sql.DB {
	db.checkPoolUse("SQL")
	return db.sql
}

// Querier reads: a *DB, or a *Tx to read inside a transaction.
type Querier interface {
	Query(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRow(ctx context.Context, q string, args ...any) *sql.Row
}

// Query runs a read outside a transaction.
func (db *DB) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	db.checkPoolUse("Query")
	rows, err := db.sql.QueryContext(ctx, q, args...)
	return rows, Translate(err)
}

// QueryRow runs a one-row read outside a transaction; Scan's error is
// translated by ScanErr.
func (db *DB) QueryRow(ctx context.Context, q string, args ...any) *sql.Row {
	db.checkPoolUse("QueryRow")
	return db.sql.QueryRowContext(ctx, q, args...)
}

// Tx is one transaction. Everything a change writes, its audit event
// included, goes through the same Tx.
type Tx struct {
	tx     *sql.Tx
	conn   *sql.Conn
	engine Engine
}

// Engine reports which engine the transaction runs on.
func (tx *Tx) Engine() Engine { return tx.engine }

// Exec runs a statement.
func (tx *Tx) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	r, err := tx.tx.ExecContext(ctx, q, args...)
	return r, Translate(err)
}

// Query runs a read inside the transaction.
func (tx *Tx) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	rows, err := tx.tx.QueryContext(ctx, q, args...)
	return rows, Translate(err)
}

// QueryRow runs a one-row read inside the transaction.
func (tx *Tx) QueryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return tx.tx.QueryRowContext(ctx, q, args...)
}

// Prepare prepares a statement for repeated use inside the transaction.
func (tx *Tx) Prepare(ctx context.Context, q string) (*sql.Stmt, error) {
	st, err := tx.tx.PrepareContext(ctx, q)
	return st, Translate(err)
}

const maxAttempts = 4

// Transact runs fn in one transaction and commits it if fn returns nil. A
// transaction that lost a serialization conflict (PostgreSQL) or found the
// database busy (SQLite) is retried with the same fn, so fn must not keep
// state outside the transaction between attempts. Everything fn reads and
// writes goes through its Tx: fn must not use the pool (db.Query, another
// Transact, a service method that opens its own), which would take a second
// connection while this one holds the transaction.
func (db *DB) Transact(ctx context.Context, fn func(*Tx) error) error {
	var err error
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		err = db.transactOnce(ctx, fn)
		if err == nil || !retryable(err) || ctx.Err() != nil {
			return err
		}
		time.Sleep(time.Duration(attempt*attempt) * 10 * time.Millisecond)
	}
	return err
}

// TransactOnce is Transact without retry, for a fn that cannot run twice,
// such as one that consumes a stream.
func (db *DB) TransactOnce(ctx context.Context, fn func(*Tx) error) error {
	return db.transactOnce(ctx, fn)
}

func (db *DB) transactOnce(ctx context.Context, fn func(*Tx) error) (err error) {
	db.checkPoolUse("Transact")
	release, err := db.writeTurn(ctx)
	if err != nil {
		return err
	}
	defer release() // after the connection is back in the pool (defers run last-in first-out)
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return errs.Wrap(errs.Unavailable, err, "store: no connection to %s", db.where)
	}
	defer conn.Close()
	stx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return Translate(err)
	}
	tx := &Tx{tx: stx, conn: conn, engine: db.engine}
	if err := setScope(ctx, tx); err != nil {
		stx.Rollback()
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			stx.Rollback()
			panic(p)
		}
		if err != nil {
			stx.Rollback()
		}
	}()
	if err = inTx(db, tx, fn); err != nil {
		return err
	}
	return Translate(stx.Commit())
}

// CopyFrom writes many rows into table fast: COPY on PostgreSQL (staged
// through a temporary table for a table under row-level security, which
// refuses COPY), one prepared INSERT reused inside the transaction on
// SQLite. next returns the next row's values, or nil when there are no
// more.
func (tx *Tx) CopyFrom(ctx context.Context, table string, columns []string, next func() ([]any, error)) (int64, error) {
	return tx.Bulk(ctx, Bulk{Table: table, Columns: columns}, next)
}

// Bulk describes a bulk write (Tx.Bulk).
type Bulk struct {
	Table string
	// Columns are what each row from next holds, in order.
	Columns []string
	// Fixed are columns with the same value on every row. A staged write
	// sends each once, as a parameter of its INSERT, instead of once a
	// row; elsewhere they are added to each row.
	Fixed []Fixed
	// AfterChunk, where rows are staged (PostgreSQL, a table under
	// row-level security), gives a statement run after each chunk is
	// inserted, in the same transaction, with the chunk's rows: set-based
	// work for them that a statement trigger would otherwise do by
	// capturing every inserted row (see migration 0036). The query is
	// bango's own SQL, never input; the chunk's values go as arguments.
	AfterChunk func(rows [][]any) (query string, args []any)
}

// Fixed is a column with one value for every row of a Bulk write.
type Fixed struct {
	Column string
	Value  any
}

// Bulk writes the rows next returns as b says; see CopyFrom.
func (tx *Tx) Bulk(ctx context.Context, b Bulk, next func() ([]any, error)) (int64, error) {
	if len(b.Fixed) > 0 && tx.engine != Postgres {
		next = withFixed(next, b.Fixed)
	}
	if tx.engine == Postgres {
		return tx.copyPostgres(ctx, b, next)
	}
	columns := allColumns(b)
	marks := make([]string, len(columns))
	for i := range marks {
		marks[i] = fmt.Sprintf("$%d", i+1)
	}
	st, err := tx.Prepare(ctx, "INSERT INTO "+b.Table+" ("+strings.Join(columns, ", ")+") VALUES ("+strings.Join(marks, ", ")+")")
	if err != nil {
		return 0, err
	}
	defer st.Close()
	var n int64
	for {
		row, err := next()
		if err != nil {
			return n, err
		}
		if row == nil {
			return n, nil
		}
		if _, err := st.ExecContext(ctx, row...); err != nil {
			return n, Translate(err)
		}
		n++
	}
}

// allColumns are the row's columns and then the fixed ones.
func allColumns(b Bulk) []string {
	columns := append([]string(nil), b.Columns...)
	for _, f := range b.Fixed {
		columns = append(columns, f.Column)
	}
	return columns
}

// withFixed adds the fixed values to each row next returns.
func withFixed(next func() ([]any, error), fixed []Fixed) func() ([]any, error) {
	return func() ([]any, error) {
		row, err := next()
		if row == nil || err != nil {
			return row, err
		}
		for _, f := range fixed {
			row = append(row, f.Value)
		}
		return row, nil
	}
}

func (tx *Tx) copyPostgres(ctx context.Context, b Bulk, next func() ([]any, error)) (int64, error) {
	var secured bool
	if err := tx.tx.QueryRowContext(ctx, `SELECT relrowsecurity FROM pg_class WHERE oid = to_regclass($1)`, b.Table).Scan(&secured); err != nil {
		return 0, Translate(err)
	}
	if !secured && len(b.Fixed) > 0 {
		next = withFixed(next, b.Fixed)
	}
	var n int64
	err := tx.conn.Raw(func(driverConn any) error {
		c := driverConn.(*stdlib.Conn).Conn()
		var err error
		if secured {
			n, err = stageChunks(ctx, c, b, next)
			return err
		}
		src := &copySource{next: next}
		n, err = c.CopyFrom(ctx, []string{b.Table}, allColumns(b), src)
		if src.err != nil {
			return src.err
		}
		return err
	})
	return n, Translate(err)
}

// stageRows is how many rows one staged chunk holds: enough that each
// chunk's fixed cost (COPY, INSERT, TRUNCATE) vanishes, few enough that
// the chunk stays in the session's temporary buffers (temp_buffers, 8 MB
// by default) and that the server inserts while the caller still
// prepares rows.
const stageRows = 20000

// stageChunks writes rows into a table under row-level security.
// PostgreSQL refuses COPY into such a table for a role the policies bind,
// so each chunk of rows goes in with one INSERT … SELECT, which the
// policies check row by row like any insert. A goroutine inserts each
// chunk while the next is being read, so that the server works while the
// caller prepares rows; next's own error wins over the server's.
func stageChunks(ctx context.Context, c *pgx.Conn, b Bulk, next func() ([]any, error)) (int64, error) {
	flush, finish, err := chunkInserter(ctx, c, b)
	if err != nil {
		return 0, err
	}
	chunks := make(chan [][]any, 1)
	failed := make(chan struct{})
	done := make(chan error, 1)
	var n int64
	go func() {
		var err error
		for rows := range chunks {
			if err != nil {
				continue
			}
			var k int64
			if k, err = flush(rows); err != nil {
				close(failed)
			}
			n += k
		}
		if err == nil {
			err = finish()
		}
		done <- err
	}()
	send := func(rows [][]any) bool {
		select {
		case chunks <- rows:
			return true
		case <-failed:
			return false
		}
	}
	// The first chunks are smaller, so that the server starts inserting
	// soon instead of waiting for a whole chunk to be prepared.
	var nextErr error
	size := stageRows / 8
	rows := make([][]any, 0, size)
	for {
		row, err := next()
		if err != nil {
			nextErr = err
			break
		}
		if row == nil {
			if len(rows) > 0 {
				send(rows)
			}
			break
		}
		rows = append(rows, row)
		if len(rows) == size {
			if !send(rows) {
				break
			}
			size = min(2*size, stageRows)
			rows = make([][]any, 0, size)
		}
	}
	close(chunks)
	err = <-done
	if nextErr != nil {
		return n, nextErr
	}
	return n, err
}

// chunkInserter returns how a chunk of rows is inserted into the table
// and what ends the staging: each chunk is copied into a temporary table
// of the row's columns alone and moved with one INSERT … SELECT that adds
// the fixed columns as parameters (the server reads each staged value
// twice, so every column not staged is time saved: bango bench import).
// Sending each column as an array and inserting FROM unnest(…) instead
// was measured slower (bango bench import, 300,000 residents,
// alternating runs: 0.37–0.39 of the plain load against 0.51–0.54).
func chunkInserter(ctx context.Context, c *pgx.Conn, b Bulk) (flush func([][]any) (int64, error), finish func() error, err error) {
	cols := strings.Join(b.Columns, ", ")
	temp := "bango_stage_" + b.Table
	// The columns' types without their constraints: fixed columns are not
	// staged, and the target checks every row itself.
	if _, err := c.Exec(ctx, `CREATE TEMP TABLE `+temp+` ON COMMIT DROP AS SELECT `+cols+` FROM `+b.Table+` WITH NO DATA`); err != nil {
		return nil, nil, err
	}
	selected := cols
	var fixed []any
	for i, f := range b.Fixed {
		var typ string
		if err := c.QueryRow(ctx, `SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = $2 AND NOT attisdropped`,
			b.Table, f.Column).Scan(&typ); err != nil {
			return nil, nil, fmt.Errorf("store: %s.%s: %w", b.Table, f.Column, err)
		}
		selected += fmt.Sprintf(", $%d::%s", i+1, typ)
		fixed = append(fixed, f.Value)
	}
	insert := `INSERT INTO ` + b.Table + ` (` + strings.Join(allColumns(b), ", ") + `) SELECT ` + selected + ` FROM ` + temp
	flush = func(rows [][]any) (int64, error) {
		if _, err := c.CopyFrom(ctx, []string{temp}, b.Columns, pgx.CopyFromRows(rows)); err != nil {
			return 0, err
		}
		tag, err := c.Exec(ctx, insert, fixed...)
		if err != nil {
			return 0, err
		}
		if b.AfterChunk != nil {
			query, args := b.AfterChunk(rows)
			if _, err := c.Exec(ctx, query, args...); err != nil {
				return 0, err
			}
		}
		_, err = c.Exec(ctx, `TRUNCATE `+temp)
		return tag.RowsAffected(), err
	}
	finish = func() error { _, err := c.Exec(ctx, `DROP TABLE `+temp); return err }
	return flush, finish, nil
}

type copySource struct {
	next func() ([]any, error)
	row  []any
	err  error
}

func (s *copySource) Next() bool {
	s.row, s.err = s.next()
	return s.err == nil && s.row != nil
}
func (s *copySource) Values() ([]any, error) { return s.row, nil }
func (s *copySource) Err() error             { return s.err }

// ScanErr translates the error of a QueryRow's Scan: no rows becomes a
// NotFound error that names what was looked for.
func ScanErr(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return errs.E(errs.NotFound, "%s not found", what)
	}
	return Translate(err)
}

// ApplicationName is what bango's PostgreSQL connections call themselves.
const ApplicationName = "bango"

// withDefaultParam adds a connection parameter to a PostgreSQL URL unless
// it is there already.
func withDefaultParam(dsn, name, value string) string {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return dsn
	}
	q := u.Query()
	if q.Get(name) == "" {
		q.Set(name, value)
	}
	// pgx reads "+" in a query literally, so spaces (options=-c a=b) stay %20.
	u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20")
	return u.String()
}
