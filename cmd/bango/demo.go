package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"iter"
	"strings"
	"time"

	"bango/internal/config"
	"bango/internal/demo"
	"bango/internal/errs"
	"bango/internal/identity"
	"bango/internal/nhi"
	"bango/internal/resident"
)

const demoResidents = 500

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("demo", "[flags]", "Seed the demo municipalities with synthetic residents (deterministic from --seed).\nMunicipalities already present are left as they are.", stderr)
	config.Flags(fs, "data", "db", "master-key-file", "audit-key-file", "log-level", "argon2-memory-kib", "argon2-time")
	seed := fs.Uint64("seed", 1, "seed of the demo data")
	per := fs.Int("residents", demoResidents, "residents per municipality")
	scale := fs.String("scale", "small", "small, or prefecture: 新宿区 gets 61,000 residents and the sources' 54,000 public-expense recipients (50,000 指定難病, 4,000 小児慢性特定疾病)")
	sys, err := systemFromFlags(ctx, fs, args, stderr)
	if err != nil {
		return err
	}
	defer sys.Close()
	defer sys.placeEvents(ctx)
	switch *scale {
	case "small":
		return seedDemo(ctx, sys, *seed, *per, stdout)
	case "prefecture":
		return seedDemoScaled(ctx, sys, *seed, *per, true, stdout)
	}
	return fmt.Errorf("--scale: %q is neither small nor prefecture", *scale)
}

// prefectureResidents are 新宿区's residents at the scale of a
// prefecture: enough for the recipients beside the small demo's.
const prefectureResidents = 61000

// seedDemo creates each demo municipality that does not exist yet, with
// per synthetic residents, and records an identity verification for some.
func seedDemo(ctx context.Context, sys *system, seed uint64, per int, stdout io.Writer) error {
	return seedDemoScaled(ctx, sys, seed, per, false, stdout)
}

// seedDemoScaled is seedDemo, at the scale of a prefecture for public-expense
// care when prefecture is set.
func seedDemoScaled(ctx context.Context, sys *system, seed uint64, per int, prefecture bool, stdout io.Writer) error {
	type made struct {
		m      demo.Municipality
		people []demo.Person
		g      *demo.Generator
	}
	var fresh []made
	for _, m := range demo.Municipalities() {
		if _, err := sys.tenants.Get(ctx, m.Code); err == nil {
			fmt.Fprintf(stdout, "Demo municipality %s %s is already present.\n", m.Code, m.Name)
			continue
		} else if !errs.Is(err, errs.NotFound) {
			return err
		}
		if _, err := sys.tenants.Create(ctx, m.Code, m.Name); err != nil {
			return err
		}
		g := demo.NewGenerator(m, seed)
		n := per
		if _, ok := demoPubmedStaff[m.Code]; ok && prefecture {
			n = max(per, prefectureResidents)
		}
		people := make([]demo.Person, n)
		var unnumbered []string
		for i := range people {
			people[i] = g.Next()
			// One in ten has no My Number yet, so that the clerk's entry and
			// the checker's blind re-entry can be tried on the demo.
			if i%10 == 3 {
				people[i].MyNumber = ""
				unnumbered = append(unnumbered, people[i].ResidentCode+" "+people[i].NameKanji)
			}
		}
		rep, err := sys.residents.Import(ctx, m.Code, demoRecords(people))
		if err != nil {
			return err
		}
		for i, p := range people {
			if i%5 != 0 {
				continue
			}
			method := []string{resident.VerifiedByMyNumberCard, resident.VerifiedByNotificationPhotoID, resident.VerifiedBySignatureCert}[i/5%3]
			if _, err := sys.residents.RecordVerification(ctx, m.Code, p.ResidentCode, method, "demo", "デモデータ"); err != nil {
				return err
			}
		}
		fmt.Fprintf(stdout, "Demo municipality %s %s (%s): %d residents, %d with My Number.\n", m.Code, m.Name, m.Prefecture, rep.Rows, rep.WithMyNumber)
		if len(unnumbered) > 0 {
			fmt.Fprintf(stdout, "  Without a My Number yet (try entry by a clerk and the blind re-entry by a checker): %s\n", strings.Join(unnumbered[:min(5, len(unnumbered))], ", "))
		}
		fresh = append(fresh, made{m, people, g})
	}
	if err := seedDemoUsers(ctx, sys, stdout); err != nil {
		return err
	}
	for _, f := range fresh {
		if err := seedDemoNHI(ctx, sys, f.m, f.people, stdout); err != nil {
			return err
		}
		if err := seedDemoPubmed(ctx, sys, f.m, f.people, stdout); err != nil {
			return err
		}
		if err := writeDemoRegistry(ctx, sys, f.m, f.g, f.people, time.Now().In(jst), stdout); err != nil {
			return fmt.Errorf("demo registry file of %s: %w", f.m.Name, err)
		}
		if _, ok := demoPubmedStaff[f.m.Code]; ok && prefecture && len(f.people) > 1000 {
			// Past the people the small demo took.
			start := time.Now()
			na, nc, err := demo.SeedPubmedScale(ctx, sys.pubmed, f.m, f.people[1000:], time.Now().In(jst), demo.PrefectureNanbyo, demo.PrefectureShoman)
			if err != nil {
				return fmt.Errorf("demo public-expense recipients of %s at prefecture scale: %w", f.m.Name, err)
			}
			fmt.Fprintf(stdout, "  At prefecture scale: %d 指定難病 and %d 小児慢性特定疾病 recipients with their certificates, loaded set-based in %s.\n",
				na, nc, time.Since(start).Round(time.Millisecond))
		}
	}
	return nil
}

