// Package dataset builds synthetic directories of a given shape, for demos,
// benchmarks and load tests. A dataset is a plain gatehouse.Snapshot: the
// engine can load it directly, and Write stores it as audited events.
package dataset

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	gh "gatehouse.dev/gatehouse"
)

// Profile is the shape of a generated directory.
type Profile struct {
	Name          string
	Orgs          int
	Workspaces    int // per organization
	OrgUsers      int // per organization
	GroupLevels   []int
	AssignMin     int // org-group assignments per workspace
	AssignMax     int
	LocalUsers    int // per workspace
	LocalGroups   int // per workspace
	LocalDirect   int // local users with a direct role, per workspace
	CustomRoles   int // per organization
	GroupsPerUser int // org groups each org user joins (at most)
	// AdminWorkspaces is how many workspaces (every other one, from the
	// first) the organization's admin holds Admin in, assigned directly.
	AdminWorkspaces int
}

// Profiles are the named shapes `gatehouse bench gen` knows.
var Profiles = map[string]Profile{
	"small": {Name: "small", Orgs: 2, Workspaces: 10, OrgUsers: 50, GroupLevels: []int{2, 4, 6, 8},
		AssignMin: 3, AssignMax: 6, LocalUsers: 10, LocalGroups: 2, LocalDirect: 2, CustomRoles: 3, GroupsPerUser: 2},
	// mssp-large: one partner with 2,000 customers, 5,000 staff in 300 groups
	// nested 4 deep, 100,000 customer users, and an Org Admin who works in
	// 1,000 of the customers' workspaces.
	"mssp-large": {Name: "mssp-large", Orgs: 1, Workspaces: 2000, OrgUsers: 5000, GroupLevels: []int{20, 40, 80, 160},
		AssignMin: 3, AssignMax: 6, LocalUsers: 50, LocalGroups: 5, LocalDirect: 10, CustomRoles: 20, GroupsPerUser: 2,
		AdminWorkspaces: 1000},
}

// Build returns the directory of a profile. The same seed gives the same
// directory, ids included, so a load tool can rebuild what a server holds.
func Build(p Profile, seed uint64) *gh.Snapshot {
	b := &builder{rng: rand.New(rand.NewPCG(seed, seed+1)), s: &gh.Snapshot{}, now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		members: map[string]bool{}}
	for o := range p.Orgs {
		b.org(p, o)
	}
	return b.s
}

type builder struct {
	rng     *rand.Rand
	s       *gh.Snapshot
	now     time.Time
	n       int
	members map[string]bool
}

// id makes a deterministic id with the usual prefix.
func (b *builder) id(prefix string) string {
	b.n++
	return fmt.Sprintf("%s_bench%09d", prefix, b.n)
}

func (b *builder) meta() gh.Meta { return gh.Meta{CreatedAt: b.now, UpdatedAt: b.now, Revision: 1} }

