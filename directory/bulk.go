package directory

import (
	"context"
	"fmt"
	"slices"
	"strings"

	gh "gatehouse.dev/gatehouse"
)

// Bulk actions on people. A selection — a list of ids or emails, a filter,
// or both — names users the actor sees in the scope; one action applies to
// each of them through the method of its single endpoint, so each user's step
// keeps that endpoint's rules. Refusals are per user and reported, never
// dropped: the other users' changes go ahead. Directory changes (roles,
// groups, status) are one batch: they commit together, each its own event
// carrying the batch id. A preview runs the same steps and keeps nothing.

// MaxBulk bounds the users one bulk action may select.
const MaxBulk = 1000

// The bulk actions.
const (
	BulkAssignRole        = "assign_role"
	BulkRemoveAssignments = "remove_assignments"
	BulkAddToGroup        = "add_to_group"
	BulkRemoveFromGroup   = "remove_from_group"
	BulkDisable           = "disable"
	BulkEnable            = "enable"
	BulkEndSessions       = "end_sessions"
	BulkRequireReset      = "require_password_reset"
	BulkResetMFA          = "reset_mfa"
)

// BulkAction is what to do to every selected user.
type BulkAction struct {
	Type string `json:"type"`
	// Role (id or name) for assign_role.
	Role string `json:"role,omitempty"`
	// Workspaces (ids or slugs) for assign_role and remove_assignments; on a
	// workspace's path, that workspace.
	Workspaces []string `json:"workspaces,omitempty"`
	// Group (id or name) for add_to_group and remove_from_group.
	Group string `json:"group,omitempty"`
}

// BulkInput is one bulk call.
type BulkInput struct {
	Select  Selection  `json:"select"`
	Action  BulkAction `json:"action"`
	Preview bool       `json:"preview,omitempty"`
	// AllOrNothing changes nobody unless every selected user passes.
	AllOrNothing bool `json:"all_or_nothing,omitempty"`
}

// What happened to one user (in one workspace, for actions per workspace).
const (
	OutcomeWouldChange = "would_change" // preview: the action would change this user
	OutcomeDone        = "done"
	OutcomeUnchanged   = "unchanged" // nothing to do: already so
	OutcomeRefused     = "refused"   // a rule refused this user; nothing was changed for it
)

// BulkItem is the outcome for one selected user.
type BulkItem struct {
	User      gh.UserID `json:"user_id"`
	Email     string    `json:"email"`
	Workspace string    `json:"workspace,omitempty"` // slug, for actions per workspace
	Outcome   string    `json:"outcome"`
	Code      string    `json:"code,omitempty"`
	Reason    string    `json:"reason,omitempty"`
}

// BulkResult is the answer to a bulk call: every selected user's outcome.
type BulkResult struct {
	// BatchID is carried by the events of every change the call made.
	BatchID string `json:"batch_id"`
	Preview bool   `json:"preview"`
	Action  string `json:"action"`
	// Matched counts the users selected.
	Matched int `json:"matched"`
	// Counts tallies the items by outcome.
	Counts map[string]int `json:"counts"`
	Items  []BulkItem     `json:"items"`
	// NotFound are the entries of select.users that name no user the caller sees.
	NotFound []string    `json:"not_found"`
	Revision gh.Revision `json:"revision"`
}

// UserStep does, or with preview only judges, an action outside the
// directory (sessions, second factors, reset links) to user u at scope us,
// the user's home. It reports whether it changes anything; a refusal is an
// error of any kind but internal.
type UserStep func(ctx context.Context, u *gh.User, us Scope, preview bool) (changed bool, why string, err error)

// Bulk selects users and applies one action to each. Directory actions are
// the directory's own; the others go through step. signedIn, when the
// selection filters by last sign-in, holds the users who signed in since.
// Errors: KindInvalid (bad input, nothing selected, more than MaxBulk users),
// KindForbidden, KindNotFound (a workspace or group of the call).
func (d *Directory) Bulk(ctx context.Context, a *Actor, s Scope, in BulkInput, batchID string, signedIn map[gh.UserID]bool, step UserStep) (*BulkResult, error) {
	act, err := d.bulkAction(a, s, in.Action)
	if err != nil {
		return nil, err
	}
	done := d.Read(s.Org.ID) // select among committed users only; each step checks again inside its write
	users, notFound, err := d.SelectUsers(a, s, in.Select, signedIn)
	done()
	if err != nil {
		return nil, err
	}
	res := &BulkResult{BatchID: batchID, Preview: in.Preview, Action: in.Action.Type, Matched: len(users), NotFound: notFound, Items: []BulkItem{}}
	strict := in.AllOrNothing && !in.Preview
	if act.step = step; act.directory() {
		res.Revision, err = d.Batch(ctx, a, batchID, in.Preview, func(ctx context.Context) error {
			items, err := d.bulkSteps(ctx, a, s, users, act, in.Preview)
			res.Items = items
			if err == nil && strict {
				err = refusedAny(res)
			}
			return err
		})
	} else {
		if strict { // judged for everyone first: the steps are transactions of their own
			if res.Items, err = d.bulkSteps(ctx, a, s, users, act, true); err == nil {
				err = refusedAny(res)
			}
		}
		if err == nil {
			res.Items, err = d.bulkSteps(ctx, a, s, users, act, in.Preview)
		}
		res.Revision = d.idx.Revision()
	}
	if err != nil {
		return nil, err
	}
	res.tally()
	return res, nil
}

func (r *BulkResult) tally() {
	r.Counts = map[string]int{}
	for _, it := range r.Items {
		r.Counts[it.Outcome]++
	}
}

// BulkRefused refuses a bulk call made all or nothing: some users were
// refused, so nobody was changed. Result says what each would have had.
type BulkRefused struct{ Result *BulkResult }

