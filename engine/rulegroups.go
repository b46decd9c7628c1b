package engine

import (
	"slices"
	"time"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/rules"
)

// Groups with a membership rule hold, besides their listed members, every
// user of their home the rule matches. Each user entry keeps the rule groups
// matching it (ruled), which count as groups directly containing it; each
// rule group keeps its matched users (ruleMembers) for the walk downwards.
// A rule reading certified() can change its answer with time alone: the
// entry keeps the instant its answers hold until (ruleUntil), and a check
// past it works from a fresh evaluation until the entry is refreshed.

// SetClock makes the index tell time with now (tests move it).
func (x *Index) SetClock(now func() time.Time) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.now = now
}

// putRule keeps g's compiled rule and its home's list of rule groups, and
// reports whether the rule changed.
func (x *Index) putRule(g *gh.Group) bool {
	old := x.rules[g.ID]
	if (old == nil && g.Rule == "") || (old != nil && old.Source == g.Rule) {
		return false
	}
	x.dropRule(g.ID)
	if g.Rule == "" {
		return true
	}
	r, err := rules.Compile(g.Rule)
	if err != nil {
		return true // stored data the directory refused to write: it matches nobody
	}
	x.rules[g.ID] = r
	k := homeKey{g.Org, g.Workspace}
	x.ruleGroups[k] = append(x.ruleGroups[k], g.ID)
	return true
}

func (x *Index) dropRule(id gh.GroupID) {
	if _, ok := x.rules[id]; !ok {
		return
	}
	delete(x.rules, id)
	for k, ids := range x.ruleGroups {
		if i := slices.Index(ids, id); i >= 0 {
			x.ruleGroups[k] = slices.Delete(ids, i, i+1)
		}
	}
}

// homeKey names one home of one organization.
type homeKey struct {
	org gh.OrgID
	ws  gh.WorkspaceID
}

// matchRules evaluates the rule groups of ue's home on it at now.
func (x *Index) matchRules(u *gh.User, now time.Time) (ruled []gh.GroupID, until time.Time) {
	ids := x.ruleGroups[homeKey{u.Org, u.Workspace}]
	if len(ids) == 0 {
		return nil, time.Time{}
	}
	for _, id := range ids {
		if x.rules[id].Match(u, now) {
			ruled = append(ruled, id)
		}
	}
	slices.Sort(ruled)
	return ruled, rules.Until(u, now)
}

// setRuled gives ue its rule groups, keeping ruleMembers in step, and
// reports whether they changed.
func (x *Index) setRuled(ue *userEntry, ruled []gh.GroupID, until time.Time) bool {
	ue.ruleUntil = until
	if slices.Equal(ue.ruled, ruled) {
		return false
	}
	for _, g := range ue.ruled {
		delete(x.ruleMembers[g], ue.u.ID)
	}
	for _, g := range ruled {
		if x.ruleMembers[g] == nil {
			x.ruleMembers[g] = map[gh.UserID]struct{}{}
		}
		x.ruleMembers[g][ue.u.ID] = struct{}{}
	}
	ue.ruled = ruled
	return true
}

// reRuleUser evaluates the user's rule groups again after it changed.
func (x *Index) reRuleUser(id gh.UserID, touched map[gh.UserID]struct{}) {
	ue := x.users[id]
	if ue == nil {
		return
	}
	ruled, until := x.matchRules(ue.u, x.now())
	if x.setRuled(ue, ruled, until) {
		touched[id] = struct{}{}
	}
}

// reRuleGroup evaluates one group's rule on every user of its home, once
// per distinct set of attributes the rule can read.
func (x *Index) reRuleGroup(g *gh.Group, touched map[gh.UserID]struct{}) {
	r, now := x.rules[g.ID], x.now()
	oi := x.org(g.Org)
	if oi == nil {
		return
	}
	var home []gh.UserID
	if ids := oi.byHome[g.Workspace]; ids != nil {
		home = ids.ids
	}
	memo := map[string]bool{}
	for _, id := range home {
		ue := x.users[id]
		if !ue.ruleUntil.IsZero() && !now.Before(ue.ruleUntil) {
			// Its other rule groups are stale too (a certification expired
			// since they were read): patching in this group alone would
			// store them as fresh, and keep the expired ones.
			x.reRuleUser(id, touched)
			continue
		}
		in := false
		if r != nil {
			var ok bool
			key := rules.Key(ue.u)
			if in, ok = memo[key]; !ok {
				in = r.Match(ue.u, now)
				memo[key] = in
			}
		}
		had := slices.Contains(ue.ruled, g.ID)
		if in == had {
			continue
		}
		next := slices.Clone(ue.ruled)
		if in {
			next = append(next, g.ID)
			slices.Sort(next)
		} else {
			next = slices.DeleteFunc(next, func(x gh.GroupID) bool { return x == g.ID })
		}
		x.setRuled(ue, next, rules.Until(ue.u, now))
		touched[id] = struct{}{}
	}
}

