package directory

import (
	"context"
	"strings"

	gh "gatehouse.dev/gatehouse"
)

// UserInput is a new user's profile.
type UserInput struct {
	Email      string     `json:"email"`
	GivenName  string     `json:"given_name"`
	FamilyName string     `json:"family_name"`
	Phone      string     `json:"phone"`
	JobTitle   string     `json:"job_title"`
	Department string     `json:"department"`
	Status     gh.Status  `json:"status"`   // active when empty
	OrgRole    gh.OrgRole `json:"org_role"` // org users: member when empty
	// Kind "service" makes a service account: no password, API keys only.
	// Its email may be left out; one under service.invalid is made up.
	Kind gh.UserKind `json:"kind"`
}

func (in UserInput) user(h gh.Home) *gh.User {
	u := &gh.User{
		ID: gh.UserID(gh.NewID("usr")), Home: h, Email: gh.CanonicalEmail(in.Email), Kind: in.Kind,
		GivenName: gh.CleanName(in.GivenName), FamilyName: gh.CleanName(in.FamilyName),
		Phone: gh.CleanName(in.Phone), JobTitle: gh.CleanName(in.JobTitle),
		Department: gh.CleanName(in.Department), Status: in.Status, OrgRole: in.OrgRole,
	}
	if u.Status == "" {
		u.Status = gh.StatusActive
	}
	if u.IsService() && u.Email == "" {
		// Reserved by RFC 2606: it can never receive mail or clash with a person's address.
		u.Email = gh.Slugify(u.GivenName) + "-" + strings.ToLower(string(u.ID[len(u.ID)-6:])) + "@service.invalid"
	}
	if h.IsOrg() && u.OrgRole == "" {
		u.OrgRole = gh.OrgRoleMember
	}
	return u
}

// emailTaken is the conflict of two users of one home with one email. Emails
// are unique per home (the organization, or one workspace), never across
// homes: a refusal must not tell a customer who exists elsewhere.
func emailTaken() error {
	return &gh.Error{Kind: gh.KindConflict, Code: "email_taken", Message: "another user here has this email",
		Fields: map[string]string{"email": "is already in use here"}}
}

// CreateUser creates a user at the scope's home: an org user (Org Admins only)
// or a user of the workspace (workspace.users.add there).
// Errors: KindForbidden, KindInvalid, KindConflict (email taken).
func (d *Directory) CreateUser(ctx context.Context, a *Actor, s Scope, in UserInput) (*gh.User, gh.Revision, error) {
	return d.CreateUserWith(ctx, a, s, in, nil)
}

