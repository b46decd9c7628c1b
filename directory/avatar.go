package directory

import (
	"context"

	gh "gatehouse.dev/gatehouse"
)

// profileEditor refuses an actor who may not edit the profile of user id
// of the scope: only the user itself and whoever manages the scope's users may.
// Errors: KindNotFound (absent or hidden), KindForbidden.
func (d *Directory) profileEditor(a *Actor, s Scope, id gh.UserID) error {
	if _, err := d.GetUser(a, s, id); err != nil {
		return err
	}
	if a.User != nil && a.User.ID == id {
		return nil
	}
	return d.requireManage(a, s, gh.CapUsersAdd, "change organization users")
}

// MayEditProfile reports whether the actor may change the profile and
// picture of user id of the scope.
func (d *Directory) MayEditProfile(a *Actor, s Scope, id gh.UserID) bool {
	return d.profileEditor(a, s, id) == nil
}

// SetAvatar sets a user's picture from an uploaded PNG, JPEG or GIF
// (contentType as sent, "" when unknown), kept re-encoded as a square PNG
// (encodeAvatar). The user's event carries the picture's hash, never its
// bytes. Errors: KindNotFound, KindForbidden, KindInvalid (the picture).
func (d *Directory) SetAvatar(ctx context.Context, a *Actor, s Scope, id gh.UserID, raw []byte, contentType string) (*gh.User, gh.Revision, error) {
	if err := d.profileEditor(a, s, id); err != nil {
		return nil, 0, err
	}
	png, hash, err := encodeAvatar(raw, contentType)
	if err != nil {
		return nil, 0, err
	}
	return d.changeAvatar(ctx, a, id, hash, func(v gh.VaultTx, u *gh.User) error {
		return v.PutAvatar(&gh.Avatar{User: u.ID, Org: u.Org, Hash: hash, PNG: png})
	})
}

// RemoveAvatar removes a user's picture; removing none is no change.
// Errors: KindNotFound, KindForbidden.
func (d *Directory) RemoveAvatar(ctx context.Context, a *Actor, s Scope, id gh.UserID) (*gh.User, gh.Revision, error) {
	if err := d.profileEditor(a, s, id); err != nil {
		return nil, 0, err
	}
	return d.changeAvatar(ctx, a, id, "", func(v gh.VaultTx, u *gh.User) error { return v.DeleteAvatar(u.ID) })
}

// changeAvatar records the user's new picture hash ("" for none) in a
// user.avatar event and writes the picture with it.
func (d *Directory) changeAvatar(ctx context.Context, a *Actor, id gh.UserID, hash string, put func(gh.VaultTx, *gh.User) error) (*gh.User, gh.Revision, error) {
	var out *gh.User
	rev, err := d.write(ctx, a, func(w *writer) error {
		cur := d.idx.User(id)
		if cur == nil {
			return gh.NotFound("user")
		}
		out = cur
		if cur.Avatar == hash {
			return nil
		}
		next := *cur
		next.Avatar = hash
		action := "user.avatar.set"
		if hash == "" {
			action = "user.avatar.remove"
		}
		ev := w.event(cur.Org, cur.Workspace, action, gh.KindUser, string(id))
		next.Touch(w.rev(), w.now)
		change(ev, gh.KindUser, string(id), cur, &next)
		out = &next
		return put(w.vault, &next)
	})
	return out, rev, err
}

// Avatar returns the picture of a user the actor may see.
// Errors: KindNotFound (no such user, hidden, or no picture).
func (d *Directory) Avatar(ctx context.Context, a *Actor, s Scope, id gh.UserID) (*gh.Avatar, error) {
	u, err := d.GetUser(a, s, id)
	if err != nil {
		return nil, err
	}
	if u.Avatar == "" {
		return nil, gh.NotFound("avatar")
	}
	return d.store.Avatar(ctx, id)
}
