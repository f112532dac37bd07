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
	"error.fields":        {"入力内容に誤りがあります（%d件）。各項目の説明に従って直してください。", "Entries to correct: %d. See the message at each."},
	"form.colon":          {"：", ": "},
	"error.line":          {"%d行目：", "line %d: "},
	"error.summary":       {"入力内容を確認してください", "Please check what you entered"},
	"error.conflict":      {"ほかの操作と重なったか、すでに処理済みのため実行できませんでした。画面を開き直して状態を確かめてください。", "This clashes with another action or was already done. Reload the page and check its state."},
	"error.gone":          {"対象の記録が見つかりません。すでに処理されたか、見る権限の範囲外です。", "The record was not found: it was already handled, or it is outside what you may see."},
	"error.locked":        {"しばらく操作できません。時間をおいて再度お試しください。", "This is locked for now. Please try again later."},
	"form.required":       {"必須", "Required"},
	"error.method":        {"この操作はこのアドレスでは受け付けていません。メニューから操作してください。", "This address does not take this kind of request. Please use the menu."},
}

// fieldMessages are the labels of form fields, by the field name that
// errors carry ("field.<name>"), for the error summary and each field's
// message; "field.<page>.<name>" names a field of one page whose name
// means something else elsewhere (a pattern's code, not a login code).
var fieldMessages = messages{
	"field.login_id":         {"ログインID", "Login ID"},
	"field.password":         {"パスワード", "Password"},
	"field.current":          {"現在のパスワード", "Current password"},
	"field.new":              {"新しいパスワード", "New password"},
	"field.confirm":          {"新しいパスワード（確認）", "New password (again)"},
	"field.code":             {"認証コード", "Code"},
	"field.patterns.code":    {"パターンコード", "Pattern code"},
	"field.resident.code":    {"宛名番号", "Resident code"},
	"field.residents.code":   {"宛名番号", "Resident code"},
	"field.pin":              {"PIN", "PIN"},
	"field.pin_again":        {"PIN（確認）", "PIN (again)"},
	"field.name":             {"氏名・名称", "Name"},
	"field.name_kana":        {"氏名（カナ）", "Name (kana)"},
	"field.birth_date":       {"生年月日", "Date of birth"},
	"field.sex":              {"性別", "Sex"},
	"field.mynumber":         {"個人番号", "My Number"},
	"field.purpose":          {"利用目的", "Purpose"},
	"field.note":             {"具体的な事務・コメント", "Details or note"},
	"field.reason":           {"理由", "Reason"},
	"field.tenant":           {"市区町村", "Municipality"},
	"field.permissions":      {"権限", "Permissions"},
	"field.scope":            {"範囲", "Scope"},
	"field.role":             {"役割", "Role"},
	"field.subject":          {"対象", "Subject"},
	"field.q":                {"検索語", "Search"},
	"field.query":            {"検索条件", "Query"},
	"field.cidrs":            {"接続元アドレス（CIDR）", "Addresses (CIDR)"},
	"field.cidr":             {"接続元アドレス（CIDR）", "Address (CIDR)"},
	"field.cert_fingerprint": {"端末証明書の指紋", "Terminal certificate fingerprint"},
	"field.until":            {"期限", "Until"},
	"field.from":             {"開始日", "From"},
	"field.to":               {"終了日", "To"},
	"field.period":           {"期間", "Period"},
	"field.kind":             {"種類", "Kind"},
	"field.format":           {"形式", "Format"},
	"field.file":             {"ファイル", "File"},
	"field.comment":          {"コメント", "Comment"},
	"field.verified_by":      {"確認方法", "Verified by"},
	"field.outcome":          {"結果", "Outcome"},
	"field.before":           {"日時（以前）", "Before"},
	"field.seq":              {"番号", "Sequence number"},
	"field.cursor":           {"一覧の位置", "List position"},
	"field.pattern":          {"アクセスパターン", "Access pattern"},
	"field.user":             {"職員", "Staff member"},
	"field.department":       {"部署", "Department"},
	"field.section":          {"係", "Section"},
	"field.job":              {"職名", "Job"},
	"field.address":          {"住所", "Address"},
	"field.acknowledge":      {"職務の分離の確認", "Separation of duties"},
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
