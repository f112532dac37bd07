// Package config is bango's one typed configuration. Each setting can come
// from a default, a JSON file (--config), a BANGO_* environment variable
// (or BANGO_*_FILE holding the path of a file with the value, for secrets),
// or a flag, in that order of precedence; Load validates the result once, at
// start, with errors that say which setting is wrong and why.
package config

import (
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"bango/internal/errs"
	"bango/internal/store"
)

// Config is the effective configuration.
type Config struct {
	DataDir   string   `json:"data"`
	DBURL     string   `json:"db"`
	Listen    string   `json:"listen"`
	PlainHTTP bool     `json:"http"`
	TLSCert   string   `json:"tls_cert"`
	TLSKey    string   `json:"tls_key"`
	Hostnames []string `json:"hostnames"`
	// WebAuthnRPID is the relying-party ID of WebAuthn credentials: the
	// host name staff type in the browser; WebAuthnOrigins the origins
	// the browser may report (default: https://RPID:listen-port).
	WebAuthnRPID    string        `json:"webauthn_rp_id"`
	WebAuthnOrigins []string      `json:"webauthn_origins"`
	MasterKeyFile   string        `json:"master_key_file"`
	AutoMigrate     bool          `json:"auto_migrate"`
	LogLevel        string        `json:"log_level"`
	ShutdownGrace   time.Duration `json:"shutdown_grace"`

	// AllowRLSBypass lets serve start connected to PostgreSQL as a
	// superuser or a BYPASSRLS role, which row-level security does not
	// bind (R-AC-6); off, serve refuses such a connection.
	AllowRLSBypass bool `json:"allow_rls_bypass"`

	// MetricsListen is where Prometheus metrics are served, in plain
	// HTTP and nothing else (issue 17); empty: not served.
	MetricsListen string `json:"metrics_listen"`

	// PartnerListen is where linkage partners' data-link machines reach
	// bango, over mutual TLS with the certificates bango issued them
	// (issue 20, R-LNK-3): on the dedicated line's interface; empty: off.
	PartnerListen string `json:"partner_listen"`

	EnforceTerminals   bool   `json:"enforce_terminals"`
	TrustedProxies     string `json:"trusted_proxies"`
	PasswordMaxAgeDays int    `json:"password_max_age_days"`
	LockoutAfter       int    `json:"lockout_after"`
	LockoutMinutes     int    `json:"lockout_minutes"`
	RevealPerHour      int    `json:"reveal_alert_per_hour"`
	// Monitoring and mail reports (R-AUD-3).
	SMTPHost       string        `json:"smtp_host"`
	SMTPPort       int           `json:"smtp_port"`
	SMTPFrom       string        `json:"smtp_from"`
	SMTPTo         []string      `json:"smtp_to"`
	SMTPUser       string        `json:"smtp_username"`
	SMTPPassword   string        `json:"smtp_password"`
	SMTPRequireTLS bool          `json:"smtp_require_tls"`
	SMTPCAFile     string        `json:"smtp_ca_file"` // the mail server's CA (PEM), when not a public one
	ReportEvery    time.Duration `json:"mail_report_every"`
	SampleEvery    time.Duration `json:"db_sample_every"`
	OpenHour       int           `json:"business_open_hour"`
	CloseHour      int           `json:"business_close_hour"`
	// RevealPurposes are the statutory uses a reveal may name; empty:
	// the built-in list (番号法 別表).
	RevealPurposes  []string `json:"reveal_purposes"`
	Argon2MemoryKiB uint32   `json:"argon2_memory_kib"`
	Argon2Time      uint32   `json:"argon2_time"`
	// Argon2Queue: logins that may wait per running hash; beyond, 503 at once.
	Argon2Queue int `json:"argon2_queue"`
	// What a caller without a session may cost (issue 15): requests that
	// write or hash, per client address, and password attempts per login ID.
	AnonymousPerMinute int `json:"anonymous_per_minute"`
	AnonymousBurst     int `json:"anonymous_burst"`
	LoginIDPerMinute   int `json:"login_id_per_minute"`

	AuditKeyFile        string        `json:"audit_key_file"`
	AuditCheckpointN    int64         `json:"audit_checkpoint_every"`
	AuditCheckpointT    time.Duration `json:"audit_checkpoint_period"`
	AuditRetentionYears int           `json:"audit_retention_years"`

	// Sessions (R-AUTH-4): the sources say only "a certain time"; the
	// bounds keep a setting from switching the control off.
	IdleLock      time.Duration `json:"idle_lock_minutes"`
	SessionLife   time.Duration `json:"session_hours"`
	PasswordStage time.Duration `json:"password_stage_minutes"`

	// The certification authority of JPKI issuance (J-LIS, or bango
	// jpki-standin-ca; docs/jpki.md): its https address, its root as the
	// trust anchor, and bango's client certificate and key for mutual
	// TLS (R-LNK-3). Empty address: no issuance.
	JPKICAURL      string `json:"jpki_ca_url"`
	JPKICAAnchor   string `json:"jpki_ca_anchor"`
	JPKIClientCert string `json:"jpki_client_cert"`
	JPKIClientKey  string `json:"jpki_client_key"`
}

