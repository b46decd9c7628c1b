// Package engine is Gatehouse's in-memory access index. It is built from a
// store snapshot, advanced event by event in revision order, and answers
// check, explain and lookup, plus the directory reads, without any I/O.
//
// Objects held by the index are never modified in place: Apply replaces them
// with freshly decoded values, so callers may keep the pointers they get but
// must copy before changing anything.
package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/rules"
)

// Index is one node's view of the whole directory.
type Index struct {
	base *gh.Catalogue // the built-in catalogue the index was made with
	// cat is base with the operator's custom capabilities; replaced whole
	// under mu, read without it (the hot path asks it about every capability).
	cat atomic.Pointer[gh.Catalogue]

	// OnApply, when set before use, is called with every event the index
	// applies, in order, under its write lock (tests watch the feed with it).
	OnApply func(*gh.Event)

	mu        sync.RWMutex
	rev       gh.Revision
	orgs      map[gh.OrgID]*orgIndex
	orgBySlug map[string]gh.OrgID

	// Lookups by id across organizations; each object also sits in its orgIndex.
	workspaces  map[gh.WorkspaceID]*gh.Workspace
	users       map[gh.UserID]*userEntry
	groups      map[gh.GroupID]*gh.Group
	roles       map[gh.RoleID]*gh.Role // custom and built-in
	assignments map[gh.AssignmentID]*gh.Assignment
	templates   map[gh.TemplateID]*gh.Template
	providers   map[gh.ProviderID]*gh.IdentityProvider
	domains     map[gh.DomainID]*gh.Domain
	extDirs     map[gh.ExternalDirectoryID]*gh.ExternalDirectory
	keys        map[gh.KeyID]*gh.APIKey
	keyByHash   map[string]*gh.APIKey
	custom      map[gh.Capability]*gh.CustomCapability
	exclusions  map[gh.ExclusionID]*gh.Exclusion
	// Membership rules: compiled by group, rule groups by home, and the
	// users each matches (rulegroups.go); now tells time for certified().
	rules       map[gh.GroupID]*rules.Rule
	ruleGroups  map[homeKey][]gh.GroupID
	ruleMembers map[gh.GroupID]map[gh.UserID]struct{}
	now         func() time.Time
	exclIn      map[exclScope]map[gh.ExclusionID]*gh.Exclusion

	members map[gh.GroupID]map[gh.Principal]*gh.Membership // direct members
	parents map[gh.Principal]map[gh.GroupID]struct{}       // groups directly containing a principal

	userAssign  map[gh.UserID]map[gh.WorkspaceID]*gh.Assignment
	groupAssign map[gh.GroupID]map[gh.WorkspaceID]*gh.Assignment
	wsAssign    map[gh.WorkspaceID]map[gh.AssignmentID]*gh.Assignment

	// The check path: small integers instead of strings wherever it can.
	capIdx  map[gh.Capability]int       // capability → position in roleEntry.levels
	gid     map[gh.GroupID]int32        // group → small integer, never reused
	roleEnt map[gh.RoleID]*roleEntry    // role → its levels by capability position
	wsEnt   map[gh.WorkspaceID]*wsEntry // workspace → who is assigned there
}

// userEntry is a user with every group containing it through any nesting,
// kept current on membership changes so Check never walks the graph.
type userEntry struct {
	u     *gh.User
	email string // normalized, for exclusions by email
	// ruled are the rule groups matching the user, sorted; ruleUntil when
	// time alone may change them (zero: never).
	ruled     []gh.GroupID
	ruleUntil time.Time
	anc       []gh.GroupID // breadth-first order
	ancIdx    []int32      // the same groups as small integers, sorted
}

// roleEntry holds a role's grants as levels by capability position. Entries
// are updated in place when a role changes, so assignments keep pointing at them.
type roleEntry struct {
	levels []gh.Level
}

