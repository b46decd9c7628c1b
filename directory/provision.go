package directory

import (
	"context"
	"slices"

	gh "gatehouse.dev/gatehouse"
)

// Provisioning: a connected directory creates, changes and removes users
// and groups of its own home, and only those it manages (or adopts). Each
// change is its event, by the directory. Roles and assignments stay
// Gatehouse's: a directory never gives access, it only says who is who
// and who is in which of its groups.

// DirectoryActor is the actor of what a directory changes.
func DirectoryActor(x *gh.ExternalDirectory, src gh.Source) *Actor {
	return &Actor{Directory: x.ID, Source: src}
}

// ProvisionInput is a person as a directory describes them.
type ProvisionInput struct {
	ExternalID string
	Email      string
	GivenName  string
	FamilyName string
	Phone      string
	JobTitle   string
	Department string
	Active     bool
}

func managedBy(m *gh.Managed, id gh.ExternalDirectoryID) bool { return m != nil && m.Directory == id }

// refuseManaged refuses a change of what a directory manages, unless the
// directory itself makes it.
func (d *Directory) refuseManaged(a *Actor, m *gh.Managed, what string) error {
	if m == nil || a.Directory == m.Directory || a.System {
		return nil
	}
	name := string(m.Directory)
	if x := d.idx.ExternalDirectory(m.Directory); x != nil {
		name = x.Name
	}
	return gh.Errorf(gh.KindConflict, "managed_by_directory", "%s is provisioned by the directory %q; change it there", what, name)
}

// usable refuses a disabled directory, or one whose home is not active.
func (d *Directory) usable(x *gh.ExternalDirectory) error {
	cur := d.idx.ExternalDirectory(x.ID)
	if cur == nil || cur.Disabled {
		return gh.Errorf(gh.KindForbidden, "directory_disabled", "the directory is disabled or disconnected")
	}
	if o := d.idx.Org(x.Org); o == nil || !o.Active() {
		return gh.Errorf(gh.KindForbidden, "home_inactive", "the organization is not active")
	}
	return nil
}

// ProvisionedUser returns a user x manages; any other answers not found.
func (d *Directory) ProvisionedUser(x *gh.ExternalDirectory, id gh.UserID) (*gh.User, error) {
	u := d.idx.User(id)
	if u == nil || u.Home != x.Home || !managedBy(u.Managed, x.ID) {
		return nil, gh.NotFound("user")
	}
	return u, nil
}

// ProvisionedUserByEmail returns the user x manages with that email,
// compared in its normalized form, or nil: a directory looks a person up
// by userName before creating them, and the index answers without a scan.
func (d *Directory) ProvisionedUserByEmail(x *gh.ExternalDirectory, email string) *gh.User {
	if u := d.idx.UserByEmail(x.Home, email); u != nil && managedBy(u.Managed, x.ID) {
		return u
	}
	return nil
}

// ProvisionedUsers lists the users x manages accepted by keep, by id.
func (d *Directory) ProvisionedUsers(x *gh.ExternalDirectory, keep func(*gh.User) bool) []*gh.User {
	return d.managedUsers(x, keep)
}

func (d *Directory) managedUsers(x *gh.ExternalDirectory, keep func(*gh.User) bool) []*gh.User {
	us, _ := d.idx.UsersPage(x.Org, x.Workspace, "", 1<<30, func(u *gh.User) bool { return managedBy(u.Managed, x.ID) && keep(u) })
	return us
}

// ProvisionedGroup returns a group x manages; any other answers not found.
func (d *Directory) ProvisionedGroup(x *gh.ExternalDirectory, id gh.GroupID) (*gh.Group, error) {
	g := d.idx.Group(id)
	if g == nil || g.Home != x.Home || !managedBy(g.Managed, x.ID) {
		return nil, gh.NotFound("group")
	}
	return g, nil
}

// ProvisionedGroups lists the groups x manages accepted by keep, by id.
func (d *Directory) ProvisionedGroups(x *gh.ExternalDirectory, keep func(*gh.Group) bool) []*gh.Group {
	return d.idx.GroupsIn(x.Home, func(g *gh.Group) bool { return managedBy(g.Managed, x.ID) && keep(g) })
}