// setting describes one configuration item once, for flags, environment,
// file and printing alike.
type setting struct {
	name   string // flag name and file key (with - for _)
	help   string
	secret bool
	isBool bool
	def    string
	set    func(*Config, string) error
	get    func(*Config) string
}

func str(p func(*Config) *string) (func(*Config, string) error, func(*Config) string) {
	return func(c *Config, v string) error { *p(c) = v; return nil }, func(c *Config) string { return *p(c) }
}

func boolean(p func(*Config) *bool) (func(*Config, string) error, func(*Config) string) {
	return func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("%q is not true or false", v)
			}
			*p(c) = b
			return nil
		}, func(c *Config) string {
			return strconv.FormatBool(*p(c))
		}
}

var settings = func() []setting {
	var s []setting
	add := func(name, def, help string, secret bool, set func(*Config, string) error, get func(*Config) string) {
		s = append(s, setting{name: name, def: def, help: help, secret: secret, set: set, get: get})
	}
	set, get := str(func(c *Config) *string { return &c.DataDir })
	add("data", "./bango-data", "data folder: SQLite database, key files, local CA", false, set, get)
	set, get = str(func(c *Config) *string { return &c.DBURL })
	add("db", "", "database URL: postgres://… or a SQLite path (default: SQLite in the data folder)", true, set, get)
	set, get = str(func(c *Config) *string { return &c.Listen })
	add("listen", "127.0.0.1:8443", "address to listen on", false, set, get)
	set, get = str(func(c *Config) *string { return &c.MetricsListen })
	add("metrics-listen", "", "address serving Prometheus metrics at /metrics, plain HTTP without login: loopback or a monitoring network only (empty: off)", false, set, get)
	set, get = str(func(c *Config) *string { return &c.PartnerListen })
	add("partner-listen", "", "address linkage partners' data-link machines reach over mutual TLS (the dedicated line's interface; empty: off)", false, set, get)
	set, get = boolean(func(c *Config) *bool { return &c.PlainHTTP })
	add("http", "false", "serve plain HTTP (loopback addresses only: behind a TLS proxy, or development)", false, set, get)
	s[len(s)-1].isBool = true
	set, get = str(func(c *Config) *string { return &c.TLSCert })
	add("tls-cert", "", "server certificate (PEM); default: one issued by bango's local CA", false, set, get)
	set, get = str(func(c *Config) *string { return &c.TLSKey })
	add("tls-key", "", "server key (PEM) for --tls-cert", false, set, get)
	add("hostnames", "", "comma-separated names and addresses the local CA's server certificate covers", false,
		func(c *Config, v string) error {
			c.Hostnames = nil
			for _, h := range strings.Split(v, ",") {
				if h = strings.TrimSpace(h); h != "" {
					c.Hostnames = append(c.Hostnames, h)
				}
			}
			return nil
		}, func(c *Config) string { return strings.Join(c.Hostnames, ",") })
	set, get = str(func(c *Config) *string { return &c.WebAuthnRPID })
	add("webauthn-rp-id", "localhost", "WebAuthn relying-party ID: the host name staff open bango by (not an IP address); credentials are bound to it", false, set, get)
	add("webauthn-origins", "", "comma-separated origins for WebAuthn (default: https://RPID:PORT of --listen; list the proxy's origin when behind one)", false,
		func(c *Config, v string) error {
			c.WebAuthnOrigins = nil
			for _, o := range strings.Split(v, ",") {
				if o = strings.TrimSpace(o); o != "" {
					c.WebAuthnOrigins = append(c.WebAuthnOrigins, o)
				}
			}
			return nil
		}, func(c *Config) string { return strings.Join(c.WebAuthnOrigins, ",") })
	set, get = str(func(c *Config) *string { return &c.MasterKeyFile })
	add("master-key-file", "", "master key file, mode 0600 (default: master.key in the data folder)", false, set, get)
	set, get = boolean(func(c *Config) *bool { return &c.AutoMigrate })
	add("auto-migrate", "true", "apply database migrations at start", false, set, get)
	s[len(s)-1].isBool = true
	set, get = boolean(func(c *Config) *bool { return &c.AllowRLSBypass })
	add("allow-rls-bypass", "false", "let serve start connected to PostgreSQL as a superuser or BYPASSRLS role, which row-level security does not bind (never in production)", false, set, get)
	s[len(s)-1].isBool = true
	set, get = str(func(c *Config) *string { return &c.LogLevel })
	add("log-level", "info", "debug, info, warn or error", false, set, get)
	add("shutdown-grace", "10s", "how long to let requests finish on shutdown", false,
		func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil {
				return fmt.Errorf("%q is not a duration such as 10s", v)
			}
			c.ShutdownGrace = d
			return nil
		}, func(c *Config) string { return c.ShutdownGrace.String() })
	intSetting := func(name, def, help string, min int, p func(*Config) *int) {
		add(name, def, help, false, func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < min {
				return fmt.Errorf("%q is not a whole number of at least %d", v, min)
			}
			*p(c) = n
			return nil
		}, func(c *Config) string { return strconv.Itoa(*p(c)) })
	}
	uintSetting := func(name, def, help string, min uint32, p func(*Config) *uint32) {
		add(name, def, help, false, func(c *Config, v string) error {
			n, err := strconv.ParseUint(v, 10, 32)
			if err != nil || uint32(n) < min {
				return fmt.Errorf("%q is not a whole number of at least %d", v, min)
			}
			*p(c) = uint32(n)
			return nil
		}, func(c *Config) string { return strconv.FormatUint(uint64(*p(c)), 10) })
	}
	set, get = boolean(func(c *Config) *bool { return &c.EnforceTerminals })
	add("enforce-terminals", "false", "only registered terminals (bango terminal add) may reach the staff pages", false, set, get)
	s[len(s)-1].isBool = true
	set, get = str(func(c *Config) *string { return &c.TrustedProxies })
	add("trusted-proxies", "", "addresses/CIDRs of TLS-terminating proxies whose X-Forwarded-For names the client (comma-separated)", false, set, get)
	intSetting("password-max-age-days", "90", "days before a password must be changed (0: never)", 0, func(c *Config) *int { return &c.PasswordMaxAgeDays })
	intSetting("lockout-after", "5", "consecutive login failures that lock an account", 1, func(c *Config) *int { return &c.LockoutAfter })
	intSetting("lockout-minutes", "15", "how long a locked account stays locked", 1, func(c *Config) *int { return &c.LockoutMinutes })
	add("reveal-purposes", "", "semicolon-separated statutory uses a My Number reveal may give (default: the built-in list); その他 with a note is always offered", false,
		func(c *Config, v string) error {
			c.RevealPurposes = nil
			for _, p := range strings.Split(v, ";") {
				if p = strings.TrimSpace(p); p != "" {
					if utf8.RuneCountInString(p) > 100 {
						return fmt.Errorf("purpose %q is longer than 100 characters", p)
					}
					c.RevealPurposes = append(c.RevealPurposes, p)
				}
			}
			return nil
		}, func(c *Config) string { return strings.Join(c.RevealPurposes, ";") })
	intSetting("reveal-alert-per-hour", "20", "My Number reveals by one user in an hour above which the privacy manager is alerted", 1, func(c *Config) *int { return &c.RevealPerHour })
	uintSetting("argon2-memory-kib", "65536", "Argon2id memory per password hash, KiB", 8192, func(c *Config) *uint32 { return &c.Argon2MemoryKiB })
	uintSetting("argon2-time", "2", "Argon2id passes per password hash", 1, func(c *Config) *uint32 { return &c.Argon2Time })
	// Bounded both ways: a limit too high is no limit.
	intRange := func(name, def, help string, min, max int, p func(*Config) *int) {
		add(name, def, help, false, func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < min || n > max {
				return fmt.Errorf("%q is not a whole number from %d to %d", v, min, max)
			}
			*p(c) = n
			return nil
		}, func(c *Config) string { return strconv.Itoa(*p(c)) })
	}
	intRange("argon2-queue", "4", "logins that may wait for each running Argon2id hash (one runs per CPU); beyond them a login is answered 503 at once (0–64)", 0, 64, func(c *Config) *int { return &c.Argon2Queue })
	intRange("anonymous-per-minute", "20", "requests per minute per client address that write or hash without a session: password logins, cross-site posts, unregistered terminals (1–1000)", 1, 1000, func(c *Config) *int { return &c.AnonymousPerMinute })
	intRange("anonymous-burst", "10", "how many such requests an address may make at once before the per-minute rate applies (1–1000)", 1, 1000, func(c *Config) *int { return &c.AnonymousBurst })
	intRange("login-id-per-minute", "10", "password attempts per minute per login ID, from all addresses together (1–60)", 1, 60, func(c *Config) *int { return &c.LoginIDPerMinute })
	set, get = str(func(c *Config) *string { return &c.AuditKeyFile })
	add("audit-key-file", "", "audit checkpoint signing key, mode 0600 (default: audit.key in the data folder; its verifier key beside it as audit.pub)", false, set, get)
	add("audit-checkpoint-every", "1000", "sign an audit checkpoint every N events", false,
		func(c *Config, v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 1 {
				return fmt.Errorf("%q is not a positive whole number", v)
			}
			c.AuditCheckpointN = n
			return nil
		}, func(c *Config) string { return strconv.FormatInt(c.AuditCheckpointN, 10) })
	add("audit-checkpoint-period", "1m", "and at least this often while events come", false,
		func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return fmt.Errorf("%q is not a positive duration such as 1m", v)
			}
			c.AuditCheckpointT = d
			return nil
		}, func(c *Config) string { return c.AuditCheckpointT.String() })
	durationSetting := func(name, def, help string, p func(*Config) *time.Duration) {
		add(name, def, help, false, func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return fmt.Errorf("%q is not a positive duration such as 30m", v)
			}
			*p(c) = d
			return nil
		}, func(c *Config) string { return p(c).String() })
	}
	set, get = str(func(c *Config) *string { return &c.SMTPHost })
	add("smtp-host", "", "mail server for status reports (empty: no mail)", false, set, get)
	intSetting("smtp-port", "587", "mail server port (STARTTLS is used whenever the server offers it)", 1, func(c *Config) *int { return &c.SMTPPort })
	set, get = str(func(c *Config) *string { return &c.SMTPFrom })
	add("smtp-from", "", "sender address of status reports", false, set, get)
	add("smtp-to", "", "comma-separated recipients of status reports", false,
		func(c *Config, v string) error {
			c.SMTPTo = nil
			for _, a := range strings.Split(v, ",") {
				if a = strings.TrimSpace(a); a != "" {
					c.SMTPTo = append(c.SMTPTo, a)
				}
			}
			return nil
		}, func(c *Config) string { return strings.Join(c.SMTPTo, ",") })
	set, get = str(func(c *Config) *string { return &c.SMTPUser })
	add("smtp-username", "", "mail server user (only ever sent over TLS)", false, set, get)
	set, get = str(func(c *Config) *string { return &c.SMTPPassword })
	add("smtp-password", "", "mail server password (use BANGO_SMTP_PASSWORD_FILE)", true, set, get)
	set, get = boolean(func(c *Config) *bool { return &c.SMTPRequireTLS })
	add("smtp-require-tls", "true", "never send mail without STARTTLS (set false only for a mail server on the same host)", false, set, get)
	s[len(s)-1].isBool = true
	add("smtp-ca-file", "", "CA certificate(s) (PEM) that sign the mail server's certificate, when it is not publicly trusted", false,
		func(c *Config, v string) error {
			if v == "" {
				c.SMTPCAFile = ""
				return nil
			}
			b, err := os.ReadFile(v)
			if err != nil {
				return fmt.Errorf("cannot read %s: %v", v, err)
			}
			if !x509.NewCertPool().AppendCertsFromPEM(b) {
				return fmt.Errorf("%s holds no PEM certificate", v)
			}
			c.SMTPCAFile = v
			return nil
		}, func(c *Config) string { return c.SMTPCAFile })
	set, get = str(func(c *Config) *string { return &c.JPKICAURL })
	add("jpki-ca-url", "", "https address of the JPKI certification authority (J-LIS, or bango jpki-standin-ca; empty: no certificate issuance)", false, set, get)
	set, get = str(func(c *Config) *string { return &c.JPKICAAnchor })
	add("jpki-ca-anchor", "", "the JPKI CA's root certificate (PEM): its TLS certificate and every certificate it issues must chain to it", false, set, get)
	set, get = str(func(c *Config) *string { return &c.JPKIClientCert })
	add("jpki-client-cert", "", "bango's client certificate (PEM) for mutual TLS with the JPKI CA", false, set, get)
	set, get = str(func(c *Config) *string { return &c.JPKIClientKey })
	add("jpki-client-key", "", "bango's client key (PEM file, mode 0600) for --jpki-client-cert", false, set, get)
	bounded := func(name, def, help string, unit time.Duration, min, max int, p func(*Config) *time.Duration) {
		add(name, def, help, false, func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < min || n > max {
				return fmt.Errorf("%q is not a whole number from %d to %d", v, min, max)
			}
			*p(c) = time.Duration(n) * unit
			return nil
		}, func(c *Config) string { return strconv.Itoa(int(*p(c) / unit)) })
	}
	bounded("idle-lock-minutes", "10", "minutes without activity after which a session locks (1–30)", time.Minute, 1, 30, func(c *Config) *time.Duration { return &c.IdleLock })
	bounded("session-hours", "9", "hours after login at which a session ends, whatever happens (1–12)", time.Hour, 1, 12, func(c *Config) *time.Duration { return &c.SessionLife })
	bounded("password-stage-minutes", "10", "minutes a login may stay between the password and the second factor (2–15)", time.Minute, 2, 15, func(c *Config) *time.Duration { return &c.PasswordStage })
	durationSetting("mail-report-every", "30m", "how often the status report is mailed", func(c *Config) *time.Duration { return &c.ReportEvery })
	durationSetting("db-sample-every", "1m", "how often database connections are sampled (PostgreSQL)", func(c *Config) *time.Duration { return &c.SampleEvery })
	intSetting("business-open-hour", "7", "staff work from this hour (Japan time); earlier activity raises an alert", 0, func(c *Config) *int { return &c.OpenHour })
	intSetting("business-close-hour", "22", "until this hour (Japan time); later activity raises an alert", 1, func(c *Config) *int { return &c.CloseHour })
	add("audit-retention-years", "7", "keep audit event content this many years; older content may be pruned (hashes stay)", false,
		func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return fmt.Errorf("%q is not a whole number of years (at least 1)", v)
			}
			c.AuditRetentionYears = n
			return nil
		}, func(c *Config) string { return strconv.Itoa(c.AuditRetentionYears) })
	return s
}()

