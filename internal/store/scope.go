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

// WithScope narrows the transactions opened with ctx to tenants.
func WithScope(ctx context.Context, tenants ...string) context.Context {
	return context.WithValue(ctx, scopeKey{}, strings.Join(tenants, ","))
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
