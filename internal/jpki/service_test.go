package jpki_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"bango/internal/errs"
	"bango/internal/jpki"
	"bango/internal/jpki/standin"
	"bango/internal/resident"
	"bango/internal/store"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
)

const (
	shinjuku = testkit.Shinjuku
	sapporo  = testkit.Sapporo
	code     = "000000000101"
)

type fixture struct {
	*testkit.Kit
	residents *resident.Service
	ca        *standin.CA
	srv       *httptest.Server
	jpki      *jpki.Service
	person    resident.Input
}

func setup(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	return setupKit(t, testkit.New(t, db))
}

// setupKit is setup over kit (its database and vault).
func setupKit(t *testing.T, kit *testkit.Kit) *fixture {
	t.Helper()
	db := kit.DB
	f := &fixture{Kit: kit}
	f.Municipality(t, shinjuku, "新宿区")
	f.Municipality(t, sapporo, "札幌市")
	f.residents = resident.NewService(db, f.Vault, testkit.Quiet)
	f.person = testkit.Person(code, "")
	f.person.NameKanji, f.person.Alias, f.person.Address = "渡辺　恵美子", "ワタナベ　エミ", "東京都新宿区北新宿三丁目9番2号"
	testkit.Resident(t, f.residents, shinjuku, f.person)
	testkit.Resident(t, f.residents, sapporo, testkit.Person("000000000900", ""))
	f.ca, f.srv = startCA(t)
	f.jpki = f.service(t, f.ca.ClientConfig(f.srv.URL))
	return f
}

// service is a jpki.Service over the fixture's database: a process of
// its own (a restart makes a new one).
func (f *fixture) service(t *testing.T, cfg jpki.ClientConfig) *jpki.Service {
	t.Helper()
	return jpki.NewService(f.DB, f.Vault, f.residents, client(t, cfg), testkit.Quiet)
}

func clerk() context.Context { return testutil.As("window") }

// needles are the applicant's items and the card's public keys in the
// forms a leak would take: as text, DER, base64 and hex.
func needles(t *testing.T, person resident.Input, keys ...*rsa.PrivateKey) (items, pub map[string][]byte) {
	t.Helper()
	items = map[string][]byte{"name": []byte(person.NameKanji), "alias": []byte(person.Alias), "address": []byte(person.Address)}
	pub = map[string][]byte{}
	for i, k := range keys {
		der, err := x509.MarshalPKIXPublicKey(k.Public())
		if err != nil {
			t.Fatal(err)
		}
		mod := k.N.Bytes()
		pub[fmt.Sprintf("key %d DER", i)] = der
		pub[fmt.Sprintf("key %d base64", i)] = []byte(base64.StdEncoding.EncodeToString(der)[:64])
		pub[fmt.Sprintf("key %d modulus", i)] = mod[:64]
		pub[fmt.Sprintf("key %d modulus hex", i)] = []byte(hex.EncodeToString(mod)[:64])
		pub[fmt.Sprintf("key %d modulus base64", i)] = []byte(base64.StdEncoding.EncodeToString(mod)[:64])
	}
	return items, pub
}

