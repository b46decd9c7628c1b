package directory

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/auth"
)

// Connected directories (SCIM, LDAP) are managed like identity providers,
// by whoever manages the people of their home, and addressed in that
// home's scope only.

// GetExternalDirectory returns a directory of the scope's home.
func (d *Directory) GetExternalDirectory(a *Actor, s Scope, id gh.ExternalDirectoryID) (*gh.ExternalDirectory, error) {
	x := d.idx.ExternalDirectory(id)
	if x == nil || x.Org != s.Org.ID || !s.Contains(x.Home) {
		return nil, gh.NotFound("directory")
	}
	if err := d.requireProviders(a, s); err != nil {
		return nil, err
	}
	return x, nil
}

// ListExternalDirectories lists the directories of the scope's home, by id.
func (d *Directory) ListExternalDirectories(a *Actor, s Scope) ([]*gh.ExternalDirectory, error) {
	if err := d.requireProviders(a, s); err != nil {
		return nil, err
	}
	return d.idx.ExternalDirectories(s.Org.ID, func(x *gh.ExternalDirectory) bool { return s.Contains(x.Home) }), nil
}

// ExternalDirectory returns any directory by id, for callers that act as
// the directory (a SCIM token names it): nil when it does not exist.
func (d *Directory) ExternalDirectory(id gh.ExternalDirectoryID) *gh.ExternalDirectory {
	return d.idx.ExternalDirectory(id)
}

// CreateExternalDirectory connects a directory to the scope's home, with
// its sealed secrets (an LDAP bind password; "" for none).
func (d *Directory) CreateExternalDirectory(ctx context.Context, a *Actor, s Scope, x *gh.ExternalDirectory, sealed string) (gh.Revision, error) {
	if err := d.requireProviders(a, s); err != nil {
		return 0, err
	}
	x.Home, x.Name = s.Home(), gh.CleanName(x.Name)
	if err := x.Validate(); err != nil {
		return 0, err
	}
	return d.write(ctx, a, func(w *writer) error {
		if d.extDirNamed(x.Home, x.Name) != nil {
			return nameTaken("directory here")
		}
		ev := w.event(x.Org, x.Workspace, "directory.create", gh.KindExternalDirectory, string(x.ID))
		x.Touch(w.rev(), w.now)
		change(ev, gh.KindExternalDirectory, string(x.ID), nil, x)
		if sealed == "" {
			return nil
		}
		return w.vault.PutProviderSecret(x.Org, gh.ProviderID(x.ID), sealed)
	})
}

// ReplaceExternalDirectory changes a directory's settings; its type stays,
// and an empty sealed keeps its secrets.
func (d *Directory) ReplaceExternalDirectory(ctx context.Context, a *Actor, s Scope, x *gh.ExternalDirectory, sealed string, ifMatch gh.Revision) (gh.Revision, error) {
	cur, err := d.GetExternalDirectory(a, s, x.ID)
	if err != nil {
		return 0, err
	}
	if x.Type != cur.Type {
		return 0, gh.Invalid("invalid_input", "type", "a directory's type cannot change; connect a new one")
	}
	x.Home, x.Name = s.Home(), gh.CleanName(x.Name)
	if err := x.Validate(); err != nil {
		return 0, err
	}
	return d.write(ctx, a, func(w *writer) error {
		cur := d.idx.ExternalDirectory(x.ID)
		if cur == nil {
			return gh.NotFound("directory")
		}
		if err := checkMatch(ifMatch, cur.Revision); err != nil {
			return err
		}
		if other := d.extDirNamed(x.Home, x.Name); other != nil && other.ID != x.ID {
			return nameTaken("directory here")
		}
		x.Meta, x.Held = cur.Meta, cur.Held
		ev := w.event(x.Org, x.Workspace, "directory.update", gh.KindExternalDirectory, string(x.ID))
		x.Touch(w.rev(), w.now)
		change(ev, gh.KindExternalDirectory, string(x.ID), cur, x)
		if sealed == "" {
			return nil
		}
		return w.vault.PutProviderSecret(x.Org, gh.ProviderID(x.ID), sealed)
	})
}

