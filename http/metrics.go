package http

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the server's Prometheus metrics, on a registry of its own so
// that several servers in one process (tests) do not collide.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	checks   *prometheus.CounterVec
	allowed  prometheus.Counter // checks' children, resolved once
	denied   prometheus.Counter

	// series caches the children of requests and latency by route and
	// status: resolving label values hashes them on every request otherwise.
	// Routes are the mux's patterns, so the cache stays small.
	series sync.Map // seriesKey → *routeSeries
}

type seriesKey struct {
	route  string
	status int
}

type routeSeries struct {
	requests prometheus.Counter
	latency  prometheus.Observer
}

func newMetrics(s *Server) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gatehouse_http_requests_total",
			Help: "HTTP requests by route and status."}, []string{"route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "gatehouse_http_request_duration_seconds",
			Help: "Time to answer HTTP requests, by route.", Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1}},
			[]string{"route"}),
		checks: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gatehouse_checks_total",
			Help: "Access checks answered, allowed or denied."}, []string{"allowed"}),
	}
	m.allowed, m.denied = m.checks.WithLabelValues("true"), m.checks.WithLabelValues("false")
	m.reg.MustRegister(m.requests, m.latency, m.checks,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "gatehouse_index_revision",
			Help: "The last revision this node's index applied."}, func() float64 { return float64(s.dir.Index().Revision()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "gatehouse_ready",
			Help: "1 when the node has caught up and takes traffic."}, func() float64 {
			if s.ready.Load() {
				return 1
			}
			return 0
		}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "gatehouse_write_groups_total",
			Help: "Write transactions this node's group commit ran, each carrying one or more writes."},
			func() float64 { return float64(s.dir.WriteStats().Groups) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "gatehouse_write_group_writes_total",
			Help: "Writes carried by those transactions; divided by the groups, the writes per commit."},
			func() float64 { return float64(s.dir.WriteStats().Writes) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "gatehouse_write_group_busy_seconds_total",
			Help: "Time the committer spent on those transactions; near one second per second, writes queue."},
			func() float64 { return s.dir.WriteStats().Busy.Seconds() }),
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}

// observe records one request against its route pattern (never the raw
// path, whose ids would make a series per object).
func (m *metrics) observe(route string, status int, took time.Duration) {
	k := seriesKey{route, status}
	v, ok := m.series.Load(k)
	if !ok {
		v, _ = m.series.LoadOrStore(k, &routeSeries{
			requests: m.requests.WithLabelValues(route, strconv.Itoa(status)),
			latency:  m.latency.WithLabelValues(route)})
	}
	rs := v.(*routeSeries)
	rs.requests.Inc()
	rs.latency.Observe(took.Seconds())
}

// countChecks counts answered checks, single or in a batch.
func (m *metrics) countChecks(allowed, denied int) {
	if allowed > 0 {
		m.allowed.Add(float64(allowed))
	}
	if denied > 0 {
		m.denied.Add(float64(denied))
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}
