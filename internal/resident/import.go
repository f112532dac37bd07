package resident

import (
	"context"
	"errors"
	"iter"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"time"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/store"
	"bango/internal/vault"
)

// Record is one resident read from a file, with its line for the report.
type Record struct {
	Line int
	Input
}

// ImportReport counts what an import stored.
type ImportReport struct {
	Rows         int64 `json:"rows"`
	WithMyNumber int64 `json:"with_mynumber"`
}

// maxReported caps the field errors kept for the report: a wholly wrong
// file should produce a readable report, not a million lines.
const maxReported = 1000

const chunkSize = 512

type chunk struct {
	records []Record
	rows    []row
	lines   []int
	errs    []errs.FieldError
}

var errRejected = errors.New("import rejected")

// Import stores every record in one transaction, or none. Records are
// validated and sealed in parallel while one writer streams them into the
// database; after the first wrong record nothing more is written, but every
// record is still checked, so the report lists all the wrong fields (up to
// maxReported) by line. Duplicates are caught within the file and against
// the municipality's stored residents, and name the holder, never a number.
func (s *Service) Import(ctx context.Context, tenant string, records iter.Seq[Record]) (rep ImportReport, err error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	defer errs.Annotate(&err, "resident.Import(%s)", tenant)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	now := s.now()

	raw := make(chan *chunk, 4)
	go func() {
		defer close(raw)
		c := &chunk{}
		for rec := range records {
			c.records = append(c.records, rec)
			if len(c.records) == chunkSize {
				select {
				case raw <- c:
				case <-ctx.Done():
					return
				}
				c = &chunk{}
			}
		}
		if len(c.records) > 0 {
			select {
			case raw <- c:
			case <-ctx.Done():
			}
		}
	}()

	prepared := make(chan *chunk, 4)
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range raw {
				s.prepareChunk(ctx, tenant, c, now)
				select {
				case prepared <- c:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(prepared) }()

	w := &importWriter{codes: make(map[uint64]int32, 4096), numbers: make(map[[16]byte]int32, 4096)}
	err = s.db.TransactOnce(ctx, func(tx *store.Tx) error {
		if err := store.TenantExists(ctx, tx, tenant); err != nil {
			return err
		}
		var current *chunk
		var i int
		next := func() ([]any, error) {
			for {
				if current != nil && i < len(current.rows) {
					r := current.rows[i]
					line := current.lines[i]
					i++
					if !w.check(r, line) {
						return nil, errRejected
					}
					rep.Rows++
					if r.bidx != nil {
						rep.WithMyNumber++
					}
					if tx.Engine() == store.Postgres {
						return r.stagedValues(), nil
					}
					return r.values(tx.Engine()), nil
				}
				c, ok := <-prepared
				if !ok {
					return nil, nil
				}
				w.add(c.errs...)
				current, i = c, 0
				if len(w.report) > 0 {
					return nil, errRejected
				}
			}
		}
		_, err := copyResidents(ctx, tx, tenant, now, next)
		rejected := errors.Is(err, errRejected)
		if rejected || errs.Is(err, errs.Conflict) {
			// Keep checking the rest, so that the report is complete.
			if current != nil {
				for ; i < len(current.rows); i++ {
					w.check(current.rows[i], current.lines[i])
				}
			}
			for c := range prepared {
				w.add(c.errs...)
				for j, r := range c.rows {
					w.check(r, c.lines[j])
				}
			}
		}
		if rejected {
			return w.fieldErrors()
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: "resident.import", Subject: audit.Subject{Type: "residents"},
			Outcome: audit.OK, Detail: "rows=" + strconv.FormatInt(rep.Rows, 10) + " with_mynumber=" + strconv.FormatInt(rep.WithMyNumber, 10)})
	})
	if errs.Is(err, errs.Conflict) && errs.Fields(err) == nil {
		// The file clashes with stored residents; find out which lines.
		if ferr := s.findStoredDuplicates(context.WithoutCancel(ctx), tenant, w); ferr != nil {
			err = ferr
		}
	}
	if err != nil {
		s.log.WarnContext(ctx, "resident import rejected", "tenant", tenant, "wrong_fields", w.total)
		return ImportReport{}, s.failed(context.WithoutCancel(ctx), tenant, "resident.import", audit.Subject{Type: "residents"}, err)
	}
	s.log.InfoContext(ctx, "residents imported", "tenant", tenant, "rows", rep.Rows, "with_mynumber", rep.WithMyNumber)
	return rep, nil
}

