package audit

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"bango/internal/store"
)

// Problem is one way the log fails verification, at leaf Seq (−1 when it
// concerns no single leaf).
type Problem struct {
	Seq  int64  `json:"seq"`
	What string `json:"what"`
}

// VerifyReport is what Verify found.
type VerifyReport struct {
	Size        int64     `json:"size"`        // leaves in the tree
	Checked     int64     `json:"checked"`     // leaves recomputed from their events
	Pruned      int64     `json:"pruned"`      // leaves whose event content retention removed
	Pending     int64     `json:"pending"`     // committed events not yet placed
	Checkpoints int       `json:"checkpoints"` // checkpoints whose signature and root were checked
	Against     int64     `json:"against_size,omitempty"`
	Problems    []Problem `json:"problems"`
	Seconds     float64   `json:"seconds"`
}

// OK reports whether the log verified.
func (r VerifyReport) OK() bool { return len(r.Problems) == 0 }

// VerifyOptions configure Verify.
type VerifyOptions struct {
	Verifier note.Verifier // the checkpoint verifier key (audit.pub)
	Against  []byte        // optional: a checkpoint held outside, which the log must extend
	// RetentionCutoff: events older than this may have had their content
	// pruned; a missing event younger than it is a deletion.
	RetentionCutoff time.Time
}

type hashSlice []tlog.Hash

func (h hashSlice) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, idx := range indexes {
		if idx < 0 || idx >= int64(len(h)) {
			return nil, fmt.Errorf("audit: hash %d not computed", idx)
		}
		out[i] = h[idx]
	}
	return out, nil
}

// Verify recomputes the tree from the stored events and checks it against
// the hashes stored with each leaf and against every signed checkpoint. It
// stops the leaf walk at the first bad leaf, which it names; a log that was
// rewritten consistently end to end is caught by the first checkpoint it
// contradicts.
func Verify(ctx context.Context, db *store.DB, opts VerifyOptions) (VerifyReport, error) {
	ctx = store.WithScope(ctx, store.AllTenants) // every municipality's events: one tree holds them all
	start := time.Now()
	var rep VerifyReport
	problem := func(seq int64, format string, args ...any) {
		rep.Problems = append(rep.Problems, Problem{Seq: seq, What: fmt.Sprintf(format, args...)})
	}

	// The checkpoints: each must carry a good signature.
	roots := map[int64]tlog.Hash{}
	rows, err := db.Query(ctx, `SELECT size, root, note FROM audit_checkpoints ORDER BY size`)
	if err != nil {
		return rep, err
	}
	var maxCheckpoint int64
	for rows.Next() {
		var size int64
		var root []byte
		var text string
		if err := rows.Scan(&size, &root, &text); err != nil {
			rows.Close()
			return rep, store.Translate(err)
		}
		cp, err := OpenCheckpoint([]byte(text), opts.Verifier)
		switch {
		case err != nil:
			problem(-1, "checkpoint of size %d: %v", size, err)
		case cp.Size != size || !bytes.Equal(cp.Root[:], root):
			problem(-1, "checkpoint of size %d: its row does not match its signed text", size)
		default:
			roots[size] = cp.Root
			rep.Checkpoints++
			maxCheckpoint = max(maxCheckpoint, size)
		}
	}
	rows.Close()
	if opts.Against != nil {
		cp, err := OpenCheckpoint(opts.Against, opts.Verifier)
		if err != nil {
			return rep, err
		}
		rep.Against = cp.Size
		if r, ok := roots[cp.Size]; ok && r != cp.Root {
			problem(-1, "the held checkpoint of size %d differs from the log's own checkpoint of that size", cp.Size)
		}
		roots[cp.Size] = cp.Root
		maxCheckpoint = max(maxCheckpoint, cp.Size)
	}

	// The leaves: read and rehashed in ranges on parallel connections, then
	// walked in order to check the stored tree hashes and the checkpoints.
	var headSize int64
	if err := db.QueryRow(ctx, `SELECT size FROM audit_head WHERE id = 1`).Scan(&headSize); err != nil {
		return rep, store.Translate(err)
	}
	var rowsInLog int64
	if err := db.QueryRow(ctx, `SELECT count(*) FROM audit_log`).Scan(&rowsInLog); err != nil {
		return rep, store.Translate(err)
	}
	size := max(headSize, rowsInLog)
	// More ranges than readers, read a few at a time in order, so that the
	// ordered walk below runs on finished ranges while later ones are read.
	readers := verifyReaders()
	ranges := splitRange(size, 4*readers)
	results := make([]rangeResult, len(ranges))
	done := make([]chan error, len(ranges))
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	slots := make(chan struct{}, readers)
	for i := range ranges {
		done[i] = make(chan error, 1)
	}
	go func() {
		for i, r := range ranges {
			select {
			case slots <- struct{}{}:
			case <-rctx.Done():
				done[i] <- rctx.Err()
				continue
			}
			go func() {
				defer func() { <-slots }()
				res, err := readRange(rctx, db, r[0], r[1], opts.RetentionCutoff)
				results[i] = res
				done[i] <- err
			}()
		}
	}()

	all := make(hashSlice, 0, tlog.StoredHashCount(size))
	var n int64
	var leafProblem *Problem
walk:
	for r := range ranges {
		if err := <-done[r]; err != nil {
			return rep, err
		}
		res := &results[r]
		rep.Checked += res.checked
		rep.Pruned += res.pruned
		for i := range int64(len(res.leaves)) {
			hs, err := tlog.StoredHashesForRecordHash(n, res.leaves[i], all)
			if err != nil {
				return rep, err
			}
			if !sameInterior(hs, res.interior(i)) {
				leafProblem = &Problem{Seq: n, What: fmt.Sprintf("event %d: the tree hashes stored with it do not follow from the events before it (a row was inserted, removed or moved at or before %d)", n, n)}
				break walk
			}
			all = append(all, hs...)
			n++
			if root, ok := roots[n]; ok {
				got, err := tlog.TreeHash(n, all)
				if err != nil {
					return rep, err
				}
				if got != root {
					leafProblem = &Problem{Seq: n - 1, What: fmt.Sprintf("the events up to %d do not match the signed checkpoint of size %d (the log was rewritten before %d)", n-1, n, n)}
					break walk
				}
			}
		}
		if res.problem != nil {
			leafProblem = res.problem
			break
		}
		results[r] = rangeResult{} // walked: let the GC have it
	}
	cancel()
	rep.Size = n
	if leafProblem != nil {
		rep.Problems = append(rep.Problems, *leafProblem)
	}
	if rep.OK() {
		switch {
		case rowsInLog > headSize:
			problem(headSize, "the log holds %d events but its head says %d (events were added outside the sequencer)", rowsInLog, headSize)
		case maxCheckpoint > n:
			problem(n, "a checkpoint covers %d events but only %d remain (events were deleted from the end)", maxCheckpoint, n)
		}
	}
	if rep.Pending, err = pendingCount(ctx, db); err != nil {
		return rep, err
	}
	rep.Seconds = time.Since(start).Seconds()
	return rep, nil
}

