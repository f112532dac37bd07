// Package demo generates synthetic Japanese residents for demo mode.
//
// Demo tenants must look like real municipalities (kanji/kana names, real
// town names, My Numbers with valid check digits) so that every screen and
// validation path works, yet contain no real person's data. Output is fully
// deterministic from (municipality, seed), so demo databases and test
// fixtures can be rebuilt identically.
//
// The My Numbers produced here are random 11-digit bases with a correct check
// digit; they are not derived from any 住民票コード and may coincide with a
// real person's number, so demo data must never be mixed with production.
package demo

import (
	"bango/internal/mynumber"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// Municipality is a demo tenant: a real 6-digit local-government code and name.
type Municipality struct {
	Code       string // 6 digits with check digit, e.g. "131041"
	Name       string // e.g. "新宿区"
	Prefecture string // e.g. "東京都"
}

// Municipalities returns the two demo municipalities: 新宿区 (131041, 東京都)
// and 札幌市 (011002, 北海道). A fresh slice is returned on each call so
// callers cannot alter the package's notion of the demo tenants.
func Municipalities() []Municipality {
	return []Municipality{
		{Code: "131041", Name: "新宿区", Prefecture: "東京都"},
		{Code: "011002", Name: "札幌市", Prefecture: "北海道"},
	}
}

// Person is one synthetic resident.
type Person struct {
	ResidentCode string    // 宛名番号: 10 digits, sequential ("0000100001", "0000100002", …), unique within the municipality
	NameKanji    string    // "姓　名" with a full-width space
	NameKana     string    // "セイ　メイ" in full-width katakana
	Alias        string    // 通称: empty for ~97%; otherwise a kanji name such as "山田　花子"
	Sex          string    // "1" male, "2" female
	BirthDate    time.Time // UTC midnight, 1935-01-01 .. 2024-12-31
	Address      string    // e.g. "東京都新宿区西新宿二丁目8番1号"
	MyNumber     string    // 12 digits with a valid check digit; unique within one Generator
}

const (
	// fullWidthSpace separates family and given names, as on 住民票.
	fullWidthSpace = "　"

	// aliasRate is the share of residents with a registered 通称.
	aliasRate = 0.03

	// residentCodeBase makes the first resident "0000100001"; the leading
	// block keeps demo codes visually distinct from small hand-typed ids.
	residentCodeBase = 100000
	maxResidentCode  = 9_999_999_999

	myNumberBaseSpace = 100_000_000_000 // 11 digits before the check digit
)

var (
	// Birth dates are fixed constants rather than relative to time.Now so
	// output never changes with the calendar; the upper bound is in the past.
	minBirth   = time.Date(1935, time.January, 1, 0, 0, 0, 0, time.UTC)
	maxBirth   = time.Date(2024, time.December, 31, 0, 0, 0, 0, time.UTC)
	birthRange = uint64(maxBirth.Sub(minBirth)/(24*time.Hour)) + 1
)

// Generator yields persons for one municipality, deterministic from seed:
// the same (m, seed) always gives the same sequence. A Generator is not safe
// for concurrent use.
type Generator struct {
	m     Municipality
	towns []town
	rng   *rand.Rand
	n     uint64 // persons issued so far; drives ResidentCode

	// issued holds every 11-digit base handed out, so a collision is redrawn
	// instead of giving two demo residents the same My Number. The check
	// digit is a function of the base, so tracking bases suffices.
	issued map[uint64]struct{}
}

// NewGenerator returns a Generator for m seeded with seed. The municipality
// code is hashed into the PCG stream so two tenants seeded alike still get
// different residents. It panics if m is not one of Municipalities(),
// because there is no town list to build addresses from.
func NewGenerator(m Municipality, seed uint64) *Generator {
	towns, ok := townsByCode[m.Code]
	if !ok {
		panic(fmt.Sprintf("demo: no town list for municipality code %q", m.Code))
	}
	h := fnv.New64a()
	h.Write([]byte(m.Code))
	return &Generator{
		m:      m,
		towns:  towns,
		rng:    rand.New(rand.NewPCG(seed, h.Sum64())),
		issued: make(map[uint64]struct{}),
	}
}

// Next returns the next synthetic resident.
//
// The order of random draws below is part of the output contract: changing
// it (or the embedded lists) changes every seeded demo data set.
func (g *Generator) Next() Person {
	g.n++
	code := residentCodeBase + g.n
	if code > maxResidentCode {
		panic("demo: resident code space exhausted")
	}

	var p Person
	p.ResidentCode = zeroPad(code, 10)

	given := givenMale
	p.Sex = "1"
	if g.rng.IntN(2) == 1 {
		given = givenFemale
		p.Sex = "2"
	}
	sur := surnames[g.rng.IntN(len(surnames))]
	first := given[g.rng.IntN(len(given))]
	p.NameKanji = sur.kanji + fullWidthSpace + first.kanji
	p.NameKana = sur.kana + fullWidthSpace + first.kana

	if g.rng.Float64() < aliasRate {
		// A 通称 identical to the legal name would be pointless, so redraw.
		for p.Alias == "" || p.Alias == p.NameKanji {
			p.Alias = surnames[g.rng.IntN(len(surnames))].kanji + fullWidthSpace +
				given[g.rng.IntN(len(given))].kanji
		}
	}

	p.BirthDate = minBirth.Add(time.Duration(g.rng.Uint64N(birthRange)) * 24 * time.Hour)
	p.Address = g.address()
	p.MyNumber = g.myNumber()
	return p
}

// address builds prefecture + municipality + town + chome-banchi-go.
func (g *Generator) address() string {
	t := g.towns[g.rng.IntN(len(g.towns))]
	var b strings.Builder
	b.Grow(96)
	b.WriteString(g.m.Prefecture)
	b.WriteString(g.m.Name)
	b.WriteString(t.name)
	if t.maxChome == 0 {
		// Areas without 住居表示 keep the older 地番 form.
		b.WriteString(strconv.Itoa(1 + g.rng.IntN(300)))
		b.WriteString("番地")
		return b.String()
	}
	b.WriteString(kanjiNumeral(1 + g.rng.IntN(t.maxChome)))
	b.WriteString("丁目")
	b.WriteString(strconv.Itoa(1 + g.rng.IntN(30)))
	b.WriteString("番")
	b.WriteString(strconv.Itoa(1 + g.rng.IntN(25)))
	b.WriteString("号")
	return b.String()
}

// myNumber draws a fresh 11-digit base (any digits, leading zeros allowed)
// and appends its check digit.
func (g *Generator) myNumber() string {
	for {
		base := g.rng.Uint64N(myNumberBaseSpace)
		if _, dup := g.issued[base]; dup {
			continue
		}
		g.issued[base] = struct{}{}
		var d [12]byte
		for i := 10; i >= 0; i-- {
			d[i] = '0' + byte(base%10)
			base /= 10
		}
		d[11] = mynumber.CheckDigit(string(d[:11]))
		return string(d[:])
	}
}

// zeroPad formats v as exactly width decimal digits (v must fit).
func zeroPad(v uint64, width int) string {
	var buf [20]byte
	s := strconv.AppendUint(buf[:0], v, 10)
	if len(s) >= width {
		return string(s)
	}
	return strings.Repeat("0", width-len(s)) + string(s)
}

var kanjiDigits = [10]string{"", "一", "二", "三", "四", "五", "六", "七", "八", "九"}

// kanjiNumeral writes 1..99 the way chome appear in addresses (二, 十, 二十四).
func kanjiNumeral(n int) string {
	if n < 10 {
		return kanjiDigits[n]
	}
	s := "十"
	if tens := n / 10; tens > 1 {
		s = kanjiDigits[tens] + s
	}
	return s + kanjiDigits[n%10]
}
