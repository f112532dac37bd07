package vault_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/mynumber"
	"bango/internal/store"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
	"bango/internal/vault"
)

func newVault(t testing.TB, db *store.DB) (*vault.Vault, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "master.key")
	mk, created, err := vault.LoadKeyFile(path, true)
	if err != nil || !created {
		t.Fatalf("LoadKeyFile: %v (created %v)", err, created)
	}
	v := vault.New(db, mk)
	testkit.Municipality(t, db, v, "131041", "新宿区")
	testkit.Municipality(t, db, v, "011002", "札幌市")
	return v, path
}

// R-STO-1: the master key file is created 0600 and refused when wider.
func TestKeyFilePermissions(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "master.key")
	m1, created, err := vault.LoadKeyFile(path, true)
	if err != nil || !created {
		t.Fatal(err)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %04o, want 0600", fi.Mode().Perm())
	}
	m2, created, err := vault.LoadKeyFile(path, true)
	if err != nil || created || m2.Newest() != m1.Newest() {
		t.Fatalf("reload: %v created=%v", err, created)
	}
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o660} {
		os.Chmod(path, mode)
		_, _, err := vault.LoadKeyFile(path, true)
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), fmt.Sprintf("%04o", mode)) {
			t.Errorf("mode %04o: err = %v, want refusal naming the file and mode", mode, err)
		}
	}
	os.Chmod(path, 0o600)
	os.WriteFile(path, []byte(`{"format":"something-else","keys":[]}`), 0o600)
	if _, _, err := vault.LoadKeyFile(path, false); err == nil || !strings.Contains(err.Error(), "format") {
		t.Errorf("wrong format accepted: %v", err)
	}
	if _, _, err := vault.LoadKeyFile(filepath.Join(dir, "missing.key"), false); err == nil {
		t.Error("a missing key file was accepted without create")
	}
}

// R-STO-1: a sealed value opens only at the tenant, table, column and row it
// was sealed for, and not at all when altered.
func TestSealBinding(t *testing.T) {
	ctx := testCtx()
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		v, _ := newVault(t, db)
		b := vault.Binding{Tenant: "131041", Table: "residents", Column: "mynumber", Row: "0000100001"}
		sealed, ver, err := v.Seal(ctx, b, []byte("123456789018"))
		if err != nil || ver != 1 {
			t.Fatalf("Seal: %v, version %d", err, ver)
		}
		if bytes.Contains(sealed, []byte("123456789018")) {
			t.Fatal("plaintext visible in sealed value")
		}
		pt, err := v.Open(ctx, b, sealed)
		if err != nil || string(pt) != "123456789018" {
			t.Fatalf("Open = %q, %v", pt, err)
		}
		moved := []vault.Binding{
			{Tenant: "131041", Table: "residents", Column: "mynumber", Row: "0000100002"},
			{Tenant: "011002", Table: "residents", Column: "mynumber", Row: "0000100001"},
			{Tenant: "131041", Table: "other", Column: "mynumber", Row: "0000100001"},
			{Tenant: "131041", Table: "residents", Column: "other", Row: "0000100001"},
		}
		for _, m := range moved {
			if _, err := v.Open(ctx, m, sealed); err == nil {
				t.Errorf("value sealed for %+v opened at %+v", b, m)
			}
		}
		for i := range sealed {
			altered := bytes.Clone(sealed)
			altered[i] ^= 0x01
			if _, err := v.Open(ctx, b, altered); err == nil {
				t.Fatalf("value altered at byte %d opened", i)
			}
		}
		if _, err := v.Open(ctx, b, sealed[:10]); err == nil {
			t.Error("truncated value opened")
		}
		// Two seals of one value differ (random nonce).
		again, _, _ := v.Seal(ctx, b, []byte("123456789018"))
		if bytes.Equal(again, sealed) {
			t.Error("sealing is deterministic")
		}
		if _, _, err := v.Seal(ctx, vault.Binding{Tenant: "999999"}, []byte("x")); !errs.Is(err, errs.NotFound) {
			t.Errorf("unknown tenant: %v", err)
		}
	})
}

