package pubmed_test

import (
	"testing"

	"bango/internal/errs"
	"bango/internal/pubmed"
	"bango/internal/store"
	"bango/internal/testutil"
)

// R-PUB-1: the monthly co-payment record (自己負担上限額管理票) adds the
// co-payments at the designated institutions of a month up against the
// cap; the line that reaches it counts only what was left, the record
// says it was reached from that day, and later lines that month count
// nothing. A new month starts from zero. A date outside the validity or
// an institution not designated is refused and writes nothing.
func TestMonthlyCopaymentRecord(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		clerk := testutil.As("clerk")
		app := f.apply(t, newApplication("700001")) // 一般所得Ⅰ: 10,000 yen a month
		d, err := f.decide(t, app.ID, pubmed.DecisionInput{Outcome: pubmed.Approve})
		if err != nil {
			t.Fatal(err)
		}
		id := d.Certificate.ID
		type step struct {
			date, inst, amount string
			counted, total     int64
			reached            bool
		}
		for i, s := range []step{
			{"2026-11-20", "新宿中央病院", "4,000", 4000, 4000, false},
			{"2026-11-22", "西新宿薬局", "3000", 3000, 7000, false},
			{"2026-11-25", "新宿中央病院", "5000", 3000, 10000, true},
			{"2026-11-28", "西新宿薬局", "1200", 0, 10000, true},
			{"2026-12-01", "新宿中央病院", "2500", 2500, 2500, false},
		} {
			m, err := f.pub.RecordCopayment(clerk, shinjuku, id, pubmed.CopaymentInput{ServiceDate: s.date, Institution: s.inst, Amount: s.amount})
			if err != nil {
				t.Fatalf("line %d: %v", i, err)
			}
			last := m.Lines[len(m.Lines)-1]
			if last.Counted != s.counted || m.Total != s.total || m.Reached != s.reached || m.Remaining != 10000-s.total {
				t.Errorf("line %d (%s %s yen): counted %d, total %d, reached %v, remaining %d", i, s.date, s.amount, last.Counted, m.Total, m.Reached, m.Remaining)
			}
		}
		nov, err := f.pub.Month(clerk, shinjuku, id, "2026-11")
		if err != nil {
			t.Fatal(err)
		}
		if !nov.Reached || pubmed.Date(nov.ReachedOn) != "2026-11-25" || len(nov.Lines) != 4 || nov.Lines[3].Amount != 1200 || nov.Lines[3].Counted != 0 {
			t.Errorf("November: %+v", nov)
		}
		for _, c := range []struct {
			name string
			in   pubmed.CopaymentInput
			want string
		}{
			{"before the validity", pubmed.CopaymentInput{ServiceDate: "2026-11-19", Institution: "新宿中央病院", Amount: "100"}, "service_date"},
			{"an institution not designated", pubmed.CopaymentInput{ServiceDate: "2026-11-29", Institution: "渋谷病院", Amount: "100"}, "institution"},
			{"a negative amount", pubmed.CopaymentInput{ServiceDate: "2026-11-29", Institution: "新宿中央病院", Amount: "-5"}, "amount"},
			{"a future date", pubmed.CopaymentInput{ServiceDate: "2026-12-05", Institution: "新宿中央病院", Amount: "5"}, "service_date"},
		} {
			before := rows(t, db)
			_, err := f.pub.RecordCopayment(clerk, shinjuku, id, c.in)
			if got := fieldsOf(err); got != c.want {
				t.Errorf("%s: %s, want %s", c.name, got, c.want)
			}
			if rows(t, db) != before {
				t.Errorf("%s: rows written", c.name)
			}
		}
		if _, err := f.pub.Month(testutil.As("sapporo"), sapporo, id, "2026-11"); !errs.Is(err, errs.NotFound) {
			t.Errorf("Sapporo reads Shinjuku's record: %v", err)
		}
		if _, err := f.pub.Month(clerk, shinjuku, id, "2026-13"); fieldsOf(err) != "month" {
			t.Errorf("a bad month: %v", err)
		}
	})
}
