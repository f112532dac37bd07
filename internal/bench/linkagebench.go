package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"sync/atomic"
	"time"

	"golang.org/x/text/encoding/japanese"

	"bango/internal/audit"
	"bango/internal/linkage"
	"bango/internal/review"
	"bango/internal/store"
	"bango/internal/wareki"
)

// LinkageResult compares importing a resident-differences file through
// bango's linkage import — parse, check every record, check the file
// against the municipality and the database, apply in one transaction —
// with a raw load of the same records into an equivalent table: the lines
// cut at the layout's byte positions, the text fields decoded from
// Shift_JIS, nothing checked, loaded through the same bulk path.
type LinkageResult struct {
	Engine            string  `json:"engine"`
	Records           int     `json:"records"`
	FileBytes         int64   `json:"file_bytes"`
	ParseCheckSeconds float64 `json:"parse_check_seconds"`
	ParseCheckRPS     float64 `json:"parse_check_records_per_second"` // target 300,000
	BaselineSeconds   float64 `json:"baseline_seconds"`
	ImportSeconds     float64 `json:"import_seconds"`
	BaselineRPS       float64 `json:"baseline_records_per_second"`
	ImportRPS         float64 `json:"import_records_per_second"`
	Ratio             float64 `json:"ratio"` // import records/s ÷ baseline records/s; target 0.6
	// PeakHeapMiB is the most heap the process held during the import,
	// sampled: flat in the file's size when the file is streamed.
	PeakHeapMiB float64 `json:"peak_heap_mib"`
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
		Layouts: []string{"resident-differences"}}); err != nil {
		return LinkageResult{}, err
	}
	l, err := linkage.Lookup("resident-differences", 1)
	if err != nil {
		return LinkageResult{}, err
	}
	path := filepath.Join(s.dir, "IDO.DAT")
	progress(fmt.Sprintf("writing a %d-record Shift_JIS file", records))
	size, err := writeDifferences(path, l, records)
	if err != nil {
		return LinkageResult{}, err
	}
	res := LinkageResult{Engine: string(s.db.Engine()), Records: records, FileBytes: size, Role: s.role}
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

	progress("baseline: raw load")
	base, err := rawLoad(ctx, s.db, path)
	if err != nil {
		return res, fmt.Errorf("baseline: %w", err)
	}
	res.BaselineSeconds = base.Seconds()

	progress("bango linkage import")
	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var ms runtime.MemStats
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
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
	job, _, err := svc.Import(ctx, linkage.ImportRequest{Tenant: benchTenant, Partner: "resident-records", Layout: "resident-differences",
		FileName: "IDO.DAT", Open: open, Phases: func(phase string, took time.Duration) { res.Phases[phase] = took.Seconds() }})
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
	res.BaselineRPS = float64(records) / res.BaselineSeconds
	res.ImportRPS = float64(records) / res.ImportSeconds
	res.Ratio = res.ImportRPS / res.BaselineRPS
	return res, nil
}

// writeDifferences writes a resident-differences file of n new residents
// (転入) through the linkage writer, streamed to disk.
func writeDifferences(path string, l *linkage.Layout, n int) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	w, err := linkage.NewWriter(bw, l, linkage.Values{"municipality": benchTenant, "created": wareki.Civil(2026, 12, 2),
		"period_from": wareki.Civil(2026, 12, 1), "period_to": wareki.Civil(2026, 12, 1)})
	if err != nil {
		return 0, err
	}
	names := []string{"髙橋　一郎", "山﨑　花子", "佐藤　次郎", "鈴木　令子"}
	kana := []string{"ﾀｶﾊｼ ｲﾁﾛｳ", "ﾔﾏｻﾞｷ ﾊﾅｺ", "ｻﾄｳ ｼﾞﾛｳ", "ｽｽﾞｷ ﾚｲｺ"}
	for i := range n {
		if err := w.Write("2", linkage.Values{"change": "11", "resident_code": i + 1, "household_no": i/3 + 1, "name": names[i%4],
			"name_kana": kana[i%4], "birth": wareki.Civil(1930+i%90, time.Month(1+i%12), 1+i%28), "sex": strconv.Itoa(1 + i%2),
			"relation": "01", "postal": "1600023", "address": "東京都新宿区西新宿二丁目" + fullWidth(strconv.Itoa(1+i%30)) + "番",
			"effective": wareki.Civil(2026, 12, 1)}); err != nil {
			return 0, err
		}
	}
	m, err := w.Close(nil)
	if err != nil {
		return 0, err
	}
	return m.Bytes, bw.Flush()
}

// rawLoad is the baseline: the file's lines cut at the data record's byte
// positions, the text fields decoded from Shift_JIS and the others taken
// as they are, into a table of the same columns and keys, in one
// transaction through the same bulk path, with nothing checked.
func rawLoad(ctx context.Context, db *store.DB, path string) (time.Duration, error) {
	err := db.Transact(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `CREATE TABLE bench_plain_differences (
			tenant_code TEXT NOT NULL, job_id BIGINT NOT NULL, line INTEGER NOT NULL, change TEXT NOT NULL, resident_code TEXT NOT NULL,
			household_no TEXT NOT NULL, name TEXT NOT NULL, name_kana TEXT NOT NULL, birth_date TEXT NOT NULL, sex TEXT NOT NULL,
			relation TEXT NOT NULL, postal TEXT NOT NULL, address TEXT NOT NULL, effective TEXT NOT NULL, PRIMARY KEY (job_id, line))`)
		if err == nil {
			_, err = tx.Exec(ctx, `CREATE INDEX bench_plain_differences_resident ON bench_plain_differences (tenant_code, resident_code, change)`)
		}
		return err
	})
	if err != nil {
		return 0, err
	}
	cols := []string{"tenant_code", "job_id", "line", "change", "resident_code", "household_no", "name", "name_kana", "birth_date", "sex",
		"relation", "postal", "address", "effective"}
	start := time.Now()
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(bufio.NewReaderSize(f, 64<<10))
	dec := japanese.ShiftJIS.NewDecoder()
	line := 0
	next := func() ([]any, error) {
		for sc.Scan() {
			line++
			b := sc.Bytes()
			if len(b) < 240 || b[0] != '2' {
				continue // header and trailer
			}
			field := func(start, width int) string { return string(b[start-1 : start-1+width]) }
			text := func(start, width int) (string, error) { return dec.String(field(start, width)) }
			name, err := text(34, 40)
			if err != nil {
				return nil, err
			}
			addr, err := text(131, 100)
			if err != nil {
				return nil, err
			}
			kana, err := text(74, 40)
			if err != nil {
				return nil, err
			}
			return []any{benchTenant, int64(1), line, field(2, 2), field(4, 15), field(19, 15), name, kana, field(114, 7),
				field(121, 1), field(122, 2), field(124, 7), addr, field(231, 7)}, nil
		}
		return nil, sc.Err()
	}
	err = db.TransactOnce(ctx, func(tx *store.Tx) error {
		_, err := tx.CopyFrom(ctx, "bench_plain_differences", cols, next)
		return err
	})
	return time.Since(start), err
}

// fullWidth turns ASCII digits into full-width ones, as a text field holds.
func fullWidth(s string) string {
	out := []rune(s)
	for i, r := range out {
		out[i] = r - '0' + '０'
	}
	return string(out)
}
