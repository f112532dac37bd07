// Package civil is the calendar the municipalities work in: dates without
// a time of day, and "today" as it is in Japan. A date is a time.Time at
// midnight UTC, so that dates compare and subtract as days whatever the
// server's zone.
package civil

import "time"

// JST is Japan's time zone, in which a municipality's day begins.
var JST = time.FixedZone("JST", 9*60*60)

// Date is the date y-m-d (normalised as time.Date does: 31 April is 1 May).
func Date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// DateOf drops the time of day of t, in t's own zone (a date read from
// the database).
func DateOf(t time.Time) time.Time { return Date(t.Year(), t.Month(), t.Day()) }

// Today is the date in Japan at the instant now.
func Today(now time.Time) time.Time { return DateOf(now.In(JST)) }

// Format writes a date as YYYY-MM-DD, and no date as "".
func Format(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}
