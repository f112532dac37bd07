package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/text/encoding/japanese"

	"bango/internal/audit"
	"bango/internal/linkage"
	"bango/internal/resident"
	"bango/internal/review"
	"bango/internal/store"
	"bango/internal/wareki"
)

// LinkageResult compares importing a resident-differences file through
// bango's linkage import — parse, check every record, check the file
// against the municipality and the database, apply in one transaction —
// with a raw load of what the import writes into equivalent tables (the
// baseline, rawLoad): the records into a differences table and the
// residents they create into a residents table, nothing checked. The
// ratio to the raw load of the differences table alone (the baseline
// before the residents were created by the import) is kept beside it.
type LinkageResult struct {
	Engine            string  `json:"engine"`
	Layout            string  `json:"layout"` // resident-differences or resident-initial-load
	Records           int     `json:"records"`
	FileBytes         int64   `json:"file_bytes"`
	ParseCheckSeconds float64 `json:"parse_check_seconds"`
	ParseCheckRPS     float64 `json:"parse_check_records_per_second"` // target 300,000
	// BaselineSeconds is the raw load of both tables the import writes:
	// BaselineDifferencesSeconds (the records) plus
	// BaselineResidentsSeconds (the residents they create).
	BaselineSeconds            float64 `json:"baseline_seconds"`
	BaselineDifferencesSeconds float64 `json:"baseline_differences_seconds"`
	BaselineResidentsSeconds   float64 `json:"baseline_residents_seconds"`
	ImportSeconds              float64 `json:"import_seconds"`
	BaselineRPS                float64 `json:"baseline_records_per_second"`
	ImportRPS                  float64 `json:"import_records_per_second"`
	Ratio                      float64 `json:"ratio"` // import records/s ÷ baseline records/s; target 0.6
	// RatioDifferencesOnly is the import against the raw load of the
	// differences table alone: the old baseline, which did not write the
	// residents the import creates.
	RatioDifferencesOnly float64 `json:"ratio_differences_only"`
	// BaselineRows is how many rows the baseline left in each of its
	// tables, counted after it ("differences", "residents").
	BaselineRows map[string]int64 `json:"baseline_rows"`
	// PeakHeapMiB is the most heap the process held during the import,
	// sampled: flat in the file's size when the file is streamed.
	PeakHeapMiB float64 `json:"peak_heap_mib"`
	// PeakLiveHeapMiB is the most heap the collector found live at the
	// end of a cycle during the import (runtime/metrics /gc/heap/live):
	// what the import held, without the garbage the pacing lets grow
	// between collections that PeakHeapMiB also counts.
	PeakLiveHeapMiB float64 `json:"peak_live_heap_mib"`
	// LiveHeapMiBByQuarter is the most heap found live while the write
	// pass read each quarter of the file: flat in the position in the
	// file when the file is streamed.
	LiveHeapMiBByQuarter [4]float64 `json:"live_heap_mib_by_quarter"`
	// HeapAfterGCMiB is the heap still allocated right after a full
	// collection forced when the write pass reaches a quarter, half and
	// three quarters of the file: what the import really holds there,
	// without the garbage allocated during a collection that the live
	// heap above still counts (three collections: a few milliseconds).
	HeapAfterGCMiB [3]float64 `json:"heap_mib_after_gc_at_quarters"`
	// Phases is where the import's time went, in seconds: check (the
	// first read), write (the second read copied into the differences
	// table: the baseline's work, plus its checks), relevance (checks
	// against the database) and apply (the residents created in the
	// register, with its indexes: work the baseline does not do).
	Phases map[string]float64 `json:"phases"`
	Role   string             `json:"role,omitempty"`
}

// Linkage runs the linkage benchmark with a file of records data records
// on the engine of dbURL (a temporary SQLite file when empty).
//
// profile, when given, receives a CPU profile of the import alone (not
// the file's writing, the parse alone or the baseline).
func Linkage(ctx context.Context, dbURL string, records int, progress func(string), profile ...io.Writer) (LinkageResult, error) {
	return LinkageOf(ctx, dbURL, "resident-differences", records, progress, profile...)
}

