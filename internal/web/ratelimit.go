package web

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"bango/internal/audit"
	"bango/internal/cleantext"
	"bango/internal/errs"
	"bango/internal/identity"
)

// Limits bound what a caller without a session can cost the server (issue
// 15): a request that would write an audit event or run an Argon2 hash
// before anyone is known spends a token of its client address, and a
// password attempt also one of its login ID. Beyond them the answer is 429
// with Retry-After, nothing is hashed, and the throttled requests are
// counted into a few audit events instead of one each (R-AUD-1 without a
// flood). The state is in memory: each process has its own.
type Limits struct {
	// AnonymousPerMinute and AnonymousBurst: per client address, for
	// password logins, cross-site posts and requests of unregistered
	// terminals.
	AnonymousPerMinute int
	AnonymousBurst     int
	// LoginIDPerMinute: password attempts per login ID from any address
	// (burst the same), so that one account cannot be tried from many
	// addresses faster than this; the lockout after repeated failures
	// stays as well.
	LoginIDPerMinute int
}

// DefaultLimits are the settings' defaults.
var DefaultLimits = Limits{AnonymousPerMinute: 20, AnonymousBurst: 10, LoginIDPerMinute: 10}

const (
	// maxTracked bounds each limiter's memory: beyond it the bucket seen
	// least recently is forgotten (most likely one that has refilled).
	maxTracked = 10000
	// throttleWindow: the throttled requests of one address or login ID
	// within it become one summary event.
	throttleWindow = time.Minute
	// busyRetry is the Retry-After of a full hash queue: a hash takes
	// well under a second.
	busyRetry = time.Second
)

// rateLimits is the server's limiters and the record of their refusals.
type rateLimits struct {
	byAddress *buckets
	byLoginID *buckets
	bursts    *burstLog
	now       func() time.Time
}

func newRateLimits(l Limits) *rateLimits {
	if l.AnonymousPerMinute <= 0 {
		l.AnonymousPerMinute = DefaultLimits.AnonymousPerMinute
	}
	if l.AnonymousBurst <= 0 {
		l.AnonymousBurst = DefaultLimits.AnonymousBurst
	}
	if l.LoginIDPerMinute <= 0 {
		l.LoginIDPerMinute = DefaultLimits.LoginIDPerMinute
	}
	return &rateLimits{
		byAddress: newBuckets(l.AnonymousPerMinute, l.AnonymousBurst, maxTracked),
		byLoginID: newBuckets(l.LoginIDPerMinute, l.LoginIDPerMinute, maxTracked),
		bursts:    &burstLog{window: throttleWindow, max: maxTracked, open: map[string]*burst{}},
		now:       time.Now,
	}
}

// buckets are token buckets by key, the least recently used forgotten
// first when there are max of them.
type buckets struct {
	mu    sync.Mutex
	rate  float64 // tokens per second
	burst float64
	max   int
	order *list.List // of *bucket, most recently used first
	byKey map[string]*list.Element
}

type bucket struct {
	key    string
	tokens float64
	at     time.Time
}

func newBuckets(perMinute, burst, max int) *buckets {
	return &buckets{rate: float64(perMinute) / 60, burst: float64(burst), max: max, order: list.New(), byKey: map[string]*list.Element{}}
}

// take spends a token of key; when there is none, it says how long until
// there is.
func (b *buckets) take(key string, now time.Time) (bool, time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var bk *bucket
	if e, ok := b.byKey[key]; ok {
		bk = e.Value.(*bucket)
		b.order.MoveToFront(e)
		if now.After(bk.at) {
			bk.tokens = min(b.burst, bk.tokens+now.Sub(bk.at).Seconds()*b.rate)
			bk.at = now
		}
	} else {
		if b.order.Len() >= b.max {
			old := b.order.Back()
			b.order.Remove(old)
			delete(b.byKey, old.Value.(*bucket).key)
		}
		bk = &bucket{key: key, tokens: b.burst, at: now}
		b.byKey[key] = b.order.PushFront(bk)
	}
	if bk.tokens >= 1 {
		bk.tokens--
		return true, 0
	}
	return false, time.Duration((1 - bk.tokens) / b.rate * float64(time.Second))
}