// Parallel reading pays off past tens of thousands of leaves; tests lower
// these to exercise range boundaries.
var (
	minRange      int64 = 50000
	verifyReaders       = func() int { return runtime.GOMAXPROCS(0) + 1 }
)

// splitRange cuts [0, n) into up to k ranges of at least minRange leaves.
func splitRange(n int64, k int) [][2]int64 {
	k = max(1, min(k, int(n/minRange)))
	var out [][2]int64
	for i := 0; i < k; i++ {
		out = append(out, [2]int64{n * int64(i) / int64(k), n * int64(i+1) / int64(k)})
	}
	return out
}

// rangeResult is what one reader found in its range of leaves. The stored
// hashes after each leaf hash sit in one flat buffer: a million small
// slices would cost the GC more than the hashing.
type rangeResult struct {
	leaves  []tlog.Hash // leaf hash per seq, up to the first problem
	inner   []byte      // the stored hashes after each leaf hash, back to back
	ends    []int32     // where each leaf's stored hashes end in inner
	checked int64
	pruned  int64
	problem *Problem
}

func (r *rangeResult) interior(i int64) []byte {
	start := int32(0)
	if i > 0 {
		start = r.ends[i-1]
	}
	return r.inner[start:r.ends[i]]
}

// unit separates the event's text fields in one column: reading one column
// instead of twelve is most of verify's speed. Record turns control
// characters into spaces, so the separator cannot occur in a field.
const unit = "\x1f"

var textFields = strings.Join([]string{"e.tenant_code", "e.actor_user", "e.actor_session", "e.actor_terminal", "e.actor_address",
	"e.action", "e.subject_type", "e.subject_id", "e.purpose", "e.outcome", "e.request_id", "e.detail"}, " || '"+unit+"' || ")

