package review_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"bango/internal/errs"
	"bango/internal/mynumber"
	"bango/internal/resident"
	"bango/internal/review"
	"bango/internal/store"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
)

type fixture struct {
	*testkit.Kit
	residents *resident.Service
	review    *review.Service
}

// number makes a valid My Number from 11 digits.
func number(first11 string) string { return first11 + string(mynumber.CheckDigit(first11)) }

func setup(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	f := &fixture{Kit: testkit.New(t, db)}
	f.Municipality(t, testkit.Shinjuku, "新宿区")
	f.Municipality(t, testkit.Sapporo, "札幌市")
	f.residents = resident.NewService(db, f.Vault, testkit.Quiet)
	f.review = review.NewService(db, f.Vault, f.Access)
	f.review.Register(resident.KindMyNumber, f.residents.ApplyMyNumber)
	for _, s := range []testkit.Staff{
		{Login: "maker", Tenant: "131041", Patterns: []string{"nhi-clerk"}},
		{Login: "checker", Tenant: "131041", Patterns: []string{"nhi-checker"}},
		// maker-checker also makes entries, to show nobody confirms their own.
		{Login: "maker-checker", Tenant: "131041", Patterns: []string{"nhi-checker", "nhi-clerk"}},
		{Login: "sapporo", Tenant: "011002", Section: "保険年金課", Patterns: []string{"nhi-checker"}},
	} {
		f.Staff(t, s)
	}
	testkit.Resident(t, f.residents, "131041", testkit.Person("100001", ""))
	return f
}

func (f *fixture) submit(t *testing.T, maker, digits string) review.Change {
	t.Helper()
	n, err := mynumber.Parse(digits)
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.residents.ProposeMyNumber(testutil.As(maker), "131041", "100001", n)
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.review.Submit(testutil.As(maker), f.User(t, maker), "131041", p)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *fixture) reentry(t *testing.T, digits string) map[string][]byte {
	t.Helper()
	n, err := mynumber.Parse(digits)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := f.residents.MyNumberIndex(context.Background(), "131041", n)
	if err != nil {
		t.Fatal(err)
	}
	return map[string][]byte{"mynumber": idx}
}

// R-ACC-1, R-AC-4: a My Number entered by a maker waits; the maker cannot
// confirm it; another municipality's checker cannot even see it; the
// checker keys it again blind and only the same number is applied.
func TestMyNumberDoubleEntry(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		good := number("12345678901")
		c := f.submit(t, "maker-checker", good)
		if c.Status != review.Pending || len(c.BlindFields) != 1 || c.BlindFields[0] != "mynumber" || strings.Contains(c.Summary, good) {
			t.Fatalf("submitted: %+v", c)
		}
		if r, _ := f.residents.Get(testutil.As("maker-checker"), "131041", "100001"); r.HasMyNumber {
			t.Fatal("the number was applied before confirmation")
		}
		// The maker, though a checker too, cannot confirm their own entry.
		if _, err := f.review.Confirm(testutil.As("maker-checker"), f.User(t, "maker-checker"), "131041", c.ID, f.reentry(t, good)); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("maker confirmed own change: %v", err)
		}
		// Another municipality's checker: not found in theirs, forbidden in ours.
		if _, err := f.review.Confirm(testutil.As("sapporo"), f.User(t, "sapporo"), "011002", c.ID, f.reentry(t, good)); !errs.Is(err, errs.NotFound) {
			t.Fatalf("cross-municipality confirm: %v", err)
		}
		if _, err := f.review.Confirm(testutil.As("sapporo"), f.User(t, "sapporo"), "131041", c.ID, f.reentry(t, good)); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("confirm without review.confirm there: %v", err)
		}
		// A one-digit typo fails the check digit before any comparison (R-ACC-2);
		// another valid number is a double-entry mismatch, naming the field only.
		typo := good[:4] + string('0'+(good[4]-'0'+1)%10) + good[5:]
		if _, err := mynumber.Parse(typo); err == nil {
			t.Fatal("a one-digit typo passed the check digit")
		}
		other := number("12345678911")
		_, err := f.review.Confirm(testutil.As("checker"), f.User(t, "checker"), "131041", c.ID, f.reentry(t, other))
		if fs := errs.Fields(err); len(fs) != 1 || fs[0].Field != "mynumber" || strings.Contains(err.Error(), other) || strings.Contains(err.Error(), good) {
			t.Fatalf("mismatch: %v", err)
		}
		got, err := f.review.Confirm(testutil.As("checker"), f.User(t, "checker"), "131041", c.ID, f.reentry(t, good))
		if err != nil || got.Status != review.Confirmed || got.Checker != "checker" {
			t.Fatalf("confirm: %+v, %v", got, err)
		}
		r, _ := f.residents.FindByMyNumber(testutil.As("checker"), "131041", mustParse(t, good))
		if r.Code != "100001" {
			t.Fatalf("the confirmed number is not the resident's: %+v", r)
		}
		ev := testutil.Outcomes(t, f.DB, "review.confirm")
		if len(ev) != 5 || !strings.Contains(ev[3], "double_entry_mismatch fields=mynumber mismatches=1") || !strings.HasPrefix(ev[4], "ok") {
			t.Fatalf("events = %q", ev)
		}
		for _, e := range ev {
			if strings.Contains(e, good) || strings.Contains(e, other) {
				t.Fatal("an audit event holds a My Number")
			}
		}
		if reg := testutil.Outcomes(t, f.DB, "mynumber.register"); len(reg) != 1 || reg[0] != "ok via=review" {
			t.Fatalf("register events = %q", reg)
		}
	})
}

