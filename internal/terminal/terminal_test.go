package terminal_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/store"
	"bango/internal/terminal"
	"bango/internal/testutil"
)

func TestParsePrefixes(t *testing.T) {
	ps, err := terminal.ParsePrefixes(" 10.0.0.0/24, 10.0.1.5 ,::1")
	if err != nil || len(ps) != 3 || ps[1].String() != "10.0.1.5/32" || ps[2].String() != "::1/128" {
		t.Fatalf("ParsePrefixes = %v, %v", ps, err)
	}
	for _, bad := range []string{"", "10.0.0.0/33", "terminal-1", "10.0.0", "fe80::1%eth0"} {
		if _, err := terminal.ParsePrefixes(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// Issue 17: a wrong address is said beside the addresses field, naming
// each wrong part (the user's own input) and showing what to type.
func TestParsePrefixesFieldErrors(t *testing.T) {
	tests := []struct {
		in   string
		want []string // what each field error's Japanese names
	}{
		{"10.0.0.999", []string{"「10.0.0.999」"}},
		{"10.0.0.8, 10.0.0.0/33, T-01", []string{"「10.0.0.0/33」", "「T-01」"}},
		{" , ", []string{"入力してください"}},
	}
	for _, tt := range tests {
		_, err := terminal.ParsePrefixes(tt.in)
		fs := errs.Fields(err)
		if !errs.Is(err, errs.Invalid) || len(fs) != len(tt.want) {
			t.Errorf("%q: %v, want %d field errors", tt.in, err, len(tt.want))
			continue
		}
		for i, f := range fs {
			if f.Field != "cidrs" || !strings.Contains(f.Reason.JA, tt.want[i]) || !strings.Contains(f.Reason.JA, "例：10.0.0.8") || !strings.Contains(f.Reason.EN, "10.1.2.0/24") {
				t.Errorf("%q: field error %d = %+v", tt.in, i, f)
			}
		}
	}
}

// R-AUTH-5: a terminal is recognised by its address, and by its
// certificate where one is pinned; the narrowest match wins.
func TestMatch(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := audit.WithActor(context.Background(), audit.Actor{User: "is-admin"})
		reg := terminal.New(db)
		add := func(name, cidrs, fp string) {
			ps, _ := terminal.ParsePrefixes(cidrs)
			if _, err := reg.Add(ctx, terminal.Terminal{Name: name, Prefixes: ps, CertFingerprint: fp, Section: "医療保険年金課"}); err != nil {
				t.Fatal(err)
			}
		}
		pinned := strings.Repeat("ab", 32)
		add("section-lan", "10.0.0.0/24", "")
		add("T-01", "10.0.0.8", "")
		add("T-02", "10.0.0.9", "AB:"+strings.Repeat("AB", 31))
		tests := []struct {
			addr, fp, want string
		}{
			{"10.0.0.8", "", "T-01"},
			{"10.0.0.7", "", "section-lan"},
			{"10.0.0.9", pinned, "T-02"},
			{"10.0.0.9", "", "section-lan"}, // without its certificate, T-02 is just a machine on the LAN
			{"10.0.1.1", "", ""},
			{"::ffff:10.0.0.8", "", "T-01"},
		}
		for _, tt := range tests {
			got, ok, err := reg.Match(ctx, netip.MustParseAddr(tt.addr), tt.fp)
			if err != nil || got.Name != tt.want || ok != (tt.want != "") {
				t.Errorf("Match(%s, %q) = %q %v %v, want %q", tt.addr, tt.fp, got.Name, ok, err, tt.want)
			}
		}
		if err := reg.Disable(ctx, "T-01"); err != nil {
			t.Fatal(err)
		}
		if got, _, _ := reg.Match(ctx, netip.MustParseAddr("10.0.0.8"), ""); got.Name != "section-lan" {
			t.Fatalf("disabled terminal still matched: %q", got.Name)
		}
		// Disabling it again tells the administrator, in words, to look again.
		err := reg.Disable(ctx, "T-01")
		if ja, ok := errs.Told(err, "ja"); !errs.Is(err, errs.NotFound) || errs.Public(err) != `no active terminal named "T-01"` || !ok || !strings.Contains(ja, "一覧を開き直して") {
			t.Fatalf("disabled twice: %v (told %q)", err, ja)
		}
		ps, _ := terminal.ParsePrefixes("10.0.0.1")
		if _, err := reg.Add(ctx, terminal.Terminal{Name: "T-02", Prefixes: ps}); !errs.Is(err, errs.Conflict) {
			t.Fatalf("duplicate name: %v", err)
		}
		if _, err := reg.Add(ctx, terminal.Terminal{Name: "T-03", Prefixes: ps, CertFingerprint: "xyz"}); len(errs.Fields(err)) != 1 {
			t.Fatalf("bad fingerprint: %v", err)
		}
	})
}