// ProvisionedMembers lists the direct user members of one of x's groups,
// by id; any other group answers not found.
func (d *Directory) ProvisionedMembers(x *gh.ExternalDirectory, id gh.GroupID) ([]gh.UserID, error) {
	if _, err := d.ProvisionedGroup(x, id); err != nil {
		return nil, err
	}
	var out []gh.UserID
	for _, m := range d.idx.Members(id) {
		if m.Member.Type == gh.PrincipalUser {
			out = append(out, gh.UserID(m.Member.ID))
		}
	}
	slices.Sort(out)
	return out, nil
}

// ProvisionUser creates a user of x's home, or adopts the home's user with
// that email when x may. An email held by a user x may not take is a
// conflict (SCIM's uniqueness).
func (d *Directory) ProvisionUser(ctx context.Context, a *Actor, x *gh.ExternalDirectory, in ProvisionInput) (*gh.User, gh.Revision, error) {
	u := UserInput{Email: in.Email}.user(x.Home)
	in.fill(u)
	u.Managed = &gh.Managed{Directory: x.ID, ExternalID: in.ExternalID}
	if err := u.Validate(); err != nil {
		return nil, 0, err
	}
	var out *gh.User
	rev, err := d.write(ctx, a, func(w *writer) error {
		if err := d.usable(x); err != nil {
			return err
		}
		cur := d.idx.UserByEmail(x.Home, u.Email)
		if cur == nil {
			ev := w.event(u.Org, u.Workspace, "user.create", gh.KindUser, string(u.ID))
			u.Touch(w.rev(), w.now)
			change(ev, gh.KindUser, string(u.ID), nil, u)
			d.applyDefaults(w, ev, u, nil)
			out = u
			return nil
		}
		if cur.Managed != nil || !x.AdoptExisting || cur.IsService() {
			return emailTaken()
		}
		next := *cur
		in.fill(&next)
		next.Managed = u.Managed
		var err error
		out, err = d.putManaged(w, "user.adopt", cur, &next)
		return err
	})
	return out, rev, err
}

// fill copies the directory's attributes onto u.
func (in ProvisionInput) fill(u *gh.User) {
	u.Email = gh.CanonicalEmail(in.Email)
	u.GivenName, u.FamilyName = gh.CleanName(in.GivenName), gh.CleanName(in.FamilyName)
	u.Phone, u.JobTitle, u.Department = gh.CleanName(in.Phone), gh.CleanName(in.JobTitle), gh.CleanName(in.Department)
	switch {
	case !in.Active:
		u.Status = gh.StatusDisabled
	case u.Status != gh.StatusInvited:
		u.Status = gh.StatusActive
	}
}

// UpdateManagedUser sets a managed user's attributes to the directory's
// (a SCIM PUT, or a PATCH applied to what the directory read). Disabling
// ends the user's access, sessions and keys at once.
func (d *Directory) UpdateManagedUser(ctx context.Context, a *Actor, x *gh.ExternalDirectory, id gh.UserID, in ProvisionInput) (*gh.User, gh.Revision, error) {
	var out *gh.User
	rev, err := d.write(ctx, a, func(w *writer) error {
		if err := d.usable(x); err != nil {
			return err
		}
		cur, err := d.ProvisionedUser(x, id)
		if err != nil {
			return err
		}
		next := *cur
		in.fill(&next)
		if in.ExternalID != "" {
			next.Managed = &gh.Managed{Directory: x.ID, ExternalID: in.ExternalID}
		}
		if gh.NormalizeEmail(next.Email) != gh.NormalizeEmail(cur.Email) && d.idx.UserByEmail(cur.Home, next.Email) != nil {
			return emailTaken()
		}
		if err := validChange(cur, &next, next.Validate()); err != nil {
			return err
		}
		if slices.Equal([]string{next.Email, next.GivenName, next.FamilyName, next.Phone, next.JobTitle, next.Department, string(next.Status), next.Managed.ExternalID},
			[]string{cur.Email, cur.GivenName, cur.FamilyName, cur.Phone, cur.JobTitle, cur.Department, string(cur.Status), cur.Managed.ExternalID}) {
			out = cur // nothing changed: no event
			return nil
		}
		out, err = d.putManaged(w, userAction(cur, &next), cur, &next)
		return err
	})
	return out, rev, err
}

