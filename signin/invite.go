package signin

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"time"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/auth"
	"gatehouse.dev/gatehouse/directory"
)

// sendLink adds a one-time token for u and the email carrying it to the change.
func (s *Service) sendLink(ch *directory.Change, u *gh.User, kind gh.TokenKind, subject, intro, path string) error {
	ttl := s.cfg.InviteTTL
	if kind == gh.TokenReset {
		ttl = s.cfg.ResetTTL
	}
	token, hash := auth.NewToken()
	if err := ch.Vault().PutToken(&gh.OneTimeToken{Hash: hash, Kind: kind, User: u.ID, Org: u.Org, ExpiresAt: ch.Now().Add(ttl)}); err != nil {
		return err
	}
	body := fmt.Sprintf("%s\n\n%s\n\nThe link works once and expires in %s. If you did not expect this message, ignore it.\n",
		intro, s.link(path, token), inWords(ttl))
	s.queue(ch, u.Org, u.Email, string(kind), subject, body)
	return nil
}

// inWords says a link's lifetime as people do: "7 days", "1 hour", "30 minutes".
func inWords(d time.Duration) string {
	n, unit := int(d/time.Minute), "minute"
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		n, unit = int(d/(24*time.Hour)), "day"
	case d >= time.Hour && d%time.Hour == 0:
		n, unit = int(d/time.Hour), "hour"
	}
	if n != 1 {
		unit += "s"
	}
	return fmt.Sprintf("%d %s", n, unit)
}

func (s *Service) invitation(ch *directory.Change, u *gh.User) error {
	name := "Gatehouse"
	if o := s.dir.Index().Org(u.Org); o != nil {
		name = o.Name
	}
	ch.Record(u.Org, u.Workspace, "invitation.send", userTarget(u))
	return s.sendLink(ch, u, gh.TokenInvitation, "You are invited to "+name,
		fmt.Sprintf("Hello %s,\n\n%s has invited you. Set your password here:", u.GivenName, name), "/invitations/accept")
}

// Invite creates an invited user at the scope's home and emails a one-time
// link to set a password; the user, the link and the email are one transaction.
func (s *Service) Invite(ctx context.Context, a *directory.Actor, sc directory.Scope, in directory.UserInput, c Client) (*gh.User, gh.Revision, error) {
	if err := s.allow(ctx, c, ""); err != nil {
		return nil, 0, err
	}
	if in.Kind == gh.KindService {
		return nil, 0, gh.Invalid("invalid_input", "kind", "service accounts are created, not invited; give them API keys")
	}
	in.Status = gh.StatusInvited
	return s.dir.CreateUserWith(ctx, a, sc, in, func(ch *directory.Change, u *gh.User) error { return s.invitation(ch, u) })
}

// InviteMany invites the rows of a CSV file, all or (onlyValid) the good ones.
func (s *Service) InviteMany(ctx context.Context, a *directory.Actor, sc directory.Scope, rows []directory.ImportRow, onlyValid bool, c Client) (*directory.ImportResult, error) {
	if err := s.allow(ctx, c, ""); err != nil {
		return nil, err
	}
	return s.dir.ImportUsersWith(ctx, a, sc, rows, onlyValid, gh.StatusInvited, s.invitation)
}

// InviteList is many people invited at once, with one role and one group for all.
type InviteList struct {
	// Emails are addresses, each optionally with a name: "Kim Lee <kim@example.com>".
	// Without one, the part before the @ stands as the given name until the person changes it.
	Emails []string `json:"emails"`
	// Role is assigned to everyone: for a workspace's users, a role of that
	// workspace; for the organization's, a role in Workspace or, without
	// one, the organization role ("admin" or "member").
	Role      string `json:"role,omitempty"`
	Workspace string `json:"workspace,omitempty"`
	// Group (id or name, of the same home) everyone joins.
	Group string `json:"group,omitempty"`
}

// InviteAll invites everyone of the list, all or nothing: a bad address, a
// taken one, or a role or group the actor may not give refuses the whole
// list (KindInvalid naming each address by its line, from 1).
// People, when given, come first, each with the names it carries.
func (s *Service) InviteAll(ctx context.Context, a *directory.Actor, sc directory.Scope, in InviteList, c Client, people ...directory.UserInput) (*directory.ImportResult, error) {
	if len(in.Emails)+len(people) == 0 {
		return nil, gh.Invalid("invalid_input", "emails", "list at least one address")
	}
	if sc.Workspace != nil && in.Workspace != "" {
		return nil, gh.Invalid("invalid_input", "workspace", "a workspace's users take its own roles; leave workspace out")
	}
	var rows []directory.ImportRow
	for _, p := range people {
		rows = append(rows, directory.ImportRow{Email: p.Email, GivenName: p.GivenName, FamilyName: p.FamilyName})
	}
	for _, e := range in.Emails {
		r := directory.ImportRow{Email: e}
		if addr, err := mail.ParseAddress(e); err == nil {
			r.Email = addr.Address
			r.GivenName, r.FamilyName, _ = strings.Cut(strings.TrimSpace(addr.Name), " ")
		}
		if r.GivenName == "" {
			r.GivenName, _, _ = strings.Cut(r.Email, "@")
		}
		rows = append(rows, r)
	}
	for i := range rows {
		rows[i].Line, rows[i].Role, rows[i].Workspace, rows[i].Group = i+1, in.Role, in.Workspace, in.Group
	}
	return s.InviteMany(ctx, a, sc, rows, false, c)
}

