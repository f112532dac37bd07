package nhi_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"bango/internal/nhi"
	"bango/internal/resident"
	"bango/internal/store"
	"bango/internal/testutil"
)

// R-NHI-1: a household and each person read as of any past date after a
// split, a merge and a change of head, with the timeline of versions and
// moves; a change that would put a person in two households, or leave a
// household without a head, is refused and writes nothing.
func TestHouseholdAsOf(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		for _, r := range [][3]string{
			{"500001", "アオキ　イチロウ", "1970-05-01"},
			{"500002", "アオキ　ハナコ", "1972-06-01"},
			{"500003", "アオキ　ジロウ", "2000-07-01"},
			{"500004", "イノウエ　サブロウ", "1965-08-01"},
			{"500005", "イノウエ　ミツコ", "1940-09-01"}, // not insured: heads a household as 擬制世帯主
		} {
			f.person(t, shinjuku, r[0], r[1], r[2])
		}
		clerk := testutil.As("clerk")
		h1 := f.newHousehold(t, "500001", "500001", "2024-04-01", "5001")
		f.join(t, "500002", h1, "2024-04-01", "5001", "02")
		f.join(t, "500003", h1, "2024-04-01", "5001", "03")
		h3 := f.newHousehold(t, "500004", "500005", "2024-04-01", "5004")
		change := func(in nhi.HouseholdChangeInput) error {
			t.Helper()
			p, err := f.nhi.ProposeHouseholdChange(clerk, shinjuku, in)
			if err == nil {
				f.enter(t, p, nil)
			}
			return err
		}
		// Refused, each naming its field.
		for _, tc := range []struct {
			name string
			in   nhi.HouseholdChangeInput
			want string
		}{
			{"a split whose new head stays behind", nhi.HouseholdChangeInput{Household: h1, Change: nhi.ChangeSplit, EffectiveOn: "2025-04-01", NotifiedOn: "2025-04-01",
				Members: []string{"500002", "500003"}, NewHead: "500001"}, "new_head"},
			{"a split taking the head away from members", nhi.HouseholdChangeInput{Household: h1, Change: nhi.ChangeSplit, EffectiveOn: "2025-04-01", NotifiedOn: "2025-04-01",
				Members: []string{"500001"}, NewHead: "500001"}, "members"},
			{"a split of someone not in the household", nhi.HouseholdChangeInput{Household: h1, Change: nhi.ChangeSplit, EffectiveOn: "2025-04-01", NotifiedOn: "2025-04-01",
				Members: []string{"500004"}, NewHead: "500004"}, "members"},
			{"a head from another household", nhi.HouseholdChangeInput{Household: h1, Change: nhi.ChangeHead, EffectiveOn: "2025-04-01", NotifiedOn: "2025-04-01",
				NewHead: "500004"}, "new_head"},
			{"the head already", nhi.HouseholdChangeInput{Household: h1, Change: nhi.ChangeHead, EffectiveOn: "2025-04-01", NotifiedOn: "2025-04-01",
				NewHead: "500001"}, "new_head"},
			{"a merge into itself", nhi.HouseholdChangeInput{Household: h1, Change: nhi.ChangeMerge, EffectiveOn: "2025-04-01", NotifiedOn: "2025-04-01", Into: h1}, "into"},
			{"before the household exists", nhi.HouseholdChangeInput{Household: h1, Change: nhi.ChangeHead, EffectiveOn: "2024-03-01", NotifiedOn: "2024-03-01",
				NewHead: "500002"}, "household"},
			{"an unknown change", nhi.HouseholdChangeInput{Household: h1, Change: "swap", EffectiveOn: "2025-04-01", NotifiedOn: "2025-04-01"}, "change"},
		} {
			before := rows(t, db)
			if got := fields(change(tc.in)); got != tc.want {
				t.Errorf("%s: fields %s, want %s", tc.name, got, tc.want)
			}
			if rows(t, db) != before {
				t.Errorf("%s: a refused change wrote rows", tc.name)
			}
		}
		// 2025-04-01: the children's household splits off, headed by 500002.
		if err := change(nhi.HouseholdChangeInput{Household: h1, Change: nhi.ChangeSplit, EffectiveOn: "2025-04-01", NotifiedOn: "2025-04-20",
			Members: []string{"500002", "500003"}, NewHead: "500002", Kigo: "新宿西"}); err != nil {
			t.Fatal(err)
		}
		rec, err := f.nhi.Get(clerk, shinjuku, "500003", "2025-04-01")
		if err != nil {
			t.Fatal(err)
		}
		h2 := rec.Person.Household
		if h2 == h1 || h2 == 0 || rec.Person.Kigo != "新宿西" {
			t.Fatalf("after the split: %+v", rec.Person)
		}
		// 2026-04-01: it merges into 500004's household (whose head is not insured).
		if err := change(nhi.HouseholdChangeInput{Household: h2, Change: nhi.ChangeMerge, EffectiveOn: "2026-04-01", NotifiedOn: "2026-04-01", Into: h3}); err != nil {
			t.Fatal(err)
		}
		// 2026-06-01: 500001's household gets a head outside NHI.
		if err := change(nhi.HouseholdChangeInput{Household: h1, Change: nhi.ChangeHead, EffectiveOn: "2026-06-01", NotifiedOn: "2026-06-01", NewHead: "500005"}); err == nil {
			t.Fatal("500005 heads a household already and became head of another")
		}
		f.person(t, shinjuku, "500006", "アオキ　タケシ", "1945-01-01")
		if err := change(nhi.HouseholdChangeInput{Household: h1, Change: nhi.ChangeHead, EffectiveOn: "2026-06-01", NotifiedOn: "2026-06-01", NewHead: "500006"}); err != nil {
			t.Fatal(err)
		}
		// The past, as it was.
		for _, tc := range []struct {
			hh      int64
			on      string
			exists  bool
			head    string
			pseudo  bool
			members []string
		}{
			{h1, "2025-03-31", true, "500001", false, []string{"500001", "500002", "500003"}},
			{h1, "2025-04-01", true, "500001", false, []string{"500001"}},
			{h2, "2025-03-31", false, "", false, []string{}},
			{h2, "2025-04-01", true, "500002", false, []string{"500002", "500003"}},
			{h2, "2026-03-31", true, "500002", false, []string{"500002", "500003"}},
			{h2, "2026-04-01", false, "", false, []string{}},
			{h3, "2026-03-31", true, "500005", true, []string{"500004"}},
			{h3, "2026-04-01", true, "500005", true, []string{"500002", "500003", "500004"}},
			{h1, "2026-05-31", true, "500001", false, []string{"500001"}},
			{h1, "2026-06-01", true, "500006", true, []string{"500001"}},
		} {
			v, err := f.nhi.Household(clerk, shinjuku, tc.hh, tc.on)
			if err != nil {
				t.Fatal(err)
			}
			if v.Exists != tc.exists || v.Head != tc.head || v.PseudoHead != tc.pseudo || !cmp.Equal(codes(v.Members), tc.members) {
				t.Errorf("household %d on %s: exists %v head %q pseudo %v members %v, want %v %q %v %v", tc.hh, tc.on, v.Exists, v.Head, v.PseudoHead,
					codes(v.Members), tc.exists, tc.head, tc.pseudo, tc.members)
			}
			page, err := f.nhi.Find(clerk, shinjuku, nhi.Query{Household: tc.hh, AsOf: tc.on}, "", 0)
			n, _, cerr := f.nhi.Count(clerk, shinjuku, nhi.Query{Household: tc.hh, AsOf: tc.on})
			if err != nil || cerr != nil || !cmp.Equal(codes(page.Items), tc.members) || n != len(tc.members) {
				t.Errorf("search of household %d on %s: %v (%d) %v %v", tc.hh, tc.on, codes(page.Items), n, err, cerr)
			}
		}
		// The timelines: nothing was overwritten.
		v, _ := f.nhi.Household(clerk, shinjuku, h2, "")
		var events []string
		for _, hv := range v.Versions {
			events = append(events, nhi.Date(hv.ValidFrom)+" "+hv.Event+" "+hv.Head+" "+itoa(hv.Related))
		}
		if want := []string{"2025-04-01 split 500002 " + itoa(h1), "2026-04-01 merged  " + itoa(h3)}; !cmp.Equal(events, want) {
			t.Errorf("versions of the split household: %q, want %q", events, want)
		}
		if !v.Versions[0].Late || v.Versions[1].Late {
			t.Errorf("a split notified after 19 days is late (遡及), one on the day is not: %+v", v.Versions)
		}
		var moves []string
		for _, m := range v.Moves {
			moves = append(moves, nhi.Date(m.On)+" "+m.ResidentCode+" "+map[bool]string{true: "joined", false: "left for " + itoa(m.Other)}[m.Joined])
		}
		if want := []string{"2025-04-01 500002 joined", "2025-04-01 500003 joined", "2026-04-01 500002 left for " + itoa(h3),
			"2026-04-01 500003 left for " + itoa(h3)}; !cmp.Equal(moves, want) {
			t.Errorf("moves of the split household: %q, want %q", moves, want)
		}
		rec, _ = f.nhi.Get(clerk, shinjuku, "500003", "2024-06-01")
		var hist []int64
		for _, m := range rec.Memberships {
			hist = append(hist, m.Household)
		}
		if rec.Person.Household != h1 || !cmp.Equal(hist, []int64{h1, h2, h3}) {
			t.Errorf("500003 on 2024-06-01 in %d, memberships %v", rec.Person.Household, hist)
		}
		// A change behind a later one is refused: records are not rewritten.
		if err := change(nhi.HouseholdChangeInput{Household: h1, Change: nhi.ChangeHead, EffectiveOn: "2026-05-01", NotifiedOn: "2026-05-01", NewHead: "500001"}); fields(err) != "effective_on,new_head" && fields(err) != "effective_on" {
			t.Errorf("a change before a later version: %v", err)
		}
		// Every member a change concerned has it as an event.
		if n := testutil.CountEvents(t, db, `action = 'nhi.household' AND subject_type = 'nhi_insured' AND subject_id = '500003'`); n != 2 {
			t.Errorf("500003 has %d household events, want 2 (split, merge)", n)
		}
	})
}

