package assess_test

import (
	"strconv"
	"strings"
	"testing"

	"bango/internal/errs"
	"bango/internal/nhi/assess"
	"bango/internal/store"
	"bango/internal/testutil"
)

// R-NHI-4 (減免), R-ACC-1: a decided 減免 is corrected or withdrawn only
// through a second person: the change waits in the review queue, and its
// confirmation marks the decision ended (kept, with who entered and who
// confirmed the change, and why), records a correction in the decision's
// place, and re-assesses the household keeping the assessment before and
// giving the difference. A wrong change is refused naming its field and
// writes nothing but the refusal's event; an ended decision cannot be
// changed again, also when two changes of it wait at once; the yearly run
// afterwards keeps only the decisions in force (writes nothing).
func TestRemissionChange(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		clerk := testutil.As("clerk")
		f.person(t, "720001", "1995-06-15")
		hh := f.household(t, "720001", "720001", "2020-04-01", "7201")
		f.revenue(t, "720001", 3_000_000, 0, 0)
		f.confirmRates(t, ratesFile(t, withRemissions))
		if _, err := f.assess.Assess(clerk, shinjuku, 2026, nil); err != nil {
			t.Fatal(err)
		}
		// TestRemission's two decisions: 236,300 → 災害 50% October to March
		// 177,000 → 所得の激減 30% of the 所得割 all year 130,100.
		in := assess.RemissionInput{Household: hh, FiscalYear: 2026, Reason: "disaster", FromMonth: "2026-10", ToMonth: "2027-03", Note: "り災証明書 第12号"}
		p, err := f.assess.ProposeRemission(clerk, shinjuku, in)
		f.enter(t, p, err)
		in.Reason, in.FromMonth, in.Note = "income_loss", "2026-04", "前年比 収入6割減"
		p, err = f.assess.ProposeRemission(clerk, shinjuku, in)
		f.enter(t, p, err)
		ds, err := f.assess.Remissions(clerk, shinjuku, 2026, hh)
		if err != nil || len(ds) != 2 || ds[0].Total != 130_100 || ds[0].Difference != -46_900 || ds[1].Total != 177_000 || ds[1].Status != assess.RemissionInForce {
			t.Fatalf("decisions: %+v %v", ds, err)
		}
		disaster, income := ds[1].ID, ds[0].ID

		changes := count(t, db, "review_changes")
		fix := assess.RemissionChangeInput{Remission: disaster, Action: assess.RemissionCorrect, Why: "り災の期間の誤り（証明書は1月から）",
			FromMonth: "2027-01", ToMonth: "2027-03"}
		for _, c := range []struct {
			name, want string
			edit       func(*assess.RemissionChangeInput)
		}{
			{"no reason for the change", "why", func(i *assess.RemissionChangeInput) { i.Why = " " }},
			{"a reason too long", "why", func(i *assess.RemissionChangeInput) { i.Why = strings.Repeat("あ", 501) }},
			// R-AC-4: free text that writes out a My Number.
			{"a My Number in the reason", "why", func(i *assess.RemissionChangeInput) { i.Why = "123456789018の期間の誤り" }},
			{"a My Number in the note", "note", func(i *assess.RemissionChangeInput) { i.Note = "番号 1234-5678-9018" }},
			{"an unknown action", "action", func(i *assess.RemissionChangeInput) { i.Action = "delete" }},
			{"no decision", "remission", func(i *assess.RemissionChangeInput) { i.Remission = 0 }},
			{"an unknown decision", "remission", func(i *assess.RemissionChangeInput) { i.Remission = disaster + 1000 }},
			{"the months reversed", "to_month", func(i *assess.RemissionChangeInput) { i.FromMonth, i.ToMonth = "2027-03", "2027-01" }},
			{"a month outside the year", "from_month", func(i *assess.RemissionChangeInput) { i.FromMonth = "2026-03" }},
			{"an unknown reason", "reason", func(i *assess.RemissionChangeInput) { i.Reason = "lottery" }},
			{"nothing corrected", "reason", func(i *assess.RemissionChangeInput) { i.FromMonth, i.ToMonth = "2026-10", "2027-03" }},
			{"a withdrawal with months", "from_month,to_month", func(i *assess.RemissionChangeInput) { i.Action = assess.RemissionWithdraw }},
		} {
			bad := fix
			c.edit(&bad)
			if _, err := f.assess.ProposeRemissionChange(clerk, shinjuku, bad); fields(err) != c.want {
				t.Errorf("%s: refused on %q, want %s", c.name, fields(err), c.want)
			}
		}
		// Sapporo cannot change Shinjuku's decision.
		if _, err := f.assess.ProposeRemissionChange(clerk, sapporo, fix); fields(err) != "remission" {
			t.Errorf("another municipality changed a 減免: %v", err)
		}
		if n := count(t, db, "review_changes") - changes; n != 0 {
			t.Fatalf("refused changes queued %d", n)
		}
		if got := testutil.Outcomes(t, db, "nhi.remission.change.propose"); len(got) != 13 {
			t.Errorf("refusals recorded: %v", got)
		}

		// The correction waits; the clerk cannot confirm it; nothing changes
		// until the checker does.
		p, err = f.assess.ProposeRemissionChange(clerk, shinjuku, fix)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(p.Summary, "訂正") || !strings.Contains(p.Summary, "2027-01〜2027-03") || !strings.Contains(p.Summary, "り災の期間の誤り") {
			t.Errorf("summary: %s", p.Summary)
		}
		c, err := f.review.Submit(clerk, f.User(t, "clerk"), shinjuku, p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.review.Confirm(clerk, f.User(t, "clerk"), shinjuku, c.ID, nil); err == nil {
			t.Fatal("the clerk confirmed their own correction")
		}
		// A second change of the same decision cannot wait beside it.
		wp, err := f.assess.ProposeRemissionChange(clerk, shinjuku, assess.RemissionChangeInput{Remission: disaster, Action: assess.RemissionWithdraw, Why: "申請の取下げ"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.review.Submit(clerk, f.User(t, "clerk"), shinjuku, wp); err == nil {
			t.Fatal("two changes of one decision wait at once")
		}
		if _, err := f.review.Confirm(testutil.As("checker"), f.User(t, "checker"), shinjuku, c.ID, nil); err != nil {
			t.Fatal(err)
		}
		// Corrected: 災害 50% for January to March (3 of 12 months, 12.5% of
		// each part) in its place, before 所得の激減: 医療 171,300 − 21,412
		// = 149,888 → 149,800; 支援 57,700 − 7,212 = 50,488 → 50,400; 子ども
		// 7,300 − 912 = 6,388 → 6,300. Then 30% of the 所得割: 医療 149,800
		// − 33,390 = 116,410 → 116,400; 支援 50,400 − 11,925 = 38,475 →
		// 38,400; 子ども 6,300 − 1,431 = 4,869 → 4,800. 159,600 yen: +29,500.
		hist, err := f.assess.History(clerk, shinjuku, hh)
		if err != nil || len(hist) != 4 {
			t.Fatalf("history after the correction: %+v %v", hist, err)
		}
		a := hist[0]
		if a.Total != 159_600 || a.PreviousTotal == nil || *a.PreviousTotal != 130_100 || a.Difference != 29_500 || len(a.Result.Remissions) != 2 ||
			a.Result.Remissions[0].Rule.Code != "disaster" || a.Result.Remissions[0].Months != 3 || a.Result.Remissions[0].Amount != 21_500+7_300+1_000 ||
			hist[1].Total != 130_100 {
			t.Fatalf("after the correction: %+v", a)
		}
		ds, _ = f.assess.Remissions(clerk, shinjuku, 2026, hh)
		if len(ds) != 3 {
			t.Fatalf("decisions after the correction: %+v", ds)
		}
		corrected, old := ds[0], ds[2]
		if corrected.Corrects != disaster || corrected.Status != assess.RemissionInForce || corrected.FromMonth != "2027-01" || corrected.Note != "り災証明書 第12号" ||
			corrected.ReceivedOn != old.ReceivedOn || corrected.EnteredBy != "clerk" || corrected.DecidedBy != "checker" || corrected.Assessment != a.ID ||
			corrected.Total != 159_600 || corrected.Difference != 29_500 {
			t.Errorf("the corrected decision: %+v", corrected)
		}
		if old.ID != disaster || old.Status != assess.RemissionCorrected || old.Ended == nil || old.Ended.CorrectedBy != corrected.ID ||
			old.Ended.EnteredBy != "clerk" || old.Ended.By != "checker" || old.Ended.Why != fix.Why || old.Total != 177_000 {
			t.Errorf("the decision corrected: %+v %+v", old, old.Ended)
		}
		// A change proposed before the correction is refused on confirmation:
		// the decision it names no longer holds.
		scoped := store.WithScope(testutil.As("checker"), shinjuku)
		if err := db.Transact(scoped, func(tx *store.Tx) error {
			return f.assess.ApplyRemissionChange(scoped, tx, shinjuku, []byte(`{"remission":`+strconv.FormatInt(disaster, 10)+
				`,"action":"withdraw","why":"x","household":`+strconv.FormatInt(hh, 10)+`,"fiscal_year":2026,"entered_by":"clerk"}`))
		}); !errs.Is(err, errs.Conflict) || fields(err) != "remission" {
			t.Fatalf("a withdrawal of a corrected decision applied: %v", err)
		}
		if _, err := f.assess.ProposeRemissionChange(clerk, shinjuku, assess.RemissionChangeInput{Remission: disaster, Action: assess.RemissionWithdraw, Why: "x"}); fields(err) != "remission" {
			t.Errorf("a corrected decision changed again: %v", err)
		}

		// Withdrawn: only 所得の激減 is left: 医療 171,300 − 33,390 = 137,910 →
		// 137,900; 支援 57,700 − 11,925 = 45,775 → 45,700; 子ども 7,300 −
		// 1,431 = 5,869 → 5,800. 189,400 yen: +29,800.
		p, err = f.assess.ProposeRemissionChange(clerk, shinjuku, assess.RemissionChangeInput{Remission: corrected.ID, Action: assess.RemissionWithdraw, Why: "申請の取下げ"})
		if err == nil && (!strings.Contains(p.Summary, "取消") || !strings.Contains(p.Summary, "申請の取下げ")) {
			t.Errorf("summary: %s", p.Summary)
		}
		f.enter(t, p, err)
		hist, _ = f.assess.History(clerk, shinjuku, hh)
		if len(hist) != 5 || hist[0].Total != 189_400 || hist[0].Difference != 29_800 || len(hist[0].Result.Remissions) != 1 ||
			hist[0].Result.Remissions[0].Application != income {
			t.Fatalf("after the withdrawal: %+v", hist[0])
		}
		ds, _ = f.assess.Remissions(clerk, shinjuku, 2026, hh)
		if w := ds[0]; len(ds) != 3 || w.ID != corrected.ID || w.Status != assess.RemissionWithdrawn || w.Ended == nil || w.Ended.Assessment != hist[0].ID ||
			w.Ended.Total != 189_400 || w.Ended.Difference != 29_800 || w.Ended.Why != "申請の取下げ" {
			t.Errorf("the withdrawn decision: %+v %+v", ds[0], ds[0].Ended)
		}

		// The yearly run keeps what holds: nothing written.
		r, err := f.assess.Assess(clerk, shinjuku, 2026, nil)
		if err != nil || r.Unchanged != 1 || r.Reassessed != 0 {
			t.Fatalf("run after the changes: %+v %v", r, err)
		}
		if got := testutil.Outcomes(t, db, "nhi.remission.correct"); len(got) != 1 || !strings.HasPrefix(got[0], "ok ") || !strings.Contains(got[0], "difference=29500") {
			t.Errorf("corrections recorded: %v", got)
		}
		if got := testutil.Outcomes(t, db, "nhi.remission.withdraw"); len(got) != 1 || !strings.HasPrefix(got[0], "ok ") || !strings.Contains(got[0], "difference=29800") {
			t.Errorf("withdrawals recorded: %v", got)
		}
	})
}