// putManaged records a managed user's new version; a user disabled by it
// loses its sessions and keys in the same change, and the last active
// Organization Admin is kept.
func (d *Directory) putManaged(w *writer, action string, cur, next *gh.User) (*gh.User, error) {
	if cur.IsOrgAdmin() && next.Status == gh.StatusDisabled && cur.Status != gh.StatusDisabled {
		if err := d.keepAnAdmin(cur); err != nil {
			return nil, err
		}
	}
	ev := w.event(cur.Org, cur.Workspace, action, gh.KindUser, string(cur.ID))
	next.Touch(w.rev(), w.now)
	change(ev, gh.KindUser, string(cur.ID), cur, next)
	if next.Status == gh.StatusDisabled && cur.Status != gh.StatusDisabled {
		d.revokeKeys(ev, cur)
		if _, err := w.vault.DeleteSessions(cur.ID, ""); err != nil {
			return nil, err
		}
	}
	return next, nil
}

// DeleteManagedUser deletes a managed user with its memberships,
// assignments, keys and sign-in material.
func (d *Directory) DeleteManagedUser(ctx context.Context, a *Actor, x *gh.ExternalDirectory, id gh.UserID) (gh.Revision, error) {
	return d.write(ctx, a, func(w *writer) error {
		if err := d.usable(x); err != nil {
			return err
		}
		cur, err := d.ProvisionedUser(x, id)
		if err != nil {
			return err
		}
		return d.deleteUser(w, cur)
	})
}

// ProvisionGroup creates a group of x's home with the given members, all
// users x manages. A name taken in the home is a conflict.
func (d *Directory) ProvisionGroup(ctx context.Context, a *Actor, x *gh.ExternalDirectory, externalID, name string, members []gh.UserID) (*gh.Group, gh.Revision, error) {
	g := &gh.Group{ID: gh.GroupID(gh.NewID("grp")), Home: x.Home, Name: gh.CleanName(name),
		Managed: &gh.Managed{Directory: x.ID, ExternalID: externalID}}
	if err := g.Validate(); err != nil {
		return nil, 0, err
	}
	rev, err := d.write(ctx, a, func(w *writer) error {
		if err := d.usable(x); err != nil {
			return err
		}
		if d.groupNamed(g.Home, g.Name) != nil {
			return nameTaken("group here")
		}
		if err := d.checkManagedMembers(x, members); err != nil {
			return err
		}
		ev := w.event(g.Org, g.Workspace, "group.create", gh.KindGroup, string(g.ID))
		g.Touch(w.rev(), w.now)
		change(ev, gh.KindGroup, string(g.ID), nil, g)
		d.setMembers(w, g, members, nil)
		d.follow(w, x, members, d.inAfter(g.ID, members, nil), "", g)
		return nil
	})
	return g, rev, err
}

// GroupChange is what a directory changes of one of its groups: its name,
// members added and removed, or (Replace) the whole membership.
type GroupChange struct {
	Name       *string
	ExternalID *string
	Add        []gh.UserID
	Remove     []gh.UserID
	Replace    *[]gh.UserID
}

