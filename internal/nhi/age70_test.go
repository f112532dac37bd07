package nhi_test

import (
	"strings"
	"testing"
	"time"

	"bango/internal/nhi"
	"bango/internal/store"
	"bango/internal/testutil"
)

// R-NHI-3, R-NHI-2: a member whose 70–74 cost share starts inside a
// period (the first of the month after the 70th birthday; for one born on
// the 1st, the birthday month itself) has the household decided from that
// day by the daily job — a first decision when nobody in the household was
// 70–74 on 1 August, otherwise a re-decision that now counts them — with
// the documents printing a ratio that changed reissued (reason changed,
// the old kept and replaced from the day). A rerun decides and issues
// nothing again; a day still ahead waits; missing incomes are a failed
// event once, not every hour. Dates checked by hand (today 2026-12-02):
//
//	650001 born 1956-09-15: 70th year reached 2026-09-14 → from 2026-10-01
//	650002 born 1956-11-01: reached 2026-10-31 → from 2026-11-01 (born on the 1st)
//	650004 born 1956-10-03: reached 2026-10-02 → from 2026-11-01
//	650005 born 1957-01-05: reached 2027-01-04 → from 2027-02-01 (after today)
func TestCostShareFromTurning70(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		for _, r := range [][2]string{
			{"650001", "1956-09-15"},
			{"650002", "1956-11-01"},
			{"650003", "1954-05-10"}, // 72: head of 650002's household, decided on 1 August
			{"650004", "1956-10-03"},
			{"650005", "1957-01-05"},
		} {
			f.person(t, shinjuku, r[0], "テスト", r[1])
		}
		hA := f.newHousehold(t, "650001", "650001", "2024-04-01", "6501")
		hB := f.newHousehold(t, "650003", "650003", "2024-04-01", "6503")
		f.join(t, "650002", hB, "2024-04-01", "6503", "02")
		hD := f.newHousehold(t, "650004", "650004", "2024-04-01", "6504")
		hE := f.newHousehold(t, "650005", "650005", "2024-04-01", "6505")
		for code, want := range map[string]string{"650001": "2026-10-01", "650002": "2026-11-01", "650004": "2026-11-01", "650005": "2027-02-01"} {
			rec, err := f.nhi.Get(testutil.As("clerk"), shinjuku, code, "2026-12-02")
			if err != nil || nhi.Date(rec.Elderly70From) != want {
				t.Errorf("%s: 70–74 cost share from %s, want %s (%v)", code, nhi.Date(rec.Elderly70From), want, err)
			}
		}
		f.incomeOf(t, "650001", "0", "2000000", "1000000")
		// 650003 alone: 課税所得 150万, 収入 300万 < 383万: 2割. With 650002
		// (収入 250万): 550万 ≥ 520万 for two: 3割.
		f.incomeOf(t, "650003", "1500000", "3000000", "2200000")
		f.incomeOf(t, "650002", "0", "2500000", "2000000")
		f.incomeOf(t, "650004", "0", "2000000", "1000000")
		clerk := testutil.As("clerk")
		if d, err := f.nhi.DetermineCostShare(clerk, shinjuku, hB, "2026-08-01"); err != nil || d.Ratio != 2 || len(d.Basis.Members) != 1 {
			t.Fatalf("hB on 1 August: %+v %v", d, err)
		}
		// 650003 holds a 高齢受給者証 and a 資格確認書 printing 2割.
		var held []nhi.Document
		for _, in := range []nhi.DocumentInput{
			{ResidentCode: "650003", Kind: nhi.DocElderly, IssuedOn: "2026-08-01", ValidUntil: "2027-07-31", Delivery: nhi.DeliveryMail, Reason: nhi.IssueNew},
			{ResidentCode: "650003", Kind: nhi.DocCertificate, IssuedOn: "2026-08-01", ValidUntil: "2031-07-31", Delivery: nhi.DeliveryMail, Reason: nhi.IssueNew},
		} {
			d, err := f.nhi.IssueDocument(clerk, shinjuku, in)
			if err != nil || d.CostShareRatio != 2 {
				t.Fatalf("%s: %+v %v", in.Kind, d, err)
			}
			held = append(held, d)
		}
		// A clerk already decided hD from the day: the job finds it alike.
		if _, err := f.nhi.DetermineCostShare(clerk, shinjuku, hD, "2026-11-01"); err != nil {
			t.Fatal(err)
		}

		system := testutil.As("system:jobs")
		if n, err := f.nhi.ApplyDueAge70(system); err != nil || n != 3 {
			t.Fatalf("the job: %d handled, %v; want 3", n, err)
		}
		outcome := func(code, from string) string {
			t.Helper()
			o, err := f.nhi.Age70Outcome(clerk, shinjuku, code, day(from))
			if err != nil {
				t.Fatal(err)
			}
			return o
		}
		for _, c := range []struct{ code, from, want string }{
			{"650001", "2026-10-01", nhi.Age70Decided}, {"650002", "2026-11-01", nhi.Age70Decided},
			{"650004", "2026-11-01", nhi.Age70Unchanged}, {"650005", "2027-02-01", ""},
		} {
			if got := outcome(c.code, c.from); got != c.want {
				t.Errorf("%s from %s: %q, want %q", c.code, c.from, got, c.want)
			}
		}
		// hA: its first decision, from 1 October.
		ds := f.decisions(t, hA)
		if len(ds) != 1 || nhi.Date(ds[0].PeriodFrom) != "2026-10-01" || nhi.Date(ds[0].PeriodTo) != "2027-07-31" || ds[0].Ratio != 2 ||
			ds[0].Cause != nhi.CauseHousehold || !strings.Contains(ds[0].CauseDetail, "650001") || len(ds[0].Basis.Members) != 1 {
			t.Errorf("hA: %+v", ds)
		}
		// hB: decided again from 1 November, now 3割 for both.
		ds = f.decisions(t, hB)
		if len(ds) != 2 || nhi.Date(ds[0].PeriodFrom) != "2026-11-01" || ds[0].Ratio != 3 || len(ds[0].Basis.Members) != 2 ||
			ds[0].Basis.RevenueTotal != 5_500_000 || !strings.Contains(ds[0].CauseDetail, "member 650002 aged 70–74 from 2026-11-01") ||
			ds[1].Ratio != 2 || nhi.Date(ds[1].PeriodFrom) != "2026-08-01" {
			t.Errorf("hB: %+v", ds)
		}
		if ds := f.decisions(t, hD); len(ds) != 1 {
			t.Errorf("hD decided again though alike: %+v", ds)
		}
		// 650003's two documents printing 2割 are reissued printing 3割.
		docs, err := f.nhi.Documents(clerk, shinjuku, "650003")
		if err != nil || len(docs) != 4 {
			t.Fatalf("650003's documents: %+v %v", docs, err)
		}
		newCert, newCard, oldCert, oldCard := docs[0], docs[1], docs[2], docs[3]
		if newCard.Kind != nhi.DocElderly || newCard.Reason != nhi.IssueChanged || newCard.Replaces != held[0].ID || newCard.CostShareRatio != 3 ||
			newCard.CostShareDecision != ds[0].ID || nhi.Date(newCard.ValidFrom) != "2026-11-01" || nhi.Date(newCard.ValidUntil) != "2027-07-31" ||
			nhi.Date(newCard.IssuedOn) != "2026-12-02" || newCard.Delivery != nhi.DeliveryMail || newCard.Status != "valid" ||
			newCard.InsuredNumber != held[0].InsuredNumber {
			t.Errorf("the 高齢受給者証 reissued: %+v", newCard)
		}
		if newCert.Kind != nhi.DocCertificate || newCert.Reason != nhi.IssueChanged || newCert.Replaces != held[1].ID || newCert.CostShareRatio != 3 ||
			nhi.Date(newCert.ValidUntil) != "2031-07-31" || newCert.Status != "valid" {
			t.Errorf("the 資格確認書 reissued: %+v", newCert)
		}
		for _, old := range []nhi.Document{oldCard, oldCert} {
			if old.CostShareRatio != 2 || old.Status != "replaced" || len(old.Events) != 1 || nhi.Date(old.Events[0].EffectiveOn) != "2026-11-01" {
				t.Errorf("the document replaced keeps its ratio: %+v", old)
			}
		}
		if n := testutil.CountEvents(t, db, `action = 'nhi.document.issue' AND outcome = 'ok' AND subject_id = '650003' AND detail LIKE '%reason=changed%source=cost_share_decision%'`); n != 2 {
			t.Errorf("%d reissue events, want 2", n)
		}
		if n := testutil.CountEvents(t, db, `action = 'nhi.cost_share' AND outcome = 'ok' AND subject_id IN ('650002', '650003') AND detail LIKE '%650002 aged 70%'`); n != 2 {
			t.Errorf("%d decision events of hB's members, want 2", n)
		}

		// Again the same day: nothing.
		before := rows(t, db)
		if n, err := f.nhi.ApplyDueAge70(system); err != nil || n != 0 {
			t.Errorf("rerun: %d %v", n, err)
		}
		if got := rows(t, db); got != before {
			t.Errorf("a rerun wrote %d rows", got-before)
		}

		// On 1 February 650005 is handled: no income entered, so the
		// household is a failed event, once.
		f.now = time.Date(2027, 2, 1, 9, 0, 0, 0, today.Location())
		if n, err := f.nhi.ApplyDueAge70(system); err != nil || n != 1 {
			t.Fatalf("1 February: %d %v", n, err)
		}
		if got := outcome("650005", "2027-02-01"); got != nhi.Age70Refused {
			t.Errorf("650005: %q, want refused", got)
		}
		if ds := f.decisions(t, hE); len(ds) != 0 {
			t.Errorf("hE decided without its income: %+v", ds)
		}
		failed := `action = 'nhi.cost_share' AND outcome = 'error' AND subject_type = 'nhi_household' AND subject_id = '` + itoa(hE) + `'`
		if n := testutil.CountEvents(t, db, failed); n != 1 {
			t.Errorf("%d failed events of hE, want 1", n)
		}
		if n, err := f.nhi.ApplyDueAge70(system); err != nil || n != 0 || testutil.CountEvents(t, db, failed) != 1 {
			t.Errorf("rerun on 1 February: %d %v", n, err)
		}
	})
}