// demoPubmedStaff are the demo health-centre clerk and checker who enter
// each municipality's public-expense applications.
var demoPubmedStaff = map[string][2]string{"131041": {"pubmed.clerk", "pubmed.checker"}}

// seedDemoPubmed enters a new demo municipality's public-expense
// applications through the service, each confirmed by the demo checker
// (those with a My Number keyed again), and says what to try.
func seedDemoPubmed(ctx context.Context, sys *system, m demo.Municipality, people []demo.Person, stdout io.Writer) error {
	staff, ok := demoPubmedStaff[m.Code]
	if !ok {
		return nil
	}
	maker, err := sys.users.Get(ctx, staff[0])
	if err != nil {
		return err
	}
	checker, err := sys.users.Get(ctx, staff[1])
	if err != nil {
		return err
	}
	// The people without a number are left for the clerk to try.
	var numbered []demo.Person
	for i, p := range people {
		if i%10 != 3 {
			numbered = append(numbered, p)
		}
	}
	sum, err := demo.SeedPubmed(ctx, demo.PubmedStaff{Service: sys.pubmed, Review: sys.review, Maker: maker, Checker: checker, Residents: sys.residents},
		m, numbered, time.Now().In(jst), 24)
	if err != nil {
		return fmt.Errorf("demo public-expense data of %s: %w", m.Name, err)
	}
	fmt.Fprintf(stdout, "Demo public-expense care of %s: %d certificates, %d rejected, %d awaiting a decision, %d with the My Number keyed twice, %d evidence papers in %d cabinets; entered by %s, confirmed by %s.\n",
		m.Name, sum.Certificates, sum.Rejected, sum.Awaiting, sum.WithNumber, sum.Papers, sum.Cabinets, staff[0], staff[1])
	return nil
}

// demoNHIStaff are the demo clerk and checker who enter each
// municipality's NHI data.
var demoNHIStaff = map[string][2]string{
	"131041": {"clerk.shinjuku", "checker.shinjuku"},
	"011002": {"clerk.sapporo", "checker.sapporo"},
}

