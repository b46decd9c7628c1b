package engine

import (
	"fmt"
	"slices"
	"sort"

	gh "gatehouse.dev/gatehouse"
)

// Decision is the answer to a check.
type Decision struct {
	Allowed  bool        `json:"allowed"`
	Level    gh.Level    `json:"level"`
	Revision gh.Revision `json:"revision"`
}

// Check answers whether user u may use capability c at level want (or higher)
// in workspace w. Unknown, inactive or foreign users and workspaces are denied.
func (x *Index) Check(u gh.UserID, w gh.WorkspaceID, c gh.Capability, want gh.Level) Decision {
	x.mu.RLock()
	defer x.mu.RUnlock()
	lvl := x.level(u, w, c)
	return Decision{Allowed: lvl >= want && lvl > gh.LevelNone, Level: lvl, Revision: x.rev}
}

// usable reports whether u, w and their organization are active and u may be in w at all.
func (x *Index) usable(u gh.UserID, w gh.WorkspaceID) bool {
	ue, we := x.entry(u), x.wsEnt[w]
	return ue != nil && we != nil && usableEntries(ue, we, w)
}

func usableEntries(ue *userEntry, we *wsEntry, w gh.WorkspaceID) bool {
	user, ws := ue.u, we.ws
	if ws == nil || user.Status != gh.StatusActive || !ws.Active() || ws.Org != user.Org {
		return false
	}
	if user.Workspace != "" && user.Workspace != w {
		return false
	}
	return we.oi != nil && we.oi.org.Active()
}

// entry is the user's entry as it stands now (rulegroups.go, current).
func (x *Index) entry(u gh.UserID) *userEntry { return x.current(x.users[u]) }

// level is the hot path: two map lookups by string, then integers only —
// a sorted merge of the user's groups with the workspace's assigned groups.
func (x *Index) level(u gh.UserID, w gh.WorkspaceID, c gh.Capability) gh.Level {
	ci, ok := x.capIdx[c]
	if !ok {
		return gh.LevelNone
	}
	return levelOf(x.entry(u), x.wsEnt[w], u, w, ci)
}

// CheckIDs is Check by ids that also reports the organizations of the user
// and of the workspace ("" for one that does not exist) and whether the
// capability is known, from the same single lookup of each: the caller
// decides who may ask without reading the index twice.
func (x *Index) CheckIDs(u gh.UserID, w gh.WorkspaceID, c gh.Capability, want gh.Level) (d Decision, userOrg, wsOrg gh.OrgID, known bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	d.Revision = x.rev
	ue, we := x.entry(u), x.wsEnt[w]
	if ue != nil {
		userOrg = ue.u.Org
	}
	if we != nil && we.ws != nil {
		wsOrg = we.ws.Org
	}
	ci, known := x.capIdx[c]
	if known {
		d.Level = levelOf(ue, we, u, w, ci)
		d.Allowed = d.Level >= want && d.Level > gh.LevelNone
	}
	return d, userOrg, wsOrg, known
}

func levelOf(ue *userEntry, we *wsEntry, u gh.UserID, w gh.WorkspaceID, ci int) gh.Level {
	if ue == nil || we == nil || !usableEntries(ue, we, w) {
		return gh.LevelNone
	}
	best := gh.LevelNone
	if len(we.users) > 0 {
		if r := we.users[u]; r != nil {
			best = r.levels[ci]
		}
	}
	anc, gs := ue.ancIdx, we.groups
	for i, j := 0, 0; i < len(anc) && j < len(gs) && best < gh.LevelFull; {
		switch {
		case anc[i] < gs[j].g:
			i++
		case anc[i] > gs[j].g:
			j++
		default:
			best = max(best, gs[j].role.levels[ci])
			i++
			j++
		}
	}
	if best > gh.LevelNone {
		if ex, _ := excludedFrom(ue, we, ci); ex != nil {
			return gh.LevelNone // an exclusion wins over every grant
		}
	}
	return best
}

