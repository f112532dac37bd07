package resident

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/width"

	"bango/internal/wareki"
)

// Dates of birth as staff type them into the search box: 西暦 (1977-08-16,
// 1977/8/16, 1977.8.16, 1977年8月16日) or 和暦 (昭和52年8月16日, 昭和52.8.16,
// 昭52.8.16, S52.8.16, 元年 for year 1), in full or half width.

// era is one 元号 and the day it took effect. The statutory facts live in
// internal/wareki, which the linkage files' 和暦 dates use too.
type era struct {
	name, short string
	letter      byte
	start       time.Time // its first day (its year 1 is start's year)
}

var eras = func() []era {
	out := make([]era, len(wareki.Eras))
	for i, e := range wareki.Eras {
		out[i] = era{e.Name, e.Short, e.Letter, e.First}
	}
	return out
}()

// gregorianFrom is the first day whose 和暦 date converts to the Gregorian
// calendar by the year alone: before 明治6年 Japan counted lunar months.
var gregorianFrom = wareki.GregorianFrom

func civil(y int, m time.Month, d int) time.Time { return wareki.Civil(y, m, d) }

var (
	eraNames = `明治|大正|昭和|平成|令和|明|大|昭|平|令|[MTSHRmtshr]`
	// dateLike is a query that means a date, right or wrong: an era or a
	// year, then 年 or a separator.
	dateLike = regexp.MustCompile(`^(?:(?:` + eraNames + `)\.?)?(?:元|[0-9]+)(?:年|[./-])`)
	dateForm = regexp.MustCompile(`^(?:(` + eraNames + `)\.?)?(元|[0-9]{1,4})(?:年|[./-])([0-9]{1,2})(?:月|[./-])([0-9]{1,2})日?$`)
)

// parseBirthDate reads q as a date of birth. like reports whether q is
// written as a date at all; err, whether such a q names no day (昭和64年2月1日,
// 1977-02-30, a year without month and day).
func parseBirthDate(q string) (t time.Time, like bool, err error) {
	s := strings.Join(strings.Fields(width.Narrow.String(q)), "")
	if !dateLike.MatchString(s) {
		return time.Time{}, false, nil
	}
	bad := func() (time.Time, bool, error) { return time.Time{}, true, errBadDate }
	m := dateForm.FindStringSubmatch(s)
	if m == nil {
		return bad()
	}
	eraName, year, month, day := m[1], m[2], m[3], m[4]
	mo, _ := strconv.Atoi(month)
	d, _ := strconv.Atoi(day)
	y := 1
	if year != "元" {
		y, _ = strconv.Atoi(year)
	}
	if eraName == "" {
		if len(year) != 4 {
			return bad()
		}
		t = civil(y, time.Month(mo), d)
		if t.Month() != time.Month(mo) || t.Day() != d {
			return bad() // 2月30日 would roll over
		}
		return t, true, nil
	}
	i := eraIndex(eraName)
	if year != "元" && len(year) > 2 || y < 1 {
		return bad()
	}
	t = civil(eras[i].start.Year()+y-1, time.Month(mo), d)
	if t.Month() != time.Month(mo) || t.Day() != d || t.Before(eras[i].start) || t.Before(gregorianFrom) ||
		i+1 < len(eras) && !t.Before(eras[i+1].start) {
		return bad() // not a day of that era (昭和64年1月8日 is 平成元年)
	}
	return t, true, nil
}

func eraIndex(name string) int {
	for i, e := range eras {
		if name == e.name || name == e.short || len(name) == 1 && (name[0] == e.letter || name[0] == e.letter+'a'-'A') {
			return i
		}
	}
	panic("resident: era " + name + " matched the pattern but is not in the table")
}

// Wareki writes t as a 和暦 date, 昭和52年8月16日 (元年 for year 1), or ""
// before 明治6年 (the lunar calendar's days are not converted).
func Wareki(t time.Time) string {
	t = civil(t.Year(), t.Month(), t.Day())
	if t.Before(gregorianFrom) {
		return ""
	}
	i := len(eras) - 1
	for t.Before(eras[i].start) {
		i--
	}
	y := "元"
	if n := t.Year() - eras[i].start.Year() + 1; n > 1 {
		y = strconv.Itoa(n)
	}
	return eras[i].name + y + "年" + strconv.Itoa(int(t.Month())) + "月" + strconv.Itoa(t.Day()) + "日"
}
