package linkage_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"bango/internal/errs"
	"bango/internal/linkage"
	"bango/internal/nhi"
	"bango/internal/store"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
)

const aggregationIn = "aggregation-in"

// insure registers residents as NHI insured persons of Shinjuku with the
// insured numbers the aggregation sample files name: 7001-01 (head) and
// 7001-02 in one household, 7002-01 in another.
func (f *fixture) insure(t *testing.T) {
	t.Helper()
	clerk := testutil.As("clerk")
	on := time.Now().In(time.FixedZone("JST", 9*60*60)).AddDate(0, 0, -3).Format(time.DateOnly)
	for _, p := range []struct{ code, kana, birth string }{{"700101", "ヤマダ　タロウ", "1980-04-01"}, {"700102", "ヤマダ　ハナ", "1982-05-02"},
		{"700201", "スズキ　ハナコ", "1989-06-15"}} {
		in := testkit.Person(p.code, "")
		in.NameKana, in.BirthDate = p.kana, p.birth
		testkit.Resident(t, f.residents, shinjuku, in)
	}
	p, err := f.nhi.ProposeAcquisition(clerk, shinjuku, nhi.AcquisitionInput{ResidentCode: "700101", AcquiredOn: on, Reason: nhi.AcquireMoveIn,
		NotifiedOn: on, NewKigo: "新宿", NewHead: "700101", Number: "7001", Branch: "01"})
	f.confirm(t, p, err)
	head, err := f.nhi.Get(clerk, shinjuku, "700101", "")
	if err != nil {
		t.Fatal(err)
	}
	p, err = f.nhi.ProposeAcquisition(clerk, shinjuku, nhi.AcquisitionInput{ResidentCode: "700102", AcquiredOn: on, Reason: nhi.AcquireMoveIn,
		NotifiedOn: on, Household: head.Person.Household, Number: "7001", Branch: "02"})
	f.confirm(t, p, err)
	p, err = f.nhi.ProposeAcquisition(clerk, shinjuku, nhi.AcquisitionInput{ResidentCode: "700201", AcquiredOn: on, Reason: nhi.AcquireMoveIn,
		NotifiedOn: on, NewKigo: "新宿", NewHead: "700201", Number: "7002", Branch: "01"})
	f.confirm(t, p, err)
}