// CreateUserWith is CreateUser with more work in the same transaction (an
// invitation's one-time link and email), which fails the creation if it fails.
func (d *Directory) CreateUserWith(ctx context.Context, a *Actor, s Scope, in UserInput, after func(c *Change, u *gh.User) error) (*gh.User, gh.Revision, error) {
	if err := d.requireManage(a, s, gh.CapUsersAdd, "create organization users"); err != nil {
		return nil, 0, err
	}
	u := in.user(s.Home())
	if err := u.Validate(); err != nil {
		return nil, 0, err
	}
	if u.OrgRole == gh.OrgRoleAdmin {
		if err := requireFresh(a, "making an Organization Admin"); err != nil {
			return nil, 0, err
		}
	}
	rev, err := d.write(ctx, a, func(w *writer) error {
		if err := d.checkRuleMoves(a, s, nil, u); err != nil {
			return err
		}
		if err := d.createUser(w, u); err != nil {
			return err
		}
		if after != nil {
			return after(&Change{d: d, w: w}, u)
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return u, rev, nil
}

// createUser records u and, in the same write, its home's defaults.
func (d *Directory) createUser(w *writer, u *gh.User) error {
	if d.idx.UserByEmail(u.Home, u.Email) != nil {
		return emailTaken()
	}
	ev := w.event(u.Org, u.Workspace, "user.create", gh.KindUser, string(u.ID))
	u.Touch(w.rev(), w.now)
	change(ev, gh.KindUser, string(u.ID), nil, u)
	d.applyDefaults(w, ev, u, nil)
	return nil
}

// ManagedUser returns a user of the scope that the actor may manage
// (Org Admins; workspace.users.add in a workspace), for changes made outside
// the directory such as setting a temporary password.
func (d *Directory) ManagedUser(a *Actor, s Scope, id gh.UserID) (*gh.User, error) {
	u, err := d.GetUser(a, s, id)
	if err != nil {
		return nil, err
	}
	if err := d.requireManage(a, s, gh.CapUsersAdd, "manage organization users"); err != nil {
		return nil, err
	}
	return u, d.requireCoversUser(a, s, u)
}

// requireCoversUser refuses, outside Org Admins, to take over (set the
// password, email or second factor of) a workspace user who holds more there
// than the actor: signing in as them would be granting oneself their access.
func (d *Directory) requireCoversUser(a *Actor, s Scope, u *gh.User) error {
	if s.Workspace == nil || d.isOrgAdmin(a, s.Org.ID) || (a.User != nil && a.User.ID == u.ID) {
		return nil
	}
	held := &gh.Role{Name: "the access of " + u.Email, Grants: d.idx.Effective(u.ID, s.Workspace.ID)}
	return d.requireCovered(a, s.Workspace, held)
}

// GetUser returns a user of the scope's home. Errors: KindNotFound, KindForbidden.
func (d *Directory) GetUser(a *Actor, s Scope, id gh.UserID) (*gh.User, error) {
	if err := d.requireRead(a, s); err != nil {
		return nil, err
	}
	u := d.idx.User(id)
	if u == nil || !s.Contains(u.Home) {
		return nil, gh.NotFound("user")
	}
	return u, nil
}

// UserFilter narrows a user list.
type UserFilter struct {
	Query   string     // substring of email or name, any case
	Status  gh.Status  // exact
	OrgRole gh.OrgRole // exact (organization users)
	Group   gh.GroupID // members of this group, directly or through nested groups
}

// validateFilter refuses a filter naming a role that does not exist, or a group
// the actor may not see in the scope (as if it did not exist).
func (d *Directory) validateFilter(s Scope, f UserFilter) error {
	if f.OrgRole != "" && f.OrgRole != gh.OrgRoleAdmin && f.OrgRole != gh.OrgRoleMember {
		return gh.Invalid("invalid_input", "org_role", `must be "admin" or "member"`)
	}
	if f.Group != "" {
		if g := d.idx.Group(f.Group); g == nil || !s.Contains(g.Home) {
			return gh.NotFound("group")
		}
	}
	return nil
}

// ListUsers lists the users whose home is the scope, by id.
func (d *Directory) ListUsers(a *Actor, s Scope, f UserFilter, p Page) (List[*gh.User], error) {
	if err := d.requireRead(a, s); err != nil {
		return List[*gh.User]{}, err
	}
	if err := d.validateFilter(s, f); err != nil {
		return List[*gh.User]{}, err
	}
	q := strings.ToLower(f.Query)
	// The group's members are found before the page is read: the page's
	// filter runs under the index's read lock, which must not be taken twice.
	var members map[gh.UserID]bool
	if f.Group != "" {
		members = map[gh.UserID]bool{}
		for _, id := range d.idx.UsersUnder(gh.GroupPrincipal(f.Group)) {
			members[id] = true
		}
	}
	users, more := d.idx.UsersPage(s.Org.ID, s.Home().Workspace, p.After, p.limit(), func(u *gh.User) bool {
		return (f.Status == "" || u.Status == f.Status) && (f.OrgRole == "" || u.OrgRole == f.OrgRole) &&
			(q == "" || strings.Contains(strings.ToLower(u.Email+" "+u.GivenName+" "+u.FamilyName), q)) &&
			(members == nil || members[u.ID])
	})
	return paged(users, more, func(u *gh.User) string { return string(u.ID) }), nil
}

// UserPatch changes a user; nil fields stay.
type UserPatch struct {
	Email        *string     `json:"email"`
	GivenName    *string     `json:"given_name"`
	FamilyName   *string     `json:"family_name"`
	Phone        *string     `json:"phone"`
	JobTitle     *string     `json:"job_title"`
	Department   *string     `json:"department"`
	Status       *gh.Status  `json:"status"`
	OrgRole      *gh.OrgRole `json:"org_role"`
	AllowedCIDRs *[]string   `json:"allowed_cidrs"`
	ProfilePatch
}

// fromDirectory reports whether p changes what a directory owns of the
// users it manages: their attributes, and their status except disabling,
// which an admin may still do at once. Roles and address ranges stay
// Gatehouse's.
func (p UserPatch) fromDirectory() bool {
	return p.Email != nil || p.GivenName != nil || p.FamilyName != nil || p.Phone != nil || p.JobTitle != nil ||
		p.Department != nil || (p.Status != nil && *p.Status != gh.StatusDisabled)
}

func (p UserPatch) profileOnly() bool {
	return p.Email == nil && p.Status == nil && p.OrgRole == nil && p.AllowedCIDRs == nil
}

// UpdateUser changes a user's profile, status or organization role. Users may
// edit their own names and contact details; everything else needs the right
// to manage users of the scope (disabling needs workspace.users.remove in a
// workspace). Disabling a user revokes its API keys in the same change. The
// last active Organization Admin cannot be demoted or disabled.
// Errors: KindNotFound, KindForbidden, KindInvalid, KindConflict, KindPrecondition.
func (d *Directory) UpdateUser(ctx context.Context, a *Actor, s Scope, id gh.UserID, in UserPatch, ifMatch gh.Revision) (*gh.User, gh.Revision, error) {
	cur, err := d.GetUser(a, s, id)
	if err != nil {
		return nil, 0, err
	}
	if in.fromDirectory() {
		if err := d.refuseManaged(a, cur.Managed, "this user"); err != nil {
			return nil, 0, err
		}
	}
	self := a.User != nil && a.User.ID == id
	if !(self && in.profileOnly()) {
		c := gh.CapUsersAdd
		if in.Status != nil && *in.Status == gh.StatusDisabled {
			c = gh.CapUsersRemove
		}
		if err := d.requireManage(a, s, c, "change organization users"); err != nil {
			return nil, 0, err
		}
	}
	var out *gh.User
	rev, err := d.write(ctx, a, func(w *writer) error {
		cur = d.idx.User(id)
		if cur == nil {
			return gh.NotFound("user")
		}
		if err := checkMatch(ifMatch, cur.Revision); err != nil {
			return err
		}
		next := *cur
		in.apply(&next)
		if err := validChange(cur, &next, next.Validate()); err != nil {
			return err
		}
		if err := d.checkManager(cur, in.Manager); err != nil {
			return err
		}
		if err := d.checkRuleMoves(a, s, cur, &next); err != nil {
			return err
		}
		if self && in.AllowedCIDRs != nil {
			if err := keepsActorIn(a, next.AllowedCIDRs, "allowed_cidrs"); err != nil {
				return err
			}
		}
		if gh.NormalizeEmail(next.Email) != gh.NormalizeEmail(cur.Email) && d.idx.UserByEmail(cur.Home, next.Email) != nil {
			return emailTaken()
		}
		if cur.IsOrgAdmin() && !next.IsOrgAdmin() {
			if err := d.keepAnAdmin(cur); err != nil {
				return err
			}
		}
		if next.OrgRole == gh.OrgRoleAdmin && cur.OrgRole != gh.OrgRoleAdmin {
			if err := requireFresh(a, "making an Organization Admin"); err != nil {
				return err
			}
		}
		if !self && gh.NormalizeEmail(next.Email) != gh.NormalizeEmail(cur.Email) {
			// A new address receives the user's reset links: as sensitive as setting a password.
			if err := requireFresh(a, "changing someone's email"); err != nil {
				return err
			}
			if err := d.requireCoversUser(a, s, cur); err != nil {
				return err
			}
		}
		ev := w.event(cur.Org, cur.Workspace, userAction(cur, &next), gh.KindUser, string(id))
		next.Touch(w.rev(), w.now)
		change(ev, gh.KindUser, string(id), cur, &next)
		if next.Status == gh.StatusDisabled && cur.Status != gh.StatusDisabled {
			d.revokeKeys(ev, cur)
			if _, err := w.vault.DeleteSessions(cur.ID, ""); err != nil { // disabling ends every session at once
				return err
			}
		}
		out = &next
		return nil
	})
	return out, rev, err
}

func (p UserPatch) apply(u *gh.User) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = gh.CleanName(*v)
		}
	}
	if p.Email != nil {
		u.Email = gh.CanonicalEmail(*p.Email)
	}
	set(&u.GivenName, p.GivenName)
	set(&u.FamilyName, p.FamilyName)
	set(&u.Phone, p.Phone)
	set(&u.JobTitle, p.JobTitle)
	set(&u.Department, p.Department)
	if p.Status != nil {
		u.Status = *p.Status
	}
	if p.OrgRole != nil {
		u.OrgRole = *p.OrgRole
	}
	if p.AllowedCIDRs != nil {
		u.AllowedCIDRs = *p.AllowedCIDRs
	}
	p.ProfilePatch.apply(u)
}

