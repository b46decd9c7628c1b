package directory

import (
	"fmt"
	"slices"
	"strings"
	"time"

	gh "gatehouse.dev/gatehouse"
)

// Selecting the users of a bulk action: a list, a filter, or both, among
// the users the actor may take in the scope.

// Selection picks users. Every field set narrows it; at least one is needed.
type Selection struct {
	// Users are ids or emails; an email must name one account the actor sees.
	Users  []string  `json:"users,omitempty"`
	Status gh.Status `json:"status,omitempty"`
	// Home is "org" for the organization's own users, or a workspace (id or slug).
	Home string `json:"home,omitempty"`
	// Group is a group (id, or name at Home or the scope) whose members, at any depth, are taken.
	Group string `json:"group,omitempty"`
	// Role and RoleWorkspace take the users holding that role there, directly or through a group.
	Role          string `json:"role,omitempty"`
	RoleWorkspace string `json:"role_workspace,omitempty"`
	Department    string `json:"department,omitempty"` // exact, any case
	// LastSignInBefore takes users who have not signed in since then (or ever).
	LastSignInBefore *time.Time `json:"last_sign_in_before,omitempty"`
	// InactiveDays takes the people inactive for that many days, as the
	// inactive-accounts report lists them (no sign-in since, never counts,
	// accounts that old or older, not disabled, no service accounts).
	InactiveDays int `json:"inactive_days,omitempty"`
}

// SignInCutoff is the time whose later sign-ins the selection asks about,
// if it asks. Errors: KindInvalid (both filters, or days out of range).
func (d *Directory) SignInCutoff(s Selection) (*time.Time, error) {
	switch {
	case s.InactiveDays != 0 && s.LastSignInBefore != nil:
		return nil, gh.Invalid("invalid_input", "select.inactive_days", "give inactive_days or last_sign_in_before, not both")
	case s.InactiveDays != 0:
		t, err := d.InactiveCutoff(s.InactiveDays, "select.inactive_days")
		return &t, err
	}
	return s.LastSignInBefore, nil
}

func (s Selection) empty() bool {
	return len(s.Users) == 0 && s.Status == "" && s.Home == "" && s.Group == "" && s.Role == "" &&
		s.Department == "" && s.LastSignInBefore == nil && s.InactiveDays == 0
}

// SelectUsers returns the users of a selection, by id, and the entries of
// its list that name no user the actor sees in the scope (answered alike
// whether they exist elsewhere or not). signedIn holds the users who signed
// in since the selection's SignInCutoff. Errors: KindInvalid (an empty selection,
// more than MaxBulk users, an ambiguous email), KindNotFound (a workspace or
// group of the filter), KindForbidden.
func (d *Directory) SelectUsers(a *Actor, s Scope, sel Selection, signedIn map[gh.UserID]bool) ([]*gh.User, []string, error) {
	if err := d.requireRead(a, s); err != nil {
		return nil, nil, err
	}
	if sel.empty() {
		return nil, nil, gh.Invalid("selection_required", "select", "name users (ids or emails) or a filter; a bulk action never takes everyone unasked")
	}
	keep, err := d.selectionFilter(a, s, sel, signedIn)
	if err != nil {
		return nil, nil, err
	}
	var users []*gh.User
	notFound := []string{}
	if len(sel.Users) > 0 {
		seen := map[gh.UserID]bool{}
		for _, ref := range sel.Users {
			u, err := d.bulkUser(a, s, ref)
			if err != nil {
				return nil, nil, err
			}
			switch {
			case u == nil:
				notFound = append(notFound, ref)
			case !seen[u.ID] && keep(u):
				seen[u.ID] = true
				users = append(users, u)
			}
		}
		slices.SortFunc(users, func(x, y *gh.User) int { return strings.Compare(string(x.ID), string(y.ID)) })
	} else {
		users = d.idx.Users(s.Org.ID, keep)
	}
	if len(users) > MaxBulk {
		return nil, nil, gh.Invalid("selection_too_large", "select",
			fmt.Sprintf("%d users match; a bulk action takes at most %d: narrow the selection", len(users), MaxBulk))
	}
	return users, notFound, nil
}

// bulkUser resolves one entry of a selection's list among the users the
// actor may take; nil when there is none.
func (d *Directory) bulkUser(a *Actor, s Scope, ref string) (*gh.User, error) {
	ref = strings.TrimSpace(ref)
	if gh.HasIDPrefix(ref, "usr") {
		if u := d.idx.User(gh.UserID(ref)); u != nil && d.inScope(a, s, u.Home, gh.UserPrincipal(u.ID)) {
			return u, nil
		}
		return nil, nil
	}
	var found []*gh.User
	for _, u := range d.idx.UsersByEmail(s.Org.ID, ref) {
		if d.inScope(a, s, u.Home, gh.UserPrincipal(u.ID)) {
			found = append(found, u)
		}
	}
	if len(found) > 1 {
		return nil, gh.Invalid("ambiguous_user", "select.users",
			ref+" has accounts in several homes you see; name the user by id, or filter by home")
	}
	if len(found) == 0 {
		return nil, nil
	}
	return found[0], nil
}

