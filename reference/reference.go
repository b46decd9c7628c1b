// Package reference answers "what may user U do in workspace W" by reading
// DESIGN §2 literally over a snapshot: no indexes, no caches, a walk of the
// groups for every question. It is slow on purpose and serves as the
// independent answer the engine and the load tool are checked against.
package reference

import (
	"time"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/rules"
)

// Directory is a snapshot arranged for literal reading.
type Directory struct {
	orgs    map[gh.OrgID]*gh.Org
	ws      map[gh.WorkspaceID]*gh.Workspace
	users   map[gh.UserID]*gh.User
	roles   map[gh.RoleID]*gh.Role
	members map[gh.GroupID][]gh.Principal
	assign  map[gh.WorkspaceID][]*gh.Assignment
	exclude []*gh.Exclusion
	groups  map[gh.GroupID]*gh.Group
	// Now is the time rules are read at (certified() depends on it).
	Now time.Time
}

// New arranges a snapshot; the catalogue, with the snapshot's custom
// capabilities, gives the built-in roles.
func New(s *gh.Snapshot, cat *gh.Catalogue) *Directory {
	d := &Directory{orgs: map[gh.OrgID]*gh.Org{}, ws: map[gh.WorkspaceID]*gh.Workspace{}, users: map[gh.UserID]*gh.User{},
		roles: map[gh.RoleID]*gh.Role{}, members: map[gh.GroupID][]gh.Principal{}, assign: map[gh.WorkspaceID][]*gh.Assignment{}}
	for _, o := range s.Orgs {
		d.orgs[o.ID] = o
	}
	for _, w := range s.Workspaces {
		d.ws[w.ID] = w
	}
	for _, u := range s.Users {
		d.users[u.ID] = u
	}
	for _, r := range cat.With(s.Capabilities).BuiltinRoles() {
		d.roles[r.ID] = r
	}
	for _, r := range s.Roles {
		d.roles[r.ID] = r
	}
	for _, m := range s.Memberships {
		d.members[m.Group] = append(d.members[m.Group], m.Member)
	}
	for _, a := range s.Assignments {
		d.assign[a.Workspace] = append(d.assign[a.Workspace], a)
	}
	d.exclude = s.Exclusions
	d.groups = map[gh.GroupID]*gh.Group{}
	for _, g := range s.Groups {
		d.groups[g.ID] = g
	}
	d.Now = time.Now()
	return d
}

// Level is the level user u holds of capability c in workspace w: "if U, W
// and the organization are active, take every assignment in W whose principal
// is U or a group that contains U (through any nesting); the highest level wins."
func (d *Directory) Level(u gh.UserID, w gh.WorkspaceID, c gh.Capability) gh.Level {
	user, ws := d.users[u], d.ws[w]
	if user == nil || ws == nil || user.Org != ws.Org || user.Status != gh.StatusActive || ws.Status != gh.StatusActive {
		return gh.LevelNone
	}
	if o := d.orgs[user.Org]; o == nil || o.Status != gh.StatusActive {
		return gh.LevelNone
	}
	if user.Workspace != "" && user.Workspace != w {
		return gh.LevelNone // workspace users never reach past their workspace
	}
	if d.Excluded(u, w, c) {
		return gh.LevelNone // "an exclusion wins over every grant"
	}
	best := gh.LevelNone
	for _, a := range d.assign[w] {
		if d.contains(a.Principal, u, map[gh.GroupID]bool{}) {
			best = max(best, d.roles[a.Role].Grants[c])
		}
	}
	return best
}

// Excluded reports whether an exclusion of u's organization, held in w or in
// every workspace, names u, a group containing u, or u's email, and takes c
// (or everything) away.
func (d *Directory) Excluded(u gh.UserID, w gh.WorkspaceID, c gh.Capability) bool {
	user := d.users[u]
	for _, e := range d.exclude {
		if e.Org != user.Org || (e.Workspace != "" && e.Workspace != w) || !e.Covers(c) {
			continue
		}
		switch {
		case e.Email != "":
			if gh.NormalizeEmail(e.Email) == gh.NormalizeEmail(user.Email) {
				return true
			}
		case d.contains(*e.Principal, u, map[gh.GroupID]bool{}):
			return true
		}
	}
	return false
}

// contains reports whether principal p is user u or a group holding u at any depth.
func (d *Directory) contains(p gh.Principal, u gh.UserID, seen map[gh.GroupID]bool) bool {
	if p.Type == gh.PrincipalUser {
		return p.ID == string(u)
	}
	g := gh.GroupID(p.ID)
	if seen[g] {
		return false
	}
	seen[g] = true
	if d.ruleHolds(d.groups[g], u) {
		return true
	}
	for _, m := range d.members[g] {
		if d.contains(m, u, seen) {
			return true
		}
	}
	return false
}

// Nested reports whether u reaches w only through a group inside another group.
func (d *Directory) Nested(u gh.UserID, w gh.WorkspaceID) bool {
	for _, a := range d.assign[w] {
		if a.Principal.Type != gh.PrincipalGroup {
			continue
		}
		for _, m := range d.members[gh.GroupID(a.Principal.ID)] {
			if m.Type == gh.PrincipalGroup && d.contains(m, u, map[gh.GroupID]bool{}) {
				return true
			}
		}
	}
	return false
}

// ruleHolds reports whether g has a membership rule that user u, living in
// g's home, satisfies now: "a group's rule makes every user of its home
// that satisfies it a member".
func (d *Directory) ruleHolds(g *gh.Group, u gh.UserID) bool {
	user := d.users[u]
	if g == nil || g.Rule == "" || user == nil || user.Home != g.Home {
		return false
	}
	r, err := rules.Compile(g.Rule)
	return err == nil && r.Match(user, d.Now)
}
