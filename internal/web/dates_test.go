package web

import (
	"testing"
	"time"
)

// Issue 17: dates as Japanese staff read them, times in JST, a birth date
// with its 和暦 and the age.
func TestDates(t *testing.T) {
	evening := time.Date(2026, 12, 1, 15, 30, 0, 0, time.UTC) // 2 December 00:30 in Japan
	birthDate := time.Date(1977, 8, 16, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct{ got, want string }{
		{when("ja", evening), "2026年12月2日 00:30"},
		{when("en", evening), "2 Dec 2026 00:30"},
		{when("ja", time.Time{}), "—"},
		{day("ja", evening), "2026年12月2日"},
		{day("en", evening), "2 December 2026"},
		{day("ja", birthDate), "1977年8月16日"},
		{birth("ja", birthDate, time.Date(2026, 8, 15, 14, 0, 0, 0, time.UTC)), "1977年8月16日（昭和52年8月16日）48歳"},
		{birth("ja", birthDate, time.Date(2026, 8, 15, 15, 0, 0, 0, time.UTC)), "1977年8月16日（昭和52年8月16日）49歳"}, // midnight in Japan
		{birth("en", birthDate, evening), "16 August 1977 (昭和52年8月16日), age 49"},
		{birth("ja", time.Date(2019, 5, 1, 0, 0, 0, 0, time.UTC), evening), "2019年5月1日（令和元年5月1日）7歳"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