func (e *BulkRefused) Error() string { return e.Unwrap().Error() }

// Unwrap lets KindOf see the refusal as a conflict, with each refused user's reason as a field.
func (e *BulkRefused) Unwrap() error {
	f := gh.Fields{}
	for _, it := range e.Result.Items {
		if it.Outcome == OutcomeRefused {
			f.Add(strings.TrimSpace(it.Email+" "+it.Workspace), it.Reason)
		}
	}
	return &gh.Error{Kind: gh.KindConflict, Code: "bulk_refused", Fields: f,
		Message: fmt.Sprintf("%d of the selected users were refused; with all_or_nothing nobody was changed", e.Result.Counts[OutcomeRefused])}
}

// refusedAny is a *BulkRefused when any user of res was refused; what was
// done to the others is then undone, so it reads as what would have been.
func refusedAny(res *BulkResult) error {
	res.tally()
	if res.Counts[OutcomeRefused] == 0 {
		return nil
	}
	out := *res
	out.Items = slices.Clone(res.Items)
	for i := range out.Items {
		if out.Items[i].Outcome == OutcomeDone {
			out.Items[i].Outcome = OutcomeWouldChange
		}
	}
	out.Revision = 0
	out.tally()
	return &BulkRefused{Result: &out}
}

// bulkAct is an action with its workspaces and group resolved.
type bulkAct struct {
	BulkAction
	workspaces []*gh.Workspace
	group      *gh.Group
	groupScope Scope
	step       UserStep
}

func (b bulkAct) directory() bool {
	switch b.Type {
	case BulkEndSessions, BulkRequireReset, BulkResetMFA:
		return false
	}
	return true
}

// bulkAction checks an action and resolves what it names.
func (d *Directory) bulkAction(a *Actor, s Scope, in BulkAction) (bulkAct, error) {
	act := bulkAct{BulkAction: in}
	switch in.Type {
	case BulkAssignRole, BulkRemoveAssignments:
		if in.Type == BulkAssignRole && strings.TrimSpace(in.Role) == "" {
			return act, gh.Invalid("invalid_input", "action.role", "is required to assign a role")
		}
		if s.Workspace != nil {
			if len(in.Workspaces) > 1 || (len(in.Workspaces) == 1 && d.notThis(a, s, in.Workspaces[0])) {
				return act, gh.Invalid("invalid_input", "action.workspaces", "on a workspace's path, only that workspace")
			}
			act.workspaces = []*gh.Workspace{s.Workspace}
			return act, nil
		}
		if len(in.Workspaces) == 0 {
			return act, gh.Invalid("invalid_input", "action.workspaces", "name the workspaces (ids or slugs) to "+strings.ReplaceAll(in.Type, "_", " ")+" in")
		}
		for _, ref := range in.Workspaces {
			w, err := d.Workspace(a, s.Org, ref)
			if err != nil {
				return act, err
			}
			if !slices.Contains(act.workspaces, w) {
				act.workspaces = append(act.workspaces, w)
			}
		}
	case BulkAddToGroup, BulkRemoveFromGroup:
		g, gs, err := d.bulkGroup(a, s, in.Group)
		if err != nil {
			return act, err
		}
		act.group, act.groupScope = g, gs
	case BulkDisable, BulkEnable, BulkEndSessions, BulkRequireReset, BulkResetMFA:
	default:
		return act, gh.Invalid("invalid_input", "action.type", "must be one of "+strings.Join([]string{BulkAssignRole, BulkRemoveAssignments,
			BulkAddToGroup, BulkRemoveFromGroup, BulkDisable, BulkEnable, BulkEndSessions, BulkRequireReset, BulkResetMFA}, ", "))
	}
	return act, nil
}

// notThis reports whether ref names a workspace other than the scope's.
func (d *Directory) notThis(a *Actor, s Scope, ref string) bool {
	w, err := d.Workspace(a, s.Org, ref)
	return err != nil || w.ID != s.Workspace.ID
}

// bulkGroup resolves a group by id or name among those the actor sees from
// the scope: the scope's own groups, and at the organization those of the
// workspaces the actor sees. A name must be unambiguous.
func (d *Directory) bulkGroup(a *Actor, s Scope, ref string) (*gh.Group, Scope, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return nil, Scope{}, gh.Invalid("invalid_input", "group", "name a group (id or name)")
	}
	var found []*gh.Group
	for _, g := range d.idx.Groups(s.Org.ID, func(g *gh.Group) bool {
		return (string(g.ID) == ref || strings.EqualFold(g.Name, ref)) && d.inScope(a, s, g.Home, gh.GroupPrincipal(g.ID))
	}) {
		found = append(found, g)
	}
	switch {
	case len(found) == 0:
		return nil, Scope{}, gh.NotFound("group")
	case len(found) > 1:
		return nil, Scope{}, gh.Invalid("ambiguous_group", "group", "several groups you see have this name; name the group by id")
	}
	return found[0], d.homeScope(s, found[0].Home), nil
}

// inScope reports whether a principal of home h is one a bulk call at scope
// s may take: at a workspace, that workspace's own; at the organization, any
// the actor sees.
func (d *Directory) inScope(a *Actor, s Scope, h gh.Home, p gh.Principal) bool {
	if s.Workspace != nil {
		return s.Contains(h)
	}
	return h.Org == s.Org.ID && d.seesPrincipal(a, h, p)
}

// homeScope is the scope of home h, inside the organization of s.
func (d *Directory) homeScope(s Scope, h gh.Home) Scope {
	if h.IsOrg() {
		return Scope{Org: s.Org}
	}
	return Scope{Org: s.Org, Workspace: d.idx.Workspace(h.Workspace)}
}
