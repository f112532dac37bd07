package numbersetup

import (
	"context"
	"strings"

	"bango/internal/store"
)

// The import matches in the database, inside its own transaction, so
// that bango's memory stays flat in the size of the file and of the
// business's people (it holds a few batches of rows at a time). Before the
// file is read, the people's keys (keyer) go into the temporary table
// numbersetup_people and are counted once each by their key of all four
// items into numbersetup_exact (the lowest and highest resident code of
// those who have it: equal when one person has it). The file's good rows,
// sealed and keyed, then go in chunks into numbersetup_chunk, and each
// chunk into the work table with one INSERT … SELECT joined to the exact
// keys and to the residents who hold a number already, while bango seals
// the next rows; a chunk's rows without an exact key and every row's
// blind index are kept, narrow, for the end. At the end the rows nobody
// matches in all four items are looked for among the people by three
// (numbersetup_near) and the numbers the file gives twice found; the few
// rows they change are updated. Temporary tables are the session's alone:
// PostgreSQL's row-level security does not apply to them, so they take
// COPY; PostgreSQL drops them with the transaction, SQLite when the import
// ends.
var tempTables = []string{"numbersetup_people", "numbersetup_exact", "numbersetup_chunk", "numbersetup_unmatched", "numbersetup_numbers", "numbersetup_near", "numbersetup_repeated"}

var rowColumns = []string{"line", "file_code", "name", "name_kana", "birth_date", "sex", "address",
	"mynumber_sealed", "mynumber_bidx", "mynumber_key_version", "ka", "k0", "k1", "k2", "k3"}

var peopleColumns = []string{"code", "ka", "k0", "k1", "k2", "k3"}

// chunkRows is how many rows go to the work table in one statement: few
// enough chunks that reading the exact keys once a chunk costs little,
// and bango seals the next rows meanwhile.
var chunkRows = 100000

// createTemp makes the temporary tables.
func createTemp(ctx context.Context, tx *store.Tx) error {
	stmts := []string{
		`CREATE TEMP TABLE numbersetup_people (code TEXT NOT NULL, ka INTEGER NOT NULL, k0 INTEGER NOT NULL, k1 INTEGER NOT NULL, k2 INTEGER NOT NULL, k3 INTEGER NOT NULL)`,
		`CREATE TEMP TABLE numbersetup_exact (k INTEGER PRIMARY KEY, lo TEXT NOT NULL, hi TEXT NOT NULL)`,
		`CREATE TEMP TABLE numbersetup_chunk (line INTEGER PRIMARY KEY, file_code TEXT NOT NULL, name TEXT NOT NULL, name_kana TEXT NOT NULL,
			birth_date DATE NOT NULL, sex TEXT NOT NULL, address TEXT NOT NULL, mynumber_sealed BLOB NOT NULL, mynumber_bidx BLOB NOT NULL,
			mynumber_key_version INTEGER NOT NULL, ka INTEGER NOT NULL, k0 INTEGER NOT NULL, k1 INTEGER NOT NULL, k2 INTEGER NOT NULL, k3 INTEGER NOT NULL)`,
		`CREATE TEMP TABLE numbersetup_unmatched (line INTEGER PRIMARY KEY, k0 INTEGER NOT NULL, k1 INTEGER NOT NULL, k2 INTEGER NOT NULL, k3 INTEGER NOT NULL)`,
		`CREATE TEMP TABLE numbersetup_numbers (line INTEGER PRIMARY KEY, bidx BLOB NOT NULL)`,
	}
	if tx.Engine() == store.Postgres {
		// No keys: each is read whole (exact is indexed once written).
		stmts = []string{
			`CREATE TEMP TABLE numbersetup_people (code text NOT NULL, ka bigint NOT NULL, k0 bigint NOT NULL, k1 bigint NOT NULL, k2 bigint NOT NULL, k3 bigint NOT NULL) ON COMMIT DROP`,
			`CREATE TEMP TABLE numbersetup_chunk (line integer NOT NULL, file_code text NOT NULL, name text NOT NULL, name_kana text NOT NULL,
				birth_date date NOT NULL, sex text NOT NULL, address text NOT NULL, mynumber_sealed bytea NOT NULL, mynumber_bidx bytea NOT NULL,
				mynumber_key_version integer NOT NULL, ka bigint NOT NULL, k0 bigint NOT NULL, k1 bigint NOT NULL, k2 bigint NOT NULL, k3 bigint NOT NULL) ON COMMIT DROP`,
			`CREATE TEMP TABLE numbersetup_unmatched (line integer NOT NULL, k0 bigint NOT NULL, k1 bigint NOT NULL, k2 bigint NOT NULL, k3 bigint NOT NULL) ON COMMIT DROP`,
			`CREATE TEMP TABLE numbersetup_numbers (line integer NOT NULL, bidx bytea NOT NULL) ON COMMIT DROP`,
		}
	} else if err := dropTemp(ctx, tx); err != nil { // left by an import that failed on this connection
		return err
	}
	return execAll(ctx, tx, stmts)
}

