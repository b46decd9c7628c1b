package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// groupStats is what the server's group commits did during a level, read
// from its /metrics before and after: how many writes shared a transaction,
// and the share of the level its one committer spent committing. A
// committer busy nearly all the time is what limits the level; one with
// time to spare leaves the limit to the machine or the load tool.
type groupStats struct {
	WritesPerGroup float64 `json:"writes_per_group"`
	CommitterBusy  float64 `json:"committer_busy"` // 0 to 1
}

func (g *groupStats) String() string {
	if g == nil {
		return ""
	}
	return fmt.Sprintf("; %.1f writes a group, committer busy %.0f %%", g.WritesPerGroup, 100*g.CommitterBusy)
}

// groupCounters are the server's group-commit counters at one moment.
type groupCounters struct{ groups, writes, busy float64 }

// The counters /metrics keeps of the group commits.
const (
	metricGroups = "gatehouse_write_groups_total"
	metricWrites = "gatehouse_write_group_writes_total"
	metricBusy   = "gatehouse_write_group_busy_seconds_total"
)

// readGroupCounters reads the counters from the server's /metrics; it
// reports false when it cannot, from a server that does not keep them, say.
func readGroupCounters(ctx context.Context, base string) (groupCounters, bool) {
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/metrics", nil)
	if err != nil {
		return groupCounters{}, false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return groupCounters{}, false
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return groupCounters{}, false
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return groupCounters{}, false
	}
	var v [3]float64
	for i, name := range []string{metricGroups, metricWrites, metricBusy} {
		f := families[name]
		if f == nil || len(f.GetMetric()) != 1 || f.GetMetric()[0].GetCounter() == nil {
			return groupCounters{}, false
		}
		v[i] = f.GetMetric()[0].GetCounter().GetValue()
	}
	return groupCounters{v[0], v[1], v[2]}, true
}

// groupsBetween is what the group commits did from before to after, over d;
// nil when there were none.
func groupsBetween(before, after groupCounters, d time.Duration) *groupStats {
	groups := after.groups - before.groups
	if groups <= 0 || d <= 0 {
		return nil
	}
	return &groupStats{
		WritesPerGroup: (after.writes - before.writes) / groups,
		CommitterBusy:  (after.busy - before.busy) / d.Seconds(),
	}
}
