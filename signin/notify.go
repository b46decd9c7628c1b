package signin

import (
	"fmt"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

// tellContacts queues a message to the organization's security contacts in the change's transaction.
func (s *Service) tellContacts(ch *directory.Change, org gh.OrgID, subject, body string) {
	for _, to := range s.policy(org).SecurityContacts {
		s.queue(ch, org, to, "security_notice", "[Gatehouse] "+subject, body)
	}
}

// queue adds one message to the outbox in the change's transaction.
func (s *Service) queue(ch *directory.Change, org gh.OrgID, to, kind, subject, body string) {
	now := ch.Now()
	_ = ch.Vault().EnqueueMail(&gh.Mail{ID: gh.NewID("mail"), Org: org, To: to, Subject: subject, Body: body, Kind: kind,
		Status: gh.MailPending, NextAttempt: now, CreatedAt: now})
	s.poke()
}

// notifyContacts runs inside every directory change: a new Organization Admin
// and Admin granted in a workspace are news for the security contacts.
func (s *Service) notifyContacts(ch *directory.Change, events []*gh.Event) error {
	idx := s.dir.Index()
	for _, ev := range events {
		for _, c := range ev.Changes {
			switch c.Kind {
			case gh.KindUser:
				var before, after gh.User
				if decodeSide(c.After, &after) && after.IsOrgAdmin() && !(decodeSide(c.Before, &before) && before.IsOrgAdmin()) {
					s.tellContacts(ch, ev.Org, "New Organization Admin: "+after.Email,
						fmt.Sprintf("%s is now an Organization Admin (change by %s, revision %d).", after.Email, actorName(ev), ev.Revision))
				}
			case gh.KindAssignment:
				var before, after gh.Assignment
				if decodeSide(c.After, &after) && after.Role == gh.RoleAdmin && !(decodeSide(c.Before, &before) && before.Role == gh.RoleAdmin) {
					who, where := after.Principal.String(), string(after.Workspace)
					if w := idx.Workspace(after.Workspace); w != nil {
						where = w.Name
					}
					s.tellContacts(ch, ev.Org, "Admin granted in "+where,
						fmt.Sprintf("%s now has the Admin role in workspace %s (change by %s, revision %d).", who, where, actorName(ev), ev.Revision))
				}
			}
		}
	}
	return nil
}

func actorName(ev *gh.Event) string {
	switch {
	case ev.Actor.Email != "":
		return ev.Actor.Email
	case ev.Actor.Type != "":
		return string(ev.Actor.Type)
	}
	return "unknown"
}
