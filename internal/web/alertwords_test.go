package web

import "testing"

// Issue 17 (R-AUD-3): an alert's detail is read in words, times in JST,
// and a pair nobody described is shown as it is rather than dropped.
func TestAlertDetail(t *testing.T) {
	tests := []struct{ lang, detail, want string }{
		{"ja", "reveals_last_hour=12 limit=10", "直近1時間の表示 12件、上限 10件"},
		{"en", "reveals_last_hour=12 limit=10", "12 reveals in the last hour; limit 10"},
		{"ja", "denials=5 within=1h30m0s", "拒否 5回、1時間30分以内"},
		{"ja", "sampled=2026-12-02T01:00:00Z", "検知 2026年12月2日 10:00"},
		{"ja", "mystery=7 limit=3", "mystery=7、上限 3件"},
	}
	for _, tt := range tests {
		if got := alertDetail(tt.lang, tt.detail); got != tt.want {
			t.Errorf("alertDetail(%s, %q) = %q, want %q", tt.lang, tt.detail, got, tt.want)
		}
	}
}