// readRange reads leaves [lo, hi) and their events with two range scans —
// the leaves by seq, then the events by id over the span of ids the leaves
// name — and joins them here. Letting the database join costs an index
// probe per leaf on its side, and its side is the bottleneck.
func readRange(ctx context.Context, db *store.DB, lo, hi int64, cutoff time.Time) (rangeResult, error) {
	n := hi - lo
	res := rangeResult{leaves: make([]tlog.Hash, 0, n), inner: make([]byte, 0, n*tlog.HashSize), ends: make([]int32, 0, n)}
	fail := func(seq int64, format string, args ...any) {
		res.problem = &Problem{Seq: seq, What: fmt.Sprintf(format, args...)}
	}
	timeCol := func(c string) string {
		if db.Engine() == store.SQLite {
			return "CAST(" + c + " AS TEXT)" // parsed here, faster than by the driver
		}
		return c
	}

	// The leaves, in order, up to the first gap.
	eventIDs := make([]int64, 0, n)
	logged := make([]any, 0, n)
	rows, err := db.Query(ctx, `SELECT seq, event_id, `+timeCol("time")+`, hashes FROM audit_log WHERE seq >= $1 AND seq < $2 ORDER BY seq`, lo, hi)
	if err != nil {
		return res, err
	}
	next := lo
	for rows.Next() {
		var seq, eventID int64
		var at any
		var blob sql.RawBytes
		if err := rows.Scan(&seq, &eventID, &at, &blob); err != nil {
			rows.Close()
			return res, store.Translate(err)
		}
		if seq != next {
			fail(next, "events %d to %d are missing from the log (rows deleted)", next, seq-1)
			break
		}
		if len(blob) < tlog.HashSize || len(blob)%tlog.HashSize != 0 {
			fail(seq, "event %d: the hashes stored with it are malformed", seq)
			break
		}
		var h tlog.Hash
		copy(h[:], blob)
		res.leaves = append(res.leaves, h) // the stored leaf hash, until the event is read
		res.inner = append(res.inner, blob[tlog.HashSize:]...)
		res.ends = append(res.ends, int32(len(res.inner)))
		eventIDs = append(eventIDs, eventID)
		logged = append(logged, at)
		next++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return res, store.Translate(err)
	}
	if res.problem == nil && next < hi {
		fail(next, "events %d to %d are missing from the log (deleted from the end)", next, hi-1)
	}
	if len(eventIDs) == 0 {
		return res, nil
	}

	// The events those leaves name.
	pos := make(map[int64]int32, len(eventIDs))
	minID, maxID := eventIDs[0], eventIDs[0]
	for i, id := range eventIDs {
		pos[id] = int32(i)
		minID, maxID = min(minID, id), max(maxID, id)
	}
	found := make([]bool, len(eventIDs))
	var buf []byte       // one leaf at a time
	bad := len(eventIDs) // the first leaf whose event does not match
	err = db.Read(ctx, func(q store.Querier) error {
		rows, err := q.Query(ctx, `SELECT e.id, `+timeCol("e.time")+`, `+textFields+` FROM audit_events e WHERE e.id >= $1 AND e.id <= $2 ORDER BY e.id`, minID, maxID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var atRaw any
			var text sql.RawBytes
			if err := rows.Scan(&id, &atRaw, &text); err != nil {
				return store.Translate(err)
			}
			i, ok := pos[id]
			if !ok {
				continue // an event of another range, or not yet placed
			}
			found[i] = true
			e, ok := eventFromText(string(text))
			at, err := asTime(atRaw)
			if !ok || err != nil {
				bad = min(bad, int(i))
				continue
			}
			e.ID, e.Time = id, at
			buf = appendLeaf(buf[:0], e)
			if tlog.RecordHash(buf) != res.leaves[i] {
				bad = min(bad, int(i))
			}
		}
		return store.Translate(rows.Err())
	})
	if err != nil {
		return res, err
	}
	for i := range eventIDs {
		if i >= bad {
			break
		}
		if found[i] {
			res.checked++
			continue
		}
		at, err := asTime(logged[i])
		if err != nil {
			return res, err
		}
		if !at.Before(cutoff) {
			bad = i
			break
		}
		res.pruned++
	}
	if bad < len(eventIDs) {
		seq := lo + int64(bad)
		if found[bad] {
			fail(seq, "event %d (id %d): its content does not match the hash recorded when it was logged (the row was changed, or rows were swapped)", seq, eventIDs[bad])
		} else {
			at, _ := asTime(logged[bad])
			fail(seq, "event %d (id %d, %s) is missing: its row was deleted within the retention period", seq, eventIDs[bad], at.Format(time.RFC3339))
		}
		res.leaves = res.leaves[:bad]
		res.ends = res.ends[:bad]
	}
	return res, nil
}