// R-ACC-1: three mismatches reject the change; a rejection needs a reason;
// the queue is per section.
func TestMismatchLimitAndQueue(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		c := f.submit(t, "maker", number("12345678901"))
		if q, _ := f.review.Queue(context.Background(), "131041", "健康部", "医療保険年金課", "", 0); len(q.Items) != 1 || q.Items[0].ID != c.ID || q.More {
			t.Fatalf("queue = %+v", q)
		}
		if q, _ := f.review.Queue(context.Background(), "131041", "健康部", "保険年金課", "", 0); len(q.Items) != 0 {
			t.Fatalf("another section's queue holds %d", len(q.Items))
		}
		if _, err := f.review.Submit(testutil.As("maker"), f.User(t, "maker"), "131041", mustProposal(t, f, "12345678902")); !errs.Is(err, errs.Conflict) {
			t.Fatalf("second proposal for the same resident: %v", err)
		}
		wrong := f.reentry(t, number("99999999999"))
		for i := 1; i <= review.MaxMismatches; i++ {
			_, err := f.review.Confirm(testutil.As("checker"), f.User(t, "checker"), "131041", c.ID, wrong)
			if errs.Fields(err) == nil {
				t.Fatalf("mismatch %d: %v", i, err)
			}
		}
		got, _ := f.review.Get(context.Background(), "131041", c.ID)
		if got.Status != review.Rejected || got.Mismatches != review.MaxMismatches {
			t.Fatalf("after %d mismatches: %+v", review.MaxMismatches, got)
		}
		c2 := f.submit(t, "maker", number("12345678901"))
		if _, err := f.review.Reject(testutil.As("checker"), f.User(t, "checker"), "131041", c2.ID, ""); errs.Fields(err) == nil {
			t.Fatalf("reject without reason: %v", err)
		}
		if got, err := f.review.Reject(testutil.As("checker"), f.User(t, "checker"), "131041", c2.ID, "証拠書類の番号と異なる"); err != nil || got.Status != review.Rejected {
			t.Fatalf("reject: %+v %v", got, err)
		}
		if r, _ := f.residents.Get(testutil.As("checker"), "131041", "100001"); r.HasMyNumber {
			t.Fatal("a rejected change was applied")
		}
	})
}

