package web

import (
	"encoding/pem"
	"net/http"
	"net/url"
	"time"

	"bango/internal/access"
	"bango/internal/identity"
	"bango/internal/jpki"
	"bango/internal/resident"
)

// JPKI issuance at the window of the resident-records section (issue 22;
// R-JPKI-1, R-JPKI-2, R-ACC-4): one flow from the identity check through
// the choice of certificates and the card's requests to the result. The
// jpki service checks the requests before anything is sent, keeps the
// items sealed only while the issuance is processed and records every
// step; the certificates are shown to be written to the card and are kept
// nowhere.

// jpkiData is the window's page at one of its steps.
type jpkiData struct {
	Step        string // start, choose, result
	Configured  bool   // a CA is configured
	Methods     []jpkiMethod
	Today       jpki.Count
	Application jpki.Application
	Birth       time.Time
	Result      *jpkiResult
	Reasons     []string
	Renewals    *jpki.Renewals
	Revoked     *jpki.RegisterRevocations
}

type jpkiMethod struct{ Value, Label string }

// jpkiResult is an ended issuance as the clerk sees it: each certificate
// issued with its PEM to write to the card, and each that was not.
type jpkiResult struct {
	Resident string
	Issued   []jpkiIssued
	Failed   []jpki.Failure
}

type jpkiIssued struct {
	jpki.Certificate
	PEM string
}

var jpkiNotices = map[string]string{"cancelled": "jpki.cancelled", "revoked": "jpki.revoked"}

func (s *Server) jpkiData(r *http.Request, step string) (*jpkiData, error) {
	sess := sessionFrom(r.Context())
	d := &jpkiData{Step: step, Configured: s.biz.JPKI.Configured(), Reasons: jpki.RevokeReasons}
	for _, m := range []string{resident.VerifiedByMyNumberCard, resident.VerifiedByNotificationPhotoID} {
		d.Methods = append(d.Methods, jpkiMethod{m, resident.MethodLabels[m].In(lang(r))})
	}
	c, err := s.biz.JPKI.IssuedOn(r.Context(), sess.Tenant, "")
	if err != nil {
		return nil, err
	}
	d.Today = c
	return d, nil
}

func (s *Server) renderJPKI(w http.ResponseWriter, r *http.Request, status int, d *jpkiData, problem refusal, form map[string]string) error {
	p := s.newPage(r, "jpki.title", sessionFrom(r.Context()))
	p.fill(r, d, problem, form, jpkiNotices)
	return s.render(w, r, status, "jpki", p)
}

func (s *Server) jpkiPage(w http.ResponseWriter, r *http.Request) error {
	d, err := s.jpkiData(r, "start")
	if err != nil {
		return err
	}
	return s.renderJPKI(w, r, http.StatusOK, d, refusal{}, nil)
}

var jpkiOpenFields = []string{"resident_code", "method"}

func (s *Server) jpkiOpenPost(w http.ResponseWriter, r *http.Request) error {
	f, err := postedForm(r, jpkiOpenFields...)
	if err != nil {
		return err
	}
	a, err := s.biz.JPKI.Open(r.Context(), sessionFrom(r.Context()).Tenant, f["resident_code"], f["method"])
	if err != nil {
		return formProblem(r, err, func(status int, msg refusal) error {
			d, err := s.jpkiData(r, "start")
			if err != nil {
				return err
			}
			return s.renderJPKI(w, r, status, d, msg, f)
		})
	}
	http.Redirect(w, r, "/jpki/applications/"+url.PathEscape(a.ID), http.StatusSeeOther)
	return nil
}

// chooseData is the step where the certificates are chosen and the card's
// requests read, for application id.
func (s *Server) chooseData(r *http.Request, id string) (*jpkiData, error) {
	a, err := s.biz.JPKI.Current(r.Context(), sessionFrom(r.Context()).Tenant, id)
	if err != nil {
		return nil, err
	}
	d, err := s.jpkiData(r, "choose")
	if err != nil {
		return nil, err
	}
	d.Application = a
	d.Birth, _ = time.Parse(time.DateOnly, a.Applicant.BirthDate)
	return d, nil
}

