package audit

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
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

	// The leaves, in order.
	var headSize int64
	if err := db.QueryRow(ctx, `SELECT size FROM audit_head WHERE id = 1`).Scan(&headSize); err != nil {
		return rep, store.Translate(err)
	}
	rows, err = db.Query(ctx, `SELECT l.seq, l.event_id, l.time, l.hashes, e.id, e.time, COALESCE(e.tenant_code, ''), COALESCE(e.actor_user, ''), COALESCE(e.actor_session, ''),
		COALESCE(e.actor_terminal, ''), COALESCE(e.actor_address, ''), COALESCE(e.action, ''), COALESCE(e.subject_type, ''),
		COALESCE(e.subject_id, ''), COALESCE(e.purpose, ''), COALESCE(e.outcome, ''), COALESCE(e.request_id, ''), COALESCE(e.detail, '')
		FROM audit_log l LEFT JOIN audit_events e ON e.id = l.event_id ORDER BY l.seq`)
	if err != nil {
		return rep, err
	}
	defer rows.Close()
	all := make(hashSlice, 0, tlog.StoredHashCount(headSize))
	var n int64
	for rows.Next() {
		var seq, eventID int64
		var logged time.Time
		var blob []byte
		var id sql.NullInt64
		var at sql.NullTime
		e := Event{}
		if err := rows.Scan(&seq, &eventID, &logged, &blob, &id, &at, &e.Tenant, &e.Actor.User, &e.Actor.Session,
			&e.Actor.Terminal, &e.Actor.Address, &e.Action, &e.Subject.Type, &e.Subject.ID, &e.Purpose, &e.Outcome, &e.RequestID, &e.Detail); err != nil {
			return rep, store.Translate(err)
		}
		if seq != n {
			if seq > n {
				problem(n, "events %d to %d are missing from the log (rows deleted)", n, seq-1)
			} else {
				problem(seq, "event %d appears twice", seq)
			}
			break
		}
		if len(blob) < tlog.HashSize || len(blob)%tlog.HashSize != 0 {
			problem(seq, "event %d: the hashes stored with it are malformed", seq)
			break
		}
		var leafHash tlog.Hash
		if id.Valid {
			e.ID, e.Time = id.Int64, at.Time
			leafHash = tlog.RecordHash(LeafData(e))
			if !bytes.Equal(leafHash[:], blob[:tlog.HashSize]) {
				problem(seq, "event %d (id %d): its content does not match the hash recorded when it was logged (the row was changed, or rows were swapped)", seq, eventID)
				break
			}
			rep.Checked++
		} else {
			if !logged.Before(opts.RetentionCutoff) {
				problem(seq, "event %d (id %d, %s) is missing: its row was deleted within the retention period", seq, eventID, logged.UTC().Format(time.RFC3339))
				break
			}
			copy(leafHash[:], blob)
			rep.Pruned++
		}
		hs, err := tlog.StoredHashesForRecordHash(seq, leafHash, all)
		if err != nil {
			return rep, err
		}
		if !sameHashes(hs, blob) {
			problem(seq, "event %d: the tree hashes stored with it do not follow from the events before it (a row was inserted, removed or moved at or before %d)", seq, seq)
			break
		}
		all = append(all, hs...)
		n++
		if root, ok := roots[n]; ok {
			got, err := tlog.TreeHash(n, all)
			if err != nil {
				return rep, err
			}
			if got != root {
				problem(n-1, "the events up to %d do not match the signed checkpoint of size %d (the log was rewritten before %d)", n-1, n, n)
				break
			}
		}
	}
	if err := rows.Err(); err != nil {
		return rep, store.Translate(err)
	}
	rep.Size = n
	if rep.OK() {
		switch {
		case n < headSize:
			problem(n, "the log holds %d events but its head says %d (events were deleted from the end)", n, headSize)
		case n > headSize:
			problem(headSize, "the log holds %d events but its head says %d (events were added outside the sequencer)", n, headSize)
		}
		if maxCheckpoint > n {
			problem(n, "a checkpoint covers %d events but only %d remain (events were deleted from the end)", maxCheckpoint, n)
		}
	}
	if err := db.QueryRow(ctx, `SELECT count(*) FROM audit_events e WHERE NOT EXISTS (SELECT 1 FROM audit_log l WHERE l.event_id = e.id)`).Scan(&rep.Pending); err != nil {
		return rep, store.Translate(err)
	}
	rep.Seconds = time.Since(start).Seconds()
	return rep, nil
}

func sameHashes(hs []tlog.Hash, blob []byte) bool {
	if len(hs)*tlog.HashSize != len(blob) {
		return false
	}
	for i, h := range hs {
		if !bytes.Equal(h[:], blob[i*tlog.HashSize:(i+1)*tlog.HashSize]) {
			return false
		}
	}
	return true
}

// Prune removes the content of sequenced events older than cutoff, keeping
// their leaves and hashes, so that the tree still verifies. It is the only
// deletion the log allows, and it records itself.
func Prune(ctx context.Context, db *store.DB, cutoff time.Time) (removed int64, err error) {
	err = db.Transact(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE audit_head SET pruning = 1 WHERE id = 1`); err != nil {
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
