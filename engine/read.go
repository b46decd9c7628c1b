package engine

import (
	"slices"
	"sort"
	"strings"

	gh "gatehouse.dev/gatehouse"
)

// The accessors below return nil (or empty) for absent objects. They never
// check tenancy: the directory compares the organization of what it gets.

// Org returns an organization by id.
func (x *Index) Org(id gh.OrgID) *gh.Org {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if oi := x.orgs[id]; oi != nil {
		return oi.org
	}
	return nil
}

// OrgBySlug returns an organization by slug.
func (x *Index) OrgBySlug(slug string) *gh.Org {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if oi := x.orgs[x.orgBySlug[slug]]; oi != nil {
		return oi.org
	}
	return nil
}

// Workspace returns a workspace by id.
func (x *Index) Workspace(id gh.WorkspaceID) *gh.Workspace {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.workspaces[id]
}

// WorkspaceBySlug returns a workspace of org by slug.
func (x *Index) WorkspaceBySlug(org gh.OrgID, slug string) *gh.Workspace {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if oi := x.orgs[org]; oi != nil {
		return oi.workspaces[oi.wsBySlug[slug]]
	}
	return nil
}

// User returns a user by id.
func (x *Index) User(id gh.UserID) *gh.User {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if e := x.users[id]; e != nil {
		return e.u
	}
	return nil
}

// UserByEmail returns the user of home h with that email, compared in its
// normalized form.
func (x *Index) UserByEmail(h gh.Home, email string) *gh.User {
	for _, u := range x.UsersByEmail(h.Org, email) {
		if u.Workspace == h.Workspace {
			return u
		}
	}
	return nil
}

// UsersByEmail returns every user of org with that email, one per home at
// most, the organization's own first.
func (x *Index) UsersByEmail(org gh.OrgID, email string) []*gh.User {
	x.mu.RLock()
	defer x.mu.RUnlock()
	oi := x.orgs[org]
	if oi == nil {
		return nil
	}
	ids := oi.byEmail[gh.NormalizeEmail(email)]
	out := make([]*gh.User, 0, len(ids))
	for _, id := range ids {
		out = append(out, oi.users[id])
	}
	slices.SortFunc(out, func(a, b *gh.User) int { return strings.Compare(string(a.Workspace), string(b.Workspace)) })
	return out
}

// Group returns a group by id.
func (x *Index) Group(id gh.GroupID) *gh.Group {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.groups[id]
}

// Role returns a custom or built-in role by id.
func (x *Index) Role(id gh.RoleID) *gh.Role {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.roles[id]
}

// RolesNamed returns the built-in roles and the custom roles of org (at the
// organization or in any of its workspaces) with that name, ignoring case.
func (x *Index) RolesNamed(org gh.OrgID, name string) []*gh.Role {
	x.mu.RLock()
	defer x.mu.RUnlock()
	n := foldName(name)
	var out []*gh.Role
	for _, r := range x.cat.Load().BuiltinRoles() {
		if foldName(r.Name) == n {
			out = append(out, r)
		}
	}
	if oi := x.orgs[org]; oi != nil {
		for _, r := range oi.roles {
			if foldName(r.Name) == n {
				out = append(out, r)
			}
		}
	}
	return out
}

// Assignment returns an assignment by id.
func (x *Index) Assignment(id gh.AssignmentID) *gh.Assignment {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.assignments[id]
}

// AssignmentFor returns p's assignment in w, if any.
func (x *Index) AssignmentFor(p gh.Principal, w gh.WorkspaceID) *gh.Assignment {
	x.mu.RLock()
	defer x.mu.RUnlock()
	switch p.Type {
	case gh.PrincipalUser:
		return x.userAssign[gh.UserID(p.ID)][w]
	case gh.PrincipalGroup:
		return x.groupAssign[gh.GroupID(p.ID)][w]
	}
	return nil
}