func (s *Server) jpkiApplicationPage(w http.ResponseWriter, r *http.Request) error {
	d, err := s.chooseData(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.renderJPKI(w, r, http.StatusOK, d, refusal{}, nil)
}

var jpkiIssueFields = []string{"csr_signature", "csr_authentication"}

func (s *Server) jpkiIssuePost(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	f, err := postedForm(r, jpkiIssueFields...)
	if err != nil {
		return err
	}
	sess := sessionFrom(r.Context())
	// The choice step shows again for a request to read again; the
	// application is still open then.
	d, err := s.chooseData(r, id)
	if err != nil {
		return err
	}
	res, issueErr := s.biz.JPKI.Issue(r.Context(), sess.Tenant, id, jpki.Request{Signature: f["csr_signature"], Authentication: f["csr_authentication"]})
	if issueErr != nil && res.Application == "" {
		return formProblem(r, issueErr, func(status int, msg refusal) error { return s.renderJPKI(w, r, status, d, msg, f) })
	}
	d.Step = "result"
	d.Result = &jpkiResult{Resident: res.Resident, Failed: res.Failed}
	for _, c := range res.Issued {
		d.Result.Issued = append(d.Result.Issued, jpkiIssued{Certificate: c, PEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.DER}))})
	}
	if d.Today, err = s.biz.JPKI.IssuedOn(r.Context(), sess.Tenant, ""); err != nil {
		return err
	}
	if issueErr != nil { // nothing was issued; the application has ended
		return formProblem(r, issueErr, func(status int, msg refusal) error { return s.renderJPKI(w, r, status, d, msg, map[string]string{}) })
	}
	// The certificates are on this answer only: no cache may keep them.
	w.Header().Set("Cache-Control", "no-store")
	return s.renderJPKI(w, r, http.StatusOK, d, refusal{}, map[string]string{})
}

func (s *Server) jpkiCancelPost(w http.ResponseWriter, r *http.Request) error {
	if err := s.biz.JPKI.Cancel(r.Context(), sessionFrom(r.Context()).Tenant, r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/jpki?done=cancelled", http.StatusSeeOther)
	return nil
}

// jpkiOpenBody is what the API takes to open an application.
type jpkiOpenBody struct {
	Resident string `json:"resident"`
	Method   string `json:"method"` // mynumber_card, notification_card_photo_id
}

func (s *Server) apiJPKIOpen(w http.ResponseWriter, r *http.Request) error {
	var in jpkiOpenBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	a, err := s.biz.JPKI.Open(r.Context(), sessionFrom(r.Context()).Tenant, in.Resident, in.Method)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, a)
	return nil
}