// R-NHI-1: a clerk's searches by kana, date of birth and household page
// through store.Page with the count in the database; a search by kana
// lists by the reading (カナ氏名順), the others by resident code; a
// damaged cursor, or one of the other order, is refused naming the field;
// each person listed has the search as an event.
func TestFindPages(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.person(t, shinjuku, "700001", "カトウ　イチロウ", "1970-05-01")
		f.person(t, shinjuku, "700002", "カトウ　ハナコ", "1972-06-01")
		f.person(t, shinjuku, "700003", "カトウ　ジロウ", "2000-07-01")
		f.person(t, shinjuku, "700004", "キムラ　ジロウ", "2000-07-01")
		hh := f.newHousehold(t, "700001", "700001", "2024-04-01", "7001")
		f.join(t, "700002", hh, "2024-04-01", "7001", "02")
		f.join(t, "700003", hh, "2024-04-01", "7001", "03")
		f.newHousehold(t, "700004", "700004", "2024-04-01", "7004")
		clerk := testutil.As("clerk")
		q := nhi.Query{KanaPrefix: "ｶﾄｳ"}
		first, err := f.nhi.Find(clerk, shinjuku, q, "", 2)
		// カトウ　イチロウ, カトウ　ジロウ, カトウ　ハナコ.
		if err != nil || !cmp.Equal(codes(first.Items), []string{"700001", "700003"}) || !first.More || first.Next == "" {
			t.Fatalf("first page: %+v %v", first, err)
		}
		second, err := f.nhi.Find(clerk, shinjuku, q, first.Next, 2)
		if err != nil || !cmp.Equal(codes(second.Items), []string{"700002"}) || second.More {
			t.Fatalf("second page: %+v %v", second, err)
		}
		if _, err := f.nhi.Find(clerk, shinjuku, nhi.Query{BirthDate: "2000-07-01"}, first.Next, 2); fields(err) != "cursor" {
			t.Errorf("a cursor of a search by kana, for one by date of birth: %v", err)
		}
		// A few candidates from another index (a household, a date of
		// birth) are listed by the reading too, and page by it.
		byHousehold := nhi.Query{Household: hh, KanaPrefix: "カトウ"}
		first, err = f.nhi.Find(clerk, shinjuku, byHousehold, "", 1)
		if err != nil || !cmp.Equal(codes(first.Items), []string{"700001"}) || !first.More {
			t.Fatalf("household and kana, first page: %+v %v", first, err)
		}
		second, err = f.nhi.Find(clerk, shinjuku, byHousehold, first.Next, 2)
		if err != nil || !cmp.Equal(codes(second.Items), []string{"700003", "700002"}) || second.More {
			t.Fatalf("household and kana, second page: %+v %v", second, err)
		}
		if n, over, err := f.nhi.Count(clerk, shinjuku, q); err != nil || n != 3 || over {
			t.Errorf("count: %d %v", n, err)
		}
		if _, err := f.nhi.Find(clerk, shinjuku, q, first.Next+"x", 2); fields(err) != "cursor" {
			t.Errorf("a damaged cursor: %v", err)
		}
		for _, tc := range []struct {
			q    nhi.Query
			want []string
		}{
			{nhi.Query{BirthDate: "2000-07-01"}, []string{"700003", "700004"}},
			{nhi.Query{BirthDate: "2000-07-01", KanaPrefix: "キムラ"}, []string{"700004"}},
			{nhi.Query{Number: "7001"}, []string{"700001", "700002", "700003"}},
			{nhi.Query{Number: "7001-03"}, []string{"700003"}},
			{nhi.Query{ResidentCode: "700002"}, []string{"700002"}},
			{nhi.Query{Household: hh, AsOf: "2024-03-31"}, []string{}},
		} {
			page, err := f.nhi.Find(clerk, shinjuku, tc.q, "", 0)
			if err != nil || !cmp.Equal(codes(page.Items), tc.want) {
				t.Errorf("%+v: %v %v, want %v", tc.q, codes(page.Items), err, tc.want)
			}
		}
		if _, err := f.nhi.Find(clerk, shinjuku, nhi.Query{Number: "12a", BirthDate: "2000-02-30", KanaPrefix: "abc"}, "", 0); fields(err) != "number,kana,birth_date" {
			t.Errorf("wrong search fields: %v", err)
		}
		// The first page by kana, one by date of birth, two by number, the
		// second of household and kana.
		if n := testutil.CountEvents(t, db, `action = 'nhi.search' AND subject_type = 'nhi_insured' AND subject_id = '700003'`); n != 5 {
			t.Errorf("700003 listed in %d search events, want 5", n)
		}
	})
}

