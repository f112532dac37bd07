package resident

import (
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"

	calendar "bango/internal/civil"
	"bango/internal/errs"
	"bango/internal/mynumber"
)

var (
	msgRequired   = errs.Message{JA: "入力されていません", EN: "is required"}
	msgCode       = errs.Message{JA: "宛名番号は1〜15桁の数字で入力してください", EN: "must be 1 to 15 digits"}
	msgKana       = errs.Message{JA: "カタカナで入力してください", EN: "must be katakana"}
	msgDate       = errs.Message{JA: "YYYY-MM-DD の形式の正しい日付で入力してください", EN: "must be a valid date as YYYY-MM-DD"}
	msgFuture     = errs.Message{JA: "未来の日付は入力できません", EN: "is in the future"}
	msgTooOld     = errs.Message{JA: "1880年より前の日付は入力できません", EN: "is before 1880"}
	msgSex        = errs.Message{JA: "1（男）か2（女）で入力してください", EN: "must be 1 (male) or 2 (female)"}
	msgNoControls = errs.Message{JA: "使用できない文字が含まれています", EN: "contains a control character"}
)

func msgTooLong(n int) errs.Message {
	return errs.Message{JA: "長すぎます（" + strconv.Itoa(n) + "文字以内）", EN: "is too long (at most " + strconv.Itoa(n) + " characters)"}
}

// valid is an Input that passed validation, normalized.
type valid struct {
	code, nameKanji, nameKana, alias, address string
	birthDate                                 time.Time
	sex                                       string
	number                                    mynumber.Number
}

// validate checks every field and reports all that are wrong at once.
func validate(in Input, now time.Time) (valid, error) {
	var fe errs.FieldErrors
	v := valid{
		code:      strings.TrimSpace(in.Code),
		nameKanji: normalizeName(in.NameKanji),
		nameKana:  normalizeKana(in.NameKana),
		alias:     normalizeName(in.Alias),
		address:   strings.TrimSpace(in.Address),
		sex:       strings.TrimSpace(in.Sex),
	}
	if v.code == "" {
		fe.Add("code", msgRequired)
	} else if len(v.code) > 15 || strings.TrimFunc(v.code, isASCIIDigit) != "" {
		fe.Add("code", msgCode)
	}
	text := func(field, value string, required bool, maxLen int) {
		switch {
		case value == "" && required:
			fe.Add(field, msgRequired)
		case utf8.RuneCountInString(value) > maxLen:
			fe.Add(field, msgTooLong(maxLen))
		case strings.IndexFunc(value, unicode.IsControl) >= 0 || !utf8.ValidString(value):
			fe.Add(field, msgNoControls)
		}
	}
	text("name_kanji", v.nameKanji, true, 60)
	text("name_kana", v.nameKana, true, 60)
	if v.nameKana != "" && !isKana(v.nameKana) {
		fe.Add("name_kana", msgKana)
	}
	text("alias", v.alias, false, 60)
	text("address", v.address, true, 200)
	switch d := strings.TrimSpace(in.BirthDate); {
	case d == "":
		fe.Add("birth_date", msgRequired)
	default:
		t, err := parseDate(d)
		today := calendar.Today(now) // a child born today in Japan, registered before nine there
		switch {
		case err != nil:
			fe.Add("birth_date", msgDate)
		case t.After(today):
			fe.Add("birth_date", msgFuture)
		case t.Year() < 1880:
			fe.Add("birth_date", msgTooOld)
		}
		v.birthDate = t
	}
	switch v.sex {
	case "":
		fe.Add("sex", msgRequired)
	case Male, Female:
	default:
		fe.Add("sex", msgSex)
	}
	if strings.TrimSpace(in.MyNumber) != "" {
		n, err := mynumber.Parse(in.MyNumber)
		var pe *mynumber.ParseError
		if errors.As(err, &pe) {
			fe.Add("mynumber", pe.Reason)
		}
		v.number = n
	}
	return v, fe.Err()
}

func isASCIIDigit(r rune) bool { return r >= '0' && r <= '9' }

func parseDate(s string) (time.Time, error) {
	if !isASCII(s) {
		s = width.Narrow.String(s)
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		t, err = time.Parse("2006/01/02", s)
	}
	return t, err
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func isNameSpace(r rune) bool { return r == ' ' || r == '　' || r == '\t' }

// normalizeName joins the parts of a name with one full-width space, the
// register's convention, whatever spaces were typed.
func normalizeName(s string) string {
	if isNormalName(s) {
		return s // the common case, and the import's hot path: no allocation
	}
	return strings.Join(strings.FieldsFunc(s, isNameSpace), "　")
}

// isNormalName reports whether s has no ASCII blank, no blank at either
// end and no two full-width spaces in a row.
func isNormalName(s string) bool {
	if strings.ContainsAny(s, " \t") || strings.HasPrefix(s, "　") || strings.HasSuffix(s, "　") {
		return false
	}
	return !strings.Contains(s, "　　")
}

// normalizeKana widens half-width katakana and turns hiragana into katakana,
// so that a reading typed either way is stored one way.
func normalizeKana(s string) string {
	if isKana(s) && isNormalName(s) {
		return s
	}
	s = normalizeName(width.Widen.String(s))
	return strings.Map(func(r rune) rune {
		if r >= 'ぁ' && r <= 'ゖ' {
			return r + ('ァ' - 'ぁ')
		}
		return r
	}, s)
}

func isKana(s string) bool {
	for _, r := range s {
		if !(r >= 'ァ' && r <= 'ヶ' || r == 'ー' || r == '・' || r == '　' || r == 'ヴ') {
			return false
		}
	}
	return true
}