// seedDemoNHI enters a new demo municipality's NHI households through the
// service, each entry confirmed by the demo checker, and says what to try.
func seedDemoNHI(ctx context.Context, sys *system, m demo.Municipality, people []demo.Person, stdout io.Writer) error {
	staff, ok := demoNHIStaff[m.Code]
	if !ok {
		return nil
	}
	maker, err := sys.users.Get(ctx, staff[0])
	if err != nil {
		return err
	}
	checker, err := sys.users.Get(ctx, staff[1])
	if err != nil {
		return err
	}
	sum, err := demo.SeedNHI(ctx, demo.NHIStaff{Service: sys.nhi, Review: sys.review, Maker: maker, Checker: checker}, m, people, time.Now().In(jst))
	if err != nil {
		return fmt.Errorf("demo NHI data of %s: %w", m.Name, err)
	}
	fmt.Fprintf(stdout, "Demo NHI of %s: %d households (%d headed by someone outside NHI, 擬制世帯主), %d insured (%d aged 70–74, %d pre-school), %d documents; entered by %s, confirmed by %s.\n",
		m.Name, sum.Households, sum.PseudoHeads, sum.Insured, sum.Elderly, sum.Children, sum.Documents, staff[0], staff[1])
	fmt.Fprintf(stdout, "  70–74 cost share from %s: %d households at 2割, %d at 3割.", nhi.Date(sum.CostShare.From), sum.CostShare.Ratio2, sum.CostShare.Ratio3)
	if sum.Upcoming75 != "" {
		fmt.Fprintf(stdout, " Next to leave for 後期高齢者医療: resident %s on %s.", sum.Upcoming75, nhi.Date(sum.Upcoming75s))
	}
	if sum.Split != 0 {
		fmt.Fprintf(stdout, " Household %d split a year ago; resident %s left for employee insurance.", sum.Split, sum.Lost)
	}
	fmt.Fprintln(stdout)
	as, err := demo.SeedAssessment(ctx, demo.AssessStaff{Service: sys.assess, Review: sys.review, Maker: maker, Checker: checker}, m, people, time.Now().In(jst))
	if err != nil {
		return fmt.Errorf("demo NHI assessment of %s: %w", m.Name, err)
	}
	if as.RatesVersion != "" {
		r := as.Report
		fmt.Fprintf(stdout, "  Premium of fiscal %d: rate table %s (made-up figures) confirmed by %s; revenue of %d residents; %d households assessed, %s yen in all (bango nhi assess).\n",
			as.FiscalYear, as.RatesVersion, staff[1], as.Revenues, r.Assessed+r.Reassessed+r.Unchanged, fmtYen(r.Total))
	}
	return nil
}

// jst is the zone of the demo's "today".
var jst = time.FixedZone("JST", 9*60*60)

// Demo staff all share one password and PIN, printed with their TOTP
// secrets; demo data is for evaluation only.
const (
	demoPassword = "demo-login-2026"
	demoPIN      = "2580"
)

var demoStaff = []identity.NewUser{
	{LoginID: "is-admin", Name: "情報　管理", Department: "総務部", Section: "情報システム課"},
	{LoginID: "is-approver", Name: "情報　承認", Department: "総務部", Section: "情報システム課"},
	{LoginID: "clerk.shinjuku", Name: "新宿　花子", Tenant: "131041", Department: "健康部", Section: "医療保険年金課"},
	{LoginID: "checker.shinjuku", Name: "確認　太郎", Tenant: "131041", Department: "健康部", Section: "医療保険年金課"},
	{LoginID: "head.shinjuku", Name: "課長　一郎", Tenant: "131041", Department: "健康部", Section: "医療保険年金課"},
	{LoginID: "clerk.sapporo", Name: "札幌　次郎", Tenant: "011002", Department: "保健福祉局", Section: "保険年金課"},
	{LoginID: "checker.sapporo", Name: "確認　五郎", Tenant: "011002", Department: "保健福祉局", Section: "保険年金課"},
	{LoginID: "privacy", Name: "保護　管理", Department: "総務部", Section: "個人情報保護担当"},
	{LoginID: "viewer.shinjuku", Name: "閲覧　四郎", Tenant: "131041", Department: "健康部", Section: "医療保険年金課"},
	{LoginID: "auditor", Name: "監査　三郎", Department: "監査事務局", Section: "監査課"},
	{LoginID: "pubmed.clerk", Name: "保健　花子", Tenant: "131041", Department: "健康部", Section: "保健予防課"},
	{LoginID: "pubmed.checker", Name: "確認　六郎", Tenant: "131041", Department: "健康部", Section: "保健予防課"},
	{LoginID: "window.shinjuku", Name: "窓口　七子", Tenant: "131041", Department: "区民部", Section: "戸籍住民課"},
}

