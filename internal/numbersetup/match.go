package numbersetup

import (
	"hash/maphash"
	"strings"
	"time"
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

// keyer hashes the basic four items of a person or a row, normalised as
// above: one key of all four, and four keys of three (each leaving one
// item out), so that the database finds a row's exact match and the
// people who differ from it in one item by equal keys alone. The seed is
// one import's: keys are never kept beyond its transaction.
type keyer struct{ seed maphash.Seed }

func newKeyer() keyer { return keyer{seed: maphash.MakeSeed()} }

func (k keyer) keys(p Person) (all int64, three [4]int64) {
	var buf [256]byte
	b := appendNormalized(buf[:0], p.Name)
	nameEnd := len(b)
	b = p.Birth.AppendFormat(b, time.DateOnly)
	birthEnd := len(b)
	b = append(b, p.Sex...)
	sexEnd := len(b)
	b = appendNormalized(b, p.Address)
	v := [4][]byte{b[:nameEnd], b[nameEnd:birthEnd], b[birthEnd:sexEnd], b[sexEnd:]}
	var h maphash.Hash
	h.SetSeed(k.seed)
	for i := range v {
		h.Write(v[i])
		h.WriteByte(0)
	}
	all = int64(h.Sum64())
	for skip := range 4 {
		h.Reset()
		h.WriteByte(byte('0' + skip))
		for i := range v {
			if i != skip {
				h.Write(v[i])
			}
			h.WriteByte(0)
		}
		three[skip] = int64(h.Sum64())
	}
	return all, three
}
