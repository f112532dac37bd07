package numbersetup

import (
	"context"
	"hash/maphash"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"bango/internal/store"
)

// The four items, by the name a one-item difference reports.
var items = [4]string{"name", "birth_date", "sex", "address"}

// matcher holds a business's people without a number as hashes of the
// basic four items: one key of all four, and four keys of three (each
// leaving one item out), so that a row finds its exact match and the
// people who differ from it in one item by lookups alone. It holds the
// people, never the file: memory follows the people, not the file's size.
// It is built once per import, by a goroutine of its own while the file
// is parsed and sealed; ready closes when it is built (or err is set).
// Once ready it is only read, so the sealing goroutines match at once.
type matcher struct {
	seed  maphash.Seed
	codes []string
	exact map[uint64]int32 // person index, or -1 when two people or more share the key
	three map[uint64]int32
	held  map[string]bool // blind indexes of the numbers residents of the municipality hold
	ready chan struct{}
	err   error
}

type match struct {
	outcome, item, person, note string
}

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

func (m *matcher) keys(p Person) (all uint64, three [4]uint64) {
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
	h.SetSeed(m.seed)
	for i := range v {
		h.Write(v[i])
		h.WriteByte(0)
	}
	all = h.Sum64()
	for skip := range 4 {
		h.Reset()
		h.WriteByte(byte('0' + skip))
		for i := range v {
			if i != skip {
				h.Write(v[i])
			}
			h.WriteByte(0)
		}
		three[skip] = h.Sum64()
	}
	return all, three
}

func put(m map[uint64]int32, k uint64, i int32) {
	if j, ok := m[k]; ok && j != i {
		m[k] = -1
		return
	}
	m[k] = i
}

// startMatcher builds the matcher of b's people in tenant in a goroutine
// of its own, in a read of its own.
func (s *Service) startMatcher(ctx context.Context, b Business, tenant string) *matcher {
	m := &matcher{seed: maphash.MakeSeed(), exact: map[uint64]int32{}, three: map[uint64]int32{}, held: map[string]bool{}, ready: make(chan struct{})}
	go func() {
		defer close(m.ready)
		m.err = s.db.ReadIn(ctx, tenant, func(q store.Querier) error {
			if err := b.People(ctx, q, tenant, func(p Person) error {
				i := int32(len(m.codes))
				m.codes = append(m.codes, p.Code)
				all, three := m.keys(p)
				put(m.exact, all, i)
				for _, k := range three {
					put(m.three, k, i)
				}
				return nil
			}); err != nil {
				return err
			}
			return store.Each(func(row store.Scanner) error {
				var idx []byte
				if err := row.Scan(&idx); err != nil {
					return err
				}
				m.held[string(idx)] = true
				return nil
			})(q.Query(ctx, `SELECT mynumber_bidx FROM residents WHERE tenant_code = $1 AND mynumber_bidx IS NOT NULL`, tenant))
		})
	}()
	return m
}

// match finds p's outcome: one person with all four items equal is exact;
// two or more are multiple; otherwise one person with three of them equal
// is one_diff (naming the item that differs), more than one multiple, and
// nobody no_match. The matcher must be ready.
func (m *matcher) match(p Person) match {
	all, three := m.keys(p)
	if i, ok := m.exact[all]; ok {
		if i < 0 {
			return match{outcome: Multiple, note: "four_items"}
		}
		return match{outcome: Exact, person: m.codes[i]}
	}
	found, item := int32(-2), ""
	for skip, k := range three {
		i, ok := m.three[k]
		if !ok {
			continue
		}
		if i < 0 || found >= 0 && found != i {
			return match{outcome: Multiple, note: "three_items"}
		}
		found, item = i, items[skip]
	}
	if found >= 0 {
		return match{outcome: OneDiff, item: item, person: m.codes[found]}
	}
	return match{outcome: NoMatch}
}
