package web

import (
	"bytes"
	"context"
	"encoding/base64"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"bango/internal/mynumber"
	"bango/internal/numbersetup"
	"bango/internal/store"
	"bango/internal/testutil"
)

// registryBytes is a registry file of 新宿区: 国保 一郎 exactly, 国保 花子
// with another address, and somebody nobody knows.
func registryBytes(t *testing.T, municipality string) []byte {
	t.Helper()
	n := func(first string) string { return first + string(mynumber.CheckDigit(first)) }
	var b bytes.Buffer
	fw := numbersetup.NewFileWriter(&b, "131041", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	row := func(code, name, birth, sex, addr, num string) {
		d, _ := time.Parse(time.DateOnly, birth)
		fw.Write(numbersetup.Row{Municipality: municipality, ResidentCode: code, Name: name, NameKana: "コクホ", Birth: d, Sex: sex, Address: addr, MyNumber: num})
	}
	row("10000000001", "国保　一郎", "1975-05-05", "1", "東京都新宿区西新宿二丁目８番１号", n("50000000001"))
	row("10000000002", "国保　花子", "2010-07-07", "2", "東京都新宿区百人町一丁目１番", n("50000000002"))
	row("10000000003", "不明　三郎", "1999-01-01", "1", "東京都新宿区新宿一丁目１番", n("50000000003"))
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// R-PUB-2, R-WAU-2, R-ACC-1, R-ACC-3: through the pages and the API, an NHI
// clerk uploads a registry file and sees the counts per outcome; resolves
// the one-item difference and discards the unknown row; only a checker
// confirms, and the numbers are then registered; the close deletes the
// candidates. A file of another municipality is rejected whole with its
// report and stores nothing.
func TestNumberSetupPages(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		f.nhiPeople(t)
		ctx := store.WithScope(context.Background(), "131041")
		for _, code := range []string{"300001", "300002"} {
			if err := f.db.TransactIn(ctx, "131041", func(tx *store.Tx) error {
				_, err := tx.Exec(ctx, `INSERT INTO nhi_insured (tenant_code, resident_code, number, branch, created_at) VALUES ('131041', $1, $2, '01', $3)`,
					code, "N"+code, time.Now().UTC())
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		clerk, clerkCSRF := f.staffClient(t, "clerk", "131041", "医療保険年金課", [2]string{"nhi-clerk", "131041"})
		checker, checkerCSRF := f.staffClient(t, "checker", "131041", "医療保険年金課", [2]string{"nhi-checker", "131041"})

		// Upload through the page's form.
		var upload bytes.Buffer
		mw := multipart.NewWriter(&upload)
		mw.WriteField("csrf", clerkCSRF)
		mw.WriteField("business", "nhi")
		fw, _ := mw.CreateFormFile("file", "HKJK.CSV")
		fw.Write(registryBytes(t, "131041"))
		mw.Close()
		req, _ := http.NewRequest("POST", f.srv.URL+"/numbersetup/imports", &upload)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		res, err := clerk.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body(t, res)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/numbersetup/1?done=imported" {
			t.Fatalf("upload: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
		res, page := f.get(t, clerk, "/numbersetup/1?done=imported")
		if res.StatusCode != http.StatusOK || !strings.Contains(page, `id="count-exact">1<`) || !strings.Contains(page, `id="count-one_diff">1<`) ||
			!strings.Contains(page, `id="count-no_match">1<`) || strings.Contains(page, "50000000001") {
			t.Fatalf("after the upload: %d %s\n%s", res.StatusCode, res.Header.Get("Location"), page)
		}
		// Resolve the one-item difference (line 3) by the API, discard the unknown row (line 4) by the page.
		if code, out := f.apiCall(t, clerk, clerkCSRF, "POST", "/api/v1/numbersetup/setups/1/candidates/3/resolve", `{"person":"300002"}`); code != http.StatusAccepted {
			t.Fatalf("resolve: %d %v", code, out)
		}
		if res, _ := f.post(t, clerk, "/numbersetup/1/candidates/4/discard", url.Values{"csrf": {clerkCSRF}, "reason": {"該当者なし"}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("discard: %d", res.StatusCode)
		}
		if _, page := f.get(t, clerk, "/numbersetup/1?done=discarded"); !strings.Contains(page, "破棄しました") || !strings.Contains(page, "numbersetup-worklist-none") {
			t.Fatalf("after the discard:\n%s", page)
		}
		// The clerk holds no review.confirm; the checker confirms both changes.
		st, err := f.server.biz.NumberSetup.Setup(testutil.As("clerk"), "131041", 1)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := f.server.biz.NumberSetup.Candidates(testutil.As("clerk"), "131041", numbersetup.ListRequest{Setup: 1})
		if err != nil {
			t.Fatal(err)
		}
		changes := []int64{st.Change, rows.Items[1].Change}
		for _, id := range changes {
			if code, _ := f.apiCall(t, clerk, clerkCSRF, "POST", "/api/v1/review/"+strconv.FormatInt(id, 10)+"/confirm", `{}`); code != http.StatusForbidden {
				t.Fatalf("the clerk confirmed change %d: %d", id, code)
			}
			if code, out := f.apiCall(t, checker, checkerCSRF, "POST", "/api/v1/review/"+strconv.FormatInt(id, 10)+"/confirm", `{}`); code != http.StatusOK {
				t.Fatalf("confirm %d: %d %v", id, code, out)
			}
		}
		for _, code := range []string{"300001", "300002"} {
			if idx, _ := f.residents.BlindIndexOf(testutil.As("clerk"), "131041", code); idx == nil {
				t.Fatalf("%s has no number after the confirmation", code)
			}
		}
		if res, _ := f.post(t, clerk, "/numbersetup/1/close", url.Values{"csrf": {clerkCSRF}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("close: %d", res.StatusCode)
		}
		if _, page := f.get(t, clerk, "/numbersetup/1?done=closed"); !strings.Contains(page, `id="numbersetup-closed"`) {
			t.Fatalf("after the close:\n%s", page)
		}
		// Another municipality's file: rejected whole, with line and field.
		code, out := f.apiCall(t, clerk, clerkCSRF, "POST", "/api/v1/numbersetup/setups",
			`{"business":"nhi","file_name":"X.CSV","content":"`+base64.StdEncoding.EncodeToString(registryBytes(t, "011002"))+`"}`)
		if code != http.StatusBadRequest || !strings.Contains(toJSON(out), `"line":2`) || !strings.Contains(toJSON(out), `"field":"municipality"`) {
			t.Fatalf("another municipality's file: %d %v", code, out)
		}
		if code, out := f.apiCall(t, clerk, clerkCSRF, "GET", "/api/v1/numbersetup/setups", ""); code != http.StatusOK || len(out["items"].([]any)) != 1 {
			t.Fatalf("setups: %d %v", code, out)
		}
	})
}
