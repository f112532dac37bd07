package bench

import (
	"context"

	"bango/internal/store"
)

// ScratchDB is a fresh, migrated database for a benchmark outside this
// package (bango bench jpki): a temporary SQLite file when dbURL is empty
// or a new SQLite path, or a new schema in the PostgreSQL database dbURL,
// used as an ordinary role under row-level security. close removes it.
func ScratchDB(ctx context.Context, dbURL string) (db *store.DB, close func(), err error) {
	s, err := newScratch(ctx, dbURL)
	if err != nil {
		return nil, nil, err
	}
	return s.db, s.Close, nil
}
