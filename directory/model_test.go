package directory_test

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/engine"
	"gatehouse.dev/gatehouse/postgres"
	"gatehouse.dev/gatehouse/postgres/postgrestest"
	"gatehouse.dev/gatehouse/rules"
	"gatehouse.dev/gatehouse/sqlite"
)

var (
	modelSeeds = flag.Int("model.seeds", 4, "random sequences the model-based test runs per store")
	modelSteps = flag.Int("model.steps", 1000, "operations per sequence")
	modelSeed  = flag.Uint64("model.seed", 0, "run only this seed (to replay a failure)")
)

// TestModel drives the directory with long random sequences of operations by
// random actors (workspace users reaching outside their workspace, members of
// one organization reaching into another, …) and compares every outcome and,
// after every step, the access of every user in every workspace with a small
// reference written straight from DESIGN §2. The isolation invariant is
// checked on its own as well.
func TestModel(t *testing.T) {
	opens := map[string]func(t *testing.T) gh.Store{
		"sqlite": func(t *testing.T) gh.Store {
			s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "model.db"))
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		"postgres": func(t *testing.T) gh.Store {
			s, err := postgres.Open(context.Background(), postgrestest.DSN(t))
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
	}
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			seeds := []uint64{}
			if *modelSeed != 0 {
				seeds = append(seeds, *modelSeed)
			} else {
				for i := range *modelSeeds {
					seeds = append(seeds, uint64(1000+i)+rand.Uint64()%1_000_000)
				}
			}
			for _, seed := range seeds {
				t.Run(fmt.Sprint(seed), func(t *testing.T) {
					store := opens[name](t)
					t.Cleanup(func() { store.Close() })
					runModel(t, store, seed, *modelSteps)
				})
			}
		})
	}
}

// ---- the reference: plain data and rules, no indexes ----

type refUser struct {
	id      gh.UserID
	email   string
	dept    string
	certs   []gh.Certification
	org     gh.OrgID
	ws      gh.WorkspaceID // "" for org users
	status  gh.Status
	orgRole gh.OrgRole
}

type refGroup struct {
	id   gh.GroupID
	org  gh.OrgID
	ws   gh.WorkspaceID
	rule string
}

type refRole struct {
	id     gh.RoleID
	org    gh.OrgID
	ws     gh.WorkspaceID
	grants map[gh.Capability]gh.Level
}

type refWS struct {
	id     gh.WorkspaceID
	org    gh.OrgID
	slug   string
	active bool
}

type ref struct {
	orgs    map[gh.OrgID]string // id → slug
	ws      map[gh.WorkspaceID]*refWS
	users   map[gh.UserID]*refUser
	groups  map[gh.GroupID]*refGroup
	members map[gh.GroupID]map[gh.Principal]bool
	roles   map[gh.RoleID]*refRole
	assign  map[gh.WorkspaceID]map[gh.Principal]gh.RoleID
	excl    map[gh.ExclusionID]*gh.Exclusion
	now     time.Time // the time rules are read at
}

// ruleHolds is "a group's rule makes every user of its home that satisfies
// it a member": u lives in g's home and satisfies g's rule now.
func (r *ref) ruleHolds(g *refGroup, u *refUser) bool {
	if g == nil || g.rule == "" || u == nil || u.org != g.org || u.ws != g.ws {
		return false
	}
	rule, err := rules.Compile(g.rule)
	return err == nil && rule.Match(&gh.User{Department: u.dept, Certifications: u.certs, Status: u.status}, r.now)
}

func (r *ref) home(p gh.Principal) (gh.OrgID, gh.WorkspaceID, bool) {
	if p.Type == gh.PrincipalUser {
		if u := r.users[gh.UserID(p.ID)]; u != nil {
			return u.org, u.ws, true
		}
		return "", "", false
	}
	if g := r.groups[gh.GroupID(p.ID)]; g != nil {
		return g.org, g.ws, true
	}
	return "", "", false
}

// inside reports whether p is g or is inside g through any nesting, as a
// listed member or, for a user, by a group's rule.
func (r *ref) inside(p gh.Principal, g gh.GroupID, seen map[gh.GroupID]bool) bool {
	if p == gh.GroupPrincipal(g) {
		return true
	}
	if p.Type == gh.PrincipalUser && r.ruleHolds(r.groups[g], r.users[gh.UserID(p.ID)]) {
		return true
	}
	if seen[g] {
		return false
	}
	seen[g] = true
	for m := range r.members[g] {
		if m == p || (m.Type == gh.PrincipalGroup && r.inside(p, gh.GroupID(m.ID), seen)) {
			return true
		}
	}
	return false
}

// effective is DESIGN §2 "Effective access", read literally.
func (r *ref) effective(u gh.UserID, w gh.WorkspaceID) map[gh.Capability]gh.Level {
	out := map[gh.Capability]gh.Level{}
	user, ws := r.users[u], r.ws[w]
	if user == nil || ws == nil || user.status != gh.StatusActive || !ws.active || user.org != ws.org {
		return out
	}
	if user.ws != "" && user.ws != w {
		return out
	}
	for p, role := range r.assign[w] {
		if p == gh.UserPrincipal(u) || (p.Type == gh.PrincipalGroup && r.inside(gh.UserPrincipal(u), gh.GroupID(p.ID), map[gh.GroupID]bool{})) {
			for c, l := range r.roles[role].grants {
				out[c] = max(out[c], l)
			}
		}
	}
	// "An exclusion wins over every grant": one of the organization, held in
	// w or everywhere, naming u, a group holding u, or u's email.
	for _, e := range r.excl {
		if e.Org != user.org || (e.Workspace != "" && e.Workspace != w) {
			continue
		}
		named := e.Email != "" && e.Email == user.email
		if e.Principal != nil {
			named = *e.Principal == gh.UserPrincipal(u) ||
				(e.Principal.Type == gh.PrincipalGroup && r.inside(gh.UserPrincipal(u), gh.GroupID(e.Principal.ID), map[gh.GroupID]bool{}))
		}
		if !named {
			continue
		}
		for c := range out {
			if e.Covers(c) {
				delete(out, c)
			}
		}
	}
	return out
}

// seesPrincipal is DESIGN §2's visibility of principal p to actor a.
func (r *ref) seesPrincipal(a *refUser, p gh.Principal) bool {
	org, ws, ok := r.home(p)
	switch {
	case !ok || org != a.org:
		return false
	case r.isOrgAdmin(a, org) || p == gh.UserPrincipal(a.id):
		return true
	case ws != "":
		return r.sees(a, r.ws[ws])
	case a.ws == "":
		return true
	}
	_, assigned := r.assign[a.ws][p]
	return assigned
}

