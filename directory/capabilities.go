package directory

import (
	"context"
	"strings"

	gh "gatehouse.dev/gatehouse"
)

// The capability catalogue is data: the platform operator adds workspace
// capabilities as the platform grows (DESIGN §3). Changes are events of the
// deployment's own log, so every node's index takes them in order with
// everything else.

// CapabilityInput adds a workspace capability.
type CapabilityInput struct {
	ID            gh.Capability          `json:"id"`
	Description   string                 `json:"description"`
	BuiltinGrants map[gh.RoleID]gh.Level `json:"builtin_grants,omitempty"`
}

// CapabilityPatch changes a custom capability; nil fields stay.
type CapabilityPatch struct {
	Description   *string                 `json:"description"`
	BuiltinGrants *map[gh.RoleID]gh.Level `json:"builtin_grants"`
}

func requireOperator(a *Actor, what string) error {
	if !a.Operator && !a.System {
		return gh.Forbidden("only the platform operator may %s", what)
	}
	return nil
}

// CreateCapability adds a workspace capability to the catalogue (operator only).
func (d *Directory) CreateCapability(ctx context.Context, a *Actor, in CapabilityInput) (*gh.CustomCapability, gh.Revision, error) {
	if err := requireOperator(a, "add capabilities"); err != nil {
		return nil, 0, err
	}
	c := &gh.CustomCapability{ID: in.ID, Description: strings.TrimSpace(in.Description), BuiltinGrants: in.BuiltinGrants}
	if c.BuiltinGrants == nil {
		c.BuiltinGrants = map[gh.RoleID]gh.Level{}
	}
	if err := c.Validate(); err != nil {
		return nil, 0, err
	}
	rev, err := d.write(ctx, a, func(w *writer) error {
		if _, ok := d.idx.Catalogue().Lookup(c.ID); ok {
			return &gh.Error{Kind: gh.KindConflict, Code: "capability_exists", Message: "the catalogue already has this capability",
				Fields: map[string]string{"id": "is already in the catalogue"}}
		}
		ev := w.event("", "", "capability.create", gh.KindCapability, string(c.ID))
		c.Touch(w.rev(), w.now)
		change(ev, gh.KindCapability, string(c.ID), nil, c)
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return c, rev, nil
}

// ListCapabilities lists the capabilities the operator added (operator only;
// everyone reads the whole catalogue at /v1/capabilities).
func (d *Directory) ListCapabilities(a *Actor, p Page) (List[*gh.CustomCapability], error) {
	if err := requireOperator(a, "manage capabilities"); err != nil {
		return List[*gh.CustomCapability]{}, err
	}
	return paginate(d.idx.CustomCapabilities(), func(c *gh.CustomCapability) string { return string(c.ID) }, p), nil
}

// GetCapability returns a capability the operator added (operator only).
func (d *Directory) GetCapability(a *Actor, id gh.Capability) (*gh.CustomCapability, error) {
	if err := requireOperator(a, "manage capabilities"); err != nil {
		return nil, err
	}
	c := d.idx.CustomCapability(id)
	if c == nil {
		return nil, gh.NotFound("capability")
	}
	return c, nil
}

// UpdateCapability changes a custom capability's description or the levels the
// built-in roles hold; lowering them takes effect in every workspace at once.
func (d *Directory) UpdateCapability(ctx context.Context, a *Actor, id gh.Capability, p CapabilityPatch, ifMatch gh.Revision) (*gh.CustomCapability, gh.Revision, error) {
	if _, err := d.GetCapability(a, id); err != nil {
		return nil, 0, err
	}
	var out *gh.CustomCapability
	rev, err := d.write(ctx, a, func(w *writer) error {
		cur := d.idx.CustomCapability(id)
		if cur == nil {
			return gh.NotFound("capability")
		}
		if err := checkMatch(ifMatch, cur.Revision); err != nil {
			return err
		}
		next := *cur
		if p.Description != nil {
			next.Description = strings.TrimSpace(*p.Description)
		}
		if p.BuiltinGrants != nil {
			next.BuiltinGrants = *p.BuiltinGrants
			if next.BuiltinGrants == nil {
				next.BuiltinGrants = map[gh.RoleID]gh.Level{}
			}
		}
		if err := next.Validate(); err != nil {
			return err
		}
		ev := w.event("", "", "capability.update", gh.KindCapability, string(id))
		next.Touch(w.rev(), w.now)
		change(ev, gh.KindCapability, string(id), cur, &next)
		out = &next
		return nil
	})
	return out, rev, err
}

// DeleteCapability removes a custom capability. While a custom role grants it
// the answer is a conflict naming those roles: removing it would silently take
// access away from whoever holds them.
func (d *Directory) DeleteCapability(ctx context.Context, a *Actor, id gh.Capability, ifMatch gh.Revision) (gh.Revision, error) {
	if _, err := d.GetCapability(a, id); err != nil {
		return 0, err
	}
	return d.write(ctx, a, func(w *writer) error {
		cur := d.idx.CustomCapability(id)
		if cur == nil {
			return gh.NotFound("capability")
		}
		if err := checkMatch(ifMatch, cur.Revision); err != nil {
			return err
		}
		if rs := d.idx.RolesGranting(id); len(rs) > 0 {
			names := make([]string, len(rs))
			for i, r := range rs {
				names[i] = r.Name + " (" + string(r.ID) + ")"
			}
			return gh.Errorf(gh.KindConflict, "capability_in_use", "custom roles grant this capability: %s; take it out of them first",
				strings.Join(names, ", "))
		}
		ev := w.event("", "", "capability.delete", gh.KindCapability, string(id))
		change(ev, gh.KindCapability, string(id), cur, nil)
		return nil
	})
}
