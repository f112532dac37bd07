// Package egress is bango's one way out (R-LNK-4): a dialer that opens a
// connection only to the host:ports bango is configured with — the mail
// server, the JPKI certification authority — and refuses any other
// address before a packet is sent, logging and auditing the refusal.
// Every outbound connection of bango serve goes through it; the data-link
// agent, a process of its own, has its own (internal/linkage/agent).
// Partners reach bango over their listener; bango never dials them.
package egress

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"bango/internal/audit"
	"bango/internal/store"
)

// Dialer dials the allowed addresses only.
type Dialer struct {
	mu      sync.RWMutex
	allowed map[string]string // host:port → what it is
	dial    net.Dialer
	log     *slog.Logger
	db      *store.DB // where refusals are audited; nil: logged only
}

// New returns a dialer that allows nothing yet.
func New(log *slog.Logger, db *store.DB) *Dialer {
	return &Dialer{allowed: map[string]string{}, dial: net.Dialer{Timeout: 30 * time.Second}, log: log, db: db}
}

// Allow lets the dialer reach addr (host:port), the configured what.
func (d *Dialer) Allow(addr, what string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host == "" || port == "" {
		return fmt.Errorf("egress: %q is not host:port", addr)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.allowed[net.JoinHostPort(strings.ToLower(host), port)] = what
	return nil
}

// Allowed lists the allowed addresses with what each is, sorted.
func (d *Dialer) Allowed() []string {
	d.mu.RLock()
	defer d.mu.RUnlock()
	var out []string
	for a, w := range d.allowed {
		out = append(out, a+" ("+w+")")
	}
	slices.Sort(out)
	return out
}

// RefusedError is a dial to an address bango is not configured with.
type RefusedError struct{ Addr string }

func (e *RefusedError) Error() string {
	return "egress: " + e.Addr + " is not a configured destination (R-LNK-4): refused"
}

// DialContext dials addr if it is allowed; otherwise it refuses, logs
// and audits the attempt, and sends nothing. The address is compared as
// written (a name is not resolved to be compared): configure what bango
// dials by the same name.
func (d *Dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	key := addr
	if host, port, err := net.SplitHostPort(addr); err == nil {
		key = net.JoinHostPort(strings.ToLower(host), port)
	}
	d.mu.RLock()
	_, ok := d.allowed[key]
	d.mu.RUnlock()
	if !ok || !strings.HasPrefix(network, "tcp") {
		d.refuse(ctx, network, addr)
		return nil, &RefusedError{Addr: addr}
	}
	return d.dial.DialContext(ctx, network, addr)
}

func (d *Dialer) refuse(ctx context.Context, network, addr string) {
	if d.log != nil {
		d.log.ErrorContext(ctx, "outbound connection refused: not a configured destination (R-LNK-4)", "network", network, "addr", addr)
	}
	if d.db == nil {
		return
	}
	actx := store.WithScope(context.WithoutCancel(ctx), store.AllTenants)
	if _, ok := audit.ActorFrom(actx); !ok {
		actx = audit.WithActor(actx, audit.Actor{User: "system:egress"})
	}
	if err := audit.RecordAlone(actx, d.db, audit.Event{Action: "egress.refused", Subject: audit.Subject{Type: "address", ID: addr},
		Outcome: audit.Denied, Detail: "network=" + network}); err != nil && d.log != nil {
		d.log.ErrorContext(ctx, "audit event of a refused outbound connection not written", "err", err)
	}
}