func TestBlindIndex(t *testing.T) {
	ctx := testCtx()
	db := testutil.NewDB(t, store.SQLite)
	v, _ := newVault(t, db)
	n1, _ := mynumber.Parse("123456789018")
	n2, _ := mynumber.Parse("983205673214")
	a, _ := v.NumberIndex(ctx, "131041", n1)
	b, _ := v.NumberIndex(ctx, "131041", n1)
	c, _ := v.NumberIndex(ctx, "131041", n2)
	d, _ := v.NumberIndex(ctx, "011002", n1)
	if !bytes.Equal(a, b) || bytes.Equal(a, c) || bytes.Equal(a, d) || len(a) != vault.IndexLen {
		t.Fatal("blind index must be equal for equal numbers in one municipality only")
	}
	other, _ := v.BlindIndex(ctx, "131041", "phone", []byte(n1.Digits()))
	if bytes.Equal(other, a) {
		t.Fatal("blind indexes of different kinds collide")
	}
	sn, err := v.SealNumber(ctx, vault.Binding{Tenant: "131041", Table: "residents", Column: "mynumber", Row: "1"}, n1)
	if err != nil || !bytes.Equal(sn.Index, a) {
		t.Fatalf("SealNumber index differs from NumberIndex: %v", err)
	}
	back, err := v.OpenNumber(ctx, vault.Binding{Tenant: "131041", Table: "residents", Column: "mynumber", Row: "1"}, sn.Sealed)
	if err != nil || !back.Equal(n1) {
		t.Fatalf("OpenNumber: %v", err)
	}
}

