package vault

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"bango/internal/audit"

	"bango/internal/errs"
	"bango/internal/store"
)

// SealedColumn is a sealed value in the schema: columns <Column>_sealed and
// <Column>_key_version of Table, bound to the row by TenantColumn and
// RowColumn. Every sealed column is listed in SealedColumns, so that status
// counts it and rewrap moves it forward; TestEverySealedColumnIsListed
// compares the list with the schema.
type SealedColumn struct {
	Table, Column, TenantColumn, RowColumn string
}

// SealedColumns lists every sealed column of the schema.
var SealedColumns = []SealedColumn{
	{Table: "residents", Column: "mynumber", TenantColumn: "tenant_code", RowColumn: "code"},
	{Table: "staff_users", Column: "totp", TenantColumn: "seal_scope", RowColumn: "login_id"},
	{Table: "staff_users", Column: "totp_pending", TenantColumn: "seal_scope", RowColumn: "login_id"},
	{Table: "staff_webauthn_credentials", Column: "record", TenantColumn: "seal_scope", RowColumn: "ref"},
	{Table: "review_changes", Column: "payload", TenantColumn: "seal_scope", RowColumn: "ref"},
	{Table: "numbersetup_candidates", Column: "mynumber", TenantColumn: "tenant_code", RowColumn: "seal_ref"},
	{Table: "numbersetup_blocks", Column: "mynumber", TenantColumn: "tenant_code", RowColumn: "seal_ref"},
}

func (c SealedColumn) binding(tenant, row string) Binding {
	return Binding{Tenant: tenant, Table: c.Table, Column: c.Column, Row: row}
}

// Rotate adds a master-key version to the key file and gives every tenant a
// new seal data key wrapped by it. New values are sealed with the new key at
// once; Rewrap moves the existing ones. It returns the new master version.
//
// The new version is durable in the key file before the database commits
// anything wrapped by it, so a crash or power cut at any point leaves a
// vault that opens: at worst the file holds a version nothing uses yet,
// and the next Rotate adds another and finishes. Rotations take turns: on
// a lock on the key file's folder (processes sharing the file) and on the
// database's data keys (processes sharing the database, each with its own
// copy of the file), under which the key file is read afresh.
func (v *Vault) Rotate(ctx context.Context) (int, error) {
	ctx = store.WithScope(ctx, store.AllTenants) // every municipality's keys
	path := v.Master().Path()
	unlock, err := lockDir(ctx, filepath.Dir(path))
	if err != nil {
		return 0, err
	}
	defer unlock()
	var next *MasterKeys
	// Once, not Transact: a retry would add yet another version to the file.
	err = v.db.TransactOnce(ctx, func(tx *store.Tx) error {
		if err := lockDataKeys(ctx, tx); err != nil {
			return err
		}
		m, _, err := LoadKeyFile(path, false)
		if err != nil {
			return err
		}
		if err := checkKeyFile(ctx, tx, m); err != nil {
			return err
		}
		if err := m.addVersion(); err != nil {
			return errs.Wrap(errs.Unavailable, err, "vault: add a master key version to %s", path)
		}
		next = m
		v.master.Store(m)
		if v.afterKeyFileWritten != nil {
			if err := v.afterKeyFileWritten(); err != nil {
				return err
			}
		}
		type tv struct {
			tenant  string
			version int
		}
		list, err := store.Rows(func(row store.Scanner) (tv, error) {
			var x tv
			err := row.Scan(&x.tenant, &x.version)
			return x, err
		})(tx.Query(ctx, `SELECT tenant_code, max(version) FROM vault_data_keys WHERE purpose = 'seal' GROUP BY tenant_code ORDER BY tenant_code`))
		if err != nil {
			return err
		}
		for _, x := range list {
			if err := v.insertDataKey(ctx, tx, x.tenant, purposeSeal, x.version+1); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, audit.Event{Action: "keys.rotate", Subject: audit.Subject{Type: "master_key", ID: strconv.Itoa(m.Newest())},
			Outcome: audit.OK, Detail: fmt.Sprintf("new_data_keys=%d", len(list))})
	})
	if err != nil {
		if next != nil {
			// Harmless, but say so rather than hide it.
			err = errs.Wrap(errs.KindOf(err), err, "vault: master key version %d was added to %s, but no data key was stored under it; the vault works as before: run keys rotate again",
				next.Newest(), next.Path())
		}
		// The failure is worth a record; if the database is what failed,
		// this fails too (briefly: err already says why).
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		audit.RecordAlone(rctx, v.db, audit.Event{Action: "keys.rotate", Subject: audit.Subject{Type: "master_key"},
			Outcome: audit.Failed, Detail: firstLine(err)})
		cancel()
		return 0, err
	}
	v.forget()
	return next.Newest(), nil
}