func userAction(cur, next *gh.User) string {
	switch {
	case next.Status == gh.StatusDisabled && cur.Status != gh.StatusDisabled:
		return "user.disable"
	case next.Status == gh.StatusActive && cur.Status == gh.StatusDisabled:
		return "user.enable"
	case next.OrgRole != cur.OrgRole:
		return "user.org_role.change"
	}
	return "user.update"
}

// keepAnAdmin refuses a change that would leave the organization without an active admin.
func (d *Directory) keepAnAdmin(u *gh.User) error {
	if admins := d.idx.ActiveOrgAdmins(u.Org); len(admins) <= 1 {
		return gh.Errorf(gh.KindConflict, "last_org_admin",
			"%s is the last active Organization Admin; make another user an admin first", u.Email)
	}
	return nil
}

// revokeKeys adds the removal of every API key of u to ev.
func (d *Directory) revokeKeys(ev *gh.Event, u *gh.User) {
	for _, k := range d.idx.KeysOf(u.Org, u.ID) {
		keyChange(ev, k, nil)
	}
}

// DeleteUser deletes a user with its memberships, assignments and keys.
// Errors: KindNotFound, KindForbidden, KindConflict (last admin), KindPrecondition.
func (d *Directory) DeleteUser(ctx context.Context, a *Actor, s Scope, id gh.UserID, ifMatch gh.Revision) (gh.Revision, error) {
	if _, err := d.GetUser(a, s, id); err != nil {
		return 0, err
	}
	if err := d.requireManage(a, s, gh.CapUsersRemove, "delete organization users"); err != nil {
		return 0, err
	}
	return d.write(ctx, a, func(w *writer) error {
		cur := d.idx.User(id)
		if cur == nil {
			return gh.NotFound("user")
		}
		if err := d.refuseManaged(a, cur.Managed, "this user"); err != nil {
			return err
		}
		if err := checkMatch(ifMatch, cur.Revision); err != nil {
			return err
		}
		return d.deleteUser(w, cur)
	})
}