func (s *Service) prepareChunk(ctx context.Context, tenant string, c *chunk, now time.Time) {
	for _, rec := range c.records {
		v, err := validate(rec.Input, now)
		if err != nil {
			for _, f := range errs.Fields(err) {
				f.Line = rec.Line
				c.errs = append(c.errs, f)
			}
			continue
		}
		r, err := s.prepare(ctx, tenant, v, now)
		if err != nil {
			c.errs = append(c.errs, errs.FieldError{Line: rec.Line, Field: "mynumber", Reason: errs.Message{JA: "暗号化できません: " + err.Error(), EN: "cannot be sealed: " + err.Error()}})
			continue
		}
		c.rows = append(c.rows, r)
		c.lines = append(c.lines, rec.Line)
	}
	c.records = nil
}

// importWriter tracks what the file holds, to catch duplicates inside it
// and to find clashes with stored rows, and gathers the report. Its maps
// hold no pointers, so that a million entries cost the GC nothing to scan.
type importWriter struct {
	codes   map[uint64]int32   // codeKey(resident code) → line
	numbers map[[16]byte]int32 // blind index → line
	report  []errs.FieldError
	total   int
	kind    errs.Kind
}

// codeKey packs a resident code (at most 15 digits, validated) and its
// length into a number: "001" and "1" stay distinct.
func codeKey(code string) uint64 {
	var v uint64
	for i := 0; i < len(code); i++ {
		v = v*10 + uint64(code[i]-'0')
	}
	return v<<4 | uint64(len(code))
}

func numberKey(bidx []byte) (k [16]byte) {
	copy(k[:], bidx)
	return k
}

func (w *importWriter) add(fs ...errs.FieldError) {
	for _, f := range fs {
		w.total++
		if len(w.report) < maxReported {
			w.report = append(w.report, f)
		}
	}
}

// check records r's code and number and reports whether they are new in
// the file. Chunks arrive out of order from the workers, so a repeat is
// reported on the later of the two lines, pointing at the earlier.
func (w *importWriter) check(r row, line int) bool {
	ok := true
	ck := codeKey(r.v.code)
	if first, dup := w.codes[ck]; dup {
		first, later := min(int(first), line), max(int(first), line)
		w.codes[ck] = int32(first)
		w.add(errs.FieldError{Line: later, Field: "code", Reason: errs.Message{
			JA: "宛名番号 " + r.v.code + " がファイル内で重複しています（" + strconv.Itoa(first) + "行目）",
			EN: "resident code " + r.v.code + " repeats line " + strconv.Itoa(first)}})
		ok = false
	} else {
		w.codes[ck] = int32(line)
	}
	if r.bidx != nil {
		nk := numberKey(r.bidx)
		if first, dup := w.numbers[nk]; dup {
			first, later := min(int(first), line), max(int(first), line)
			w.numbers[nk] = int32(first)
			w.add(errs.FieldError{Line: later, Field: "mynumber", Reason: errs.Message{
				JA: "同じ個人番号が " + strconv.Itoa(first) + " 行目にもあります",
				EN: "the same My Number is on line " + strconv.Itoa(first)}})
			ok = false
		} else {
			w.numbers[nk] = int32(line)
		}
	}
	return ok
}

