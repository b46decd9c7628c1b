package engine

import (
	"fmt"
	"strings"

	gh "gatehouse.dev/gatehouse"
)

// exclScope is where exclusions hold: one workspace, or the whole
// organization (ws empty).
type exclScope struct {
	org gh.OrgID
	ws  gh.WorkspaceID
}

// exclSet is what Check needs of the exclusions of one scope, by what they
// name. A scope without exclusions has no set at all, so the check path pays
// one nil comparison for them.
type exclSet struct {
	users  map[gh.UserID][]exclEntry
	groups map[int32][]exclEntry
	emails map[string][]exclEntry
}

// exclEntry is an exclusion with its capabilities as positions.
type exclEntry struct {
	e    *gh.Exclusion
	mask []bool // by capability position; nil when it takes every capability
}

func (en exclEntry) covers(ci int) bool {
	// A capability added to the catalogue after the exclusion was set has a
	// position past the mask: only an exclusion of everything covers it.
	return en.mask == nil || ci < len(en.mask) && en.mask[ci]
}

// putExclusion and deleteExclusion keep the exclusions and their scope's set.
func (x *Index) putExclusion(e *gh.Exclusion) {
	if old := x.exclusions[e.ID]; old != nil {
		x.deleteExclusion(e.ID)
	}
	sc := exclScope{e.Org, e.Workspace}
	if x.exclIn[sc] == nil {
		x.exclIn[sc] = map[gh.ExclusionID]*gh.Exclusion{}
	}
	x.exclIn[sc][e.ID] = e
	x.exclusions[e.ID] = e
	x.rebuildExclusions(sc)
}

func (x *Index) deleteExclusion(id gh.ExclusionID) {
	e := x.exclusions[id]
	if e == nil {
		return
	}
	sc := exclScope{e.Org, e.Workspace}
	delete(x.exclIn[sc], id)
	delete(x.exclusions, id)
	x.rebuildExclusions(sc)
}

// rebuildExclusions remakes one scope's set and hangs it where Check looks.
func (x *Index) rebuildExclusions(sc exclScope) {
	var set *exclSet
	if list := x.exclIn[sc]; len(list) > 0 {
		set = &exclSet{users: map[gh.UserID][]exclEntry{}, groups: map[int32][]exclEntry{}, emails: map[string][]exclEntry{}}
		for _, e := range list {
			en := exclEntry{e: e, mask: x.capMask(e.Capabilities)}
			switch {
			case e.Email != "":
				k := gh.NormalizeEmail(e.Email)
				set.emails[k] = append(set.emails[k], en)
			case e.Principal.Type == gh.PrincipalUser:
				k := gh.UserID(e.Principal.ID)
				set.users[k] = append(set.users[k], en)
			default:
				k := x.groupInt(gh.GroupID(e.Principal.ID))
				set.groups[k] = append(set.groups[k], en)
			}
		}
	} else {
		delete(x.exclIn, sc)
	}
	if sc.ws == "" {
		if oi := x.org(sc.org); oi != nil {
			oi.excl = set
		}
		return
	}
	x.wsEntry(sc.ws).excl = set
}

// rebuildAllExclusions remakes every set, when capability positions change.
func (x *Index) rebuildAllExclusions() {
	for sc := range x.exclIn {
		x.rebuildExclusions(sc)
	}
}

func (x *Index) capMask(caps []gh.Capability) []bool {
	if len(caps) == 0 {
		return nil
	}
	mask := make([]bool, len(x.capIdx))
	for _, c := range caps {
		if i, ok := x.capIdx[c]; ok {
			mask[i] = true
		}
	}
	return mask
}

