package main

import (
	"bufio"
	"go/ast"
	"go/parser"
	"go/token"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"bango/internal/store"
)

// R-LNK-4: the linkage runs end to end — bango serve's partner listener,
// a partner certificate, the data-link agent as a second process pushing
// and pulling — in a network namespace of its own (unshare -n) that has
// only a loopback interface and no route anywhere else: nothing in it
// needs the internet. The test checks the namespace has no default route
// and that an outside address cannot be reached, then runs
// TestLinkageAgentProcess's scenario inside. Making a namespace needs root
// (CAP_SYS_ADMIN); without it the test is skipped, saying so. PostgreSQL
// at 127.0.0.1 is outside the namespace, so the run inside is on SQLite;
// TestLinkageAgentProcess covers both engines with a network.
func TestLinkageWithoutInternet(t *testing.T) {
	if os.Getenv("BANGO_NETNS_INSIDE") == "1" {
		insideNamespace(t)
		return
	}
	if testing.Short() {
		t.Skip("-short")
	}
	unshare, err := exec.LookPath("unshare")
	if err == nil {
		err = exec.Command(unshare, "-n", "true").Run()
	}
	if err != nil {
		t.Skipf("SKIPPED R-LNK-4 network-namespace test: cannot make a network namespace here (needs root or CAP_SYS_ADMIN and util-linux unshare): %v", err)
	}
	cmd := exec.Command(unshare, "-n", "sh", "-c", `ip link set lo up 2>/dev/null || true; exec "$0" -test.run='^TestLinkageWithoutInternet$' -test.count=1 -test.v`, os.Args[0])
	cmd.Env = append(os.Environ(), "BANGO_NETNS_INSIDE=1", "BANGO_TEST_POSTGRES=")
	out, err := cmd.CombinedOutput()
	t.Logf("inside the namespace:\n%s", out)
	if err != nil || !strings.Contains(string(out), "--- PASS: TestLinkageWithoutInternet") {
		t.Fatalf("the linkage without a network failed: %v", err)
	}
}

func insideNamespace(t *testing.T) {
	// No default route, in either family.
	for _, f := range []string{"/proc/net/route", "/proc/net/ipv6_route"} {
		fh, err := os.Open(f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) > 2 && fields[0] != "Iface" && (f == "/proc/net/route" && fields[1] == "00000000" ||
				f == "/proc/net/ipv6_route" && fields[0] == "00000000000000000000000000000000" && fields[1] == "00") && fields[len(fields)-1] != "lo" {
				t.Fatalf("a default route in the namespace: %s", sc.Text())
			}
		}
		fh.Close()
	}
	for _, addr := range []string{"192.0.2.1:443", "8.8.8.8:53", "[2001:db8::1]:443"} {
		if c, err := net.DialTimeout("tcp", addr, 2*time.Second); err == nil {
			c.Close()
			t.Fatalf("%s reachable from the namespace", addr)
		}
	}
	agentEndToEnd(t, store.SQLite)
}

// outboundAllowed are the only files of bango that may open a connection
// of their own, each to an address it is configured with (R-LNK-4): a new
// one fails TestOutboundConnectionsAreConfigured until it is reviewed and
// listed here. The database driver's connection (the configured db URL)
// is not counted: it is bango's own store, not a way out.
var outboundAllowed = map[string]string{
	"internal/notify/notify.go":       "the configured mail server (smtp-host)",
	"internal/jpki/client.go":         "the configured JPKI certification authority (jpki-ca-url), over mutual TLS",
	"internal/linkage/agent/agent.go": "the data-link agent: its --server only (dialer refuses any other address)",
	"internal/egress/egress.go":       "bango serve's one dialer: the configured mail server and JPKI CA only (any other address refused, logged and audited)",
	"cmd/bango/bench_jpki.go":         "bango bench jpki: the stand-in CA it starts itself on loopback",
	"internal/bench/assesshttp.go":    "bango bench assess: bango's own web handler, which it serves itself on a loopback httptest server",
}

// outboundNames are the standard library's ways to open a connection.
var outboundNames = map[string][]string{
	"net":        {"Dial", "DialTimeout", "DialTCP", "DialUDP", "DialIP", "DialUnix", "Dialer"},
	"net/http":   {"Get", "Post", "Head", "PostForm", "DefaultClient", "DefaultTransport", "Client", "Transport"},
	"crypto/tls": {"Dial", "DialWithDialer", "Dialer"},
	"net/smtp":   {"Dial", "SendMail", "NewClient"},
}

// R-LNK-4: bango opens no outbound connection except to what it is
// configured with. Every non-test Go file of bango is read, and a use of
// any standard way to dial (net.Dial, a net.Dialer, an http.Client or
// Transport, http.Get, tls.Dial, smtp) outside the reviewed files fails.
func TestOutboundConnectionsAreConfigured(t *testing.T) {
	root := filepath.Join("..", "..")
	found := map[string]string{}
	for _, top := range []string{"internal", "cmd"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
				return err
			}
			f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			local := map[string]string{}
			for _, im := range f.Imports {
				path := strings.Trim(im.Path.Value, `"`)
				if _, ok := outboundNames[path]; ok {
					name := path[strings.LastIndex(path, "/")+1:]
					if im.Name != nil {
						name = im.Name.Name
					}
					local[name] = path
				}
			}
			rel, _ := filepath.Rel(root, p)
			rel = filepath.ToSlash(rel)
			ast.Inspect(f, func(n ast.Node) bool {
				sel, ok := n.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				x, ok := sel.X.(*ast.Ident)
				if !ok || local[x.Name] == "" {
					return true
				}
				if slices.Contains(outboundNames[local[x.Name]], sel.Sel.Name) {
					found[rel] = local[x.Name] + "." + sel.Sel.Name
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := found["internal/notify/notify.go"]; !ok {
		t.Fatalf("the reader did not find the mail client's dial: it is broken (found %v)", found)
	}
	for file, what := range found {
		if _, ok := outboundAllowed[file]; !ok {
			t.Errorf("%s opens a connection of its own (%s): R-LNK-4 allows only the configured partners, mail server and CA — review it and list it in outboundAllowed with the address it is configured with", file, what)
		}
	}
	for file := range outboundAllowed {
		if _, ok := found[file]; !ok {
			t.Errorf("%s is listed in outboundAllowed but dials nothing: remove it", file)
		}
	}
}
