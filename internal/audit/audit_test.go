package audit_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/mynumber"
	"bango/internal/store"
	"bango/internal/testutil"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func actorCtx() context.Context {
	return audit.WithActor(context.Background(), audit.Actor{User: "clerk01", Session: "s1", Terminal: "T-01", Address: "10.0.0.8"})
}

func newKeys(t testing.TB) *audit.Keys {
	t.Helper()
	dir := t.TempDir()
	priv, pub := audit.KeyFiles(dir)
	k, created, err := audit.LoadKeys(priv, pub, true)
	if err != nil || !created {
		t.Fatalf("LoadKeys: %v", err)
	}
	return k
}

// record writes n events in transactions of up to 100.
func record(t testing.TB, db *store.DB, n int) {
	t.Helper()
	ctx := actorCtx()
	for done := 0; done < n; {
		err := db.Transact(ctx, func(tx *store.Tx) error {
			for i := 0; i < 100 && done+i < n; i++ {
				if err := audit.Record(ctx, tx, audit.Event{Tenant: "131041", Action: "resident.read",
					Subject: audit.Subject{Type: "resident", ID: fmt.Sprintf("%010d", done+i)}, Outcome: audit.OK,
					Detail: fmt.Sprintf("n=%d", done+i)}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		done += 100
	}
}

// sequence places every waiting event, signed with keys.
func sequence(t testing.TB, db *store.DB, keys *audit.Keys, opts audit.SequencerOptions) {
	t.Helper()
	testutil.Place(t, db, audit.NewSequencer(db, keys, quiet, opts))
}

func sequenceOnce(t testing.TB, db *store.DB, keys *audit.Keys, opts audit.SequencerOptions) {
	t.Helper()
	if _, err := audit.NewSequencer(db, keys, quiet, opts).Sequence(context.Background()); err != nil {
		t.Fatal(err)
	}
}

var every1000 = audit.SequencerOptions{Every: 1000, Period: time.Hour}

func count(t testing.TB, db *store.DB, q string) int {
	t.Helper()
	var n int
	if err := db.ReadRow(testutil.AllTenants(), q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// R-AUD-1: the event is written in the change's transaction: no change
// without its event, no event for a change that rolled back.
func TestRecordIsAtomicWithTheChange(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := actorCtx()
		insert := func(tx *store.Tx, code string) error {
			_, err := tx.Exec(ctx, `INSERT INTO tenants (code, name, created_at) VALUES ($1, 'x', $2)`, code, time.Now().UTC())
			return err
		}
		// Committed together.
		err := db.Transact(ctx, func(tx *store.Tx) error {
			if err := insert(tx, "131041"); err != nil {
				return err
			}
			return audit.Record(ctx, tx, audit.Event{Action: "tenant.create", Subject: audit.Subject{Type: "tenant", ID: "131041"}, Outcome: audit.OK})
		})
		if err != nil || count(t, db, `SELECT count(*) FROM audit_events`) != 1 {
			t.Fatalf("commit: %v", err)
		}
		// The change fails after its event: both are gone.
		boom := errors.New("boom")
		err = db.Transact(ctx, func(tx *store.Tx) error {
			if err := audit.Record(ctx, tx, audit.Event{Action: "tenant.create", Outcome: audit.OK}); err != nil {
				return err
			}
			insert(tx, "011002")
			return boom
		})
		if !errors.Is(err, boom) || count(t, db, `SELECT count(*) FROM audit_events`) != 1 || count(t, db, `SELECT count(*) FROM tenants`) != 1 {
			t.Fatalf("rollback left an event or a change: %v", err)
		}
		// The event cannot be written: the change is rolled back.
		err = db.Transact(context.Background(), func(tx *store.Tx) error {
			if err := insert(tx, "271004"); err != nil {
				return err
			}
			return audit.Record(context.Background(), tx, audit.Event{Action: "tenant.create", Outcome: audit.OK}) // no actor
		})
		if err == nil || !strings.Contains(err.Error(), "no actor") || count(t, db, `SELECT count(*) FROM tenants`) != 1 {
			t.Fatalf("event failure did not roll back the change: %v", err)
		}
		err = db.Transact(ctx, func(tx *store.Tx) error {
			if err := insert(tx, "271004"); err != nil {
				return err
			}
			return audit.Record(ctx, tx, audit.Event{Action: "tenant.create", Outcome: "maybe"})
		})
		if err == nil || count(t, db, `SELECT count(*) FROM tenants`) != 1 {
			t.Fatalf("bad outcome accepted or change kept: %v", err)
		}
	})
}

func TestRecordCleansFields(t *testing.T) {
	db := testutil.NewDB(t, store.SQLite)
	ctx := audit.WithRequestID(actorCtx(), "req-42")
	err := db.Transact(ctx, func(tx *store.Tx) error {
		return audit.Record(ctx, tx, audit.Event{Action: "x", Outcome: audit.OK, Detail: "line1\nforged line" + strings.Repeat("長", 3000)})
	})
	if err != nil {
		t.Fatal(err)
	}
	keys := newKeys(t)
	sequence(t, db, keys, audit.SequencerOptions{Every: 1})
	e, err := audit.Get(context.Background(), db, 0)
	if err != nil || strings.Contains(e.Detail, "\n") || len(e.Detail) > 2000 || e.RequestID != "req-42" || e.Actor.Terminal != "T-01" {
		t.Fatalf("event = %+v, %v", e, err)
	}
}

// Leaves are numbered from the database, checkpoints are signed every N
// events or T seconds, and proofs check with tlog, an implementation we did
// not write.
func TestSequenceCheckpointsAndProofs(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		keys := newKeys(t)
		record(t, db, 2500)
		sequence(t, db, keys, every1000)
		head, err := audit.Status(ctx, db)
		if err != nil || head.Size != 2500 || head.Pending != 0 || head.CheckpointSize != 2000 {
			t.Fatalf("head = %+v, %v", head, err)
		}
		// The period rule signs the rest once T has passed.
		sequence(t, db, keys, audit.SequencerOptions{Every: 1000, Period: time.Nanosecond})
		if head, _ = audit.Status(ctx, db); head.CheckpointSize != 2500 {
			t.Fatalf("period checkpoint not signed: %+v", head)
		}
		cp, err := audit.OpenCheckpoint([]byte(head.Checkpoint), keys.Verifier)
		if err != nil || cp.Size != 2500 {
			t.Fatalf("checkpoint: %+v, %v", cp, err)
		}
		for _, seq := range []int64{0, 1, 999, 1000, 1777, 2499} {
			p, err := audit.ProveInclusion(ctx, db, seq, 0)
			if err != nil {
				t.Fatal(err)
			}
			e, err := audit.Get(ctx, db, seq)
			if err != nil {
				t.Fatal(err)
			}
			leaf := tlog.RecordHash(audit.LeafData(e))
			if err := tlog.CheckRecord(p.Proof, cp.Size, cp.Root, seq, leaf); err != nil {
				t.Fatalf("inclusion of %d: %v", seq, err)
			}
			if err := tlog.CheckRecord(p.Proof, cp.Size, cp.Root, seq, tlog.RecordHash([]byte("forged"))); err == nil {
				t.Fatal("a forged leaf passed the proof")
			}
		}
		// An explicit checkpoint signs an unsigned head, and only then. The
		// five are placed first: on PostgreSQL another test's open
		// transaction may hold them back for a moment.
		record(t, db, 5)
		sequence(t, db, keys, every1000)
		seqr := audit.NewSequencer(db, keys, quiet, every1000)
		if err := seqr.Checkpoint(ctx); err != nil {
			t.Fatal(err)
		}
		if err := seqr.Checkpoint(ctx); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, `SELECT count(*) FROM audit_checkpoints`); n != 4 {
			t.Fatalf("checkpoints = %d, want 4", n)
		}
		old, err := audit.OpenCheckpoint([]byte(mustCheckpoint(t, db, 1000)), keys.Verifier)
		if err != nil {
			t.Fatal(err)
		}
		cons, err := audit.ProveConsistency(ctx, db, 1000, 2500)
		if err != nil {
			t.Fatal(err)
		}
		if err := tlog.CheckTree(cons.Proof, cp.Size, cp.Root, old.Size, old.Root); err != nil {
			t.Fatalf("consistency 1000→2500: %v", err)
		}
		if _, err := audit.ProveInclusion(ctx, db, 2505, 0); !errs.Is(err, errs.Invalid) {
			t.Fatalf("proof beyond the checkpoint: %v", err)
		}
		rep, err := audit.Verify(ctx, db, audit.VerifyOptions{Verifier: keys.Verifier})
		if err != nil || !rep.OK() || rep.Checked != 2505 || rep.Checkpoints != 4 {
			t.Fatalf("verify: %+v, %v", rep, err)
		}
	})
}

func mustCheckpoint(t *testing.T, db *store.DB, size int64) string {
	t.Helper()
	var text string
	if err := db.QueryRow(context.Background(), `SELECT note FROM audit_checkpoints WHERE size = $1`, size).Scan(&text); err != nil {
		t.Fatal(err)
	}
	return text
}

// Several writers and sequencers at once: every committed event is placed
// exactly once, in one tree.
func TestConcurrentWritersAndSequencers(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		keys := newKeys(t)
		ctx, cancel := context.WithCancel(context.Background())
		var seqWG sync.WaitGroup
		for i := 0; i < 2; i++ {
			seqWG.Add(1)
			go func() {
				defer seqWG.Done()
				audit.NewSequencer(db, keys, quiet, audit.SequencerOptions{Every: 100}).Run(ctx, 5*time.Millisecond)
			}()
		}
		var wg sync.WaitGroup
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				actx := actorCtx()
				for i := 0; i < 40; i++ {
					if err := audit.RecordAlone(actx, db, audit.Event{Action: "resident.read", Outcome: audit.OK}); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		cancel()
		seqWG.Wait()
		sequence(t, db, keys, audit.SequencerOptions{Every: 100})
		rep, err := audit.Verify(context.Background(), db, audit.VerifyOptions{Verifier: keys.Verifier})
		if err != nil || !rep.OK() || rep.Size != 320 || rep.Pending != 0 {
			t.Fatalf("verify: %+v, %v", rep, err)
		}
	})
}