// A common name's count stops at nhi.CountCap (shown as 1000件以上), and
// its pages, by the reading and then resident code, go through every
// person insured on the date once; those not insured on it are never
// listed nor counted. The rows are written in bulk as the applier would
// have (a thousand entries through the checker would take minutes).
func TestFindCountCap(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		const n = nhi.CountCap + 5
		ctx := store.WithScope(testutil.As("clerk"), shinjuku)
		at := time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)
		d := func(s string) any {
			if db.Engine() == store.SQLite {
				return s
			}
			return day(s)
		}
		err := db.Transact(ctx, func(tx *store.Tx) error {
			for i := range n + 3 {
				code := strconv.Itoa(800000 + i)
				// The names alternate so that the reading's order is not
				// the code's.
				kana := []string{"ヤマモト　タロウ", "ヤマモト　アキ"}[i%2]
				if _, err := tx.Exec(ctx, `INSERT INTO residents (tenant_code, code, name_kanji, name_kana, address, birth_date, sex, created_at, updated_at)
					VALUES ($1, $2, '山本　太郎', $3, '東京都新宿区西新宿二丁目8番1号', $4, '1', $5, $5)`, shinjuku, code, kana, d("1980-01-01"), at); err != nil {
					return err
				}
				if _, err := tx.Exec(ctx, `INSERT INTO nhi_insured (tenant_code, resident_code, number, branch, created_at) VALUES ($1, $2, $3, '01', $4)`,
					shinjuku, code, strconv.Itoa(80000+i), at); err != nil {
					return err
				}
				for j, ev := range [][2]string{{"acquire", "2024-04-01"}, {"loss", "2025-04-01"}} {
					if j == 1 && i < n {
						break // the last three lost it
					}
					if _, err := tx.Exec(ctx, `INSERT INTO nhi_eligibility_events (tenant_code, resident_code, kind, effective_date, reason, notified_on, late, source,
						recorded_at, recorded_by) VALUES ($1, $2, $3, $4, 'その他', $4, FALSE, 'entry', $5, 'test')`, shinjuku, code, ev[0], d(ev[1]), at); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		clerk := testutil.As("clerk")
		for _, tc := range []struct {
			q         nhi.Query
			want      int
			wantOver  bool
			wantPages int
		}{
			{nhi.Query{KanaPrefix: "ヤマ"}, nhi.CountCap, true, n},
			{nhi.Query{KanaPrefix: "ヤマモト", AsOf: "2025-03-31"}, nhi.CountCap, true, n + 3},
			{nhi.Query{KanaPrefix: "ヤマモト", AsOf: "2024-03-31"}, 0, false, 0},
			{nhi.Query{}, nhi.CountCap, true, n},
		} {
			got, over, err := f.nhi.Count(clerk, shinjuku, tc.q)
			if err != nil || got != tc.want || over != tc.wantOver {
				t.Errorf("count of %+v: %d over %v %v, want %d over %v", tc.q, got, over, err, tc.want, tc.wantOver)
			}
			var listed []nhi.Person
			cursor := ""
			for {
				page, err := f.nhi.Find(clerk, shinjuku, tc.q, cursor, store.MaxLimit)
				if err != nil {
					t.Fatal(err)
				}
				listed = append(listed, page.Items...)
				if page.Next == "" {
					break
				}
				cursor = page.Next
			}
			seen := map[string]bool{}
			for i, p := range listed {
				seen[p.ResidentCode] = true
				if i == 0 {
					continue
				}
				prev := listed[i-1]
				if tc.q.ByKana() && (prev.NameKana > p.NameKana || prev.NameKana == p.NameKana && prev.ResidentCode >= p.ResidentCode) ||
					!tc.q.ByKana() && prev.ResidentCode >= p.ResidentCode {
					t.Fatalf("%+v: %s %s listed before %s %s", tc.q, prev.NameKana, prev.ResidentCode, p.NameKana, p.ResidentCode)
				}
			}
			if len(listed) != tc.wantPages || len(seen) != tc.wantPages {
				t.Errorf("pages of %+v: %d listed (%d apart), want %d", tc.q, len(listed), len(seen), tc.wantPages)
			}
		}
	})
}

// Right after a bulk import leaves more residents waiting for the search
// keys than a search indexes itself, a search by the reading answers at
// once from the keys as they stand (on PostgreSQL, where it reads them)
// and says how many it may have missed, in Unindexed and its event; once
// indexed, they are found (issue 14 I).
func TestFindDoesNotWaitForABulkImport(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.person(t, shinjuku, "700001", "カトウ　イチロウ", "1970-05-01")
		f.newHousehold(t, "700001", "700001", "2024-04-01", "7001")
		clerk := testutil.As("clerk")
		if _, err := resident.IndexForSearch(clerk, db); err != nil {
			t.Fatal(err)
		}
		defer func(n int) { resident.SearchWaitsFor = n }(resident.SearchWaitsFor)
		resident.SearchWaitsFor = 2
		f.person(t, shinjuku, "700002", "カトウ　ハナコ", "1972-06-01")
		f.person(t, shinjuku, "700003", "カトウ　ジロウ", "2000-07-01")
		f.person(t, shinjuku, "700004", "キムラ　ジロウ", "2000-07-01")
		q := nhi.Query{KanaPrefix: "カトウ"}
		found, err := f.nhi.FindPage(clerk, shinjuku, q, "", 0)
		if err != nil || !cmp.Equal(codes(found.Page.Items), []string{"700001"}) {
			t.Fatalf("with 3 waiting: %v %v", codes(found.Page.Items), err)
		}
		behind := found.Unindexed
		want := 3
		if db.Engine() == store.SQLite {
			want = 0 // SQLite's search reads the register itself
		}
		if behind != want {
			t.Fatalf("Unindexed = %d; want %d", behind, want)
		}
		if db.Engine() == store.Postgres {
			if n := testutil.CountEvents(t, db, `action = 'nhi.search' AND detail LIKE '%unindexed=3%'`); n != 1 {
				t.Errorf("%d search events say the keys were behind, want 1", n)
			}
		}
		if _, err := resident.IndexForSearch(clerk, db); err != nil {
			t.Fatal(err)
		}
		if found, err := f.nhi.FindPage(clerk, shinjuku, q, "", 0); err != nil || found.Unindexed != 0 {
			t.Fatalf("after indexing: %v, unindexed %d, %v", codes(found.Page.Items), found.Unindexed, err)
		}
	})
}
