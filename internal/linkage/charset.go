package linkage

import (
	"sync"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"

	"bango/internal/errs"
)

// Why a character is refused. x/text's decoders would put U+FFFD in its
// place and go on: these checks run first, so that nothing is ever replaced
// in silence.
var (
	reasonInvalid = errs.Message{JA: "文字コードとして正しくないバイト列です", EN: "is not a valid byte sequence in the file's encoding"}
	reasonGaiji   = errs.Message{JA: "外字（利用者定義文字）が含まれています", EN: "holds a user-defined character (外字) the encoding cannot carry"}
	reasonUnmap   = errs.Message{JA: "文字コード表にない文字が含まれています", EN: "holds a code the encoding does not define"}
	reasonControl = errs.Message{JA: "制御文字が含まれています", EN: "holds a control character"}
	reasonSplit   = errs.Message{JA: "全角文字が項目の境界をまたいでいます", EN: "a double-byte character crosses the field's boundary"}
)

func isLead(c byte) bool { return 0x81 <= c && c <= 0x9f || 0xe0 <= c && c <= 0xfc }

func isTrail(c byte) bool { return 0x40 <= c && c <= 0x7e || 0x80 <= c && c <= 0xfc }

// scanSJIS checks that b is whole CP932 characters without controls or
// 外字. It returns the 0-based offset of the first bad character (-1 when
// none), why, and whether b is all ASCII.
func scanSJIS(b []byte) (bad int, why errs.Message, ascii bool) {
	ascii = true
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c < 0x20 || c == 0x7f:
			return i, reasonControl, false
		case c < 0x80:
		case 0xa1 <= c && c <= 0xdf:
			ascii = false
		case isLead(c):
			ascii = false
			if i+1 >= len(b) {
				return i, reasonSplit, false
			}
			if !isTrail(b[i+1]) {
				return i, reasonInvalid, false
			}
			if 0xf0 <= c && c <= 0xf9 {
				return i, reasonGaiji, false
			}
			i++
		default:
			return i, reasonInvalid, false
		}
	}
	return -1, errs.Message{}, ascii
}

// scanUTF8 is scanSJIS for UTF-8: valid, no controls, no private-use
// characters (外字 as UTF-8 carries them).
func scanUTF8(b []byte) (bad int, why errs.Message, ascii bool) {
	ascii = true
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return i, reasonControl, false
			}
			i++
			continue
		}
		ascii = false
		r, n := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			if !utf8.FullRune(b[i:]) {
				return i, reasonSplit, false
			}
			return i, reasonInvalid, false
		case r >= 0x80 && r <= 0x9f:
			return i, reasonControl, false
		case isPrivateUse(r):
			return i, reasonGaiji, false
		}
		i += n
	}
	return -1, errs.Message{}, ascii
}

func isPrivateUse(r rune) bool {
	return 0xe000 <= r && r <= 0xf8ff || 0xf0000 <= r && r <= 0x10ffff
}

// jisRow is the JIS X 0208 row (区) of a double-byte Shift_JIS character.
func jisRow(lead, trail byte) int {
	var ku int
	if lead <= 0x9f {
		ku = int(lead-0x81)*2 + 1
	} else {
		ku = int(lead-0xe0)*2 + 63
	}
	if trail >= 0x9f {
		ku++
	}
	return ku
}

// inJISX0208 reports whether a double-byte Shift_JIS character lies in
// the rows JIS X 0208 assigns (1–8 symbols, 16–84 kanji); rows 9–15 and
// 85 on hold the NEC and IBM extensions CP932 adds.
func inJISX0208(lead, trail byte) bool {
	ku := jisRow(lead, trail)
	return 1 <= ku && ku <= 8 || 16 <= ku && ku <= 84
}

