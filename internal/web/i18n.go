package web

import (
	"net/http"
	"sort"
)

// catalogue holds every string the UI shows, in Japanese (first) and
// English. Templates reach it through {{t "key"}}; TestCatalogue fails on a
// key missing in either language or used by a template but not defined.
var catalogue = map[string][2]string{
	"app.name":               {"bango 個人番号利用事務系", "bango My Number business system"},
	"app.tagline":            {"国民健康保険・公費負担医療", "National Health Insurance and public-expense medical care"},
	"lang.switch":            {"English", "日本語"},
	"login.title":            {"ログイン", "Log in"},
	"login.id":               {"ログインID", "Login ID"},
	"login.password":         {"パスワード", "Password"},
	"login.next":             {"次へ", "Next"},
	"login.notice":           {"この端末の操作はすべて記録されます。", "Everything done on this terminal is recorded."},
	"second.title":           {"二要素認証", "Second factor"},
	"second.code":            {"認証コード（6桁）", "Authentication code (6 digits)"},
	"second.code.help":       {"認証アプリに表示されている6桁の数字", "The 6 digits shown in your authenticator app"},
	"second.pin":             {"PIN", "PIN"},
	"second.submit":          {"ログイン", "Log in"},
	"second.cancel":          {"やり直す", "Start over"},
	"enrol.title":            {"二要素認証の設定", "Set up your second factor"},
	"enrol.help":             {"初回ログインです。スマートフォンの認証アプリでQRコードを読み取るか、下の文字列を入力し、表示された6桁の認証コードと、これから使うPINを入力してください。", "This is your first login. Scan the QR code with your authenticator app, or type the text below into it; then enter the 6-digit code it shows and the PIN you will use."},
	"enrol.qr.alt":           {"認証アプリ登録用のQRコード", "QR code for your authenticator app"},
	"enrol.secret":           {"手入力用:", "To type in:"},
	"enrol.given":            {"管理者から渡された認証アプリのコードを入力し、PINを決めてください。", "Enter the code from the authenticator your administrator set up, and choose your PIN."},
	"enrol.pin":              {"PIN（新しく決める）", "PIN (choose one)"},
	"enrol.pin.help":         {"4〜8桁の数字。同じ数字だけにはできません。", "4 to 8 digits, not one digit repeated."},
	"enrol.pin.again":        {"PIN（確認）", "PIN (again)"},
	"enrol.submit":           {"設定してログイン", "Set up and log in"},
	"passkeys.title":         {"生体認証（WebAuthn）", "Biometric login (WebAuthn)"},
	"passkeys.help":          {"指紋・顔・手のひらなどで本人確認する認証器を、パスワードの次の認証に使えます。生体情報は認証器の中にとどまり、サーバには公開鍵だけが保存されます。", "An authenticator that checks your fingerprint, face or palm can be your second factor after the password. The biometric data stays in the authenticator; the server keeps only a public key."},
	"passkeys.list":          {"登録済みの認証器", "Registered authenticators"},
	"passkeys.name":          {"名前", "Name"},
	"passkeys.name.default":  {"この端末の生体認証", "This terminal's biometrics"},
	"passkeys.created":       {"登録日時", "Registered"},
	"passkeys.used":          {"最終利用", "Last used"},
	"passkeys.remove":        {"削除", "Remove"},
	"passkeys.none":          {"登録されている認証器はありません。", "No authenticator is registered."},
	"passkeys.add":           {"認証器を登録する", "Register an authenticator"},
	"passkeys.add.button":    {"登録を始める", "Start registration"},
	"passkeys.added":         {"認証器を登録しました。", "The authenticator was registered."},
	"passkeys.removed":       {"認証器を削除しました。", "The authenticator was removed."},
	"passkeys.stepup":        {"登録の前に、二要素認証をもう一度行ってください（直近5分以内の認証が必要です）。", "Before registering, pass the second factor again (it must be within the last 5 minutes)."},
	"passkeys.stepup.button": {"画面をロックして再認証する", "Lock and re-authenticate"},
	"passkeys.disabled":      {"このサーバでは生体認証（WebAuthn）が設定されていません。情報システム担当にお問い合わせください。", "WebAuthn is not configured on this server. Ask the IS department."},
	"second.passkey":         {"生体認証でログイン", "Log in with biometrics"},
	"second.passkey.help":    {"登録済みの認証器（指紋・顔など）で本人確認します。", "Verify yourself with your registered authenticator (fingerprint, face, …)."},
	"second.or":              {"または、認証コードとPINを入力してください。", "Or enter your code and PIN."},
	"lock.passkey":           {"生体認証でロック解除", "Unlock with biometrics"},
	"webauthn.unsupported":   {"このブラウザは生体認証（WebAuthn）に対応していません。", "This browser does not support WebAuthn."},
	"nav.passkeys":           {"生体認証", "Biometrics"},
	"pin.title":              {"PIN変更", "Change PIN"},
	"pin.submit":             {"PINを変更する", "Change PIN"},
	"pin.changed":            {"PINを変更しました。", "Your PIN was changed."},
	"nav.pin":                {"PIN変更", "PIN"},
	"lock.title":             {"画面ロック中", "Session locked"},
	"lock.help":              {"一定時間操作がなかったため、画面をロックしました。認証コードとPINを入力すると、作業に戻ります。", "The session was locked after a period without activity. Enter your code and PIN to return to your work."},
	"lock.submit":            {"ロック解除", "Unlock"},
	"lock.now":               {"画面ロック", "Lock"},
	"logout":                 {"ログアウト", "Log out"},
	"password.title":         {"パスワード変更", "Change password"},
	"password.expired":       {"パスワードの有効期限が切れているか、初回ログインです。新しいパスワードを設定するまで、他の操作はできません。", "Your password has expired or is a one-time password. Set a new one before doing anything else."},
	"password.current":       {"現在のパスワード", "Current password"},
	"password.new":           {"新しいパスワード", "New password"},
	"password.confirm":       {"新しいパスワード（確認）", "New password (again)"},
	"password.rules":         {"12文字以上。ログインIDや、よく使われる語句、直近5回のパスワードは使えません。", "At least 12 characters; not the login ID, a common word, or one of the last 5 passwords."},
	"password.submit":        {"変更する", "Change"},
	"password.mismatch":      {"確認用のパスワードが一致しません", "The two new passwords differ"},
	"password.changed":       {"パスワードを変更しました。", "Your password was changed."},
	"home.title":             {"ホーム", "Home"},
	"home.welcome":           {"%sさん、ようこそ。", "Welcome, %s."},
	"home.municipality":      {"所属団体", "Municipality"},
	"home.section":           {"所属", "Section"},
	"home.all":               {"（全団体）", "(all municipalities)"},
	"home.empty":             {"あなたに許可された業務はまだありません。所属長に権限の申請を依頼してください。", "No work is granted to you yet. Ask your section head to apply for your rights."},
	"header.user":            {"利用者", "User"},
	"header.idle":            {"自動ロックまで", "Locks in"},
	"nav.home":               {"ホーム", "Home"},
	"nav.password":           {"パスワード変更", "Password"},
	"error.title":            {"エラー", "Error"},
	"error.back":             {"ホームへ戻る", "Back to home"},
	"error.forbidden":        {"この操作は許可されていません。", "You are not allowed to do this."},
	"error.notfound":         {"ページが見つかりません。", "Page not found."},
	"error.invalid":          {"入力内容を確認してください。", "Please check what you entered."},
	"error.internal":         {"システムエラーが発生しました。時間をおいて再度お試しください。", "Something went wrong. Please try again later."},
	"error.csrf":             {"画面の有効期限が切れました。もう一度操作してください。", "This page expired. Please try again."},
	"error.terminal":         {"この端末からは利用できません。", "This terminal may not be used."},
	"a11y.skip":              {"本文へ移動", "Skip to content"},
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