// On PostgreSQL an event of a long transaction that commits after later
// ones is still placed: the sequencer waits for transactions below xmin.
func TestStragglerIsNotSkipped(t *testing.T) {
	db := testutil.NewDB(t, store.Postgres)
	keys := newKeys(t)
	ctx := actorCtx()
	started, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	t.Cleanup(free) // before the schema is dropped, or the drop waits on the open transaction
	done := make(chan error, 1)
	go func() {
		done <- db.Transact(ctx, func(tx *store.Tx) error {
			if err := audit.Record(ctx, tx, audit.Event{Action: "slow", Outcome: audit.OK}); err != nil {
				return err
			}
			close(started)
			<-release
			return nil
		})
	}()
	<-started
	record(t, db, 3)
	sequenceOnce(t, db, keys, audit.SequencerOptions{Every: 1})
	if h, _ := audit.Status(context.Background(), db); h.Size != 0 {
		t.Fatalf("placed %d events past an open older transaction", h.Size)
	}
	free()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	sequence(t, db, keys, audit.SequencerOptions{Every: 1})
	rep, err := audit.Verify(context.Background(), db, audit.VerifyOptions{Verifier: keys.Verifier})
	if err != nil || !rep.OK() || rep.Size != 4 || rep.Pending != 0 {
		t.Fatalf("verify: %+v, %v", rep, err)
	}
}

