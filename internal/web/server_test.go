package web

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/store"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
)

func get(t *testing.T, h http.Handler, path string) (*http.Response, map[string]any) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	res := rec.Result()
	body := map[string]any{}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
			t.Fatalf("%s: bad JSON: %v", path, err)
		}
	}
	return res, body
}

func TestHealthAndReadiness(t *testing.T) {
	testutil.EachEngine(t, func(t *testing.T, eng store.Engine) {
		db := testutil.NewEmptyDB(t, eng)
		s := New(Deps{DB: db, Log: testkit.Quiet, Version: "test"})
		h := s.Handler()

		res, body := get(t, h, "/healthz")
		if res.StatusCode != 200 || body["engine"] != string(eng) || body["version"] != "test" || body["schema_version"] != 0.0 {
			t.Fatalf("healthz before migration: %d %v", res.StatusCode, body)
		}
		if res, _ := get(t, h, "/readyz"); res.StatusCode != 503 {
			t.Fatalf("readyz before migration = %d, want 503", res.StatusCode)
		}
		if _, err := db.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		if res, _ := get(t, h, "/readyz"); res.StatusCode != 503 {
			t.Fatalf("readyz before SetReady = %d, want 503", res.StatusCode)
		}
		s.SetReady(true)
		res, body = get(t, h, "/readyz")
		if res.StatusCode != 200 || body["schema_version"] != float64(store.LatestVersion()) {
			t.Fatalf("readyz after migration: %d %v", res.StatusCode, body)
		}
	})
}

func TestSecurityHeadersAndNotFound(t *testing.T) {
	db := testutil.NewDB(t, store.SQLite)
	h := New(Deps{DB: db, Log: testkit.Quiet, Version: "test"}).Handler()
	for _, path := range []string{"/", "/healthz", "/no/such/page"} {
		res, _ := get(t, h, path)
		csp := res.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") ||
			res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s: weak headers: %v", path, res.Header)
		}
	}
	rec404 := httptest.NewRecorder()
	h.ServeHTTP(rec404, httptest.NewRequest("GET", "/no/such/page", nil))
	if rec404.Code != 404 || !strings.Contains(rec404.Body.String(), "ページが見つかりません") {
		t.Fatalf("unknown route: %d %s", rec404.Code, rec404.Body)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/healthz", nil))
	if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET" || !strings.Contains(rec.Body.String(), "受け付けていません") {
		t.Fatalf("POST /healthz = %d, Allow %q: %s", rec.Code, rec.Header().Get("Allow"), rec.Body)
	}
	// Issue 17: on the API a wrong method is problem details, like every
	// other error there, and says which methods the address takes.
	api := httptest.NewRecorder()
	h.ServeHTTP(api, httptest.NewRequest("DELETE", "/api/v1/openapi.json", nil))
	var p problem
	if err := json.Unmarshal(api.Body.Bytes(), &p); err != nil || api.Code != http.StatusMethodNotAllowed ||
		api.Header().Get("Content-Type") != problemJSON || p.Type != "/problems/method-not-allowed" || !strings.Contains(p.Detail, "GET") {
		t.Fatalf("DELETE on the API = %d %q: %s (%v)", api.Code, api.Header().Get("Content-Type"), api.Body, err)
	}
}

