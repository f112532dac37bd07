package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"bango/internal/audit"
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
and the work record's end in one transaction — beside the stand-in CA alone
signing the same requests (the floor), in the same run, on a scratch SQLite
database. Target: at least 0.8 of the floor.`

// runBenchJPKI is "bango bench jpki".
func runBenchJPKI(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench jpki", "[flags]", benchJPKISummary, stderr)
	n := fs.Int("n", 200, "signature certificates to issue each way")
	if err := parse(fs, args); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "bango-bench-jpki-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	db, err := store.Open(ctx, filepath.Join(dir, "bango.db"))
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	mk, _, err := vault.LoadKeyFile(filepath.Join(dir, "master.key"), true)
	if err != nil {
		return err
	}
	v := vault.New(db, mk)
	ctx = audit.WithActor(ctx, audit.Actor{User: "bench"})
	const muni, code = "131041", "900001"
	if _, err := tenant.NewService(db, v).Create(ctx, muni, "新宿区"); err != nil {
		return err
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	residents := resident.NewService(db, v, quiet)
	in := resident.Input{Code: code, NameKanji: "試験　太郎", NameKana: "シケン　タロウ", Address: "東京都新宿区西新宿二丁目8番1号", BirthDate: "1980-04-01", Sex: "1"}
	if _, err := residents.Create(ctx, muni, in); err != nil {
		return err
	}
	ca, err := standin.New(standin.Options{})
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
	client, err := jpki.NewClient(ca.ClientConfig("https://" + ln.Addr().String()))
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
	items := jpki.Items{Name: in.NameKanji, Address: in.Address, BirthDate: in.BirthDate, Sex: in.Sex}
	today := time.Now().Format(time.DateOnly)

	start := time.Now()
	for i := range *n {
		_, refusal := ca.Sign(jpki.IssueRequest{RequestID: fmt.Sprint(i), Municipality: muni, Kind: jpki.Signature, Applicant: &items,
			ApplicationDate: today, CSR: ders[i%len(ders)]})
		if refusal != nil {
			return fmt.Errorf("the CA refused: %s", refusal.EN)
		}
	}
	floor := time.Since(start)

	start = time.Now()
	for i := range *n {
		a, err := svc.Open(ctx, muni, code, resident.VerifiedByMyNumberCard)
		if err != nil {
			return err
		}
		if _, err := svc.Issue(ctx, muni, a.ID, jpki.Request{Signature: base64.StdEncoding.EncodeToString(ders[i%len(ders)])}); err != nil {
			return err
		}
	}
	through := time.Since(start)
	floorRate := float64(*n) / floor.Seconds()
	rate := float64(*n) / through.Seconds()
	fmt.Fprintf(stdout, "bench jpki: %d signature certificates each way, SQLite, stand-in CA on loopback over mutual TLS\n", *n)
	fmt.Fprintf(stdout, "  CA alone signing the same requests (floor): %8.1f issuances/s\n", floorRate)
	fmt.Fprintf(stdout, "  through bango (window's whole path):       %8.1f issuances/s\n", rate)
	fmt.Fprintf(stdout, "  ratio %.3f (target at least 0.8)\n", rate/floorRate)
	return nil
}
