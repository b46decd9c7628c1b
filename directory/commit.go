package directory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	gh "gatehouse.dev/gatehouse"
)

// Group commit. Writers that arrive while a commit is being flushed wait for
// it together; the first of them to get the write lock then commits them all
// in one store transaction (one fsync on SQLite, one round of commit on
// PostgreSQL). Each write still runs its rules in arrival order against the
// index as the writes before it in the group left it, so a write that fails
// its rules fails alone and changes nothing; the events of those that pass
// are appended together. Every write is answered with its own revision;
// revisions stay gap-free in commit order.
//
// To let a later write of a group see an earlier one, the earlier write's
// events are applied to the index before the group commits. Readers must
// never see such uncommitted state: the organizations a group touches are
// gated (gates below) from that moment until the commit is over, and readers
// of those organizations wait at the gate. If the commit fails, the index is
// rebuilt from the store before the gate opens.

// request is one write waiting for a group commit.
type request struct {
	a    *Actor
	fn   func(w *writer) error
	solo bool // run in a transaction of its own (see Change, Batch)
	done chan result
	// set by the committer
	events  []*gh.Event
	notices []gh.Notice
	applied bool // the events are in the index already (a batch applies as it goes)
	err     error
	taken   atomic.Bool // in a group being committed, or committed already
}

type result struct {
	rev gh.Revision
	err error
}

// maxGroup bounds the writes committed together, so one group's transaction
// and the readers it holds off stay short.
const maxGroup = 256

// write runs fn as one write of the next group commit after bringing the
// index to the store's head, and returns the last revision fn wrote (the
// index's revision when it wrote nothing).
func (d *Directory) write(ctx context.Context, a *Actor, fn func(w *writer) error) (gh.Revision, error) {
	if b := batchOf(ctx); b != nil && b.d == d {
		return b.write(a, fn) // a write of a batch joins it
	}
	return d.enqueue(&request{a: a, fn: fn, done: make(chan result, 1)})
}

func (d *Directory) enqueue(r *request) (gh.Revision, error) {
	d.queueMu.Lock()
	d.queue = append(d.queue, r)
	d.queueMu.Unlock()
	d.writeMu.Lock()
	select {
	case res := <-r.done: // a writer before us committed our write in its group
		d.writeMu.Unlock()
		return res.rev, res.err
	default:
	}
	for !r.taken.Load() {
		group := d.takeGroup()
		if len(group) == 0 {
			break
		}
		d.commitGroup(group)
	}
	d.writeMu.Unlock()
	res := <-r.done
	return res.rev, res.err
}

// takeGroup takes the queued writes to commit together: a solo write alone.
func (d *Directory) takeGroup() []*request {
	d.queueMu.Lock()
	defer d.queueMu.Unlock()
	n := min(len(d.queue), maxGroup)
	for i, r := range d.queue[:n] {
		if r.solo {
			n = max(i, 1)
			break
		}
	}
	group := slices.Clone(d.queue[:n])
	d.queue = slices.Delete(d.queue, 0, n)
	for _, r := range group {
		r.taken.Store(true)
	}
	return group
}

// group is the state of one group commit.
type group struct {
	d     *Directory
	held  []gh.OrgID // organizations whose readers wait for the commit
	dirty bool       // writes applied to the index before the commit
}

// applyEarly applies events to the index before the group commits, holding
// their organizations' readers off until it has.
func (g *group) applyEarly(events []*gh.Event) error {
	if len(events) == 0 {
		return nil
	}
	g.held = g.d.gates.hold(g.held, events)
	g.dirty = true
	if err := g.d.idx.Apply(events...); err != nil {
		return gh.Internal(fmt.Errorf("apply to the index before commit: %w", err))
	}
	return nil
}

// errRetryAlone abandons a group whose transaction holds what one failed
// write left behind (a vault row written before its rules refused it), or
// whose append the store refused: its writes are then committed one by one.
var errRetryAlone = errors.New("retry the group's writes one by one")

