package directory

import (
	"context"
	"time"

	gh "gatehouse.dev/gatehouse"
)

// Change is one write transaction lent to the services beside the directory
// (signing in, invitations): inside it the index is caught up with the store,
// and the audit events it records and the vault rows it writes commit or
// vanish together. Rules of DESIGN §2 are still the directory's: a Change
// only changes a user through UpdateUser, which keeps them.
type Change struct {
	d *Directory
	w *writer
}

// Change runs fn as one write transaction and returns the last revision
// written. It is committed alone, never in a group: the services beside the
// directory read their vault rows (a credential's failed attempts, say)
// outside the transaction, which sees every write committed before it only
// when no other write shares it.
func (d *Directory) Change(ctx context.Context, a *Actor, fn func(c *Change) error) (gh.Revision, error) {
	wfn := func(w *writer) error { return fn(&Change{d: d, w: w}) }
	if b := batchOf(ctx); b != nil && b.d == d {
		return b.write(a, wfn) // an invitation sent by a batch, say
	}
	return d.enqueue(&request{a: a, solo: true, done: make(chan result, 1), fn: wfn})
}

// ActAs names the user the events recorded from now on are by (a person
// accepting an invitation is known only once its link is read).
func (c *Change) ActAs(u *gh.User) { c.w.actor = &Actor{User: u, Source: c.w.actor.Source} }

// Now is the transaction's clock reading: events and rows share it.
func (c *Change) Now() time.Time { return c.w.now }

// Notice asks for n to be delivered if this write commits, with the
// other notices of its commit (DeliverNotices).
func (c *Change) Notice(n gh.Notice) { c.w.notices = append(c.w.notices, n) }

// Vault writes secrets in this transaction.
func (c *Change) Vault() gh.VaultTx { return c.w.vault }

// Record appends an audit event that changes no directory object, such as a
// sign-in or a lockout. It carries the transaction's actor and source.
func (c *Change) Record(org gh.OrgID, ws gh.WorkspaceID, action string, target gh.Target) *gh.Event {
	return c.w.event(org, ws, action, target.Type, target.ID)
}

// UpdateUser records a new version of user cur (its status, say, when an
// invitation is accepted) as one event with the given action.
func (c *Change) UpdateUser(action string, cur *gh.User, next gh.User) (*gh.User, error) {
	if err := validChange(cur, &next, next.Validate()); err != nil {
		return nil, err
	}
	if cur.IsOrgAdmin() && !next.IsOrgAdmin() {
		if err := c.d.keepAnAdmin(cur); err != nil {
			return nil, err
		}
	}
	ev := c.w.event(cur.Org, cur.Workspace, action, gh.KindUser, string(cur.ID))
	next.Touch(c.w.rev(), c.w.now)
	change(ev, gh.KindUser, string(cur.ID), cur, &next)
	return &next, nil
}

// Now returns the directory's clock reading.
func (d *Directory) Now() time.Time { return d.now() }
