package jpki_test

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/jpki"
	"bango/internal/linkage"
	"bango/internal/mynumber"
	"bango/internal/resident"
	"bango/internal/store"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
)

// R-JPKI-1: the signature certificate carries the basic four items and
// the alias and must be revoked when they change. A change of the
// register is sent to the CA by the module's job, as a register system
// tells J-LIS; the CA revokes the signature certificate whose items no
// longer match, and leaves the authentication certificate and a
// certificate whose items did not change. The CA out of reach keeps the
// change for the next run; nothing of the items is kept (R-JPKI-2).
func TestRegisterChangeRevokesTheSignatureCertificate(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		jobs := testutil.As("system:jobs")
		// The first run starts the municipality's sending from now.
		if got, err := f.jpki.SendRegisterChanges(jobs); err != nil || got.Residents != 0 {
			t.Fatalf("first run: %+v, %v", got, err)
		}
		sig, auth := cardKey(t, 0), cardKey(t, 1)
		k := f.keeper(t, sig, auth)
		a, err := f.jpki.Open(clerk(), shinjuku, code, resident.VerifiedByMyNumberCard)
		if err != nil {
			t.Fatal(err)
		}
		res, err := f.jpki.Issue(clerk(), shinjuku, a.ID, requestOf(t, sig, auth))
		if err != nil || len(res.Issued) != 2 {
			t.Fatalf("issue: %+v, %v", res, err)
		}
		serial := map[jpki.Kind]string{}
		for _, c := range res.Issued {
			serial[c.Kind] = c.Serial
		}

		// A change that leaves the items as they were revokes nothing.
		r, err := f.residents.Get(clerk(), shinjuku, code)
		if err != nil {
			t.Fatal(err)
		}
		if r, err = f.residents.Update(clerk(), shinjuku, code, r.Version, f.person); err != nil {
			t.Fatal(err)
		}
		if got, err := f.jpki.SendRegisterChanges(jobs); err != nil || got.Residents < 1 || len(got.Revoked) != 0 {
			t.Fatalf("the same items sent: %+v, %v", got, err)
		}

		// The resident moves: the CA out of reach keeps it for the next run.
		moved := f.person
		moved.Address = "東京都新宿区西早稲田一丁目6番1号"
		if _, err := f.residents.Update(clerk(), shinjuku, code, r.Version, moved); err != nil {
			t.Fatal(err)
		}
		down := f.service(t, f.ca.ClientConfig("https://127.0.0.1:1"))
		if _, err := down.SendRegisterChanges(jobs); err == nil {
			t.Fatal("a CA out of reach: no error")
		}
		if rec, _ := f.ca.Lookup(serial[jpki.Signature]); !rec.RevokedAt.IsZero() {
			t.Fatal("revoked without the CA")
		}
		got, err := f.jpki.SendRegisterChanges(jobs)
		if err != nil || got.Residents < 1 || len(got.Revoked) != 1 || got.Revoked[0].Serial != serial[jpki.Signature] {
			t.Fatalf("after the move: %+v, %v", got, err)
		}
		if rec, _ := f.ca.Lookup(serial[jpki.Signature]); rec.RevokedAt.IsZero() || rec.Reason != jpki.RevokeChanged {
			t.Errorf("the signature certificate at the CA: %+v", rec)
		}
		if rec, _ := f.ca.Lookup(serial[jpki.Authentication]); !rec.RevokedAt.IsZero() {
			t.Errorf("the authentication certificate was revoked: %+v", rec)
		}
		// Sent again within the overlap: nothing more is revoked.
		if got, err := f.jpki.SendRegisterChanges(jobs); err != nil || len(got.Revoked) != 0 {
			t.Errorf("a second run: %+v, %v", got, err)
		}
		revokes := testutil.Events(t, db, "jpki.revoke")
		if len(revokes) != 1 || revokes[0].Subject.ID != code || revokes[0].Actor.User != "system:jobs" ||
			!strings.HasPrefix(revokes[0].Detail, "serial="+serial[jpki.Signature]+" reason=items_changed revoked_at=") ||
			!strings.HasSuffix(revokes[0].Detail, " by=register") {
			t.Errorf("revocation events: %+v", revokes)
		}
		// Shinjuku's sendings (Sapporo's resident, registered within the
		// overlap, is sent too).
		var sent []string
		for _, e := range testutil.Events(t, db, "jpki.register_sent") {
			if e.Tenant == shinjuku {
				sent = append(sent, e.Outcome+" "+e.Detail)
			}
		}
		if len(sent) != 4 || sent[0] != "ok residents=1 revoked=0" || sent[1] != "error residents=1 outcome=unreachable" ||
			sent[2] != "ok residents=1 revoked=1" || sent[3] != "ok residents=1 revoked=0" {
			t.Errorf("sending events: %q", sent)
		}
		// The register now holds the new address; the old one is nowhere.
		k.items["address"] = []byte(f.person.Address)
		k.before["residents: address"] = 0
		k.nothingKept(t, "after the register's change was sent")
	})
}

