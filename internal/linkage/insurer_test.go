package linkage_test

import (
	"bytes"
	"testing"
	"time"

	"bango/internal/errs"
	"bango/internal/linkage"
	"bango/internal/store"
	"bango/internal/testutil"
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
