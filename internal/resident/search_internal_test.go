package resident

import (
	"slices"
	"testing"
)

// A PostgreSQL search by three characters or more reads the postings of
// its first and last trigrams, and of each trigram where digits start or
// end: a lot number's start (町67) is rare where the town's name and the
// number's end are shared by thousands (issue 14 I).
func TestDrivingTrigrams(t *testing.T) {
	tests := []struct {
		q    string
		want []string
	}{
		{"若松町67番地", []string{"若松町", "町67", "7番地"}},
		{"早稲田鶴巻町257番地", []string{"早稲田", "町25", "7番地"}},
		{"西新宿二丁目", []string{"西新宿", "二丁目"}},
		{"西新宿2丁目", []string{"西新宿", "宿2丁", "2丁目"}},
		{"8番1号", []string{"8番1", "番1号"}},
		{"アンドウ　カズヤ", []string{"アンド", "カズヤ"}},
		{"前田太", []string{"前田太"}},
		{"ナナナナ", []string{"ナナナ"}},
		{"123", []string{"123"}},
	}
	for _, tt := range tests {
		if got := driving(tt.q); !slices.Equal(got, tt.want) {
			t.Errorf("driving(%q) = %q, want %q", tt.q, got, tt.want)
		}
	}
}
