package directory

import (
	"context"
	"slices"

	gh "gatehouse.dev/gatehouse"
)

// RoleInput creates a custom role, from scratch (Grants) or as a copy of
// another role (BasedOn) whose grants Grants then changes.
type RoleInput struct {
	Name        string                     `json:"name"`
	Description string                     `json:"description"`
	Grants      map[gh.Capability]gh.Level `json:"grants"`
	BasedOn     string                     `json:"based_on"` // role id or name
}

// BuiltinRoles lists the immutable built-in roles.
func (d *Directory) BuiltinRoles() []*gh.Role { return d.idx.Catalogue().BuiltinRoles() }

// Catalogue returns the capability catalogue.
func (d *Directory) Catalogue() *gh.Catalogue { return d.idx.Catalogue() }

// usableIn reports whether role r may be assigned in scope s (built-in,
// organization-wide, or defined in the scope's own workspace).
func usableIn(r *gh.Role, s Scope) bool {
	if r.Builtin {
		return true
	}
	if r.Org != s.Org.ID {
		return false
	}
	return r.Workspace == "" || (s.Workspace != nil && r.Workspace == s.Workspace.ID)
}

// findRole resolves a role by id or name among those usable in s.
func (d *Directory) findRole(s Scope, ref string) *gh.Role {
	if r := d.idx.Role(gh.RoleID(ref)); r != nil {
		if usableIn(r, s) {
			return r
		}
		return nil
	}
	for _, r := range d.idx.RolesNamed(s.Org.ID, ref) {
		if usableIn(r, s) {
			return r // names are unique among the roles usable in one place
		}
	}
	return nil
}

// roleNameTaken reports whether a role of scope s named name (other than the
// role except) would share its name with a role usable where it is. A
// workspace role is compared with the built-ins, the organization's roles and
// its own workspace's only: a customer must not learn, from a refused name,
// what another customer called its roles. An organization role is usable in
// every workspace, so it is compared with all of them (its author, an Org
// Admin, sees them all).
func (d *Directory) roleNameTaken(s Scope, name string, except gh.RoleID) error {
	for _, r := range d.idx.RolesNamed(s.Org.ID, name) {
		if r.ID != except && (s.Workspace == nil || usableIn(r, s)) {
			return nameTaken("role usable here (built-in, of the organization or of this workspace)")
		}
	}
	return nil
}

func roleNotFound(field string) error {
	return &gh.Error{Kind: gh.KindInvalid, Code: "role_not_found", Message: "no such role is usable here",
		Fields: map[string]string{field: "is not a role usable here (give a built-in id, or the id or name of a custom role of this organization or workspace)"}}
}

// roleHome is the scope's home as a role's org and workspace fields.
func roleHome(s Scope) (gh.OrgID, gh.WorkspaceID) {
	h := s.Home()
	return h.Org, h.Workspace
}