// benchLayouts are the layouts the linkage benchmark can import: the
// daily differences and a new municipality's initial load, each with the
// table its records are kept in.
var benchLayouts = map[string]struct{ table, plain string }{
	"resident-differences":  {"linkage_resident_differences", plainDifferences},
	"resident-initial-load": {"linkage_resident_initial", plainInitial},
}

// LinkageOf is Linkage with a file of layout: resident-differences (new
// residents) or resident-initial-load (a new municipality's register).
func LinkageOf(ctx context.Context, dbURL, layout string, records int, progress func(string), profile ...io.Writer) (LinkageResult, error) {
	if _, ok := benchLayouts[layout]; !ok {
		return LinkageResult{}, fmt.Errorf("bench linkage: --layout is resident-differences or resident-initial-load, not %q", layout)
	}
	if records <= 0 {
		return LinkageResult{}, fmt.Errorf("bench linkage: --records must be positive")
	}
	if progress == nil {
		progress = func(string) {}
	}
	ctx = audit.WithActor(ctx, audit.Actor{User: "system:bench"})
	s, err := newScratch(ctx, dbURL)
	if err != nil {
		return LinkageResult{}, err
	}
	defer s.Close()
	v, err := s.benchMunicipality(ctx)
	if err != nil {
		return LinkageResult{}, err
	}
	svc := linkage.NewService(s.db, review.NewService(s.db, v, nil))
	if _, err := svc.AddPartner(ctx, linkage.Partner{Tenant: benchTenant, ID: "resident-records", Direction: linkage.Inbound,
		Layouts: []string{layout}}); err != nil {
		return LinkageResult{}, err
	}
	l, err := linkage.Lookup(layout, 1)
	if err != nil {
		return LinkageResult{}, err
	}
	path := filepath.Join(s.dir, "IDO.DAT")
	progress(fmt.Sprintf("writing a %d-record Shift_JIS %s file", records, layout))
	size, err := writeFile(path, l, records)
	if err != nil {
		return LinkageResult{}, err
	}
	res := LinkageResult{Engine: string(s.db.Engine()), Layout: layout, Records: records, FileBytes: size, Role: s.role}
	open := func() (io.ReadCloser, error) { return os.Open(path) }

	progress("parse and check alone")
	start := time.Now()
	f, err := os.Open(path)
	if err != nil {
		return res, err
	}
	rep, err := linkage.Parse(f, l, linkage.Options{}, nil)
	f.Close()
	if err != nil || !rep.OK() {
		return res, fmt.Errorf("bench linkage: the generated file does not parse: %v %v", err, rep.Err())
	}
	res.ParseCheckSeconds = time.Since(start).Seconds()
	res.ParseCheckRPS = float64(records) / res.ParseCheckSeconds

	progress("baseline: raw load of the differences and the residents")
	base, err := rawLoad(ctx, s.db, l, path)
	if err != nil {
		return res, fmt.Errorf("baseline: %w", err)
	}
	res.BaselineDifferencesSeconds, res.BaselineResidentsSeconds = base.differences.Seconds(), base.residents.Seconds()
	res.BaselineSeconds = res.BaselineDifferencesSeconds + res.BaselineResidentsSeconds
	res.BaselineRows = map[string]int64{}
	for name, table := range map[string]string{"records": benchLayouts[layout].plain, "residents": plainResidents} {
		var n int64
		if err := s.db.Read(ctx, func(q store.Querier) error { return q.QueryRow(ctx, `SELECT count(*) FROM `+table).Scan(&n) }); err != nil {
			return res, err
		}
		res.BaselineRows[name] = n
	}

	progress("bango linkage import")
	var peak, peakLive atomic.Uint64
	var byQuarter [4]atomic.Uint64
	var written atomic.Int64 // bytes the write pass has read
	var afterGC [3]uint64    // the sampler's own; read once it ended
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var ms runtime.MemStats
		live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			if metrics.Read(live); live[0].Value.Kind() == metrics.KindUint64 {
				v := live[0].Value.Uint64()
				if v > peakLive.Load() {
					peakLive.Store(v)
				}
				if w := written.Load(); w > 0 && w < size {
					if q := &byQuarter[min(3, int(4*w/size))]; v > q.Load() {
						q.Store(v)
					}
					if k := int(4 * w / size); k >= 1 && k <= 3 && afterGC[k-1] == 0 {
						runtime.GC()
						runtime.ReadMemStats(&ms)
						afterGC[k-1] = ms.HeapAlloc
					}
				}
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	if len(profile) > 0 && profile[0] != nil {
		if err := pprof.StartCPUProfile(profile[0]); err != nil {
			return res, err
		}
	}
	res.Phases = map[string]float64{}
	start = time.Now()
	job, _, err := svc.Import(ctx, linkage.ImportRequest{Tenant: benchTenant, Partner: "resident-records", Layout: layout,
		FileName: "IDO.DAT", Open: open, Phases: func(phase string, took time.Duration) { res.Phases[phase] = took.Seconds() },
		Progress: func(pass string, done int64) {
			if pass == "apply" {
				written.Store(done)
			}
		}})
	real := time.Since(start)
	if len(profile) > 0 && profile[0] != nil {
		pprof.StopCPUProfile()
	}
	close(stop)
	<-sampled
	if err != nil {
		return res, fmt.Errorf("bango linkage import: %w", err)
	}
	if job.Applied != records {
		return res, fmt.Errorf("bango linkage import applied %d records of %d", job.Applied, records)
	}
	res.ImportSeconds = real.Seconds()
	res.PeakHeapMiB = float64(peak.Load()) / (1 << 20)
	res.PeakLiveHeapMiB = float64(peakLive.Load()) / (1 << 20)
	for i := range byQuarter {
		res.LiveHeapMiBByQuarter[i] = float64(byQuarter[i].Load()) / (1 << 20)
	}
	for i, b := range afterGC {
		res.HeapAfterGCMiB[i] = float64(b) / (1 << 20)
	}
	res.BaselineRPS = float64(records) / res.BaselineSeconds
	res.ImportRPS = float64(records) / res.ImportSeconds
	res.Ratio = res.ImportRPS / res.BaselineRPS
	res.RatioDifferencesOnly = res.BaselineDifferencesSeconds / res.ImportSeconds
	return res, nil
}

// writeFile writes a file of n residents through the linkage writer,
// streamed to disk: new residents (転入) of a resident-differences file,
// or the register of a resident-initial-load file.
func writeFile(path string, l *linkage.Layout, n int) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	initial := l.Name == "resident-initial-load"
	header := linkage.Values{"municipality": benchTenant, "created": wareki.Civil(2026, 12, 2),
		"period_from": wareki.Civil(2026, 12, 1), "period_to": wareki.Civil(2026, 12, 1)}
	if initial {
		header = linkage.Values{"municipality": benchTenant, "created": wareki.Civil(2026, 12, 2), "as_of": wareki.Civil(2026, 12, 1)}
	}
	w, err := linkage.NewWriter(bw, l, header)
	if err != nil {
		return 0, err
	}
	names := []string{"髙橋　一郎", "山﨑　花子", "佐藤　次郎", "鈴木　令子"}
	kana := []string{"ﾀｶﾊｼ ｲﾁﾛｳ", "ﾔﾏｻﾞｷ ﾊﾅｺ", "ｻﾄｳ ｼﾞﾛｳ", "ｽｽﾞｷ ﾚｲｺ"}
	for i := range n {
		v := linkage.Values{"change": "11", "resident_code": i + 1, "household_no": i/3 + 1, "name": names[i%4],
			"name_kana": kana[i%4], "birth": wareki.Civil(1930+i%90, time.Month(1+i%12), 1+i%28), "sex": strconv.Itoa(1 + i%2),
			"relation": "01", "postal": "1600023", "address": "東京都新宿区西新宿二丁目" + fullWidth(strconv.Itoa(1+i%30)) + "番",
			"effective": wareki.Civil(2026, 12, 1)}
		if initial {
			delete(v, "change")
			delete(v, "effective")
		}
		if err := w.Write("2", v); err != nil {
			return 0, err
		}
	}
	m, err := w.Close(nil)
	if err != nil {
		return 0, err
	}
	return m.Bytes, bw.Flush()
}

