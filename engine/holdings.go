package engine

import (
	gh "gatehouse.dev/gatehouse"
)

// Holdings is everything one user holds: each capability's level in every
// workspace where it holds some, and the organization capabilities of its
// organization role.
type Holdings struct {
	Workspaces map[gh.WorkspaceID]map[gh.Capability]gh.Level
	Org        map[gh.Capability]gh.Level
}

// Holdings returns what u holds now, as check answers it: only the
// workspaces where u is usable (active, right home, active organization) and
// reached by an assignment of its own or of a group containing it. Its cost
// is the user's own assignments, not the organization's size. An unknown user
// holds nothing.
func (x *Index) Holdings(u gh.UserID) Holdings {
	x.mu.RLock()
	defer x.mu.RUnlock()
	h := Holdings{Workspaces: map[gh.WorkspaceID]map[gh.Capability]gh.Level{}, Org: map[gh.Capability]gh.Level{}}
	ue := x.entry(u)
	if ue == nil {
		return h
	}
	merge := func(w gh.WorkspaceID, a *gh.Assignment) {
		r := x.roles[a.Role]
		if r == nil || !x.usable(u, w) {
			return
		}
		caps := h.Workspaces[w]
		if caps == nil {
			caps = map[gh.Capability]gh.Level{}
			h.Workspaces[w] = caps
		}
		for c, l := range r.Grants {
			if l > caps[c] {
				caps[c] = l
			}
		}
	}
	for w, a := range x.userAssign[u] {
		merge(w, a)
	}
	for _, g := range ue.anc {
		for w, a := range x.groupAssign[g] {
			merge(w, a)
		}
	}
	user, oi := ue.u, x.orgs[ue.u.Org]
	if user.IsOrg() && user.Status == gh.StatusActive && oi != nil && oi.org.Active() {
		for c, l := range x.cat.Load().OrgRoleGrants(user.OrgRole) {
			if l > gh.LevelNone {
				h.Org[c] = l
			}
		}
	}
	return h
}

// UsersUnder returns every user at or below p through any nesting: p itself
// for a user, a group's members at any depth.
func (x *Index) UsersUnder(p gh.Principal) []gh.UserID {
	x.mu.RLock()
	defer x.mu.RUnlock()
	set := map[gh.UserID]struct{}{}
	x.usersUnder(p, set)
	return userIDs(set)
}

// UsersReaching returns every user some assignment in workspace w reaches,
// usable there or not.
func (x *Index) UsersReaching(w gh.WorkspaceID) []gh.UserID {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return userIDs(x.reached(w))
}

func userIDs(set map[gh.UserID]struct{}) []gh.UserID {
	out := make([]gh.UserID, 0, len(set))
	for u := range set {
		out = append(out, u)
	}
	return out
}