// forgetRuleGroup takes a deleted group out of its matched users.
func (x *Index) forgetRuleGroup(id gh.GroupID, touched map[gh.UserID]struct{}) {
	for u := range x.ruleMembers[id] {
		if ue := x.users[u]; ue != nil {
			ue.ruled = slices.DeleteFunc(slices.Clone(ue.ruled), func(g gh.GroupID) bool { return g == id })
			touched[u] = struct{}{}
		}
	}
	delete(x.ruleMembers, id)
	x.dropRule(id)
}

// ruleAll evaluates every rule group on every user of its home, once per
// distinct set of attributes per group (the snapshot load).
func (x *Index) ruleAll() {
	if len(x.rules) == 0 {
		return
	}
	now := x.now()
	for k, ids := range x.ruleGroups {
		oi := x.org(k.org)
		if oi == nil || oi.byHome[k.ws] == nil {
			continue
		}
		byKey := map[string][]*userEntry{}
		for _, id := range oi.byHome[k.ws].ids {
			ue := x.users[id]
			key := rules.Key(ue.u)
			byKey[key] = append(byKey[key], ue)
		}
		for _, users := range byKey {
			var ruled []gh.GroupID
			for _, g := range ids {
				if x.rules[g].Match(users[0].u, now) {
					ruled = append(ruled, g)
				}
			}
			slices.Sort(ruled)
			for _, ue := range users {
				x.setRuled(ue, slices.Clone(ruled), rules.Until(ue.u, now))
			}
		}
	}
}

// current returns ue as it stands now: itself, or, when time has moved past
// what its rule groups were evaluated for, a fresh copy with its rule
// groups and ancestors computed again (not stored: readers hold only the
// read lock). Sweep stores them.
func (x *Index) current(ue *userEntry) *userEntry {
	if ue == nil || ue.ruleUntil.IsZero() || x.now().Before(ue.ruleUntil) {
		return ue
	}
	fresh := &userEntry{u: ue.u, email: ue.email}
	fresh.ruled, fresh.ruleUntil = x.matchRules(ue.u, x.now())
	x.ancestorsOf(fresh)
	return fresh
}

// Sweep stores the fresh rule groups of every user whose certifications
// expired since they were last evaluated; checks are right without it, and
// faster with it.
func (x *Index) Sweep() int {
	x.mu.Lock()
	defer x.mu.Unlock()
	now, n := x.now(), 0
	touched := map[gh.UserID]struct{}{}
	for id, ue := range x.users {
		if !ue.ruleUntil.IsZero() && !now.Before(ue.ruleUntil) {
			x.reRuleUser(id, touched)
			n++
		}
	}
	for id := range touched {
		x.refreshAncestors(id)
	}
	return n
}

// RuleMembers lists the users a group's rule matches now.
func (x *Index) RuleMembers(g gh.GroupID) []gh.UserID {
	x.mu.RLock()
	defer x.mu.RUnlock()
	out := make([]gh.UserID, 0, len(x.ruleMembers[g]))
	for u := range x.ruleMembers[g] {
		if slices.Contains(x.current(x.users[u]).ruled, g) {
			out = append(out, u)
		}
	}
	slices.Sort(out)
	return out
}

// RuleGroupsFor lists the rule groups of u's home that u would be in, as u
// stands (a user being created or changed): the directory checks the
// groups a change would put someone into.
func (x *Index) RuleGroupsFor(u *gh.User) []gh.GroupID {
	x.mu.RLock()
	defer x.mu.RUnlock()
	ruled, _ := x.matchRules(u, x.now())
	return ruled
}