// encodeSJIS encodes a single rune to check a UTF-8 file's text against
// the Shift_JIS repertoire: what the x/text encoder makes of it
// (encodeSJISSlow), looked up for the Basic Multilingual Plane in a
// table built once from that encoder (a new encoder for every rune was
// the largest single cost of a registry file's check: bango bench setup).
// The bytes returned are shared: read them, never change them.
func encodeSJIS(r rune) ([]byte, bool) {
	if r < utf8.RuneSelf || isPrivateUse(r) || r >= 1<<16 {
		return encodeSJISSlow(r)
	}
	t := sjisEncoded()
	n := t.n[r]
	if n == 0 {
		return nil, false
	}
	return t.b[2*int(r) : 2*int(r)+int(n) : 2*int(r)+int(n)], true
}

func encodeSJISSlow(r rune) ([]byte, bool) {
	if r < utf8.RuneSelf || isPrivateUse(r) {
		return []byte{byte(r)}, r < utf8.RuneSelf
	}
	var src [4]byte
	n := utf8.EncodeRune(src[:], r)
	var dst [4]byte
	nd, _, err := japanese.ShiftJIS.NewEncoder().Transform(dst[:], src[:n], true)
	if err != nil || nd == 0 {
		return nil, false
	}
	return dst[:nd], true
}

// sjisRunes is encodeSJISSlow of every rune below 1<<16 that is neither
// ASCII nor private use: n the length (0: not encodable), b the bytes, two
// a rune. (A rune of Shift_JIS is one or two bytes.)
type sjisRunes struct {
	n [1 << 16]uint8
	b [1 << 17]byte
}

var sjisEncoded = sync.OnceValue(func() *sjisRunes {
	t := new(sjisRunes)
	for r := rune(utf8.RuneSelf); r < 1<<16; r++ {
		if isPrivateUse(r) {
			continue
		}
		b, ok := encodeSJISSlow(r)
		if !ok {
			continue
		}
		if len(b) > 2 {
			panic("linkage: Shift_JIS encodes a rune in more than two bytes")
		}
		t.n[r] = uint8(len(b))
		copy(t.b[2*int(r):], b)
	}
	return t
})

// sjisDouble is every double-byte character of CP932 as x/text's
// Shift_JIS decoder reads it (0: a code it does not define), by lead and
// trail byte: the parser decodes a text field by looking its characters
// up here rather than through the decoder's Transform, which checks and
// copies in a general way for every field (a third of parse + check).
// Built once, from the decoder itself, so that both read every byte pair
// the same (TestSJISTableMatchesDecoder).
var sjisDouble = sync.OnceValue(func() *[1 << 16]rune {
	t := new([1 << 16]rune)
	dec := japanese.ShiftJIS.NewDecoder()
	var src [2]byte
	for lead := 0x81; lead <= 0xfc; lead++ {
		if !isLead(byte(lead)) {
			continue
		}
		for trail := 0x40; trail <= 0xfc; trail++ {
			if !isTrail(byte(trail)) {
				continue
			}
			src[0], src[1] = byte(lead), byte(trail)
			out, err := dec.Bytes(src[:])
			if r, n := utf8.DecodeRune(out); err == nil && n == len(out) && r != utf8.RuneError {
				t[lead<<8|trail] = r
			}
		}
	}
	return t
})

// decodeSJIS appends raw, whole CP932 characters that scanSJIS passed,
// decoded to UTF-8 onto dst. bad is the 0-based offset of the first
// double-byte character CP932 does not define, or -1.
func decodeSJIS(dst, raw []byte) (out []byte, bad int) {
	t := sjisDouble()
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c < utf8.RuneSelf:
			dst = append(dst, c)
		case 0xa1 <= c && c <= 0xdf: // half-width katakana: U+FF61…U+FF9F
			dst = utf8.AppendRune(dst, rune(c)-0xa1+0xff61)
		case i+1 < len(raw):
			r := t[int(c)<<8|int(raw[i+1])]
			if r == 0 {
				return dst, i
			}
			dst = utf8.AppendRune(dst, r)
			i++
		default:
			return dst, i
		}
	}
	return dst, -1
}
