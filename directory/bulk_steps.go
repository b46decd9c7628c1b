package directory

import (
	"context"
	"slices"

	gh "gatehouse.dev/gatehouse"
)

// bulkSteps runs the action for each user (and each of its workspaces) and
// reports every outcome. A refusal is the user's alone; an internal error
// stops everything.
func (d *Directory) bulkSteps(ctx context.Context, a *Actor, s Scope, users []*gh.User, act bulkAct, preview bool) ([]BulkItem, error) {
	items := []BulkItem{}
	targets := act.workspaces
	if len(targets) == 0 {
		targets = []*gh.Workspace{nil}
	}
	for _, u := range selfLast(a, users) {
		us := d.homeScope(s, u.Home)
		for _, w := range targets {
			it := BulkItem{User: u.ID, Email: u.Email}
			if w != nil {
				it.Workspace = w.Slug
			}
			var changed bool
			var err error
			if act.directory() {
				changed, it.Reason, err = d.bulkStep(ctx, a, us, u, w, act)
			} else if act.step != nil {
				changed, it.Reason, err = act.step(ctx, u, us, preview)
			} else {
				err = gh.Errorf(gh.KindUnsupported, "unsupported", "this server does not sign people in")
			}
			switch {
			case err != nil && gh.KindOf(err) == gh.KindInternal:
				return nil, err
			case err != nil:
				e := gh.AsError(err)
				it.Outcome, it.Code, it.Reason = OutcomeRefused, e.Code, e.Message
			case !changed:
				it.Outcome = OutcomeUnchanged
			case preview:
				it.Outcome, it.Reason = OutcomeWouldChange, ""
			default:
				it.Outcome, it.Reason = OutcomeDone, ""
			}
			items = append(items, it)
		}
	}
	return items, nil
}

// bulkStep applies a directory action to user u (of scope us), in workspace
// w for actions per workspace, through the method of its single endpoint.
// What is so already is reported unchanged, with why, and writes nothing.
func (d *Directory) bulkStep(ctx context.Context, a *Actor, us Scope, u *gh.User, w *gh.Workspace, act bulkAct) (bool, string, error) {
	p := gh.UserPrincipal(u.ID)
	switch act.Type {
	case BulkAssignRole:
		cur := d.idx.AssignmentFor(p, w.ID)
		v, _, _, err := d.Assign(ctx, a, Scope{Org: us.Org, Workspace: w}, p, act.Role)
		if err != nil {
			return false, "", err
		}
		return v.Assignment != cur, "holds this role here already", nil
	case BulkRemoveAssignments:
		cur := d.idx.AssignmentFor(p, w.ID)
		if cur == nil {
			return false, "has no assignment of its own here", nil
		}
		_, err := d.Unassign(ctx, a, Scope{Org: us.Org, Workspace: w}, cur.ID, 0)
		return err == nil, "", err
	case BulkAddToGroup:
		created, _, err := d.AddMember(ctx, a, act.groupScope, act.group.ID, p)
		return created, "is a member already", err
	case BulkRemoveFromGroup:
		if d.idx.Membership(act.group.ID, p) == nil {
			return false, "is not a member of the group itself", nil
		}
		_, err := d.RemoveMember(ctx, a, act.groupScope, act.group.ID, p)
		return err == nil, "", err
	case BulkDisable, BulkEnable:
		want := gh.StatusDisabled
		if act.Type == BulkEnable {
			want = gh.StatusActive
		}
		switch cur := d.idx.User(u.ID); {
		case cur == nil:
			return false, "", gh.NotFound("user") // deleted since it was selected
		case cur.Status == want:
			return false, "is " + string(want) + " already", nil
		case cur.Status == gh.StatusInvited && want == gh.StatusActive:
			return false, "is invited: accepting the invitation makes the account active", nil
		}
		_, _, err := d.UpdateUser(ctx, a, us, u.ID, UserPatch{Status: &want}, 0)
		return err == nil, "", err
	}
	return false, "", gh.Invalid("invalid_input", "action.type", "is not a directory action")
}

// selfLast moves the actor's own account to the end: the others are changed
// while the actor still holds the rights it came with.
func selfLast(a *Actor, users []*gh.User) []*gh.User {
	if a.User == nil {
		return users
	}
	i := slices.IndexFunc(users, func(u *gh.User) bool { return u.ID == a.User.ID })
	if i < 0 {
		return users
	}
	out := append(slices.Delete(slices.Clone(users), i, i+1), users[i])
	return out
}
