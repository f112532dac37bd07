package linkage_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"bango/internal/errs"
	"bango/internal/linkage"
	"bango/internal/nhi"
	"bango/internal/resident"
	"bango/internal/store"
	"bango/internal/testutil"
)

// move is one record of a differences file with its own items.
type move struct {
	change, code, name, kana, address string
	birth                             time.Time
}

// movesFile writes a resident-differences file of Shinjuku for the day
// before today in Japan, every record effective that day.
func movesFile(t *testing.T, day time.Time, recs []move) []byte {
	t.Helper()
	l, err := linkage.Lookup(layout, 1)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	w, err := linkage.NewWriter(&out, l, linkage.Values{"municipality": shinjuku, "created": day.AddDate(0, 0, 1), "period_from": day, "period_to": day})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range recs {
		if err := w.Write("2", linkage.Values{"change": r.change, "resident_code": r.code, "household_no": 2000 + i, "name": r.name,
			"name_kana": r.kana, "birth": r.birth, "sex": "1", "relation": "01", "postal": "1600023", "address": r.address,
			"effective": day}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Close(nil); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// R-LNK-1, R-NHI-8: the daily differences apply to the register in the
// import's transaction — new residents are created (the reading widened
// to full-width katakana), a change updates the basic items, a move out or
// a death gives the resident a departure with its date — and each who was
// insured by the NHI on the day lands on the NHI work list of moves, which
// staff mark as dealt with.
func TestResidentDifferencesApply(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.partner(t, shinjuku, false)
		jst := time.FixedZone("JST", 9*60*60)
		now := time.Now().In(jst)
		today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
		born := time.Date(1970, 1, 2, 0, 0, 0, 0, time.UTC)
		ctx := testutil.As("cli:operator")

		first := movesFile(t, today.AddDate(0, 0, -5), []move{
			{"11", "8001", "髙橋　一郎", "ﾀｶﾊｼ ｲﾁﾛｳ", "東京都新宿区西新宿二丁目８番１号", born},
			{"12", "8002", "山﨑　花子", "ﾔﾏｻﾞｷ ﾊﾅｺ", "東京都新宿区西新宿二丁目８番１号", born},
			{"11", "8003", "佐藤　次郎", "ｻﾄｳ ｼﾞﾛｳ", "東京都新宿区歌舞伎町一丁目１番", born},
		})
		if _, _, err := f.linkage.Import(ctx, request(shinjuku, first)); err != nil {
			t.Fatal(err)
		}
		r, err := f.residents.Get(testutil.As("clerk"), shinjuku, "8002")
		if err != nil || r.NameKanji != "山﨑　花子" || r.NameKana != "ヤマザキ　ハナコ" || r.Version != 1 {
			t.Fatalf("new resident 8002: %+v %v", r, err)
		}
		// The new residents are queued for the search index with the
		// apply (on PostgreSQL by the apply itself, not the rows' trigger)
		// and found once it is indexed.
		if _, err := resident.IndexForSearch(testutil.As("system"), db); err != nil {
			t.Fatal(err)
		}
		for q, code := range map[string]string{"ヤマザキ": "8002", "髙橋": "8001", "歌舞伎町一丁目": "8003"} {
			found, err := f.residents.Find(testutil.As("clerk"), shinjuku, q)
			if err != nil || len(found.Residents) != 1 || found.Residents[0].Code != code {
				t.Fatalf("search %s after the apply: %+v %v", q, found, err)
			}
		}
		// 8002 and 8003 are insured by the NHI from three days ago.
		clerk := testutil.As("clerk")
		on := today.AddDate(0, 0, -3).Format(time.DateOnly)
		for _, c := range []struct{ code, number string }{{"8002", "8802"}, {"8003", "8803"}} {
			p, err := f.nhi.ProposeAcquisition(clerk, shinjuku, nhi.AcquisitionInput{ResidentCode: c.code, AcquiredOn: on, Reason: nhi.AcquireMoveIn,
				NotifiedOn: on, NewKigo: "新宿", NewHead: c.code, Number: c.number, Branch: "01"})
			f.confirm(t, p, err)
		}

		day := today.AddDate(0, 0, -1)
		second := movesFile(t, day, []move{
			{"21", "8001", "髙橋　一郎", "ﾀｶﾊｼ ｲﾁﾛｳ", "東京都新宿区北新宿一丁目１番１号", born},
			{"31", "8002", "山﨑　花子", "ﾔﾏｻﾞｷ ﾊﾅｺ", "北海道札幌市中央区北一条西二丁目", born},
			{"32", "8003", "佐藤　次郎", "ｻﾄｳ ｼﾞﾛｳ", "東京都新宿区歌舞伎町一丁目１番", born},
			{"31", "8001", "髙橋　一郎", "ﾀｶﾊｼ ｲﾁﾛｳ", "大阪府大阪市北区", born},
		})
		job, _, err := f.linkage.Import(ctx, request(shinjuku, second))
		if err != nil {
			t.Fatal(err)
		}
		r, err = f.residents.Get(clerk, shinjuku, "8001")
		if err != nil || r.Address != "東京都新宿区北新宿一丁目１番１号" || r.Version != 2 {
			t.Fatalf("changed resident 8001: %+v %v", r, err)
		}
		for _, c := range []struct{ code, kind string }{{"8001", resident.MovedOut}, {"8002", resident.MovedOut}, {"8003", resident.Deceased}} {
			d, ok, err := f.residents.Departure(clerk, shinjuku, c.code)
			if err != nil || !ok || d.Kind != c.kind || !d.Effective.Equal(day) {
				t.Errorf("departure of %s: %+v %v %v, want %s on %v", c.code, d, ok, err, c.kind, day)
			}
		}
		// The NHI section records 8002's loss from the day it moved out
		// (confirmed by a checker); 8003's death is not recorded yet.
		p, err := f.nhi.ProposeLoss(clerk, shinjuku, nhi.LossInput{ResidentCode: "8002", LostOn: day.Format(time.DateOnly), Reason: nhi.LossMoveOut,
			NotifiedOn: today.Format(time.DateOnly)})
		f.confirm(t, p, err)
		// Only the insured are on the NHI work list; 8001 never was. Each
		// move shows the NHI entry recorded for it, if any.
		moves, err := firstMoves(f.linkage, clerk, shinjuku, "open")
		if err != nil {
			t.Fatal(err)
		}
		if len(moves) != 2 || moves[0].ResidentCode != "8002" || moves[0].Kind != resident.MovedOut || moves[1].ResidentCode != "8003" ||
			moves[1].Kind != resident.Deceased || moves[0].Job != job.ID || !moves[1].Effective.Equal(day) {
			t.Fatalf("work list %+v", moves)
		}
		if e := moves[0].Entry; e == nil || e.Kind != "loss" || !e.Date.Equal(day) || e.RecordedBy == "" || e.ID == 0 || moves[1].Entry != nil {
			t.Fatalf("the NHI entries recorded for the moves: %+v, %+v", moves[0].Entry, moves[1].Entry)
		}
		if other, _ := firstMoves(f.linkage, clerk, sapporo, ""); len(other) != 0 {
			t.Errorf("Sapporo sees Shinjuku's moves: %+v", other)
		}
		if err := f.linkage.DoneNHIMove(clerk, shinjuku, moves[0].Job, moves[0].Line); err != nil {
			t.Fatal(err)
		}
		if err := f.linkage.DoneNHIMove(clerk, shinjuku, moves[0].Job, moves[0].Line); err == nil {
			t.Error("a move dealt with twice")
		}
		if open, _ := firstMoves(f.linkage, clerk, shinjuku, "open"); len(open) != 1 || open[0].ResidentCode != "8003" {
			t.Errorf("open after one done: %+v", open)
		}
		all, _ := firstMoves(f.linkage, clerk, shinjuku, "")
		if len(all) != 2 || all[0].Status != "done" || all[0].DoneBy != "clerk" {
			t.Errorf("all: %+v", all)
		}
		// The list is read a page at a time, in its order, each page after
		// the last one shown; a cursor is good for its own list only.
		page1, err := f.linkage.NHIMoves(clerk, shinjuku, "", "", 1)
		if err != nil || len(page1.Items) != 1 || page1.Items[0].ResidentCode != "8002" || page1.Next == "" || !page1.More {
			t.Fatalf("first page of one: %+v %v", page1, err)
		}
		page2, err := f.linkage.NHIMoves(clerk, shinjuku, "", page1.Next, 1)
		if err != nil || len(page2.Items) != 1 || page2.Items[0].ResidentCode != "8003" || page2.Next != "" || page2.More {
			t.Fatalf("second page of one: %+v %v", page2, err)
		}
		if _, err := f.linkage.NHIMoves(clerk, shinjuku, "open", page1.Next, 1); !errs.Is(err, errs.Invalid) {
			t.Errorf("a cursor of every move read the open ones: %v", err)
		}
		if _, err := f.linkage.NHIMoves(clerk, shinjuku, "", page1.Next[:len(page1.Next)-2]+"xx", 1); !errs.Is(err, errs.Invalid) {
			t.Errorf("an edited cursor: %v", err)
		}
		if got := outcomes(t, db, "linkage.residents.apply"); got != "ok,ok" {
			t.Errorf("apply events %s", got)
		}
		if got := outcomes(t, db, "linkage.moves.done"); got != "ok,denied" {
			t.Errorf("done events %s", got)
		}
		// A resident who never arrived cannot leave: rejected whole, nothing applied.
		before := count(t, db, "resident_departures")
		_, _, err = f.linkage.Import(ctx, request(shinjuku, movesFile(t, day, []move{{"31", "9999", "某　某", "ﾎﾞｳ", "東京都", born}})))
		if err == nil || count(t, db, "resident_departures") != before {
			t.Fatalf("unknown resident's move: %v", err)
		}
	})
}

// firstMoves reads the first page of tenant's NHI work list of moves.
func firstMoves(s *linkage.Service, ctx context.Context, tenant, status string) ([]linkage.NHIMove, error) {
	page, err := s.NHIMoves(ctx, tenant, status, "", 0)
	return page.Items, err
}
