package resident

import (
	"time"

	"bango/internal/store"
)

// SearchSQL is the statement of Find's first page for q, for the
// query-plan tests.
func SearchSQL(e store.Engine, tenant, q string) (string, []any, error) {
	return SearchSQLBy(e, tenant, q, "", false)
}

// SearchSQLBy is the statement of FindPage for q read by by: the first
// page, or one after the resident 0000000001 when paged.
func SearchSQLBy(e store.Engine, tenant, q string, by SearchBy, paged bool) (string, []any, error) {
	pq, err := parseQuery(q, by)
	if err != nil {
		return "", nil, err
	}
	var after string
	if paged {
		after = "0000000001"
	}
	sql, args := pq.sql(e, tenant, after, MaxResults)
	return sql, args, nil
}

// CountSQL is the statement that counts the matches of q alone.
func CountSQL(e store.Engine, tenant, q string, by SearchBy) (string, []any, error) {
	pq, err := parseQuery(q, by)
	if err != nil {
		return "", nil, err
	}
	sql, args := pq.countSQL(e, tenant)
	return sql, args, nil
}

// PrefixEnd exposes prefixEnd to the tests.
var PrefixEnd = prefixEnd

// AddressForms exposes addressForms to the tests.
var AddressForms = addressForms

// ParseBirthDate exposes parseBirthDate to the tests.
func ParseBirthDate(q string) (time.Time, error) {
	t, _, err := parseBirthDate(q)
	return t, err
}

// CodeOrder and CodeSpan expose SQLite's search numbering to the tests.
var CodeOrder = codeOrder

const CodeSpan = codeSpan