func (r *ref) isOrgAdmin(a *refUser, org gh.OrgID) bool {
	return a.org == org && a.ws == "" && a.orgRole == gh.OrgRoleAdmin && a.status == gh.StatusActive
}

func (r *ref) sees(a *refUser, w *refWS) bool {
	switch {
	case a.org != w.org:
		return false
	case r.isOrgAdmin(a, w.org):
		return true
	case a.ws != "":
		return a.ws == w.id
	}
	return len(r.effective(a.id, w.id)) > 0
}

// scopeOK is whether the actor may see the scope (org, ws) at all, and may read it.
func (r *ref) scopeOK(a *refUser, org gh.OrgID, ws gh.WorkspaceID) bool {
	if a.org != org {
		return false
	}
	if ws == "" {
		return a.ws == ""
	}
	return r.sees(a, r.ws[ws])
}

func (r *ref) mayManage(a *refUser, org gh.OrgID, ws gh.WorkspaceID, c gh.Capability) bool {
	if r.isOrgAdmin(a, org) {
		return true
	}
	return ws != "" && r.effective(a.id, ws)[c] == gh.LevelFull
}

func (r *ref) covered(a *refUser, ws gh.WorkspaceID, role gh.RoleID) bool {
	if r.isOrgAdmin(a, r.ws[ws].org) {
		return true
	}
	held := r.effective(a.id, ws)
	for c, l := range r.roles[role].grants {
		if held[c] < l {
			return false
		}
	}
	return true
}

func (r *ref) activeAdmins(org gh.OrgID) int {
	n := 0
	for _, u := range r.users {
		if r.isOrgAdmin(u, org) {
			n++
		}
	}
	return n
}

func (r *ref) depthUp(g gh.GroupID) int {
	best := 0
	for outer, ms := range r.members {
		if ms[gh.GroupPrincipal(g)] {
			best = max(best, r.depthUp(outer))
		}
	}
	return best + 1
}

func (r *ref) heightDown(g gh.GroupID) int {
	best := 0
	for m := range r.members[g] {
		if m.Type == gh.PrincipalGroup {
			best = max(best, r.heightDown(gh.GroupID(m.ID)))
		}
	}
	return best + 1
}

func (r *ref) removePrincipal(p gh.Principal) {
	for _, ms := range r.members {
		delete(ms, p)
	}
	for _, as := range r.assign {
		delete(as, p)
	}
	for id, e := range r.excl {
		if e.Principal != nil && *e.Principal == p {
			delete(r.excl, id)
		}
	}
}

// ---- the driver ----

type model struct {
	t      *testing.T
	ctx    context.Context
	d      *directory.Directory
	r      *ref
	rng    *rand.Rand
	log    []string
	n      int
	ok     map[bool]int // outcomes, to show the sequence did something
	checks int
	caps   []gh.Capability
}

func runModel(t *testing.T, store gh.Store, seed uint64, steps int) {
	m := &model{t: t, ctx: context.Background(), rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		r: &ref{orgs: map[gh.OrgID]string{}, ws: map[gh.WorkspaceID]*refWS{}, users: map[gh.UserID]*refUser{},
			groups: map[gh.GroupID]*refGroup{}, members: map[gh.GroupID]map[gh.Principal]bool{},
			roles: map[gh.RoleID]*refRole{}, assign: map[gh.WorkspaceID]map[gh.Principal]gh.RoleID{},
			excl: map[gh.ExclusionID]*gh.Exclusion{}, now: time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)}}
	m.ok = map[bool]int{}
	m.d = directory.New(store, engine.New(gh.DefaultCatalogue), nil, nil)
	m.d.Index().SetClock(func() time.Time { return m.r.now })
	if err := m.d.Load(m.ctx); err != nil {
		t.Fatal(err)
	}
	for _, ci := range gh.DefaultCatalogue.Capabilities() {
		if ci.Scope == gh.ScopeWorkspace {
			m.caps = append(m.caps, ci.ID)
		}
	}
	for _, r := range gh.DefaultCatalogue.BuiltinRoles() {
		m.r.roles[r.ID] = &refRole{id: r.ID, grants: maps.Clone(r.Grants)} // custom capabilities change them
	}
	defer func() {
		if t.Failed() {
			t.Logf("seed %d; replay with -run 'TestModel/.*/%d' -model.seed=%d; last operations:\n  %s", seed, seed, seed,
				strings.Join(m.log[max(0, len(m.log)-25):], "\n  "))
		}
	}()
	m.seed()
	ops := []struct {
		weight int
		fn     func()
	}{
		{6, m.opAssign}, {5, m.opAddMember}, {2, m.opRemoveMember}, {2, m.opUnassign}, {3, m.opCreateUser},
		{2, m.opSetStatus}, {1, m.opDeleteUser}, {1, m.opCreateGroup}, {1, m.opDeleteGroup}, {2, m.opCreateRole},
		{2, m.opUpdateRole}, {1, m.opWorkspaceStatus}, {1, m.opOrgRole}, {1, m.opCapability},
		{2, m.opExclude}, {1, m.opLift}, {2, m.opSetRule}, {3, m.opProfile}, {1, m.opClock},
	}
	total := 0
	for _, o := range ops {
		total += o.weight
	}
	step := func() {
		k := m.rng.IntN(total)
		for _, o := range ops {
			if k -= o.weight; k < 0 {
				o.fn()
				break
			}
		}
	}
	for m.n = 0; m.n < steps && !t.Failed(); m.n++ {
		if m.rng.IntN(12) == 0 {
			m.batch(step)
			continue
		}
		step()
		m.compare(m.n%50 == 0)
	}
	t.Logf("seed %d: %d operations succeeded, %d were refused as the reference expected; %d checks compared",
		seed, m.ok[true], m.ok[false], m.checks)
	if m.ok[true] < steps/10 {
		t.Errorf("only %d of %d operations succeeded: the sequence exercises too little", m.ok[true], steps)
	}
}

// batch runs a few random operations as one batch: each meets the rules it
// meets alone and sees the ones before it; then the batch commits, or is
// abandoned or only tried (a dry run), and the reference goes back with it.
func (m *model) batch(step func()) {
	saved, caps := m.r.clone(), slices.Clone(m.caps)
	n, fate := 2+m.rng.IntN(5), m.rng.IntN(3) // 0 commit, 1 abandon, 2 dry run
	m.log = append(m.log, fmt.Sprintf("%d batch of %d (%s)", m.n, n, []string{"commit", "abandon", "dry run"}[fate]))
	outer := m.ctx
	_, err := m.d.Batch(outer, directory.SystemActor("test"), "bat_model", fate == 2, func(ctx context.Context) error {
		m.ctx = ctx
		defer func() { m.ctx = outer }()
		for range n {
			step()
			m.compare(false)
			m.n++ // names made from the step number stay unique within the batch
		}
		if fate == 1 {
			return errors.New("abandoned")
		}
		return nil
	})
	if (err != nil) != (fate == 1) {
		m.t.Fatalf("batch (fate %d): %v", fate, err)
	}
	if fate != 0 {
		now := m.r.now // time does not go back with the batch
		m.r, m.caps = saved, caps
		m.r.now = now
	}
	m.compare(true)
}

