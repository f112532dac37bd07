package store

import (
	"context"
	"database/sql"
	"strings"
)

// The municipality scope (R-AC-6). Every tenant-owned query names its
// tenant; on PostgreSQL, row-level security is a second wall: a
// transaction or read opened with a scope sees and writes only the rows of
// the municipalities in it, whatever its SQL says, and one opened without
// a scope sees no tenant-owned row at all. The tenant services narrow
// every call to their municipality; the system's own work over all
// municipalities (key rotation) says so with AllTenants.

type scopeKey struct{}

// AllTenants is the scope of the system's own work over every
// municipality, such as re-sealing all rows under a new key.
const AllTenants = "*"

// WithScope narrows the transactions opened with ctx to tenants. The
// tenant "" names the system's own rows (an empty tenant_code), such as alerts
// that concern no one municipality; WithScope(ctx) with no tenant sees no
// tenant-owned row.
func WithScope(ctx context.Context, tenants ...string) context.Context {
	scope := strings.Join(tenants, ",")
	if scope == "" && len(tenants) > 0 {
		// Only the system's rows: "" alone would read as no tenant at
		// all, "," is the list holding '' (string_to_array gives {"",""}).
		scope = ","
	}
	return context.WithValue(ctx, scopeKey{}, scope)
}

// ScopeOf returns the scope of ctx, if one was set.
func ScopeOf(ctx context.Context) (string, bool) {
	s, ok := ctx.Value(scopeKey{}).(string)
	return s, ok
}

// setScope applies ctx's scope to tx (PostgreSQL only: SQLite has no
// row-level security, and its single file is one municipality's or the
// union's evaluation copy).
func setScope(ctx context.Context, tx *Tx) error {
	scope, ok := ScopeOf(ctx)
	if !ok || tx.engine != Postgres {
		return nil
	}
	_, err := tx.tx.ExecContext(ctx, `SELECT set_config('bango.scope', $1, true)`, scope)
	return Translate(err)
}

// Read runs fn's reads. With a scope in ctx on PostgreSQL they run in a
// read-only transaction narrowed to it, so that row-level security guards
// reads as it guards writes; otherwise fn reads straight from the pool.
func (db *DB) Read(ctx context.Context, fn func(Querier) error) error {
	if _, ok := ScopeOf(ctx); !ok || db.engine != Postgres {
		return fn(db)
	}
	db.checkPoolUse("Read")
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return Translate(err)
	}
	defer conn.Close()
	stx, err := conn.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return Translate(err)
	}
	tx := &Tx{tx: stx, conn: conn, engine: db.engine}
	if err := setScope(ctx, tx); err != nil {
		stx.Rollback()
		return err
	}
	if err = inTx[Querier](db, tx, fn); err != nil {
		stx.Rollback()
		return err
	}
	return Translate(stx.Commit())
}

// Row is one row read by ReadRow.
type Row struct {
	db   *DB
	ctx  context.Context
	q    string
	args []any
}

// ReadRow reads one row through Read, so that on PostgreSQL it runs in
// ctx's scope (QueryRow on the pool carries no scope). Scan's error is
// the driver's, as QueryRow's: translate it with ScanErr or Translate.
func (db *DB) ReadRow(ctx context.Context, q string, args ...any) *Row {
	return &Row{db: db, ctx: ctx, q: q, args: args}
}

// Scan runs the read and copies the row's columns into dest.
func (r *Row) Scan(dest ...any) error {
	return r.db.Read(r.ctx, func(q Querier) error {
		return q.QueryRow(r.ctx, r.q, r.args...).Scan(dest...)
	})
}

// RLSBypass reports whether db's connection is not bound by row-level
// security: on PostgreSQL, when the role it is connected as is a
// superuser or has BYPASSRLS, and so sees and writes every municipality's
// rows whatever the scope, why says which ("a superuser", "a role with
// BYPASSRLS"). why is "" for a role the policies bind, and on SQLite.
func (db *DB) RLSBypass(ctx context.Context) (role, why string, err error) {
	if db.engine != Postgres {
		return "", "", nil
	}
	var super, bypass bool
	if err := db.QueryRow(ctx, `SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user`).Scan(&role, &super, &bypass); err != nil {
		return "", "", ScanErr(err, "the connected role")
	}
	switch {
	case super:
		why = "a superuser"
	case bypass:
		why = "a role with BYPASSRLS"
	}
	return role, why, nil
}