// wsEntry is what Check needs of a workspace: its state and its assignments,
// group ones sorted by group integer for a merge with a user's ancestors.
type wsEntry struct {
	ws     *gh.Workspace
	oi     *orgIndex
	groups []wsGrant
	users  map[gh.UserID]*roleEntry
	excl   *exclSet // the workspace's exclusions; nil when none
}

type wsGrant struct {
	g    int32
	role *roleEntry
}

// orgIndex is everything of one organization; nothing in it refers outside it.
type orgIndex struct {
	org        *gh.Org
	workspaces map[gh.WorkspaceID]*gh.Workspace
	// wsOrder lists the workspaces in id order, for lookups that page.
	wsOrder  sortedIDs[gh.WorkspaceID]
	wsBySlug map[string]gh.WorkspaceID
	users    map[gh.UserID]*gh.User
	// byHome lists the users of each home ("" for the organization's own) in
	// id order, so a page of a 100,000-user directory costs its own length
	// rather than a sort of everyone.
	byHome map[gh.WorkspaceID]*sortedIDs[gh.UserID]
	// active counts the active users of each home, for seats.
	active map[gh.WorkspaceID]int
	// byEmail lists the users of each normalized email: one per home at most,
	// since emails are unique per home, not per organization.
	byEmail map[string][]gh.UserID
	groups  map[gh.GroupID]*gh.Group
	// groupsIn holds the groups of each home ("" for the organization's
	// own), so the name check of a group's creation costs its home's groups,
	// not the organization's.
	groupsIn  map[gh.WorkspaceID]map[gh.GroupID]*gh.Group
	roles     map[gh.RoleID]*gh.Role // custom roles only
	templates map[gh.TemplateID]*gh.Template
	excl      *exclSet // exclusions from every workspace; nil when none
}

// New returns an empty index at revision 0 knowing the catalogue's built-in roles.
func New(cat *gh.Catalogue) *Index {
	x := &Index{base: cat, now: time.Now}
	x.reset()
	return x
}

func (x *Index) reset() {
	x.rev = 0
	x.cat.Store(x.base)
	x.custom = map[gh.Capability]*gh.CustomCapability{}
	x.orgs = map[gh.OrgID]*orgIndex{}
	x.orgBySlug = map[string]gh.OrgID{}
	x.workspaces = map[gh.WorkspaceID]*gh.Workspace{}
	x.users = map[gh.UserID]*userEntry{}
	x.groups = map[gh.GroupID]*gh.Group{}
	x.roles = map[gh.RoleID]*gh.Role{}
	x.assignments = map[gh.AssignmentID]*gh.Assignment{}
	x.templates = map[gh.TemplateID]*gh.Template{}
	x.providers = map[gh.ProviderID]*gh.IdentityProvider{}
	x.domains = map[gh.DomainID]*gh.Domain{}
	x.extDirs = map[gh.ExternalDirectoryID]*gh.ExternalDirectory{}
	x.keys = map[gh.KeyID]*gh.APIKey{}
	x.keyByHash = map[string]*gh.APIKey{}
	x.exclusions = map[gh.ExclusionID]*gh.Exclusion{}
	x.rules = map[gh.GroupID]*rules.Rule{}
	x.ruleGroups = map[homeKey][]gh.GroupID{}
	x.ruleMembers = map[gh.GroupID]map[gh.UserID]struct{}{}
	x.exclIn = map[exclScope]map[gh.ExclusionID]*gh.Exclusion{}
	x.members = map[gh.GroupID]map[gh.Principal]*gh.Membership{}
	x.parents = map[gh.Principal]map[gh.GroupID]struct{}{}
	x.userAssign = map[gh.UserID]map[gh.WorkspaceID]*gh.Assignment{}
	x.groupAssign = map[gh.GroupID]map[gh.WorkspaceID]*gh.Assignment{}
	x.wsAssign = map[gh.WorkspaceID]map[gh.AssignmentID]*gh.Assignment{}
	x.capIdx = map[gh.Capability]int{}
	for i, c := range x.base.Capabilities() {
		x.capIdx[c.ID] = i
	}
	x.gid = map[gh.GroupID]int32{}
	x.roleEnt = map[gh.RoleID]*roleEntry{}
	x.wsEnt = map[gh.WorkspaceID]*wsEntry{}
	for _, r := range x.base.BuiltinRoles() {
		x.roles[r.ID] = r
		x.roleEntry(r.ID).levels = x.levels(r.Grants)
	}
}

