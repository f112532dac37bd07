package numbersetup

import (
	"context"
	"encoding/binary"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"bango/internal/errs"
	"bango/internal/mynumber"
	"bango/internal/store"
	"bango/internal/vault"
)

// The rows of a setup's work table are written packed (migration 0057):
// entries of blocks of up to blockEntries, each block one row of
// numbersetup_blocks with its entries' items (line, the file's resident
// code, name, kana, birth date, sex, address, the outcome, the item that
// differs, the person matched, the note) and their numbers, twelve digits
// an entry, sealed as one value bound to the setup and the block. A block
// is written by the import instead of a thousand rows of the work table,
// which is under row-level security and so takes no COPY. The exact
// matches go into blocks of their own, waiting for the checker's one
// confirmation of them all (status submitted; open once it was rejected,
// applied once confirmed), the rows for the work list into others (open).
// What staff see is unchanged: a block's entries are candidates with the
// block's status, listed by line among the work table's rows. An entry
// that staff resolve or discard, whose number turned out held or repeated
// at the end of the import, or whose registration failed, moves out of its
// block into a row of numbersetup_candidates (takeOut): the block is
// written again without it. The two kinds of block follow the file, each
// in order, so that a line lies within at most one block of each kind.

// blockEntries is how many exact matches a block holds.
var blockEntries = 1024

// entry is one row of a block.
type entry struct {
	line                                       int
	fileCode, name, kana, sex, address, person string
	outcome, item, note                        string
	birth                                      time.Time
}

