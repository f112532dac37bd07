package config

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func parse(t *testing.T, args []string, env map[string]string) (*Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	Flags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return load(fs, func(k string) string { return env[k] })
}

func TestDefaults(t *testing.T) {
	c, err := parse(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.DataDir != "./bango-data" || c.DBURL != filepath.Join("bango-data", "bango.db") || c.Listen != "127.0.0.1:8443" ||
		c.PlainHTTP || !c.AutoMigrate || c.MasterKeyFile != filepath.Join("bango-data", "master.key") || c.AllowRLSBypass {
		t.Fatalf("defaults = %+v", c)
	}
	// A connection that row-level security does not bind is allowed only
	// when said explicitly (R-AC-6).
	if c, err := parse(t, nil, map[string]string{"BANGO_ALLOW_RLS_BYPASS": "true"}); err != nil || !c.AllowRLSBypass {
		t.Fatalf("BANGO_ALLOW_RLS_BYPASS=true: %v %v", c, err)
	}
}

func TestPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "bango.json")
	os.WriteFile(file, []byte(`{"data": "/from-file", "listen": "127.0.0.1:1", "hostnames": ["a.lg.jp", "10.0.0.5"], "auto_migrate": false}`), 0o600)
	secret := filepath.Join(dir, "db-url")
	os.WriteFile(secret, []byte("postgres://bango:pw@db/bango\n"), 0o600)
	c, err := parse(t, []string{"--config", file, "--listen", "127.0.0.1:3"},
		map[string]string{"BANGO_LISTEN": "127.0.0.1:2", "BANGO_DB_FILE": secret})
	if err != nil {
		t.Fatal(err)
	}
	if c.DataDir != "/from-file" || c.Listen != "127.0.0.1:3" || c.DBURL != "postgres://bango:pw@db/bango" ||
		len(c.Hostnames) != 2 || c.AutoMigrate {
		t.Fatalf("got %+v", c)
	}
	for _, kv := range c.Redacted() {
		if strings.Contains(kv[1], "pw") {
			t.Fatalf("secret printed: %v", kv)
		}
	}
}

func TestValidation(t *testing.T) {
	tests := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"--http", "--listen", ":8080"}, nil, "loopback"},
		{[]string{"--http", "--listen", "0.0.0.0:8080"}, nil, "loopback"},
		{[]string{"--listen", "nonsense"}, nil, "listen"},
		{[]string{"--tls-cert", "x.pem"}, nil, "give both"},
		{[]string{"--log-level", "loud"}, nil, "log-level"},
		{nil, map[string]string{"BANGO_HTTP": "maybe"}, "BANGO_HTTP"},
		{nil, map[string]string{"BANGO_CONFIG": "/nonexistent.json"}, "nonexistent"},
		{[]string{"--metrics-listen", "9090"}, nil, "metrics-listen"},
		{[]string{"--metrics-listen", "127.0.0.1:8443"}, nil, "metrics-listen: must differ"},
	}
	for _, tt := range tests {
		_, err := parse(t, tt.args, tt.env)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v %v: err = %v, want mention of %q", tt.args, tt.env, err, tt.want)
		}
	}
	for _, ok := range [][]string{{"--http", "--listen", "127.0.0.1:8080"}, {"--http", "--listen", "[::1]:8080"}, {"--http", "--listen", "localhost:8080"},
		{"--metrics-listen", "127.0.0.1:9464"}} {
		if _, err := parse(t, ok, nil); err != nil {
			t.Errorf("%v: %v", ok, err)
		}
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"colour": "blue"}`), 0o600)
	if _, err := parse(t, []string{"--config", bad}, nil); err == nil || !strings.Contains(err.Error(), "colour") {
		t.Errorf("unknown key: %v", err)
	}
}

// R-AC-4: the statutory purposes of a reveal are configured as a list.
func TestRevealPurposes(t *testing.T) {
	c, err := parse(t, []string{"--reveal-purposes", "国保資格; 高額療養費 ;"}, nil)
	if err != nil || len(c.RevealPurposes) != 2 || c.RevealPurposes[1] != "高額療養費" {
		t.Fatalf("purposes = %q, %v", c.RevealPurposes, err)
	}
	if _, err := parse(t, []string{"--reveal-purposes", strings.Repeat("長", 101)}, nil); err == nil {
		t.Fatal("an over-long purpose was accepted")
	}
}

// Issue 15, R-AUTH-4, R-AUD-3: session times are settings within safe
// bounds; STARTTLS is required by default; the mail server's CA file
// must hold a certificate.
func TestSessionAndMailSettings(t *testing.T) {
	c, err := parse(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.IdleLock != 10*time.Minute || c.SessionLife != 9*time.Hour || c.PasswordStage != 10*time.Minute || !c.SMTPRequireTLS {
		t.Fatalf("defaults: idle %v, life %v, password stage %v, require TLS %v", c.IdleLock, c.SessionLife, c.PasswordStage, c.SMTPRequireTLS)
	}
	c, err = parse(t, []string{"--idle-lock-minutes", "5", "--session-hours", "8", "--password-stage-minutes", "3"}, nil)
	if err != nil || c.IdleLock != 5*time.Minute || c.SessionLife != 8*time.Hour || c.PasswordStage != 3*time.Minute {
		t.Fatalf("set: %+v %v", c, err)
	}
	for _, args := range [][]string{{"--idle-lock-minutes", "0"}, {"--idle-lock-minutes", "600"}, {"--session-hours", "24"}, {"--password-stage-minutes", "60"}} {
		if _, err := parse(t, args, nil); err == nil || !strings.Contains(err.Error(), strings.TrimPrefix(args[0], "--")) {
			t.Errorf("%v accepted: %v", args, err)
		}
	}
	bad := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(bad, []byte("not a certificate"), 0o600)
	if _, err := parse(t, []string{"--smtp-ca-file", bad}, nil); err == nil || !strings.Contains(err.Error(), "smtp-ca-file") {
		t.Fatalf("a CA file without a certificate: %v", err)
	}
}

// Issue 15, R-AUTH-1: the limits on callers without a session and the
// hash queue have safe defaults and bounds both ways (a limit too high is
// no limit), from flags, environment or file alike.
func TestRateLimitSettings(t *testing.T) {
	c, err := parse(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.AnonymousPerMinute != 20 || c.AnonymousBurst != 10 || c.LoginIDPerMinute != 10 || c.Argon2Queue != 4 {
		t.Fatalf("defaults: %d/min burst %d, login ID %d/min, queue %d", c.AnonymousPerMinute, c.AnonymousBurst, c.LoginIDPerMinute, c.Argon2Queue)
	}
	c, err = parse(t, []string{"--anonymous-per-minute", "60", "--login-id-per-minute", "5"},
		map[string]string{"BANGO_ANONYMOUS_BURST": "20", "BANGO_ARGON2_QUEUE": "0"})
	if err != nil || c.AnonymousPerMinute != 60 || c.AnonymousBurst != 20 || c.LoginIDPerMinute != 5 || c.Argon2Queue != 0 {
		t.Fatalf("set: %+v %v", c, err)
	}
	for _, args := range [][]string{{"--anonymous-per-minute", "0"}, {"--anonymous-per-minute", "100000"}, {"--anonymous-burst", "0"},
		{"--login-id-per-minute", "0"}, {"--login-id-per-minute", "61"}, {"--argon2-queue", "-1"}, {"--argon2-queue", "1000"}} {
		if _, err := parse(t, args, nil); err == nil || !strings.Contains(err.Error(), strings.TrimPrefix(args[0], "--")) {
			t.Errorf("%v accepted: %v", args, err)
		}
	}
}
