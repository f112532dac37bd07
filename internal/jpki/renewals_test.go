package jpki_test

import (
	"strings"
	"testing"
	"time"

	"bango/internal/errs"
	"bango/internal/jpki"
	"bango/internal/resident"
	"bango/internal/store"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
)

// R-JPKI-1, R-JPKI-2, R-LNK-3: the renewal list (更新) is what the CA says,
// over mutual TLS, of the municipality's certificates that expire within
// three months — valid, not revoked, of this municipality only — with the
// residents named from the register; bango keeps no certificate for it and
// the list itself is not stored: an audit event says the day and how many.
func TestRenewalList(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		second := testkit.Person("000000000102", "")
		second.NameKanji, second.NameKana = "高橋　一郎", "タカハシ　イチロウ"
		testkit.Resident(t, f.residents, shinjuku, second)
		sig, auth := cardKey(t, 0), cardKey(t, 1)
		k := f.keeper(t, sig, auth)
		issue := func(tenant, who string, r jpki.Request) jpki.Result {
			t.Helper()
			a, err := f.jpki.Open(clerk(), tenant, who, resident.VerifiedByMyNumberCard)
			if err != nil {
				t.Fatal(err)
			}
			res, err := f.jpki.Issue(clerk(), tenant, a.ID, r)
			if err != nil {
				t.Fatal(err)
			}
			return res
		}

		// Five years: not due for renewal.
		issue(shinjuku, code, requestOf(t, sig, auth))
		// Two months, then a month and a half: due.
		f.ca.SetLifetime(60 * 24 * time.Hour)
		due1 := issue(shinjuku, second.Code, requestOf(t, sig, nil)).Issued[0]
		f.ca.SetLifetime(45 * 24 * time.Hour)
		due2 := issue(shinjuku, code, requestOf(t, nil, auth)).Issued[0]
		revoked := issue(shinjuku, code, requestOf(t, sig, nil)).Issued[0]
		other := issue(sapporo, "000000000900", requestOf(t, sig, nil)).Issued[0]
		f.ca.SetLifetime(0)
		if _, err := f.jpki.Revoke(clerk(), shinjuku, code, revoked.Serial, jpki.RevokeChanged); err != nil {
			t.Fatal(err)
		}

		list, err := f.jpki.Renewals(clerk(), shinjuku, "")
		if err != nil {
			t.Fatal(err)
		}
		wantBefore := time.Now().In(time.FixedZone("JST", 9*60*60)).AddDate(0, jpki.RenewWithin, 0).Format(time.DateOnly)
		if list.Before != wantBefore {
			t.Errorf("before %s, want three months from today %s", list.Before, wantBefore)
		}
		var got []string
		for _, c := range list.Certificates {
			got = append(got, c.Resident+" "+string(c.Kind)+" "+c.Serial+" "+c.Name)
			if !c.InRegister || c.NotAfter.IsZero() {
				t.Errorf("entry %+v", c)
			}
		}
		want := []string{code + " authentication " + due2.Serial + " " + f.person.NameKanji, second.Code + " signature " + due1.Serial + " 高橋　一郎"}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("renewals:\n%s\nwant (soonest first; not the five-year one, the revoked one or Sapporo's):\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if list.Certificates[0].NotAfter.Sub(due2.NotAfter).Abs() > time.Second {
			t.Errorf("not_after %s, issued %s", list.Certificates[0].NotAfter, due2.NotAfter)
		}

		// Sapporo's list holds Sapporo's only.
		sl, err := f.jpki.Renewals(clerk(), sapporo, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(sl.Certificates) != 1 || sl.Certificates[0].Serial != other.Serial {
			t.Errorf("Sapporo's renewals: %+v", sl.Certificates)
		}
		// A nearer day: only what expires before it.
		near, err := f.jpki.Renewals(clerk(), shinjuku, time.Now().AddDate(0, 0, 50).Format(time.DateOnly))
		if err != nil {
			t.Fatal(err)
		}
		if len(near.Certificates) != 1 || near.Certificates[0].Serial != due2.Serial {
			t.Errorf("renewals within 50 days: %+v", near.Certificates)
		}

		// A wrong day is refused naming its field, and nothing is asked.
		served := f.ca.Served()
		for _, bad := range []string{"2027/03/01", "1999-01-01", time.Now().AddDate(2, 0, 0).Format(time.DateOnly)} {
			_, err := f.jpki.Renewals(clerk(), shinjuku, bad)
			if fe := errs.Fields(err); len(fe) != 1 || fe[0].Field != "expiring_before" {
				t.Errorf("before=%s: %v", bad, err)
			}
		}
		if f.ca.Served() != served {
			t.Error("a wrong day reached the CA")
		}

		// An answer that does not match the request is refused, and so is
		// a CA that is not there; each is recorded with its word.
		for name, tamper := range map[string]func(*jpki.ExpiringResponse){
			"another request":  func(r *jpki.ExpiringResponse) { r.RequestID = "another" },
			"too late":         func(r *jpki.ExpiringResponse) { r.Certificates[0].NotAfter = time.Now().AddDate(1, 0, 0) },
			"unknown kind":     func(r *jpki.ExpiringResponse) { r.Certificates[0].Kind = "other" },
			"no resident":      func(r *jpki.ExpiringResponse) { r.Certificates[0].Resident = "" },
			"serial not a hex": func(r *jpki.ExpiringResponse) { r.Certificates[0].Serial = "serial" },
		} {
			f.ca.SetTamperExpiring(tamper)
			if _, err := f.jpki.Renewals(clerk(), shinjuku, ""); !errs.Is(err, errs.Unavailable) {
				t.Errorf("%s: %v", name, err)
			}
		}
		f.ca.SetTamperExpiring(nil)
		f.srv.Close()
		if _, err := f.jpki.Renewals(clerk(), shinjuku, ""); !errs.Is(err, errs.Unavailable) {
			t.Errorf("no CA: %v", err)
		}
		outcomes := strings.Join(testutil.Outcomes(t, db, "jpki.renewals"), "\n")
		if strings.Count(outcomes, "outcome=bad_answer") != 5 || strings.Count(outcomes, "outcome=unreachable") != 1 {
			t.Errorf("renewal outcomes:\n%s", outcomes)
		}

		// Recorded: the day and how many; no personal item in any event.
		events := testutil.Events(t, db, "jpki.renewals")
		if len(events) < 3 || events[0].Detail != "before="+wantBefore+" certificates=2" {
			t.Errorf("renewal events: %+v", events)
		}
		for _, e := range testutil.Events(t, db, "") {
			for name, n := range k.items {
				if strings.Contains(e.Detail, string(n)) {
					t.Errorf("event %s holds the %s", e.Action, name)
				}
			}
		}
		k.nothingKept(t, "after the renewal lists")
	})
}