// match returns the first exclusion of s (oldest first, for a stable
// answer) that takes capability position ci away from the user, and through
// which group it reaches the user ("" when by name or email).
func (s *exclSet) match(ue *userEntry, ci int) (*gh.Exclusion, int32) {
	if s == nil {
		return nil, -1
	}
	var best *gh.Exclusion
	via := int32(-1)
	consider := func(list []exclEntry, g int32) {
		for _, en := range list {
			if en.covers(ci) && (best == nil || en.e.ID < best.ID) {
				best, via = en.e, g
			}
		}
	}
	consider(s.users[ue.u.ID], -1)
	if len(s.emails) > 0 {
		consider(s.emails[ue.email], -1)
	}
	if len(s.groups) > 0 {
		for _, g := range ue.ancIdx {
			consider(s.groups[g], g)
		}
	}
	return best, via
}

// excludedFrom returns the exclusion that takes capability position ci away
// from the user in the workspace: the workspace's own first, then the
// organization's. The entries must be usable.
func excludedFrom(ue *userEntry, we *wsEntry, ci int) (*gh.Exclusion, int32) {
	if we.excl == nil && we.oi.excl == nil {
		return nil, -1
	}
	if e, g := we.excl.match(ue, ci); e != nil {
		return e, g
	}
	return we.oi.excl.match(ue, ci)
}

// Exclusion returns an exclusion by id, or nil.
func (x *Index) Exclusion(id gh.ExclusionID) *gh.Exclusion {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.exclusions[id]
}

// Exclusions lists, by id, the organization's exclusions keep accepts.
func (x *Index) Exclusions(org gh.OrgID, keep func(*gh.Exclusion) bool) []*gh.Exclusion {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return sortedValues(x.exclusions, func(e *gh.Exclusion) bool { return e.Org == org && keep(e) })
}

// ExclusionsOf lists the exclusions naming principal p.
func (x *Index) ExclusionsOf(org gh.OrgID, p gh.Principal) []*gh.Exclusion {
	return x.Exclusions(org, func(e *gh.Exclusion) bool { return e.Principal != nil && *e.Principal == p })
}

// explainExclusion adds the exclusion step when one takes c away from the
// user in w, with the fix naming who may lift it; it reports whether one did.
// The caller holds the read lock.
func (x *Index) explainExclusion(e *Explanation, ue *userEntry, w gh.WorkspaceID, c gh.Capability) bool {
	we, ci, ok := x.wsEnt[w], 0, false
	if ci, ok = x.capIdx[c]; !ok || we == nil || we.oi == nil {
		return false
	}
	ex, via := excludedFrom(ue, we, ci)
	if ex == nil {
		return false
	}
	who := ue.u.Email
	switch {
	case via >= 0:
		who += fmt.Sprintf(" as a member of group %q", x.ancestorName(ue, via))
	case ex.Email != "":
		who += " by its email address"
	}
	where := "every workspace of the organization"
	if ex.Workspace != "" {
		where = fmt.Sprintf("workspace %q", we.ws.Name)
	}
	what := "every capability"
	if len(ex.Capabilities) > 0 {
		what = string(c)
	}
	detail := fmt.Sprintf("exclusion %s, set by the %s, takes %s away from %s in %s", ex.ID, ex.SetBy, what, who, where)
	if ex.Reason != "" {
		detail += " (" + strings.TrimSpace(ex.Reason) + ")"
	}
	e.Steps = append(e.Steps, Step{Step: "exclusion", OK: false, Detail: detail})
	e.Allowed, e.Level = false, gh.LevelNone
	if ex.SetBy == gh.SetByWorkspace {
		e.Fix = fmt.Sprintf("only a manager of workspace %q (a holder of %s there) may lift exclusion %s", we.ws.Name, gh.CapRolesAssign, ex.ID)
	} else {
		e.Fix = fmt.Sprintf("an Organization Admin may lift exclusion %s", ex.ID)
	}
	return true
}

// ancestorName names the group of the user's ancestors with integer g.
func (x *Index) ancestorName(ue *userEntry, g int32) string {
	for _, id := range ue.anc {
		if x.gid[id] == g {
			return x.groups[id].Name
		}
	}
	return ""
}
