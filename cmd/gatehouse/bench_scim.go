package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	ghttp "gatehouse.dev/gatehouse/http"
)

// scimBenchConfig is what `bench scim` runs.
type scimBenchConfig struct {
	url, key, org string
	setup         bool
	users, groups int
	concurrency   int
	chunk         int
	seed          uint64
	json          bool
}

func newBenchSCIM(stdout io.Writer) *cobra.Command {
	var c scimBenchConfig
	cmd := &cobra.Command{
		Use:   "scim",
		Short: "Provision users, groups and memberships through SCIM as Microsoft Entra ID does, then verify them",
		Long: `Connects a SCIM directory to --org through the API (getting its token), then sends an
initial provisioning cycle in the order Entra ID sends it, from --concurrency workers:
for each user GET /Users?filter=userName eq "…" (no result) then POST /Users; then for
each group GET /Groups?filter=displayName eq "…"&excludedAttributes=members, POST /Groups
without members, and PATCH /Groups/{id} adding its members --chunk at a time. Every user
is in one to three groups, drawn with --seed.

Afterwards it reads every user and group back through SCIM (pages of 1,000) and
requires each user, active, and each group with exactly its members. A missing user,
a wrong membership or any error exits non-zero.

The key is an Organization Admin key of --org; or --setup creates a fresh organization
with the operator key (GATEHOUSE_OPERATOR_KEY, or --key) and has it mint an admin key.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := c.validate(); err != nil {
				return err
			}
			res, err := runSCIMBench(cmd.Context(), c)
			if err != nil {
				return err
			}
			return report(stdout, c.json, res)
		},
	}
	f := cmd.Flags()
	f.StringVar(&c.url, "url", "http://127.0.0.1:8080", "server to load")
	f.StringVar(&c.key, "key", "", "Organization Admin key of --org; with --setup the operator key (GATEHOUSE_OPERATOR_KEY)")
	f.StringVar(&c.org, "org", "", "organization to connect the directory to (id or slug), with an admin --key")
	f.BoolVar(&c.setup, "setup", false, "create a fresh organization and admin key with the operator key")
	f.IntVar(&c.users, "users", 50000, "users to provision")
	f.IntVar(&c.groups, "groups", 2000, "groups to provision")
	f.IntVar(&c.concurrency, "concurrency", 8, "concurrent SCIM clients")
	// Entra ID adds group members in PATCH requests of a few dozen values;
	// 25 is a conservative figure within that.
	f.IntVar(&c.chunk, "chunk", 25, "members added per PATCH")
	f.Uint64Var(&c.seed, "seed", 1, "seed of the memberships")
	f.BoolVar(&c.json, "json", false, "print the result as JSON")
	return cmd
}

func (c *scimBenchConfig) validate() error {
	if c.setup && c.key == "" {
		c.key = os.Getenv("GATEHOUSE_OPERATOR_KEY")
	}
	switch {
	case c.key == "":
		return fmt.Errorf("no key: pass an Organization Admin --key with --org, or --setup with the operator key")
	case !c.setup && c.org == "":
		return fmt.Errorf("--org is required with an Organization Admin key (or use --setup)")
	case c.users < 1 || c.groups < 1 || c.concurrency < 1 || c.chunk < 1:
		return fmt.Errorf("--users, --groups, --concurrency and --chunk must be positive")
	}
	_, err := benchHost(c.url)
	return err
}

// scimResult is what a provisioning cycle measured and what reading it back found.
type scimResult struct {
	Org             string                  `json:"org"`
	Users           int                     `json:"users"`
	Groups          int                     `json:"groups"`
	Memberships     int                     `json:"memberships"`
	Concurrency     int                     `json:"concurrency"`
	Chunk           int                     `json:"chunk"`
	UsersSeconds    float64                 `json:"users_seconds"`
	GroupsSeconds   float64                 `json:"groups_seconds"`
	TotalSeconds    float64                 `json:"total_seconds"`
	UsersPerSecond  float64                 `json:"users_per_second"` // over the whole cycle
	Requests        map[string]requestStats `json:"requests"`
	Errors          int64                   `json:"errors"`
	FirstError      string                  `json:"first_error,omitempty"`
	VerifySeconds   float64                 `json:"verify_seconds"`
	verification                            // Missing: users absent or inactive, groups absent or with wrong members
	UsersFound      int                     `json:"users_found"`
	GroupsFound     int                     `json:"groups_found"`
	MembershipsSeen int                     `json:"memberships_found"`
}

// requestStats are one kind of request's count and latencies.
type requestStats struct {
	N     int     `json:"n"`
	P50ms float64 `json:"p50_ms"`
	P99ms float64 `json:"p99_ms"`
}

func (r *scimResult) print(w io.Writer) {
	fmt.Fprintf(w, "organization %s: %d users, %d groups, %d memberships (PATCH of %d), %d clients\n",
		r.Org, r.Users, r.Groups, r.Memberships, r.Chunk, r.Concurrency)
	fmt.Fprintf(w, "users %.1f s, groups and members %.1f s, total %.1f s: %.0f users/s\n",
		r.UsersSeconds, r.GroupsSeconds, r.TotalSeconds, r.UsersPerSecond)
	kinds := make([]string, 0, len(r.Requests))
	for k := range r.Requests {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		s := r.Requests[k]
		fmt.Fprintf(w, "  %-12s %7d requests, p50 %.2f ms, p99 %.2f ms\n", k, s.N, s.P50ms, s.P99ms)
	}
	fmt.Fprintf(w, "verified in %.1f s: %d users, %d groups, %d memberships found; errors %d, missing %d\n",
		r.VerifySeconds, r.UsersFound, r.GroupsFound, r.MembershipsSeen, r.Errors, r.Missing)
	if r.FirstError != "" {
		fmt.Fprintf(w, "  %s\n", r.FirstError)
	}
	for _, p := range r.Problems {
		fmt.Fprintf(w, "  %s\n", p)
	}
}

func (r *scimResult) failure() error {
	if r.Errors > 0 || r.Missing > 0 {
		return fmt.Errorf("%d errors, %d users or groups missing or wrong", r.Errors, r.Missing)
	}
	return nil
}

// scimPlan is the directory a cycle provisions: users by index, and each
// group's members as user indexes.
type scimPlan struct {
	tag     string
	users   int
	members [][]int
}

func newSCIMPlan(tag string, users, groups int, seed uint64) *scimPlan {
	p := &scimPlan{tag: tag, users: users, members: make([][]int, groups)}
	rng := mrand.New(mrand.NewPCG(seed, 0x5c1))
	for u := range users {
		k := min(1+rng.IntN(3), groups)
		picked := map[int]bool{}
		for len(picked) < k {
			g := rng.IntN(groups)
			if !picked[g] {
				picked[g] = true
				p.members[g] = append(p.members[g], u)
			}
		}
	}
	return p
}

func (p *scimPlan) email(u int) string      { return fmt.Sprintf("%s-u%06d@scim.example", p.tag, u) }
func (p *scimPlan) groupName(g int) string  { return fmt.Sprintf("%s group %04d", p.tag, g) }
func (p *scimPlan) externalID(u int) string { return fmt.Sprintf("%s-ext-%06d", p.tag, u) }

// scimClient sends SCIM requests with a directory's token and keeps each
// kind of request's latencies.
type scimClient struct {
	base, token string
	hc          *http.Client

	mu        sync.Mutex
	latencies map[string][]time.Duration
	errors    int64
	firstErr  string
}

// do sends one request and decodes its answer into out; an answer other
// than want is an error, counted.
func (c *scimClient) do(kind, method, path string, body any, want int, out any) error {
	err := c.send(kind, method, path, body, want, out)
	if err != nil {
		c.count(fmt.Errorf("%s %s: %w", method, path, err))
	}
	return err
}

// count counts an error; the first is kept.
func (c *scimClient) count(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.errors == 0 {
		c.firstErr = "first error, " + err.Error()
	}
	c.errors++
}

func (c *scimClient) send(kind, method, path string, body any, want int, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/scim+json")
	t0 := time.Now()
	resp, err := c.hc.Do(req)
	var raw []byte
	if err == nil {
		raw, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	d := time.Since(t0)
	if kind != "" {
		c.mu.Lock()
		c.latencies[kind] = append(c.latencies[kind], d)
		c.mu.Unlock()
	}
	switch {
	case err != nil:
		return err
	case resp.StatusCode != want:
		return fmt.Errorf("status %d, want %d: %.300s", resp.StatusCode, want, raw)
	case out != nil:
		return json.Unmarshal(raw, out)
	}
	return nil
}

// eachOf runs fn(i) for i in [0, n) from workers goroutines.
func eachOf(n, workers int, fn func(i int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// scimList is a ListResponse.
type scimList struct {
	TotalResults int               `json:"totalResults"`
	Resources    []json.RawMessage `json:"Resources"`
}

func runSCIMBench(ctx context.Context, c scimBenchConfig) (*scimResult, error) {
	admin := ghttp.NewClient(c.url, c.key, nil)
	org := c.org
	var err error
	if c.setup {
		if org, admin.Key, err = benchOrg(ctx, admin); err != nil {
			return nil, err
		}
	}
	tag := strings.Replace(randomTag(), "bw", "sc", 1)
	token, err := connectSCIM(ctx, admin, ghttp.HomePath(org, ""), "SCIM bench "+tag, 0)
	if err != nil {
		return nil, err
	}
	sc := newSCIMClient(c.url, token, c.concurrency)
	plan := newSCIMPlan(tag, c.users, c.groups, c.seed)
	res := &scimResult{Org: org, Users: c.users, Groups: c.groups, Concurrency: c.concurrency, Chunk: c.chunk}
	for _, m := range plan.members {
		res.Memberships += len(m)
	}

	start := time.Now()
	userIDs := make([]string, c.users)
	eachOf(c.users, c.concurrency, func(u int) { userIDs[u] = sc.provisionUser(plan, u) })
	res.UsersSeconds = time.Since(start).Seconds()
	groupIDs := make([]string, c.groups)
	eachOf(c.groups, c.concurrency, func(g int) { groupIDs[g] = sc.provisionGroup(plan, g, userIDs, c.chunk) })
	res.TotalSeconds = time.Since(start).Seconds()
	res.GroupsSeconds = res.TotalSeconds - res.UsersSeconds
	res.UsersPerSecond = float64(c.users) / res.TotalSeconds

	res.Requests = map[string]requestStats{}
	for k, ls := range sc.latencies {
		p := percentiles(ls)
		res.Requests[k] = requestStats{N: len(ls), P50ms: p(0.50), P99ms: p(0.99)}
	}
	res.Errors, res.FirstError = sc.errors, sc.firstErr

	start = time.Now()
	if err := sc.verify(plan, userIDs, groupIDs, res); err != nil {
		return nil, err
	}
	res.VerifySeconds = time.Since(start).Seconds()
	return res, nil
}

func newSCIMClient(serverURL, token string, concurrency int) *scimClient {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = concurrency + 1
	return &scimClient{base: strings.TrimRight(serverURL, "/") + "/scim/v2", token: token,
		hc: &http.Client{Transport: tr, Timeout: time.Minute}, latencies: map[string][]time.Duration{}}
}

// connectSCIM connects a SCIM directory to the home at path and returns its token.
func connectSCIM(ctx context.Context, admin *ghttp.Client, home, name string, removals int) (string, error) {
	var x struct {
		Token       string `json:"token"`
		SCIMBaseURL string `json:"scim_base_url"`
	}
	if err := admin.Do(ctx, "POST", home+"/directories", map[string]any{"type": "scim", "name": name, "removal_threshold": removals}, &x); err != nil {
		return "", fmt.Errorf("connect the bench directory: %w", err)
	}
	if x.Token == "" {
		return "", fmt.Errorf("connect the bench directory: no token in the answer")
	}
	return x.Token, nil
}

// filterPath is a list request of kind with a filter of attr eq value.
func filterPath(kind, attr, value string, extra string) string {
	q := url.Values{"filter": {fmt.Sprintf("%s eq %q", attr, value)}}
	if extra != "" {
		q.Set("excludedAttributes", extra)
	}
	return "/" + kind + "?" + q.Encode()
}

// provisionUser looks user u up by userName and, finding none, creates it;
// it returns the id, "" after an error.
func (c *scimClient) provisionUser(p *scimPlan, u int) string {
	var l scimList
	if c.do("user.get", "GET", filterPath("Users", "userName", p.email(u), ""), nil, http.StatusOK, &l) != nil {
		return ""
	}
	if l.TotalResults != 0 {
		c.count(fmt.Errorf("user %s found before it was created", p.email(u)))
		return ""
	}
	body := map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"},
		"externalId": p.externalID(u), "userName": p.email(u), "active": true, "displayName": fmt.Sprintf("Bench User %d", u),
		"name":   map[string]string{"givenName": "Bench", "familyName": fmt.Sprintf("User %d", u), "formatted": fmt.Sprintf("Bench User %d", u)},
		"emails": []map[string]any{{"primary": true, "type": "work", "value": p.email(u)}},
		"title":  "Analyst", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": map[string]string{"department": "Security"},
	}
	var out struct {
		ID string `json:"id"`
	}
	if c.do("user.post", "POST", "/Users", body, http.StatusCreated, &out) != nil {
		return ""
	}
	return out.ID
}

// provisionGroup looks group g up by displayName and, finding none,
// creates it without members, then adds them chunk at a time.
func (c *scimClient) provisionGroup(p *scimPlan, g int, userIDs []string, chunk int) string {
	var l scimList
	if c.do("group.get", "GET", filterPath("Groups", "displayName", p.groupName(g), "members"), nil, http.StatusOK, &l) != nil {
		return ""
	}
	body := map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"},
		"externalId": fmt.Sprintf("%s-grp-%04d", p.tag, g), "displayName": p.groupName(g)}
	if l.TotalResults != 0 {
		c.count(fmt.Errorf("group %q found before it was created", p.groupName(g)))
		return ""
	}
	var out struct {
		ID string `json:"id"`
	}
	if c.do("group.post", "POST", "/Groups", body, http.StatusCreated, &out) != nil {
		return ""
	}
	ms := p.members[g]
	for i := 0; i < len(ms); i += chunk {
		var vals []map[string]string
		for _, u := range ms[i:min(i+chunk, len(ms))] {
			vals = append(vals, map[string]string{"value": userIDs[u]})
		}
		patch := map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
			"Operations": []map[string]any{{"op": "Add", "path": "members", "value": vals}}}
		_ = c.do("group.patch", "PATCH", "/Groups/"+out.ID, patch, http.StatusOK, nil) // counted
	}
	return out.ID
}

// verify reads every user and group of the directory back, page by page,
// and compares them with the plan.
func (c *scimClient) verify(p *scimPlan, userIDs, groupIDs []string, res *scimResult) error {
	type user struct {
		ID       string `json:"id"`
		UserName string `json:"userName"`
		Active   bool   `json:"active"`
	}
	users := map[string]user{}
	err := c.pages("Users", func(raw json.RawMessage) error {
		var u user
		err := json.Unmarshal(raw, &u)
		users[u.ID] = u
		return err
	})
	if err != nil {
		return err
	}
	res.UsersFound = len(users)
	for i, id := range userIDs {
		if u, ok := users[id]; !ok || !u.Active || !strings.EqualFold(u.UserName, p.email(i)) {
			res.Missing++
			res.problem("user %s (%s): found %v", p.email(i), id, u)
		}
	}
	type group struct {
		ID          string `json:"id"`
		DisplayName string `json:"displayName"`
		Members     []struct {
			Value string `json:"value"`
		} `json:"members"`
	}
	groups := map[string]group{}
	err = c.pages("Groups", func(raw json.RawMessage) error {
		var g group
		err := json.Unmarshal(raw, &g)
		groups[g.ID] = g
		res.MembershipsSeen += len(g.Members)
		return err
	})
	if err != nil {
		return err
	}
	res.GroupsFound = len(groups)
	for i, id := range groupIDs {
		g, ok := groups[id]
		if !ok || g.DisplayName != p.groupName(i) {
			res.Missing++
			res.problem("group %q (%s) not found", p.groupName(i), id)
			continue
		}
		want := map[string]bool{}
		for _, u := range p.members[i] {
			want[userIDs[u]] = true
		}
		got := map[string]bool{}
		for _, m := range g.Members {
			got[m.Value] = true
		}
		if len(got) != len(g.Members) || len(got) != len(want) || !subset(want, got) {
			res.Missing++
			res.problem("group %q: %d members, want %d", p.groupName(i), len(g.Members), len(want))
		}
	}
	return nil
}

func subset(a, b map[string]bool) bool {
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

// pages lists every resource of kind, 1,000 to a page (the most the
// server gives).
func (c *scimClient) pages(kind string, each func(json.RawMessage) error) error {
	for start := 1; ; {
		var l scimList
		if err := c.send("", "GET", fmt.Sprintf("/%s?startIndex=%d&count=1000", kind, start), nil, http.StatusOK, &l); err != nil {
			return fmt.Errorf("read back %s: %w", kind, err)
		}
		for _, raw := range l.Resources {
			if err := each(raw); err != nil {
				return fmt.Errorf("read back %s: %w", kind, err)
			}
		}
		start += len(l.Resources)
		if len(l.Resources) == 0 || start > l.TotalResults {
			return nil
		}
	}
}
