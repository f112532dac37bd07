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
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"bango/internal/audit"
	"bango/internal/bench"
	"bango/internal/jpki"
	"bango/internal/jpki/standin"
	"bango/internal/resident"
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
	db, closeDB, err := bench.ScratchDB(ctx, *dbURL)
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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: ca.Handler(), TLSConfig: ca.TLSConfig(), ReadHeaderTimeout: 10 * time.Second}
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
	direct := func(i int) error {
		body, err := json.Marshal(jpki.IssueRequest{RequestID: fmt.Sprint("floor-", i), Municipality: muni, Resident: codes[i%len(codes)], Kind: jpki.Signature,
			Applicant: &items[i%len(items)], ApplicationDate: today, CSR: ders[i%len(ders)]})
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
	through := func(i int) error {
		a, err := svc.Open(ctx, muni, codes[i%len(codes)], resident.VerifiedByMyNumberCard)
		if err != nil {
			return err
		}
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

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
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
			if f, err = runJPKIWorkers(share, *clerks, direct); err == nil {
				b, err = runJPKIWorkers(share, *clerks, through)
			}
		} else {
			if b, err = runJPKIWorkers(share, *clerks, through); err == nil {
				f, err = runJPKIWorkers(share, *clerks, direct)
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
	return nil
}

// runJPKIWorkers calls do for 0..n-1 on workers goroutines at once and returns how
// long it took; the first error stops it.
func runJPKIWorkers(n, workers int, do func(int) error) (time.Duration, error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := do(i); err != nil {
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
