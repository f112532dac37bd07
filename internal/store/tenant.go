package store

import (
	"context"
	"database/sql"

	"bango/internal/errs"
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

// TenantExists returns nil if the municipality with code is registered,
// and a NotFound error naming it if not: the one check every service
// makes, read through q (the pool, or the transaction that relies on the
// answer). For residents it stands in for a foreign key (see the first
// migration).
func TenantExists(ctx context.Context, q Querier, code string) error {
	var n int
	if err := q.QueryRow(ctx, `SELECT count(*) FROM tenants WHERE code = $1`, code).Scan(&n); err != nil {
		return Translate(err)
	}
	if n == 0 {
		return errs.E(errs.NotFound, "municipality %s not found", code)
	}
	return nil
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
		var out []T
		err = Each(func(row Scanner) error {
			v, err := scan(row)
			if err == nil {
				out = append(out, v)
			}
			return err
		})(rows, err)
		if err != nil {
			return nil, err
		}
		return out, nil
	}
}

// Each is Rows for a reader that does its work row by row instead of
// collecting the rows: one that must not hold them all at once (a
// municipality's whole register, written to a file as it is read) or
// folds them into something else (a map, one value per group of rows).
// fn reads one row and does its work with it; the first error it returns
// stops the reading. Errors are translated as by Rows.
//
//	err := store.Each(func(row store.Scanner) error { … })(q.Query(ctx, sql, args...))
func Each(fn func(Scanner) error) func(*sql.Rows, error) error {
	return func(rows *sql.Rows, err error) error {
		if err != nil {
			return Translate(err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := fn(rows); err != nil {
				return Translate(err)
			}
		}
		return Translate(rows.Err())
	}
}