// codeOf is s's index in list plus one (0: "").
func codeOf(list []string, s string) uint64 {
	for i, v := range list {
		if v == s {
			return uint64(i + 1)
		}
	}
	return 0
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
	b = binary.AppendUvarint(b, codeOf(Outcomes, e.outcome)<<3|codeOf(diffItems[:], e.item))
	for _, s := range [...]string{e.fileCode, e.name, e.kana, e.sex, e.address, e.person, e.note} {
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
		codes, ok3 := num()
		o, it := codes>>3, codes&7
		if !ok1 || !ok2 || !ok3 || o == 0 || o > uint64(len(Outcomes)) || it > uint64(len(diffItems)) {
			return nil, errBadItems
		}
		e.line = int(line)
		e.birth = time.Date(int(ymd/10000), time.Month(ymd/100%100), int(ymd%100), 0, 0, 0, 0, time.UTC)
		e.outcome = Outcomes[o-1]
		if it > 0 {
			e.item = diffItems[it-1]
		}
		for _, p := range [...]*string{&e.fileCode, &e.name, &e.kana, &e.sex, &e.address, &e.person, &e.note} {
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
		Address: e.address, Outcome: e.outcome, DiffItem: e.item, PersonCode: e.person, Status: b.status, Note: b.noteOf(e), DecidedBy: b.decidedBy}
	if b.sealed != nil {
		c.MyNumber = mynumber.Mask
	}
	return c
}

// noteOf is entry e's note: its own (four_items, three_items), else the
// block's (a rejection's).
func (b *block) noteOf(e *entry) string {
	if e.note != "" {
		return e.note
	}
	return b.note
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
	status  string // of the blocks written: submitted (exact matches) or open
	n       int
	first   int
	last    int
	items   []byte
	nums    []mynumber.Number
	pending []any // the sealed blocks' columns, blockColumns a block
}

const (
	blocksAStatement = 16
	blockColumns     = 10
)

func (w *blockBuf) add(e *entry, num mynumber.Number) {
	if w.n == 0 {
		w.first = e.line
	}
	w.last = e.line
	w.n++
	w.items = appendEntry(w.items, e)
	w.nums = append(w.nums, num)
}

// flushBlock seals the block gathered, waiting for the checker's
// confirmation, and writes the blocks sealed when there are
// blocksAStatement of them, or all when last.
func (s *Service) flushBlock(ctx context.Context, tx *store.Tx, st *Setup, w *blockBuf, ids *int, last bool) error {
	if w.n > 0 {
		*ids++
		sealed, ver, err := s.vault.SealNumbers(ctx, blockBinding(st.Tenant, st.ID, *ids), w.nums)
		clear(w.nums)
		if err != nil {
			return err
		}
		w.pending = append(w.pending, st.Tenant, st.ID, *ids, w.first, w.last, w.n, w.items, sealed, ver, w.status)
		w.n, w.items, w.nums = 0, nil, w.nums[:0]
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
		q.WriteString("(" + placeholders(1+i*blockColumns, blockColumns) + ")")
	}
	if _, err := tx.Exec(ctx, q.String(), w.pending...); err != nil {
		return err
	}
	clear(w.pending)
	w.pending = w.pending[:0]
	return nil
}

// openNumbers opens a block's numbers, one an entry.
func (s *Service) openNumbers(ctx context.Context, tenant string, setup int64, b *block) ([]mynumber.Number, error) {
	return s.vault.OpenNumbers(ctx, blockBinding(tenant, setup, b.id), b.sealed, len(b.entries))
}

// rewriteBlock writes b back after entries moved out of it (nums: the
// numbers of those left, sealed again; nil once applied), or deletes it
// when none is left.
func (s *Service) rewriteBlock(ctx context.Context, tx *store.Tx, tenant string, setup int64, b *block, nums []mynumber.Number) error {
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
	if nums != nil {
		var v int
		var err error
		if sealed, v, err = s.vault.SealNumbers(ctx, blockBinding(tenant, setup, b.id), nums); err != nil {
			return err
		}
		ver = &v
	}
	b.first, b.last, b.sealed = b.entries[0].line, b.entries[len(b.entries)-1].line, sealed
	res, err := tx.Exec(ctx, `UPDATE numbersetup_blocks SET first_line = $1, last_line = $2, entries = $3, items = $4, mynumber_sealed = $5,
		mynumber_key_version = $6, status = $7, note = $8, decided_by = $9 WHERE tenant_code = $10 AND setup_id = $11 AND block = $12`,
		b.first, b.last, len(b.entries), items, sealed, ver, b.status, b.note, b.decidedBy, tenant, setup, b.id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		// Gone since it was read: never write what was taken out again.
		return errs.E(errs.Conflict, "numbersetup: block %d of setup %d changed while it was being written", b.id, setup)
	}
	return nil
}

// blocksAt reads the blocks whose lines span line (at most one of each
// kind).
func blocksAt(ctx context.Context, tx *store.Tx, tenant string, setup int64, line int) ([]block, error) {
	return store.Rows(scanBlock)(tx.Query(ctx, selectBlock+` WHERE tenant_code = $1 AND setup_id = $2 AND last_line >= $3 AND first_line <= $3`,
		tenant, setup, line))
}

// moved is what an entry taken out of its block becomes: a row of the
// work table.
type moved struct {
	outcome, item, status, note, decidedBy string
}

// loaded is a block read for takeOut, its numbers opened.
type loaded struct {
	b     block
	nums  []mynumber.Number
	dirty bool
}

// takeOut moves the entries of lines (ascending) that are in blocks not
// applied out of them into rows of the work table, each as row says (the
// block as it was, the entry), with its number sealed for the row. Lines
// in no block are passed over. It returns how many moved.
func (s *Service) takeOut(ctx context.Context, tx *store.Tx, tenant string, setup int64, lines []int, row func(*block, *entry) moved) (int, error) {
	var open []*loaded
	done := func(l *loaded) error {
		defer clear(l.nums)
		if !l.dirty {
			return nil
		}
		return s.rewriteBlock(ctx, tx, tenant, setup, &l.b, l.nums)
	}
	n := 0
	for _, line := range lines {
		// Blocks passed are written back.
		kept := open[:0]
		for _, l := range open {
			if l.b.last < line {
				if err := done(l); err != nil {
					return n, err
				}
				continue
			}
			kept = append(kept, l)
		}
		open = kept
		var at *loaded
		i := -1
		for _, l := range open {
			if i = l.b.find(line); i >= 0 {
				at = l
				break
			}
		}
		if at == nil {
			bs, err := blocksAt(ctx, tx, tenant, setup, line)
			if err != nil {
				return n, err
			}
			for _, b := range bs {
				if b.sealed == nil || slices.ContainsFunc(open, func(l *loaded) bool { return l.b.id == b.id }) {
					continue
				}
				l := &loaded{b: b}
				if l.nums, err = s.openNumbers(ctx, tenant, setup, &l.b); err != nil {
					return n, err
				}
				open = append(open, l)
				if j := l.b.find(line); j >= 0 {
					at, i = l, j
				}
			}
		}
		if at == nil {
			continue
		}
		e := at.b.entries[i]
		if err := s.insertRow(ctx, tx, tenant, setup, &e, at.nums[i], row(&at.b, &e)); err != nil {
			return n, err
		}
		at.b.entries = slices.Delete(at.b.entries, i, i+1)
		at.nums = slices.Delete(at.nums, i, i+1)
		at.dirty = true
		n++
	}
	for _, l := range open {
		if err := done(l); err != nil {
			return n, err
		}
	}
	return n, nil
}

// insertRow writes entry e, with its number, as a row of the work table.
func (s *Service) insertRow(ctx context.Context, tx *store.Tx, tenant string, setup int64, e *entry, num mynumber.Number, m moved) error {
	sn, err := s.vault.SealNumber(ctx, candidateBinding(tenant, setup, e.line), num)
	if err != nil {
		return err
	}
	person, item := e.person, m.item
	if m.outcome == Held {
		person, item = "", ""
	}
	_, err = tx.Exec(ctx, `INSERT INTO numbersetup_candidates (`+candidateColumns+`, decided_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
		tenant, setup, e.line, e.fileCode, e.name, e.kana, store.DateArg(tx.Engine(), e.birth), e.sex, e.address,
		sn.Sealed, sn.Index, sn.KeyVersion, m.outcome, item, person, m.status, m.note, m.decidedBy)
	return err
}
