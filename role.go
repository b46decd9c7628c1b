package gatehouse

// Role is a named set of capability grants. Built-in roles have no org; custom
// roles live at the organization (Workspace empty: usable in all its workspaces)
// or in one workspace.
type Role struct {
	ID          RoleID               `json:"id"`
	Org         OrgID                `json:"org_id,omitempty"`
	Workspace   WorkspaceID          `json:"workspace_id,omitempty"`
	Name        string               `json:"name"`
	Description string               `json:"description,omitempty"`
	Builtin     bool                 `json:"builtin"`
	BasedOn     RoleID               `json:"based_on,omitempty"`
	Grants      map[Capability]Level `json:"grants"`
	Meta
}

// Validate reports missing fields and grants of unknown or organization capabilities.
func (r *Role) Validate(cat *Catalogue) error {
	f := Fields{}
	checkName(f, "name", r.Name, 100)
	checkOptional(f, "description", r.Description, 1000)
	if len(r.Grants) == 0 {
		f.Add("grants", "must grant at least one capability")
	}
	for c, l := range r.Grants {
		ci, ok := cat.Lookup(c)
		switch {
		case !ok:
			f.Add("grants."+string(c), "is not a known capability")
		case ci.Scope != ScopeWorkspace:
			f.Add("grants."+string(c), "is an organization capability; roles grant workspace capabilities")
		case l != LevelLimited && l != LevelFull:
			f.Add("grants."+string(c), `level must be "limited" or "full"`)
		}
	}
	return f.Err()
}

// Level returns the level the role grants for c.
func (r *Role) Level(c Capability) Level { return r.Grants[c] }

// Covers reports whether held gives at least every grant of r.
func (r *Role) Covers(held map[Capability]Level) bool {
	for c, l := range r.Grants {
		if held[c] < l {
			return false
		}
	}
	return true
}

// ManagesPeople reports whether r grants one of AdminCapabilities, at any
// level: whoever holds it can give access to others.
func (r *Role) ManagesPeople() bool {
	if r == nil {
		return false
	}
	for _, c := range AdminCapabilities {
		if r.Grants[c] > LevelNone {
			return true
		}
	}
	return false
}
