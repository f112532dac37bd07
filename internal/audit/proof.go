package audit

import (
	"context"
	"database/sql"

	"golang.org/x/mod/sumdb/tlog"

	"bango/internal/errs"
	"bango/internal/store"
)

// InclusionProof proves that leaf seq is in the tree of a checkpoint.
type InclusionProof struct {
	Seq        int64       `json:"seq"`
	TreeSize   int64       `json:"tree_size"`
	LeafHash   tlog.Hash   `json:"leaf_hash"`
	RootHash   tlog.Hash   `json:"root_hash"`
	Proof      []tlog.Hash `json:"proof"`
	Checkpoint string      `json:"checkpoint"` // the signed checkpoint of TreeSize
}

// ConsistencyProof proves that the tree of one checkpoint extends an
// earlier one.
type ConsistencyProof struct {
	OldSize       int64       `json:"old_size"`
	NewSize       int64       `json:"new_size"`
	OldRoot       tlog.Hash   `json:"old_root"`
	NewRoot       tlog.Hash   `json:"new_root"`
	Proof         []tlog.Hash `json:"proof"`
	OldCheckpoint string      `json:"old_checkpoint"`
	NewCheckpoint string      `json:"new_checkpoint"`
}

type dbHashReader struct {
	ctx context.Context
	db  *store.DB
}

func (r dbHashReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	found, err := readStoredHashes(r.ctx, r.db, indexes)
	if err != nil {
		return nil, err
	}
	out := make([]tlog.Hash, len(indexes))
	for i, idx := range indexes {
		h, ok := found[idx]
		if !ok {
			return nil, errs.E(errs.NotFound, "audit: stored hash %d is missing", idx)
		}
		out[i] = h
	}
	return out, nil
}

// checkpointAt returns the signed checkpoint of size, or of the latest
// checkpoint when size is 0.
func checkpointAt(ctx context.Context, db *store.DB, size int64) (int64, tlog.Hash, string, error) {
	q, args := `SELECT size, root, note FROM audit_checkpoints WHERE size = $1`, []any{size}
	if size == 0 {
		q, args = `SELECT size, root, note FROM audit_checkpoints ORDER BY size DESC LIMIT 1`, nil
	}
	var root []byte
	var text string
	err := db.QueryRow(ctx, q, args...).Scan(&size, &root, &text)
	if err == sql.ErrNoRows {
		if len(args) == 0 {
			return 0, tlog.Hash{}, "", errs.E(errs.NotFound, "audit: no checkpoint yet")
		}
		return 0, tlog.Hash{}, "", errs.E(errs.NotFound, "audit: no checkpoint of size %d", args[0])
	}
	if err != nil {
		return 0, tlog.Hash{}, "", store.Translate(err)
	}
	var h tlog.Hash
	copy(h[:], root)
	return size, h, text, nil
}

// ProveInclusion proves leaf seq against the checkpoint of treeSize (the
// latest when 0).
func ProveInclusion(ctx context.Context, db *store.DB, seq, treeSize int64) (InclusionProof, error) {
	size, root, text, err := checkpointAt(ctx, db, treeSize)
	if err != nil {
		return InclusionProof{}, err
	}
	if seq < 0 || seq >= size {
		return InclusionProof{}, errs.E(errs.Invalid, "audit: event %d is not in the checkpoint of size %d", seq, size)
	}
	r := dbHashReader{ctx, db}
	proof, err := tlog.ProveRecord(size, seq, r)
	if err != nil {
		return InclusionProof{}, err
	}
	leaf, err := r.ReadHashes([]int64{tlog.StoredHashIndex(0, seq)})
	if err != nil {
		return InclusionProof{}, err
	}
	return InclusionProof{Seq: seq, TreeSize: size, LeafHash: leaf[0], RootHash: root, Proof: proof, Checkpoint: text}, nil
}

// ProveConsistency proves that the checkpoint of newSize (the latest when
// 0) extends the checkpoint of oldSize.
func ProveConsistency(ctx context.Context, db *store.DB, oldSize, newSize int64) (ConsistencyProof, error) {
	oldN, oldRoot, oldText, err := checkpointAt(ctx, db, oldSize)
	if err != nil {
		return ConsistencyProof{}, err
	}
	if oldSize == 0 {
		return ConsistencyProof{}, errs.E(errs.Invalid, "audit: give the older checkpoint's size")
	}
	newN, newRoot, newText, err := checkpointAt(ctx, db, newSize)
	if err != nil {
		return ConsistencyProof{}, err
	}
	if oldN > newN {
		return ConsistencyProof{}, errs.E(errs.Invalid, "audit: checkpoint %d is older than %d", newN, oldN)
	}
	proof, err := tlog.ProveTree(newN, oldN, dbHashReader{ctx, db})
	if err != nil {
		return ConsistencyProof{}, err
	}
	return ConsistencyProof{OldSize: oldN, NewSize: newN, OldRoot: oldRoot, NewRoot: newRoot, Proof: proof,
		OldCheckpoint: oldText, NewCheckpoint: newText}, nil
}