// The baseline: what the import writes, loaded raw.
//
// The import writes two things: every data record as a row of
// linkage_resident_differences, and, for each new resident, a row of
// residents. The baseline loads the same rows into an equivalent table of
// each (rawTables: the same columns, types, defaults, checks and indexes;
// no row-level security, no triggers, no foreign keys, no audit) with the
// fastest plain path of the engine — COPY as the tables' owner on
// PostgreSQL, a prepared multi-row INSERT on SQLite — and nothing checked:
// the file's lines cut at the layout's byte positions, the text fields
// decoded from Shift_JIS, the dates read, the codes' leading zeros and the
// fields' padding dropped, the reading widened as the register keeps it.
// It reads the file once per table (one bulk load at a time on a
// connection), each table in a transaction of its own.

// rawTimes is how long the baseline took for each table.
type rawTimes struct{ differences, residents time.Duration }

const (
	plainDifferences = "bench_plain_differences"
	plainInitial     = "bench_plain_initial"
	plainResidents   = "bench_plain_residents"
)

var diffColumns = []string{"tenant_code", "job_id", "line", "change", "resident_code", "household_no", "name", "name_kana", "birth_date", "sex",
	"relation", "postal", "address", "effective", "name_kana_full"}

var initialColumns = []string{"tenant_code", "job_id", "line", "resident_code", "household_no", "name", "name_kana", "name_kana_full", "birth_date",
	"sex", "relation", "postal", "address"}

