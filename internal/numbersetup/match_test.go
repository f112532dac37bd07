package numbersetup

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

// slowNormalize is the definition the fast path must keep: NFKC, then every
// white space removed.
func slowNormalize(s string) string { return strings.Join(strings.Fields(norm.NFKC.String(s)), "") }

// R-ACC-3: the basic four items are compared after NFKC without spaces.
// The fast path (rune by rune for ASCII, full-width ASCII, kana and kanji)
// gives exactly what NFKC gives, for every rune it takes alone and for
// random strings that mix them with runes it hands to NFKC (half-width
// kana, combining voiced sound marks, compatibility ideographs, odd spaces).
func TestNormalizeIsNFKCWithoutSpaces(t *testing.T) {
	var fast []rune
	for r := rune(0); r < 0x10000; r++ {
		s := string(r)
		if got, want := normalize(s), slowNormalize(s); got != want {
			t.Fatalf("U+%04X: %q, want %q", r, got, want)
		}
		if r < 0x80 || r == '\u3000' || r >= '\uFF01' && r <= '\uFF5E' || nfkcStable(r) {
			fast = append(fast, r)
		}
	}
	others := []rune("ｱｶﾞﾊﾟｰﾞﾟ\u3099\u309A\u309B\u309C\u00A0\u0085\u2028\uF900\uFA10ヿゟ①㈱㍻ⅷ\u0301é")
	rnd := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		n := 1 + rnd.IntN(12)
		b := make([]rune, n)
		for i := range b {
			if rnd.IntN(8) == 0 {
				b[i] = others[rnd.IntN(len(others))]
			} else {
				b[i] = fast[rnd.IntN(len(fast))]
			}
		}
		s := string(b)
		if got, want := normalize(s), slowNormalize(s); got != want {
			t.Fatalf("%q: %q, want %q", s, got, want)
		}
	}
	// Full- and half-width alike, spaces of either width gone.
	if normalize("東京都新宿区西新宿二丁目８番１号") != normalize("東京都 新宿区西新宿二丁目8番1号") || normalize("山田　太郎") != "山田太郎" {
		t.Fatal("full-width digits or spaces change the comparison")
	}
}

// The people's key table finds each key inserted, through its growth,
// marks a key two people share as many, and finds no other key.
func TestKeyTable(t *testing.T) {
	var kt keyTable
	kt.reserve(1000) // then grown
	k := newKeyer()
	keyOf := func(i int) key {
		all, _ := k.keys(Person{Name: strconv.Itoa(i)})
		return all
	}
	const n = 5000
	for i := range n {
		kt.put(keyOf(i), uint32(i))
	}
	kt.put(keyOf(7), 9999) // a second person with person 7's key
	for i := range n {
		v, ok := kt.get(keyOf(i))
		want := uint32(i)
		if i == 7 {
			want = many
		}
		if !ok || v != want {
			t.Fatalf("key %d: %d %v, want %d", i, v, ok, want)
		}
	}
	for i := n; i < 2*n; i++ {
		if _, ok := kt.get(keyOf(i)); ok {
			t.Fatalf("key %d found, never inserted", i)
		}
	}
	if kt.n != n || kt.n*4 > len(kt.slots)*3 {
		t.Fatalf("%d keys in %d slots", kt.n, len(kt.slots))
	}
}
