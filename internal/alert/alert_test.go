package alert_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"bango/internal/alert"
	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/store"
	"bango/internal/testutil"
)

// R-AC-4: more reveals by one user in an hour than allowed raise one
// alert: not at the limit, once above it, and not again within the hour.
func TestBulkRevealRule(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		svc := alert.NewService(db)
		ctx := audit.WithActor(context.Background(), audit.Actor{User: "viewer"})
		other := audit.WithActor(context.Background(), audit.Actor{User: "someone-else"})
		reveal := func(c context.Context) {
			t.Helper()
			if err := audit.RecordAlone(c, db, audit.Event{Tenant: "131041", Action: "mynumber.reveal", Subject: audit.Subject{Type: "resident", ID: "1"},
				Purpose: "test", Outcome: audit.OK}); err != nil {
				t.Fatal(err)
			}
		}
		check := func() (raised bool, err error) {
			c := store.WithScope(ctx, "131041") // as the reveal's transaction is
			err = db.Transact(c, func(tx *store.Tx) error {
				raised, err = svc.CheckReveals(c, tx, "131041", "viewer", 3)
				return err
			})
			return raised, err
		}
		for range 3 {
			reveal(ctx)
			reveal(other)
		}
		if raised, err := check(); err != nil || raised {
			t.Fatalf("at the limit: raised=%v %v", raised, err)
		}
		reveal(ctx)
		if raised, err := check(); err != nil || !raised {
			t.Fatalf("above the limit: raised=%v %v", raised, err)
		}
		reveal(ctx)
		if raised, _ := check(); raised {
			t.Fatal("a second alert within the hour")
		}
		open, n, err := svc.Open(context.Background(), 0)
		if err != nil || n != 1 || len(open.Items) != 1 || open.Items[0].Subject != "viewer" || open.Items[0].Detail != "reveals_last_hour=4 limit=3" {
			t.Fatalf("open alerts = %+v (%d), %v", open, n, err)
		}
	})
}

// place puts the written events into the tree: the rules read placed
// events only.
func place(t *testing.T, db *store.DB) {
	t.Helper()
	testutil.Place(t, db, testutil.NewSequencer(t, db, audit.SequencerOptions{Every: 100000, Period: time.Hour}))
}

// R-AUD-4: the rules read off the audit log each fire at their threshold
// and not below: after hours (once per person and day, staff only, in
// their own municipality), repeated denials (5 in 10 minutes; a login ID
// that is no account is never shown), unregistered terminals.
func TestScanRules(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		svc := alert.NewService(db)
		now := time.Now().UTC()
		for _, u := range [][2]string{{"clerk", "131041"}, {"guess", "011002"}} {
			if _, err := db.SQL().ExecContext(context.Background(), `INSERT INTO staff_users (login_id, name, tenant_code, status, created_at, updated_at)
				VALUES ($1, 'x', $2, 'active', $3, $3)`, u[0], u[1], now); err != nil {
				t.Fatal(err)
			}
		}
		jst := time.FixedZone("JST", 9*3600)
		day := time.Date(2026, 11, 20, 0, 0, 0, 0, jst)
		record := func(user, address, action, outcome, detail string, at time.Time) {
			t.Helper()
			ctx := audit.WithActor(context.Background(), audit.Actor{User: user, Address: address})
			if err := audit.RecordAlone(ctx, db, audit.Event{Time: at, Tenant: "131041", Action: action, Outcome: outcome, Detail: detail}); err != nil {
				t.Fatal(err)
			}
		}
		scan := func() int {
			t.Helper()
			place(t, db)
			n, err := svc.Scan(context.Background(), alert.DefaultRules)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		record("clerk", "10.0.0.8", "resident.read", "ok", "", day.Add(12*time.Hour))
		record("system:retention", "", "audit.prune", "ok", "", day.Add(23*time.Hour))
		if n := scan(); n != 0 {
			t.Fatalf("alerts within hours / for a system job: %d", n)
		}
		record("clerk", "10.0.0.8", "resident.read", "ok", "", day.Add(23*time.Hour))
		record("clerk", "10.0.0.8", "resident.read", "ok", "", day.Add(23*time.Hour+time.Minute))
		if n := scan(); n != 1 {
			t.Fatalf("after-hours alerts = %d, want 1 (once per person and day)", n)
		}
		base := day.Add(10 * time.Hour)
		for i := range 4 {
			record("guess", "10.0.0.9", "login.password", "denied", "reason=wrong_password", base.Add(time.Duration(i)*time.Minute))
		}
		if n := scan(); n != 0 {
			t.Fatalf("alerts after 4 denials: %d", n)
		}
		record("guess", "10.0.0.9", "login.password", "denied", "reason=wrong_password", base.Add(5*time.Minute))
		for i := range 5 {
			record("hunter2-typed-as-id", "10.0.0.10", "login.password", "denied", "reason=unknown_login_id", base.Add(time.Duration(i)*time.Second))
		}
		if n := scan(); n != 2 {
			t.Fatalf("alerts after 5 denials in 10 minutes (a staff member, an unknown ID) = %d, want 2", n)
		}
		record("anonymous", "192.0.2.7", "request.refused", "denied", "reason=unregistered_terminal address=192.0.2.7 method=GET", base)
		if n := scan(); n != 1 {
			t.Fatalf("unregistered-terminal alerts = %d, want 1", n)
		}
		if n := scan(); n != 0 {
			t.Fatalf("a second scan raised %d again", n)
		}
		open, _, _ := svc.Open(context.Background(), 0)
		got := map[string]string{}
		for _, a := range open.Items {
			got[a.Rule+"/"+a.Subject] = a.Tenant
			if strings.Contains(a.Subject+a.Detail, "hunter2") {
				t.Fatalf("an unknown login ID is shown: %+v", a)
			}
		}
		want := map[string]string{"after_hours/clerk": "131041", "repeated_denials/guess": "011002", "repeated_denials/(unknown login ID)": "", "unregistered_terminal/192.0.2.7": ""}
		if len(got) != len(want) {
			t.Fatalf("open alerts = %v, want %v", got, want)
		}
		for k, v := range want {
			if tenant, ok := got[k]; !ok || tenant != v {
				t.Fatalf("open alerts = %v, want %v", got, want)
			}
		}
	})
}

