package resident_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/resident"
	"bango/internal/store"
	"bango/internal/testutil"
)

// R-AUD-4: a resident's access report lists every placed event about
// their record and their My Number within the period asked, counts the
// reveals that were granted, says the oldest and newest event it holds,
// refuses a period that ends before it starts (naming the field "to"),
// finds nobody of another municipality, and is itself an event.
func TestAccessReport(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := clerkCtx()
		if _, err := f.svc.Create(ctx, shinjuku, taro("0000000001", number1)); err != nil {
			t.Fatal(err)
		}
		viewer := audit.WithActor(context.Background(), audit.Actor{User: "viewer", Terminal: "T-02"})
		if _, err := f.svc.Reveal(viewer, shinjuku, resident.RevealRequest{Code: "0000000001", Purpose: resident.DefaultRevealPurposes[0], StepUp: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Reveal(viewer, shinjuku, resident.RevealRequest{Code: "0000000001", Purpose: resident.DefaultRevealPurposes[0]}); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("reveal without step-up: %v", err)
		}
		testutil.Place(t, db, testutil.NewSequencer(t, db, audit.SequencerOptions{Every: 100000, Period: time.Hour}))

		auditor := testutil.As("auditor")
		rep, err := f.svc.AccessReport(auditor, shinjuku, "0000000001", resident.Period{})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range rep.Events {
			got = append(got, e.Actor.User+" "+e.Action+" "+e.Outcome)
		}
		want := "viewer mynumber.reveal denied|viewer mynumber.reveal ok|clerk01 resident.create ok"
		if strings.Join(got, "|") != want || rep.Reveals != 1 || rep.More || rep.Resident.Code != "0000000001" {
			t.Fatalf("report: %q, reveals %d, more %v", got, rep.Reveals, rep.More)
		}
		if rep.Oldest.IsZero() || rep.Newest.Before(rep.Oldest) || !rep.Oldest.Equal(rep.Events[2].Time) {
			t.Fatalf("oldest %v, newest %v", rep.Oldest, rep.Newest)
		}

		// A period: the events in it, none outside it.
		now := time.Now()
		around, err := f.svc.AccessReport(auditor, shinjuku, "0000000001", resident.Period{From: now.Add(-time.Hour), To: now.Add(time.Hour)})
		if err != nil || len(around.Events) < 3 {
			t.Fatalf("the last hour: %d events, %v", len(around.Events), err)
		}
		later, err := f.svc.AccessReport(auditor, shinjuku, "0000000001", resident.Period{From: now.Add(time.Hour)})
		if err != nil || len(later.Events) != 0 || later.Reveals != 0 || !later.Oldest.IsZero() {
			t.Fatalf("from the next hour: %d events, %v", len(later.Events), err)
		}
		_, err = f.svc.AccessReport(auditor, shinjuku, "0000000001", resident.Period{From: now, To: now.Add(-24 * time.Hour)})
		if fs := errs.Fields(err); len(fs) != 1 || fs[0].Field != "to" || fs[0].Reason.JA == "" || fs[0].Reason.EN == "" {
			t.Fatalf("a period ending before it starts: %v", err)
		}
		if _, err := f.svc.AccessReport(auditor, sapporo, "0000000001", resident.Period{}); !errs.Is(err, errs.NotFound) {
			t.Fatalf("another municipality's resident: %v", err)
		}

		// Each report made is an event, with the period asked; a refused one
		// reads nothing.
		reports := testutil.Outcomes(t, db, "audit.access_report")
		if len(reports) != 3 || reports[0] != "ok events=3" || !strings.Contains(reports[1], " from=") || !strings.Contains(reports[1], " to=") {
			t.Fatalf("report events: %q", reports)
		}
	})
}
