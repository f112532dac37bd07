package web

// Audit events in words: the one table of what every action the system
// records is called, and of what its outcome means, in Japanese and
// English, for documents a resident or an auditor reads (the access
// report, R-AUD-4). An action missing here shows its key, so that nothing
// is hidden; TestEventWords fails for an action recorded in the code
// without its words.

// actionLabel is action in lang's words, or the action's own key when it
// has none.
func actionLabel(lang, action string) string {
	if _, ok := catalogue["action."+action]; ok {
		return tr(lang, "action."+action)
	}
	return action
}

// outcomeLabel is an event's outcome in lang's words (許可 / 拒否 / 失敗),
// or the outcome as recorded when it has none.
func outcomeLabel(lang, outcome string) string {
	if _, ok := catalogue["outcome."+outcome]; ok {
		return tr(lang, "outcome."+outcome)
	}
	return outcome
}

// eventMessages are the words of every recorded action ("action.<key>")
// and outcome ("outcome.<key>").
var eventMessages = messages{
	"outcome.ok":     {"許可", "Granted"},
	"outcome.denied": {"拒否", "Refused"},
	"outcome.error":  {"不成立（エラー）", "Failed (error)"},

	// The resident's record and My Number (internal/resident).
	"action.mynumber.reveal":             {"個人番号の表示", "Display of the My Number"},
	"action.mynumber.register":           {"個人番号の登録", "Registration of the My Number"},
	"action.mynumber.delete":             {"個人番号の削除（保有期間の満了）", "My Number deleted (holding period ended)"},
	"action.mynumber.hold":               {"事務ごとの個人番号の保有の記録", "A business's hold of the My Number recorded"},
	"action.mynumber.hold.end":           {"事務ごとの個人番号の保有の終了", "A business's hold of the My Number ended"},
	"action.mynumber.hold.retention":     {"事務ごとの個人番号の保有期限の設定（保存期間の規則）", "A business's last needed day of the My Number set by its retention rule"},
	"action.mynumber.hold.run":           {"個人番号の保有期間の月次処理", "Monthly run of the My Number holding periods"},
	"action.mynumber.deletion.list":      {"個人番号の削除記録の閲覧", "Viewing of the My Number deletions"},
	"action.resident.read":               {"宛名の閲覧", "Viewing of the resident record"},
	"action.resident.search":             {"宛名の検索", "Search of resident records"},
	"action.resident.create":             {"宛名の登録", "Registration of the resident record"},
	"action.resident.change":             {"宛名の変更", "Change of the resident record"},
	"action.resident.import":             {"宛名の一括取込", "Bulk import of resident records"},
	"action.resident.lookup_by_mynumber": {"個人番号による宛名の照会", "Look-up of the resident by My Number"},
	"action.resident.verify_identity":    {"本人確認の記録", "Record of an identity verification"},
	"action.resident.verifications.read": {"本人確認の記録の閲覧", "Viewing of identity verification records"},
	"action.resident.authenticity_check": {"提示書類の記載事項の照合", "Check of a presented document against the record"},
	// National Health Insurance (internal/nhi).
	"action.nhi.read":                {"国民健康保険の資格の閲覧", "Viewing of National Health Insurance eligibility"},
	"action.nhi.search":              {"国民健康保険の被保険者の検索", "Search of National Health Insurance members"},
	"action.nhi.household.read":      {"国民健康保険の世帯の閲覧", "Viewing of the National Health Insurance household"},
	"action.nhi.acquire.propose":     {"国民健康保険の資格取得の入力", "Entry of a National Health Insurance acquisition"},
	"action.nhi.acquire":             {"国民健康保険の資格取得", "Acquisition of National Health Insurance eligibility"},
	"action.nhi.loss.propose":        {"国民健康保険の資格喪失の入力", "Entry of a National Health Insurance loss"},
	"action.nhi.loss":                {"国民健康保険の資格喪失", "Loss of National Health Insurance eligibility"},
	"action.nhi.void.propose":        {"国民健康保険の資格の記録の取消の入力", "Entry of a void of a National Health Insurance eligibility entry"},
	"action.nhi.void":                {"国民健康保険の資格の記録の取消", "Void of a National Health Insurance eligibility entry"},
	"action.nhi.correct.propose":     {"国民健康保険の資格の記録の訂正の入力", "Entry of a correction of a National Health Insurance eligibility entry"},
	"action.nhi.correct":             {"国民健康保険の資格の記録の訂正", "Correction of a National Health Insurance eligibility entry"},
	"action.nhi.household.propose":   {"国民健康保険の世帯の変更の入力", "Entry of a National Health Insurance household change"},
	"action.nhi.household":           {"国民健康保険の世帯の変更", "Change of the National Health Insurance household"},
	"action.nhi.income":              {"所得の登録（一部負担金の割合の判定用）", "Income recorded (for the cost share)"},
	"action.nhi.cost_share":          {"一部負担金の割合の判定", "Cost share decided"},
	"action.nhi.cost_share.read":     {"一部負担金の割合の閲覧", "Viewing of the cost share"},
	"action.nhi.cost_share.batch":    {"一部負担金の割合の一括判定（年次）", "Yearly redetermination of the cost share"},
	"action.nhi.cost_share.run":      {"一部負担金の割合の一括判定の開始", "Yearly cost-share run started"},
	"action.nhi.cost_share.run.read": {"一部負担金の割合の一括判定の状況の閲覧", "Viewing of a yearly cost-share run"},
	"action.nhi.income.propose":      {"所得の入力（確認待ち）", "Income entered (awaiting confirmation)"},
	"action.nhi.document.issue":      {"資格確認書等の交付", "Issue of a qualification document"},
	"action.nhi.document.return":     {"資格確認書等の返還・無効化", "Return or invalidation of a qualification document"},
	"action.nhi.document.read":       {"資格確認書等の閲覧", "Viewing of qualification documents"},
	"action.nhi.rates.propose":       {"国保料率表の入力", "Entry of an NHI rate table"},
	"action.nhi.rates":               {"国保料率表の確定", "NHI rate table confirmed"},
	"action.nhi.rates.read":          {"国保料率表の閲覧", "Viewing of NHI rate tables"},
	"action.nhi.revenue":             {"収入の登録（保険料の賦課用）", "Revenue recorded (for the premium)"},
	"action.nhi.remission.propose":   {"国保保険料の減免の申請の入力", "Entry of an application for NHI premium remission (減免)"},
	"action.nhi.remission":           {"国保保険料の減免の決定（賦課し直し）", "NHI premium remission (減免) decided, household re-assessed"},
	"action.nhi.remission.read":      {"国保保険料の減免の閲覧", "Viewing of NHI premium remissions (減免)"},
	"action.nhi.pension_notice":      {"年金特徴の対象者通知の登録（保険料の特別徴収用）", "Pension insurer's notice recorded (for collecting the premium from the pension)"},
	"action.nhi.birth":               {"出産（予定）の届出の登録（産前産後の保険料免除用）", "Birth or expected birth notified (for the perinatal premium exemption)"},
	"action.jpki.open":               {"電子証明書の発行申請の受付（本人確認）", "JPKI application opened (identity checked)"},
	"action.jpki.issue":              {"電子証明書の発行", "JPKI certificate issuance"},
	"action.jpki.cancel":             {"電子証明書の発行申請の取消し", "JPKI application cancelled"},
	"action.jpki.expire":             {"電子証明書の発行申請の時間切れ・中断の消去", "JPKI application timed out or abandoned, erased"},
	"action.jpki.revoke":             {"電子証明書の失効", "JPKI certificate revocation"},
	"action.jpki.renewals":           {"有効期限の近い電子証明書の照会（更新）", "JPKI renewal list (certificates expiring soon) asked of the CA"},
	"action.jpki.register_sent":      {"住民記録の変更（基本4情報・通称）・転出・死亡の認証局への通知（電子証明書の失効）", "Register changes (basic four items, alias), moves out and deaths sent to the CA, which revokes certificates"},
	"action.jpki.revoked_list":       {"住民記録の異動により失効した電子証明書の一覧の閲覧", "Viewing of the certificates revoked by register changes"},
	"action.nhi.assess":              {"国保保険料の賦課（世帯）", "NHI premium assessed (household)"},
	"action.nhi.assess.run":          {"国保保険料の年次賦課", "Yearly NHI premium assessment"},
	"action.nhi.assessment.read":     {"国保保険料の賦課の閲覧", "Viewing of NHI premium assessments"},
	"action.nhi.estimate":            {"国保保険料の試算", "NHI premium estimate"},

	// Public-expense medical care (internal/pubmed).
	"action.pubmed.application.propose":      {"公費負担医療の申請の入力", "Entry of a public-expense care application"},
	"action.pubmed.application.receive":      {"公費負担医療の申請の受付（確認済み）", "Public-expense care application received (confirmed)"},
	"action.pubmed.application.read":         {"公費負担医療の申請の閲覧", "Viewing of a public-expense care application"},
	"action.pubmed.application.list":         {"公費負担医療の申請一覧の閲覧", "Viewing of the public-expense care applications list"},
	"action.pubmed.application.decide":       {"公費負担医療の申請の決定（認定・却下）", "Decision on a public-expense care application"},
	"action.pubmed.decision.propose":         {"公費負担医療の申請の決定の入力（確認待ち）", "Entry of a decision on a public-expense care application (awaiting its checker)"},
	"action.pubmed.certificate.read":         {"受給者証の閲覧", "Viewing of a recipient certificate"},
	"action.pubmed.copayment":                {"自己負担上限額管理票への記入", "Co-payment entered on the monthly record"},
	"action.pubmed.copayment.read":           {"自己負担上限額管理票の閲覧", "Viewing of the monthly co-payment record"},
	"action.pubmed.cabinet.add":              {"証拠書類の保管庫の登録", "Evidence cabinet added to the ledger"},
	"action.pubmed.evidence.store":           {"証拠書類の保管の記録", "Evidence paper stored in a cabinet"},
	"action.pubmed.evidence.move":            {"証拠書類の移動の記録", "Evidence paper moved"},
	"action.pubmed.evidence.dispose":         {"証拠書類の廃棄の記録", "Evidence paper disposed of"},
	"action.pubmed.recipients.load":          {"公費負担医療の受給者の一括登録", "Public-expense care recipients loaded in bulk"},
	"action.pubmed.registration.propose":     {"登録者証（指定難病）の交付の入力（確認待ち）", "Entry of a registration certificate's issue (awaiting its checker)"},
	"action.pubmed.registration.end_propose": {"登録者証の終了の入力（確認待ち）", "Entry of a registration certificate's end (awaiting its checker)"},
	"action.pubmed.registration.issue":       {"登録者証（指定難病）の交付（確認済み）", "Registration certificate (指定難病) issued (confirmed)"},
	"action.pubmed.registration.read":        {"登録者証の閲覧（印刷を含む）", "Viewing (or printing) of a registration certificate"},
	"action.pubmed.registration.list":        {"登録者証の一覧・履歴の閲覧", "Viewing of the registration certificates list or history"},
	"action.pubmed.registration.end":         {"登録者証の終了（返還・転出・死亡、確認済み）", "Registration certificate ended (returned, moved, death; confirmed)"},
	"action.pubmed.renewal.list":             {"受給者証の更新対象一覧の閲覧", "Viewing of the certificates due for renewal"},

	// Data linkage (internal/linkage).
	"action.linkage.import":              {"連携ファイルの取込", "Import of a linkage file"},
	"action.linkage.export":              {"連携ファイルの作成（送信用）", "Linkage file produced for a partner"},
	"action.linkage.purge":               {"連携ファイルの一時保管の消去", "Purge of a held linkage file"},
	"action.linkage.partner.add":         {"連携先の登録", "Linkage partner configured"},
	"action.linkage.history":             {"連携の履歴の閲覧", "Viewing of the linkage history"},
	"action.linkage.partner.certificate": {"連携先の証明書の発行", "Certificate issued to a linkage partner"},
	"action.linkage.partner.revoke":      {"連携先の証明書の取消", "Linkage partner's certificate revoked"},
	"action.linkage.partner.request":     {"連携先からの要求", "Request of a linkage partner"},
	"action.linkage.pull":                {"連携先へのファイルの引渡し", "File handed to a linkage partner"},
	"action.linkage.delivered":           {"連携先のファイル受領の確認", "Linkage partner confirmed a file received"},

	// Checks by a second person, exports, the audit log and alerts.
	"action.review.submit":         {"入力内容の確認依頼", "Entry submitted for checking"},
	"action.review.confirm":        {"入力内容の確認（承認）", "Entry checked and confirmed"},
	"action.review.reject":         {"入力内容の確認（差戻し）", "Entry checked and sent back"},
	"action.review.withdraw":       {"入力の取下げ（入力者）", "Entry withdrawn by its maker"},
	"action.review.mine":           {"自分の入力の一覧の表示", "Own entries listed"},
	"action.export.request":        {"ファイル出力の申請", "Request to export a file"},
	"action.export.approve":        {"ファイル出力の承認", "Approval of an export"},
	"action.export.reject":         {"ファイル出力の却下", "Refusal of an export"},
	"action.export.download":       {"出力ファイルの受け取り", "Download of an exported file"},
	"action.audit.access_report":   {"アクセス記録の作成", "Access report produced"},
	"action.audit.search":          {"操作記録の検索", "Search of the audit log"},
	"action.audit.export":          {"操作記録のCSV出力", "Audit log exported as CSV"},
	"action.audit.review.signoff":  {"定期点検の署名", "Periodic review signed off"},
	"action.audit.prune":           {"保存期間を過ぎた記録内容の消去", "Removal of expired event contents"},
	"action.alert.raise":           {"警告の発生", "Alert raised"},
	"action.alert.acknowledge":     {"警告の確認", "Alert acknowledged"},
	"action.request.refused":       {"操作の拒否", "Request refused"},
	"action.request.throttled":     {"操作回数の制限", "Request throttled"},
	"action.login.password":        {"ログイン（パスワード）", "Login (password)"},
	"action.login.second_factor":   {"ログイン（二要素目の認証）", "Login (second factor)"},
	"action.login.lockout":         {"アカウントのロック", "Account locked out"},
	"action.session.start":         {"利用の開始", "Session started"},
	"action.session.end":           {"利用の終了", "Session ended"},
	"action.session.lock":          {"画面のロック", "Screen locked"},
	"action.session.unlock":        {"画面のロック解除", "Screen unlocked"},
	"action.session.scope":         {"操作する団体の切替え", "Municipality switched"},
	"action.password.change":       {"パスワードの変更", "Password changed"},
	"action.password.reset":        {"パスワードの再設定", "Password reset"},
	"action.pin.set":               {"PINの設定", "PIN set"},
	"action.pin.change":            {"PINの変更", "PIN changed"},
	"action.totp.enroll":           {"認証アプリの鍵の発行", "Authenticator key issued"},
	"action.totp.enrol":            {"二要素認証の登録", "Second factor enrolled"},
	"action.webauthn.register":     {"パスキーの登録", "Passkey registered"},
	"action.webauthn.remove":       {"パスキーの削除", "Passkey removed"},
	"action.user.create":           {"職員の登録", "Staff member registered"},
	"action.user.transfer":         {"職員の異動", "Staff member transferred"},
	"action.user.retire":           {"職員の利用停止", "Staff member retired"},
	"action.user.activation":       {"有効化コードの発行", "Activation code issued"},
	"action.grant.apply":           {"権限の申請", "Rights applied for"},
	"action.grant.approve":         {"権限の承認", "Rights approved"},
	"action.grant.reject":          {"権限申請の却下", "Rights application refused"},
	"action.grant.revoke":          {"権限の取消し", "Rights revoked"},
	"action.grant.direct":          {"権限の直接付与", "Rights granted directly"},
	"action.grant.bootstrap":       {"初期管理者の権限付与", "First administrator's rights granted"},
	"action.pattern.create":        {"権限パターンの作成", "Permission pattern created"},
	"action.pattern.update":        {"権限パターンの変更", "Permission pattern changed"},
	"action.tenant.create":         {"団体の登録", "Municipality registered"},
	"action.terminal.add":          {"端末の登録", "Terminal registered"},
	"action.terminal.disable":      {"端末の利用停止", "Terminal disabled"},
	"action.keys.rotate":           {"暗号鍵の更新", "Encryption key rotated"},
	"action.keys.rewrap":           {"新しい暗号鍵での再暗号化", "Data re-encrypted under the new key"},
	"action.db.allowlist.add":      {"データベース接続の許可", "Database connection allowed"},
	"action.db.unknown_connection": {"不明なデータベース接続", "Unknown database connection"},
	"action.monitor.report":        {"状態報告の送信", "Status report sent"},

	// A decided 減免 withdrawn or corrected through a checker (issue 19).
	"action.nhi.remission.change.propose": {"国保保険料の減免の取消・訂正の入力", "Entry of a withdrawal or correction of an NHI premium remission (減免)"},
	"action.nhi.remission.withdraw":       {"国保保険料の減免の取消（賦課し直し）", "NHI premium remission (減免) withdrawn, household re-assessed"},
	"action.nhi.remission.correct":        {"国保保険料の減免の訂正（賦課し直し）", "NHI premium remission (減免) corrected, household re-assessed"},
	"action.nhi.pension_notice.withdraw":  {"年金特徴の対象者通知の取消", "Pension insurer's notice withdrawn"},
}