// A burst is the throttled requests of one address or login ID within one
// window: the first is recorded when it comes, the rest are counted and
// summarised in one event when the window has ended.
type burst struct {
	limit   string // "address" or "login_id"
	key     string // the address (an IPv6 /64) or login ID; "*" for the overflow
	address string // client address of the first request
	reasons []string
	from    time.Time
	to      time.Time // set when the window is closed
	count   int       // throttled requests after the first
}

// burstLog holds the open windows (at most max, then one overflow window
// per limit) and the closed ones whose summary is not yet written.
type burstLog struct {
	mu     sync.Mutex
	window time.Duration
	max    int
	open   map[string]*burst
	closed []*burst
}

// note counts one throttled request and reports whether it opened a
// window (and so is to be recorded at once).
func (l *burstLog) note(limit, key, address, reason string, now time.Time) (opened *burst) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := limit + "\x00" + key
	b := l.open[k]
	if b != nil && now.Sub(b.from) >= l.window {
		l.close(k, b, b.from.Add(l.window))
		b = nil
	}
	if b == nil && len(l.open) >= l.max {
		// Too many throttled at once to track each: count the rest together.
		key, address = "*", ""
		k = limit + "\x00" + key
		if b = l.open[k]; b != nil && now.Sub(b.from) >= l.window {
			l.close(k, b, b.from.Add(l.window))
			b = nil
		}
	}
	if b == nil {
		b = &burst{limit: limit, key: key, address: address, reasons: []string{reason}, from: now}
		l.open[k] = b
		c := *b
		return &c
	}
	b.count++
	if !slices.Contains(b.reasons, reason) {
		b.reasons = append(b.reasons, reason)
	}
	return nil
}

func (l *burstLog) close(k string, b *burst, to time.Time) {
	delete(l.open, k)
	if b.count > 0 {
		b.to = to
		l.closed = append(l.closed, b)
	}
}

// due takes the windows that have ended by now (every open one when all)
// with something to summarise.
func (l *burstLog) due(now time.Time, all bool) []*burst {
	l.mu.Lock()
	defer l.mu.Unlock()
	for k, b := range l.open {
		switch {
		case now.Sub(b.from) >= l.window:
			l.close(k, b, b.from.Add(l.window))
		case all:
			l.close(k, b, now)
		}
	}
	out := l.closed
	l.closed = nil
	return out
}

// throttledError: the request is over a limit and was not served.
type throttledError struct {
	retryAfter time.Duration
}

// errThrottledKind gives a stray throttledError the kind of a temporary
// refusal, never an internal error.
var errThrottledKind = errs.E(errs.Unavailable, "too many requests")

func (e *throttledError) Error() string {
	return "too many requests from this address or for this login ID"
}
func (e *throttledError) Unwrap() error { return errThrottledKind }

// limitAnonymous spends a token of the client address on a request that
// is about to write or hash without a session. Call it before anything
// is written.
func (s *Server) limitAnonymous(r *http.Request, reason string) error {
	addr := s.clientAddress(r)
	return s.limit(r, s.rate.byAddress, "address", addressKey(addr), addr, reason)
}

// limitLoginID spends a token of the login ID about to be tried.
func (s *Server) limitLoginID(r *http.Request, loginID string) error {
	key := loginIDKey(loginID)
	if key == "" {
		return nil
	}
	return s.limit(r, s.rate.byLoginID, "login_id", key, s.clientAddress(r), "login")
}

func (s *Server) limit(r *http.Request, b *buckets, limit, key, addr, reason string) error {
	now := s.rate.now()
	ok, wait := b.take(key, now)
	if ok {
		return nil
	}
	s.metrics.Refused("throttled_" + reason)
	if first := s.rate.bursts.note(limit, key, addr, reason, now); first != nil {
		ev := audit.Event{Actor: audit.Actor{User: "anonymous", Address: first.address}, Action: "request.throttled",
			Subject: burstSubject(first), Outcome: audit.Denied,
			Detail: "limit=" + limit + " reason=" + reason + " state=began window=" + throttleWindow.String()}
		if err := audit.RecordAlone(r.Context(), s.db, ev); err != nil {
			s.log.ErrorContext(r.Context(), "audit event for throttled requests not written", "err", err, "limit", limit)
		}
	}
	return &throttledError{retryAfter: wait}
}

