package directory

import (
	"context"
	"strings"

	gh "gatehouse.dev/gatehouse"
)

// WorkspaceInput creates a workspace.
type WorkspaceInput struct {
	Name string `json:"name"`
	Slug string `json:"slug"` // derived from Name when empty
}

// CreateWorkspace creates a customer workspace (Org Admins only) and, in the
// same change, applies every onboarding template marked auto_apply.
// Errors: KindForbidden, KindInvalid, KindConflict (slug taken).
func (d *Directory) CreateWorkspace(ctx context.Context, a *Actor, o *gh.Org, in WorkspaceInput) (*gh.Workspace, gh.Revision, error) {
	if err := d.requireOrgAdmin(a, o.ID, "create workspaces"); err != nil {
		return nil, 0, err
	}
	if in.Slug == "" {
		in.Slug = gh.Slugify(in.Name)
	}
	ws := &gh.Workspace{ID: gh.WorkspaceID(gh.NewID("ws")), Org: o.ID, Name: gh.CleanName(in.Name), Slug: in.Slug, Status: gh.StatusActive}
	if err := ws.Validate(); err != nil {
		return nil, 0, err
	}
	rev, err := d.write(ctx, a, func(w *writer) error {
		if d.idx.WorkspaceBySlug(o.ID, ws.Slug) != nil {
			return slugTaken("workspace of this organization")
		}
		ev := w.event(o.ID, ws.ID, "workspace.create", gh.KindWorkspace, string(ws.ID))
		ws.Touch(w.rev(), w.now)
		change(ev, gh.KindWorkspace, string(ws.ID), nil, ws)
		done := map[gh.GroupID]bool{}
		for _, t := range d.idx.Templates(o.ID, func(t *gh.Template) bool { return t.AutoApply }) {
			d.applyTemplate(w, ev, t, ws, done)
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return ws, rev, nil
}

// ListWorkspaces lists the workspaces of o the actor can see, by id.
func (d *Directory) ListWorkspaces(a *Actor, o *gh.Org, status gh.Status, p Page) List[*gh.Workspace] {
	all := d.idx.Workspaces(o.ID, func(w *gh.Workspace) bool {
		return (status == "" || w.Status == status) && d.seesWorkspace(a, w)
	})
	return paginate(all, func(w *gh.Workspace) string { return string(w.ID) }, p)
}

// WorkspacePatch changes a workspace; nil fields stay.
type WorkspacePatch struct {
	Name   *string    `json:"name"`
	Slug   *string    `json:"slug"`
	Status *gh.Status `json:"status"`
	// DefaultRole (id or name; "" clears) is the role new users of the workspace get.
	DefaultRole *string `json:"default_role"`
	// Seats is the workspace's share of the organization's seats (0: none).
	Seats *int `json:"seats"`
}

// UpdateWorkspace renames, suspends, archives or reactivates a workspace or
// sets its share of seats (Org Admins only), or sets its default role (Org
// Admins, and those who may assign both the old and the new default there).
// A suspended or archived workspace denies every check.
func (d *Directory) UpdateWorkspace(ctx context.Context, a *Actor, ws *gh.Workspace, in WorkspacePatch, ifMatch gh.Revision) (*gh.Workspace, gh.Revision, error) {
	if in.Name != nil || in.Slug != nil || in.Status != nil || in.Seats != nil || in.DefaultRole == nil {
		if err := d.requireOrgAdmin(a, ws.Org, "change workspaces"); err != nil {
			return nil, 0, err
		}
	}
	var out *gh.Workspace
	rev, err := d.write(ctx, a, func(w *writer) error {
		cur := d.idx.Workspace(ws.ID)
		if cur == nil {
			return gh.NotFound("workspace")
		}
		if err := checkMatch(ifMatch, cur.Revision); err != nil {
			return err
		}
		next := *cur
		if in.Name != nil {
			next.Name = gh.CleanName(*in.Name)
		}
		if in.Slug != nil {
			next.Slug = *in.Slug
		}
		if in.Status != nil {
			next.Status = *in.Status
		}
		if in.DefaultRole != nil {
			var err error
			s := Scope{Org: d.idx.Org(cur.Org), Workspace: cur}
			if s.Org == nil {
				return gh.NotFound("workspace")
			}
			if next.DefaultRole, err = d.setDefaultRole(a, s, cur.DefaultRole, strings.TrimSpace(*in.DefaultRole)); err != nil {
				return err
			}
		}
		if in.Seats != nil {
			next.Seats = *in.Seats
		}
		if err := validChange(cur, &next, next.Validate()); err != nil {
			return err
		}
		if next.Seats > cur.Seats {
			if err := d.checkShares(d.idx.Org(cur.Org), &next); err != nil {
				return err
			}
		}
		if next.Slug != cur.Slug && d.idx.WorkspaceBySlug(cur.Org, next.Slug) != nil {
			return slugTaken("workspace of this organization")
		}
		action := "workspace.update"
		if next.Status != cur.Status {
			action = "workspace." + map[gh.Status]string{gh.StatusActive: "reactivate",
				gh.StatusSuspended: "suspend", gh.StatusArchived: "archive"}[next.Status]
		}
		ev := w.event(cur.Org, cur.ID, action, gh.KindWorkspace, string(cur.ID))
		next.Touch(w.rev(), w.now)
		change(ev, gh.KindWorkspace, string(cur.ID), cur, &next)
		out = &next
		return nil
	})
	return out, rev, err
}

// DeleteWorkspace deletes a workspace with everything that lives in it: its
// assignments, exclusions, users (and their keys), groups and roles (Org
// Admins only).
func (d *Directory) DeleteWorkspace(ctx context.Context, a *Actor, ws *gh.Workspace, ifMatch gh.Revision) (gh.Revision, error) {
	if err := d.requireOrgAdmin(a, ws.Org, "delete workspaces"); err != nil {
		return 0, err
	}
	return d.write(ctx, a, func(w *writer) error {
		cur := d.idx.Workspace(ws.ID)
		if cur == nil {
			return gh.NotFound("workspace")
		}
		if err := checkMatch(ifMatch, cur.Revision); err != nil {
			return err
		}
		ev := w.event(cur.Org, cur.ID, "workspace.delete", gh.KindWorkspace, string(cur.ID))
		for _, as := range d.idx.AssignmentsIn(cur.ID) {
			change(ev, gh.KindAssignment, string(as.ID), as, nil)
		}
		d.removeExclusions(ev, cur.Org, func(e *gh.Exclusion) bool { return e.Workspace == cur.ID })
		inWS := func(h gh.Home) bool { return h.Workspace == cur.ID }
		groups := d.idx.Groups(cur.Org, func(g *gh.Group) bool { return inWS(g.Home) })
		users := d.idx.Users(cur.Org, func(u *gh.User) bool { return inWS(u.Home) })
		// Memberships first: every member of a workspace group lives in the workspace.
		for _, g := range groups {
			for _, m := range d.idx.Members(g.ID) {
				change(ev, gh.KindMembership, m.Key(), m, nil)
			}
		}
		for _, g := range groups {
			change(ev, gh.KindGroup, string(g.ID), g, nil)
		}
		for _, u := range users {
			d.revokeKeys(ev, u)
			change(ev, gh.KindUser, string(u.ID), u, nil)
			if err := w.vault.ForgetUser(u.ID); err != nil {
				return err
			}
		}
		for _, r := range d.idx.Roles(cur.Org, func(r *gh.Role) bool { return r.Workspace == cur.ID }) {
			change(ev, gh.KindRole, string(r.ID), r, nil)
		}
		change(ev, gh.KindWorkspace, string(cur.ID), cur, nil)
		return nil
	})
}
