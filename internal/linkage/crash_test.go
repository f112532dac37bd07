package linkage_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"testing"
	"time"

	"bango/internal/audit"
	"bango/internal/linkage"
	"bango/internal/store"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
)

const applying = "LINKAGE-HELPER-APPLYING"

// TestImportCrashHelper is the helper process of TestImportKilledMidway:
// it imports the file named in its environment and, half way through the
// apply, says so and stops until it is killed.
func TestImportCrashHelper(t *testing.T) {
	dbURL := os.Getenv("LINKAGE_CRASH_DB")
	if dbURL == "" {
		t.Skip("the helper process of TestImportKilledMidway")
	}
	ctx := audit.WithActor(context.Background(), audit.Actor{User: "cli:crash"})
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	path := os.Getenv("LINKAGE_CRASH_FILE")
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	said := false
	_, _, err = linkage.NewService(db, nil).Import(ctx, linkage.ImportRequest{Tenant: shinjuku, Partner: partner, Layout: layout,
		Open: func() (io.ReadCloser, error) { return os.Open(path) },
		Progress: func(pass string, done int64) {
			if pass == "apply" && done > st.Size()/2 && !said {
				said = true
				fmt.Println(applying)
				time.Sleep(time.Hour) // until killed, with half the file written in the open transaction
			}
		}})
	t.Fatalf("the import ended instead of being killed: %v", err)
}

// R-LNK-1: a process killed in the middle of applying a file leaves
// nothing applied and no job; running the import again applies the whole
// file exactly once.
func TestImportKilledMidway(t *testing.T) {
	testutil.EachEngine(t, func(t *testing.T, eng store.Engine) {
		dbURL := testutil.NewDBURL(t, eng)
		ctx := testutil.As("cli:operator")
		db, err := store.Open(ctx, dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		kit := testkit.New(t, db)
		kit.Municipality(t, shinjuku, "新宿区")
		svc := linkage.NewService(db, nil)
		if _, err := svc.AddPartner(ctx, linkage.Partner{Tenant: shinjuku, ID: partner, Direction: linkage.Inbound, Layouts: []string{layout}}); err != nil {
			t.Fatal(err)
		}
		// Past half of it, rows are written in the open transaction on
		// either engine (PostgreSQL's bulk path sends 20,000 at a time).
		const n = 50000
		path := t.TempDir() + "/IDO.DAT"
		if err := os.WriteFile(path, differences(t, shinjuku, newcomers(1, n)), 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestImportCrashHelper$", "-test.v")
		cmd.Env = append(os.Environ(), "LINKAGE_CRASH_DB="+dbURL, "LINKAGE_CRASH_FILE="+path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		reached := false
		for !reached && sc.Scan() {
			reached = sc.Text() == applying
		}
		cmd.Process.Kill()
		cmd.Wait()
		if !reached {
			t.Fatal("the helper ended before it was half way through the apply")
		}
		if got := count(t, db, "linkage_resident_differences"); got != 0 {
			t.Fatalf("%d rows left by the killed import", got)
		}
		if got := count(t, db, "linkage_jobs"); got != 0 {
			t.Fatalf("%d jobs left by the killed import", got)
		}
		job, _, err := svc.Import(ctx, linkage.ImportRequest{Tenant: shinjuku, Partner: partner, Layout: layout,
			Open: func() (io.ReadCloser, error) { return os.Open(path) }})
		if err != nil || job.Applied != n {
			t.Fatalf("the rerun: %+v %v", job, err)
		}
		if got := count(t, db, "linkage_resident_differences"); got != n {
			t.Fatalf("%d rows after the rerun, want %d", got, n)
		}
	})
}
