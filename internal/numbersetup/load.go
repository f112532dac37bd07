package numbersetup

import (
	"context"
	"errors"
	"io"
	"runtime"
	"slices"
	"sync"
	"time"

	"bango/internal/errs"
	"bango/internal/linkage"
	"bango/internal/mynumber"
	"bango/internal/store"
	"bango/internal/vault"
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
	number                             mynumber.Number
	sealed                             vault.SealedNumber
	all                                int64    // the key of the basic four items
	three                              [4]int64 // the keys of three of them
}

type batch struct {
	rows []candidate
	err  error
	done chan struct{} // closed when every row is sealed and keyed
}

var errStopped = errors.New("numbersetup: the write stopped")

// load reads the file once, and meanwhile copies the business's people,
// keyed, into numbersetup_people and counts their exact keys (copyPeople,
// indexPeople) before the first chunk is written: the linkage engine parses and
// checks every record against the layout, and the municipality's checks
// are made here (the header's and every row's municipality code must be
// tenant's, the header not dated in the future, nobody born after it).
// Good data rows go in batches to one goroutine per core that seals each
// number with the vault (bound to its setup and line, with its blind
// index) and keys its basic four items; the batches come back in the
// file's order into numbersetup_chunk, and each chunk of chunkRows into
// the work table (writeChunk) while the parser and sealers work up to
// lookahead batches ahead (also while the people are copied). After the first problem rows are no longer
// written, but the file is read to its end for the report; the caller
// rolls the transaction back unless the report is OK. When it is, the
// near matches and repeated numbers are found and the rows held back
// written (finishMatch). Memory stays
// flat in the size of the file and of the people: bango holds at most
// lookahead batches of rows and a few of people.
func (s *Service) load(ctx context.Context, tx *store.Tx, st *Setup, l *linkage.Layout, b Business, r io.Reader) (*linkage.Report, error) {
	if err := createTemp(ctx, tx); err != nil {
		return nil, err
	}
	k := newKeyer()
	workers := max(1, runtime.GOMAXPROCS(0))
	work := make(chan *batch, 2*workers)
	// Rows sealed ahead while the database writes a chunk.
	order := make(chan *batch, lookahead)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				s.seal(ctx, st, k, b)
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
		today := s.now()
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

	e := tx.Engine()
	var cur *batch
	i := 0
	next := func() ([]any, error) {
		for cur == nil || i >= len(cur.rows) {
			b, ok := <-order
			if !ok {
				<-parsed
				if perr != nil {
					return nil, perr
				}
				return nil, nil
			}
			<-b.done
			if b.err != nil {
				return nil, b.err
			}
			cur, i = b, 0
		}
		c := &cur.rows[i]
		i++
		return []any{c.line, c.fileCode, c.name, c.kana, store.DateArg(e, c.birth), c.sex, c.address,
			c.sealed.Sealed, c.sealed.Index, c.sealed.KeyVersion, c.all, c.three[0], c.three[1], c.three[2], c.three[3]}, nil
	}
	// The people are keyed and counted while the file's first rows are
	// parsed and sealed.
	start := time.Now()
	err := s.copyPeople(ctx, tx, b, st.Tenant, k)
	s.timed("people", &start)
	if err == nil {
		err = indexPeople(ctx, tx)
		s.timed("exact", &start)
	}
	size := chunkSize(e)
	for more := true; more && err == nil; {
		n := 0
		_, err = tx.CopyFrom(ctx, "numbersetup_chunk", rowColumns, func() ([]any, error) {
			if n == size {
				return nil, nil
			}
			row, err := next()
			if row == nil {
				more = false
			} else {
				n++
			}
			return row, err
		})
		s.timed("chunk copy", &start)
		if err == nil && n > 0 {
			err = writeChunk(ctx, tx, st)
			s.timed("chunk write", &start)
		}
	}
	close(stop)
	<-parsed
	wg.Wait()
	if err == nil {
		err = perr
	}
	if err != nil || rep == nil || !rep.OK() {
		return rep, err
	}
	if err := finishMatch(ctx, tx, st); err != nil {
		return rep, err
	}
	s.timed("end", &start)
	return rep, dropTemp(ctx, tx)
}

// seal seals a batch's numbers and keys its rows' basic four items.
func (s *Service) seal(ctx context.Context, st *Setup, k keyer, b *batch) {
	for i := range b.rows {
		c := &b.rows[i]
		sn, err := s.vault.SealNumber(ctx, candidateBinding(st.Tenant, st.ID, c.line), c.number)
		if err != nil {
			b.err = err
			return
		}
		c.sealed, c.number = sn, mynumber.Number{}
		c.all, c.three = k.keys(Person{Name: c.name, Birth: c.birth, Sex: c.sex, Address: c.address})
	}
}