var residentColumns = []string{"tenant_code", "code", "name_kanji", "name_kana", "alias", "address", "birth_date", "sex", "version",
	"created_at", "updated_at"}

// rawTables makes the baseline's tables as copies of the import's: the
// records table of layout and residents.
func rawTables(ctx context.Context, db *store.DB, layout string) error {
	bl := benchLayouts[layout]
	return db.Transact(ctx, func(tx *store.Tx) error {
		for _, t := range [][2]string{{bl.table, bl.plain}, {"residents", plainResidents}} {
			if err := equivalentTable(ctx, tx, t[0], t[1]); err != nil {
				return err
			}
			// The copy must have every column and index of the original.
			shape := func(table string) (cols, indexes int, err error) {
				qc, qi := `SELECT count(*) FROM pragma_table_xinfo($1)`, `SELECT count(*) FROM pragma_index_list($1)`
				if tx.Engine() == store.Postgres {
					qc = `SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1`
					qi = `SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1`
				}
				if err = tx.QueryRow(ctx, qc, table).Scan(&cols); err == nil {
					err = tx.QueryRow(ctx, qi, table).Scan(&indexes)
				}
				return cols, indexes, err
			}
			c1, i1, err1 := shape(t[0])
			c2, i2, err2 := shape(t[1])
			if err := errors.Join(err1, err2); err != nil {
				return err
			}
			if c1 != c2 || i1 != i2 || c1 == 0 || i1 == 0 {
				return fmt.Errorf("bench: %s has %d columns and %d indexes, its copy %s %d and %d", t[0], c1, i1, t[1], c2, i2)
			}
		}
		return nil
	})
}

var sqliteReferences = regexp.MustCompile(`(?i)\s+REFERENCES\s+\w+\s*\([^)]*\)`)

// equivalentTable creates plain with src's columns, types, defaults,
// checks and indexes, and nothing else: no row-level security, triggers
// or foreign keys.
func equivalentTable(ctx context.Context, tx *store.Tx, src, plain string) error {
	if tx.Engine() == store.Postgres {
		_, err := tx.Exec(ctx, `CREATE TABLE `+plain+` (LIKE `+src+` INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING CONSTRAINTS INCLUDING INDEXES)`)
		return err
	}
	type object struct{ kind, name, sql string }
	objs, err := store.Rows(func(r store.Scanner) (o object, err error) {
		return o, r.Scan(&o.kind, &o.name, &o.sql)
	})(tx.Query(ctx, `SELECT type, name, sql FROM sqlite_master WHERE tbl_name = $1 AND type IN ('table', 'index') AND sql IS NOT NULL
		ORDER BY type = 'index', name`, src))
	if err != nil {
		return err
	}
	if len(objs) == 0 || objs[0].kind != "table" {
		return fmt.Errorf("bench: no table %s to copy", src)
	}
	for _, o := range objs {
		// A table built again and renamed is stored with its name quoted.
		q := strings.ReplaceAll(o.sql, `"`+src+`"`, src)
		if o.kind == "table" {
			q = sqliteReferences.ReplaceAllString(strings.Replace(q, "CREATE TABLE "+src, "CREATE TABLE "+plain, 1), "")
		} else {
			q = strings.Replace(strings.ReplaceAll(q, `"`+o.name+`"`, o.name), " "+o.name+" ", " "+plain+"_"+o.name+" ", 1)
			q = strings.Replace(q, " ON "+src+" ", " ON "+plain+" ", 1)
		}
		if !strings.Contains(q, plain) {
			return fmt.Errorf("bench: cannot copy %s %s: %s", o.kind, o.name, o.sql)
		}
		if _, err := tx.Exec(ctx, q); err != nil {
			return fmt.Errorf("bench: copy of %s %s: %w", o.kind, o.name, err)
		}
	}
	return nil
}

