package console

import (
	"net/http"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

// Settings → Roles: the built-in roles as a capability × role grid, and the
// organization's custom roles, made as a grid of levels, from scratch or
// copied from a built-in.

type rolesPage struct {
	Builtins []*gh.Role
	Names    map[gh.RoleID]string // the built-ins' names, for "copied from"
	Grid     []gridRow
	Custom   []*gh.Role
	Next     string
	Manage   bool
	Prefix   string // "/settings", or the workspace whose own roles these are
}

// gridRow is one capability and its level in each built-in role.
type gridRow struct {
	gh.CapabilityInfo
	Levels []string
}

// workspaceCaps are the capabilities a role may grant: roles work inside workspaces.
func (c *Console) workspaceCaps() []gh.CapabilityInfo {
	var out []gh.CapabilityInfo
	for _, ci := range c.dir.Catalogue().Capabilities() {
		if ci.Scope == gh.ScopeWorkspace {
			out = append(out, ci)
		}
	}
	return out
}

func (c *Console) settingsRoles(w http.ResponseWriter, r *http.Request, v *view) error {
	s, err := c.pathScope(r, v)
	if err != nil {
		return err
	}
	p := rolesPage{Builtins: c.dir.BuiltinRoles(), Names: map[gh.RoleID]string{}, Manage: c.mayManage(v, s, gh.CapRolesAssign), Prefix: prefix(s)}
	for _, b := range p.Builtins {
		p.Names[b.ID] = b.Name
	}
	for _, ci := range c.workspaceCaps() {
		row := gridRow{CapabilityInfo: ci}
		for _, b := range p.Builtins {
			row.Levels = append(row.Levels, b.Grants[ci.ID].String())
		}
		p.Grid = append(p.Grid, row)
	}
	list, err := c.dir.ListRoles(v.actor, s, false, directory.Page{After: r.URL.Query().Get("after"), Limit: pageSize})
	if err != nil {
		return err
	}
	p.Custom = list.Items
	if list.Next != "" {
		p.Next = pageLink(r, list.Next)
	}
	title := "Roles"
	if s.Workspace != nil {
		title = "Roles of " + s.Workspace.Name
	}
	placeCrumbs(v, s, crumb{})
	v.show("settings_roles.html", title, p)
	return nil
}

// roleForm is a custom role being made or edited.
type roleForm struct {
	Prefix  string   // where the scope's roles are
	Role    *gh.Role // the role edited; nil for a new one
	Name    string
	Desc    string
	BasedOn *gh.Role // the built-in a new role is copied from
	Caps    []capLevel
}

type capLevel struct {
	gh.CapabilityInfo
	Level string
}

func (c *Console) roleForm(role *gh.Role, name, desc string, base *gh.Role, grants map[gh.Capability]gh.Level) roleForm {
	f := roleForm{Role: role, Name: name, Desc: desc, BasedOn: base}
	for _, ci := range c.workspaceCaps() {
		f.Caps = append(f.Caps, capLevel{CapabilityInfo: ci, Level: grants[ci.ID].String()})
	}
	return f
}

func (c *Console) showRoleForm(v *view, s directory.Scope, f roleForm) error {
	title := "New custom role"
	if f.Role != nil {
		title = f.Role.Name
	}
	f.Prefix = prefix(s)
	if s.Workspace == nil {
		placeCrumbs(v, s, crumb{"Roles", "/settings/roles"})
	} else {
		placeCrumbs(v, s, crumb{}, crumb{"Roles", prefix(s) + "/roles"})
	}
	v.show("settings_role.html", title, f)
	return nil
}

// newRole is the form for a new role, filled from a built-in when one is picked.
func (c *Console) newRole(w http.ResponseWriter, r *http.Request, v *view) error {
	s, err := c.pathScope(r, v)
	if err != nil {
		return err
	}
	var base *gh.Role
	grants := map[gh.Capability]gh.Level{}
	if from := r.URL.Query().Get("from"); from != "" {
		if base = builtin(c.dir.BuiltinRoles(), from); base == nil {
			return gh.NotFound("role")
		}
		grants = base.Grants
	}
	name := ""
	if base != nil {
		name = base.Name + " (copy)"
	}
	return c.showRoleForm(v, s, c.roleForm(nil, name, "", base, grants))
}

func builtin(roles []*gh.Role, id string) *gh.Role {
	for _, b := range roles {
		if string(b.ID) == id {
			return b
		}
	}
	return nil
}

// grantsOf reads the grid of levels; a capability left at none is not granted.
func (c *Console) grantsOf(r *http.Request) (map[gh.Capability]gh.Level, error) {
	out := map[gh.Capability]gh.Level{}
	for _, ci := range c.workspaceCaps() {
		var l gh.Level
		if err := l.UnmarshalText([]byte(r.PostForm.Get("cap:" + string(ci.ID)))); err != nil {
			return nil, gh.Invalid("invalid_level", string(ci.ID), "must be none, limited or full")
		}
		if l != gh.LevelNone {
			out[ci.ID] = l
		}
	}
	return out, nil
}

func (c *Console) createRole(w http.ResponseWriter, r *http.Request, v *view) error {
	s, err := c.pathScope(r, v)
	if err != nil {
		return err
	}
	name, desc := r.PostForm.Get("name"), r.PostForm.Get("description")
	base := builtin(c.dir.BuiltinRoles(), r.PostForm.Get("based_on"))
	grants, err := c.grantsOf(r)
	var role *gh.Role
	if err == nil {
		in := directory.RoleInput{Name: name, Description: desc, Grants: grants}
		if base != nil {
			in.BasedOn = string(base.ID)
			// Copied from a built-in, the grants are changes to it: what the
			// grid leaves at none is taken away.
			for c := range base.Grants {
				if _, ok := grants[c]; !ok {
					grants[c] = gh.LevelNone
				}
			}
		}
		role, _, err = c.dir.CreateRole(r.Context(), v.actor, s, in)
	}
	if err != nil {
		formError(v, err)
		return c.showRoleForm(v, s, c.roleForm(nil, name, desc, base, withoutNone(grants)))
	}
	return done(w, r, prefix(s)+"/roles", "Role "+role.Name+" created.")
}

func withoutNone(g map[gh.Capability]gh.Level) map[gh.Capability]gh.Level {
	out := map[gh.Capability]gh.Level{}
	for c, l := range g {
		if l != gh.LevelNone {
			out[c] = l
		}
	}
	return out
}

// customRole finds one of the organization's own roles; a built-in is not editable.
func (c *Console) customRole(r *http.Request, v *view) (directory.Scope, *gh.Role, error) {
	s, err := c.pathScope(r, v)
	if err != nil {
		return s, nil, err
	}
	role, err := c.dir.GetRole(v.actor, s, r.PathValue("id"))
	// By id only, and only the scope's own: a built-in is not editable, and
	// an organization role is edited in Settings, not in a workspace.
	if err == nil && (role.Builtin || role.Workspace != s.Home().Workspace || r.PathValue("id") != string(role.ID)) {
		return s, nil, gh.NotFound("role")
	}
	return s, role, err
}

func (c *Console) editRole(w http.ResponseWriter, r *http.Request, v *view) error {
	s, role, err := c.customRole(r, v)
	if err != nil {
		return err
	}
	return c.showRoleForm(v, s, c.roleForm(role, role.Name, role.Description, nil, role.Grants))
}

func (c *Console) updateRole(w http.ResponseWriter, r *http.Request, v *view) error {
	s, role, err := c.customRole(r, v)
	if err != nil {
		return err
	}
	name, desc := r.PostForm.Get("name"), r.PostForm.Get("description")
	grants, err := c.grantsOf(r)
	patch := directory.RolePatch{Name: &name, Description: &desc, Grants: grants}
	if err == nil && r.PostForm.Get("confirmed") == "" {
		// A role in use changes access wherever it is assigned: who would
		// lose what is shown first, and the same form sent again confirms.
		var im *impact
		op := directory.BatchOp{Op: "update", Type: "role", ID: string(role.ID), Body: body(patch)}
		if im, err = c.whatIf(r, v, s, op); err == nil && len(im.Lines) > 0 {
			im.Confirm, im.Back, im.Action = prefix(s)+"/roles/"+string(role.ID), prefix(s)+"/roles/"+string(role.ID), "Save "+name
			im.Fields = map[string]string{"confirmed": "1"}
			for k := range r.PostForm {
				if k != "form_token" {
					im.Fields[k] = r.PostForm.Get(k)
				}
			}
			placeCrumbs(v, s, crumb{"Roles", "/settings/roles"}, crumb{role.Name, prefix(s) + "/roles/" + string(role.ID)})
			v.show("confirm.html", "Save the role "+name+"?", im)
			return nil
		}
	}
	if err == nil {
		_, _, err = c.dir.UpdateRole(r.Context(), v.actor, s, role.ID, patch, 0)
	}
	if err != nil {
		formError(v, err)
		return c.showRoleForm(v, s, c.roleForm(role, name, desc, nil, grants))
	}
	return done(w, r, prefix(s)+"/roles", "Role "+name+" saved.")
}

func (c *Console) deleteRole(w http.ResponseWriter, r *http.Request, v *view) error {
	s, role, err := c.customRole(r, v)
	if err != nil {
		return err
	}
	if _, err := c.dir.DeleteRole(r.Context(), v.actor, s, role.ID, 0); err != nil {
		formError(v, err)
		return c.showRoleForm(v, s, c.roleForm(role, role.Name, role.Description, nil, role.Grants))
	}
	return done(w, r, prefix(s)+"/roles", "Role "+role.Name+" deleted.")
}
