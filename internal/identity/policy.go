package identity

import (
	_ "embed"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"bango/internal/errs"
)

// MinPasswordLen is the shortest password accepted (R-AUTH-3: hard to guess).
const MinPasswordLen = 12

const maxPasswordLen = 128

//go:embed common_passwords.txt
var commonList string

// common holds the shipped list of common passwords and the words they are
// built from, lower-cased.
var common = func() map[string]bool {
	m := map[string]bool{}
	for _, line := range strings.Split(commonList, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			m[strings.ToLower(line)] = true
		}
	}
	return m
}()

func reason(ja, en string) *errs.Message { return &errs.Message{JA: ja, EN: en} }

// CheckPassword returns why password may not be used by loginID, or nil.
func CheckPassword(loginID, password string) *errs.Message {
	n := utf8.RuneCountInString(password)
	lower := strings.ToLower(password)
	switch {
	case n < MinPasswordLen:
		return reason("パスワードは"+strconv.Itoa(MinPasswordLen)+"文字以上にしてください", "must be at least "+strconv.Itoa(MinPasswordLen)+" characters")
	case n > maxPasswordLen:
		return reason("パスワードは"+strconv.Itoa(maxPasswordLen)+"文字以内にしてください", "must be at most "+strconv.Itoa(maxPasswordLen)+" characters")
	case !utf8.ValidString(password) || strings.IndexFunc(password, unicode.IsControl) >= 0:
		return reason("使用できない文字が含まれています", "contains a character that cannot be used")
	case len(squash(loginID)) >= 3 && strings.Contains(squash(password), squash(loginID)):
		return reason("ログインIDを含むパスワードは使えません", "must not contain the login ID")
	case distinct(password) < 5:
		return reason("同じ文字の繰り返しが多すぎます", "has too few different characters")
	case common[lower] || common[strings.TrimRightFunc(strings.TrimLeftFunc(lower, notLetter), notLetter)]:
		return reason("よく使われるパスワード（または単語と数字の組み合わせ）は使えません", "is a common password, or a common word with digits or symbols around it")
	}
	return nil
}

func notLetter(r rune) bool { return !unicode.IsLetter(r) }

// squash keeps the letters and digits of s, lower-cased and with
// full-width forms read as their ASCII counterparts, so that
// "clerkSapporoSpring2026" is seen to contain "clerk.sapporo".
func squash(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '！' && r <= '～' {
			r = r - '！' + '!'
		}
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return -1
		}
		return unicode.ToLower(r)
	}, s)
}

func distinct(s string) int {
	seen := map[rune]bool{}
	for _, r := range s {
		seen[r] = true
	}
	return len(seen)
}