// levels turns grants into levels by capability position.
func (x *Index) levels(grants map[gh.Capability]gh.Level) []gh.Level {
	out := make([]gh.Level, len(x.capIdx))
	for c, l := range grants {
		if i, ok := x.capIdx[c]; ok {
			out[i] = l
		}
	}
	return out
}

func (x *Index) roleEntry(id gh.RoleID) *roleEntry {
	e := x.roleEnt[id]
	if e == nil {
		e = &roleEntry{levels: make([]gh.Level, len(x.capIdx))}
		x.roleEnt[id] = e
	}
	return e
}

func (x *Index) wsEntry(id gh.WorkspaceID) *wsEntry {
	e := x.wsEnt[id]
	if e == nil {
		e = &wsEntry{}
		x.wsEnt[id] = e
	}
	return e
}

func (x *Index) groupInt(id gh.GroupID) int32 {
	g, ok := x.gid[id]
	if !ok {
		g = int32(len(x.gid))
		x.gid[id] = g
	}
	return g
}

// Catalogue returns the capability catalogue as of the index's revision: the
// built-in one and the capabilities the operator added. The value returned
// never changes; a later change to the catalogue makes a new one.
func (x *Index) Catalogue() *gh.Catalogue { return x.cat.Load() }

// CustomCapability returns a capability the operator added, or nil.
func (x *Index) CustomCapability(id gh.Capability) *gh.CustomCapability {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.custom[id]
}

// rebuildCatalogue makes the catalogue from the base and the custom
// capabilities, then recomputes every role's levels by capability position.
// Role entries are updated in place, so the workspaces that point at them see
// the change at once. Catalogue changes are rare; this costs a pass over the roles.
func (x *Index) rebuildCatalogue() {
	custom := make([]*gh.CustomCapability, 0, len(x.custom))
	for _, c := range x.custom {
		custom = append(custom, c)
	}
	cat := x.base.With(custom)
	x.cat.Store(cat)
	x.capIdx = map[gh.Capability]int{}
	for i, c := range cat.Capabilities() {
		x.capIdx[c.ID] = i
	}
	for _, r := range cat.BuiltinRoles() {
		x.roles[r.ID] = r
	}
	for id, r := range x.roles {
		x.roleEntry(id).levels = x.levels(r.Grants)
	}
	x.rebuildAllExclusions()
}

// Revision returns the revision of the last applied event.
func (x *Index) Revision() gh.Revision {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.rev
}

// Load replaces the index's content with a snapshot.
func (x *Index) Load(s *gh.Snapshot) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.reset()
	for _, c := range s.Capabilities {
		x.custom[c.ID] = c
	}
	if len(x.custom) > 0 {
		x.rebuildCatalogue()
	}
	for _, o := range s.Orgs {
		x.putOrg(o)
	}
	for _, w := range s.Workspaces {
		x.putWorkspace(w)
	}
	for _, u := range s.Users {
		x.putUser(u)
	}
	for _, g := range s.Groups {
		x.putGroup(g)
	}
	for _, m := range s.Memberships {
		x.putMembership(m)
	}
	for _, r := range s.Roles {
		x.putRole(r)
	}
	for _, a := range s.Assignments {
		x.putAssignment(a)
	}
	for _, t := range s.Templates {
		x.putTemplate(t)
	}
	for _, p := range s.Providers {
		x.providers[p.ID] = p
	}
	for _, d := range s.Domains {
		x.domains[d.ID] = d
	}
	for _, xd := range s.Directories {
		x.extDirs[xd.ID] = xd
	}
	for _, k := range s.Keys {
		x.putKey(k)
	}
	for _, e := range s.Exclusions {
		x.putExclusion(e)
	}
	x.ruleAll()
	for id := range x.users {
		x.refreshAncestors(id)
	}
	x.rev = s.Revision
}

