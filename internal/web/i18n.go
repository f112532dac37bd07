package web

import (
	"net/http"
	"sort"
)

// messages are strings the UI shows, by key, in Japanese (first) and
// English. Each module keeps its own beside its routes; commonMessages are
// the layout's and the error pages'. Templates reach them through
// {{t "key"}}; TestCatalogue fails on a key missing in either language or
// used by a template but not defined.
type messages map[string][2]string

// joinMessages is the catalogue of every set; a key in two sets is a
// programming error, found when the package loads.
func joinMessages(sets ...messages) messages {
	all := messages{}
	for _, set := range sets {
		for k, v := range set {
			if _, dup := all[k]; dup {
				panic("web: message " + k + " is declared twice")
			}
			all[k] = v
		}
	}
	return all
}

var commonMessages = messages{
	"app.name":            {"bango 個人番号利用事務系", "bango My Number business system"},
	"app.tagline":         {"国民健康保険・公費負担医療", "National Health Insurance and public-expense medical care"},
	"lang.switch":         {"English", "日本語"},
	"pager.more":          {"この一覧にはさらに続きがあります。", "This list goes on."},
	"pager.next":          {"次へ", "Next"},
	"pager.all":           {"すべて表示", "Show all"},
	"logout":              {"ログアウト", "Log out"},
	"header.user":         {"利用者", "User"},
	"header.idle.warning": {"あと1分で画面がロックされます。続けるには画面を操作してください。", "The session locks in one minute. Use the page to keep working."},
	"header.idle":         {"自動ロックまで", "Locks in"},
	"error.title":         {"エラー", "Error"},
	"error.back":          {"ホームへ戻る", "Back to home"},
	"error.forbidden":     {"この操作は許可されていません。業務で必要な場合は、所属長に権限の申請を依頼してください（権限は職員ごとに、申請と承認を経て付与されます）。", "You are not allowed to do this. If your work needs it, ask your section head to apply for the right: rights are granted to each person after approval."},
	"error.notfound":      {"ページが見つかりません。メニューから操作を選んでください。", "Page not found. Choose what to do from the menu."},
	"error.invalid":       {"入力内容を確認してください。", "Please check what you entered."},
	"error.internal":      {"システムエラーが発生しました。時間をおいて再度お試しください。", "Something went wrong. Please try again later."},
	"error.csrf":          {"画面の有効期限が切れました。もう一度操作してください。", "This page expired. Please try again."},
	"error.terminal":      {"この端末からは利用できません。", "This terminal may not be used."},
	"a11y.skip":           {"本文へ移動", "Skip to content"},
}

// lang is the request's language: the "lang" cookie, Japanese by default.
func lang(r *http.Request) string {
	if c, err := r.Cookie("lang"); err == nil && c.Value == "en" {
		return "en"
	}
	return "ja"
}

// tr looks key up in lang; a missing key shows itself, and a test makes
// sure none is missing.
func tr(lang, key string) string {
	m, ok := catalogue[key]
	if !ok {
		return key
	}
	if lang == "en" {
		return m[1]
	}
	return m[0]
}

func catalogueKeys() []string {
	keys := make([]string, 0, len(catalogue))
	for k := range catalogue {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// setLang sets the language cookie and goes back.
func (s *Server) setLang(w http.ResponseWriter, r *http.Request) error {
	l := "ja"
	if r.URL.Query().Get("to") == "en" {
		l = "en"
	}
	http.SetCookie(w, &http.Cookie{Name: "lang", Value: l, Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode, MaxAge: 365 * 24 * 3600})
	http.Redirect(w, r, localPath(r.URL.Query().Get("next")), http.StatusSeeOther)
	return nil
}
