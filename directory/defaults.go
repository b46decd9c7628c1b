package directory

import (
	"slices"

	gh "gatehouse.dev/gatehouse"
)

// The defaults a new user receives (DESIGN §1 "Defaults"): its workspace's
// default role, or its organization's default groups. They are applied here
// only, by every path that creates a user.

const (
	detailWorkspaceDefault = "default of the workspace"
	detailOrgDefault       = "default of the organization"
)

// applyDefaults gives u, created by event from in the same write, its home's
// defaults, each as an event of its own that says it came from the default.
// A workspace user given a role by the same call (role set) keeps that role
// only; a service account gets no defaults: its access is given on purpose.
func (d *Directory) applyDefaults(w *writer, from *gh.Event, u *gh.User, role *gh.Role) {
	if u.IsService() && role == nil {
		return
	}
	if u.Workspace != "" {
		ws := d.idx.Workspace(u.Workspace)
		detail := ""
		if role == nil {
			if ws == nil || ws.DefaultRole == "" || d.idx.Role(ws.DefaultRole) == nil {
				return
			}
			role, detail = d.idx.Role(ws.DefaultRole), detailWorkspaceDefault
		}
		as := &gh.Assignment{ID: gh.AssignmentID(gh.NewID("asg")), Org: u.Org, Workspace: u.Workspace,
			Principal: gh.UserPrincipal(u.ID), Role: role.ID}
		ev := w.event(u.Org, u.Workspace, "assignment.create", gh.KindAssignment, string(as.ID))
		ev.Source, ev.Detail = from.Source, detail
		as.Touch(w.rev(), w.now)
		change(ev, gh.KindAssignment, string(as.ID), nil, as)
		return
	}
	o := d.idx.Org(u.Org)
	if o == nil {
		return
	}
	for _, id := range o.DefaultGroups {
		g := d.idx.Group(id)
		if g == nil || !g.IsOrg() || g.Org != u.Org {
			continue
		}
		m := &gh.Membership{Org: u.Org, Group: id, Member: gh.UserPrincipal(u.ID)}
		ev := w.event(u.Org, "", "group.member.add", gh.KindGroup, string(id))
		ev.Source, ev.Detail = from.Source, detailOrgDefault
		m.Touch(w.rev(), w.now)
		change(ev, gh.KindMembership, m.Key(), nil, m)
	}
}

// setDefaultRole resolves ref (a role id or name usable in the scope's
// workspace; empty clears) for the workspace's default role. Setting it is
// assigning in advance, so it needs the right to assign both the old default
// and the new one (mayAssign): nobody makes a default above what they may grant.
func (d *Directory) setDefaultRole(a *Actor, s Scope, cur gh.RoleID, ref string) (gh.RoleID, error) {
	home := s.Home()
	if old := d.idx.Role(cur); old != nil {
		if err := d.mayAssign(a, s, home, old); err != nil {
			return "", err
		}
	}
	if ref == "" {
		if cur == "" {
			return "", d.requireManage(a, s, gh.CapRolesAssign, "")
		}
		return "", nil
	}
	r := d.findRole(s, ref)
	if r == nil {
		return "", roleNotFound("default_role")
	}
	if r.ID == gh.RoleAdmin {
		if err := requireFresh(a, "making Admin the default role"); err != nil {
			return "", err
		}
	}
	if err := d.mayAssign(a, s, home, r); err != nil {
		return "", err
	}
	return r.ID, nil
}

// defaultGroups resolves refs (group ids or names) to groups of the organization itself.
func (d *Directory) defaultGroups(o *gh.Org, refs []string) ([]gh.GroupID, error) {
	out := []gh.GroupID{}
	for _, ref := range refs {
		g := d.importGroup(Scope{Org: o}, ref)
		if g == nil {
			return nil, &gh.Error{Kind: gh.KindInvalid, Code: "group_not_found", Message: "no such group of the organization: " + ref,
				Fields: map[string]string{"default_groups": "must name groups of the organization itself (id or name); " + ref + " is not one"}}
		}
		if !slices.Contains(out, g.ID) {
			out = append(out, g.ID)
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// defaultUsing names the workspace whose default role is r, or "".
func (d *Directory) defaultUsing(r *gh.Role) string {
	for _, ws := range d.idx.Workspaces(r.Org, func(w *gh.Workspace) bool { return w.DefaultRole == r.ID }) {
		return ws.Name
	}
	return ""
}

// dropDefaultGroup removes group id from its organization's default groups in
// ev, when it is one (a group a directory deletes).
func (d *Directory) dropDefaultGroup(w *writer, ev *gh.Event, org gh.OrgID, id gh.GroupID) {
	cur := d.idx.Org(org)
	if cur == nil || !slices.Contains(cur.DefaultGroups, id) {
		return
	}
	next := *cur
	next.DefaultGroups = slices.DeleteFunc(slices.Clone(cur.DefaultGroups), func(g gh.GroupID) bool { return g == id })
	if len(next.DefaultGroups) == 0 {
		next.DefaultGroups = nil
	}
	next.Touch(w.rev(), w.now)
	change(ev, gh.KindOrg, string(org), cur, &next)
}