// GapError reports an event that does not follow the index's revision.
type GapError struct{ Have, Got gh.Revision }

func (e *GapError) Error() string {
	return fmt.Sprintf("engine: event %d does not follow revision %d", e.Got, e.Have)
}

// Apply advances the index by events in revision order. Events at or below the
// index's revision are skipped (they were applied already); a gap is an error
// and leaves the index at the last event applied.
func (x *Index) Apply(events ...*gh.Event) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, ev := range events {
		if ev.Revision <= x.rev {
			continue
		}
		if ev.Revision != x.rev+1 {
			return &GapError{Have: x.rev, Got: ev.Revision}
		}
		if err := x.apply(ev); err != nil {
			return fmt.Errorf("engine: apply revision %d: %w", ev.Revision, err)
		}
		x.rev = ev.Revision
		if x.OnApply != nil {
			x.OnApply(ev)
		}
	}
	return nil
}

// ErrIrreversible reports events Revert cannot undo: a key's removal, whose
// hash the log does not carry. The caller reloads the index instead.
var ErrIrreversible = errors.New("engine: these events cannot be reverted in place")

// Revert undoes events, the last ones applied, newest first: each change
// puts its before back and takes its after away, and the revision goes back.
// A refused or only tried batch of writes leaves the index as it found it.
func (x *Index) Revert(events ...*gh.Event) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, ev := range events {
		for _, c := range ev.Changes {
			if c.Kind == gh.KindAPIKey && len(c.After) == 0 {
				return ErrIrreversible
			}
		}
	}
	for i := len(events) - 1; i >= 0; i-- {
		ev := events[i]
		if ev.Revision != x.rev {
			return fmt.Errorf("engine: revert revision %d at revision %d", ev.Revision, x.rev)
		}
		inv := &gh.Event{Revision: ev.Revision, Changes: make([]gh.Change, len(ev.Changes))}
		for j, c := range ev.Changes {
			inv.Changes[len(ev.Changes)-1-j] = gh.Change{Kind: c.Kind, ID: c.ID, Before: c.After, After: c.Before}
		}
		if err := x.apply(inv); err != nil {
			return fmt.Errorf("engine: revert revision %d: %w", ev.Revision, err)
		}
		x.rev = ev.Revision - 1
	}
	return nil
}

func (x *Index) apply(ev *gh.Event) error {
	touched := map[gh.UserID]struct{}{}
	for _, c := range ev.Changes {
		if err := x.applyChange(c, touched); err != nil {
			return err
		}
	}
	for id := range touched {
		x.refreshAncestors(id)
	}
	return nil
}

// decode unmarshals one side of a change into a fresh object.
func decode[T any](raw json.RawMessage) (*T, error) {
	v := new(T)
	if err := json.Unmarshal(raw, v); err != nil {
		return nil, err
	}
	return v, nil
}

