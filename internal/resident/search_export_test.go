package resident

import "bango/internal/store"

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
