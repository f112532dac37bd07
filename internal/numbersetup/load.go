package numbersetup

import (
	"context"
	"errors"
	"io"
	"runtime"
	"slices"
	"strconv"
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

// candidate is one good data row on its way to the work table: what the
// parser read, then what a sealing goroutine made of it.
type candidate struct {
	line                               int
	fileCode, name, kana, sex, address string
	birth                              time.Time
	number                             mynumber.Number
	sealed                             vault.SealedNumber
	res                                match
}

type batch struct {
	rows []candidate
	err  error
	done chan struct{} // closed when every row is sealed and matched
}

var errStopped = errors.New("numbersetup: the write stopped")

// load reads the file once: the linkage engine parses and checks every
// record against the layout, and the municipality's checks are made here
// (the header's and every row's municipality code must be tenant's, the
// header not dated in the future, nobody born after it). Good data rows
// go in batches to one goroutine per core that seals each number with
// the vault (bound to its setup and line, with its blind index) and
// matches the row against the people; the batches come back in the
// file's order, where the numbers already held or repeated within the
// file are told apart, and go into the work table through the
// transaction's bulk path while the parser reads on. After the first
// problem rows are no longer written, but the file is read to its end for
// the report; the caller rolls the transaction back unless the report is
// OK. Memory stays flat in the file's size.
func (s *Service) load(ctx context.Context, tx *store.Tx, st *Setup, l *linkage.Layout, m *matcher, r io.Reader) (*linkage.Report, error) {
	workers := max(1, runtime.GOMAXPROCS(0))
	work := make(chan *batch, 2*workers)
	order := make(chan *batch, 4*workers)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				s.seal(ctx, st, m, b)
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
	seen := map[[vault.IndexLen]byte]int32{} // blind index → line, for a number given twice in the file
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
		idx := [vault.IndexLen]byte(c.sealed.Index)
		res := c.res
		switch {
		case m.held[string(c.sealed.Index)]:
			res = match{outcome: Held, note: "held_by_resident"}
		case seen[idx] != 0:
			res = match{outcome: Held, note: "repeated_in_file line=" + strconv.Itoa(int(seen[idx]))}
		default:
			seen[idx] = int32(c.line)
		}
		st.Counts[res.outcome]++
		return []any{st.Tenant, st.ID, c.line, c.fileCode, c.name, c.kana, store.DateArg(e, c.birth), c.sex, c.address,
			c.sealed.Sealed, c.sealed.Index, c.sealed.KeyVersion, res.outcome, res.item, res.person, statusOf(res.outcome), res.note}, nil
	}
	_, err := tx.CopyFrom(ctx, "numbersetup_candidates", candidateColumns, next)
	close(stop)
	<-parsed
	wg.Wait()
	if err != nil {
		return rep, err
	}
	return rep, perr
}

// seal seals a batch's numbers and then, once the people are read,
// matches its rows.
func (s *Service) seal(ctx context.Context, st *Setup, m *matcher, b *batch) {
	for k := range b.rows {
		c := &b.rows[k]
		sn, err := s.vault.SealNumber(ctx, candidateBinding(st.Tenant, st.ID, c.line), c.number)
		if err != nil {
			b.err = err
			return
		}
		c.sealed, c.number = sn, mynumber.Number{}
	}
	select {
	case <-m.ready:
	case <-ctx.Done():
		b.err = ctx.Err()
		return
	}
	if m.err != nil {
		b.err = m.err
		return
	}
	for k := range b.rows {
		c := &b.rows[k]
		c.res = m.match(Person{Name: c.name, Birth: c.birth, Sex: c.sex, Address: c.address})
	}
}
