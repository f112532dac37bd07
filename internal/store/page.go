package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"time"

	"bango/internal/errs"
)

// Keyset pages (issue 16). Every list a screen or the API shows is read a
// page at a time in an order that ends with the row's ID, and the next page
// starts after the last row shown — "WHERE id < $1", or "(key, id) < ($1,
// $2)" — never at an OFFSET: a deep page costs what the first does, and a
// row written meanwhile is neither shown twice nor skipped. A list is never
// cut silently: it pages, or its page says more exist.

// Page is one page of a list, in the list's order.
type Page[T any] struct {
	Items []T `json:"items"` // never nil
	// Next is the opaque cursor of the next page, "" at the end.
	Next string `json:"next,omitempty"`
	// More says more rows follow than are shown; true whenever Next is
	// set, and also for a list that can only say it was cut.
	More bool `json:"more"`
}

// Page sizes: what a list shows when the caller asks for nothing, and the
// most it shows whatever the caller asks.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// Limit clamps the page size a caller asked for: DefaultLimit for none
// (zero or less), MaxLimit at most.
func Limit(n int) int {
	switch {
	case n <= 0:
		return DefaultLimit
	case n > MaxLimit:
		return MaxLimit
	}
	return n
}

// PageOf turns rows read with LIMIT limit+1 into a page of at most limit
// rows: the extra row only says that more follow, and the cursor of the
// next page is the key of the last row shown (see EncodeCursor).
func PageOf[T any](rows []T, limit int, list string, key func(T) []any) Page[T] {
	p := Page[T]{Items: rows}
	if p.Items == nil {
		p.Items = []T{}
	}
	if len(p.Items) > limit {
		p.Items = p.Items[:limit]
		p.Next, p.More = EncodeCursor(list, key(p.Items[limit-1])...), true
	}
	return p
}

// cursorSum is how many bytes of SHA-256 guard a cursor.
const cursorSum = 8

// EncodeCursor makes the cursor of list that starts a page after the row
// whose sort key is key (int64, int, string or time.Time values, the ID
// last). It is opaque to clients: base64url of the list's name and the
// key, with a checksum. The checksum is against damage and editing, not a
// secret: a forged cursor can only move where a page starts, and the
// query's own conditions and scope still hold (R-AC-6).
func EncodeCursor(list string, key ...any) string {
	parts := []string{list}
	for _, k := range key {
		switch v := k.(type) {
		case int64:
			parts = append(parts, strconv.FormatInt(v, 10))
		case int:
			parts = append(parts, strconv.Itoa(v))
		case string:
			parts = append(parts, v)
		case time.Time:
			parts = append(parts, v.UTC().Format(time.RFC3339Nano))
		default:
			panic("store: EncodeCursor: unsupported key type")
		}
	}
	payload, _ := json.Marshal(parts)
	sum := sha256.Sum256(payload)
	return base64.RawURLEncoding.EncodeToString(append(payload, sum[:cursorSum]...))
}

// DecodeCursor reads a cursor of list made by EncodeCursor into key
// (pointers to int64, int, string or time.Time, as it was made). It
// reports false for "" (the first page); a cursor that was damaged,
// edited, or made for another list is an Invalid error naming the field
// "cursor".
func DecodeCursor(cursor, list string, key ...any) (bool, error) {
	if cursor == "" {
		return false, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || len(raw) <= cursorSum {
		return false, badCursor()
	}
	payload, check := raw[:len(raw)-cursorSum], raw[len(raw)-cursorSum:]
	sum := sha256.Sum256(payload)
	var parts []string
	if !bytes.Equal(sum[:cursorSum], check) || json.Unmarshal(payload, &parts) != nil || len(parts) != len(key)+1 || parts[0] != list {
		return false, badCursor()
	}
	for i, k := range key {
		s := parts[i+1]
		var err error
		switch p := k.(type) {
		case *int64:
			*p, err = strconv.ParseInt(s, 10, 64)
		case *int:
			*p, err = strconv.Atoi(s)
		case *string:
			*p = s
		case *time.Time:
			*p, err = time.Parse(time.RFC3339Nano, s)
		default:
			panic("store: DecodeCursor: unsupported key type")
		}
		if err != nil {
			return false, badCursor()
		}
	}
	return true, nil
}

// BadCursor is the error of a cursor that names no place in its list,
// for a list that checks what a decoded cursor holds.
func BadCursor() error { return badCursor() }

func badCursor() error {
	var fe errs.FieldErrors
	fe.Add("cursor", errs.Message{JA: "ページの位置を読み取れません。一覧を最初から開き直してください",
		EN: "the page position cannot be read; open the list again from its start"})
	return fe.Err()
}