func (x *Index) applyChange(c gh.Change, touched map[gh.UserID]struct{}) error {
	del := len(c.After) == 0
	switch c.Kind {
	case gh.KindOrg:
		if del {
			x.deleteOrg(gh.OrgID(c.ID))
			return nil
		}
		return put(c.After, x.putOrg)
	case gh.KindWorkspace:
		if del {
			x.deleteWorkspace(gh.WorkspaceID(c.ID))
			return nil
		}
		return put(c.After, x.putWorkspace)
	case gh.KindUser:
		if del {
			x.deleteUser(gh.UserID(c.ID))
			return nil
		}
		if err := put(c.After, x.putUser); err != nil {
			return err
		}
		x.reRuleUser(gh.UserID(c.ID), touched)
		return nil
	case gh.KindGroup:
		if del {
			x.forgetRuleGroup(gh.GroupID(c.ID), touched)
			x.deleteGroup(gh.GroupID(c.ID))
			return nil
		}
		g, err := decode[gh.Group](c.After)
		if err != nil {
			return err
		}
		if x.putGroup(g) {
			x.reRuleGroup(g, touched)
		}
		return nil
	case gh.KindMembership:
		side := c.After
		if del {
			side = c.Before
		}
		m, err := decode[gh.Membership](side)
		if err != nil {
			return err
		}
		x.usersUnder(m.Member, touched)
		if del {
			x.deleteMembership(m)
		} else {
			x.putMembership(m)
		}
		return nil
	case gh.KindRole:
		if del {
			x.deleteRole(gh.RoleID(c.ID))
			return nil
		}
		return put(c.After, x.putRole)
	case gh.KindAssignment:
		if del {
			x.deleteAssignment(gh.AssignmentID(c.ID))
			return nil
		}
		return put(c.After, x.putAssignment)
	case gh.KindTemplate:
		if del {
			x.deleteTemplate(gh.TemplateID(c.ID))
			return nil
		}
		return put(c.After, x.putTemplate)
	case gh.KindProvider:
		if del {
			delete(x.providers, gh.ProviderID(c.ID))
			return nil
		}
		return put(c.After, func(p *gh.IdentityProvider) { x.providers[p.ID] = p })
	case gh.KindExclusion:
		if del {
			x.deleteExclusion(gh.ExclusionID(c.ID))
			return nil
		}
		return put(c.After, x.putExclusion)
	case gh.KindDomain:
		if del {
			delete(x.domains, gh.DomainID(c.ID))
			return nil
		}
		return put(c.After, func(d *gh.Domain) { x.domains[d.ID] = d })
	case gh.KindExternalDirectory:
		if del {
			delete(x.extDirs, gh.ExternalDirectoryID(c.ID))
			return nil
		}
		return put(c.After, func(xd *gh.ExternalDirectory) { x.extDirs[xd.ID] = xd })
	case gh.KindAPIKey:
		if del {
			x.deleteKey(gh.KeyID(c.ID))
			return nil
		}
		return put(c.Stored(), x.putKey) // the hash is in the stored form only
	case gh.KindCapability:
		if del {
			delete(x.custom, gh.Capability(c.ID))
		} else if err := put(c.After, func(cc *gh.CustomCapability) { x.custom[cc.ID] = cc }); err != nil {
			return err
		}
		x.rebuildCatalogue()
		return nil
	}
	return fmt.Errorf("unknown object kind %q", c.Kind)
}

func put[T any](raw json.RawMessage, fn func(*T)) error {
	v, err := decode[T](raw)
	if err != nil {
		return err
	}
	fn(v)
	return nil
}

func (x *Index) org(id gh.OrgID) *orgIndex { return x.orgs[id] }

func (x *Index) putOrg(o *gh.Org) {
	oi := x.orgs[o.ID]
	if oi == nil {
		oi = &orgIndex{
			workspaces: map[gh.WorkspaceID]*gh.Workspace{}, wsBySlug: map[string]gh.WorkspaceID{},
			users: map[gh.UserID]*gh.User{}, byEmail: map[string][]gh.UserID{}, byHome: map[gh.WorkspaceID]*sortedIDs[gh.UserID]{},
			active: map[gh.WorkspaceID]int{},
			groups: map[gh.GroupID]*gh.Group{}, groupsIn: map[gh.WorkspaceID]map[gh.GroupID]*gh.Group{}, roles: map[gh.RoleID]*gh.Role{},
			templates: map[gh.TemplateID]*gh.Template{},
		}
		x.orgs[o.ID] = oi
	} else {
		delete(x.orgBySlug, oi.org.Slug)
	}
	oi.org = o
	x.orgBySlug[o.Slug] = o.ID
}

func (x *Index) deleteOrg(id gh.OrgID) {
	if oi := x.orgs[id]; oi != nil {
		delete(x.orgBySlug, oi.org.Slug)
		delete(x.orgs, id)
	}
}

