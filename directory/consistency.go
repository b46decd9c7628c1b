package directory

import (
	"context"
	"fmt"
	"sync"
	"time"

	gh "gatehouse.dev/gatehouse"
)

// Consistency is what a reader asks of the index's freshness. The zero value
// answers from this node's latest state.
type Consistency struct {
	// AtLeastRevision waits until this node has applied that revision (a
	// revision a write returned), so a revoke is never missed by a caller who passes it.
	AtLeastRevision gh.Revision `json:"at_least_revision,omitempty"`
	// FullyConsistent catches up with the store's head first.
	FullyConsistent bool `json:"fully_consistent,omitempty"`
}

// MaxWait bounds how long a reader waits for the index to reach a revision.
const MaxWait = 2 * time.Second

// Await brings the index to what c asks, or fails with KindUnavailable
// (retryable) rather than answer from a state known to be behind, or with
// KindInvalid when the revision asked for is above any the store has issued.
func (d *Directory) Await(ctx context.Context, c Consistency) error {
	if l, _ := ctx.Value(gateKey{}).(*sync.RWMutex); l != nil && (c.FullyConsistent || c.AtLeastRevision > d.idx.Revision()) {
		// Catching up takes the writer's lock; a group commit holding it may
		// be waiting for this reader to leave the gate.
		l.RUnlock()
		defer l.RLock()
	}
	if c.FullyConsistent {
		if err := d.CatchUp(ctx); err != nil {
			return gh.Errorf(gh.KindUnavailable, "index_behind", "could not catch up with the store: retry")
		}
		return nil
	}
	if c.AtLeastRevision <= d.idx.Revision() {
		return nil
	}
	deadline := time.Now().Add(MaxWait)
	for {
		err := d.CatchUp(ctx)
		if err == nil && d.idx.Revision() >= c.AtLeastRevision {
			return nil
		}
		if err == nil {
			// Caught up with the head and still short: no write ever returned
			// that revision (it returns only once committed), so waiting
			// cannot help and "retry" would be a lie.
			return gh.Invalid("revision_unknown", "consistency.at_least_revision", fmt.Sprintf(
				"is above the latest revision (%d); pass a revision a write returned", d.idx.Revision()))
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return gh.Errorf(gh.KindUnavailable, "index_behind",
				"this node has not reached revision %d yet (it is at %d); retry", c.AtLeastRevision, d.idx.Revision())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
