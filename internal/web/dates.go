package web

import (
	"strconv"
	"time"

	"bango/internal/resident"
)

// Dates as staff read them, one helper for every template: 2026年12月2日
// in Japanese and 2 December 2026 in English, times of day in Japan
// Standard Time, a date of birth with its 和暦 and the age. ISO 8601 is
// for CSV files and the API only.

// jst is the time zone staff read times in.
var jst = time.FixedZone("JST", 9*3600)

// day is a calendar day as written in lang, "—" for none. A time of day
// is read in JST first; a date (a birth date) is taken as it is.
func day(lang string, t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	if t.Hour() != 0 || t.Minute() != 0 || t.Second() != 0 || t.Location() != time.UTC {
		t = t.In(jst)
	}
	if lang == "en" {
		return t.Format("2 January 2006")
	}
	return strconv.Itoa(t.Year()) + "年" + strconv.Itoa(int(t.Month())) + "月" + strconv.Itoa(t.Day()) + "日"
}

// when is a moment as written in lang, in JST to the minute: 2026年12月2日
// 14:05; "—" for none.
func when(lang string, t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	t = t.In(jst)
	if lang == "en" {
		return t.Format("2 Jan 2006 15:04")
	}
	return strconv.Itoa(t.Year()) + "年" + strconv.Itoa(int(t.Month())) + "月" + strconv.Itoa(t.Day()) + "日 " + t.Format("15:04")
}

// birth is a date of birth with its 和暦 and the age on today's date in
// Japan: 1977年8月16日（昭和52年8月16日）49歳.
func birth(lang string, b time.Time, now time.Time) string {
	if b.IsZero() {
		return "—"
	}
	b = time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, time.UTC)
	today := now.In(jst)
	age := today.Year() - b.Year()
	if today.Month() < b.Month() || today.Month() == b.Month() && today.Day() < b.Day() {
		age--
	}
	era := ""
	if w := resident.Wareki(b); w != "" {
		era = "（" + w + "）"
	}
	if lang == "en" {
		if era != "" {
			era = " (" + resident.Wareki(b) + ")"
		}
		return day(lang, b) + era + ", age " + strconv.Itoa(age)
	}
	return day(lang, b) + era + strconv.Itoa(age) + "歳"
}
