package demo

import (
	"embed"
	"fmt"
	"strconv"
	"strings"
)

// The name and town lists are embedded so demo seeding needs no files at
// run time and a given binary always produces the same residents.
//
//go:embed data/*.txt
var dataFS embed.FS

// name is one list entry: the written form and its full-width katakana reading.
type name struct {
	kanji, kana string
}

// town is one town (for 札幌市: ward + town) and how many chome it has;
// maxChome 0 marks an area without 住居表示 chome, addressed as "…番地".
type town struct {
	name     string
	maxChome int
}

var (
	surnames    = mustNames("data/surnames.txt")
	givenMale   = mustNames("data/given_male.txt")
	givenFemale = mustNames("data/given_female.txt")

	// townsByCode is keyed by municipality code so a generator can only
	// produce addresses that belong to its own tenant.
	townsByCode = map[string][]town{
		"131041": mustTowns("data/towns_131041.txt"),
		"011002": mustTowns("data/towns_011002.txt"),
	}
)

// dataLines returns the non-blank, non-comment lines of an embedded file.
// A bad embedded file is a build defect, not a runtime condition, hence panic.
func dataLines(path string) []string {
	b, err := dataFS.ReadFile(path)
	if err != nil {
		panic(fmt.Sprintf("demo: %v", err))
	}
	var out []string
	for line := range strings.Lines(string(b)) {
		line = strings.TrimRight(line, "\r\n")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, line)
	}
	if len(out) == 0 {
		panic("demo: " + path + " is empty")
	}
	return out
}

func mustNames(path string) []name {
	lines := dataLines(path)
	out := make([]name, 0, len(lines))
	for i, line := range lines {
		kanji, kana, ok := strings.Cut(line, "\t")
		if !ok || kanji == "" || kana == "" || strings.Contains(kana, "\t") {
			panic(fmt.Sprintf("demo: %s entry %d: want \"漢字<TAB>カナ\", got %q", path, i+1, line))
		}
		out = append(out, name{kanji: kanji, kana: kana})
	}
	return out
}

func mustTowns(path string) []town {
	lines := dataLines(path)
	out := make([]town, 0, len(lines))
	for i, line := range lines {
		nm, num, ok := strings.Cut(line, "\t")
		n, err := strconv.Atoi(num)
		// Chome are written in kanji numerals; kanjiNumeral covers 1..99.
		if !ok || nm == "" || err != nil || n < 0 || n > 99 {
			panic(fmt.Sprintf("demo: %s entry %d: want \"町名<TAB>丁目数\", got %q", path, i+1, line))
		}
		out = append(out, town{name: nm, maxChome: n})
	}
	return out
}
