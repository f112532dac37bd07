package linkage_test

import (
	"strconv"
	"testing"
	"time"

	"bango/internal/linkage"
	"bango/internal/nhi"
	"bango/internal/resident"
	"bango/internal/store"
	"bango/internal/testutil"
)

// R-LNK-1: a resident who moved out and comes back (a new record, 転入,
// for a code bango keeps) is applied as a return: reinstated with the
// record's basic items, the departure ended, and the history kept — when
// they left and came back, and which files said so. A return dated on or
// before the move out, a deceased resident's "return" and a new record
// for a resident who never left are still rejected whole, naming the line
// and field, and nothing of those files is applied.
func TestResidentReturns(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.partner(t, shinjuku, false)
		today := time.Now().In(time.FixedZone("JST", 9*60*60))
		day := func(ago int) time.Time {
			return time.Date(today.Year(), today.Month(), today.Day()-ago, 0, 0, 0, 0, time.UTC)
		}
		born := time.Date(1985, 4, 1, 0, 0, 0, 0, time.UTC)
		ctx, clerk := testutil.As("cli:operator"), testutil.As("clerk")
		imp := func(d time.Time, recs ...move) (linkage.Job, *linkage.Report, error) {
			return f.linkage.Import(ctx, request(shinjuku, movesFile(t, d, recs)))
		}
		if _, _, err := imp(day(20),
			move{"11", "8101", "鈴木　一郎", "ｽｽﾞｷ ｲﾁﾛｳ", "東京都新宿区西新宿二丁目８番１号", born},
			move{"11", "8102", "田中　三郎", "ﾀﾅｶ ｻﾌﾞﾛｳ", "東京都新宿区西新宿二丁目８番１号", born},
			move{"11", "8103", "伊藤　四郎", "ｲﾄｳ ｼﾛｳ", "東京都新宿区西新宿二丁目８番１号", born},
			move{"11", "8104", "渡辺　五郎", "ﾜﾀﾅﾍﾞ ｺﾞﾛｳ", "東京都新宿区西新宿二丁目８番１号", born}); err != nil {
			t.Fatal(err)
		}
		// 8101 is insured by the NHI when they leave; 8104 is not.
		on := day(15).Format(time.DateOnly)
		p, err := f.nhi.ProposeAcquisition(clerk, shinjuku, nhi.AcquisitionInput{ResidentCode: "8101", AcquiredOn: on, Reason: nhi.AcquireMoveIn,
			NotifiedOn: on, NewKigo: "新宿", NewHead: "8101", Number: "8901", Branch: "01"})
		f.confirm(t, p, err)
		left, _, err := imp(day(10),
			move{"31", "8101", "鈴木　一郎", "ｽｽﾞｷ ｲﾁﾛｳ", "大阪府大阪市北区", born},
			move{"32", "8102", "田中　三郎", "ﾀﾅｶ ｻﾌﾞﾛｳ", "東京都新宿区西新宿二丁目８番１号", born},
			move{"31", "8104", "渡辺　五郎", "ﾜﾀﾅﾍﾞ ｺﾞﾛｳ", "大阪府堺市", born})
		if err != nil {
			t.Fatal(err)
		}

		// Refused: a return on the day of the move out, the deceased, and
		// one who never left — each file whole.
		for _, c := range []struct {
			name  string
			on    time.Time
			rec   move
			field string
		}{
			{"return on the day of leaving", day(10), move{"11", "8101", "鈴木　一郎", "ｽｽﾞｷ ｲﾁﾛｳ", "東京都新宿区北新宿一丁目１番１号", born}, "effective"},
			{"deceased", day(2), move{"11", "8102", "田中　三郎", "ﾀﾅｶ ｻﾌﾞﾛｳ", "東京都新宿区北新宿一丁目１番１号", born}, "resident_code"},
			{"never left", day(2), move{"11", "8103", "伊藤　四郎", "ｲﾄｳ ｼﾛｳ", "東京都新宿区北新宿一丁目１番１号", born}, "resident_code"},
		} {
			job, rep, err := imp(c.on, c.rec)
			if err == nil || job.Outcome != linkage.Rejected || rep == nil || len(rep.Problems) != 1 || rep.Problems[0].Line != 2 || rep.Problems[0].Field != c.field {
				t.Errorf("%s: %v %+v %+v", c.name, err, job, rep)
			}
		}
		if n := count(t, db, "resident_returns"); n != 0 {
			t.Fatalf("%d returns recorded by rejected files", n)
		}

		back, _, err := imp(day(2), move{"13", "8101", "鈴木　一郎", "ｽｽﾞｷ ｲﾁﾛｳ", "東京都新宿区北新宿一丁目１番１号", born},
			move{"11", "8104", "渡辺　五郎", "ﾜﾀﾅﾍﾞ ｺﾞﾛｳ", "東京都新宿区北新宿一丁目２番", born})
		if err != nil || back.Outcome != linkage.Applied {
			t.Fatalf("return: %v %+v", err, back)
		}
		// The NHI work list: 8101 when they left (insured then) and again
		// as returned, for staff to record the acquisition; 8104 was never
		// insured and is on it neither time.
		moves, err := firstMoves(f.linkage, clerk, shinjuku, "open")
		if err != nil {
			t.Fatal(err)
		}
		if len(moves) != 2 || moves[0].ResidentCode != "8101" || moves[0].Kind != resident.MovedOut || moves[0].Job != left.ID ||
			moves[1].ResidentCode != "8101" || moves[1].Kind != linkage.KindReturned || moves[1].Job != back.ID || moves[1].Change != "13" ||
			!moves[1].Effective.Equal(day(2)) {
			t.Fatalf("NHI work list after the returns: %+v", moves)
		}
		if moves[0].Entry != nil || moves[1].Entry != nil {
			t.Fatalf("NHI entries shown before any is recorded: %+v %+v", moves[0].Entry, moves[1].Entry)
		}
		// Staff record the loss from the move out and the acquisition on
		// the return: each item shows the entry recorded for it.
		p, err = f.nhi.ProposeLoss(clerk, shinjuku, nhi.LossInput{ResidentCode: "8101", LostOn: day(10).Format(time.DateOnly), Reason: nhi.LossMoveOut,
			NotifiedOn: day(9).Format(time.DateOnly)})
		f.confirm(t, p, err)
		back2 := day(2).Format(time.DateOnly)
		p, err = f.nhi.ProposeAcquisition(clerk, shinjuku, nhi.AcquisitionInput{ResidentCode: "8101", AcquiredOn: back2, Reason: nhi.AcquireMoveIn,
			NotifiedOn: back2, NewKigo: "新宿", NewHead: "8101", Number: "8901", Branch: "01"})
		f.confirm(t, p, err)
		if moves, err = firstMoves(f.linkage, clerk, shinjuku, "open"); err != nil || len(moves) != 2 || moves[0].Entry == nil || moves[1].Entry == nil ||
			moves[0].Entry.Kind != "loss" || !moves[0].Entry.Date.Equal(day(10)) || moves[1].Entry.Kind != "acquire" || !moves[1].Entry.Date.Equal(day(2)) {
			t.Fatalf("the entries recorded for the moves: %+v %v", moves, err)
		}
		r, err := f.residents.Get(clerk, shinjuku, "8101")
		if err != nil || r.Address != "東京都新宿区北新宿一丁目１番１号" || r.Version != 2 {
			t.Fatalf("returned resident: %+v %v", r, err)
		}
		if d, ok, err := f.residents.Departure(clerk, shinjuku, "8101"); err != nil || ok {
			t.Errorf("the returned resident still has a departure: %+v %v %v", d, ok, err)
		}
		rets, err := f.linkage.Returns(clerk, shinjuku, "8101")
		if err != nil || len(rets) != 1 || !rets[0].DepartedOn.Equal(day(10)) || !rets[0].ReturnedOn.Equal(day(2)) || rets[0].Change != "13" ||
			rets[0].DepartureSource != "linkage job "+strconv.FormatInt(left.ID, 10) || rets[0].Source != "linkage job "+strconv.FormatInt(back.ID, 10) {
			t.Fatalf("history of the return: %+v %v", rets, err)
		}
		// The deceased stays deceased; the register still has everyone once.
		if _, ok, _ := f.residents.Departure(clerk, shinjuku, "8102"); !ok {
			t.Error("the deceased resident lost the departure")
		}
		// Leaving again after the return is an ordinary move out.
		if _, _, err := imp(day(1), move{"31", "8101", "鈴木　一郎", "ｽｽﾞｷ ｲﾁﾛｳ", "福岡県福岡市", born}); err != nil {
			t.Fatal(err)
		}
		if d, ok, _ := f.residents.Departure(clerk, shinjuku, "8101"); !ok || !d.Effective.Equal(day(1)) {
			t.Errorf("leaving again: %+v %v", d, ok)
		}
		if got := outcomes(t, db, "linkage.residents.apply"); got != "ok,ok,ok,ok" {
			t.Errorf("apply events %s", got)
		}
	})
}