// R-JPKI-1, R-LNK-1: a resident who leaves the register is sent to the
// CA, as a register system tells J-LIS: one who moved out (転出) loses the
// signature certificate (its address no longer holds) and keeps the
// authentication certificate for the new address (継続利用); one who died
// loses both. The departures come as the register records them: the
// resident-records differences file applied by the linkage. Each
// revocation is an audit event with the serial, kind and reason and no
// personal item; sent again, nothing more is revoked. The window's list
// names each resident from the register, never the number.
func TestResidentsLeavingRevoke(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		jobs := testutil.As("system:jobs")
		if _, err := f.jpki.SendRegisterChanges(jobs); err != nil {
			t.Fatal(err)
		}
		// Resident codes as the resident-records system's files carry
		// them (the linkage keeps a code without its zeros).
		const code, died = "5101", "5102"
		diedNumber := "51020000000" + string(mynumber.CheckDigit("51020000000"))
		for _, p := range []struct{ code, name, kana, address, number string }{
			{code, "転出　一郎", "テンシュツ　イチロウ", "東京都新宿区西新宿二丁目8番1号", ""},
			{died, "死亡　花子", "シボウ　ハナコ", "東京都新宿区百人町一丁目1番1号", diedNumber},
		} {
			in := testkit.Person(p.code, p.number)
			in.NameKanji, in.NameKana, in.Address = p.name, p.kana, p.address
			testkit.Resident(t, f.residents, shinjuku, in)
		}
		serial := map[string]string{}
		for _, who := range []struct {
			code      string
			sig, auth int
		}{{code, 0, 1}, {died, 2, 1}} {
			a, err := f.jpki.Open(clerk(), shinjuku, who.code, resident.VerifiedByMyNumberCard)
			if err != nil {
				t.Fatal(err)
			}
			res, err := f.jpki.Issue(clerk(), shinjuku, a.ID, requestOf(t, cardKey(t, who.sig), cardKey(t, who.auth)))
			if err != nil || len(res.Issued) != 2 {
				t.Fatalf("issue for %s: %+v, %v", who.code, res, err)
			}
			for _, c := range res.Issued {
				serial[who.code+" "+string(c.Kind)] = c.Serial
			}
		}
		// The resident-records system's daily differences: a move out
		// (31) and a death (32), applied to the register by the linkage,
		// which records each departure.
		importDepartures(t, db, map[string]string{code: "31", died: "32"})
		var departures []string
		err := db.Read(testutil.AllTenants(), func(q store.Querier) error {
			var err error
			departures, err = store.Rows(func(row store.Scanner) (string, error) {
				var c, k, src string
				err := row.Scan(&c, &k, &src)
				return c + " " + k + " " + src, err
			})(q.Query(testutil.AllTenants(), `SELECT resident_code, kind, source FROM resident_departures ORDER BY resident_code`))
			return err
		})
		if err != nil || len(departures) != 2 || !strings.HasPrefix(departures[0], code+" moved_out linkage job ") ||
			!strings.HasPrefix(departures[1], died+" deceased linkage job ") {
			t.Fatalf("departures the linkage recorded: %q, %v", departures, err)
		}
		got, err := f.jpki.SendRegisterChanges(jobs)
		if err != nil || len(got.Revoked) != 3 {
			t.Fatalf("after the departures: %+v, %v", got, err)
		}
		want := map[string]string{
			code + " signature":      jpki.RevokeMovedOut,
			code + " authentication": "",
			died + " signature":      jpki.RevokeDeceased,
			died + " authentication": jpki.RevokeDeceased,
		}
		for k, reason := range want {
			rec, ok := f.ca.Lookup(serial[k])
			if !ok || rec.Reason != reason || rec.RevokedAt.IsZero() != (reason == "") {
				t.Errorf("%s at the CA: %+v, want reason %q", k, rec, reason)
			}
		}
		var details []string
		for _, e := range testutil.Events(t, db, "jpki.revoke") {
			if e.Actor.User != "system:jobs" || !strings.HasSuffix(e.Detail, " by=register") {
				t.Errorf("revocation event %+v", e)
			}
			details = append(details, e.Subject.ID+" "+strings.Join(strings.Fields(e.Detail)[:3], " "))
		}
		slices.Sort(details)
		wantDetails := []string{
			code + " serial=" + serial[code+" signature"] + " kind=signature reason=moved_out",
			died + " serial=" + serial[died+" authentication"] + " kind=authentication reason=deceased",
			died + " serial=" + serial[died+" signature"] + " kind=signature reason=deceased",
		}
		slices.Sort(wantDetails)
		if !slices.Equal(details, wantDetails) {
			t.Errorf("revocation events:\n%q\nwant\n%q", details, wantDetails)
		}
		// Sent again within the overlap: the CA has nothing more to revoke.
		if got, err := f.jpki.SendRegisterChanges(jobs); err != nil || len(got.Revoked) != 0 {
			t.Errorf("a second run: %+v, %v", got, err)
		}
		var sent []string
		for _, e := range testutil.Events(t, db, "jpki.register_sent") {
			if e.Tenant == shinjuku && strings.HasPrefix(e.Detail, "left=") {
				sent = append(sent, e.Outcome+" "+e.Detail)
			}
		}
		if !slices.Equal(sent, []string{"ok left=2 revoked=3", "ok left=2 revoked=0"}) {
			t.Errorf("sending events: %q", sent)
		}

		// The window's list of what the register revoked, from the audit
		// log: the three certificates, each resident named from the
		// register (who stays there with the departure) and never by
		// number; each resident shown is a read.
		testutil.Place(t, db, testutil.NewSequencer(t, db, audit.SequencerOptions{Every: 100000, Period: time.Hour}))
		list, err := f.jpki.RevokedByRegister(clerk(), shinjuku, "", "")
		if err != nil || len(list.Certificates) != 3 || list.More {
			t.Fatalf("the list: %+v, %v", list, err)
		}
		var listed []string
		names := map[string]string{code: "転出　一郎 テンシュツ　イチロウ", died: "死亡　花子 シボウ　ハナコ"}
		for _, c := range list.Certificates {
			listed = append(listed, c.Resident+" serial="+c.Serial+" kind="+string(c.Kind)+" reason="+c.Reason)
			if c.RevokedAt.IsZero() {
				t.Errorf("no time: %+v", c)
			}
			if !c.InRegister || c.Name+" "+c.NameKana != names[c.Resident] {
				t.Errorf("%s named %v %q %q, want %q", c.Resident, c.InRegister, c.Name, c.NameKana, names[c.Resident])
			}
		}
		if raw, err := json.Marshal(list); err != nil || strings.Contains(string(raw), diedNumber) {
			t.Errorf("the list holds the My Number: %s %v", raw, err)
		}
		var reads []string
		for _, e := range testutil.Events(t, db, "resident.read") {
			if e.Detail == "for=jpki.revoked_list" {
				reads = append(reads, e.Subject.ID)
			}
		}
		slices.Sort(reads)
		if !slices.Equal(reads, []string{code, died}) {
			t.Errorf("reads for the list: %q", reads)
		}
		slices.Sort(listed)
		if !slices.Equal(listed, wantDetails) {
			t.Errorf("listed:\n%q\nwant\n%q", listed, wantDetails)
		}
		// Another municipality's list holds none of them; a period that
		// ends before it starts is refused naming the field.
		if other, err := f.jpki.RevokedByRegister(clerk(), sapporo, "", ""); err != nil || len(other.Certificates) != 0 {
			t.Errorf("Sapporo's list: %+v, %v", other, err)
		}
		if _, err := f.jpki.RevokedByRegister(clerk(), shinjuku, "2026-12-02", "2026-12-01"); len(errs.Fields(err)) != 1 || errs.Fields(err)[0].Field != "from" {
			t.Errorf("a period backwards: %v", err)
		}
		if got := testutil.Outcomes(t, db, "jpki.revoked_list"); len(got) != 3 || !strings.HasSuffix(got[0], " certificates=3") {
			t.Errorf("list events: %q", got)
		}
	})
}

