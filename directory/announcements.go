package directory

import (
	"context"
	"slices"

	gh "gatehouse.dev/gatehouse"
)

// Announcements are published in a scope, by whoever manages its people:
// at the organization, by Org Admins, to the organization's own people or
// one of its groups; in a workspace, by holders of workspace.users.add there
// (Org Admins included), to the people who work in it or one of its groups.
// The operator publishes to everyone of the deployment. An announcement is
// addressed in its scope only, so another scope's answers 404 like any
// unknown id, and it reaches a person only inside its window.

// requireAnnounce checks the right to publish and manage the scope's announcements.
func (d *Directory) requireAnnounce(a *Actor, s Scope) error {
	if err := d.requireRead(a, s); err != nil {
		return err
	}
	return d.requireManage(a, s, gh.CapUsersAdd, "publish announcements")
}

// PublishAnnouncement checks in (its text, window and group, which must live
// in the scope's home) and keeps it, audited as announcement.publish. A
// start left empty is now. KindInvalid for bad input, KindForbidden for an
// actor who may not publish here.
func (d *Directory) PublishAnnouncement(ctx context.Context, a *Actor, s Scope, in gh.Announcement) (*gh.Announcement, gh.Revision, error) {
	if err := d.requireAnnounce(a, s); err != nil {
		return nil, 0, err
	}
	ann := in
	ann.Org, ann.Workspace = s.Org.ID, ""
	if s.Workspace != nil {
		ann.Workspace = s.Workspace.ID
	}
	if ann.Group != "" {
		if g := d.idx.Group(ann.Group); g == nil || g.Org != s.Org.ID || !s.Contains(g.Home) {
			f := gh.Fields{}
			f.Add("group_id", "is not a group of this "+scopeNoun(s))
			return nil, 0, f.Err()
		}
	}
	return d.publish(ctx, a, &ann)
}

// PublishToEveryone is the operator's announcement to every person of the deployment.
func (d *Directory) PublishToEveryone(ctx context.Context, a *Actor, in gh.Announcement) (*gh.Announcement, gh.Revision, error) {
	if !a.Operator {
		return nil, 0, gh.Forbidden("only the platform operator announces to everyone")
	}
	ann := in
	ann.Org, ann.Workspace, ann.Group = "", "", ""
	return d.publish(ctx, a, &ann)
}

func scopeNoun(s Scope) string {
	if s.Workspace != nil {
		return "workspace"
	}
	return "organization"
}

// publish validates and keeps ann in one audited change.
func (d *Directory) publish(ctx context.Context, a *Actor, ann *gh.Announcement) (*gh.Announcement, gh.Revision, error) {
	ann.Title = gh.CleanName(ann.Title)
	startsNow := ann.StartsAt.IsZero()
	if startsNow {
		ann.StartsAt = d.now()
	}
	if err := ann.Validate(); err != nil {
		return nil, 0, err
	}
	ann.ID, ann.CreatedBy = gh.NewID("ann"), actorLabel(a)
	rev, err := d.Change(ctx, a, func(ch *Change) error {
		ann.CreatedAt = ch.Now()
		if startsNow { // the transaction's reading, which the delivery compares with
			ann.StartsAt = ch.Now()
		}
		ev := ch.Record(ann.Org, ann.Workspace, "announcement.publish", gh.Target{Type: gh.KindAnnouncement, ID: ann.ID})
		ev.Detail = ann.Title
		if err := ch.Vault().PutAnnouncement(ann); err != nil || d.OnAnnounce == nil {
			return err
		}
		return d.OnAnnounce(ch, ann)
	})
	if err != nil {
		return nil, 0, err
	}
	return ann, rev, nil
}

func actorLabel(a *Actor) string {
	switch {
	case a.Operator:
		return "platform operator"
	case a.User != nil:
		return a.User.Email
	}
	return "system"
}

// ListAnnouncements lists the scope's announcements, ended ones included,
// newest first: at the organization those published there, in a workspace
// those published in it.
func (d *Directory) ListAnnouncements(ctx context.Context, a *Actor, s Scope) ([]*gh.Announcement, error) {
	if err := d.requireAnnounce(a, s); err != nil {
		return nil, err
	}
	all, err := d.store.Announcements(ctx, s.Org.ID, d.now(), false)
	if err != nil {
		return nil, err
	}
	var ws gh.WorkspaceID
	if s.Workspace != nil {
		ws = s.Workspace.ID
	}
	return slices.DeleteFunc(all, func(x *gh.Announcement) bool { return x.Org != s.Org.ID || x.Workspace != ws }), nil
}

