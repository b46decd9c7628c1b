package directory

import (
	"context"
	"time"

	gh "gatehouse.dev/gatehouse"
)

// The platform operator is not a member of any organization. It may hand an
// organization its first keys while nobody there can sign in on their own
// (bootstrapping), and afterwards only open a locked-out organization through
// RecoverOrg: loudly, for a short time, in the organization's own audit log.

// mayBootstrap allows the operator to make a personal key in org only while
// no active Organization Admin has a credential of their own: a password, a
// passkey or an unexpired key made by a user of the organization.
// Errors: KindForbidden once one has, KindInternal.
func (d *Directory) mayBootstrap(ctx context.Context, org gh.OrgID) error {
	for _, id := range d.idx.ActiveOrgAdmins(org) {
		own, err := d.hasOwnCredential(ctx, org, id)
		if err != nil {
			return err
		}
		if own {
			return gh.Errorf(gh.KindForbidden, "bootstrap_over",
				"the organization's admins sign in on their own: the platform operator can no longer make keys there, "+
					"only a recovery key for a locked-out organization (gatehouse orgs recover)")
		}
	}
	return nil
}

// hasOwnCredential reports whether user u of org can sign in with something
// of its own, not handed over by the operator.
func (d *Directory) hasOwnCredential(ctx context.Context, org gh.OrgID, u gh.UserID) (bool, error) {
	now := d.now()
	for _, k := range d.idx.KeysOf(org, u) {
		if k.Own() && (k.ExpiresAt == nil || now.Before(*k.ExpiresAt)) {
			return true, nil
		}
	}
	cred, err := d.store.Credential(ctx, u)
	if gh.KindOf(err) == gh.KindNotFound {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return cred.PasswordHash != "" || len(cred.Passkeys) > 0, nil
}

// keepsActorIn refuses address ranges (of the actor itself or of its
// organization) that leave out the address the actor calls from: nobody
// could undo them from there, and a sole admin would lock the organization
// out for good.
func keepsActorIn(a *Actor, cidrs []string, field string) error {
	if a.User == nil || gh.AllowedFrom(cidrs, a.Source.IP) {
		return nil
	}
	msg := "leave out your own address " + a.Source.IP + ": include it, or make the change from an address inside them"
	return &gh.Error{Kind: gh.KindInvalid, Code: "would_lock_out",
		Message: "these address ranges would shut you out: they " + msg, Fields: map[string]string{field: "would " + msg}}
}

// RecoveryTTL is how long a recovery key works.
const RecoveryTTL = time.Hour

// RecoverInput names the Organization Admin a recovery key is for, by id or
// email; empty picks the organization's only active Organization Admin.
type RecoverInput struct {
	User string `json:"user,omitempty"`
}

// RecoverOrg gives a locked-out organization back to its admins (operator
// only): a key for one of its active Organization Admins that works for
// RecoveryTTL from any address, whatever the ranges, so the admin can fix
// them. It is recorded as org.recover in the organization's own audit log,
// and announced to its security contacts with every operator action there.
// Errors: KindForbidden, KindInvalid (no such admin, or several and none
// named), KindConflict (the organization is not active).
func (d *Directory) RecoverOrg(ctx context.Context, a *Actor, o *gh.Org, in RecoverInput) (*gh.APIKey, gh.Secret, gh.Revision, error) {
	if err := requireOperator(a, "issue recovery keys"); err != nil {
		return nil, "", 0, err
	}
	if !o.Active() {
		return nil, "", 0, gh.Errorf(gh.KindConflict, "org_inactive", "the organization is %s: reactivate it first", o.Status)
	}
	u, err := d.recoveryAdmin(o, in.User)
	if err != nil {
		return nil, "", 0, err
	}
	expires := d.now().Add(RecoveryTTL)
	k, secret := newKey(o.ID, u.ID, "recovery", &expires)
	k.Origin = gh.KeyRecovery
	rev, err := d.write(ctx, a, func(w *writer) error {
		if cur := d.idx.User(u.ID); cur == nil || !cur.IsOrgAdmin() {
			return gh.Invalid("invalid_input", "user", "is not an active Organization Admin")
		}
		ev := w.event(o.ID, "", "org.recover", gh.KindOrg, string(o.ID))
		k.Touch(w.rev(), w.now)
		keyChange(ev, nil, k)
		return nil
	})
	if err != nil {
		return nil, "", 0, err
	}
	d.log.Warn("the platform operator issued a recovery key", "org_id", o.ID, "user_id", u.ID, "key_id", k.ID, "revision", rev)
	return k, secret, rev, nil
}

// recoveryAdmin resolves ref (id or email; empty: the only one) to an active Organization Admin of o.
func (d *Directory) recoveryAdmin(o *gh.Org, ref string) (*gh.User, error) {
	if ref == "" {
		admins := d.idx.ActiveOrgAdmins(o.ID)
		if len(admins) != 1 {
			return nil, gh.Invalid("invalid_input", "user", "name the Organization Admin to recover (the organization has several, or none active)")
		}
		return d.idx.User(admins[0]), nil
	}
	u := d.idx.UserByEmail(gh.Home{Org: o.ID}, ref) // Org Admins live at the organization
	if gh.HasIDPrefix(ref, "usr") {
		u = d.idx.User(gh.UserID(ref))
	}
	if u == nil || u.Org != o.ID || !u.IsOrgAdmin() {
		return nil, gh.Invalid("invalid_input", "user", "is not an active Organization Admin of the organization")
	}
	return u, nil
}
