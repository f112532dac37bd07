package demo

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"bango/internal/mynumber"
)

// validMyNumber is an implementation of the check-digit rule written
// independently of myNumberCheckDigit: left-to-right weights instead of
// the ordinance's right-to-left P_n/Q_n loop.
func validMyNumber(s string) bool {
	if len(s) != 12 {
		return false
	}
	weights := [11]int{6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2}
	sum := 0
	for i, c := range s {
		if c < '0' || c > '9' {
			return false
		}
		if i < 11 {
			sum += int(c-'0') * weights[i]
		}
	}
	want := 0
	if r := sum % 11; r > 1 {
		want = 11 - r
	}
	return int(s[11]-'0') == want
}

func TestValidMyNumberKnownExamples(t *testing.T) {
	// Known vectors keep the test's own implementation honest.
	if !validMyNumber("123456789018") {
		t.Error(`validMyNumber("123456789018") = false, want true`)
	}
	if validMyNumber("123456789012") {
		t.Error(`validMyNumber("123456789012") = true, want false`)
	}
	if got := mynumber.CheckDigit("12345678901"); got != '8' {
		t.Errorf("CheckDigit(12345678901) = %c, want 8", got)
	}
}

// validLocalGovCode checks the JIS X 0401 check digit of a 6-digit code.
func validLocalGovCode(s string) bool {
	if len(s) != 6 {
		return false
	}
	sum := 0
	for i, w := range []int{6, 5, 4, 3, 2} {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
		sum += int(s[i]-'0') * w
	}
	return int(s[5]-'0') == (11-sum%11)%10
}

func TestMunicipalities(t *testing.T) {
	want := []Municipality{
		{Code: "131041", Name: "新宿区", Prefecture: "東京都"},
		{Code: "011002", Name: "札幌市", Prefecture: "北海道"},
	}
	got := Municipalities()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("Municipalities() (-want +got):\n%s", diff)
	}
	for _, m := range got {
		if !validLocalGovCode(m.Code) {
			t.Errorf("%s: code %s has a bad check digit", m.Name, m.Code)
		}
	}
	got[0].Name = "changed"
	if Municipalities()[0].Name != "新宿区" {
		t.Error("Municipalities() shares its backing array with callers")
	}
}

func samePerson(a, b Person) bool {
	return a.ResidentCode == b.ResidentCode && a.NameKanji == b.NameKanji &&
		a.NameKana == b.NameKana && a.Alias == b.Alias && a.Sex == b.Sex &&
		a.BirthDate.Equal(b.BirthDate) && a.Address == b.Address && a.MyNumber == b.MyNumber
}

func TestDeterminism(t *testing.T) {
	ms := Municipalities()
	g1 := NewGenerator(ms[0], 42)
	g2 := NewGenerator(ms[0], 42)
	other := NewGenerator(ms[0], 43)
	otherTown := NewGenerator(ms[1], 42)
	var diffSeed, diffTown int
	for i := range 1000 {
		a, b := g1.Next(), g2.Next()
		if !samePerson(a, b) {
			t.Fatalf("person %d differs for the same seed:\n%+v\n%+v", i, a, b)
		}
		if c := other.Next(); c.MyNumber != a.MyNumber || c.NameKanji != a.NameKanji {
			diffSeed++
		}
		if c := otherTown.Next(); c.MyNumber != a.MyNumber {
			diffTown++
		}
	}
	// Not just "at least one": a different seed should give an unrelated stream.
	if diffSeed < 990 {
		t.Errorf("seed 43 matched seed 42 in %d of 1000 persons", 1000-diffSeed)
	}
	if diffTown < 990 {
		t.Errorf("札幌市 matched 新宿区 (same seed) in %d of 1000 persons", 1000-diffTown)
	}
}

// readPairs parses a data file straight from disk, independently of the
// embedded copy, into kanji → kana.
func readPairs(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		k, v, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("%s: bad line %q", path, line)
		}
		if _, dup := out[k]; dup {
			t.Fatalf("%s: duplicate entry %q", path, k)
		}
		out[k] = v
	}
	return out
}

// readTowns parses a towns file from disk into town → highest chome.
func readTowns(t *testing.T, path string) map[string]int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		k, v, _ := strings.Cut(line, "\t")
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 9 {
			t.Fatalf("%s: bad line %q", path, line)
		}
		out[k] = n
	}
	return out
}

func isKatakanaName(s string) bool {
	spaces := 0
	for _, r := range s {
		switch {
		case r == '　':
			spaces++
		case r == 'ー', r >= 'ァ' && r <= 'ヶ':
		default:
			return false
		}
	}
	return spaces == 1 && !strings.HasPrefix(s, "　") && !strings.HasSuffix(s, "　")
}

func TestDataFiles(t *testing.T) {
	sur := readPairs(t, "data/surnames.txt")
	male := readPairs(t, "data/given_male.txt")
	female := readPairs(t, "data/given_female.txt")
	for _, c := range []struct {
		name string
		m    map[string]string
		min  int
	}{{"surnames", sur, 80}, {"given_male", male, 50}, {"given_female", female, 50}} {
		if len(c.m) < c.min {
			t.Errorf("%s: %d entries, want at least %d", c.name, len(c.m), c.min)
		}
		for k, v := range c.m {
			if !isKatakanaName(v + "　" + v) {
				t.Errorf("%s: %s has non-katakana reading %q", c.name, k, v)
			}
		}
	}
	// Sex is inferred from the list a given name came from, so no overlap.
	for k := range male {
		if _, ok := female[k]; ok {
			t.Errorf("%s is in both given-name lists", k)
		}
	}
	for _, m := range Municipalities() {
		if n := len(readTowns(t, "data/towns_"+m.Code+".txt")); n < 15 {
			t.Errorf("%s: %d towns, want at least 15", m.Name, n)
		}
	}
}

