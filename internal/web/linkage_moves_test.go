package web

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"bango/internal/audit"
	"bango/internal/linkage"
	"bango/internal/nhi"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
	"bango/internal/wareki"
)

// R-NHI-8, R-LNK-1: the NHI work list of moves shows with each insured
// person who moved out or died the NHI entry recorded for it — the loss,
// linked to the person's NHI page as of its day, with who recorded it —
// or that none is recorded yet; on both engines.
func TestLinkageMovesShowTheNHIEntry(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		if _, err := f.linkage.AddPartner(testutil.As("is-admin"), linkage.Partner{Tenant: "131041", ID: "resident-records", Direction: linkage.Inbound,
			Layouts: []string{"resident-differences"}}); err != nil {
			t.Fatal(err)
		}
		for _, code := range []string{"700301", "700302"} {
			testkit.Resident(t, f.residents, "131041", testkit.Person(code, ""))
			on := daysAgo(10)
			f.nhiInsure(t, "131041", nhi.AcquisitionInput{ResidentCode: code, AcquiredOn: on, Reason: nhi.AcquireMoveIn, NotifiedOn: on,
				NewKigo: "新宿", NewHead: code, Number: code[2:], Branch: "01"})
		}
		now := time.Now().In(jst)
		day := wareki.Civil(now.Year(), now.Month(), now.Day()-2)
		l, err := linkage.Lookup("resident-differences", 1)
		if err != nil {
			t.Fatal(err)
		}
		var file bytes.Buffer
		w, err := linkage.NewWriter(&file, l, linkage.Values{"municipality": "131041", "created": day, "period_from": day, "period_to": day})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range []struct{ change, code string }{{"31", "700301"}, {"32", "700302"}} {
			if err := w.Write("2", linkage.Values{"change": m.change, "resident_code": m.code, "household_no": m.code, "name": "山田　太郎",
				"name_kana": "ﾔﾏﾀﾞ ﾀﾛｳ", "birth": wareki.Civil(1980, 4, 1), "sex": "1", "relation": "01", "postal": "1600023",
				"address": "東京都新宿区西新宿二丁目", "effective": day}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.Close(nil); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.linkage.Import(testutil.As("cli:operator"), linkage.ImportRequest{Tenant: "131041", Partner: "resident-records",
			Layout: "resident-differences", Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(file.Bytes())), nil }}); err != nil {
			t.Fatal(err)
		}
		// 700301's loss is recorded from the day it moved out; 700302's death not yet.
		ctx := audit.WithActor(context.Background(), audit.Actor{User: "tanaka.h"})
		prop, err := f.nhi.ProposeLoss(ctx, "131041", nhi.LossInput{ResidentCode: "700301", LostOn: day.Format(time.DateOnly), Reason: nhi.LossMoveOut,
			NotifiedOn: daysAgo(0)})
		if err != nil {
			t.Fatal(err)
		}
		maker, _ := f.users.Get(ctx, "tanaka.h")
		c, err := f.review.Submit(ctx, maker, "131041", prop)
		if err != nil {
			t.Fatal(err)
		}
		checker := f.nhiChecker(t)
		if _, err := f.review.Confirm(audit.WithActor(context.Background(), audit.Actor{User: checker.LoginID}), checker, "131041", c.ID, nil); err != nil {
			t.Fatal(err)
		}

		clerk, _ := f.staffClient(t, "mclerk", "131041", "国民健康保険課", [2]string{"nhi-clerk", "131041"})
		res, page := f.get(t, clerk, "/linkage/moves")
		if res.StatusCode != http.StatusOK {
			t.Fatalf("moves: %d\n%s", res.StatusCode, page)
		}
		row := func(code string) string {
			i := strings.Index(page, `<a href="/nhi/persons/`+code+`">`)
			if i < 0 {
				t.Fatalf("no row of %s:\n%s", code, page)
			}
			r := page[i:]
			return r[:strings.Index(r, "</tr>")]
		}
		link := `href="/nhi/persons/700301?as_of=` + day.Format(time.DateOnly) + `"`
		if r := row("700301"); !strings.Contains(r, link) || !strings.Contains(r, "資格喪失") || !strings.Contains(r, checker.LoginID) {
			t.Errorf("the move out does not show its recorded loss: %s", r)
		}
		if r := row("700302"); !strings.Contains(r, "未登録") || strings.Contains(r, "as_of=") {
			t.Errorf("the death shows an entry though none is recorded: %s", r)
		}
		if res, page := f.get(t, clerk, "/nhi/persons/700301?as_of="+day.Format(time.DateOnly)); res.StatusCode != http.StatusOK || !strings.Contains(page, "700301") {
			t.Errorf("the entry's link: %d\n%s", res.StatusCode, page)
		}
		code, out := f.apiCall(t, clerk, "", "GET", "/api/v1/linkage/moves", "")
		items, _ := out["items"].([]any)
		if code != http.StatusOK || len(items) != 2 || items[0].(map[string]any)["nhi_entry"] == nil || items[1].(map[string]any)["nhi_entry"] != nil {
			t.Errorf("API moves: %d %v", code, out)
		}
		// A page at a time: the API's next cursor, the page's link.
		code, out = f.apiCall(t, clerk, "", "GET", "/api/v1/linkage/moves?limit=1", "")
		items, _ = out["items"].([]any)
		next, _ := out["next"].(string)
		if code != http.StatusOK || len(items) != 1 || items[0].(map[string]any)["resident_code"] != "700301" || next == "" || out["more"] != true {
			t.Fatalf("API moves, first page of one: %d %v", code, out)
		}
		code, out = f.apiCall(t, clerk, "", "GET", "/api/v1/linkage/moves?limit=1&cursor="+next, "")
		items, _ = out["items"].([]any)
		if code != http.StatusOK || len(items) != 1 || items[0].(map[string]any)["resident_code"] != "700302" || out["next"] != nil {
			t.Errorf("API moves, second page: %d %v", code, out)
		}
		if code, out := f.apiCall(t, clerk, "", "GET", "/api/v1/linkage/moves?limit=x", ""); code != http.StatusBadRequest || !strings.Contains(fmt.Sprint(out), "limit") {
			t.Errorf("a limit that is not a number: %d %v", code, out)
		}
		if code, _ := f.apiCall(t, clerk, "", "GET", "/api/v1/linkage/moves?status=open&cursor="+next, ""); code != http.StatusBadRequest {
			t.Errorf("a cursor of every move read the open ones: %d", code)
		}
		if res, page := f.get(t, clerk, "/linkage/moves?status=open"); res.StatusCode != http.StatusOK || !strings.Contains(page, `id="moves-all"`) ||
			!strings.Contains(page, "700301") || strings.Contains(page, `id="moves-next"`) {
			t.Errorf("the open moves' page: %d\n%s", res.StatusCode, page)
		}
	})
}