func (w *importWriter) fieldErrors() error {
	sort.SliceStable(w.report, func(i, j int) bool { return w.report[i].Line < w.report[j].Line })
	list := w.report
	if more := w.total - len(w.report); more > 0 {
		list = append(list, errs.FieldError{Field: "file", Reason: errs.Message{
			JA: "ほかに " + strconv.Itoa(more) + " 件の誤りがあります", EN: strconv.Itoa(more) + " more errors not listed"}})
	}
	return &errs.FieldErrors{List: list, Kind: w.kind}
}

// findStoredDuplicates reads the municipality's stored codes and numbers
// and reports the lines of the file that clash with them.
func (s *Service) findStoredDuplicates(ctx context.Context, tenant string, w *importWriter) error {
	err := s.db.ReadIn(ctx, tenant, func(q store.Querier) error {
		// Each, not Rows: a municipality's whole register is not held at once.
		return store.Each(func(row store.Scanner) error {
			var code string
			var bidx []byte
			if err := row.Scan(&code, &bidx); err != nil {
				return err
			}
			if line, ok := w.codes[codeKey(code)]; ok {
				w.add(errs.FieldError{Line: int(line), Field: "code", Reason: errs.Message{
					JA: "宛名番号 " + code + " は登録済みです", EN: "resident " + code + " already exists"}})
			}
			if line, ok := w.numbers[numberKey(bidx)]; ok && bidx != nil {
				w.add(errs.FieldError{Line: int(line), Field: "mynumber", Reason: errs.Message{
					JA: "この個人番号は宛名番号 " + code + " に登録済みです", EN: "is already registered to resident " + code}})
			}
			return nil
		})(q.Query(ctx, `SELECT code, mynumber_bidx FROM residents WHERE tenant_code = $1`, tenant))
	})
	if err != nil {
		return err
	}
	if len(w.report) == 0 {
		return nil // nothing found: keep the original error
	}
	w.kind = errs.Conflict
	return w.fieldErrors()
}

// numberKey's array must hold a whole blind index.
var _ [vault.IndexLen]byte = [16]byte{}

// copyResidents writes the import's rows. On PostgreSQL the rows' own
// trigger would queue each resident for the search index one by one
// (migration 0036: a statement trigger capturing every row cost a third
// of the import, issue 14 G); the import tells it that it queues them
// itself, a list of codes for each staged chunk, in the same transaction.
// The columns every row shares (municipality, version, times) go once a
// chunk instead of once a row.
func copyResidents(ctx context.Context, tx *store.Tx, tenant string, now time.Time, next func() ([]any, error)) (int64, error) {
	if tx.Engine() != store.Postgres {
		return tx.CopyFrom(ctx, "residents", insertColumns, next)
	}
	var n int64
	err := QueueingForSearch(ctx, tx, func() (err error) {
		n, err = tx.Bulk(ctx, store.Bulk{
			Table:   "residents",
			Columns: stagedColumns,
			Fixed:   []store.Fixed{{Column: "tenant_code", Value: tenant}, {Column: "version", Value: 1}, {Column: "created_at", Value: now}, {Column: "updated_at", Value: now}},
			AfterChunk: func(rows [][]any) (string, []any) {
				codes := make([]string, len(rows))
				for i, r := range rows {
					codes[i] = r[0].(string)
				}
				return `INSERT INTO resident_search_pending (tenant_code, codes) VALUES ($1, $2)`, []any{tenant, codes}
			},
		}, next)
		return err
	})
	return n, err
}

// QueueingForSearch runs write, which inserts residents and queues their
// codes in resident_search_pending itself, set-based, with the residents'
// row trigger told not to queue each one (PostgreSQL: the setting
// bango.search_pending, migration 0036; SQLite's triggers cost no call a
// row, so there write simply runs). Every bulk writer of residents — the
// import, the linkage's differences and initial load — goes through here.
func QueueingForSearch(ctx context.Context, tx *store.Tx, write func() error) error {
	if tx.Engine() != store.Postgres {
		return write()
	}
	if _, err := tx.Exec(ctx, `SELECT set_config('bango.search_pending', 'written', true)`); err != nil {
		return err
	}
	if err := write(); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `SELECT set_config('bango.search_pending', '', true)`)
	return err
}
