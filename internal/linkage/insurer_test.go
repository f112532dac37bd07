package linkage_test

import (
	"bytes"
	"testing"
	"time"

	"bango/internal/errs"
	"bango/internal/linkage"
	"bango/internal/store"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
)

// R-NHI-8: the 保険者番号 an eligibility-continuity file carries is the
// municipality's configuration, with the day it is in force from: the
// file made on a day carries the number in force that day; a
// municipality with none gets no file, told why; a number given that is
// not the configured one is refused; a wrong number or a second number
// from the same day is not configured.
func TestInsurerNumberIsConfiguration(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db) // Shinjuku: 138016 from 2000-04-01; Sapporo: none
		admin, ctx := testutil.As("cli:is-admin"), testutil.As("cli:operator")
		for _, tenant := range []string{shinjuku, sapporo} {
			if _, err := f.linkage.AddPartner(testutil.As("is-admin"), linkage.Partner{Tenant: tenant, ID: "aggregation",
				Direction: linkage.Outbound, Layouts: []string{"nhi-eligibility-continuity"}}); err != nil {
				t.Fatal(err)
			}
		}
		export := func(tenant, insurer string, on time.Time) (string, error) {
			f.linkage.SetClock(func() time.Time { return on })
			var out bytes.Buffer
			_, _, err := f.linkage.ExportEligibility(ctx, linkage.ExportRequest{Tenant: tenant, Partner: "aggregation", Layout: "nhi-eligibility-continuity",
				Insurer: insurer, FileName: "SKKZ.DAT", Out: &out}, f.nhi)
			if out.Len() >= 7 {
				return string(out.Bytes()[1:7]), err
			}
			return "", err
		}

		now := time.Now()
		_, err := export(sapporo, "", now)
		testutil.Told(t, "no insurer number", err, errs.Invalid, "no insurer number of "+sapporo+" in force on "+now.In(time.FixedZone("JST", 9*60*60)).Format(time.DateOnly)+
			" (set it with bango linkage insurer set)", testutil.DeveloperWords)

		// A merger: a new number from 2027-04-01 (JST).
		if _, err := f.linkage.SetInsurerNumber(admin, shinjuku, "138999", time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC)); err != nil {
			t.Fatal(err)
		}
		jst := time.FixedZone("JST", 9*60*60)
		for _, c := range []struct {
			on   time.Time
			want string
		}{
			{time.Date(2027, 3, 31, 23, 59, 0, 0, jst), "138016"},
			{time.Date(2027, 4, 1, 0, 0, 1, 0, jst), "138999"},
		} {
			got, err := export(shinjuku, "", c.on)
			if err != nil || got != c.want {
				t.Errorf("file made %v carries %q (%v), want %s", c.on, got, err, c.want)
			}
		}
		if _, err := export(shinjuku, "138016", time.Date(2027, 5, 1, 12, 0, 0, 0, jst)); !errs.Is(err, errs.Conflict) {
			t.Errorf("a number given that is not the configured one: %v", err)
		}
		f.linkage.SetClock(time.Now)

		_, err = f.linkage.SetInsurerNumber(admin, shinjuku, "13801", time.Date(2028, 4, 1, 0, 0, 0, 0, time.UTC))
		fieldErr(t, "a five-digit number", err, "insurer")
		if _, err := f.linkage.SetInsurerNumber(admin, shinjuku, "138111", time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC)); !errs.Is(err, errs.Conflict) {
			t.Errorf("a second number from the same day: %v", err)
		}
		ns, err := f.linkage.InsurerNumbers(admin, shinjuku)
		if err != nil || len(ns) != 2 || ns[0].Number != "138016" || ns[1].Number != "138999" || !ns[1].From.Equal(time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("configured numbers: %+v %v", ns, err)
		}
		if got := outcomes(t, db, "linkage.insurer.set"); got != "ok,ok,denied,denied" {
			t.Errorf("insurer events %s", got)
		}
	})
}

