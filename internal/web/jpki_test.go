package web

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"bango/internal/jpki"
	"bango/internal/jpki/standin"
	"bango/internal/linkage"
	"bango/internal/resident"
	"bango/internal/store"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
	"bango/internal/vault"
)

// jpkiOver is JPKI issuance over a stand-in CA served for the test over
// mutual TLS, as serve builds it over the configured CA.
func jpkiOver(t *testing.T, db *store.DB, v *vault.Vault, residents *resident.Service) (*standin.CA, *jpki.Service) {
	t.Helper()
	caKeysOnce.Do(func() { caKeys, caKeysErr = standin.NewCAKeys() })
	if caKeysErr != nil {
		t.Fatal(caKeysErr)
	}
	ca, err := standin.New(standin.Options{CAKeys: caKeys})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(ca.Handler())
	srv.TLS = ca.TLSConfig()
	srv.StartTLS()
	t.Cleanup(srv.Close)
	c, err := jpki.NewClient(ca.ClientConfig(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	return ca, jpki.NewService(db, v, residents, c, testkit.Quiet)
}

// The CA's two RSA keys are made once for the package: every fixture
// starts a CA, and the keys cost 0.1–0.3 s a fixture (more under -race).
var (
	caKeysOnce sync.Once
	caKeys     [2]crypto.Signer
	caKeysErr  error
)

var (
	cardKeysOnce sync.Once
	cardKeys     [2]*rsa.PrivateKey
)

// cardRequest is a PKCS#10 request in PEM made by card key i, as the
// window's card reader hands it over.
func cardRequest(t *testing.T, i int) string {
	t.Helper()
	cardKeysOnce.Do(func() {
		for i := range cardKeys {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			cardKeys[i] = k
		}
	})
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{}, cardKeys[i])
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
}

var (
	jpkiApplication = regexp.MustCompile(`^/jpki/applications/([0-9a-f]{32})$`)
	jpkiSerial      = regexp.MustCompile(`id="jpki-serial-(signature|authentication)">([0-9a-f]+)<`)
)

// R-JPKI-1, R-JPKI-2, R-ACC-4: a window clerk of the resident-records
// section goes through the one flow — identity check, the choice and the
// card's requests, the result — in Japanese; both certificates come back
// on the result page only, and the day's count counts them. A wrong
// request shows the choice again naming its field; a cancel erases the
// application.
func TestJPKIWindow(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		testkit.Resident(t, f.residents, "131041", resident.Input{Code: "700001", NameKanji: "証明　太郎", NameKana: "ショウメイ　タロウ", Alias: "ショウメイ",
			Address: "東京都新宿区西新宿二丁目8番1号", BirthDate: "1990-01-15", Sex: "1"})
		window, _ := f.staffClient(t, "window", "131041", "戸籍住民課", [2]string{"resident-records-clerk", "131041"})
		res, page := f.get(t, window, "/jpki")
		if res.StatusCode != http.StatusOK || !strings.Contains(page, "本人確認") || !strings.Contains(page, `id="jpki-open-form"`) {
			t.Fatalf("the window's page: %d\n%s", res.StatusCode, page)
		}
		csrf := csrfOf(t, page)

		// An identity check not chosen: the form again, naming the field.
		res, page = f.post(t, window, "/jpki/applications", url.Values{"csrf": {csrf}, "resident_code": {"700001"}})
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "本人確認の方法") {
			t.Fatalf("no method: %d\n%s", res.StatusCode, page)
		}
		res, _ = f.post(t, window, "/jpki/applications", url.Values{"csrf": {csrf}, "resident_code": {"700001"}, "method": {resident.VerifiedByMyNumberCard}})
		m := jpkiApplication.FindStringSubmatch(res.Header.Get("Location"))
		if res.StatusCode != http.StatusSeeOther || m == nil {
			t.Fatalf("open: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
		id := m[1]
		res, page = f.get(t, window, "/jpki/applications/"+id)
		if res.StatusCode != http.StatusOK || !strings.Contains(page, "証明　太郎") || !strings.Contains(page, "署名用電子証明書") {
			t.Fatalf("the choice: %d\n%s", res.StatusCode, page)
		}
		res, page = f.post(t, window, "/jpki/applications/"+id+"/issue", url.Values{"csrf": {csrf}, "csr_signature": {"not a request"}})
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "署名用の証明書発行要求") || !strings.Contains(page, `id="jpki-issue-form"`) {
			t.Fatalf("a wrong request: %d\n%s", res.StatusCode, page)
		}
		if f.ca.Served() != 0 {
			t.Fatal("a wrong request reached the CA")
		}
		res, page = f.post(t, window, "/jpki/applications/"+id+"/issue", url.Values{"csrf": {csrf},
			"csr_signature": {cardRequest(t, 0)}, "csr_authentication": {cardRequest(t, 1)}})
		serials := jpkiSerial.FindAllStringSubmatch(page, -1)
		if res.StatusCode != http.StatusOK || len(serials) != 2 || !strings.Contains(page, "BEGIN CERTIFICATE") || res.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("the result: %d %v\n%s", res.StatusCode, serials, page)
		}
		for _, s := range serials {
			if r, ok := f.ca.Lookup(s[2]); !ok || string(r.Kind) != s[1] {
				t.Errorf("the CA did not issue %s as %s", s[2], s[1])
			}
		}
		// Ended: the application is gone.
		if res, _ := f.get(t, window, "/jpki/applications/"+id); res.StatusCode != http.StatusNotFound {
			t.Errorf("the ended application: %d", res.StatusCode)
		}
		f.place(t)
		if _, page := f.get(t, window, "/jpki"); !strings.Contains(page, "発行件数：2 件") {
			t.Errorf("the day's count:\n%s", page)
		}

		// The signature certificate is revoked when the address changes.
		res, page = f.post(t, window, "/jpki/revocations", url.Values{"csrf": {csrf}, "revoke_resident": {"700001"}, "serial": {serials[0][2]}})
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "失効の理由") {
			t.Errorf("a revocation without its reason: %d", res.StatusCode)
		}
		res, _ = f.post(t, window, "/jpki/revocations", url.Values{"csrf": {csrf}, "revoke_resident": {"700001"}, "serial": {serials[0][2]}, "revoke_reason": {jpki.RevokeChanged}})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/jpki?done=revoked" {
			t.Errorf("revoke: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
		if r, _ := f.ca.Lookup(serials[0][2]); r.Reason != jpki.RevokeChanged {
			t.Errorf("the CA keeps %+v", r)
		}

		// A cancel.
		res, _ = f.post(t, window, "/jpki/applications", url.Values{"csrf": {csrf}, "resident_code": {"700001"}, "method": {resident.VerifiedByNotificationPhotoID}})
		id = jpkiApplication.FindStringSubmatch(res.Header.Get("Location"))[1]
		res, _ = f.post(t, window, "/jpki/applications/"+id+"/cancel", url.Values{"csrf": {csrf}})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/jpki?done=cancelled" {
			t.Fatalf("cancel: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
		if got := testutil.Outcomes(t, f.db, "jpki.cancel"); len(got) != 1 || got[0] != "ok application="+id {
			t.Errorf("cancel events: %v", got)
		}
		// Another municipality's resident is not found (R-AC-6).
		testkit.Resident(t, f.residents, "011002", testkit.Person("700009", ""))
		if res, _ := f.post(t, window, "/jpki/applications", url.Values{"csrf": {csrf}, "resident_code": {"700009"}, "method": {resident.VerifiedByMyNumberCard}}); res.StatusCode != http.StatusNotFound {
			t.Errorf("Sapporo's resident at Shinjuku's window: %d", res.StatusCode)
		}
	})
}