// commitGroup commits the writes of reqs in one transaction and answers
// each. It runs under writeMu. Each write's rules run in order against the
// index as the writes before it left it; the events of those that pass are
// appended together at the end (Tx.AppendAll), a few statements for the whole
// group. The transaction is not bound to any one writer's context: a caller
// that goes away must not fail the others.
func (d *Directory) commitGroup(reqs []*request) {
	defer d.stats.add(len(reqs), time.Now())
	ctx := context.Background()
	g := &group{d: d}
	var last *request // the write applied once committed, as a lone write always was
	err := d.store.Update(ctx, func(tx gh.Tx) error {
		if tx.Next()-1 > d.idx.Revision() { // another node wrote since: read it first
			err := d.catchUp(ctx, func(_ context.Context, after gh.Revision, n int) ([]*gh.Event, error) {
				return tx.EventsAfter(after, n)
			})
			if err != nil {
				return err
			}
		}
		var pending []*gh.Event
		for i, r := range reqs {
			wrote, err := d.runRules(tx, g, r, pending)
			switch {
			case err != nil && len(reqs) == 1:
				r.err = err
				return err // alone: the whole transaction goes, with whatever it wrote
			case err != nil && wrote:
				return errRetryAlone
			case err != nil:
				r.err = err
				continue
			}
			if r.applied {
				continue // a batch: appended and applied already
			}
			pending = append(pending, r.events...)
			if i == len(reqs)-1 {
				last = r
			} else if err := g.applyEarly(r.events); err != nil {
				return err
			}
		}
		if err := d.deliver(tx, reqs); err != nil {
			return err
		}
		if err := tx.AppendAll(pending); err != nil {
			if len(reqs) > 1 && gh.KindOf(err) != gh.KindInternal {
				return errRetryAlone
			}
			return err
		}
		return nil
	})
	switch {
	case err == nil && last != nil:
		if aerr := d.idx.Apply(last.events...); aerr != nil {
			// Committed; the follower will retry from the store.
			d.log.Error("apply committed events", "err", aerr)
			last.err = gh.Internal(aerr)
		}
	case err != nil && g.dirty:
		d.rebuild(ctx, err)
	}
	d.gates.release(g.held)
	switch {
	case errors.Is(err, errRetryAlone):
		d.requeueAlone(reqs)
	case err == nil && d.syncLater != nil:
		d.answerWhenDurable(reqs)
	default:
		d.answer(reqs, err)
	}
}

// deliver delivers the notices of the group's writes that passed their rules.
func (d *Directory) deliver(tx gh.Tx, reqs []*request) error {
	var notices []gh.Notice
	for _, r := range reqs {
		if r.err == nil {
			notices = append(notices, r.notices...)
		}
	}
	if d.DeliverNotices == nil || len(notices) == 0 {
		return nil
	}
	return d.DeliverNotices(tx.Vault(), notices)
}

// requeueAlone puts a group's writes back at the head of the queue, each to
// be committed on its own.
func (d *Directory) requeueAlone(reqs []*request) {
	for _, r := range reqs {
		r.solo, r.err, r.events, r.notices, r.applied = true, nil, nil, nil, false
		r.taken.Store(false)
	}
	d.queueMu.Lock()
	d.queue = append(slices.Clone(reqs), d.queue...)
	d.queueMu.Unlock()
}

// runRules runs one write's rules on the index as the writes before it in
// the group left it, and lets BeforeCommit see its events; pending are the
// group's events not yet appended. It reports whether the write wrote vault
// rows in the transaction, which only the transaction's end can undo.
func (d *Directory) runRules(tx gh.Tx, g *group, r *request, pending []*gh.Event) (wrote bool, err error) {
	vault := &vaultRecorder{VaultTx: tx.Vault()}
	defer func() {
		if v := recover(); v != nil { // one write's bug must not strand the group
			err = gh.Internal(fmt.Errorf("write panicked: %v", v))
		}
		wrote = vault.wrote
	}()
	w := &writer{actor: r.a, now: d.now().UTC().Truncate(time.Microsecond), base: tx.Next() + gh.Revision(len(pending)),
		vault: vault, tx: tx, grp: g}
	if err := r.fn(w); err != nil {
		return false, err
	}
	if err := d.checkSeats(w); err != nil {
		return false, err
	}
	if d.BeforeCommit != nil && len(w.events) > 0 {
		if err := d.BeforeCommit(&Change{d: d, w: w}, slices.Clone(w.events)); err != nil {
			return false, err
		}
	}
	r.events = append(w.batched, w.events...)
	r.notices = w.notices
	r.applied = len(w.batched) > 0
	return false, nil
}

// vaultRecorder notes whether a write wrote any vault row.
type vaultRecorder struct {
	gh.VaultTx
	wrote bool
}