// R-NHI-8, R-ACC-1: a new 保険者番号 filed by staff is a control change:
// it waits for a second person and is in force only once someone else
// confirms it (the maker cannot); wrong input is refused by field; a
// configured municipality cannot back-date a number (what files carried
// stays explained); a day that has a number, the number already in force
// and a second change while one waits are refused; a municipality with
// no number may file one from any day.
func TestInsurerNumberChangeNeedsASecondPerson(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db) // Shinjuku: 138016 from 2000-04-01; Sapporo: none
		clerk, checker := f.User(t, "clerk"), f.User(t, "checker")
		ctx := testutil.As("clerk")
		propose := func(tenant, number, from string) (string, error) {
			c, err := f.linkage.ProposeInsurerNumber(ctx, clerk, tenant, linkage.InsurerChange{Number: number, From: from})
			if err == nil && c.Kind != linkage.KindInsurer {
				t.Fatalf("filed as %q", c.Kind)
			}
			return c.Summary, err
		}
		_, err := propose(shinjuku, "13801", "2090-04-01")
		fieldErr(t, "five digits", err, "insurer")
		_, err = propose(shinjuku, "138555", "2090-02-30")
		fieldErr(t, "no such day", err, "from")
		_, err = propose(shinjuku, "138555", "")
		fieldErr(t, "no day", err, "from")
		_, err = propose(shinjuku, "138555", "2020-04-01")
		fieldErr(t, "back-dated", err, "from")
		_, err = propose(shinjuku, "138016", "2090-04-01")
		testutil.Told(t, "the number in force", err, errs.Invalid, "insurer number 138016 already in force on 2090-04-01", testutil.DeveloperWords)
		if _, err := f.linkage.SetInsurerNumber(testutil.As("cli:is-admin"), shinjuku, "138999", time.Date(2095, 4, 1, 0, 0, 0, 0, time.UTC)); err != nil {
			t.Fatal(err)
		}
		if _, err = propose(shinjuku, "138777", "2095-04-01"); !errs.Is(err, errs.Conflict) {
			t.Errorf("a day that has a number: %v", err)
		}

		summary, err := propose(shinjuku, "138555", "2090-04-01")
		if err != nil || summary != "保険者番号: 138016（2000年4月1日から） → 138555（2090年4月1日から）" {
			t.Fatalf("filed %q %v", summary, err)
		}
		waiting, err := f.linkage.PendingInsurerNumber(ctx, shinjuku)
		if err != nil || waiting == nil || waiting.Maker != clerk.LoginID || waiting.Summary != summary {
			t.Fatalf("waiting: %+v %v", waiting, err)
		}
		if other, err := f.linkage.PendingInsurerNumber(ctx, sapporo); err != nil || other != nil {
			t.Fatalf("Sapporo sees Shinjuku's change: %+v %v", other, err)
		}
		if _, err := propose(shinjuku, "138666", "2091-04-01"); !errs.Is(err, errs.Conflict) {
			t.Errorf("a second change while one waits: %v", err)
		}
		on := time.Date(2090, 4, 2, 0, 0, 0, 0, time.UTC)
		if n, err := f.linkage.InsurerNumberOn(ctx, shinjuku, on); err != nil || n != "138016" {
			t.Fatalf("before the confirmation the number on %v is %q %v", on, n, err)
		}
		if _, err := f.review.Confirm(ctx, clerk, shinjuku, waiting.Change, nil); err == nil {
			t.Fatal("the maker confirmed their own insurer number")
		}
		if _, err := f.review.Confirm(testutil.As("checker"), checker, shinjuku, waiting.Change, nil); err != nil {
			t.Fatal(err)
		}
		if n, err := f.linkage.InsurerNumberOn(ctx, shinjuku, on); err != nil || n != "138555" {
			t.Fatalf("after the confirmation the number on %v is %q %v", on, n, err)
		}
		if n, err := f.linkage.InsurerNumberOn(ctx, shinjuku, on.AddDate(-1, 0, 0)); err != nil || n != "138016" {
			t.Fatalf("the day before it is in force: %q %v", n, err)
		}
		if w, err := f.linkage.PendingInsurerNumber(ctx, shinjuku); err != nil || w != nil {
			t.Fatalf("still waiting after the confirmation: %+v %v", w, err)
		}
		if got := testutil.CountEvents(t, db, `action = 'linkage.insurer.set' AND outcome = 'ok' AND detail LIKE '%insurer_no=138555 from=2090-04-01 via=review%'`); got != 1 {
			t.Errorf("%d confirmed numbers recorded, want 1", got)
		}
		if got := outcomes(t, db, "linkage.insurer.propose"); got != "denied,denied,denied,denied,denied,denied" {
			t.Errorf("refusals recorded: %s", got)
		}

		// Nothing configured: a number from an earlier day is taken.
		f.Staff(t, testkit.Staff{Login: "sclerk", Tenant: sapporo, Patterns: []string{"nhi-clerk"}})
		c, err := f.linkage.ProposeInsurerNumber(testutil.As("sclerk"), f.User(t, "sclerk"), sapporo, linkage.InsurerChange{Number: "011007", From: "2018-04-01"})
		if summary = c.Summary; err != nil || summary != "保険者番号: 未設定 → 011007（2018年4月1日から）" {
			t.Fatalf("Sapporo's first number: %q %v", summary, err)
		}
	})
}