func (x *Index) putWorkspace(w *gh.Workspace) {
	oi := x.org(w.Org)
	if oi == nil {
		return
	}
	if old := oi.workspaces[w.ID]; old != nil {
		delete(oi.wsBySlug, old.Slug)
	}
	oi.workspaces[w.ID] = w
	oi.wsOrder.insert(w.ID)
	oi.wsBySlug[w.Slug] = w.ID
	x.workspaces[w.ID] = w
	e := x.wsEntry(w.ID)
	e.ws, e.oi = w, oi
}

func (x *Index) deleteWorkspace(id gh.WorkspaceID) {
	w := x.workspaces[id]
	if w == nil {
		return
	}
	if oi := x.org(w.Org); oi != nil {
		delete(oi.workspaces, id)
		oi.wsOrder.remove(id)
		delete(oi.wsBySlug, w.Slug)
	}
	delete(x.workspaces, id)
	delete(x.wsAssign, id)
	delete(x.wsEnt, id)
}

func (x *Index) putUser(u *gh.User) {
	oi := x.org(u.Org)
	if oi == nil {
		return
	}
	if old := oi.users[u.ID]; old != nil {
		oi.forgetEmail(old)
		oi.byHome[old.Workspace].remove(u.ID)
		oi.countActive(old, -1)
	}
	oi.countActive(u, 1)
	home := oi.byHome[u.Workspace]
	if home == nil {
		home = &sortedIDs[gh.UserID]{}
		oi.byHome[u.Workspace] = home
	}
	home.insert(u.ID)
	oi.users[u.ID] = u
	e := gh.NormalizeEmail(u.Email)
	oi.byEmail[e] = append(oi.byEmail[e], u.ID)
	if ue := x.users[u.ID]; ue != nil {
		ue.u, ue.email = u, e
	} else {
		x.users[u.ID] = &userEntry{u: u, email: e}
	}
}

// countActive adds n to the active users of u's home when u is active.
func (oi *orgIndex) countActive(u *gh.User, n int) {
	if u.Status == gh.StatusActive {
		oi.active[u.Workspace] += n
	}
}

// forgetEmail removes u from the users of its email.
func (oi *orgIndex) forgetEmail(u *gh.User) {
	e := gh.NormalizeEmail(u.Email)
	ids := slices.DeleteFunc(oi.byEmail[e], func(id gh.UserID) bool { return id == u.ID })
	if len(ids) == 0 {
		delete(oi.byEmail, e)
	} else {
		oi.byEmail[e] = ids
	}
}

func (x *Index) deleteUser(id gh.UserID) {
	e := x.users[id]
	if e == nil {
		return
	}
	if oi := x.org(e.u.Org); oi != nil {
		delete(oi.users, id)
		oi.forgetEmail(e.u)
		oi.countActive(e.u, -1)
		if home := oi.byHome[e.u.Workspace]; home != nil {
			home.remove(id)
		}
	}
	for _, g := range e.ruled {
		delete(x.ruleMembers[g], id)
	}
	delete(x.users, id)
	delete(x.userAssign, id)
	delete(x.parents, gh.UserPrincipal(id))
}

// putGroup keeps g and reports whether its membership rule changed.
func (x *Index) putGroup(g *gh.Group) bool {
	oi := x.org(g.Org)
	if oi != nil {
		if old := oi.groups[g.ID]; old != nil {
			oi.forgetGroup(old)
		}
		oi.groups[g.ID] = g
		in := oi.groupsIn[g.Workspace]
		if in == nil {
			in = map[gh.GroupID]*gh.Group{}
			oi.groupsIn[g.Workspace] = in
		}
		in[g.ID] = g
		x.groups[g.ID] = g
		x.groupInt(g.ID)
		return x.putRule(g)
	}
	return false
}