func eventFromText(s string) (Event, bool) {
	f := strings.Split(s, unit)
	if len(f) != 12 {
		return Event{}, false
	}
	return Event{Tenant: f[0], Actor: Actor{User: f[1], Session: f[2], Terminal: f[3], Address: f[4]},
		Action: f[5], Subject: Subject{Type: f[6], ID: f[7]}, Purpose: f[8], Outcome: f[9], RequestID: f[10], Detail: f[11]}, true
}

// asTime reads a timestamp as the driver gives it: a time (PostgreSQL) or
// SQLite's text "2006-01-02 15:04:05.999999999-07:00".
func asTime(v any) (time.Time, error) {
	switch t := v.(type) {
	case time.Time:
		return t.UTC(), nil
	case string:
		return parseSQLiteTime(t)
	case []byte:
		return parseSQLiteTime(string(t))
	}
	return time.Time{}, fmt.Errorf("audit: unexpected time value %T", v)
}

func parseSQLiteTime(s string) (time.Time, error) {
	// Fast path for the layout bango writes (UTC): fixed positions.
	if len(s) >= 19 && s[4] == '-' && s[7] == '-' && s[10] == ' ' && s[13] == ':' && s[16] == ':' && strings.HasSuffix(s, "+00:00") {
		num := func(a, b int) (int, bool) {
			n := 0
			for i := a; i < b; i++ {
				if s[i] < '0' || s[i] > '9' {
					return 0, false
				}
				n = n*10 + int(s[i]-'0')
			}
			return n, true
		}
		y, ok1 := num(0, 4)
		mo, ok2 := num(5, 7)
		d, ok3 := num(8, 10)
		h, ok4 := num(11, 13)
		mi, ok5 := num(14, 16)
		sec, ok6 := num(17, 19)
		rest := s[19 : len(s)-6]
		nsec := 0
		ok7 := true
		if rest != "" {
			if rest[0] != '.' || len(rest) > 10 {
				ok7 = false
			} else {
				frac := rest[1:]
				v, ok := num(20, 20+len(frac))
				for i := len(frac); i < 9; i++ {
					v *= 10
				}
				nsec, ok7 = v, ok
			}
		}
		if ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7 {
			return time.Date(y, time.Month(mo), d, h, mi, sec, nsec, time.UTC), nil
		}
	}
	t, err := time.Parse("2006-01-02 15:04:05.999999999-07:00", s)
	return t.UTC(), err
}

func sameInterior(hs []tlog.Hash, interior []byte) bool {
	if (len(hs)-1)*tlog.HashSize != len(interior) {
		return false
	}
	for i, h := range hs[1:] {
		if !bytes.Equal(h[:], interior[i*tlog.HashSize:(i+1)*tlog.HashSize]) {
			return false
		}
	}
	return true
}

// Prune removes the content of sequenced events older than cutoff, keeping
// their leaves and hashes, so that the tree still verifies. It is the only
// deletion the log allows, and it records itself.
func Prune(ctx context.Context, db *store.DB, cutoff time.Time) (removed int64, err error) {
	ctx = store.WithScope(ctx, store.AllTenants) // every municipality's events
	err = db.Transact(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE audit_head SET pruning = 1 WHERE id = 1`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM audit_search WHERE time < $1`, cutoff.UTC()); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `DELETE FROM audit_events WHERE time < $1 AND id IN (SELECT event_id FROM audit_log)`, cutoff.UTC())
		if err != nil {
			return err
		}
		removed, _ = res.RowsAffected()
		if _, err := tx.Exec(ctx, `UPDATE audit_head SET pruning = 0 WHERE id = 1`); err != nil {
			return err
		}
		return Record(ctx, tx, Event{Action: "audit.prune", Outcome: OK,
			Detail: fmt.Sprintf("removed=%d cutoff=%s", removed, cutoff.UTC().Format(time.RFC3339))})
	})
	return removed, err
}