// clone copies the reference, deep enough that changing one leaves the other.
func (r *ref) clone() *ref {
	c := &ref{orgs: maps.Clone(r.orgs), ws: map[gh.WorkspaceID]*refWS{}, users: map[gh.UserID]*refUser{},
		groups: map[gh.GroupID]*refGroup{}, members: map[gh.GroupID]map[gh.Principal]bool{},
		roles: map[gh.RoleID]*refRole{}, assign: map[gh.WorkspaceID]map[gh.Principal]gh.RoleID{},
		excl: maps.Clone(r.excl), now: r.now}
	for k, v := range r.ws {
		x := *v
		c.ws[k] = &x
	}
	for k, v := range r.users {
		x := *v
		c.users[k] = &x
	}
	for k, v := range r.groups {
		x := *v
		c.groups[k] = &x
	}
	for k, v := range r.members {
		c.members[k] = maps.Clone(v)
	}
	for k, v := range r.roles {
		x := *v
		x.grants = maps.Clone(v.grants)
		c.roles[k] = &x
	}
	for k, v := range r.assign {
		c.assign[k] = maps.Clone(v)
	}
	return c
}

// seed makes two organizations with a few workspaces, users, groups and roles, as the system.
func (m *model) seed() {
	sys := directory.SystemActor("test")
	for _, slug := range []string{"red", "blue"} {
		o, admin, _, err := m.d.CreateOrg(m.ctx, sys, directory.OrgInput{Name: slug, Slug: slug,
			Admin: directory.UserInput{Email: "admin@" + slug + ".example", GivenName: "Admin"}})
		if err != nil {
			m.t.Fatal(err)
		}
		m.r.orgs[o.ID] = slug
		noteBirth(string(o.ID))
		noteBirth(string(admin.ID))
		m.r.users[admin.ID] = &refUser{id: admin.ID, email: admin.Email, org: o.ID, status: gh.StatusActive, orgRole: gh.OrgRoleAdmin}
		for i := range 3 {
			ws, _, err := m.d.CreateWorkspace(m.ctx, sys, o, directory.WorkspaceInput{Name: fmt.Sprintf("%s ws %d", slug, i)})
			if err != nil {
				m.t.Fatal(err)
			}
			m.r.ws[ws.ID] = &refWS{id: ws.ID, org: o.ID, slug: ws.Slug, active: true}
			noteBirth(string(ws.ID))
		}
	}
	for range 14 {
		m.opCreateUserAs(sys, nil)
	}
	for range 6 {
		m.opCreateGroupAs(sys)
	}
	// Give the actors something to act with: random valid memberships and assignments.
	for range 40 {
		gid, g := pick(m.rng, m.r.groups)
		p := m.principal(g.org, g.ws)
		if porg, pws, _ := m.r.home(p); porg == g.org && pws == g.ws && p != gh.GroupPrincipal(gid) && p.Type == gh.PrincipalUser {
			s, _ := m.scope(sys, g.org, g.ws)
			if _, _, err := m.d.AddMember(m.ctx, sys, s, gid, p); err != nil {
				m.t.Fatal(err)
			}
			if m.r.members[gid] == nil {
				m.r.members[gid] = map[gh.Principal]bool{}
			}
			m.r.members[gid][p] = true
		}
	}
	for range 40 {
		wid, w := pick(m.rng, m.r.ws)
		p := m.principal(w.org, wid)
		if porg, pws, _ := m.r.home(p); porg == w.org && (pws == "" || pws == wid) {
			role := []gh.RoleID{gh.RoleAdmin, gh.RoleIncidentResponder, gh.RoleIncidentAnalyst}[m.rng.IntN(3)]
			s, _ := m.scope(sys, w.org, wid)
			if _, _, _, err := m.d.Assign(m.ctx, sys, s, p, string(role)); err != nil {
				m.t.Fatal(err)
			}
			if m.r.assign[wid] == nil {
				m.r.assign[wid] = map[gh.Principal]gh.RoleID{}
			}
			m.r.assign[wid][p] = role
		}
	}
}

// births numbers the objects a model makes in the order it made them. Picks
// go by that order, not by id: ids made in the same millisecond sort at
// random, and a seed would not replay the same steps.
var (
	births sync.Map // id → its number
	born   atomic.Int64
)

func noteBirth(id string) { births.LoadOrStore(id, born.Add(1)) }

// birth is k's number (0 for what the model did not make, such as a
// built-in role) and its id.
func birth(k any) (int64, string) {
	id := fmt.Sprint(k)
	if p, ok := k.(gh.Principal); ok {
		id = p.ID
	}
	if n, ok := births.Load(id); ok {
		return n.(int64), id
	}
	return 0, id
}

// inBirthOrder is m's keys in the order the model made them.
func inBirthOrder[K comparable, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b K) int {
		na, sa := birth(a)
		nb, sb := birth(b)
		return cmp.Or(cmp.Compare(na, nb), strings.Compare(sa, sb))
	})
	return keys
}

func pick[K comparable, V any](rng *rand.Rand, m map[K]V) (K, V) {
	keys := inBirthOrder(m)
	var zk K
	var zv V
	if len(keys) == 0 {
		return zk, zv
	}
	k := keys[rng.IntN(len(keys))]
	return k, m[k]
}

// actor picks a random active user to act: an Org Admin a third of the
// time, else anyone, so that both granted and refused attempts are common.
func (m *model) actor() (*directory.Actor, *refUser) {
	if m.rng.IntN(3) == 0 {
		if _, u := pickWhere(m.rng, m.r.users, func(u *refUser) bool { return m.r.isOrgAdmin(u, u.org) }); u != nil && m.r.isOrgAdmin(u, u.org) {
			return &directory.Actor{User: m.d.Index().User(u.id)}, u
		}
	}
	for range 50 {
		_, u := pick(m.rng, m.r.users)
		if u != nil && u.status == gh.StatusActive {
			return &directory.Actor{User: m.d.Index().User(u.id)}, u
		}
	}
	m.t.Fatalf("no active user to act")
	return nil, nil
}