func mustParse(t *testing.T, s string) mynumber.Number {
	t.Helper()
	n, err := mynumber.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func mustProposal(t *testing.T, f *fixture, first11 string) review.Proposal {
	t.Helper()
	p, err := f.residents.ProposeMyNumber(testutil.As("maker"), "131041", "100001", mustParse(t, number(first11)))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// R-AC-4: typing a number someone else holds does not tell the typist who;
// the auditor sees it.
func TestTakenNumberIsNotALookup(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		if _, err := f.residents.Create(testutil.As("maker"), "131041", resident.Input{Code: "100002", NameKanji: "山田　花子", NameKana: "ヤマダ　ハナコ",
			Address: "東京都新宿区西新宿二丁目8番1号", BirthDate: "1982-05-02", Sex: "2", MyNumber: number("12345678901")}); err != nil {
			t.Fatal(err)
		}
		_, err := f.residents.ProposeMyNumber(testutil.As("maker"), "131041", "100001", mustParse(t, number("12345678901")))
		if !errs.Is(err, errs.Conflict) || strings.Contains(err.Error(), "100002") {
			t.Fatalf("taken number: %v", err)
		}
		if ev := testutil.Outcomes(t, f.DB, "mynumber.register"); len(ev) != 1 || ev[0] != "denied reason=number_held_by_another holder=100002" {
			t.Fatalf("events = %q", ev)
		}
	})
}

// Issue 16: the checker's queue is read a page at a time, oldest first,
// each pending change once, however long the queue.
func TestQueuePages(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		var want []int64
		for i := range 5 {
			code := "20000" + strconv.Itoa(i)
			testkit.Resident(t, f.residents, "131041", testkit.Person(code, ""))
			n, err := mynumber.Parse(number("2345678901" + strconv.Itoa(i)))
			if err != nil {
				t.Fatal(err)
			}
			p, err := f.residents.ProposeMyNumber(testutil.As("maker"), "131041", code, n)
			if err != nil {
				t.Fatal(err)
			}
			c, err := f.review.Submit(testutil.As("maker"), f.User(t, "maker"), "131041", p)
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, c.ID)
		}
		var got []int64
		cursor, pages := "", 0
		for {
			q, err := f.review.Queue(context.Background(), "131041", "", "", cursor, 2)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range q.Items {
				got = append(got, c.ID)
			}
			if pages++; q.Next == "" || pages > 10 {
				break
			}
			cursor = q.Next
		}
		if diff := cmp.Diff(want, got); diff != "" || pages != 3 {
			t.Fatalf("%d pages (-want +got):\n%s", pages, diff)
		}
		// Issue 17: the maker's home page counts their own entries waiting.
		if n, err := f.review.CountMine(context.Background(), "131041", f.User(t, "maker").ID); err != nil || n != 5 {
			t.Fatalf("the maker's waiting entries: %d, %v", n, err)
		}
		if n, err := f.review.CountMine(context.Background(), "011002", f.User(t, "maker").ID); err != nil || n != 0 {
			t.Fatalf("another municipality's count: %d, %v", n, err)
		}
		if _, err := f.review.Queue(context.Background(), "131041", "", "", "not-a-cursor", 2); !errs.Is(err, errs.Invalid) {
			t.Fatalf("a damaged cursor: %v", err)
		}
	})
}