func (v *vaultRecorder) PutCredential(c *gh.Credential) error {
	v.wrote = true
	return v.VaultTx.PutCredential(c)
}
func (v *vaultRecorder) PutSession(s *gh.Session) error {
	v.wrote = true
	return v.VaultTx.PutSession(s)
}
func (v *vaultRecorder) DeleteSession(org gh.OrgID, id string) error {
	v.wrote = true
	return v.VaultTx.DeleteSession(org, id)
}
func (v *vaultRecorder) DeleteSessions(u gh.UserID, keep string) (int, error) {
	v.wrote = true
	return v.VaultTx.DeleteSessions(u, keep)
}
func (v *vaultRecorder) PutToken(t *gh.OneTimeToken) error {
	v.wrote = true
	return v.VaultTx.PutToken(t)
}
func (v *vaultRecorder) UseToken(hash string, kind gh.TokenKind, now time.Time) (*gh.OneTimeToken, error) {
	v.wrote = true
	return v.VaultTx.UseToken(hash, kind, now)
}
func (v *vaultRecorder) EnqueueMail(m *gh.Mail) error {
	v.wrote = true
	return v.VaultTx.EnqueueMail(m)
}
func (v *vaultRecorder) RevokeTokens(u gh.UserID) error {
	v.wrote = true
	return v.VaultTx.RevokeTokens(u)
}
func (v *vaultRecorder) ForgetUser(u gh.UserID) error { v.wrote = true; return v.VaultTx.ForgetUser(u) }
func (v *vaultRecorder) PutWebhookSecret(org gh.OrgID, secret string) error {
	v.wrote = true
	return v.VaultTx.PutWebhookSecret(org, secret)
}
func (v *vaultRecorder) PutCeremony(c *gh.Ceremony, now time.Time) error {
	v.wrote = true
	return v.VaultTx.PutCeremony(c, now)
}
func (v *vaultRecorder) TakeCeremony(id, kind string, now time.Time) (*gh.Ceremony, error) {
	v.wrote = true
	return v.VaultTx.TakeCeremony(id, kind, now)
}
func (v *vaultRecorder) KeepAnswer(k *gh.KeptAnswer, now time.Time) error {
	v.wrote = true
	return v.VaultTx.KeepAnswer(k, now)
}

// rebuild reloads the index from the store after a group that had applied
// some of its writes failed to commit, so nothing uncommitted stays.
func (d *Directory) rebuild(ctx context.Context, cause error) {
	d.log.Error("group commit failed after applying to the index; reloading it from the store", "err", cause)
	snap, err := d.store.Snapshot(ctx)
	if err == nil {
		d.idx.Load(snap)
		err = d.catchUp(ctx, d.store.EventsAfter)
	}
	if err != nil {
		// The index may hold writes that never committed: stop rather than answer from it.
		panic(fmt.Sprintf("gatehouse: cannot rebuild the index after a failed commit: %v", err))
	}
}

// answer tells every writer of the group its outcome.
func (d *Directory) answer(group []*request, commitErr error) {
	rev := d.idx.Revision()
	for _, r := range group {
		switch {
		case commitErr != nil:
			r.done <- result{err: commitErr}
		case r.err != nil:
			r.done <- result{err: r.err}
		case len(r.events) > 0:
			r.done <- result{rev: r.events[len(r.events)-1].Revision}
		default:
			r.done <- result{rev: rev}
		}
	}
}

// gates hold the readers of organizations off writes applied to the index
// before their group commits: one readers-writer lock per organization.
type gates struct{ m sync.Map } // gh.OrgID → *sync.RWMutex

func (g *gates) of(org gh.OrgID) *sync.RWMutex {
	if l, ok := g.m.Load(org); ok {
		return l.(*sync.RWMutex)
	}
	l, _ := g.m.LoadOrStore(org, &sync.RWMutex{})
	return l.(*sync.RWMutex)
}

// hold closes the gate of every organization of events not yet in held, and
// returns held with them. It waits for the readers inside to finish.
func (g *gates) hold(held []gh.OrgID, events []*gh.Event) []gh.OrgID {
	for _, ev := range events {
		if !slices.Contains(held, ev.Org) {
			g.of(ev.Org).Lock()
			held = append(held, ev.Org)
		}
	}
	return held
}

func (g *gates) release(held []gh.OrgID) {
	for _, org := range held {
		g.of(org).Unlock()
	}
}

type gateKey struct{}

// ReadIn is Read for a request: the context it returns carries the gate, so
// that a wait for a revision (Await) steps out of it instead of holding off
// the very writer it waits for.
func (d *Directory) ReadIn(ctx context.Context, org gh.OrgID) (context.Context, func()) {
	l := d.gates.of(org)
	l.RLock()
	return context.WithValue(ctx, gateKey{}, l), l.RUnlock
}

// Read lets a reader of org in — waiting while a group commit holds that
// organization's writes in the index, uncommitted — and returns the function
// that lets it out. Every read an interface serves goes through it; the
// directory's own rules, run by the committer, do not.
func (d *Directory) Read(org gh.OrgID) (done func()) {
	_, done = d.ReadIn(context.Background(), org)
	return done
}

// WriteStats is what this node's group commits have done since it started.
type WriteStats struct {
	Groups int64         // transactions committed or tried
	Writes int64         // writes they carried
	Busy   time.Duration // time spent committing them, one group at a time
}

type commitStats struct{ groups, writes, busyNanos atomic.Int64 }

func (s *commitStats) add(writes int, start time.Time) {
	s.groups.Add(1)
	s.writes.Add(int64(writes))
	s.busyNanos.Add(int64(time.Since(start)))
}

// WriteStats reports the group commits: writes per group is how well
// concurrent writers share transactions, and busy time per write is what
// one write costs the committer, whose time bounds the write rate.
func (d *Directory) WriteStats() WriteStats {
	return WriteStats{Groups: d.stats.groups.Load(), Writes: d.stats.writes.Load(),
		Busy: time.Duration(d.stats.busyNanos.Load())}
}
