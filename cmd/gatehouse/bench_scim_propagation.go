package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	gh "gatehouse.dev/gatehouse"
	ghttp "gatehouse.dev/gatehouse/http"
)

// propagationConfig is what `bench scim-propagation` runs.
type propagationConfig struct {
	url, urlB, key, org string
	setup               bool
	n                   int
	timeout             time.Duration
	json                bool
}

func newBenchSCIMPropagation(stdout io.Writer) *cobra.Command {
	var c propagationConfig
	cmd := &cobra.Command{
		Use:   "scim-propagation",
		Short: "Time from a SCIM deactivation on one node to a denied check on another",
		Long: `Two nodes over one database: --url (A) and --url-b (B). Connects a SCIM directory to a
fresh workspace through A, then -n times: provisions a user through A's SCIM, assigns it
the Incident Analyst role there, waits until B's /v1/check allows it incidents.view,
sends PATCH active false through A's SCIM and, from A's answer on, asks B's /v1/check
again and again until it answers denied. It reports that time's p50, p99 and maximum.
A check still allowed after --timeout, or any error, exits non-zero.

The key is an Organization Admin key of --org; or --setup creates a fresh organization
with the operator key (GATEHOUSE_OPERATOR_KEY, or --key) and has it mint an admin key.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := c.validate(); err != nil {
				return err
			}
			res, err := runPropagationBench(cmd.Context(), c)
			if err != nil {
				return err
			}
			return report(stdout, c.json, res)
		},
	}
	f := cmd.Flags()
	f.StringVar(&c.url, "url", "http://127.0.0.1:8080", "node A: SCIM and the admin API")
	f.StringVar(&c.urlB, "url-b", "http://127.0.0.1:8081", "node B: the checks")
	f.StringVar(&c.key, "key", "", "Organization Admin key of --org; with --setup the operator key (GATEHOUSE_OPERATOR_KEY)")
	f.StringVar(&c.org, "org", "", "organization to work in (id or slug), with an admin --key")
	f.BoolVar(&c.setup, "setup", false, "create a fresh organization and admin key with the operator key")
	f.IntVarP(&c.n, "n", "n", 200, "deactivations to time")
	f.DurationVar(&c.timeout, "timeout", 10*time.Second, "longest wait for node B")
	f.BoolVar(&c.json, "json", false, "print the result as JSON")
	return cmd
}

func (c *propagationConfig) validate() error {
	if c.setup && c.key == "" {
		c.key = os.Getenv("GATEHOUSE_OPERATOR_KEY")
	}
	switch {
	case c.key == "":
		return fmt.Errorf("no key: pass an Organization Admin --key with --org, or --setup with the operator key")
	case !c.setup && c.org == "":
		return fmt.Errorf("--org is required with an Organization Admin key (or use --setup)")
	case c.n < 1 || c.timeout <= 0:
		return fmt.Errorf("-n and --timeout must be positive")
	}
	for _, u := range []string{c.url, c.urlB} {
		if _, err := benchHost(u); err != nil {
			return err
		}
	}
	return nil
}

// propagationResult is what the deactivations measured.
type propagationResult struct {
	Org      string  `json:"org"`
	N        int     `json:"n"`
	P50ms    float64 `json:"p50_ms"`       // from A's answer to the PATCH to B's first denied answer
	P99ms    float64 `json:"p99_ms"`       //
	MaxMs    float64 `json:"max_ms"`       //
	PatchP50 float64 `json:"patch_p50_ms"` // the PATCH itself, on A
	Polls    float64 `json:"polls_per_deactivation"`
	TimedOut int     `json:"timed_out"`
	Errors   int64   `json:"errors"`
	First    string  `json:"first_error,omitempty"`
}

func (r *propagationResult) print(w io.Writer) {
	fmt.Fprintf(w, "organization %s: %d deactivations through node A's SCIM, denied on node B after p50 %.2f ms, p99 %.2f ms, max %.2f ms (PATCH on A p50 %.2f ms; %.1f checks per deactivation); timed out %d, errors %d\n",
		r.Org, r.N, r.P50ms, r.P99ms, r.MaxMs, r.PatchP50, r.Polls, r.TimedOut, r.Errors)
	if r.First != "" {
		fmt.Fprintf(w, "  %s\n", r.First)
	}
}

func (r *propagationResult) failure() error {
	if r.TimedOut > 0 || r.Errors > 0 {
		return fmt.Errorf("%d deactivations not seen on node B in time, %d errors", r.TimedOut, r.Errors)
	}
	return nil
}

func runPropagationBench(ctx context.Context, c propagationConfig) (*propagationResult, error) {
	admin := ghttp.NewClient(c.url, c.key, nil)
	org := c.org
	var err error
	if c.setup {
		if org, admin.Key, err = benchOrg(ctx, admin); err != nil {
			return nil, err
		}
	}
	tag := randomTag()
	var ws struct {
		ID string `json:"id"`
	}
	if err := admin.Do(ctx, "POST", ghttp.HomePath(org, "")+"/workspaces", map[string]string{"name": "Propagation " + tag, "slug": "prop-" + tag}, &ws); err != nil {
		return nil, fmt.Errorf("create the bench workspace: %w", err)
	}
	home := ghttp.HomePath(org, ws.ID)
	token, err := connectSCIM(ctx, admin, home, "Propagation "+tag, c.n+1) // it disables by design: no hold
	if err != nil {
		return nil, err
	}
	p := &propagator{c: c, org: org, ws: ws.ID, home: home, admin: admin,
		scim: newSCIMClient(c.url, token, 1), checkB: ghttp.NewClient(c.urlB, admin.Key, nil)}
	res := &propagationResult{Org: org, N: c.n}
	var times []time.Duration
	var polls int
	for i := range c.n {
		d, n, err := p.once(ctx, fmt.Sprintf("%s-p%04d@prop.example", tag, i))
		switch {
		case err == errStillAllowed:
			res.TimedOut++
		case err != nil:
			if res.Errors == 0 {
				res.First = fmt.Sprintf("first error, deactivation %d: %v", i, err)
			}
			res.Errors++
		default:
			times, polls = append(times, d), polls+n
		}
	}
	q := percentiles(times)
	res.P50ms, res.P99ms, res.MaxMs = q(0.50), q(0.99), q(1)
	res.PatchP50 = percentiles(p.scim.latencies["user.patch"])(0.50)
	if len(times) > 0 {
		res.Polls = float64(polls) / float64(len(times))
	}
	return res, nil
}

var errStillAllowed = fmt.Errorf("node B still allows the deactivated user")

// propagator provisions on node A and checks on node B.
type propagator struct {
	c             propagationConfig
	org, ws, home string
	admin, checkB *ghttp.Client
	scim          *scimClient
}

// once provisions a user with a role, waits for B to allow it, deactivates
// it through A and times B's first denied answer from A's answer.
func (p *propagator) once(ctx context.Context, email string) (time.Duration, int, error) {
	var u struct {
		ID string `json:"id"`
	}
	body := map[string]any{"userName": email, "active": true, "name": map[string]string{"givenName": "Prop"}}
	if err := p.scim.send("user.post", "POST", "/Users", body, http.StatusCreated, &u); err != nil {
		return 0, 0, fmt.Errorf("provision: %w", err)
	}
	assign := map[string]any{"principal": gh.UserPrincipal(gh.UserID(u.ID)), "role": gh.RoleIncidentAnalyst}
	if err := p.admin.Do(ctx, "POST", p.home+"/assignments", assign, nil); err != nil {
		return 0, 0, fmt.Errorf("assign: %w", err)
	}
	q := ghttp.CheckRequest{Org: p.org, User: u.ID, Workspace: p.ws, Capability: "incidents.view"}
	if _, err := p.waitFor(ctx, q, true); err != nil {
		return 0, 0, fmt.Errorf("before the deactivation: %w", err)
	}
	patch := map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []map[string]any{{"op": "Replace", "path": "active", "value": "False"}}}
	if err := p.scim.send("user.patch", "PATCH", "/Users/"+u.ID, patch, http.StatusOK, nil); err != nil {
		return 0, 0, fmt.Errorf("deactivate: %w", err)
	}
	t0 := time.Now()
	n, err := p.waitFor(ctx, q, false)
	return time.Since(t0), n, err
}

// waitFor asks B until it answers allowed (or not), without pausing, and
// returns how many checks it took.
func (p *propagator) waitFor(ctx context.Context, q ghttp.CheckRequest, allowed bool) (int, error) {
	deadline := time.Now().Add(p.c.timeout)
	for n := 1; ; n++ {
		d, err := p.checkB.Check(ctx, q)
		var ae *ghttp.APIError
		switch {
		case allowed && errors.As(err, &ae) && ae.Code == "user_not_found":
			// B has not seen the new user yet: not allowed yet.
		case err != nil:
			return n, err
		case d.Allowed == allowed:
			return n, nil
		}
		if time.Now().After(deadline) {
			if allowed {
				return n, fmt.Errorf("node B does not allow the user after %v", p.c.timeout)
			}
			return n, errStillAllowed
		}
	}
}
