package directory

import (
	"context"
	"slices"
	"strings"

	gh "gatehouse.dev/gatehouse"
)

// GroupInput creates a group.
type GroupInput struct {
	Name        string             `json:"name"`
	Description string             `json:"description"`
	External    []gh.ExternalGroup `json:"external,omitempty"`
	// Rule makes every user of the group's home who satisfies it a member
	// (package rules), e.g. department == "SOC" && certified("GCIH").
	Rule string `json:"rule,omitempty"`
}

func nameTaken(what string) error {
	return &gh.Error{Kind: gh.KindConflict, Code: "name_taken", Message: "another " + what + " already has this name",
		Fields: map[string]string{"name": "is already in use"}}
}

// groupNamed returns the group of home h named name (ignoring case), if any.
func (d *Directory) groupNamed(h gh.Home, name string) *gh.Group {
	n := strings.ToLower(strings.TrimSpace(name))
	if gs := d.idx.GroupsIn(h, func(g *gh.Group) bool { return strings.ToLower(g.Name) == n }); len(gs) > 0 {
		return gs[0]
	}
	return nil
}

// CreateGroup creates a group at the scope's home (Org Admins for org groups,
// workspace.groups.add for a workspace's). Errors: KindForbidden, KindInvalid, KindConflict.
func (d *Directory) CreateGroup(ctx context.Context, a *Actor, s Scope, in GroupInput) (*gh.Group, gh.Revision, error) {
	if err := d.requireManage(a, s, gh.CapGroupsAdd, "manage organization groups"); err != nil {
		return nil, 0, err
	}
	g := &gh.Group{ID: gh.GroupID(gh.NewID("grp")), Home: s.Home(), Name: gh.CleanName(in.Name), Description: gh.CleanName(in.Description)}
	if err := g.Validate(); err != nil {
		return nil, 0, err
	}
	ext, err := d.checkExternal(g.Home, in.External)
	if err != nil {
		return nil, 0, err
	}
	g.External = ext
	if g.Rule, err = checkRule(in.Rule); err != nil {
		return nil, 0, err
	}
	rev, err := d.write(ctx, a, func(w *writer) error {
		if d.groupNamed(g.Home, g.Name) != nil {
			return nameTaken("group here")
		}
		ev := w.event(g.Org, g.Workspace, "group.create", gh.KindGroup, string(g.ID))
		g.Touch(w.rev(), w.now)
		change(ev, gh.KindGroup, string(g.ID), nil, g)
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return g, rev, nil
}

// GetGroup returns a group of the scope's home. Errors: KindNotFound, KindForbidden.
func (d *Directory) GetGroup(a *Actor, s Scope, id gh.GroupID) (*gh.Group, error) {
	if err := d.requireRead(a, s); err != nil {
		return nil, err
	}
	g := d.idx.Group(id)
	if g == nil || !s.Contains(g.Home) {
		return nil, gh.NotFound("group")
	}
	return g, nil
}

// ListGroups lists the groups of the scope's home, by id.
func (d *Directory) ListGroups(a *Actor, s Scope, query string, p Page) (List[*gh.Group], error) {
	if err := d.requireRead(a, s); err != nil {
		return List[*gh.Group]{}, err
	}
	q := strings.ToLower(query)
	gs := d.idx.GroupsIn(s.Home(), func(g *gh.Group) bool {
		return q == "" || strings.Contains(strings.ToLower(g.Name), q)
	})
	return paginate(gs, func(g *gh.Group) string { return string(g.ID) }, p), nil
}

// GroupPatch changes a group; nil fields stay.
type GroupPatch struct {
	Name        *string             `json:"name"`
	Description *string             `json:"description"`
	External    *[]gh.ExternalGroup `json:"external"`
	Rule        *string             `json:"rule"` // "" removes it
}

// UpdateGroup renames or re-describes a group.
func (d *Directory) UpdateGroup(ctx context.Context, a *Actor, s Scope, id gh.GroupID, in GroupPatch, ifMatch gh.Revision) (*gh.Group, gh.Revision, error) {
	if _, err := d.GetGroup(a, s, id); err != nil {
		return nil, 0, err
	}
	if err := d.requireManage(a, s, gh.CapGroupsAdd, "manage organization groups"); err != nil {
		return nil, 0, err
	}
	var out *gh.Group
	rev, err := d.write(ctx, a, func(w *writer) error {
		cur := d.idx.Group(id)
		if cur == nil {
			return gh.NotFound("group")
		}
		if err := checkMatch(ifMatch, cur.Revision); err != nil {
			return err
		}
		if in.Name != nil || in.Description != nil || in.External != nil || in.Rule != nil {
			if err := d.refuseManaged(a, cur.Managed, "this group"); err != nil {
				return err
			}
		}
		next := *cur
		if in.Name != nil {
			next.Name = gh.CleanName(*in.Name)
		}
		if in.Description != nil {
			next.Description = gh.CleanName(*in.Description)
		}
		if in.External != nil {
			ext, err := d.checkExternal(cur.Home, *in.External)
			if err != nil {
				return err
			}
			// A provider or directory a group follows adds members to it:
			// only someone who may add them may hand it that.
			if err := d.joinCovered(a, s, cur); err != nil {
				return err
			}
			next.External = ext
		}
		if in.Rule != nil {
			rule, err := checkRule(*in.Rule)
			if err != nil {
				return err
			}
			// A rule adds members: only someone who may add them may set one.
			if rule != "" && rule != cur.Rule {
				if err := d.joinCovered(a, s, cur); err != nil {
					return err
				}
			}
			next.Rule = rule
		}
		if err := validChange(cur, &next, next.Validate()); err != nil {
			return err
		}
		if other := d.groupNamed(cur.Home, next.Name); other != nil && other.ID != id {
			return nameTaken("group here")
		}
		ev := w.event(cur.Org, cur.Workspace, "group.update", gh.KindGroup, string(id))
		next.Touch(w.rev(), w.now)
		change(ev, gh.KindGroup, string(id), cur, &next)
		if in.External != nil && cur.Managed == nil {
			d.refollow(w, cur, &next) // a directory's groups are followed from now, not from their next change
		}
		out = &next
		return nil
	})
	return out, rev, err
}

// DeleteGroup deletes a group, its memberships (both ways) and its
// assignments. A group an onboarding template uses cannot be deleted.
func (d *Directory) DeleteGroup(ctx context.Context, a *Actor, s Scope, id gh.GroupID, ifMatch gh.Revision) (gh.Revision, error) {
	if _, err := d.GetGroup(a, s, id); err != nil {
		return 0, err
	}
	if err := d.requireManage(a, s, gh.CapGroupsAdd, "manage organization groups"); err != nil {
		return 0, err
	}
	return d.write(ctx, a, func(w *writer) error {
		cur := d.idx.Group(id)
		if cur == nil {
			return gh.NotFound("group")
		}
		if err := checkMatch(ifMatch, cur.Revision); err != nil {
			return err
		}
		if err := d.refuseManaged(a, cur.Managed, "this group"); err != nil {
			return err
		}
		if o := d.idx.Org(cur.Org); o != nil && slices.Contains(o.DefaultGroups, id) {
			return gh.Errorf(gh.KindConflict, "group_in_use", "group %q is a default group of the organization; remove it from the defaults first", cur.Name)
		}
		for _, t := range d.idx.Templates(cur.Org, func(*gh.Template) bool { return true }) {
			for _, e := range t.Entries {
				if e.Group == id {
					return gh.Errorf(gh.KindConflict, "group_in_use", "onboarding template %q uses this group; remove it there first", t.Name)
				}
			}
		}
		ev := w.event(cur.Org, cur.Workspace, "group.delete", gh.KindGroup, string(id))
		for _, m := range d.idx.Members(id) {
			change(ev, gh.KindMembership, m.Key(), m, nil)
		}
		d.removePrincipal(ev, gh.GroupPrincipal(id))
		change(ev, gh.KindGroup, string(id), cur, nil)
		return nil
	})
}

// Member is a group member as lists show it.
type Member struct {
	gh.Principal
	Name string `json:"name"`
}

// ListMembers lists the direct members of a group, users first.
func (d *Directory) ListMembers(a *Actor, s Scope, id gh.GroupID, p Page) (List[Member], error) {
	if _, err := d.GetGroup(a, s, id); err != nil {
		return List[Member]{}, err
	}
	ms := d.idx.Members(id)
	out := make([]Member, len(ms))
	for i, m := range ms {
		out[i] = Member{Principal: m.Member, Name: d.principalName(m.Member)}
	}
	return paginate(out, func(m Member) string { return m.Principal.String() }, p), nil
}

func (d *Directory) principalName(p gh.Principal) string {
	switch p.Type {
	case gh.PrincipalUser:
		if u := d.idx.User(gh.UserID(p.ID)); u != nil {
			return u.Email
		}
	case gh.PrincipalGroup:
		if g := d.idx.Group(gh.GroupID(p.ID)); g != nil {
			return g.Name
		}
	}
	return ""
}

// principalHome returns the home of a principal of org that the actor may
// see, or KindNotFound.
func (d *Directory) principalHome(a *Actor, org gh.OrgID, p gh.Principal) (gh.Home, error) {
	if err := p.Validate(); err != nil {
		return gh.Home{}, err
	}
	var h gh.Home
	switch p.Type {
	case gh.PrincipalUser:
		if u := d.idx.User(gh.UserID(p.ID)); u != nil {
			h = u.Home
		}
	default:
		if g := d.idx.Group(gh.GroupID(p.ID)); g != nil {
			h = g.Home
		}
	}
	if h.Org != org || !d.seesPrincipal(a, h, p) {
		return gh.Home{}, gh.NotFound(string(p.Type))
	}
	return h, nil
}

// AddMember puts a user or group into a group. Members share the group's home;
// a cycle or nesting deeper than gh.MaxGroupDepth is refused (KindConflict).
// Outside Org Admins, adding to a group that holds a role in the workspace is
// granting that role, so the actor must hold it. Adding an existing member
// changes nothing and reports created=false.
func (d *Directory) AddMember(ctx context.Context, a *Actor, s Scope, id gh.GroupID, p gh.Principal) (created bool, rev gh.Revision, err error) {
	g, err := d.GetGroup(a, s, id)
	if err != nil {
		return false, 0, err
	}
	if err := d.requireManage(a, s, gh.CapGroupsAdd, "manage organization groups"); err != nil {
		return false, 0, err
	}
	rev, err = d.write(ctx, a, func(w *writer) error {
		if err := d.refuseManaged(a, g.Managed, "the membership of this group"); err != nil {
			return err
		}
		if err := d.checkMember(a, s, g, p); err != nil {
			return err
		}
		if d.idx.Membership(id, p) != nil {
			return nil
		}
		m := &gh.Membership{Org: g.Org, Group: id, Member: p}
		ev := w.event(g.Org, g.Workspace, "group.member.add", gh.KindGroup, string(id))
		m.Touch(w.rev(), w.now)
		change(ev, gh.KindMembership, m.Key(), nil, m)
		created = true
		return nil
	})
	return created, rev, err
}

func (d *Directory) checkMember(a *Actor, s Scope, g *gh.Group, p gh.Principal) error {
	h, err := d.principalHome(a, g.Org, p)
	if err != nil {
		return memberErr(err)
	}
	if h != g.Home {
		where := "the organization"
		if !g.IsOrg() {
			where = "this workspace"
		}
		return gh.Errorf(gh.KindInvalid, "member_home", "members of this group must be users or groups of %s", where)
	}
	if p.Type == gh.PrincipalGroup {
		inner := gh.GroupID(p.ID)
		if inner == g.ID || contains(d.idx.GroupsOf(gh.GroupPrincipal(g.ID), true), inner) {
			return gh.Errorf(gh.KindConflict, "group_cycle", "group %q already contains group %q; nesting it would make a cycle",
				d.principalName(p), g.Name)
		}
		if depth := d.idx.Depth(g.ID) + d.idx.Height(inner); depth > gh.MaxGroupDepth {
			return gh.Errorf(gh.KindConflict, "group_too_deep", "groups may nest at most %d deep; this would make %d", gh.MaxGroupDepth, depth)
		}
	}
	return d.joinCovered(a, s, g)
}

// joinCovered refuses, outside Org Admins, to put anyone into a workspace
// group whose roles there (its own or those of groups containing it) grant
// more than the actor holds: joining the group is being granted them.
func (d *Directory) joinCovered(a *Actor, s Scope, g *gh.Group) error {
	if s.Workspace == nil {
		return nil
	}
	for _, outer := range append([]gh.GroupID{g.ID}, d.idx.GroupsOf(gh.GroupPrincipal(g.ID), true)...) {
		if as := d.idx.AssignmentFor(gh.GroupPrincipal(outer), s.Workspace.ID); as != nil {
			if err := d.requireCovered(a, s.Workspace, d.idx.Role(as.Role)); err != nil {
				return err
			}
		}
	}
	return nil
}

// memberErr turns "user not found" about a member into a field error: the group exists, its would-be member does not.
func memberErr(err error) error {
	e := gh.AsError(err)
	if e.Kind == gh.KindNotFound {
		return &gh.Error{Kind: gh.KindInvalid, Code: "member_not_found", Message: "the member does not exist in this organization",
			Fields: map[string]string{"member.id": "no such " + strings.TrimSuffix(e.Code, "_not_found")}}
	}
	return err
}

func contains[T comparable](xs []T, v T) bool {
	for _, x := range xs {
		if x == v {
			return true
		}
	}
	return false
}

// RemoveMember takes a user or group out of a group. Errors: KindNotFound when it is not a member.
func (d *Directory) RemoveMember(ctx context.Context, a *Actor, s Scope, id gh.GroupID, p gh.Principal) (gh.Revision, error) {
	g, err := d.GetGroup(a, s, id)
	if err != nil {
		return 0, err
	}
	if err := d.requireManage(a, s, gh.CapGroupsAdd, "manage organization groups"); err != nil {
		return 0, err
	}
	return d.write(ctx, a, func(w *writer) error {
		if err := d.refuseManaged(a, g.Managed, "the membership of this group"); err != nil {
			return err
		}
		m := d.idx.Membership(id, p)
		if m == nil {
			return gh.NotFound("member")
		}
		ev := w.event(g.Org, g.Workspace, "group.member.remove", gh.KindGroup, string(id))
		change(ev, gh.KindMembership, m.Key(), m, nil)
		return nil
	})
}