// R-JPKI-1, R-AC-2: the JSON API does the same work; only the
// resident-records pattern may start an issuance.
func TestJPKIAPI(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		testkit.Resident(t, f.residents, "131041", testkit.Person("700002", ""))
		window, csrf := f.staffClient(t, "window", "131041", "戸籍住民課", [2]string{"resident-records-clerk", "131041"})
		nhiClerk, nhiCSRF := f.staffClient(t, "nhi.clerk", "131041", "医療保険年金課", [2]string{"nhi-clerk", "131041"})
		open := `{"resident":"700002","method":"mynumber_card"}`
		if status, _ := f.apiCall(t, nhiClerk, nhiCSRF, "POST", "/api/v1/jpki/applications", open); status != http.StatusForbidden {
			t.Errorf("an NHI clerk opened an application: %d", status)
		}
		status, a := f.apiCall(t, window, csrf, "POST", "/api/v1/jpki/applications", open)
		if status != http.StatusCreated || a["id"] == nil {
			t.Fatalf("open: %d %v", status, a)
		}
		id := a["id"].(string)
		body, _ := json.Marshal(jpki.Request{Signature: cardRequest(t, 0)})
		if status, _ := f.apiCall(t, nhiClerk, nhiCSRF, "POST", "/api/v1/jpki/applications/"+id+"/issue", string(body)); status != http.StatusForbidden {
			t.Errorf("an NHI clerk issued: %d", status)
		}
		status, out := f.apiCall(t, window, csrf, "POST", "/api/v1/jpki/applications/"+id+"/issue", string(body))
		issued, _ := out["issued"].([]any)
		if status != http.StatusOK || len(issued) != 1 {
			t.Fatalf("issue: %d %v", status, out)
		}
		// Revocation: a lost card.
		serial := issued[0].(map[string]any)["serial"].(string)
		revoke := `{"resident":"700002","serial":"` + serial + `","reason":"lost"}`
		if status, _ := f.apiCall(t, nhiClerk, nhiCSRF, "POST", "/api/v1/jpki/revocations", revoke); status != http.StatusForbidden {
			t.Errorf("an NHI clerk revoked: %d", status)
		}
		if status, rv := f.apiCall(t, window, csrf, "POST", "/api/v1/jpki/revocations", revoke); status != http.StatusOK || rv["serial"] != serial {
			t.Errorf("revoke: %d %v", status, rv)
		}
		if r, _ := f.ca.Lookup(serial); r.Reason != jpki.RevokeLost {
			t.Errorf("the CA keeps %+v", r)
		}
		f.place(t)
		status, c := f.apiCall(t, window, csrf, "GET", "/api/v1/jpki/count", "")
		if status != http.StatusOK || c["issued"] != float64(1) {
			t.Errorf("count: %d %v", status, c)
		}
		if status, c := f.apiCall(t, window, csrf, "GET", "/api/v1/jpki/count?day=yesterday", ""); status != http.StatusBadRequest {
			t.Errorf("count of a day that is not a date: %d %v", status, c)
		}
	})
}