// near reports whether to pick a target close to the actor: most attempts
// stay inside the actor's organization (and workspace) so that they can
// succeed; the rest reach outside, where they must fail.
func (m *model) near() bool { return m.rng.IntN(4) != 0 }

// pickWhere picks a random value of mp accepted by keep, or any when none is.
func pickWhere[K comparable, V any](rng *rand.Rand, mp map[K]V, keep func(V) bool) (K, V) {
	sub := map[K]V{}
	for _, k := range inBirthOrder(mp) { // keep may draw from rng: the same draws for the same keys
		if keep(mp[k]) {
			sub[k] = mp[k]
		}
	}
	if len(sub) == 0 {
		return pick(rng, mp)
	}
	return pick(rng, sub)
}

func (m *model) pickWS(ra *refUser) (gh.WorkspaceID, *refWS) {
	if !m.near() {
		return pick(m.rng, m.r.ws)
	}
	return pickWhere(m.rng, m.r.ws, func(w *refWS) bool { return w.org == ra.org && (ra.ws == "" || w.id == ra.ws) })
}

func (m *model) pickUser(ra *refUser) (gh.UserID, *refUser) {
	if !m.near() {
		return pick(m.rng, m.r.users)
	}
	return pickWhere(m.rng, m.r.users, func(u *refUser) bool { return u.org == ra.org && (ra.ws == "" || u.ws == ra.ws) })
}

func (m *model) pickGroup(ra *refUser) (gh.GroupID, *refGroup) {
	if !m.near() {
		return pick(m.rng, m.r.groups)
	}
	return pickWhere(m.rng, m.r.groups, func(g *refGroup) bool { return g.org == ra.org && (ra.ws == "" || g.ws == ra.ws) })
}

// principal picks a user or group, usually one that may live in (org, ws).
func (m *model) principal(org gh.OrgID, ws gh.WorkspaceID) gh.Principal {
	fits := func(o gh.OrgID, w gh.WorkspaceID) bool { return !m.near() || (o == org && (w == "" || w == ws)) }
	if m.rng.IntN(2) == 0 || len(m.r.groups) == 0 {
		id, _ := pickWhere(m.rng, m.r.users, func(u *refUser) bool { return fits(u.org, u.ws) })
		return gh.UserPrincipal(id)
	}
	id, _ := pickWhere(m.rng, m.r.groups, func(g *refGroup) bool { return fits(g.org, g.ws) })
	return gh.GroupPrincipal(id)
}

// role picks a built-in role most of the time, else any custom role.
func (m *model) role() gh.RoleID {
	if m.rng.IntN(3) != 0 {
		id, _ := pickWhere(m.rng, m.r.roles, func(r *refRole) bool { return r.org == "" })
		return id
	}
	id, _ := pickWhere(m.rng, m.r.roles, func(r *refRole) bool { return r.org != "" })
	return id
}

// outcome compares what the directory did with what the reference expects.
func (m *model) outcome(what string, a *refUser, want bool, err error) bool {
	m.log = append(m.log, fmt.Sprintf("%d %s by %s → want ok=%v, got %v", m.n, what, a.id, want, err))
	got := err == nil
	m.ok[got]++
	if got != want {
		m.t.Fatalf("step %d: %s by %+v: directory ok=%v (%v), reference ok=%v", m.n, what, *a, got, err, want)
	}
	if err != nil && gh.KindOf(err) == gh.KindInternal {
		m.t.Fatalf("step %d: %s: internal error %v", m.n, what, err)
	}
	return got
}

func (m *model) scope(a *directory.Actor, org gh.OrgID, ws gh.WorkspaceID) (directory.Scope, error) {
	return m.d.Resolve(a, m.r.orgs[org], string(ws))
}

func (m *model) opAssign() {
	a, ra := m.actor()
	wid, w := m.pickWS(ra)
	p, role := m.principal(w.org, wid), m.role()
	porg, pws, _ := m.r.home(p)
	rr := m.r.roles[role]
	cur, has := m.r.assign[wid][p]
	want := m.r.scopeOK(ra, w.org, wid) && porg == w.org && (pws == "" || pws == wid) &&
		(rr.org == "" || (rr.org == w.org && (rr.ws == "" || rr.ws == wid))) &&
		(m.r.isOrgAdmin(ra, w.org) || (m.r.mayManage(ra, w.org, wid, gh.CapRolesAssign) &&
			(pws != "" || ra.ws == "") && m.r.covered(ra, wid, role) && (!has || cur == role || m.r.covered(ra, wid, cur))))
	s, err := m.scope(a, w.org, wid)
	if err == nil {
		_, _, _, err = m.d.Assign(m.ctx, a, s, p, string(role))
	}
	if m.outcome(fmt.Sprintf("assign %s %s in %s", p, role, wid), ra, want, err) {
		if m.r.assign[wid] == nil {
			m.r.assign[wid] = map[gh.Principal]gh.RoleID{}
		}
		m.r.assign[wid][p] = role
	}
	m.crossTenant(ra, w.org, err)
}

// crossTenant checks that anything of another organization answered "not found".
func (m *model) crossTenant(a *refUser, org gh.OrgID, err error) {
	if a.org != org && gh.KindOf(err) != gh.KindNotFound {
		m.t.Fatalf("step %d: actor of %s reached into %s: got %v, want not found", m.n, a.org, org, err)
	}
}

func (m *model) opUnassign() {
	a, ra := m.actor()
	wid, w := m.pickWS(ra)
	p, role := pick(m.rng, m.r.assign[wid])
	if role == "" {
		return
	}
	as := m.d.Index().AssignmentFor(p, wid)
	_, pws, _ := m.r.home(p)
	want := m.r.scopeOK(ra, w.org, wid) && (m.r.isOrgAdmin(ra, w.org) ||
		(m.r.mayManage(ra, w.org, wid, gh.CapRolesAssign) && (pws != "" || ra.ws == "") && m.r.covered(ra, wid, role)))
	s, err := m.scope(a, w.org, wid)
	if err == nil {
		_, err = m.d.Unassign(m.ctx, a, s, as.ID, 0)
	}
	if m.outcome(fmt.Sprintf("unassign %s in %s", p, wid), ra, want, err) {
		delete(m.r.assign[wid], p)
	}
	m.crossTenant(ra, w.org, err)
}

// groupScopeOK is whether the actor may see and change group g's home.
func (m *model) groupWantBase(ra *refUser, g *refGroup) bool {
	return m.r.scopeOK(ra, g.org, g.ws) && m.r.mayManage(ra, g.org, g.ws, gh.CapGroupsAdd)
}

