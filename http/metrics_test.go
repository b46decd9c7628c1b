package http_test

import (
	"net/http"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TestMetricsCountChecksAndRequests reads /metrics with Prometheus's own parser.
func TestMetricsCountChecksAndRequests(t *testing.T) {
	e := newEnv(t, stores[0].open(t))
	p := newPartner(t, e)
	ana := p.user(p.admin, org, "ana@acme.example")
	p.assign(p.admin, "acme", "alpha", "user", ana, "incident_analyst")
	for _, c := range []string{"incidents.view", "incidents.view", "incidents.close"} {
		p.check(p.admin, "acme", ana, "alpha", c)
	}
	q := func(c string) obj { return obj{"org": "acme", "user": ana, "workspace": "alpha", "capability": c} }
	p.must(p.admin, "POST", "/v1/check/batch", obj{"checks": []obj{q("incidents.view"), q("incidents.close"), q("incidents.delete")}}, 200)
	families := readMetrics(t, e.srv.URL)
	value := func(family string, labels map[string]string) float64 {
		f := families[family]
		if f == nil {
			t.Fatalf("no metric family %s", family)
		}
	next:
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if want, ok := labels[l.GetName()]; ok && want != l.GetValue() {
					continue next
				}
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue()
			case m.Gauge != nil:
				return m.Gauge.GetValue()
			case m.Histogram != nil:
				return float64(m.Histogram.GetSampleCount())
			}
		}
		return 0
	}
	// Checks in a batch count one by one.
	if got := value("gatehouse_checks_total", map[string]string{"allowed": "true"}); got != 3 {
		t.Errorf("allowed checks = %v, want 3", got)
	}
	if got := value("gatehouse_checks_total", map[string]string{"allowed": "false"}); got != 3 {
		t.Errorf("denied checks = %v, want 3", got)
	}
	if got := value("gatehouse_http_requests_total", map[string]string{"route": "POST /v1/check", "status": "200"}); got != 3 {
		t.Errorf("check requests = %v, want 3", got)
	}
	if got := value("gatehouse_http_request_duration_seconds", map[string]string{"route": "POST /v1/check"}); got != 3 {
		t.Errorf("check latencies observed = %v, want 3", got)
	}
	if got := value("gatehouse_index_revision", nil); got != float64(e.head()) || got == 0 {
		t.Errorf("index revision = %v, want %d", got, e.head())
	}
}

// TestMetricsCountWriteGroups: one more write is one more group of one write,
// and the committer's time grows.
func TestMetricsCountWriteGroups(t *testing.T) {
	e := newEnv(t, stores[0].open(t))
	p := newPartner(t, e)
	counter := func(families map[string]*dto.MetricFamily, name string) float64 {
		f := families[name]
		if f == nil || len(f.GetMetric()) != 1 {
			t.Fatalf("no single series %s", name)
		}
		return f.GetMetric()[0].GetCounter().GetValue()
	}
	names := []string{"gatehouse_write_groups_total", "gatehouse_write_group_writes_total", "gatehouse_write_group_busy_seconds_total"}
	before := readMetrics(t, e.srv.URL)
	p.user(p.admin, org, "ana@acme.example")
	after := readMetrics(t, e.srv.URL)
	var grew [3]float64
	for i, n := range names {
		grew[i] = counter(after, n) - counter(before, n)
	}
	if grew[0] != 1 || grew[1] != 1 || grew[2] <= 0 {
		t.Errorf("one write grew groups by %v, writes by %v, busy seconds by %v; want 1, 1 and more than 0", grew[0], grew[1], grew[2])
	}
}

// readMetrics reads /metrics with Prometheus's own parser.
func readMetrics(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics is not the Prometheus text format: %v", err)
	}
	return families
}
