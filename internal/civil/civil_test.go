package civil

import (
	"testing"
	"time"
)

// The day in Japan begins at 15:00 UTC of the day before.
func TestToday(t *testing.T) {
	for _, c := range []struct {
		utc  string
		want string
	}{
		{"2026-12-01T14:59:59Z", "2026-12-01"},
		{"2026-12-01T15:00:00Z", "2026-12-02"},
		{"2026-12-31T15:00:00Z", "2027-01-01"},
	} {
		now, err := time.Parse(time.RFC3339, c.utc)
		if err != nil {
			t.Fatal(err)
		}
		got := Today(now)
		if Format(got) != c.want || got.Location() != time.UTC || got.Hour() != 0 {
			t.Errorf("Today(%s) = %v, want %s at midnight UTC", c.utc, got, c.want)
		}
	}
}

func TestDateOfAndFormat(t *testing.T) {
	if got := DateOf(time.Date(2024, 2, 29, 23, 59, 0, 0, JST)); got != Date(2024, 2, 29) {
		t.Errorf("DateOf = %v", got)
	}
	if Format(time.Time{}) != "" || Format(Date(2026, 4, 31)) != "2026-05-01" {
		t.Errorf("Format: %q %q", Format(time.Time{}), Format(Date(2026, 4, 31)))
	}
}