// DeleteExternalDirectory disconnects a directory: its tokens stop working
// and what it managed becomes Gatehouse's own, unchanged.
func (d *Directory) DeleteExternalDirectory(ctx context.Context, a *Actor, s Scope, id gh.ExternalDirectoryID) (gh.Revision, error) {
	if _, err := d.GetExternalDirectory(a, s, id); err != nil {
		return 0, err
	}
	return d.write(ctx, a, func(w *writer) error {
		cur := d.idx.ExternalDirectory(id)
		if cur == nil {
			return gh.NotFound("directory")
		}
		ev := w.event(cur.Org, cur.Workspace, "directory.delete", gh.KindExternalDirectory, string(id))
		d.release(w, ev, cur)
		change(ev, gh.KindExternalDirectory, string(id), cur, nil)
		if err := w.vault.DeleteDirectoryTokens(id); err != nil {
			return err
		}
		return w.vault.DeleteProviderSecret(gh.ProviderID(id))
	})
}

// release makes the users and groups x managed the home's own.
func (d *Directory) release(w *writer, ev *gh.Event, x *gh.ExternalDirectory) {
	for _, u := range d.managedUsers(x, func(*gh.User) bool { return true }) {
		next := *u
		next.Managed = nil
		next.Touch(w.rev(), w.now)
		change(ev, gh.KindUser, string(u.ID), u, &next)
	}
	for _, g := range d.idx.GroupsIn(x.Home, func(g *gh.Group) bool { return managedBy(g.Managed, x.ID) }) {
		next := *g
		next.Managed = nil
		next.Touch(w.rev(), w.now)
		change(ev, gh.KindGroup, string(g.ID), g, &next)
	}
}

func (d *Directory) extDirNamed(h gh.Home, name string) *gh.ExternalDirectory {
	xs := d.idx.ExternalDirectories(h.Org, func(x *gh.ExternalDirectory) bool {
		return x.Home == h && strings.EqualFold(x.Name, name)
	})
	if len(xs) > 0 {
		return xs[0]
	}
	return nil
}

// NewDirectoryToken makes a SCIM bearer token for a directory of the
// scope's home; the secret is shown once. Older tokens stay valid until
// revoked, so a client can be moved to the new one without a gap.
func (d *Directory) NewDirectoryToken(ctx context.Context, a *Actor, s Scope, id gh.ExternalDirectoryID) (*gh.DirectoryToken, gh.Secret, gh.Revision, error) {
	x, err := d.GetExternalDirectory(a, s, id)
	if err != nil {
		return nil, "", 0, err
	}
	if x.Type != gh.DirectorySCIM {
		return nil, "", 0, gh.Invalid("invalid_input", "type", "only SCIM directories have tokens")
	}
	secret, hash := auth.NewToken()
	t := &gh.DirectoryToken{Hash: hash, ID: gh.NewID("tok"), Directory: x.ID, Org: x.Org}
	rev, err := d.write(ctx, a, func(w *writer) error {
		t.CreatedAt = w.now
		ev := w.event(x.Org, x.Workspace, "directory.token.create", gh.KindExternalDirectory, string(x.ID))
		ev.Detail = "token " + t.ID
		return w.vault.PutDirectoryToken(t)
	})
	if err != nil {
		return nil, "", 0, err
	}
	return t, gh.Secret("ghs_" + secret.Reveal()), rev, nil
}

// RevokeDirectoryToken ends one token of a directory.
func (d *Directory) RevokeDirectoryToken(ctx context.Context, a *Actor, s Scope, id gh.ExternalDirectoryID, token string) (gh.Revision, error) {
	x, err := d.GetExternalDirectory(a, s, id)
	if err != nil {
		return 0, err
	}
	return d.write(ctx, a, func(w *writer) error {
		ev := w.event(x.Org, x.Workspace, "directory.token.revoke", gh.KindExternalDirectory, string(x.ID))
		ev.Detail = "token " + token
		return w.vault.DeleteDirectoryToken(x.ID, token)
	})
}

// DirectoryForToken finds the enabled directory a SCIM bearer token
// belongs to; every failure answers alike (unauthenticated).
func (d *Directory) DirectoryForToken(ctx context.Context, bearer string) (*gh.ExternalDirectory, error) {
	secret, ok := strings.CutPrefix(bearer, "ghs_")
	if !ok || secret == "" {
		return nil, errBadToken
	}
	t, err := d.store.DirectoryTokenByHash(ctx, auth.HashToken(secret))
	if err != nil {
		if gh.KindOf(err) == gh.KindNotFound {
			return nil, errBadToken
		}
		return nil, err
	}
	x := d.idx.ExternalDirectory(t.Directory)
	if x == nil || x.Disabled || (!t.ExpiresAt.IsZero() && d.now().After(t.ExpiresAt)) {
		return nil, errBadToken
	}
	return x, nil
}

