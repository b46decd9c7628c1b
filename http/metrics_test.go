package http_test

import (
	"net/http"
	"testing"

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
	resp, err := http.Get(e.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics is not the Prometheus text format: %v", err)
	}
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