// CreateRole creates a custom role at the scope: Org Admins for organization
// roles; workspace.roles.assign for a workspace's, whose grants must stay within
// the actor's own. Names are unique among the roles usable in any one place (see roleNameTaken).
func (d *Directory) CreateRole(ctx context.Context, a *Actor, s Scope, in RoleInput) (*gh.Role, gh.Revision, error) {
	if err := d.requireManage(a, s, gh.CapRolesAssign, "manage organization roles"); err != nil {
		return nil, 0, err
	}
	org, ws := roleHome(s)
	r := &gh.Role{ID: gh.RoleID(gh.NewID("role")), Org: org, Workspace: ws, Name: gh.CleanName(in.Name),
		Description: gh.CleanName(in.Description), Grants: in.Grants}
	if in.BasedOn != "" {
		base := d.findRole(s, in.BasedOn)
		if base == nil {
			return nil, 0, roleNotFound("based_on")
		}
		r.BasedOn = base.ID
		// A copy, with the given grants changed on top ("none" removes one).
		r.Grants = copyGrants(base.Grants)
		for c, l := range in.Grants {
			if l == gh.LevelNone {
				delete(r.Grants, c)
			} else {
				r.Grants[c] = l
			}
		}
	}
	if err := r.Validate(d.idx.Catalogue()); err != nil {
		return nil, 0, err
	}
	if s.Workspace != nil {
		if err := d.requireCovered(a, s.Workspace, r); err != nil {
			return nil, 0, err
		}
	}
	rev, err := d.write(ctx, a, func(w *writer) error {
		if err := d.roleNameTaken(s, r.Name, ""); err != nil {
			return err
		}
		ev := w.event(org, ws, "role.create", gh.KindRole, string(r.ID))
		r.Touch(w.rev(), w.now)
		change(ev, gh.KindRole, string(r.ID), nil, r)
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return r, rev, nil
}

func copyGrants(g map[gh.Capability]gh.Level) map[gh.Capability]gh.Level {
	out := make(map[gh.Capability]gh.Level, len(g))
	for c, l := range g {
		out[c] = l
	}
	return out
}

// GetRole returns a role usable in the scope, built-in ones included.
func (d *Directory) GetRole(a *Actor, s Scope, ref string) (*gh.Role, error) {
	if err := d.requireRead(a, s); err != nil {
		return nil, err
	}
	if r := d.findRole(s, ref); r != nil {
		return r, nil
	}
	return nil, gh.NotFound("role")
}

// ListRoles lists the custom roles defined at the scope itself, by id; with
// usable, every role that may be assigned there: the built-in ones first,
// then the organization's, then (in a workspace) the workspace's own.
func (d *Directory) ListRoles(a *Actor, s Scope, usable bool, p Page) (List[*gh.Role], error) {
	if err := d.requireRead(a, s); err != nil {
		return List[*gh.Role]{}, err
	}
	_, ws := roleHome(s)
	rs := d.idx.Roles(s.Org.ID, func(r *gh.Role) bool { return r.Workspace == ws || (usable && usableIn(r, s)) })
	if usable {
		rs = append(slices.Clip(d.idx.Catalogue().BuiltinRoles()), rs...)
		return List[*gh.Role]{Items: rs}, nil
	}
	return paginate(rs, func(r *gh.Role) string { return string(r.ID) }, p), nil
}

// RolePatch changes a custom role; nil fields stay. New grants apply at once
// wherever the role is assigned.
type RolePatch struct {
	Name        *string                    `json:"name"`
	Description *string                    `json:"description"`
	Grants      map[gh.Capability]gh.Level `json:"grants"`
}

// customRoleAt returns the custom role id defined exactly at scope s.
func (d *Directory) customRoleAt(a *Actor, s Scope, id gh.RoleID) (*gh.Role, error) {
	r, err := d.GetRole(a, s, string(id))
	if err != nil {
		return nil, err
	}
	if r.Builtin {
		return nil, gh.Errorf(gh.KindForbidden, "builtin_role", "built-in roles cannot be changed; copy it into a custom role instead")
	}
	if org, ws := roleHome(s); r.Org != org || r.Workspace != ws {
		return nil, gh.NotFound("role")
	}
	return r, nil
}

// UpdateRole changes a custom role of the scope, named by id or name.
func (d *Directory) UpdateRole(ctx context.Context, a *Actor, s Scope, id gh.RoleID, in RolePatch, ifMatch gh.Revision) (*gh.Role, gh.Revision, error) {
	r, err := d.customRoleAt(a, s, id)
	if err != nil {
		return nil, 0, err
	}
	id = r.ID // the caller may have named the role
	if err := d.requireManage(a, s, gh.CapRolesAssign, "manage organization roles"); err != nil {
		return nil, 0, err
	}
	var out *gh.Role
	rev, err := d.write(ctx, a, func(w *writer) error {
		cur := d.idx.Role(id)
		if cur == nil {
			return gh.NotFound("role")
		}
		if err := checkMatch(ifMatch, cur.Revision); err != nil {
			return err
		}
		next := *cur
		if in.Name != nil {
			next.Name = gh.CleanName(*in.Name)
		}
		if in.Description != nil {
			next.Description = gh.CleanName(*in.Description)
		}
		if in.Grants != nil {
			next.Grants = in.Grants
		}
		if err := validChange(cur, &next, next.Validate(d.idx.Catalogue())); err != nil {
			return err
		}
		if s.Workspace != nil {
			// Changing a role changes what its holders get: the actor must hold both versions.
			if err := d.requireCovered(a, s.Workspace, cur); err != nil {
				return err
			}
			if err := d.requireCovered(a, s.Workspace, &next); err != nil {
				return err
			}
		}
		if err := d.roleNameTaken(s, next.Name, id); err != nil {
			return err
		}
		ev := w.event(cur.Org, cur.Workspace, "role.update", gh.KindRole, string(id))
		next.Touch(w.rev(), w.now)
		change(ev, gh.KindRole, string(id), cur, &next)
		out = &next
		return nil
	})
	return out, rev, err
}

// DeleteRole deletes a custom role (by id or name) that no assignment,
// workspace default or template uses (KindConflict otherwise).
func (d *Directory) DeleteRole(ctx context.Context, a *Actor, s Scope, id gh.RoleID, ifMatch gh.Revision) (gh.Revision, error) {
	r, err := d.customRoleAt(a, s, id)
	if err != nil {
		return 0, err
	}
	id = r.ID // the caller may have named the role
	if err := d.requireManage(a, s, gh.CapRolesAssign, "manage organization roles"); err != nil {
		return 0, err
	}
	return d.write(ctx, a, func(w *writer) error {
		cur := d.idx.Role(id)
		if cur == nil {
			return gh.NotFound("role")
		}
		if err := checkMatch(ifMatch, cur.Revision); err != nil {
			return err
		}
		if n := len(d.idx.AssignmentsWithRole(cur.Org, id)); n > 0 {
			return gh.Errorf(gh.KindConflict, "role_in_use", "%d assignment(s) use role %q; change them first", n, cur.Name)
		}
		if ws := d.defaultUsing(cur); ws != "" {
			return gh.Errorf(gh.KindConflict, "role_in_use", "role %q is the default role of workspace %q; change the default first", cur.Name, ws)
		}
		for _, t := range d.idx.Templates(cur.Org, func(*gh.Template) bool { return true }) {
			for _, e := range t.Entries {
				if e.Role == id {
					return gh.Errorf(gh.KindConflict, "role_in_use", "onboarding template %q uses role %q", t.Name, cur.Name)
				}
			}
		}
		ev := w.event(cur.Org, cur.Workspace, "role.delete", gh.KindRole, string(id))
		change(ev, gh.KindRole, string(id), cur, nil)
		return nil
	})
}
