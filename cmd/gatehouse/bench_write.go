package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	ghttp "gatehouse.dev/gatehouse/http"
)

// writeBenchConfig is what `bench write` runs.
type writeBenchConfig struct {
	url, key, org string
	setup         bool
	levels        []int
	duration      time.Duration
	mix           string
	shared        bool
	json          bool
}

func newBenchWrite(stdout io.Writer) *cobra.Command {
	var c writeBenchConfig
	cmd := &cobra.Command{
		Use:   "write",
		Short: "Drive a running server with audited single writes, then prove every acknowledged write is there",
		Long: `Runs closed-loop writers at each --concurrency level for --duration: each writer creates
workspace users, adds them to and removes them from a group, and assigns and unassigns
them a role, one audited call each, in its own workspace (--shared: all in one).
Afterwards it reads the workspace back and the organization's audit log, and counts
acknowledged writes (answered 2xx) that are missing, removals that did not take effect,
and revisions that were not unique and increasing per writer. Any of those, or any
error, exits non-zero. Around each level it reads the server's /metrics and prints
how many writes shared a group commit and how busy the server's one committer was:
a committer busy nearly all the time is what limits that level.

The key is an Organization Admin key of --org; or --setup creates a fresh organization
with the operator key (GATEHOUSE_OPERATOR_KEY, or --key) and has it mint an admin key,
as the operator may while the organization's admins have no credential of their own.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := c.validate(); err != nil {
				return err
			}
			res, err := runWriteBench(cmd.Context(), c)
			if err != nil {
				return err
			}
			return report(stdout, c.json, res)
		},
	}
	f := cmd.Flags()
	f.StringVar(&c.url, "url", "http://127.0.0.1:8080", "server to load")
	f.StringVar(&c.key, "key", "", "Organization Admin key of --org; with --setup the operator key (GATEHOUSE_OPERATOR_KEY)")
	f.StringVar(&c.org, "org", "", "organization to write in (id or slug), with an admin --key")
	f.BoolVar(&c.setup, "setup", false, "create a fresh organization and admin key with the operator key")
	f.IntSliceVar(&c.levels, "concurrency", []int{1, 8, 32}, "closed-loop writers; a list runs each level in turn")
	f.DurationVar(&c.duration, "duration", 10*time.Second, "how long each level runs")
	f.StringVar(&c.mix, "mix", defaultWriteMix, "weights of the writes: user (create a user), member (add or remove a group membership), assign (assign or unassign a role)")
	f.BoolVar(&c.shared, "shared", false, "all writers write in one workspace and group instead of each in its own")
	f.BoolVar(&c.json, "json", false, "print the result as JSON")
	return cmd
}

// checkedResult is what a load tool measured and verified.
type checkedResult interface {
	print(w io.Writer)
	failure() error // what the verification found wrong, if anything
}

// report prints res (as JSON with asJSON) and returns the error the command
// exits with.
func report(stdout io.Writer, asJSON bool, res checkedResult) error {
	if asJSON {
		if err := json.NewEncoder(stdout).Encode(res); err != nil {
			return err
		}
	} else {
		res.print(stdout)
	}
	return res.failure()
}

// defaultWriteMix is a provisioning feed: people arrive, join and leave
// groups, and gain and lose roles.
const defaultWriteMix = "user=2,member=5,assign=3"

func (c *writeBenchConfig) validate() error {
	if c.setup && c.key == "" {
		c.key = os.Getenv("GATEHOUSE_OPERATOR_KEY")
	}
	switch {
	case c.key == "" && c.setup:
		return fmt.Errorf("--setup needs the operator key: set GATEHOUSE_OPERATOR_KEY or pass --key")
	case c.key == "":
		return fmt.Errorf("no key: pass an Organization Admin --key with --org, or --setup with the operator key")
	case !c.setup && c.org == "":
		return fmt.Errorf("--org is required with an Organization Admin key (or use --setup)")
	case c.duration <= 0 || len(c.levels) == 0:
		return fmt.Errorf("--duration and --concurrency must be positive")
	}
	for _, n := range c.levels {
		if n < 1 || n > 1024 {
			return fmt.Errorf("--concurrency %d: want 1 to 1024 writers", n)
		}
	}
	_, err := parseWriteMix(c.mix)
	return err
}

// writeMix is the cumulative weight of each kind of write.
type writeMix struct{ user, member, assign int }

func parseWriteMix(s string) (writeMix, error) {
	var m writeMix
	for _, part := range strings.Split(s, ",") {
		name, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		n, err := strconv.Atoi(v)
		if !ok || err != nil || n < 0 {
			return m, fmt.Errorf("--mix %q: want name=weight pairs such as %s", s, defaultWriteMix)
		}
		switch name {
		case "user":
			m.user = n
		case "member":
			m.member = n
		case "assign":
			m.assign = n
		default:
			return m, fmt.Errorf("--mix: unknown write %q: use user, member or assign", name)
		}
	}
	if m.user+m.member+m.assign == 0 {
		return m, fmt.Errorf("--mix %q: some weight must be positive", s)
	}
	return m, nil
}

// pick draws a kind of write by weight.
func (m writeMix) pick(rng *mrand.Rand) string {
	n := rng.IntN(m.user + m.member + m.assign)
	switch {
	case n < m.user:
		return "user"
	case n < m.user+m.member:
		return "member"
	default:
		return "assign"
	}
}

// writeResult is what a run measured, one entry per level.
type writeResult struct {
	Org       string       `json:"org"`
	Mix       string       `json:"mix"`
	Levels    []writeLevel `json:"levels"`
	Scaling   float64      `json:"scaling"`    // writes/s at the highest level ÷ at the lowest
	ScalingOf string       `json:"scaling_of"` // which levels, "c32/c1"
}

// writeLevel is one concurrency level's figures and its verification.
type writeLevel struct {
	Concurrency     int              `json:"concurrency"`
	Writes          int64            `json:"writes"` // acknowledged
	ByKind          map[string]int64 `json:"by_kind"`
	Duration        time.Duration    `json:"duration_ns"`
	WritesPerSecond float64          `json:"writes_per_second"`
	P50ms           float64          `json:"p50_ms"`
	P90ms           float64          `json:"p90_ms"`
	P99ms           float64          `json:"p99_ms"`
	Errors          int64            `json:"errors"`
	Groups          *groupStats      `json:"groups,omitempty"` // the server's group commits, when its /metrics tells
	verification
}

// verification is what reading back a level found.
type verification struct {
	Missing        int      `json:"missing"`         // acknowledged writes not found, removals not in effect
	RevisionFaults int      `json:"revision_faults"` // revisions shared by two writes, or not increasing per writer
	Unverified     int      `json:"unverified"`      // users left out: a write on them failed, so their state is unknown
	Problems       []string `json:"problems,omitempty"`
}

func (v *verification) problem(format string, args ...any) {
	if len(v.Problems) < 10 {
		v.Problems = append(v.Problems, fmt.Sprintf(format, args...))
	}
}

func (r *writeResult) print(w io.Writer) {
	fmt.Fprintf(w, "organization %s, mix %s\n", r.Org, r.Mix)
	for _, l := range r.Levels {
		fmt.Fprintf(w, "c=%d: %d writes in %v: %.0f writes/s; p50 %.2f ms, p90 %.2f ms, p99 %.2f ms; errors %d; missing %d, revision faults %d, unverified %d%s\n",
			l.Concurrency, l.Writes, l.Duration.Round(time.Millisecond), l.WritesPerSecond, l.P50ms, l.P90ms, l.P99ms,
			l.Errors, l.Missing, l.RevisionFaults, l.Unverified, l.Groups)
		for _, p := range l.Problems {
			fmt.Fprintf(w, "  %s\n", p)
		}
	}
	if len(r.Levels) > 1 {
		fmt.Fprintf(w, "scaling %s: %.2f\n", r.ScalingOf, r.Scaling)
	}
}

// failure is the error the command exits with: any missing write, revision
// fault or error.
func (r *writeResult) failure() error {
	var missing, faults int
	var errs int64
	for _, l := range r.Levels {
		missing, faults, errs = missing+l.Missing, faults+l.RevisionFaults, errs+l.Errors
	}
	if missing > 0 || faults > 0 || errs > 0 {
		return fmt.Errorf("%d acknowledged writes missing, %d revision faults, %d errors", missing, faults, errs)
	}
	return nil
}

func runWriteBench(ctx context.Context, c writeBenchConfig) (*writeResult, error) {
	host, err := benchHost(c.url)
	if err != nil {
		return nil, err
	}
	mix, _ := parseWriteMix(c.mix)
	admin := ghttp.NewClient(c.url, c.key, nil)
	org := c.org
	if c.setup {
		if org, admin.Key, err = benchOrg(ctx, admin); err != nil {
			return nil, err
		}
	}
	run := randomTag()
	res := &writeResult{Org: org, Mix: c.mix}
	for i, n := range c.levels {
		ws, err := benchWorkspaces(ctx, admin, org, fmt.Sprintf("%s-l%d", run, i), n, c.shared)
		if err != nil {
			return nil, err
		}
		workers := make([]*writer, n)
		for j := range workers {
			workers[j] = &writer{id: j, host: host, key: admin.Key, org: org, space: ws[j%len(ws)],
				prefix: fmt.Sprintf("%s-l%dw%d", run, i, j), mix: mix}
		}
		before, known := readGroupCounters(ctx, c.url)
		l := driveWriters(ctx, workers, c.duration)
		if after, ok := readGroupCounters(ctx, c.url); known && ok {
			l.Groups = groupsBetween(before, after, l.Duration)
		}
		if err := verifyWrites(ctx, admin, org, ws, workers, &l.verification); err != nil {
			return nil, err
		}
		res.Levels = append(res.Levels, l)
	}
	lo, hi := res.Levels[0], res.Levels[0]
	for _, l := range res.Levels {
		if l.Concurrency < lo.Concurrency {
			lo = l
		}
		if l.Concurrency > hi.Concurrency {
			hi = l
		}
	}
	res.ScalingOf = fmt.Sprintf("c%d/c%d", hi.Concurrency, lo.Concurrency)
	if lo.WritesPerSecond > 0 {
		res.Scaling = hi.WritesPerSecond / lo.WritesPerSecond
	}
	return res, nil
}

func randomTag() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return "bw" + hex.EncodeToString(b[:])
}

// benchOrg creates an organization with the operator's client and mints a
// key for its first admin: the operator may, since that admin has no
// credential of its own yet.
func benchOrg(ctx context.Context, operator *ghttp.Client) (org, key string, err error) {
	tag := randomTag()
	var o struct {
		ID    string `json:"id"`
		Admin struct {
			ID string `json:"id"`
		} `json:"admin"`
	}
	in := map[string]any{"name": "Write bench " + tag, "slug": "write-bench-" + tag,
		"admin": map[string]string{"email": "admin@" + tag + ".example", "given_name": "Bench", "family_name": "Admin"}}
	if err := operator.Do(ctx, "POST", "/v1/orgs", in, &o); err != nil {
		return "", "", fmt.Errorf("create the bench organization: %w", err)
	}
	var k struct {
		Key string `json:"key"`
	}
	if err := operator.Do(ctx, "POST", "/v1/orgs/"+o.ID+"/users/"+o.Admin.ID+"/keys", map[string]string{"name": "write bench"}, &k); err != nil {
		return "", "", fmt.Errorf("make the bench admin's key: %w", err)
	}
	return o.ID, k.Key, nil
}

// benchSpace is a workspace and the group its writers add users to.
type benchSpace struct{ ws, group string }

// benchWorkspaces creates n workspaces (one when shared), each with a group.
func benchWorkspaces(ctx context.Context, admin *ghttp.Client, org, tag string, n int, shared bool) ([]benchSpace, error) {
	if shared {
		n = 1
	}
	out := make([]benchSpace, n)
	for i := range out {
		var ws, g struct {
			ID string `json:"id"`
		}
		slug := fmt.Sprintf("%s-%d", tag, i)
		if err := admin.Do(ctx, "POST", "/v1/orgs/"+org+"/workspaces", map[string]string{"name": "Bench " + slug, "slug": slug}, &ws); err != nil {
			return nil, fmt.Errorf("create bench workspace: %w", err)
		}
		if err := admin.Do(ctx, "POST", "/v1/orgs/"+org+"/workspaces/"+ws.ID+"/groups", map[string]string{"name": "Bench writers"}, &g); err != nil {
			return nil, fmt.Errorf("create bench group: %w", err)
		}
		out[i] = benchSpace{ws.ID, g.ID}
	}
	return out, nil
}
