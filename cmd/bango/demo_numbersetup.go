package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"bango/internal/demo"
	"bango/internal/numbersetup"
	"bango/internal/store"
)

// writeDemoRegistry writes a small registry extract (住基ネット 本人確認情報,
// layout mynumber-registry) for trying the My Number setup on m's NHI
// insured persons who have no number: up to three rows that match one of
// them exactly, one whose address differs (one_diff) and one of somebody
// the municipality does not hold (no_match), each with a fresh number from
// the demo generator; and says in the demo guide where it is and who
// imports it.
func writeDemoRegistry(ctx context.Context, sys *system, m demo.Municipality, g *demo.Generator, people []demo.Person, today time.Time, stdout io.Writer) error {
	staff, ok := demoNHIStaff[m.Code]
	if !ok {
		return nil
	}
	var without []numbersetup.Person
	err := sys.db.ReadIn(ctx, m.Code, func(q store.Querier) error {
		return numbersetup.NHIPeople().People(ctx, q, m.Code, func(p numbersetup.Person) error {
			if len(without) < 4 {
				without = append(without, p)
			}
			return nil
		})
	})
	if err != nil || len(without) == 0 {
		return err
	}
	kana := map[string]string{}
	for _, p := range people {
		kana[p.ResidentCode] = p.NameKana
	}
	path := filepath.Join(sys.cfg.DataDir, "demo-registry-"+m.Code+".csv")
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fw := numbersetup.NewFileWriter(f, m.Code, today)
	for i, p := range without {
		addr := p.Address
		if i == 3 {
			addr += "の2" // one item different: the address
		}
		fw.Write(numbersetup.Row{Municipality: m.Code, ResidentCode: "0" + p.Code, Name: p.Name, NameKana: kana[p.Code],
			Birth: p.Birth, Sex: p.Sex, Address: fullWidthASCII(addr), MyNumber: g.Next().MyNumber})
	}
	other := g.Next() // nobody the municipality holds
	fw.Write(numbersetup.Row{Municipality: m.Code, ResidentCode: "0" + other.ResidentCode, Name: other.NameKanji, NameKana: other.NameKana,
		Birth: other.BirthDate, Sex: other.Sex, Address: fullWidthASCII(other.Address), MyNumber: other.MyNumber})
	if err := fw.Close(); err != nil {
		return err
	}
	exact := min(3, len(without))
	fmt.Fprintf(stdout, "  My Number setup (マイナンバー設定): %s is a registry file of %d rows for the NHI insured without a number — %d matching exactly, %d with the address different, 1 of nobody here; import it on /numbersetup as %s (business 国民健康保険) and confirm the exact matches as %s.\n",
		path, len(without)+1, exact, len(without)-exact, staff[0], staff[1])
	return nil
}

// fullWidthASCII writes the ASCII of s full-width, as the registry does.
func fullWidthASCII(s string) string {
	out := []rune(s)
	for i, r := range out {
		if r > ' ' && r <= '~' {
			out[i] = r + 0xFEE0
		}
	}
	return string(out)
}
