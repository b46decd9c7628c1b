// Package directory applies the rules of DESIGN §2 to every change of the
// partner/customer directory. Each change is checked against the in-memory
// index (brought up to the store's head inside the write transaction, whose
// revision lock serialises all writers), written as one store transaction with
// one event, and then applied to the local index before the call returns, so a
// caller always reads its own writes on this node.
package directory

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/engine"
)

// Directory is the service every interface (API, CLI, console, provisioning) calls.
type Directory struct {
	store gh.Store
	idx   *engine.Index
	log   *slog.Logger
	now   func() time.Time

	// writeMu serialises this node's write groups and every Apply to the
	// index, so the index does not move while a change is being validated.
	writeMu sync.Mutex
	// queue holds the writes waiting for the next group commit (commit.go).
	queueMu sync.Mutex
	queue   []*request
	// gates hold readers of an organization off its changes while they are
	// applied to the index but not yet committed (commit.go).
	gates gates

	stats commitStats // what the group commits did (WriteStats)

	// syncLater is the store when its commits are made durable apart (durable.go).
	syncLater gh.SyncLater
	durable   durable

	// BeforeCommit, when set, sees every change's events inside its
	// transaction, so that what they cause (a notification to the security
	// contacts, say) is written with them or not at all.
	BeforeCommit func(c *Change, events []*gh.Event) error
	// DeliverNotices, when set, delivers the notices (Change.Notice) of the
	// writes of one commit together, inside its transaction, after they ran.
	DeliverNotices func(v gh.VaultTx, notices []gh.Notice) error
	// OnAnnounce, when set, delivers an announcement inside the transaction that publishes it.
	OnAnnounce func(c *Change, a *gh.Announcement) error
}

// New returns a directory over store and idx. now is the clock (time.Now when nil).
func New(store gh.Store, idx *engine.Index, log *slog.Logger, now func() time.Time) *Directory {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d := &Directory{store: store, idx: idx, log: log, now: now}
	d.syncLater, _ = store.(gh.SyncLater)
	return d
}

// Index returns the access index the directory keeps current.
func (d *Directory) Index() *engine.Index { return d.idx }

// Store returns the underlying store.
func (d *Directory) Store() gh.Store { return d.store }

// Load fills the index from a store snapshot, then catches up with events
// committed since the snapshot.
func (d *Directory) Load(ctx context.Context) error {
	d.writeMu.Lock()
	defer d.writeMu.Unlock()
	snap, err := d.store.Snapshot(ctx)
	if err != nil {
		return err
	}
	d.idx.Load(snap)
	return d.catchUp(ctx, d.store.EventsAfter)
}

// CatchUp applies every event committed after the index's revision.
func (d *Directory) CatchUp(ctx context.Context) error {
	d.writeMu.Lock()
	defer d.writeMu.Unlock()
	return d.catchUp(ctx, d.store.EventsAfter)
}

const catchUpBatch = 1000

func (d *Directory) catchUp(ctx context.Context, read func(context.Context, gh.Revision, int) ([]*gh.Event, error)) error {
	for {
		evs, err := read(ctx, d.idx.Revision(), catchUpBatch)
		if err != nil {
			return err
		}
		if err := d.idx.Apply(evs...); err != nil {
			return gh.Internal(err)
		}
		if len(evs) < catchUpBatch {
			return nil
		}
	}
}

// Follow catches up every interval until ctx ends, so changes made on other
// nodes reach this one. Errors are logged and retried.
func (d *Directory) Follow(ctx context.Context, interval time.Duration, wake <-chan struct{}) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case _, ok := <-wake:
			if !ok {
				wake = nil // the listener stopped; the ticker still catches up
			}
		}
		if err := d.CatchUp(ctx); err != nil && ctx.Err() == nil {
			d.log.Error("follow the event log", "err", err, "revision", d.idx.Revision())
		}
	}
}

// Actor is who calls the directory: the platform operator, a user (through a
// personal key), or the system itself (demo and bench data).
type Actor struct {
	Operator bool
	System   bool
	User     *gh.User
	Key      gh.KeyID
	Session  string // the session's id when signed in with a cookie
	// StaleSession is set for a session whose last password or code is too
	// old for sensitive actions (API keys, granting Admin): sign in again.
	StaleSession bool
	// Recovery is set for an operator's recovery key (gh.KeyRecovery): the
	// organization's address ranges do not apply to it, so that an admin
	// locked out by them can fix them.
	Recovery bool
	// Provider is set when an identity provider acts, at a sign-in
	// through it: the account and memberships it sets are its doing.
	Provider gh.ProviderID
	// Directory is set when a connected directory provisions its home.
	Directory gh.ExternalDirectoryID
	Source    gh.Source
}

// SystemActor acts with every right, for seeding data; never reachable over the API.
func SystemActor(via string) *Actor { return &Actor{System: true, Source: gh.Source{Via: via}} }

func (a *Actor) event() gh.Actor {
	switch {
	case a.Directory != "":
		return gh.Actor{Type: gh.ActorDirectory, Directory: a.Directory}
	case a.Provider != "":
		return gh.Actor{Type: gh.ActorProvider, Provider: a.Provider}
	case a.User != nil:
		return gh.Actor{Type: gh.ActorUser, User: a.User.ID, Email: a.User.Email, Key: a.Key}
	case a.Operator:
		return gh.Actor{Type: gh.ActorOperator, Key: a.Key}
	}
	return gh.Actor{Type: gh.ActorSystem}
}

// writer collects the events of one write transaction.
type writer struct {
	actor  *Actor
	now    time.Time
	base   gh.Revision
	events []*gh.Event
	vault  gh.VaultTx // secrets written in the same transaction
	tx     gh.Tx      // the transaction, for a batch's writes (batch.go)
	grp    *group     // the group commit this write is part of
	// batched are the events of a batch's writes, appended and applied already.
	batched []*gh.Event
	notices []gh.Notice // delivered if the write commits
}

// event starts a new event; objects changed in it must be stamped with its revision.
func (w *writer) event(org gh.OrgID, ws gh.WorkspaceID, action string, kind gh.ObjectKind, id string) *gh.Event {
	ev := &gh.Event{
		Revision: w.base + gh.Revision(len(w.events)), Org: org, Workspace: ws, Time: w.now,
		Actor: w.actor.event(), Source: w.actor.Source, Action: action,
		Target: gh.Target{Type: kind, ID: id},
	}
	w.events = append(w.events, ev)
	return ev
}

// rev is the revision of the event being built.
func (w *writer) rev() gh.Revision { return w.base + gh.Revision(len(w.events)) - 1 }

// change records one object's before and after (either may be nil) in ev.
func change[T any](ev *gh.Event, kind gh.ObjectKind, id string, before, after *T) {
	var b, a json.RawMessage
	if before != nil {
		b = gh.MustJSON(before)
	}
	if after != nil {
		a = gh.MustJSON(after)
	}
	ev.Changes = append(ev.Changes, gh.NewChange(kind, id, b, a))
}

// checkMatch compares an If-Match revision (0: none given) with the object's.
func checkMatch(ifMatch, current gh.Revision) error {
	if ifMatch != 0 && ifMatch != current {
		return gh.Errorf(gh.KindPrecondition, "revision_mismatch",
			"the object changed since revision %d (it is now at %d); read it again", ifMatch, current)
	}
	return nil
}
