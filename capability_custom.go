package gatehouse

import (
	"regexp"
	"slices"
	"strings"
)

// CustomCapability is a workspace capability the platform operator added to
// the catalogue, so that a new screen or API of the platform can be guarded
// without a new Gatehouse release. The built-in Admin role holds every
// workspace capability in full, custom ones included; the other built-in
// roles hold a custom capability only at the levels BuiltinGrants gives.
// Custom roles grant it like any other capability.
type CustomCapability struct {
	ID            Capability       `json:"id"`
	Description   string           `json:"description"`
	BuiltinGrants map[RoleID]Level `json:"builtin_grants"`
	Meta
}

// capabilityIDRE is two or more lowercase words joined by dots, as in
// "vulnerabilities.triage".
var capabilityIDRE = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$`)

// Validate reports what is wrong with the capability by field. Whether the id
// is already taken depends on the catalogue and is the caller's to check.
func (c *CustomCapability) Validate() error {
	f := Fields{}
	switch id := string(c.ID); {
	case id == "":
		f.Add("id", "is required")
	case len(id) > 64 || !capabilityIDRE.MatchString(id):
		f.Add("id", "must be at most 64 characters: lowercase words joined by dots, like vulnerabilities.triage")
	case strings.HasPrefix(id, "org.") || strings.HasPrefix(id, "workspace."):
		f.Add("id", `must not start with "org." or "workspace.": those names belong to Gatehouse itself`)
	}
	checkName(f, "description", c.Description, 500)
	for r, l := range c.BuiltinGrants {
		field := "builtin_grants." + string(r)
		switch {
		case r == RoleAdmin:
			f.Add(field, "Admin holds every workspace capability in full already")
		case !slices.ContainsFunc(builtinRoleMeta, func(m builtinRoleInfo) bool { return m.id == r }):
			f.Add(field, "is not a built-in role")
		case l == LevelNone:
			f.Add(field, `must be "limited" or "full"`)
		}
	}
	return f.Err()
}

// With returns a copy of the catalogue that also holds the custom
// capabilities, placed after the built-in workspace capabilities in id order,
// with the built-in roles' grants extended to match. c itself is not changed.
func (c *Catalogue) With(custom []*CustomCapability) *Catalogue {
	if len(custom) == 0 {
		return c
	}
	custom = slices.Clone(custom)
	slices.SortFunc(custom, func(a, b *CustomCapability) int { return strings.Compare(string(a.ID), string(b.ID)) })
	out := &Catalogue{byID: map[Capability]CapabilityInfo{}}
	for _, ci := range c.caps {
		if ci.Scope == ScopeWorkspace {
			out.add(ci)
		}
	}
	for _, cc := range custom {
		out.add(CapabilityInfo{ID: cc.ID, Scope: ScopeWorkspace, Description: cc.Description, Custom: true})
	}
	for _, ci := range c.caps {
		if ci.Scope != ScopeWorkspace {
			out.add(ci)
		}
	}
	for _, r := range c.builtins {
		nr := *r
		nr.Grants = make(map[Capability]Level, len(r.Grants)+len(custom))
		for k, v := range r.Grants {
			nr.Grants[k] = v
		}
		for _, cc := range custom {
			if r.ID == RoleAdmin {
				nr.Grants[cc.ID] = LevelFull
			} else if l := cc.BuiltinGrants[r.ID]; l != LevelNone {
				nr.Grants[cc.ID] = l
			}
		}
		out.builtins = append(out.builtins, &nr)
	}
	return out
}
