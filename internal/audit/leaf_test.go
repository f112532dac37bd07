package audit

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// The leaf layout is defined as json.Marshal of the leaf struct, so that
// any JSON library reproduces it; the hand-written encoder must agree on
// every input, hostile ones included.
func TestLeafDataIsJSONMarshal(t *testing.T) {
	pieces := []string{"", "a", "山田　太郎", "<script>&</script>", "\"q\"", "back\\slash", "\x00\x01\x1f\x7f", "\b\f\n\r\t",
		"\u2028\u2029", "\xff\xfe", "\xe3\x81", "🙂", "ｶﾀｶﾅ", "x" + strings.Repeat("長", 50)}
	rng := rand.New(rand.NewPCG(1, 2))
	random := func() string {
		var b strings.Builder
		for n := rng.IntN(6); n > 0; n-- {
			b.WriteString(pieces[rng.IntN(len(pieces))])
			if rng.IntN(4) == 0 {
				b.WriteByte(byte(rng.IntN(256)))
			}
		}
		return b.String()
	}
	for i := 0; i < 20000; i++ {
		e := Event{ID: rng.Int64(), Time: time.Unix(rng.Int64N(4e9), rng.Int64N(1e9)),
			Tenant: random(), Actor: Actor{User: random(), Session: random(), Terminal: random(), Address: random()},
			Action: random(), Subject: Subject{Type: random(), ID: random()}, Purpose: random(), Outcome: random(),
			RequestID: random(), Detail: random()}
		want, err := json.Marshal(leafOf(e))
		if err != nil {
			t.Fatal(err)
		}
		if got := LeafData(e); !bytes.Equal(got, want) {
			t.Fatalf("event %+v\n got %q\nwant %q", e, got, want)
		}
	}
	if !utf8.Valid(LeafData(Event{Detail: "\xff"})) {
		t.Fatal("leaf is not valid UTF-8")
	}
}