func (m *model) opAddMember() {
	a, ra := m.actor()
	gid, g := m.pickGroup(ra)
	if g == nil {
		return
	}
	p := m.principal(g.org, g.ws)
	porg, pws, _ := m.r.home(p)
	want := m.groupWantBase(ra, g) && porg == g.org && pws == g.ws
	if want && p.Type == gh.PrincipalGroup {
		inner := gh.GroupID(p.ID)
		want = !m.r.inside(gh.GroupPrincipal(gid), inner, map[gh.GroupID]bool{}) &&
			m.r.depthUp(gid)+m.r.heightDown(inner) <= gh.MaxGroupDepth
	}
	if want && g.ws != "" && !m.r.isOrgAdmin(ra, g.org) {
		for outer := range m.r.groups {
			if role, ok := m.r.assign[g.ws][gh.GroupPrincipal(outer)]; ok && m.r.inside(gh.GroupPrincipal(gid), outer, map[gh.GroupID]bool{}) {
				want = want && m.r.covered(ra, g.ws, role)
			}
		}
	}
	s, err := m.scope(a, g.org, g.ws)
	if err == nil {
		_, _, err = m.d.AddMember(m.ctx, a, s, gid, p)
	}
	if m.outcome(fmt.Sprintf("add %s to %s", p, gid), ra, want, err) {
		if m.r.members[gid] == nil {
			m.r.members[gid] = map[gh.Principal]bool{}
		}
		m.r.members[gid][p] = true
	}
	m.crossTenant(ra, g.org, err)
}

func (m *model) opRemoveMember() {
	a, ra := m.actor()
	gid, g := m.pickGroup(ra)
	if g == nil {
		return
	}
	p, _ := pick(m.rng, m.r.members[gid])
	if p.ID == "" {
		return
	}
	want := m.groupWantBase(ra, g)
	s, err := m.scope(a, g.org, g.ws)
	if err == nil {
		_, err = m.d.RemoveMember(m.ctx, a, s, gid, p)
	}
	if m.outcome(fmt.Sprintf("remove %s from %s", p, gid), ra, want, err) {
		delete(m.r.members[gid], p)
	}
}

func (m *model) opCreateUser() {
	a, ra := m.actor()
	m.opCreateUserAs(a, ra)
}

// scopeNear picks where an actor creates something: usually its own home, or a workspace of its organization.
func (m *model) scopeNear(ra *refUser) (gh.OrgID, gh.WorkspaceID) {
	if ra == nil || !m.near() {
		return m.homeScope()
	}
	if ra.ws != "" {
		return ra.org, ra.ws
	}
	wid, w := m.pickWS(ra)
	if m.rng.IntN(3) == 0 {
		return w.org, ""
	}
	return w.org, wid
}

// homeScope picks a random organization and, usually, one of its workspaces.
func (m *model) homeScope() (gh.OrgID, gh.WorkspaceID) {
	wid, w := pick(m.rng, m.r.ws)
	if m.rng.IntN(3) == 0 {
		return w.org, ""
	}
	return w.org, wid
}

func (m *model) opCreateUserAs(a *directory.Actor, ra *refUser) {
	org, ws := m.scopeNear(ra)
	email := fmt.Sprintf("u%d-%d@x.example", m.n, m.rng.IntN(1e6))
	in := directory.UserInput{Email: email, GivenName: "U"}
	if ws == "" && m.rng.IntN(4) == 0 {
		in.OrgRole = gh.OrgRoleAdmin
	}
	want := true
	if ra != nil {
		c := gh.CapUsersAdd
		want = m.r.scopeOK(ra, org, ws) && m.r.mayManage(ra, org, ws, c)
		// A new user a group's rule takes in joins that group (§2a).
		born := &refUser{org: org, ws: ws, status: gh.StatusActive}
		for _, gid := range inBirthOrder(m.r.groups) {
			if g := m.r.groups[gid]; m.r.ruleHolds(g, born) {
				want = want && m.joinCoveredRef(ra, gid, g)
			}
		}
	}
	s, err := m.scope(a, org, ws)
	var u *gh.User
	if err == nil {
		u, _, err = m.d.CreateUser(m.ctx, a, s, in)
	}
	if ra == nil {
		if err != nil {
			m.t.Fatal(err)
		}
	} else if !m.outcome("create user "+email, ra, want, err) {
		return
	}
	m.r.users[u.ID] = &refUser{id: u.ID, email: u.Email, org: org, ws: ws, status: gh.StatusActive, orgRole: u.OrgRole}
	noteBirth(string(u.ID))
}

func (m *model) opSetStatus() {
	a, ra := m.actor()
	uid, u := m.pickUser(ra)
	status := []gh.Status{gh.StatusActive, gh.StatusDisabled, gh.StatusInvited}[m.rng.IntN(3)]
	c := gh.CapUsersAdd
	if status == gh.StatusDisabled {
		c = gh.CapUsersRemove
	}
	lastAdmin := m.r.isOrgAdmin(u, u.org) && status != gh.StatusActive && m.r.activeAdmins(u.org) <= 1
	want := m.r.scopeOK(ra, u.org, u.ws) && m.r.mayManage(ra, u.org, u.ws, c) && !lastAdmin
	s, err := m.scope(a, u.org, u.ws)
	if err == nil {
		_, _, err = m.d.UpdateUser(m.ctx, a, s, uid, directory.UserPatch{Status: &status}, 0)
	}
	if m.outcome(fmt.Sprintf("set %s %s", uid, status), ra, want, err) {
		u.status = status
	}
	m.crossTenant(ra, u.org, err)
}

func (m *model) opOrgRole() {
	a, ra := m.actor()
	uid, u := m.pickUser(ra)
	if u.ws != "" {
		return
	}
	role := []gh.OrgRole{gh.OrgRoleAdmin, gh.OrgRoleMember}[m.rng.IntN(2)]
	lastAdmin := m.r.isOrgAdmin(u, u.org) && role != gh.OrgRoleAdmin && m.r.activeAdmins(u.org) <= 1
	want := m.r.scopeOK(ra, u.org, "") && m.r.isOrgAdmin(ra, u.org) && !lastAdmin
	s, err := m.scope(a, u.org, "")
	if err == nil {
		_, _, err = m.d.UpdateUser(m.ctx, a, s, uid, directory.UserPatch{OrgRole: &role}, 0)
	}
	if m.outcome(fmt.Sprintf("org role %s %s", uid, role), ra, want, err) {
		u.orgRole = role
	}
}

