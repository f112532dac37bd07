package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"bango/internal/audit"
	"bango/internal/bench"
	"bango/internal/jpki"
	"bango/internal/jpki/standin"
	"bango/internal/resident"
	"bango/internal/store"
	"bango/internal/tenant"
	"bango/internal/vault"
)

const benchJPKISummary = `Measure JPKI issuances per second through bango — the window's whole path:
identity check recorded, the register read, the sealed work record, the card's
request checked, mutual TLS to the stand-in CA, the answer checked, the outcome
and the work record's end in one transaction — beside the floor: the stand-in
CA alone answering the same issuance requests sent straight to it over the
same mutual-TLS connection kind, at the same number of requests at once. The
CA signs with RSA 2048 as J-LIS does. Both run in the same process on a
scratch database (SQLite, or PostgreSQL with -db); connections are warmed up
before either is timed.
Target: at least 0.8 of the floor.`

// runBenchJPKI is "bango bench jpki".
func runBenchJPKI(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench jpki", "[flags]", benchJPKISummary, stderr)
	n := fs.Int("n", 200, "signature certificates to issue each way")
	clerks := fs.Int("clerks", 4, "window clerks issuing at once (the floor sends as many requests at once)")
	dbURL := fs.String("db", os.Getenv("BANGO_BENCH_DB"), "database: postgres://… (a scratch schema is made, used under row-level security) or a new SQLite path; default a temporary SQLite file")
	signers := fs.Int("ca-signers", 1, "certificates the stand-in CA signs at once (1: one hardware security module); both ways use the same CA")
	rounds := fs.Int("rounds", 5, "timed rounds: each round runs both ways on its share of -n, one after the other, the first way alternating, so that a burst of other work on the machine falls on both")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the timed rounds (both ways) to this file (go tool pprof)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *n < 1 || *clerks < 1 || *rounds < 1 {
		return fmt.Errorf("bench jpki: -n, -clerks and -rounds must be at least 1")
	}
	*rounds = min(*rounds, *n)
	dir, err := os.MkdirTemp("", "bango-bench-jpki-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	// On PostgreSQL the bench's connections carry a name of their own, so
	// that the CPU of the server processes serving them can be read.
	target, appName := *dbURL, ""
	if u, err := neturl.Parse(target); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		appName = fmt.Sprintf("bango-bench-jpki-%d", os.Getpid())
		q := u.Query()
		q.Set("application_name", appName)
		u.RawQuery = q.Encode()
		target = u.String()
	}
	db, closeDB, err := bench.ScratchDB(ctx, target)
	if err != nil {
		return err
	}
	defer closeDB()
	mk, _, err := vault.LoadKeyFile(filepath.Join(dir, "master.key"), true)
	if err != nil {
		return err
	}
	v := vault.New(db, mk)
	ctx = audit.WithActor(ctx, audit.Actor{User: "bench"})
	const muni = "131041"
	if _, err := tenant.NewService(db, v).Create(ctx, muni, "新宿区"); err != nil {
		return err
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	residents := resident.NewService(db, v, quiet)
	// One applicant a window.
	var codes []string
	var items []jpki.Items
	for i := range *clerks {
		in := resident.Input{Code: fmt.Sprintf("9%05d", i+1), NameKanji: "試験　太郎", NameKana: "シケン　タロウ",
			Address: fmt.Sprintf("東京都新宿区西新宿二丁目8番%d号", i+1), BirthDate: "1980-04-01", Sex: "1"}
		if _, err := residents.Create(ctx, muni, in); err != nil {
			return err
		}
		codes = append(codes, in.Code)
		items = append(items, jpki.Items{Name: in.NameKanji, Address: in.Address, BirthDate: in.BirthDate, Sex: in.Sex})
	}
	ca, err := standin.New(standin.Options{Signers: *signers})
	if err != nil {
		return err
	}
	// Where a clerk's time goes, summed over the timed bango rounds: the
	// opening, the issuance, and the issuance's time inside the CA's
	// handler (its signer's queue and signature).
	var phases struct {
		on                atomic.Bool
		open, issue, atCA atomic.Int64
		count             atomic.Int64
	}
	caHandler := ca.Handler()
	timed := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !phases.on.Load() {
			caHandler.ServeHTTP(w, r)
			return
		}
		t := time.Now()
		caHandler.ServeHTTP(w, r)
		phases.atCA.Add(int64(time.Since(t)))
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: timed, TLSConfig: ca.TLSConfig(), ReadHeaderTimeout: 10 * time.Second}
	go srv.ServeTLS(ln, "", "")
	defer srv.Close()
	url := "https://" + ln.Addr().String()
	client, err := jpki.NewClient(ca.ClientConfig(url))
	if err != nil {
		return err
	}
	svc := jpki.NewService(db, v, residents, client, quiet)

	// The card's requests: a few RSA 2048 keys, each request used in turn.
	var ders [][]byte
	for range 4 {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return err
		}
		der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{}, k)
		if err != nil {
			return err
		}
		ders = append(ders, der)
	}
	today := time.Now().Format(time.DateOnly)

	// The floor: the same requests posted straight to the CA over mutual
	// TLS with a kept-alive connection, the answer read and decoded.
	pool := x509.NewCertPool()
	pool.AddCert(ca.Root())
	raw := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{ca.ClientCertificate()}, MinVersion: tls.VersionTLS13},
		ForceAttemptHTTP2: true, MaxIdleConnsPerHost: 16, Proxy: nil}}
	direct := func(window, i int) error {
		body, err := json.Marshal(jpki.IssueRequest{RequestID: fmt.Sprint("floor-", i), Municipality: muni, Resident: codes[window], Kind: jpki.Signature,
			Applicant: &items[window], ApplicationDate: today, CSR: ders[i%len(ders)]})
		if err != nil {
			return err
		}
		res, err := raw.Post(url+"/v1/certificates", "application/json", bytes.NewReader(body))
		if err != nil {
			return err
		}
		defer res.Body.Close()
		var out jpki.IssueResponse
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != http.StatusOK || len(out.Certificate) == 0 {
			return fmt.Errorf("bench jpki: the CA answered %d: %v", res.StatusCode, err)
		}
		return nil
	}
	through := func(window, i int) error {
		t0 := time.Now()
		a, err := svc.Open(ctx, muni, codes[window], resident.VerifiedByMyNumberCard)
		if err != nil {
			return err
		}
		t1 := time.Now()
		defer func() {
			if !phases.on.Load() {
				return
			}
			phases.open.Add(int64(t1.Sub(t0)))
			phases.issue.Add(int64(time.Since(t1)))
			phases.count.Add(1)
		}()
		res, err := svc.Issue(ctx, muni, a.ID, jpki.Request{Signature: base64.StdEncoding.EncodeToString(ders[i%len(ders)])})
		if err != nil {
			return err
		}
		if len(res.Issued) != 1 {
			return fmt.Errorf("bench jpki: %d certificates issued, want 1", len(res.Issued))
		}
		return nil
	}
	// Warm up both ways (connections, the vault's keys), untimed.
	if _, err := runJPKIWorkers(*clerks, *clerks, direct); err != nil {
		return err
	}
	if _, err := runJPKIWorkers(*clerks, *clerks, through); err != nil {
		return err
	}

	profile, closeProfile, err := openProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer closeProfile()
	if profile != nil {
		if err := pprof.StartCPUProfile(profile); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	// CPU per issuance each way: this process's (bango and the CA, or the
	// CA and its direct client), the machine's (with the database's and
	// anything else running) and the bench's own PostgreSQL server
	// processes'.
	var cpu [2]struct{ self, machine, server time.Duration }
	timedRound := func(way int, share int, do func(window, i int) error) (time.Duration, error) {
		phases.on.Store(way == 1)
		defer phases.on.Store(false)
		self0, machine0, server0 := selfCPU(), machineCPU(), serverCPU(ctx, db, appName)
		d, err := runJPKIWorkers(share, *clerks, do)
		cpu[way].self += selfCPU() - self0
		cpu[way].machine += machineCPU() - machine0
		cpu[way].server += serverCPU(ctx, db, appName) - server0
		return d, err
	}
	bangoRound := func(share int) (time.Duration, error) { return timedRound(1, share, through) }
	floorRound := func(share int) (time.Duration, error) { return timedRound(0, share, direct) }
	// Rounds: both ways on each round's share, the first way alternating;
	// each way's rate is over its own rounds' total time.
	var floor, bango time.Duration
	var ratios []float64
	for r := range *rounds {
		share := *n / *rounds
		if r < *n%*rounds {
			share++
		}
		var f, b time.Duration
		var err error
		if r%2 == 0 {
			if f, err = floorRound(share); err == nil {
				b, err = bangoRound(share)
			}
		} else {
			if b, err = bangoRound(share); err == nil {
				f, err = floorRound(share)
			}
		}
		if err != nil {
			return err
		}
		floor += f
		bango += b
		ratios = append(ratios, f.Seconds()/b.Seconds())
	}
	slices.Sort(ratios)
	floorRate := float64(*n) / floor.Seconds()
	rate := float64(*n) / bango.Seconds()
	fmt.Fprintf(stdout, "bench jpki: %d signature certificates each way, %d at once, %s, stand-in CA (RSA 2048, %d signing at once) on loopback over mutual TLS\n",
		*n, *clerks, db.Engine(), max(*signers, 1))
	fmt.Fprintf(stdout, "  CA alone answering the same requests (floor): %8.1f issuances/s\n", floorRate)
	fmt.Fprintf(stdout, "  through bango (window's whole path):         %8.1f issuances/s\n", rate)
	fmt.Fprintf(stdout, "  ratio %.3f (target at least 0.8); %d rounds, ratios %.2f to %.2f, median %.3f\n", rate/floorRate,
		len(ratios), ratios[0], ratios[len(ratios)-1], ratios[len(ratios)/2])
	per := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(*n) }
	fmt.Fprintf(stdout, "  CPU per issuance, floor: this process %.2f ms, machine %.2f ms; through bango: this process %.2f ms, machine %.2f ms",
		per(cpu[0].self), per(cpu[0].machine), per(cpu[1].self), per(cpu[1].machine))
	if cpu[1].server > 0 {
		fmt.Fprintf(stdout, ", the bench's PostgreSQL server processes %.2f ms", per(cpu[1].server))
	}
	fmt.Fprintln(stdout)
	if c := phases.count.Load(); c > 0 {
		ms := func(d int64) float64 { return float64(d) / float64(c) / 1e6 }
		fmt.Fprintf(stdout, "  a clerk's issuance through bango, mean: opening %.2f ms, issuing %.2f ms, of which in the CA's handler %.2f ms\n",
			ms(phases.open.Load()), ms(phases.issue.Load()), ms(phases.atCA.Load()))
	}
	return nil
}