func (s *Server) apiJPKIApplication(w http.ResponseWriter, r *http.Request) error {
	a, err := s.biz.JPKI.Current(r.Context(), sessionFrom(r.Context()).Tenant, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

func (s *Server) apiJPKIIssue(w http.ResponseWriter, r *http.Request) error {
	var in jpki.Request
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	res, err := s.biz.JPKI.Issue(r.Context(), sessionFrom(r.Context()).Tenant, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, res)
	return nil
}

// jpkiCancelAnswer is the API's answer to a cancellation.
type jpkiCancelAnswer struct {
	Application string `json:"application"`
	Cancelled   bool   `json:"cancelled"`
}

func (s *Server) apiJPKICancel(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := s.biz.JPKI.Cancel(r.Context(), sessionFrom(r.Context()).Tenant, id); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, jpkiCancelAnswer{Application: id, Cancelled: true})
	return nil
}

func (s *Server) apiJPKICount(w http.ResponseWriter, r *http.Request) error {
	c, err := s.biz.JPKI.IssuedOn(r.Context(), sessionFrom(r.Context()).Tenant, r.URL.Query().Get("day"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

var jpkiRevokeFields = []string{"revoke_resident", "serial", "revoke_reason"}

func (s *Server) jpkiRevokePost(w http.ResponseWriter, r *http.Request) error {
	f, err := postedForm(r, jpkiRevokeFields...)
	if err != nil {
		return err
	}
	if _, err := s.biz.JPKI.Revoke(r.Context(), sessionFrom(r.Context()).Tenant, f["revoke_resident"], f["serial"], f["revoke_reason"]); err != nil {
		return formProblem(r, err, func(status int, msg refusal) error {
			d, err := s.jpkiData(r, "start")
			if err != nil {
				return err
			}
			return s.renderJPKI(w, r, status, d, msg, f)
		})
	}
	http.Redirect(w, r, "/jpki?done=revoked", http.StatusSeeOther)
	return nil
}

// jpkiRevokeBody is what the API takes to revoke a certificate.
type jpkiRevokeBody struct {
	Resident string `json:"resident"`
	Serial   string `json:"serial"` // hexadecimal
	Reason   string `json:"reason"` // lost, items_changed, other
}

func (s *Server) apiJPKIRevoke(w http.ResponseWriter, r *http.Request) error {
	var in jpkiRevokeBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	rv, err := s.biz.JPKI.Revoke(r.Context(), sessionFrom(r.Context()).Tenant, in.Resident, in.Serial, in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rv)
	return nil
}

// jpkiRenewalsPage is the renewal list (更新): the residents whose
// certificates expire before a day, three months from today unless the
// clerk asks for another, as the CA says now. Nothing of it is kept.
func (s *Server) jpkiRenewalsPage(w http.ResponseWriter, r *http.Request) error {
	d, err := s.jpkiData(r, "renewals")
	if err != nil {
		return err
	}
	before := r.URL.Query().Get("expiring_before")
	form := map[string]string{"expiring_before": before}
	if !d.Configured {
		return s.renderJPKI(w, r, http.StatusOK, d, refusal{}, form)
	}
	list, err := s.biz.JPKI.Renewals(r.Context(), sessionFrom(r.Context()).Tenant, before)
	if err != nil {
		return formProblem(r, err, func(status int, msg refusal) error { return s.renderJPKI(w, r, status, d, msg, form) })
	}
	d.Renewals = &list
	form["expiring_before"] = list.Before
	w.Header().Set("Cache-Control", "no-store")
	return s.renderJPKI(w, r, http.StatusOK, d, refusal{}, form)
}

func (s *Server) apiJPKIRenewals(w http.ResponseWriter, r *http.Request) error {
	list, err := s.biz.JPKI.Renewals(r.Context(), sessionFrom(r.Context()).Tenant, r.URL.Query().Get("expiring_before"))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, list)
	return nil
}

// jpkiRevokedPage lists the certificates the CA revoked because of the
// register (a change of items, a move out, a death) in a period, from the
// audit log, for the window to tell the resident.
func (s *Server) jpkiRevokedPage(w http.ResponseWriter, r *http.Request) error {
	d, err := s.jpkiData(r, "revoked")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	form := map[string]string{"from": q.Get("from"), "to": q.Get("to")}
	list, err := s.biz.JPKI.RevokedByRegister(r.Context(), sessionFrom(r.Context()).Tenant, form["from"], form["to"])
	if err != nil {
		return formProblem(r, err, func(status int, msg refusal) error { return s.renderJPKI(w, r, status, d, msg, form) })
	}
	d.Revoked = &list
	form["from"], form["to"] = list.From, list.To
	w.Header().Set("Cache-Control", "no-store")
	return s.renderJPKI(w, r, http.StatusOK, d, refusal{}, form)
}

func (s *Server) apiJPKIRevoked(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	list, err := s.biz.JPKI.RevokedByRegister(r.Context(), sessionFrom(r.Context()).Tenant, q.Get("from"), q.Get("to"))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, list)
	return nil
}

func (s *Server) jpkiModule() webModule {
	issue := access.JPKIIssue
	return webModule{
		name: "jpki",
		routes: []route{
			{pattern: "GET /jpki", gate: loggedIn, perm: issue, where: currentTenant, h: s.jpkiPage},
			{pattern: "POST /jpki/applications", gate: loggedIn, perm: issue, where: currentTenant, h: s.jpkiOpenPost},
			{pattern: "GET /jpki/applications/{id}", gate: loggedIn, perm: issue, where: currentTenant, h: s.jpkiApplicationPage},
			{pattern: "POST /jpki/applications/{id}/issue", gate: loggedIn, perm: issue, where: currentTenant, h: s.jpkiIssuePost},
			{pattern: "POST /jpki/applications/{id}/cancel", gate: loggedIn, perm: issue, where: currentTenant, h: s.jpkiCancelPost},
			{pattern: "POST /jpki/revocations", gate: loggedIn, perm: issue, where: currentTenant, h: s.jpkiRevokePost},
			{pattern: "GET /jpki/renewals", gate: loggedIn, perm: issue, where: currentTenant, h: s.jpkiRenewalsPage},
			{pattern: "GET /jpki/revoked", gate: loggedIn, perm: issue, where: currentTenant, h: s.jpkiRevokedPage},

			{pattern: "POST /api/v1/jpki/applications", gate: loggedIn, perm: issue, where: currentTenant, json: true, h: s.apiJPKIOpen,
				summary: "Open a JPKI application for a resident: records the identity check (R-ACC-4) and holds the register's items sealed until the issuance ends",
				body:    jpkiOpenBody{}, status: http.StatusCreated, answer: jpki.Application{}},
			{pattern: "GET /api/v1/jpki/applications/{id}", gate: loggedIn, perm: issue, where: currentTenant, json: true, h: s.apiJPKIApplication,
				summary: "An open JPKI application, with the items that will be sent", answer: jpki.Application{}},
			{pattern: "POST /api/v1/jpki/applications/{id}/issue", gate: loggedIn, perm: issue, where: currentTenant, json: true, h: s.apiJPKIIssue,
				summary: "Issue the signature and/or user-authentication certificate from the card's PKCS#10 requests (checked before anything is sent); the certificates are answered and kept nowhere, and the application ends",
				body:    jpki.Request{}, answer: jpki.Result{}},
			{pattern: "POST /api/v1/jpki/applications/{id}/cancel", gate: loggedIn, perm: issue, where: currentTenant, json: true, h: s.apiJPKICancel,
				summary: "Cancel an open JPKI application: its items are erased", answer: jpkiCancelAnswer{}},
			{pattern: "POST /api/v1/jpki/revocations", gate: loggedIn, perm: issue, where: currentTenant, json: true, h: s.apiJPKIRevoke,
				summary: "Revoke a certificate (失効: a lost card, or a change of the basic four items for the signature certificate) through the CA",
				body:    jpkiRevokeBody{}, answer: jpki.Revocation{}},
			{pattern: "GET /api/v1/jpki/renewals", gate: loggedIn, perm: issue, where: currentTenant, json: true, h: s.apiJPKIRenewals,
				summary: "The renewal list (更新): the municipality's valid certificates that expire before a day, as the CA says now, with the residents named from the register; nothing of it is kept",
				query:   []apiParam{{"expiring_before", "string", "the day, YYYY-MM-DD in Japan; three months from today when absent"}}, answer: jpki.Renewals{}},
			{pattern: "GET /api/v1/jpki/revoked", gate: loggedIn, perm: issue, where: currentTenant, json: true, h: s.apiJPKIRevoked,
				summary: "Certificates the CA revoked because of the register (a change of the basic four items or alias, a move out, a death) in a period, from the audit log: resident code, serial, kind, reason and time, each resident named from the register (name and kana, never the My Number)",
				query: []apiParam{{"from", "string", "the first day, YYYY-MM-DD in Japan; 30 days before the end when absent"},
					{"to", "string", "the last day, YYYY-MM-DD in Japan; today when absent"}}, answer: jpki.RegisterRevocations{}},
			{pattern: "GET /api/v1/jpki/count", gate: loggedIn, perm: issue, where: currentTenant, json: true, h: s.apiJPKICount,
				summary: "The certificates issued in the municipality on a day",
				query:   []apiParam{{"day", "string", "the day, YYYY-MM-DD in Japan; today when absent"}}, answer: jpki.Count{}},
		},
		menu: []navItem{{Key: "nav.jpki", Href: "/jpki", perm: issue}},
		counters: []counter{
			{id: "jpki-today", key: "home.jpki.today", href: "/jpki", perm: issue, where: currentTenant,
				count: func(r *http.Request, sess *identity.Session) (int, error) {
					c, err := s.biz.JPKI.IssuedOn(r.Context(), sess.Tenant, "")
					return c.Issued, err
				}},
		},
	}
}

// jpkiMessages are the strings of the window's screens.
var jpkiMessages = messages{
	"nav.jpki":                       {"電子証明書の発行", "JPKI certificates"},
	"jpki.title":                     {"公的個人認証 電子証明書の発行", "JPKI certificate issuance"},
	"home.jpki.today":                {"本日の電子証明書の発行 %d 件", "%d JPKI certificates issued today"},
	"jpki.today":                     {"本日（%s）の発行件数：%d 件", "Issued today (%s): %d"},
	"jpki.steps":                     {"本人確認 → 証明書の選択 → 結果", "Identity check → choice of certificates → result"},
	"jpki.not_configured":            {"認証局（J-LIS）への接続が設定されていないため、発行できません。情報システム部門に連絡してください。", "No certification authority (J-LIS) is configured, so nothing can be issued. Call the IS department."},
	"jpki.start":                     {"1. 本人確認", "1. Identity check"},
	"jpki.start.help":                {"申請者の宛名番号と、窓口で行った本人確認の方法を入力してください。確認の記録が残ります。", "Enter the applicant's resident code and how their identity was checked at the window. The check is recorded."},
	"jpki.open":                      {"申請を受け付ける", "Open the application"},
	"jpki.choose":                    {"2. 発行する電子証明書", "2. Certificates to issue"},
	"jpki.applicant":                 {"申請者（住民記録から。認証局に送る内容）", "Applicant (from the register; what is sent to the CA)"},
	"jpki.alias":                     {"通称", "Alias"},
	"jpki.sex":                       {"性別", "Sex"},
	"jpki.sex.1":                     {"男", "Male"},
	"jpki.sex.2":                     {"女", "Female"},
	"jpki.expires":                   {"この申請は %s まで有効です。入力内容は処理の終了とともに消去されます。", "This application stays open until %s. What it holds is erased when processing ends."},
	"jpki.choose.help":               {"発行する証明書の欄に、カードで作成した証明書発行要求（PKCS#10、PEM）を読み取ってください。どちらか一方だけでも発行できます。", "Read the certificate request the card made (PKCS#10, PEM) into the field of each certificate to issue. One alone may be issued."},
	"jpki.kind.signature":            {"署名用電子証明書（基本4情報・通称を記載）", "Signature certificate (carries the basic four items and alias)"},
	"jpki.kind.authentication":       {"利用者証明用電子証明書（個人の情報は記載しない）", "User-authentication certificate (carries no personal item)"},
	"jpki.issue":                     {"発行する", "Issue"},
	"jpki.cancel":                    {"申請を取り消す", "Cancel the application"},
	"jpki.cancelled":                 {"申請を取り消しました。入力内容は消去しました。", "The application was cancelled and what it held erased."},
	"jpki.result":                    {"3. 結果", "3. Result"},
	"jpki.result.help":               {"発行した証明書をカードに書き込んでください。証明書はこの画面にだけ表示され、bango には保存されません。", "Write the certificates to the card. They are shown on this page only and are not kept in bango."},
	"jpki.serial":                    {"シリアル番号", "Serial number"},
	"jpki.validity":                  {"有効期間", "Validity"},
	"jpki.certificate":               {"証明書（PEM）", "Certificate (PEM)"},
	"jpki.failed":                    {"発行できなかった証明書", "Certificates not issued"},
	"jpki.fail.refused":              {"認証局が受け付けませんでした", "The certification authority refused"},
	"jpki.fail.timeout":              {"認証局から時間内に応答がありませんでした", "The certification authority did not answer in time"},
	"jpki.fail.unreachable":          {"認証局に接続できませんでした", "The certification authority could not be reached"},
	"jpki.fail.bad_answer":           {"認証局の応答が要求と一致しませんでした", "The certification authority's answer did not match the request"},
	"jpki.again":                     {"次の申請へ", "Next application"},
	"field.method":                   {"本人確認の方法", "Identity check"},
	"field.csr_signature":            {"署名用の証明書発行要求", "Request for the signature certificate"},
	"field.csr_authentication":       {"利用者証明用の証明書発行要求", "Request for the user-authentication certificate"},
	"field.day":                      {"日付", "Day"},
	"field.revoke_resident":          {"失効する証明書の利用者の宛名番号", "Resident code of the certificate's holder"},
	"field.serial":                   {"証明書のシリアル番号", "Certificate serial number"},
	"field.revoke_reason":            {"失効の理由", "Reason for revocation"},
	"jpki.revoke":                    {"電子証明書の失効", "Revoke a certificate"},
	"jpki.revoke.help":               {"カードの紛失、または氏名・住所などの基本4情報の変更（署名用電子証明書）のときに失効させます。", "Revoke when the card is lost, or when the basic four items change (signature certificate)."},
	"jpki.revoke.submit":             {"失効させる", "Revoke"},
	"jpki.revoked":                   {"電子証明書を失効させました。", "The certificate was revoked."},
	"jpki.reason.lost":               {"紛失", "Card lost"},
	"jpki.reason.items_changed":      {"基本4情報の変更", "Change of the basic four items"},
	"jpki.reason.other":              {"その他", "Other"},
	"jpki.renewals":                  {"更新のご案内（有効期限の近い電子証明書）", "Renewals (certificates expiring soon)"},
	"jpki.renewals.link":             {"有効期限の近い電子証明書の一覧（更新）", "Certificates expiring soon (renewals)"},
	"jpki.renewals.help":             {"認証局（J-LIS）に照会した、この日より前に有効期限が切れる電子証明書です（失効済みを除く）。bango は証明書を保存していません。", "Certificates expiring before this day, as the certification authority (J-LIS) says now (revoked ones left out). bango keeps no certificate."},
	"jpki.renewals.show":             {"表示する", "Show"},
	"jpki.renewals.count":            {"%s より前に有効期限が切れる電子証明書：%d 件", "Certificates expiring before %s: %d"},
	"jpki.renewals.none":             {"該当する電子証明書はありません。", "No certificate expires before that day."},
	"jpki.renewals.kind":             {"種類", "Kind"},
	"jpki.renewals.not_after":        {"有効期限", "Expires"},
	"jpki.renewals.gone":             {"（住民記録にありません）", "(not in the register)"},
	"jpki.kind.short.signature":      {"署名用", "Signature"},
	"jpki.kind.short.authentication": {"利用者証明用", "User authentication"},
	"jpki.revoked.link":              {"住民記録の異動により失効した電子証明書の一覧", "Certificates revoked by register changes"},
	"jpki.revoked.title":             {"住民記録の異動による電子証明書の失効", "Certificates revoked by register changes"},
	"jpki.revoked.help":              {"氏名・住所などの変更、転出、死亡を住民記録から認証局（J-LIS）に通知し、失効した電子証明書です（監査記録から。窓口での失効は含みません）。", "Certificates the certification authority (J-LIS) revoked when the register told it of a change of name or address, a move out or a death (from the audit log; revocations at the window are not listed)."},
	"jpki.revoked.show":              {"表示する", "Show"},
	"jpki.revoked.count":             {"%s から %s までに失効した電子証明書：%d 件", "Certificates revoked from %s to %s: %d"},
	"jpki.revoked.more":              {"件数が多いため一部だけを表示しています。期間を短くしてください。", "Only part is shown; choose a shorter period."},
	"jpki.revoked.none":              {"この期間に住民記録の異動で失効した電子証明書はありません。", "No certificate was revoked by the register in that period."},
	"jpki.revoked.reason":            {"理由", "Reason"},
	"jpki.revoked.at":                {"失効日時", "Revoked at"},
	"jpki.reason.moved_out":          {"転出", "Moved out"},
	"jpki.reason.deceased":           {"死亡", "Deceased"},
	"field.expiring_before":          {"期限の日付（この日より前に有効期限が切れるもの）", "Expiring before"},
}