// R-JPKI-1, R-JPKI-2, R-LNK-3: the renewal list (更新) on the page and the
// API is what the CA says over mutual TLS of the municipality's
// certificates expiring within three months, with the residents named from
// the register; only the resident-records pattern may ask, a wrong day is
// refused naming its field, and the answer is not cached.
func TestJPKIRenewals(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		testkit.Resident(t, f.residents, "131041", resident.Input{Code: "700003", NameKanji: "更新　花子", NameKana: "コウシン　ハナコ",
			Address: "東京都新宿区西新宿二丁目8番1号", BirthDate: "1970-03-03", Sex: "2"})
		window, csrf := f.staffClient(t, "window", "131041", "戸籍住民課", [2]string{"resident-records-clerk", "131041"})
		nhiClerk, nhiCSRF := f.staffClient(t, "nhi.clerk", "131041", "医療保険年金課", [2]string{"nhi-clerk", "131041"})
		f.ca.SetLifetime(40 * 24 * time.Hour)
		status, a := f.apiCall(t, window, csrf, "POST", "/api/v1/jpki/applications", `{"resident":"700003","method":"mynumber_card"}`)
		if status != http.StatusCreated {
			t.Fatalf("open: %d %v", status, a)
		}
		body, _ := json.Marshal(jpki.Request{Authentication: cardRequest(t, 1)})
		status, out := f.apiCall(t, window, csrf, "POST", "/api/v1/jpki/applications/"+a["id"].(string)+"/issue", string(body))
		f.ca.SetLifetime(0)
		issued, _ := out["issued"].([]any)
		if status != http.StatusOK || len(issued) != 1 {
			t.Fatalf("issue: %d %v", status, out)
		}
		serial := issued[0].(map[string]any)["serial"].(string)

		res, page := f.get(t, window, "/jpki/renewals")
		if res.StatusCode != http.StatusOK || !strings.Contains(page, `id="jpki-renewals"`) || !strings.Contains(page, "更新　花子") ||
			!strings.Contains(page, serial) || !strings.Contains(page, "利用者証明用") || res.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("the renewal list: %d\n%s", res.StatusCode, page)
		}
		if res, page := f.get(t, window, "/jpki/renewals?expiring_before=2027-13-40"); res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "期限の日付") {
			t.Errorf("a wrong day: %d\n%s", res.StatusCode, page)
		}
		status, list := f.apiCall(t, window, csrf, "GET", "/api/v1/jpki/renewals", "")
		certs, _ := list["certificates"].([]any)
		if status != http.StatusOK || len(certs) != 1 || certs[0].(map[string]any)["resident"] != "700003" || certs[0].(map[string]any)["serial"] != serial {
			t.Errorf("the API's renewal list: %d %v", status, list)
		}
		if status, _ := f.apiCall(t, window, csrf, "GET", "/api/v1/jpki/renewals?expiring_before=tomorrow", ""); status != http.StatusBadRequest {
			t.Errorf("the API with a wrong day: %d", status)
		}
		if status, _ := f.apiCall(t, nhiClerk, nhiCSRF, "GET", "/api/v1/jpki/renewals", ""); status != http.StatusForbidden {
			t.Errorf("an NHI clerk read the renewal list: %d", status)
		}
		if got := testutil.Outcomes(t, f.db, "jpki.renewals"); len(got) < 2 || !strings.HasSuffix(got[0], " certificates=1") {
			t.Errorf("renewal events: %v", got)
		}
	})
}