func envName(name string) string {
	return "BANGO_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// Flags registers the named settings (all when none are named) and
// --config on fs. Values are applied by Load after fs.Parse.
func Flags(fs *flag.FlagSet, names ...string) {
	fs.String("config", "", "JSON configuration file (env BANGO_CONFIG)")
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	for _, s := range settings {
		if len(names) > 0 && !want[s.name] {
			continue
		}
		help := s.help + " (env " + envName(s.name) + ")"
		if s.isBool {
			fs.Bool(s.name, s.def == "true", help)
		} else {
			fs.String(s.name, s.def, help)
		}
	}
}

// Load builds the configuration from defaults, the --config file, the
// environment and the flags set on fs, and validates it.
func Load(fs *flag.FlagSet) (*Config, error) {
	c, err := load(fs, os.Getenv)
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "")
	}
	return c, nil
}

func load(fs *flag.FlagSet, getenv func(string) string) (*Config, error) {
	c := &Config{}
	byName := map[string]setting{}
	for _, s := range settings {
		byName[s.name] = s
		if err := s.set(c, s.def); err != nil {
			panic(err) // a bad default is a bug
		}
	}
	path := getenv("BANGO_CONFIG")
	if f := fs.Lookup("config"); f != nil && f.Value.String() != "" {
		path = f.Value.String()
	}
	if path != "" {
		if err := loadFile(c, path, byName); err != nil {
			return nil, err
		}
	}
	for _, s := range settings {
		v, from := getenv(envName(s.name)), envName(s.name)
		if fileVar := envName(s.name) + "_FILE"; getenv(fileVar) != "" {
			b, err := os.ReadFile(getenv(fileVar))
			if err != nil {
				return nil, fmt.Errorf("config: %s: %w", fileVar, err)
			}
			v, from = strings.TrimSpace(string(b)), fileVar
		}
		if v != "" {
			if err := s.set(c, v); err != nil {
				return nil, fmt.Errorf("config: %s: %v", from, err)
			}
		}
	}
	var flagErr error
	fs.Visit(func(f *flag.Flag) {
		if s, ok := byName[f.Name]; ok && flagErr == nil {
			if err := s.set(c, f.Value.String()); err != nil {
				flagErr = fmt.Errorf("config: --%s: %v", f.Name, err)
			}
		}
	})
	if flagErr != nil {
		return nil, flagErr
	}
	if c.DBURL == "" {
		c.DBURL = filepath.Join(c.DataDir, "bango.db")
	}
	if c.MasterKeyFile == "" {
		c.MasterKeyFile = filepath.Join(c.DataDir, "master.key")
	}
	if c.AuditKeyFile == "" {
		c.AuditKeyFile = filepath.Join(c.DataDir, "audit.key")
	}
	return c, c.Validate()
}

