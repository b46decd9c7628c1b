package directory

import (
	gh "gatehouse.dev/gatehouse"
)

// What a customer sees of its partner. A workspace user needs the
// organization's name and the sign-in rules that bind it, and sees partner
// staff only as the organization chose (Org.StaffShownAs); the partner's
// security contacts, webhook and address ranges are none of its business.

// fromWorkspace reports whether the actor looks at the organization from
// inside one of its workspaces.
func fromWorkspace(a *Actor) bool { return a.User != nil && !a.User.IsOrg() }

// OrgSeenBy returns the organization as the actor may read it, with the
// settings in force (defaults filled in): whole for the operator and the organization's own users;
// for a workspace user, its name and the password, second-factor, lockout and
// session rules that apply to that user.
func OrgSeenBy(a *Actor, o *gh.Org) *gh.Org {
	v := *o
	v.Policy = o.Policy.WithDefaults()
	v.StaffShownAs = o.StaffDisplay()
	if !fromWorkspace(a) {
		return &v
	}
	v.StaffShownAs, v.Seats = "", 0
	v.Policy.AllowedCIDRs, v.Policy.SecurityContacts, v.Policy.WebhookURL = nil, nil, ""
	return &v
}

// principalSeenBy names principal p for the actor: partner principals are
// named to a workspace user as the organization chose.
func (d *Directory) principalSeenBy(a *Actor, org gh.OrgID, p gh.Principal) string {
	name := d.principalName(p)
	if !fromWorkspace(a) {
		return name
	}
	o := d.idx.Org(org)
	switch p.Type {
	case gh.PrincipalUser:
		u := d.idx.User(gh.UserID(p.ID))
		if u == nil || !u.IsOrg() || o == nil {
			return name
		}
		return staffName(o, u)
	case gh.PrincipalGroup:
		if g := d.idx.Group(gh.GroupID(p.ID)); g != nil && g.IsOrg() && o != nil && o.StaffDisplay() == gh.StaffOrgOnly {
			return o.Name
		}
	}
	return name
}

// staffName is how partner user u is named to customers of o.
func staffName(o *gh.Org, u *gh.User) string {
	switch o.StaffDisplay() {
	case gh.StaffOrgOnly:
		return o.Name
	case gh.StaffName:
		if n := u.DisplayName(); n != "" {
			return n
		}
		return o.Name
	}
	if n := u.DisplayName(); n != "" {
		return n + " <" + u.Email + ">"
	}
	return u.Email
}

// eventsSeenBy hides partner staff in a workspace's audit events as the
// organization chose, and always their addresses and user agents (the
// partner's network is not the customer's to see). Events are copies: the
// stored, hashed ones do not change.
func (d *Directory) eventsSeenBy(a *Actor, o *gh.Org, evs []*gh.Event) []*gh.Event {
	if !fromWorkspace(a) {
		return evs
	}
	out := make([]*gh.Event, len(evs))
	for i, ev := range evs {
		out[i] = ev
		if ev.Actor.Type != gh.ActorUser {
			continue
		}
		u := d.idx.User(ev.Actor.User)
		if u != nil && !u.IsOrg() {
			continue // the customer's own people
		}
		c := *ev
		c.Source.IP, c.Source.UserAgent = "", ""
		c.Actor.Name = o.Name
		if u != nil && u.DisplayName() != "" {
			c.Actor.Name = u.DisplayName()
		}
		switch o.StaffDisplay() {
		case gh.StaffOrgOnly:
			c.Actor = gh.Actor{Type: gh.ActorUser, Name: o.Name}
		case gh.StaffName:
			c.Actor.Email = ""
		}
		out[i] = &c
	}
	return out
}

// ActorSeenBy names who made ev as reader may read it: a customer's own
// people read partner staff as the organization chose (§5), others the
// actor's email or kind.
func (d *Directory) ActorSeenBy(ev *gh.Event, reader *gh.User) string {
	if o := d.idx.Org(ev.Org); o != nil && reader != nil {
		ev = d.eventsSeenBy(&Actor{User: reader}, o, []*gh.Event{ev})[0]
	}
	a := ev.Actor
	switch {
	case a.Name != "" && a.Email != "":
		return a.Name + " <" + a.Email + ">"
	case a.Name != "":
		return a.Name
	case a.Email != "":
		return a.Email
	case a.Type != "":
		return string(a.Type)
	}
	return "unknown"
}
