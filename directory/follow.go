package directory

import (
	"slices"
	"strings"

	gh "gatehouse.dev/gatehouse"
)

// A group of Gatehouse's own may follow a connected directory's groups,
// named by the directory's id for them (a DN, a SCIM id) or by their name,
// as it follows an identity provider's: its membership among the people
// that directory provisions is kept equal to theirs in the groups it
// names, at every change of those groups. Members from elsewhere are never
// touched.

// names reports whether e names directory group g.
func names(e gh.ExternalGroup, x *gh.ExternalDirectory, g *gh.Group) bool {
	if e.Provider != gh.ProviderID(x.ID) || g.Managed == nil {
		return false
	}
	v := strings.TrimSpace(e.Value)
	return strings.EqualFold(v, g.Managed.ExternalID) || strings.EqualFold(v, g.Name)
}

// followers are the groups of x's home that follow any of x's groups.
func (d *Directory) followers(x *gh.ExternalDirectory) []*gh.Group {
	return d.idx.GroupsIn(x.Home, func(g *gh.Group) bool {
		return g.Managed == nil && slices.ContainsFunc(g.External, func(e gh.ExternalGroup) bool { return e.Provider == gh.ProviderID(x.ID) })
	})
}

// follow adds to w the membership changes of every follower of x's groups
// for users, once x's groups are as in(user, group) says — what the write
// leaves, which the index does not show yet. gone is a group of x being
// deleted; changed one created or renamed by the write, as it leaves it.
func (d *Directory) follow(w *writer, x *gh.ExternalDirectory, users []gh.UserID, in func(gh.UserID, gh.GroupID) bool, gone gh.GroupID, changed *gh.Group) {
	fs := d.followers(x)
	if len(fs) == 0 || len(users) == 0 {
		return
	}
	groups := d.ProvisionedGroups(x, func(g *gh.Group) bool { return g.ID != gone && (changed == nil || g.ID != changed.ID) })
	if changed != nil {
		groups = append(groups, changed)
	}
	for _, f := range fs {
		d.followOne(w, x, f, groups, users, in)
	}
}

// followOne sets follower f's membership among users to x's groups it names.
func (d *Directory) followOne(w *writer, x *gh.ExternalDirectory, f *gh.Group, groups []*gh.Group, users []gh.UserID, in func(gh.UserID, gh.GroupID) bool) {
	var named []gh.GroupID
	for _, g := range groups {
		if slices.ContainsFunc(f.External, func(e gh.ExternalGroup) bool { return names(e, x, g) }) {
			named = append(named, g.ID)
		}
	}
	var add, remove []gh.UserID
	for _, u := range users {
		want := slices.ContainsFunc(named, func(g gh.GroupID) bool { return in(u, g) })
		has := d.idx.Membership(f.ID, gh.UserPrincipal(u)) != nil
		switch {
		case want && !has:
			add = append(add, u)
		case !want && has:
			remove = append(remove, u)
		}
	}
	d.setMembers(w, f, add, remove)
}

// refollow brings group f, whose references to directories changed, in
// line with those directories' groups at once.
func (d *Directory) refollow(w *writer, cur, next *gh.Group) {
	srcs := map[gh.ProviderID]bool{}
	for _, e := range slices.Concat(cur.External, next.External) {
		srcs[e.Provider] = true
	}
	for id := range srcs {
		x := d.idx.ExternalDirectory(gh.ExternalDirectoryID(id))
		if x == nil || x.Home != next.Home {
			continue
		}
		var users []gh.UserID
		for _, u := range d.managedUsers(x, func(*gh.User) bool { return true }) {
			users = append(users, u.ID)
		}
		in := func(u gh.UserID, g gh.GroupID) bool { return d.idx.Membership(g, gh.UserPrincipal(u)) != nil }
		d.followOne(w, x, next, d.ProvisionedGroups(x, func(*gh.Group) bool { return true }), users, in)
	}
}

// inAfter is membership in x's groups once group g gains add and loses remove.
func (d *Directory) inAfter(g gh.GroupID, add, remove []gh.UserID) func(gh.UserID, gh.GroupID) bool {
	return func(u gh.UserID, h gh.GroupID) bool {
		if h == g {
			if slices.Contains(add, u) {
				return true
			}
			if slices.Contains(remove, u) {
				return false
			}
		}
		return d.idx.Membership(h, gh.UserPrincipal(u)) != nil
	}
}

// userMembers are the direct user members of g.
func (d *Directory) userMembers(g gh.GroupID) []gh.UserID {
	var out []gh.UserID
	for _, m := range d.idx.Members(g) {
		if m.Member.Type == gh.PrincipalUser {
			out = append(out, gh.UserID(m.Member.ID))
		}
	}
	return out
}