var errBadToken = gh.Errorf(gh.KindUnauthenticated, "invalid_token", "the bearer token is not one of a connected directory")

// RequireManageDirectories checks the right to manage the scope's
// directories, for services beside the directory (releasing a held sync).
func (d *Directory) RequireManageDirectories(a *Actor, s Scope) error {
	return d.requireProviders(a, s)
}

// RemovalThreshold is how many people a directory may disable or delete
// in an hour (SCIM) or in one sync (LDAP) before the removals are held for
// an admin: 200, or a tenth of the n people it provisions once that is
// over 5. A wrong filter or a broken HR export must not lock a partner out
// of every customer at once.
func RemovalThreshold(n int) int {
	return min(200, max(5, n/10))
}

// RemovalLimit is x's threshold: its own, or the default for its size.
func (d *Directory) RemovalLimit(x *gh.ExternalDirectory) int {
	if x.RemovalThreshold > 0 {
		return x.RemovalThreshold
	}
	return RemovalThreshold(len(d.managedUsers(x, func(*gh.User) bool { return true })))
}

// AllowRemoval counts one removal pushed by a directory (a SCIM disable or
// delete) against its hourly allowance, a bucket shared by every node. Past
// it, the directory is held: this and every later removal is refused
// (removals_held, for the client to retry) until an admin releases it;
// creations and updates go on.
func (d *Directory) AllowRemoval(ctx context.Context, x *gh.ExternalDirectory) error {
	cur := d.idx.ExternalDirectory(x.ID)
	if cur == nil {
		return gh.NotFound("directory")
	}
	if cur.Held {
		return errHeld
	}
	limit := d.RemovalLimit(cur)
	// The bucket is the directory's at its revision: a release starts a new one.
	key := "directory-removals/" + string(cur.ID) + "/" + strconv.FormatInt(int64(cur.Revision), 10)
	ok, err := d.store.TakeToken(ctx, key, d.now(), float64(limit)/3600, limit)
	if err != nil || ok {
		return err
	}
	_, err = d.write(ctx, DirectoryActor(cur, gh.Source{Via: "scim"}), func(w *writer) error {
		cur := d.idx.ExternalDirectory(x.ID)
		if cur == nil || cur.Held {
			return nil
		}
		next := *cur
		next.Held = true
		ev := w.event(cur.Org, cur.Workspace, "directory.held", gh.KindExternalDirectory, string(cur.ID))
		ev.Detail = fmt.Sprintf("more than %d removals in an hour: further disables and deletions from %s wait for an admin to release them", limit, cur.Name)
		next.Touch(w.rev(), w.now)
		change(ev, gh.KindExternalDirectory, string(cur.ID), cur, &next)
		return nil
	})
	if err != nil {
		return err
	}
	return errHeld
}

var errHeld = gh.Errorf(gh.KindUnavailable, "removals_held",
	"this directory's disables and deletions are held after too many in an hour; an admin must release them (creations and updates go on)")

// ReleaseDirectory lets a held directory's removals through again, with a
// fresh allowance.
func (d *Directory) ReleaseDirectory(ctx context.Context, a *Actor, s Scope, id gh.ExternalDirectoryID) (*gh.ExternalDirectory, gh.Revision, error) {
	if _, err := d.GetExternalDirectory(a, s, id); err != nil {
		return nil, 0, err
	}
	var out *gh.ExternalDirectory
	rev, err := d.write(ctx, a, func(w *writer) error {
		cur := d.idx.ExternalDirectory(id)
		if cur == nil {
			return gh.NotFound("directory")
		}
		next := *cur
		next.Held = false
		ev := w.event(cur.Org, cur.Workspace, "directory.release", gh.KindExternalDirectory, string(id))
		next.Touch(w.rev(), w.now)
		change(ev, gh.KindExternalDirectory, string(id), cur, &next)
		out = &next
		return nil
	})
	return out, rev, err
}