// selfCPU is the user and system CPU time this process has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// machineCPU is the CPU time every process on the machine has used (the
// busy time of /proc/stat), or 0 where there is none to read.
func machineCPU() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0
	}
	var busy int64
	for i, v := range f[1:8] { // user nice system idle iowait irq softirq
		if i == 3 || i == 4 {
			continue
		}
		k, _ := strconv.ParseInt(v, 10, 64)
		busy += k
	}
	return time.Duration(busy) * time.Second / 100 // USER_HZ
}

// serverCPU is the CPU time the PostgreSQL server processes serving the
// connections named appName have used, read from /proc where the server
// runs on this machine; 0 otherwise (SQLite, a remote server).
func serverCPU(ctx context.Context, db *store.DB, appName string) time.Duration {
	if appName == "" {
		return 0
	}
	var pids []int64
	err := db.Read(ctx, func(q store.Querier) (err error) {
		pids, err = store.Rows(func(row store.Scanner) (int64, error) {
			var pid int64
			err := row.Scan(&pid)
			return pid, err
		})(q.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE application_name = $1`, appName))
		return err
	})
	if err != nil {
		return 0
	}
	var ticks int64
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// After the command in parentheses: state is field 3, utime 14, stime 15.
		_, rest, ok := strings.Cut(string(b), ") ")
		f := strings.Fields(rest)
		if !ok || len(f) < 13 {
			continue
		}
		for _, v := range f[11:13] {
			k, _ := strconv.ParseInt(v, 10, 64)
			ticks += k
		}
	}
	return time.Duration(ticks) * time.Second / 100 // USER_HZ
}

// runJPKIWorkers calls do for 0..n-1 on workers goroutines at once, each
// goroutine a window with its own applicant (do's window), and returns how
// long it took; the first error stops it.
func runJPKIWorkers(n, workers int, do func(window, i int) error) (time.Duration, error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	start := time.Now()
	for window := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := do(window, i); err != nil {
					once.Do(func() { first = err })
					next.Store(int64(n))
					return
				}
			}
		}()
	}
	wg.Wait()
	return time.Since(start), first
}
