package pubmed_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"bango/internal/errs"
	"bango/internal/pubmed"
	"bango/internal/store"
	"bango/internal/testutil"
)

// R-PUB-3: evidence papers are kept in a cabinet that is locked and in a
// staff-only area; one that is not cannot be chosen (a field error, and
// nothing written); a paper's move and its disposal are recorded with who,
// when and why.
func TestEvidenceCabinets(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		clerk := testutil.As("clerk")
		app := f.apply(t, newApplication("700001"))
		add := func(name string, locked, staffOnly bool) pubmed.Cabinet {
			c, err := f.pub.AddCabinet(clerk, shinjuku, pubmed.CabinetInput{Name: name, Location: "保健所2階 書庫", Locked: locked, StaffOnly: staffOnly})
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		safe, safe2 := add("書庫A", true, true), add("書庫B", true, true)
		unlocked, public := add("受付横の棚", false, true), add("待合の書棚", true, false)
		if _, err := f.pub.AddCabinet(clerk, shinjuku, pubmed.CabinetInput{Name: "書庫A", Location: "x", Locked: true, StaffOnly: true}); fieldsOf(err) != "name" {
			t.Errorf("a second 書庫A: %v", err)
		}
		for _, c := range []struct {
			name    string
			cabinet int64
		}{{"not locked", unlocked.ID}, {"not staff-only", public.ID}, {"no such cabinet", 9999}} {
			before := rows(t, db)
			_, err := f.pub.StoreEvidence(clerk, shinjuku, app.ID, pubmed.EvidenceInput{Description: "診断書", Cabinet: c.cabinet})
			if fieldsOf(err) != "cabinet" {
				t.Errorf("%s: %v", c.name, err)
			}
			if rows(t, db) != before {
				t.Errorf("%s: rows written", c.name)
			}
		}
		ev, err := f.pub.StoreEvidence(clerk, shinjuku, app.ID, pubmed.EvidenceInput{Description: "臨床調査個人票", Cabinet: safe.ID})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.pub.MoveEvidence(clerk, shinjuku, ev.ID, unlocked.ID, "整理"); fieldsOf(err) != "to_cabinet" {
			t.Errorf("moved to an unlocked cabinet: %v", err)
		}
		if _, err := f.pub.MoveEvidence(clerk, shinjuku, ev.ID, safe2.ID, ""); fieldsOf(err) != "reason" {
			t.Errorf("moved without reason: %v", err)
		}
		if ev, err = f.pub.MoveEvidence(clerk, shinjuku, ev.ID, safe2.ID, "書庫Aの改修"); err != nil || ev.Cabinet != safe2.ID {
			t.Fatalf("move: %+v %v", ev, err)
		}
		if ev, err = f.pub.DisposeEvidence(clerk, shinjuku, ev.ID, "保存期間の満了（裁断）"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.pub.DisposeEvidence(clerk, shinjuku, ev.ID, "二度目"); fieldsOf(err) != "evidence" {
			t.Errorf("disposed twice: %v", err)
		}
		var got []string
		for _, e := range ev.Events {
			got = append(got, e.Event+" "+e.By+" "+e.Reason)
		}
		if d := cmp.Diff([]string{"stored clerk ", "moved clerk 書庫Aの改修", "disposed clerk 保存期間の満了（裁断）"}, got); d != "" || ev.Cabinet != 0 || ev.DisposedOn.IsZero() {
			t.Errorf("history (-want +got):\n%s %+v", d, ev)
		}
		if ev.Events[1].FromCabinet != safe.ID || ev.Events[1].ToCabinet != safe2.ID {
			t.Errorf("move: %+v", ev.Events[1])
		}
		cabs, err := f.pub.Cabinets(clerk, shinjuku)
		if err != nil || len(cabs) != 4 {
			t.Fatalf("cabinets: %v %v", cabs, err)
		}
		if _, err := f.pub.MoveEvidence(testutil.As("sapporo"), sapporo, ev.ID, safe.ID, "x"); !errs.Is(err, errs.NotFound) {
			t.Errorf("Sapporo moves Shinjuku's paper: %v", err)
		}
		if n := testutil.CountEvents(t, db, "action IN ('pubmed.evidence.store', 'pubmed.evidence.move', 'pubmed.evidence.dispose') AND outcome = 'ok'"); n != 3 {
			t.Errorf("%d ledger events", n)
		}
	})
}
