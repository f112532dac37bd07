package pubmed_test

import (
	"bango/internal/mnhold"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"bango/internal/errs"
	"bango/internal/mynumber"
	"bango/internal/pubmed"
	"bango/internal/resident"
	"bango/internal/store"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
)

func validNumber(first11 string) string { return first11 + string(mynumber.CheckDigit(first11)) }

// index is the blind index of a number the checker keys again.
func (f *fixture) index(t *testing.T, digits string) map[string][]byte {
	t.Helper()
	n, err := mynumber.Parse(digits)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := f.residents.MyNumberIndex(testutil.As("checker"), shinjuku, n)
	if err != nil {
		t.Fatal(err)
	}
	return map[string][]byte{"mynumber": idx}
}

// R-PUB-2, R-ACC-1, R-ACC-2, R-ACC-4, R-AC-4: a clerk types the My Number
// from the application and the evidence document with how the identity
// was verified at intake; a wrong check digit or a missing verification
// is refused naming the field, nothing written; a different checker must
// key the same number again blind (a different one does not pass); once
// confirmed the resident holds the number (sealed), the business holds
// it, the verification is recorded, and the application shows only the
// mask.
func TestApplicationWithMyNumber(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		clerk := testutil.As("clerk")
		digits := validNumber("48291037561")
		wrongDigit := digits[:11] + string('0'+(digits[11]-'0'+1)%10)

		in := newApplication("700001")
		in.MyNumber = wrongDigit
		in.IdentityMethod = resident.VerifiedByMyNumberCard
		if _, err := f.pub.ProposeApplication(clerk, shinjuku, in); fieldsOf(err) != "mynumber" {
			t.Errorf("a wrong check digit: %v, want a mynumber field error", err)
		}
		in.MyNumber, in.IdentityMethod = digits, ""
		if _, err := f.pub.ProposeApplication(clerk, shinjuku, in); fieldsOf(err) != "identity_method" {
			t.Errorf("no identity verification: %v, want an identity_method field error", err)
		}
		in.IdentityMethod = "passport"
		if _, err := f.pub.ProposeApplication(clerk, shinjuku, in); fieldsOf(err) != "identity_method" {
			t.Errorf("an unknown verification: %v", err)
		}
		if n := rows(t, db); n != 0 {
			t.Fatalf("refused entries wrote %d rows", n)
		}
		var verifications int
		if err := db.ReadRow(testutil.AllTenants(), `SELECT count(*) FROM identity_verifications`).Scan(&verifications); err != nil || verifications != 0 {
			t.Fatalf("refused entries recorded %d verifications (%v)", verifications, err)
		}

		in.IdentityMethod = resident.VerifiedByNotificationPhotoID
		p, err := f.pub.ProposeApplication(clerk, shinjuku, in)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(p.Summary, digits) || strings.Contains(string(p.Payload), digits) || len(p.Blind["mynumber"]) == 0 {
			t.Fatalf("the proposal shows the number or asks no double entry: %q blind=%v", p.Summary, p.Blind)
		}
		c, err := f.review.Submit(clerk, f.User(t, "clerk"), shinjuku, p)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.BlindFields) != 1 || c.BlindFields[0] != "mynumber" {
			t.Errorf("the checker is not asked to key the number again: %v", c.BlindFields)
		}
		checker := testutil.As("checker")
		other := validNumber("48291037562")
		if _, err := f.review.Confirm(checker, f.User(t, "checker"), shinjuku, c.ID, f.index(t, other)); fieldsOf(err) != "mynumber" {
			t.Fatalf("a different number re-keyed: %v, want a mynumber mismatch", err)
		}
		if _, err := f.review.Confirm(checker, f.User(t, "checker"), shinjuku, c.ID, nil); fieldsOf(err) != "mynumber" {
			t.Fatalf("no number re-keyed: %v", err)
		}
		if n := rows(t, db); n != 0 {
			t.Fatalf("a mismatched double entry wrote %d rows", n)
		}
		if _, err := f.review.Confirm(checker, f.User(t, "checker"), shinjuku, c.ID, f.index(t, digits)); err != nil {
			t.Fatal(err)
		}
		n, _ := mynumber.Parse(digits)
		has, same, err := f.residents.MyNumberOnFile(clerk, shinjuku, "700001", n)
		if err != nil || !has || !same {
			t.Fatalf("the resident's number after confirmation: has=%v same=%v %v", has, same, err)
		}
		page, err := f.pub.Applications(clerk, shinjuku, pubmed.ApplicationQuery{ResidentCode: "700001"}, "", 1)
		if err != nil || len(page.Items) != 1 {
			t.Fatal(page, err)
		}
		app := page.Items[0]
		if !app.MyNumberEntered || app.MyNumberMask != mynumber.Mask || app.VerificationMethod != resident.VerifiedByNotificationPhotoID || app.VerificationID == 0 {
			t.Errorf("the application as the clerk sees it: %+v", app)
		}
		body, _ := json.Marshal(app)
		if strings.Contains(string(body), digits) {
			t.Error("the application's JSON carries the number")
		}
		vs, err := f.residents.Verifications(clerk, shinjuku, "700001")
		if err != nil || len(vs) != 1 || vs[0].Method != resident.VerifiedByNotificationPhotoID || vs[0].VerifiedBy != "clerk" {
			t.Errorf("identity verification at intake: %+v %v", vs, err)
		}
		held, err := f.pub.Holds().Held(clerk, shinjuku, "700001")
		if err != nil || len(held) != 1 || held[0] != pubmed.Business {
			t.Errorf("holds of 700001: %v %v", held, err)
		}

		// Someone who has a number: the one typed must be it.
		testkit.Resident(t, f.residents, shinjuku, testkit.Person("700009", validNumber("11112222333")))
		in2 := newApplication("700009")
		in2.MyNumber, in2.IdentityMethod = validNumber("11112222334"), resident.VerifiedByMyNumberCard
		if _, err := f.pub.ProposeApplication(clerk, shinjuku, in2); fieldsOf(err) != "mynumber" {
			t.Errorf("a number other than the one on file: %v", err)
		}
		// A number another person holds is refused without saying whose.
		in3 := newApplication("700002")
		in3.MyNumber, in3.IdentityMethod = validNumber("11112222333"), resident.VerifiedByMyNumberCard
		if _, err := f.pub.ProposeApplication(clerk, shinjuku, in3); !errs.Is(err, errs.Conflict) || fieldsOf(err) != "mynumber" || strings.Contains(err.Error(), "700009") {
			t.Errorf("a number another resident holds: %v", err)
		}
		in2.MyNumber = validNumber("11112222333")
		p2, err := f.pub.ProposeApplication(clerk, shinjuku, in2)
		if err != nil {
			t.Fatal(err)
		}
		c2, err := f.review.Submit(clerk, f.User(t, "clerk"), shinjuku, p2)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.review.Confirm(checker, f.User(t, "checker"), shinjuku, c2.ID, f.index(t, validNumber("11112222333"))); err != nil {
			t.Fatal(err)
		}
	})
}

