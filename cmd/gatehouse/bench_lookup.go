package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"slices"
	"time"

	"github.com/spf13/cobra"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/dataset"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/reference"
)

// lookupBenchConfig is what `bench lookup` runs.
type lookupBenchConfig struct {
	loadFlags
	user       string
	capability gh.Capability
	limit      int
	paths      bool
}

func newBenchLookup(stdout io.Writer) *cobra.Command {
	c := lookupBenchConfig{loadFlags: newLoadFlags()}
	cmd := &cobra.Command{
		Use:   "lookup",
		Short: "Drive a running server with a workspace lookup whose answer is known, and report speed and correctness",
		Long: `Builds the same directory as 'bench gen' (same profile and seed) and works out, with a
literal reading of the access rules, the workspaces where --user holds --capability in
full. Then it asks GET /v1/lookup/workspaces for the first page of --limit (with every
path when --paths) in a closed loop from --concurrency workers for --duration, and
compares each answer with the expected page. The user is by default the profile's
Organization Admin, who in mssp-large holds Admin in 1,000 workspaces.
The key is the operator key, from GATEHOUSE_OPERATOR_KEY or --key.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := c.validate(); err != nil {
				return err
			}
			if c.limit < 1 || c.limit > directory.MaxLimit {
				return fmt.Errorf("--limit must be from 1 to 1000")
			}
			res, size, err := runLookupBench(cmd.Context(), c)
			if err != nil {
				return err
			}
			return c.finish(stdout, res, fmt.Sprintf("%d lookups in %v over %d workers: %.0f lookups/s; p50 %.2f ms, p95 %.2f ms, p99 %.2f ms; %s; wrong answers %d, errors %d",
				res.Checks, res.Duration, c.concurrency, res.ChecksPerSecond, res.P50ms, res.P95ms, res.P99ms, size, res.Wrong, res.Errors))
		},
	}
	f := cmd.Flags()
	c.bind(f, 1, 10*time.Second)
	f.StringVar(&c.user, "user", "", "email of the user asked about (the first Organization Admin when absent)")
	f.StringVar((*string)(&c.capability), "capability", "incidents.close", "the capability asked about")
	f.IntVar(&c.limit, "limit", directory.DefaultLimit, "the page asked for (1-1000)")
	f.BoolVar(&c.paths, "paths", false, "ask for every path too")
	return cmd
}

// lookupAnswer is what the load tool reads of a lookup page.
type lookupAnswer struct {
	Items []struct {
		Workspace string            `json:"workspace_id"`
		Paths     []json.RawMessage `json:"paths"`
	} `json:"items"`
	Next string `json:"next_cursor"`
}

// runLookupBench measures the lookup and describes the answer (its size and items).
func runLookupBench(ctx context.Context, c lookupBenchConfig) (*benchResult, string, error) {
	p, ok := dataset.Profiles[c.profile]
	if !ok {
		return nil, "", fmt.Errorf("unknown profile %q", c.profile)
	}
	s := dataset.Build(p, c.seed)
	i := slices.IndexFunc(s.Users, func(u *gh.User) bool {
		return u.Email == c.user || (c.user == "" && u.IsOrgAdmin())
	})
	if i < 0 {
		return nil, "", fmt.Errorf("no user %q in profile %s", c.user, c.profile)
	}
	user, ref := s.Users[i], reference.New(s, gh.DefaultCatalogue)
	var want []string
	for _, w := range s.Workspaces {
		if ref.Level(user.ID, w.ID, c.capability) == gh.LevelFull {
			want = append(want, string(w.ID))
		}
	}
	slices.Sort(want)
	total := len(want)
	more := total > c.limit
	want = want[:min(c.limit, total)]
	u, err := url.Parse(c.url)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return nil, "", fmt.Errorf("--url %q: want http://host:port", c.url)
	}
	q := url.Values{"org": {string(user.Org)}, "user": {string(user.ID)}, "capability": {string(c.capability)}, "limit": {fmt.Sprint(c.limit)}}
	if c.paths {
		q.Set("paths", "true")
	}
	req := rawRequest("GET", u.Host, "/v1/lookup/workspaces?"+q.Encode(), c.key, nil)
	size := 0 // of the first worker's last answer; every answer is the same page
	res := closedLoop(ctx, u.Host, c.concurrency, c.duration, func(w, _ int) ([]byte, readAnswer) {
		return req, func(body []byte) (int64, int64, error) {
			var a lookupAnswer
			if err := json.Unmarshal(body, &a); err != nil {
				return 0, 0, err
			}
			if w == 0 {
				size = len(body)
			}
			got := make([]string, len(a.Items))
			for i, it := range a.Items {
				got[i] = it.Workspace
				if (len(it.Paths) > 0) != c.paths {
					return 1, 1, nil
				}
			}
			if !slices.Equal(got, want) || (a.Next != "") != more {
				return 1, 1, nil
			}
			return 1, 0, nil
		}
	})
	return res, fmt.Sprintf("answers of %d bytes: %d of the %d workspaces of %s", size, len(want), total, user.Email), nil
}