func (m *model) opDeleteUser() {
	a, ra := m.actor()
	uid, u := m.pickUser(ra)
	lastAdmin := m.r.isOrgAdmin(u, u.org) && m.r.activeAdmins(u.org) <= 1
	want := m.r.scopeOK(ra, u.org, u.ws) && m.r.mayManage(ra, u.org, u.ws, gh.CapUsersRemove) && !lastAdmin
	s, err := m.scope(a, u.org, u.ws)
	if err == nil {
		_, err = m.d.DeleteUser(m.ctx, a, s, uid, 0)
	}
	if m.outcome("delete user "+string(uid), ra, want, err) {
		delete(m.r.users, uid)
		m.r.removePrincipal(gh.UserPrincipal(uid))
	}
}

func (m *model) opCreateGroup() {
	a, _ := m.actor()
	_ = a
	m.opCreateGroupAs(directory.SystemActor("test"))
}

func (m *model) opCreateGroupAs(a *directory.Actor) {
	org, ws := m.homeScope()
	s, err := m.scope(a, org, ws)
	if err != nil {
		m.t.Fatal(err)
	}
	g, _, err := m.d.CreateGroup(m.ctx, a, s, directory.GroupInput{Name: fmt.Sprintf("g%d-%d", m.n, m.rng.IntN(1e6))})
	if err != nil {
		m.t.Fatal(err)
	}
	m.r.groups[g.ID] = &refGroup{id: g.ID, org: org, ws: ws}
	noteBirth(string(g.ID))
}

func (m *model) opDeleteGroup() {
	a, ra := m.actor()
	gid, g := m.pickGroup(ra)
	if g == nil || len(m.r.groups) < 4 {
		return
	}
	want := m.groupWantBase(ra, g)
	s, err := m.scope(a, g.org, g.ws)
	if err == nil {
		_, err = m.d.DeleteGroup(m.ctx, a, s, gid, 0)
	}
	if m.outcome("delete group "+string(gid), ra, want, err) {
		delete(m.r.groups, gid)
		delete(m.r.members, gid)
		m.r.removePrincipal(gh.GroupPrincipal(gid))
	}
}

func (m *model) grants() map[gh.Capability]gh.Level {
	g := map[gh.Capability]gh.Level{}
	for range 1 + m.rng.IntN(5) {
		g[m.caps[m.rng.IntN(len(m.caps))]] = gh.Level(1 + m.rng.IntN(2))
	}
	return g
}

func (m *model) opCreateRole() {
	a, ra := m.actor()
	org, ws := m.scopeNear(ra)
	grants := m.grants()
	want := m.r.scopeOK(ra, org, ws) && m.r.mayManage(ra, org, ws, gh.CapRolesAssign)
	if want && ws != "" && !m.r.isOrgAdmin(ra, org) {
		held := m.r.effective(ra.id, ws)
		for c, l := range grants {
			want = want && held[c] >= l
		}
	}
	s, err := m.scope(a, org, ws)
	var r *gh.Role
	if err == nil {
		r, _, err = m.d.CreateRole(m.ctx, a, s, directory.RoleInput{Name: fmt.Sprintf("r%d-%d", m.n, m.rng.IntN(1e6)), Grants: grants})
	}
	if m.outcome("create role", ra, want, err) {
		m.r.roles[r.ID] = &refRole{id: r.ID, org: org, ws: ws, grants: grants}
		noteBirth(string(r.ID))
	}
}

func (m *model) opUpdateRole() {
	a, ra := m.actor()
	id, rr := pick(m.rng, m.r.roles)
	if rr.org == "" {
		return // built-in
	}
	grants := m.grants()
	want := m.r.scopeOK(ra, rr.org, rr.ws) && m.r.mayManage(ra, rr.org, rr.ws, gh.CapRolesAssign)
	if want && rr.ws != "" && !m.r.isOrgAdmin(ra, rr.org) {
		held := m.r.effective(ra.id, rr.ws)
		for _, g := range []map[gh.Capability]gh.Level{rr.grants, grants} {
			for c, l := range g {
				want = want && held[c] >= l
			}
		}
	}
	s, err := m.scope(a, rr.org, rr.ws)
	if err == nil {
		_, _, err = m.d.UpdateRole(m.ctx, a, s, id, directory.RolePatch{Grants: grants}, 0)
	}
	if m.outcome("update role "+string(id), ra, want, err) {
		rr.grants = grants
	}
}

// opCapability adds a custom capability, changes the levels built-in roles
// hold of one, or removes one — as the operator two times in three, else as a
// user, who must be refused.
func (m *model) opCapability() {
	a, ra := m.actor()
	want := m.rng.IntN(3) != 0
	if want {
		a = &directory.Actor{Operator: true}
	}
	var custom []gh.Capability
	for _, c := range m.caps {
		if strings.HasPrefix(string(c), "custom.") {
			custom = append(custom, c)
		}
	}
	builtin := map[gh.RoleID]gh.Level{}
	for _, r := range []gh.RoleID{gh.RoleIncidentResponder, gh.RoleIncidentAnalyst, gh.RoleDataSourceAdmin, gh.RoleContentAdmin} {
		if l := gh.Level(m.rng.IntN(3)); l != gh.LevelNone {
			builtin[r] = l
		}
	}
	switch k := m.rng.IntN(3); {
	case k == 0 || len(custom) == 0:
		id := gh.Capability(fmt.Sprintf("custom.cap%d", m.n))
		_, _, err := m.d.CreateCapability(m.ctx, a, directory.CapabilityInput{ID: id, Description: "model", BuiltinGrants: builtin})
		if m.outcome("create capability "+string(id), ra, want, err) {
			m.caps = append(m.caps, id)
			m.setBuiltinGrants(id, builtin)
		}
	case k == 1:
		id := custom[m.rng.IntN(len(custom))]
		_, _, err := m.d.UpdateCapability(m.ctx, a, id, directory.CapabilityPatch{BuiltinGrants: &builtin}, 0)
		if m.outcome("update capability "+string(id), ra, want, err) {
			m.setBuiltinGrants(id, builtin)
		}
	default:
		id := custom[m.rng.IntN(len(custom))]
		for _, r := range m.r.roles {
			want = want && (r.org == "" || r.grants[id] == gh.LevelNone) // a custom role granting it keeps it
		}
		_, err := m.d.DeleteCapability(m.ctx, a, id, 0)
		if m.outcome("delete capability "+string(id), ra, want, err) {
			m.caps = slices.DeleteFunc(m.caps, func(c gh.Capability) bool { return c == id })
			m.setBuiltinGrants(id, nil)
			delete(m.r.roles[gh.RoleAdmin].grants, id)
		}
	}
}

// setBuiltinGrants records in the reference what the built-in roles hold of a
// custom capability: Admin everything, the others what the operator gave.
func (m *model) setBuiltinGrants(id gh.Capability, levels map[gh.RoleID]gh.Level) {
	for rid, r := range m.r.roles {
		switch {
		case r.org != "":
		case rid == gh.RoleAdmin:
			r.grants[id] = gh.LevelFull
		case levels[rid] != gh.LevelNone:
			r.grants[id] = levels[rid]
		default:
			delete(r.grants, id)
		}
	}
}

