package main

import (
	"bufio"
	"net"
	"os"
	"os/exec"
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
