package numbersetup

import (
	"context"
	"database/sql"
	"encoding/binary"
	"strings"
	"time"

	"bango/internal/store"
)

// Whether a row's number is held — a resident of the municipality holds
// it already, or an earlier line of the file gave it — is decided in the
// database, exactly, so that bango's memory does not follow the file:
// every row's line and blind index go, as the file is read, into the
// temporary table numbersetup_numbers (temporary tables are the
// session's alone and take COPY: row-level security does not apply to
// them; PostgreSQL drops them with the transaction, SQLite when the
// import ends). A filter of fixed size (seenFilter: two bits a number,
// 8 MiB) tells bango which numbers may have come before; only those go
// also into numbersetup_maybe, and at the end the rows with those numbers
// alone are grouped to find the lines that repeat an earlier one (a
// number the filter mistakes costs a look, never a wrong outcome; grouping
// every row's number took 0.8 s of PostgreSQL's at 1,000,000 rows). One
// statement then finds the rows whose number a resident holds or an
// earlier line gave (numbersetup_repeated), and those rows — written to
// the work table, or entries of a block — become held: a block's entry
// moves out of its block, so that the checker's confirmation of the exact
// matches never reaches it.
var tempTables = []string{"numbersetup_numbers", "numbersetup_maybe", "numbersetup_repeated"}

// seenFilter remembers the numbers of the rows read so far, two bits
// each (the blind index's first and second eight bytes, which are an
// HMAC's and so uniformly spread): a number whose two bits are set may
// have come before. At 2^26 bits it mistakes about 900 numbers of a
// file of 1,000,000, 19,000 of 10,000,000.
type seenFilter []uint64

const seenBits = 1 << 26

// everySeen, for tests, has the filter mistake every number for one seen
// before.
var everySeen = false

func newSeenFilter() seenFilter { return make(seenFilter, seenBits/64) }

// seen reports whether bidx may have been seen, and remembers it.
func (f seenFilter) seen(bidx []byte) bool {
	h1 := binary.LittleEndian.Uint64(bidx[0:8]) % seenBits
	h2 := binary.LittleEndian.Uint64(bidx[8:16]) % seenBits
	was := f[h1/64]&(1<<(h1%64)) != 0 && f[h2/64]&(1<<(h2%64)) != 0
	f[h1/64] |= 1 << (h1 % 64)
	f[h2/64] |= 1 << (h2 % 64)
	return was
}

