package store

import (
	"database/sql"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"bango/internal/errs"
)

// Translate turns a driver error into bango's vocabulary, once, here:
// no rows → NotFound, unique violation → Conflict, other constraint
// violations → Invalid. Other errors keep their text under Internal.
func Translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return errs.Wrap(errs.NotFound, err, "not found")
	}
	var ke *errs.Error
	if errors.As(err, &ke) {
		return err
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505":
			return &ConstraintError{Kind: errs.Conflict, Constraint: pe.ConstraintName, Err: err}
		case "23503", "23502", "23514", "23P01":
			return &ConstraintError{Kind: errs.Invalid, Constraint: pe.ConstraintName, Err: err}
		case "22021", "22P05":
			// NUL or bytes that are not UTF-8: the web edge refuses such text
			// first; this keeps any other path from answering 500.
			return errs.Wrap(errs.Invalid, err, "text with characters the database cannot store")
		}
		return err
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return &ConstraintError{Kind: errs.Conflict, Constraint: sqliteConstraint(se.Error()), Err: err}
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY, sqlite3.SQLITE_CONSTRAINT_NOTNULL, sqlite3.SQLITE_CONSTRAINT_CHECK:
			return &ConstraintError{Kind: errs.Invalid, Constraint: sqliteConstraint(se.Error()), Err: err}
		}
	}
	return err
}

// sqliteConstraint pulls "residents.tenant_code, residents.code" out of
// "UNIQUE constraint failed: residents.tenant_code, residents.code".
func sqliteConstraint(msg string) string {
	if i := strings.Index(msg, "constraint failed: "); i >= 0 {
		s := msg[i+len("constraint failed: "):]
		if j := strings.IndexByte(s, ' '); j >= 0 && !strings.HasSuffix(s[:j], ",") {
			s = s[:j]
		}
		return strings.TrimSuffix(s, ")")
	}
	return ""
}

// ConstraintError is a violated database constraint. Constraint is the
// engine's name for it (PostgreSQL) or its columns (SQLite).
type ConstraintError struct {
	Kind       errs.Kind
	Constraint string
	Err        error
}

func (e *ConstraintError) Error() string {
	return "constraint " + e.Constraint + " violated: " + e.Err.Error()
}
func (e *ConstraintError) Unwrap() error { return e.Err }

// As lets errs.KindOf see the kind: ConstraintError converts to *errs.Error.
func (e *ConstraintError) As(target any) bool {
	if t, ok := target.(**errs.Error); ok {
		msg := "the change clashes with stored data"
		if e.Kind == errs.Invalid {
			msg = "the change breaks a rule of the stored data"
		}
		*t = &errs.Error{Kind: e.Kind, Message: msg, Err: e}
		return true
	}
	return false
}

// retryable reports whether a transaction may succeed if run again.
func retryable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "40001" || pe.Code == "40P01"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code() & 0xff
		return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
	}
	return false
}
