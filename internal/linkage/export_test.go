package linkage_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"bango/internal/errs"
	"bango/internal/linkage"
	"bango/internal/nhi"
	"bango/internal/review"
	"bango/internal/store"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
)

// confirm files p as the clerk and has the checker confirm it.
func (f *fixture) confirm(t *testing.T, p review.Proposal, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.review.Submit(testutil.As("clerk"), f.User(t, "clerk"), shinjuku, p)
	if err == nil {
		_, err = f.review.Confirm(testutil.As("checker"), f.User(t, "checker"), shinjuku, c.ID, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// R-NHI-8: the eligibility-continuity file carries every acquisition and
// loss the NHI module recorded since the last file, by insured number and
// half-width kana, with no My Number; its manifest's SHA-256 is the
// file's; the next file carries only what came after; a partner not
// configured to receive it gets nothing.
func TestExportEligibility(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := testutil.As("cli:operator")
		req := func(out *bytes.Buffer) linkage.ExportRequest {
			return linkage.ExportRequest{Tenant: shinjuku, Partner: "aggregation", Layout: "nhi-eligibility-continuity", Insurer: "138016",
				FileName: "SKKZ.DAT", Out: out}
		}
		var out bytes.Buffer
		_, _, err := f.linkage.ExportEligibility(ctx, req(&out), f.nhi)
		testutil.Told(t, "not configured", err, errs.Forbidden, "no route:", testutil.DeveloperWords)
		if _, err := f.linkage.AddPartner(testutil.As("is-admin"), linkage.Partner{Tenant: shinjuku, ID: "aggregation",
			Direction: linkage.Outbound, Layouts: []string{"nhi-eligibility-continuity"}}); err != nil {
			t.Fatal(err)
		}
		for _, p := range []struct{ code, kana, birth string }{{"500001", "ヤマダ　タロウ", "1980-04-01"}, {"500002", "ヤマダ　ガクト", "2010-06-15"}} {
			in := testkit.Person(p.code, "")
			in.NameKana, in.BirthDate = p.kana, p.birth
			testkit.Resident(t, f.residents, shinjuku, in)
		}
		clerk := testutil.As("clerk")
		jstNow := time.Now().In(time.FixedZone("JST", 9*60*60))
		on, lost := jstNow.AddDate(0, 0, -3).Format(time.DateOnly), jstNow.AddDate(0, 0, -1).Format(time.DateOnly)
		p, err := f.nhi.ProposeAcquisition(clerk, shinjuku, nhi.AcquisitionInput{ResidentCode: "500001", AcquiredOn: on, Reason: nhi.AcquireMoveIn,
			NotifiedOn: on, NewKigo: "新宿", NewHead: "500001", Number: "5001", Branch: "01"})
		f.confirm(t, p, err)
		person, err := f.nhi.Get(clerk, shinjuku, "500001", "")
		if err != nil {
			t.Fatal(err)
		}
		p, err = f.nhi.ProposeAcquisition(clerk, shinjuku, nhi.AcquisitionInput{ResidentCode: "500002", AcquiredOn: on, Reason: nhi.AcquireBirth,
			NotifiedOn: on, Household: person.Person.Household, Number: "5001", Branch: "02"})
		f.confirm(t, p, err)

		job, m, err := f.linkage.ExportEligibility(ctx, req(&out), f.nhi)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(out.Bytes())
		if m.Records != 2 || m.SHA256 != hex.EncodeToString(sum[:]) || job.Outcome != linkage.Exported || job.Records != 2 || job.SHA256 != m.SHA256 {
			t.Fatalf("job %+v manifest %+v", job, m)
		}
		lines := strings.Split(strings.TrimSuffix(out.String(), "\r\n"), "\r\n")
		if len(lines) != 4 || !strings.HasPrefix(lines[0], "1138016131041SKKZ") || !strings.HasPrefix(lines[3], "90000002") {
			t.Fatalf("file:\n%q", out.String())
		}
		// The records read back as the layout says: insured number, kana, head.
		l, _ := linkage.Lookup("nhi-eligibility-continuity", 1)
		var got []string
		rep, err := linkage.Parse(bytes.NewReader(out.Bytes()), l, linkage.Options{}, func(r *linkage.Record) error {
			if r.Def.Role == linkage.Data {
				got = append(got, strings.Join([]string{r.Get("event").Text, r.Get("insured_symbol").Text, r.Get("insured_number").Text,
					r.Get("branch").Text, r.Get("name_kana").Text, r.Get("head").Text, r.Get("acquire_reason").Text}, "|"))
			}
			return nil
		})
		if err != nil || !rep.OK() {
			t.Fatalf("the file does not read back: %v %v", err, rep.Err())
		}
		if want := "1|新宿|5001|01|ﾔﾏﾀﾞ ﾀﾛｳ|1|01,1|新宿|5001|02|ﾔﾏﾀﾞ ｶﾞｸﾄ|2|04"; strings.Join(got, ",") != want {
			t.Errorf("records %q, want %q", strings.Join(got, ","), want)
		}
		// The next file: only the loss recorded since.
		p, err = f.nhi.ProposeLoss(clerk, shinjuku, nhi.LossInput{ResidentCode: "500002", LostOn: lost, Reason: nhi.LossJoinedEmployee, NotifiedOn: lost})
		f.confirm(t, p, err)
		out.Reset()
		job2, m2, err := f.linkage.ExportEligibility(ctx, req(&out), f.nhi)
		if err != nil || m2.Records != 1 || job2.Through <= job.Through || !strings.Contains(out.String(), "\r\n22") {
			t.Fatalf("the next file: %+v %+v %v\n%q", job2, m2, err, out.String())
		}
		if got := outcomes(t, db, "linkage.export"); got != "denied,ok,ok" {
			t.Errorf("linkage.export outcomes %s", got)
		}
	})
}
