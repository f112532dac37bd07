package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"bango/internal/store"
	"bango/internal/testutil"
)

// TestLinkageAgentHelper is the data-link agent as a process of its own
// for TestLinkageAgentProcess: bango linkage agent with the arguments of
// its environment.
func TestLinkageAgentHelper(t *testing.T) {
	raw := os.Getenv("BANGO_AGENT_ARGS")
	if raw == "" {
		t.Skip("the helper process of TestLinkageAgentProcess")
	}
	var out, errOut bytes.Buffer
	code := run(context.Background(), append([]string{"linkage", "agent"}, strings.Split(raw, "\x1f")...), &out, &errOut)
	os.Stdout.Write(out.Bytes())
	os.Stderr.Write(errOut.Bytes())
	os.Exit(code)
}

func agentProcess(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLinkageAgentHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), "BANGO_AGENT_ARGS="+strings.Join(args, "\x1f"))
	return cmd
}

// partnerCert runs bango linkage partner add and keeps the certificate and
// key it prints once in dir.
func partnerCert(t *testing.T, dir string, args ...string) (certFile, keyFile string) {
	t.Helper()
	code, out, stderr := runCmd(t, append([]string{"linkage", "partner", "add"}, args...)...)
	if code != 0 {
		t.Fatalf("partner add: %d %s", code, stderr)
	}
	var certPEM, keyPEM []byte
	rest := []byte(out)
	for {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		switch b.Type {
		case "CERTIFICATE":
			certPEM = pem.EncodeToMemory(b)
		case "PRIVATE KEY":
			keyPEM = pem.EncodeToMemory(b)
		}
	}
	if certPEM == nil || keyPEM == nil {
		t.Fatalf("partner add printed no certificate and key:\n%s", out)
	}
	os.MkdirAll(dir, 0o700)
	certFile, keyFile = filepath.Join(dir, "partner.crt"), filepath.Join(dir, "partner.key")
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func filesUnder(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	return out
}

var partnerLine = regexp.MustCompile(`Linkage partners on (https://\S+?)/? `)

// R-LNK-1, R-LNK-3: the data-link agent as a real second process against
// bango serve's partner listener. A push that fails (bango unreachable)
// leaves no plaintext: the outbox file is gone and the spool holds it
// sealed; once bango answers, the agent pushes it and a file put in the
// outbox while it runs, each imported and gone from the agent's disk. A
// pull-only partner's agent fetches its file into the inbox and leaves
// nothing in its spool.
func TestLinkageAgentProcess(t *testing.T) {
	testutil.EachEngine(t, agentEndToEnd)
}

// agentEndToEnd is TestLinkageAgentProcess on one engine.
func agentEndToEnd(t *testing.T, eng store.Engine) {
	{
		data := t.TempDir()
		args := []string{"--data", data}
		if eng == store.Postgres {
			args = append(args, "--db", testutil.NewDBURL(t, store.Postgres))
		}
		if code, _, stderr := runCmd(t, append([]string{"demo", "--residents", "10", "--argon2-memory-kib", "8192", "--argon2-time", "1"}, args...)...); code != 0 {
			t.Fatal(stderr)
		}
		machine := t.TempDir() // the data-link machine's disk
		cert, key := partnerCert(t, filepath.Join(machine, "pki"), append([]string{"--tenant", "131041", "--partner", "resident-records",
			"--direction", "inbound", "--layouts", "resident-differences"}, args...)...)
		outbox, inbox, spool := filepath.Join(machine, "outbox"), filepath.Join(machine, "inbox"), filepath.Join(machine, "spool")
		os.MkdirAll(filepath.Join(outbox, "resident-differences"), 0o700)
		first := residentFile(t, filepath.Join(outbox, "resident-differences", "IDO1.DAT"), 1, 5)
		serverCA := filepath.Join(data, "tls", "ca.crt")
		// The server CA exists once bango has served; make it now by
		// serving, and first try a push to an address nobody answers.
		_, out := startServe(t, append([]string{"--partner-listen", "127.0.0.1:0"}, args...)...)
		m := partnerLine.FindStringSubmatch(out.String())
		if m == nil {
			t.Fatalf("serve printed no partner listener:\n%s", out.String())
		}
		partnerURL := m[1]
		common := []string{"--server-ca", serverCA, "--cert", cert, "--key", key, "--outbox", outbox, "--inbox", inbox, "--spool", spool}
		failed := agentProcess(t, append([]string{"--server", "https://127.0.0.1:1", "--once"}, common...)...)
		if b, err := failed.CombinedOutput(); err != nil {
			t.Fatalf("agent against nobody: %v\n%s", err, b)
		} else if !strings.Contains(string(b), "kept sealed") {
			t.Errorf("the failed push was not logged:\n%s", b)
		}
		left := filesUnder(t, machine)
		var sealed []string
		for _, p := range left {
			switch {
			case strings.HasPrefix(p, outbox):
				t.Errorf("a failed transfer left %s in the outbox", p)
			case strings.HasPrefix(p, spool):
				sealed = append(sealed, p)
				b, _ := os.ReadFile(p)
				if bytes.Contains(b, first[:40]) || bytes.Contains(b, []byte("131041")) {
					t.Errorf("the spool holds %s readable", p)
				}
			}
		}
		if len(sealed) != 1 {
			t.Fatalf("spool after a failed push: %v", sealed)
		}

		// bango answers: the sealed file and a new one go through.
		agent := agentProcess(t, append([]string{"--server", partnerURL, "--every", "200ms"}, common...)...)
		var agentOut bytes.Buffer
		agent.Stdout, agent.Stderr = &agentOut, &agentOut
		if err := agent.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { agent.Process.Kill(); agent.Wait() })
		residentFile(t, filepath.Join(outbox, "resident-differences", "IDO2.DAT"), 6, 4)
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) {
			if left := filesUnder(t, filepath.Join(machine, "outbox")); len(left) == 0 && len(filesUnder(t, spool)) == 0 {
				_, hist, _ := runCmd(t, append([]string{"linkage", "history", "--tenant", "131041", "--json"}, args...)...)
				var page struct {
					Items []struct {
						Outcome  string `json:"outcome"`
						FileName string `json:"file_name"`
						Applied  int    `json:"applied"`
					} `json:"items"`
				}
				json.Unmarshal([]byte(hist), &page)
				applied := 0
				for _, j := range page.Items {
					if j.Outcome == "applied" {
						applied += j.Applied
					}
				}
				if applied == 9 {
					break
				}
			}
			time.Sleep(200 * time.Millisecond)
		}
		if left := filesUnder(t, machine); len(left) != 2 { // the certificate and key, nothing else
			t.Fatalf("the agent's disk after the transfers: %v\n%s", left, agentOut.String())
		}
		_, hist, _ := runCmd(t, append([]string{"linkage", "history", "--tenant", "131041"}, args...)...)
		if strings.Count(hist, " applied  records=") != 2 || !strings.Contains(hist, "by partner:131041/resident-records") {
			t.Fatalf("bango's history:\n%s\nagent:\n%s", hist, agentOut.String())
		}
		agent.Process.Kill()
		agent.Wait()

		// A pull-only partner's agent.
		pm := filepath.Join(t.TempDir(), "pull")
		pcert, pkey := partnerCert(t, filepath.Join(pm, "pki"), append([]string{"--tenant", "131041", "--partner", "aggregation",
			"--direction", "outbound", "--layouts", "nhi-eligibility-continuity"}, args...)...)
		if code, _, stderr := runCmd(t, append([]string{"linkage", "insurer", "set", "--tenant", "131041", "--number", "138016", "--from", "2000-04-01"}, args...)...); code != 0 {
			t.Fatal(stderr)
		}
		puller := agentProcess(t, "--server", partnerURL, "--server-ca", serverCA, "--cert", pcert, "--key", pkey, "--inbox", filepath.Join(pm, "inbox"),
			"--spool", filepath.Join(pm, "spool"), "--pull", "nhi-eligibility-continuity", "--insurer", "138016", "--once")
		if b, err := puller.CombinedOutput(); err != nil || !strings.Contains(string(b), "pulled") {
			t.Fatalf("puller: %v\n%s", err, b)
		}
		got := filesUnder(t, filepath.Join(pm, "inbox"))
		if len(got) != 1 || len(filesUnder(t, filepath.Join(pm, "spool"))) != 0 {
			t.Fatalf("pulled: %v, spool %v", got, filesUnder(t, filepath.Join(pm, "spool")))
		}
		if b, _ := os.ReadFile(got[0]); !bytes.HasPrefix(b, []byte("1138016131041SKKZ")) {
			t.Fatalf("pulled file %q", b)
		}
	}
}