func (x *Index) deleteGroup(id gh.GroupID) {
	g := x.groups[id]
	if g == nil {
		return
	}
	if oi := x.org(g.Org); oi != nil {
		oi.forgetGroup(g)
	}
	delete(x.groups, id)
	delete(x.members, id)
	delete(x.groupAssign, id)
	delete(x.parents, gh.GroupPrincipal(id))
}

func (oi *orgIndex) forgetGroup(g *gh.Group) {
	delete(oi.groups, g.ID)
	if in := oi.groupsIn[g.Workspace]; in != nil {
		delete(in, g.ID)
		if len(in) == 0 {
			delete(oi.groupsIn, g.Workspace)
		}
	}
}

func (x *Index) putMembership(m *gh.Membership) {
	ms := x.members[m.Group]
	if ms == nil {
		ms = map[gh.Principal]*gh.Membership{}
		x.members[m.Group] = ms
	}
	ms[m.Member] = m
	ps := x.parents[m.Member]
	if ps == nil {
		ps = map[gh.GroupID]struct{}{}
		x.parents[m.Member] = ps
	}
	ps[m.Group] = struct{}{}
}

func (x *Index) deleteMembership(m *gh.Membership) {
	delete(x.members[m.Group], m.Member)
	if ps := x.parents[m.Member]; ps != nil {
		delete(ps, m.Group)
		if len(ps) == 0 {
			delete(x.parents, m.Member)
		}
	}
}

func (x *Index) putRole(r *gh.Role) {
	if oi := x.org(r.Org); oi != nil {
		oi.roles[r.ID] = r
		x.roles[r.ID] = r
		x.roleEntry(r.ID).levels = x.levels(r.Grants)
	}
}

func (x *Index) deleteRole(id gh.RoleID) {
	r := x.roles[id]
	if r == nil || r.Builtin {
		return
	}
	if oi := x.org(r.Org); oi != nil {
		delete(oi.roles, id)
	}
	delete(x.roles, id)
}

func (x *Index) putAssignment(a *gh.Assignment) {
	if old := x.assignments[a.ID]; old != nil {
		x.unindexAssignment(old)
	}
	x.assignments[a.ID] = a
	switch a.Principal.Type {
	case gh.PrincipalUser:
		addTo(x.userAssign, gh.UserID(a.Principal.ID), a)
	case gh.PrincipalGroup:
		addTo(x.groupAssign, gh.GroupID(a.Principal.ID), a)
	}
	wa := x.wsAssign[a.Workspace]
	if wa == nil {
		wa = map[gh.AssignmentID]*gh.Assignment{}
		x.wsAssign[a.Workspace] = wa
	}
	wa[a.ID] = a
	e, role := x.wsEntry(a.Workspace), x.roleEntry(a.Role)
	switch a.Principal.Type {
	case gh.PrincipalUser:
		if e.users == nil {
			e.users = map[gh.UserID]*roleEntry{}
		}
		e.users[gh.UserID(a.Principal.ID)] = role
	case gh.PrincipalGroup:
		g := x.groupInt(gh.GroupID(a.Principal.ID))
		i := sort.Search(len(e.groups), func(i int) bool { return e.groups[i].g >= g })
		e.groups = slices.Insert(e.groups, i, wsGrant{g: g, role: role})
	}
}

func addTo[K comparable](m map[K]map[gh.WorkspaceID]*gh.Assignment, k K, a *gh.Assignment) {
	inner := m[k]
	if inner == nil {
		inner = map[gh.WorkspaceID]*gh.Assignment{}
		m[k] = inner
	}
	inner[a.Workspace] = a
}

func (x *Index) unindexAssignment(a *gh.Assignment) {
	switch a.Principal.Type {
	case gh.PrincipalUser:
		delete(x.userAssign[gh.UserID(a.Principal.ID)], a.Workspace)
	case gh.PrincipalGroup:
		delete(x.groupAssign[gh.GroupID(a.Principal.ID)], a.Workspace)
	}
	delete(x.wsAssign[a.Workspace], a.ID)
	e := x.wsEnt[a.Workspace]
	if e == nil {
		return
	}
	switch a.Principal.Type {
	case gh.PrincipalUser:
		delete(e.users, gh.UserID(a.Principal.ID))
	case gh.PrincipalGroup:
		g := x.gid[gh.GroupID(a.Principal.ID)]
		e.groups = slices.DeleteFunc(e.groups, func(w wsGrant) bool { return w.g == g })
	}
}