func loadFile(c *Config, path string, byName map[string]setting) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config: file %s: %w", path, err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("config: file %s is not valid JSON: %w", path, err)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		s, ok := byName[strings.ReplaceAll(k, "_", "-")]
		if !ok {
			return fmt.Errorf("config: file %s: unknown setting %q", path, k)
		}
		var v string
		switch x := m[k].(type) {
		case string:
			v = x
		case bool:
			v = strconv.FormatBool(x)
		case []any:
			parts := make([]string, len(x))
			for i, p := range x {
				parts[i] = fmt.Sprint(p)
			}
			v = strings.Join(parts, ",")
		default:
			return fmt.Errorf("config: file %s: setting %q must be a string, boolean or list", path, k)
		}
		if err := s.set(c, v); err != nil {
			return fmt.Errorf("config: file %s: %s: %v", path, k, err)
		}
	}
	return nil
}

// WebAuthnOriginList is the origins WebAuthn accepts: as configured, or
// the RP ID at the listening port, by https (or http on loopback).
func (c *Config) WebAuthnOriginList() []string {
	if len(c.WebAuthnOrigins) > 0 {
		return c.WebAuthnOrigins
	}
	_, port, _ := net.SplitHostPort(c.Listen)
	scheme := "https"
	if c.PlainHTTP {
		scheme = "http"
	}
	return []string{scheme + "://" + net.JoinHostPort(c.WebAuthnRPID, port)}
}