func firstLine(err error) string {
	msg, _, _ := strings.Cut(err.Error(), "\n")
	return msg
}

// lockDataKeys makes rotations on one database take turns. On SQLite the
// transaction already is the one writer; on PostgreSQL the table lock
// conflicts with itself and with writes of data keys (a new municipality,
// a rewrap), not with reads, so serving goes on meanwhile.
func lockDataKeys(ctx context.Context, tx *store.Tx) error {
	if tx.Engine() != store.Postgres {
		return nil
	}
	_, err := tx.Exec(ctx, `LOCK TABLE vault_data_keys IN SHARE ROW EXCLUSIVE MODE`)
	return err
}

// checkKeyFile makes sure m opens the data keys in the database. A stale
// copy of the key file (another server's, an old backup) would number its
// new version like one the database already uses, with another key: the
// data keys wrapped by either could then never be opened by both.
func checkKeyFile(ctx context.Context, tx *store.Tx, m *MasterKeys) error {
	checked := map[int]bool{}
	return store.Each(func(row store.Scanner) error {
		var tenant, purpose string
		var version, mv int
		var wrapped []byte
		if err := row.Scan(&tenant, &purpose, &version, &mv, &wrapped); err != nil {
			return err
		}
		if checked[mv] {
			return nil
		}
		checked[mv] = true
		if _, ok := m.key(mv); !ok {
			return errs.E(errs.Conflict, "vault: the database holds data keys wrapped by master key version %d, which %s does not hold: "+
				"it is older than the key file the last rotation wrote (a copy from another server, or a backup?); put the current key file there, then rotate", mv, m.Path())
		}
		if _, err := m.unwrap(tenant, purpose, version, mv, wrapped); err != nil {
			return errs.Wrap(errs.Conflict, err, "vault: %s is not the key file of this database: its master key version %d does not open the data keys", m.Path(), mv)
		}
		return nil
	})(tx.Query(ctx, `SELECT tenant_code, purpose, version, master_version, wrapped FROM vault_data_keys ORDER BY master_version, tenant_code, purpose, version`))
}

// forget drops cached keys so the next use loads the new versions.
func (v *Vault) forget() {
	v.mu.Lock()
	v.tenants = map[string]*tenantKeys{}
	v.mu.Unlock()
}

// Progress reports rewrap progress: column, rows moved so far, rows to move.
type Progress func(column string, done, total int64)

// RewrapReport says what Rewrap moved.
type RewrapReport struct {
	DataKeys int            // data keys re-wrapped under the newest master key
	Rows     map[string]int // rows re-sealed, by "table.column"
}

const rewrapBatch = 500

// Rewrap re-wraps every data key under the newest master key and re-seals
// every row still under an older data key with its tenant's newest one.
// It works in batches, each its own transaction, so that it runs beside
// normal work and can be stopped and run again: a second run continues
// where the first stopped.
func (v *Vault) Rewrap(ctx context.Context, progress Progress) (RewrapReport, error) {
	ctx = store.WithScope(ctx, store.AllTenants) // every municipality's rows
	rep := RewrapReport{Rows: map[string]int{}}
	n, err := v.rewrapDataKeys(ctx)
	rep.DataKeys = n
	if err != nil {
		return rep, err
	}
	v.forget()
	for _, col := range SealedColumns {
		moved, err := v.resealColumn(ctx, col, progress)
		rep.Rows[col.Table+"."+col.Column] = moved
		if err != nil {
			v.recordRewrap(ctx, rep, audit.Failed)
			return rep, err
		}
	}
	return rep, v.recordRewrap(ctx, rep, audit.OK)
}

func (v *Vault) recordRewrap(ctx context.Context, rep RewrapReport, outcome string) error {
	var parts []string
	for col, n := range rep.Rows {
		parts = append(parts, fmt.Sprintf("%s=%d", col, n))
	}
	sort.Strings(parts)
	return audit.RecordAlone(context.WithoutCancel(ctx), v.db, audit.Event{Action: "keys.rewrap",
		Subject: audit.Subject{Type: "master_key", ID: strconv.Itoa(v.Master().Newest())}, Outcome: outcome,
		Detail: fmt.Sprintf("data_keys=%d %s", rep.DataKeys, strings.Join(parts, " "))})
}

