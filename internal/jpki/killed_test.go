package jpki_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"bango/internal/jpki"
	"bango/internal/jpki/standin"
	"bango/internal/resident"
	"bango/internal/store"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
	"bango/internal/vault"
)

// issuing is what the helper process says once its application is open
// and the issuance is about to be sent.
const issuing = "JPKI-HELPER-ISSUING"

// TestKilledHelper is the helper process of TestKilledMidIssuance: a
// bango process of its own over the database, the vault's key and the CA
// named in its environment, which opens an application and issues, the
// CA holding the request until the process is killed.
func TestKilledHelper(t *testing.T) {
	dbURL := os.Getenv("JPKI_KILLED_DB")
	if dbURL == "" {
		t.Skip("the helper process of TestKilledMidIssuance")
	}
	ctx := clerk()
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	mk, _, err := vault.LoadKeyFile(os.Getenv("JPKI_KILLED_KEY"), false)
	if err != nil {
		t.Fatal(err)
	}
	v := vault.New(db, mk)
	files := standin.FilesIn(os.Getenv("JPKI_KILLED_CA_DIR"))
	cfg, err := jpki.LoadClientConfig(os.Getenv("JPKI_KILLED_CA"), files.Root, files.Client, files.ClientKey, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var req jpki.Request
	if err := json.Unmarshal([]byte(os.Getenv("JPKI_KILLED_REQUEST")), &req); err != nil {
		t.Fatal(err)
	}
	svc := jpki.NewService(db, v, resident.NewService(db, v, testkit.Quiet), client(t, cfg), testkit.Quiet)
	a, err := svc.Open(ctx, shinjuku, code, resident.VerifiedByMyNumberCard)
	if err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString(issuing + "\n")
	_, err = svc.Issue(ctx, shinjuku, a.ID, req)
	t.Fatalf("the issuance ended instead of the process being killed: %v", err)
}

// R-JPKI-2: a bango process killed (SIGKILL) while its issuance is at the
// CA leaves a sealed work record and nothing else; the next process's
// sweep at its start destroys it with an "abandoned" event, and then no
// table and no file of the data folder holds the applicant's items or the
// card's public key.
func TestKilledMidIssuance(t *testing.T) {
	testutil.EachEngine(t, func(t *testing.T, eng store.Engine) {
		dbURL := testutil.NewDBURL(t, eng)
		ctx := testutil.As(testkit.Setup)
		db, err := store.Open(ctx, dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		keyFile := filepath.Join(t.TempDir(), "master.key")
		mk, _, err := vault.LoadKeyFile(keyFile, true)
		if err != nil {
			t.Fatal(err)
		}
		kit := testkit.New(t, db)
		kit.Vault = vault.New(db, mk) // the one the helper loads too
		f := setupKit(t, kit)
		sig := cardKey(t, 0)
		k := f.keeper(t, sig)
		caDir := filepath.Join(t.TempDir(), "ca")
		if err := f.ca.Save(caDir); err != nil {
			t.Fatal(err)
		}
		req, err := json.Marshal(requestOf(t, sig, nil))
		if err != nil {
			t.Fatal(err)
		}
		f.ca.SetDelay(time.Hour)
		defer f.ca.SetDelay(0)

		cmd := exec.Command(os.Args[0], "-test.run=^TestKilledHelper$", "-test.count=1")
		cmd.Env = append(os.Environ(), "JPKI_KILLED_DB="+dbURL, "JPKI_KILLED_KEY="+keyFile, "JPKI_KILLED_CA="+f.srv.URL,
			"JPKI_KILLED_CA_DIR="+caDir, "JPKI_KILLED_REQUEST="+string(req))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		served := f.ca.Served()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := bufio.NewScanner(out)
		said := false
		for !said && lines.Scan() {
			said = strings.Contains(lines.Text(), issuing)
		}
		if !said {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatal("the helper never began its issuance")
		}
		wait, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for f.ca.Served() == served && wait.Err() == nil {
			time.Sleep(10 * time.Millisecond) // until the request is at the CA
		}
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		if f.ca.Served() == served {
			t.Fatal("the helper's request never reached the CA")
		}

		// The dead process's work record is there, sealed.
		var left int
		if err := db.Read(testutil.AllTenants(), func(q store.Querier) error {
			return q.QueryRow(testutil.AllTenants(), `SELECT count(*) FROM jpki_work`).Scan(&left)
		}); err != nil || left != 1 {
			t.Fatalf("work records after the kill: %d, %v", left, err)
		}
		for where, n := range holdings(t, db, k.items) {
			if n != k.before[where] {
				t.Errorf("while killed: %s in %d rows, %d before the application", where, n, k.before[where])
			}
		}

		// The next process sweeps at its start.
		restarted := f.service(t, f.ca.ClientConfig(f.srv.URL))
		if n, err := restarted.Sweep(testutil.As("system:jobs")); err != nil || n != 1 {
			t.Fatalf("sweep at the restart: %d, %v", n, err)
		}
		k.nothingKept(t, "killed mid-issuance, swept at the restart")
		if got := testutil.Outcomes(t, db, "jpki.expire"); len(got) != 1 || !strings.HasSuffix(got[0], " outcome=abandoned") {
			t.Errorf("expiry events: %q", got)
		}
	})
}
