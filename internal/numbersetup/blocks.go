package numbersetup

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"sort"
	"strconv"
	"strings"
	"time"

	"bango/internal/errs"
	"bango/internal/mynumber"
	"bango/internal/store"
	"bango/internal/vault"
)

// The exact matches of a setup are kept packed (migration 0057): entries
// of blocks of up to blockEntries, in the file's order, each block one row
// of numbersetup_blocks with its entries' items (line, the file's
// resident code, name, kana, birth date, sex, address, the person
// matched) and their numbers, twelve digits an entry, sealed as one value
// bound to the setup and the block. A block is written by the import
// instead of a thousand rows of the work table, which is under row-level
// security and so takes no COPY. What staff see is unchanged: a block's
// entries are candidates with outcome exact and the block's status
// (submitted while the checker's confirmation waits, open once it was
// rejected, applied once confirmed), listed by line among the work
// table's rows. An entry that must become a row of its own — its number
// turned out held or repeated at the end of the import, staff resolve or
// discard it after a rejection, or its registration failed — moves out of
// its block (takeOut): the block is written again without it.

// blockEntries is how many exact matches a block holds.
var blockEntries = 1024

const digitsLen = 12

// entry is one exact match of a block.
type entry struct {
	line                                       int
	fileCode, name, kana, sex, address, person string
	birth                                      time.Time
}

// block is one row of numbersetup_blocks, its items decoded.
type block struct {
	id, first, last int
	entries         []entry
	sealed          []byte // the entries' numbers; nil once applied
	status          string
	note, decidedBy string
}

func blockBinding(tenant string, setup int64, id int) vault.Binding {
	return vault.Binding{Tenant: tenant, Table: "numbersetup_blocks", Column: "mynumber", Row: strconv.FormatInt(setup, 10) + ":" + strconv.Itoa(id)}
}

func appendEntry(b []byte, e *entry) []byte {
	b = binary.AppendUvarint(b, uint64(e.line))
	y, m, d := e.birth.Date()
	b = binary.AppendUvarint(b, uint64(y*10000+int(m)*100+d))
	for _, s := range [...]string{e.fileCode, e.name, e.kana, e.sex, e.address, e.person} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b
}

var errBadItems = errs.E(errs.Internal, "numbersetup: a block's items do not decode")

func decodeEntries(b []byte, n int) ([]entry, error) {
	out := make([]entry, 0, n)
	num := func() (uint64, bool) {
		v, k := binary.Uvarint(b)
		if k <= 0 {
			return 0, false
		}
		b = b[k:]
		return v, true
	}
	for range n {
		var e entry
		line, ok1 := num()
		ymd, ok2 := num()
		if !ok1 || !ok2 {
			return nil, errBadItems
		}
		e.line = int(line)
		e.birth = time.Date(int(ymd/10000), time.Month(ymd/100%100), int(ymd%100), 0, 0, 0, 0, time.UTC)
		for _, p := range [...]*string{&e.fileCode, &e.name, &e.kana, &e.sex, &e.address, &e.person} {
			l, ok := num()
			if !ok || uint64(len(b)) < l {
				return nil, errBadItems
			}
			*p, b = string(b[:l]), b[l:]
		}
		out = append(out, e)
	}
	if len(b) != 0 {
		return nil, errBadItems
	}
	return out, nil
}

const selectBlock = `SELECT block, first_line, last_line, entries, items, mynumber_sealed, status, note, decided_by FROM numbersetup_blocks`

func scanBlock(row store.Scanner) (block, error) {
	var b block
	var n int
	var items []byte
	if err := row.Scan(&b.id, &b.first, &b.last, &n, &items, &b.sealed, &b.status, &b.note, &b.decidedBy); err != nil {
		return b, err
	}
	var err error
	b.entries, err = decodeEntries(items, n)
	return b, err
}

