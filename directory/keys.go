package directory

import (
	"context"
	"time"

	gh "gatehouse.dev/gatehouse"
)

// KeyInput creates a personal API key.
type KeyInput struct {
	Name      string     `json:"name"`
	ExpiresAt *time.Time `json:"expires_at"`
}

// mayManageKeys allows the operator, the user's Org Admins and the user
// itself; a workspace's service accounts also to those who manage its users
// and hold at least what the account holds.
func (d *Directory) mayManageKeys(a *Actor, u *gh.User) error {
	if a.Operator || a.System || d.isOrgAdmin(a, u.Org) || (a.User != nil && a.User.ID == u.ID) {
		return nil
	}
	if u.IsService() && !u.IsOrg() && a.User != nil {
		if w := d.idx.Workspace(u.Workspace); w != nil && d.requireCap(a, w, gh.CapUsersAdd) == nil {
			// A key acts with all the account holds: minting one is granting
			// that, so the actor must hold at least as much (DESIGN §2).
			held := &gh.Role{Name: "the access of " + u.Email, Grants: d.idx.Effective(u.ID, w.ID)}
			return d.requireCovered(a, w, held)
		}
	}
	return gh.Forbidden("only the user itself, an Organization Admin or the platform operator may manage a user's API keys")
}

// keyUser resolves the user whose keys are managed, as the actor may see it.
func (d *Directory) keyUser(a *Actor, o *gh.Org, id gh.UserID) (*gh.User, error) {
	u := d.idx.User(id)
	if u == nil || u.Org != o.ID || !d.seesUser(a, u) {
		return nil, gh.NotFound("user")
	}
	return u, d.mayManageKeys(a, u)
}

// CreateKey creates a personal API key acting as exactly user id. The secret
// is returned once and only its hash is kept.
// Errors: KindNotFound, KindForbidden, KindInvalid (inactive user, bad expiry).
func (d *Directory) CreateKey(ctx context.Context, a *Actor, o *gh.Org, id gh.UserID, in KeyInput) (*gh.APIKey, gh.Secret, gh.Revision, error) {
	u, err := d.keyUser(a, o, id)
	if err != nil {
		return nil, "", 0, err
	}
	if err := requireFresh(a, "creating an API key"); err != nil {
		return nil, "", 0, err
	}
	if in.Name = gh.CleanName(in.Name); in.Name == "" {
		in.Name = "personal key"
	}
	if in.ExpiresAt != nil && !in.ExpiresAt.After(d.now()) {
		return nil, "", 0, gh.Invalid("invalid_input", "expires_at", "must be in the future")
	}
	k, secret := newKey(u.Org, u.ID, in.Name, in.ExpiresAt)
	if err := k.Validate(); err != nil {
		return nil, "", 0, err
	}
	if a.Operator {
		if err := d.mayBootstrap(ctx, u.Org); err != nil {
			return nil, "", 0, err
		}
		k.Origin = gh.KeyBootstrap
	}
	rev, err := d.write(ctx, a, func(w *writer) error {
		cur := d.idx.User(id)
		if cur == nil || cur.Status != gh.StatusActive {
			return gh.Errorf(gh.KindInvalid, "user_inactive", "keys can only be made for active users")
		}
		ev := w.event(u.Org, u.Workspace, "apikey.create", gh.KindAPIKey, string(k.ID))
		k.Touch(w.rev(), w.now)
		keyChange(ev, nil, k)
		return nil
	})
	if err != nil {
		return nil, "", 0, err
	}
	return k, secret, rev, nil
}

// newKey makes a key for user u of org (both empty: the operator's) and its secret.
func newKey(org gh.OrgID, u gh.UserID, name string, expires *time.Time) (*gh.APIKey, gh.Secret) {
	secret := gh.NewKeySecret()
	return &gh.APIKey{ID: gh.KeyID(gh.NewID("key")), Org: org, User: u, Name: name,
		Prefix: gh.KeyPrefix(secret.Reveal()), Hash: gh.HashKey(secret.Reveal()), ExpiresAt: expires}, secret
}

// keyChange records a key made (before nil) or removed (after nil) in ev.
// The log, which customer admins read, names the key by id and name: its
// hash goes to the state table alone (Change.State), from which every node
// learns it.
func keyChange(ev *gh.Event, before, after *gh.APIKey) {
	change(ev, gh.KindAPIKey, string(keyOf(before, after).ID), withoutHash(before), withoutHash(after))
	if after != nil {
		ev.Changes[len(ev.Changes)-1].State = gh.MustJSON(after)
	}
}

func keyOf(before, after *gh.APIKey) *gh.APIKey {
	if after != nil {
		return after
	}
	return before
}

func withoutHash(k *gh.APIKey) *gh.APIKey {
	if k == nil {
		return nil
	}
	c := *k
	c.Hash = ""
	return &c
}

// ListKeys lists a user's keys (never their secrets).
func (d *Directory) ListKeys(a *Actor, o *gh.Org, id gh.UserID) ([]*gh.APIKey, error) {
	u, err := d.keyUser(a, o, id)
	if err != nil {
		return nil, err
	}
	return d.idx.KeysOf(u.Org, u.ID), nil
}

// RevokeKey deletes one of a user's keys; it stops working at once.
func (d *Directory) RevokeKey(ctx context.Context, a *Actor, o *gh.Org, id gh.UserID, kid gh.KeyID) (gh.Revision, error) {
	u, err := d.keyUser(a, o, id)
	if err != nil {
		return 0, err
	}
	return d.write(ctx, a, func(w *writer) error {
		k := d.idx.Key(kid)
		if k == nil || k.User != u.ID {
			return gh.NotFound("key")
		}
		ev := w.event(u.Org, u.Workspace, "apikey.revoke", gh.KindAPIKey, string(kid))
		keyChange(ev, k, nil)
		return nil
	})
}

// EnsureOperatorKey makes sure the platform operator can authenticate. With a
// secret given (from the environment), that secret becomes an operator key if
// it is not one already. With none, and no operator key stored yet, a new key
// is made and returned so it can be shown once; otherwise it returns "".
func (d *Directory) EnsureOperatorKey(ctx context.Context, secret string) (gh.Secret, error) {
	if secret != "" {
		if len(secret) < 20 {
			return "", gh.Invalid("invalid_config", "GATEHOUSE_OPERATOR_KEY", "must be at least 20 characters")
		}
		if k := d.idx.KeyByHash(gh.HashKey(secret)); k != nil && k.IsOperator() {
			return "", nil
		}
	} else if len(d.idx.KeysOf("", "")) > 0 {
		return "", nil
	}
	k, created := newKey("", "", "operator", nil)
	if secret != "" {
		created = gh.Secret(secret)
		k.Prefix, k.Hash = gh.KeyPrefix(secret), gh.HashKey(secret)
	}
	_, err := d.write(ctx, SystemActor("serve"), func(w *writer) error {
		ev := w.event("", "", "apikey.create", gh.KindAPIKey, string(k.ID))
		k.Touch(w.rev(), w.now)
		keyChange(ev, nil, k)
		return nil
	})
	if err != nil || secret != "" {
		return "", err
	}
	return created, nil
}
