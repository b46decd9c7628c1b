package notify

import (
	"fmt"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

// OnChange runs inside every directory change, after the security
// contacts' notices: it tells people of changes to their own accounts and
// the administrators of escalations and bursts of removals.
func (s *Service) OnChange(ch *directory.Change, events []*gh.Event) error {
	name := Namer(s.dir.Index(), events)
	for _, ev := range events {
		if err := s.accountNotes(ch, ev, name); err != nil {
			return err
		}
		if err := s.escalations(ch, ev, name); err != nil {
			return err
		}
		if err := s.burst(ch, ev); err != nil {
			return err
		}
		if err := s.adminOutOfHours(ch, ev, name); err != nil {
			return err
		}
	}
	return nil
}

// accountNotes tells a person what someone else changed on their account:
// a password set, a second factor reset, a role given, changed or taken
// directly, a group joined or left directly. A new API key is told even
// when the person made it, since a stolen session would make one; but not
// when the operator made it: only Org Admins get keys from the operator,
// and every Org Admin is told of the operator's actions already.
func (s *Service) accountNotes(ch *directory.Change, ev *gh.Event, name func(string) string) error {
	// A customer reads partner staff as the organization chose, so each
	// person's notice names the actor as that person may read it.
	by := func(id string) string {
		return fmt.Sprintf("(by %s, revision %d)", s.dir.ActorSeenBy(ev, s.dir.Index().User(gh.UserID(id))), ev.Revision)
	}
	if ev.Target.Type == gh.KindUser && !s.self(ev, gh.UserID(ev.Target.ID)) {
		switch ev.Action {
		case "password.set":
			return s.tellUser(ch, ev.Target.ID, gh.NoteAccount, "Your password was set by an administrator",
				"An administrator set a new password on your account "+by(ev.Target.ID)+". If you did not expect this, contact your administrator.")
		case "mfa.reset":
			return s.tellUser(ch, ev.Target.ID, gh.NoteAccount, "Your second factor was reset",
				"An administrator removed your second factor "+by(ev.Target.ID)+"; you will be asked to enrol again at your next sign-in.")
		}
	}
	for _, c := range ev.Changes {
		var err error
		switch c.Kind {
		case gh.KindAPIKey:
			var k gh.APIKey
			if len(c.Before) == 0 && Decode(c.After, &k) && k.User != "" && ev.Actor.Type != gh.ActorOperator {
				err = s.tellUser(ch, string(k.User), gh.NoteAccount, "A new API key on your account: "+k.Name,
					fmt.Sprintf("An API key named %q was made for your account %s. If you did not expect it, revoke it and tell your administrator.", k.Name, by(string(k.User))))
			}
		case gh.KindAssignment:
			err = s.assignmentNote(ch, ev, c, name, by)
		case gh.KindMembership:
			err = s.membershipNote(ch, ev, c, name, by)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// GroupNoticeLimit bounds the members told one by one of a change to their
// group's roles: past it the change is the administrators' news, in the
// audit log, rather than hundreds of mails.
const GroupNoticeLimit = 200

func (s *Service) assignmentNote(ch *directory.Change, ev *gh.Event, c gh.Change, name func(string) string, byFor func(string) string) error {
	before, hadBefore := Before[gh.Assignment](&c)
	after, hasAfter := After[gh.Assignment](&c)
	a := after
	if !hasAfter {
		a = before
	}
	ws, role, was := name(string(a.Workspace)), name(string(after.Role)), name(string(before.Role))
	direct := a.Principal.Type == gh.PrincipalUser
	have, yours := "You now have", "Your role"
	if !direct {
		g := name(a.Principal.ID)
		have, yours = "Your group "+g+" now has", "Your group "+g+"'s role"
	}
	var title, body string
	switch {
	case hasAfter && hadBefore && before.Role != after.Role:
		title, body = "Your role in "+ws+" changed", fmt.Sprintf("%s in workspace %s is now %s, was %s", yours, ws, role, was)
	case hasAfter && !hadBefore:
		title, body = "You were given a role in "+ws, fmt.Sprintf("%s the role %s in workspace %s", have, role, ws)
	case !hasAfter && hadBefore:
		title, body = "Your role in "+ws+" was removed", fmt.Sprintf("%s %s in workspace %s was removed", yours, was, ws)
	default:
		return nil
	}
	users := []gh.UserID{gh.UserID(a.Principal.ID)}
	if !direct {
		if users = s.dir.Index().UsersUnder(a.Principal); len(users) > GroupNoticeLimit {
			return nil
		}
	}
	for _, u := range users {
		if s.self(ev, u) {
			continue
		}
		if err := s.tellUser(ch, string(u), gh.NoteAccess, title, body+" "+byFor(string(u))+"."); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) membershipNote(ch *directory.Change, ev *gh.Event, c gh.Change, name func(string) string, byFor func(string) string) error {
	m, joined := After[gh.Membership](&c)
	joined = joined && len(c.Before) == 0
	left := false
	if !joined && len(c.After) == 0 {
		m, left = Before[gh.Membership](&c)
	}
	if (!joined && !left) || m.Member.Type != gh.PrincipalUser || s.self(ev, gh.UserID(m.Member.ID)) {
		return nil
	}
	g, by := name(string(m.Group)), byFor(m.Member.ID)
	if joined {
		return s.tellUser(ch, m.Member.ID, gh.NoteAccess, "You joined the group "+g, fmt.Sprintf("You were added to the group %s %s.", g, by))
	}
	return s.tellUser(ch, m.Member.ID, gh.NoteAccess, "You left the group "+g, fmt.Sprintf("You were removed from the group %s %s.", g, by))
}

// self reports whether u made the change itself.
func (s *Service) self(ev *gh.Event, u gh.UserID) bool {
	return ev.Actor.Type == gh.ActorUser && ev.Actor.User == u
}

func (s *Service) tellUser(ch *directory.Change, id string, cat gh.NoteCategory, title, body string) error {
	return s.Tell(ch, s.dir.Index().User(gh.UserID(id)), cat, title, body)
}