func TestErrorAdapter(t *testing.T) {
	db := testutil.NewDB(t, store.SQLite)
	var logs strings.Builder
	s := New(Deps{DB: db, Log: slog.New(slog.NewTextHandler(&logs, nil)), Version: "test"})
	tests := []struct {
		err    error
		status int
		shown  string
	}{
		{errs.E(errs.NotFound, "resident 0000000001 not found"), 404, "resident 0000000001 not found"},
		{&errs.FieldErrors{List: []errs.FieldError{{Field: "sex", Reason: errs.Message{JA: "不正", EN: "bad"}}}}, 400, "sex"},
		{errs.E(errs.Conflict, "already exists"), 409, "already exists"},
		{errs.E(errs.Forbidden, "no"), 403, "no"},
		{errs.E(errs.Locked, "locked"), 423, "locked"},
		{errors.New("pq: password authentication failed for secret-host"), 500, ""},
		// A refusal shows its message, never the cause under it (issue 15).
		{errs.Wrap(errs.Conflict, errors.New("duplicate key violates residents_pkey at secret-host"), "already exists"), 409, "already exists"},
		{&store.ConstraintError{Kind: errs.Conflict, Constraint: "residents_secret_idx", Err: errors.New("secret-host")}, 409, "clashes"},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		s.handle(func(w http.ResponseWriter, r *http.Request) error { return tt.err }).ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
		body := rec.Body.String()
		if rec.Code != tt.status || (tt.shown != "" && !strings.Contains(body, tt.shown)) {
			t.Errorf("%v: %d %s", tt.err, rec.Code, body)
		}
		if strings.Contains(body, "secret-host") || strings.Contains(body, "residents_secret_idx") {
			t.Errorf("internal error detail leaked: %s", body)
		}
	}
	if !strings.Contains(logs.String(), "secret-host") {
		t.Error("internal error was not logged")
	}
}

// The proof routes answer with proofs that tlog checks against the signed
// checkpoint they serve.
func TestAuditProofRoutes(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := audit.WithActor(context.Background(), audit.Actor{User: "clerk01"})
		for i := 0; i < 30; i++ {
			if err := audit.RecordAlone(ctx, db, audit.Event{Action: "resident.read", Outcome: audit.OK}); err != nil {
				t.Fatal(err)
			}
		}
		keys := testutil.AuditKeys(t)
		testutil.Place(t, db, audit.NewSequencer(db, keys, nil, audit.SequencerOptions{Every: 10}))
		h := New(Deps{DB: db, Log: testkit.Quiet, Version: "test"}).Handler()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/audit/checkpoint", nil))
		cp, err := audit.OpenCheckpoint(rec.Body.Bytes(), keys.Verifier)
		if err != nil || cp.Size != 30 {
			t.Fatalf("checkpoint: %d %s %v", rec.Code, rec.Body, err)
		}
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/audit/proof/inclusion?seq=17", nil))
		var inc audit.InclusionProof
		if err := json.Unmarshal(rec.Body.Bytes(), &inc); err != nil {
			t.Fatalf("inclusion: %d %s", rec.Code, rec.Body)
		}
		e, _ := audit.Get(ctx, db, 17)
		if err := tlog.CheckRecord(inc.Proof, cp.Size, cp.Root, 17, tlog.RecordHash(audit.LeafData(e))); err != nil {
			t.Fatalf("inclusion proof: %v", err)
		}
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/audit/proof/consistency?from=10", nil))
		var cons audit.ConsistencyProof
		json.Unmarshal(rec.Body.Bytes(), &cons)
		if err := tlog.CheckTree(cons.Proof, cp.Size, cp.Root, 10, cons.OldRoot); err != nil || rec.Code != 200 {
			t.Fatalf("consistency proof: %d %v", rec.Code, err)
		}
		for _, bad := range []string{"/api/v1/audit/proof/inclusion?seq=x", "/api/v1/audit/proof/inclusion", "/api/v1/audit/proof/inclusion?seq=99"} {
			rec = httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", bad, nil))
			if rec.Code != 400 {
				t.Errorf("%s = %d %s", bad, rec.Code, rec.Body)
			}
		}
	})
}

// Issue 15, R-AUD-1: every request has an ID, answered as X-Request-ID
// and carried by the audit events it writes.
func TestRequestIDInAuditEvents(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		c := f.client(t)
		res, _ := f.post(t, c, "/login", url.Values{"login_id": {"tanaka.h"}, "password": {"wrong password here"}})
		id := res.Header.Get("X-Request-ID")
		if len(id) != 16 {
			t.Fatalf("X-Request-ID = %q", id)
		}
		n := testutil.CountEvents(t, f.db, `action = 'login.password' AND request_id = $1`, id)
		if n != 1 {
			t.Fatalf("events with the request's ID = %d, want 1", n)
		}
		if res2, _ := f.post(t, c, "/login", url.Values{"login_id": {"tanaka.h"}, "password": {"wrong password here"}}); res2.Header.Get("X-Request-ID") == id {
			t.Fatal("two requests share an ID")
		}
	})
}
