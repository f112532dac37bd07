package vault_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"bango/internal/errs"
	"bango/internal/store"
	"bango/internal/testutil"
	"bango/internal/vault"
)

// sealKeys lists tenant's seal data keys as "version/master version".
func sealKeys(t *testing.T, db *store.DB, tenant string) []string {
	t.Helper()
	ctx := store.WithScope(testCtx(), store.AllTenants)
	var out []string
	err := db.Read(ctx, func(q store.Querier) error {
		rows, err := q.Query(ctx, `SELECT version, master_version FROM vault_data_keys WHERE tenant_code = $1 AND purpose = 'seal' ORDER BY version`, tenant)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var v, m int
			if err := rows.Scan(&v, &m); err != nil {
				return err
			}
			out = append(out, fmt.Sprintf("%d/%d", v, m))
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func loadKeys(t *testing.T, path string) *vault.MasterKeys {
	t.Helper()
	mk, _, err := vault.LoadKeyFile(path, false)
	if err != nil {
		t.Fatal(err)
	}
	return mk
}

// twoProcesses opens one fresh database twice, as two bango processes
// would: each handle has its own pool and, on SQLite, its own writer turn.
func twoProcesses(t *testing.T, eng store.Engine) (*store.DB, *store.DB) {
	t.Helper()
	u := testutil.NewDBURL(t, eng)
	var dbs []*store.DB
	for range 2 {
		db, err := store.Open(context.Background(), u)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		db.ForbidPoolInTransactions()
		dbs = append(dbs, db)
	}
	if _, err := dbs[0].Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return dbs[0], dbs[1]
}

// R-STO-1: a crash between writing the key file and committing the new data
// keys leaves a state that starts (every value opens) and can finish the
// rotation. The new version is already durable in the key file when the
// database is about to commit.
func TestRotateCrashBeforeCommit(t *testing.T) {
	ctx := testCtx()
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		v, path := newVault(t, db)
		insertSealed(t, db, v, "131041", 30)
		insertSealed(t, db, v, "011002", 20)

		crash := errors.New("simulated crash before commit")
		vault.SetAfterKeyFileWritten(v, func() error {
			if mk := loadKeys(t, path); mk.Newest() != 2 {
				t.Errorf("before the commit the key file holds versions %v, want 2 already", mk.Versions())
			}
			return crash
		})
		_, err := v.Rotate(ctx)
		if !errors.Is(err, crash) || !strings.Contains(err.Error(), "version 2") || !strings.Contains(err.Error(), "rotate again") {
			t.Fatalf("Rotate = %v, want the crash, naming version 2 and what to do", err)
		}
		if got := sealKeys(t, db, "131041"); !slices.Equal(got, []string{"1/1"}) {
			t.Fatalf("seal keys after the crash = %v, want only 1/1: nothing committed", got)
		}

		// Start again, as a new process would.
		mk := loadKeys(t, path)
		if !slices.Equal(mk.Versions(), []int{1, 2}) {
			t.Fatalf("key file holds %v, want [1 2]", mk.Versions())
		}
		v2 := vault.New(db, mk)
		if n := openAll(t, db, v2); n != 50 {
			t.Fatalf("opened %d rows after the crash, want 50", n)
		}
		b := vault.Binding{Tenant: "131041", Table: "t", Column: "c", Row: "after-crash"}
		sealed, kv, err := v2.Seal(ctx, b, []byte("x"))
		if err != nil || kv != 1 {
			t.Fatalf("Seal after the crash: version %d, %v; want 1", kv, err)
		}

		// Finish: rotate and rewrap complete.
		ver, err := v2.Rotate(ctx)
		if err != nil || ver != 3 {
			t.Fatalf("Rotate after the crash = %d, %v; want 3", ver, err)
		}
		if got := sealKeys(t, db, "131041"); !slices.Equal(got, []string{"1/1", "2/3"}) {
			t.Fatalf("seal keys = %v, want [1/1 2/3]", got)
		}
		if _, err := v2.Rewrap(ctx, nil); err != nil {
			t.Fatalf("Rewrap: %v", err)
		}
		st, err := v2.Status(ctx)
		if err != nil || st.PendingRewrap != 0 {
			t.Fatalf("status after rewrap: pending %d, %v", st.PendingRewrap, err)
		}
		for _, dk := range st.DataKeys {
			if dk.MasterVersion != 3 {
				t.Errorf("data key %+v not under master version 3", dk)
			}
		}
		v3 := vault.New(db, loadKeys(t, path))
		if n := openAll(t, db, v3); n != 50 {
			t.Fatalf("opened %d rows at the end, want 50", n)
		}
		if pt, err := v3.Open(ctx, b, sealed); err != nil || string(pt) != "x" {
			t.Fatalf("value sealed after the crash: %q, %v", pt, err)
		}
	})
}

// held starts v.Rotate in a goroutine, holding it after the key file is
// written until release is called (at the latest when t ends, so that a
// failing test does not leave it holding the database); it returns once
// the rotation is held.
func held(t *testing.T, v *vault.Vault) (done <-chan result, release func()) {
	t.Helper()
	ch := make(chan struct{})
	release = sync.OnceFunc(func() { close(ch) })
	t.Cleanup(release)
	inside := make(chan struct{})
	vault.SetAfterKeyFileWritten(v, func() error {
		close(inside)
		<-ch
		return nil
	})
	d := rotate(v)
	select {
	case <-inside:
	case r := <-d:
		t.Fatalf("first rotation ended before it was held: %d, %v", r.version, r.err)
	case <-time.After(20 * time.Second):
		t.Fatal("first rotation never reached the key file")
	}
	return d, release
}

type result struct {
	version int
	err     error
}

func rotate(v *vault.Vault) <-chan result {
	done := make(chan result, 1)
	go func() {
		ver, err := v.Rotate(testCtx())
		done <- result{ver, err}
	}()
	return done
}

// waits checks that the rotation behind done has not ended while the first
// one is held.
func waits(t *testing.T, done <-chan result) {
	t.Helper()
	select {
	case r := <-done:
		t.Fatalf("second rotation ended (%d, %v) while the first was held", r.version, r.err)
	case <-time.After(500 * time.Millisecond):
	}
}

// R-STO-1: two rotations at once, by two processes sharing the key file and
// the database, take turns: the second waits for the first, then adds its
// own version on top. Neither loses the other's key.
func TestConcurrentRotationsTakeTurns(t *testing.T) {
	testutil.EachEngine(t, func(t *testing.T, eng store.Engine) {
		db1, db2 := twoProcesses(t, eng)
		v1, path := newVault(t, db1)
		insertSealed(t, db1, v1, "131041", 20)
		v2 := vault.New(db2, loadKeys(t, path))
		reached := make(chan struct{}, 1)
		vault.SetAfterKeyFileWritten(v2, func() error {
			reached <- struct{}{}
			return nil
		})

		first, release := held(t, v1)
		second := rotate(v2)
		waits(t, second)
		select {
		case <-reached:
			t.Fatal("second rotation wrote the key file while the first was held")
		default:
		}
		release()
		r1, r2 := <-first, <-second
		if r1.err != nil || r2.err != nil || r1.version != 2 || r2.version != 3 {
			t.Fatalf("rotations = (%d, %v), (%d, %v); want 2 and 3", r1.version, r1.err, r2.version, r2.err)
		}

		mk := loadKeys(t, path)
		if !slices.Equal(mk.Versions(), []int{1, 2, 3}) {
			t.Fatalf("key file holds %v, want [1 2 3]", mk.Versions())
		}
		for _, tenant := range []string{"131041", "011002"} {
			if got := sealKeys(t, db1, tenant); !slices.Equal(got, []string{"1/1", "2/2", "3/3"}) {
				t.Errorf("seal keys of %s = %v, want [1/1 2/2 3/3]", tenant, got)
			}
		}
		v3 := vault.New(db1, mk)
		if _, err := v3.Rewrap(testCtx(), nil); err != nil {
			t.Fatalf("Rewrap: %v", err)
		}
		if n := openAll(t, db1, v3); n != 20 {
			t.Fatalf("opened %d rows, want 20", n)
		}
	})
}

// R-STO-1: a rotation from a stale copy of the key file (another server's,
// sharing the database) waits for the database's lock, then is refused:
// its version 2 would be another key than the version 2 the database uses.
func TestRotateStaleKeyFileRefused(t *testing.T) {
	testutil.EachEngine(t, func(t *testing.T, eng store.Engine) {
		db1, db2 := twoProcesses(t, eng)
		v1, path := newVault(t, db1)
		copyPath := filepath.Join(t.TempDir(), "master.key")
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(copyPath, raw, 0o600); err != nil {
			t.Fatal(err)
		}
		v2 := vault.New(db2, loadKeys(t, copyPath))

		first, release := held(t, v1)
		second := rotate(v2)
		waits(t, second) // on the database's lock: the key files differ
		release()
		if r := <-first; r.err != nil || r.version != 2 {
			t.Fatalf("first rotation = %d, %v", r.version, r.err)
		}
		r := <-second
		if !errs.Is(r.err, errs.Conflict) || !strings.Contains(r.err.Error(), copyPath) || !strings.Contains(r.err.Error(), "version 2") {
			t.Fatalf("rotation from the stale copy = %d, %v; want a conflict naming %s and version 2", r.version, r.err, copyPath)
		}
		if got := loadKeys(t, copyPath).Versions(); !slices.Equal(got, []int{1}) {
			t.Errorf("stale copy now holds %v, want it untouched", got)
		}
		if got := sealKeys(t, db1, "131041"); !slices.Equal(got, []string{"1/1", "2/2"}) {
			t.Errorf("seal keys = %v, want [1/1 2/2]", got)
		}

		// A key file that is not this database's at all is refused too.
		other := filepath.Join(t.TempDir(), "master.key")
		mk, _, err := vault.LoadKeyFile(other, true)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := vault.New(db2, mk).Rotate(testCtx()); !errs.Is(err, errs.Conflict) || !strings.Contains(err.Error(), "not the key file") {
			t.Errorf("rotation with another database's key file: %v, want a conflict", err)
		}
	})
}

// Two processes starting at once on an empty database make one key file
// between them, not one each with the last overwriting the first.
func TestKeyFileCreatedOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "master.key")
	const n = 8
	var wg sync.WaitGroup
	keys := make([]*vault.MasterKeys, n)
	created := make([]bool, n)
	errc := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, c, err := vault.LoadKeyFile(path, true)
			if err != nil {
				errc <- err
				return
			}
			keys[i], created[i] = m, c
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	made := 0
	for i := range n {
		if created[i] {
			made++
		}
		if keys[i].Newest() != 1 || string(vault.MasterKeyBytes(keys[i], 1)) != string(vault.MasterKeyBytes(keys[0], 1)) {
			t.Errorf("loader %d got another key than loader 0", i)
		}
	}
	if made != 1 {
		t.Errorf("%d loaders created the file, want 1", made)
	}
	if got := vault.MasterKeyBytes(loadKeys(t, path), 1); string(got) != string(vault.MasterKeyBytes(keys[0], 1)) {
		t.Error("the file holds another key than the loaders use")
	}
}