// demoGrants are the demo staff's patterns, by municipality ("" for a
// system pattern). They are recorded directly, outside the application
// workflow, because demo data has nobody to apply; the events say so.
var demoGrants = map[string][][2]string{
	"is-admin":         {{"is-admin", ""}},
	"is-approver":      {{"is-approver", ""}},
	"clerk.shinjuku":   {{"nhi-clerk", "131041"}},
	"checker.shinjuku": {{"nhi-checker", "131041"}},
	"head.shinjuku":    {{"section-head", "131041"}, {"nhi-admin", "131041"}}, // the NHI section's head starts its yearly batches
	"clerk.sapporo":    {{"nhi-clerk", "011002"}},
	"checker.sapporo":  {{"nhi-checker", "011002"}},
	"privacy":          {{"privacy-manager", "131041"}, {"privacy-manager", "011002"}},
	"viewer.shinjuku":  {{"number-viewer", "131041"}},
	"auditor":          {{"auditor", ""}},
	"pubmed.clerk":     {{"pubmed-clerk", "131041"}},
	"pubmed.checker":   {{"pubmed-checker", "131041"}},
	"window.shinjuku":  {{"resident-records-clerk", "131041"}}, // JPKI issuance at the window (docs/jpki.md)
}

// seedDemoUsers creates the demo staff once, with their second factors
// enrolled, and prints how to log in as each.
func seedDemoUsers(ctx context.Context, sys *system, stdout io.Writer) error {
	if n, err := sys.users.Count(ctx); err != nil || n > 0 {
		if err == nil {
			fmt.Fprintln(stdout, "Demo staff are already present (their TOTP secrets were printed when they were made; `bango user enroll --login ID` gives a new one).")
		}
		return err
	}
	fmt.Fprintf(stdout, "\nDemo logins — password %q, PIN %s, and the TOTP secret in an authenticator app:\n", demoPassword, demoPIN)
	for _, nu := range demoStaff {
		_, temp, err := sys.users.Create(ctx, nu)
		if err != nil {
			return err
		}
		if err := sys.users.ChangePassword(ctx, nu.LoginID, temp, demoPassword); err != nil {
			return err
		}
		k, err := sys.users.EnrollTOTP(ctx, nu.LoginID)
		if err != nil {
			return err
		}
		if err := sys.users.SetPIN(ctx, nu.LoginID, demoPIN); err != nil {
			return err
		}
		u, err := sys.users.Get(ctx, nu.LoginID)
		if err != nil {
			return err
		}
		var patterns []string
		for _, g := range demoGrants[nu.LoginID] {
			if err := sys.access.Direct(ctx, u, g[0], g[1], "demo data"); err != nil {
				return err
			}
			patterns = append(patterns, g[0]+"@"+cmp.Or(g[1], "all"))
		}
		where := nu.Tenant
		if where == "" {
			where = "(all)"
		}
		fmt.Fprintf(stdout, "  %-17s %-7s TOTP %s  %s/%s  %s\n", nu.LoginID, where, k.Secret, nu.Department, nu.Section, strings.Join(patterns, ", "))
	}
	return nil
}

// ensureFirstAdmin creates the first IS administrator of an empty system
// and prints its one-time password once.
func ensureFirstAdmin(ctx context.Context, sys *system, stdout io.Writer) error {
	n, err := sys.users.Count(ctx)
	if err != nil || n > 0 {
		return err
	}
	u, temp, err := sys.users.Create(ctx, identity.NewUser{LoginID: "admin", Name: "情報システム管理者", Section: "情報システム課"})
	if err != nil {
		return err
	}
	if _, err := sys.access.Bootstrap(ctx, u, "first IS administrator of a new system"); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nFirst start: IS administrator %q created.\n  One-time password (shown only now): %s\n  Change it at first login; enrol the second factor with: bango user enroll --login %s\n\n", u.LoginID, temp, u.LoginID)
	return nil
}

func demoRecords(people []demo.Person) iter.Seq[resident.Record] {
	return func(yield func(resident.Record) bool) {
		for i, p := range people {
			rec := resident.Record{Line: i + 1, Input: resident.Input{
				Code: p.ResidentCode, NameKanji: p.NameKanji, NameKana: p.NameKana, Alias: p.Alias, Address: p.Address,
				BirthDate: p.BirthDate.Format("2006-01-02"), Sex: p.Sex, MyNumber: p.MyNumber,
			}}
			if !yield(rec) {
				return
			}
		}
	}
}