// Audit rows cannot be changed or deleted through SQL while the guards
// stand.
func TestAppendOnly(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		keys := newKeys(t)
		record(t, db, 5)
		sequence(t, db, keys, audit.SequencerOptions{Every: 1})
		for _, q := range []string{
			`UPDATE audit_events SET detail = 'x'`,
			`DELETE FROM audit_events`,
			`UPDATE audit_log SET event_id = event_id + 1`,
			`DELETE FROM audit_log`,
			`UPDATE audit_checkpoints SET note = 'x'`,
			`DELETE FROM audit_checkpoints`,
		} {
			if err := asDBA(db, q); err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: %v", q, err)
			}
		}
	})
}

// asDBA runs q as someone with the database's password who reads and
// writes every municipality's rows (scope AllTenants, as a superuser
// would bypass row-level security).
func asDBA(db *store.DB, q string) error {
	ctx := testutil.AllTenants()
	return db.Transact(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, q)
		return err
	})
}

// disableGuards does what a database administrator could do before
// tampering.
func disableGuards(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	if db.Engine() == store.Postgres {
		for _, tbl := range []string{"audit_events", "audit_log", "audit_checkpoints"} {
			if _, err := db.SQL().ExecContext(ctx, `ALTER TABLE `+tbl+` DISABLE TRIGGER USER`); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	rows, _ := db.SQL().QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'audit_%'`)
	var names []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		names = append(names, n)
	}
	rows.Close()
	for _, n := range names {
		if _, err := db.SQL().ExecContext(ctx, `DROP TRIGGER `+n); err != nil {
			t.Fatal(err)
		}
	}
}

// R-AUD-1: tampering with the stored log is caught, and the report names
// where.
func TestVerifyCatchesTampering(t *testing.T) {
	defer audit.SmallVerifyRanges()() // four readers of 625 leaves each
	tests := []struct {
		name   string
		tamper []string // SQL, run with guards disabled
		seq    []int64  // acceptable positions of the first problem
		says   string
	}{
		{"change a field", []string{`UPDATE audit_events SET detail = 'n=forged' WHERE id = (SELECT event_id FROM audit_log WHERE seq = 1500)`}, []int64{1500}, "does not match"},
		{"delete a log row", []string{`DELETE FROM audit_log WHERE seq = 700`}, []int64{700}, "missing"},
		{"delete the first row of a range", []string{`DELETE FROM audit_log WHERE seq = 625`}, []int64{625}, "missing"},
		{"delete the last row of a range", []string{`DELETE FROM audit_log WHERE seq = 1249`}, []int64{1249}, "missing"},
		{"delete an event", []string{`DELETE FROM audit_events WHERE id = (SELECT event_id FROM audit_log WHERE seq = 800)`}, []int64{800}, "deleted within the retention"},
		{"swap two rows", []string{
			`UPDATE audit_log SET event_id = -1 WHERE seq = 300`,
			`UPDATE audit_log SET event_id = (SELECT event_id FROM audit_log WHERE seq = 300 + 0 * seq AND seq = 300) WHERE seq = 300`,
		}, nil, ""}, // replaced below
		{"insert a row", []string{
			`UPDATE audit_log SET seq = seq + 1000000 WHERE seq >= 1200`,
			`UPDATE audit_log SET seq = seq - 1000000 + 1 WHERE seq >= 1000000`,
			`INSERT INTO audit_events (time, actor_user, action, outcome) SELECT time, 'intruder', 'resident.read', 'ok' FROM audit_log WHERE seq = 5`,
			`INSERT INTO audit_log (seq, event_id, time, hashes) SELECT 1200, (SELECT max(id) FROM audit_events), time, hashes FROM audit_log WHERE seq = 5`,
		}, []int64{1200}, ""},
		{"delete the newest rows", []string{`DELETE FROM audit_log WHERE seq >= 2400`}, []int64{2400}, "deleted from the end"},
	}
	// Swapping two rows: exchange which events leaves 300 and 301 point to.
	tests[5].tamper = []string{
		`UPDATE audit_log SET event_id = -event_id WHERE seq IN (300, 301)`,
		`UPDATE audit_log SET event_id = CASE seq WHEN 300 THEN (SELECT -event_id FROM audit_log WHERE seq = 301) ELSE (SELECT -event_id FROM audit_log WHERE seq = 300) END WHERE seq IN (300, 301)`,
	}
	tests[5].seq, tests[5].says = []int64{300}, "does not match"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			testutil.Engines(t, func(t *testing.T, db *store.DB) {
				ctx := context.Background()
				keys := newKeys(t)
				record(t, db, 2500)
				sequence(t, db, keys, every1000)
				sequence(t, db, keys, audit.SequencerOptions{Every: 1000, Period: time.Nanosecond})
				disableGuards(t, db)
				for _, q := range tt.tamper {
					if err := asDBA(db, q); err != nil {
						t.Fatalf("%s: %v", q, err)
					}
				}
				rep, err := audit.Verify(ctx, db, audit.VerifyOptions{Verifier: keys.Verifier})
				if err != nil {
					t.Fatal(err)
				}
				if rep.OK() {
					t.Fatal("tampering not detected")
				}
				first := rep.Problems[0]
				ok := false
				for _, s := range tt.seq {
					ok = ok || first.Seq == s
				}
				if !ok || !strings.Contains(first.What, tt.says) || !strings.Contains(first.What, fmt.Sprint(tt.seq[0])) {
					t.Fatalf("first problem = %+v, want at %v saying %q", first, tt.seq, tt.says)
				}
			})
		})
	}
}

// A checkpoint held outside proves the log still extends it; a forged
// checkpoint or a signature by another key does not pass.
func TestVerifyAgainstHeldCheckpoint(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		keys := newKeys(t)
		record(t, db, 1000)
		sequence(t, db, keys, every1000)
		held, _ := audit.Status(ctx, db)
		record(t, db, 500)
		sequence(t, db, keys, every1000)
		rep, err := audit.Verify(ctx, db, audit.VerifyOptions{Verifier: keys.Verifier, Against: []byte(held.Checkpoint)})
		if err != nil || !rep.OK() || rep.Against != 1000 || rep.Size != 1500 {
			t.Fatalf("against: %+v, %v", rep, err)
		}
		other := newKeys(t)
		if _, err := audit.Verify(ctx, db, audit.VerifyOptions{Verifier: other.Verifier, Against: []byte(held.Checkpoint)}); err == nil {
			t.Fatal("a checkpoint of another log was accepted")
		}
		// The log's own checkpoint signature is checked too.
		rep, _ = audit.Verify(ctx, db, audit.VerifyOptions{Verifier: other.Verifier})
		if rep.OK() {
			t.Fatal("checkpoints verified with the wrong key")
		}
		// Rewrite the log consistently (as a DBA with the hashes could) and
		// the held checkpoint exposes it.
		disableGuards(t, db)
		asDBA(db, `DELETE FROM audit_checkpoints`)
		asDBA(db, `DELETE FROM audit_log`)
		asDBA(db, `UPDATE audit_head SET size = 0, boundary = 0`)
		asDBA(db, `UPDATE audit_events SET detail = 'rewritten' WHERE detail = 'n=10'`)
		sequence(t, db, keys, every1000)
		rep, err = audit.Verify(ctx, db, audit.VerifyOptions{Verifier: keys.Verifier, Against: []byte(held.Checkpoint)})
		if err != nil || rep.OK() || !strings.Contains(rep.Problems[0].What, "checkpoint of size 1000") {
			t.Fatalf("a consistent rewrite passed the held checkpoint: %+v, %v", rep, err)
		}
	})
}

// Retention removes the content of expired events and keeps the tree
// verifiable; the removal is itself an event.
func TestPrune(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := actorCtx()
		keys := newKeys(t)
		record(t, db, 300)
		sequence(t, db, keys, audit.SequencerOptions{Every: 100})
		cutoff := time.Now().Add(time.Second)
		n, err := audit.Prune(ctx, db, cutoff)
		if err != nil || n != 300 {
			t.Fatalf("Prune = %d, %v", n, err)
		}
		sequence(t, db, keys, audit.SequencerOptions{Every: 1})
		rep, err := audit.Verify(ctx, db, audit.VerifyOptions{Verifier: keys.Verifier, RetentionCutoff: cutoff})
		if err != nil || !rep.OK() || rep.Pruned != 300 || rep.Checked != 1 {
			t.Fatalf("verify after prune: %+v, %v", rep, err)
		}
		// Without the cutoff the same gaps are deletions.
		rep, _ = audit.Verify(ctx, db, audit.VerifyOptions{Verifier: keys.Verifier})
		if rep.OK() {
			t.Fatal("pruned events inside the retention period passed")
		}
	})
}

func TestKeyFiles(t *testing.T) {
	dir := t.TempDir()
	priv, pub := audit.KeyFiles(dir)
	k1, _, err := audit.LoadKeys(priv, pub, true)
	if err != nil {
		t.Fatal(err)
	}
	k2, created, err := audit.LoadKeys(priv, pub, true)
	if err != nil || created || k2.VKey != k1.VKey {
		t.Fatalf("reload: %v", err)
	}
	if err := chmod(priv, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, _, err := audit.LoadKeys(priv, pub, true); err == nil || !strings.Contains(err.Error(), "0640") {
		t.Fatalf("wide key file accepted: %v", err)
	}
	if _, _, err := audit.LoadKeys(filepath.Join(dir, "none"), pub, false); err == nil {
		t.Fatal("missing key accepted")
	}
}

// A transaction holding more events than one batch is placed whole, and
// one Sequence call places everything that is waiting.
func TestTransactionLargerThanABatch(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		keys := newKeys(t)
		record(t, db, 100) // one transaction of 100
		record(t, db, 30)
		sequence(t, db, keys, audit.SequencerOptions{Every: 7, Batch: 40})
		rep, err := audit.Verify(context.Background(), db, audit.VerifyOptions{Verifier: keys.Verifier})
		if err != nil || !rep.OK() || rep.Size != 130 || rep.Checkpoints != 18 {
			t.Fatalf("verify: %+v, %v", rep, err)
		}
	})
}

// On PostgreSQL a step's changes and its events can be one statement
// (RecordPipedWith: the changes as data-modifying WITH clauses of the
// events' INSERT): all written together, or, when a change fails, none.
func TestRecordPipedWithIsOneTransaction(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		if db.Engine() != store.Postgres {
			t.Skip("PostgreSQL only: SQLite has no data-modifying WITH clause")
		}
		ctx := actorCtx()
		now := time.Now().UTC()
		changes := []string{`INSERT INTO tenants (code, name, created_at) VALUES ($1, $2, $3)`,
			`INSERT INTO tenants (code, name, created_at) VALUES ($4, $5, $6)`}
		events := []audit.Event{{Action: "tenant.create", Subject: audit.Subject{Type: "tenant", ID: "131041"}, Outcome: audit.OK},
			{Action: "tenant.create", Subject: audit.Subject{Type: "tenant", ID: "011002"}, Outcome: audit.OK, Detail: "second"}}
		err := db.Pipeline(ctx, func(p *store.Pipe) error {
			return audit.RecordPipedWith(ctx, p, changes, []any{"131041", "新宿区", now, "011002", "札幌市", now}, events...)
		})
		if err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, `SELECT count(*) FROM tenants`); n != 2 {
			t.Errorf("%d tenants written, want 2", n)
		}
		if n := count(t, db, `SELECT count(*) FROM audit_events WHERE action = 'tenant.create' AND actor_user = 'clerk01' AND subject_id IN ('131041', '011002')`); n != 2 {
			t.Errorf("%d events written, want 2", n)
		}
		// The second change fails (the code exists): neither it, the first
		// nor the events are kept.
		err = db.Pipeline(ctx, func(p *store.Pipe) error {
			return audit.RecordPipedWith(ctx, p, changes, []any{"271004", "大阪市", now, "011002", "札幌市", now}, events[:1]...)
		})
		if err == nil {
			t.Fatal("a failing change was accepted")
		}
		if n := count(t, db, `SELECT count(*) FROM tenants`); n != 2 {
			t.Errorf("%d tenants after the failed statement, want 2", n)
		}
		if n := count(t, db, `SELECT count(*) FROM audit_events`); n != 2 {
			t.Errorf("%d events after the failed statement, want 2", n)
		}
		// No event, or too many for one statement: refused before anything is sent.
		if err := db.Pipeline(ctx, func(p *store.Pipe) error {
			return audit.RecordPipedWith(ctx, p, changes[:1], []any{"271004", "大阪市", now})
		}); err == nil {
			t.Error("a change without an event was accepted")
		}
		if n := count(t, db, `SELECT count(*) FROM tenants`); n != 2 {
			t.Errorf("%d tenants after a change without an event, want 2", n)
		}
	})
}

// R-AC-4: a My Number staff typed into free text that reaches an event —
// a reason, a purpose — is kept masked in the log, on both engines, and
// the event still verifies.
func TestRecordMasksMyNumbersInFreeText(t *testing.T) {
	testutil.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := actorCtx()
		const number = "123456789018" // a valid check digit
		err := db.Transact(ctx, func(tx *store.Tx) error {
			return audit.Record(ctx, tx, audit.Event{Action: "review.reject", Outcome: audit.OK, Purpose: "照会 1234-5678-9018",
				Detail: "change=7 reason=番号" + number + "は証拠書類と不一致 serial=3a" + number + "bc"})
		})
		if err != nil {
			t.Fatal(err)
		}
		keys := newKeys(t)
		sequence(t, db, keys, audit.SequencerOptions{Every: 1})
		e, err := audit.Get(context.Background(), db, 0)
		if err != nil {
			t.Fatal(err)
		}
		if want := "change=7 reason=番号" + mynumber.Mask + "は証拠書類と不一致 serial=3a" + number + "bc"; e.Detail != want {
			t.Fatalf("detail = %q, want %q", e.Detail, want)
		}
		if want := "照会 " + mynumber.Mask; e.Purpose != want {
			t.Fatalf("purpose = %q, want %q", e.Purpose, want)
		}
		if rep, err := audit.Verify(context.Background(), db, audit.VerifyOptions{Verifier: keys.Verifier}); err != nil || !rep.OK() {
			t.Fatalf("the log does not verify: %+v, %v", rep, err)
		}
	})
}
