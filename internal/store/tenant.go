package store

import (
	"context"
	"database/sql"
)

// ReadIn runs fn's reads narrowed to tenant: the municipality's scope is
// set here, once, instead of by hand in every service method (R-AC-6).
func (db *DB) ReadIn(ctx context.Context, tenant string, fn func(Querier) error) error {
	return db.Read(WithScope(ctx, tenant), fn)
}

// TransactIn runs fn in a transaction narrowed to tenant (see ReadIn).
func (db *DB) TransactIn(ctx context.Context, tenant string, fn func(*Tx) error) error {
	return db.Transact(WithScope(ctx, tenant), fn)
}

// Scanner is one row to scan: *sql.Row or *sql.Rows.
type Scanner = interface{ Scan(dest ...any) error }

// Rows turns scan, which reads one row, into a reader of every row a query
// returns, translating any driver error into the error vocabulary once,
// here, instead of a hand-written rows.Next loop in every service:
//
//	out, err := store.Rows(scanRequest)(q.Query(ctx, sql, args...))
func Rows[T any](scan func(Scanner) (T, error)) func(*sql.Rows, error) ([]T, error) {
	return func(rows *sql.Rows, err error) ([]T, error) {
		if err != nil {
			return nil, Translate(err)
		}
		defer rows.Close()
		var out []T
		for rows.Next() {
			v, err := scan(rows)
			if err != nil {
				return nil, Translate(err)
			}
			out = append(out, v)
		}
		return out, Translate(rows.Err())
	}
}