func execAll(ctx context.Context, tx *store.Tx, stmts []string, args ...any) error {
	for _, q := range stmts {
		a := args
		if !strings.Contains(q, "$1") {
			a = nil
		}
		if _, err := tx.Exec(ctx, q, a...); err != nil {
			return err
		}
	}
	return nil
}

// dropTemp drops SQLite's temporary tables, which outlive the transaction.
func dropTemp(ctx context.Context, tx *store.Tx) error {
	if tx.Engine() == store.Postgres {
		return nil
	}
	for _, t := range tempTables {
		if _, err := tx.Exec(ctx, `DROP TABLE IF EXISTS temp.`+t); err != nil {
			return err
		}
	}
	return nil
}

// copyPeople writes the keys of b's people in tenant into
// numbersetup_people: read on a connection of their own (a business's
// people are only read) and handed over a batch at a time, so that memory
// holds a few batches, never the people.
func (s *Service) copyPeople(ctx context.Context, tx *store.Tx, b Business, tenant string, k keyer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan [][]any, 4)
	var rerr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(batches)
		cur := make([][]any, 0, loadBatch)
		send := func() error {
			select {
			case batches <- cur:
				cur = make([][]any, 0, loadBatch)
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		rerr = s.db.ReadIn(ctx, tenant, func(q store.Querier) error {
			return b.People(ctx, q, tenant, func(p Person) error {
				all, three := k.keys(p)
				cur = append(cur, []any{p.Code, all, three[0], three[1], three[2], three[3]})
				if len(cur) == loadBatch {
					return send()
				}
				return nil
			})
		})
		if rerr == nil && len(cur) > 0 {
			rerr = send()
		}
	}()
	var cur [][]any
	_, err := tx.CopyFrom(ctx, "numbersetup_people", peopleColumns, func() ([]any, error) {
		for len(cur) == 0 {
			b, ok := <-batches
			if !ok {
				<-done
				return nil, rerr
			}
			cur = b
		}
		row := cur[0]
		cur = cur[1:]
		return row, nil
	})
	cancel()
	<-done
	return err
}

// exactSQL counts the people by their key of all four items.
const exactSQL = `SELECT ka AS k, MIN(code) AS lo, MAX(code) AS hi FROM numbersetup_people GROUP BY ka`

// indexPeople makes numbersetup_exact of the staged people.
func indexPeople(ctx context.Context, tx *store.Tx) error {
	if tx.Engine() == store.Postgres {
		// Temporary tables are never analysed by autovacuum.
		return execAll(ctx, tx, []string{`ANALYZE numbersetup_people`,
			`CREATE TEMP TABLE numbersetup_exact ON COMMIT DROP AS ` + exactSQL,
			`CREATE UNIQUE INDEX ON numbersetup_exact (k)`, `ANALYZE numbersetup_exact`})
	}
	// The groups come out in key order: appended to the table's key.
	return execAll(ctx, tx, []string{`INSERT INTO numbersetup_exact (k, lo, hi) ` + exactSQL})
}

