// Package metrics is what bango tells Prometheus: requests by route
// pattern and status with their latency, logins and refusals, the audit
// log's appended and placed events and the lag between them, the mail
// waiting in the outbox, background job runs, and the Go runtime's and
// the process's own figures. One Metrics holds one registry (never the
// global default) and is passed to what it counts; bango serve answers its
// Handler on a listener of its own (--metrics-listen).
//
// No label carries what a request names: a route is its pattern
// ("/residents/{code}"), a refusal its reason's first word, a job its
// name. What the database holds is read at each scrape, so that every
// serve process over one database reports the same log and outbox.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// AuditLog reports the audit log (audit.Sequencer): events placed in the
// tree, and events committed but not placed yet.
type AuditLog interface {
	Backlog(ctx context.Context) (placed, waiting int64, err error)
}

// Outbox reports the mail not sent yet (notify.Outbox).
type Outbox interface {
	Depth(ctx context.Context) (int64, error)
}

// scrapeWait bounds the database reads of one scrape.
const scrapeWait = 5 * time.Second

// Metrics are bango's collectors in their own registry. A nil *Metrics
// counts nothing, for servers and tests that do not export metrics.
type Metrics struct {
	reg            *prometheus.Registry
	requests       *prometheus.CounterVec
	requestSeconds *prometheus.HistogramVec
	logins         *prometheus.CounterVec
	refusals       *prometheus.CounterVec
	jobRuns        *prometheus.CounterVec
	jobSeconds     *prometheus.HistogramVec
}

// New returns the collectors registered in a new registry; the audit log
// and the outbox are read at each scrape (either may be nil: not reported).
func New(log AuditLog, outbox Outbox) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bango_http_requests_total",
			Help: "HTTP requests answered, by route pattern, method and status."}, []string{"route", "method", "status"}),
		requestSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "bango_http_request_seconds",
			Help: "Time to answer an HTTP request, by route pattern and method.", Buckets: prometheus.DefBuckets}, []string{"route", "method"}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bango_logins_total",
			Help: "Login steps by outcome: password_accepted, password_refused, second_factor_refused, completed."}, []string{"outcome"}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bango_refusals_total",
			Help: "Requests refused by the request gate (each also an audit event), by reason: csrf, permission, cross_origin, throttled_login, busy, …"}, []string{"reason"}),
		jobRuns: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bango_job_runs_total",
			Help: "Background job runs, by job and outcome (ok, failed)."}, []string{"job", "outcome"}),
		jobSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "bango_job_seconds",
			Help: "Time of one background job run, by job.", Buckets: prometheus.ExponentialBuckets(0.01, 4, 8)}, []string{"job"}),
	}
	m.reg.MustRegister(m.requests, m.requestSeconds, m.logins, m.refusals, m.jobRuns, m.jobSeconds,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		newStored(log, outbox))
	return m
}

// Handler answers a scrape in Prometheus's formats. A database read that
// fails is logged and its metrics left out; the rest are answered.
func (m *Metrics) Handler(log *slog.Logger) http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelError),
		ErrorHandling:     promhttp.ContinueOnError,
		Registry:          m.reg, // counts its own failed scrapes
		Timeout:           2 * scrapeWait,
		EnableOpenMetrics: true,
	})
}

// Request counts one answered request. route is the route table's
// pattern without its method, never the path asked for.
func (m *Metrics) Request(route, method string, status int, took time.Duration) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.requestSeconds.WithLabelValues(route, method).Observe(took.Seconds())
}

// Login counts one login step by its outcome.
func (m *Metrics) Login(outcome string) {
	if m == nil {
		return
	}
	m.logins.WithLabelValues(outcome).Inc()
}

// Refused counts one refused request by its reason (a constant word of
// the code, never what the request named).
func (m *Metrics) Refused(reason string) {
	if m == nil {
		return
	}
	m.refusals.WithLabelValues(reason).Inc()
}

// Job counts one run of a background job and how long it took.
func (m *Metrics) Job(name string, err error, took time.Duration) {
	if m == nil {
		return
	}
	outcome := "ok"
	if err != nil {
		outcome = "failed"
	}
	m.jobRuns.WithLabelValues(name, outcome).Inc()
	m.jobSeconds.WithLabelValues(name).Observe(took.Seconds())
}

// stored reads, at each scrape, the figures the database holds.
type stored struct {
	log                   AuditLog
	outbox                Outbox
	appended, placed, lag *prometheus.Desc
	outboxDepth           *prometheus.Desc
}

func newStored(log AuditLog, outbox Outbox) *stored {
	return &stored{log: log, outbox: outbox,
		appended:    prometheus.NewDesc("bango_audit_events_appended_total", "Audit events committed to the log (placed or waiting to be).", nil, nil),
		placed:      prometheus.NewDesc("bango_audit_events_placed_total", "Audit events placed in the log's hash tree by the sequencer.", nil, nil),
		lag:         prometheus.NewDesc("bango_audit_sequencer_lag_events", "Audit events committed but not yet placed in the tree.", nil, nil),
		outboxDepth: prometheus.NewDesc("bango_outbox_depth", "Mail waiting in the outbox to be sent (status reports).", nil, nil),
	}
}

func (c *stored) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.appended
	ch <- c.placed
	ch <- c.lag
	ch <- c.outboxDepth
}

func (c *stored) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeWait)
	defer cancel()
	if c.log != nil {
		if placed, waiting, err := c.log.Backlog(ctx); err != nil {
			ch <- prometheus.NewInvalidMetric(c.lag, err)
		} else {
			ch <- prometheus.MustNewConstMetric(c.appended, prometheus.CounterValue, float64(placed+waiting))
			ch <- prometheus.MustNewConstMetric(c.placed, prometheus.CounterValue, float64(placed))
			ch <- prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue, float64(waiting))
		}
	}
	if c.outbox != nil {
		if n, err := c.outbox.Depth(ctx); err != nil {
			ch <- prometheus.NewInvalidMetric(c.outboxDepth, err)
		} else {
			ch <- prometheus.MustNewConstMetric(c.outboxDepth, prometheus.GaugeValue, float64(n))
		}
	}
}