// candidate is entry i of b as staff see it.
func (b *block) candidate(setup int64, i int) Candidate {
	e := &b.entries[i]
	c := Candidate{Setup: setup, Line: e.line, FileCode: e.fileCode, Name: e.name, NameKana: e.kana, Birth: e.birth, Sex: e.sex,
		Address: e.address, Outcome: Exact, PersonCode: e.person, Status: b.status, Note: b.note, DecidedBy: b.decidedBy}
	if b.sealed != nil {
		c.MyNumber = mynumber.Mask
	}
	return c
}

// find is the index of the entry of line, or -1.
func (b *block) find(line int) int {
	i := sort.Search(len(b.entries), func(i int) bool { return b.entries[i].line >= line })
	if i < len(b.entries) && b.entries[i].line == line {
		return i
	}
	return -1
}

// blockBuf gathers the import's exact matches into blocks, and the
// blocks sealed into statements of up to blocksAStatement (one round trip
// for several blocks: with the parser and the sealers busy on every core,
// each round trip also waits to be scheduled again).
type blockBuf struct {
	next    int
	n       int
	first   int
	last    int
	items   []byte
	digits  []byte
	pending []any // the sealed blocks' columns, blockColumns a block
}

const (
	blocksAStatement = 16
	blockColumns     = 9
)

func (w *blockBuf) add(e *entry, digits string) {
	if w.n == 0 {
		w.first = e.line
	}
	w.last = e.line
	w.n++
	w.items = appendEntry(w.items, e)
	w.digits = append(w.digits, digits...)
}

// flushBlock seals the block gathered, waiting for the checker's
// confirmation, and writes the blocks sealed when there are
// blocksAStatement of them, or all when last.
func (s *Service) flushBlock(ctx context.Context, tx *store.Tx, st *Setup, w *blockBuf, last bool) error {
	if w.n > 0 {
		w.next++
		sealed, ver, err := s.vault.Seal(ctx, blockBinding(st.Tenant, st.ID, w.next), w.digits)
		clear(w.digits)
		if err != nil {
			return err
		}
		w.pending = append(w.pending, st.Tenant, st.ID, w.next, w.first, w.last, w.n, w.items, sealed, ver)
		w.n, w.items, w.digits = 0, nil, w.digits[:0]
	}
	k := len(w.pending) / blockColumns
	if k == 0 || k < blocksAStatement && !last {
		return nil
	}
	var q strings.Builder
	q.WriteString(`INSERT INTO numbersetup_blocks (tenant_code, setup_id, block, first_line, last_line, entries, items, mynumber_sealed, mynumber_key_version, status) VALUES `)
	for i := range k {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(" + placeholders(1+i*blockColumns, blockColumns) + ", 'submitted')")
	}
	if _, err := tx.Exec(ctx, q.String(), w.pending...); err != nil {
		return err
	}
	clear(w.pending)
	w.pending = w.pending[:0]
	return nil
}

// openDigits opens a block's numbers.
func (s *Service) openDigits(ctx context.Context, tenant string, setup int64, b *block) ([]byte, error) {
	d, err := s.vault.Open(ctx, blockBinding(tenant, setup, b.id), b.sealed)
	if err != nil {
		return nil, err
	}
	if len(d) != digitsLen*len(b.entries) {
		clear(d)
		return nil, errs.E(errs.Internal, "numbersetup: block %d of setup %d holds %d bytes of numbers for %d entries", b.id, setup, len(d), len(b.entries))
	}
	return d, nil
}

// rewriteBlock writes b back after entries moved out of it (digits: the
// numbers of those left, sealed again; nil once applied), or deletes it
// when none is left.
func (s *Service) rewriteBlock(ctx context.Context, tx *store.Tx, tenant string, setup int64, b *block, digits []byte) error {
	if len(b.entries) == 0 {
		_, err := tx.Exec(ctx, `DELETE FROM numbersetup_blocks WHERE tenant_code = $1 AND setup_id = $2 AND block = $3`, tenant, setup, b.id)
		return err
	}
	var items []byte
	for i := range b.entries {
		items = appendEntry(items, &b.entries[i])
	}
	var sealed []byte
	var ver *int
	if digits != nil {
		var v int
		var err error
		if sealed, v, err = s.vault.Seal(ctx, blockBinding(tenant, setup, b.id), digits); err != nil {
			return err
		}
		ver = &v
	}
	b.first, b.last, b.sealed = b.entries[0].line, b.entries[len(b.entries)-1].line, sealed
	_, err := tx.Exec(ctx, `UPDATE numbersetup_blocks SET first_line = $1, last_line = $2, entries = $3, items = $4, mynumber_sealed = $5,
		mynumber_key_version = $6, status = $7, note = $8, decided_by = $9 WHERE tenant_code = $10 AND setup_id = $11 AND block = $12`,
		b.first, b.last, len(b.entries), items, sealed, ver, b.status, b.note, b.decidedBy, tenant, setup, b.id)
	return err
}