// Resend sends an invited user a new link; earlier links stay valid until they expire.
func (s *Service) Resend(ctx context.Context, a *directory.Actor, sc directory.Scope, id gh.UserID) (gh.Revision, error) {
	u, err := s.dir.ManagedUser(a, sc, id)
	if err != nil {
		return 0, err
	}
	if u.Status != gh.StatusInvited {
		return 0, gh.Errorf(gh.KindConflict, "not_invited", "%s has accepted already", u.Email)
	}
	return s.dir.Change(ctx, a, func(ch *directory.Change) error { return s.invitation(ch, u) })
}

// AcceptInput sets the password of an invitation or a reset.
type AcceptInput struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

var errLink = gh.Errorf(gh.KindInvalid, "invalid_link", "this link is unknown, used or expired; ask for a new one")

// AcceptInvitation sets the invited user's password and activates it. The
// link works once, whatever happens after: a wrong password asks for a new link.
func (s *Service) AcceptInvitation(ctx context.Context, in AcceptInput, c Client) (*gh.User, error) {
	return s.useLink(ctx, in, gh.TokenInvitation, c)
}

// ConfirmReset sets a new password from a reset link; every session of the
// user ends and a lockout is lifted.
func (s *Service) ConfirmReset(ctx context.Context, in AcceptInput, c Client) (*gh.User, error) {
	return s.useLink(ctx, in, gh.TokenReset, c)
}

func (s *Service) useLink(ctx context.Context, in AcceptInput, kind gh.TokenKind, c Client) (*gh.User, error) {
	if err := s.allow(ctx, c, ""); err != nil {
		return nil, err
	}
	release, err := s.hashSlot(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	// The password is checked first, against the user the link names, so a
	// weak password does not use the link up. The link itself is used in the
	// same transaction as the password is set.
	var out *gh.User
	_, err = s.dir.Change(ctx, &directory.Actor{Source: c.source("signin")}, func(ch *directory.Change) error {
		tok, err := ch.Vault().UseToken(auth.HashToken(in.Token), kind, ch.Now())
		if err != nil {
			return errLink
		}
		u := s.dir.Index().User(tok.User)
		if u == nil || (kind == gh.TokenInvitation && u.Status != gh.StatusInvited) || (kind == gh.TokenReset && u.Status != gh.StatusActive) {
			return errLink
		}
		ch.ActAs(u)
		cred, err := s.credential(ctx, u)
		if err != nil {
			return err
		}
		if err := s.checkPassword(u, cred, in.Password); err != nil {
			return err // the transaction rolls back: the link still works
		}
		if err := s.setPassword(u, cred, in.Password, ch.Now(), false); err != nil {
			return err
		}
		if err := s.putCred(ch.Vault(), cred); err != nil {
			return err
		}
		if _, err := ch.Vault().DeleteSessions(u.ID, ""); err != nil {
			return err
		}
		if err := ch.Vault().RevokeTokens(u.ID); err != nil { // the other links of the user die with this one
			return err
		}
		out = u
		if kind == gh.TokenReset {
			ch.Record(u.Org, u.Workspace, "password.reset", userTarget(u))
			return nil
		}
		next := *u
		next.Status = gh.StatusActive
		if out, err = ch.UpdateUser("invitation.accept", u, next); err != nil {
			return err
		}
		s.queue(ch, u.Org, u.Email, "welcome", "Welcome to Gatehouse",
			fmt.Sprintf("Hello %s,\n\nyour account is ready. Sign in at %s/signin\n", u.GivenName, strings.TrimRight(s.cfg.PublicURL, "/")))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RequestReset emails a reset link to each active account of the email (one
// per home where it has several: the mailbox owns them all). It answers the
// same way whether or not the email belongs to anyone.
func (s *Service) RequestReset(ctx context.Context, org, email string, c Client) error {
	if err := s.allow(ctx, c, accountKey(org, email)); err != nil {
		return err
	}
	for _, u := range s.findUsers(org, "", email) {
		if u.Status != gh.StatusActive {
			continue
		}
		_, err := s.dir.Change(ctx, userActor(u, c), func(ch *directory.Change) error {
			ch.Record(u.Org, u.Workspace, "password.reset_request", userTarget(u))
			return s.sendLink(ch, u, gh.TokenReset, "Reset your Gatehouse password",
				fmt.Sprintf("Hello %s,\n\nsomeone asked to reset your password (from %s). Set a new one here:", u.GivenName, c.IP), "/password/reset")
		})
		if err != nil {
			return err
		}
	}
	return nil
}