// CheckOrg answers whether u holds organization capability c through its organization role.
func (x *Index) CheckOrg(u gh.UserID, org gh.OrgID, c gh.Capability) Decision {
	x.mu.RLock()
	defer x.mu.RUnlock()
	var user *gh.User
	if e := x.entry(u); e != nil {
		user = e.u
	}
	oi := x.orgs[org]
	d := Decision{Revision: x.rev}
	if user == nil || oi == nil || user.Org != org || !user.IsOrg() || user.Status != gh.StatusActive || !oi.org.Active() {
		return d
	}
	d.Level = x.cat.Load().OrgRoleGrants(user.OrgRole)[c]
	d.Allowed = d.Level == gh.LevelFull
	return d
}

// Administers reports whether u administers people anywhere: an active
// Organization Admin, or a holder of one of gh.AdminCapabilities in any
// workspace of its organization (whatever the workspace's status), through
// any role or group.
func (x *Index) Administers(u gh.UserID) bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	ue := x.entry(u)
	if ue == nil {
		return false
	}
	if ue.u.IsOrgAdmin() {
		return true
	}
	for _, a := range x.userAssign[u] {
		if x.grantsAdmin(a) {
			return true
		}
	}
	for _, g := range ue.anc {
		for _, a := range x.groupAssign[g] {
			if x.grantsAdmin(a) {
				return true
			}
		}
	}
	return false
}

// grantsAdmin reports whether a's role grants one of gh.AdminCapabilities.
func (x *Index) grantsAdmin(a *gh.Assignment) bool { return x.roles[a.Role].ManagesPeople() }