// R-ACC-1: a maker withdraws their own entry while it waits — nothing is
// applied, the module waiting on it hears, the checker can no longer
// decide it and the record is free for a new entry; nobody else may
// withdraw it, and the maker's list shows what became of every entry,
// the checker's reason with a rejection.
func TestMakerWithdrawsOwnEntry(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		var heard []string
		f.review.OnReject(resident.KindMyNumber, func(ctx context.Context, tx *store.Tx, tenant string, id int64, status, reason string) error {
			heard = append(heard, tenant+"/"+strconv.FormatInt(id, 10)+"/"+status+"/"+reason)
			return nil
		})
		good := number("12345678901")
		c := f.submit(t, "maker", good)
		for _, who := range []string{"checker", "maker-checker"} {
			if _, err := f.review.Withdraw(testutil.As(who), f.User(t, who), "131041", c.ID, ""); !errs.Is(err, errs.Forbidden) {
				t.Fatalf("%s withdrew another's entry: %v", who, err)
			}
		}
		if _, err := f.review.Withdraw(testutil.As("maker"), f.User(t, "maker"), "011002", c.ID, ""); !errs.Is(err, errs.NotFound) {
			t.Fatalf("withdrawn through another municipality: %v", err)
		}
		if _, err := f.review.Withdraw(testutil.As("maker"), f.User(t, "maker"), "131041", c.ID, strings.Repeat("長", 201)); errs.Fields(err) == nil {
			t.Fatalf("a reason of 201 characters: %v", err)
		}
		if len(heard) != 0 {
			t.Fatalf("refused withdrawals were heard: %q", heard)
		}
		got, err := f.review.Withdraw(testutil.As("maker"), f.User(t, "maker"), "131041", c.ID, " 番号の読み違い ")
		if err != nil || got.Status != review.Withdrawn || got.Reason != "番号の読み違い" || got.DecidedAt.IsZero() || got.Checker != "" {
			t.Fatalf("withdraw: %+v, %v", got, err)
		}
		if want := "131041/" + strconv.FormatInt(c.ID, 10) + "/withdrawn/番号の読み違い"; len(heard) != 1 || heard[0] != want {
			t.Fatalf("the module heard %q, want %q", heard, want)
		}
		if _, err := f.review.Confirm(testutil.As("checker"), f.User(t, "checker"), "131041", c.ID, f.reentry(t, good)); !errs.Is(err, errs.Conflict) {
			t.Fatalf("a withdrawn change confirmed: %v", err)
		}
		if _, err := f.review.Withdraw(testutil.As("maker"), f.User(t, "maker"), "131041", c.ID, ""); !errs.Is(err, errs.Conflict) {
			t.Fatalf("withdrawn twice: %v", err)
		}
		if r, _ := f.residents.Get(testutil.As("checker"), "131041", "100001"); r.HasMyNumber {
			t.Fatal("a withdrawn change was applied")
		}
		if q, _ := f.review.Queue(context.Background(), "131041", "", "", "", 0); len(q.Items) != 0 {
			t.Fatalf("the checker's queue still lists %d", len(q.Items))
		}
		ev := testutil.Outcomes(t, f.DB, "review.withdraw")
		if len(ev) != 6 || ev[5] != "denied reason=change "+strconv.FormatInt(c.ID, 10)+" is withdrawn, not pending" || ev[4] != "ok change="+strconv.FormatInt(c.ID, 10)+" kind="+resident.KindMyNumber+" reason=番号の読み違い" {
			t.Fatalf("events = %q", ev)
		}

		// The record is free again: a new entry, rejected this time, and a
		// third that waits.
		c2 := f.submit(t, "maker", good)
		if _, err := f.review.Reject(testutil.As("checker"), f.User(t, "checker"), "131041", c2.ID, "証拠書類の番号と異なる"); err != nil {
			t.Fatal(err)
		}
		c3 := f.submit(t, "maker", good)
		// Another maker's entry, for another resident.
		testkit.Resident(t, f.residents, "131041", testkit.Person("100002", ""))
		p, err := f.residents.ProposeMyNumber(testutil.As("maker-checker"), "131041", "100002", mustParse(t, number("12345678902")))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.review.Submit(testutil.As("maker-checker"), f.User(t, "maker-checker"), "131041", p); err != nil {
			t.Fatal(err)
		}
		page, err := f.review.Mine(testutil.As("maker"), "131041", f.User(t, "maker"), "", 2)
		if err != nil || len(page.Items) != 2 || page.Next == "" {
			t.Fatalf("first page: %+v, %v", page, err)
		}
		rest, err := f.review.Mine(testutil.As("maker"), "131041", f.User(t, "maker"), page.Next, 2)
		if err != nil || len(rest.Items) != 1 || rest.Next != "" {
			t.Fatalf("second page: %+v, %v", rest, err)
		}
		var seen []string
		for _, m := range append(page.Items, rest.Items...) {
			seen = append(seen, strconv.FormatInt(m.ID, 10)+" "+m.Status+" "+m.Reason)
		}
		want := []string{
			strconv.FormatInt(c3.ID, 10) + " pending ",
			strconv.FormatInt(c2.ID, 10) + " rejected 証拠書類の番号と異なる",
			strconv.FormatInt(c.ID, 10) + " withdrawn 番号の読み違い",
		}
		if diff := cmp.Diff(want, seen); diff != "" {
			t.Fatalf("the maker's entries (-want +got):\n%s", diff)
		}
		// Each page shown is an event naming its changes (their summaries
		// name residents).
		id := func(c review.Change) string { return strconv.FormatInt(c.ID, 10) }
		if ev := testutil.Outcomes(t, f.DB, "review.mine"); len(ev) != 2 || ev[0] != "ok changes="+id(c3)+","+id(c2) || ev[1] != "ok changes="+id(c) {
			t.Fatalf("list events = %q", ev)
		}
		if other, _ := f.review.Mine(testutil.As("maker"), "011002", f.User(t, "maker"), "", 0); len(other.Items) != 0 {
			t.Fatalf("another municipality lists %d of the maker's entries", len(other.Items))
		}
		if _, err := f.review.Mine(testutil.As("maker"), "131041", f.User(t, "maker"), "not-a-cursor", 0); !errs.Is(err, errs.Invalid) {
			t.Fatalf("a damaged cursor: %v", err)
		}
	})
}

