package standin

import (
	"crypto/rsa"
	"testing"
)

// A CA started without keys makes its own, fresh each time and RSA 2048 as
// the JPKI CA's are; only a test that passes Options.CAKeys shares a pair.
func TestCAKeysFreshUnlessGiven(t *testing.T) {
	a, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, ca := range []*CA{a, b} {
		for _, pub := range []any{ca.Root().PublicKey, ca.Issuing().PublicKey} {
			if k, ok := pub.(*rsa.PublicKey); !ok || k.N.BitLen() != 2048 {
				t.Fatalf("a CA key is %T, not RSA 2048", pub)
			}
		}
	}
	if a.Root().PublicKey.(*rsa.PublicKey).Equal(b.Root().PublicKey) || a.Issuing().PublicKey.(*rsa.PublicKey).Equal(b.Issuing().PublicKey) {
		t.Fatal("two CAs started without keys share one")
	}
	if a.Root().PublicKey.(*rsa.PublicKey).Equal(a.Issuing().PublicKey) {
		t.Fatal("the root and the issuing CA share a key")
	}
	keys, err := NewCAKeys()
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(Options{CAKeys: keys})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Root().PublicKey.(*rsa.PublicKey).Equal(keys[0].Public()) || !c.Issuing().PublicKey.(*rsa.PublicKey).Equal(keys[1].Public()) {
		t.Fatal("the keys given were not used")
	}
}
