package numbersetup

import (
	"context"
	"errors"
	"io"
	"runtime"
	"slices"
	"sync"
	"time"

	"bango/internal/civil"
	"bango/internal/errs"
	"bango/internal/linkage"
	"bango/internal/mynumber"
	"bango/internal/store"
)

// loadBatch is how many rows travel together from the parser to the
// sealing goroutines and on to the work table.
const loadBatch = 512

// lookahead is how many batches are parsed and sealed ahead of the
// database: about a chunk (chunkRows), for bango to work while the
// database writes one.
const lookahead = 192

// candidate is one good data row on its way to the work table: what the
// parser read, then what a sealing goroutine made of it.
type candidate struct {
	line                               int
	fileCode, name, kana, sex, address string
	birth                              time.Time
	number                             mynumber.Number // until it is sealed with its block
	bidx                               []byte          // the number's blind index
	outcome, item, person, note        string          // what the people make of the row
}

type batch struct {
	rows []candidate
	err  error
	done chan struct{} // closed when every row is sealed and keyed
}

var errStopped = errors.New("numbersetup: the write stopped")

// load reads the file once, while the business's people are read on a
// connection of their own and indexed by the keys of their basic four
// items (readPeople): the linkage engine parses and checks every record
// against the layout, and the municipality's checks are made here (the
// header's and every row's municipality code must be tenant's, the
// header not dated in the future, nobody born after it). Good data rows
// go in batches to one goroutine per core that computes each number's
// blind index, keys the row's items and, once the people are indexed,
// matches the row; a row that is not an exact match has its number
// sealed for its row of the work table. The batches come back in the
// file's order: the exact matches are packed into blocks (blocks.go), the
// other rows written to the work table in chunks, every row's blind index
// to numbersetup_numbers, while the parser and sealers work up to
// lookahead batches ahead. After the first problem rows are no longer
// written, but the file is read to its end for the report; the caller
// rolls the transaction back unless the report is OK. When it is, the
// rows whose number is held are found (finishHeld). Memory stays flat in
// the size of the file (bango holds at most lookahead batches of rows and
// one chunk of each kind); the people's index is in proportion to the
// people.
func (s *Service) load(ctx context.Context, tx *store.Tx, st *Setup, l *linkage.Layout, b Business, r io.Reader) (*linkage.Report, error) {
	if err := createTemp(ctx, tx); err != nil {
		return nil, err
	}
	k := newKeyer()
	start := time.Now()
	var people *peopleIndex
	var peopleErr error
	var peopleTook time.Duration
	indexed := make(chan struct{})
	pctx, cancel := context.WithCancel(ctx)
	defer func() {
		cancel()
		<-indexed
	}()
	go func() {
		defer close(indexed)
		people, peopleErr = s.readPeople(pctx, b, st.Tenant, k)
		peopleTook = time.Since(start)
	}()
	workers := max(1, runtime.GOMAXPROCS(0))
	work := make(chan *batch, 2*workers)
	order := make(chan *batch, lookahead)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				s.seal(ctx, st, k, b, func() (*peopleIndex, error) {
					select {
					case <-indexed:
						return people, peopleErr
					case <-stop:
						return nil, errStopped
					}
				})
				close(b.done)
			}
		}()
	}

	var rep *linkage.Report
	var perr error
	parsed := make(chan struct{})
	go func() {
		defer close(parsed)
		defer close(order)
		defer close(work)
		var extra []linkage.Problem
		more := 0
		add := func(r *linkage.Record, field string, why errs.Message) {
			if len(extra) < 1000 {
				extra = append(extra, linkage.Problem{Line: r.Line, Record: r.Def.Name, Field: field, Reason: why})
			} else {
				more++
			}
		}
		// The file's date against the day in Japan: from midnight to nine
		// in the morning the server's UTC date is still yesterday's.
		today := civil.Today(s.now())
		var created time.Time
		cur := &batch{rows: make([]candidate, 0, loadBatch), done: make(chan struct{})}
		send := func() bool {
			select {
			case work <- cur:
			case <-stop:
				return false
			}
			select {
			case order <- cur:
			case <-stop:
				return false
			}
			cur = &batch{rows: make([]candidate, 0, loadBatch), done: make(chan struct{})}
			return true
		}
		rep, perr = linkage.Parse(r, l, linkage.Options{MaxBytes: s.maxBytes}, func(r *linkage.Record) error {
			switch r.Def.Role {
			case linkage.Header:
				if r.Get("municipality").Text != st.Tenant {
					add(r, "municipality", reasonOtherMunicipality)
				}
				created = r.Get("created").Date
				if created.After(today) {
					add(r, "created", reasonCreatedFuture)
				}
				return nil
			case linkage.Data:
			default:
				return nil
			}
			if r.Get("municipality").Text != st.Tenant {
				add(r, "municipality", reasonOtherMunicipality)
			}
			birth := r.Get("birth").Date
			if !created.IsZero() && birth.After(created) {
				add(r, "birth", reasonBornAfterCreated)
			}
			if len(extra) > 0 {
				return nil // the file is rejected: nothing more is written
			}
			cur.rows = append(cur.rows, candidate{line: r.Line, fileCode: r.Get("resident_code").Text, name: r.Get("name").Text,
				kana: r.Get("name_kana").Text, birth: birth, sex: r.Get("sex").Text, address: r.Get("address").Text, number: r.Get("mynumber").Number})
			if len(cur.rows) == loadBatch && !send() {
				return errStopped
			}
			return nil
		})
		if perr == nil && len(cur.rows) > 0 {
			send()
		}
		if rep != nil {
			rep.Problems = append(rep.Problems, extra...)
			rep.Total += len(extra) + more
			slices.SortStableFunc(rep.Problems, func(a, b linkage.Problem) int { return a.Line - b.Line })
			if len(rep.Problems) > 1000 {
				rep.Problems = rep.Problems[:1000]
			}
		}
	}()

	w := &rowWriter{s: s, tx: tx, st: st, seen: newSeenFilter(), exact: blockBuf{status: Submitted}, work: blockBuf{status: Open}}
	var err error
	for b := range order {
		wait := time.Now()
		<-b.done
		s.took("rows: waiting for sealed rows", wait)
		if err = b.err; err == nil {
			err = w.add(ctx, b.rows)
		}
		if err != nil {
			break
		}
	}
	if err == nil {
		err = w.flush(ctx, true)
	}
	s.timed("rows", &start)
	close(stop)
	<-parsed
	wg.Wait()
	select {
	case <-indexed:
		if s.timing != nil {
			s.timing("people (alongside)", peopleTook)
		}
	default:
	}
	if err == nil {
		err = perr
	}
	if err != nil || rep == nil || !rep.OK() {
		return rep, err
	}
	if err := s.finishHeld(ctx, tx, st); err != nil {
		return rep, err
	}
	s.timed("end", &start)
	return rep, dropTemp(ctx, tx)
}