// aggregationPartners configures the aggregation system both ways: an
// inbound partner for its three files, an outbound one for the
// eligibility-continuity file.
func (f *fixture) aggregationPartners(t *testing.T) {
	t.Helper()
	admin := testutil.As("is-admin")
	if _, err := f.linkage.AddPartner(admin, linkage.Partner{Tenant: shinjuku, ID: aggregationIn, Direction: linkage.Inbound,
		Layouts: []string{"nhi-high-cost-count", "nhi-distributed-reports", "nhi-household-continuity"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.linkage.AddPartner(admin, linkage.Partner{Tenant: shinjuku, ID: "aggregation", Direction: linkage.Outbound,
		Layouts: []string{"nhi-eligibility-continuity"}}); err != nil {
		t.Fatal(err)
	}
}

func sample(t *testing.T, layout, kind string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + layout + "." + kind + ".dat")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (f *fixture) importAggregation(t *testing.T, layout string, file []byte) (linkage.Job, error) {
	t.Helper()
	job, _, err := f.linkage.Import(testutil.As("cli:operator"), linkage.ImportRequest{Tenant: shinjuku, Partner: aggregationIn, Layout: layout,
		FileName: layout + ".DAT", Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(file)), nil }})
	return job, err
}

// eligibilityFile exports the next eligibility-continuity file and
// returns its data records as event|number|branch|continuity.
func (f *fixture) eligibilityFile(t *testing.T) (linkage.Job, []string) {
	t.Helper()
	var out bytes.Buffer
	job, _, err := f.linkage.ExportEligibility(testutil.As("cli:operator"), linkage.ExportRequest{Tenant: shinjuku, Partner: "aggregation",
		Layout: "nhi-eligibility-continuity", Insurer: "138016", FileName: "SKKZ.DAT", Out: &out}, f.nhi)
	if err != nil {
		t.Fatal(err)
	}
	l, _ := linkage.Lookup("nhi-eligibility-continuity", 1)
	var recs []string
	rep, err := linkage.Parse(bytes.NewReader(out.Bytes()), l, linkage.Options{}, func(r *linkage.Record) error {
		if r.Def.Role == linkage.Data {
			recs = append(recs, strings.Join([]string{r.Get("event").Text, r.Get("insured_number").Text, r.Get("branch").Text,
				r.Get("continuity").Text}, "|"))
		}
		return nil
	})
	if err != nil || !rep.OK() {
		t.Fatalf("the exported file does not read back: %v %v", err, rep.Err())
	}
	return job, recs
}

// R-NHI-8: the aggregation exchange end to end. Eligibility events go out
// in the eligibility-continuity file; the household-continuity judgements
// received become the NHI section's work list, where staff confirm one
// and correct the other (a correction needs its reason); the decisions go
// back in the next outbound file, once, and a decision sent cannot change.
func TestAggregationEndToEnd(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.aggregationPartners(t)
		f.insure(t)

		// Eligibility events → the outbound file.
		_, recs := f.eligibilityFile(t)
		if got := strings.Join(recs, ","); got != "1|7001|01|,1|7001|02|,1|7002|01|" {
			t.Fatalf("first file %s", got)
		}

		// Judgements → the work list.
		if _, err := f.importAggregation(t, "nhi-household-continuity", sample(t, "nhi-household-continuity", "good")); err != nil {
			t.Fatal(err)
		}
		clerk := testutil.As("clerk")
		work, err := f.linkage.ContinuityWork(clerk, shinjuku, linkage.ContinuityOpen)
		if err != nil {
			t.Fatal(err)
		}
		if len(work) != 2 || work[0].ResidentCode != "700101" || work[1].ResidentCode != "700201" || work[0].Judgement != "1" || work[1].Judgement != "2" {
			t.Fatalf("work list %+v", work)
		}
		// Nothing decided yet: the next file carries no decision.
		if _, recs := f.eligibilityFile(t); len(recs) != 0 {
			t.Fatalf("a file before any decision carries %v", recs)
		}

		// Confirm the first; correct the second, which needs a reason.
		c, err := f.linkage.DecideContinuity(clerk, shinjuku, linkage.ContinuityDecision{Job: work[0].Job, Line: work[0].Line, Decision: "1"})
		if err != nil || c.Status != linkage.ContinuityConfirmed || c.DecidedBy != "clerk" {
			t.Fatalf("confirm: %+v %v", c, err)
		}
		_, err = f.linkage.DecideContinuity(clerk, shinjuku, linkage.ContinuityDecision{Job: work[1].Job, Line: work[1].Line, Decision: "1"})
		fieldErr(t, "a correction without its reason", err, "note")
		_, err = f.linkage.DecideContinuity(clerk, shinjuku, linkage.ContinuityDecision{Job: work[1].Job, Line: work[1].Line, Decision: "1", Note: "123456789018で確認"})
		fieldErr(t, "a reason that writes out a My Number (R-AC-4)", err, "note")
		_, err = f.linkage.DecideContinuity(clerk, shinjuku, linkage.ContinuityDecision{Job: work[1].Job, Line: work[1].Line, Decision: "3"})
		fieldErr(t, "an undefined decision", err, "decision")
		c, err = f.linkage.DecideContinuity(clerk, shinjuku, linkage.ContinuityDecision{Job: work[1].Job, Line: work[1].Line, Decision: "1",
			Note: "同一世帯の継続を住民記録で確認"})
		if err != nil || c.Status != linkage.ContinuityCorrected {
			t.Fatalf("correct: %+v %v", c, err)
		}
		if open, _ := f.linkage.ContinuityWork(clerk, shinjuku, linkage.ContinuityOpen); len(open) != 0 {
			t.Errorf("still open: %+v", open)
		}

		// The confirmations → the next outbound file, once.
		job, recs := f.eligibilityFile(t)
		if got := strings.Join(recs, ","); got != "4|7001|01|1,4|7002|01|1" {
			t.Fatalf("file after the decisions: %s", got)
		}
		all, _ := f.linkage.ContinuityWork(clerk, shinjuku, "")
		for _, c := range all {
			if c.SentJob != job.ID {
				t.Errorf("judgement %s sent in %d, want %d", c.JudgementNo, c.SentJob, job.ID)
			}
		}
		if _, recs := f.eligibilityFile(t); len(recs) != 0 {
			t.Fatalf("decisions sent twice: %v", recs)
		}
		_, err = f.linkage.DecideContinuity(clerk, shinjuku, linkage.ContinuityDecision{Job: work[0].Job, Line: work[0].Line, Decision: "2", Note: "x"})
		testutil.Told(t, "a decision already sent", err, errs.Conflict, fmt.Sprintf("continuity %d/%d sent in job %d", work[0].Job, work[0].Line, job.ID), testutil.DeveloperWords)
		if got := outcomes(t, db, "linkage.continuity.decide"); got != "ok,denied,denied,denied,ok,denied" {
			t.Errorf("decide outcomes %s", got)
		}
	})
}