// createTemp makes the temporary table of the rows' blind indexes.
func createTemp(ctx context.Context, tx *store.Tx) error {
	if tx.Engine() == store.Postgres {
		return execAll(ctx, tx, []string{`CREATE TEMP TABLE numbersetup_numbers (line integer NOT NULL, bidx bytea NOT NULL) ON COMMIT DROP`,
			`CREATE TEMP TABLE numbersetup_maybe (bidx bytea NOT NULL) ON COMMIT DROP`})
	}
	if err := dropTemp(ctx, tx); err != nil { // left by an import that failed on this connection
		return err
	}
	return execAll(ctx, tx, []string{`CREATE TEMP TABLE numbersetup_numbers (line INTEGER PRIMARY KEY, bidx BLOB NOT NULL)`,
		`CREATE TEMP TABLE numbersetup_maybe (bidx BLOB NOT NULL)`})
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

const candidateColumns = `tenant_code, setup_id, line, file_code, name, name_kana, birth_date, sex, address,
	mynumber_sealed, mynumber_bidx, mynumber_key_version, outcome, diff_item, person_code, status, note`

// heldSQL is the rows whose number a resident of the municipality ($1)
// holds (first_line 0) or an earlier line gave (the first line that gave
// it): held wins.
const heldSQL = `INSERT INTO numbersetup_repeated (line, first_line)
SELECT line, MIN(first_line) FROM (
	SELECT n.line, 0 AS first_line FROM numbersetup_numbers n
		WHERE EXISTS (SELECT 1 FROM residents h WHERE h.tenant_code = $1 AND h.mynumber_bidx = n.bidx)
	UNION ALL
	SELECT line, first_line FROM (SELECT n.line, MIN(n.line) OVER (PARTITION BY n.bidx) AS first_line FROM numbersetup_numbers n
		WHERE n.bidx IN (SELECT bidx FROM numbersetup_maybe)) r
		WHERE line > first_line
) x GROUP BY line`

// heldNote is the note of a held row.
const heldNote = `CASE WHEN d.first_line = 0 THEN 'held_by_resident' ELSE 'repeated_in_file line=' || d.first_line END`

// heldWritten counts the work table's rows that become held, by outcome.
const heldWritten = `SELECT c.outcome, COUNT(*) FROM numbersetup_candidates c JOIN numbersetup_repeated d
	ON c.tenant_code = $1 AND c.setup_id = $2 AND c.line = d.line GROUP BY c.outcome`

// heldUpdate makes them held, naming why.
const heldUpdate = `UPDATE numbersetup_candidates SET outcome = 'held', status = 'open', diff_item = '', person_code = '',
	note = ` + heldNote + `
FROM numbersetup_repeated d
WHERE numbersetup_candidates.tenant_code = $1 AND numbersetup_candidates.setup_id = $2 AND numbersetup_candidates.line = d.line`

// heldInBlocks is a page of the held rows that are entries of blocks.
const heldInBlocks = `SELECT d.line, ` + heldNote + ` FROM numbersetup_repeated d WHERE d.line > $3
	AND NOT EXISTS (SELECT 1 FROM numbersetup_candidates c WHERE c.tenant_code = $1 AND c.setup_id = $2 AND c.line = d.line)
	ORDER BY d.line LIMIT 1000`

// finishHeld finds the rows of setup st whose number is held and makes
// them held, moving the entries of blocks out of them; st.Counts follows.
func (s *Service) finishHeld(ctx context.Context, tx *store.Tx, st *Setup) error {
	var stmts []string
	if tx.Engine() == store.Postgres {
		stmts = []string{`SET LOCAL work_mem = '64MB'`, `ANALYZE numbersetup_numbers`, `ANALYZE numbersetup_maybe`,
			`CREATE TEMP TABLE numbersetup_repeated (line integer NOT NULL, first_line integer NOT NULL) ON COMMIT DROP`,
			heldSQL, `SET LOCAL work_mem TO DEFAULT`}
	} else {
		stmts = []string{`CREATE TEMP TABLE numbersetup_repeated (line INTEGER PRIMARY KEY, first_line INTEGER NOT NULL)`, heldSQL}
	}
	start := time.Now()
	if err := execAll(ctx, tx, stmts, st.Tenant); err != nil {
		return err
	}
	s.timed("end: held and repeated found", &start)
	var some bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM numbersetup_repeated)`).Scan(&some); err != nil || !some {
		return err
	}
	held := map[string]int{}
	if err := countInto(held)(tx.Query(ctx, heldWritten, st.Tenant, st.ID)); err != nil {
		return err
	}
	for o, n := range held {
		st.Counts[o] -= n
		st.Counts[Held] += n
	}
	if _, err := tx.Exec(ctx, heldUpdate, st.Tenant, st.ID); err != nil {
		return err
	}
	after := 0
	for {
		type heldRow struct {
			line int
			note string
		}
		page, err := store.Rows(func(r store.Scanner) (heldRow, error) {
			var h heldRow
			return h, r.Scan(&h.line, &h.note)
		})(tx.Query(ctx, heldInBlocks, st.Tenant, st.ID, after))
		if err != nil || len(page) == 0 {
			return err
		}
		lines := make([]int, len(page))
		notes := make(map[int]string, len(page))
		for i, h := range page {
			lines[i], notes[h.line] = h.line, h.note
		}
		if _, err := s.takeOut(ctx, tx, st.Tenant, st.ID, lines, func(_ *block, e *entry) moved {
			st.Counts[e.outcome]--
			st.Counts[Held]++
			return moved{outcome: Held, status: Open, note: notes[e.line]}
		}); err != nil {
			return err
		}
		after = lines[len(lines)-1]
	}
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
