package resident

import (
	"time"

	"bango/internal/store"
)

// SearchSQL is the statement Find runs for q, for the query-plan tests.
func SearchSQL(e store.Engine, tenant, q string) (string, []any, error) {
	pq, err := parseQuery(q)
	if err != nil {
		return "", nil, err
	}
	sql, args := pq.sql(e, tenant)
	return sql, args, nil
}

// PrefixEnd exposes prefixEnd to the tests.
var PrefixEnd = prefixEnd

// ParseBirthDate exposes parseBirthDate to the tests.
func ParseBirthDate(q string) (time.Time, error) {
	t, _, err := parseBirthDate(q)
	return t, err
}