// chunkSQL writes a chunk's rows into the work table ($1 the
// municipality, $2 the setup): a number a resident of the municipality
// holds is held (held_by_resident); one person with all four items equal
// is exact and waits for the checker; two or more are multiple
// (four_items); the rest are no_match until the end looks for them by
// three items (nearSQL) and for numbers given twice (repeatedSQL).
var chunkSQL = []string{`INSERT INTO numbersetup_candidates (tenant_code, setup_id, line, file_code, name, name_kana, birth_date, sex, address,
	mynumber_sealed, mynumber_bidx, mynumber_key_version, outcome, person_code, status, note)
SELECT $1, $2, r.line, r.file_code, r.name, r.name_kana, r.birth_date, r.sex, r.address, r.mynumber_sealed, r.mynumber_bidx, r.mynumber_key_version,
	CASE WHEN h.code IS NOT NULL THEN 'held' WHEN e.lo IS NULL THEN 'no_match' WHEN e.lo = e.hi THEN 'exact' ELSE 'multiple' END,
	CASE WHEN h.code IS NULL AND e.lo = e.hi THEN e.lo ELSE '' END,
	CASE WHEN h.code IS NULL AND e.lo = e.hi THEN 'submitted' ELSE 'open' END,
	CASE WHEN h.code IS NOT NULL THEN 'held_by_resident' WHEN e.lo <> e.hi THEN 'four_items' ELSE '' END
FROM numbersetup_chunk r
LEFT JOIN residents h ON h.tenant_code = $1 AND h.mynumber_bidx IS NOT NULL AND h.mynumber_bidx = r.mynumber_bidx
LEFT JOIN numbersetup_exact e ON e.k = r.ka`,
	`INSERT INTO numbersetup_unmatched (line, k0, k1, k2, k3) SELECT r.line, r.k0, r.k1, r.k2, r.k3 FROM numbersetup_chunk r
	WHERE NOT EXISTS (SELECT 1 FROM numbersetup_exact e WHERE e.k = r.ka)`,
	`INSERT INTO numbersetup_numbers (line, bidx) SELECT line, mynumber_bidx FROM numbersetup_chunk`,
}

// writeChunk writes the staged chunk and empties it.
func writeChunk(ctx context.Context, tx *store.Tx, st *Setup) error {
	empty := `DELETE FROM numbersetup_chunk`
	if tx.Engine() == store.Postgres {
		empty = `TRUNCATE numbersetup_chunk`
	}
	return execAll(ctx, tx, append(chunkSQL[:len(chunkSQL):len(chunkSQL)], empty), st.Tenant, st.ID)
}

// nearSQL finds, for each row nobody matches in all four items, the
// people equal to it in three: the lowest and highest resident code among
// them (equal when one person is), and the item left out of the last key
// that found one (0 name, 1 birth date, 2 sex, 3 address).
const nearSQL = `SELECT line, MIN(code) AS lo, MAX(code) AS hi, MAX(skip) AS skip FROM (
	SELECT u.line, p.code, 0 AS skip FROM numbersetup_unmatched u JOIN numbersetup_people p ON p.k0 = u.k0
	UNION ALL SELECT u.line, p.code, 1 FROM numbersetup_unmatched u JOIN numbersetup_people p ON p.k1 = u.k1
	UNION ALL SELECT u.line, p.code, 2 FROM numbersetup_unmatched u JOIN numbersetup_people p ON p.k2 = u.k2
	UNION ALL SELECT u.line, p.code, 3 FROM numbersetup_unmatched u JOIN numbersetup_people p ON p.k3 = u.k3) n GROUP BY line`

