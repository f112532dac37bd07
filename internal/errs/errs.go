// Package errs is bango's one error vocabulary. Every layer returns errors of
// these kinds, so that one adapter at the edge can turn any of them into an
// HTTP status, a page, a JSON body or a CLI exit code, and so that a caller
// can ask "was this not found?" without knowing which engine or package
// produced it.
package errs

import (
	"errors"
	"fmt"
	"strings"
)

// Kind classifies an error for the edges (HTTP status, exit code).
type Kind int

const (
	Internal        Kind = iota // a bug or an outage: logged, never shown in detail
	NotFound                    // no such record in the caller's scope
	Invalid                     // the input is wrong; the message says where and why
	Conflict                    // the input clashes with stored state (duplicate, stale)
	Forbidden                   // authenticated, but not allowed
	Unauthenticated             // who the caller is is not established
	Locked                      // the account or session is locked for now
	Unavailable                 // not ready yet (migrations, shutdown)
)

var kindNames = [...]string{"internal", "not found", "invalid", "conflict", "forbidden", "unauthenticated", "locked", "unavailable"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Error is an error with a kind. Message is safe to show to the user: it never
// holds a My Number or a secret.
type Error struct {
	Kind    Kind
	Message string
	Err     error   // the cause, for logs; may be nil
	Say     Message // what staff are told, in their language; zero: a sentence of the kind
}

func (e *Error) Error() string {
	switch {
	case e.Message != "" && e.Err != nil:
		return e.Message + ": " + e.Err.Error()
	case e.Message != "":
		return e.Message
	case e.Err != nil:
		return e.Err.Error()
	}
	return e.Kind.String()
}

func (e *Error) Unwrap() error { return e.Err }

// E builds an error of kind k with a formatted message.
func E(k Kind, format string, args ...any) error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...)}
}

// Tell builds an error of kind k that staff are told in their own
// language (say), with msg for logs and machine clients.
func Tell(k Kind, say Message, format string, args ...any) error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...), Say: say}
}

// Told is what err tells staff in lang, when it carries a sentence for
// them; ok is false otherwise.
func Told(err error, lang string) (string, bool) {
	for ; err != nil; err = errors.Unwrap(err) {
		if e, ok := err.(*Error); ok && e.Say.JA != "" {
			return e.Say.In(lang), true
		}
	}
	return "", false
}

// Wrap gives err the kind k and a message, keeping err as the cause.
func Wrap(k Kind, err error, format string, args ...any) error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...), Err: err}
}

// KindOf reports the kind of the outermost classified error in err's chain;
// Internal when there is none.
func KindOf(err error) Kind {
	var fe *FieldErrors
	if errors.As(err, &fe) {
		if fe.Kind != Internal {
			return fe.Kind
		}
		return Invalid
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// Public is what err may tell the person who caused it: the wrong fields,
// or the message of its kind — never the cause underneath (driver texts,
// constraint names, database URLs, file paths), which only the log sees.
func Public(err error) string {
	var fe *FieldErrors
	if errors.As(err, &fe) {
		return fe.Error()
	}
	var e *Error
	if errors.As(err, &e) && e.Message != "" {
		return e.Message
	}
	return KindOf(err).String()
}

// Is reports whether err is of kind k.
func Is(err error, k Kind) bool { return err != nil && KindOf(err) == k }

// Annotate prefixes a non-nil *errp with the operation that failed, keeping
// its kind. Use it deferred: defer errs.Annotate(&err, "resident.Create(%s)", code).
func Annotate(errp *error, format string, args ...any) {
	if *errp != nil {
		*errp = fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), *errp)
	}
}

// FieldError says which input field is wrong and why, in Japanese and English.
// Line is the record's line in an imported file, 0 for a form.
type FieldError struct {
	Line   int
	Field  string
	Reason Message
}

// Message is a user-facing text in both UI languages.
type Message struct{ JA, EN string }

// In returns the message in lang ("ja" or "en"); Japanese is the default.
func (m Message) In(lang string) string {
	if lang == "en" && m.EN != "" {
		return m.EN
	}
	return m.JA
}

// FieldErrors is a validation failure: every wrong field at once, so that the
// user can fix a form or a file in one pass. Kind is Invalid when left zero;
// Conflict for a field that clashes with stored data (a duplicate).
type FieldErrors struct {
	List []FieldError
	Kind Kind
}

func (fe *FieldErrors) Error() string { return fe.Localized("en") }

// Localized renders every field error in lang, one per line.
func (fe *FieldErrors) Localized(lang string) string {
	var b strings.Builder
	for i, f := range fe.List {
		if i > 0 {
			b.WriteString("; ")
		}
		if f.Line > 0 {
			fmt.Fprintf(&b, "line %d: ", f.Line)
		}
		b.WriteString(f.Field)
		b.WriteString(": ")
		b.WriteString(f.Reason.In(lang))
	}
	return b.String()
}

// Add records one wrong field.
func (fe *FieldErrors) Add(field string, reason Message) {
	fe.List = append(fe.List, FieldError{Field: field, Reason: reason})
}

// AddAt records one wrong field of the record on line.
func (fe *FieldErrors) AddAt(line int, field string, reason Message) {
	fe.List = append(fe.List, FieldError{Line: line, Field: field, Reason: reason})
}

// Err returns fe as an error, or nil when nothing was added.
func (fe *FieldErrors) Err() error {
	if fe == nil || len(fe.List) == 0 {
		return nil
	}
	return fe
}

// Fields returns the field errors in err's chain, if any.
func Fields(err error) []FieldError {
	var fe *FieldErrors
	if errors.As(err, &fe) {
		return fe.List
	}
	return nil
}