// rawLoad loads the file's records into the baseline's copy of the
// layout's records table, then the residents they create into its
// residents table. The lines are cut at the data record's positions, by
// field name.
func rawLoad(ctx context.Context, db *store.DB, l *linkage.Layout, path string) (rawTimes, error) {
	var t rawTimes
	if err := rawTables(ctx, db, l.Name); err != nil {
		return t, err
	}
	data := l.Record("2")
	if data == nil {
		return t, fmt.Errorf("bench: %s has no data record 2", l.Name)
	}
	e := db.Engine()
	date := func(b []byte) (any, error) {
		if len(b) != 7 {
			return nil, fmt.Errorf("bench: date %q", b)
		}
		n := func(i int) int { return int(b[i]-'0')*10 + int(b[i+1]-'0') }
		d, ok := wareki.Date(int(b[0]-'0'), n(1), n(3), n(5))
		if !ok {
			return nil, fmt.Errorf("bench: date %q", b)
		}
		if e == store.SQLite {
			return d.Format(time.DateOnly), nil
		}
		return d, nil
	}
	now := time.Now().UTC()
	load := func(table string, cols []string, row func(line int, b []byte, dec func([]byte) (string, error)) ([]any, error)) (time.Duration, error) {
		start := time.Now()
		f, err := os.Open(path)
		if err != nil {
			return 0, err
		}
		defer f.Close()
		sc := bufio.NewScanner(bufio.NewReaderSize(f, 64<<10))
		d := japanese.ShiftJIS.NewDecoder()
		dec := func(b []byte) (string, error) {
			s, err := d.Bytes(b)
			return strings.TrimRight(string(s), " 　"), err
		}
		// The lines are cut and decoded by a goroutine of their own, in
		// batches, while the rows before them are written — as the import
		// parses beside its writing.
		batches := make(chan [][]any, 4)
		quit := make(chan struct{})
		var readErr error
		go func() {
			defer close(batches)
			batch := make([][]any, 0, 1024)
			line := 0
			for sc.Scan() {
				line++
				b := sc.Bytes()
				if len(b) < l.RecordLength || b[0] != '2' {
					continue // header and trailer
				}
				r, err := row(line, b, dec)
				if err != nil {
					readErr = err
					return
				}
				if batch = append(batch, r); len(batch) == cap(batch) {
					select {
					case batches <- batch:
					case <-quit:
						return
					}
					batch = make([][]any, 0, 1024)
				}
			}
			if readErr = sc.Err(); readErr == nil && len(batch) > 0 {
				select {
				case batches <- batch:
				case <-quit:
				}
			}
		}()
		defer close(quit)
		var cur [][]any
		next := func() ([]any, error) {
			for len(cur) == 0 {
				b, ok := <-batches
				if !ok {
					return nil, readErr
				}
				cur = b
			}
			r := cur[0]
			cur = cur[1:]
			return r, nil
		}
		err = db.TransactOnce(ctx, func(tx *store.Tx) error {
			if e == store.SQLite {
				_, err := insertMany(ctx, tx, table, cols, next)
				return err
			}
			_, err := tx.CopyFrom(ctx, table, cols, next)
			return err
		})
		return time.Since(start), err
	}
	pos := map[string][2]int{}
	for _, f := range data.Fields {
		pos[f.Name] = [2]int{f.Start, f.Width}
	}
	field := func(b []byte, name string) []byte {
		p, ok := pos[name]
		if !ok {
			return nil
		}
		return b[p[0]-1 : p[0]-1+p[1]]
	}
	code := func(b []byte) string {
		c := strings.TrimLeft(string(field(b, "resident_code")), "0")
		if c == "" {
			return "0"
		}
		return c
	}
	var err error
	records := func(line int, b []byte, dec func([]byte) (string, error)) ([]any, error) {
		name, err1 := dec(field(b, "name"))
		kana, err2 := dec(field(b, "name_kana"))
		addr, err3 := dec(field(b, "address"))
		birth, err4 := date(field(b, "birth"))
		if err := errors.Join(err1, err2, err3, err4); err != nil {
			return nil, err
		}
		if l.Name == "resident-initial-load" {
			return []any{benchTenant, int64(1), line, code(b), string(field(b, "household_no")), name, kana, resident.NormalizeKana(kana), birth,
				string(field(b, "sex")), string(field(b, "relation")), string(field(b, "postal")), addr}, nil
		}
		eff, err := date(field(b, "effective"))
		if err != nil {
			return nil, err
		}
		return []any{benchTenant, int64(1), line, string(field(b, "change")), code(b), string(field(b, "household_no")), name, kana, birth,
			string(field(b, "sex")), string(field(b, "relation")), string(field(b, "postal")), addr, eff, resident.NormalizeKana(kana)}, nil
	}
	cols := diffColumns
	if l.Name == "resident-initial-load" {
		cols = initialColumns
	}
	t.differences, err = load(benchLayouts[l.Name].plain, cols, records)
	if err != nil {
		return t, fmt.Errorf("records: %w", err)
	}
	t.residents, err = load(plainResidents, residentColumns, func(line int, b []byte, dec func([]byte) (string, error)) ([]any, error) {
		name, err1 := dec(field(b, "name"))
		kana, err2 := dec(field(b, "name_kana"))
		addr, err3 := dec(field(b, "address"))
		birth, err4 := date(field(b, "birth"))
		if err := errors.Join(err1, err2, err3, err4); err != nil {
			return nil, err
		}
		return []any{benchTenant, code(b), name, resident.NormalizeKana(kana), "", addr, birth, string(field(b, "sex")), 1, now, now}, nil
	})
	if err != nil {
		return t, fmt.Errorf("residents: %w", err)
	}
	return t, nil
}