// Validate checks the settings together.
func (c *Config) Validate() error {
	var problems []string
	if c.DataDir == "" {
		problems = append(problems, "data: must not be empty")
	}
	host, port, err := net.SplitHostPort(c.Listen)
	switch {
	case err != nil:
		problems = append(problems, fmt.Sprintf("listen: %q is not host:port (%v)", c.Listen, err))
	case port == "":
		problems = append(problems, "listen: no port")
	case c.PlainHTTP && !isLoopback(host):
		problems = append(problems, fmt.Sprintf("http: plain HTTP is allowed only on a loopback address, not %q (use 127.0.0.1:PORT behind a TLS proxy)", c.Listen))
	}
	if c.MetricsListen != "" {
		if _, port, err := net.SplitHostPort(c.MetricsListen); err != nil || port == "" {
			problems = append(problems, fmt.Sprintf("metrics-listen: %q is not host:port", c.MetricsListen))
		} else if c.MetricsListen == c.Listen && port != "0" {
			problems = append(problems, "metrics-listen: must differ from listen (metrics are served on a listener of their own)")
		}
	}
	if c.PartnerListen != "" {
		if _, port, err := net.SplitHostPort(c.PartnerListen); err != nil || port == "" {
			problems = append(problems, fmt.Sprintf("partner-listen: %q is not host:port", c.PartnerListen))
		} else if (c.PartnerListen == c.Listen || c.PartnerListen == c.MetricsListen) && port != "0" {
			problems = append(problems, "partner-listen: must differ from listen and metrics-listen (partners are served on a listener of their own)")
		}
	}
	if _, ipErr := netip.ParseAddr(c.WebAuthnRPID); ipErr == nil || c.WebAuthnRPID == "" || strings.ContainsAny(c.WebAuthnRPID, ":/ ") {
		problems = append(problems, fmt.Sprintf("webauthn-rp-id: %q must be a host name such as bango.city.example.lg.jp (not an IP address, no scheme or port)", c.WebAuthnRPID))
	}
	for _, o := range c.WebAuthnOrigins {
		if u, err := url.Parse(o); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" {
			problems = append(problems, fmt.Sprintf("webauthn-origins: %q is not an origin like https://host:port", o))
		}
	}
	if c.SMTPHost != "" && (c.SMTPFrom == "" || len(c.SMTPTo) == 0) {
		problems = append(problems, "smtp-host: give smtp-from and smtp-to as well")
	}
	if c.OpenHour >= c.CloseHour || c.CloseHour > 24 {
		problems = append(problems, fmt.Sprintf("business-open-hour/business-close-hour: %d–%d is not a day's working hours", c.OpenHour, c.CloseHour))
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		problems = append(problems, "tls-cert and tls-key: give both or neither")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		problems = append(problems, fmt.Sprintf("log-level: %q is not debug, info, warn or error", c.LogLevel))
	}
	if c.ShutdownGrace < 0 {
		problems = append(problems, "shutdown-grace: must not be negative")
	}
	if len(problems) > 0 {
		return fmt.Errorf("config: %s", strings.Join(problems, "; "))
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// AuditVerifierFile is where the audit verifier key is kept: beside the
// signing key, with the extension .pub.
func (c *Config) AuditVerifierFile() string {
	return strings.TrimSuffix(c.AuditKeyFile, filepath.Ext(c.AuditKeyFile)) + ".pub"
}

// AuditRetentionCutoff is the time before which audit content may be pruned.
func (c *Config) AuditRetentionCutoff(now time.Time) time.Time {
	return now.AddDate(-c.AuditRetentionYears, 0, 0)
}

// Redacted lists every setting with its effective value, secrets masked,
// for `bango config`.
func (c *Config) Redacted() [][2]string {
	var out [][2]string
	for _, s := range settings {
		v := s.get(c)
		if s.secret && v != "" {
			if s.name == "db" {
				v = store.Redact(v)
			} else {
				v = "REDACTED"
			}
		}
		out = append(out, [2]string{s.name, v})
	}
	return out
}
