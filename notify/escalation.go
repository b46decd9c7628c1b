package notify

import (
	"fmt"
	"sync"
	"time"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

// escalations tells the administrators of every way someone comes to
// manage people: a custom role that manages them assigned (the built-in
// Admin has its own notice), someone joining a group that holds such a role
// in some workspace (directly or through the groups it is in), and a role
// edited so that it manages them.
func (s *Service) escalations(ch *directory.Change, ev *gh.Event, name func(string) string) error {
	by := fmt.Sprintf("(change by %s, revision %d)", ActorName(ev), ev.Revision)
	for _, c := range ev.Changes {
		var err error
		switch c.Kind {
		case gh.KindAssignment:
			err = s.roleGranted(ch, ev, c, name, by)
		case gh.KindMembership:
			err = s.groupJoined(ch, ev, c, name, by)
		case gh.KindRole:
			var before, after gh.Role
			if Decode(c.Before, &before) && Decode(c.After, &after) && !before.ManagesPeople() && after.ManagesPeople() {
				held := len(s.dir.Index().AssignmentsWithRole(ev.Org, after.ID))
				err = s.TellAdmins(ch, ev.Org, "escalation", "Escalation: role "+after.Name+" now manages people",
					fmt.Sprintf("The role %s was edited to grant management capabilities (adding users or groups, or assigning roles); "+
						"it is assigned %d times %s.", after.Name, held, by))
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) roleGranted(ch *directory.Change, ev *gh.Event, c gh.Change, name func(string) string, by string) error {
	after, ok := After[gh.Assignment](&c)
	if !ok || after.Role == gh.RoleAdmin {
		return nil
	}
	idx := s.dir.Index()
	r := idx.Role(after.Role)
	if before, ok := Before[gh.Assignment](&c); !r.ManagesPeople() || (ok && idx.Role(before.Role).ManagesPeople()) {
		return nil
	}
	who, where := string(after.Principal.Type)+" "+name(after.Principal.ID), name(string(after.Workspace))
	return s.TellAdmins(ch, ev.Org, "escalation", "Escalation: "+r.Name+" granted in "+where,
		fmt.Sprintf("%s now has the role %s in workspace %s, which manages people there %s.", who, r.Name, where, by))
}

func (s *Service) groupJoined(ch *directory.Change, ev *gh.Event, c gh.Change, name func(string) string, by string) error {
	m, ok := After[gh.Membership](&c)
	if len(c.Before) != 0 || !ok {
		return nil
	}
	idx := s.dir.Index()
	groups := append([]gh.GroupID{m.Group}, idx.GroupsOf(gh.GroupPrincipal(m.Group), true)...)
	for _, g := range groups {
		for _, a := range idx.AssignmentsOf(gh.GroupPrincipal(g)) {
			if r := idx.Role(a.Role); r.ManagesPeople() {
				who := string(m.Member.Type) + " " + name(m.Member.ID)
				return s.TellAdmins(ch, ev.Org, "escalation", "Escalation: "+who+" joined "+name(string(m.Group)),
					fmt.Sprintf("%s joined the group %s, which holds the role %s in workspace %s (through group %s) %s.",
						who, name(string(m.Group)), r.Name, name(string(a.Workspace)), name(string(g)), by))
			}
		}
	}
	return nil
}

// Unusual removals: BurstCount disables or deletions of users by one actor
// within BurstWindow tell the administrators once per window.
const (
	BurstCount  = 10
	BurstWindow = 5 * time.Minute
)

func (s *Service) burst(ch *directory.Change, ev *gh.Event) error {
	if ev.Action != "user.disable" && ev.Action != "user.delete" || ev.Org == "" {
		return nil
	}
	who := ActorName(ev)
	key := string(ev.Org) + "/" + string(ev.Actor.Type) + "/" + ev.Actor.ID()
	if !s.bursts.add(key, ch.Now()) {
		return nil
	}
	return s.TellAdmins(ch, ev.Org, "removal_burst", fmt.Sprintf("Unusual activity: %s disabled or deleted %d users", who, BurstCount),
		fmt.Sprintf("%s disabled or deleted %d users within %s (the last at revision %d). If this was not planned, "+
			"disable that account and review the audit log.", who, BurstCount, BurstWindow, ev.Revision))
}

// bursts counts events per key in a sliding window, on this node. Several
// nodes each count what they commit; a burst spread over nodes is caught
// only when one node sees enough of it.
type bursts struct {
	mu     sync.Mutex
	n      int
	window time.Duration
	seen   map[string][]time.Time
	told   map[string]time.Time
}

func newBursts(n int, window time.Duration) *bursts {
	return &bursts{n: n, window: window, seen: map[string][]time.Time{}, told: map[string]time.Time{}}
}

// add counts one event of key at t and reports whether it completes a
// burst not yet told within the window.
func (b *bursts) add(key string, t time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for k, ts := range b.seen { // forget what is out of every window
		if len(ts) > 0 && t.Sub(ts[len(ts)-1]) > b.window {
			delete(b.seen, k)
		}
	}
	for k, at := range b.told {
		if t.Sub(at) > b.window {
			delete(b.told, k)
		}
	}
	ts := append(b.seen[key], t)
	for len(ts) > 0 && t.Sub(ts[0]) > b.window {
		ts = ts[1:]
	}
	b.seen[key] = ts
	if len(ts) < b.n || t.Sub(b.told[key]) <= b.window {
		return false
	}
	b.told[key] = t
	return true
}

// IsAdminGrant reports whether an assignment is of the built-in Admin role.
func IsAdminGrant(a *gh.Assignment) bool { return a.Role == gh.RoleAdmin }

// adminOutOfHours tells the administrators of the built-in Admin role
// granted outside the organization's working hours.
func (s *Service) adminOutOfHours(ch *directory.Change, ev *gh.Event, name func(string) string) error {
	o := s.dir.Index().Org(ev.Org)
	if o == nil || !o.Policy.OutsideWorkingHours(ch.Now()) {
		return nil
	}
	for _, c := range ev.Changes {
		if c.Kind != gh.KindAssignment {
			continue
		}
		after, ok := Became(&c, IsAdminGrant)
		if !ok {
			continue
		}
		who, where := string(after.Principal.Type)+" "+name(after.Principal.ID), name(string(after.Workspace))
		zone := o.Policy.TimeZone
		if zone == "" {
			zone = "UTC"
		}
		if err := s.TellAdmins(ch, ev.Org, "admin_out_of_hours", "Unusual activity: Admin granted in "+where+" outside working hours",
			fmt.Sprintf("%s was given the Admin role in workspace %s at %s (%s), outside the organization's working hours %s, Monday to Friday (change by %s, revision %d).",
				who, where, ch.Now().In(location(zone)).Format("Mon 15:04"), zone, o.Policy.WorkingHours, ActorName(ev), ev.Revision)); err != nil {
			return err
		}
	}
	return nil
}

func location(zone string) *time.Location {
	if loc, err := time.LoadLocation(zone); err == nil {
		return loc
	}
	return time.UTC
}