// AssignmentsOf returns p's assignments in every workspace, by id.
func (x *Index) AssignmentsOf(p gh.Principal) []*gh.Assignment {
	x.mu.RLock()
	defer x.mu.RUnlock()
	var m map[gh.WorkspaceID]*gh.Assignment
	switch p.Type {
	case gh.PrincipalUser:
		m = x.userAssign[gh.UserID(p.ID)]
	case gh.PrincipalGroup:
		m = x.groupAssign[gh.GroupID(p.ID)]
	}
	out := make([]*gh.Assignment, 0, len(m))
	for _, a := range m {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// AssignmentsIn returns every assignment in workspace w, by id.
func (x *Index) AssignmentsIn(w gh.WorkspaceID) []*gh.Assignment {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return sortedValues(x.wsAssign[w], func(*gh.Assignment) bool { return true })
}

// AssignmentsWithRole returns every assignment of org that uses role r.
func (x *Index) AssignmentsWithRole(org gh.OrgID, r gh.RoleID) []*gh.Assignment {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return sortedValues(x.assignments, func(a *gh.Assignment) bool { return a.Org == org && a.Role == r })
}

// Template returns a template by id.
func (x *Index) Template(id gh.TemplateID) *gh.Template {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.templates[id]
}

// Key returns an API key by id.
func (x *Index) Key(id gh.KeyID) *gh.APIKey {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.keys[id]
}

// KeyByHash returns the API key whose secret hashes to h.
func (x *Index) KeyByHash(h string) *gh.APIKey {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.keyByHash[h]
}

// KeysOf returns a user's API keys (the operator's when u is empty), by id.
func (x *Index) KeysOf(org gh.OrgID, u gh.UserID) []*gh.APIKey {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return sortedValues(x.keys, func(k *gh.APIKey) bool { return k.Org == org && k.User == u })
}

// Members returns the direct members of g, users first, then by id.
func (x *Index) Members(g gh.GroupID) []*gh.Membership {
	x.mu.RLock()
	defer x.mu.RUnlock()
	out := make([]*gh.Membership, 0, len(x.members[g]))
	for _, m := range x.members[g] {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Member.Type != out[j].Member.Type {
			return out[i].Member.Type == gh.PrincipalUser
		}
		return out[i].Member.ID < out[j].Member.ID
	})
	return out
}

// Membership returns the membership of p directly in g, if any.
func (x *Index) Membership(g gh.GroupID, p gh.Principal) *gh.Membership {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.members[g][p]
}

// GroupsOf returns the groups directly containing p, and with nested true every
// group containing it through any nesting.
func (x *Index) GroupsOf(p gh.Principal, nested bool) []gh.GroupID {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if !nested {
		return sortedGroups(x.parents[p])
	}
	seen := map[gh.GroupID]struct{}{}
	queue := []gh.Principal{p}
	if p.Type == gh.PrincipalUser {
		if ue := x.entry(gh.UserID(p.ID)); ue != nil {
			for _, g := range ue.ruled { // groups whose rule matches the user
				seen[g] = struct{}{}
				queue = append(queue, gh.GroupPrincipal(g))
			}
		}
	}
	for len(queue) > 0 {
		q := queue[0]
		queue = queue[1:]
		for g := range x.parents[q] {
			if _, ok := seen[g]; !ok {
				seen[g] = struct{}{}
				queue = append(queue, gh.GroupPrincipal(g))
			}
		}
	}
	return sortedGroups(seen)
}

// Height returns the longest chain of groups from g downwards (1 for a group
// without group members), and Depth the longest chain from g upwards (1 for a
// group in no group). Nesting is bounded by their sum.
func (x *Index) Height(g gh.GroupID) int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.height(g, 0)
}

func (x *Index) height(g gh.GroupID, guard int) int {
	best := 0
	if guard > 4*gh.MaxGroupDepth {
		return guard // a cycle cannot exist, but never loop if one did
	}
	for m := range x.members[g] {
		if m.Type == gh.PrincipalGroup {
			best = max(best, x.height(gh.GroupID(m.ID), guard+1))
		}
	}
	return best + 1
}

// Depth returns the longest chain of groups from g upwards, g included.
func (x *Index) Depth(g gh.GroupID) int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.depth(gh.GroupPrincipal(g), 0)
}

func (x *Index) depth(p gh.Principal, guard int) int {
	best := 0
	if guard > 4*gh.MaxGroupDepth {
		return guard
	}
	for g := range x.parents[p] {
		best = max(best, x.depth(gh.GroupPrincipal(g), guard+1))
	}
	return best + 1
}