// selectionFilter turns a selection's filter into a test on users.
func (d *Directory) selectionFilter(a *Actor, s Scope, sel Selection, signedIn map[gh.UserID]bool) (func(*gh.User) bool, error) {
	switch sel.Status {
	case "", gh.StatusInvited, gh.StatusActive, gh.StatusDisabled:
	default:
		return nil, gh.Invalid("invalid_input", "select.status", `must be "invited", "active" or "disabled"`)
	}
	cutoff, err := d.SignInCutoff(sel)
	if err != nil {
		return nil, err
	}
	home, anyHome := s.Home(), s.Workspace == nil
	if sel.Home != "" {
		h, err := d.bulkHome(a, s, sel.Home)
		if err != nil {
			return nil, err
		}
		home, anyHome = h, false
	}
	var members, holders map[gh.UserID]bool
	if sel.Group != "" {
		g, _, err := d.bulkGroup(a, s, sel.Group)
		if err != nil {
			return nil, err
		}
		members = map[gh.UserID]bool{}
		d.usersUnder(gh.GroupPrincipal(g.ID), members, 0)
	}
	if sel.Role != "" {
		var err error
		if holders, err = d.roleHolders(a, s, sel); err != nil {
			return nil, err
		}
	}
	return func(u *gh.User) bool {
		return d.inScope(a, s, u.Home, gh.UserPrincipal(u.ID)) &&
			(anyHome || u.Home == home) &&
			(sel.Status == "" || u.Status == sel.Status) &&
			(members == nil || members[u.ID]) &&
			(holders == nil || holders[u.ID]) &&
			(sel.Department == "" || strings.EqualFold(strings.TrimSpace(sel.Department), u.Department)) &&
			(sel.LastSignInBefore == nil || !signedIn[u.ID]) &&
			(sel.InactiveDays == 0 || inactive(u, signedIn[u.ID], *cutoff))
	}, nil
}

// bulkHome resolves a selection's home: "org", or a workspace the actor sees.
func (d *Directory) bulkHome(a *Actor, s Scope, ref string) (gh.Home, error) {
	if ref == "org" {
		if s.Workspace != nil {
			return gh.Home{}, gh.Invalid("invalid_input", "select.home", "on a workspace's path, only that workspace's users are selected")
		}
		return gh.Home{Org: s.Org.ID}, nil
	}
	w, err := d.Workspace(a, s.Org, ref)
	if err != nil {
		return gh.Home{}, err
	}
	if s.Workspace != nil && w.ID != s.Workspace.ID {
		return gh.Home{}, gh.Invalid("invalid_input", "select.home", "on a workspace's path, only that workspace's users are selected")
	}
	return gh.Home{Org: s.Org.ID, Workspace: w.ID}, nil
}

// roleHolders are the users assigned sel.Role in sel.RoleWorkspace, directly or through a group.
func (d *Directory) roleHolders(a *Actor, s Scope, sel Selection) (map[gh.UserID]bool, error) {
	w := s.Workspace
	if sel.RoleWorkspace != "" {
		var err error
		if w, err = d.Workspace(a, s.Org, sel.RoleWorkspace); err != nil {
			return nil, err
		}
	}
	if w == nil {
		return nil, gh.Invalid("invalid_input", "select.role_workspace", "name the workspace the role is held in")
	}
	r := d.findRole(Scope{Org: s.Org, Workspace: w}, strings.TrimSpace(sel.Role))
	if r == nil {
		return nil, roleNotFound("select.role")
	}
	out := map[gh.UserID]bool{}
	for _, as := range d.idx.AssignmentsIn(w.ID) {
		if as.Role == r.ID {
			d.usersUnder(as.Principal, out, 0)
		}
	}
	return out, nil
}

// usersUnder adds p, if a user, or every user inside group p at any depth.
func (d *Directory) usersUnder(p gh.Principal, out map[gh.UserID]bool, depth int) {
	if p.Type == gh.PrincipalUser {
		out[gh.UserID(p.ID)] = true
		return
	}
	if depth > gh.MaxGroupDepth {
		return
	}
	for _, m := range d.idx.Members(gh.GroupID(p.ID)) {
		d.usersUnder(m.Member, out, depth+1)
	}
}
