package signin

import (
	"context"
	"fmt"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/auth"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/notify"
)

// tellContacts tells the organization's administrators and security
// contacts, through the one notification path, in the change's transaction.
func (s *Service) tellContacts(ch *directory.Change, org gh.OrgID, kind, subject, body string) {
	if err := s.notes.TellAdmins(ch, org, kind, subject, body); err != nil {
		s.log.Error("notice", "org_id", org, "kind", kind, "err", err)
	}
}

// queue adds one message to the outbox in the change's transaction.
func (s *Service) queue(ch *directory.Change, org gh.OrgID, to, kind, subject, body string) {
	now := ch.Now()
	_ = ch.Vault().EnqueueMail(&gh.Mail{ID: gh.NewID("mail"), Org: org, To: to, Subject: subject, Body: body, Kind: kind,
		Status: gh.MailPending, NextAttempt: now, CreatedAt: now})
	s.poke()
}

// notifyContacts runs inside every directory change: a new Organization
// Admin, Admin granted in a workspace and anything the platform operator does
// inside the organization are news for the security contacts.
func (s *Service) notifyContacts(ch *directory.Change, events []*gh.Event) error {
	name := notify.Namer(s.dir.Index(), events)
	for _, ev := range events {
		if ev.Actor.Type == gh.ActorOperator && ev.Org != "" && ev.Action != directory.SeatsHighAction {
			s.tellOperatorAction(ch, ev)
		}
		if ev.Action == directory.SeatsHighAction {
			s.tellContacts(ch, ev.Org, "seats_high", "Seats nearly all used: "+ev.Detail,
				fmt.Sprintf("Your organization has %s. Once all are used, new active users are refused (invitations wait); "+
					"ask the platform operator for more seats, or disable users who no longer need access.", ev.Detail))
		}
		if ev.Action == "directory.sync.held" || ev.Action == "directory.held" {
			s.tellContacts(ch, ev.Org, "sync_held", "A directory sync was held", ev.Detail)
		}
		for _, c := range ev.Changes {
			switch c.Kind {
			case gh.KindUser:
				if after, ok := notify.Became(&c, (*gh.User).IsOrgAdmin); ok {
					s.tellContacts(ch, ev.Org, "org_admin_added", "New Organization Admin: "+after.Email,
						fmt.Sprintf("%s is now an Organization Admin (change by %s, revision %d).", after.Email, notify.ActorName(ev), ev.Revision))
				}
			case gh.KindExclusion:
				var after gh.Exclusion
				if len(c.Before) == 0 && notify.Decode(c.After, &after) && after.SetBy == gh.SetByWorkspace {
					s.tellExclusion(ch, ev, &after, name)
				}
			case gh.KindAssignment:
				if after, ok := notify.Became(&c, notify.IsAdminGrant); ok {
					who, where := string(after.Principal.Type)+" "+name(after.Principal.ID), name(string(after.Workspace))
					s.tellContacts(ch, ev.Org, "admin_granted", "Admin granted in "+where,
						fmt.Sprintf("%s now has the Admin role in workspace %s (change by %s, revision %d).", who, where, notify.ActorName(ev), ev.Revision))
				}
			}
		}
	}
	return s.notes.OnChange(ch, events)
}

// tellOperatorAction announces a change the platform operator made inside
// an organization; a recovery key, which opens the organization from any
// address, loudest of all.
func (s *Service) tellOperatorAction(ch *directory.Change, ev *gh.Event) {
	if ev.Action != "org.recover" {
		s.tellContacts(ch, ev.Org, "operator_action", "Platform operator action: "+ev.Action,
			fmt.Sprintf("The platform operator made a change in your organization: %s on %s %s (revision %d).",
				ev.Action, ev.Target.Type, ev.Target.ID, ev.Revision))
		return
	}
	var k gh.APIKey
	for _, c := range ev.Changes {
		if c.Kind == gh.KindAPIKey {
			notify.Decode(c.After, &k)
		}
	}
	who := string(k.User)
	if u := s.dir.Index().User(k.User); u != nil {
		who = u.Email
	}
	s.tellContacts(ch, ev.Org, "operator_recovery", "RECOVERY KEY ISSUED for "+who,
		fmt.Sprintf("The platform operator issued a recovery key for %s (key %s, revision %d). For one hour it works from any "+
			"address, whatever your organization's address ranges, so that the ranges can be fixed. If your organization "+
			"did not ask for this, revoke the key (DELETE /v1/orgs/%s/users/%s/keys/%s) and contact the platform at once.",
			who, k.ID, ev.Revision, ev.Org, k.User, k.ID))
}

// RotateWebhookSecret makes a new signing key for the organization's webhook
// (Org Admins, with a recent sign-in) and returns it once.
func (s *Service) RotateWebhookSecret(ctx context.Context, a *directory.Actor, o *gh.Org) (gh.Secret, gh.Revision, error) {
	if err := s.dir.RequireOrgAdmin(a, o, "rotate the webhook secret"); err != nil {
		return "", 0, err
	}
	if err := stale(a, "rotating the webhook secret"); err != nil {
		return "", 0, err
	}
	secret, _ := auth.NewToken()
	rev, err := s.dir.Change(ctx, a, func(ch *directory.Change) error {
		ch.Record(o.ID, "", "webhook.secret.rotate", gh.Target{Type: gh.KindOrg, ID: string(o.ID)})
		return ch.Vault().PutWebhookSecret(o.ID, s.cfg.Sealer.Seal(secret.Reveal()))
	})
	return secret, rev, err
}

// tellExclusion tells the Organization Admins and the security contacts that
// a workspace excluded someone: the partner learns at once that the customer
// keeps one of its people (or groups) out, and that only the customer can
// lift it.
func (s *Service) tellExclusion(ch *directory.Change, ev *gh.Event, e *gh.Exclusion, name func(string) string) {
	who := e.Email
	if e.Principal != nil {
		who = string(e.Principal.Type) + " " + name(e.Principal.ID)
	}
	what := "every capability"
	if len(e.Capabilities) > 0 {
		what = fmt.Sprint(e.Capabilities)
	}
	where := name(string(e.Workspace))
	subject := "Workspace " + where + " excluded " + who
	body := fmt.Sprintf("Workspace %s took %s away from %s (change by %s, revision %d). Only a manager of the workspace can lift it.",
		where, what, who, notify.ActorName(ev), ev.Revision)
	if e.Reason != "" {
		body += "\nReason given: " + e.Reason
	}
	s.tellContacts(ch, ev.Org, "exclusion_set", subject, body)
	for _, u := range s.dir.Index().Users(ev.Org, (*gh.User).IsOrgAdmin) {
		s.queue(ch, ev.Org, u.Email, "security_notice", "[Gatehouse] "+subject, body)
	}
}
