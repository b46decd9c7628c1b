package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/spf13/cobra"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/dataset"
	"gatehouse.dev/gatehouse/directory"
	ghttp "gatehouse.dev/gatehouse/http"
)

// loadBenchConfig is what `bench load` runs.
type loadBenchConfig struct {
	url, key, profile string
	seed              uint64
	batch             int
	concurrency       int
	checks            int
	json              bool
}

func newBenchLoad(stdout io.Writer) *cobra.Command {
	c := loadBenchConfig{key: os.Getenv("GATEHOUSE_OPERATOR_KEY")}
	cmd := &cobra.Command{
		Use:   "load",
		Short: "Load a generated directory into a running server through the API in batches, then verify it",
		Long: `Builds the directory of --profile in memory, creates its organizations with the operator
key (GATEHOUSE_OPERATOR_KEY, or --key) and a key for each one's first admin, and sends
everything else as batches of up to --batch operations from --concurrency workers:
organization roles, groups and users first, then the organization's memberships beside
the workspaces, each workspace with its users, groups, memberships and assignments.
It prints the time, operations/s and batches, then reads back how many objects of each
kind the server holds and asks --checks questions whose answers a literal reading of the
rules gives; a count that differs, a wrong answer or an error exits non-zero.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := c.validate(); err != nil {
				return err
			}
			res, err := runLoadBench(cmd.Context(), c)
			if err != nil {
				return err
			}
			return report(stdout, c.json, res)
		},
	}
	f := cmd.Flags()
	f.StringVar(&c.url, "url", "http://127.0.0.1:8080", "server to load")
	f.StringVar(&c.key, "key", c.key, "operator key (GATEHOUSE_OPERATOR_KEY)")
	f.StringVar(&c.profile, "profile", "mssp-large", "small or mssp-large")
	f.Uint64Var(&c.seed, "seed", 1, "the same seed generates the same directory")
	f.IntVar(&c.batch, "batch", directory.MaxBatch, "operations per batch")
	f.IntVar(&c.concurrency, "concurrency", 4, "batches in flight")
	f.IntVar(&c.checks, "checks", 2000, "questions asked after the load to verify it")
	f.BoolVar(&c.json, "json", false, "print the result as JSON")
	return cmd
}

func (c *loadBenchConfig) validate() error {
	switch {
	case c.key == "":
		return fmt.Errorf("no key: set GATEHOUSE_OPERATOR_KEY to the operator key, or pass --key")
	case c.batch < 1 || c.batch > directory.MaxBatch:
		return fmt.Errorf("--batch must be from 1 to %d", directory.MaxBatch)
	case c.concurrency < 1:
		return fmt.Errorf("--concurrency must be positive")
	}
	if _, ok := dataset.Profiles[c.profile]; !ok {
		return fmt.Errorf("unknown profile %q: use small or mssp-large", c.profile)
	}
	if _, err := benchHost(c.url); err != nil {
		return err
	}
	return nil
}

// loadResult is what a load measured and what reading it back found.
type loadResult struct {
	Profile          string         `json:"profile"`
	Operations       int            `json:"operations"`
	Batches          int            `json:"batches"`
	Duration         time.Duration  `json:"duration_ns"`
	OpsPerSecond     float64        `json:"operations_per_second"`
	BatchP50ms       float64        `json:"batch_p50_ms"`
	BatchP99ms       float64        `json:"batch_p99_ms"`
	Want             map[string]int `json:"want"` // objects of each kind in the dataset
	Got              map[string]int `json:"got"`  // and on the server
	Checks           int            `json:"checks"`
	Wrong            int            `json:"wrong"`
	CheckErrors      int            `json:"check_errors"`
	VerifyDuration   time.Duration  `json:"verify_duration_ns"`
	Concurrency      int            `json:"concurrency"`
	BatchSize        int            `json:"batch_size"`
	CountsDifferFrom []string       `json:"counts_differ,omitempty"`
}

func (r *loadResult) print(w io.Writer) {
	fmt.Fprintf(w, "profile %s: %d operations in %d batches (up to %d, %d in flight) in %v: %.0f operations/s; per batch p50 %.0f ms, p99 %.0f ms\n",
		r.Profile, r.Operations, r.Batches, r.BatchSize, r.Concurrency, r.Duration.Round(time.Millisecond), r.OpsPerSecond, r.BatchP50ms, r.BatchP99ms)
	fmt.Fprintf(w, "verified in %v: ", r.VerifyDuration.Round(time.Millisecond))
	for _, k := range loadKinds {
		fmt.Fprintf(w, "%s %d/%d, ", k, r.Got[k], r.Want[k])
	}
	fmt.Fprintf(w, "%d checks: %d wrong answers, %d errors\n", r.Checks, r.Wrong, r.CheckErrors)
}

// failure is the error the command exits with.
func (r *loadResult) failure() error {
	if len(r.CountsDifferFrom) > 0 || r.Wrong > 0 || r.CheckErrors > 0 {
		return fmt.Errorf("the server differs from the dataset: counts of %v, %d wrong answers, %d check errors", r.CountsDifferFrom, r.Wrong, r.CheckErrors)
	}
	return nil
}

func runLoadBench(ctx context.Context, c loadBenchConfig) (*loadResult, error) {
	snap := dataset.Build(dataset.Profiles[c.profile], c.seed)
	l := newLoader(snap, c)
	start := time.Now()
	if err := l.load(ctx); err != nil {
		return nil, err
	}
	res := &loadResult{Profile: c.profile, Operations: l.ops, Batches: len(l.latencies), Duration: time.Since(start),
		Concurrency: c.concurrency, BatchSize: c.batch}
	res.OpsPerSecond = float64(res.Operations) / res.Duration.Seconds()
	pct := percentiles(l.latencies)
	res.BatchP50ms, res.BatchP99ms = pct(0.50), pct(0.99)
	start = time.Now()
	if err := l.verify(ctx, res); err != nil {
		return nil, err
	}
	res.VerifyDuration = time.Since(start)
	return res, nil
}

// loader sends a dataset to a server and remembers the id the server gave
// each object the dataset names.
type loader struct {
	snap     *gh.Snapshot
	c        loadBenchConfig
	operator *ghttp.Client
	admins   map[gh.OrgID]*ghttp.Client // each organization's admin
	groups   map[gh.GroupID]*gh.Group

	mu        sync.Mutex
	ids       map[string]string // dataset id → server id
	ops       int
	latencies []time.Duration
	rev       gh.Revision // the highest revision a batch answered
}

func newLoader(snap *gh.Snapshot, c loadBenchConfig) *loader {
	l := &loader{snap: snap, c: c, operator: ghttp.NewClient(c.url, c.key, loadHTTP(c.concurrency)),
		admins: map[gh.OrgID]*ghttp.Client{}, groups: map[gh.GroupID]*gh.Group{}, ids: map[string]string{}}
	for _, r := range gh.DefaultCatalogue.BuiltinRoles() {
		l.ids[string(r.ID)] = string(r.ID) // the same on every server
	}
	for _, g := range snap.Groups {
		l.groups[g.ID] = g
	}
	return l
}

// loadHTTP is a client keeping a connection per worker, with time for a batch.
func loadHTTP(concurrency int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = concurrency + 1
	return &http.Client{Timeout: 5 * time.Minute, Transport: t}
}

// load creates the organizations and sends the rest in batches, stage by stage.
func (l *loader) load(ctx context.Context) error {
	if err := l.createOrgs(ctx); err != nil {
		return err
	}
	for _, stage := range l.plan() {
		if err := l.run(ctx, stage); err != nil {
			return err
		}
	}
	return nil
}

// createOrgs creates the dataset's organizations with their first admin
// and has the operator mint each admin a key, as it may while the admin has
// no credential of its own.
func (l *loader) createOrgs(ctx context.Context) error {
	for _, o := range l.snap.Orgs {
		admin := l.orgAdmin(o.ID)
		if admin == nil {
			return fmt.Errorf("organization %s of the dataset has no admin", o.Slug)
		}
		var created struct {
			ID    string `json:"id"`
			Admin struct {
				ID string `json:"id"`
			} `json:"admin"`
		}
		in := directory.OrgInput{Name: o.Name, Slug: o.Slug, Admin: userInput(admin)}
		if err := l.operator.Do(ctx, "POST", "/v1/orgs", in, &created); err != nil {
			return fmt.Errorf("create organization %s: %w", o.Slug, err)
		}
		var k struct {
			Key string `json:"key"`
		}
		if err := l.operator.Do(ctx, "POST", "/v1/orgs/"+created.ID+"/users/"+created.Admin.ID+"/keys", map[string]string{"name": "bench load"}, &k); err != nil {
			return fmt.Errorf("make the admin key of %s: %w", o.Slug, err)
		}
		l.ids[string(o.ID)], l.ids[string(admin.ID)] = created.ID, created.Admin.ID
		l.admins[o.ID] = ghttp.NewClient(l.c.url, k.Key, l.operator.HTTP)
	}
	return nil
}

// orgAdmin is the organization's first admin in the dataset, made with the organization.
func (l *loader) orgAdmin(org gh.OrgID) *gh.User {
	for _, u := range l.snap.Users {
		if u.Home == (gh.Home{Org: org}) && u.OrgRole == gh.OrgRoleAdmin {
			return u
		}
	}
	return nil
}

func userInput(u *gh.User) directory.UserInput {
	return directory.UserInput{Email: u.Email, GivenName: u.GivenName, FamilyName: u.FamilyName, OrgRole: u.OrgRole}
}

// loadOp is one operation of the load, naming objects by their dataset ids
// until it is sent: render turns each into the id the server gave it, or
// "$id" when the same batch creates it (a create's ref is its dataset id).
type loadOp func(id func(datasetID string) string) directory.BatchOp

// lane is operations of one organization that must go in order; lanes of
// one stage go in parallel, each after every lane of the stages before.
type lane struct {
	org gh.OrgID
	ops []loadOp
}

// plan orders the dataset in two stages: the organizations' roles, groups
// and users; then their memberships, beside the workspaces, each whole with
// its users, groups, memberships and assignments, several to a batch.
func (l *loader) plan() [][]lane {
	var first, second []lane
	for _, o := range l.snap.Orgs {
		var own, members []loadOp
		units := map[gh.WorkspaceID][]loadOp{}
		var order []gh.WorkspaceID
		add := func(ws gh.WorkspaceID, op loadOp) {
			if ws == "" {
				own = append(own, op)
			} else {
				units[ws] = append(units[ws], op)
			}
		}
		for _, w := range l.snap.Workspaces {
			if w.Org == o.ID {
				order = append(order, w.ID)
				add(w.ID, createOp("workspace", "", string(w.ID), directory.WorkspaceInput{Name: w.Name, Slug: w.Slug}))
			}
		}
		for _, r := range l.snap.Roles {
			if r.Org == o.ID {
				add(r.Workspace, createOp("role", r.Workspace, string(r.ID), directory.RoleInput{Name: r.Name, Description: r.Description, Grants: r.Grants}))
			}
		}
		for _, g := range l.snap.Groups {
			if g.Org == o.ID {
				add(g.Workspace, createOp("group", g.Workspace, string(g.ID), directory.GroupInput{Name: g.Name, Description: g.Description}))
			}
		}
		for _, u := range l.snap.Users {
			if u.Org == o.ID && l.ids[string(u.ID)] == "" { // not the admin made with the organization
				add(u.Workspace, createOp("user", u.Workspace, string(u.ID), userInput(u)))
			}
		}
		for _, m := range l.snap.Memberships {
			if g := l.groups[m.Group]; m.Org == o.ID && g.Workspace == "" {
				members = append(members, membershipOp(g, m.Member))
			} else if m.Org == o.ID {
				add(g.Workspace, membershipOp(g, m.Member))
			}
		}
		for _, a := range l.snap.Assignments {
			if a.Org == o.ID {
				add(a.Workspace, assignmentOp(a))
			}
		}
		first = append(first, chunks(o.ID, own, l.c.batch)...)
		second = append(second, chunks(o.ID, members, l.c.batch)...)
		var packed lane
		for _, ws := range order {
			if len(packed.ops) > 0 && len(packed.ops)+len(units[ws]) > l.c.batch {
				second, packed = append(second, packed), lane{}
			}
			packed.org, packed.ops = o.ID, append(packed.ops, units[ws]...)
		}
		if len(packed.ops) > 0 {
			second = append(second, packed)
		}
	}
	return [][]lane{first, second}
}

// chunks cuts independent operations into lanes of one batch each.
func chunks(org gh.OrgID, ops []loadOp, n int) []lane {
	var out []lane
	for i := 0; i < len(ops); i += n {
		out = append(out, lane{org: org, ops: ops[i:min(i+n, len(ops))]})
	}
	return out
}

// createOp creates an object of the organization, or of workspace ws.
func createOp(typ string, ws gh.WorkspaceID, ref string, body any) loadOp {
	raw := gh.MustJSON(body)
	return func(id func(string) string) directory.BatchOp {
		op := directory.BatchOp{Op: "create", Type: typ, Ref: ref, Body: raw}
		if ws != "" {
			op.Workspace = id(string(ws))
		}
		return op
	}
}

func membershipOp(g *gh.Group, member gh.Principal) loadOp {
	return func(id func(string) string) directory.BatchOp {
		op := directory.BatchOp{Op: "create", Type: "membership", ID: id(string(g.ID)),
			Body: gh.MustJSON(map[string]gh.Principal{"member": {Type: member.Type, ID: id(member.ID)}})}
		if g.Workspace != "" {
			op.Workspace = id(string(g.Workspace))
		}
		return op
	}
}

func assignmentOp(a *gh.Assignment) loadOp {
	return func(id func(string) string) directory.BatchOp {
		return directory.BatchOp{Op: "create", Type: "assignment", Workspace: id(string(a.Workspace)),
			Body: gh.MustJSON(map[string]any{"principal": gh.Principal{Type: a.Principal.Type, ID: id(a.Principal.ID)}, "role": id(string(a.Role))})}
	}
}

// run sends a stage's lanes from c.concurrency workers, each lane's batches
// in order, and records the ids the server gave what they created.
func (l *loader) run(ctx context.Context, stage []lane) error {
	return parallel(ctx, l.c.concurrency, len(stage), func(ctx context.Context, i int) error {
		ln := stage[i]
		for j := 0; j < len(ln.ops); j += l.c.batch {
			if err := l.send(ctx, ln.org, ln.ops[j:min(j+l.c.batch, len(ln.ops))]); err != nil {
				return err
			}
		}
		return nil
	})
}

// send renders ops with the ids known so far and applies them as one batch.
func (l *loader) send(ctx context.Context, org gh.OrgID, ops []loadOp) error {
	batch := make([]directory.BatchOp, len(ops))
	l.mu.Lock()
	id := func(v string) string {
		if s, ok := l.ids[v]; ok {
			return s
		}
		return "$" + v
	}
	for i, op := range ops {
		batch[i] = op(id)
	}
	orgID := l.ids[string(org)] // read under the lock: other lanes are adding ids
	l.mu.Unlock()
	t0 := time.Now()
	ans, err := l.admins[org].Batch(ctx, orgID, "", batch, false)
	if err != nil {
		return fmt.Errorf("batch of %d operations: %w", len(batch), err)
	}
	took := time.Since(t0)
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range ans.Results {
		if r.Ref != "" {
			l.ids[r.Ref] = r.ID
		}
	}
	l.ops += len(batch)
	l.latencies = append(l.latencies, took)
	l.rev = max(l.rev, ans.Revision)
	return nil
}

// parallel runs fn(0) … fn(n-1) on up to workers goroutines and returns the
// first error, after which the others stop taking work.
func parallel(ctx context.Context, workers, n int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(ctx, i); err != nil {
					cancel(err)
				}
			}
		}()
	}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		select {
		case next <- i:
		case <-ctx.Done():
		}
	}
	close(next)
	wg.Wait()
	return context.Cause(ctx)
}

// loadKinds are the kinds of object the verification counts.
var loadKinds = []string{"orgs", "workspaces", "users", "groups", "memberships", "roles", "assignments"}

// verify counts what the server holds of each kind against the dataset and
// asks c.checks questions whose answers the dataset gives.
func (l *loader) verify(ctx context.Context, res *loadResult) error {
	s := l.snap
	res.Want = map[string]int{"orgs": len(s.Orgs), "workspaces": len(s.Workspaces), "users": len(s.Users), "groups": len(s.Groups),
		"memberships": len(s.Memberships), "roles": len(s.Roles), "assignments": len(s.Assignments)}
	res.Got = map[string]int{}
	if err := l.count(ctx, res.Got); err != nil {
		return err
	}
	for _, k := range loadKinds {
		if res.Got[k] != res.Want[k] {
			res.CountsDifferFrom = append(res.CountsDifferFrom, k)
		}
	}
	return l.ask(ctx, res)
}

// count reads every organization back page by page.
func (l *loader) count(ctx context.Context, got map[string]int) error {
	var mu sync.Mutex
	add := func(kind string, n int) {
		mu.Lock()
		got[kind] += n
		mu.Unlock()
	}
	for _, o := range l.snap.Orgs {
		admin, base := l.admins[o.ID], "/v1/orgs/"+l.ids[string(o.ID)]
		if err := admin.Do(ctx, "GET", base, nil, nil); err != nil {
			return err
		}
		add("orgs", 1)
		roles, err := listIDs(ctx, admin, base+"/roles")
		if err != nil {
			return err
		}
		add("roles", len(roles))
		workspaces, err := listIDs(ctx, admin, base+"/workspaces")
		if err != nil {
			return err
		}
		add("workspaces", len(workspaces))
		homes := []string{base}
		for _, w := range workspaces {
			homes = append(homes, base+"/workspaces/"+w)
		}
		err = parallel(ctx, l.c.concurrency, len(homes), func(ctx context.Context, i int) error {
			users, err := listIDs(ctx, admin, homes[i]+"/users")
			if err != nil {
				return err
			}
			groups, err := listIDs(ctx, admin, homes[i]+"/groups")
			if err != nil {
				return err
			}
			add("users", len(users))
			add("groups", len(groups))
			for _, g := range groups {
				members, err := listIDs(ctx, admin, homes[i]+"/groups/"+g+"/members")
				if err != nil {
					return err
				}
				add("memberships", len(members))
			}
			if i == 0 {
				return nil // assignments belong to workspaces
			}
			assignments, err := listIDs(ctx, admin, homes[i]+"/assignments")
			add("assignments", len(assignments))
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// listIDs reads every page of a list and returns the ids of its items.
func listIDs(ctx context.Context, c *ghttp.Client, path string) ([]string, error) {
	var ids []string
	cursor := ""
	for {
		var page struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
			Next string `json:"next_cursor"`
		}
		q := "?limit=1000"
		if cursor != "" {
			q += "&cursor=" + url.QueryEscape(cursor)
		}
		if err := c.Do(ctx, "GET", path+q, nil, &page); err != nil {
			return nil, err
		}
		for _, it := range page.Items {
			ids = append(ids, it.ID)
		}
		if cursor = page.Next; cursor == "" {
			return ids, nil
		}
	}
}

// ask sends the questions of `bench check`'s mix, in the server's ids, in
// batches that wait for the load's last revision, and counts wrong answers.
func (l *loader) ask(ctx context.Context, res *loadResult) error {
	qs, _ := questionMix(l.snap, l.c.checks, l.c.seed)
	for i := 0; i < len(qs); i += directory.MaxBatch {
		group := qs[i:min(i+directory.MaxBatch, len(qs))]
		reqs := make([]ghttp.CheckRequest, len(group))
		for j, q := range group {
			reqs[j] = ghttp.CheckRequest{User: l.ids[string(q.body["user"].(gh.UserID))],
				Workspace: l.ids[string(q.body["workspace"].(gh.WorkspaceID))], Capability: q.body["capability"].(gh.Capability),
				Consistency: &ghttp.Consistency{AtLeastRevision: l.rev}}
		}
		answers, _, err := l.operator.CheckBatch(ctx, reqs)
		if err != nil {
			return err
		}
		for j, a := range answers {
			switch {
			case a.Err != nil:
				res.CheckErrors++
			case a.Allowed != group[j].allow:
				res.Wrong++
			}
		}
		res.Checks += len(answers)
	}
	return nil
}