// ActiveOrgAdmins returns the active Organization Admins of org.
func (x *Index) ActiveOrgAdmins(org gh.OrgID) []gh.UserID {
	x.mu.RLock()
	defer x.mu.RUnlock()
	var out []gh.UserID
	if oi := x.orgs[org]; oi != nil {
		for id, u := range oi.users {
			if u.IsOrgAdmin() {
				out = append(out, id)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Orgs lists organizations accepted by keep, by id.
func (x *Index) Orgs(keep func(*gh.Org) bool) []*gh.Org {
	x.mu.RLock()
	defer x.mu.RUnlock()
	out := make([]*gh.Org, 0, len(x.orgs))
	for _, oi := range x.orgs {
		if keep(oi.org) {
			out = append(out, oi.org)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Workspaces lists org's workspaces accepted by keep, by id.
func (x *Index) Workspaces(org gh.OrgID, keep func(*gh.Workspace) bool) []*gh.Workspace {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if oi := x.orgs[org]; oi != nil {
		return sortedValues(oi.workspaces, keep)
	}
	return nil
}

// Users lists org's users accepted by keep, by id.
func (x *Index) Users(org gh.OrgID, keep func(*gh.User) bool) []*gh.User {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if oi := x.orgs[org]; oi != nil {
		return sortedValues(oi.users, keep)
	}
	return nil
}

// Groups lists org's groups accepted by keep, by id.
func (x *Index) Groups(org gh.OrgID, keep func(*gh.Group) bool) []*gh.Group {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if oi := x.orgs[org]; oi != nil {
		return sortedValues(oi.groups, keep)
	}
	return nil
}

// GroupsIn lists the groups of home h accepted by keep, by id.
func (x *Index) GroupsIn(h gh.Home, keep func(*gh.Group) bool) []*gh.Group {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if oi := x.orgs[h.Org]; oi != nil {
		return sortedValues(oi.groupsIn[h.Workspace], keep)
	}
	return nil
}

// Roles lists org's custom roles accepted by keep, by id.
func (x *Index) Roles(org gh.OrgID, keep func(*gh.Role) bool) []*gh.Role {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if oi := x.orgs[org]; oi != nil {
		return sortedValues(oi.roles, keep)
	}
	return nil
}

// Templates lists org's templates accepted by keep, by id.
func (x *Index) Templates(org gh.OrgID, keep func(*gh.Template) bool) []*gh.Template {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if oi := x.orgs[org]; oi != nil {
		return sortedValues(oi.templates, keep)
	}
	return nil
}

// sortedValues returns the values of m accepted by keep, ordered by key.
func sortedValues[K ~string, V any](m map[K]V, keep func(V) bool) []V {
	keys := make([]K, 0, len(m))
	for k, v := range m {
		if keep(v) {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	out := make([]V, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}

// CustomCapabilities lists the capabilities the operator added, by id.
func (x *Index) CustomCapabilities() []*gh.CustomCapability {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return sortedValues(x.custom, func(*gh.CustomCapability) bool { return true })
}

// RolesGranting lists the custom roles, of any organization, that grant c at
// any level, by id.
func (x *Index) RolesGranting(c gh.Capability) []*gh.Role {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return sortedValues(x.roles, func(r *gh.Role) bool { return !r.Builtin && r.Grants[c] != gh.LevelNone })
}

// UsersPage lists, in id order, up to limit users of org whose home is ws
// ("" for the organization's own users) with ids after after and accepted by
// keep, and whether more follow.
func (x *Index) UsersPage(org gh.OrgID, ws gh.WorkspaceID, after string, limit int, keep func(*gh.User) bool) ([]*gh.User, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	oi := x.orgs[org]
	if oi == nil || oi.byHome[ws] == nil {
		return nil, false
	}
	ids := oi.byHome[ws].ids
	i := sort.Search(len(ids), func(i int) bool { return string(ids[i]) > after })
	var out []*gh.User
	for ; i < len(ids) && len(out) <= limit; i++ {
		if u := oi.users[ids[i]]; keep(u) {
			out = append(out, u)
		}
	}
	if len(out) > limit {
		return out[:limit], true
	}
	return out, false
}

// UsersIn counts the users whose home is workspace ws of org ("" for the
// organization's own), without listing them.
func (x *Index) UsersIn(org gh.OrgID, ws gh.WorkspaceID) int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if oi := x.orgs[org]; oi != nil && oi.byHome[ws] != nil {
		return len(oi.byHome[ws].ids)
	}
	return 0
}

// ActiveUsers counts the active users of org: those whose home is ws, or,
// with all set, of the organization and every workspace together.
func (x *Index) ActiveUsers(org gh.OrgID, ws gh.WorkspaceID, all bool) int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	oi := x.orgs[org]
	if oi == nil {
		return 0
	}
	if !all {
		return oi.active[ws]
	}
	n := 0
	for _, c := range oi.active {
		n += c
	}
	return n
}