// UpdateManagedGroup applies a directory's change to one of its groups.
func (d *Directory) UpdateManagedGroup(ctx context.Context, a *Actor, x *gh.ExternalDirectory, id gh.GroupID, ch GroupChange) (*gh.Group, gh.Revision, error) {
	var out *gh.Group
	rev, err := d.write(ctx, a, func(w *writer) error {
		if err := d.usable(x); err != nil {
			return err
		}
		cur, err := d.ProvisionedGroup(x, id)
		if err != nil {
			return err
		}
		next := *cur
		if ch.Name != nil {
			next.Name = gh.CleanName(*ch.Name)
		}
		if ch.ExternalID != nil {
			next.Managed = &gh.Managed{Directory: x.ID, ExternalID: *ch.ExternalID}
		}
		if err := validChange(cur, &next, next.Validate()); err != nil {
			return err
		}
		if other := d.groupNamed(cur.Home, next.Name); other != nil && other.ID != id {
			return nameTaken("group here")
		}
		add, remove := ch.Add, ch.Remove
		if ch.Replace != nil {
			add, remove = d.diffMembers(id, *ch.Replace)
		}
		if err := d.checkManagedMembers(x, add); err != nil {
			return err
		}
		if next.Name != cur.Name || !managedBy(cur.Managed, x.ID) || next.Managed.ExternalID != cur.Managed.ExternalID {
			ev := w.event(cur.Org, cur.Workspace, "group.update", gh.KindGroup, string(id))
			next.Touch(w.rev(), w.now)
			change(ev, gh.KindGroup, string(id), cur, &next)
		}
		d.setMembers(w, &next, add, remove)
		affected := slices.Concat(add, remove)
		if next.Name != cur.Name || next.Managed.ExternalID != cur.Managed.ExternalID {
			affected = append(affected, d.userMembers(id)...) // followers by the old name or id may change
		}
		d.follow(w, x, affected, d.inAfter(id, add, remove), "", &next)
		out = &next
		return nil
	})
	return out, rev, err
}

// diffMembers is what makes g's direct user members exactly want.
func (d *Directory) diffMembers(g gh.GroupID, want []gh.UserID) (add, remove []gh.UserID) {
	has := map[gh.UserID]bool{}
	for _, m := range d.idx.Members(g) {
		if m.Member.Type == gh.PrincipalUser {
			has[gh.UserID(m.Member.ID)] = true
		}
	}
	for _, u := range want {
		if !has[u] {
			add = append(add, u)
		}
		delete(has, u)
	}
	for u := range has {
		remove = append(remove, u)
	}
	slices.Sort(remove)
	return add, remove
}

// checkManagedMembers refuses members that are not users x manages: a
// directory groups its own people only.
func (d *Directory) checkManagedMembers(x *gh.ExternalDirectory, ids []gh.UserID) error {
	for _, id := range ids {
		if _, err := d.ProvisionedUser(x, id); err != nil {
			return gh.Invalid("invalid_member", "members", "member "+string(id)+" is not a user this directory provisioned")
		}
	}
	return nil
}

// setMembers adds and removes g's user members, one event each; members
// already in (or already out) are left alone.
func (d *Directory) setMembers(w *writer, g *gh.Group, add, remove []gh.UserID) {
	for _, u := range add {
		p := gh.UserPrincipal(u)
		if d.idx.Membership(g.ID, p) != nil {
			continue
		}
		m := &gh.Membership{Org: g.Org, Group: g.ID, Member: p}
		ev := w.event(g.Org, g.Workspace, "group.member.add", gh.KindGroup, string(g.ID))
		m.Touch(w.rev(), w.now)
		change(ev, gh.KindMembership, m.Key(), nil, m)
	}
	for _, u := range remove {
		if m := d.idx.Membership(g.ID, gh.UserPrincipal(u)); m != nil {
			ev := w.event(g.Org, g.Workspace, "group.member.remove", gh.KindGroup, string(g.ID))
			change(ev, gh.KindMembership, m.Key(), m, nil)
		}
	}
}

// DeleteManagedGroup deletes one of x's groups with its memberships and
// assignments.
func (d *Directory) DeleteManagedGroup(ctx context.Context, a *Actor, x *gh.ExternalDirectory, id gh.GroupID) (gh.Revision, error) {
	return d.write(ctx, a, func(w *writer) error {
		if err := d.usable(x); err != nil {
			return err
		}
		cur, err := d.ProvisionedGroup(x, id)
		if err != nil {
			return err
		}
		members := d.userMembers(id)
		ev := w.event(cur.Org, cur.Workspace, "group.delete", gh.KindGroup, string(id))
		for _, m := range d.idx.Members(id) {
			change(ev, gh.KindMembership, m.Key(), m, nil)
		}
		d.removePrincipal(ev, gh.GroupPrincipal(id))
		change(ev, gh.KindGroup, string(id), cur, nil)
		d.dropDefaultGroup(w, ev, cur.Org, id)
		d.follow(w, x, members, d.inAfter(id, nil, members), id, nil)
		return nil
	})
}
