package signin

import (
	"context"
	"fmt"
	"time"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

// Bulk applies one action to the users a selection names (directory.Bulk):
// the directory's changes as one batch, and ending sessions, resetting
// second factors and requiring password resets user by user through this
// service's own methods. Each call spends one token of the actor's budget
// for sensitive actions. Errors: KindRateLimited, and those of directory.Bulk.
func (s *Service) Bulk(ctx context.Context, a *directory.Actor, sc directory.Scope, in directory.BulkInput) (*directory.BulkResult, error) {
	who := "bulk/operator"
	if a.User != nil {
		who = "bulk/" + string(a.User.ID)
	}
	if err := s.Throttle(ctx, who); err != nil {
		return nil, err
	}
	var since map[gh.UserID]bool
	t, err := s.dir.SignInCutoff(in.Select)
	if err != nil {
		return nil, err
	}
	if t != nil {
		if since, err = s.signedInSince(ctx, sc.Org.ID, *t); err != nil {
			return nil, err
		}
	}
	id := gh.NewID("bat")
	tagged := *a // each user's change is its own transaction; the id ties their events together
	tagged.Source.Batch = id
	step := func(ctx context.Context, u *gh.User, us directory.Scope, preview bool) (bool, string, error) {
		switch in.Action.Type {
		case directory.BulkEndSessions:
			return s.bulkEndSessions(ctx, &tagged, us, u, preview)
		case directory.BulkResetMFA:
			return s.bulkResetMFA(ctx, &tagged, us, u, preview)
		}
		return s.bulkRequireReset(ctx, &tagged, us, u, preview)
	}
	return s.dir.Bulk(ctx, a, sc, in, id, since, step)
}

// signedInSince lists the users of org who signed in at or after t, from
// the store's last sign-ins (one row a user, not the log since t).
func (s *Service) signedInSince(ctx context.Context, org gh.OrgID, t time.Time) (map[gh.UserID]bool, error) {
	last, err := s.store.LastSignIns(ctx, org, nil)
	if err != nil {
		return nil, err
	}
	out := map[gh.UserID]bool{}
	for u, at := range last {
		if !at.Before(t) {
			out[u] = true
		}
	}
	return out, nil
}

func (s *Service) bulkEndSessions(ctx context.Context, a *directory.Actor, sc directory.Scope, u *gh.User, preview bool) (bool, string, error) {
	if _, err := s.dir.ManagedUser(a, sc, u.ID); err != nil {
		return false, "", err
	}
	list, err := s.store.Sessions(ctx, u.ID)
	if err != nil || len(list) == 0 || preview {
		return len(list) > 0, "has no session", err
	}
	_, err = s.dir.Change(ctx, a, func(ch *directory.Change) error {
		n, err := ch.Vault().DeleteSessions(u.ID, "")
		if err == nil && n > 0 {
			ch.Record(u.Org, u.Workspace, "session.end_all", userTarget(u))
		}
		return err
	})
	return err == nil, "", err
}

func (s *Service) bulkResetMFA(ctx context.Context, a *directory.Actor, sc directory.Scope, u *gh.User, preview bool) (bool, string, error) {
	if _, err := s.dir.ManagedUser(a, sc, u.ID); err != nil {
		return false, "", err
	}
	if err := stale(a, "removing someone's second factor"); err != nil {
		return false, "", err
	}
	cred, err := s.credential(ctx, u)
	if err != nil {
		return false, "", err
	}
	if cred.TOTPSecret == "" && !cred.TOTPConfirmed && len(cred.Passkeys) == 0 {
		return false, "has no second factor", nil
	}
	if preview {
		return true, "", nil
	}
	_, err = s.ResetMFA(ctx, a, sc, u.ID)
	return err == nil, "", err
}

// bulkRequireReset is RequireReset, judged only when previewing.
func (s *Service) bulkRequireReset(ctx context.Context, a *directory.Actor, sc directory.Scope, u *gh.User, preview bool) (bool, string, error) {
	if _, err := s.mayRequireReset(a, sc, u.ID); err != nil || preview {
		return err == nil, "", err
	}
	_, err := s.RequireReset(ctx, a, sc, u.ID)
	return err == nil, "", err
}

// mayRequireReset checks that an admin may require a new password of user id.
func (s *Service) mayRequireReset(a *directory.Actor, sc directory.Scope, id gh.UserID) (*gh.User, error) {
	u, err := s.dir.ManagedUser(a, sc, id)
	if err != nil {
		return nil, err
	}
	switch {
	case u.IsService():
		return nil, gh.Errorf(gh.KindInvalid, "service_account", "service accounts have no password; give them API keys")
	case u.Status == gh.StatusInvited:
		return nil, gh.Errorf(gh.KindConflict, "not_active", "%s has not accepted the invitation yet; resend it instead", u.Email)
	case u.Status != gh.StatusActive:
		return nil, gh.Errorf(gh.KindConflict, "not_active", "%s is disabled; enable the account first", u.Email)
	}
	return u, stale(a, "requiring someone's new password")
}

// RequireReset makes a user set a new password, as an admin who may manage
// the user: every session ends, signing in with the old password leads only
// to changing it, and a one-time reset link is emailed through the outbox.
// Errors: KindNotFound, KindForbidden, KindInvalid (service accounts),
// KindConflict (not active).
func (s *Service) RequireReset(ctx context.Context, a *directory.Actor, sc directory.Scope, id gh.UserID) (gh.Revision, error) {
	u, err := s.mayRequireReset(a, sc, id)
	if err != nil {
		return 0, err
	}
	return s.dir.Change(ctx, a, func(ch *directory.Change) error {
		cred, err := s.credential(ctx, u)
		if err != nil {
			return err
		}
		cred.MustChange = true
		if err := s.putCred(ch.Vault(), cred); err != nil {
			return err
		}
		if _, err := ch.Vault().DeleteSessions(u.ID, ""); err != nil {
			return err
		}
		ch.Record(u.Org, u.Workspace, "password.reset_required", userTarget(u))
		return s.sendLink(ch, u, gh.TokenReset, "Set a new Gatehouse password",
			fmt.Sprintf("Hello %s,\n\nan administrator of your organization asks you to set a new password. Set it here:", u.GivenName), "/password/reset")
	})
}
