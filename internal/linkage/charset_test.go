package linkage

import (
	"bytes"
	"testing"

	"golang.org/x/text/encoding/japanese"
)

// R-ACC-5: the parser's own Shift_JIS table reads every character as
// x/text's CP932 decoder does — every ASCII and half-width kana byte and
// every lead and trail byte pair — and a pair the decoder cannot map
// (it would put U+FFFD in its place) is reported at its offset instead
// of being replaced.
func TestSJISTableMatchesDecoder(t *testing.T) {
	dec := japanese.ShiftJIS.NewDecoder()
	check := func(src []byte) {
		t.Helper()
		want, err := dec.Bytes(src)
		if err != nil {
			t.Fatalf("% x: %v", src, err)
		}
		got, bad := decodeSJIS(nil, src)
		if containsFFFD(want) {
			if bad != 0 {
				t.Errorf("% x: the decoder replaces it (%q), the table reads %q (bad %d)", src, want, got, bad)
			}
			return
		}
		if bad != -1 || string(got) != string(want) {
			t.Errorf("% x: table %q (bad %d), decoder %q", src, got, bad, want)
		}
	}
	for c := 0x20; c < 0x7f; c++ {
		check([]byte{byte(c)})
	}
	for c := 0xa1; c <= 0xdf; c++ {
		check([]byte{byte(c)})
	}
	pairs, unmapped := 0, 0
	for lead := 0; lead < 256; lead++ {
		if !isLead(byte(lead)) {
			continue
		}
		for trail := 0; trail < 256; trail++ {
			if !isTrail(byte(trail)) {
				continue
			}
			pairs++
			if sjisDouble()[lead<<8|trail] == 0 {
				unmapped++
			}
			check([]byte{byte(lead), byte(trail)})
		}
	}
	if pairs != 60*188 || unmapped == 0 || unmapped == pairs {
		t.Fatalf("%d pairs, %d unmapped: the table was not built", pairs, unmapped)
	}
	// In a field: the offset of the unmapped pair, after what came before.
	if got, bad := decodeSJIS(nil, []byte{'A', 0xb1, 0x85, 0x40, 'B'}); bad != 2 || string(got) != "Aｱ" {
		t.Errorf("an unmapped pair in a field: %q at %d, want at 2", got, bad)
	}
}

func containsFFFD(b []byte) bool {
	for _, r := range string(b) {
		if r == '\uFFFD' {
			return true
		}
	}
	return false
}

// encodeSJIS's table gives, for every rune of the Basic Multilingual
// Plane and a few beyond it, what the x/text encoder gives.
func TestEncodeSJISTableMatchesEncoder(t *testing.T) {
	for r := rune(0); r < 1<<16+16; r++ {
		b, ok := encodeSJIS(r)
		wb, wok := encodeSJISSlow(r)
		if ok != wok || !bytes.Equal(b, wb) {
			t.Fatalf("U+%04X: %x %v, the encoder %x %v", r, b, ok, wb, wok)
		}
	}
}
