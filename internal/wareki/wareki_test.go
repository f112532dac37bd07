package wareki

import (
	"testing"
	"time"
)

// Every era's first and last day exist in it, and the day either side of
// them belongs to the neighbour (R-ACC-5: a date field names a real day).
func TestEraBoundaries(t *testing.T) {
	for _, c := range []struct {
		code, y, m, d int
		want          time.Time // zero: no such day
	}{
		{1, 5, 12, 31, time.Time{}}, // lunar calendar: not converted
		{1, 6, 1, 1, Civil(1873, 1, 1)},
		{1, 45, 7, 29, Civil(1912, 7, 29)},
		{1, 45, 7, 30, time.Time{}},
		{2, 1, 7, 29, time.Time{}},
		{2, 1, 7, 30, Civil(1912, 7, 30)},
		{2, 15, 12, 24, Civil(1926, 12, 24)},
		{2, 15, 12, 25, time.Time{}},
		{3, 1, 12, 24, time.Time{}},
		{3, 1, 12, 25, Civil(1926, 12, 25)},
		{3, 64, 1, 7, Civil(1989, 1, 7)},
		{3, 64, 1, 8, time.Time{}},
		{4, 1, 1, 7, time.Time{}},
		{4, 1, 1, 8, Civil(1989, 1, 8)},
		{4, 31, 4, 30, Civil(2019, 4, 30)},
		{4, 31, 5, 1, time.Time{}},
		{5, 1, 4, 30, time.Time{}},
		{5, 1, 5, 1, Civil(2019, 5, 1)},
		{5, 8, 12, 2, Civil(2026, 12, 2)},
		{5, 2, 2, 29, Civil(2020, 2, 29)},
		{5, 3, 2, 29, time.Time{}},
		{5, 0, 5, 1, time.Time{}},
		{6, 1, 1, 1, time.Time{}},
		{0, 1, 1, 1, time.Time{}},
		{4, 1, 13, 1, time.Time{}},
		{4, 1, 4, 31, time.Time{}},
	} {
		got, ok := Date(c.code, c.y, c.m, c.d)
		if ok != !c.want.IsZero() || !got.Equal(c.want) {
			t.Errorf("Date(%d, %d, %d, %d) = %v, %v; want %v", c.code, c.y, c.m, c.d, got, ok, c.want)
		}
		if ok {
			e, y, _ := Of(got)
			if e.Code != c.code || y != c.y {
				t.Errorf("Of(%v) = %s %d, want code %d year %d", got, e.Name, y, c.code, c.y)
			}
		}
	}
}
