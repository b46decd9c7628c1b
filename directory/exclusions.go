package directory

import (
	"context"
	"strconv"

	gh "gatehouse.dev/gatehouse"
)

// Exclusions take capabilities away and win over every grant (design §2a).
// Organization Admins set them anywhere in their organization, for one
// workspace or all; a workspace's managers (holders of
// workspace.roles.assign) set them in their own workspace, against anyone
// who reaches it, partner staff included. The authority that set an
// exclusion is the one that lifts it: the Organization Admins, or the
// workspace's managers acting through the workspace.

// ExclusionInput is what an exclusion is made from.
type ExclusionInput struct {
	// Workspace (id or slug) limits the exclusion to one workspace. At
	// organization scope, empty means every workspace; at workspace scope
	// it is the scope's workspace and must be empty or name it.
	Workspace    string          `json:"workspace_id,omitempty"`
	Principal    *gh.Principal   `json:"principal,omitempty"`
	Email        string          `json:"email,omitempty"`
	Capabilities []gh.Capability `json:"capabilities,omitempty"`
	Reason       string          `json:"reason,omitempty"`
}

// ExclusionSetAction is the event of a new exclusion.
const ExclusionSetAction = "exclusion.create"

// Exclude sets an exclusion in the scope.
// Errors: KindInvalid (fields, principal_home, exclude_self), KindForbidden, KindNotFound.
func (d *Directory) Exclude(ctx context.Context, a *Actor, s Scope, in ExclusionInput) (*gh.Exclusion, gh.Revision, error) {
	by, err := d.exclusionAuthority(a, s)
	if err != nil {
		return nil, 0, err
	}
	e := &gh.Exclusion{ID: gh.ExclusionID(gh.NewID("exc")), Org: s.Org.ID, Principal: in.Principal,
		Capabilities: in.Capabilities, Reason: in.Reason, SetBy: by}
	if in.Email != "" {
		e.Email = gh.CanonicalEmail(in.Email)
	}
	if e.Workspace, err = d.exclusionWorkspace(a, s, in.Workspace); err != nil {
		return nil, 0, err
	}
	if err := e.Validate(); err != nil {
		return nil, 0, err
	}
	if err := d.checkExclusion(a, e); err != nil {
		return nil, 0, err
	}
	rev, err := d.write(ctx, a, func(w *writer) error {
		if e.Principal != nil {
			if _, err := d.principalHome(a, s.Org.ID, *e.Principal); err != nil {
				return memberErr(err) // deleted since
			}
		}
		ev := w.event(e.Org, e.Workspace, ExclusionSetAction, gh.KindExclusion, string(e.ID))
		ev.Detail = e.Reason
		e.Touch(w.rev(), w.now)
		change(ev, gh.KindExclusion, string(e.ID), nil, e)
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return e, rev, nil
}

// exclusionAuthority is who the actor sets exclusions for in the scope:
// the organization for its admins, the workspace for its managers.
func (d *Directory) exclusionAuthority(a *Actor, s Scope) (gh.ExclusionAuthority, error) {
	if a.Operator {
		return "", gh.Forbidden("the platform operator manages organizations, not their directories")
	}
	if d.isOrgAdmin(a, s.Org.ID) {
		return gh.SetByOrganization, nil
	}
	if s.Workspace == nil {
		return "", d.requireOrgAdmin(a, s.Org.ID, "set exclusions for the whole organization")
	}
	if err := d.requireCap(a, s.Workspace, gh.CapRolesAssign); err != nil {
		return "", err
	}
	return gh.SetByWorkspace, nil
}

// exclusionWorkspace resolves where the exclusion holds.
func (d *Directory) exclusionWorkspace(a *Actor, s Scope, ref string) (gh.WorkspaceID, error) {
	if s.Workspace != nil {
		if ref != "" && ref != string(s.Workspace.ID) && ref != s.Workspace.Slug {
			return "", gh.Invalid("invalid_exclusion", "workspace_id", "must be this workspace's, or left out")
		}
		return s.Workspace.ID, nil
	}
	if ref == "" {
		return "", nil
	}
	ws, err := d.Workspace(a, s.Org, ref)
	if err != nil {
		return "", gh.Invalid("invalid_exclusion", "workspace_id", "no such workspace")
	}
	return ws.ID, nil
}

// checkExclusion checks what the exclusion names: a principal the actor
// sees, living where the exclusion holds, never the actor itself; known
// workspace capabilities.
func (d *Directory) checkExclusion(a *Actor, e *gh.Exclusion) error {
	f := gh.Fields{}
	cat := d.idx.Catalogue()
	for i, c := range e.Capabilities {
		if ci, ok := cat.Lookup(c); !ok || ci.Scope != gh.ScopeWorkspace {
			f.Add("capabilities["+strconv.Itoa(i)+"]", "no such workspace capability")
		}
	}
	if err := f.Err(); err != nil {
		return err
	}
	if e.Principal == nil {
		return nil
	}
	home, err := d.principalHome(a, e.Org, *e.Principal)
	if err != nil {
		return memberErr(err)
	}
	if !home.IsOrg() && home.Workspace != e.Workspace {
		return gh.Errorf(gh.KindInvalid, "principal_home",
			"users and groups of a workspace can only be excluded in their own workspace")
	}
	if a.User != nil && *e.Principal == gh.UserPrincipal(a.User.ID) {
		return gh.Errorf(gh.KindInvalid, "exclude_self", "you cannot exclude yourself")
	}
	return nil
}

// GetExclusion returns an exclusion the actor may see in the scope.
func (d *Directory) GetExclusion(a *Actor, s Scope, id gh.ExclusionID) (*gh.Exclusion, error) {
	e := d.idx.Exclusion(id)
	if e == nil || e.Org != s.Org.ID || !d.seesExclusion(a, s, e) {
		return nil, gh.NotFound("exclusion")
	}
	return e, nil
}

// ListExclusions lists the exclusions the actor may see in the scope: all
// of the organization for its admins at organization scope; a workspace's
// own at workspace scope.
func (d *Directory) ListExclusions(a *Actor, s Scope) ([]*gh.Exclusion, error) {
	if _, err := d.exclusionAuthority(a, s); err != nil {
		return nil, err
	}
	return d.idx.Exclusions(s.Org.ID, func(e *gh.Exclusion) bool { return d.seesExclusion(a, s, e) }), nil
}

// seesExclusion: Org Admins see every exclusion of the organization (at
// workspace scope, the workspace's); a workspace's managers see the
// workspace's exclusions, except those of the organization naming someone
// they may not see.
func (d *Directory) seesExclusion(a *Actor, s Scope, e *gh.Exclusion) bool {
	if s.Workspace != nil && e.Workspace != s.Workspace.ID {
		return false
	}
	if d.isOrgAdmin(a, s.Org.ID) {
		return true
	}
	if s.Workspace == nil || d.requireCap(a, s.Workspace, gh.CapRolesAssign) != nil {
		return false
	}
	if e.SetBy == gh.SetByWorkspace {
		return true
	}
	if e.Principal == nil {
		return false
	}
	_, err := d.principalHome(a, e.Org, *e.Principal)
	return err == nil
}

// LiftExclusion removes an exclusion, by the authority that set it.
func (d *Directory) LiftExclusion(ctx context.Context, a *Actor, s Scope, id gh.ExclusionID) (gh.Revision, error) {
	e, err := d.GetExclusion(a, s, id)
	if err != nil {
		return 0, err
	}
	if err := d.mayLift(a, e); err != nil {
		return 0, err
	}
	return d.write(ctx, a, func(w *writer) error {
		cur := d.idx.Exclusion(id)
		if cur == nil {
			return gh.NotFound("exclusion")
		}
		ev := w.event(cur.Org, cur.Workspace, "exclusion.delete", gh.KindExclusion, string(cur.ID))
		change(ev, gh.KindExclusion, string(cur.ID), cur, nil)
		return nil
	})
}

// mayLift: an organization's exclusion is lifted by its admins; a
// workspace's only through the workspace, by a holder of
// workspace.roles.assign there, whatever the actor's organization role.
func (d *Directory) mayLift(a *Actor, e *gh.Exclusion) error {
	if e.SetBy == gh.SetByOrganization {
		return d.requireOrgAdmin(a, e.Org, "lift the organization's exclusions")
	}
	if a.User != nil && d.idx.Check(a.User.ID, e.Workspace, gh.CapRolesAssign, gh.LevelFull).Allowed {
		return nil
	}
	return gh.Errorf(gh.KindForbidden, "exclusion_of_workspace",
		"the workspace set this exclusion; only a holder of %s in the workspace may lift it", gh.CapRolesAssign)
}

// removeExclusions adds to ev the removal of the exclusions keep selects.
func (d *Directory) removeExclusions(ev *gh.Event, org gh.OrgID, keep func(*gh.Exclusion) bool) {
	for _, e := range d.idx.Exclusions(org, keep) {
		change(ev, gh.KindExclusion, string(e.ID), e, nil)
	}
}