// R-JPKI-1, R-AUD-1: the window lists the certificates the CA revoked
// because of the register — here a resident who died — from the audit
// log, on the page and the API: resident code, the resident's name and
// kana from the register (never the My Number), kind, reason, time and
// serial; only the resident-records pattern may ask, a
// period that ends before it starts is refused naming its field, and the
// answer is not cached.
func TestJPKIRevokedByRegister(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		number := testNumber(70, 4)
		testkit.Resident(t, f.residents, "131041", resident.Input{Code: "700004", NameKanji: "失効　次郎", NameKana: "シッコウ　ジロウ",
			Address: "東京都新宿区西新宿二丁目8番4号", BirthDate: "1950-03-03", Sex: "1", MyNumber: number})
		window, csrf := f.staffClient(t, "window", "131041", "戸籍住民課", [2]string{"resident-records-clerk", "131041"})
		nhiClerk, nhiCSRF := f.staffClient(t, "nhi.clerk", "131041", "医療保険年金課", [2]string{"nhi-clerk", "131041"})
		jobs := testutil.As("system:jobs")
		if _, err := f.jpki.SendRegisterChanges(jobs); err != nil {
			t.Fatal(err)
		}
		status, a := f.apiCall(t, window, csrf, "POST", "/api/v1/jpki/applications", `{"resident":"700004","method":"mynumber_card"}`)
		if status != http.StatusCreated {
			t.Fatalf("open: %d %v", status, a)
		}
		body, _ := json.Marshal(jpki.Request{Authentication: cardRequest(t, 1)})
		status, out := f.apiCall(t, window, csrf, "POST", "/api/v1/jpki/applications/"+a["id"].(string)+"/issue", string(body))
		issued, _ := out["issued"].([]any)
		if status != http.StatusOK || len(issued) != 1 {
			t.Fatalf("issue: %d %v", status, out)
		}
		serial := issued[0].(map[string]any)["serial"].(string)
		// The register records the death, from the resident-records
		// system's differences through the linkage; the job sends it.
		if _, err := f.linkage.AddPartner(testutil.As("is-admin"), linkage.Partner{Tenant: "131041", ID: "resident-records", Direction: linkage.Inbound,
			Layouts: []string{"resident-differences"}}); err != nil {
			t.Fatal(err)
		}
		l, err := linkage.Lookup("resident-differences", 1)
		if err != nil {
			t.Fatal(err)
		}
		day := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
		var file bytes.Buffer
		w, err := linkage.NewWriter(&file, l, linkage.Values{"municipality": "131041", "created": day.AddDate(0, 0, 1), "period_from": day, "period_to": day})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write("2", linkage.Values{"change": "32", "resident_code": "700004", "household_no": "700004", "name": "失効　次郎",
			"name_kana": "ｼｯｺｳ ｼﾞﾛｳ", "birth": time.Date(1950, 3, 3, 0, 0, 0, 0, time.UTC), "sex": "1", "relation": "01", "postal": "1600023",
			"address": "東京都新宿区西新宿二丁目", "effective": day}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Close(nil); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.linkage.Import(testutil.As("cli:operator"), linkage.ImportRequest{Tenant: "131041", Partner: "resident-records",
			Layout: "resident-differences", Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(file.Bytes())), nil }}); err != nil {
			t.Fatal(err)
		}
		if got, err := f.jpki.SendRegisterChanges(jobs); err != nil || len(got.Revoked) != 1 {
			t.Fatalf("the register's sending: %+v, %v", got, err)
		}
		testutil.Place(t, f.db, f.sequencer)

		res, page := f.get(t, window, "/jpki/revoked")
		if res.StatusCode != http.StatusOK || !strings.Contains(page, `id="jpki-revoked"`) || !strings.Contains(page, "700004") ||
			!strings.Contains(page, serial) || !strings.Contains(page, "死亡") || !strings.Contains(page, "利用者証明用") ||
			!strings.Contains(page, "失効　次郎") || !strings.Contains(page, "シッコウ　ジロウ") || strings.Contains(page, number) ||
			res.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("the list: %d\n%s", res.StatusCode, page)
		}
		if res, page := f.get(t, window, "/jpki/revoked?from=2026-12-02&to=2026-12-01"); res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "開始日") {
			t.Errorf("a period backwards: %d\n%s", res.StatusCode, page)
		}
		status, list := f.apiCall(t, window, csrf, "GET", "/api/v1/jpki/revoked", "")
		certs, _ := list["certificates"].([]any)
		raw, _ := json.Marshal(list)
		if status != http.StatusOK || len(certs) != 1 || certs[0].(map[string]any)["resident"] != "700004" ||
			certs[0].(map[string]any)["serial"] != serial || certs[0].(map[string]any)["reason"] != jpki.RevokeDeceased ||
			certs[0].(map[string]any)["name"] != "失効　次郎" || certs[0].(map[string]any)["in_register"] != true || strings.Contains(string(raw), number) {
			t.Errorf("the API's list: %d %v", status, list)
		}
		if status, _ := f.apiCall(t, window, csrf, "GET", "/api/v1/jpki/revoked?to=tomorrow", ""); status != http.StatusBadRequest {
			t.Errorf("the API with a wrong day: %d", status)
		}
		if status, _ := f.apiCall(t, nhiClerk, nhiCSRF, "GET", "/api/v1/jpki/revoked", ""); status != http.StatusForbidden {
			t.Errorf("an NHI clerk read the list: %d", status)
		}
		if got := testutil.Outcomes(t, f.db, "jpki.revoked_list"); len(got) < 2 || !strings.HasSuffix(got[0], " certificates=1") {
			t.Errorf("list events: %v", got)
		}
	})
}
