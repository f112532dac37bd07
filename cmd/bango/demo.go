package main

import (
	"context"
	"fmt"
	"io"
	"iter"

	"bango/internal/config"
	"bango/internal/demo"
	"bango/internal/errs"
	"bango/internal/resident"
)

const demoResidents = 500

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("demo", "[flags]", "Seed the demo municipalities with synthetic residents (deterministic from --seed).\nMunicipalities already present are left as they are.", stderr)
	config.Flags(fs, "data", "db", "master-key-file", "log-level")
	seed := fs.Uint64("seed", 1, "seed of the demo data")
	per := fs.Int("residents", demoResidents, "residents per municipality")
	sys, err := systemFromFlags(ctx, fs, args, stderr)
	if err != nil {
		return err
	}
	defer sys.Close()
	defer sys.placeEvents(ctx)
	return seedDemo(ctx, sys, *seed, *per, stdout)
}

// seedDemo creates each demo municipality that does not exist yet, with
// per synthetic residents, and records an identity verification for some.
func seedDemo(ctx context.Context, sys *system, seed uint64, per int, stdout io.Writer) error {
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
		people := make([]demo.Person, per)
		for i := range people {
			people[i] = g.Next()
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
	}
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