// seal computes the blind index of each number of a batch, keys its
// rows' basic four items and matches them against the people (ready
// waits for their index); the number of a row that is not an exact match
// is sealed for its row of the work table.
func (s *Service) seal(ctx context.Context, st *Setup, k keyer, b *batch, ready func() (*peopleIndex, error)) {
	type keys struct {
		all   key
		three [4]key
	}
	ks := make([]keys, len(b.rows))
	for i := range b.rows {
		c := &b.rows[i]
		idx, err := s.vault.NumberIndex(ctx, st.Tenant, c.number)
		if err != nil {
			b.err = err
			return
		}
		c.bidx = idx
		ks[i].all, ks[i].three = k.keys(Person{Name: c.name, Birth: c.birth, Sex: c.sex, Address: c.address})
	}
	people, err := ready()
	if err != nil {
		b.err = err
		return
	}
	for i := range b.rows {
		c := &b.rows[i]
		c.outcome, c.item, c.person, c.note = people.match(ks[i].all, ks[i].three)
	}
}

// rowWriter writes the import's rows as they come, packed: the exact
// matches into blocks of their own waiting for the checker, the others
// into blocks for the work list; every row's blind index into
// numbersetup_numbers; it counts them by outcome.
type rowWriter struct {
	s       *Service
	tx      *store.Tx
	st      *Setup
	ids     int // the last block's
	exact   blockBuf
	work    blockBuf
	numbers [][]any
	seen    seenFilter
	maybe   [][]any
}

// numberChunk is how many blind indexes are written together.
const numberChunk = 1 << 16

func (w *rowWriter) add(ctx context.Context, rows []candidate) error {
	for i := range rows {
		c := &rows[i]
		w.st.Counts[c.outcome]++
		w.numbers = append(w.numbers, []any{c.line, c.bidx})
		if w.seen.seen(c.bidx) || everySeen {
			w.maybe = append(w.maybe, []any{c.bidx})
		}
		buf := &w.work
		if c.outcome == Exact {
			buf = &w.exact
		}
		buf.add(&entry{line: c.line, fileCode: c.fileCode, name: c.name, kana: c.kana, sex: c.sex, address: c.address,
			person: c.person, outcome: c.outcome, item: c.item, note: c.note, birth: c.birth}, c.number)
		c.number = mynumber.Number{}
		if buf.n == blockEntries {
			start := time.Now()
			if err := w.s.flushBlock(ctx, w.tx, w.st, buf, &w.ids, false); err != nil {
				return err
			}
			w.s.took("rows: blocks", start)
		}
	}
	return w.flush(ctx, false)
}

// flush writes the blind indexes when a chunk of them is full, and all
// that is left when last.
func (w *rowWriter) flush(ctx context.Context, last bool) error {
	if len(w.numbers) >= numberChunk || last && len(w.numbers) > 0 {
		start := time.Now()
		if err := copyRows(ctx, w.tx, store.Bulk{Table: "numbersetup_numbers", Columns: []string{"line", "bidx"}}, w.numbers); err != nil {
			return err
		}
		w.s.took("rows: numbers", start)
		w.numbers = w.numbers[:0]
		if len(w.maybe) > 0 {
			if err := copyRows(ctx, w.tx, store.Bulk{Table: "numbersetup_maybe", Columns: []string{"bidx"}}, w.maybe); err != nil {
				return err
			}
			w.maybe = w.maybe[:0]
		}
	}
	if !last {
		return nil
	}
	if err := w.s.flushBlock(ctx, w.tx, w.st, &w.exact, &w.ids, true); err != nil {
		return err
	}
	return w.s.flushBlock(ctx, w.tx, w.st, &w.work, &w.ids, true)
}

func copyRows(ctx context.Context, tx *store.Tx, b store.Bulk, rows [][]any) error {
	i := 0
	_, err := tx.Bulk(ctx, b, func() ([]any, error) {
		if i == len(rows) {
			return nil, nil
		}
		i++
		return rows[i-1], nil
	})
	clear(rows)
	return err
}