// deleteUser deletes cur with its memberships, assignments, keys and
// sign-in material, keeping the last active Organization Admin.
func (d *Directory) deleteUser(w *writer, cur *gh.User) error {
	if cur.IsOrgAdmin() {
		if err := d.keepAnAdmin(cur); err != nil {
			return err
		}
	}
	ev := w.event(cur.Org, cur.Workspace, "user.delete", gh.KindUser, string(cur.ID))
	d.removePrincipal(ev, gh.UserPrincipal(cur.ID))
	d.revokeKeys(ev, cur)
	change(ev, gh.KindUser, string(cur.ID), cur, nil)
	return w.vault.ForgetUser(cur.ID)
}

// removePrincipal adds to ev the removal of p's memberships, assignments and
// the exclusions naming it.
func (d *Directory) removePrincipal(ev *gh.Event, p gh.Principal) {
	for _, g := range d.idx.GroupsOf(p, false) {
		m := d.idx.Membership(g, p)
		change(ev, gh.KindMembership, m.Key(), m, nil)
	}
	for _, as := range d.idx.AssignmentsOf(p) {
		change(ev, gh.KindAssignment, string(as.ID), as, nil)
	}
	d.removeExclusions(ev, ev.Org, func(e *gh.Exclusion) bool { return e.Principal != nil && *e.Principal == p })
}
