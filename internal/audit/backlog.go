package audit

import (
	"context"

	"bango/internal/store"
)

// Backlog reports how many events the tree holds (placed) and how many
// are committed but not placed yet (waiting): what monitoring reads at
// each scrape. One statement reads both, so they come from one snapshot;
// the waiting events are found by the index the sequencer itself uses.
func (s *Sequencer) Backlog(ctx context.Context) (placed, waiting int64, err error) {
	ctx = store.WithScope(ctx, store.AllTenants)
	after := `id > h.boundary`
	if s.db.Engine() == store.Postgres {
		after = `xid >= h.boundary`
	}
	err = s.db.ReadRow(ctx, `SELECT h.size, (SELECT count(*) FROM audit_events WHERE `+after+`) FROM audit_head h WHERE h.id = 1`).Scan(&placed, &waiting)
	return placed, waiting, store.Translate(err)
}
