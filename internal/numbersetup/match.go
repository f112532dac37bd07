package numbersetup

import (
	"encoding/binary"
	"hash/maphash"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// normalize makes the items comparable as the registry and the resident
// record write them: NFKC (full- and half-width alike) without spaces.
func normalize(s string) string {
	return string(appendNormalized(nil, s))
}

// appendNormalized appends normalize(s) to dst. The text of registers is
// almost all ASCII, full-width ASCII, kana and kanji, whose NFKC is known
// rune by rune (full-width ASCII is ASCII, the rest stay as they are); a
// string with any other rune is normalised by the norm package whole.
func appendNormalized(dst []byte, s string) []byte {
	start := len(dst)
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if !asciiSpace(c) {
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\u3000': // ideographic space: NFKC makes it a space, which goes
		case r >= '\uFF01' && r <= '\uFF5E': // full-width ASCII
			c := byte(r - 0xFEE0)
			if !asciiSpace(c) {
				dst = append(dst, c)
			}
		case nfkcStable(r):
			dst = append(dst, s[i:i+n]...)
		default:
			return appendSlow(dst[:start], s)
		}
		i += n
	}
	return dst
}

func asciiSpace(c byte) bool { return c == ' ' || c >= '\t' && c <= '\r' }

// nfkcStable reports runes that NFKC leaves as they are and that never
// compose with a neighbour in the fast path's set: kanji (URO and
// extension A), hiragana and katakana letters with the prolonged sound
// mark and iteration marks, 々〆〇. Combining voiced sound marks, half-
// width kana and compatibility ideographs are not among them.
func nfkcStable(r rune) bool {
	switch {
	case r >= '\u4E00' && r <= '\u9FFF', r >= '\u3400' && r <= '\u4DBF':
		return true
	case r >= '\u3041' && r <= '\u3096', r >= '\u309D' && r <= '\u309E':
		return true
	case r >= '\u30A1' && r <= '\u30FE':
		return true
	case r >= '\u3005' && r <= '\u3007':
		return true
	}
	return false
}

func appendSlow(dst []byte, s string) []byte {
	for _, f := range strings.Fields(norm.NFKC.String(s)) {
		dst = append(dst, f...)
	}
	return dst
}

// key is a 128-bit keyed hash of some of the basic four items: two
// 64-bit hashes of the same bytes under two seeds. Two different sets of
// items share a key with odds of about 2^-128 a pair, so that people
// matched by key are matched by their items.
type key struct{ a, b uint64 }

// keyer hashes the basic four items of a person or a row, normalised as
// above: one key of all four, and four keys of three (each leaving one
// item out), so that a row's exact match and the people who differ from
// it in one item are found by equal keys alone. The seeds are one
// import's: keys are never kept beyond it.
type keyer struct{ seed [2]maphash.Seed }

func newKeyer() keyer { return keyer{seed: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}} }

func (k keyer) keys(p Person) (all key, three [4]key) {
	var buf [256]byte
	b := appendNormalized(buf[:0], p.Name)
	nameEnd := len(b)
	y, m, d := p.Birth.Date()
	b = append(b, byte('0'+y/1000%10), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10),
		byte('0'+int(m)/10), byte('0'+int(m)%10), byte('0'+d/10), byte('0'+d%10))
	birthEnd := len(b)
	b = append(b, p.Sex...)
	sexEnd := len(b)
	b = appendNormalized(b, p.Address)
	// Each item is hashed once under both seeds; a key is the hash of
	// the items' hashes it takes (the one left out zero) and of which it
	// leaves out.
	var set [4*16 + 1]byte
	for i, v := range [4][]byte{b[:nameEnd], b[nameEnd:birthEnd], b[birthEnd:sexEnd], b[sexEnd:]} {
		binary.LittleEndian.PutUint64(set[16*i:], maphash.Bytes(k.seed[0], v))
		binary.LittleEndian.PutUint64(set[16*i+8:], maphash.Bytes(k.seed[1], v))
	}
	sum := func(skip int) key {
		s := set
		if skip >= 0 {
			clear(s[16*skip : 16*skip+16])
		}
		s[64] = byte('1' + skip)
		return key{maphash.Bytes(k.seed[0], s[:]), maphash.Bytes(k.seed[1], s[:])}
	}
	all = sum(-1)
	for skip := range 4 {
		three[skip] = sum(skip)
	}
	return all, three
}