func (m *model) opWorkspaceStatus() {
	a, ra := m.actor()
	wid, w := m.pickWS(ra)
	status := []gh.Status{gh.StatusActive, gh.StatusSuspended, gh.StatusArchived}[m.rng.IntN(3)]
	if status != gh.StatusActive && m.rng.IntN(2) == 0 {
		status = gh.StatusActive // keep most workspaces active so access stays interesting
	}
	want := m.r.scopeOK(ra, w.org, wid) && m.r.isOrgAdmin(ra, w.org)
	s, err := m.scope(a, w.org, wid)
	if err == nil {
		_, _, err = m.d.UpdateWorkspace(m.ctx, a, s.Workspace, directory.WorkspacePatch{Status: &status}, 0)
	}
	if m.outcome(fmt.Sprintf("workspace %s %s", wid, status), ra, want, err) {
		w.active = status == gh.StatusActive
	}
}

// compare checks the engine against the reference for every user and
// workspace, on every capability when full is set, else on three of them.
func (m *model) compare(full bool) {
	caps := m.caps
	if !full {
		caps = []gh.Capability{m.caps[m.rng.IntN(len(m.caps))], m.caps[m.rng.IntN(len(m.caps))], gh.CapSettingsView}
	}
	idx := m.d.Index()
	for uid, u := range m.r.users {
		for wid, w := range m.r.ws {
			want := m.r.effective(uid, wid)
			if u.ws != "" && u.ws != wid && len(want) > 0 {
				m.t.Fatalf("reference gives workspace user %s access outside its workspace", uid)
			}
			if len(idx.Effective(uid, wid)) > 0 && (u.org != w.org || (u.ws != "" && u.ws != wid)) {
				m.t.Fatalf("step %d: isolation broken: %s (home %s/%s) has access in %s", m.n, uid, u.org, u.ws, wid)
			}
			for _, c := range caps {
				m.checks++
				if got := idx.Check(uid, wid, c, gh.LevelLimited); got.Level != want[c] {
					m.t.Fatalf("step %d: Check(%s, %s, %s) = %s, reference %s", m.n, uid, wid, c, got.Level, want[c])
				}
			}
		}
	}
	m.compareReads(caps[0])
}

// compareReads checks one explain and both lookups against the reference.
func (m *model) compareReads(c gh.Capability) {
	idx := m.d.Index()
	uid, _ := pick(m.rng, m.r.users)
	wid, _ := pick(m.rng, m.r.ws)
	want := m.r.effective(uid, wid)[c]
	for _, lvl := range []gh.Level{gh.LevelLimited, gh.LevelFull} {
		e := idx.Explain(uid, wid, c, lvl)
		if e.Allowed != (want >= lvl) || e.Level != want {
			m.t.Fatalf("step %d: Explain(%s, %s, %s, %s) = allowed %v at %s, reference level %s", m.n, uid, wid, c, lvl, e.Allowed, e.Level, want)
		}
		if !e.Allowed && e.Fix == "" {
			m.t.Fatalf("step %d: Explain(%s, %s, %s) denies without a fix: %+v", m.n, uid, wid, c, e)
		}
	}
	var gotWS, wantWS []string
	ws, _, _ := idx.LookupWorkspaces(uid, c, gh.LevelLimited, engine.LookupPage{})
	for _, a := range ws {
		gotWS = append(gotWS, string(a.Workspace))
	}
	for w := range m.r.ws {
		if m.r.effective(uid, w)[c] > gh.LevelNone {
			wantWS = append(wantWS, string(w))
		}
	}
	slices.Sort(wantWS)
	if !slices.Equal(gotWS, wantWS) {
		m.t.Fatalf("step %d: LookupWorkspaces(%s, %s) = %v, reference %v", m.n, uid, c, gotWS, wantWS)
	}
	if paged := lookupPages(m, func(p engine.LookupPage) ([]engine.WorkspaceAccess, bool) {
		ws, more, _ := idx.LookupWorkspaces(uid, c, gh.LevelLimited, p)
		return ws, more
	}, func(a engine.WorkspaceAccess) (string, int) { return string(a.Workspace), len(a.Paths) }); !slices.Equal(paged, wantWS) {
		m.t.Fatalf("step %d: LookupWorkspaces(%s, %s) in pages = %v, reference %v", m.n, uid, c, paged, wantWS)
	}
	var gotU, wantU []string
	us, _, _ := idx.LookupUsers(wid, c, gh.LevelLimited, engine.LookupPage{})
	for _, a := range us {
		gotU = append(gotU, string(a.User))
	}
	for u := range m.r.users {
		if m.r.effective(u, wid)[c] > gh.LevelNone {
			wantU = append(wantU, string(u))
		}
	}
	slices.Sort(wantU)
	if !slices.Equal(gotU, wantU) {
		m.t.Fatalf("step %d: LookupUsers(%s, %s) = %v, reference %v", m.n, wid, c, gotU, wantU)
	}
	if paged := lookupPages(m, func(p engine.LookupPage) ([]engine.UserAccess, bool) {
		us, more, _ := idx.LookupUsers(wid, c, gh.LevelLimited, p)
		return us, more
	}, func(a engine.UserAccess) (string, int) { return string(a.User), len(a.Paths) }); !slices.Equal(paged, wantU) {
		m.t.Fatalf("step %d: LookupUsers(%s, %s) in pages = %v, reference %v", m.n, wid, c, paged, wantU)
	}
}

// lookupPages reads a lookup in pages of a random size, with or without
// paths, and returns the ids the pages add up to. A page before the end
// must be full, and answers carry paths exactly when asked for.
func lookupPages[T any](m *model, lookup func(engine.LookupPage) ([]T, bool), id func(T) (string, int)) []string {
	p := engine.LookupPage{Limit: 1 + m.rng.IntN(4), Paths: m.rng.IntN(2) == 0}
	var out []string
	for {
		page, more := lookup(p)
		for _, a := range page {
			k, paths := id(a)
			if (paths > 0) != p.Paths {
				m.t.Fatalf("step %d: lookup %+v answers %s with %d paths", m.n, p, k, paths)
			}
			out = append(out, k)
		}
		if !more {
			return out
		}
		if len(page) != p.Limit {
			m.t.Fatalf("step %d: lookup %+v: a page of %d before the end", m.n, p, len(page))
		}
		p.After = out[len(out)-1]
	}
}