// sqliteRowsPerInsert is how many rows one of the baseline's INSERTs
// carries on SQLite (15 columns: 960 parameters, under SQLite's 32,766).
const sqliteRowsPerInsert = 64

// insertMany writes next's rows into table with a prepared INSERT of
// sqliteRowsPerInsert rows, reused, and one of the rest at the end. Its
// parameters are anonymous (?): SQLite finds a numbered one's name ($N)
// by walking the statement's list of names, for every parameter bound,
// which is quadratic in a statement of hundreds.
func insertMany(ctx context.Context, tx *store.Tx, table string, cols []string, next func() ([]any, error)) (int64, error) {
	stmt := func(rows int) string {
		var b strings.Builder
		b.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
		for r := range rows {
			if r > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			for c := range cols {
				if c > 0 {
					b.WriteString(", ")
				}
				b.WriteByte('?')
			}
			b.WriteByte(')')
		}
		return b.String()
	}
	st, err := tx.Prepare(ctx, stmt(sqliteRowsPerInsert))
	if err != nil {
		return 0, err
	}
	defer st.Close()
	args := make([]any, 0, sqliteRowsPerInsert*len(cols))
	var n int64
	for {
		row, err := next()
		if err != nil {
			return n, err
		}
		if row == nil {
			break
		}
		args = append(args, row...)
		if len(args) == cap(args) {
			if _, err := st.ExecContext(ctx, args...); err != nil {
				return n, err
			}
			n += sqliteRowsPerInsert
			args = args[:0]
		}
	}
	if len(args) > 0 {
		if _, err := tx.Exec(ctx, stmt(len(args)/len(cols)), args...); err != nil {
			return n, err
		}
		n += int64(len(args) / len(cols))
	}
	return n, nil
}

// fullWidth turns ASCII digits into full-width ones, as a text field holds.
func fullWidth(s string) string {
	out := []rune(s)
	for i, r := range out {
		out[i] = r - '0' + '０'
	}
	return string(out)
}