// R-NHI-8: the monthly high-cost counts are kept per insured person for
// the benefits module, the latest file's count of each month; a file
// naming an insured number this municipality does not have, or another
// municipality's file, is rejected whole and nothing is kept.
func TestAggregationHighCostCounts(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.aggregationPartners(t)
		good := sample(t, "nhi-high-cost-count", "good")

		// Before the insured exist: every record names an unknown person.
		_, err := f.importAggregation(t, "nhi-high-cost-count", good)
		if !strings.Contains(err.Error(), "insured_number") || count(t, db, "linkage_nhi_high_cost") != 0 {
			t.Fatalf("unknown insured: %v, %d rows kept", err, count(t, db, "linkage_nhi_high_cost"))
		}
		// Another municipality's file, and a month of care that is no month.
		other := bytes.Replace(good, []byte("138016131041"), []byte("138016011002"), 1)
		_, err = f.importAggregation(t, "nhi-high-cost-count", other)
		if err == nil || !strings.Contains(err.Error(), "municipality") {
			t.Fatalf("another municipality's file: %v", err)
		}
		badMonth := bytes.Replace(good, []byte("000000000120261003"), []byte("000000000120261303"), 1)
		_, err = f.importAggregation(t, "nhi-high-cost-count", badMonth)
		if err == nil || !strings.Contains(err.Error(), "care_month") {
			t.Fatalf("month 13: %v", err)
		}

		f.insure(t)
		job, err := f.importAggregation(t, "nhi-high-cost-count", good)
		if err != nil || job.Applied != 3 {
			t.Fatalf("import: %+v %v", job, err)
		}
		got, err := f.linkage.HighCostCounts(testutil.As("clerk"), shinjuku, "700101")
		// 多数回該当 from the fourth time in twelve months: the third is not,
		// the fourth is, each naming the rule it used.
		if err != nil || len(got) != 1 || got[0].CareMonth != "202610" || got[0].Hits != 3 || got[0].Number != "7001" || got[0].ManyTimes ||
			got[0].Rule != "kokuho-tasukai-2018-04" || got[0].Threshold != 4 {
			t.Fatalf("700101: %+v %v", got, err)
		}
		got, _ = f.linkage.HighCostCounts(testutil.As("clerk"), shinjuku, "700201")
		if len(got) != 1 || got[0].Hits != 4 || got[0].CareMonth != "202609" || !got[0].ManyTimes || got[0].Rule != "kokuho-tasukai-2018-04" {
			t.Fatalf("700201: %+v", got)
		}
		// A later file's count of the same month replaces it.
		next := bytes.Replace(good, []byte("000000000120261003"), []byte("000000000120261005"), 1)
		if _, err := f.importAggregation(t, "nhi-high-cost-count", next); err != nil {
			t.Fatal(err)
		}
		got, _ = f.linkage.HighCostCounts(testutil.As("clerk"), shinjuku, "700101")
		if len(got) != 1 || got[0].Hits != 5 || !got[0].ManyTimes {
			t.Fatalf("after the next file: %+v", got)
		}
		if n := testutil.CountEvents(t, db, `action = 'linkage.highcost.read' AND detail LIKE '%many_times=1'`); n != 2 {
			t.Errorf("%d reads record a 多数回該当 month, want 2", n)
		}
		// A month of care before any rule is not flagged.
		if _, ok := linkage.ManyTimesRuleFor("201803"); ok {
			t.Error("a rule for March 2018")
		}
		if r, ok := linkage.ManyTimesRuleFor("202612"); !ok || r.Threshold != 4 || r.Window != 12 {
			t.Errorf("the rule for December 2026: %+v", r)
		}
		if n := len(testutil.Outcomes(t, db, "linkage.highcost.read")); n != 3 {
			t.Errorf("%d reads recorded, want 3", n)
		}
	})
}

