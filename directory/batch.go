package directory

import (
	"context"
	"errors"
	"slices"

	gh "gatehouse.dev/gatehouse"
)

// Batches. A batch is one write of the group commit that runs many: every
// directory write made with the batch's context joins it, runs the same rules
// as on its own against the index with the batch's earlier writes in it, and
// is recorded as its own event carrying the batch's id. The batch commits as
// a whole or not at all, and readers see none of it before it has committed.

type batchKey struct{}

// batchRun is a batch under way, inside the committer.
type batchRun struct {
	d     *Directory
	outer *writer
	id    string
}

func batchOf(ctx context.Context) *batchRun {
	b, _ := ctx.Value(batchKey{}).(*batchRun)
	return b
}

var errDryRun = errors.New("dry run: undo everything")

// Batch runs fn as one all-or-nothing write with id as its batch id. fn makes
// its writes with the context it is given and decides what a failed write
// means (it may go on, to report every failure). If fn returns an error, or
// dryRun is set, nothing is written and the index is as it was. Batch returns
// the revision of the last write committed (the head when none was).
func (d *Directory) Batch(ctx context.Context, a *Actor, id string, dryRun bool, fn func(ctx context.Context) error) (gh.Revision, error) {
	return d.batch(ctx, a, id, dryRun, fn, nil)
}

// batch is Batch with keep, when not nil, run in the same transaction after
// fn with fn's outcome (not for a dry run). fn's writes are undone when fn
// fails, keep's stay: when keep returns nil its writes commit, with fn's if
// fn succeeded, and batch returns fn's error; when keep returns an error,
// nothing is written and batch returns that error.
func (d *Directory) batch(ctx context.Context, a *Actor, id string, dryRun bool, fn func(ctx context.Context) error,
	keep func(v gh.VaultTx, err error) error) (gh.Revision, error) {
	var outcome error // fn's error, answered once keep's writes are committed
	rev, err := d.enqueue(&request{a: a, solo: true, done: make(chan result, 1), fn: func(w *writer) error {
		b := &batchRun{d: d, outer: w, id: id}
		err := w.tx.Savepoint(func() error {
			err := fn(context.WithValue(ctx, batchKey{}, b))
			if err == nil {
				// All the batch's events in a few statements: a thousand
				// memberships are tens of round trips, not thousands.
				err = w.tx.AppendAll(w.batched)
			}
			if err == nil && dryRun {
				err = errDryRun
			}
			return err
		})
		if err != nil {
			b.undo()
		}
		if keep == nil || errors.Is(err, errDryRun) {
			return err
		}
		if kerr := keep(w.vault, err); kerr != nil {
			b.undo()
			return kerr
		}
		outcome = err
		return nil
	}})
	if err == nil {
		err = outcome
	}
	if errors.Is(err, errDryRun) {
		return d.idx.Revision(), nil
	}
	return rev, err
}

// vaultOf is the vault writer of the batch ctx belongs to.
func vaultOf(ctx context.Context) gh.VaultTx { return batchOf(ctx).outer.vault }

// write runs one write of the batch against the index as the batch's
// earlier writes left it, and applies its events there; they reach the store
// together when the batch is over (flush). A write that fails changes
// nothing the batch keeps: the batch then fails as a whole.
func (b *batchRun) write(a *Actor, fn func(w *writer) error) (gh.Revision, error) {
	o := b.outer
	actor := *a
	actor.Source.Batch = b.id
	w := &writer{actor: &actor, now: o.now, base: o.tx.Next() + gh.Revision(len(o.batched)), vault: o.vault, tx: o.tx, grp: o.grp}
	if err := fn(w); err != nil {
		return 0, err
	}
	if err := b.d.checkSeats(w); err != nil {
		return 0, err
	}
	if b.d.BeforeCommit != nil && len(w.events) > 0 {
		if err := b.d.BeforeCommit(&Change{d: b.d, w: w}, slices.Clone(w.events)); err != nil {
			return 0, err
		}
	}
	if err := o.grp.applyEarly(w.events); err != nil {
		return 0, err
	}
	o.batched = append(o.batched, w.events...)
	o.notices = append(o.notices, w.notices...)
	if len(w.events) == 0 {
		return b.d.idx.Revision(), nil
	}
	return w.events[len(w.events)-1].Revision, nil
}

// undo takes the batch's writes out of the index; the transaction's
// savepoint takes them out of the store.
func (b *batchRun) undo() {
	b.outer.notices = nil
	if len(b.outer.batched) == 0 {
		return
	}
	if err := b.d.idx.Revert(b.outer.batched...); err != nil {
		b.d.rebuild(context.Background(), err) // a key's removal, say (engine.ErrIrreversible)
	}
	b.outer.batched = nil
}