// holdings counts, for every table of the database and every needle, the
// rows whose content holds it, reading every column of every row.
func holdings(t *testing.T, db *store.DB, needles map[string][]byte) map[string]int {
	t.Helper()
	ctx := testutil.AllTenants()
	list := `SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`
	if db.Engine() == store.Postgres {
		list = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`
	}
	got := map[string]int{}
	err := db.Read(ctx, func(q store.Querier) error {
		tables, err := store.Rows(func(row store.Scanner) (string, error) {
			var n string
			return n, row.Scan(&n)
		})(q.Query(ctx, list))
		if err != nil {
			return err
		}
		if len(tables) < 20 {
			return fmt.Errorf("only %d tables found: %v", len(tables), tables)
		}
		for _, table := range tables {
			rows, err := q.Query(ctx, `SELECT * FROM "`+table+`"`)
			if err != nil {
				return fmt.Errorf("read %s: %w", table, err)
			}
			cols, _ := rows.Columns()
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			for rows.Next() {
				if err := rows.Scan(ptrs...); err != nil {
					rows.Close()
					return err
				}
				var content bytes.Buffer
				for _, v := range vals {
					switch v := v.(type) {
					case []byte:
						content.Write(v)
					case string:
						content.WriteString(v)
					default:
						fmt.Fprint(&content, v)
					}
					content.WriteByte(0)
				}
				for name, n := range needles {
					if bytes.Contains(content.Bytes(), n) {
						got[table+": "+name]++
					}
				}
			}
			if err := rows.Close(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// filesHolding lists the files under dir that hold any needle.
func filesHolding(t *testing.T, dir string, needles map[string][]byte) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for name, n := range needles {
			if bytes.Contains(data, n) {
				out = append(out, path+": "+name)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// keeper checks R-JPKI-2 after an outcome: the rows holding the
// applicant's items are those that held them before the application (the
// resident register itself), and no table, nor any file of the data
// folder, holds the card's public keys; no work record is left.
type keeper struct {
	f      *fixture
	items  map[string][]byte
	pub    map[string][]byte
	before map[string]int
	wal    *walLog // PostgreSQL: its write-ahead log from the keeper's start
}

func (f *fixture) keeper(t *testing.T, keys ...*rsa.PrivateKey) *keeper {
	t.Helper()
	items, pub := needles(t, f.person, keys...)
	k := &keeper{f: f, items: items, pub: pub, before: holdings(t, f.DB, items)}
	if f.DB.Engine() == store.Postgres {
		k.wal = startWAL(t)
	}
	if k.before["residents: name"] != 1 || k.before["residents: address"] != 1 {
		t.Fatalf("the search does not find the register's own record: %v", k.before)
	}
	return k
}

func (k *keeper) nothingKept(t *testing.T, when string) {
	t.Helper()
	after := holdings(t, k.f.DB, k.items)
	for where, n := range after {
		if n != k.before[where] {
			t.Errorf("%s: %s in %d rows, %d before the application", when, where, n, k.before[where])
		}
	}
	for where, n := range holdings(t, k.f.DB, k.pub) {
		t.Errorf("%s: %s in %d rows", when, where, n)
	}
	if k.f.DB.Engine() == store.SQLite {
		// The database file, its journal and write-ahead log: a row once
		// written and deleted stays in free pages; sealed, it says nothing.
		if found := filesHolding(t, filepath.Dir(k.f.DB.Where()), k.pub); len(found) > 0 {
			t.Errorf("%s: the data folder holds a public key: %v", when, found)
		}
	}
	if k.wal != nil {
		// Every row written since the application, deleted or not, as the
		// server keeps it on its disk.
		log := k.wal.since(t)
		for name, n := range k.pub {
			if bytes.Contains(log, n) {
				t.Errorf("%s: PostgreSQL's write-ahead log holds %s", when, name)
			}
		}
	}
	if n := testutil.CountEvents(t, k.f.DB, `1 = 1`); n == 0 {
		t.Errorf("%s: no audit event", when)
	}
	var left int
	if err := k.f.DB.Read(testutil.AllTenants(), func(q store.Querier) error {
		return q.QueryRow(testutil.AllTenants(), `SELECT count(*) FROM jpki_work`).Scan(&left)
	}); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Errorf("%s: %d work records left", when, left)
	}
}

func requestOf(t *testing.T, sig, auth *rsa.PrivateKey) jpki.Request {
	var r jpki.Request
	if sig != nil {
		r.Signature = b64(csrOf(t, sig))
	}
	if auth != nil {
		r.Authentication = b64(csrOf(t, auth))
	}
	return r
}

// R-JPKI-1, R-JPKI-2, R-ACC-4: a window clerk opens an application (the
// identity check is recorded), the card's two requests are issued, the
// certificates come back to the caller carrying the register's items
// (signature) or none (authentication), and nothing of them is kept: the
// audit events hold the outcome, serial number and validity only.
func TestIssueKeepsNothing(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		sig, auth := cardKey(t, 0), cardKey(t, 1)
		k := f.keeper(t, sig, auth)
		a, err := f.jpki.Open(clerk(), shinjuku, code, resident.VerifiedByMyNumberCard)
		if err != nil {
			t.Fatal(err)
		}
		want := jpki.Items{Name: f.person.NameKanji, Alias: f.person.Alias, Address: f.person.Address, BirthDate: f.person.BirthDate, Sex: f.person.Sex}
		if a.Applicant != want {
			t.Fatalf("applicant %+v, want %+v", a.Applicant, want)
		}
		if v, err := f.residents.Verifications(clerk(), shinjuku, code); err != nil || len(v) != 1 || v[0].Method != resident.VerifiedByMyNumberCard {
			t.Errorf("identity verification recorded: %+v, %v", v, err)
		}
		// The opening's events, written in its one transaction.
		for _, action := range []string{"resident.verify_identity", "resident.read", "jpki.open"} {
			evs := testutil.Events(t, db, action)
			if len(evs) == 0 || evs[len(evs)-1].Outcome != "ok" || evs[len(evs)-1].Subject.ID != code {
				t.Errorf("%s events: %+v", action, evs)
			}
		}
		res, err := f.jpki.Issue(clerk(), shinjuku, a.ID, requestOf(t, sig, auth))
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Issued) != 2 || len(res.Failed) != 0 {
			t.Fatalf("issued %d, failed %+v", len(res.Issued), res.Failed)
		}
		for _, c := range res.Issued {
			cert, err := x509.ParseCertificate(c.DER)
			if err != nil {
				t.Fatal(err)
			}
			var items *jpki.Items
			if c.Kind == jpki.Signature {
				items = &want
			}
			if err := jpki.CheckCertificate(cert, c.Kind, items); err != nil {
				t.Errorf("%s: %v", c.Kind, err)
			}
			if r, ok := f.ca.Lookup(c.Serial); !ok || r.Municipality != shinjuku {
				t.Errorf("%s: the CA keeps %+v", c.Kind, r)
			}
		}
		k.nothingKept(t, "issued")
		evs := testutil.Events(t, db, "jpki.issue")
		if len(evs) != 2 {
			t.Fatalf("%d issue events", len(evs))
		}
		for i, e := range evs {
			c := res.Issued[i]
			if e.Outcome != "ok" || e.Subject.ID != code || !strings.Contains(e.Detail, "serial="+c.Serial) ||
				!strings.Contains(e.Detail, "not_after="+c.NotAfter.Format(time.RFC3339)) || !strings.Contains(e.Detail, "kind="+string(c.Kind)) {
				t.Errorf("event %+v for %+v", e, c)
			}
		}
		// Once ended, the application is gone: issuing again sends nothing.
		served := f.ca.Served()
		if _, err := f.jpki.Issue(clerk(), shinjuku, a.ID, requestOf(t, sig, nil)); !errs.Is(err, errs.NotFound) {
			t.Errorf("a second issuance of an ended application: %v", err)
		}
		if f.ca.Served() != served {
			t.Error("an ended application reached the CA")
		}
	})
}

// R-JPKI-2: after every other outcome — the CA refuses, the clerk
// cancels, the CA does not answer in time, the application is left open
// past its time, the process is killed mid-issuance and a new one starts —
// no table and no file holds the items or the keys, and the outcome is an
// audit event.
func TestEveryOutcomeKeepsNothing(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		sig := cardKey(t, 0)
		k := f.keeper(t, sig)
		open := func() jpki.Application {
			t.Helper()
			a, err := f.jpki.Open(clerk(), shinjuku, code, resident.VerifiedByNotificationPhotoID)
			if err != nil {
				t.Fatal(err)
			}
			return a
		}

		// The CA refuses: this one takes only 4096-bit keys, and bango's
		// configuration still allows the card's 2048.
		strict, err := standin.New(standin.Options{Policy: jpki.KeyPolicy{RSABits: []int{4096}}})
		if err != nil {
			t.Fatal(err)
		}
		strictSrv := httptest.NewUnstartedServer(strict.Handler())
		strictSrv.TLS = strict.TLSConfig()
		strictSrv.StartTLS()
		defer strictSrv.Close()
		refusing := f.service(t, strict.ClientConfig(strictSrv.URL))
		a, err := refusing.Open(clerk(), shinjuku, code, resident.VerifiedByMyNumberCard)
		if err != nil {
			t.Fatal(err)
		}
		_, err = refusing.Issue(clerk(), shinjuku, a.ID, requestOf(t, sig, nil))
		wantTold(t, err, errs.Conflict)
		if strict.Served() != 1 {
			t.Errorf("the refusing CA served %d requests", strict.Served())
		}
		k.nothingKept(t, "refused by the CA")
		if got := testutil.Outcomes(t, db, "jpki.issue"); len(got) != 1 || !strings.HasPrefix(got[0], "error ") || !strings.HasSuffix(got[0], "kind=signature outcome=refused") {
			t.Errorf("refusal recorded as %v", got)
		}

		// An answer that does not match the request.
		a = open()
		f.ca.SetTamper(func(req jpki.IssueRequest, resp *jpki.IssueResponse) { resp.RequestID = "another" })
		_, err = f.jpki.Issue(clerk(), shinjuku, a.ID, requestOf(t, sig, nil))
		wantTold(t, err, errs.Unavailable)
		f.ca.SetTamper(nil)
		k.nothingKept(t, "bad answer")

		// The clerk cancels.
		a = open()
		if err := f.jpki.Cancel(clerk(), shinjuku, a.ID); err != nil {
			t.Fatal(err)
		}
		k.nothingKept(t, "cancelled")
		if _, err := f.jpki.Issue(clerk(), shinjuku, a.ID, requestOf(t, sig, nil)); !errs.Is(err, errs.NotFound) {
			t.Errorf("a cancelled application issued: %v", err)
		}

		// The CA does not answer in time.
		slow := f.ca.ClientConfig(f.srv.URL)
		slow.Timeout = 200 * time.Millisecond
		waiting := f.service(t, slow)
		f.ca.SetDelay(time.Minute)
		a, err = waiting.Open(clerk(), shinjuku, code, resident.VerifiedByMyNumberCard)
		if err != nil {
			t.Fatal(err)
		}
		_, err = waiting.Issue(clerk(), shinjuku, a.ID, requestOf(t, sig, nil))
		wantTold(t, err, errs.Unavailable)
		f.ca.SetDelay(0)
		k.nothingKept(t, "timeout")

		// Left open past its time: the sweeper ends it.
		a = open()
		later := f.service(t, f.ca.ClientConfig(f.srv.URL))
		if n, err := later.Sweep(testutil.As("system:jobs")); err != nil || n != 1 {
			t.Fatalf("a new process's sweep at start: %d, %v", n, err)
		}
		k.nothingKept(t, "swept at start")
		a = open()
		f.jpki.SetClock(func() time.Time { return time.Now().Add(jpki.OpenFor + time.Minute) })
		if n, err := f.jpki.Sweep(testutil.As("system:jobs")); err != nil || n != 1 {
			t.Fatalf("sweep of an application left open: %d, %v", n, err)
		}
		f.jpki.SetClock(time.Now)
		k.nothingKept(t, "left open")
		if _, err := f.jpki.Issue(clerk(), shinjuku, a.ID, requestOf(t, sig, nil)); !errs.Is(err, errs.NotFound) {
			t.Errorf("a timed-out application issued: %v", err)
		}

		// Killed mid-issuance: the request is at the CA when the process
		// dies; the next process's sweeper destroys the work record.
		f.ca.SetDelay(time.Minute)
		dying := f.service(t, f.ca.ClientConfig(f.srv.URL))
		a, err = dying.Open(clerk(), shinjuku, code, resident.VerifiedByMyNumberCard)
		if err != nil {
			t.Fatal(err)
		}
		ctx, kill := context.WithCancel(clerk())
		ended := make(chan error)
		served := f.ca.Served()
		go func() { _, err := dying.Issue(ctx, shinjuku, a.ID, requestOf(t, sig, nil)); ended <- err }()
		for f.ca.Served() == served {
			time.Sleep(10 * time.Millisecond) // until the request is at the CA
		}
		restarted := f.service(t, f.ca.ClientConfig(f.srv.URL))
		if n, err := restarted.Sweep(testutil.As("system:jobs")); err != nil || n != 1 {
			t.Fatalf("sweep after the crash: %d, %v", n, err)
		}
		k.nothingKept(t, "killed mid-issuance, swept at restart")
		kill()
		<-ended
		f.ca.SetDelay(0)
		k.nothingKept(t, "the dead request's end")

		got := testutil.Outcomes(t, db, "jpki.expire")
		if len(got) != 3 {
			t.Errorf("expiry events: %v", got)
		}
		var details []string
		for _, e := range testutil.Events(t, db, "jpki.expire") {
			details = append(details, e.Detail[strings.Index(e.Detail, "outcome="):])
		}
		if strings.Join(details, " ") != "outcome=abandoned outcome=timeout outcome=abandoned" {
			t.Errorf("expiry outcomes: %v", details)
		}
		for _, e := range testutil.Events(t, db, "") {
			for name, n := range k.items {
				if strings.Contains(e.Detail, string(n)) {
					t.Errorf("event %s holds the %s", e.Action, name)
				}
			}
		}
	})
}

// Bad input: a forged request, a key the CA does not accept, the same key
// for both certificates, a request naming someone else, a resident of
// another municipality — a clear error naming the field, nothing sent and
// nothing kept.
func TestBadInputSendsNothing(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		sig := cardKey(t, 0)
		k := f.keeper(t, sig)
		if _, err := f.jpki.Open(clerk(), shinjuku, "000000000900", resident.VerifiedByMyNumberCard); !errs.Is(err, errs.NotFound) {
			t.Errorf("a resident of Sapporo at Shinjuku's window: %v", err)
		}
		if _, err := f.jpki.Open(clerk(), shinjuku, code, "hearsay"); !errs.Is(err, errs.Invalid) {
			t.Errorf("an unknown identity check: %v", err)
		}
		a, err := f.jpki.Open(clerk(), shinjuku, code, resident.VerifiedByMyNumberCard)
		if err != nil {
			t.Fatal(err)
		}
		forged := csrOf(t, sig)
		forged[len(forged)-3] ^= 1
		cases := map[string]struct {
			req   jpki.Request
			field string
		}{
			"forged":    {jpki.Request{Signature: b64(forged)}, "csr_signature"},
			"same key":  {jpki.Request{Signature: b64(csrOf(t, sig)), Authentication: b64(csrOf(t, sig))}, "csr_authentication"},
			"none":      {jpki.Request{}, "kind"},
			"not a csr": {jpki.Request{Authentication: "hello"}, "csr_authentication"},
		}
		for name, c := range cases {
			_, err := f.jpki.Issue(clerk(), shinjuku, a.ID, c.req)
			if fs := errs.Fields(err); len(fs) != 1 || fs[0].Field != c.field {
				t.Errorf("%s: %v, want a refusal of %s", name, err, c.field)
			}
		}
		if n := f.ca.Served(); n != 0 {
			t.Errorf("the CA was sent %d requests", n)
		}
		// The application stays open for the card to be read again.
		if _, err := f.jpki.Issue(clerk(), shinjuku, a.ID, requestOf(t, sig, nil)); err != nil {
			t.Fatal(err)
		}
		k.nothingKept(t, "after refusals and an issue")
		// Sapporo's staff cannot reach Shinjuku's application.
		b, err := f.jpki.Open(clerk(), shinjuku, code, resident.VerifiedByMyNumberCard)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.jpki.Issue(clerk(), sapporo, b.ID, requestOf(t, sig, nil)); !errs.Is(err, errs.NotFound) {
			t.Errorf("another municipality's application: %v", err)
		}
		if err := f.jpki.Cancel(clerk(), sapporo, b.ID); !errs.Is(err, errs.NotFound) {
			t.Errorf("another municipality cancels: %v", err)
		}
	})
}

func wantTold(t *testing.T, err error, kind errs.Kind) {
	t.Helper()
	if !errs.Is(err, kind) {
		t.Fatalf("got %v, want %v", err, kind)
	}
	var ce *jpki.CAError
	if errors.As(err, &ce) {
		t.Fatalf("the raw CA error reaches the caller: %v", err)
	}
	for _, lang := range []string{"ja", "en"} {
		if told, ok := errs.Told(err, lang); !ok || told == "" {
			t.Errorf("staff are told nothing in %s: %v", lang, err)
		}
	}
}

func b64(der []byte) string { return base64.StdEncoding.EncodeToString(der) }

// Revocation (lost card, change of the basic four items) goes through the
// same boundary: the CA revokes, the event holds the serial and reason; a
// serial the CA did not issue for the municipality, a wrong reason and
// another municipality's resident are refused.
func TestRevokeAtTheWindow(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		a, err := f.jpki.Open(clerk(), shinjuku, code, resident.VerifiedByMyNumberCard)
		if err != nil {
			t.Fatal(err)
		}
		res, err := f.jpki.Issue(clerk(), shinjuku, a.ID, requestOf(t, cardKey(t, 0), nil))
		if err != nil {
			t.Fatal(err)
		}
		serial := res.Issued[0].Serial
		if _, err := f.jpki.Revoke(clerk(), shinjuku, code, serial, "bored"); len(errs.Fields(err)) != 1 || errs.Fields(err)[0].Field != "revoke_reason" {
			t.Errorf("a wrong reason: %v", err)
		}
		if _, err := f.jpki.Revoke(clerk(), shinjuku, "000000000900", serial, jpki.RevokeLost); !errs.Is(err, errs.NotFound) {
			t.Errorf("Sapporo's resident at Shinjuku's window: %v", err)
		}
		if _, err := f.jpki.Revoke(clerk(), shinjuku, code, "abcdef", jpki.RevokeLost); !errs.Is(err, errs.Conflict) {
			t.Errorf("a serial the CA did not issue: %v", err)
		}
		rv, err := f.jpki.Revoke(clerk(), shinjuku, code, strings.ToUpper(serial), jpki.RevokeChanged)
		if err != nil {
			t.Fatal(err)
		}
		if r, _ := f.ca.Lookup(serial); r.RevokedAt.IsZero() || r.Reason != jpki.RevokeChanged || rv.Serial != serial {
			t.Errorf("the CA keeps %+v after %+v", r, rv)
		}
		got := testutil.Outcomes(t, db, "jpki.revoke")
		if len(got) != 3 || !strings.HasPrefix(got[2], "ok serial="+serial+" reason=items_changed revoked_at=") || !strings.HasSuffix(got[1], "outcome=refused") {
			t.Errorf("revocation events: %v", got)
		}
	})
}
