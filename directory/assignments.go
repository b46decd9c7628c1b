package directory

import (
	"context"

	gh "gatehouse.dev/gatehouse"
)

// AssignmentView is an assignment with the names people read.
type AssignmentView struct {
	*gh.Assignment
	PrincipalName string `json:"principal_name"`
	RoleName      string `json:"role_name"`
}

func (d *Directory) view(a *Actor, as *gh.Assignment) AssignmentView {
	v := AssignmentView{Assignment: as, PrincipalName: d.principalSeenBy(a, as.Org, as.Principal)}
	if r := d.idx.Role(as.Role); r != nil {
		v.RoleName = r.Name
	}
	return v
}

// mayAssign checks the right to create, change or remove principal p's
// assignment with role r in the scope's workspace (DESIGN §2 "Who may change what").
func (d *Directory) mayAssign(a *Actor, s Scope, home gh.Home, r *gh.Role) error {
	if d.isOrgAdmin(a, s.Org.ID) {
		return nil
	}
	if err := d.requireManage(a, s, gh.CapRolesAssign, ""); err != nil {
		return err
	}
	if home.IsOrg() && (a.User == nil || !a.User.IsOrg()) {
		return gh.Forbidden("organization users and groups are managed by the organization; workspace users see them read-only")
	}
	return d.requireCovered(a, s.Workspace, r)
}

// Assign gives principal p role roleRef (id or name) in the scope's workspace.
// A principal has at most one assignment per workspace: assigning again
// changes its role. Workspace principals can only be assigned in their own
// workspace. Returns the assignment and whether it was created.
// Errors: KindInvalid, KindForbidden (including escalation), KindNotFound.
func (d *Directory) Assign(ctx context.Context, a *Actor, s Scope, p gh.Principal, roleRef string) (AssignmentView, bool, gh.Revision, error) {
	if s.Workspace == nil {
		return AssignmentView{}, false, 0, gh.Errorf(gh.KindInvalid, "workspace_required", "assignments belong to a workspace")
	}
	var out *gh.Assignment
	var created bool
	rev, err := d.write(ctx, a, func(w *writer) error {
		home, err := d.principalHome(a, s.Org.ID, p)
		if err != nil {
			return memberErr(err)
		}
		if !home.IsOrg() && home.Workspace != s.Workspace.ID {
			return gh.Errorf(gh.KindInvalid, "principal_home", "users and groups of a workspace can only be assigned in their own workspace")
		}
		r := d.findRole(s, roleRef)
		if r == nil {
			return roleNotFound("role")
		}
		if r.ID == gh.RoleAdmin {
			if err := requireFresh(a, "granting Admin"); err != nil {
				return err
			}
		}
		if err := d.mayAssign(a, s, home, r); err != nil {
			return err
		}
		cur := d.idx.AssignmentFor(p, s.Workspace.ID)
		if cur != nil && cur.Role == r.ID {
			out = cur
			return nil
		}
		next := &gh.Assignment{ID: gh.AssignmentID(gh.NewID("asg")), Org: s.Org.ID, Workspace: s.Workspace.ID, Principal: p, Role: r.ID}
		action := "assignment.create"
		if cur != nil {
			if err := d.mayAssign(a, s, home, d.idx.Role(cur.Role)); err != nil {
				return err
			}
			c := *cur
			c.Role = r.ID
			next, action = &c, "assignment.update"
		}
		ev := w.event(s.Org.ID, s.Workspace.ID, action, gh.KindAssignment, string(next.ID))
		next.Touch(w.rev(), w.now)
		change(ev, gh.KindAssignment, string(next.ID), cur, next)
		out, created = next, cur == nil
		return nil
	})
	if err != nil {
		return AssignmentView{}, false, 0, err
	}
	return d.view(a, out), created, rev, nil
}

// GetAssignment returns an assignment of the scope's workspace.
func (d *Directory) GetAssignment(a *Actor, s Scope, id gh.AssignmentID) (AssignmentView, error) {
	as := d.idx.Assignment(id)
	if s.Workspace == nil || as == nil || as.Workspace != s.Workspace.ID {
		return AssignmentView{}, gh.NotFound("assignment")
	}
	return d.view(a, as), nil
}

// ListAssignments lists the assignments of the scope's workspace, by id.
func (d *Directory) ListAssignments(a *Actor, s Scope, p Page) (List[AssignmentView], error) {
	if s.Workspace == nil {
		return List[AssignmentView]{}, gh.Errorf(gh.KindInvalid, "workspace_required", "assignments belong to a workspace")
	}
	all := d.idx.AssignmentsIn(s.Workspace.ID)
	views := make([]AssignmentView, len(all))
	for i, as := range all {
		views[i] = d.view(a, as)
	}
	return paginate(views, func(v AssignmentView) string { return string(v.ID) }, p), nil
}

// PrincipalAssignments lists a principal's assignments in every workspace the actor can see.
func (d *Directory) PrincipalAssignments(a *Actor, s Scope, p gh.Principal) ([]AssignmentView, error) {
	if err := d.requireRead(a, s); err != nil {
		return nil, err
	}
	out := []AssignmentView{}
	for _, as := range d.idx.AssignmentsOf(p) {
		if ws := d.idx.Workspace(as.Workspace); ws != nil && d.seesWorkspace(a, ws) {
			out = append(out, d.view(a, as))
		}
	}
	return out, nil
}

// Unassign removes an assignment, with the same rights as making it.
func (d *Directory) Unassign(ctx context.Context, a *Actor, s Scope, id gh.AssignmentID, ifMatch gh.Revision) (gh.Revision, error) {
	if _, err := d.GetAssignment(a, s, id); err != nil {
		return 0, err
	}
	return d.write(ctx, a, func(w *writer) error {
		cur := d.idx.Assignment(id)
		if cur == nil {
			return gh.NotFound("assignment")
		}
		if err := checkMatch(ifMatch, cur.Revision); err != nil {
			return err
		}
		home, err := d.principalHome(a, s.Org.ID, cur.Principal)
		if err != nil {
			return err
		}
		if err := d.mayAssign(a, s, home, d.idx.Role(cur.Role)); err != nil {
			return err
		}
		ev := w.event(cur.Org, cur.Workspace, "assignment.delete", gh.KindAssignment, string(id))
		change(ev, gh.KindAssignment, string(id), cur, nil)
		return nil
	})
}

// GrantableRoles lists the roles the actor may give a principal living at
// home in the scope's workspace, so that a picker offers only what would be
// accepted. The rules are mayAssign's, the same Assign applies.
func (d *Directory) GrantableRoles(a *Actor, s Scope, home gh.Home) ([]*gh.Role, error) {
	if s.Workspace == nil {
		return nil, gh.Errorf(gh.KindInvalid, "workspace_required", "assignments belong to a workspace")
	}
	usable, err := d.ListRoles(a, s, true, Page{})
	if err != nil {
		return nil, err
	}
	out := []*gh.Role{}
	for _, r := range usable.Items {
		if d.mayAssign(a, s, home, r) == nil {
			out = append(out, r)
		}
	}
	return out, nil
}
