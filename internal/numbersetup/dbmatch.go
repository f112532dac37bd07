package numbersetup

import (
	"context"
	"database/sql"
	"strings"

	"bango/internal/store"
)

// The import matches in the database, inside its own transaction, so
// that bango's memory stays flat in the size of the file and of the
// business's people (it holds a few batches of rows at a time). While the
// first rows of the file are parsed and sealed, the people's keys (keyer)
// go into the temporary table numbersetup_people and are counted once
// each by their key of all four items into numbersetup_exact (the lowest
// and highest resident code of those who have it: equal when one person
// has it). The file's good rows, sealed and keyed, then go in chunks into
// numbersetup_chunk, and each chunk in one pass: the rows whose four items
// some person has into the work table, outcome decided (exact, multiple,
// held), the others, still to be looked for by three items, into
// numbersetup_rest, every row's blind index into numbersetup_numbers; the
// work table's rows are counted by outcome as they are written. At the end
// the rows held back are looked for among the people by three items
// (numbersetup_near) and the numbers the file gives twice are found
// (numbersetup_repeated); the held-back rows go into the work table with
// their outcome, and the few rows written earlier whose number an earlier
// line gave are updated. No row of the work table is written twice but
// those. That is PostgreSQL's way, where a row written to the work table
// costs most (row-level security refuses COPY) and joins hash all the
// exact keys. SQLite, which finds a key by its b-tree and updates a row by
// its key cheaply, writes every row with its chunk (no_match until the end
// finds it by three items, from numbersetup_unmatched) and updates the few
// the end changes; it was slower the other way. Temporary tables are the session's alone: PostgreSQL's row-level
// security does not apply to them, so they take COPY; PostgreSQL drops
// them with the transaction, SQLite when the import ends.
var tempTables = []string{"numbersetup_people", "numbersetup_exact", "numbersetup_chunk", "numbersetup_rest", "numbersetup_unmatched", "numbersetup_numbers", "numbersetup_near", "numbersetup_repeated"}

var rowColumns = []string{"line", "file_code", "name", "name_kana", "birth_date", "sex", "address",
	"mynumber_sealed", "mynumber_bidx", "mynumber_key_version", "ka", "k0", "k1", "k2", "k3"}

var peopleColumns = []string{"code", "ka", "k0", "k1", "k2", "k3"}

// chunkRows is how many rows go to the work table in one statement: the
// whole file up to a million rows, for each chunk's joins read all the
// people's exact keys (at 1,000,000 rows against as many people, chunks of
// 100,000 spent more time hashing those keys again than the file took to
// copy). bango's memory does not follow it: it seals at most lookahead
// batches ahead of the database.
var chunkRows = 1 << 20

// sqliteChunkRows is SQLite's chunk: it joins by the exact keys' b-tree,
// not by hashing them, and a chunk this size stays in its page cache.
const sqliteChunkRows = 100000

// chunkSize is the chunk of the engine e.
func chunkSize(e store.Engine) int {
	if e == store.Postgres {
		return chunkRows
	}
	return min(chunkRows, sqliteChunkRows)
}