// opExclude sets an exclusion, by Org Admins anywhere in the organization
// (one workspace or all) and by a workspace's managers in it; it names a
// principal the actor sees, living where it holds, or an email.
func (m *model) opExclude() {
	a, ra := m.actor()
	wid, w := m.pickWS(ra)
	org := w.org
	if ra.ws == "" && m.rng.IntN(4) == 0 {
		wid = "" // every workspace
	}
	in := directory.ExclusionInput{Reason: fmt.Sprintf("step %d", m.n)}
	if m.rng.IntN(4) == 0 {
		_, u := pick(m.rng, m.r.users)
		in.Email = u.email
	} else {
		p := m.principal(org, wid)
		in.Principal = &p
	}
	if m.rng.IntN(2) == 0 {
		for range 1 + m.rng.IntN(3) {
			if c := m.caps[m.rng.IntN(len(m.caps))]; !slices.Contains(in.Capabilities, c) {
				in.Capabilities = append(in.Capabilities, c)
			}
		}
	}
	admin := m.r.isOrgAdmin(ra, org)
	want := m.r.scopeOK(ra, org, wid) && (admin || (wid != "" && m.r.mayManage(ra, org, wid, gh.CapRolesAssign)))
	if p := in.Principal; p != nil {
		_, pws, _ := m.r.home(*p)
		want = want && m.r.seesPrincipal(ra, *p) && (pws == "" || pws == wid) && *p != gh.UserPrincipal(ra.id)
	}
	s, err := m.scope(a, org, wid)
	var e *gh.Exclusion
	if err == nil {
		e, _, err = m.d.Exclude(m.ctx, a, s, in)
	}
	if m.outcome(fmt.Sprintf("exclude %v %q from %v in %s", in.Principal, in.Email, in.Capabilities, wid), ra, want, err) {
		if by := map[bool]gh.ExclusionAuthority{true: gh.SetByOrganization, false: gh.SetByWorkspace}[admin]; e.SetBy != by {
			m.t.Fatalf("step %d: exclusion set by %s, want %s", m.n, e.SetBy, by)
		}
		m.r.excl[e.ID] = e
		noteBirth(string(e.ID))
	}
	m.crossTenant(ra, org, err)
}

// opLift lifts an exclusion: the organization's by its admins, a
// workspace's only by a holder of workspace.roles.assign there.
func (m *model) opLift() {
	id, e := pick(m.rng, m.r.excl)
	if e == nil {
		return
	}
	a, ra := m.actor()
	admin := m.r.isOrgAdmin(ra, e.Org)
	manager := e.Workspace != "" && m.r.effective(ra.id, e.Workspace)[gh.CapRolesAssign] == gh.LevelFull
	sees := admin || (manager && (e.SetBy == gh.SetByWorkspace || (e.Principal != nil && m.r.seesPrincipal(ra, *e.Principal))))
	may := map[gh.ExclusionAuthority]bool{gh.SetByOrganization: admin, gh.SetByWorkspace: manager}[e.SetBy]
	want := m.r.scopeOK(ra, e.Org, e.Workspace) && sees && may
	s, err := m.scope(a, e.Org, e.Workspace)
	if err == nil {
		_, err = m.d.LiftExclusion(m.ctx, a, s, id)
	}
	if m.outcome(fmt.Sprintf("lift %s (%s, in %q)", id, e.SetBy, e.Workspace), ra, want, err) {
		delete(m.r.excl, id)
	}
	m.crossTenant(ra, e.Org, err)
}

// The rules the model sets, over the departments and certifications it gives.
var modelRules = []string{`department == "D1"`, `certified("C1")`, `department == "D2" && certified("C2")`, `department != "D1"`, ""}

// joinCoveredRef: outside Org Admins, putting people into g in a workspace
// needs what g and every group holding it are given there.
func (m *model) joinCoveredRef(ra *refUser, gid gh.GroupID, g *refGroup) bool {
	if g.ws == "" || m.r.isOrgAdmin(ra, g.org) {
		return true
	}
	for outer := range m.r.groups {
		if role, ok := m.r.assign[g.ws][gh.GroupPrincipal(outer)]; ok && m.r.inside(gh.GroupPrincipal(gid), outer, map[gh.GroupID]bool{}) &&
			!m.r.covered(ra, g.ws, role) {
			return false
		}
	}
	return true
}

// opSetRule sets, changes or clears a group's membership rule.
func (m *model) opSetRule() {
	a, ra := m.actor()
	gid, g := m.pickGroup(ra)
	if g == nil {
		return
	}
	rule := modelRules[m.rng.IntN(len(modelRules))]
	want := m.groupWantBase(ra, g) && (rule == "" || rule == g.rule || m.joinCoveredRef(ra, gid, g))
	s, err := m.scope(a, g.org, g.ws)
	if err == nil {
		_, _, err = m.d.UpdateGroup(m.ctx, a, s, gid, directory.GroupPatch{Rule: &rule}, 0)
	}
	if m.outcome(fmt.Sprintf("rule %q on %s", rule, gid), ra, want, err) {
		g.rule = rule
	}
	m.crossTenant(ra, g.org, err)
}

// opProfile gives a user, as the system, a department and certifications
// that expire around the model's clock.
func (m *model) opProfile() {
	uid, u := pick(m.rng, m.r.users)
	dept := []string{"D1", "D2", ""}[m.rng.IntN(3)]
	var certs []gh.Certification
	for _, name := range []string{"C1", "C2"} {
		switch m.rng.IntN(3) {
		case 0:
			certs = append(certs, gh.Certification{Name: name})
		case 1:
			exp := m.r.now.AddDate(0, 0, m.rng.IntN(5)-1).Format(gh.DateLayout)
			certs = append(certs, gh.Certification{Name: name, Expires: gh.Date(exp)})
		}
	}
	sys := directory.SystemActor("test")
	s, err := m.scope(sys, u.org, u.ws)
	if err == nil {
		_, _, err = m.d.UpdateUser(m.ctx, sys, s, uid, directory.UserPatch{Department: &dept,
			ProfilePatch: directory.ProfilePatch{Certifications: &certs}}, 0)
	}
	if m.outcome(fmt.Sprintf("profile of %s: %s %v", uid, dept, certs), &refUser{id: "system"}, true, err) {
		u.dept, u.certs = dept, certs
	}
}

// opClock moves time on by up to three days: certifications expire with
// nothing written.
func (m *model) opClock() {
	m.r.now = m.r.now.Add(time.Duration(m.rng.IntN(72)) * time.Hour)
	m.log = append(m.log, fmt.Sprintf("%d clock → %s", m.n, m.r.now.Format(time.RFC3339)))
	if m.rng.IntN(2) == 0 {
		m.d.Index().Sweep()
	}
}
