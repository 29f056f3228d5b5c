// Package metrics is the server's Prometheus adapter: it turns what the
// other parts observe (requests, group commits, messages, notification
// tries) into metrics and serves them in Prometheus' text format. The
// parts it listens to know nothing of Prometheus: each takes a plain
// observer function, and main connects them here.
package metrics

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"doorstep/backend"
)

// Sources are the counts read when metrics are scraped (see Watch).
type Sources struct {
	// Websockets counts the open live-event (websocket) connections.
	Websockets func() int
	// QueuedNotifications counts the e-mails and text messages waiting in
	// the outbox.
	QueuedNotifications func(context.Context) (int, error)
}

// queuedTimeout bounds the outbox count a scrape waits for.
const queuedTimeout = 5 * time.Second

// Metrics holds the server's metrics, in a registry of its own (nothing
// global: two servers in one test process count apart).
type Metrics struct {
	registry      *prometheus.Registry
	requests      *prometheus.CounterVec
	requestTime   *prometheus.HistogramVec
	messages      *prometheus.CounterVec
	commitWrites  prometheus.Histogram
	commitTime    prometheus.Histogram
	notifications *prometheus.CounterVec
	chainSigned   prometheus.Counter
	chainProblems prometheus.Counter
}

// New makes the server's metrics, with the Go runtime's and the process's
// own beside them.
func New(version string) *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "doorstep_http_requests_total",
			Help: "HTTP requests answered, by method, route pattern and status code (a websocket counts once it closes, with code 101).",
		}, []string{"method", "route", "code"}),
		requestTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "doorstep_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern; websockets, which last as long as a client stays, are left out.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "doorstep_messages_sent_total",
			Help: "Chat messages stored, by who sent them (landlord or tenant); a resend of a stored message is not counted again.",
		}, []string{"sender"}),
		commitWrites: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "doorstep_db_commit_writes",
			Help:    "Writes made durable together by one group commit of the database.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 10), // 1 … 512, the largest batch
		}),
		commitTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "doorstep_db_commit_duration_seconds",
			Help:    "Time one group commit took, from its begin until it was on disk.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14), // 0.5 ms … 4 s
		}),
		notifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "doorstep_notification_attempts_total",
			Help: "Tries at sending an e-mail or text message to a tenant, by channel and outcome: sent, retry (failed, will be tried again) or failed (given up).",
		}, []string{"channel", "outcome"}),
		chainSigned: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "doorstep_chain_heads_signed_total",
			Help: "Conversation heads the periodic signer signed (those signed on request count as requests to their route).",
		}),
		chainProblems: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "doorstep_chain_problems_total",
			Help: "Places where the periodic signer found a conversation's stored history no longer matching its hash chain; each leaves its conversation unsigned, and the log says where.",
		}),
	}
	buildInfo := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "doorstep_build_info",
		Help:        "Always 1; its label is the server's version.",
		ConstLabels: prometheus.Labels{"version": version},
	})
	buildInfo.Set(1)
	m.registry.MustRegister(m.requests, m.requestTime, m.messages, m.commitWrites, m.commitTime, m.notifications, m.chainSigned, m.chainProblems, buildInfo,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Watch adds the gauges read from src at each scrape. It is separate from
// New because the parts src reads are made after the store, whose commits
// are observed from the start.
func (m *Metrics) Watch(src Sources) {
	websockets := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "doorstep_websocket_connections",
		Help: "Live-event (websocket) connections open now.",
	}, func() float64 { return float64(src.Websockets()) })
	queued := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "doorstep_notifications_queued",
		Help: "E-mails and text messages to tenants waiting in the outbox to be sent or tried again (NaN when the database cannot be read).",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), queuedTimeout)
		defer cancel()
		n, err := src.QueuedNotifications(ctx)
		if err != nil {
			return math.NaN()
		}
		return float64(n)
	})
	m.registry.MustRegister(websockets, queued)
}

// Handler serves the metrics in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// methods are the HTTP methods counted by name; any other is "other", so a
// client cannot make up a new series with every request.
var methods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
}

// ObserveRequest counts an answered request (see httpapi.RequestObserver).
func (m *Metrics) ObserveRequest(method, route string, status int, took time.Duration) {
	if !methods[method] {
		method = "other"
	}
	if route == "" {
		route = "none"
	}
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	if status != http.StatusSwitchingProtocols {
		m.requestTime.WithLabelValues(route).Observe(took.Seconds())
	}
}

// ObserveCommit records one group commit (see sqlite.WithCommitObserver).
func (m *Metrics) ObserveCommit(writes int, took time.Duration) {
	m.commitWrites.Observe(float64(writes))
	m.commitTime.Observe(took.Seconds())
}

// ObserveEvents counts the new messages among committed events: it sits
// beside the live fan-out on the store's event sink, where each stored
// message arrives once per recipient.
func (m *Metrics) ObserveEvents(deliveries []backend.Delivery) {
	var seen map[int64]bool
	for _, d := range deliveries {
		msg := d.Event.Message
		if d.Event.Type != backend.EventMessage || msg == nil || seen[msg.ID] {
			continue
		}
		if seen == nil {
			seen = map[int64]bool{}
		}
		seen[msg.ID] = true
		sender := "landlord"
		if msg.Sender.Kind == backend.KindTenant {
			sender = "tenant"
		}
		m.messages.WithLabelValues(sender).Inc()
	}
}

// ObserveNotification counts one try at a notification (see
// notify.Worker.Observe).
func (m *Metrics) ObserveNotification(channel, outcome string) {
	m.notifications.WithLabelValues(channel, outcome).Inc()
}

// ObserveChainSigning counts one round of the periodic signer: the heads
// it signed and the chain problems it found.
func (m *Metrics) ObserveChainSigning(signed, problems int) {
	m.chainSigned.Add(float64(signed))
	m.chainProblems.Add(float64(problems))
}