// R-STO-2: the number taken for public-expense care is held while a
// certificate is in force and for the retention period after the last
// one ended; the day after that it is deleted (sealed value and blind
// index), not the day before; a number another business still holds
// stays.
func TestMyNumberRetention(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		clerk := testutil.As("clerk")
		f.now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
		for i, code := range []string{"700001", "700002"} {
			in := newApplication(code)
			in.MyNumber, in.IdentityMethod = validNumber([]string{"48291037561", "59302148672"}[i]), resident.VerifiedByMyNumberCard
			p, err := f.pub.ProposeApplication(clerk, shinjuku, in)
			if err != nil {
				t.Fatal(err)
			}
			c, err := f.review.Submit(clerk, f.User(t, "clerk"), shinjuku, p)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.review.Confirm(testutil.As("checker"), f.User(t, "checker"), shinjuku, c.ID, f.index(t, in.MyNumber)); err != nil {
				t.Fatal(err)
			}
			page, _ := f.pub.Applications(clerk, shinjuku, pubmed.ApplicationQuery{ResidentCode: code}, "", 1)
			if _, err := f.decide(t, page.Items[0].ID, pubmed.DecisionInput{Outcome: pubmed.Approve}); err != nil {
				t.Fatal(err)
			}
		}
		// 700002's number is also held by another business.
		if err := db.Transact(store.WithScope(clerk, shinjuku), func(tx *store.Tx) error {
			return holdFor(clerk, tx, "700002", "nhi")
		}); err != nil {
			t.Fatal(err)
		}
		// The retention rule in force (data/retention-pubmed-2015-01.json): 5 years.
		// The certificates run 2026-11-20 … 2027-11-19: the last needed day
		// is 2032-11-19.
		has := func(code string) bool {
			var sealed, idx []byte
			if err := db.ReadRow(testutil.AllTenants(), `SELECT mynumber_sealed, mynumber_bidx FROM residents WHERE tenant_code = $1 AND code = $2`,
				shinjuku, code).Scan(&sealed, &idx); err != nil {
				t.Fatal(err)
			}
			return sealed != nil && idx != nil
		}
		for _, day := range []time.Time{date(2027, 11, 19), date(2027, 12, 1), date(2032, 11, 19)} {
			r, err := f.pub.Retain(testutil.As("system:jobs"), shinjuku, day)
			if err != nil {
				t.Fatal(err)
			}
			if r.Deleted != 0 || !has("700001") {
				t.Fatalf("on %s: %+v, the number deleted before its retention ended", pubmed.Date(day), r)
			}
		}
		r, err := f.pub.Retain(testutil.As("system:jobs"), shinjuku, date(2032, 11, 20))
		if err != nil {
			t.Fatal(err)
		}
		if r.Deleted != 1 || r.Ended != 2 || has("700001") || !has("700002") {
			t.Errorf("the day after: %+v; 700001 kept %v, 700002 kept %v (want deleted, kept)", r, has("700001"), has("700002"))
		}
		page, err := f.pub.Holds().Deletions(clerk, shinjuku, "", 10)
		if err != nil || len(page.Items) != 1 || page.Items[0].Resident != "700001" || pubmed.Date(page.Items[0].NeededUntil) != "2032-11-19" {
			t.Errorf("the report: %+v %v", page.Items, err)
		}
		if n := testutil.CountEvents(t, db, `action = 'mynumber.delete' AND subject_id = '700001'`); n != 1 {
			t.Errorf("%d deletion events", n)
		}
	})
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func holdFor(ctx context.Context, tx *store.Tx, code, business string) error {
	return mnhold.Hold(ctx, tx, shinjuku, code, business, date(2026, 1, 1))
}
