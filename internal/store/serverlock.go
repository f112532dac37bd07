package store

import (
	"context"
	"time"

	"bango/internal/errs"
)

// HoldServer claims the database for this process as its one bango serve
// and returns what gives the claim up. Some of serve's work is only right
// while no other serve shares the database: the JPKI sweeper ends every
// work record another process opened as abandoned, and the process that
// opened an application issues from the copy it keeps (internal/jpki). A
// second serve on the same database is refused at its start (a Conflict
// error) instead of ending the first one's applications. On PostgreSQL the
// claim is a session advisory lock of the schema, on a connection held for
// the purpose (the server drops it when that connection ends, a crash
// included); on SQLite an exclusive flock(2) of a file beside the
// database (the kernel drops it when the process ends).
func (db *DB) HoldServer(ctx context.Context) (release func(), err error) {
	if db.engine == SQLite {
		return holdFile(db.path + ".serve-lock")
	}
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, err, "store: a connection for the server's claim on %s", db.where)
	}
	const key = `hashtextextended('bango serve ' || current_schema(), 0)`
	var got bool
	var schema string
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock(`+key+`), current_schema()`).Scan(&got, &schema); err != nil {
		conn.Close()
		return nil, errs.Wrap(errs.Unavailable, Translate(err), "store: claim %s for this server", db.where)
	}
	if !got {
		conn.Close()
		return nil, errs.E(errs.Conflict, "store: another bango serve is running on %s (schema %s): one server a database", db.where, schema)
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		conn.ExecContext(ctx, `SELECT pg_advisory_unlock(`+key+`)`)
		conn.Close()
	}, nil
}
