package signin

import (
	"context"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/auth"
	"gatehouse.dev/gatehouse/directory"
)

// ChangePassword changes the signed-in user's own password after checking the
// current one; every other session of the user ends.
func (s *Service) ChangePassword(ctx context.Context, a *directory.Actor, current, next string, c Client) error {
	u := a.User
	if err := s.allow(ctx, c, "password/"+string(u.ID)); err != nil {
		return err
	}
	cred, err := s.credential(ctx, u)
	if err != nil {
		return err
	}
	if ok, _, err := auth.Verify(cred.PasswordHash, current, s.cfg.Params); cred.PasswordHash == "" || err != nil || !ok {
		return gh.Invalid("wrong_password", "current_password", "is not your current password")
	}
	if err := s.checkPassword(u, cred, next); err != nil {
		return err
	}
	_, err = s.dir.Change(ctx, a, func(ch *directory.Change) error {
		cur, err := s.current(ctx, u, cred)
		if err != nil {
			return err
		}
		if err := s.setPassword(u, cur, next, ch.Now(), false); err != nil {
			return err
		}
		cred = cur
		if _, err := ch.Vault().DeleteSessions(u.ID, a.Session); err != nil {
			return err
		}
		ch.Record(u.Org, u.Workspace, "password.change", userTarget(u))
		return s.putCred(ch.Vault(), cred)
	})
	return err
}

// SetPasswordInput is an admin's password for a user.
type SetPasswordInput struct {
	Password  string `json:"password"`
	Temporary bool   `json:"temporary"` // the user must change it at the next sign-in
}

// SetPassword sets a user's password as an admin who may manage the user
// (Org Admins; a workspace's admins for its users). All the user's sessions end.
func (s *Service) SetPassword(ctx context.Context, a *directory.Actor, sc directory.Scope, id gh.UserID, in SetPasswordInput) (gh.Revision, error) {
	u, err := s.dir.ManagedUser(a, sc, id)
	if err != nil {
		return 0, err
	}
	if u.IsService() {
		return 0, gh.Errorf(gh.KindInvalid, "service_account", "service accounts have no password; give them API keys")
	}
	if a.User == nil || a.User.ID != u.ID {
		if err := stale(a, "setting someone's password"); err != nil {
			return 0, err
		}
	}
	cred, err := s.credential(ctx, u)
	if err != nil {
		return 0, err
	}
	if err := s.checkPassword(u, cred, in.Password); err != nil {
		return 0, err
	}
	return s.dir.Change(ctx, a, func(ch *directory.Change) error {
		cur, err := s.current(ctx, u, cred)
		if err != nil {
			return err
		}
		cred = cur
		if err := s.setPassword(u, cred, in.Password, ch.Now(), in.Temporary); err != nil {
			return err
		}
		if _, err := ch.Vault().DeleteSessions(u.ID, ""); err != nil {
			return err
		}
		ch.Record(u.Org, u.Workspace, "password.set", userTarget(u))
		return s.putCred(ch.Vault(), cred)
	})
}

// current re-reads a credential inside a write transaction and refuses the
// change if the password changed since the caller checked the new one
// against the old (its history rules would be stale).
func (s *Service) current(ctx context.Context, u *gh.User, checked *gh.Credential) (*gh.Credential, error) {
	cur, err := s.credential(ctx, u)
	if err != nil {
		return nil, err
	}
	if cur.PasswordVersion != checked.PasswordVersion {
		return nil, gh.Errorf(gh.KindConflict, "password_changed", "the password changed meanwhile; try again")
	}
	return cur, nil
}
