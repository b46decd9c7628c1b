package http

import (
	"net/http"
	"strconv"
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
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}

// observe records one request against its route pattern (never the raw
// path, whose ids would make a series per object).
func (m *metrics) observe(route string, status int, took time.Duration) {
	m.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route).Observe(took.Seconds())
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}