// importDepartures imports a resident-records differences file of
// Shinjuku for 2026-12-01 through the linkage, as the resident-records
// system sends it: one record a resident, with the change code given (31
// moved out, 32 died). The linkage applies it to the register in the
// import's transaction.
func importDepartures(t *testing.T, db *store.DB, changes map[string]string) {
	t.Helper()
	ctx := testutil.As("cli:operator")
	svc := linkage.NewService(db, nil)
	const layout, partner = "resident-differences", "resident-records"
	if _, err := svc.AddPartner(ctx, linkage.Partner{Tenant: shinjuku, ID: partner, Title: "住民記録システム", Direction: linkage.Inbound,
		Layouts: []string{layout}}); err != nil {
		t.Fatal(err)
	}
	l, err := linkage.Lookup(layout, 1)
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	var out bytes.Buffer
	w, err := linkage.NewWriter(&out, l, linkage.Values{"municipality": shinjuku, "created": day.AddDate(0, 0, 1), "period_from": day, "period_to": day})
	if err != nil {
		t.Fatal(err)
	}
	codes := slices.Sorted(maps.Keys(changes))
	for i, c := range codes {
		if err := w.Write("2", linkage.Values{"change": changes[c], "resident_code": c, "household_no": 3000 + i, "name": "山田　太郎",
			"name_kana": "ﾔﾏﾀﾞ ﾀﾛｳ", "birth": time.Date(1980, 4, 1, 0, 0, 0, 0, time.UTC), "sex": "1", "relation": "01", "postal": "1600023",
			"address": "東京都新宿区西新宿二丁目８番１号", "effective": day}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Close(nil); err != nil {
		t.Fatal(err)
	}
	file := out.Bytes()
	if _, _, err := svc.Import(ctx, linkage.ImportRequest{Tenant: shinjuku, Partner: partner, Layout: layout, FileName: "IDO20261202.DAT",
		Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(file)), nil }}); err != nil {
		t.Fatal(err)
	}
}