// R-AUD-4, R-AC-6: a reviewer's alert list holds their municipalities'
// alerts and those of none, a page at a time, filtered in the database
// (and on PostgreSQL by row-level security); an alert outside it cannot
// be acknowledged.
func TestListScopeAndPaging(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		svc := alert.NewService(db)
		if db.Engine() == store.Postgres {
			// Raising is written in the caller's scope: none, nothing.
			noScope := audit.WithActor(context.Background(), audit.Actor{User: "setup"})
			if _, err := svc.Raise(noScope, alert.Alert{Tenant: "131041", Rule: alert.RuleBulkReveal, Subject: "x"}); err == nil {
				t.Fatal("an alert was raised outside any scope")
			}
		}
		ctx := audit.WithActor(testutil.AllTenants(), audit.Actor{User: "setup"}) // as the rules raise
		for i, tenant := range []string{"131041", "011002", "", "131041", "131041"} {
			if _, err := svc.Raise(ctx, alert.Alert{Tenant: tenant, Rule: alert.RuleBulkReveal, Subject: "u" + strconv.Itoa(i)}); err != nil {
				t.Fatal(err)
			}
		}
		page, err := svc.List(context.Background(), alert.Filter{Tenants: []string{"131041"}, Status: "open", Limit: 2})
		if err != nil || len(page.Items) != 2 || page.Next == "" || page.Items[0].Subject != "u4" || page.Items[1].Subject != "u3" {
			t.Fatalf("first page: %+v %v", page, err)
		}
		page, _ = svc.List(context.Background(), alert.Filter{Tenants: []string{"131041"}, Status: "open", Limit: 2, Cursor: page.Next})
		if len(page.Items) != 2 || page.Next != "" || page.More || page.Items[0].Subject != "u2" || page.Items[1].Subject != "u0" {
			t.Fatalf("second page: %+v", page)
		}
		// The older numeric form of a cursor still starts a page.
		older, _ := svc.List(context.Background(), alert.Filter{Tenants: []string{"131041"}, Status: "open", Limit: 2, Before: page.Items[0].ID})
		if len(older.Items) != 1 || older.Items[0].Subject != "u0" {
			t.Fatalf("page below an ID: %+v", older)
		}
		if _, err := svc.List(context.Background(), alert.Filter{All: true, Cursor: "x"}); !errs.Is(err, errs.Invalid) {
			t.Fatalf("a damaged cursor: %v", err)
		}
		all, _ := svc.List(context.Background(), alert.Filter{All: true})
		if len(all.Items) != 5 {
			t.Fatalf("system-wide reviewer sees %d, want 5", len(all.Items))
		}
		reviewer := audit.WithActor(context.Background(), audit.Actor{User: "pm"})
		shinjuku := alert.Filter{Tenants: []string{"131041"}}
		for _, a := range all.Items {
			_, err := svc.Acknowledge(reviewer, a.ID, "pm", "checked", shinjuku)
			if mine := a.Tenant == "" || a.Tenant == "131041"; mine != (err == nil) || !mine && !errs.Is(err, errs.NotFound) {
				t.Errorf("acknowledge an alert of %q as a reviewer of 131041: %v", a.Tenant, err)
			}
		}
	})
}

// R-AUD-4 (issue 15): an alert about a person is acknowledged by someone
// else, never by that person.
func TestNoAcknowledgingOneself(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		svc := alert.NewService(db)
		ctx := audit.WithActor(testutil.AllTenants(), audit.Actor{User: "pm"})
		a, err := svc.Raise(ctx, alert.Alert{Tenant: "131041", Rule: alert.RuleBulkReveal, Subject: "pm"})
		if err != nil {
			t.Fatal(err)
		}
		anywhere := alert.Filter{All: true}
		if _, err := svc.Acknowledge(ctx, a.ID, "pm", "確認しました", anywhere); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("acknowledged an alert about oneself: %v", err)
		}
		// R-AC-4: a comment that writes out a My Number is refused.
		if _, err := svc.Acknowledge(ctx, a.ID, "pm2", "1234 5678 9018 の閲覧は正当", anywhere); !hasFieldError(err, "comment") {
			t.Fatalf("a comment holding a My Number: %v", err)
		}
		if got, err := svc.Acknowledge(ctx, a.ID, "pm2", "確認しました", anywhere); err != nil || got.Status != "acknowledged" {
			t.Fatalf("another privacy manager: %+v %v", got, err)
		}
	})
}

func hasFieldError(err error, field string) bool {
	fs := errs.Fields(err)
	return len(fs) == 1 && fs[0].Field == field
}