// Effective returns every capability u holds in w with its level (nil when none).
func (x *Index) Effective(u gh.UserID, w gh.WorkspaceID) map[gh.Capability]gh.Level {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if !x.usable(u, w) {
		return nil
	}
	var out map[gh.Capability]gh.Level
	merge := func(a *gh.Assignment) {
		if a == nil {
			return
		}
		if out == nil {
			out = map[gh.Capability]gh.Level{}
		}
		for c, l := range x.roles[a.Role].Grants {
			if l > out[c] {
				out[c] = l
			}
		}
	}
	merge(x.userAssign[u][w])
	for _, g := range x.entry(u).anc {
		merge(x.groupAssign[g][w])
	}
	for c := range out {
		if ci, ok := x.capIdx[c]; ok {
			if ex, _ := excludedFrom(x.entry(u), x.wsEnt[w], ci); ex != nil {
				delete(out, c)
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// Path is one way a user reaches a workspace: an assignment of the user itself
// or of a group the user is in, with the chain of groups from the user upwards.
type Path struct {
	Assignment gh.AssignmentID `json:"assignment_id"`
	Principal  gh.Principal    `json:"principal"`
	Name       string          `json:"name"`
	Via        []GroupRef      `json:"via,omitempty"` // innermost group first, ending with the assigned group
	Role       gh.RoleID       `json:"role_id"`
	RoleName   string          `json:"role_name"`
	Level      gh.Level        `json:"level"` // what the role grants for the capability asked about
}

// GroupRef names a group in a path; Rule is the group's membership rule
// when that, not a listing, put the user in it.
type GroupRef struct {
	ID   gh.GroupID `json:"id"`
	Name string     `json:"name"`
	Rule string     `json:"rule,omitempty"`
}

// paths lists every assignment in w reaching u, with the level each grants for c.
// The caller holds the read lock.
func (x *Index) paths(u gh.UserID, w gh.WorkspaceID, c gh.Capability) []Path {
	return x.pathsVia(u, w, c, x.groupChains(u))
}

// pathsVia is paths with the user's group chains already computed.
func (x *Index) pathsVia(u gh.UserID, w gh.WorkspaceID, c gh.Capability, chains map[gh.GroupID][]GroupRef) []Path {
	var out []Path
	if a := x.userAssign[u][w]; a != nil {
		out = append(out, x.path(a, nil, c))
	}
	for _, g := range x.entry(u).anc {
		if a := x.groupAssign[g][w]; a != nil {
			out = append(out, x.path(a, chains[g], c))
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Level > out[j].Level })
	return out
}

func (x *Index) path(a *gh.Assignment, via []GroupRef, c gh.Capability) Path {
	r := x.roles[a.Role]
	p := Path{Assignment: a.ID, Principal: a.Principal, Via: via, Role: a.Role, RoleName: r.Name, Level: r.Level(c)}
	p.Name = x.principalName(a.Principal)
	return p
}

func (x *Index) principalName(p gh.Principal) string {
	switch p.Type {
	case gh.PrincipalUser:
		if u := x.users[gh.UserID(p.ID)]; u != nil {
			return u.u.Email
		}
	case gh.PrincipalGroup:
		if g := x.groups[gh.GroupID(p.ID)]; g != nil {
			return g.Name
		}
	}
	return p.ID
}

// groupChains finds, by breadth-first search upwards from u, the shortest chain
// of groups leading to every group containing u.
func (x *Index) groupChains(u gh.UserID) map[gh.GroupID][]GroupRef {
	out := map[gh.GroupID][]GroupRef{}
	queue := []gh.Principal{gh.UserPrincipal(u)}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		var prefix []GroupRef
		if p.Type == gh.PrincipalGroup {
			prefix = out[gh.GroupID(p.ID)]
		}
		parents := sortedGroups(x.parents[p])
		var ruled []gh.GroupID
		if p.Type == gh.PrincipalUser {
			ruled = x.entry(u).ruled // after the listed ones: a listed membership explains itself
			parents = append(parents, ruled...)
		}
		for _, g := range parents {
			if _, seen := out[g]; seen {
				continue
			}
			ref := GroupRef{ID: g, Name: x.groups[g].Name}
			if slices.Contains(ruled, g) {
				ref.Rule = x.groups[g].Rule
			}
			out[g] = append(append([]GroupRef(nil), prefix...), ref)
			queue = append(queue, gh.GroupPrincipal(g))
		}
	}
	return out
}

func sortedGroups(m map[gh.GroupID]struct{}) []gh.GroupID {
	out := make([]gh.GroupID, 0, len(m))
	for g := range m {
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Step is one stage of an explanation.
type Step struct {
	Step   string `json:"step"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// Explanation is a check answered with its reasons.
type Explanation struct {
	Decision
	User       gh.UserID      `json:"user_id"`
	Workspace  gh.WorkspaceID `json:"workspace_id"`
	Capability gh.Capability  `json:"capability"`
	Want       gh.Level       `json:"requested_level"`
	Steps      []Step         `json:"steps"`
	Paths      []Path         `json:"paths"`
	// Fix says, when denied, what change would allow the request.
	Fix string `json:"fix,omitempty"`
}

// Explain answers like Check and says why, following the troubleshooting path:
// organization and user status, workspace, assignments (with group chains),
// roles, and the grant that decides. When denied, the first failing step names the fix.
func (x *Index) Explain(u gh.UserID, w gh.WorkspaceID, c gh.Capability, want gh.Level) *Explanation {
	x.mu.RLock()
	defer x.mu.RUnlock()
	e := &Explanation{User: u, Workspace: w, Capability: c, Want: want, Paths: []Path{}}
	e.Revision = x.rev
	var user *gh.User
	if ue := x.entry(u); ue != nil {
		user = ue.u
	}
	ws := x.workspaces[w]
	var oi *orgIndex
	if user != nil {
		oi = x.orgs[user.Org]
	}
	add := func(step string, ok bool, format string, args ...any) bool {
		e.Steps = append(e.Steps, Step{Step: step, OK: ok, Detail: fmt.Sprintf(format, args...)})
		return ok
	}
	fail := func(fix string, args ...any) *Explanation { e.Fix = fmt.Sprintf(fix, args...); return e }

	if user == nil || oi == nil {
		add("user", false, "no such user")
		return fail("check the user id or email")
	}
	if !add("organization", oi.org.Active(), "organization %q is %s", oi.org.Name, oi.org.Status) {
		return fail("the platform operator must reactivate organization %q", oi.org.Name)
	}
	if !add("user", user.Status == gh.StatusActive, "%s is %s", user.Email, user.Status) {
		if user.Status == gh.StatusInvited {
			return fail("%s must accept the invitation, or an admin must activate the account", user.Email)
		}
		return fail("an admin must enable %s", user.Email)
	}
	if ws == nil || ws.Org != user.Org {
		add("workspace", false, "no such workspace in organization %q", oi.org.Name)
		return fail("check the workspace id or slug")
	}
	if !add("workspace", ws.Active(), "workspace %q is %s", ws.Name, ws.Status) {
		return fail("an Organization Admin must reactivate workspace %q", ws.Name)
	}
	if !user.IsOrg() && user.Workspace != w {
		home := x.workspaces[user.Workspace]
		add("home", false, "%s is a user of workspace %q and can never have access to another workspace", user.Email, home.Name)
		return fail("give the person an organization account, or an account in workspace %q", ws.Name)
	}
	if e.Paths = x.paths(u, w, c); e.Paths == nil {
		e.Paths = []Path{}
	}
	if x.explainExclusion(e, x.entry(u), w, c) {
		return e
	}
	if !add("assignment", len(e.Paths) > 0, "%d assignment(s) in %q reach %s%s", len(e.Paths), ws.Name, user.Email, describePaths(e.Paths)) {
		return fail("assign %s, or a group it belongs to, to workspace %q with a role that grants %s (%s)",
			user.Email, ws.Name, c, x.rolesGranting(c, want))
	}
	best := e.Paths[0]
	e.Level = best.Level
	e.Allowed = best.Level >= want && best.Level > gh.LevelNone
	if best.Level == gh.LevelNone {
		add("grant", false, "none of the roles (%s) grants %s", roleNames(e.Paths), c)
		return fail("change the role of %q in %q to one that grants %s (%s), or assign %s such a role there directly",
			best.Name, ws.Name, c, x.rolesGranting(c, want), user.Email)
	}
	if !add("grant", e.Allowed, "role %q through %q grants %s at level %s; %s was asked", best.RoleName, best.Name, c, best.Level, want) {
		return fail("change the role of %q in %q to one that grants %s at level %s (%s)",
			best.Name, ws.Name, c, want, x.rolesGranting(c, want))
	}
	return e
}

func describePaths(ps []Path) string {
	if len(ps) == 0 {
		return ""
	}
	s := ":"
	for i, p := range ps {
		if i > 0 {
			s += ";"
		}
		s += " " + string(p.Principal.Type) + " " + p.Name
		if len(p.Via) > 1 {
			s += " (via"
			for _, g := range p.Via[:len(p.Via)-1] {
				s += " " + g.Name
			}
			s += ")"
		}
		if len(p.Via) > 0 && p.Via[0].Rule != "" {
			s += fmt.Sprintf(" (by the rule of %s: %s)", p.Via[0].Name, p.Via[0].Rule)
		}
		s += " as " + p.RoleName
	}
	return s
}

func roleNames(ps []Path) string {
	s := ""
	for i, p := range ps {
		if i > 0 {
			s += ", "
		}
		s += p.RoleName
	}
	return s
}

// rolesGranting names the built-in roles that grant c at level want or above.
func (x *Index) rolesGranting(c gh.Capability, want gh.Level) string {
	s := ""
	for _, r := range x.cat.Load().BuiltinRoles() {
		if r.Level(c) >= want {
			if s != "" {
				s += ", "
			}
			s += r.Name
		}
	}
	if s == "" {
		return "no built-in role does; use a custom role"
	}
	return "built-in: " + s
}

// LookupPage selects one page of a lookup, whose answers are ordered by id:
// those after the id After, at most Limit of them (every one when Limit is
// 0), each with its paths only when Paths is set.
type LookupPage struct {
	After string
	Limit int
	Paths bool
}

// pageOf walks ids, which are in order and without repeats, from the first
// after p.After, and keeps the answers of those answer accepts until the page
// is full; more reports whether another accepted id follows. It answers only
// as many ids as the page needs.
func pageOf[K ~string, T any](ids []K, p LookupPage, answer func(K) (T, bool)) (page []T, more bool) {
	i := sort.Search(len(ids), func(i int) bool { return string(ids[i]) > p.After })
	page = []T{}
	for _, k := range ids[i:] {
		a, ok := answer(k)
		if !ok {
			continue
		}
		if p.Limit > 0 && len(page) == p.Limit {
			return page, true
		}
		page = append(page, a)
	}
	return page, false
}

// orderedAfter keeps the ids after after, sorted and without repeats.
func orderedAfter[K ~string](ids []K, after string) []K {
	out := ids[:0]
	for _, k := range ids {
		if string(k) > after {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// WorkspaceAccess is one answer of LookupWorkspaces.
type WorkspaceAccess struct {
	Workspace gh.WorkspaceID `json:"workspace_id"`
	Name      string         `json:"workspace_name"`
	Level     gh.Level       `json:"level"`
	Paths     []Path         `json:"paths,omitempty"` // when asked for
}

// LookupWorkspaces lists, by id, one page of the active workspaces where u
// holds c at level want or above, and whether more follow.
func (x *Index) LookupWorkspaces(u gh.UserID, c gh.Capability, want gh.Level, p LookupPage) ([]WorkspaceAccess, bool, gh.Revision) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	ue, ci, known := x.entry(u), 0, false
	if ci, known = x.capIdx[c]; !known || ue == nil || x.orgs[ue.u.Org] == nil {
		return []WorkspaceAccess{}, false, x.rev
	}
	out, more := pageOf(x.lookupOrder(ue, x.orgs[ue.u.Org], p.After), p, func(w gh.WorkspaceID) (WorkspaceAccess, bool) {
		we := x.wsEnt[w]
		if l := levelOf(ue, we, u, w, ci); l >= want && l > gh.LevelNone {
			return WorkspaceAccess{Workspace: w, Name: we.ws.Name, Level: l}, true
		}
		return WorkspaceAccess{}, false
	})
	if p.Paths && len(out) > 0 {
		chains := x.groupChains(u)
		for i := range out {
			out[i].Paths = x.pathsVia(u, out[i].Workspace, c, chains)
		}
	}
	return out, more, x.rev
}

// lookupOrder returns, in id order, the workspaces of oi after after that may
// answer a lookup for the user: those where it or one of its groups is
// assigned, collected and sorted — or, when those are many next to the
// organization's, the organization's own ordered list, which a page walks
// only as far as it needs (an Org Admin working in 1,000 workspaces sorts
// nothing for a page of 100).
func (x *Index) lookupOrder(ue *userEntry, oi *orgIndex, after string) []gh.WorkspaceID {
	u := ue.u.ID
	n := len(x.userAssign[u])
	for _, g := range ue.anc {
		n += len(x.groupAssign[g])
	}
	if 4*n >= len(oi.wsOrder.ids) {
		return oi.wsOrder.ids
	}
	cand := make([]gh.WorkspaceID, 0, n)
	for w := range x.userAssign[u] {
		cand = append(cand, w)
	}
	for _, g := range ue.anc {
		for w := range x.groupAssign[g] {
			cand = append(cand, w)
		}
	}
	return orderedAfter(cand, after)
}

// UserAccess is one answer of LookupUsers.
type UserAccess struct {
	User  gh.UserID `json:"user_id"`
	Email string    `json:"email"`
	Level gh.Level  `json:"level"`
	Paths []Path    `json:"paths,omitempty"` // when asked for
}

// LookupUsers lists, by id, one page of the users holding c at level want or
// above in workspace w, and whether more follow.
func (x *Index) LookupUsers(w gh.WorkspaceID, c gh.Capability, want gh.Level, p LookupPage) ([]UserAccess, bool, gh.Revision) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	reached := x.reached(w)
	cand := make([]gh.UserID, 0, len(reached))
	for u := range reached {
		cand = append(cand, u)
	}
	out, more := pageOf(orderedAfter(cand, p.After), p, func(u gh.UserID) (UserAccess, bool) {
		if l := x.level(u, w, c); l >= want && l > gh.LevelNone {
			return UserAccess{User: u, Email: x.entry(u).u.Email, Level: l}, true
		}
		return UserAccess{}, false
	})
	if p.Paths {
		for i := range out {
			out[i].Paths = x.paths(out[i].User, w, c)
		}
	}
	return out, more, x.rev
}

// Reach lists every user that an assignment in workspace w reaches and that
// may use w now (active, same organization, right home), with every path.
// It answers "who has which role where" for access reviews and exports.
func (x *Index) Reach(w gh.WorkspaceID) ([]UserAccess, gh.Revision) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	out := []UserAccess{}
	for u := range x.reached(w) {
		if x.usable(u, w) {
			out = append(out, UserAccess{User: u, Email: x.entry(u).u.Email, Paths: x.paths(u, w, "")})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Email < out[j].Email })
	return out, x.rev
}

// reached returns every user some assignment in w reaches, usable or not.
func (x *Index) reached(w gh.WorkspaceID) map[gh.UserID]struct{} {
	out := map[gh.UserID]struct{}{}
	for _, a := range x.wsAssign[w] {
		x.usersUnder(a.Principal, out)
	}
	return out
}

// homeDetail is the home step of an organization question, for either answer.
func homeDetail(u *gh.User) string {
	if u.IsOrg() {
		return u.Email + " is an organization user"
	}
	return u.Email + " is a user of a workspace; only organization users hold organization capabilities"
}

// ExplainOrg answers an organization-capability question with its reasons:
// organization and user status, whether the user is an organization user at
// all, and what its organization role grants.
func (x *Index) ExplainOrg(u gh.UserID, org gh.OrgID, c gh.Capability) *Explanation {
	x.mu.RLock()
	defer x.mu.RUnlock()
	e := &Explanation{User: u, Capability: c, Want: gh.LevelFull, Paths: []Path{}}
	e.Revision = x.rev
	add := func(step string, ok bool, format string, args ...any) bool {
		e.Steps = append(e.Steps, Step{Step: step, OK: ok, Detail: fmt.Sprintf(format, args...)})
		return ok
	}
	ue, oi := x.entry(u), x.orgs[org]
	if ue == nil || oi == nil || ue.u.Org != org {
		add("user", false, "no such user in this organization")
		e.Fix = "check the user id or email"
		return e
	}
	user := ue.u
	switch {
	case !add("organization", oi.org.Active(), "organization %q is %s", oi.org.Name, oi.org.Status):
		e.Fix = fmt.Sprintf("the platform operator must reactivate organization %q", oi.org.Name)
	case !add("user", user.Status == gh.StatusActive, "%s is %s", user.Email, user.Status):
		e.Fix = fmt.Sprintf("an admin must enable %s", user.Email)
	case !add("home", user.IsOrg(), "%s", homeDetail(user)):
		e.Fix = "give the person an organization account"
	default:
		e.Level = x.cat.Load().OrgRoleGrants(user.OrgRole)[c]
		e.Allowed = e.Level == gh.LevelFull
		if !add("grant", e.Allowed, "the organization role %q %s %s", user.OrgRole, map[bool]string{true: "grants", false: "does not grant"}[e.Allowed], c) {
			e.Fix = fmt.Sprintf("make %s an Organization Admin", user.Email)
		}
	}
	return e
}
