package bench

import (
	"bufio"
	"bytes"
	"cmp"
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
	"bango/internal/errs"
	"bango/internal/identity"
	"bango/internal/mynumber"
	"bango/internal/numbersetup"
	"bango/internal/resident"
	"bango/internal/review"
	"bango/internal/store"
	"bango/internal/wareki"
)

// SetupResult compares a My Number setup from a registry file — the
// linkage engine's parse and whole-file check, then a second pass that
// seals each number, matches the row against the people by the basic four
// items and writes the candidate work table in one transaction — with a
// plain load of the same rows: the CSV lines split, decoded from
// Shift_JIS and loaded into a table of the same columns through the same
// bulk path, nothing checked, sealed or matched.
type SetupResult struct {
	Engine          string         `json:"engine"`
	Rows            int            `json:"rows"`
	People          int            `json:"people"`
	FileBytes       int64          `json:"file_bytes"`
	BaselineSeconds float64        `json:"baseline_seconds"`
	SetupSeconds    float64        `json:"setup_seconds"`
	BaselineRPS     float64        `json:"baseline_rows_per_second"`
	SetupRPS        float64        `json:"setup_rows_per_second"`
	Ratio           float64        `json:"ratio"` // setup rows/s ÷ baseline rows/s; target 0.5
	Counts          map[string]int `json:"counts"`
	// PeakHeapMiB is the most heap the process held during the setup,
	// sampled: the people's match keys are held (they grow with the
	// people), the file is streamed (its rows are not).
	PeakHeapMiB float64 `json:"peak_heap_mib"`
	BaseHeapMiB float64 `json:"heap_before_mib"`
	Role        string  `json:"role,omitempty"`
	// Phases is the setup's time by phase, in seconds: the people keyed
	// and copied, their exact keys counted, the chunks copied (with the
	// waits for bango's rows) and written, the end.
	Phases map[string]float64 `json:"phases"`
}

// benchPeople are all the bench municipality's residents without a number.
var benchPeople = numbersetup.PeopleWhere{ID: "bench", Label: errs.Message{JA: "ベンチマーク", EN: "benchmark"}, Where: "1 = 1"}