// createTemp makes the temporary tables.
func createTemp(ctx context.Context, tx *store.Tx) error {
	stmts := []string{
		`CREATE TEMP TABLE numbersetup_people (code TEXT NOT NULL, ka INTEGER NOT NULL, k0 INTEGER NOT NULL, k1 INTEGER NOT NULL, k2 INTEGER NOT NULL, k3 INTEGER NOT NULL)`,
		`CREATE TEMP TABLE numbersetup_exact (k INTEGER PRIMARY KEY, lo TEXT NOT NULL, hi TEXT NOT NULL)`,
		`CREATE TEMP TABLE numbersetup_chunk (line INTEGER PRIMARY KEY, file_code TEXT NOT NULL, name TEXT NOT NULL, name_kana TEXT NOT NULL,
			birth_date DATE NOT NULL, sex TEXT NOT NULL, address TEXT NOT NULL, mynumber_sealed BLOB NOT NULL, mynumber_bidx BLOB NOT NULL,
			mynumber_key_version INTEGER NOT NULL, ka INTEGER NOT NULL, k0 INTEGER NOT NULL, k1 INTEGER NOT NULL, k2 INTEGER NOT NULL, k3 INTEGER NOT NULL)`,
		// SQLite writes every row with the chunk and updates the few the
		// end changes (cheap by the key), keeping only the keys of three of
		// the rows without an exact key.
		`CREATE TEMP TABLE numbersetup_unmatched (line INTEGER PRIMARY KEY, k0 INTEGER NOT NULL, k1 INTEGER NOT NULL, k2 INTEGER NOT NULL, k3 INTEGER NOT NULL)`,
		`CREATE TEMP TABLE numbersetup_numbers (line INTEGER PRIMARY KEY, bidx BLOB NOT NULL)`,
	}
	if tx.Engine() == store.Postgres {
		// No keys: each is read whole, by hash joins.
		stmts = []string{
			`CREATE TEMP TABLE numbersetup_people (code text NOT NULL, ka bigint NOT NULL, k0 bigint NOT NULL, k1 bigint NOT NULL, k2 bigint NOT NULL, k3 bigint NOT NULL) ON COMMIT DROP`,
			`CREATE TEMP TABLE numbersetup_chunk (line integer NOT NULL, file_code text NOT NULL, name text NOT NULL, name_kana text NOT NULL,
				birth_date date NOT NULL, sex text NOT NULL, address text NOT NULL, mynumber_sealed bytea NOT NULL, mynumber_bidx bytea NOT NULL,
				mynumber_key_version integer NOT NULL, ka bigint NOT NULL, k0 bigint NOT NULL, k1 bigint NOT NULL, k2 bigint NOT NULL, k3 bigint NOT NULL) ON COMMIT DROP`,
			`CREATE TEMP TABLE numbersetup_rest (line integer NOT NULL, file_code text NOT NULL, name text NOT NULL, name_kana text NOT NULL,
				birth_date date NOT NULL, sex text NOT NULL, address text NOT NULL, mynumber_sealed bytea NOT NULL, mynumber_bidx bytea NOT NULL,
				mynumber_key_version integer NOT NULL, k0 bigint NOT NULL, k1 bigint NOT NULL, k2 bigint NOT NULL, k3 bigint NOT NULL) ON COMMIT DROP`,
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
	next := func() ([]any, error) {
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
	}
	_, err := tx.CopyFrom(ctx, "numbersetup_people", peopleColumns, next)
	cancel()
	<-done
	return err
}

// exactSQL counts the people by their key of all four items. (The codes
// are only told equal or not: compared byte by byte.)
const exactSQL = `SELECT ka AS k, MIN(code{C}) AS lo, MAX(code{C}) AS hi FROM numbersetup_people GROUP BY ka`

// bytewise compares the codes of q ({C}) byte by byte where the engine
// would otherwise compare them by the database's collation.
func bytewise(tx *store.Tx, q string) string {
	if tx.Engine() == store.Postgres {
		return strings.ReplaceAll(q, "{C}", ` COLLATE "C"`)
	}
	return strings.ReplaceAll(q, "{C}", "")
}

// indexPeople makes numbersetup_exact of the staged people.
func indexPeople(ctx context.Context, tx *store.Tx) error {
	if tx.Engine() == store.Postgres {
		// Temporary tables are never analysed by autovacuum.
		return execAll(ctx, tx, []string{`ANALYZE numbersetup_people`,
			`CREATE TEMP TABLE numbersetup_exact ON COMMIT DROP AS ` + bytewise(tx, exactSQL), `ANALYZE numbersetup_exact`})
	}
	// The groups come out in key order: appended to the table's key.
	return execAll(ctx, tx, []string{`INSERT INTO numbersetup_exact (k, lo, hi) ` + bytewise(tx, exactSQL)})
}

const candidateColumns = `tenant_code, setup_id, line, file_code, name, name_kana, birth_date, sex, address,
	mynumber_sealed, mynumber_bidx, mynumber_key_version, outcome, diff_item, person_code, status, note`

// heldJoin finds the resident of the municipality ($1) who holds the
// number of row r already.
const heldJoin = `LEFT JOIN residents h ON h.tenant_code = $1 AND h.mynumber_bidx IS NOT NULL AND h.mynumber_bidx = r.mynumber_bidx`

// foundSelect is the work table's row of a row r whose four items some
// person has (e: the lowest and highest code of those people): held when
// a resident of the municipality holds its number (held_by_resident),
// exact and waiting for the checker when one person has them, multiple
// (four_items) when two or more do.
const foundSelect = `SELECT $1, $2, r.line, r.file_code, r.name, r.name_kana, r.birth_date, r.sex, r.address, r.mynumber_sealed, r.mynumber_bidx, r.mynumber_key_version,
	CASE WHEN h.code IS NOT NULL THEN 'held' WHEN e.lo = e.hi THEN 'exact' ELSE 'multiple' END, '',
	CASE WHEN h.code IS NULL AND e.lo = e.hi THEN e.lo ELSE '' END,
	CASE WHEN h.code IS NULL AND e.lo = e.hi THEN 'submitted' ELSE 'open' END,
	CASE WHEN h.code IS NOT NULL THEN 'held_by_resident' WHEN e.lo <> e.hi THEN 'four_items' ELSE '' END`

const restColumns = `line, file_code, name, name_kana, birth_date, sex, address, mynumber_sealed, mynumber_bidx, mynumber_key_version, k0, k1, k2, k3`

// chunkSQL writes a chunk's rows (PostgreSQL): those whose four items
// some person has into the work table, counted by outcome; the others into
// numbersetup_rest; every row's blind index into numbersetup_numbers. (A
// chunk is normally the whole file: each chunk's joins read all the exact
// keys.)
var chunkSQL = []string{
	`WITH w AS (INSERT INTO numbersetup_candidates (` + candidateColumns + `)
	` + foundSelect + ` FROM numbersetup_chunk r JOIN numbersetup_exact e ON e.k = r.ka ` + heldJoin + ` RETURNING outcome)
	SELECT outcome, COUNT(*) FROM w GROUP BY outcome`,
	`INSERT INTO numbersetup_rest (` + restColumns + `) SELECT ` + restColumns + ` FROM numbersetup_chunk r
	WHERE NOT EXISTS (SELECT 1 FROM numbersetup_exact e WHERE e.k = r.ka)`,
	`INSERT INTO numbersetup_numbers (line, bidx) SELECT line, mynumber_bidx FROM numbersetup_chunk`,
}

// writeChunk writes the staged chunk and empties it.
func writeChunk(ctx context.Context, tx *store.Tx, st *Setup) error {
	if tx.Engine() != store.Postgres {
		return execAll(ctx, tx, chunkSQLite, st.Tenant, st.ID)
	}
	// The joins hash the exact keys: with room for them all in memory the
	// chunk's wide rows are read once instead of spilled to disk in
	// batches and read again (a bound of the server's, for these
	// statements alone).
	if _, err := tx.Exec(ctx, `SET LOCAL work_mem = '64MB'`); err != nil {
		return err
	}
	if err := countInto(st.Counts)(tx.Query(ctx, chunkSQL[0], st.Tenant, st.ID)); err != nil {
		return err
	}
	return execAll(ctx, tx, append(chunkSQL[1:len(chunkSQL):len(chunkSQL)], `SET LOCAL work_mem TO DEFAULT`, `TRUNCATE numbersetup_chunk`), st.Tenant, st.ID)
}

// chunkSQLite writes a chunk on SQLite, which finds each row's exact key
// by the table's key: every row into the work table (no_match when nobody
// has its four items, until the end looks for it by three), the keys of
// three of those without an exact key into numbersetup_unmatched, every
// blind index into numbersetup_numbers. The work table's rows are counted
// once, at the end.
var chunkSQLite = []string{
	`INSERT INTO numbersetup_candidates (` + candidateColumns + `)
	SELECT $1, $2, r.line, r.file_code, r.name, r.name_kana, r.birth_date, r.sex, r.address, r.mynumber_sealed, r.mynumber_bidx, r.mynumber_key_version,
	CASE WHEN h.code IS NOT NULL THEN 'held' WHEN e.lo IS NULL THEN 'no_match' WHEN e.lo = e.hi THEN 'exact' ELSE 'multiple' END, '',
	CASE WHEN h.code IS NULL AND e.lo = e.hi THEN e.lo ELSE '' END,
	CASE WHEN h.code IS NULL AND e.lo = e.hi THEN 'submitted' ELSE 'open' END,
	CASE WHEN h.code IS NOT NULL THEN 'held_by_resident' WHEN e.lo <> e.hi THEN 'four_items' ELSE '' END
	FROM numbersetup_chunk r ` + heldJoin + ` LEFT JOIN numbersetup_exact e ON e.k = r.ka`,
	`INSERT INTO numbersetup_unmatched (line, k0, k1, k2, k3) SELECT r.line, r.k0, r.k1, r.k2, r.k3 FROM numbersetup_chunk r
	WHERE NOT EXISTS (SELECT 1 FROM numbersetup_exact e WHERE e.k = r.ka)`,
	chunkSQL[2],
	`DELETE FROM numbersetup_chunk`,
}

// countInto adds the counts by outcome a query returns.
func countInto(counts map[string]int) func(*sql.Rows, error) error {
	return store.Each(func(row store.Scanner) error {
		var o string
		var n int
		if err := row.Scan(&o, &n); err != nil {
			return err
		}
		counts[o] += n
		return nil
	})
}

// nearSQL finds, for each row held back (nobody has its four items), the
// people equal to it in three: the lowest and highest resident code among
// them (equal when one person is), and the item left out of the last key
// that found one (0 name, 1 birth date, 2 sex, 3 address).
const nearSQL = `SELECT line, MIN(code{C}) AS lo, MAX(code{C}) AS hi, MAX(skip) AS skip FROM (
	SELECT u.line, p.code, 0 AS skip FROM numbersetup_rest u JOIN numbersetup_people p ON p.k0 = u.k0
	UNION ALL SELECT u.line, p.code, 1 FROM numbersetup_rest u JOIN numbersetup_people p ON p.k1 = u.k1
	UNION ALL SELECT u.line, p.code, 2 FROM numbersetup_rest u JOIN numbersetup_people p ON p.k2 = u.k2
	UNION ALL SELECT u.line, p.code, 3 FROM numbersetup_rest u JOIN numbersetup_people p ON p.k3 = u.k3) n GROUP BY line`

// nearSQLite is nearSQL over SQLite's unmatched rows (written no_match
// with the chunks).
var nearSQLite = strings.ReplaceAll(nearSQL, "numbersetup_rest", "numbersetup_unmatched")

// nearUpdate makes a no_match row of SQLite one person equal in three
// items one_diff, naming the item that differs, and one of two people or
// more multiple (three_items).
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

// repeatedWritten is the rows written with the chunks that repeat an
// earlier line's number (a number a resident holds stays
// held_by_resident on every row that gives it), by their outcome.
const repeatedWritten = `SELECT c.outcome, COUNT(*) FROM numbersetup_candidates c JOIN numbersetup_repeated d
	ON c.tenant_code = $1 AND c.setup_id = $2 AND c.line = d.line AND c.note <> 'held_by_resident' GROUP BY c.outcome`

// repeatedUpdate holds them.
const repeatedUpdate = `UPDATE numbersetup_candidates SET outcome = 'held', status = 'open', diff_item = '', person_code = '',
	note = 'repeated_in_file line=' || d.first_line
FROM numbersetup_repeated d
WHERE numbersetup_candidates.tenant_code = $1 AND numbersetup_candidates.setup_id = $2 AND numbersetup_candidates.line = d.line
	AND numbersetup_candidates.note <> 'held_by_resident'`

// restInsert writes the rows held back: held when a resident holds the
// number (held_by_resident) or an earlier line gave it (repeated_in_file);
// else one_diff naming the differing item when one person has three of
// the four items, multiple (three_items) when two or more do, no_match
// when nobody does. None is exact: all wait on the work list.
const restInsert = `INSERT INTO numbersetup_candidates (` + candidateColumns + `)
SELECT $1, $2, r.line, r.file_code, r.name, r.name_kana, r.birth_date, r.sex, r.address, r.mynumber_sealed, r.mynumber_bidx, r.mynumber_key_version,
	CASE WHEN h.code IS NOT NULL OR d.line IS NOT NULL THEN 'held' WHEN n.lo IS NULL THEN 'no_match' WHEN n.lo = n.hi THEN 'one_diff' ELSE 'multiple' END,
	CASE WHEN h.code IS NOT NULL OR d.line IS NOT NULL OR n.lo IS NULL OR n.lo <> n.hi THEN ''
		WHEN n.skip = 0 THEN 'name' WHEN n.skip = 1 THEN 'birth_date' WHEN n.skip = 2 THEN 'sex' ELSE 'address' END,
	CASE WHEN h.code IS NULL AND d.line IS NULL AND n.lo = n.hi THEN n.lo ELSE '' END,
	'open',
	CASE WHEN h.code IS NOT NULL THEN 'held_by_resident' WHEN d.line IS NOT NULL THEN 'repeated_in_file line=' || d.first_line
		WHEN n.lo <> n.hi THEN 'three_items' ELSE '' END
FROM numbersetup_rest r ` + heldJoin + `
LEFT JOIN numbersetup_near n ON n.line = r.line
LEFT JOIN numbersetup_repeated d ON d.line = r.line`

// finishMatch looks for the rows held back (on SQLite: written no_match)
// by three items and for the numbers given twice, holds the rows already
// written that repeat a number, writes the rows held back (on SQLite:
// updates the no_match rows found by three), and counts the work table's
// rows of setup st by outcome into st.Counts.
func finishMatch(ctx context.Context, tx *store.Tx, st *Setup) error {
	pg := tx.Engine() == store.Postgres
	var stmts []string
	if pg {
		stmts = []string{`ANALYZE numbersetup_rest`,
			`CREATE TEMP TABLE numbersetup_near ON COMMIT DROP AS ` + bytewise(tx, nearSQL), `ANALYZE numbersetup_near`,
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
			`INSERT INTO numbersetup_near (line, lo, hi, skip) ` + bytewise(tx, nearSQLite),
			`CREATE TEMP TABLE numbersetup_repeated (line INTEGER PRIMARY KEY, first_line INTEGER NOT NULL)`,
			`INSERT INTO numbersetup_repeated (line, first_line) ` + repeatedSQL,
			nearUpdate, repeatedUpdate,
		}
	}
	if err := execAll(ctx, tx, stmts, st.Tenant, st.ID); err != nil {
		return err
	}
	if !pg {
		// SQLite counts the work table's rows once, by the key.
		return countInto(st.Counts)(tx.Query(ctx, `SELECT outcome, COUNT(*) FROM numbersetup_candidates WHERE tenant_code = $1 AND setup_id = $2 GROUP BY outcome`,
			st.Tenant, st.ID))
	}
	// The rows written with the chunks are counted: those that repeat a
	// number move to held.
	repeated := map[string]int{}
	if err := countInto(repeated)(tx.Query(ctx, repeatedWritten, st.Tenant, st.ID)); err != nil {
		return err
	}
	for o, n := range repeated {
		st.Counts[o] -= n
		st.Counts[Held] += n
	}
	if len(repeated) > 0 {
		if _, err := tx.Exec(ctx, repeatedUpdate, st.Tenant, st.ID); err != nil {
			return err
		}
	}
	return countInto(st.Counts)(tx.Query(ctx, `WITH w AS (`+restInsert+` RETURNING outcome) SELECT outcome, COUNT(*) FROM w GROUP BY outcome`, st.Tenant, st.ID))
}