// insertSealed puts n rows of residents with sealed numbers, sealed by v.
func insertSealed(t *testing.T, db *store.DB, v *vault.Vault, tenantCode string, n int) {
	t.Helper()
	ctx := store.WithScope(testCtx(), tenantCode)
	now := time.Now().UTC()
	// Sealed before the transaction: loading the keys reads through the
	// pool, which a transaction's fn must not.
	sns := make([]vault.SealedNumber, n)
	for i := range sns {
		first := fmt.Sprintf("%011d", i*104729+7)
		num, err := mynumber.Parse(first + string(mynumber.CheckDigit(first)))
		if err != nil {
			t.Fatal(err)
		}
		sns[i], err = v.SealNumber(ctx, vault.Binding{Tenant: tenantCode, Table: "residents", Column: "mynumber", Row: fmt.Sprintf("%010d", i+1)}, num)
		if err != nil {
			t.Fatal(err)
		}
	}
	err := db.Transact(ctx, func(tx *store.Tx) error {
		for i, sn := range sns {
			row := fmt.Sprintf("%010d", i+1)
			_, err := tx.Exec(ctx, `INSERT INTO residents (tenant_code, code, name_kanji, name_kana, address, birth_date, sex,
				mynumber_sealed, mynumber_bidx, mynumber_key_version, created_at, updated_at)
				VALUES ($1, $2, '山田　太郎', 'ヤマダ　タロウ', '東京都新宿区', '1980-01-02', '1', $3, $4, $5, $6, $6)`,
				tenantCode, row, sn.Sealed, sn.Index, sn.KeyVersion, now)
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func openAll(t *testing.T, db *store.DB, v *vault.Vault) int {
	t.Helper()
	ctx := store.WithScope(testCtx(), store.AllTenants)
	type row struct {
		tenant, code string
		sealed       []byte
	}
	var all []row
	err := db.Read(ctx, func(q store.Querier) error {
		rows, err := q.Query(ctx, `SELECT tenant_code, code, mynumber_sealed FROM residents`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.tenant, &r.code, &r.sealed); err != nil {
				return err
			}
			all = append(all, r)
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	// Opened after the read: loading the keys reads through the pool,
	// which must not happen inside the read's transaction.
	for _, r := range all {
		if _, err := v.OpenNumber(ctx, vault.Binding{Tenant: r.tenant, Table: "residents", Column: "mynumber", Row: r.code}, r.sealed); err != nil {
			t.Fatalf("row %s/%s: %v", r.tenant, r.code, err)
		}
	}
	return len(all)
}

// R-STO-1: rotation adds a master version and new data keys; rewrap moves
// every data key and row forward, resumably; afterwards the old master
// version can be removed from the key file.
func TestRotateAndRewrap(t *testing.T) {
	ctx := testCtx()
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		v, path := newVault(t, db)
		insertSealed(t, db, v, "131041", 1200)
		insertSealed(t, db, v, "011002", 300)
		st, err := v.Status(ctx)
		if err != nil || st.PendingRewrap != 0 || len(st.Rows) != 2 || st.Rows[0].KeyVersion != 1 {
			t.Fatalf("status before: %+v, %v", st, err)
		}
		ver, err := v.Rotate(ctx)
		if err != nil || ver != 2 {
			t.Fatalf("Rotate = %d, %v", ver, err)
		}
		st, _ = v.Status(ctx)
		if st.PendingRewrap != 1500 || st.MasterNewest != 2 {
			t.Fatalf("status after rotate: pending %d, newest %d", st.PendingRewrap, st.MasterNewest)
		}
		// New seals use the new data key at once.
		_, kv, _ := v.Seal(ctx, vault.Binding{Tenant: "131041", Table: "t", Column: "c", Row: "r"}, []byte("x"))
		if kv != 2 {
			t.Fatalf("seal after rotate used version %d", kv)
		}
		// Interrupt the rewrap part-way; a second run finishes the job.
		stopCtx, cancel := context.WithCancel(ctx)
		_, err = v.Rewrap(stopCtx, func(col string, done, total int64) {
			if done >= 500 {
				cancel()
			}
		})
		if err == nil {
			t.Fatal("interrupted rewrap reported success")
		}
		st, _ = v.Status(ctx)
		if st.PendingRewrap == 0 || st.PendingRewrap == 1500 {
			t.Fatalf("after interruption pending = %d, want part done", st.PendingRewrap)
		}
		progress := map[string][2]int64{}
		rep, err := v.Rewrap(ctx, func(col string, done, total int64) { progress[col] = [2]int64{done, total} })
		if err != nil {
			t.Fatal(err)
		}
		last := progress["residents.mynumber"]
		if last[0] != last[1] || last[1] != st.PendingRewrap || rep.Rows["residents.mynumber"] != int(st.PendingRewrap) {
			t.Fatalf("progress %v, report %+v, pending was %d", progress, rep, st.PendingRewrap)
		}
		st, _ = v.Status(ctx)
		if st.PendingRewrap != 0 {
			t.Fatalf("pending after rewrap = %d", st.PendingRewrap)
		}
		for _, dk := range st.DataKeys {
			if dk.MasterVersion != 2 {
				t.Fatalf("data key %+v still under old master", dk)
			}
		}
		// Drop master version 1 from the file: everything still opens.
		raw, _ := os.ReadFile(path)
		var kf map[string]any
		json.Unmarshal(raw, &kf)
		kf["keys"] = kf["keys"].([]any)[1:]
		raw, _ = json.Marshal(kf)
		os.WriteFile(path, raw, 0o600)
		mk, _, err := vault.LoadKeyFile(path, false)
		if err != nil || len(mk.Versions()) != 1 {
			t.Fatal(err)
		}
		if n := openAll(t, db, vault.New(db, mk)); n != 1500 {
			t.Fatalf("opened %d rows", n)
		}
	})
}

// A process that did not rotate picks up the new master version from the
// key file when it meets a data key wrapped by it.
func TestOtherProcessSeesRotation(t *testing.T) {
	ctx := testCtx()
	db := testutil.NewDB(t, store.SQLite)
	v1, path := newVault(t, db)
	mk, _, _ := vault.LoadKeyFile(path, false)
	v2 := vault.New(db, mk) // a second serve process, loaded before rotation
	if _, err := v1.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	sealed, ver, err := v1.Seal(ctx, vault.Binding{Tenant: "131041", Table: "t", Column: "c", Row: "1"}, []byte("x"))
	if err != nil || ver != 2 {
		t.Fatal(err)
	}
	if _, err := v2.Open(ctx, vault.Binding{Tenant: "131041", Table: "t", Column: "c", Row: "1"}, sealed); err != nil {
		t.Fatalf("second process cannot open a value sealed after rotation: %v", err)
	}
}

// Every *_sealed column in the schema is in vault.SealedColumns, so that
// status and rewrap cannot miss one.
func TestEverySealedColumnIsListed(t *testing.T) {
	ctx := testCtx()
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		var q string
		if db.Engine() == store.Postgres {
			q = `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() AND column_name LIKE '%_sealed'`
		} else {
			q = `SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table' AND p.name LIKE '%_sealed'`
		}
		rows, err := db.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		listed := map[string]bool{}
		for _, c := range vault.SealedColumns {
			listed[c.Table+"."+c.Column+"_sealed"] = true
		}
		found := 0
		for rows.Next() {
			var tbl, col string
			rows.Scan(&tbl, &col)
			found++
			if !listed[tbl+"."+col] {
				t.Errorf("sealed column %s.%s is not in vault.SealedColumns", tbl, col)
			}
		}
		if found == 0 {
			t.Fatal("no sealed columns found; the schema query is wrong")
		}
	})
}

func TestConcurrentUse(t *testing.T) {
	ctx := testCtx()
	db := testutil.NewDB(t, store.SQLite)
	v, _ := newVault(t, db)
	var wg sync.WaitGroup
	errc := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				b := vault.Binding{Tenant: []string{"131041", "011002"}[i%2], Table: "t", Column: "c", Row: fmt.Sprint(g, i)}
				s, _, err := v.Seal(ctx, b, []byte("v"))
				if err == nil {
					_, err = v.Open(ctx, b, s)
				}
				if err != nil {
					errc <- err
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
}

func testCtx() context.Context {
	return audit.WithActor(context.Background(), audit.Actor{User: "is-admin"})
}