func (v *Vault) rewrapDataKeys(ctx context.Context) (int, error) {
	newest := v.Master().Newest()
	count := 0
	err := v.db.Transact(ctx, func(tx *store.Tx) error {
		count = 0
		type dk struct {
			tenant, purpose string
			version, master int
			wrapped         []byte
		}
		list, err := store.Rows(func(row store.Scanner) (dk, error) {
			var d dk
			err := row.Scan(&d.tenant, &d.purpose, &d.version, &d.master, &d.wrapped)
			return d, err
		})(tx.Query(ctx, `SELECT tenant_code, purpose, version, master_version, wrapped FROM vault_data_keys WHERE master_version < $1`, newest))
		if err != nil {
			return err
		}
		for _, d := range list {
			key, err := v.unwrap(d.tenant, d.purpose, d.version, d.master, d.wrapped)
			if err != nil {
				return err
			}
			w, err := v.wrap(d.tenant, d.purpose, d.version, newest, key)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE vault_data_keys SET master_version = $1, wrapped = $2
				WHERE tenant_code = $3 AND purpose = $4 AND version = $5 AND master_version = $6`,
				newest, w, d.tenant, d.purpose, d.version, d.master); err != nil {
				return err
			}
			count++
		}
		return nil
	})
	return count, err
}

func (v *Vault) resealColumn(ctx context.Context, col SealedColumn, progress Progress) (int, error) {
	name := col.Table + "." + col.Column
	sealedCol, verCol := col.Column+"_sealed", col.Column+"_key_version"
	counts, err := v.countColumn(ctx, col)
	if err != nil {
		return 0, err
	}
	tenants := make([]string, 0, len(counts))
	for t := range counts {
		tenants = append(tenants, t)
	}
	sort.Strings(tenants)
	var total, done int64
	newest := map[string]int{}
	for _, t := range tenants {
		tk, err := v.keys(ctx, t)
		if err != nil {
			return 0, err
		}
		newest[t] = tk.newest
		for ver, n := range counts[t] {
			if ver < tk.newest {
				total += n
			}
		}
	}
	if progress != nil {
		progress(name, 0, total)
	}
	selectQ := fmt.Sprintf(`SELECT %[2]s, %[3]s, %[4]s FROM %[1]s
		WHERE %[5]s = $1 AND %[4]s < $2 AND %[2]s > $3 ORDER BY %[2]s LIMIT %[6]d`,
		col.Table, col.RowColumn, sealedCol, verCol, col.TenantColumn, rewrapBatch)
	// Only the value read is replaced: a row whose value was written again
	// meanwhile (a block of the My Number setup rewritten without an
	// entry, sealed under a key the writer still had) keeps the new one,
	// and a later rewrap moves it.
	updateQ := fmt.Sprintf(`UPDATE %[1]s SET %[2]s = $1, %[3]s = $2 WHERE %[4]s = $3 AND %[5]s = $4 AND %[3]s = $5 AND %[2]s = $6`,
		col.Table, sealedCol, verCol, col.TenantColumn, col.RowColumn)
	for _, t := range tenants {
		after := ""
		for {
			var last string
			var moved int
			// The keys are loaded before the transaction: loading reads
			// through the pool, which the transaction must not.
			tk, err := v.keys(ctx, t)
			if err != nil {
				return int(done), err
			}
			err = v.db.Transact(ctx, func(tx *store.Tx) error {
				moved = 0
				type rec struct {
					row    string
					sealed []byte
					ver    int
				}
				batch, err := store.Rows(func(row store.Scanner) (rec, error) {
					var r rec
					err := row.Scan(&r.row, &r.sealed, &r.ver)
					return r, err
				})(tx.Query(ctx, selectQ, t, newest[t], after))
				if err != nil {
					return err
				}
				for _, r := range batch {
					b := col.binding(t, r.row)
					pt, err := tk.open(b, r.sealed)
					if err != nil {
						return err
					}
					sealed, ver, err := sealWith(tk.seal[tk.newest], tk.newest, b, pt)
					if err != nil {
						return err
					}
					res, err := tx.Exec(ctx, updateQ, sealed, ver, t, r.row, r.ver, r.sealed)
					if err != nil {
						return err
					}
					last = r.row
					if n, _ := res.RowsAffected(); n > 0 {
						moved++
					}
				}
				return nil
			})
			if err != nil {
				return int(done), errs.Wrap(errs.KindOf(err), err, "vault: rewrap %s for municipality %s after row %q (%d of %d done; run rewrap again to continue)", name, t, after, done, total)
			}
			if moved == 0 {
				break
			}
			done += int64(moved)
			after = last
			if progress != nil {
				progress(name, done, total)
			}
		}
	}
	return int(done), nil
}

// countColumn counts sealed rows of col per tenant and data-key version.
func (v *Vault) countColumn(ctx context.Context, col SealedColumn) (map[string]map[int]int64, error) {
	q := fmt.Sprintf(`SELECT %[2]s, %[3]s_key_version, count(*) FROM %[1]s WHERE %[3]s_key_version IS NOT NULL GROUP BY %[2]s, %[3]s_key_version`,
		col.Table, col.TenantColumn, col.Column)
	out := map[string]map[int]int64{}
	err := v.db.Read(ctx, func(db store.Querier) error {
		return store.Each(func(row store.Scanner) error {
			var t string
			var ver int
			var n int64
			if err := row.Scan(&t, &ver, &n); err != nil {
				return err
			}
			if out[t] == nil {
				out[t] = map[int]int64{}
			}
			out[t][ver] = n
			return nil
		})(db.Query(ctx, q))
	})
	return out, store.Translate(err)
}

// Status describes the keys and what they protect.
type Status struct {
	KeyFile       string          `json:"key_file"`
	MasterNewest  int             `json:"master_newest"`
	MasterHeld    []int           `json:"master_versions"`
	DataKeys      []DataKeyStatus `json:"data_keys"`
	Rows          []RowStatus     `json:"rows"`
	PendingRewrap int64           `json:"rows_pending_rewrap"`
}

// DataKeyStatus is one data key.
type DataKeyStatus struct {
	Tenant        string `json:"tenant"`
	Purpose       string `json:"purpose"`
	Version       int    `json:"version"`
	MasterVersion int    `json:"master_version"`
}

// RowStatus counts rows of a sealed column under one data-key version.
type RowStatus struct {
	Column     string `json:"column"`
	Tenant     string `json:"tenant"`
	KeyVersion int    `json:"key_version"`
	Rows       int64  `json:"rows"`
	Current    bool   `json:"current"`
}

// Status reports the key versions and counts rows per data-key version.
func (v *Vault) Status(ctx context.Context) (Status, error) {
	ctx = store.WithScope(ctx, store.AllTenants) // every municipality's rows
	m := v.Master()
	st := Status{KeyFile: m.Path(), MasterNewest: m.Newest(), MasterHeld: m.Versions()}
	keys, err := store.Rows(scanDataKey)(v.db.Query(ctx, `SELECT tenant_code, purpose, version, master_version FROM vault_data_keys ORDER BY tenant_code, purpose, version`))
	if err != nil {
		return st, err
	}
	st.DataKeys = keys
	newestSeal := map[string]int{}
	for _, d := range keys {
		if d.Purpose == purposeSeal {
			newestSeal[d.Tenant] = max(newestSeal[d.Tenant], d.Version)
		}
	}
	for _, col := range SealedColumns {
		counts, err := v.countColumn(ctx, col)
		if err != nil {
			return st, err
		}
		for t, byVer := range counts {
			for ver, n := range byVer {
				cur := ver == newestSeal[t]
				st.Rows = append(st.Rows, RowStatus{Column: col.Table + "." + col.Column, Tenant: t, KeyVersion: ver, Rows: n, Current: cur})
				if !cur {
					st.PendingRewrap += n
				}
			}
		}
	}
	sort.Slice(st.Rows, func(i, j int) bool {
		a, b := st.Rows[i], st.Rows[j]
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		if a.Tenant != b.Tenant {
			return a.Tenant < b.Tenant
		}
		return a.KeyVersion < b.KeyVersion
	})
	return st, nil
}

func scanDataKey(row store.Scanner) (DataKeyStatus, error) {
	var d DataKeyStatus
	err := row.Scan(&d.Tenant, &d.Purpose, &d.Version, &d.MasterVersion)
	return d, err
}