// R-NHI-8: distributed reports are kept and listed for the NHI section
// with who opened each; opening one is recorded.
func TestAggregationReports(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.aggregationPartners(t)
		_, err := f.importAggregation(t, "nhi-distributed-reports", sample(t, "nhi-distributed-reports", "bad"))
		if err == nil || count(t, db, "linkage_nhi_report_lines") != 0 {
			t.Fatalf("bad reports file: %v", err)
		}
		if _, err := f.importAggregation(t, "nhi-distributed-reports", sample(t, "nhi-distributed-reports", "good")); err != nil {
			t.Fatal(err)
		}
		list, err := f.linkage.Reports(testutil.As("clerk"), shinjuku)
		if err != nil || len(list) != 2 || list[0].No != "R000000001" || list[0].Lines != 2 || list[0].Title != "資格過誤一覧" || len(list[0].Opens) != 0 {
			t.Fatalf("list %+v %v", list, err)
		}
		r, err := f.linkage.OpenReport(testutil.As("clerk"), shinjuku, list[0].Job, "R000000001")
		if err != nil || len(r.Body) != 2 || !strings.Contains(r.Body[1], "取得日不一致") {
			t.Fatalf("open %+v %v", r, err)
		}
		if _, err := f.linkage.OpenReport(testutil.As("checker"), shinjuku, list[0].Job, "R000000001"); err != nil {
			t.Fatal(err)
		}
		_, err = f.linkage.OpenReport(testutil.As("clerk"), shinjuku, list[0].Job, "R999")
		testutil.Told(t, "no such report", err, errs.NotFound, fmt.Sprintf("report %d/R999", list[0].Job), testutil.DeveloperWords)
		_, err = f.linkage.OpenReport(testutil.As("clerk"), sapporo, list[0].Job, "R000000001")
		if !errs.Is(err, errs.NotFound) {
			t.Errorf("another municipality's report: %v", err)
		}
		list, _ = f.linkage.Reports(testutil.As("clerk"), shinjuku)
		if len(list[0].Opens) != 2 || list[0].Opens[0].By != "clerk" || list[0].Opens[1].By != "checker" || len(list[1].Opens) != 0 {
			t.Fatalf("opens %+v / %+v", list[0].Opens, list[1].Opens)
		}
		if got := outcomes(t, db, "linkage.report.open"); got != "ok,ok,denied,denied" {
			t.Errorf("open outcomes %s", got)
		}
	})
}

// fieldErr fails unless err is a refusal naming exactly field, in Japanese
// and English.
func fieldErr(t *testing.T, name string, err error, field string) {
	t.Helper()
	var fe *errs.FieldErrors
	if !errors.As(err, &fe) || len(fe.List) != 1 || fe.List[0].Field != field || fe.List[0].Reason.JA == "" || fe.List[0].Reason.EN == "" {
		t.Errorf("%s: %v, want a refusal of %s", name, err, field)
	}
}