func (b *builder) org(p Profile, o int) {
	org := &gh.Org{ID: gh.OrgID(b.id("org")), Slug: fmt.Sprintf("%s-%d", p.Name, o), Name: fmt.Sprintf("Bench Partner %d", o), Status: gh.StatusActive, Meta: b.meta()}
	b.s.Orgs = append(b.s.Orgs, org)
	home := gh.Home{Org: org.ID}
	admin := b.user(home, fmt.Sprintf("admin@p%d.example", o), gh.OrgRoleAdmin)

	roles := []gh.RoleID{gh.RoleAdmin, gh.RoleIncidentResponder, gh.RoleIncidentAnalyst, gh.RoleDataSourceAdmin, gh.RoleContentAdmin}
	caps := workspaceCaps()
	for r := range p.CustomRoles {
		grants := map[gh.Capability]gh.Level{}
		for range 3 + b.rng.IntN(8) {
			grants[caps[b.rng.IntN(len(caps))]] = gh.Level(1 + b.rng.IntN(2))
		}
		role := &gh.Role{ID: gh.RoleID(b.id("role")), Org: org.ID, Name: fmt.Sprintf("Custom Role %d", r), Grants: grants, Meta: b.meta()}
		b.s.Roles = append(b.s.Roles, role)
		roles = append(roles, role.ID)
	}

	// Org groups in levels; each group below the top joins one or two groups of the level above.
	var levels [][]*gh.Group
	for l, n := range p.GroupLevels {
		var level []*gh.Group
		for i := range n {
			g := b.group(home, fmt.Sprintf("Team L%d-%d", l, i))
			level = append(level, g)
			if l > 0 {
				above := levels[l-1]
				b.member(g.Org, above[b.rng.IntN(len(above))].ID, gh.GroupPrincipal(g.ID))
				if b.rng.IntN(4) == 0 {
					b.member(g.Org, above[b.rng.IntN(len(above))].ID, gh.GroupPrincipal(g.ID))
				}
			}
		}
		levels = append(levels, level)
	}
	var all []*gh.Group
	for _, l := range levels {
		all = append(all, l...)
	}
	for i := range p.OrgUsers {
		u := b.user(home, fmt.Sprintf("staff%d@p%d.example", i, o), gh.OrgRoleMember)
		for range 1 + b.rng.IntN(p.GroupsPerUser) {
			// Mostly the deepest teams, as people sit in small teams inside larger ones.
			l := levels[len(levels)-1-min(b.rng.IntN(3), len(levels)-1)]
			b.member(org.ID, l[b.rng.IntN(len(l))].ID, gh.UserPrincipal(u.ID))
		}
	}

	var workspaces []*gh.Workspace
	for w := range p.Workspaces {
		ws := &gh.Workspace{ID: gh.WorkspaceID(b.id("ws")), Org: org.ID, Slug: fmt.Sprintf("customer-%d", w), Name: fmt.Sprintf("Customer %d", w), Status: gh.StatusActive, Meta: b.meta()}
		b.s.Workspaces = append(b.s.Workspaces, ws)
		workspaces = append(workspaces, ws)
		assigned := map[gh.GroupID]bool{}
		for range p.AssignMin + b.rng.IntN(p.AssignMax-p.AssignMin+1) {
			g := all[b.rng.IntN(len(all))]
			if !assigned[g.ID] {
				assigned[g.ID] = true
				b.assign(ws, gh.GroupPrincipal(g.ID), roles[b.rng.IntN(len(roles))])
			}
		}
		b.local(p, ws, roles)
	}
	// After everything else, so that the rest keeps the ids and draws it had without them.
	for i := 0; i < len(workspaces) && i/2 < p.AdminWorkspaces; i += 2 {
		b.assign(workspaces[i], gh.UserPrincipal(admin.ID), gh.RoleAdmin)
	}
	b.sort()
}

// local adds a workspace's own users and groups with direct and group roles.
func (b *builder) local(p Profile, ws *gh.Workspace, roles []gh.RoleID) {
	home := gh.Home{Org: ws.Org, Workspace: ws.ID}
	var groups []*gh.Group
	for i := range p.LocalGroups {
		g := b.group(home, fmt.Sprintf("%s team %d", ws.Name, i))
		groups = append(groups, g)
		b.assign(ws, gh.GroupPrincipal(g.ID), roles[b.rng.IntN(len(roles))])
	}
	for i := range p.LocalUsers {
		u := b.user(home, fmt.Sprintf("user%d@%s.example", i, ws.Slug), "")
		if len(groups) > 0 {
			b.member(ws.Org, groups[i%len(groups)].ID, gh.UserPrincipal(u.ID))
		}
		if i < p.LocalDirect {
			b.assign(ws, gh.UserPrincipal(u.ID), roles[b.rng.IntN(len(roles))])
		}
	}
}

func (b *builder) user(h gh.Home, email string, role gh.OrgRole) *gh.User {
	u := &gh.User{ID: gh.UserID(b.id("usr")), Home: h, Email: email, GivenName: "Bench", FamilyName: "User",
		Status: gh.StatusActive, OrgRole: role, Meta: b.meta()}
	b.s.Users = append(b.s.Users, u)
	return u
}

func (b *builder) group(h gh.Home, name string) *gh.Group {
	g := &gh.Group{ID: gh.GroupID(b.id("grp")), Home: h, Name: name, Meta: b.meta()}
	b.s.Groups = append(b.s.Groups, g)
	return g
}

func (b *builder) member(org gh.OrgID, g gh.GroupID, p gh.Principal) {
	m := &gh.Membership{Org: org, Group: g, Member: p, Meta: b.meta()}
	if !b.members[m.Key()] {
		b.members[m.Key()] = true
		b.s.Memberships = append(b.s.Memberships, m)
	}
}

func (b *builder) assign(ws *gh.Workspace, p gh.Principal, role gh.RoleID) {
	b.s.Assignments = append(b.s.Assignments, &gh.Assignment{ID: gh.AssignmentID(b.id("asg")), Org: ws.Org,
		Workspace: ws.ID, Principal: p, Role: role, Meta: b.meta()})
}

func (b *builder) sort() {
	sort.Slice(b.s.Memberships, func(i, j int) bool { return b.s.Memberships[i].Key() < b.s.Memberships[j].Key() })
}

func workspaceCaps() []gh.Capability {
	var out []gh.Capability
	for _, c := range gh.DefaultCatalogue.Capabilities() {
		if c.Scope == gh.ScopeWorkspace {
			out = append(out, c.ID)
		}
	}
	return out
}