// ListEveryone lists the operator's announcements.
func (d *Directory) ListEveryone(ctx context.Context, a *Actor) ([]*gh.Announcement, error) {
	if !a.Operator {
		return nil, gh.Forbidden("only the platform operator announces to everyone")
	}
	all, err := d.store.Announcements(ctx, "", d.now(), false)
	return slices.DeleteFunc(all, func(x *gh.Announcement) bool { return x.Org != "" }), err
}

// DeleteAnnouncement withdraws one of the scope's announcements (the
// operator's, with s.Org nil), audited as announcement.delete.
func (d *Directory) DeleteAnnouncement(ctx context.Context, a *Actor, s Scope, id string) (gh.Revision, error) {
	var list []*gh.Announcement
	var err error
	if s.Org == nil {
		list, err = d.ListEveryone(ctx, a)
	} else {
		list, err = d.ListAnnouncements(ctx, a, s)
	}
	if err != nil {
		return 0, err
	}
	i := slices.IndexFunc(list, func(x *gh.Announcement) bool { return x.ID == id })
	if i < 0 {
		return 0, gh.NotFound("announcement")
	}
	ann := list[i]
	return d.Change(ctx, a, func(ch *Change) error {
		ev := ch.Record(ann.Org, ann.Workspace, "announcement.delete", gh.Target{Type: gh.KindAnnouncement, ID: ann.ID})
		ev.Detail = ann.Title
		return ch.Vault().DeleteAnnouncement(ann.Org, ann.ID)
	})
}

// AnnouncementsFor lists the announcements shown to u now, newest first.
func (d *Directory) AnnouncementsFor(ctx context.Context, u *gh.User) ([]*gh.Announcement, error) {
	now := d.now()
	all, err := d.store.Announcements(ctx, u.Org, now, true)
	if err != nil {
		return nil, err
	}
	shown := slices.DeleteFunc(all, func(x *gh.Announcement) bool { return !x.Live(now) || !d.Reaches(x, u) })
	for i, x := range shown {
		shown[i] = d.announcementSeenBy(x, u)
	}
	return shown, nil
}

// announcementSeenBy hides the partner's publisher from a customer's people,
// who read it as coming from the organization (§5): only a publisher of
// their own workspace is named to them.
func (d *Directory) announcementSeenBy(x *gh.Announcement, u *gh.User) *gh.Announcement {
	if u.IsOrg() || x.Org == "" || d.idx.UserByEmail(u.Home, x.CreatedBy) != nil {
		return x
	}
	c := *x
	c.CreatedBy = "your partner"
	if o := d.idx.Org(x.Org); o != nil {
		c.CreatedBy = o.Name
	}
	return &c
}

// Reaches reports whether ann's audience holds u: everyone for the
// operator's; an organization's own people for one published at the
// organization; a group's members at any depth; for a workspace, its own
// people and the organization's people who hold some access there. A
// workspace user is thus never reached by what was published elsewhere.
func (d *Directory) Reaches(ann *gh.Announcement, u *gh.User) bool {
	switch {
	case ann.Org == "":
		return true
	case ann.Org != u.Org:
		return false
	case ann.Group != "":
		return slices.Contains(d.idx.GroupsOf(gh.UserPrincipal(u.ID), true), ann.Group)
	case ann.Workspace == "":
		return u.IsOrg()
	case u.IsOrg():
		return len(d.idx.Effective(u.ID, ann.Workspace)) > 0
	}
	return u.Workspace == ann.Workspace
}

// Audience lists the active users ann reaches, for delivering it.
func (d *Directory) Audience(ann *gh.Announcement) []*gh.User {
	active := func(u *gh.User) bool { return u.Status == gh.StatusActive }
	var users []*gh.User
	if ann.Org != "" {
		users = d.idx.Users(ann.Org, active)
	} else {
		for _, o := range d.idx.Orgs(func(o *gh.Org) bool { return o.Active() }) {
			users = append(users, d.idx.Users(o.ID, active)...)
		}
	}
	// Reaches reads the index again, so it runs outside the listing's read lock.
	return slices.DeleteFunc(users, func(u *gh.User) bool { return !d.Reaches(ann, u) })
}

// MayAnnounce reports whether a may publish announcements in s.
func (d *Directory) MayAnnounce(a *Actor, s Scope) bool { return d.requireAnnounce(a, s) == nil }