var (
	digits10 = regexp.MustCompile(`^[0-9]{10}$`)
	// town, chome, banchi, go — or town, 番地 for areas without chome.
	chomeAddr = regexp.MustCompile(`^(.+?)([一二三四五六七八九])丁目([1-9][0-9]*)番([1-9][0-9]*)号$`)
	banchi    = regexp.MustCompile(`^(.+?)([1-9][0-9]*)番地$`)
)

func TestInvariants(t *testing.T) {
	const n = 100_000
	sur := readPairs(t, "data/surnames.txt")
	given := map[string]map[string]string{
		"1": readPairs(t, "data/given_male.txt"),
		"2": readPairs(t, "data/given_female.txt"),
	}
	chomeValue := map[string]int{"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
	now := time.Now()

	for _, m := range Municipalities() {
		t.Run(m.Code, func(t *testing.T) {
			towns := readTowns(t, "data/towns_"+m.Code+".txt")
			prefix := m.Prefecture + m.Name
			g := NewGenerator(m, 20240401)
			myNumbers := make(map[string]struct{}, n)
			codes := make(map[string]struct{}, n)
			aliases, sexCount := 0, map[string]int{}
			fails := 0
			fail := func(format string, args ...any) {
				t.Helper()
				if fails++; fails <= 20 {
					t.Errorf(format, args...)
				}
			}

			for i := range n {
				p := g.Next()

				if !digits10.MatchString(p.ResidentCode) {
					fail("ResidentCode %q is not 10 digits", p.ResidentCode)
				}
				if want := fmt.Sprintf("%010d", 100001+i); p.ResidentCode != want {
					fail("person %d: ResidentCode %s, want %s", i, p.ResidentCode, want)
				}
				if _, dup := codes[p.ResidentCode]; dup {
					fail("duplicate ResidentCode %s", p.ResidentCode)
				}
				codes[p.ResidentCode] = struct{}{}

				if !validMyNumber(p.MyNumber) {
					fail("MyNumber %q is invalid", p.MyNumber)
				}
				if _, dup := myNumbers[p.MyNumber]; dup {
					fail("duplicate MyNumber %s", p.MyNumber)
				}
				myNumbers[p.MyNumber] = struct{}{}

				b := p.BirthDate
				if b.Location() != time.UTC || b.Hour() != 0 || b.Minute() != 0 || b.Second() != 0 || b.Nanosecond() != 0 {
					fail("BirthDate %v is not UTC midnight", b)
				}
				if b.Before(time.Date(1935, 1, 1, 0, 0, 0, 0, time.UTC)) ||
					b.After(time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC)) || b.After(now) {
					fail("BirthDate %v out of range", b)
				}

				list, ok := given[p.Sex]
				if !ok {
					fail("Sex %q, want 1 or 2", p.Sex)
					continue
				}
				sexCount[p.Sex]++
				s, gv, ok := strings.Cut(p.NameKanji, "　")
				if !ok || sur[s] == "" || list[gv] == "" {
					fail("NameKanji %q (sex %s) not from the lists for that sex", p.NameKanji, p.Sex)
				} else if want := sur[s] + "　" + list[gv]; p.NameKana != want {
					fail("NameKana %q for %q, want %q", p.NameKana, p.NameKanji, want)
				}
				if !isKatakanaName(p.NameKana) {
					fail("NameKana %q is not full-width katakana セイ　メイ", p.NameKana)
				}

				if p.Alias != "" {
					aliases++
					as, ag, ok := strings.Cut(p.Alias, "　")
					if !ok || sur[as] == "" || list[ag] == "" || p.Alias == p.NameKanji {
						fail("Alias %q (name %q) malformed", p.Alias, p.NameKanji)
					}
				}

				rest, ok := strings.CutPrefix(p.Address, prefix)
				if !ok {
					fail("Address %q does not start with %s", p.Address, prefix)
					continue
				}
				if sm := chomeAddr.FindStringSubmatch(rest); sm != nil {
					if maxChome, ok := towns[sm[1]]; !ok || chomeValue[sm[2]] > maxChome {
						fail("Address %q: %s%s丁目 not in town list", p.Address, sm[1], sm[2])
					}
				} else if sm := banchi.FindStringSubmatch(rest); sm != nil {
					if maxChome, ok := towns[sm[1]]; !ok || maxChome != 0 {
						fail("Address %q: %s is not a no-chome town", p.Address, sm[1])
					}
				} else {
					fail("Address %q has no recognisable town/番地", p.Address)
				}
			}

			if rate := float64(aliases) / n; rate < 0.025 || rate > 0.035 {
				t.Errorf("alias rate %.4f, want about 0.03", rate)
			}
			if r := float64(sexCount["1"]) / n; r < 0.48 || r > 0.52 {
				t.Errorf("male share %.4f, want about 0.5", r)
			}
		})
	}
}

func TestNewGeneratorUnknownMunicipality(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("NewGenerator with an unknown code did not panic")
		}
	}()
	NewGenerator(Municipality{Code: "999999", Name: "不明市", Prefecture: "不明県"}, 1)
}

func TestKanjiNumeral(t *testing.T) {
	for n, want := range map[int]string{1: "一", 9: "九", 10: "十", 11: "十一", 20: "二十", 24: "二十四", 99: "九十九"} {
		if got := kanjiNumeral(n); got != want {
			t.Errorf("kanjiNumeral(%d) = %q, want %q", n, got, want)
		}
	}
}

func BenchmarkNext(b *testing.B) {
	g := NewGenerator(Municipalities()[0], 1)
	b.ReportAllocs()
	for b.Loop() {
		g.Next()
	}
}