// R-ACC-1: a withdrawal racing a confirmation — exactly one of them wins,
// and the number is applied only when the confirmation did.
func TestWithdrawRacesConfirm(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		good := number("12345678901")
		for round := range 4 {
			c := f.submit(t, "maker", good)
			errc := make(chan error, 2)
			go func() {
				_, err := f.review.Withdraw(testutil.As("maker"), f.User(t, "maker"), "131041", c.ID, "")
				errc <- err
			}()
			go func() {
				_, err := f.review.Confirm(testutil.As("checker"), f.User(t, "checker"), "131041", c.ID, f.reentry(t, good))
				errc <- err
			}()
			e1, e2 := <-errc, <-errc
			if (e1 == nil) == (e2 == nil) || !(errs.Is(e1, errs.Conflict) || errs.Is(e2, errs.Conflict)) {
				t.Fatalf("round %d: withdraw and confirm: %v / %v", round, e1, e2)
			}
			got, _ := f.review.Get(context.Background(), "131041", c.ID)
			r, _ := f.residents.Get(testutil.As("checker"), "131041", "100001")
			if r.HasMyNumber != (got.Status == review.Confirmed) {
				t.Fatalf("round %d: status %s, number applied %v", round, got.Status, r.HasMyNumber)
			}
			if r.HasMyNumber {
				return // the number is the resident's now: no next entry
			}
		}
	})
}

// R-AC-4: a reason that holds a My Number is refused, when a checker
// rejects and when a maker withdraws, and nothing is decided: the maker
// and the queue read reasons, and a number is never shown after entry.
func TestReasonHoldsNoMyNumber(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		good := number("12345678901")
		c := f.submit(t, "maker", good)
		written := "番号" + good[:4] + "-" + good[4:8] + "-" + good[8:] + "と不一致"
		if _, err := f.review.Reject(testutil.As("checker"), f.User(t, "checker"), "131041", c.ID, written); !hasReasonError(err) {
			t.Fatalf("a rejection naming the number: %v", err)
		}
		if _, err := f.review.Withdraw(testutil.As("maker"), f.User(t, "maker"), "131041", c.ID, written); !hasReasonError(err) {
			t.Fatalf("a withdrawal naming the number: %v", err)
		}
		if got, _ := f.review.Get(context.Background(), "131041", c.ID); got.Status != review.Pending || got.Reason != "" {
			t.Fatalf("after the refusals: %+v", got)
		}
		// Digits that are no My Number are a reason like any other.
		if got, err := f.review.Reject(testutil.As("checker"), f.User(t, "checker"), "131041", c.ID, "受付番号12345678901の書類と不一致"); err != nil || got.Status != review.Rejected {
			t.Fatalf("a reason with eleven digits: %+v, %v", got, err)
		}
	})
}

func hasReasonError(err error) bool {
	fs := errs.Fields(err)
	return len(fs) == 1 && fs[0].Field == "reason" && strings.Contains(fs[0].Reason.JA, "個人番号を書かない")
}
