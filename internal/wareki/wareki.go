// Package wareki holds the 元号 (Japanese eras) as statutory facts: each
// era's one-digit code as files use it (1 明治 … 5 令和), its names and its
// real first and last day, so that a 和暦 date can be checked to name a
// day that existed in that era (平成31年4月30日 did, 平成31年5月1日 did not).
package wareki

import "time"

// Era is one 元号 and the days it covered.
type Era struct {
	Code   int    // the usual one-digit code in files: 1 明治 … 5 令和
	Name   string // 昭和
	Short  string // 昭
	Letter byte   // S
	First  time.Time
	Last   time.Time // the zero time for the era in force
}

// Civil is the calendar day y-m-d at midnight UTC, the form dates take here.
func Civil(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// Eras lists the eras in order. 明治 starts at 明治6年1月1日: before it Japan
// counted lunar months, whose days are not converted.
var Eras = []Era{
	{1, "明治", "明", 'M', Civil(1868, 1, 25), Civil(1912, 7, 29)},
	{2, "大正", "大", 'T', Civil(1912, 7, 30), Civil(1926, 12, 24)},
	{3, "昭和", "昭", 'S', Civil(1926, 12, 25), Civil(1989, 1, 7)},
	{4, "平成", "平", 'H', Civil(1989, 1, 8), Civil(2019, 4, 30)},
	{5, "令和", "令", 'R', Civil(2019, 5, 1), time.Time{}},
}

// GregorianFrom is the first day whose 和暦 date converts to the Gregorian
// calendar by the year alone (明治6年1月1日).
var GregorianFrom = Civil(1873, 1, 1)

// ByCode returns the era of a one-digit code, or false.
func ByCode(code int) (Era, bool) {
	if code < 1 || code > len(Eras) {
		return Era{}, false
	}
	return Eras[code-1], true
}

// Date is the day of year y (1 for 元年), month m and day d of the era of
// code, or false when no such day existed in that era: a month or day out
// of range, a day before the era began or after it ended, or before
// 明治6年.
func Date(code, y, m, d int) (time.Time, bool) {
	e, ok := ByCode(code)
	if !ok || y < 1 || m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}, false
	}
	t := Civil(e.First.Year()+y-1, time.Month(m), d)
	if t.Month() != time.Month(m) || t.Day() != d || t.Before(e.First) || t.Before(GregorianFrom) ||
		!e.Last.IsZero() && t.After(e.Last) {
		return time.Time{}, false
	}
	return t, true
}

// Of returns the era t falls in and its year in that era (1 for 元年); ok is
// false before 明治6年.
func Of(t time.Time) (e Era, year int, ok bool) {
	t = Civil(t.Year(), t.Month(), t.Day())
	if t.Before(GregorianFrom) {
		return Era{}, 0, false
	}
	i := len(Eras) - 1
	for t.Before(Eras[i].First) {
		i--
	}
	return Eras[i], t.Year() - Eras[i].First.Year() + 1, true
}