func (x *Index) deleteAssignment(id gh.AssignmentID) {
	if a := x.assignments[id]; a != nil {
		x.unindexAssignment(a)
		delete(x.assignments, id)
	}
}

func (x *Index) putTemplate(t *gh.Template) {
	if oi := x.org(t.Org); oi != nil {
		oi.templates[t.ID] = t
		x.templates[t.ID] = t
	}
}

func (x *Index) deleteTemplate(id gh.TemplateID) {
	if t := x.templates[id]; t != nil {
		if oi := x.org(t.Org); oi != nil {
			delete(oi.templates, id)
		}
		delete(x.templates, id)
	}
}

func (x *Index) putKey(k *gh.APIKey) {
	if old := x.keys[k.ID]; old != nil {
		delete(x.keyByHash, old.Hash)
	}
	x.keys[k.ID] = k
	x.keyByHash[k.Hash] = k
}

func (x *Index) deleteKey(id gh.KeyID) {
	if k := x.keys[id]; k != nil {
		delete(x.keyByHash, k.Hash)
		delete(x.keys, id)
	}
}

// usersUnder adds every user at or below p (through nesting) to out.
func (x *Index) usersUnder(p gh.Principal, out map[gh.UserID]struct{}) {
	seen := map[gh.GroupID]bool{}
	var walk func(p gh.Principal)
	walk = func(p gh.Principal) {
		if p.Type == gh.PrincipalUser {
			out[gh.UserID(p.ID)] = struct{}{}
			return
		}
		g := gh.GroupID(p.ID)
		if seen[g] {
			return
		}
		seen[g] = true
		for m := range x.members[g] {
			walk(m)
		}
		for u := range x.ruleMembers[g] {
			out[u] = struct{}{}
		}
	}
	walk(p)
}

// refreshAncestors recomputes the groups containing a user through any nesting.
func (x *Index) refreshAncestors(id gh.UserID) {
	if e := x.users[id]; e != nil {
		x.ancestorsOf(e)
	}
}

// ancestorsOf sets e's ancestors: breadth-first upwards from the user,
// whose own parents are the groups listing it and its rule groups.
func (x *Index) ancestorsOf(e *userEntry) {
	var out []gh.GroupID
	seen := map[gh.GroupID]bool{}
	visit := func(g gh.GroupID) {
		if !seen[g] {
			seen[g] = true
			out = append(out, g)
		}
	}
	for g := range x.parents[gh.UserPrincipal(e.u.ID)] {
		visit(g)
	}
	for _, g := range e.ruled {
		visit(g)
	}
	for i := 0; i < len(out); i++ {
		for g := range x.parents[gh.GroupPrincipal(out[i])] {
			visit(g)
		}
	}
	e.anc = out
	e.ancIdx = make([]int32, len(out))
	for i, g := range out {
		e.ancIdx[i] = x.groupInt(g)
	}
	slices.Sort(e.ancIdx)
}

// foldName is how names are compared for uniqueness.
func foldName(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// sortedIDs is a set of ids kept in order. Ids are time-ordered, so new ones
// land at the end and inserting costs a binary search.
type sortedIDs[K ~string] struct{ ids []K }

func (s *sortedIDs[K]) insert(id K) {
	if i, found := slices.BinarySearch(s.ids, id); !found {
		s.ids = slices.Insert(s.ids, i, id)
	}
}

func (s *sortedIDs[K]) remove(id K) {
	if s == nil {
		return
	}
	if i, found := slices.BinarySearch(s.ids, id); found {
		s.ids = slices.Delete(s.ids, i, i+1)
	}
}