var (
	setupFamily = []string{"山田", "佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "中村", "小林", "加藤", "吉田", "山本", "松本", "井上", "木村", "林", "斎藤", "清水", "山口", "森"}
	setupGiven  = []string{"太郎", "花子", "一郎", "次郎", "令子", "三郎", "明美", "健一", "陽子", "誠", "直子", "修", "裕子", "進", "恵子", "茂", "幸子", "博", "和子", "勇"}
)

// setupPerson is the i-th person: unique by the address, which carries i.
func setupPerson(i int) (code, name string, birth time.Time, sex, address string) {
	code = strconv.Itoa(100000 + i)
	name = setupFamily[i%len(setupFamily)] + "　" + setupGiven[(i/len(setupFamily))%len(setupGiven)]
	birth = wareki.Civil(1930, 1, 1).AddDate(0, 0, (i*7919)%30000)
	sex = strconv.Itoa(1 + i%2)
	address = "東京都新宿区西新宿" + strconv.Itoa(1+i/1000%9) + "丁目" + strconv.Itoa(1+i%1000) + "番" + strconv.Itoa(1+i/9000) + "号"
	return
}

// SetupOptions shape a setup benchmark.
type SetupOptions struct {
	Rows int // registry rows
	// People is how many people the rows are matched against: as many as
	// Rows when 0. Fewer people than rows show the memory flat in the
	// file (rows past the people match nobody).
	People int
	// Profile, when set, receives a CPU profile of the setup alone (not
	// the seeding nor the baseline).
	Profile io.Writer
}

// Setup runs the setup benchmark: o.Rows registry rows matched against as
// many people, on the engine of dbURL (a temporary SQLite file when empty).
func Setup(ctx context.Context, dbURL string, o SetupOptions, progress func(string)) (SetupResult, error) {
	rows := o.Rows
	if rows <= 0 || o.People < 0 {
		return SetupResult{}, fmt.Errorf("bench setup: --rows must be positive and --people not negative")
	}
	if progress == nil {
		progress = func(string) {}
	}
	ctx = audit.WithActor(ctx, audit.Actor{User: "bench-clerk"})
	s, err := newScratch(ctx, dbURL)
	if err != nil {
		return SetupResult{}, err
	}
	defer s.Close()
	v, err := s.benchMunicipality(ctx)
	if err != nil {
		return SetupResult{}, err
	}
	people := cmp.Or(o.People, rows)
	res := SetupResult{Engine: string(s.db.Engine()), Rows: rows, People: people, Role: s.role}
	progress(fmt.Sprintf("loading %d people without a number", people))
	if err := seedSetupPeople(ctx, s.db, people); err != nil {
		return res, err
	}
	path := filepath.Join(s.dir, "HKJK.CSV")
	progress(fmt.Sprintf("writing a %d-row Shift_JIS registry file", rows))
	if res.FileBytes, err = writeRegistry(path, rows); err != nil {
		return res, err
	}

	progress("baseline: plain load")
	base, err := plainRegistryLoad(ctx, s.db, path)
	if err != nil {
		return res, fmt.Errorf("baseline: %w", err)
	}
	res.BaselineSeconds = base.Seconds()

	progress("bango My Number setup")
	reviews := review.NewService(s.db, v, nil)
	svc := numbersetup.NewService(s.db, v, resident.NewService(s.db, v, nil), reviews, quietLogger())
	svc.AddBusiness(benchPeople)
	res.Phases = map[string]float64{}
	svc.SetTiming(func(phase string, took time.Duration) { res.Phases[phase] += took.Seconds() })
	reviews.Register(numbersetup.KindConfirm, svc.ApplyConfirmed)
	users := identity.NewService(s.db, v, identity.NewHasher(identity.Params{Time: 1, MemoryKiB: 1024, Threads: 1}, 1), identity.DefaultPolicy, quietLogger())
	maker, _, err := users.Create(ctx, identity.NewUser{LoginID: "bench-clerk", Name: "ベンチ", Tenant: benchTenant})
	if err != nil {
		return res, err
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	res.BaseHeapMiB = float64(ms.HeapInuse) / (1 << 20)
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
	if o.Profile != nil {
		if err := pprof.StartCPUProfile(o.Profile); err != nil {
			return res, err
		}
	}
	start := time.Now()
	st, _, err := svc.Import(ctx, numbersetup.ImportRequest{Tenant: benchTenant, Business: benchPeople.ID, FileName: "HKJK.CSV",
		Open: func() (io.ReadCloser, error) { return os.Open(path) }, Maker: maker})
	real := time.Since(start)
	if o.Profile != nil {
		pprof.StopCPUProfile()
	}
	close(stop)
	<-sampled
	if err != nil {
		return res, fmt.Errorf("bango setup: %w", err)
	}
	res.Counts = st.Counts
	total := 0
	for _, n := range st.Counts {
		total += n
	}
	if total != rows {
		return res, fmt.Errorf("bango setup wrote %d candidates of %d rows", total, rows)
	}
	res.SetupSeconds = real.Seconds()
	res.PeakHeapMiB = float64(peak.Load()) / (1 << 20)
	res.BaselineRPS = float64(rows) / res.BaselineSeconds
	res.SetupRPS = float64(rows) / res.SetupSeconds
	res.Ratio = res.SetupRPS / res.BaselineRPS
	return res, nil
}

// seedSetupPeople loads n residents without a number, in chunks.
func seedSetupPeople(ctx context.Context, db *store.DB, n int) error {
	ctx = store.WithScope(ctx, benchTenant)
	at := time.Now().UTC()
	const chunk = 50000
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		i := lo
		err := db.TransactIn(ctx, benchTenant, func(tx *store.Tx) error {
			_, err := tx.CopyFrom(ctx, "residents", []string{"tenant_code", "code", "name_kanji", "name_kana", "address", "birth_date", "sex", "created_at", "updated_at"},
				func() ([]any, error) {
					if i == hi {
						return nil, nil
					}
					code, name, birth, sex, addr := setupPerson(i)
					i++
					return []any{benchTenant, code, name, "テスト", addr, store.DateArg(db.Engine(), birth), sex, at, at}, nil
				})
			return err
		})
		if err != nil {
			return fmt.Errorf("bench setup: load residents: %w", err)
		}
	}
	return nil
}

// writeRegistry writes the file: row i is person i, 90% exactly, 5% with
// the name different, 5% somebody else (no match). (Name, birth date and
// sex repeat every 30,000 people, so a row with the address different
// would find two people with the other three items.)
func writeRegistry(path string, n int) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	cw := &countWriter{w: f}
	fw := numbersetup.NewFileWriter(cw, benchTenant, wareki.Civil(2026, 12, 1))
	for i := range n {
		_, name, birth, sex, addr := setupPerson(i)
		switch i % 20 {
		case 18:
			name, addr = "番号　無子", "東京都新宿区新宿一丁目1番"
		case 19:
			name += "郎" // one item different: the name (the other three are one person's alone)
		}
		first := strconv.Itoa(10000000000 + i)
		fw.Write(numbersetup.Row{Municipality: benchTenant, ResidentCode: strconv.Itoa(20000000000 + i), Name: name, NameKana: "テスト",
			Birth: birth, Sex: sex, Address: fullWidth2(addr), MyNumber: first + string(mynumber.CheckDigit(first))})
	}
	if err := fw.Close(); err != nil {
		return 0, err
	}
	return cw.n, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// fullWidth2 turns the ASCII digits of s into full-width ones.
func fullWidth2(s string) string {
	out := []rune(s)
	for i, r := range out {
		if r >= '0' && r <= '9' {
			out[i] = r - '0' + '０'
		}
	}
	return string(out)
}

// plainRegistryLoad is the baseline: the file's data lines split at the
// commas, decoded from Shift_JIS and loaded as they are into a table of the
// work table's columns and key, in one transaction through the same bulk
// path; nothing checked, sealed or matched.
func plainRegistryLoad(ctx context.Context, db *store.DB, path string) (time.Duration, error) {
	ctx = store.WithScope(ctx, benchTenant)
	err := db.Transact(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `CREATE TABLE bench_plain_registry (
			tenant_code TEXT NOT NULL, setup_id BIGINT NOT NULL, line INTEGER NOT NULL, file_code TEXT NOT NULL, name TEXT NOT NULL,
			name_kana TEXT NOT NULL, birth_date TEXT NOT NULL, sex TEXT NOT NULL, address TEXT NOT NULL, mynumber TEXT NOT NULL,
			PRIMARY KEY (tenant_code, setup_id, line))`)
		return err
	})
	if err != nil {
		return 0, err
	}
	cols := []string{"tenant_code", "setup_id", "line", "file_code", "name", "name_kana", "birth_date", "sex", "address", "mynumber"}
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
			b := bytes.TrimSuffix(sc.Bytes(), []byte("\r"))
			if len(b) == 0 || b[0] != '2' {
				continue // header and trailer
			}
			c := bytes.Split(b, []byte(","))
			if len(c) != 9 {
				return nil, fmt.Errorf("line %d: %d columns", line, len(c))
			}
			text := func(i int) (string, error) { return dec.String(string(c[i])) }
			name, err := text(3)
			if err != nil {
				return nil, err
			}
			kana, err := text(4)
			if err != nil {
				return nil, err
			}
			addr, err := text(7)
			if err != nil {
				return nil, err
			}
			return []any{benchTenant, int64(1), line, string(c[2]), name, kana, string(c[5]), string(c[6]), addr, string(c[8])}, nil
		}
		return nil, sc.Err()
	}
	err = db.TransactOnce(ctx, func(tx *store.Tx) error {
		_, err := tx.CopyFrom(ctx, "bench_plain_registry", cols, next)
		return err
	})
	return time.Since(start), err
}
