package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"bango/internal/audit"
	"bango/internal/identity"
	"bango/internal/testutil"
	"bango/internal/vault"
)

// LoginResult compares a whole login — password, TOTP code with PIN, new
// session, each step audited — with one Argon2id hash at the same cost,
// the floor a login cannot go below (it verifies two: password and PIN).
type LoginResult struct {
	Engine         string  `json:"engine"`
	Logins         int     `json:"logins"`
	MemoryKiB      uint32  `json:"argon2_memory_kib"`
	Time           uint32  `json:"argon2_time"`
	LoginsPerSec   float64 `json:"logins_per_second"`
	LoginP50ms     float64 `json:"login_p50_ms"`
	LoginP99ms     float64 `json:"login_p99_ms"`
	HashesPerSec   float64 `json:"hashes_per_second"`
	HashP50ms      float64 `json:"hash_p50_ms"`
	HashP99ms      float64 `json:"hash_p99_ms"`
	RatioToTwoHash float64 `json:"ratio_to_two_hashes"` // logins/s ÷ (hashes/s ÷ 2)
}

// Login runs n logins one after another on the engine of dbURL.
func Login(ctx context.Context, dbURL string, n int, p identity.Params) (LoginResult, error) {
	if n <= 0 {
		return LoginResult{}, fmt.Errorf("bench login: --logins must be positive")
	}
	ctx = audit.WithActor(ctx, audit.Actor{User: "system:bench"})
	s, err := newScratch(ctx, dbURL)
	if err != nil {
		return LoginResult{}, err
	}
	defer s.Close()
	mk, _, err := vault.LoadKeyFile(filepath.Join(s.dir, "master.key"), true)
	if err != nil {
		return LoginResult{}, err
	}
	hasher := identity.NewHasher(p, 2)
	users := identity.NewService(s.db, vault.New(s.db, mk), hasher, identity.DefaultPolicy, quietLogger())
	// Each login happens one TOTP step after the last: a code is good once.
	now := time.Now().UTC()
	users.SetClock(func() time.Time { return now })
	_, temp, err := users.Create(ctx, identity.NewUser{LoginID: "bench.user", Name: "ベンチ"})
	if err != nil {
		return LoginResult{}, err
	}
	const password = "correct horse battery"
	if err := users.ChangePassword(ctx, "bench.user", temp, password); err != nil {
		return LoginResult{}, err
	}
	key, err := users.EnrollTOTP(ctx, "bench.user")
	if err != nil {
		return LoginResult{}, err
	}
	if err := users.SetPIN(ctx, "bench.user", "2580"); err != nil {
		return LoginResult{}, err
	}

	res := LoginResult{Engine: string(s.db.Engine()), Logins: n, MemoryKiB: p.MemoryKiB, Time: p.Time}
	logins := make([]time.Duration, 0, n)
	start := time.Now()
	for i := 0; i < n; i++ {
		now = now.Add(30 * time.Second)
		t0 := time.Now()
		u, err := users.CheckPassword(ctx, "bench.user", password)
		if err != nil {
			return res, err
		}
		if _, err := users.CheckSecondFactor(ctx, "bench.user", testutil.TOTP(key.Secret, now), "2580"); err != nil {
			return res, err
		}
		if _, _, err := users.StartSession(ctx, u, identity.StageActive, "127.0.0.1", "bench", ""); err != nil {
			return res, err
		}
		logins = append(logins, time.Since(t0))
	}
	res.LoginsPerSec = float64(n) / time.Since(start).Seconds()
	res.LoginP50ms, res.LoginP99ms = percentile(logins, 50), percentile(logins, 99)

	hashes := make([]time.Duration, 0, n)
	start = time.Now()
	for i := 0; i < n; i++ {
		t0 := time.Now()
		if _, err := hasher.Hash(ctx, password); err != nil {
			return res, err
		}
		hashes = append(hashes, time.Since(t0))
	}
	res.HashesPerSec = float64(n) / time.Since(start).Seconds()
	res.HashP50ms, res.HashP99ms = percentile(hashes, 50), percentile(hashes, 99)
	res.RatioToTwoHash = res.LoginsPerSec / (res.HashesPerSec / 2)
	return res, nil
}

func percentile(ds []time.Duration, p int) float64 {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return float64(s[max(0, min(len(s)-1, i-1))].Microseconds()) / 1000
}
