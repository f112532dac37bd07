package web

import (
	"fmt"
	"strings"
	"time"
)

// alertDetail says an alert's detail in words: the detail is key=value
// pairs written by the rule that raised it (reveals_last_hour=12
// limit=10); each known key has a sentence in the catalogue
// ("alertkey.<key>", taking the value), times are shown as staff read them,
// and an unknown pair is shown as it is, so that nothing is hidden.
func alertDetail(lang, detail string) string {
	var parts []string
	for _, pair := range strings.Fields(detail) {
		key, value, ok := strings.Cut(pair, "=")
		_, known := catalogue["alertkey."+key]
		if !ok || !known {
			parts = append(parts, pair)
			continue
		}
		if t, err := time.Parse(time.RFC3339, value); err == nil {
			value = when(lang, t)
		} else if t, err := time.ParseInLocation("2006-01-02 15:04", value, jst); err == nil {
			value = when(lang, t)
		} else if d, err := time.ParseDuration(value); err == nil {
			value = duration(lang, d)
		} else if _, isAction := catalogue["action."+value]; isAction && (key == "action" || key == "last") {
			value = tr(lang, "action."+value)
		}
		parts = append(parts, fmt.Sprintf(tr(lang, "alertkey."+key), value))
	}
	sep := "、"
	if lang == "en" {
		sep = "; "
	}
	return strings.Join(parts, sep)
}

// duration is a span of time in words: 1時間30分, 1 h 30 min.
func duration(lang string, d time.Duration) string {
	h, m := int(d.Hours()), int(d.Minutes())%60
	switch {
	case lang == "en" && h > 0 && m > 0:
		return fmt.Sprintf("%d h %d min", h, m)
	case lang == "en" && h > 0:
		return fmt.Sprintf("%d h", h)
	case lang == "en":
		return fmt.Sprintf("%d min", m)
	case h > 0 && m > 0:
		return fmt.Sprintf("%d時間%d分", h, m)
	case h > 0:
		return fmt.Sprintf("%d時間", h)
	}
	return fmt.Sprintf("%d分", m)
}

var alertMessages = messages{
	"alertkey.reveals_last_hour": {"直近1時間の表示 %s件", "%s reveals in the last hour"},
	"alertkey.limit":             {"上限 %s件", "limit %s"},
	"alertkey.first":             {"最初の操作 %s", "first at %s"},
	"alertkey.action":            {"操作「%s」", "action: %s"},
	"alertkey.denials":           {"拒否 %s回", "%s refusals"},
	"alertkey.within":            {"%s以内", "within %s"},
	"alertkey.last":              {"最後の操作「%s」", "last action: %s"},
	"alertkey.address":           {"接続元 %s", "from %s"},
	"alertkey.sampled":           {"検知 %s", "seen at %s"},
	"alertkey.reason":            {"理由 %s", "reason: %s"},
}
