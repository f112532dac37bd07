package store

import "time"

// DateArg passes a date (civil.Date) as e stores it: a DATE on PostgreSQL,
// 'YYYY-MM-DD' text on SQLite, which orders and compares as the dates do.
func DateArg(e Engine, t time.Time) any {
	if e == SQLite {
		return t.Format(time.DateOnly)
	}
	return t
}