// blockOf reads the block that may hold line (the first whose last line
// is not before it), or nil.
func blockOf(ctx context.Context, tx *store.Tx, tenant string, setup int64, line int) (*block, error) {
	b, err := scanBlock(tx.QueryRow(ctx, selectBlock+` WHERE tenant_code = $1 AND setup_id = $2 AND last_line >= $3 ORDER BY last_line LIMIT 1`,
		tenant, setup, line))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return &b, err
}

// moved is what an entry taken out of its block becomes: a row of the
// work table.
type moved struct {
	outcome, status, note, decidedBy string
}

// takeOut moves the entries of lines (ascending) that are in open or
// submitted blocks out of them into rows of the work table, each as row
// says (the block as it was, the entry), with its number sealed for the
// row. Lines in no block are passed over. It returns how many moved.
func (s *Service) takeOut(ctx context.Context, tx *store.Tx, tenant string, setup int64, lines []int, row func(*block, *entry) moved) (int, error) {
	var cur *block
	var digits []byte
	dirty := false
	done := func() error {
		defer clear(digits)
		if cur == nil || !dirty {
			return nil
		}
		return s.rewriteBlock(ctx, tx, tenant, setup, cur, digits)
	}
	n := 0
	for _, line := range lines {
		if cur == nil || line > cur.last {
			if err := done(); err != nil {
				return n, err
			}
			var err error
			if cur, err = blockOf(ctx, tx, tenant, setup, line); err != nil {
				return n, err
			}
			digits, dirty = nil, false
			if cur == nil {
				break
			}
			if cur.sealed != nil {
				if digits, err = s.openDigits(ctx, tenant, setup, cur); err != nil {
					return n, err
				}
			}
		}
		i := cur.find(line)
		if i < 0 || cur.sealed == nil {
			continue
		}
		e := cur.entries[i]
		m := row(cur, &e)
		if err := s.insertRow(ctx, tx, tenant, setup, &e, string(digits[i*digitsLen:(i+1)*digitsLen]), m); err != nil {
			return n, err
		}
		cur.entries = append(cur.entries[:i], cur.entries[i+1:]...)
		digits = append(digits[:i*digitsLen], digits[(i+1)*digitsLen:]...)
		dirty = true
		n++
	}
	return n, done()
}

// insertRow writes entry e, with its number, as a row of the work table.
func (s *Service) insertRow(ctx context.Context, tx *store.Tx, tenant string, setup int64, e *entry, digits string, m moved) error {
	num, err := mynumber.Parse(digits)
	if err != nil {
		return errs.Wrap(errs.Internal, err, "numbersetup: a block's number")
	}
	sn, err := s.vault.SealNumber(ctx, candidateBinding(tenant, setup, e.line), num)
	if err != nil {
		return err
	}
	person := e.person
	if m.outcome != Exact {
		person = ""
	}
	_, err = tx.Exec(ctx, `INSERT INTO numbersetup_candidates (`+candidateColumns+`, decided_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, '', $14, $15, $16, $17)`,
		tenant, setup, e.line, e.fileCode, e.name, e.kana, store.DateArg(tx.Engine(), e.birth), e.sex, e.address,
		sn.Sealed, sn.Index, sn.KeyVersion, m.outcome, person, m.status, m.note, m.decidedBy)
	return err
}