// nearUpdate makes a no_match row one person equal in three items
// one_diff, naming the item that differs, and one of two people or more
// multiple (three_items).
const nearUpdate = `UPDATE numbersetup_candidates SET
	outcome = CASE WHEN n.lo = n.hi THEN 'one_diff' ELSE 'multiple' END,
	diff_item = CASE WHEN n.lo <> n.hi THEN '' WHEN n.skip = 0 THEN 'name' WHEN n.skip = 1 THEN 'birth_date' WHEN n.skip = 2 THEN 'sex' ELSE 'address' END,
	person_code = CASE WHEN n.lo = n.hi THEN n.lo ELSE '' END,
	note = CASE WHEN n.lo = n.hi THEN '' ELSE 'three_items' END
FROM numbersetup_near n
WHERE numbersetup_candidates.tenant_code = $1 AND numbersetup_candidates.setup_id = $2 AND numbersetup_candidates.line = n.line
	AND numbersetup_candidates.outcome = 'no_match'`

// repeatedSQL is the rows that give a number an earlier row gave, with
// the first line that gave it.
const repeatedSQL = `SELECT line, first_line FROM (SELECT line, MIN(line) OVER (PARTITION BY bidx) AS first_line FROM numbersetup_numbers) x
	WHERE line > first_line`

// repeatedUpdate holds them (a number a resident holds stays
// held_by_resident on every row that gives it).
const repeatedUpdate = `UPDATE numbersetup_candidates SET outcome = 'held', status = 'open', diff_item = '', person_code = '',
	note = 'repeated_in_file line=' || d.first_line
FROM numbersetup_repeated d
WHERE numbersetup_candidates.tenant_code = $1 AND numbersetup_candidates.setup_id = $2 AND numbersetup_candidates.line = d.line
	AND numbersetup_candidates.note <> 'held_by_resident'`

// finishMatch looks for the unmatched rows by three items and for the
// numbers given twice, updates the rows they change, and counts the work
// table's rows of setup st by outcome into st.Counts.
func finishMatch(ctx context.Context, tx *store.Tx, st *Setup) error {
	var stmts []string
	if tx.Engine() == store.Postgres {
		stmts = []string{`ANALYZE numbersetup_unmatched`,
			`CREATE TEMP TABLE numbersetup_near ON COMMIT DROP AS ` + nearSQL, `ANALYZE numbersetup_near`,
			`CREATE TEMP TABLE numbersetup_repeated ON COMMIT DROP AS ` + repeatedSQL, `ANALYZE numbersetup_repeated`}
	} else {
		// The unmatched rows are few: indexed by their keys of three, the
		// people are read once against each.
		stmts = []string{
			`CREATE INDEX temp.numbersetup_unmatched_k0 ON numbersetup_unmatched (k0)`,
			`CREATE INDEX temp.numbersetup_unmatched_k1 ON numbersetup_unmatched (k1)`,
			`CREATE INDEX temp.numbersetup_unmatched_k2 ON numbersetup_unmatched (k2)`,
			`CREATE INDEX temp.numbersetup_unmatched_k3 ON numbersetup_unmatched (k3)`,
			`CREATE TEMP TABLE numbersetup_near (line INTEGER PRIMARY KEY, lo TEXT NOT NULL, hi TEXT NOT NULL, skip INTEGER NOT NULL)`,
			`INSERT INTO numbersetup_near (line, lo, hi, skip) ` + nearSQL,
			`CREATE TEMP TABLE numbersetup_repeated (line INTEGER PRIMARY KEY, first_line INTEGER NOT NULL)`,
			`INSERT INTO numbersetup_repeated (line, first_line) ` + repeatedSQL,
		}
	}
	stmts = append(stmts, nearUpdate, repeatedUpdate)
	if err := execAll(ctx, tx, stmts, st.Tenant, st.ID); err != nil {
		return err
	}
	return store.Each(func(row store.Scanner) error {
		var o string
		var n int
		if err := row.Scan(&o, &n); err != nil {
			return err
		}
		st.Counts[o] = n
		return nil
	})(tx.Query(ctx, `SELECT outcome, COUNT(*) FROM numbersetup_candidates WHERE tenant_code = $1 AND setup_id = $2 GROUP BY outcome`, st.Tenant, st.ID))
}
