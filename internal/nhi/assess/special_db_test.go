package assess_test

import (
	"strconv"
	"strings"
	"testing"

	"bango/internal/errs"
	"bango/internal/nhi"
	"bango/internal/nhi/assess"
	"bango/internal/nhi/premium"
	"bango/internal/store"
	"bango/internal/testutil"
)

// R-NHI-4 (特別徴収): with the pension insurer's notice of the head
// recorded, the yearly run collects the couple's premium from the head's
// pension in the six pension months; before it, ordinary instalments with
// the reason; a wrong notice is refused naming its field.
func TestSpecialCollectionRun(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		clerk := testutil.As("clerk")
		f.person(t, "730001", "1955-01-01") // H, 71
		f.person(t, "730002", "1958-06-01") // W, 67
		hh := f.household(t, "730001", "730001", "2020-04-01", "7301")
		p, err := f.nhi.ProposeAcquisition(clerk, shinjuku, nhi.AcquisitionInput{ResidentCode: "730002", AcquiredOn: "2020-04-01",
			Reason: nhi.AcquireMoveIn, NotifiedOn: "2020-04-01", Household: hh, Number: "7302", Branch: "01"})
		f.enter(t, p, err)
		f.revenue(t, "730001", 0, 0, 0)
		f.revenue(t, "730002", 0, 0, 0)
		f.confirmRates(t, ratesFile(t, nil))
		if _, err := f.assess.Assess(clerk, shinjuku, 2026, nil); err != nil {
			t.Fatal(err)
		}
		hist, _ := f.assess.History(clerk, shinjuku, hh)
		if len(hist) != 1 || hist[0].Result.Collection.Method != premium.Ordinary || len(hist[0].Result.Instalments) != 8 ||
			len(hist[0].Result.Collection.Reasons) != 1 || hist[0].Result.Collection.Reasons[0] != "no_pension_notice" {
			t.Fatalf("without a notice: %+v", hist)
		}
		for _, c := range []struct {
			in   assess.PensionNoticeInput
			want string
		}{
			{assess.PensionNoticeInput{ResidentCode: "730001", FiscalYear: 2026, Annual: -1}, "annual"},
			{assess.PensionNoticeInput{ResidentCode: "730001", FiscalYear: 2020, Annual: 1}, "fiscal_year"},
			{assess.PensionNoticeInput{ResidentCode: "799999", FiscalYear: 2026, Annual: 1}, "resident_code"},
		} {
			if err := f.assess.RecordPensionNotice(clerk, shinjuku, c.in); fields(err) != c.want {
				t.Errorf("%+v: refused on %q, want %s", c.in, fields(err), c.want)
			}
		}
		if n := count(t, db, "nhi_pension_notices"); n != 0 {
			t.Fatalf("refused notices wrote %d rows", n)
		}
		// 40,300 yen (TestSpecialCollection in internal/nhi/premium: 7割,
		// two insured of 65 and over) + 介護保険料 70,000 ≤ 1,200,000 ÷ 2.
		if err := f.assess.RecordPensionNotice(clerk, shinjuku, assess.PensionNoticeInput{ResidentCode: "730001", FiscalYear: 2026,
			Annual: 1_200_000, CarePremium: 70_000, CareSpecial: true}); err != nil {
			t.Fatal(err)
		}
		r, err := f.assess.Assess(clerk, shinjuku, 2026, nil)
		if err != nil || r.Reassessed != 1 {
			t.Fatalf("run after the notice: %+v %v", r, err)
		}
		hist, _ = f.assess.History(clerk, shinjuku, hh)
		a := hist[0].Result
		// Not collected from the pension last February: newly, from October
		// (6,700 in October, December and February), July to September
		// ordinary (6,800, 6,700, 6,700).
		if a.Total != 40_300 || a.Collection.Method != premium.Special || a.Collection.SpecialFrom != "2026-10" || len(a.Instalments) != 6 ||
			a.Instalments[0].Month != "2026-07" || a.Instalments[0].Amount != 6_800 || a.Instalments[0].Phase != "ordinary" ||
			a.Instalments[3].Month != "2026-10" || a.Instalments[3].Phase != "special" || a.Instalments[5].Amount != 6_700 || hist[0].Difference != 0 {
			t.Errorf("special collection: %+v", a)
		}
		if got := testutil.Outcomes(t, db, "nhi.pension_notice"); len(got) != 4 {
			t.Errorf("notices recorded: %v", got)
		}

		// 仮徴収 / 本徴収: the household's assessment in force of fiscal 2025
		// collected 7,000 yen from the pension in February 2026 (stored as
		// that year's run stores it; an earlier one of the year, not in
		// force, said 9,000). The run takes 7,000 in April, June and August
		// and the rest, 40,300 − 21,000 = 19,300, in October (6,500),
		// December and February (6,400 each); the total is unchanged.
		scoped := store.WithScope(testutil.As("setup"), shinjuku)
		for seq, feb := range []int64{9_000, 7_000} {
			if err := db.Transact(scoped, func(tx *store.Tx) error {
				_, err := tx.Exec(scoped, `INSERT INTO nhi_assessments (tenant_code, fiscal_year, household_id, seq, rate_table_id, rates_version, rules_version,
					income_table_version, input_digest, input, result, total, previous_total, difference, assessed_at, assessed_by)
					SELECT tenant_code, 2025, household_id, $1, rate_table_id, rates_version, rules_version, income_table_version, 'x', input, $2, 42000, NULL, 0,
					assessed_at, assessed_by FROM nhi_assessments WHERE id = $3`, seq+1,
					`{"instalments":[{"no":6,"month":"2026-02","amount":`+strconv.FormatInt(feb, 10)+`}],"collection":{"method":"special"}}`, hist[0].ID)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		r, err = f.assess.Assess(clerk, shinjuku, 2026, nil)
		if err != nil || r.Reassessed != 1 {
			t.Fatalf("run after last year's special collection: %+v %v", r, err)
		}
		hist, _ = f.assess.History(clerk, shinjuku, hh)
		a = hist[0].Result
		var got []string
		for _, i := range a.Instalments {
			got = append(got, i.Month+" "+strconv.FormatInt(i.Amount, 10)+" "+i.Phase)
		}
		if hist[0].Input.ProvisionalBase != 7_000 || a.Collection.ProvisionalBase != 7_000 || a.Total != 40_300 || hist[0].Difference != 0 ||
			strings.Join(got, ",") != "2026-04 7000 provisional,2026-06 7000 provisional,2026-08 7000 provisional,2026-10 6500 final,2026-12 6400 final,2027-02 6400 final" {
			t.Errorf("仮徴収/本徴収: %v %+v", got, a.Collection)
		}
		if r, err := f.assess.Assess(clerk, shinjuku, 2026, nil); err != nil || r.Unchanged != 1 || r.Reassessed != 0 {
			t.Errorf("the rerun: %+v %v", r, err)
		}

		// The notices withdrawn (取消: entered for the wrong person): the next
		// run plans without them, so the household no longer qualifies
		// (no_pension_notice); April and June's 仮徴収 of 7,000 stand and the
		// rest, 40,300 − 14,000 = 26,300, is ordinary from July: 26,300 ÷ 8 =
		// 3,287 → 3,200, July 26,300 − 7 × 3,200 = 3,900.
		notices, err := f.assess.PensionNotices(clerk, shinjuku, 2026, "730001")
		if err != nil || len(notices) != 1 {
			t.Fatalf("notices: %+v %v", notices, err)
		}
		if _, err := f.assess.WithdrawPensionNotice(clerk, shinjuku, notices[0].ID, "1234-5678-9018 の通知"); fields(err) != "why" { // R-AC-4
			t.Fatalf("a reason holding a My Number: %v", err)
		}
		if _, err := f.assess.WithdrawPensionNotice(clerk, shinjuku, notices[0].ID, ""); fields(err) != "why" {
			t.Errorf("a withdrawal without why: %v", err)
		}
		if _, err := f.assess.WithdrawPensionNotice(testutil.As("clerk"), sapporo, notices[0].ID, "誤り"); !errs.Is(err, errs.NotFound) {
			t.Errorf("Sapporo withdrew Shinjuku's notice: %v", err)
		}
		if n, err := f.assess.WithdrawPensionNotice(clerk, shinjuku, notices[0].ID, "別人の通知を入力した"); err != nil || n.Withdrawn == nil || n.Withdrawn.By != "clerk" {
			t.Fatalf("withdraw: %+v %v", n, err)
		}
		if r, err := f.assess.Assess(clerk, shinjuku, 2026, nil); err != nil || r.Reassessed != 1 {
			t.Fatalf("the run after the withdrawal: %+v %v", r, err)
		}
		hist, _ = f.assess.History(clerk, shinjuku, hh)
		a = hist[0].Result
		got = nil
		for _, i := range a.Instalments {
			got = append(got, i.Month+" "+strconv.FormatInt(i.Amount, 10)+" "+i.Phase)
		}
		if a.Collection.Method != premium.Ordinary || strings.Join(a.Collection.Reasons, ",") != "no_pension_notice" || a.Total != 40_300 ||
			strings.Join(got, ",") != "2026-04 7000 provisional,2026-06 7000 provisional,2026-07 3900 ordinary,2026-08 3200 ordinary,2026-09 3200 ordinary,"+
				"2026-10 3200 ordinary,2026-11 3200 ordinary,2026-12 3200 ordinary,2027-01 3200 ordinary,2027-02 3200 ordinary" {
			t.Errorf("without the notice: %v %+v", got, a.Collection)
		}
	})
}