func burstSubject(b *burst) audit.Subject {
	if b.limit == "login_id" {
		return audit.Subject{Type: "user", ID: cleantext.Shown(b.key)}
	}
	return audit.Subject{Type: "address", ID: b.key}
}

// FlushThrottled writes the summary event of every throttling window that
// has ended: how many requests of one address or login ID were refused
// after the first, and why. serve calls it every few seconds, so that a
// summary is written even when the flood stops (in memory until then).
func (s *Server) FlushThrottled(ctx context.Context) error {
	return s.writeBursts(ctx, s.rate.bursts.due(s.rate.now(), false))
}

// CloseThrottled ends every open window early and writes its summary: on
// shutdown, so that a restart loses no count.
func (s *Server) CloseThrottled(ctx context.Context) error {
	return s.writeBursts(ctx, s.rate.bursts.due(s.rate.now(), true))
}

func (s *Server) writeBursts(ctx context.Context, bs []*burst) error {
	var failed []error
	for _, b := range bs {
		ev := audit.Event{Actor: audit.Actor{User: "anonymous", Address: b.address}, Action: "request.throttled",
			Subject: burstSubject(b), Outcome: audit.Denied,
			Detail: fmt.Sprintf("limit=%s reasons=%s count=%d from=%s to=%s", b.limit, strings.Join(b.reasons, ","), b.count,
				b.from.UTC().Format(time.RFC3339), b.to.UTC().Format(time.RFC3339))}
		if err := audit.RecordAlone(ctx, s.db, ev); err != nil {
			// Logged with its count, so that the log keeps what the audit trail could not.
			s.log.ErrorContext(ctx, "summary of throttled requests not written", "err", err, "detail", ev.Detail, "subject", ev.Subject.ID)
			failed = append(failed, err)
		}
	}
	return errors.Join(failed...)
}

// addressKey is what an address is limited by: the address, or for IPv6
// its /64, which one client usually holds whole.
func addressKey(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	a = a.WithZone("").Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// loginIDKey is the login ID as limited: trimmed, lower case, and no
// longer than any login ID can be.
func loginIDKey(id string) string {
	id = strings.ToLower(strings.TrimSpace(id))
	if len(id) > 64 {
		id = id[:64]
	}
	return id
}

var (
	msgThrottled = errs.Message{JA: "短い間に多くの要求がありました。しばらく待ってからもう一度お試しください。", EN: "Too many requests in a short time: wait a moment and try again."}
	msgBusy      = errs.Message{JA: "ただいまログインが混み合っています。少し待ってからもう一度お試しください。", EN: "Too many logins at once: try again in a moment."}
)

// answerLimits answers a request over a limit with 429 and one that found
// the hash queue full with 503, both with Retry-After and at once.
func (s *Server) answerLimits(rt route, next handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		err := next(w, r)
		var te *throttledError
		switch {
		case errors.As(err, &te):
			s.answerRetry(w, r, rt.json, http.StatusTooManyRequests, te.retryAfter, msgThrottled)
			return nil
		case errors.Is(err, identity.ErrBusy):
			s.metrics.Refused("busy")
			s.answerRetry(w, r, rt.json, http.StatusServiceUnavailable, busyRetry, msgBusy)
			return nil
		}
		return err
	}
}

func (s *Server) answerRetry(w http.ResponseWriter, r *http.Request, asJSON bool, status int, after time.Duration, msg errs.Message) {
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(after.Seconds())))))
	if asJSON {
		kind := "too many requests"
		if status == http.StatusServiceUnavailable {
			kind = errs.Unavailable.String()
		}
		text := msg.In(lang(r))
		writeProblem(w, problem{Type: problemType(kind), Title: problemTitle(kind), Status: status, Detail: text, Error: kind, Message: text})
		return
	}
	p := s.newPage(r, "error.title", nil)
	p.Message = msg.In(p.Lang) // not a catalogue key: shown as it is
	if err := s.render(w, r, status, "error", p); err != nil {
		http.Error(w, msg.JA+" / "+msg.EN, status)
	}
}
